//! Pre-decoding: rewrites a verified program in place into a faster form.
//!
//! After verification, a program's text can be *translated*: the opcode byte
//! of some instructions is replaced by an internal opcode (a value that is
//! not a valid eBPF opcode, so the verifier never accepts one in input) that
//! the interpreter executes on a shorter path. Every other byte of every
//! slot is left as it was, so the original program is always recoverable
//! ([`original_opcode`]) and a translated program behaves exactly like the
//! original: same results, same faults with the same pc, same fuel.
//!
//! What is rewritten (each is checked when translating, never assumed):
//!
//! | original | internal | why it is faster |
//! |---|---|---|
//! | `ldx{w,h,b,dw} dst, [r10 + off]` | [`XOP_LDX_FP`] family | the stack region is addressed directly: no region lookup |
//! | `stx{w,h,b,dw} [r10 + off], src`, `st{w,h,b,dw} [r10 + off], imm` | [`XOP_STX_FP`], [`XOP_ST_FP`] families | idem |
//! | `lsh64 dst, 32; rsh64 dst, 32` | [`XOP_ZEXT`] on the first slot | clang's zero-extension idiom: one step instead of two |
//! | `mov64 dst, src; lsh64 dst, 32; rsh64 dst, 32` | [`XOP_MOV32_ZEXT`] on the first slot | `dst = src as u32`: one step instead of three |
//! | `lsh64 dst, imm` / `rsh64 dst, imm` with `imm` in 1..=31 | [`XOP_LSH64_SMALL`], [`XOP_RSH64_SMALL`] | no test of the shift amount against 0 and 32 on 32-bit MCUs |
//! | `mov64 dst, src; add64 dst, src2` | [`XOP_MOV_ADD_REG`] on the first slot, `src2` in its byte 2 (`src` if `src2` is `dst`) | three-address add: one step instead of two |
//! | `mov64 dst, src; add64 dst, imm` | [`XOP_MOV_ADD_IMM`] on the first slot, `imm` in its bytes 4–7 | idem (e.g. `r1 = r10; r1 += -16`) |
//! | `add64 rN, imm`, `add64 rN, src`, `mov64 rN, src` (N = 0..=9) | [`XOP_ADD64_IMM_RN`]`[N]`, [`XOP_ADD64_REG_RN`]`[N]`, [`XOP_MOV64_REG_RN`]`[N]` | register-specialised (below) |
//! | `ldxdw rN, [r10 + off]`, `stxdw [r10 + off], rN` (N = 0..=9) | [`XOP_LDXDW_FP_RN`]`[N]`, [`XOP_STXDW_FP_RN`]`[N]` | register-specialised stack fast paths |
//!
//! **Register-specialised forms.** For the most frequent instructions the
//! register that is read *and* written (or, for a stack store, the register
//! stored) is moved into the opcode: there is one internal opcode per
//! register r0..r9. The interpreter then addresses that register at a
//! constant offset in the register file, which on a 32-bit MCU is one
//! `ldrd`/`strd` pair instead of decoding the field and two loads and two
//! stores through a computed address (`add64 imm` on Cortex-M4: 17 → 12
//! executed instructions). The field itself is left in the slot, unchanged.
//! The opcodes come from the values that are invalid in eBPF (legacy packet
//! access and unused operation codes), which the verifier rejects in input.
//!
//! A fused instruction (the last four rows) only rewrites its *first* slot
//! (a `mov64` whose offset and immediate are 0: the fused forms keep the
//! second instruction's operand in those bytes, so they never read the next
//! slot);
//! the slots it covers keep their own (possibly translated) opcodes, so a
//! jump into the middle of a fused sequence still executes the remaining
//! instructions one by one. Fused sequences contain no jump, so fuel is
//! unaffected.
//!
//! The stack fast paths compute `r10 + off` inside the stack region; an
//! access that does not fit takes the general path, which reports the fault
//! exactly as for the original instruction. Memory safety never depends on
//! a translation being right: every access is still bounds-checked.
//!
//! A traced run ([`crate::run_traced`]) executes every instruction by its
//! original opcode, one step per slot, so tracers and instruction counters
//! see the program as written.

use crate::error::Error;
use crate::image::Image;
use crate::isa::{self, INSN_SIZE};
use crate::verifier::{self, Program, VerifierConfig};

