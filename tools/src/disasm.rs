//! Disassembler: RFC 9669 instruction bytes → an llvm-objdump-like listing in the syntax that
//! [`crate::asm`] accepts.
//!
//! Every line's text re-assembles to exactly the bytes it was decoded from: an instruction is
//! printed as a mnemonic only when its encoding is the canonical one for that mnemonic (all
//! unused fields zero); anything else (unknown opcodes, nonzero reserved fields, an `LDDW`
//! without a valid second slot) is printed as a raw `.quad 0x…` slot. Thus
//! `assemble(source(bytes)) == bytes` for every byte string whose length is a multiple of 8.

use crate::asm::{assemble_line, class, mode, size, Insn, INSN_SIZE, SRC_X};
use std::fmt::Write as _;

/// One listing line: one instruction (two slots for `LDDW`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Index of the first slot (the pc, in 8-byte slots).
    pub pc: usize,
    /// The raw bytes (8, or 16 for `LDDW`).
    pub bytes: Vec<u8>,
    /// Assembly text, accepted by [`crate::asm::assemble`].
    pub text: String,
    /// For jumps and local calls: the absolute slot index of the target.
    pub target: Option<i64>,
}

/// Error: the byte string is not a whole number of instruction slots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisasmError {
    /// Length of the input in bytes.
    pub len: usize,
}

impl std::fmt::Display for DisasmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "program length {} bytes is not a multiple of {} (one instruction slot)",
            self.len, INSN_SIZE
        )
    }
}

impl std::error::Error for DisasmError {}

/// Decodes `bytes` into listing lines.
pub fn disassemble(bytes: &[u8]) -> Result<Vec<Line>, DisasmError> {
    let insns = crate::asm::from_bytes(bytes).ok_or(DisasmError { len: bytes.len() })?;
    let mut out = Vec::new();
    let mut pc = 0;
    while pc < insns.len() {
        let first = insns[pc];
        if first.opcode == class::LD | mode::IMM | size::DW {
            if let Some(&second) = insns.get(pc + 1) {
                let value = (first.imm as u32 as u64) | ((second.imm as u32 as u64) << 32);
                let text = format!("lddw {}, {:#x}", reg(first.dst), value);
                if assemble_line(&text).as_deref() == Some(&[first, second][..]) {
                    out.push(Line {
                        pc,
                        bytes: bytes[pc * INSN_SIZE..(pc + 2) * INSN_SIZE].to_vec(),
                        text,
                        target: None,
                    });
                    pc += 2;
                    continue;
                }
            }
        }
        let (text, target) = match decode(first) {
            Some((text, rel)) if assemble_line(&text).as_deref() == Some(&[first][..]) => {
                (text, rel.map(|r| pc as i64 + 1 + r))
            }
            _ => (raw(first), None),
        };
        out.push(Line {
            pc,
            bytes: bytes[pc * INSN_SIZE..(pc + 1) * INSN_SIZE].to_vec(),
            text,
            target,
        });
        pc += 1;
    }
    Ok(out)
}

/// Assembly source for `bytes` (one instruction per line, no addresses), which
/// [`crate::asm::assemble`] turns back into exactly `bytes`.
pub fn source(bytes: &[u8]) -> Result<String, DisasmError> {
    let mut s = String::new();
    for l in disassemble(bytes)? {
        s.push_str(&l.text);
        s.push('\n');
    }
    Ok(s)
}

/// An llvm-objdump-style listing: `pc:` (in slots), the raw bytes, the instruction, and for
/// jumps a `<pc N>` note naming the target slot.
pub fn listing(bytes: &[u8]) -> Result<String, DisasmError> {
    let mut s = String::new();
    for l in disassemble(bytes)? {
        let hex: Vec<String> = l.bytes.iter().map(|b| format!("{:02x}", b)).collect();
        let _ = write!(s, "{:>8}:\t{}\t{}", l.pc, hex.join(" "), l.text);
        if let Some(t) = l.target {
            let _ = write!(s, " <pc {}>", t);
        }
        s.push('\n');
    }
    Ok(s)
}

