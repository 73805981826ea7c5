//! The pre-flight verifier: checks a program once, at load time, so that the
//! interpreter never re-checks opcodes, registers or jump targets.
//!
//! Rules (each rejection is a specific [`Error`] with the pc):
//! empty or oversized program; length not a multiple of 8; unknown opcode or
//! nonzero reserved field (any field an instruction does not use must be 0);
//! register > 10; any write to r10; a jump or local-call target outside the
//! program or on the second slot of an LDDW; an LDDW without its second slot;
//! a helper not in the allow-list; a shift immediate out of range; a last
//! instruction that can fall through the end. Strict mode additionally
//! rejects every jump or local call that does not go forward, so a strict
//! program terminates without fuel.

use crate::error::Error;
use crate::isa;


/// Default stack bytes per call frame (RFC 9669 / Linux: 512).
pub const DEFAULT_STACK_FRAME_SIZE: u32 = 512;
/// Default maximum program size in instruction slots.
pub const DEFAULT_MAX_INSNS: usize = 65_536;

/// The helpers a program may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowList<'a> {
    /// Any helper number (the host's registry decides at run time).
    All,
    /// Exactly these helper numbers.
    Ids(&'a [u32]),
    /// Exactly these helper numbers, stored as little-endian `u32`s (the image
    /// format's encoding); a trailing partial entry is ignored.
    LeBytes(&'a [u8]),
}

impl AllowList<'_> {
    /// True if helper `id` may be called.
    pub fn contains(&self, id: u32) -> bool {
        match self {
            AllowList::All => true,
            AllowList::Ids(ids) => ids.contains(&id),
            AllowList::LeBytes(b) => {
                b.chunks_exact(4).any(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]) == id)
            }
        }
    }
}

/// Verifier settings.
#[derive(Debug, Clone, Copy)]
pub struct VerifierConfig<'a> {
    /// Helpers the program may call (`call imm`, and `callx` at run time).
    pub helpers: AllowList<'a>,
    /// Strict mode: only forward jumps and forward local calls.
    pub strict: bool,
    /// Maximum number of instruction slots.
    pub max_insns: usize,
    /// Accept RIOT's rBPF pseudo-instructions LDDWD (0xb8) and LDDWR (0xd8).
    pub rbf_pseudo_opcodes: bool,
    /// Accept `callx` (0x8d: call the helper whose number is in dst).
    pub allow_callx: bool,
    /// Stack bytes per call frame, multiple of 8 and > 0 (recorded in the [`Program`]).
    pub stack_frame_size: u32,
    /// Reject shift immediates outside `0..32` (ALU) / `0..64` (ALU64) with
    /// [`Error::ShiftOutOfRange`] (default: true, the device policy). When
    /// false, they are accepted and masked at run time (`imm & 31` / `imm & 63`)
    /// as RFC 9669 defines; the bpf_conformance suite tests that behaviour.
    pub reject_out_of_range_shifts: bool,
}

impl Default for VerifierConfig<'_> {
    fn default() -> Self {
        VerifierConfig {
            helpers: AllowList::All,
            strict: false,
            max_insns: DEFAULT_MAX_INSNS,
            rbf_pseudo_opcodes: false,
            allow_callx: true,
            stack_frame_size: DEFAULT_STACK_FRAME_SIZE,
            reject_out_of_range_shifts: true,
        }
    }
}

/// A verified program: text that passed [`verify`], ready to run any number
/// of times with [`crate::interpreter::run`] (or [`Program::run`]).
#[derive(Debug, Clone, Copy)]
pub struct Program<'a> {
    pub(crate) text: &'a [u8],
    pub(crate) helpers: AllowList<'a>,
    pub(crate) stack_frame_size: u32,
    pub(crate) rbf_pseudo_opcodes: bool,
}

