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
//! [`Error::FuelExhausted`]. Fuel is held in a machine word: on a 32-bit
//! target a budget above `u32::MAX` is treated as `u32::MAX`.

use crate::error::{Access, Error};
use crate::helpers::Helpers;
use crate::isa;
use crate::memory::{region_base, vaddr, Memory, REGION_CONTEXT, REGION_DATA, REGION_RODATA, REGION_STACK};
use crate::translate::{
    self, XOP_LSH64_SMALL, XOP_MOV32_ZEXT, XOP_MOV_ADD_IMM, XOP_MOV_ADD_REG, XOP_RSH64_SMALL, XOP_ZEXT,
};
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

impl<T: Tracer + ?Sized> Tracer for &mut T {
    #[inline(always)]
    fn step(&mut self, pc: usize, insn: &[u8; 8], regs: &[u64; 16]) {
        (**self).step(pc, insn, regs)
    }
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
    let mut helpers = helpers;
    let mut fuel = usize::try_from(fuel).unwrap_or(usize::MAX);
    run_plain(program, entry, memory, &mut helpers, &mut fuel)
}

/// Like [`run`], but the fuel budget is passed by reference and holds the
/// fuel left when the run ends, whatever the outcome (0 after
/// [`Error::FuelExhausted`]): the fuel used is the budget minus what is left.
/// Costs nothing per instruction (unlike counting with a [`Tracer`]).
pub fn run_metered<H: Helpers + ?Sized>(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: &mut u64,
) -> Result<u64, Error> {
    let mut helpers = helpers;
    metered(fuel, |left| run_plain(program, entry, memory, &mut helpers, left))
}

/// Runs `f` with `fuel` as a machine word and takes what it spent off `fuel`
/// (shared by both interpreters' `run_metered`).
#[inline(always)]
pub(crate) fn metered(fuel: &mut u64, f: impl FnOnce(&mut usize) -> Result<u64, Error>) -> Result<u64, Error> {
    // Fuel in a machine word (see `execute`); the part of a budget above
    // usize::MAX is never spent and is given back as is.
    let budget = usize::try_from(*fuel).unwrap_or(usize::MAX);
    let mut left = budget;
    let r = f(&mut left);
    *fuel -= (budget - left) as u64;
    r
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
    let (mut helpers, mut tracer) = (helpers, tracer);
    let mut fuel = usize::try_from(fuel).unwrap_or(usize::MAX);
    run_with_tracer(program, entry, memory, &mut helpers, &mut fuel, &mut tracer)
}

/// [`run`] without a tracer (a separate function so that a firmware that
/// never traces does not contain the traced loop).
#[inline(never)]
fn run_plain(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
    fuel: &mut usize,
) -> Result<u64, Error> {
    let (mut regs, mut calls) = setup(program, entry, memory)?;
    execute::<false>(&mut regs, &mut calls, entry, fuel, program, memory, helpers, &mut NoTrace)
}

/// [`run_traced`]'s non-generic body.
#[inline(never)]
fn run_with_tracer(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
    fuel: &mut usize,
    tracer: &mut dyn Tracer,
) -> Result<u64, Error> {
    let (mut regs, mut calls) = setup(program, entry, memory)?;
    execute::<true>(&mut regs, &mut calls, entry, fuel, program, memory, helpers, tracer)
}

/// Checks the entry and the stack, and builds the initial registers and call
/// stack.
///
/// The interpreter is deliberately not generic over the helpers or the
/// tracer: a generic function is compiled in the crate that instantiates it,
/// with that crate's optimisation settings (a Tock kernel builds with
/// opt-level "z"), whereas `run_plain` / `run_with_tracer` are compiled here,
/// with femto-vm's (the workspace profile gives femto-vm opt-level 3).
/// Helpers and tracers are called through a vtable, which costs nothing per
/// plain instruction.
pub(crate) fn setup(program: &Program<'_>, entry: usize, memory: &Memory<'_>) -> Result<([u64; 16], Calls), Error> {
    let text = program.text;
    // The entry must be an instruction start: in range, and not the second
    // slot of an LDDW (opcode 0, see the verifier).
    match isa::slot(text, entry) {
        Some(s) if s[0] != 0 => {}
        _ => return Err(Error::BadEntry { pc: entry.min(u32::MAX as usize) as u32 }),
    }

    let frame_size = program.stack_frame_size as usize;
    let stack_len = memory.region_len(REGION_STACK).min(u32::MAX as usize);
    if frame_size == 0 || stack_len < frame_size {
        return Err(Error::StackTooSmall {
            needed: program.stack_frame_size,
            actual: stack_len as u32,
        });
    }
    let max_frames = (stack_len / frame_size).min(MAX_CALL_FRAMES);

    // Zero from an opaque value: LLVM turns `[0u64; 16]` into a call to
    // `memset`, and the size-optimised `memset` a Tock kernel links (core
    // built for size) takes about 160 Cortex-M4 instructions for these 128
    // bytes; a splat of a value it cannot see is 16 inline stores.
    let zero = core::hint::black_box(0u64);
    let mut regs = [zero; 16];
    if memory.is_mapped(REGION_CONTEXT) {
        regs[1] = region_base(REGION_CONTEXT);
        regs[2] = memory.region_len(REGION_CONTEXT) as u64;
    }
    regs[10] = vaddr(REGION_STACK, stack_len as u32);

    let calls = Calls {
        depth: 0,
        max_frames,
        frame_size: frame_size as u64,
        // `None`s: only the tags are written (no 384-byte clear per run).
        frames: [None; MAX_CALL_FRAMES],
    };
    Ok((regs, calls))
}

/// Caller state saved by a BPF-to-BPF call.
#[derive(Debug, Default, Clone, Copy)]
struct Frame {
    /// The call instruction's index (execution resumes after it).
    ret: usize,
    saved: [u64; 4],
    fp: u64,
}

/// The BPF-to-BPF call stack of one run.
pub(crate) struct Calls {
    pub(crate) depth: usize,
    max_frames: usize,
    frame_size: u64,
    frames: [Option<Frame>; MAX_CALL_FRAMES],
}

