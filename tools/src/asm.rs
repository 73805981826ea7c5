//! Assembler for the bpf_conformance assembly syntax, producing RFC 9669 encoded instructions.
//!
//! # Syntax
//!
//! One instruction per line; `#` starts a comment; blank lines are ignored. A line may start
//! with a label (`name:`), optionally followed by an instruction. Registers are written `%r0`
//! … `%r10` (`r0` … `r10` are accepted too). Memory operands are `[%rN]`, `[%rN+OFF]` or
//! `[%rN-OFF]`. Numbers are decimal or hexadecimal (`0x…`), optionally signed.
//!
//! | form | encoding |
//! |---|---|
//! | `add %r1, %r2` / `add %r1, 5` (also `sub mul div sdiv or and lsh rsh mod smod xor mov arsh`) | ALU64; a `32` suffix selects ALU (32-bit), a `64` suffix is accepted |
//! | `neg %r1`, `neg32 %r1` | ALU64 / ALU `NEG` |
//! | `movsx832 %r1, %r2`, `movsx1632`, `movsx864`, `movsx1664`, `movsx3264` | `MOVSX`: source width then operation width |
//! | `le16 %r1`, `le32`, `le64`, `be16`, `be32`, `be64` | ALU `END` (to little / big endian) |
//! | `bswap16 %r1` … `bswap64` (alias `swap16` … `swap64`) | ALU64 `END` (unconditional byte swap) |
//! | `ja LABEL` / `ja +N` | JMP `JA` with a 16-bit offset |
//! | `ja32 LABEL`, `gotol LABEL` | JMP32 `JA` with a 32-bit offset in `imm` |
//! | `jeq %r1, %r2, LABEL` / `jeq %r1, 5, +N` (also `jgt jge jset jne jsgt jsge jlt jle jslt jsle`) | JMP; `32` suffix selects JMP32 |
//! | `call N`, `call helper N` | `CALL` src=0 (helper by number) |
//! | `call local LABEL` / `call local +N` | `CALL` src=1 (BPF-to-BPF call, pc-relative `imm`) |
//! | `call runtime N` | `CALL` src=2 (helper by BTF id) |
//! | `call %rN` | `CALL | X` with the helper number in register N (not part of RFC 9669) |
//! | `exit` | `EXIT` |
//! | `lddw %r1, IMM64` | two-slot `LDDW` |
//! | `ldxb %r0, [%r1+2]` (also `ldxh ldxw ldxdw`) | LDX `MEM` |
//! | `ldxsb %r0, [%r1+2]` (also `ldxsh ldxsw`) | LDX `MEMSX` (sign-extending) |
//! | `stb [%r10-1], IMM` (also `sth stw stdw`) | ST `MEM` |
//! | `stxb [%r10-1], %r1` (also `stxh stxw stxdw`) | STX `MEM` |
//! | `lock [fetch] add [%r10-8], %r1` (also `or and xor`), `lock xchg …`, `lock cmpxchg …`, each with a `32` suffix for 32-bit | STX `ATOMIC` |
//! | `.quad 0x…` | one raw instruction slot, written as the little-endian 64-bit word whose low byte is the opcode (the `-- raw` convention) |
//!
//! A jump target is a label or a signed offset (`+N` / `-N`, in instruction slots, relative to
//! the next instruction). As in bpf_conformance, the label `exit`, when not defined explicitly,
//! names the first `exit` instruction.
//!
//! Ranges are checked: a 32-bit immediate is a signed decimal number in `i32` range or a
//! hexadecimal bit pattern up to `0xffffffff`; a 16-bit offset is in `i16` range; `lddw` takes
//! any value from `-2^63` to `2^64-1`. Errors carry the 1-based line number.

use std::collections::HashMap;
use std::fmt;

/// Size of one instruction slot in bytes.
pub const INSN_SIZE: usize = 8;

/// Instruction classes (RFC 9669 §3.1), the low three bits of the opcode (from `femto_vm::isa`).
pub mod class {
    use femto_vm::isa;
    /// Non-standard load operations (here: `LDDW`).
    pub const LD: u8 = isa::CLASS_LD;
    /// Load into register.
    pub const LDX: u8 = isa::CLASS_LDX;
    /// Store from immediate.
    pub const ST: u8 = isa::CLASS_ST;
    /// Store from register.
    pub const STX: u8 = isa::CLASS_STX;
    /// 32-bit arithmetic.
    pub const ALU: u8 = isa::CLASS_ALU;
    /// 64-bit jumps.
    pub const JMP: u8 = isa::CLASS_JMP;
    /// 32-bit jumps.
    pub const JMP32: u8 = isa::CLASS_JMP32;
    /// 64-bit arithmetic.
    pub const ALU64: u8 = isa::CLASS_ALU64;
}

