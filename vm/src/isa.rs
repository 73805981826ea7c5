//! The eBPF instruction set (RFC 9669): encoding constants and instruction decoding.
//!
//! An instruction is 8 bytes, little-endian:
//! `opcode:8 | dst_reg:4 src_reg:4 | offset:16 (signed) | imm:32 (signed)`.
//! The wide instruction LDDW occupies two 8-byte slots; the second slot holds
//! the upper 32 bits of the immediate and must otherwise be zero.

/// Size of one instruction slot in bytes.
pub const INSN_SIZE: usize = 8;

// ---- instruction classes (opcode & 0x07) -----------------------------------
/// Non-standard load operations (only LDDW is supported).
pub const CLASS_LD: u8 = 0x00;
/// Load into register.
pub const CLASS_LDX: u8 = 0x01;
/// Store from immediate.
pub const CLASS_ST: u8 = 0x02;
/// Store from register (and atomics).
pub const CLASS_STX: u8 = 0x03;
/// 32-bit arithmetic.
pub const CLASS_ALU: u8 = 0x04;
/// 64-bit jumps.
pub const CLASS_JMP: u8 = 0x05;
/// 32-bit jumps.
pub const CLASS_JMP32: u8 = 0x06;
/// 64-bit arithmetic.
pub const CLASS_ALU64: u8 = 0x07;

// ---- source modifier (opcode & 0x08) -----------------------------------------
/// Use the 32-bit immediate as source operand.
pub const SRC_K: u8 = 0x00;
/// Use the source register as source operand.
pub const SRC_X: u8 = 0x08;

// ---- arithmetic operation codes (opcode & 0xf0) ---------------------------------
/// dst += src
pub const ALU_ADD: u8 = 0x00;
/// dst -= src
pub const ALU_SUB: u8 = 0x10;
/// dst *= src
pub const ALU_MUL: u8 = 0x20;
/// dst /= src (offset 1: signed)
pub const ALU_DIV: u8 = 0x30;
/// dst |= src
pub const ALU_OR: u8 = 0x40;
/// dst &= src
pub const ALU_AND: u8 = 0x50;
/// dst <<= src
pub const ALU_LSH: u8 = 0x60;
/// dst >>= src (logical)
pub const ALU_RSH: u8 = 0x70;
/// dst = -dst
pub const ALU_NEG: u8 = 0x80;
/// dst %= src (offset 1: signed)
pub const ALU_MOD: u8 = 0x90;
/// dst ^= src
pub const ALU_XOR: u8 = 0xa0;
/// dst = src (offset 8/16/32: MOVSX)
pub const ALU_MOV: u8 = 0xb0;
/// dst >>= src (arithmetic)
pub const ALU_ARSH: u8 = 0xc0;
/// byte swap / endianness conversion
pub const ALU_END: u8 = 0xd0;

// ---- jump operation codes (opcode & 0xf0) ------------------------------------------
/// Unconditional jump (JMP: offset; JMP32: imm, "gotol").
pub const JMP_JA: u8 = 0x00;
/// PC += offset if dst == src
pub const JMP_JEQ: u8 = 0x10;
/// unsigned >
pub const JMP_JGT: u8 = 0x20;
/// unsigned >=
pub const JMP_JGE: u8 = 0x30;
/// dst & src != 0
pub const JMP_JSET: u8 = 0x40;
/// !=
pub const JMP_JNE: u8 = 0x50;
/// signed >
pub const JMP_JSGT: u8 = 0x60;
/// signed >=
pub const JMP_JSGE: u8 = 0x70;
/// Function call (src 0: helper, src 1: local).
pub const JMP_CALL: u8 = 0x80;
/// Return.
pub const JMP_EXIT: u8 = 0x90;
/// unsigned <
pub const JMP_JLT: u8 = 0xa0;
/// unsigned <=
pub const JMP_JLE: u8 = 0xb0;
/// signed <
pub const JMP_JSLT: u8 = 0xc0;
/// signed <=
pub const JMP_JSLE: u8 = 0xd0;

// ---- load/store modes and sizes ------------------------------------------------------
/// Size modifier: 32 bits.
pub const SIZE_W: u8 = 0x00;
/// Size modifier: 16 bits.
pub const SIZE_H: u8 = 0x08;
/// Size modifier: 8 bits.
pub const SIZE_B: u8 = 0x10;
/// Size modifier: 64 bits.
pub const SIZE_DW: u8 = 0x18;
/// Mode: 64-bit immediate (LDDW).
pub const MODE_IMM: u8 = 0x00;
/// Mode: regular memory access.
pub const MODE_MEM: u8 = 0x60;
/// Mode: sign-extending load.
pub const MODE_MEMSX: u8 = 0x80;
/// Mode: atomic operation.
pub const MODE_ATOMIC: u8 = 0xc0;

// ---- atomic operations (imm of an atomic instruction) -----------------------------
/// Atomic add.
pub const ATOMIC_ADD: i32 = 0x00;
/// Atomic or.
pub const ATOMIC_OR: i32 = 0x40;
/// Atomic and.
pub const ATOMIC_AND: i32 = 0x50;
/// Atomic xor.
pub const ATOMIC_XOR: i32 = 0xa0;
/// Modifier: return the old value in src.
pub const ATOMIC_FETCH: i32 = 0x01;
/// Atomic exchange (always fetches).
pub const ATOMIC_XCHG: i32 = 0xe0 | ATOMIC_FETCH;
/// Atomic compare-and-exchange with r0 (always fetches into r0).
pub const ATOMIC_CMPXCHG: i32 = 0xf0 | ATOMIC_FETCH;

