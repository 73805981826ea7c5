//! The compact interpreter: the same machine as [`crate::interpreter`] in a
//! third of the code, for kernels short of flash.
//!
//! [`crate::interpreter`] has one `match` arm per opcode byte, with each
//! arm's memory check inlined, and internal forms for common instructions
//! (see [`crate::translate`]): fast, and with the parser and verifier about
//! 22 KB of Cortex-M4 code. This interpreter decodes an instruction by its
//! class instead — one path for all ALU operations (a 32-bit operation is
//! the 64-bit one on extended operands), one for all conditional jumps, one
//! for all loads, one for all stores and atomics — and shares its semantics
//! with the main interpreter (division, byte swaps, atomics, calls, fuel,
//! memory checks), so the two cannot drift apart: about 7.6 KB with the
//! parser and verifier, and 3 to 4 times slower (`doc/performance.md`). It
//! runs programs **as written**: it does not know the translated forms, so a
//! kernel that uses it does not translate (a translated opcode is rejected
//! as [`Error::UnknownOpcode`], never run as something else).
//!
//! On a program that passed the verifier the two interpreters give the same
//! result or the same error at the same pc, spend the same fuel and leave
//! memory in the same state (the test suites, the bpf_conformance files and
//! the fuzz targets run every program both ways). On text that did not pass
//! the verifier ([`Program::assume_verified`]) both are memory-safe; this one
//! rejects every byte that is not an eBPF opcode, where the main interpreter
//! gives the bytes of its translated forms their internal meaning.
//!
//! `doc/performance.md` has both interpreters' sizes and speeds; a kernel
//! chooses one with the capsule's `compact-vm` feature.
//!
//! ```
//! use femto_vm::{compact, isa::Insn, memory::Memory, helpers::NoHelpers, verifier::{verify, VerifierConfig}};
//! // mov r0, 42 ; exit
//! let mut text = [0u8; 16];
//! text[..8].copy_from_slice(&Insn::new(0xb7, 0, 0, 0, 42).encode());
//! text[8..].copy_from_slice(&Insn::new(0x95, 0, 0, 0, 0).encode());
//! let program = verify(&text, &VerifierConfig::default()).unwrap();
//! let mut stack = [0u8; 512];
//! let mut memory = Memory::new();
//! memory.map_stack(&mut stack);
//! assert_eq!(compact::run(&program, 0, &mut memory, &mut NoHelpers, 1000), Ok(42));
//! ```

use crate::error::{Access, Error};
use crate::helpers::Helpers;
use crate::interpreter::{
    atomic_op, burn, bswap, div64, helper_call, local_call, local_return, metered, mod64, setup, wide_value, Calls,
    Fetch,
};
use crate::isa::{self, *};
use crate::memory::Memory;
use crate::verifier::{self, Program};

/// Runs `program` from instruction `entry` and returns r0 at the final
/// `exit`; the compact counterpart of [`crate::interpreter::run`].
pub fn run<H: Helpers + ?Sized>(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: u64,
) -> Result<u64, Error> {
    let mut fuel = fuel;
    run_metered(program, entry, memory, helpers, &mut fuel)
}

/// Like [`run`], with the fuel left written back; the compact counterpart
/// of [`crate::interpreter::run_metered`].
pub fn run_metered<H: Helpers + ?Sized>(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: &mut u64,
) -> Result<u64, Error> {
    let mut helpers = helpers;
    metered(fuel, |left| run_dyn(program, entry, memory, &mut helpers, left))
}

/// The non-generic body (compiled once, whatever the helpers' type).
#[inline(never)]
fn run_dyn(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
    fuel: &mut usize,
) -> Result<u64, Error> {
    let (mut regs, mut calls) = setup(program, entry, memory)?;
    execute(&mut regs, &mut calls, entry, fuel, program, memory, helpers)
}

/// Runs the loop with the fuel in a local (a register: taken jumps do not
/// go through memory), written back once, whatever the outcome.
#[inline(never)]
fn execute(
    regs: &mut [u64; 16],
    calls: &mut Calls,
    entry: usize,
    fuel: &mut usize,
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
) -> Result<u64, Error> {
    let mut left = *fuel;
    let result = execute_loop(regs, calls, entry, &mut left, program, memory, helpers);
    *fuel = left;
    result
}

