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

use crate::error::{Access, Error};
use crate::helpers::Helpers;
use crate::isa;
use crate::memory::{region_base, vaddr, Memory, Region, REGION_CONTEXT, REGION_DATA, REGION_RODATA, REGION_STACK};
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

    let mut regs = [0u64; 16];
    if let Some(r) = memory.region(REGION_CONTEXT) {
        if !matches!(r, Region::Unmapped) {
            regs[1] = region_base(REGION_CONTEXT);
            regs[2] = r.len() as u64;
        }
    }
    regs[10] = vaddr(REGION_STACK, stack_len as u32);

    let mut state = State {
        regs,
        pc: entry,
        fuel,
        depth: 0,
        max_frames,
        frame_size: frame_size as u64,
        frames: [Frame::default(); MAX_CALL_FRAMES],
    };
    execute(&mut state, program, memory, helpers, tracer)
}

/// Caller state saved by a BPF-to-BPF call.
#[derive(Debug, Default, Clone, Copy)]
struct Frame {
    ret: usize,
    saved: [u64; 4],
    fp: u64,
}

/// The machine state of one run.
struct State {
    /// r0..r10; entries 11..16 are padding so that a 4-bit register field
    /// indexes the array without a bounds check.
    regs: [u64; 16],
    pc: usize,
    fuel: u64,
    depth: usize,
    max_frames: usize,
    frame_size: u64,
    frames: [Frame; MAX_CALL_FRAMES],
}

/// Spends one unit of fuel; `pc` is the instruction that needs it.
#[inline(always)]
fn burn(fuel: &mut u64, pc: usize) -> Result<(), Error> {
    if *fuel == 0 {
        return Err(Error::FuelExhausted { pc: pc as u32 });
    }
    *fuel -= 1;
    Ok(())
}

#[inline(always)]
fn helper_call<H: Helpers + ?Sized>(
    st: &mut State,
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    id: u32,
    pc: usize,
) -> Result<(), Error> {
    burn(&mut st.fuel, pc)?;
    if !program.helpers.contains(id) {
        return Err(Error::HelperNotAllowed { pc: pc as u32, helper: id });
    }
    let r = &st.regs;
    let args = [r[1], r[2], r[3], r[4], r[5]];
    st.regs[0] = helpers.call(id, args, memory).map_err(|e| e.at_pc(pc as u32))?;
    Ok(())
}

