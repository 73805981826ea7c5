//! The linking half of `femto pack`: turns a relocatable eBPF ELF object into
//! flat sections (text, rodata, data, bss size), a function table and a
//! helper allow-list, with every relocation either resolved or recorded as a
//! reference to a (region, offset) pair that the image writer turns into a
//! VM address.
//!
//! What is accepted:
//! * code: every `SHF_ALLOC|SHF_EXECINSTR` section (`.text` and named sections
//!   such as `SEC("hook")`), concatenated in section order;
//! * read-only data: `SHF_ALLOC` sections that are neither writable nor
//!   executable (`.rodata`, `.rodata.str1.1`, `.rodata.cst8`, ...);
//! * data: writable `SHT_PROGBITS` (`.data`, `.data.*`);
//! * bss: writable `SHT_NOBITS` (`.bss`, `.bss.*`);
//! * relocations `R_BPF_64_64` on `lddw` (addresses of rodata, data and bss
//!   objects), `R_BPF_64_32` on `call` (BPF-to-BPF calls, also across code
//!   sections), `R_BPF_64_ABS64` / `R_BPF_64_ABS32` inside data and rodata
//!   (pointers in initialised data);
//! * non-allocated sections (debug information, `.BTF`, `.BTF.ext`,
//!   `.llvm_addrsig`, `.comment`, ...) are ignored with their relocations.
//!
//! Everything else is refused with a message naming the section, relocation or
//! symbol: libbpf map sections, thread-local data, common symbols, undefined
//! symbols, relocations of other types or in unexpected places, the address of
//! a function taken with `lddw`.

use crate::elf::*;
use std::collections::BTreeSet;
use std::fmt;

/// Size of one eBPF instruction slot.
pub const INSN: usize = 8;

/// Data regions a relocation can point into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DataRegion {
    /// Read-only data.
    Rodata,
    /// Initialised read-write data.
    Data,
    /// Zero-initialised read-write data (placed after `Data` at run time).
    Bss,
}

impl fmt::Display for DataRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DataRegion::Rodata => "rodata",
            DataRegion::Data => "data",
            DataRegion::Bss => "bss",
        })
    }
}

/// An `lddw` whose 64-bit immediate must become the VM address of
/// `region + offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LddwRef {
    /// Instruction index (first slot of the `lddw`) in the linked text.
    pub pc: usize,
    /// Region of the target.
    pub region: DataRegion,
    /// Byte offset of the target inside its region.
    pub offset: u64,
}

/// A pointer stored in rodata or data that must become the VM address of
/// `target + target_offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataRef {
    /// Where the pointer is stored (`Rodata` or `Data`).
    pub at_region: DataRegion,
    /// Byte offset of the pointer inside `at_region`.
    pub at: u64,
    /// 8 (`R_BPF_64_ABS64`) or 4 (`R_BPF_64_ABS32`).
    pub width: u8,
    /// Region of the target.
    pub region: DataRegion,
    /// Byte offset of the target inside its region.
    pub offset: u64,
}

/// One exported function: an entry point of the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Symbol name.
    pub name: String,
    /// Instruction index in the linked text.
    pub pc: usize,
}

/// The result of linking one object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Linked {
    /// Linked code; BPF-to-BPF calls already resolved.
    pub text: Vec<u8>,
    /// Merged read-only data.
    pub rodata: Vec<u8>,
    /// Merged initialised data.
    pub data: Vec<u8>,
    /// Total size of zero-initialised data.
    pub bss_size: u64,
    /// Exported (global) functions, in text order.
    pub functions: Vec<Function>,
    /// Helper numbers called with `call imm` (src = 0), sorted, unique.
    pub helpers: Vec<u32>,
    /// `lddw` instructions to patch with VM addresses.
    pub lddw_refs: Vec<LddwRef>,
    /// Pointers in data to patch with VM addresses.
    pub data_refs: Vec<DataRef>,
    /// Code sections and where they start in `text` (name, instruction index).
    pub code_sections: Vec<(String, usize)>,
}

/// Why an object cannot be linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkError {
    /// The ELF structure itself is broken.
    Elf(ElfError),
    /// Something the container format does not support; the message names it.
    Unsupported(String),
    /// Something inconsistent in the object; the message says what.
    Invalid(String),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Elf(e) => write!(f, "{e}"),
            LinkError::Unsupported(m) => write!(f, "unsupported: {m}"),
            LinkError::Invalid(m) => write!(f, "invalid object: {m}"),
        }
    }
}