/// Spends one unit of fuel; `pc` is the instruction that needs it.
#[inline(always)]
pub(crate) fn burn(fuel: &mut usize, pc: usize) -> Result<(), Error> {
    if *fuel == 0 {
        return Err(Error::FuelExhausted { pc: pc as u32 });
    }
    *fuel -= 1;
    Ok(())
}

/// Calls helper `id` for the instruction at `pc`: r0 = helper(r1..r5).
/// The allow-list is checked here too, not only by the verifier, so that a
/// text run with [`Program::assume_verified`] cannot call other helpers.
#[inline(never)]
pub(crate) fn helper_call(
    regs: &mut [u64; 16],
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
    id: u32,
    pc: usize,
) -> Result<(), Error> {
    if !program.helpers.contains(id) {
        return Err(Error::HelperNotAllowed { pc: pc as u32, helper: id });
    }
    let args = [regs[1], regs[2], regs[3], regs[4], regs[5]];
    regs[0] = helpers.call(id, args, memory).map_err(|e| e.at_pc(pc as u32))?;
    Ok(())
}

/// The interpreter loop: fetch, dispatch on the opcode byte, decode in the arm.
///
/// The verifier has checked opcodes, registers and jump targets, so the loop
/// only masks register numbers (a 16-entry register file needs no bounds
/// check) and checks the pc against the text (one compare). Each arm decodes
/// just the fields it uses, so that the common path of every instruction is
/// short.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn execute<const TRACE: bool>(
    regs: &mut [u64; 16],
    calls: &mut Calls,
    entry: usize,
    fuel: &mut usize,
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
    tracer: &mut dyn Tracer,
) -> Result<u64, Error> {
    // The fuel lives in a local (a register) for the whole loop and is
    // written back once, whatever the outcome: taken jumps do not go
    // through memory.
    let mut left = *fuel;
    let result = execute_loop::<TRACE>(regs, calls, entry, &mut left, program, memory, helpers, tracer);
    *fuel = left;
    result
}