/// The loop: fetch, decode every field, then one path per instruction class.
#[inline(always)]
fn execute_loop(
    regs: &mut [u64; 16],
    calls: &mut Calls,
    entry: usize,
    fuel: &mut usize,
    program: &Program<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut dyn Helpers,
) -> Result<u64, Error> {
    let insns = isa::Insns::new(program.text);
    let mut pc = entry;
    loop {
        let Some(slot) = insns.get(pc) else {
            return Err(Error::PcOutOfBounds { pc: pc as u32 });
        };
        let Insn { opcode: op, dst, src, offset: off, imm } = Insn::decode(slot);
        let (d, s, this) = (dst as usize, src as usize, pc as u32);
        let unknown = Error::UnknownOpcode { pc: this, opcode: op };
        if RUNNABLE[(op >> 5) as usize] & (1 << (op & 31)) == 0 {
            return Err(unknown);
        }
        let x = op & SRC_X != 0;
        // The second operand of ALU operations and conditional jumps.
        let operand = if x { regs[s] } else { imm as i64 as u64 };
        let code = op & 0xf0;
        match class(op) {
            CLASS_ALU64 | CLASS_ALU => {
                let is64 = class(op) == CLASS_ALU64;
                regs[d] = if code == ALU_END {
                    end(regs[d], op, imm, this)?
                } else {
                    // A 32-bit operation is the 64-bit one on extended
                    // operands (see `extend32`), truncated. One call site:
                    // `alu` is inlined.
                    let ((a, b), mask) = if is64 {
                        ((regs[d], operand), 63)
                    } else {
                        (extend32(code, regs[d], operand, off), 31)
                    };
                    let r = alu(code, a, b, off, mask);
                    if is64 { r } else { r as u32 as u64 }
                };
            }
            CLASS_JMP | CLASS_JMP32 => {
                let jmp32 = class(op) == CLASS_JMP32;
                match code {
                    JMP_JA => {
                        burn(fuel, pc)?;
                        let delta = if jmp32 { imm as isize } else { off as isize };
                        pc = pc.wrapping_add(delta as usize);
                    }
                    JMP_CALL if x => {
                        // callx: the helper number is the value of dst.
                        let Ok(id) = u32::try_from(regs[d]) else {
                            return Err(Error::HelperNotAllowed { pc: this, helper: regs[d] as u32 });
                        };
                        burn(fuel, pc)?;
                        helper_call(regs, program, memory, helpers, id, pc)?;
                    }
                    JMP_CALL => match src {
                        CALL_HELPER => {
                            burn(fuel, pc)?;
                            helper_call(regs, program, memory, helpers, imm as u32, pc)?;
                        }
                        CALL_LOCAL => {
                            burn(fuel, pc)?;
                            local_call(calls, regs, pc, pc)?;
                            pc = pc.wrapping_add(imm as isize as usize);
                        }
                        _ => return Err(unknown),
                    },
                    JMP_EXIT => {
                        if calls.depth == 0 {
                            return Ok(regs[0]);
                        }
                        pc = local_return(calls, regs, pc)?;
                    }
                    _ => {
                        let (a, b) = if jmp32 {
                            (regs[d] as u32 as u64, operand as u32 as u64)
                        } else {
                            (regs[d], operand)
                        };
                        if taken(code, a, b, jmp32) {
                            burn(fuel, pc)?;
                            pc = pc.wrapping_add(off as isize as usize);
                        }
                    }
                }
            }
            CLASS_LD => {
                // LDDW, and RIOT's LDDWD / LDDWR when the program allows them.
                regs[d] = wide_value(&insns, pc, op, imm, program)?;
                pc = pc.wrapping_add(1);
            }
            CLASS_LDX => {
                let len = size_bytes(op);
                let addr = regs[s].wrapping_add(off as i64 as u64);
                let v = load(memory, addr, len).map_err(|e| e.at_pc(this))?;
                regs[d] = if op & 0xe0 == MODE_MEMSX { sign_extend(v, len) } else { v };
            }
            _ => {
                // CLASS_ST and CLASS_STX: stores and atomics.
                let atomic = op & 0xe0 == MODE_ATOMIC;
                let access = if atomic { Access::Atomic } else { Access::Store };
                let addr = regs[d].wrapping_add(off as i64 as u64);
                let cell = memory.slice_mut_for(addr, size_bytes(op), access).map_err(|e| e.at_pc(this))?;
                if atomic {
                    atomic_rmw(regs, cell, s, imm, this)?;
                } else {
                    put_le(cell, if class(op) == CLASS_ST { imm as i64 as u64 } else { regs[s] });
                }
            }
        }
        pc = pc.wrapping_add(1);
    }
}

