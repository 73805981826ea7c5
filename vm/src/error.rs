//! The one error type of the VM: image parsing, verification and execution.
//!
//! Every variant says what went wrong and where: the program counter (`pc`,
//! an instruction index, counting both slots of an LDDW), the virtual
//! address and length of a faulting access, the access kind, the helper
//! number, or the image section and offset.

use core::fmt;

/// The kind of a memory access that faulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// A load (`LDX`, `LDXSX`) or a helper reading VM memory.
    Load,
    /// A store (`ST`, `STX`) or a helper writing VM memory.
    Store,
    /// An atomic read-modify-write (`STX | ATOMIC`).
    Atomic,
}

/// A part of a container image, named in image errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// The fixed-size header.
    Header,
    /// The container's name (metadata).
    Name,
    /// The function table.
    Functions,
    /// The helper allow-list.
    Helpers,
    /// The program text (instructions).
    Text,
    /// Read-only data.
    Rodata,
    /// Initialised read-write data.
    Data,
    /// Zero-initialised read-write data.
    Bss,
    /// The signature area.
    Signature,
    /// Padding between sections (must be zero).
    Padding,
}

/// Everything that can go wrong in femto-vm.
///
/// `pc` fields are instruction indices (8-byte slots) into the program text.
/// Errors raised by [`crate::memory::Memory`] outside the interpreter (for
/// example inside a helper) carry `pc: 0`; the interpreter replaces it with
/// the pc of the instruction that caused the access (the `call`), see
/// [`Error::at_pc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    // ---- image parsing -------------------------------------------------
    /// The image is shorter than its header or its declared length.
    ImageTooShort {
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        actual: usize,
    },
    /// The image has bytes after its last section.
    ImageTrailingBytes {
        /// Declared length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// The image does not start with a known magic number.
    BadMagic,
    /// The image is in a known format this build does not include: RIOT's
    /// rBPF format without femto-vm's `rbf` feature.
    UnsupportedFormat,
    /// The image format version is not supported.
    UnsupportedVersion {
        /// The version found.
        version: u32,
    },
    /// The image sets flag bits this version does not know.
    UnknownFlags {
        /// The unknown bits.
        flags: u32,
    },
    /// A field of the image has an invalid value (for example a text length
    /// that is not a multiple of 8, or a stack size of 0).
    InvalidField {
        /// The section holding the field.
        section: Section,
        /// Byte offset of the field within the image.
        offset: usize,
    },
    /// A section does not fit inside the image, or lengths overflow.
    SectionOutOfBounds {
        /// The section.
        section: Section,
        /// Its start offset in the image.
        offset: usize,
        /// Its length.
        len: usize,
    },
    /// A function table entry is invalid: its pc is outside the text or on
    /// the second slot of an LDDW, or its name is malformed.
    BadFunction {
        /// Index of the entry in the function table.
        index: usize,
    },
    /// A caller-supplied buffer is too small (image encoding, data region).
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        actual: usize,
    },

    // ---- verification ----------------------------------------------------
    /// The program has no instructions.
    EmptyProgram,
    /// The program has more instructions than the verifier allows.
    ProgramTooLarge {
        /// Number of instruction slots.
        insns: usize,
        /// The limit.
        max: usize,
    },
    /// The program length is not a multiple of 8 bytes.
    TextLengthNotMultipleOf8 {
        /// The length in bytes.
        len: usize,
    },
    /// The opcode is not defined by RFC 9669 (or not supported).
    UnknownOpcode {
        /// Where.
        pc: u32,
        /// The opcode byte.
        opcode: u8,
    },
    /// A field the instruction does not use (src, dst, offset or imm) is not zero,
    /// or has a value the instruction does not define.
    NonzeroReservedField {
        /// Where.
        pc: u32,
        /// The opcode byte.
        opcode: u8,
    },
    /// A register number above 10.
    InvalidRegister {
        /// Where.
        pc: u32,
        /// The register number.
        reg: u8,
    },
    /// The instruction writes r10, the read-only frame pointer.
    WriteToR10 {
        /// Where.
        pc: u32,
    },
    /// A jump or local call targets an instruction outside the program.
    JumpOutOfBounds {
        /// Where.
        pc: u32,
        /// The target instruction index (may be negative).
        target: i64,
    },
    /// A jump or local call targets the second slot of an LDDW.
    JumpIntoLddw {
        /// Where.
        pc: u32,
        /// The target instruction index.
        target: u32,
    },
    /// In strict mode: a jump or local call that does not go forward.
    BackwardJump {
        /// Where.
        pc: u32,
        /// The target instruction index.
        target: i64,
    },
    /// An LDDW whose second slot is missing (it is the last instruction).
    IncompleteLddw {
        /// Where (the first slot).
        pc: u32,
    },
    /// A helper call to a helper not in the container's allow-list.
    HelperNotAllowed {
        /// Where (at run time: the pc of a `callx`).
        pc: u32,
        /// The helper number.
        helper: u32,
    },
    /// A shift by an immediate outside 0..32 (ALU) or 0..64 (ALU64).
    ShiftOutOfRange {
        /// Where.
        pc: u32,
        /// The immediate.
        imm: i32,
    },
    /// An immediate with a value the instruction does not define (byte-swap
    /// width, atomic operation).
    InvalidImmediate {
        /// Where.
        pc: u32,
        /// The immediate.
        imm: i32,
    },
    /// The last instruction can fall through the end of the program.
    FallThroughEnd {
        /// Where (the last instruction).
        pc: u32,
    },

    // ---- execution --------------------------------------------------------
    /// The entry point is outside the program or on the second slot of an LDDW.
    BadEntry {
        /// The entry instruction index.
        pc: u32,
    },
    /// The stack region is missing or smaller than one frame.
    StackTooSmall {
        /// Bytes needed (one frame).
        needed: u32,
        /// Bytes mapped.
        actual: u32,
    },
    /// An access to an address in no region, or past the end of its region.
    OutOfBounds {
        /// Where.
        pc: u32,
        /// The virtual address.
        addr: u64,
        /// The access length.
        len: u32,
        /// The access kind.
        access: Access,
    },
    /// A store or atomic to a read-only region.
    PermissionDenied {
        /// Where.
        pc: u32,
        /// The virtual address.
        addr: u64,
        /// The access length.
        len: u32,
        /// The access kind.
        access: Access,
    },
    /// A BPF-to-BPF call beyond the maximum call depth (or beyond the frames
    /// that fit in the stack region).
    CallDepthExceeded {
        /// Where (the call).
        pc: u32,
        /// The depth that was exceeded.
        depth: u32,
    },
    /// The fuel budget ran out.
    FuelExhausted {
        /// Where (the taken branch or call that needed fuel).
        pc: u32,
    },
    /// A helper call to a number the host did not register.
    UnknownHelper {
        /// Where.
        pc: u32,
        /// The helper number.
        helper: u32,
    },
    /// A helper reported an error that stops the run.
    HelperFailed {
        /// Where.
        pc: u32,
        /// The helper number.
        helper: u32,
        /// The helper's error code.
        code: i64,
    },
    /// A region could not be mapped (bad region id, or all extra slots used).
    RegionUnavailable {
        /// The requested region id.
        region: u32,
    },
    /// The program counter left the program (only possible with a program that
    /// was not verified, see [`crate::verifier::Program::assume_verified`]).
    PcOutOfBounds {
        /// The pc.
        pc: u32,
    },
}