/// The interpreter loop: fetch, decode the fields, dispatch on the opcode byte.
/// The verifier has checked opcodes, registers and jump targets, so the loop
/// only masks register numbers (a 16-entry register file needs no bounds
/// check) and checks the pc against the text (one compare).
fn execute<H: Helpers + ?Sized, T: Tracer + ?Sized>(
    st: &mut State,
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    tracer: &mut T,
) -> Result<u64, Error> {
    let text = program.text;
    let mut pc = st.pc;
    let mut fuel = st.fuel;
    let mut regs = st.regs;
    loop {
        let at = pc.wrapping_mul(isa::INSN_SIZE);
        let Some(b) = text.get(at..at.wrapping_add(isa::INSN_SIZE)).and_then(|s| s.first_chunk::<8>())
        else {
            return Err(Error::PcOutOfBounds { pc: pc as u32 });
        };
        tracer.step(pc, b, &regs);
        let op = b[0];
        let dst = (b[1] & 0x0f) as usize;
        let src = (b[1] >> 4) as usize;
        let off = i16::from_le_bytes([b[2], b[3]]);
        let imm = i32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        let this = pc;
        pc = pc.wrapping_add(1);

        // Effective address of a load/store.
        macro_rules! addr {
            ($base:expr) => {
                ($base).wrapping_add(off as i64 as u64)
            };
        }
        macro_rules! fault {
            ($e:expr) => {
                ($e).map_err(|e: Error| e.at_pc(this as u32))?
            };
        }
        // A taken jump by `delta` slots (relative to the next instruction).
        macro_rules! jump {
            ($delta:expr) => {{
                burn(&mut fuel, this)?;
                pc = pc.wrapping_add_signed(($delta) as isize);
            }};
        }
        macro_rules! cond {
            ($c:expr) => {
                if $c {
                    jump!(off)
                }
            };
        }
        let d = regs[dst];
        let s = regs[src];
        let k64 = imm as i64 as u64;
        let k32 = imm as u32;

        match op {
            // ---- ALU64 ----------------------------------------------------
            0x07 => regs[dst] = d.wrapping_add(k64),
            0x0f => regs[dst] = d.wrapping_add(s),
            0x17 => regs[dst] = d.wrapping_sub(k64),
            0x1f => regs[dst] = d.wrapping_sub(s),
            0x27 => regs[dst] = d.wrapping_mul(k64),
            0x2f => regs[dst] = d.wrapping_mul(s),
            0x37 => regs[dst] = div64(d, k64, off),
            0x3f => regs[dst] = div64(d, s, off),
            0x47 => regs[dst] = d | k64,
            0x4f => regs[dst] = d | s,
            0x57 => regs[dst] = d & k64,
            0x5f => regs[dst] = d & s,
            0x67 => regs[dst] = d << (k32 & 63),
            0x6f => regs[dst] = d << (s & 63),
            0x77 => regs[dst] = d >> (k32 & 63),
            0x7f => regs[dst] = d >> (s & 63),
            0x87 => regs[dst] = (d as i64).wrapping_neg() as u64,
            0x97 => regs[dst] = mod64(d, k64, off),
            0x9f => regs[dst] = mod64(d, s, off),
            0xa7 => regs[dst] = d ^ k64,
            0xaf => regs[dst] = d ^ s,
            0xb7 => regs[dst] = k64,
            0xbf => {
                regs[dst] = match off {
                    8 => s as i8 as i64 as u64,
                    16 => s as i16 as i64 as u64,
                    32 => s as i32 as i64 as u64,
                    _ => s,
                }
            }
            0xc7 => regs[dst] = ((d as i64) >> (k32 & 63)) as u64,
            0xcf => regs[dst] = ((d as i64) >> (s & 63)) as u64,
            0xd7 => regs[dst] = bswap(d, imm, this)?,

            // ---- ALU (32-bit; results are zero-extended) -------------------------
            0x04 => regs[dst] = (d as u32).wrapping_add(k32) as u64,
            0x0c => regs[dst] = (d as u32).wrapping_add(s as u32) as u64,
            0x14 => regs[dst] = (d as u32).wrapping_sub(k32) as u64,
            0x1c => regs[dst] = (d as u32).wrapping_sub(s as u32) as u64,
            0x24 => regs[dst] = (d as u32).wrapping_mul(k32) as u64,
            0x2c => regs[dst] = (d as u32).wrapping_mul(s as u32) as u64,
            0x34 => regs[dst] = div32(d as u32, k32, off) as u64,
            0x3c => regs[dst] = div32(d as u32, s as u32, off) as u64,
            0x44 => regs[dst] = (d as u32 | k32) as u64,
            0x4c => regs[dst] = (d as u32 | s as u32) as u64,
            0x54 => regs[dst] = (d as u32 & k32) as u64,
            0x5c => regs[dst] = (d as u32 & s as u32) as u64,
            0x64 => regs[dst] = ((d as u32) << (k32 & 31)) as u64,
            0x6c => regs[dst] = ((d as u32) << (s as u32 & 31)) as u64,
            0x74 => regs[dst] = ((d as u32) >> (k32 & 31)) as u64,
            0x7c => regs[dst] = ((d as u32) >> (s as u32 & 31)) as u64,
            0x84 => regs[dst] = (d as u32).wrapping_neg() as u64,
            0x94 => regs[dst] = mod32(d as u32, k32, off) as u64,
            0x9c => regs[dst] = mod32(d as u32, s as u32, off) as u64,
            0xa4 => regs[dst] = (d as u32 ^ k32) as u64,
            0xac => regs[dst] = (d as u32 ^ s as u32) as u64,
            0xb4 => regs[dst] = k32 as u64,
            0xbc => {
                regs[dst] = match off {
                    8 => s as i8 as i32 as u32 as u64,
                    16 => s as i16 as i32 as u32 as u64,
                    _ => s as u32 as u64,
                }
            }
            0xc4 => regs[dst] = ((d as i32) >> (k32 & 31)) as u32 as u64,
            0xcc => regs[dst] = ((d as i32) >> (s as u32 & 31)) as u32 as u64,
            0xd4 => {
                regs[dst] = match imm {
                    16 => d as u16 as u64,
                    32 => d as u32 as u64,
                    64 => d,
                    _ => return Err(Error::InvalidImmediate { pc: this as u32, imm }),
                }
            }
            0xdc => regs[dst] = bswap(d, imm, this)?,

            // ---- loads ---------------------------------------------------------------
            0x61 => regs[dst] = u32::from_le_bytes(fault!(memory.load::<4>(addr!(s)))) as u64,
            0x69 => regs[dst] = u16::from_le_bytes(fault!(memory.load::<2>(addr!(s)))) as u64,
            0x71 => regs[dst] = u8::from_le_bytes(fault!(memory.load::<1>(addr!(s)))) as u64,
            0x79 => regs[dst] = u64::from_le_bytes(fault!(memory.load::<8>(addr!(s)))),
            0x81 => {
                regs[dst] = i32::from_le_bytes(fault!(memory.load::<4>(addr!(s)))) as i64 as u64
            }
            0x89 => {
                regs[dst] = i16::from_le_bytes(fault!(memory.load::<2>(addr!(s)))) as i64 as u64
            }
            0x91 => regs[dst] = i8::from_le_bytes(fault!(memory.load::<1>(addr!(s)))) as i64 as u64,

            // ---- stores -----------------------------------------------------------------
            0x62 => fault!(memory.store::<4>(addr!(d), k32.to_le_bytes())),
            0x6a => fault!(memory.store::<2>(addr!(d), (k32 as u16).to_le_bytes())),
            0x72 => fault!(memory.store::<1>(addr!(d), (k32 as u8).to_le_bytes())),
            0x7a => fault!(memory.store::<8>(addr!(d), k64.to_le_bytes())),
            0x63 => fault!(memory.store::<4>(addr!(d), (s as u32).to_le_bytes())),
            0x6b => fault!(memory.store::<2>(addr!(d), (s as u16).to_le_bytes())),
            0x73 => fault!(memory.store::<1>(addr!(d), (s as u8).to_le_bytes())),
            0x7b => fault!(memory.store::<8>(addr!(d), s.to_le_bytes())),

            // ---- atomics ----------------------------------------------------------------
            0xc3 => {
                let cell = fault!(memory.cell_mut::<4>(addr!(d), Access::Atomic));
                let old = u32::from_le_bytes(*cell);
                let (new, fetched) =
                    atomic_op(old as u64, s as u32 as u64, regs[0] as u32 as u64, imm, this)?;
                *cell = (new as u32).to_le_bytes();
                match fetched {
                    Fetch::None => {}
                    Fetch::Src => regs[src] = old as u64,
                    Fetch::R0 => regs[0] = old as u64,
                }
            }
            0xdb => {
                let cell = fault!(memory.cell_mut::<8>(addr!(d), Access::Atomic));
                let old = u64::from_le_bytes(*cell);
                let (new, fetched) = atomic_op(old, s, regs[0], imm, this)?;
                *cell = new.to_le_bytes();
                match fetched {
                    Fetch::None => {}
                    Fetch::Src => regs[src] = old,
                    Fetch::R0 => regs[0] = old,
                }
            }

            // ---- 64-bit immediate loads (two slots) ------------------------------------
            isa::OP_LDDW | isa::OP_LDDWD | isa::OP_LDDWR => {
                let Some(hi) = isa::slot(text, pc) else {
                    return Err(Error::PcOutOfBounds { pc: pc as u32 });
                };
                let value = (k32 as u64) | ((u32::from_le_bytes([hi[4], hi[5], hi[6], hi[7]]) as u64) << 32);
                pc = pc.wrapping_add(1);
                regs[dst] = match op {
                    isa::OP_LDDW => value,
                    _ if !program.rbf_pseudo_opcodes => {
                        return Err(Error::UnknownOpcode { pc: this as u32, opcode: op })
                    }
                    isa::OP_LDDWD => region_base(REGION_DATA).wrapping_add(value),
                    _ => region_base(REGION_RODATA).wrapping_add(value),
                };
            }

            // ---- JMP (64-bit compares) --------------------------------------------------
            0x05 => jump!(off),
            0x15 => cond!(d == k64),
            0x1d => cond!(d == s),
            0x25 => cond!(d > k64),
            0x2d => cond!(d > s),
            0x35 => cond!(d >= k64),
            0x3d => cond!(d >= s),
            0x45 => cond!(d & k64 != 0),
            0x4d => cond!(d & s != 0),
            0x55 => cond!(d != k64),
            0x5d => cond!(d != s),
            0x65 => cond!((d as i64) > (k64 as i64)),
            0x6d => cond!((d as i64) > (s as i64)),
            0x75 => cond!((d as i64) >= (k64 as i64)),
            0x7d => cond!((d as i64) >= (s as i64)),
            0xa5 => cond!(d < k64),
            0xad => cond!(d < s),
            0xb5 => cond!(d <= k64),
            0xbd => cond!(d <= s),
            0xc5 => cond!((d as i64) < (k64 as i64)),
            0xcd => cond!((d as i64) < (s as i64)),
            0xd5 => cond!((d as i64) <= (k64 as i64)),
            0xdd => cond!((d as i64) <= (s as i64)),

            // ---- JMP32 (32-bit compares) -------------------------------------------------
            0x06 => jump!(imm),
            0x16 => cond!(d as u32 == k32),
            0x1e => cond!(d as u32 == s as u32),
            0x26 => cond!(d as u32 > k32),
            0x2e => cond!(d as u32 > s as u32),
            0x36 => cond!(d as u32 >= k32),
            0x3e => cond!(d as u32 >= s as u32),
            0x46 => cond!(d as u32 & k32 != 0),
            0x4e => cond!(d as u32 & s as u32 != 0),
            0x56 => cond!(d as u32 != k32),
            0x5e => cond!(d as u32 != s as u32),
            0x66 => cond!((d as i32) > (k32 as i32)),
            0x6e => cond!((d as i32) > (s as i32)),
            0x76 => cond!((d as i32) >= (k32 as i32)),
            0x7e => cond!((d as i32) >= (s as i32)),
            0xa6 => cond!((d as u32) < k32),
            0xae => cond!((d as u32) < s as u32),
            0xb6 => cond!(d as u32 <= k32),
            0xbe => cond!(d as u32 <= s as u32),
            0xc6 => cond!((d as i32) < (k32 as i32)),
            0xce => cond!((d as i32) < (s as i32)),
            0xd6 => cond!((d as i32) <= (k32 as i32)),
            0xde => cond!((d as i32) <= (s as i32)),

            // ---- calls and exit ----------------------------------------------------------------
            isa::OP_CALL => match src as u8 {
                isa::CALL_HELPER => {
                    st.regs = regs;
                    st.fuel = fuel;
                    helper_call(st, program, memory, helpers, k32, this)?;
                    regs = st.regs;
                    fuel = st.fuel;
                }
                isa::CALL_LOCAL => {
                    burn(&mut fuel, this)?;
                    let depth = st.depth;
                    if depth + 1 >= st.max_frames {
                        return Err(Error::CallDepthExceeded { pc: this as u32, depth: depth as u32 + 1 });
                    }
                    let Some(frame) = st.frames.get_mut(depth) else {
                        return Err(Error::CallDepthExceeded { pc: this as u32, depth: depth as u32 + 1 });
                    };
                    *frame = Frame { ret: pc, saved: [regs[6], regs[7], regs[8], regs[9]], fp: regs[10] };
                    st.depth = depth + 1;
                    regs[10] = regs[10].wrapping_sub(st.frame_size);
                    pc = pc.wrapping_add_signed(imm as isize);
                }
                _ => return Err(Error::UnknownOpcode { pc: this as u32, opcode: op }),
            },
            isa::OP_CALLX => {
                // The helper number is the value of the dst register.
                let id = match u32::try_from(d) {
                    Ok(id) => id,
                    Err(_) => return Err(Error::HelperNotAllowed { pc: this as u32, helper: d as u32 }),
                };
                st.regs = regs;
                st.fuel = fuel;
                helper_call(st, program, memory, helpers, id, this)?;
                regs = st.regs;
                fuel = st.fuel;
            }
            isa::OP_EXIT => {
                if st.depth == 0 {
                    st.regs = regs;
                    st.pc = this;
                    st.fuel = fuel;
                    return Ok(regs[0]);
                }
                st.depth -= 1;
                let Some(frame) = st.frames.get(st.depth) else {
                    return Err(Error::PcOutOfBounds { pc: this as u32 });
                };
                regs[6..10].copy_from_slice(&frame.saved);
                regs[10] = frame.fp;
                pc = frame.ret;
            }

            _ => return Err(Error::UnknownOpcode { pc: this as u32, opcode: op }),
        }
    }
}