/// Source bit of arithmetic and jump opcodes: `K` uses `imm`, `X` uses the source register.
pub const SRC_X: u8 = femto_vm::isa::SRC_X;

/// Load/store size field (RFC 9669 §5.1).
pub mod size {
    use femto_vm::isa;
    /// 4 bytes.
    pub const W: u8 = isa::SIZE_W;
    /// 2 bytes.
    pub const H: u8 = isa::SIZE_H;
    /// 1 byte.
    pub const B: u8 = isa::SIZE_B;
    /// 8 bytes.
    pub const DW: u8 = isa::SIZE_DW;
}

/// Load/store mode field (RFC 9669 §5.1).
pub mod mode {
    use femto_vm::isa;
    /// 64-bit immediate (`LDDW`).
    pub const IMM: u8 = isa::MODE_IMM;
    /// Regular load / store.
    pub const MEM: u8 = isa::MODE_MEM;
    /// Sign-extending load.
    pub const MEMSX: u8 = isa::MODE_MEMSX;
    /// Atomic operation.
    pub const ATOMIC: u8 = isa::MODE_ATOMIC;
}

/// Atomic operation codes carried in `imm` (RFC 9669 §5.3).
pub mod atomic {
    use femto_vm::isa;
    /// Atomic add.
    pub const ADD: i32 = isa::ATOMIC_ADD;
    /// Atomic or.
    pub const OR: i32 = isa::ATOMIC_OR;
    /// Atomic and.
    pub const AND: i32 = isa::ATOMIC_AND;
    /// Atomic xor.
    pub const XOR: i32 = isa::ATOMIC_XOR;
    /// Modifier: return the old value in the source register.
    pub const FETCH: i32 = isa::ATOMIC_FETCH;
    /// Atomic exchange (always fetches).
    pub const XCHG: i32 = isa::ATOMIC_XCHG;
    /// Atomic compare and exchange (always fetches, into r0).
    pub const CMPXCHG: i32 = isa::ATOMIC_CMPXCHG;
}

/// One 8-byte instruction slot, decoded into its fields (RFC 9669 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Insn {
    /// Operation code.
    pub opcode: u8,
    /// Destination register number (4 bits).
    pub dst: u8,
    /// Source register number (4 bits).
    pub src: u8,
    /// Signed 16-bit offset.
    pub off: i16,
    /// Signed 32-bit immediate.
    pub imm: i32,
}

impl Insn {
    /// The instruction's 8 bytes in the little-endian encoding.
    pub fn to_bytes(self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.opcode,
            (self.src << 4) | (self.dst & 0x0f),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }

    /// Decodes 8 little-endian bytes.
    pub fn from_bytes(b: [u8; 8]) -> Self {
        Insn {
            opcode: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// The slot as a 64-bit word whose low byte is the opcode (bpf_conformance `-- raw` style).
    pub fn to_u64(self) -> u64 {
        u64::from_le_bytes(self.to_bytes())
    }

    /// Inverse of [`Insn::to_u64`].
    pub fn from_u64(w: u64) -> Self {
        Self::from_bytes(w.to_le_bytes())
    }
}

/// Concatenates the encodings of `insns`.
pub fn to_bytes(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.to_bytes()).collect()
}

/// Splits `bytes` into instruction slots; `None` when the length is not a multiple of 8.
pub fn from_bytes(bytes: &[u8]) -> Option<Vec<Insn>> {
    if bytes.len() % INSN_SIZE != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(INSN_SIZE)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                Insn::from_bytes(a)
            })
            .collect(),
    )
}

/// An assembly error: what is wrong and on which (1-based) line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    /// 1-based line number in the source text.
    pub line: usize,
    /// Description of the problem.
    pub message: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for AsmError {}

/// Assembles `source` into instruction slots.
pub fn assemble(source: &str) -> Result<Vec<Insn>, AsmError> {
    Assembler::default().run(source)
}

/// Assembles `source` into its byte encoding.
pub fn assemble_to_bytes(source: &str) -> Result<Vec<u8>, AsmError> {
    assemble(source).map(|v| to_bytes(&v))
}

