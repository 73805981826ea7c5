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
    #[inline(never)]
    pub fn contains(&self, id: u32) -> bool {
        match *self {
            AllowList::All => true,
            AllowList::Ids(ids) => ids.iter().any(|&x| x == id),
            AllowList::LeBytes(b) => b.chunks_exact(4).any(|c| c == id.to_le_bytes()),
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
    /// Ignored (they stay unknown opcodes) without the crate's `rbf` feature.
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

impl VerifierConfig<'_> {
    /// Whether LDDWD / LDDWR are instructions: asked for, and the crate
    /// built with its `rbf` feature.
    #[inline(always)]
    fn accepts_rbf_pseudo_opcodes(&self) -> bool {
        self.rbf_pseudo_opcodes && cfg!(feature = "rbf")
    }
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
            rbf_pseudo_opcodes: config.accepts_rbf_pseudo_opcodes(),
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
    if !matches!(opcode_at(text, last), isa::OP_EXIT | isa::OP_JA | isa::OP_JA32) {
        return Err(Error::FallThroughEnd { pc: last as u32 });
    }
    Ok(Program::assume_verified(text, config))
}

/// The opcode byte of slot `pc` (0 if out of range).
fn opcode_at(text: &[u8], pc: usize) -> u8 {
    isa::slot(text, pc).map_or(0, |s| s[0])
}

/// Whether `opcode` is an instruction of RFC 9669 that the VM implements,
/// not counting the two that depend on the configuration (`callx`, and
/// rBPF's LDDWD / LDDWR). Only evaluated at compile time, into [`KNOWN`].
const fn is_known(opcode: u8) -> bool {
    use isa::*;
    let x = opcode & SRC_X != 0;
    let code = opcode & 0xf0;
    match class(opcode) {
        CLASS_ALU | CLASS_ALU64 => match code {
            // neg has no register form; a 64-bit byte swap has no "to BE" form.
            ALU_NEG => !x,
            ALU_END => !(x && class(opcode) == CLASS_ALU64),
            0xe0 | 0xf0 => false,
            _ => true,
        },
        CLASS_JMP | CLASS_JMP32 => match code {
            JMP_JA => !x,
            // call imm (callx is decided by the configuration); JMP32 has no call or exit.
            JMP_CALL => class(opcode) == CLASS_JMP && !x,
            JMP_EXIT => class(opcode) == CLASS_JMP && !x,
            0xe0 | 0xf0 => false,
            _ => true,
        },
        CLASS_LD => opcode == OP_LDDW,
        CLASS_LDX => match opcode & 0xe0 {
            MODE_MEM => true,
            MODE_MEMSX => opcode & 0x18 != SIZE_DW,
            _ => false,
        },
        CLASS_ST => opcode & 0xe0 == MODE_MEM,
        // CLASS_STX
        _ => match opcode & 0xe0 {
            MODE_MEM => true,
            MODE_ATOMIC => opcode & 0x18 == SIZE_W || opcode & 0x18 == SIZE_DW,
            _ => false,
        },
    }
}

/// [`is_known`] as a 256-bit map (bit `op % 32` of word `op / 32`).
const KNOWN: [u32; 8] = {
    let mut map = [0u32; 8];
    let mut op = 0usize;
    while op < 256 {
        if is_known(op as u8) {
            map[op / 32] |= 1 << (op % 32);
        }
        op += 1;
    }
    map
};

/// Whether `opcode` is an instruction of RFC 9669 that the VM implements,
/// not counting `callx` and rBPF's LDDWD / LDDWR (see [`is_known`]).
#[inline(always)]
pub(crate) const fn is_known_opcode(opcode: u8) -> bool {
    KNOWN[(opcode >> 5) as usize] & (1 << (opcode & 31)) != 0
}

/// Fields of an instruction, as bits of a mask of fields that must be 0:
/// the register fields are the bits of the register byte itself.
const F_DST: u32 = 0x0f;
const F_SRC: u32 = 0xf0;
const F_OFF: u32 = 0x100;
const F_IMM: u32 = 0x200;

/// What is checked after the fields: a rule on the immediate (before the
/// r10 check), or what follows the instruction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum After {
    /// Nothing.
    Done,
    /// The immediate is a shift amount in `0..width` (when rejecting out-of-range shifts).
    Shift(i32),
    /// The immediate is a byte-swap width: 16, 32 or 64.
    Width,
    /// The immediate is an atomic operation.
    Atomic,
    /// The jump or call target is `pc + 1 + delta`.
    Target(i32),
    /// The immediate is a helper number in the allow-list.
    Helper,
    /// A wide load: its second slot follows.
    Wide,
}