impl Error {
    /// The program counter the error refers to, if any.
    pub fn pc(&self) -> Option<u32> {
        use Error::*;
        match *self {
            UnknownOpcode { pc, .. }
            | NonzeroReservedField { pc, .. }
            | InvalidRegister { pc, .. }
            | WriteToR10 { pc }
            | JumpOutOfBounds { pc, .. }
            | JumpIntoLddw { pc, .. }
            | BackwardJump { pc, .. }
            | IncompleteLddw { pc }
            | HelperNotAllowed { pc, .. }
            | ShiftOutOfRange { pc, .. }
            | InvalidImmediate { pc, .. }
            | FallThroughEnd { pc }
            | BadEntry { pc }
            | OutOfBounds { pc, .. }
            | PermissionDenied { pc, .. }
            | CallDepthExceeded { pc, .. }
            | FuelExhausted { pc }
            | UnknownHelper { pc, .. }
            | HelperFailed { pc, .. }
            | PcOutOfBounds { pc } => Some(pc),
            _ => None,
        }
    }

    /// Returns this error with its `pc` replaced, for the run-time variants
    /// (memory faults and helper errors). Other variants are returned unchanged.
    pub fn at_pc(self, new_pc: u32) -> Self {
        use Error::*;
        match self {
            OutOfBounds { addr, len, access, .. } => OutOfBounds { pc: new_pc, addr, len, access },
            PermissionDenied { addr, len, access, .. } => {
                PermissionDenied { pc: new_pc, addr, len, access }
            }
            UnknownHelper { helper, .. } => UnknownHelper { pc: new_pc, helper },
            HelperFailed { helper, code, .. } => HelperFailed { pc: new_pc, helper, code },
            other => other,
        }
    }

    /// An error a helper returns to stop the run; the interpreter fills in the pc.
    pub fn helper_failed(helper: u32, code: i64) -> Self {
        Error::HelperFailed { pc: 0, helper, code }
    }

    /// True for errors raised while parsing an image.
    pub fn is_image_error(&self) -> bool {
        use Error::*;
        matches!(
            self,
            ImageTooShort { .. }
                | ImageTrailingBytes { .. }
                | BadMagic
                | UnsupportedFormat
                | UnsupportedVersion { .. }
                | UnknownFlags { .. }
                | InvalidField { .. }
                | SectionOutOfBounds { .. }
                | BadFunction { .. }
        )
    }