/// [`execute`]'s loop (always inlined into it, so that its fuel is a local).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn execute_loop<const TRACE: bool>(
    regs: &mut [u64; 16],
    calls: &mut Calls,
    entry: usize,
    fuel: &mut usize,
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
    tracer: &mut dyn Tracer,
) -> Result<u64, Error> {
    // The text as 8-byte slots: one compare per fetch (see `isa::Insns`).
    let insns = isa::Insns::new(program.text);
    // The pc: index of the instruction to fetch.
    let mut pc = entry;
    // Fuel in a machine word (see `run`): on a 32-bit MCU a budget above
    // u32::MAX taken branches is treated as u32::MAX. Only taken jumps and
    // calls touch it.
    loop {
        // One range check per instruction: the verifier's guarantees
        // (targets in range, no fall-through) are not trusted for memory
        // safety.
        let Some(b) = insns.get(pc) else {
            return Err(Error::PcOutOfBounds { pc: pc as u32 });
        };
        if TRACE {
            // Tracers see the program as written (see `crate::translate`).
            tracer.step(pc, &translate::original_slot(b), regs);
        }
        // On 64-bit hosts the whole slot is read as one word and each arm
        // shifts out the fields it uses (measured faster there); on 32-bit
        // MCUs byte and word loads of the fields are cheaper (fewer live
        // registers across the dispatch).
        #[cfg(target_pointer_width = "64")]
        let w = u64::from_le_bytes(*b);
        #[cfg(target_pointer_width = "64")]
        let op = w as u8;
        #[cfg(not(target_pointer_width = "64"))]
        let op = b[0];
        // A traced run executes every slot by its original opcode, one step
        // per instruction (no fused or fast-path forms).
        let op = if TRACE { translate::original_opcode(op) } else { op };

        // The pc (instruction index) of the executing instruction. It is
        // advanced by one after the `match`; jumps add their offset to it.
        macro_rules! this {
            () => {
                pc
            };
        }

        // Field decoders (the register fields are masked to 4 bits).
        macro_rules! dst {
            () => {
                {
                    #[cfg(target_pointer_width = "64")]
                    let v = ((w >> 8) & 0x0f) as usize;
                    #[cfg(not(target_pointer_width = "64"))]
                    let v = (b[1] & 0x0f) as usize;
                    v
                }
            };
        }
        macro_rules! src {
            () => {
                {
                    #[cfg(target_pointer_width = "64")]
                    let v = ((w >> 12) & 0x0f) as usize;
                    #[cfg(not(target_pointer_width = "64"))]
                    let v = (b[1] >> 4) as usize;
                    v
                }
            };
        }
        // The second source register of a fused form (byte 2, see
        // `crate::translate`).
        macro_rules! src2 {
            () => {
                {
                    #[cfg(target_pointer_width = "64")]
                    let v = ((w >> 16) & 0x0f) as usize;
                    #[cfg(not(target_pointer_width = "64"))]
                    let v = (b[2] & 0x0f) as usize;
                    v
                }
            };
        }
        macro_rules! off {
            () => {
                {
                    #[cfg(target_pointer_width = "64")]
                    let v = (w >> 16) as i16;
                    #[cfg(not(target_pointer_width = "64"))]
                    let v = i16::from_le_bytes([b[2], b[3]]);
                    v
                }
            };
        }
        macro_rules! imm {
            () => {
                {
                    #[cfg(target_pointer_width = "64")]
                    let v = (w >> 32) as i32;
                    #[cfg(not(target_pointer_width = "64"))]
                    let v = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
                    v
                }
            };
        }
        // ALU: dst = f(dst, operand); 32-bit results are zero-extended.
        macro_rules! alu64 {
            (K, $f:expr) => {{
                let k = imm!() as i64 as u64;
                let r = &mut regs[dst!()];
                *r = $f(*r, k);
            }};
            (X, $f:expr) => {{
                let v = regs[src!()];
                let r = &mut regs[dst!()];
                *r = $f(*r, v);
            }};
        }
        macro_rules! alu32 {
            (K, $f:expr) => {{
                let k = imm!() as u32;
                let r = &mut regs[dst!()];
                *r = $f(*r as u32, k) as u32 as u64;
            }};
            (X, $f:expr) => {{
                let v = regs[src!()] as u32;
                let r = &mut regs[dst!()];
                *r = $f(*r as u32, v) as u32 as u64;
            }};
        }
        // Register-specialised forms: `$n` is a constant, so the register
        // is at a fixed offset in the register file.
        macro_rules! add64_imm_rn {
            ($n:literal) => {{
                let r = &mut regs[$n];
                *r = r.wrapping_add(imm!() as i64 as u64);
            }};
        }
        macro_rules! add64_reg_rn {
            ($n:literal) => {{
                let v = regs[src!()];
                let r = &mut regs[$n];
                *r = r.wrapping_add(v);
            }};
        }
        macro_rules! mov64_reg_rn {
            ($n:literal) => {{
                regs[$n] = regs[src!()];
            }};
        }
        macro_rules! ldxdw_fp_rn {
            ($n:literal) => {
                ldx_fp!(8, u64, u64, $n)
            };
        }
        macro_rules! stxdw_fp_rn {
            ($n:literal) => {
                st_fp!(8, regs[$n])
            };
        }
        // A taken jump by `delta` slots (relative to the next instruction).
        macro_rules! jump {
            ($delta:expr) => {{
                burn(fuel, this!())?;
                pc = pc.wrapping_add(($delta) as isize as usize);
            }};
        }
        macro_rules! jmp64 {
            (K, $c:expr) => {
                if $c(regs[dst!()], imm!() as i64 as u64) {
                    jump!(off!())
                }
            };
            (X, $c:expr) => {
                if $c(regs[dst!()], regs[src!()]) {
                    jump!(off!())
                }
            };
        }
        macro_rules! jmp32 {
            (K, $c:expr) => {
                if $c(regs[dst!()] as u32, imm!() as u32) {
                    jump!(off!())
                }
            };
            (X, $c:expr) => {
                if $c(regs[dst!()] as u32, regs[src!()] as u32) {
                    jump!(off!())
                }
            };
        }
        // Loads and stores: address = base register + offset.
        macro_rules! fault {
            ($e:expr) => {
                ($e).map_err(|e: Error| e.at_pc(this!() as u32))?
            };
        }
        macro_rules! load {
            ($n:literal, $t:ty, $ext:ty) => {{
                let addr = regs[src!()].wrapping_add(off!() as i64 as u64);
                let v = <$t>::from_le_bytes(fault!(memory.load::<$n>(addr)));
                regs[dst!()] = v as $ext as u64;
            }};
        }
        macro_rules! store {
            ($n:literal, $v:expr) => {{
                let addr = regs[dst!()].wrapping_add(off!() as i64 as u64);
                let v = $v;
                fault!(memory.store::<$n>(addr, v.to_le_bytes()));
            }};
        }

        // Stack accesses through r10 (translated forms, see
        // `crate::translate`): the slot index inside the stack region is
        // r10's offset plus `off`; an access that does not fit there takes
        // the general path, which reports the fault.
        macro_rules! fp_index {
            () => {
                (regs[10] as u32 as usize).wrapping_add(off!() as isize as usize)
            };
        }
        macro_rules! ldx_fp {
            ($n:literal, $t:ty, $ext:ty) => {
                ldx_fp!($n, $t, $ext, dst!())
            };
            ($n:literal, $t:ty, $ext:ty, $dst:expr) => {{
                let v = match memory.stack_chunk::<$n>(fp_index!()) {
                    Some(c) => *c,
                    None => fault!(memory.load_cold::<$n>(regs[10].wrapping_add(off!() as i64 as u64))),
                };
                regs[$dst] = <$t>::from_le_bytes(v) as $ext as u64;
            }};
        }
        macro_rules! st_fp {
            ($n:literal, $v:expr) => {{
                // The value is read after the cell is found (shorter live
                // ranges in the loop).
                match memory.stack_cell::<$n>(fp_index!()) {
                    Some(c) => *c = $v.to_le_bytes(),
                    None => fault!(memory.store::<$n>(regs[10].wrapping_add(off!() as i64 as u64), $v.to_le_bytes())),
                }
            }};
        }

        match op {
            // ---- translated forms (see `crate::translate`) --------------------
            XOP_ZEXT => {
                let r = &mut regs[dst!()];
                *r = *r as u32 as u64;
                pc = pc.wrapping_add(1);
            }
            XOP_MOV32_ZEXT => {
                let v = regs[src!()] as u32 as u64;
                regs[dst!()] = v;
                pc = pc.wrapping_add(2);
            }
            XOP_MOV_ADD_REG => {
                // dst = src + src2 (the translation wrote src2 = src where
                // the add read dst, i.e. the moved value).
                let v = regs[src!()].wrapping_add(regs[src2!()]);
                regs[dst!()] = v;
                pc = pc.wrapping_add(1);
            }
            XOP_MOV_ADD_IMM => {
                let v = regs[src!()].wrapping_add(imm!() as i64 as u64);
                regs[dst!()] = v;
                pc = pc.wrapping_add(1);
            }
            // Register-specialised forms: the register is in the opcode (see
            // `crate::translate`; the tables there and these literals are
            // checked to agree at compile time, below the loop).
            0x20 => add64_imm_rn!(0),
            0x21 => add64_imm_rn!(1),
            0x22 => add64_imm_rn!(2),
            0x23 => add64_imm_rn!(3),
            0x28 => add64_imm_rn!(4),
            0x29 => add64_imm_rn!(5),
            0x2a => add64_imm_rn!(6),
            0x2b => add64_imm_rn!(7),
            0x30 => add64_imm_rn!(8),
            0x31 => add64_imm_rn!(9),
            0x32 => add64_reg_rn!(0),
            0x33 => add64_reg_rn!(1),
            0x38 => add64_reg_rn!(2),
            0x39 => add64_reg_rn!(3),
            0x3a => add64_reg_rn!(4),
            0x3b => add64_reg_rn!(5),
            0x40 => add64_reg_rn!(6),
            0x41 => add64_reg_rn!(7),
            0x42 => add64_reg_rn!(8),
            0x43 => add64_reg_rn!(9),
            0x48 => mov64_reg_rn!(0),
            0x49 => mov64_reg_rn!(1),
            0x4a => mov64_reg_rn!(2),
            0x4b => mov64_reg_rn!(3),
            0x50 => mov64_reg_rn!(4),
            0x51 => mov64_reg_rn!(5),
            0x52 => mov64_reg_rn!(6),
            0x53 => mov64_reg_rn!(7),
            0x58 => mov64_reg_rn!(8),
            0x59 => mov64_reg_rn!(9),
            0x5a => ldxdw_fp_rn!(0),
            0x5b => ldxdw_fp_rn!(1),
            0x80 => ldxdw_fp_rn!(2),
            0x82 => ldxdw_fp_rn!(3),
            0x83 => ldxdw_fp_rn!(4),
            0x88 => ldxdw_fp_rn!(5),
            0x8a => ldxdw_fp_rn!(6),
            0x8b => ldxdw_fp_rn!(7),
            0x8c => ldxdw_fp_rn!(8),
            0x8e => ldxdw_fp_rn!(9),
            0x8f => stxdw_fp_rn!(0),
            0x90 => stxdw_fp_rn!(1),
            0x92 => stxdw_fp_rn!(2),
            0x93 => stxdw_fp_rn!(3),
            0x98 => stxdw_fp_rn!(4),
            0x99 => stxdw_fp_rn!(5),
            0x9a => stxdw_fp_rn!(6),
            0x9b => stxdw_fp_rn!(7),
            0x9d => stxdw_fp_rn!(8),
            0x9e => stxdw_fp_rn!(9),
            XOP_LSH64_SMALL => alu64!(K, |d: u64, s: u64| shl64_small(d, s as u32 & 31)),
            XOP_RSH64_SMALL => alu64!(K, |d: u64, s: u64| shr64_small(d, s as u32 & 31)),
            0x60 => ldx_fp!(4, u32, u32),
            0x68 => ldx_fp!(2, u16, u16),
            0x70 => ldx_fp!(1, u8, u8),
            0x78 => ldx_fp!(8, u64, u64),
            0xe2 => st_fp!(4, imm!() as u32),
            0xea => st_fp!(2, imm!() as u16),
            0xf2 => st_fp!(1, imm!() as u8),
            0xfa => st_fp!(8, imm!() as i64 as u64),
            0xe3 => st_fp!(4, regs[src!()] as u32),
            0xeb => st_fp!(2, regs[src!()] as u16),
            0xf3 => st_fp!(1, regs[src!()] as u8),
            0xfb => st_fp!(8, regs[src!()]),

            // ---- ALU64 ----------------------------------------------------------
            0x07 => alu64!(K, u64::wrapping_add),
            0x0f => alu64!(X, u64::wrapping_add),
            0x17 => alu64!(K, u64::wrapping_sub),
            0x1f => alu64!(X, u64::wrapping_sub),
            0x27 => alu64!(K, u64::wrapping_mul),
            0x2f => alu64!(X, u64::wrapping_mul),
            0x37 => alu64!(K, |d, s| div64(d, s, off!())),
            0x3f => alu64!(X, |d, s| div64(d, s, off!())),
            0x47 => alu64!(K, |d, s| d | s),
            0x4f => alu64!(X, |d, s| d | s),
            0x57 => alu64!(K, |d, s| d & s),
            0x5f => alu64!(X, |d, s| d & s),
            0x67 => alu64!(K, |d: u64, s: u64| shl64(d, s as u32 & 63)),
            0x6f => alu64!(X, |d: u64, s: u64| shl64(d, s as u32 & 63)),
            0x77 => alu64!(K, |d: u64, s: u64| shr64(d, s as u32 & 63)),
            0x7f => alu64!(X, |d: u64, s: u64| shr64(d, s as u32 & 63)),
            0x87 => alu64!(K, |d: u64, _| d.wrapping_neg()),
            0x97 => alu64!(K, |d, s| mod64(d, s, off!())),
            0x9f => alu64!(X, |d, s| mod64(d, s, off!())),
            0xa7 => alu64!(K, |d, s| d ^ s),
            0xaf => alu64!(X, |d, s| d ^ s),
            0xb7 => alu64!(K, |_, s| s),
            // Plain `mov` (off 0) is by far the most common: tested first.
            0xbf if off!() == 0 => alu64!(X, |_, s| s),
            0xbf => alu64!(X, |_, s: u64| match off!() {
                8 => s as i8 as i64 as u64,
                16 => s as i16 as i64 as u64,
                32 => s as i32 as i64 as u64,
                _ => s,
            }),
            0xc7 => alu64!(K, |d: u64, s: u64| sar64(d, s as u32 & 63)),
            0xcf => alu64!(X, |d: u64, s: u64| sar64(d, s as u32 & 63)),
            0xd7 => {
                let d = dst!();
                regs[d] = bswap(regs[d], imm!(), this!())?;
            }

            // ---- ALU (32-bit; results are zero-extended) ------------------------------
            0x04 => alu32!(K, u32::wrapping_add),
            0x0c => alu32!(X, u32::wrapping_add),
            0x14 => alu32!(K, u32::wrapping_sub),
            0x1c => alu32!(X, u32::wrapping_sub),
            0x24 => alu32!(K, u32::wrapping_mul),
            0x2c => alu32!(X, u32::wrapping_mul),
            0x34 => alu32!(K, |d, s| div32(d, s, off!())),
            0x3c => alu32!(X, |d, s| div32(d, s, off!())),
            0x44 => alu32!(K, |d, s| d | s),
            0x4c => alu32!(X, |d, s| d | s),
            0x54 => alu32!(K, |d, s| d & s),
            0x5c => alu32!(X, |d, s| d & s),
            0x64 => alu32!(K, |d: u32, s: u32| d << (s & 31)),
            0x6c => alu32!(X, |d: u32, s: u32| d << (s & 31)),
            0x74 => alu32!(K, |d: u32, s: u32| d >> (s & 31)),
            0x7c => alu32!(X, |d: u32, s: u32| d >> (s & 31)),
            0x84 => alu32!(K, |d: u32, _| d.wrapping_neg()),
            0x94 => alu32!(K, |d, s| mod32(d, s, off!())),
            0x9c => alu32!(X, |d, s| mod32(d, s, off!())),
            0xa4 => alu32!(K, |d, s| d ^ s),
            0xac => alu32!(X, |d, s| d ^ s),
            0xb4 => alu32!(K, |_, s| s),
            0xbc => alu32!(X, |_, s: u32| match off!() {
                8 => s as i8 as i32 as u32,
                16 => s as i16 as i32 as u32,
                _ => s,
            }),
            0xc4 => alu32!(K, |d: u32, s: u32| ((d as i32) >> (s & 31)) as u32),
            0xcc => alu32!(X, |d: u32, s: u32| ((d as i32) >> (s & 31)) as u32),
            0xd4 => {
                let d = dst!();
                regs[d] = match imm!() {
                    16 => regs[d] as u16 as u64,
                    32 => regs[d] as u32 as u64,
                    64 => regs[d],
                    imm => return Err(Error::InvalidImmediate { pc: this!() as u32, imm }),
                }
            }
            0xdc => {
                let d = dst!();
                regs[d] = bswap(regs[d], imm!(), this!())?;
            }

            // ---- loads ------------------------------------------------------------------------
            0x61 => load!(4, u32, u32),
            0x69 => load!(2, u16, u16),
            0x71 => load!(1, u8, u8),
            0x79 => load!(8, u64, u64),
            0x81 => load!(4, i32, i64),
            0x89 => load!(2, i16, i64),
            0x91 => load!(1, i8, i64),

            // ---- stores -----------------------------------------------------------------------
            0x62 => store!(4, imm!() as u32),
            0x6a => store!(2, imm!() as u16),
            0x72 => store!(1, imm!() as u8),
            0x7a => store!(8, imm!() as i64 as u64),
            0x63 => store!(4, regs[src!()] as u32),
            0x6b => store!(2, regs[src!()] as u16),
            0x73 => store!(1, regs[src!()] as u8),
            0x7b => store!(8, regs[src!()]),

            // ---- atomics ----------------------------------------------------------------------
            0xc3 => {
                let (s, addr) = (src!(), regs[dst!()].wrapping_add(off!() as i64 as u64));
                let cell = fault!(memory.cell_mut::<4>(addr, Access::Atomic));
                let old = u32::from_le_bytes(*cell);
                let operand = regs[s] as u32 as u64;
                let (new, fetched) = atomic_op(old as u64, operand, regs[0] as u32 as u64, imm!(), this!())?;
                *cell = (new as u32).to_le_bytes();
                match fetched {
                    Fetch::None => {}
                    Fetch::Src => regs[s] = old as u64,
                    Fetch::R0 => regs[0] = old as u64,
                }
            }
            0xdb => {
                let (s, addr) = (src!(), regs[dst!()].wrapping_add(off!() as i64 as u64));
                let cell = fault!(memory.cell_mut::<8>(addr, Access::Atomic));
                let old = u64::from_le_bytes(*cell);
                let (new, fetched) = atomic_op(old, regs[s], regs[0], imm!(), this!())?;
                *cell = new.to_le_bytes();
                match fetched {
                    Fetch::None => {}
                    Fetch::Src => regs[s] = old,
                    Fetch::R0 => regs[0] = old,
                }
            }

            // ---- 64-bit immediate loads (two slots) --------------------------------------------
            isa::OP_LDDW | isa::OP_LDDWD | isa::OP_LDDWR => {
                regs[dst!()] = wide_value(&insns, this!(), op, imm!(), program)?;
                pc = pc.wrapping_add(1);
            }

            // ---- JMP (64-bit compares) ------------------------------------------------------------
            0x05 => jump!(off!()),
            0x15 => jmp64!(K, |d, s| d == s),
            0x1d => jmp64!(X, |d, s| d == s),
            0x25 => jmp64!(K, |d, s| d > s),
            0x2d => jmp64!(X, |d, s| d > s),
            0x35 => jmp64!(K, |d, s| d >= s),
            0x3d => jmp64!(X, |d, s| d >= s),
            0x45 => jmp64!(K, |d: u64, s: u64| d & s != 0),
            0x4d => jmp64!(X, |d: u64, s: u64| d & s != 0),
            0x55 => jmp64!(K, |d, s| d != s),
            0x5d => jmp64!(X, |d, s| d != s),
            0x65 => jmp64!(K, |d: u64, s: u64| (d as i64) > (s as i64)),
            0x6d => jmp64!(X, |d: u64, s: u64| (d as i64) > (s as i64)),
            0x75 => jmp64!(K, |d: u64, s: u64| (d as i64) >= (s as i64)),
            0x7d => jmp64!(X, |d: u64, s: u64| (d as i64) >= (s as i64)),
            0xa5 => jmp64!(K, |d, s| d < s),
            0xad => jmp64!(X, |d, s| d < s),
            0xb5 => jmp64!(K, |d, s| d <= s),
            0xbd => jmp64!(X, |d, s| d <= s),
            0xc5 => jmp64!(K, |d: u64, s: u64| (d as i64) < (s as i64)),
            0xcd => jmp64!(X, |d: u64, s: u64| (d as i64) < (s as i64)),
            0xd5 => jmp64!(K, |d: u64, s: u64| (d as i64) <= (s as i64)),
            0xdd => jmp64!(X, |d: u64, s: u64| (d as i64) <= (s as i64)),

            // ---- JMP32 (32-bit compares) ----------------------------------------------------------
            0x06 => jump!(imm!()),
            0x16 => jmp32!(K, |d, s| d == s),
            0x1e => jmp32!(X, |d, s| d == s),
            0x26 => jmp32!(K, |d, s| d > s),
            0x2e => jmp32!(X, |d, s| d > s),
            0x36 => jmp32!(K, |d, s| d >= s),
            0x3e => jmp32!(X, |d, s| d >= s),
            0x46 => jmp32!(K, |d: u32, s: u32| d & s != 0),
            0x4e => jmp32!(X, |d: u32, s: u32| d & s != 0),
            0x56 => jmp32!(K, |d, s| d != s),
            0x5e => jmp32!(X, |d, s| d != s),
            0x66 => jmp32!(K, |d: u32, s: u32| (d as i32) > (s as i32)),
            0x6e => jmp32!(X, |d: u32, s: u32| (d as i32) > (s as i32)),
            0x76 => jmp32!(K, |d: u32, s: u32| (d as i32) >= (s as i32)),
            0x7e => jmp32!(X, |d: u32, s: u32| (d as i32) >= (s as i32)),
            0xa6 => jmp32!(K, |d, s| d < s),
            0xae => jmp32!(X, |d, s| d < s),
            0xb6 => jmp32!(K, |d, s| d <= s),
            0xbe => jmp32!(X, |d, s| d <= s),
            0xc6 => jmp32!(K, |d: u32, s: u32| (d as i32) < (s as i32)),
            0xce => jmp32!(X, |d: u32, s: u32| (d as i32) < (s as i32)),
            0xd6 => jmp32!(K, |d: u32, s: u32| (d as i32) <= (s as i32)),
            0xde => jmp32!(X, |d: u32, s: u32| (d as i32) <= (s as i32)),

            // ---- calls and exit -------------------------------------------------------------------
            isa::OP_CALL => match src!() as u8 {
                isa::CALL_HELPER => {
                    burn(fuel, this!())?;
                    helper_call(regs, program, memory, helpers, imm!() as u32, this!())?;
                }
                isa::CALL_LOCAL => {
                    burn(fuel, this!())?;
                    // Returns to pc + 1 (the advance after the match).
                    local_call(calls, regs, this!(), pc)?;
                    pc = pc.wrapping_add(imm!() as isize as usize);
                }
                _ => return Err(Error::UnknownOpcode { pc: this!() as u32, opcode: op }),
            },
            isa::OP_CALLX => {
                // The helper number is the value of the dst register.
                let d = regs[dst!()];
                let Ok(id) = u32::try_from(d) else {
                    return Err(Error::HelperNotAllowed { pc: this!() as u32, helper: d as u32 });
                };
                burn(fuel, this!())?;
                helper_call(regs, program, memory, helpers, id, this!())?;
            }
            isa::OP_EXIT => {
                if calls.depth == 0 {
                    return Ok(regs[0]);
                }
                pc = local_return(calls, regs, this!())?;
            }

            // Every other byte, each listed as a literal (not a range) so that
            // the match is exhaustive without a wildcard: the dispatch table
            // then covers all 256 values and needs no range check.
            0x00 | 0x01 | 0x02 | 0x03 | 0x08 | 0x09 | 0x0a | 0x0b | 0x0d | 0x0e | 0x10 | 0x11 |
            0x12 | 0x13 | 0x19 | 0x1a | 0x1b | 0x86 | 0x96 | 0xa0 | 0xa1 | 0xa2 | 0xa3 | 0xa8 |
            0xa9 | 0xaa | 0xab | 0xb0 | 0xb1 | 0xb2 | 0xb3 | 0xb9 | 0xba | 0xbb | 0xc0 | 0xc1 | 0xc2 |
            0xc8 | 0xc9 | 0xca | 0xcb | 0xd0 | 0xd1 | 0xd2 | 0xd3 | 0xd9 | 0xda | 0xdf | 0xe8 |
            0xe9 | 0xec | 0xed | 0xee | 0xef | 0xf0 | 0xf1 | 0xf4 | 0xf5 | 0xf6 | 0xf7 | 0xf8 |
            0xf9 | 0xfc | 0xfd | 0xfe | 0xff => {
                return Err(Error::UnknownOpcode { pc: this!() as u32, opcode: op })
            }
        }
        pc = pc.wrapping_add(1);
    }
}