impl std::error::Error for LinkError {}

impl From<ElfError> for LinkError {
    fn from(e: ElfError) -> Self {
        LinkError::Elf(e)
    }
}

/// Where a section's contents went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// Not part of the image (debug info, symbol tables, ...).
    Ignored,
    /// Code starting at this byte offset of the text.
    Text(u64),
    /// Data starting at this byte offset of the region.
    Data(DataRegion, u64),
}

fn align_up(v: u64, a: u64) -> Option<u64> {
    let a = a.max(1);
    if !a.is_power_of_two() {
        return None;
    }
    v.checked_add(a - 1).map(|x| x & !(a - 1))
}

const SHF_TLS: u64 = 0x400;

/// Section names that mean the object was written for Linux/libbpf.
fn libbpf_hint(name: &str) -> Option<&'static str> {
    match name {
        "maps" | ".maps" => Some("libbpf maps are not available in femto-containers; use the key-value helpers (fc_kv_store / fc_kv_fetch)"),
        "license" | "version" => Some("a Linux BPF license/version section; remove the LICENSE/version declaration"),
        ".init_array" | ".fini_array" | ".ctors" | ".dtors" => Some("constructors/destructors do not run in a container"),
        _ => None,
    }
}

/// Links a relocatable eBPF object.
pub fn link(bytes: &[u8]) -> Result<Linked, LinkError> {
    let elf = Elf::parse(bytes)?;
    let mut out = Linked::default();
    let mut placement = vec![Placement::Ignored; elf.sections.len()];
    let mut rodata_size: u64 = 0;
    let mut data_size: u64 = 0;
    let mut bss_size: u64 = 0;

    // 1. Place sections.
    for s in &elf.sections {
        if s.sh_type == SHT_NULL || !s.is_alloc() {
            continue;
        }
        if let Some(hint) = libbpf_hint(&s.name) {
            return Err(LinkError::Unsupported(format!("section `{}`: {hint}", s.name)));
        }
        if s.flags & SHF_TLS != 0 {
            return Err(LinkError::Unsupported(format!("section `{}`: thread-local data", s.name)));
        }
        let too_big = || LinkError::Invalid(format!("section `{}` is too large ({} bytes)", s.name, s.size));
        if s.is_exec() {
            if s.sh_type != SHT_PROGBITS {
                return Err(LinkError::Unsupported(format!("code section `{}` of type {}", s.name, s.sh_type)));
            }
            if s.size % INSN as u64 != 0 {
                return Err(LinkError::Invalid(format!(
                    "code section `{}` is {} bytes, not a whole number of 8-byte instructions",
                    s.name, s.size
                )));
            }
            let data = elf.section_data(s)?;
            let start = out.text.len() as u64;
            out.text.extend_from_slice(data);
            if out.text.len() > u32::MAX as usize {
                return Err(too_big());
            }
            placement[s.index] = Placement::Text(start);
            out.code_sections.push((s.name.clone(), start as usize / INSN));
            continue;
        }
        let (region, size_acc) = match (s.sh_type, s.is_write()) {
            (SHT_PROGBITS, false) => (DataRegion::Rodata, &mut rodata_size),
            (SHT_PROGBITS, true) => (DataRegion::Data, &mut data_size),
            (SHT_NOBITS, true) => (DataRegion::Bss, &mut bss_size),
            (SHT_NOBITS, false) => (DataRegion::Bss, &mut bss_size),
            (t, _) => {
                return Err(LinkError::Unsupported(format!("allocated section `{}` of type {t}", s.name)));
            }
        };
        let start = align_up(*size_acc, s.align)
            .ok_or_else(|| LinkError::Invalid(format!("section `{}` has alignment {}", s.name, s.align)))?;
        let end = start.checked_add(s.size).filter(|&e| e <= u32::MAX as u64).ok_or_else(too_big)?;
        match region {
            DataRegion::Rodata | DataRegion::Data => {
                let buf = if region == DataRegion::Rodata { &mut out.rodata } else { &mut out.data };
                buf.resize(start as usize, 0);
                buf.extend_from_slice(elf.section_data(s)?);
            }
            DataRegion::Bss => {}
        }
        *size_acc = end;
        placement[s.index] = Placement::Data(region, start);
    }
    out.bss_size = bss_size;
    if out.text.is_empty() {
        return Err(LinkError::Invalid("no code: the object has no executable section".into()));
    }

    // Symbol checks: common symbols cannot be placed.
    for sym in &elf.symbols {
        if sym.shndx == SHN_COMMON {
            return Err(LinkError::Unsupported(format!(
                "common symbol `{}`: compile with -fno-common (clang's default) or initialise it",
                sym.name
            )));
        }
    }

    // Where a symbol lives: (placement of its section, value).
    let locate = |sym_idx: u32, what: &str| -> Result<(Placement, u64, String), LinkError> {
        let sym = elf.symbols.get(sym_idx as usize).ok_or_else(|| {
            LinkError::Invalid(format!("{what}: symbol index {sym_idx} outside the symbol table"))
        })?;
        let name = elf.symbol_display_name(sym);
        if sym.shndx == SHN_UNDEF {
            return Err(LinkError::Unsupported(format!(
                "{what}: undefined symbol `{name}` — a container is one object: it cannot use external functions or data (helpers are called by number)"
            )));
        }
        if sym.shndx >= 0xff00 {
            return Err(LinkError::Unsupported(format!("{what}: symbol `{name}` in special section {:#x}", sym.shndx)));
        }
        let p = placement.get(sym.shndx as usize).copied().ok_or_else(|| {
            LinkError::Invalid(format!("{what}: symbol `{name}` in section {} which does not exist", sym.shndx))
        })?;
        if p == Placement::Ignored {
            let sname = elf.sections.get(sym.shndx as usize).map(|s| s.name.clone()).unwrap_or_default();
            return Err(LinkError::Unsupported(format!(
                "{what}: symbol `{name}` lives in section `{sname}`, which is not part of a container"
            )));
        }
        Ok((p, sym.value, name))
    };

    let region_len = |r: DataRegion| match r {
        DataRegion::Rodata => out.rodata.len() as u64,
        DataRegion::Data => out.data.len() as u64,
        DataRegion::Bss => bss_size,
    };

    // 2. Apply relocations.
    let mut lddw_refs = Vec::new();
    let mut data_refs = Vec::new();
    let mut text = out.text.clone();
    let mut rodata = out.rodata.clone();
    let mut data = out.data.clone();
    for rs in &elf.sections {
        if rs.sh_type != SHT_REL && rs.sh_type != SHT_RELA {
            continue;
        }
        let target = elf.sections.get(rs.info as usize).ok_or_else(|| {
            LinkError::Invalid(format!("relocation section `{}` applies to section {} which does not exist", rs.name, rs.info))
        })?;
        let tp = placement[target.index];
        if tp == Placement::Ignored {
            continue; // relocations of debug information and the like
        }
        if rs.sh_type == SHT_RELA {
            return Err(LinkError::Unsupported(format!(
                "RELA relocation section `{}` (eBPF objects use REL)",
                rs.name
            )));
        }
        if rs.link as usize >= elf.sections.len() || elf.sections[rs.link as usize].sh_type != SHT_SYMTAB {
            return Err(LinkError::Invalid(format!("relocation section `{}` does not refer to the symbol table", rs.name)));
        }
        for r in elf.relocations(rs)? {
            let site = format!("{}+{:#x}", target.name, r.offset);
            let what = format!("{} at {site}", reloc_type_name(r.r_type));
            match tp {
                Placement::Text(base) => {
                    if r.offset % INSN as u64 != 0 || r.offset.checked_add(INSN as u64).map_or(true, |e| e > target.size) {
                        return Err(LinkError::Invalid(format!("{what}: not at an instruction inside the section")));
                    }
                    let at = (base + r.offset) as usize; // inside text: checked above
                    let pc = at / INSN;
                    let opcode = text[at];
                    let imm = i32::from_le_bytes([text[at + 4], text[at + 5], text[at + 6], text[at + 7]]);
                    match r.r_type {
                        R_BPF_64_64 => {
                            if opcode != 0x18 || r.offset + 16 > target.size {
                                return Err(LinkError::Invalid(format!("{what}: the instruction is not an lddw (opcode {opcode:#04x})")));
                            }
                            let (p, value, name) = locate(r.sym, &what)?;
                            let region = match p {
                                Placement::Data(region, start) => (region, start),
                                Placement::Text(_) => {
                                    return Err(LinkError::Unsupported(format!(
                                        "{what}: the address of code (`{name}`) is taken; function pointers are not supported"
                                    )))
                                }
                                Placement::Ignored => unreachable_ignored()?,
                            };
                            let hi = i32::from_le_bytes([text[at + 12], text[at + 13], text[at + 14], text[at + 15]]);
                            let addend = ((hi as i64) << 32) | (imm as u32 as i64);
                            let off = (region.1 as i64)
                                .checked_add(value as i64)
                                .and_then(|v| v.checked_add(addend))
                                .filter(|&v| v >= 0 && (v as u64) <= region_len(region.0))
                                .ok_or_else(|| {
                                    LinkError::Invalid(format!("{what}: `{name}`{addend:+} points outside its section"))
                                })?;
                            lddw_refs.push(LddwRef { pc, region: region.0, offset: off as u64 });
                        }
                        R_BPF_64_32 => {
                            if opcode != 0x85 {
                                return Err(LinkError::Invalid(format!("{what}: the instruction is not a call (opcode {opcode:#04x})")));
                            }
                            let (p, value, name) = locate(r.sym, &what)?;
                            let sbase = match p {
                                Placement::Text(b) => b,
                                _ => {
                                    return Err(LinkError::Unsupported(format!(
                                        "{what}: call target `{name}` is data, not code"
                                    )))
                                }
                            };
                            // As libbpf: target = st_value / 8 + imm + 1 inside the symbol's section.
                            let tgt = (sbase as i64 / INSN as i64)
                                .checked_add(value as i64 / INSN as i64)
                                .and_then(|v| v.checked_add(imm as i64 + 1))
                                .filter(|&v| v >= 0 && (v as usize) < text.len() / INSN)
                                .ok_or_else(|| LinkError::Invalid(format!("{what}: call target `{name}` outside the code")))?;
                            let rel = tgt - (pc as i64 + 1);
                            let rel = i32::try_from(rel)
                                .map_err(|_| LinkError::Invalid(format!("{what}: call distance too large")))?;
                            text[at + 1] = (text[at + 1] & 0x0f) | 0x10; // src = 1: local call
                            text[at + 4..at + 8].copy_from_slice(&rel.to_le_bytes());
                        }
                        R_BPF_NONE => {}
                        other => {
                            return Err(LinkError::Unsupported(format!(
                                "{} at {site} in code: only R_BPF_64_64 (lddw) and R_BPF_64_32 (call) are supported there",
                                reloc_type_name(other)
                            )))
                        }
                    }
                }
                Placement::Data(at_region, base) => {
                    let width: u64 = match r.r_type {
                        R_BPF_64_ABS64 => 8,
                        R_BPF_64_ABS32 => 4,
                        R_BPF_NONE => continue,
                        other => {
                            return Err(LinkError::Unsupported(format!(
                                "{} at {site} in data: only R_BPF_64_ABS64 and R_BPF_64_ABS32 are supported there",
                                reloc_type_name(other)
                            )))
                        }
                    };
                    if at_region == DataRegion::Bss {
                        return Err(LinkError::Invalid(format!("{what}: relocation inside zero-initialised section")));
                    }
                    if r.offset.checked_add(width).map_or(true, |e| e > target.size) {
                        return Err(LinkError::Invalid(format!("{what}: outside the section")));
                    }
                    let buf = if at_region == DataRegion::Rodata { &mut rodata } else { &mut data };
                    let at = (base + r.offset) as usize;
                    let addend: i64 = if width == 8 {
                        let mut a = [0u8; 8];
                        a.copy_from_slice(&buf[at..at + 8]);
                        i64::from_le_bytes(a)
                    } else {
                        u32::from_le_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]) as i64
                    };
                    let (p, value, name) = locate(r.sym, &what)?;
                    let (region, start) = match p {
                        Placement::Data(region, start) => (region, start),
                        Placement::Text(_) => {
                            return Err(LinkError::Unsupported(format!(
                                "{what}: pointer to code (`{name}`) in data; function pointers are not supported"
                            )))
                        }
                        Placement::Ignored => unreachable_ignored()?,
                    };
                    let off = (start as i64)
                        .checked_add(value as i64)
                        .and_then(|v| v.checked_add(addend))
                        .filter(|&v| v >= 0 && (v as u64) <= region_len(region))
                        .ok_or_else(|| LinkError::Invalid(format!("{what}: `{name}`{addend:+} points outside its section")))?;
                    // Clear the implicit addend; the image writer stores the address.
                    buf[at..at + width as usize].fill(0);
                    data_refs.push(DataRef { at_region, at: at as u64, width: width as u8, region, offset: off as u64 });
                }
                Placement::Ignored => {}
            }
        }
    }
    out.text = text;
    out.rodata = rodata;
    out.data = data;
    out.lddw_refs = lddw_refs;
    out.data_refs = data_refs;

    // 3. Function table: global functions in code sections.
    for sym in &elf.symbols {
        if sym.sym_type != STT_FUNC || sym.bind == STB_LOCAL || sym.shndx == SHN_UNDEF || sym.shndx >= 0xff00 {
            continue;
        }
        if let Some(Placement::Text(base)) = placement.get(sym.shndx as usize) {
            let off = base.checked_add(sym.value).filter(|o| o % INSN as u64 == 0 && *o < out.text.len() as u64);
            let off = off.ok_or_else(|| {
                LinkError::Invalid(format!("function `{}` does not start on an instruction inside its section", sym.name))
            })?;
            out.functions.push(Function { name: sym.name.clone(), pc: off as usize / INSN });
        }
    }
    out.functions.sort_by_key(|f| f.pc);
    if out.functions.is_empty() {
        return Err(LinkError::Invalid(
            "no global function: the container needs at least one non-static function as its entry point".into(),
        ));
    }

    // 4. Helper allow-list from `call imm` with src = 0; refuse other call kinds.
    let mut helpers = BTreeSet::new();
    let mut pc = 0;
    while let Some(ins) = out.text.get(pc * INSN..pc * INSN + INSN) {
        let op = ins[0];
        let src = ins[1] >> 4;
        let imm = u32::from_le_bytes([ins[4], ins[5], ins[6], ins[7]]);
        if op == 0x85 {
            match src {
                0 => {
                    helpers.insert(imm);
                }
                1 => {}
                _ => {
                    return Err(LinkError::Unsupported(format!(
                        "call with src={src} at pc {pc} (kernel function calls are Linux-only)"
                    )))
                }
            }
        }
        pc += if op == 0x18 { 2 } else { 1 };
    }
    out.helpers = helpers.into_iter().collect();
    Ok(out)
}