fn reg(r: u8) -> String {
    format!("%r{}", r)
}

fn raw(i: Insn) -> String {
    format!(".quad {:#018x}", i.to_u64())
}

fn memop(r: u8, off: i16) -> String {
    if off < 0 {
        format!("[%r{}-{}]", r, -(off as i32))
    } else {
        format!("[%r{}+{}]", r, off)
    }
}

fn rel(off: i64) -> String {
    if off < 0 {
        format!("{}", off)
    } else {
        format!("+{}", off)
    }
}

fn size_suffix(opcode: u8) -> &'static str {
    match opcode & 0x18 {
        size::B => "b",
        size::H => "h",
        size::W => "w",
        _ => "dw",
    }
}

/// Best-effort text for one slot plus the relative jump offset (if any). The caller checks that
/// the text re-encodes to the same slot.
fn decode(i: Insn) -> Option<(String, Option<i64>)> {
    let cls = i.opcode & 0x07;
    let op = i.opcode & 0xf0;
    let x = i.opcode & SRC_X != 0;
    match cls {
        class::ALU | class::ALU64 => {
            let sfx = if cls == class::ALU { "32" } else { "" };
            let name = match (op, i.off) {
                (0x00, _) => "add",
                (0x10, _) => "sub",
                (0x20, _) => "mul",
                (0x30, 1) => "sdiv",
                (0x30, _) => "div",
                (0x40, _) => "or",
                (0x50, _) => "and",
                (0x60, _) => "lsh",
                (0x70, _) => "rsh",
                (0x80, _) => return Some((format!("neg{} {}", sfx, reg(i.dst)), None)),
                (0x90, 1) => "smod",
                (0x90, _) => "mod",
                (0xa0, _) => "xor",
                (0xb0, 8 | 16 | 32) if x => {
                    let w = if cls == class::ALU { 32 } else { 64 };
                    return Some((
                        format!("movsx{}{} {}, {}", i.off, w, reg(i.dst), reg(i.src)),
                        None,
                    ));
                }
                (0xb0, _) => "mov",
                (0xc0, _) => "arsh",
                (0xd0, _) => {
                    let name = match (cls, x) {
                        (class::ALU, false) => "le",
                        (class::ALU, true) => "be",
                        _ => "bswap",
                    };
                    return Some((format!("{}{} {}", name, i.imm, reg(i.dst)), None));
                }
                _ => return None,
            };
            let src = if x { reg(i.src) } else { i.imm.to_string() };
            Some((format!("{}{} {}, {}", name, sfx, reg(i.dst), src), None))
        }
        class::JMP | class::JMP32 => {
            let sfx = if cls == class::JMP32 { "32" } else { "" };
            let name = match op {
                0x00 if cls == class::JMP => {
                    return Some((format!("ja {}", rel(i.off as i64)), Some(i.off as i64)))
                }
                0x00 => return Some((format!("ja32 {}", rel(i.imm as i64)), Some(i.imm as i64))),
                0x80 if cls == class::JMP => {
                    return Some(match (x, i.src) {
                        (true, _) => (format!("call {}", reg(i.dst)), None),
                        (false, 1) => (format!("call local {}", rel(i.imm as i64)), Some(i.imm as i64)),
                        (false, 2) => (format!("call runtime {}", i.imm), None),
                        _ => (format!("call {}", i.imm), None),
                    })
                }
                0x90 if cls == class::JMP => return Some(("exit".to_string(), None)),
                0x10 => "jeq",
                0x20 => "jgt",
                0x30 => "jge",
                0x40 => "jset",
                0x50 => "jne",
                0x60 => "jsgt",
                0x70 => "jsge",
                0xa0 => "jlt",
                0xb0 => "jle",
                0xc0 => "jslt",
                0xd0 => "jsle",
                _ => return None,
            };
            let src = if x { reg(i.src) } else { i.imm.to_string() };
            Some((
                format!("{}{} {}, {}, {}", name, sfx, reg(i.dst), src, rel(i.off as i64)),
                Some(i.off as i64),
            ))
        }
        class::LDX => {
            let s = size_suffix(i.opcode);
            let name = match i.opcode & 0xe0 {
                mode::MEM => format!("ldx{}", s),
                mode::MEMSX => format!("ldxs{}", s),
                _ => return None,
            };
            Some((format!("{} {}, {}", name, reg(i.dst), memop(i.src, i.off)), None))
        }
        class::ST => {
            if i.opcode & 0xe0 != mode::MEM {
                return None;
            }
            Some((
                format!("st{} {}, {}", size_suffix(i.opcode), memop(i.dst, i.off), i.imm),
                None,
            ))
        }
        class::STX => match i.opcode & 0xe0 {
            mode::MEM => Some((
                format!("stx{} {}, {}", size_suffix(i.opcode), memop(i.dst, i.off), reg(i.src)),
                None,
            )),
            mode::ATOMIC => {
                let w = if i.opcode & 0x18 == size::W { "32" } else { "" };
                let (fetch, name) = match i.imm {
                    0x00 => ("", "add"),
                    0x01 => ("fetch ", "add"),
                    0x40 => ("", "or"),
                    0x41 => ("fetch ", "or"),
                    0x50 => ("", "and"),
                    0x51 => ("fetch ", "and"),
                    0xa0 => ("", "xor"),
                    0xa1 => ("fetch ", "xor"),
                    0xe1 => ("", "xchg"),
                    0xf1 => ("", "cmpxchg"),
                    _ => return None,
                };
                Some((
                    format!("lock {}{}{} {}, {}", fetch, name, w, memop(i.dst, i.off), reg(i.src)),
                    None,
                ))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::asm::assemble_to_bytes;

    #[test]
    fn listing_looks_like_objdump() {
        let bytes = assemble_to_bytes("lddw %r1, 0x1122334455667788\nja +0\nexit").unwrap();
        let l = listing(&bytes).unwrap();
        assert_eq!(
            l,
            "       0:\t18 01 00 00 88 77 66 55 00 00 00 00 44 33 22 11\tlddw %r1, 0x1122334455667788\n\
             \x20      2:\t05 00 00 00 00 00 00 00\tja +0 <pc 3>\n\
             \x20      3:\t95 00 00 00 00 00 00 00\texit\n"
        );
    }

    #[test]
    fn non_canonical_encodings_are_raw() {
        // add with a nonzero offset field, an unknown opcode, a lone lddw.
        let bytes = [
            0x07, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, //
            0xff, 0, 0, 0, 0, 0, 0, 0, //
            0x18, 0, 0, 0, 0, 0, 0, 0,
        ];
        let s = source(&bytes).unwrap();
        assert!(s.lines().all(|l| l.starts_with(".quad")), "{s}");
        assert_eq!(assemble_to_bytes(&s).unwrap(), bytes);
    }

    #[test]
    fn rejects_partial_slot() {
        assert_eq!(disassemble(&[0x95, 0]).unwrap_err(), DisasmError { len: 2 });
    }

    /// Property: random byte strings survive disassemble → assemble unchanged.
    #[test]
    fn round_trip_random_bytes() {
        let mut state = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        // Bias the opcode towards valid ones and registers towards 0..=10.
        for _ in 0..3000 {
            let n = (next() % 12) as usize;
            let mut bytes = Vec::new();
            for _ in 0..n {
                let r = next();
                let mut b = r.to_le_bytes();
                if r & 0x100 != 0 {
                    b[1] &= 0x77;
                }
                if r & 0x200 != 0 {
                    b[2] = 0;
                    b[3] = 0;
                }
                if r & 0x400 != 0 {
                    b[1] &= 0x0f;
                }
                bytes.extend_from_slice(&b);
            }
            let s = source(&bytes).unwrap();
            assert_eq!(assemble_to_bytes(&s).unwrap(), bytes, "{s}");
        }
    }
}