/// The opcodes this interpreter runs, as a 256-bit map (bit `op % 32` of
/// word `op / 32`): the verifier's known opcodes, `callx`, and RIOT's LDDWD
/// and LDDWR (which the LD path runs only if the program allows them).
const RUNNABLE: [u32; 8] = {
    let mut map = [0u32; 8];
    let mut op = 0usize;
    while op < 256 {
        let b = op as u8;
        if verifier::is_known_opcode(b) || b == OP_CALLX || isa::is_wide(b) {
            map[op / 32] |= 1 << (op % 32);
        }
        op += 1;
    }
    map
};

/// The access size of a load or store opcode, in bytes.
#[inline(always)]
fn size_bytes(op: u8) -> usize {
    match op & 0x18 {
        SIZE_W => 4,
        SIZE_H => 2,
        SIZE_B => 1,
        _ => 8,
    }
}

/// Loads `len` bytes at `addr`, little-endian, zero-extended.
#[inline(always)]
fn load(memory: &Memory<'_>, addr: u64, len: usize) -> Result<u64, Error> {
    Ok(get_le(memory.slice_for(addr, len, Access::Load)?))
}

/// `bytes` (1, 2, 4 or 8 of them) as a little-endian value.
#[inline(never)]
fn get_le(bytes: &[u8]) -> u64 {
    match *bytes {
        [a] => a as u64,
        [a, b] => u16::from_le_bytes([a, b]) as u64,
        [a, b, c, d] => u32::from_le_bytes([a, b, c, d]) as u64,
        [a, b, c, d, e, f, g, h] => u64::from_le_bytes([a, b, c, d, e, f, g, h]),
        _ => 0,
    }
}

/// Writes the low `cell.len()` (1, 2, 4 or 8) bytes of `v` into `cell`,
/// little-endian.
#[inline(never)]
fn put_le(cell: &mut [u8], v: u64) {
    match cell {
        [a] => *a = v as u8,
        [a, b] => [*a, *b] = (v as u16).to_le_bytes(),
        [a, b, c, d] => [*a, *b, *c, *d] = (v as u32).to_le_bytes(),
        [a, b, c, d, e, f, g, h] => [*a, *b, *c, *d, *e, *f, *g, *h] = v.to_le_bytes(),
        _ => {}
    }
}

/// Sign-extends the low `len` bytes of `v`.
#[inline(always)]
fn sign_extend(v: u64, len: usize) -> u64 {
    let unused = 64 - 8 * len as u32;
    (((v << unused) as i64) >> unused) as u64
}

/// ALU operation `code` (not END) on 64-bit operands, shift amounts masked
/// by `shift_mask` (31 or 63; a 32-bit operation is the 64-bit one on
/// operands from [`extend32`]). Inlined, with division and modulo out of
/// line ([`divide`]): measured against an out-of-line `alu`, an `add` costs
/// 48 Cortex-M4 instructions instead of 63 and Fletcher32 17 % less, for
/// 140 bytes more (inlining division too would cost 300).
#[inline(always)]
fn alu(code: u8, d: u64, s: u64, off: i16, shift_mask: u32) -> u64 {
    let sh = s as u32 & shift_mask;
    match code {
        ALU_ADD => d.wrapping_add(s),
        ALU_SUB => d.wrapping_sub(s),
        ALU_MUL => d.wrapping_mul(s),
        ALU_DIV | ALU_MOD => divide(code, d, s, off),
        ALU_OR => d | s,
        ALU_AND => d & s,
        ALU_LSH => d << sh,
        ALU_RSH => d >> sh,
        ALU_NEG => d.wrapping_neg(),
        ALU_XOR => d ^ s,
        // mov, and movsx (offset 8, 16, 32; the offset of `mov imm` is 0).
        ALU_MOV => match off {
            8 => s as i8 as u64,
            16 => s as i16 as u64,
            32 => s as i32 as u64,
            _ => s,
        },
        _ => ((d as i64) >> sh) as u64,
    }
}

