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

/// Runs `text` (eBPF bytecode) from instruction 0 and returns r0 at `exit`.
#[inline(never)]
pub fn run(text: &[u8], mut fuel: u64) -> Result<u64, Stop> {
    let mut regs = [0u64; 16];
    let mut pc = 0usize;
    loop {
        let slot = pc
            .checked_mul(8)
            .and_then(|i| text.get(i..))
            .and_then(|r| r.first_chunk::<8>());
        let Some(slot) = slot else {
            return Err(Stop::PcOutOfBounds(pc));
        };
        let w = u64::from_le_bytes(*slot);
        let dst = ((w >> 8) & 0x0f) as usize;
        let src = ((w >> 12) & 0x0f) as usize;
        let imm = (w >> 32) as i32 as i64 as u64;
        match w as u8 {
            0xb7 => regs[dst] = imm,
            0x0f => regs[dst] = regs[dst].wrapping_add(regs[src]),
            0x17 => regs[dst] = regs[dst].wrapping_sub(imm),
            0x55 => {
                if regs[dst] != imm {
                    if fuel == 0 {
                        return Err(Stop::FuelExhausted(pc));
                    }
                    fuel -= 1;
                    let off = (w >> 16) as i16 as isize;
                    pc = pc.wrapping_add_signed(off);
                }
            }
            0x95 => return Ok(regs[0]),
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
