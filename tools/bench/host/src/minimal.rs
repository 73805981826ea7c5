//! A minimal interpreter, timed on the `loop` program beside femto-vm and
//! rbpf: what interpreting one eBPF instruction at a time costs on this
//! machine with no VM around it.
//!
//! [`run`] knows only the five opcodes of the `loop` program (`mov64 imm`,
//! `add64 reg`, `sub64 imm`, `jne imm`, `exit`) and does only what any
//! interpreter must: fetch with a pc check, dispatch on the opcode with a
//! `match`, keep the registers in an array indexed by the instruction's
//! fields, spend fuel on taken jumps. No regions, no memory instructions, no
//! verifier, no helpers, no pre-decoding. It is a reference point, not a
//! bound: code layout alone moves such figures by tens of percent (see
//! doc/performance.md), and femto-vm's register-specialised forms can be
//! faster on some instructions.
//!
//! It refuses any other opcode (and a pc outside the text), so a wrong
//! program cannot be timed by mistake: the benchmark checks its result.
//!
//! **Superinstructions.** [`fuse`] rewrites a copy of the text so that [`run`]
//! executes several instructions in one dispatch, the way femto-vm's
//! translator fuses `mov64; add64` (`femto_vm::translate`): only the first
//! slot's opcode byte changes, to an internal opcode that is not valid
//! eBPF, so a jump into the middle of a fused sequence still runs the
//! remaining instructions one by one. Two levels, to measure what fusion
//! can win on `loop`:
//! - [`Fusion::Branch`]: `sub64 dst, imm; jne dst, imm` (an ALU step and the
//!   conditional jump on its result, the usual loop-closing pair) as one
//!   step;
//! - [`Fusion::Body`]: additionally `add64 dst, src` followed by that pair,
//!   i.e. the whole body of `loop` as one step: one dispatch per iteration,
//!   the most any superinstruction scheme can fuse there.

/// Why [`run`] stopped without reaching `exit`.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// An opcode this interpreter does not know, at this pc.
    Unknown(usize),
    /// The pc left the text.
    PcOutOfBounds(usize),
    /// No fuel left for a taken jump.
    FuelExhausted(usize),
}

/// Internal opcode: `sub64 dst, imm` here, `jne dst, imm` in the next slot.
const FUSED_SUB_JNE: u8 = 0xf7;
/// Internal opcode: `add64 dst, src` here, then a [`FUSED_SUB_JNE`] pair.
const FUSED_ADD_SUB_JNE: u8 = 0xe7;

/// How much [`fuse`] fuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fusion {
    /// `sub64 dst, imm; jne dst, imm` as one step.
    Branch,
    /// Also `add64 dst, src` followed by such a pair, as one step.
    Body,
}

/// A copy of `text` with the sequences `level` names fused (see the module
/// comment); every other byte is unchanged.
pub fn fuse(text: &[u8], level: Fusion) -> Vec<u8> {
    let mut out = text.to_vec();
    let slots: Vec<[u8; 8]> = text.chunks_exact(8).map(|c| c.try_into().unwrap()).collect();
    let pair = |i: usize| {
        matches!((slots.get(i), slots.get(i + 1)), (Some(a), Some(b))
            if a[0] == 0x17 && b[0] == 0x55 && a[1] & 0x0f == b[1] & 0x0f)
    };
    for i in 0..slots.len() {
        if pair(i) {
            out[i * 8] = FUSED_SUB_JNE;
        }
        if level == Fusion::Body && slots[i][0] == 0x0f && pair(i + 1) {
            out[i * 8] = FUSED_ADD_SUB_JNE;
        }
    }
    out
}

/// Runs `text` (eBPF bytecode, possibly [`fuse`]d) from instruction 0 and
/// returns r0 at `exit`.
#[inline(never)]
pub fn run(text: &[u8], mut fuel: u64) -> Result<u64, Stop> {
    let mut regs = [0u64; 16];
    let mut pc = 0usize;
    let fetch = |pc: usize| {
        pc.checked_mul(8)
            .and_then(|i| text.get(i..))
            .and_then(|r| r.first_chunk::<8>())
            .map(|s| u64::from_le_bytes(*s))
            .ok_or(Stop::PcOutOfBounds(pc))
    };
    let dst = |w: u64| ((w >> 8) & 0x0f) as usize;
    let src = |w: u64| ((w >> 12) & 0x0f) as usize;
    let imm = |w: u64| (w >> 32) as i32 as i64 as u64;
    loop {
        let w = fetch(pc)?;
        // `jne` at `at` (its word `j`): the next pc.
        macro_rules! jne {
            ($j:expr, $at:expr) => {{
                let (j, at) = ($j, $at);
                if regs[dst(j)] != imm(j) {
                    if fuel == 0 {
                        return Err(Stop::FuelExhausted(at));
                    }
                    fuel -= 1;
                    at.wrapping_add_signed((j >> 16) as i16 as isize)
                } else {
                    at
                }
            }};
        }
        match w as u8 {
            0xb7 => regs[dst(w)] = imm(w),
            0x0f => regs[dst(w)] = regs[dst(w)].wrapping_add(regs[src(w)]),
            0x17 => regs[dst(w)] = regs[dst(w)].wrapping_sub(imm(w)),
            0x55 => pc = jne!(w, pc),
            0x95 => return Ok(regs[0]),
            FUSED_SUB_JNE => {
                regs[dst(w)] = regs[dst(w)].wrapping_sub(imm(w));
                pc = jne!(fetch(pc + 1)?, pc + 1);
            }
            FUSED_ADD_SUB_JNE => {
                regs[dst(w)] = regs[dst(w)].wrapping_add(regs[src(w)]);
                let s = fetch(pc + 1)?;
                regs[dst(s)] = regs[dst(s)].wrapping_sub(imm(s));
                pc = jne!(fetch(pc + 2)?, pc + 2);
            }
            _ => return Err(Stop::Unknown(pc)),
        }
        pc += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use femto_bench_programs as programs;

    #[test]
    fn computes_the_loop_programs_sum() {
        let n = programs::LOOP_ITERATIONS;
        assert_eq!(run(programs::LOOP, u64::MAX), Ok(n * (n + 1) / 2));
    }

    #[test]
    fn fused_texts_compute_the_same_sum_and_fault_at_the_same_pc() {
        let n = programs::LOOP_ITERATIONS;
        for level in [Fusion::Branch, Fusion::Body] {
            let fused = fuse(programs::LOOP, level);
            // Only first-slot opcode bytes change: one for `Branch`, two for `Body`.
            let changed = (0..fused.len()).filter(|&i| fused[i] != programs::LOOP[i]).count();
            assert_eq!(changed, if level == Fusion::Body { 2 } else { 1 }, "{level:?}");
            assert_eq!(run(&fused, u64::MAX), Ok(n * (n + 1) / 2), "{level:?}");
            assert_eq!(run(&fused, 3), Err(Stop::FuelExhausted(4)), "{level:?}");
        }
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        // Fletcher32 uses opcodes the minimal interpreter does not have.
        assert!(matches!(
            run(programs::FLETCHER32, u64::MAX),
            Err(Stop::Unknown(_))
        ));
        assert_eq!(run(programs::LOOP, 3), Err(Stop::FuelExhausted(4)));
        // A jump out of the text.
        let mut text = programs::LOOP.to_vec();
        text[4 * 8 + 2..4 * 8 + 4].copy_from_slice(&(-100i16).to_le_bytes());
        assert!(matches!(run(&text, u64::MAX), Err(Stop::PcOutOfBounds(_))));
    }
}