// The literals of the register-specialised arms in `execute_loop` are the
// translation's tables.
const _: () = {
    assert!(matches!(translate::XOP_ADD64_IMM_RN, [0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31]));
    assert!(matches!(translate::XOP_ADD64_REG_RN, [0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x40, 0x41, 0x42, 0x43]));
    assert!(matches!(translate::XOP_MOV64_REG_RN, [0x48, 0x49, 0x4a, 0x4b, 0x50, 0x51, 0x52, 0x53, 0x58, 0x59]));
    assert!(matches!(translate::XOP_LDXDW_FP_RN, [0x5a, 0x5b, 0x80, 0x82, 0x83, 0x88, 0x8a, 0x8b, 0x8c, 0x8e]));
    assert!(matches!(translate::XOP_STXDW_FP_RN, [0x8f, 0x90, 0x92, 0x93, 0x98, 0x99, 0x9a, 0x9b, 0x9d, 0x9e]));
};

/// The value a wide load (`op`: LDDW, or RIOT's LDDWD / LDDWR if the
/// program allows them) at `pc` writes; `imm` is its first slot's immediate,
/// the second slot (checked to exist) has the high half.
#[inline(always)]
pub(crate) fn wide_value(
    insns: &isa::Insns<'_>,
    pc: usize,
    op: u8,
    imm: i32,
    program: &Program<'_>,
) -> Result<u64, Error> {
    if op != isa::OP_LDDW && !program.rbf_pseudo_opcodes {
        return Err(Error::UnknownOpcode { pc: pc as u32, opcode: op });
    }
    let Some(hi) = insns.get(pc.wrapping_add(1)) else {
        return Err(Error::PcOutOfBounds { pc: pc.wrapping_add(1) as u32 });
    };
    let value = (imm as u32 as u64) | ((u32::from_le_bytes([hi[4], hi[5], hi[6], hi[7]]) as u64) << 32);
    Ok(match op {
        isa::OP_LDDW => value,
        isa::OP_LDDWD => region_base(REGION_DATA).wrapping_add(value),
        _ => region_base(REGION_RODATA).wrapping_add(value),
    })
}

