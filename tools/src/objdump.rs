//! `femto disasm`: llvm-objdump-style listings of images and eBPF objects,
//! built on the disassembler in [`crate::disasm`] (whose syntax `femto asm`
//! reads back).
//!
//! Each line is `PC:<TAB>BYTES<TAB>INSTRUCTION` with the pc in instruction
//! slots, as `llvm-objdump -d` prints BPF code. Annotations in `<...>`: the
//! target of a jump or local call (a function name, or `pc N`), the name of a
//! helper, the region of a VM address loaded by `lddw`. For objects,
//! relocations follow the instruction they patch, as with `llvm-objdump -dr`.

use crate::disasm::{disassemble, Line};
use crate::elf::{self, Elf};
use femto_vm::image::Format;
use femto_vm::memory::{REGION_DATA, REGION_RODATA};
use femto_vm::Image;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

fn hex_bytes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

/// Annotation for one line: jump target, helper name, or lddw region.
fn annotate(l: &Line, labels: &BTreeMap<usize, String>, vm_addresses: bool) -> Option<String> {
    let op = *l.bytes.first()?;
    if let Some(t) = l.target {
        if let Some(name) = usize::try_from(t).ok().and_then(|t| labels.get(&t)) {
            return Some(format!("<{name}>"));
        }
        return Some(format!("<pc {t}>"));
    }
    if op == 0x85 && l.bytes.get(1).map(|b| b >> 4) == Some(0) {
        let imm = u32::from_le_bytes([l.bytes[4], l.bytes[5], l.bytes[6], l.bytes[7]]);
        return femto_helpers::nr::name(imm).map(|n| format!("<{n}>"));
    }
    if vm_addresses && op == 0x18 && l.bytes.len() == 16 {
        let lo = u32::from_le_bytes([l.bytes[4], l.bytes[5], l.bytes[6], l.bytes[7]]);
        let hi = u32::from_le_bytes([l.bytes[12], l.bytes[13], l.bytes[14], l.bytes[15]]);
        let region = match hi {
            REGION_DATA => "data",
            REGION_RODATA => "rodata",
            _ => return None,
        };
        return Some(format!("<{region}+{lo:#x}>"));
    }
    None
}

fn lines_for(
    out: &mut String,
    code: &[u8],
    labels: &BTreeMap<usize, String>,
    relocs: &BTreeMap<u64, Vec<String>>,
    vm_addresses: bool,
    source_only: bool,
) -> Result<(), String> {
    let lines = disassemble(code).map_err(|e| e.to_string())?;
    for l in &lines {
        if let Some(name) = labels.get(&l.pc) {
            if source_only {
                let _ = writeln!(out, "{name}:");
            } else {
                let _ = writeln!(out, "\n{:016x} <{name}>:", l.pc * 8);
            }
        }
        if source_only {
            let _ = writeln!(out, "{}", l.text);
            continue;
        }
        let _ = write!(out, "{:>8}:\t{}\t{}", l.pc, hex_bytes(&l.bytes), l.text);
        if let Some(a) = annotate(l, labels, vm_addresses) {
            let _ = write!(out, " {a}");
        }
        out.push('\n');
        for slot in 0..(l.bytes.len() / 8) as u64 {
            let off = (l.pc as u64 + slot) * 8;
            for r in relocs.get(&off).into_iter().flatten() {
                let _ = writeln!(out, "\t\t{off:016x}:  {r}");
            }
        }
    }
    Ok(())
}

/// The listing of an image.
pub fn image(path: &Path, image: &Image<'_>, source_only: bool) -> Result<String, String> {
    let mut labels = BTreeMap::new();
    for f in image.functions() {
        labels.entry(f.pc as usize).or_insert_with(|| String::from_utf8_lossy(f.name).into_owned());
    }
    let mut out = String::new();
    if !source_only {
        let fmt = match image.format() {
            Format::Native => "femto-container",
            Format::Rbf => "RIOT rBPF",
        };
        let _ = writeln!(out, "\n{}:\tfile format {fmt}\n\nDisassembly of section text:", path.display());
    }
    lines_for(&mut out, image.text(), &labels, &BTreeMap::new(), image.format() == Format::Native, source_only)?;
    Ok(out)
}

/// The listing of every code section of an eBPF object.
pub fn object(path: &Path, bytes: &[u8], source_only: bool) -> Result<String, String> {
    let e = Elf::parse(bytes).map_err(|err| format!("{}: {err}", path.display()))?;
    let mut out = String::new();
    if !source_only {
        let _ = writeln!(out, "\n{}:\tfile format elf64-bpf", path.display());
    }
    let mut any = false;
    for s in e.sections.iter().filter(|s| s.is_alloc() && s.is_exec()) {
        any = true;
        let code = e.section_data(s).map_err(|err| format!("{}: {err}", path.display()))?;
        if code.len() % 8 != 0 {
            return Err(format!("{}: code section `{}` is not a whole number of instructions", path.display(), s.name));
        }
        let mut labels = BTreeMap::new();
        for sym in &e.symbols {
            if sym.shndx as usize == s.index
                && (sym.sym_type == elf::STT_FUNC || (sym.sym_type == elf::STT_NOTYPE && !sym.name.is_empty()))
                && sym.value % 8 == 0
            {
                labels.entry((sym.value / 8) as usize).or_insert_with(|| sym.name.clone());
            }
        }
        let mut relocs: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for rs in e.sections.iter().filter(|r| r.sh_type == elf::SHT_REL && r.info as usize == s.index) {
            for r in e.relocations(rs).map_err(|err| format!("{}: {err}", path.display()))? {
                let name = e.symbols.get(r.sym as usize).map(|sym| e.symbol_display_name(sym)).unwrap_or_default();
                relocs.entry(r.offset).or_default().push(format!("{}\t{name}", elf::reloc_type_name(r.r_type)));
            }
        }
        if source_only {
            let _ = writeln!(out, "# section {}", s.name);
        } else {
            let _ = writeln!(out, "\nDisassembly of section {}:", s.name);
        }
        lines_for(&mut out, code, &labels, &relocs, false, source_only)?;
    }
    if !any {
        return Err(format!("{}: no code section", path.display()));
    }
    Ok(out)
}