/// Where a pending label reference goes.
#[derive(Clone, Copy)]
enum Field {
    Off16,
    Imm32,
}

struct Fixup {
    slot: usize,
    label: String,
    line: usize,
    field: Field,
}

#[derive(Default)]
struct Assembler {
    out: Vec<Insn>,
    labels: HashMap<String, usize>,
    first_exit: Option<usize>,
    fixups: Vec<Fixup>,
}

type R<T> = Result<T, String>;

impl Assembler {
    fn run(mut self, source: &str) -> Result<Vec<Insn>, AsmError> {
        for (i, raw_line) in source.lines().enumerate() {
            let line_no = i + 1;
            self.line(raw_line, line_no).map_err(|message| AsmError {
                line: line_no,
                message,
            })?;
        }
        let fixups = std::mem::take(&mut self.fixups);
        for f in fixups {
            let target = match self.labels.get(&f.label) {
                Some(&t) => t,
                None if f.label == "exit" && self.first_exit.is_some() => {
                    self.first_exit.unwrap_or(0)
                }
                None => {
                    return Err(AsmError {
                        line: f.line,
                        message: format!("invalid label '{}': not defined", f.label),
                    })
                }
            };
            let rel = target as i64 - (f.slot as i64 + 1);
            let insn = &mut self.out[f.slot];
            match f.field {
                Field::Off16 => {
                    insn.off = i16::try_from(rel).map_err(|_| AsmError {
                        line: f.line,
                        message: format!(
                            "jump to '{}' is {} slots away, outside the 16-bit offset range",
                            f.label, rel
                        ),
                    })?
                }
                Field::Imm32 => {
                    insn.imm = i32::try_from(rel).map_err(|_| AsmError {
                        line: f.line,
                        message: format!("target '{}' out of the 32-bit range", f.label),
                    })?
                }
            }
        }
        Ok(self.out)
    }