/// Enters a BPF-to-BPF call at `this`: saves r6–r9, r10 and the return pc,
/// moves r10 down one frame.
#[inline(never)]
pub(crate) fn local_call(calls: &mut Calls, regs: &mut [u64; 16], this: usize, ret: usize) -> Result<(), Error> {
    let depth = calls.depth;
    let exceeded = Error::CallDepthExceeded { pc: this as u32, depth: depth as u32 + 1 };
    if depth + 1 >= calls.max_frames {
        return Err(exceeded);
    }
    let saved = Frame { ret, saved: [regs[6], regs[7], regs[8], regs[9]], fp: regs[10] };
    let Some(frame) = calls.frames.get_mut(depth) else {
        return Err(exceeded);
    };
    *frame = Some(saved);
    calls.depth = depth + 1;
    regs[10] = regs[10].wrapping_sub(calls.frame_size);
    Ok(())
}

/// Returns from a BPF-to-BPF call: restores r6–r9 and r10, gives the return
/// address (instruction index).
#[inline(never)]
pub(crate) fn local_return(calls: &mut Calls, regs: &mut [u64; 16], this: usize) -> Result<usize, Error> {
    calls.depth = calls.depth.wrapping_sub(1);
    let Some(Some(frame)) = calls.frames.get(calls.depth) else {
        return Err(Error::PcOutOfBounds { pc: this as u32 });
    };
    regs[6..10].copy_from_slice(&frame.saved);
    regs[10] = frame.fp;
    Ok(frame.ret)
}