fn unreachable_ignored<T>() -> Result<T, LinkError> {
    Err(LinkError::Invalid("relocation against a section that is not part of the container".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal relocatable eBPF object: `.text`, `.data` (8 bytes), one
    /// relocation section (REL or RELA) for `rel_target`, `.symtab` with a
    /// section symbol for `.data` and a global function `f`, `.strtab`, `.shstrtab`.
    struct Obj {
        text: Vec<u8>,
        rel_target: usize,           // section index the relocations apply to
        rela: bool,
        relocs: Vec<(u64, u32, u32)>, // offset, symbol, type
    }

    // Section indices.
    const TEXT: usize = 1;
    const DATA: usize = 2;
    // Symbol indices.
    const SYM_DATA: u32 = 1;
    const SYM_F: u32 = 2;
    const SYM_UNDEF: u32 = 3;

    fn build(o: &Obj) -> Vec<u8> {
        let shstr = b"\0.text\0.data\0.rel\0.symtab\0.strtab\0.shstrtab\0".to_vec();
        let name = |s: &str| shstr.windows(s.len()).position(|w| w == s.as_bytes()).unwrap() as u32;
        let strtab = b"\0f\0ext\0".to_vec();
        let mut sym = vec![0u8; 24]; // null symbol
        let mut push_sym = |name: u32, info: u8, shndx: u16, value: u64| {
            let mut e = vec![0u8; 24];
            e[0..4].copy_from_slice(&name.to_le_bytes());
            e[4] = info;
            e[6..8].copy_from_slice(&shndx.to_le_bytes());
            e[8..16].copy_from_slice(&value.to_le_bytes());
            sym.extend(e);
        };
        push_sym(0, STT_SECTION, DATA as u16, 0);
        push_sym(1, (STB_GLOBAL << 4) | STT_FUNC, TEXT as u16, 0);
        push_sym(3, (STB_GLOBAL << 4) | STT_NOTYPE, SHN_UNDEF, 0);
        let entsize = if o.rela { 24 } else { 16 };
        let mut rel = Vec::new();
        for &(off, s, t) in &o.relocs {
            rel.extend(off.to_le_bytes());
            rel.extend((((s as u64) << 32) | t as u64).to_le_bytes());
            if o.rela {
                rel.extend(0u64.to_le_bytes());
            }
        }
        let data = 0u64.to_le_bytes().to_vec();
        // Contents laid out after the 64-byte header.
        let blobs: Vec<&[u8]> = vec![&o.text, &data, &rel, &sym, &strtab, &shstr];
        let mut file = vec![0u8; 64];
        let mut offs = Vec::new();
        for b in &blobs {
            while file.len() % 8 != 0 {
                file.push(0);
            }
            offs.push(file.len() as u64);
            file.extend_from_slice(b);
        }
        while file.len() % 8 != 0 {
            file.push(0);
        }
        let shoff = file.len() as u64;
        // (name, type, flags, blob, link, info, entsize)
        let rel_type = if o.rela { SHT_RELA } else { SHT_REL };
        let heads: Vec<(u32, u32, u64, usize, u32, u32, u64)> = vec![
            (name(".text"), SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, 0, 0, 0, 0),
            (name(".data"), SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, 1, 0, 0, 0),
            (name(".rel"), rel_type, 0, 2, 4, o.rel_target as u32, entsize),
            (name(".symtab"), SHT_SYMTAB, 0, 3, 5, 1, 24),
            (name(".strtab"), SHT_STRTAB, 0, 4, 0, 0, 0),
            (name(".shstrtab"), SHT_STRTAB, 0, 5, 0, 0, 0),
        ];
        file.extend([0u8; 64]); // null section header
        for (n, t, fl, b, link, info, es) in heads {
            let mut h = vec![0u8; 64];
            h[0..4].copy_from_slice(&n.to_le_bytes());
            h[4..8].copy_from_slice(&t.to_le_bytes());
            h[8..16].copy_from_slice(&fl.to_le_bytes());
            h[24..32].copy_from_slice(&offs[b].to_le_bytes());
            h[32..40].copy_from_slice(&(blobs[b].len() as u64).to_le_bytes());
            h[40..44].copy_from_slice(&link.to_le_bytes());
            h[44..48].copy_from_slice(&info.to_le_bytes());
            h[48..56].copy_from_slice(&8u64.to_le_bytes());
            h[56..64].copy_from_slice(&es.to_le_bytes());
            file.extend(h);
        }
        file[..4].copy_from_slice(b"\x7fELF");
        file[4] = 2;
        file[5] = 1;
        file[6] = 1;
        file[16..18].copy_from_slice(&ET_REL.to_le_bytes());
        file[18..20].copy_from_slice(&EM_BPF.to_le_bytes());
        file[40..48].copy_from_slice(&shoff.to_le_bytes());
        file[58..60].copy_from_slice(&64u16.to_le_bytes());
        file[60..62].copy_from_slice(&7u16.to_le_bytes());
        file[62..64].copy_from_slice(&6u16.to_le_bytes());
        file
    }

    fn ins(op: u8, regs: u8, imm: i32) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[0] = op;
        b[1] = regs;
        b[4..].copy_from_slice(&imm.to_le_bytes());
        b
    }

    /// lddw r1, <reloc>; ldxdw r0, [r1]; exit
    fn lddw_text() -> Vec<u8> {
        [ins(0x18, 1, 0), ins(0, 0, 0), ins(0x79, 0x10, 0), ins(0x95, 0, 0)].concat()
    }

    fn obj(relocs: Vec<(u64, u32, u32)>) -> Obj {
        Obj { text: lddw_text(), rel_target: TEXT, rela: false, relocs }
    }

    #[test]
    fn builder_object_links() {
        let l = link(&build(&obj(vec![(0, SYM_DATA, R_BPF_64_64)]))).unwrap();
        assert_eq!(l.functions, vec![Function { name: "f".into(), pc: 0 }]);
        assert_eq!(l.lddw_refs, vec![LddwRef { pc: 0, region: DataRegion::Data, offset: 0 }]);
        assert_eq!(l.data.len(), 8);
        assert!(l.helpers.is_empty());
        // The implicit addend in the lddw's immediate is added to the symbol.
        let mut text = lddw_text();
        text[4] = 4;
        let l = link(&build(&Obj { text, ..obj(vec![(0, SYM_DATA, R_BPF_64_64)]) })).unwrap();
        assert_eq!(l.lddw_refs[0].offset, 4);
        // ... but may not point past the end of the section.
        let mut text = lddw_text();
        text[4] = 9;
        let e = link(&build(&Obj { text, ..obj(vec![(0, SYM_DATA, R_BPF_64_64)]) })).unwrap_err();
        assert!(e.to_string().contains("points outside its section"), "{e}");
    }

    #[test]
    fn refuses_with_names() {
        let err = |o: Obj| link(&build(&o)).unwrap_err().to_string();
        let e = err(Obj { rela: true, ..obj(vec![(0, SYM_DATA, R_BPF_64_64)]) });
        assert!(e.contains("RELA relocation section `.rel`"), "{e}");
        let e = err(obj(vec![(0, SYM_DATA, 7)]));
        assert!(e.contains("relocation type 7 at .text+0x0"), "{e}");
        let e = err(obj(vec![(0, SYM_F, R_BPF_64_64)]));
        assert!(e.contains("address of code (`f`)"), "{e}");
        let e = err(obj(vec![(0, SYM_UNDEF, R_BPF_64_64)]));
        assert!(e.contains("undefined symbol `ext`"), "{e}");
        let e = err(obj(vec![(16, SYM_DATA, R_BPF_64_64)]));
        assert!(e.contains("not an lddw (opcode 0x79)"), "{e}");
        let e = err(obj(vec![(16, SYM_F, R_BPF_64_32)]));
        assert!(e.contains("not a call"), "{e}");
        let e = err(obj(vec![(3, SYM_DATA, R_BPF_64_64)]));
        assert!(e.contains("not at an instruction"), "{e}");
        let e = err(obj(vec![(0, 99, R_BPF_64_64)]));
        assert!(e.contains("symbol index 99 outside the symbol table"), "{e}");
        let e = err(Obj { rel_target: DATA, ..obj(vec![(0, SYM_F, R_BPF_64_ABS64)]) });
        assert!(e.contains("pointer to code (`f`)"), "{e}");
        let e = err(Obj { rel_target: DATA, ..obj(vec![(4, SYM_DATA, R_BPF_64_ABS64)]) });
        assert!(e.contains("outside the section"), "{e}");
        let e = err(Obj { rel_target: DATA, ..obj(vec![(0, SYM_DATA, R_BPF_64_32)]) });
        assert!(e.contains("R_BPF_64_32 at .data+0x0 in data"), "{e}");
        let e = err(Obj { text: lddw_text()[..20].to_vec(), ..obj(vec![]) });
        assert!(e.contains("not a whole number of 8-byte instructions"), "{e}");
    }

    #[test]
    fn abs32_in_data_is_linked_but_not_packed() {
        let l = link(&build(&Obj { rel_target: DATA, ..obj(vec![(0, SYM_DATA, R_BPF_64_ABS32)]) })).unwrap();
        assert_eq!(l.data_refs.len(), 1);
        assert_eq!(l.data_refs[0].width, 4);
        let e = crate::pack::pack_linked(&l, &crate::pack::PackOptions::default()).unwrap_err();
        assert!(e.contains("R_BPF_64_ABS32"), "{e}");
    }

    #[test]
    fn helper_calls_and_kfuncs() {
        let text = [ins(0x85, 0, 0x10), ins(0x85, 0, 1), ins(0x85, 0, 0x10), ins(0x95, 0, 0)].concat();
        let l = link(&build(&Obj { text, ..obj(vec![]) })).unwrap();
        assert_eq!(l.helpers, vec![1, 0x10]);
        let text = [ins(0x85, 0x20, 5), ins(0x95, 0, 0)].concat();
        let e = link(&build(&Obj { text, ..obj(vec![]) })).unwrap_err().to_string();
        assert!(e.contains("call with src=2 at pc 0"), "{e}");
    }
}