    fn line(&mut self, raw: &str, line_no: usize) -> R<()> {
        let mut text = match raw.find('#') {
            Some(p) => &raw[..p],
            None => raw,
        }
        .trim();
        // Leading label.
        if let Some(colon) = text.find(':') {
            let name = text[..colon].trim();
            if !is_identifier(name) {
                return Err(format!("invalid label name '{}'", name));
            }
            if self.labels.insert(name.to_string(), self.out.len()).is_some() {
                return Err(format!("duplicate label '{}'", name));
            }
            text = text[colon + 1..].trim();
        }
        if text.is_empty() {
            return Ok(());
        }
        let (mnemonic, rest) = match text.find(char::is_whitespace) {
            Some(p) => (&text[..p], text[p..].trim()),
            None => (text, ""),
        };
        if mnemonic == "lock" {
            return self.lock(rest);
        }
        if mnemonic == "call" {
            return self.call(rest, line_no);
        }
        let ops: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.split(',').map(str::trim).collect()
        };
        if ops.iter().any(|o| o.is_empty()) {
            return Err(format!("empty operand in '{}'", text));
        }
        self.insn(mnemonic, &ops, line_no)
    }

    fn expect(mnemonic: &str, ops: &[&str], n: usize) -> R<()> {
        if ops.len() != n {
            Err(format!(
                "invalid number of operands for '{}': expected {}, got {}",
                mnemonic,
                n,
                ops.len()
            ))
        } else {
            Ok(())
        }
    }

    fn push(&mut self, i: Insn) {
        self.out.push(i);
    }

    fn target(&mut self, t: &str, field: Field, line: usize) -> R<i64> {
        if t.starts_with('+') || t.starts_with('-') {
            let v = parse_int(t)?.0;
            let ok = match field {
                Field::Off16 => (i16::MIN as i128..=i16::MAX as i128).contains(&v),
                Field::Imm32 => (i32::MIN as i128..=i32::MAX as i128).contains(&v),
            };
            if !ok {
                return Err(format!("jump offset {} out of range", t));
            }
            Ok(v as i64)
        } else if is_identifier(t) {
            self.fixups.push(Fixup {
                slot: self.out.len(),
                label: t.to_string(),
                line,
                field,
            });
            Ok(0)
        } else {
            Err(format!("invalid jump target '{}'", t))
        }
    }

    fn insn(&mut self, m: &str, ops: &[&str], line: usize) -> R<()> {
        // Directive: raw slot.
        if m == ".quad" {
            Self::expect(m, ops, 1)?;
            let v = parse_int(ops[0])?.0;
            if !(0..=u64::MAX as i128).contains(&v) {
                return Err(format!(".quad value {} out of range", ops[0]));
            }
            self.push(Insn::from_u64(v as u64));
            return Ok(());
        }
        if m.starts_with('.') {
            return Err(format!("unknown directive '{}'", m));
        }
        if m == "exit" {
            Self::expect(m, ops, 0)?;
            if self.first_exit.is_none() {
                self.first_exit = Some(self.out.len());
            }
            self.push(Insn {
                opcode: class::JMP | 0x90,
                ..Default::default()
            });
            return Ok(());
        }
        if m == "ja" {
            Self::expect(m, ops, 1)?;
            let off = self.target(ops[0], Field::Off16, line)?;
            self.push(Insn {
                opcode: class::JMP,
                off: off as i16,
                ..Default::default()
            });
            return Ok(());
        }
        if m == "ja32" || m == "gotol" {
            Self::expect(m, ops, 1)?;
            let imm = self.target(ops[0], Field::Imm32, line)?;
            self.push(Insn {
                opcode: class::JMP32,
                imm: imm as i32,
                ..Default::default()
            });
            return Ok(());
        }
        if m == "lddw" {
            Self::expect(m, ops, 2)?;
            let dst = reg(ops[0])?;
            let v = imm64(ops[1])?;
            self.push(Insn {
                opcode: class::LD | mode::IMM | size::DW,
                dst,
                imm: v as u32 as i32,
                ..Default::default()
            });
            self.push(Insn {
                imm: (v >> 32) as u32 as i32,
                ..Default::default()
            });
            return Ok(());
        }
        if let Some(sz) = mem_size(m, "ldxs") {
            if sz == size::DW {
                return Err(format!("invalid mnemonic '{}'", m));
            }
            Self::expect(m, ops, 2)?;
            let dst = reg(ops[0])?;
            let (src, off) = mem(ops[1])?;
            self.push(Insn {
                opcode: class::LDX | mode::MEMSX | sz,
                dst,
                src,
                off,
                imm: 0,
            });
            return Ok(());
        }
        if let Some(sz) = mem_size(m, "ldx") {
            Self::expect(m, ops, 2)?;
            let dst = reg(ops[0])?;
            let (src, off) = mem(ops[1])?;
            self.push(Insn {
                opcode: class::LDX | mode::MEM | sz,
                dst,
                src,
                off,
                imm: 0,
            });
            return Ok(());
        }
        if let Some(sz) = mem_size(m, "stx") {
            Self::expect(m, ops, 2)?;
            let (dst, off) = mem(ops[0])?;
            let src = reg(ops[1])?;
            self.push(Insn {
                opcode: class::STX | mode::MEM | sz,
                dst,
                src,
                off,
                imm: 0,
            });
            return Ok(());
        }
        if let Some(sz) = mem_size(m, "st") {
            Self::expect(m, ops, 2)?;
            let (dst, off) = mem(ops[0])?;
            let imm = imm32(ops[1])?;
            self.push(Insn {
                opcode: class::ST | mode::MEM | sz,
                dst,
                src: 0,
                off,
                imm,
            });
            return Ok(());
        }
        // Byte swaps.
        for (prefix, opcode) in [
            ("le", class::ALU | 0xd0),
            ("be", class::ALU | SRC_X | 0xd0),
            ("bswap", class::ALU64 | 0xd0),
            ("swap", class::ALU64 | 0xd0),
        ] {
            if let Some(w) = m.strip_prefix(prefix) {
                if matches!(w, "16" | "32" | "64") {
                    Self::expect(m, ops, 1)?;
                    let dst = reg(ops[0])?;
                    self.push(Insn {
                        opcode,
                        dst,
                        imm: w.parse::<i32>().unwrap_or(0),
                        ..Default::default()
                    });
                    return Ok(());
                }
            }
        }
        // Sign-extending moves: movsx{8,16,32}{32,64}.
        if let Some(rest) = m.strip_prefix("movsx") {
            let (from, cls) = match rest {
                "832" => (8, class::ALU),
                "1632" => (16, class::ALU),
                "864" => (8, class::ALU64),
                "1664" => (16, class::ALU64),
                "3264" => (32, class::ALU64),
                _ => return Err(format!("invalid mnemonic '{}'", m)),
            };
            Self::expect(m, ops, 2)?;
            let dst = reg(ops[0])?;
            let src = reg(ops[1]).map_err(|e| format!("{} (movsx takes a register source)", e))?;
            self.push(Insn {
                opcode: cls | SRC_X | 0xb0,
                dst,
                src,
                off: from,
                imm: 0,
            });
            return Ok(());
        }
        // Arithmetic.
        if let Some((op, signed, cls)) = alu_op(m) {
            if op == 0x80 {
                Self::expect(m, ops, 1)?;
                let dst = reg(ops[0])?;
                self.push(Insn {
                    opcode: cls | op,
                    dst,
                    ..Default::default()
                });
                return Ok(());
            }
            Self::expect(m, ops, 2)?;
            let dst = reg(ops[0])?;
            let off = if signed { 1 } else { 0 };
            if is_register(ops[1]) {
                let src = reg(ops[1])?;
                self.push(Insn {
                    opcode: cls | SRC_X | op,
                    dst,
                    src,
                    off,
                    imm: 0,
                });
            } else {
                let imm = imm32(ops[1])?;
                self.push(Insn {
                    opcode: cls | op,
                    dst,
                    src: 0,
                    off,
                    imm,
                });
            }
            return Ok(());
        }
        // Conditional jumps.
        if let Some((op, cls)) = jmp_op(m) {
            Self::expect(m, ops, 3)?;
            let dst = reg(ops[0])?;
            let (opcode, src, imm) = if is_register(ops[1]) {
                (cls | SRC_X | op, reg(ops[1])?, 0)
            } else {
                (cls | op, 0, imm32(ops[1])?)
            };
            let off = self.target(ops[2], Field::Off16, line)?;
            self.push(Insn {
                opcode,
                dst,
                src,
                off: off as i16,
                imm,
            });
            return Ok(());
        }
        Err(format!("invalid mnemonic '{}'", m))
    }

    fn call(&mut self, rest: &str, line: usize) -> R<()> {
        let words: Vec<&str> = rest.split_whitespace().collect();
        let op = class::JMP | 0x80;
        match words.as_slice() {
            [n] | ["helper", n] if is_register(n) => {
                let dst = reg(n)?;
                self.push(Insn {
                    opcode: op | SRC_X,
                    dst,
                    ..Default::default()
                });
            }
            [n] | ["helper", n] => {
                let imm = imm32(n).map_err(|e| format!("invalid operands for 'call': {}", e))?;
                self.push(Insn {
                    opcode: op,
                    imm,
                    ..Default::default()
                });
            }
            ["local", t] => {
                let imm = self.target(t, Field::Imm32, line)?;
                self.push(Insn {
                    opcode: op,
                    src: 1,
                    imm: imm as i32,
                    ..Default::default()
                });
            }
            ["runtime", n] => {
                let imm = imm32(n)?;
                self.push(Insn {
                    opcode: op,
                    src: 2,
                    imm,
                    ..Default::default()
                });
            }
            _ => {
                return Err(format!(
                    "invalid operands for 'call': '{}' (expected N, helper N, local LABEL, runtime N or %rN)",
                    rest
                ))
            }
        }
        Ok(())
    }

    fn lock(&mut self, rest: &str) -> R<()> {
        // lock [fetch] OP [%rD+off], %rS
        let (fetch, rest) = match rest.strip_prefix("fetch") {
            Some(r) if r.starts_with(char::is_whitespace) => (true, r.trim_start()),
            _ => (false, rest),
        };
        let (op, operands) = match rest.find(char::is_whitespace) {
            Some(p) => (&rest[..p], rest[p..].trim()),
            None => (rest, ""),
        };
        let ops: Vec<&str> = if operands.is_empty() {
            Vec::new()
        } else {
            operands.split(',').map(str::trim).collect()
        };
        if op.is_empty() || ops.len() != 2 || ops.iter().any(|o| o.is_empty()) {
            return Err(format!(
                "invalid number of operands for lock: expected 'lock [fetch] OP [%rD+OFF], %rS', got '{}'",
                format!("lock {}", rest.trim()).trim_end()
            ));
        }
        let (base, wide) = match op.strip_suffix("32") {
            Some(b) => (b, false),
            None => (op.strip_suffix("64").unwrap_or(op), true),
        };
        let imm = match base {
            "add" => atomic::ADD,
            "or" => atomic::OR,
            "and" => atomic::AND,
            "xor" => atomic::XOR,
            "xchg" => atomic::XCHG,
            "cmpxchg" => atomic::CMPXCHG,
            _ => return Err(format!("invalid atomic operation '{}'", op)),
        };
        let imm = if fetch { imm | atomic::FETCH } else { imm };
        let (dst, off) = mem(ops[0])?;
        let src = reg(ops[1])?;
        self.push(Insn {
            opcode: class::STX | mode::ATOMIC | if wide { size::DW } else { size::W },
            dst,
            src,
            off,
            imm,
        });
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '.' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn is_register(s: &str) -> bool {
    s.starts_with('%') || (s.starts_with('r') && s.len() > 1 && s[1..].bytes().all(|b| b.is_ascii_digit()))
}

/// Parses a register name `%rN` / `rN` with N in 0..=10.
fn reg(s: &str) -> R<u8> {
    let digits = s
        .strip_prefix("%r")
        .or_else(|| s.strip_prefix('r'))
        .ok_or_else(|| format!("invalid register '{}'", s))?;
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid register '{}'", s));
    }
    match digits.parse::<u8>() {
        Ok(n) if n <= 10 && (digits.len() == 1 || !digits.starts_with('0')) => Ok(n),
        _ => Err(format!("invalid register '{}': registers are %r0 to %r10", s)),
    }
}