/// What an atomic operation writes back to a register.
pub(crate) enum Fetch {
    None,
    Src,
    R0,
}

/// Applies atomic operation `imm` to `old` with operand `src` (and r0 for
/// cmpxchg). Returns the new memory value and which register gets `old`.
#[inline(always)]
pub(crate) fn atomic_op(old: u64, src: u64, r0: u64, imm: i32, pc: usize) -> Result<(u64, Fetch), Error> {
    use isa::*;
    let fetch = if imm & ATOMIC_FETCH != 0 { Fetch::Src } else { Fetch::None };
    Ok(match imm {
        ATOMIC_XCHG => (src, Fetch::Src),
        ATOMIC_CMPXCHG => {
            // For the 32-bit form the caller passes r0 truncated to 32 bits.
            let new = if old == r0 { src } else { old };
            (new, Fetch::R0)
        }
        _ => {
            let new = match imm & !ATOMIC_FETCH {
                ATOMIC_ADD => old.wrapping_add(src),
                ATOMIC_OR => old | src,
                ATOMIC_AND => old & src,
                ATOMIC_XOR => old ^ src,
                _ => return Err(Error::InvalidImmediate { pc: pc as u32, imm }),
            };
            (new, fetch)
        }
    })
}

/// Byte swap of the low `imm` bits (16, 32, 64), zero-extended.
#[inline(always)]
pub(crate) fn bswap(d: u64, imm: i32, pc: usize) -> Result<u64, Error> {
    Ok(match imm {
        16 => (d as u16).swap_bytes() as u64,
        32 => (d as u32).swap_bytes() as u64,
        64 => d.swap_bytes(),
        _ => return Err(Error::InvalidImmediate { pc: pc as u32, imm }),
    })
}

