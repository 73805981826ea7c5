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
use crate::isa::{self, Insn};

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
    let _ = (text, config, Insn::decode);
    todo!()
}