impl<'a> Program<'a> {
    /// Verifies `text` with `config`; same as [`verify`].
    pub fn verify(text: &'a [u8], config: &VerifierConfig<'a>) -> Result<Self, Error> {
        verify(text, config)
    }

    /// Wraps `text` **without verifying it**, for a host that verified this
    /// exact text earlier (for example at load time) and kept it unchanged.
    ///
    /// This is not `unsafe`: memory safety never depends on the verifier (the
    /// interpreter masks register numbers, checks the pc and every memory
    /// access, and rejects unknown opcodes at run time). What is lost on an
    /// unverified text are the verifier's guarantees: r10 could be written,
    /// helper allow-list could be bypassed only via `callx` (which is still
    /// checked at run time), and errors surface later.
    pub fn assume_verified(text: &'a [u8], config: &VerifierConfig<'a>) -> Self {
        Program {
            text,
            helpers: config.helpers,
            stack_frame_size: config.stack_frame_size,
            rbf_pseudo_opcodes: config.rbf_pseudo_opcodes,
        }
    }

    /// The program text.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// Number of instruction slots.
    pub fn len(&self) -> usize {
        self.text.len() / isa::INSN_SIZE
    }

    /// True if the program has no instructions (never true for a verified program).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stack bytes per call frame.
    pub fn stack_frame_size(&self) -> u32 {
        self.stack_frame_size
    }

    /// The helper allow-list.
    pub fn helpers(&self) -> AllowList<'a> {
        self.helpers
    }
}

/// Verifies `text` (raw instructions) and returns a runnable [`Program`].
pub fn verify<'a>(text: &'a [u8], config: &VerifierConfig<'a>) -> Result<Program<'a>, Error> {
    if text.len() % isa::INSN_SIZE != 0 {
        return Err(Error::TextLengthNotMultipleOf8 { len: text.len() });
    }
    let n = text.len() / isa::INSN_SIZE;
    if n == 0 {
        return Err(Error::EmptyProgram);
    }
    if n > config.max_insns || n > i32::MAX as usize {
        return Err(Error::ProgramTooLarge { insns: n, max: config.max_insns });
    }
    let mut pc = 0usize;
    let mut last = 0usize;
    while pc < n {
        last = pc;
        pc += check_insn(text, n, pc, config)?;
    }
    // The last instruction must not fall through the end of the program.
    let opcode = text[last * isa::INSN_SIZE];
    if !matches!(opcode, isa::OP_EXIT | isa::OP_JA | isa::OP_JA32) {
        return Err(Error::FallThroughEnd { pc: last as u32 });
    }
    Ok(Program::assume_verified(text, config))
}

/// The opcode byte of slot `pc` (0 if out of range).
fn opcode_at(text: &[u8], pc: usize) -> u8 {
    isa::slot(text, pc).map_or(0, |s| s[0])
}

/// Checks a jump or local-call target `pc + 1 + delta`.
fn check_target(text: &[u8], n: usize, pc: usize, delta: i64, strict: bool) -> Result<(), Error> {
    let target = pc as i64 + 1 + delta;
    let pc32 = pc as u32;
    if target < 0 || target >= n as i64 {
        return Err(Error::JumpOutOfBounds { pc: pc32, target });
    }
    if strict && target <= pc as i64 {
        return Err(Error::BackwardJump { pc: pc32, target });
    }
    // Opcode 0 is never a valid instruction start; in a text that passes the
    // verifier, a slot with opcode 0 is exactly the second slot of a wide
    // instruction (whose opcode byte must be 0). A garbage slot with opcode 0
    // that is not preceded by a wide instruction is rejected as unknown when
    // the linear sweep reaches it.
    let t = target as usize;
    if opcode_at(text, t) == 0 && t > 0 && isa::is_wide(opcode_at(text, t - 1)) {
        return Err(Error::JumpIntoLddw { pc: pc32, target: t as u32 });
    }
    Ok(())
}

