//! 64-bit division and modulo around the 32-bit boundaries, where the
//! interpreter switches between its 32-bit fast path and the 64-bit path:
//! every pair of boundary values, both operand sources, signed and unsigned,
//! checked against Rust's own 64-bit arithmetic (RFC 9669 semantics).
mod common;
use common::*;

const VALUES: [u64; 22] = [
    0,
    1,
    2,
    3,
    7,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_0000_0001,
    i32::MIN as i64 as u64,
    (i32::MIN as i64 - 1) as u64,
    -1i64 as u64,
    -2i64 as u64,
    -7i64 as u64,
    i64::MIN as u64,
    i64::MAX as u64,
    (i64::MIN + 1) as u64,
    0x8000_0000_0000_0001,
    0x1234_5678_9abc_def0,
    0xdead_beef,
];

fn reference(op: u8, signed: bool, a: u64, b: u64) -> u64 {
    match (op & 0xf0, signed) {
        (0x30, false) => a.checked_div(b).unwrap_or(0),
        (0x30, true) => if b == 0 { 0 } else { (a as i64).wrapping_div(b as i64) as u64 },
        (0x90, false) => a.checked_rem(b).unwrap_or(a),
        (0x90, true) => if b == 0 { a } else { (a as i64).wrapping_rem(b as i64) as u64 },
        _ => unreachable!(),
    }
}

#[test]
fn div_and_mod_64_match_reference_at_32_bit_boundaries() {
    for &op in &[0x3f_u8, 0x9f] {
        for signed in [false, true] {
            let off = signed as i16;
            for &a in &VALUES {
                for &b in &VALUES {
                    let [a0, a1] = lddw(0, a);
                    let [b0, b1] = lddw(1, b);
                    let got = run(&[a0, a1, b0, b1, i(op, 0, 1, off, 0), exit()]).unwrap();
                    let want = reference(op, signed, a, b);
                    assert_eq!(got, want, "op {op:#x} signed {signed}: {a:#x}, {b:#x}");
                }
            }
        }
    }
}

#[test]
fn div_and_mod_64_immediate_forms() {
    let imms = [0i32, 1, -1, 2, -2, 7, i32::MIN, i32::MAX];
    for &op in &[0x37_u8, 0x97] {
        for signed in [false, true] {
            let off = signed as i16;
            for &a in &VALUES {
                for &k in &imms {
                    let [a0, a1] = lddw(0, a);
                    let got = run(&[a0, a1, i(op, 0, 0, off, k), exit()]).unwrap();
                    let want = reference(op, signed, a, k as i64 as u64);
                    assert_eq!(got, want, "op {op:#x} signed {signed}: {a:#x}, imm {k}");
                }
            }
        }
    }
}

/// Random operands of every magnitude (each half of a 64-bit value is
/// random, or 0, or all ones, so signs and the 32-bit fast path mix), all
/// four 64-bit register forms, against the reference.
#[test]
fn div_and_mod_64_match_reference_on_random_operands() {
    // xorshift64: deterministic, no dependency.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut operand = |bits: u64| {
        let half = |sel: u64, v: u64| match sel % 4 {
            0 => 0,
            1 => 0xffff_ffff,
            _ => v & 0xffff_ffff,
        };
        let v = next();
        half(bits >> 2, v >> 32) << 32 | half(bits, v)
    };
    for n in 0..4000u64 {
        let (a, b) = (operand(n), operand(n >> 4));
        for &op in &[0x3f_u8, 0x9f] {
            for signed in [false, true] {
                let [a0, a1] = lddw(0, a);
                let [b0, b1] = lddw(1, b);
                let got = run(&[a0, a1, b0, b1, i(op, 0, 1, signed as i16, 0), exit()]).unwrap();
                assert_eq!(got, reference(op, signed, a, b), "op {op:#x} signed {signed}: {a:#x}, {b:#x}");
            }
        }
    }
}