/// `dst &= 0xffff_ffff`, then skip one slot — from `lsh64 dst, 32` followed by `rsh64 dst, 32`.
pub const XOP_ZEXT: u8 = 0xe7;
/// `dst = src as u32`, then skip two slots — from `mov64 dst, src; lsh64 dst, 32; rsh64 dst, 32`.
pub const XOP_MOV32_ZEXT: u8 = 0xe6;
/// `dst = src + src2` (src2 in byte 2; the translation writes `src` there when the add read `dst`), then skip one slot — from `mov64 dst, src; add64 dst, src2`.
pub const XOP_MOV_ADD_REG: u8 = 0xe5;
/// `dst = src + imm` (imm in bytes 4–7), then skip one slot — from `mov64 dst, src; add64 dst, imm`.
pub const XOP_MOV_ADD_IMM: u8 = 0xe4;
/// `lsh64 dst, imm` with `imm` in 1..=31 — from `0x67`.
pub const XOP_LSH64_SMALL: u8 = 0xe1;
/// `rsh64 dst, imm` with `imm` in 1..=31 — from `0x77`.
pub const XOP_RSH64_SMALL: u8 = 0xe0;
/// `ldxw dst, [r10 + off]` (`ldxh` = `+ 0x08`, `ldxb` = `+ 0x10`, `ldxdw` = `+ 0x18`) — the LDX opcode minus 1.
pub const XOP_LDX_FP: u8 = 0x60;
/// `stxw [r10 + off], src` (sizes as for [`XOP_LDX_FP`]) — the STX opcode plus `0x80`.
pub const XOP_STX_FP: u8 = 0xe3;
/// `stw [r10 + off], imm` (sizes as for [`XOP_LDX_FP`]) — the ST opcode plus `0x80`.
pub const XOP_ST_FP: u8 = 0xe2;

/// `add64 rN, imm` (from `0x07`); index N = 0..=9.
pub const XOP_ADD64_IMM_RN: [u8; 10] = [0x20, 0x21, 0x22, 0x23, 0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31];
/// `add64 rN, src` (from `0x0f`); index N = 0..=9.
pub const XOP_ADD64_REG_RN: [u8; 10] = [0x32, 0x33, 0x38, 0x39, 0x3a, 0x3b, 0x40, 0x41, 0x42, 0x43];
/// `mov64 rN, src` with offset 0 (from `0xbf`); index N = 0..=9.
pub const XOP_MOV64_REG_RN: [u8; 10] = [0x48, 0x49, 0x4a, 0x4b, 0x50, 0x51, 0x52, 0x53, 0x58, 0x59];
/// `ldxdw rN, [r10 + off]` (from `0x79`); index N = 0..=9.
pub const XOP_LDXDW_FP_RN: [u8; 10] = [0x5a, 0x5b, 0x80, 0x82, 0x83, 0x88, 0x8a, 0x8b, 0x8c, 0x8e];
/// `stxdw [r10 + off], rN` (from `0x7b`); index N = 0..=9.
pub const XOP_STXDW_FP_RN: [u8; 10] = [0x8f, 0x90, 0x92, 0x93, 0x98, 0x99, 0x9a, 0x9b, 0x9d, 0x9e];

/// The register-specialised tables with the eBPF opcode each stands for.
const RN_FORMS: [(&[u8; 10], u8); 5] = [
    (&XOP_ADD64_IMM_RN, 0x07),
    (&XOP_ADD64_REG_RN, 0x0f),
    (&XOP_MOV64_REG_RN, 0xbf),
    (&XOP_LDXDW_FP_RN, 0x79),
    (&XOP_STXDW_FP_RN, 0x7b),
];

/// For every byte: the eBPF opcode it stands for (itself if it is not an
/// internal opcode). Built at compile time from the constants above.
const ORIGINAL: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut op = 0;
    while op < 256 {
        t[op] = match op as u8 {
            XOP_ZEXT | XOP_LSH64_SMALL => 0x67,
            XOP_RSH64_SMALL => 0x77,
            XOP_MOV32_ZEXT | XOP_MOV_ADD_REG | XOP_MOV_ADD_IMM => 0xbf,
            0x60 | 0x68 | 0x70 | 0x78 => op as u8 | 1,
            0xe2 | 0xea | 0xf2 | 0xfa | 0xe3 | 0xeb | 0xf3 | 0xfb => op as u8 & 0x7f,
            other => other,
        };
        op += 1;
    }
    let mut f = 0;
    while f < RN_FORMS.len() {
        let (ops, original) = RN_FORMS[f];
        let mut n = 0;
        while n < 10 {
            t[ops[n] as usize] = original;
            n += 1;
        }
        f += 1;
    }
    t
};