/// Checks the instruction at `pc`; returns its size in slots (1 or 2).
///
/// The checks, in this order: registers above 10, the opcode, the fields the
/// instruction does not use (must be 0, or one of the values it defines),
/// the immediate's value, the jump or call target or the helper number
/// (instructions that write no register), a written r10, then the second
/// slot of a wide load.
fn check_insn(text: &[u8], n: usize, pc: usize, config: &VerifierConfig<'_>) -> Result<usize, Error> {
    use isa::*;
    let Some(&[opcode, regs, o0, o1, i0, i1, i2, i3]) = slot(text, pc) else {
        return Err(Error::EmptyProgram);
    };
    let (dst, src) = (regs & 0x0f, regs >> 4);
    let offset = i16::from_le_bytes([o0, o1]);
    let imm = i32::from_le_bytes([i0, i1, i2, i3]);
    let pc32 = pc as u32;
    if dst > 10 {
        return Err(Error::InvalidRegister { pc: pc32, reg: dst });
    }
    if src > 10 {
        return Err(Error::InvalidRegister { pc: pc32, reg: src });
    }
    let known = is_known_opcode(opcode)
        || (config.accepts_rbf_pseudo_opcodes() && (opcode == OP_LDDWD || opcode == OP_LDDWR))
        || (config.allow_callx && opcode == OP_CALLX);
    if !known {
        return Err(Error::UnknownOpcode { pc: pc32, opcode });
    }
    let x = opcode & SRC_X != 0;
    let code = opcode & 0xf0;
    let is64 = class(opcode) == CLASS_ALU64;
    // ALU and conditional jumps: K uses imm (src must be 0), X uses src (imm must be 0).
    let operand = if x { F_IMM } else { F_SRC };
    // Fields that must be 0, the register the instruction writes (0 for
    // none: r0 is always writable), what is checked after the fields.
    let (zero, written, after) = match class(opcode) {
        CLASS_ALU | CLASS_ALU64 => {
            let (zero, after) = match code {
                ALU_NEG => (F_SRC | F_OFF | F_IMM, After::Done),
                ALU_END => (F_SRC | F_OFF, After::Width),
                // movsx: offset 8, 16 or (64-bit only) 32.
                ALU_MOV if x && (offset == 8 || offset == 16 || (offset == 32 && is64)) => {
                    (F_IMM, After::Done)
                }
                // sdiv / smod: offset 1.
                ALU_DIV | ALU_MOD if offset == 1 => (operand, After::Done),
                ALU_LSH | ALU_RSH | ALU_ARSH if !x && config.reject_out_of_range_shifts => {
                    (operand | F_OFF, After::Shift(if is64 { 64 } else { 32 }))
                }
                _ => (operand | F_OFF, After::Done),
            };
            (zero, dst, after)
        }
        CLASS_JMP | CLASS_JMP32 => match code {
            // gotol: 32-bit offset in imm.
            JMP_JA if class(opcode) == CLASS_JMP32 => (F_DST | F_SRC | F_OFF, 0, After::Target(imm)),
            JMP_JA => (F_DST | F_SRC | F_IMM, 0, After::Target(offset as i32)),
            // callx: helper number in dst, checked at run time.
            JMP_CALL if x => (F_SRC | F_OFF | F_IMM, 0, After::Done),
            JMP_CALL if src == CALL_LOCAL => (F_DST | F_OFF, 0, After::Target(imm)),
            // A helper call (src 0); any other src is reserved.
            JMP_CALL => (F_DST | F_SRC | F_OFF, 0, After::Helper),
            JMP_EXIT => (F_DST | F_SRC | F_OFF | F_IMM, 0, After::Done),
            _ => (operand, 0, After::Target(offset as i32)),
        },
        CLASS_LD => (F_SRC | F_OFF, dst, After::Wide),
        CLASS_LDX => (F_IMM, dst, After::Done),
        CLASS_ST => (F_SRC, 0, After::Done),
        // CLASS_STX: an atomic fetch writes its src register (cmpxchg writes r0).
        _ if opcode & 0xe0 == MODE_ATOMIC => {
            let fetch = imm & ATOMIC_FETCH != 0 && imm != ATOMIC_CMPXCHG;
            (0, if fetch { src } else { 0 }, After::Atomic)
        }
        _ => (F_IMM, 0, After::Done),
    };
    // The register byte as it is (F_DST and F_SRC are its bits), then one
    // bit each for a nonzero offset and immediate.
    let nonzero = regs as u32 | ((offset != 0) as u32 * F_OFF) | ((imm != 0) as u32 * F_IMM);
    if nonzero & zero != 0 {
        return Err(Error::NonzeroReservedField { pc: pc32, opcode });
    }
    match after {
        After::Shift(width) if !(0..width).contains(&imm) => {
            return Err(Error::ShiftOutOfRange { pc: pc32, imm });
        }
        After::Width if !matches!(imm, 16 | 32 | 64) => {
            return Err(Error::InvalidImmediate { pc: pc32, imm });
        }
        After::Atomic => {
            // add, or, and, xor, each with or without fetch; xchg; cmpxchg.
            let op = imm & !ATOMIC_FETCH;
            let known = matches!(op, ATOMIC_ADD | ATOMIC_OR | ATOMIC_AND | ATOMIC_XOR)
                || imm == ATOMIC_XCHG
                || imm == ATOMIC_CMPXCHG;
            if !known {
                return Err(Error::InvalidImmediate { pc: pc32, imm });
            }
        }
        // Jumps and calls write no register: checked here, before r10.
        After::Target(delta) => check_target(text, n, pc, delta, config.strict)?,
        After::Helper if !config.helpers.contains(imm as u32) => {
            return Err(Error::HelperNotAllowed { pc: pc32, helper: imm as u32 });
        }
        _ => {}
    }
    if written == REG_FP {
        return Err(Error::WriteToR10 { pc: pc32 });
    }
    if after == After::Wide {
        let Some(second) = slot(text, pc + 1) else {
            return Err(Error::IncompleteLddw { pc: pc32 });
        };
        if second[..4] != [0, 0, 0, 0] {
            return Err(Error::NonzeroReservedField { pc: pc32 + 1, opcode: second[0] });
        }
        return Ok(2);
    }
    Ok(1)
}

/// Checks a jump or local-call target `pc + 1 + delta`.
fn check_target(text: &[u8], n: usize, pc: usize, delta: i32, strict: bool) -> Result<(), Error> {
    let target = pc as i64 + 1 + delta as i64;
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