/// Division (`code` ALU_DIV) or modulo, out of the loop.
#[inline(never)]
fn divide(code: u8, d: u64, s: u64, off: i16) -> u64 {
    if code == ALU_DIV {
        div64(d, s, off)
    } else {
        mod64(d, s, off)
    }
}

/// The operands of a 32-bit ALU operation (not END) extended to 64 bits,
/// so that [`alu`] on them (shift mask 31), truncated to 32 bits, is the
/// 32-bit operation: operands sign-extended for the signed
/// operations (`sdiv`, `smod`, `arsh`),
/// zero-extended for the others. The low 32 bits of a 64-bit add, sub, mul,
/// logic operation, left shift or `mov` depend only on the operands' low 32
/// bits; the right shifts and the divisions get operands whose upper halves
/// make the 64-bit result the 32-bit one (`i32::MIN / -1` gives 2^31, whose
/// low half is `i32::MIN`, the wrapping result RFC 9669 defines).
#[inline(always)]
fn extend32(code: u8, d: u64, s: u64, off: i16) -> (u64, u64) {
    let signed = code == ALU_ARSH || (matches!(code, ALU_DIV | ALU_MOD) && off != 0);
    if signed {
        (d as i32 as u64, s as i32 as u64)
    } else {
        (d as u32 as u64, s as u32 as u64)
    }
}

/// The byte-order operations: `le` (ALU, K) truncates, `be` and the 64-bit
/// form swap.
#[inline(always)]
fn end(d: u64, op: u8, imm: i32, this: u32) -> Result<u64, Error> {
    if op & SRC_X == 0 && class(op) == CLASS_ALU {
        return match imm {
            16 => Ok(d as u16 as u64),
            32 => Ok(d as u32 as u64),
            64 => Ok(d),
            imm => Err(Error::InvalidImmediate { pc: this, imm }),
        };
    }
    bswap(d, imm, this as usize)
}

/// Whether conditional jump `code` is taken; 32-bit operands come
/// zero-extended (`jmp32`: signed compares on their low halves).
#[inline(always)]
fn taken(code: u8, a: u64, b: u64, jmp32: bool) -> bool {
    let (sa, sb) = if jmp32 { (a as i32 as i64, b as i32 as i64) } else { (a as i64, b as i64) };
    match code {
        JMP_JEQ => a == b,
        JMP_JGT => a > b,
        JMP_JGE => a >= b,
        JMP_JSET => a & b != 0,
        JMP_JNE => a != b,
        JMP_JSGT => sa > sb,
        JMP_JSGE => sa >= sb,
        JMP_JLT => a < b,
        JMP_JLE => a <= b,
        JMP_JSLT => sa < sb,
        _ => sa <= sb,
    }
}

/// An atomic read-modify-write of `cell` (4 or 8 bytes), operand register
/// `s`.
#[inline(never)]
fn atomic_rmw(regs: &mut [u64; 16], cell: &mut [u8], s: usize, imm: i32, this: u32) -> Result<(), Error> {
    let old = get_le(cell);
    // The 32-bit form works on the low halves of the operand and of r0.
    let mask = u64::MAX >> (64 - 8 * cell.len() as u32);
    let (new, fetched) = atomic_op(old, regs[s] & mask, regs[0] & mask, imm, this as usize)?;
    put_le(cell, new);
    match fetched {
        Fetch::None => {}
        Fetch::Src => regs[s] = old,
        Fetch::R0 => regs[0] = old,
    }
    Ok(())
}