/// The eBPF opcode an (internal or eBPF) opcode stands for.
#[inline(always)]
pub const fn original_opcode(op: u8) -> u8 {
    ORIGINAL[op as usize]
}

/// The eBPF instruction a (possibly translated) slot stands for.
#[inline(always)]
pub fn original_slot(slot: &[u8; 8]) -> [u8; 8] {
    let mut s = *slot;
    if matches!(s[0], XOP_MOV_ADD_REG | XOP_MOV_ADD_IMM) {
        // The fused operand lives where the mov had zeros.
        s[2..].fill(0);
    }
    s[0] = original_opcode(s[0]);
    s
}

/// Verifies `text` (see [`verifier::verify`]) and, if it passes, translates
/// it in place. Returns the program over the translated text. On error the
/// text is unchanged.
pub fn verify_translated<'a>(text: &'a mut [u8], config: &VerifierConfig<'a>) -> Result<Program<'a>, Error> {
    verifier::verify(text, config)?;
    translate_verified(text);
    Ok(Program::assume_verified(text, config))
}

/// Verifies the image in `bytes` (as [`Image::verify`]) and translates its
/// text in place. On error nothing is changed.
pub fn translate_image(bytes: &mut [u8]) -> Result<(), Error> {
    let Ok(()) = translate_image_with(bytes, |_| Ok::<(), core::convert::Infallible>(()))?;
    Ok(())
}

