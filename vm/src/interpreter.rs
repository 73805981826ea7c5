//! The interpreter: runs a verified [`Program`] over a [`Memory`].
//!
//! Registers at entry: r1 = base address of the context region (0 if no
//! context is mapped), r2 = context length, r10 = end of the stack region,
//! all others 0.
//!
//! **Call frames.** The stack region is divided into frames of
//! `program.stack_frame_size()` bytes; the entry function uses the top frame,
//! each BPF-to-BPF call (`call` src=1) moves r10 down by one frame and saves
//! r6–r9 and the return pc; `exit` in a callee restores them. The depth is
//! bounded by [`MAX_CALL_FRAMES`] and by the number of frames that fit in the
//! stack region; beyond that the call fails with
//! [`Error::CallDepthExceeded`].
//!
//! **Fuel.** One unit of fuel is spent on every *taken* jump (conditional or
//! not) and every call (helper or local). Straight-line code costs nothing, so
//! a run executes at most `(fuel + 1) × program length` instructions. When a
//! jump or call needs fuel and none is left, the run stops with
//! [`Error::FuelExhausted`].

use crate::error::Error;
use crate::helpers::Helpers;
use crate::memory::Memory;
use crate::verifier::Program;

/// Maximum number of frames (the entry function plus nested local calls).
pub const MAX_CALL_FRAMES: usize = 8;

/// Observes execution, for tracing and instruction counting. The default
/// methods do nothing and compile away.
pub trait Tracer {
    /// Called before the instruction at `pc` executes, with the registers r0..r10
    /// (entries 11..16 are padding and always 0).
    #[inline(always)]
    fn step(&mut self, _pc: usize, _insn: &[u8; 8], _regs: &[u64; 16]) {}
}

/// A tracer that does nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTrace;
impl Tracer for NoTrace {}

/// A tracer that counts executed instructions (an LDDW counts once).
#[derive(Debug, Default, Clone, Copy)]
pub struct InsnCounter {
    /// Instructions executed so far.
    pub count: u64,
}
impl Tracer for InsnCounter {
    #[inline(always)]
    fn step(&mut self, _pc: usize, _insn: &[u8; 8], _regs: &[u64; 16]) {
        self.count += 1;
    }
}

/// Runs `program` from instruction `entry` and returns r0 at the final `exit`.
pub fn run<H: Helpers + ?Sized>(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: u64,
) -> Result<u64, Error> {
    run_traced(program, entry, memory, helpers, fuel, &mut NoTrace)
}

/// Like [`run`], calling `tracer` before every instruction.
pub fn run_traced<H: Helpers + ?Sized, T: Tracer + ?Sized>(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: u64,
    tracer: &mut T,
) -> Result<u64, Error> {
    let _ = (program, entry, memory, helpers, fuel, tracer);
    todo!()
}

impl Program<'_> {
    /// Runs this program; see [`run`].
    pub fn run<H: Helpers + ?Sized>(
        &self,
        entry: usize,
        memory: &mut Memory<'_>,
        helpers: &mut H,
        fuel: u64,
    ) -> Result<u64, Error> {
        run(self, entry, memory, helpers, fuel)
    }
}