/// 64-bit shifts by `sh` (already masked to 0..=63). On 64-bit hosts the
/// native shift; on 32-bit MCUs the halves are shifted with a branch on
/// `sh >= 32` (clang's zero-extension idiom `lsh 32; rsh 32` then costs a
/// move instead of the generic branch-free 64-bit shift sequence).
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn shl64(d: u64, sh: u32) -> u64 {
    d << sh
}

#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn shr64(d: u64, sh: u32) -> u64 {
    d >> sh
}

#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn sar64(d: u64, sh: u32) -> u64 {
    ((d as i64) >> sh) as u64
}

/// The 32-bit-MCU forms of the 64-bit shifts, on (lo, hi) halves. Compiled
/// on every target so that the unit tests below check them on the host.
#[cfg_attr(target_pointer_width = "64", allow(dead_code))]
mod shift32 {
    #[inline(always)]
    fn halves(d: u64) -> (u32, u32) {
        (d as u32, (d >> 32) as u32)
    }

    #[inline(always)]
    fn join(lo: u32, hi: u32) -> u64 {
        (hi as u64) << 32 | lo as u64
    }

    #[inline(always)]
    pub(super) fn shl64(d: u64, sh: u32) -> u64 {
        let (lo, hi) = halves(d);
        if sh >= 32 {
            join(0, lo.wrapping_shl(sh - 32))
        } else if sh == 0 {
            d
        } else {
            join(lo.wrapping_shl(sh), hi.wrapping_shl(sh) | lo.wrapping_shr(32 - sh))
        }
    }

    #[inline(always)]
    pub(super) fn shr64(d: u64, sh: u32) -> u64 {
        let (lo, hi) = halves(d);
        if sh >= 32 {
            join(hi.wrapping_shr(sh - 32), 0)
        } else if sh == 0 {
            d
        } else {
            join(lo.wrapping_shr(sh) | hi.wrapping_shl(32 - sh), hi.wrapping_shr(sh))
        }
    }

    /// `shl64` for `sh` in 1..=31 (other values give a wrong result, never a panic).
    #[inline(always)]
    pub(super) fn shl64_small(d: u64, sh: u32) -> u64 {
        let (lo, hi) = halves(d);
        join(lo.wrapping_shl(sh), hi.wrapping_shl(sh) | lo.wrapping_shr(32u32.wrapping_sub(sh)))
    }

    /// `shr64` for `sh` in 1..=31 (other values give a wrong result, never a panic).
    #[inline(always)]
    pub(super) fn shr64_small(d: u64, sh: u32) -> u64 {
        let (lo, hi) = halves(d);
        join(lo.wrapping_shr(sh) | hi.wrapping_shl(32u32.wrapping_sub(sh)), hi.wrapping_shr(sh))
    }

