//! Generates the benchmark programs into `OUT_DIR`:
//! - the per-instruction programs (a fixed prologue, `OPS` copies of one
//!   instruction, `exit`) and their baseline (prologue + `exit`), encoded here;
//! - the tight loop, encoded here;
//! - Fletcher32 and bubble sort, compiled from `c/*.c` with
//!   `clang -target bpf -O2` (clang from `$CLANG`, default `clang`); the
//!   program is the object's `.text`, which must carry no relocations.
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Copies of the measured instruction in each per-instruction program.
const OPS: usize = 1000;
/// Iterations of the tight loop (3 instructions each).
const LOOP_ITERATIONS: i32 = 10_000;

fn insn(op: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let o = off.to_le_bytes();
    let i = imm.to_le_bytes();
    [op, (src << 4) | dst, o[0], o[1], i[0], i[1], i[2], i[3]]
}

// RFC 9669 opcodes used below.
const MOV64_IMM: u8 = 0xb7;
const ADD64_IMM: u8 = 0x07;
const ADD64_REG: u8 = 0x0f;
const SUB64_IMM: u8 = 0x17;
const DIV64_REG: u8 = 0x3f;
const LDXDW: u8 = 0x79;
const STXDW: u8 = 0x7b;
const JA: u8 = 0x05;
const JEQ_IMM: u8 = 0x15;
const JEQ32_IMM: u8 = 0x16;
const JNE_IMM: u8 = 0x55;
const CALL: u8 = 0x85;
const EXIT: u8 = 0x95;

/// Helper number called by the `call` program (the benchmark registers it).
const BENCH_HELPER: i32 = 1;

fn per_op_program(op: Option<[u8; 8]>) -> Vec<u8> {
    let mut p = Vec::new();
    // Prologue, identical in every program so that it cancels out:
    // r0 = 1000000007 (stays constant under `div r0, r1`), r1 = 1,
    // *(u64 *)(r10 - 8) = r1.
    p.extend(insn(MOV64_IMM, 0, 0, 0, 1_000_000_007));
    p.extend(insn(MOV64_IMM, 1, 0, 0, 1));
    p.extend(insn(STXDW, 10, 1, -8, 0));
    if let Some(op) = op {
        for _ in 0..OPS {
            p.extend(op);
        }
    }
    p.extend(insn(EXIT, 0, 0, 0, 0));
    p
}

fn loop_program() -> Vec<u8> {
    let mut p = Vec::new();
    p.extend(insn(MOV64_IMM, 0, 0, 0, 0));
    p.extend(insn(MOV64_IMM, 1, 0, 0, LOOP_ITERATIONS));
    p.extend(insn(ADD64_REG, 0, 1, 0, 0)); // loop: r0 += r1
    p.extend(insn(SUB64_IMM, 1, 0, 0, 1)); //       r1 -= 1
    p.extend(insn(JNE_IMM, 1, 0, -3, 0)); //       if r1 != 0 goto loop
    p.extend(insn(EXIT, 0, 0, 0, 0));
    p
}

fn u16_at(b: &[u8], at: usize) -> usize {
    u16::from_le_bytes([b[at], b[at + 1]]) as usize
}
fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize
}
fn u64_at(b: &[u8], at: usize) -> usize {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize
}

/// The `.text` of a little-endian ELF64 relocatable object; panics (fails the
/// build) if `.text` is missing or has relocations.
fn elf_text(obj: &[u8], what: &Path) -> Vec<u8> {
    assert!(
        obj.len() > 64 && &obj[0..4] == b"\x7fELF" && obj[4] == 2 && obj[5] == 1,
        "{}: not a little-endian ELF64 object",
        what.display()
    );
    let shoff = u64_at(obj, 0x28);
    let shentsize = u16_at(obj, 0x3a);
    let shnum = u16_at(obj, 0x3c);
    let shstrndx = u16_at(obj, 0x3e);
    let sh = |i: usize| shoff + i * shentsize;
    let strtab_off = u64_at(obj, sh(shstrndx) + 0x18);
    let name = |i: usize| {
        let start = strtab_off + u32_at(obj, sh(i));
        let end = start + obj[start..].iter().position(|&c| c == 0).unwrap();
        String::from_utf8_lossy(&obj[start..end]).into_owned()
    };
    let mut text = None;
    for i in 0..shnum {
        let n = name(i);
        let kind = u32_at(obj, sh(i) + 4);
        if (kind == 9 || kind == 4) && n.ends_with(".text") {
            panic!(
                "{}: .text has relocations ({n}); the benchmark programs must be self-contained",
                what.display()
            );
        }
        if n == ".text" {
            let off = u64_at(obj, sh(i) + 0x18);
            let size = u64_at(obj, sh(i) + 0x20);
            text = Some(obj[off..off + size].to_vec());
        }
    }
    text.unwrap_or_else(|| panic!("{}: no .text section", what.display()))
}

fn compile_c(src: &Path, out_dir: &Path) -> Vec<u8> {
    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let stem = src.file_stem().unwrap().to_string_lossy().into_owned();
    let obj = out_dir.join(format!("{stem}.o"));
    let status = Command::new(&clang)
        .args([
            "-target",
            "bpf",
            "-O2",
            "-ffreestanding",
            "-fno-builtin",
            "-c",
        ])
        .arg(src)
        .arg("-o")
        .arg(&obj)
        .status()
        .unwrap_or_else(|e| {
            panic!("cannot run {clang} (needed to compile the eBPF benchmark programs): {e}")
        });
    assert!(status.success(), "{clang} failed on {}", src.display());
    elf_text(&fs::read(&obj).unwrap(), src)
}

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CLANG");

    let per_op: [(&str, Option<[u8; 8]>); 10] = [
        ("baseline", None),
        ("add_imm", Some(insn(ADD64_IMM, 0, 0, 0, 1))),
        ("add_reg", Some(insn(ADD64_REG, 0, 1, 0, 0))),
        ("ldxdw", Some(insn(LDXDW, 2, 10, -8, 0))),
        ("stxdw", Some(insn(STXDW, 10, 1, -8, 0))),
        ("jeq_taken", Some(insn(JEQ_IMM, 1, 0, 0, 1))),
        ("jeq32_taken", Some(insn(JEQ32_IMM, 1, 0, 0, 1))),
        ("ja", Some(insn(JA, 0, 0, 0, 0))),
        ("call", Some(insn(CALL, 0, 0, 0, BENCH_HELPER))),
        ("div64", Some(insn(DIV64_REG, 0, 1, 0, 0))),
    ];
    for (name, op) in per_op {
        fs::write(out_dir.join(format!("{name}.bin")), per_op_program(op)).unwrap();
    }
    fs::write(out_dir.join("loop.bin"), loop_program()).unwrap();
    for c in ["fletcher32", "bubble_sort"] {
        let src = manifest.join("c").join(format!("{c}.c"));
        println!("cargo:rerun-if-changed={}", src.display());
        fs::write(out_dir.join(format!("{c}.bin")), compile_c(&src, &out_dir)).unwrap();
    }
    fs::write(
        out_dir.join("params.rs"),
        format!(
            "/// Copies of the measured instruction in each per-instruction program.\n\
             pub const OPS: usize = {OPS};\n\
             /// Iterations of [`LOOP`] (3 instructions each, plus 3 outside the loop).\n\
             pub const LOOP_ITERATIONS: u64 = {LOOP_ITERATIONS};\n\
             /// The helper number the `call` program calls.\n\
             pub const BENCH_HELPER: u32 = {BENCH_HELPER};\n"
        ),
    )
    .unwrap();
}