// ---- full opcodes used by the verifier and interpreter ---------------------------------
/// LDDW: dst = imm64 (two slots).
pub const OP_LDDW: u8 = CLASS_LD | MODE_IMM | SIZE_DW;
/// RIOT rBPF pseudo-instruction LDDWD: dst = address of container data + imm (two slots).
pub const OP_LDDWD: u8 = 0xb8;
/// RIOT rBPF pseudo-instruction LDDWR: dst = address of rodata + imm (two slots).
pub const OP_LDDWR: u8 = 0xd8;
/// Helper or local call.
pub const OP_CALL: u8 = CLASS_JMP | JMP_CALL;
/// Call the helper whose number is in the dst register (`callx`).
pub const OP_CALLX: u8 = CLASS_JMP | JMP_CALL | SRC_X;
/// Return.
pub const OP_EXIT: u8 = CLASS_JMP | JMP_EXIT;
/// Unconditional 16-bit-offset jump.
pub const OP_JA: u8 = CLASS_JMP | JMP_JA;
/// Unconditional 32-bit-offset jump (`gotol`, JMP32 class, offset in imm).
pub const OP_JA32: u8 = CLASS_JMP32 | JMP_JA;

/// `src_reg` of a call instruction: call a helper by number (imm).
pub const CALL_HELPER: u8 = 0;
/// `src_reg` of a call instruction: BPF-to-BPF call, target pc + imm + 1.
pub const CALL_LOCAL: u8 = 1;

/// Number of registers r0..r10.
pub const NUM_REGS: usize = 11;
/// The read-only frame pointer.
pub const REG_FP: u8 = 10;

/// The class of an opcode.
#[inline(always)]
pub const fn class(opcode: u8) -> u8 {
    opcode & 0x07
}

/// A decoded instruction slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    /// The opcode byte.
    pub opcode: u8,
    /// Destination register (0..=15 as encoded).
    pub dst: u8,
    /// Source register (0..=15 as encoded).
    pub src: u8,
    /// Signed 16-bit offset.
    pub offset: i16,
    /// Signed 32-bit immediate.
    pub imm: i32,
}

impl Insn {
    /// Decodes one 8-byte slot.
    #[inline(always)]
    pub fn decode(bytes: &[u8; 8]) -> Insn {
        Insn {
            opcode: bytes[0],
            dst: bytes[1] & 0x0f,
            src: bytes[1] >> 4,
            offset: i16::from_le_bytes([bytes[2], bytes[3]]),
            imm: i32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
        }
    }

    /// Encodes this instruction into one 8-byte slot (registers are masked to 4 bits).
    pub fn encode(&self) -> [u8; 8] {
        let o = self.offset.to_le_bytes();
        let i = self.imm.to_le_bytes();
        [self.opcode, (self.dst & 0xf) | (self.src << 4), o[0], o[1], i[0], i[1], i[2], i[3]]
    }

    /// Builds an instruction.
    pub const fn new(opcode: u8, dst: u8, src: u8, offset: i16, imm: i32) -> Insn {
        Insn { opcode, dst, src, offset, imm }
    }
}

/// Reads instruction slot `pc` of `text`, if it exists.
#[inline(always)]
pub fn slot(text: &[u8], pc: usize) -> Option<&[u8; 8]> {
    text.get(pc.checked_mul(INSN_SIZE)?..)?.first_chunk::<8>()
}

/// True if `opcode` occupies two slots (LDDW and RIOT's LDDWD / LDDWR).
#[inline]
pub const fn is_wide(opcode: u8) -> bool {
    matches!(opcode, OP_LDDW | OP_LDDWD | OP_LDDWR)
}

/// The program text as 8-byte slots, for the interpreter's fetch.
///
/// Where `<[u8]>::as_chunks` is available (rustc ≥ 1.88, or the pinned
/// nightly with `slice_as_chunks`; detected by `build.rs`), the text is
/// indexed as `&[[u8; 8]]`, so a fetch is one compare of the pc against the
/// slot count. Elsewhere it falls back to a checked byte-offset fetch. A
/// trailing partial slot is never returned in either case.
#[derive(Clone, Copy)]
pub(crate) struct Insns<'a> {
    #[cfg(femto_chunks)]
    slots: &'a [[u8; 8]],
    #[cfg(not(femto_chunks))]
    text: &'a [u8],
}

impl<'a> Insns<'a> {
    /// Views `text` as slots.
    #[inline(always)]
    pub(crate) fn new(text: &'a [u8]) -> Self {
        #[cfg(femto_chunks)]
        {
            Insns { slots: text.as_chunks::<8>().0 }
        }
        #[cfg(not(femto_chunks))]
        {
            Insns { text }
        }
    }

    /// Slot `pc`, or `None` if it is not entirely inside the text.
    #[inline(always)]
    pub(crate) fn get(&self, pc: usize) -> Option<&'a [u8; 8]> {
        #[cfg(femto_chunks)]
        {
            self.slots.get(pc)
        }
        #[cfg(not(femto_chunks))]
        {
            slot(self.text, pc)
        }
    }
}