    #[inline(always)]
    pub(super) fn sar64(d: u64, sh: u32) -> u64 {
        let (lo, hi) = halves(d);
        let shi = hi as i32;
        if sh >= 32 {
            join(shi.wrapping_shr(sh - 32) as u32, (shi >> 31) as u32)
        } else if sh == 0 {
            d
        } else {
            join(lo.wrapping_shr(sh) | hi.wrapping_shl(32 - sh), shi.wrapping_shr(sh) as u32)
        }
    }

}

#[cfg(not(target_pointer_width = "64"))]
use shift32::{sar64, shl64, shl64_small, shr64, shr64_small};

/// 64-bit shifts by 1..=31 (translated `lsh64`/`rsh64` by such an
/// immediate); on 64-bit hosts the native shift.
#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn shl64_small(d: u64, sh: u32) -> u64 {
    d << sh
}

#[cfg(target_pointer_width = "64")]
#[inline(always)]
fn shr64_small(d: u64, sh: u32) -> u64 {
    d >> sh
}

/// True if `x`, read as an i64, is in i32's range.
#[inline(always)]
fn fits_i32(x: u64) -> bool {
    x as i64 == x as i32 as i64
}

/// Signed 64-bit division (`rem` false) or remainder, for operands that do
/// not both fit in 32 bits: the unsigned division of the magnitudes,
/// negated as truncating division has it (see [`div64`]). Out of line:
/// rare, and one copy for every arm that divides. The callers have handled
/// `s == 0`; the checked forms keep a panic path out of the code all the
/// same (out of line, the optimiser cannot see that).
#[inline(never)]
fn signed_wide(d: u64, s: u64, rem: bool) -> u64 {
    let (n, m) = (magnitude(d), magnitude(s));
    if rem {
        with_sign(n.checked_rem(m).unwrap_or(n), d as i64 >= 0)
    } else {
        with_sign(n.checked_div(m).unwrap_or(0), (d ^ s) as i64 >= 0)
    }
}

/// `|x|` of `x` read as an i64 (2^63 for `i64::MIN`).
#[inline(always)]
fn magnitude(x: u64) -> u64 {
    (x as i64).unsigned_abs()
}

/// `q` if `positive`, else `-q` (wrapping: 2^63 stays `i64::MIN`).
#[inline(always)]
fn with_sign(q: u64, positive: bool) -> u64 {
    if positive {
        q
    } else {
        q.wrapping_neg()
    }
}

/// 64-bit division, `off` = 1 for signed. Division by zero gives 0; signed
/// overflow (MIN / -1) gives MIN (RFC 9669). Signed operands that do not
/// both fit in 32 bits go to [`signed_wide`].
#[inline(always)]
pub(crate) fn div64(d: u64, s: u64, off: i16) -> u64 {
    if s == 0 {
        0
    } else if off != 0 {
        // Both operands fit in 32 bits: one hardware division on a 32-bit
        // MCU (checked_div declines i32::MIN / -1, whose 64-bit result is
        // 2^31, and leaves it to the 64-bit path).
        match (fits_i32(d) && fits_i32(s)).then(|| (d as i32).checked_div(s as i32)).flatten() {
            Some(q) => q as i64 as u64,
            None => signed_wide(d, s, false),
        }
    } else if (d | s) >> 32 == 0 {
        ((d as u32) / (s as u32)) as u64
    } else {
        d / s
    }
}

/// 64-bit modulo, `off` = 1 for signed. Modulo by zero leaves dst unchanged;
/// MIN % -1 gives 0 (RFC 9669).
#[inline(always)]
pub(crate) fn mod64(d: u64, s: u64, off: i16) -> u64 {
    if s == 0 {
        d
    } else if off != 0 {
        signed_wide(d, s, true)
    } else if (d | s) >> 32 == 0 {
        ((d as u32) % (s as u32)) as u64
    } else {
        d % s
    }
}

/// 32-bit division (see [`div64`]).
#[inline(always)]
fn div32(d: u32, s: u32, off: i16) -> u32 {
    if s == 0 {
        0
    } else if off != 0 {
        (d as i32).wrapping_div(s as i32) as u32
    } else {
        d / s
    }
}

/// 32-bit modulo (see [`mod64`]).
#[inline(always)]
fn mod32(d: u32, s: u32, off: i16) -> u32 {
    if s == 0 {
        d
    } else if off != 0 {
        (d as i32).wrapping_rem(s as i32) as u32
    } else {
        d % s
    }
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

    /// Runs this program; see [`run_metered`].
    pub fn run_metered<H: Helpers + ?Sized>(
        &self,
        entry: usize,
        memory: &mut Memory<'_>,
        helpers: &mut H,
        fuel: &mut u64,
    ) -> Result<u64, Error> {
        run_metered(self, entry, memory, helpers, fuel)
    }
}

#[cfg(test)]
mod tests {
    use super::shift32;

    #[test]
    fn shift32_matches_native_64_bit_shifts() {
        let values = [
            0u64,
            1,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x8000_0000_0000_0000,
            u64::MAX,
            0x0123_4567_89ab_cdef,
            0xfedc_ba98_7654_3210,
            0x7fff_ffff_ffff_ffff,
        ];
        for &d in &values {
            for sh in 0..64u32 {
                assert_eq!(shift32::shl64(d, sh), d << sh, "shl {d:#x} {sh}");
                assert_eq!(shift32::shr64(d, sh), d >> sh, "shr {d:#x} {sh}");
                assert_eq!(shift32::sar64(d, sh), ((d as i64) >> sh) as u64, "sar {d:#x} {sh}");
                if (1..32).contains(&sh) {
                    assert_eq!(shift32::shl64_small(d, sh), d << sh, "shl small {d:#x} {sh}");
                    assert_eq!(shift32::shr64_small(d, sh), d >> sh, "shr small {d:#x} {sh}");
                }
            }
        }
    }
}