/// [`crate::verify_image_with`], then the text translated in place: one
/// parse for the caller's `check` (a host's own checks, and whatever it
/// needs from the image: translation changes nothing but opcode bytes of
/// the text, so what `check` reads stays true), the verifier and the
/// translation, which happens only if both passed. On any error the image
/// bytes are unchanged. (Written out rather than calling
/// `verify_image_with`: passing the text's range out through it cost the
/// nRF52840-DK kernel, built at opt-level "z", 152 to 236 bytes.)
pub fn translate_image_with<T, E>(
    bytes: &mut [u8],
    check: impl FnOnce(&Image<'_>) -> Result<T, E>,
) -> Result<Result<T, E>, Error> {
    let (range, checked) = {
        let image = Image::parse(bytes)?;
        let checked = check(&image);
        if checked.is_err() {
            return Ok(checked);
        }
        image.verify()?;
        let text = image.text();
        // The text is a sub-slice of `bytes`: its offset is the difference
        // of the two start addresses.
        let start = (text.as_ptr() as usize).wrapping_sub(bytes.as_ptr() as usize);
        (start..start.wrapping_add(text.len()), checked)
    };
    if let Some(text) = bytes.get_mut(range) {
        translate_verified(text);
    }
    Ok(checked)
}

/// Translates a text that the verifier accepted. Translating twice, or
/// translating a text that was not verified, is harmless to memory safety
/// but may change what the program computes: use [`verify_translated`] or
/// [`translate_image`].
fn translate_verified(text: &mut [u8]) {
    let n = text.len() / INSN_SIZE;
    let mut pc = 0;
    while pc < n {
        let at = pc * INSN_SIZE;
        let Some(s) = text.get(at..at + INSN_SIZE).and_then(|s| s.first_chunk::<8>()).copied() else {
            break;
        };
        let op = s[0];
        if isa::is_wide(op) {
            pc += 2;
            continue;
        }
        let (new, operand) = translation(text, pc, &s);
        text[at] = new;
        match operand {
            Operand::None => {}
            Operand::Reg(r) => text[at + 2] = r,
            Operand::Imm(k) => text[at + 4..at + 8].copy_from_slice(&k.to_le_bytes()),
        }
        pc += 1;
    }
}

/// An operand a fused form keeps in its own slot.
enum Operand {
    None,
    /// In byte 2.
    Reg(u8),
    /// In bytes 4..8.
    Imm(i32),
}

/// The internal opcode for the instruction `s` at slot `pc` (or its own),
/// and the operand it keeps.
fn translation(text: &[u8], pc: usize, s: &[u8; 8]) -> (u8, Operand) {
    let (op, dst, src) = (s[0], s[1] & 0x0f, s[1] >> 4);
    let off = i16::from_le_bytes([s[2], s[3]]);
    let imm = i32::from_le_bytes([s[4], s[5], s[6], s[7]]);
    let next = |k: usize| isa::slot(text, pc + k).copied();
    // `lsh64 d, 32` / `rsh64 d, 32` as a whole slot.
    let shift32 = |op: u8| [op, dst, 0, 0, 32, 0, 0, 0];
    let plain = |op| (op, Operand::None);
    match op {
        // Register-specialised forms (r10 is never written; stores of r10
        // keep the general stack form).
        0x07 if src == 0 && off == 0 && dst < 10 => plain(XOP_ADD64_IMM_RN[dst as usize]),
        0x0f if off == 0 && imm == 0 && dst < 10 => plain(XOP_ADD64_REG_RN[dst as usize]),
        0x79 if src == isa::REG_FP && dst < 10 => plain(XOP_LDXDW_FP_RN[dst as usize]),
        0x7b if dst == isa::REG_FP && src < 10 => plain(XOP_STXDW_FP_RN[src as usize]),
        0xbf if off == 0 && imm == 0 => {
            let second = next(1);
            match second {
                _ if second == Some(shift32(0x67)) && next(2) == Some(shift32(0x77)) => plain(XOP_MOV32_ZEXT),
                // add64 dst, src2 (same dst, offset and immediate 0).
                Some([0x0f, regs, 0, 0, 0, 0, 0, 0]) if regs & 0x0f == dst => {
                    // The add reads dst after the mov: that is src's value.
                    let src2 = if regs >> 4 == dst { src } else { regs >> 4 };
                    (XOP_MOV_ADD_REG, Operand::Reg(src2))
                }
                // add64 dst, imm (same dst, no src, offset 0).
                Some([0x07, regs, 0, 0, k0, k1, k2, k3]) if regs == dst => {
                    (XOP_MOV_ADD_IMM, Operand::Imm(i32::from_le_bytes([k0, k1, k2, k3])))
                }
                // (r10 is never a destination: the verifier refuses it.)
                _ if dst < 10 => plain(XOP_MOV64_REG_RN[dst as usize]),
                _ => plain(op),
            }
        }
        0x67 if s == &shift32(0x67) && next(1) == Some(shift32(0x77)) => plain(XOP_ZEXT),
        0x67 if src == 0 && off == 0 && (1..32).contains(&imm) => plain(XOP_LSH64_SMALL),
        0x77 if src == 0 && off == 0 && (1..32).contains(&imm) => plain(XOP_RSH64_SMALL),
        0x61 | 0x69 | 0x71 | 0x79 if src == isa::REG_FP => plain(op - 1),
        0x62 | 0x6a | 0x72 | 0x7a | 0x63 | 0x6b | 0x73 | 0x7b if dst == isa::REG_FP => plain(op | 0x80),
        _ => plain(op),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_opcodes_are_not_ebpf_and_map_back() {
        const FIXED: [u8; 18] = [
            XOP_ZEXT, XOP_MOV32_ZEXT, XOP_MOV_ADD_REG, XOP_MOV_ADD_IMM, XOP_LSH64_SMALL,
            XOP_RSH64_SMALL, 0x60, 0x68, 0x70, 0x78, 0xe2, 0xea, 0xf2, 0xfa, 0xe3, 0xeb,
            0xf3, 0xfb,
        ];
        let mut internal = [0u8; FIXED.len() + 10 * RN_FORMS.len()];
        internal[..FIXED.len()].copy_from_slice(&FIXED);
        for (k, (ops, _)) in RN_FORMS.iter().enumerate() {
            internal[FIXED.len() + 10 * k..][..10].copy_from_slice(&ops[..]);
        }
        // No opcode is used twice.
        let mut sorted = internal;
        sorted.sort_unstable();
        assert!(sorted.windows(2).all(|w| w[0] != w[1]), "{sorted:?}");
        let cfg = VerifierConfig::default();
        for op in internal {
            // A lone internal opcode is rejected by the verifier.
            let text = [op, 0x01, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
            assert!(verifier::verify(&text, &cfg).is_err(), "{op:#x} accepted");
            assert_ne!(original_opcode(op), op);
        }
        // Every other byte stands for itself.
        for op in 0..=255u8 {
            if !internal.contains(&op) {
                assert_eq!(original_opcode(op), op);
            }
        }
    }

    #[test]
    fn register_specialised_forms_map_back() {
        for (ops, original) in RN_FORMS {
            for &op in ops.iter() {
                assert_eq!(original_opcode(op), original);
            }
        }
    }
}