/// Parses a signed decimal or hexadecimal integer; returns (value, was hexadecimal).
fn parse_int(s: &str) -> R<(i128, bool)> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (hex, digits) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(d) => (true, d),
        None => (false, body),
    };
    let ok_digit = |b: u8| if hex { b.is_ascii_hexdigit() } else { b.is_ascii_digit() };
    if digits.is_empty() || digits.len() > 40 || !digits.bytes().all(ok_digit) {
        return Err(format!("invalid number '{}'", s));
    }
    let v = i128::from_str_radix(digits, if hex { 16 } else { 10 })
        .map_err(|_| format!("invalid number '{}'", s))?;
    Ok((if neg { -v } else { v }, hex))
}

/// A 32-bit immediate: signed decimal in `i32` range, or a hexadecimal bit pattern up to 0xffffffff.
fn imm32(s: &str) -> R<i32> {
    let (v, hex) = parse_int(s)?;
    if (i32::MIN as i128..=i32::MAX as i128).contains(&v) {
        Ok(v as i32)
    } else if hex && (0..=u32::MAX as i128).contains(&v) {
        Ok(v as u32 as i32)
    } else {
        Err(format!("immediate {} out of the 32-bit range", s))
    }
}

fn imm64(s: &str) -> R<u64> {
    let (v, _) = parse_int(s)?;
    if (i64::MIN as i128..=u64::MAX as i128).contains(&v) {
        Ok(v as u64)
    } else {
        Err(format!("immediate {} out of the 64-bit range", s))
    }
}