    /// True for errors raised by the verifier (the program was rejected at load).
    pub fn is_verifier_error(&self) -> bool {
        use Error::*;
        matches!(
            self,
            EmptyProgram
                | ProgramTooLarge { .. }
                | TextLengthNotMultipleOf8 { .. }
                | UnknownOpcode { .. }
                | NonzeroReservedField { .. }
                | InvalidRegister { .. }
                | WriteToR10 { .. }
                | JumpOutOfBounds { .. }
                | JumpIntoLddw { .. }
                | BackwardJump { .. }
                | IncompleteLddw { .. }
                | HelperNotAllowed { .. }
                | ShiftOutOfRange { .. }
                | InvalidImmediate { .. }
                | FallThroughEnd { .. }
        )
    }

    /// True for memory-access faults at run time.
    pub fn is_memory_fault(&self) -> bool {
        matches!(self, Error::OutOfBounds { .. } | Error::PermissionDenied { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Error::*;
        match *self {
            ImageTooShort { needed, actual } => {
                write!(f, "image too short: need {needed} bytes, have {actual}")
            }
            ImageTrailingBytes { expected, actual } => {
                write!(f, "image has trailing bytes: expected {expected} bytes, have {actual}")
            }
            BadMagic => write!(f, "bad image magic"),
            UnsupportedFormat => write!(f, "rBPF image, but this build has no rBPF support (femto-vm feature `rbf`)"),
            UnsupportedVersion { version } => write!(f, "unsupported image format version {version}"),
            UnknownFlags { flags } => write!(f, "unknown image flags {flags:#x}"),
            InvalidField { section, offset } => {
                write!(f, "invalid {section:?} field at image offset {offset}")
            }
            SectionOutOfBounds { section, offset, len } => write!(
                f,
                "{section:?} section (offset {offset}, length {len}) does not fit in the image"
            ),
            BadFunction { index } => write!(f, "invalid function table entry {index}"),
            BufferTooSmall { needed, actual } => {
                write!(f, "buffer too small: need {needed} bytes, have {actual}")
            }
            EmptyProgram => write!(f, "empty program"),
            ProgramTooLarge { insns, max } => {
                write!(f, "program too large: {insns} instructions, at most {max}")
            }
            TextLengthNotMultipleOf8 { len } => {
                write!(f, "program length {len} is not a multiple of 8")
            }
            UnknownOpcode { pc, opcode } => write!(f, "pc {pc}: unknown opcode {opcode:#04x}"),
            NonzeroReservedField { pc, opcode } => {
                write!(f, "pc {pc}: nonzero reserved field in instruction {opcode:#04x}")
            }
            InvalidRegister { pc, reg } => write!(f, "pc {pc}: invalid register r{reg}"),
            WriteToR10 { pc } => write!(f, "pc {pc}: write to read-only register r10"),
            JumpOutOfBounds { pc, target } => {
                write!(f, "pc {pc}: jump target {target} outside the program")
            }
            JumpIntoLddw { pc, target } => {
                write!(f, "pc {pc}: jump target {target} is the second slot of an lddw")
            }
            BackwardJump { pc, target } => {
                write!(f, "pc {pc}: backward jump to {target} not allowed in strict mode")
            }
            IncompleteLddw { pc } => write!(f, "pc {pc}: lddw without its second slot"),
            HelperNotAllowed { pc, helper } => {
                write!(f, "pc {pc}: helper {helper:#x} not in the allow-list")
            }
            ShiftOutOfRange { pc, imm } => write!(f, "pc {pc}: shift by {imm} out of range"),
            InvalidImmediate { pc, imm } => write!(f, "pc {pc}: invalid immediate {imm}"),
            FallThroughEnd { pc } => {
                write!(f, "pc {pc}: last instruction can fall through the end of the program")
            }
            BadEntry { pc } => write!(f, "invalid entry point {pc}"),
            StackTooSmall { needed, actual } => {
                write!(f, "stack region of {actual} bytes is smaller than one frame ({needed})")
            }
            OutOfBounds { pc, addr, len, access } => write!(
                f,
                "pc {pc}: {access:?} of {len} bytes at {addr:#x} is outside every region"
            ),
            PermissionDenied { pc, addr, len, access } => write!(
                f,
                "pc {pc}: {access:?} of {len} bytes at {addr:#x} not permitted (read-only region)"
            ),
            CallDepthExceeded { pc, depth } => {
                write!(f, "pc {pc}: call depth {depth} exceeded")
            }
            FuelExhausted { pc } => write!(f, "pc {pc}: fuel exhausted"),
            UnknownHelper { pc, helper } => write!(f, "pc {pc}: unknown helper {helper:#x}"),
            HelperFailed { pc, helper, code } => {
                write!(f, "pc {pc}: helper {helper:#x} failed with code {code}")
            }
            RegionUnavailable { region } => write!(f, "region {region} unavailable"),
            PcOutOfBounds { pc } => write!(f, "pc {pc} outside the program"),
        }
    }
}