/// What an atomic operation writes back to a register.
enum Fetch {
    None,
    Src,
    R0,
}

/// Applies atomic operation `imm` to `old` with operand `src` (and r0 for
/// cmpxchg). Returns the new memory value and which register gets `old`.
#[inline(always)]
fn atomic_op(old: u64, src: u64, r0: u64, imm: i32, pc: usize) -> Result<(u64, Fetch), Error> {
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
fn bswap(d: u64, imm: i32, pc: usize) -> Result<u64, Error> {
    Ok(match imm {
        16 => (d as u16).swap_bytes() as u64,
        32 => (d as u32).swap_bytes() as u64,
        64 => d.swap_bytes(),
        _ => return Err(Error::InvalidImmediate { pc: pc as u32, imm }),
    })
}

/// 64-bit division, `off` = 1 for signed. Division by zero gives 0; signed
/// overflow (MIN / -1) gives MIN (RFC 9669).
#[inline(always)]
fn div64(d: u64, s: u64, off: i16) -> u64 {
    if s == 0 {
        0
    } else if off != 0 {
        (d as i64).wrapping_div(s as i64) as u64
    } else {
        d / s
    }
}

/// 64-bit modulo, `off` = 1 for signed. Modulo by zero leaves dst unchanged;
/// MIN % -1 gives 0 (RFC 9669).
#[inline(always)]
fn mod64(d: u64, s: u64, off: i16) -> u64 {
    if s == 0 {
        d
    } else if off != 0 {
        (d as i64).wrapping_rem(s as i64) as u64
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
}