/// A memory operand `[%rN]`, `[%rN+OFF]`, `[%rN-OFF]`.
fn mem(s: &str) -> R<(u8, i16)> {
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| format!("invalid memory operand '{}': expected [%rN+OFF]", s))?
        .trim();
    let split = inner.find(['+', '-']);
    let (r, off) = match split {
        Some(p) => (inner[..p].trim(), {
            let o = inner[p..].replace(' ', "");
            let (v, _) = parse_int(&o)?;
            i16::try_from(v).map_err(|_| format!("offset {} out of the 16-bit range", o))?
        }),
        None => (inner, 0),
    };
    Ok((reg(r)?, off))
}

/// `ldxb` → `Some(size::B)` for prefix `ldx`, etc.
fn mem_size(m: &str, prefix: &str) -> Option<u8> {
    match m.strip_prefix(prefix)? {
        "b" => Some(size::B),
        "h" => Some(size::H),
        "w" => Some(size::W),
        "dw" => Some(size::DW),
        _ => None,
    }
}

/// ALU mnemonic → (operation bits, signed variant, class).
fn alu_op(m: &str) -> Option<(u8, bool, u8)> {
    let (base, cls) = if let Some(b) = m.strip_suffix("32") {
        (b, class::ALU)
    } else if let Some(b) = m.strip_suffix("64") {
        (b, class::ALU64)
    } else {
        (m, class::ALU64)
    };
    let (op, signed) = match base {
        "add" => (0x00, false),
        "sub" => (0x10, false),
        "mul" => (0x20, false),
        "div" => (0x30, false),
        "sdiv" => (0x30, true),
        "or" => (0x40, false),
        "and" => (0x50, false),
        "lsh" => (0x60, false),
        "rsh" => (0x70, false),
        "neg" => (0x80, false),
        "mod" => (0x90, false),
        "smod" => (0x90, true),
        "xor" => (0xa0, false),
        "mov" => (0xb0, false),
        "arsh" => (0xc0, false),
        _ => return None,
    };
    Some((op, signed, cls))
}