/// Checks the instruction at `pc`; returns its size in slots (1 or 2).
fn check_insn(text: &[u8], n: usize, pc: usize, config: &VerifierConfig<'_>) -> Result<usize, Error> {
    use isa::*;
    let bytes = slot(text, pc).ok_or(Error::EmptyProgram)?;
    let insn = Insn::decode(bytes);
    let Insn { opcode, dst, src, offset, imm } = insn;
    let pc32 = pc as u32;
    let unknown = Error::UnknownOpcode { pc: pc32, opcode };
    let reserved = Error::NonzeroReservedField { pc: pc32, opcode };
    if dst > 10 {
        return Err(Error::InvalidRegister { pc: pc32, reg: dst });
    }
    if src > 10 {
        return Err(Error::InvalidRegister { pc: pc32, reg: src });
    }
    // Operand rule shared by ALU and conditional jumps: K uses imm (src must
    // be 0), X uses src (imm must be 0).
    let operand_ok = if opcode & SRC_X == 0 { src == 0 } else { imm == 0 };
    let write_r10 = Error::WriteToR10 { pc: pc32 };
    match class(opcode) {
        CLASS_ALU | CLASS_ALU64 => {
            let is64 = class(opcode) == CLASS_ALU64;
            let op = opcode & 0xf0;
            let fields_ok = match op {
                ALU_ADD | ALU_SUB | ALU_MUL | ALU_OR | ALU_AND | ALU_XOR => offset == 0 && operand_ok,
                ALU_DIV | ALU_MOD => (offset == 0 || offset == 1) && operand_ok,
                ALU_LSH | ALU_RSH | ALU_ARSH => {
                    if offset != 0 || !operand_ok {
                        false
                    } else {
                        let width = if is64 { 64 } else { 32 };
                        if opcode & SRC_X == 0
                            && config.reject_out_of_range_shifts
                            && !(0..width).contains(&imm)
                        {
                            return Err(Error::ShiftOutOfRange { pc: pc32, imm });
                        }
                        true
                    }
                }
                ALU_NEG => {
                    if opcode & SRC_X != 0 {
                        return Err(unknown);
                    }
                    src == 0 && offset == 0 && imm == 0
                }
                ALU_MOV => {
                    if opcode & SRC_X == 0 {
                        src == 0 && offset == 0
                    } else {
                        imm == 0
                            && match offset {
                                0 | 8 | 16 => true,
                                32 => is64,
                                _ => false,
                            }
                    }
                }
                ALU_END => {
                    if is64 && opcode & SRC_X != 0 {
                        return Err(unknown);
                    }
                    if src != 0 || offset != 0 {
                        false
                    } else {
                        if !matches!(imm, 16 | 32 | 64) {
                            return Err(Error::InvalidImmediate { pc: pc32, imm });
                        }
                        true
                    }
                }
                _ => return Err(unknown),
            };
            if !fields_ok {
                return Err(reserved);
            }
            if dst == REG_FP {
                return Err(write_r10);
            }
            Ok(1)
        }
        CLASS_JMP | CLASS_JMP32 => {
            let is32 = class(opcode) == CLASS_JMP32;
            match opcode & 0xf0 {
                JMP_JA => {
                    if opcode & SRC_X != 0 {
                        return Err(unknown);
                    }
                    if is32 {
                        // gotol: 32-bit offset in imm.
                        if dst != 0 || src != 0 || offset != 0 {
                            return Err(reserved);
                        }
                        check_target(text, n, pc, imm as i64, config.strict)?;
                    } else {
                        if dst != 0 || src != 0 || imm != 0 {
                            return Err(reserved);
                        }
                        check_target(text, n, pc, offset as i64, config.strict)?;
                    }
                    Ok(1)
                }
                JMP_CALL => {
                    if is32 {
                        return Err(unknown);
                    }
                    if opcode & SRC_X != 0 {
                        // callx: helper number in dst, checked at run time.
                        if !config.allow_callx {
                            return Err(unknown);
                        }
                        if src != 0 || offset != 0 || imm != 0 {
                            return Err(reserved);
                        }
                        return Ok(1);
                    }
                    if dst != 0 || offset != 0 {
                        return Err(reserved);
                    }
                    match src {
                        CALL_HELPER => {
                            if !config.helpers.contains(imm as u32) {
                                return Err(Error::HelperNotAllowed { pc: pc32, helper: imm as u32 });
                            }
                        }
                        CALL_LOCAL => check_target(text, n, pc, imm as i64, config.strict)?,
                        _ => return Err(reserved),
                    }
                    Ok(1)
                }
                JMP_EXIT => {
                    if is32 || opcode & SRC_X != 0 {
                        return Err(unknown);
                    }
                    if dst != 0 || src != 0 || offset != 0 || imm != 0 {
                        return Err(reserved);
                    }
                    Ok(1)
                }
                JMP_JEQ | JMP_JGT | JMP_JGE | JMP_JSET | JMP_JNE | JMP_JSGT | JMP_JSGE | JMP_JLT
                | JMP_JLE | JMP_JSLT | JMP_JSLE => {
                    if !operand_ok {
                        return Err(reserved);
                    }
                    check_target(text, n, pc, offset as i64, config.strict)?;
                    Ok(1)
                }
                _ => Err(unknown),
            }
        }
        CLASS_LD => {
            let wide_ok = opcode == OP_LDDW
                || (config.rbf_pseudo_opcodes && (opcode == OP_LDDWD || opcode == OP_LDDWR));
            if !wide_ok {
                return Err(unknown);
            }
            if src != 0 || offset != 0 {
                return Err(reserved);
            }
            if dst == REG_FP {
                return Err(write_r10);
            }
            let Some(second) = slot(text, pc + 1) else {
                return Err(Error::IncompleteLddw { pc: pc32 });
            };
            if second[..4] != [0, 0, 0, 0] {
                return Err(Error::NonzeroReservedField { pc: pc32 + 1, opcode: second[0] });
            }
            Ok(2)
        }
        CLASS_LDX => {
            let size_ok = match opcode & 0xe0 {
                MODE_MEM => true,
                MODE_MEMSX => opcode & 0x18 != SIZE_DW,
                _ => false,
            };
            if !size_ok {
                return Err(unknown);
            }
            if imm != 0 {
                return Err(reserved);
            }
            if dst == REG_FP {
                return Err(write_r10);
            }
            Ok(1)
        }
        CLASS_ST => {
            if opcode & 0xe0 != MODE_MEM {
                return Err(unknown);
            }
            if src != 0 {
                return Err(reserved);
            }
            Ok(1)
        }
        CLASS_STX => match opcode & 0xe0 {
            MODE_MEM => {
                if imm != 0 {
                    return Err(reserved);
                }
                Ok(1)
            }
            MODE_ATOMIC => {
                let size = opcode & 0x18;
                if size != SIZE_W && size != SIZE_DW {
                    return Err(unknown);
                }
                let fetch = match imm {
                    ATOMIC_ADD | ATOMIC_OR | ATOMIC_AND | ATOMIC_XOR => false,
                    _ if imm == ATOMIC_ADD | ATOMIC_FETCH
                        || imm == ATOMIC_OR | ATOMIC_FETCH
                        || imm == ATOMIC_AND | ATOMIC_FETCH
                        || imm == ATOMIC_XOR | ATOMIC_FETCH
                        || imm == ATOMIC_XCHG =>
                    {
                        true
                    }
                    ATOMIC_CMPXCHG => false, // writes r0, never src
                    _ => return Err(Error::InvalidImmediate { pc: pc32, imm }),
                };
                if fetch && src == REG_FP {
                    return Err(write_r10);
                }
                Ok(1)
            }
            _ => Err(unknown),
        },
        _ => Err(unknown),
    }
}