/// Conditional jump mnemonic → (operation bits, class).
fn jmp_op(m: &str) -> Option<(u8, u8)> {
    let (base, cls) = match m.strip_suffix("32") {
        Some(b) => (b, class::JMP32),
        None => (m, class::JMP),
    };
    let op = match base {
        "jeq" => 0x10,
        "jgt" => 0x20,
        "jge" => 0x30,
        "jset" => 0x40,
        "jne" => 0x50,
        "jsgt" => 0x60,
        "jsge" => 0x70,
        "jlt" => 0xa0,
        "jle" => 0xb0,
        "jslt" => 0xc0,
        "jsle" => 0xd0,
        _ => return None,
    };
    Some((op, cls))
}

/// Assembles a single line (no labels may be referenced) — used by the disassembler to check
/// that its text re-encodes to the same slots.
pub(crate) fn assemble_line(text: &str) -> Option<Vec<Insn>> {
    let mut a = Assembler::default();
    a.line(text, 1).ok()?;
    if !a.fixups.is_empty() {
        return None;
    }
    Some(a.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Insn {
        let v = assemble(s).unwrap();
        assert_eq!(v.len(), 1, "{s}");
        v[0]
    }

    #[test]
    fn encodes_alu() {
        assert_eq!(one("add %r1, %r2").to_bytes(), [0x0f, 0x21, 0, 0, 0, 0, 0, 0]);
        assert_eq!(one("add32 %r1, 5").to_bytes(), [0x04, 0x01, 0, 0, 5, 0, 0, 0]);
        assert_eq!(one("mov %r0, -1").to_bytes(), [0xb7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(one("sdiv32 %r1, %r2").to_bytes(), [0x3c, 0x21, 1, 0, 0, 0, 0, 0]);
        assert_eq!(one("smod %r1, 3").to_bytes(), [0x97, 0x01, 1, 0, 3, 0, 0, 0]);
        assert_eq!(one("neg32 %r3").to_bytes(), [0x84, 0x03, 0, 0, 0, 0, 0, 0]);
        assert_eq!(one("movsx1664 %r8, %r7").to_bytes(), [0xbf, 0x78, 16, 0, 0, 0, 0, 0]);
        assert_eq!(one("be16 %r0").to_bytes(), [0xdc, 0, 0, 0, 16, 0, 0, 0]);
        assert_eq!(one("le32 %r0").to_bytes(), [0xd4, 0, 0, 0, 32, 0, 0, 0]);
        assert_eq!(one("swap64 %r0").to_bytes(), [0xd7, 0, 0, 0, 64, 0, 0, 0]);
        assert_eq!(one("bswap16 %r0"), one("swap16 %r0"));
    }

    #[test]
    fn encodes_memory_and_atomics() {
        assert_eq!(one("ldxdw %r0, [%r1+2]").to_bytes(), [0x79, 0x10, 2, 0, 0, 0, 0, 0]);
        assert_eq!(one("ldxsh %r0, [%r10-2]").to_bytes(), [0x89, 0xa0, 0xfe, 0xff, 0, 0, 0, 0]);
        assert_eq!(one("stb [%r10-1], 0x80").to_bytes(), [0x72, 0x0a, 0xff, 0xff, 0x80, 0, 0, 0]);
        assert_eq!(one("stxw [%r1], %r2").to_bytes(), [0x63, 0x21, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            one("lock fetch add32 [%r10-4], %r3").to_bytes(),
            [0xc3, 0x3a, 0xfc, 0xff, 0x01, 0, 0, 0]
        );
        assert_eq!(
            one("lock cmpxchg [%r10-8], %r1").to_bytes(),
            [0xdb, 0x1a, 0xf8, 0xff, 0xf1, 0, 0, 0]
        );
        assert_eq!(one("lock xchg32 [%r10-8], %r1").imm, 0xe1);
        let v = assemble("lddw %r0, 0x1122334455667788").unwrap();
        assert_eq!(v[0].to_u64(), 0x5566778800000018);
        assert_eq!(v[1].to_u64(), 0x1122334400000000);
    }

    #[test]
    fn encodes_jumps_and_labels() {
        let v = assemble("ja L\nmov %r0, 1\nL:\nexit").unwrap();
        assert_eq!(v[0].off, 1);
        let v = assemble("L: mov %r0, 1\njne32 %r0, 2, L\nexit").unwrap();
        assert_eq!(v[1], Insn { opcode: 0x56, dst: 0, src: 0, off: -2, imm: 2 });
        let v = assemble("jeq %r1, %r2, exit\nmov %r0, 0\nexit\nexit").unwrap();
        assert_eq!(v[0].off, 1, "implicit label 'exit' names the first exit");
        let v = assemble("call local f\nexit\nf:\nexit").unwrap();
        assert_eq!(v[0], Insn { opcode: 0x85, dst: 0, src: 1, off: 0, imm: 1 });
        assert_eq!(one("call 5"), Insn { opcode: 0x85, imm: 5, ..Default::default() });
        assert_eq!(one("call %r2"), Insn { opcode: 0x8d, dst: 2, ..Default::default() });
        assert_eq!(one("ja32 +3"), Insn { opcode: 0x06, imm: 3, ..Default::default() });
        assert_eq!(one("gotol -1"), Insn { opcode: 0x06, imm: -1, ..Default::default() });
        assert_eq!(one("jeq %r1, 0x80000000, +1").imm, i32::MIN);
    }

    /// Property: mutated assembly (characters replaced, inserted, deleted) never panics the
    /// assembler, and whatever assembles is a whole number of slots.
    #[test]
    fn mutated_source_never_panics() {
        let base = "L: mov %r0, 1\nlddw %r1, 0x1122334455667788\nldxsh %r2, [%r10-2]\n\
                    lock fetch add32 [%r10-4], %r3\njne32 %r0, 0xffffffff, L\ncall local L\n\
                    movsx1664 %r1, %r2\nbswap32 %r1\nja32 +1\nstb [%r1+4], -1\nexit\n";
        let alphabet: &[u8] = b"%r0123456789x+-[],: \n#abcdefjlmnoqsuwxyz.L";
        let mut state = 0x2545f4914f6cdd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut b = base.as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (b.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < b.len() => b[at] = c,
                    1 => b.insert(at, c),
                    _ if at < b.len() => {
                        b.remove(at);
                    }
                    _ => {}
                }
            }
            let text = String::from_utf8(b).unwrap();
            if let Ok(v) = assemble(&text) {
                assert_eq!(to_bytes(&v).len(), v.len() * INSN_SIZE);
            }
        }
    }

    #[test]
    fn rejects_malformed_input_with_line_numbers() {
        let cases = [
            ("exit\nja NOT_A_LABEL", 2, "invalid label"),
            ("or %r0, %r50", 1, "invalid register"),
            ("or %r0, %r11", 1, "invalid register"),
            ("ldxq %r0, %r1", 1, "invalid mnemonic"),
            ("ldxb %r0, %r1", 1, "invalid memory operand"),
            ("ldxb %r0, [%r1+0x10000]", 1, "out of the 16-bit range"),
            ("\nlddw %r0", 2, "invalid number of operands"),
            ("mov32 %r0, 2147483648", 1, "out of the 32-bit range"),
            ("mov32 %r0, 0x100000000", 1, "out of the 32-bit range"),
            ("lock or [%r10-8]", 1, "invalid number of operands for lock"),
            ("lock", 1, "invalid number of operands for lock"),
            (".section text", 1, "unknown directive"),
            ("L:\nL:", 2, "duplicate label"),
            ("ja +40000", 1, "out of range"),
            ("add %r1, 1, 2", 1, "invalid number of operands"),
            ("lddw %r0, 0x10000000000000000", 1, "64-bit range"),
            ("call local", 1, "invalid operands for 'call'"),
            ("movsx3232 %r1, %r2", 1, "invalid mnemonic"),
            ("ldxsdw %r1, [%r2]", 1, "invalid mnemonic"),
        ];
        for (src, line, msg) in cases {
            let e = assemble(src).expect_err(src);
            assert_eq!(e.line, line, "{src}: {e}");
            assert!(e.message.contains(msg), "{src}: {e}");
        }
    }
}
