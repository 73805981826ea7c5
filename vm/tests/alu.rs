//! ALU and ALU64 instructions: every operation, both operand sources,
//! zero-extension of 32-bit results, division/modulo by zero and signed
//! overflow as RFC 9669 specifies, MOVSX and byte swaps.
mod common;
use common::*;

/// Runs `lddw r0, a; lddw r1, b; <op> r0, r1 or imm; exit`.
fn op_reg(op: u8, a: u64, b: u64, off: i16) -> u64 {
    let [a0, a1] = lddw(0, a);
    let [b0, b1] = lddw(1, b);
    run(&[a0, a1, b0, b1, i(op, 0, 1, off, 0), exit()]).unwrap()
}

fn op_imm(op: u8, a: u64, imm: i32, off: i16) -> u64 {
    let [a0, a1] = lddw(0, a);
    run(&[a0, a1, i(op, 0, 0, off, imm), exit()]).unwrap()
}

const MIN64: u64 = i64::MIN as u64;

#[test]
fn alu64_add_sub_mul() {
    assert_eq!(op_imm(0x07, 1, -2, 0), u64::MAX);
    assert_eq!(op_reg(0x0f, u64::MAX, 2, 0), 1);
    assert_eq!(op_imm(0x17, 0, 1, 0), u64::MAX);
    assert_eq!(op_reg(0x1f, 5, 7, 0), (-2i64) as u64);
    assert_eq!(op_imm(0x27, 3, -1, 0), (-3i64) as u64);
    assert_eq!(op_reg(0x2f, 1 << 63, 2, 0), 0);
}

#[test]
fn alu32_results_are_zero_extended() {
    assert_eq!(op_imm(0x04, 0xffff_ffff, 1, 0), 0);
    assert_eq!(op_reg(0x0c, 0x1_0000_0001, 0x1_0000_0001, 0), 2);
    assert_eq!(op_imm(0x14, 0, 1, 0), 0xffff_ffff);
    assert_eq!(op_reg(0x1c, 0, 1, 0), 0xffff_ffff);
    assert_eq!(op_imm(0x24, 0x8000_0000, -1, 0), 0x8000_0000);
    assert_eq!(op_reg(0x2c, 0xffff_ffff, 0xffff_ffff, 0), 1);
    assert_eq!(op_imm(0xb4, 0, -1, 0), 0xffff_ffff);
    assert_eq!(op_reg(0xbc, 0, u64::MAX, 0), 0xffff_ffff);
    assert_eq!(op_imm(0x84, 1, 0, 0), 0xffff_ffff);
}

#[test]
fn bitwise_ops() {
    assert_eq!(op_imm(0x47, 0xf0, 0x0f, 0), 0xff);
    assert_eq!(op_reg(0x4f, 0xf0, 0x0f, 0), 0xff);
    assert_eq!(op_imm(0x57, u64::MAX, -2, 0), u64::MAX - 1);
    assert_eq!(op_reg(0x5f, 0xff, 0x0f, 0), 0x0f);
    assert_eq!(op_imm(0xa7, 0xff, -1, 0), !0xffu64);
    assert_eq!(op_reg(0xaf, 0xff, 0xff, 0), 0);
    assert_eq!(op_imm(0x44, 0x1_0000_0000, 1, 0), 1);
    assert_eq!(op_imm(0x54, u64::MAX, -1, 0), 0xffff_ffff);
    assert_eq!(op_reg(0x5c, u64::MAX, u64::MAX, 0), 0xffff_ffff);
    assert_eq!(op_imm(0xa4, u64::MAX, 0, 0), 0xffff_ffff);
    assert_eq!(op_reg(0xac, 0, 0xffff_ffff_0000_0001, 0), 1);
    assert_eq!(op_reg(0x4c, 0, 0xffff_ffff_0000_0001, 0), 1);
}

#[test]
fn shifts_mask_register_amounts() {
    assert_eq!(op_imm(0x67, 1, 63, 0), 1 << 63);
    assert_eq!(op_reg(0x6f, 1, 64 + 4, 0), 16); // masked to 4
    assert_eq!(op_imm(0x77, 1 << 63, 63, 0), 1);
    assert_eq!(op_reg(0x7f, 1 << 63, 127, 0), 1);
    assert_eq!(op_imm(0xc7, MIN64, 63, 0), u64::MAX);
    assert_eq!(op_reg(0xcf, MIN64, 64 + 62, 0), (-2i64) as u64);
    assert_eq!(op_imm(0x64, 0xffff_ffff, 31, 0), 0x8000_0000);
    assert_eq!(op_reg(0x6c, 1, 33, 0), 2);
    assert_eq!(op_imm(0x74, 0xffff_ffff_8000_0000, 31, 0), 1);
    assert_eq!(op_reg(0x7c, 0x8000_0000, 32 + 31, 0), 1);
    assert_eq!(op_imm(0xc4, 0x8000_0000, 31, 0), 0xffff_ffff);
    assert_eq!(op_reg(0xcc, 0xffff_ffff_7000_0000, 4, 0), 0x0700_0000);
}

#[test]
fn unsigned_division_and_modulo() {
    assert_eq!(op_imm(0x37, 100, 7, 0), 14);
    assert_eq!(op_reg(0x3f, u64::MAX, 2, 0), u64::MAX / 2);
    // ALU64 with an immediate: imm is sign-extended, then unsigned.
    assert_eq!(op_imm(0x37, u64::MAX, -1, 0), 1);
    assert_eq!(op_imm(0x97, 100, 7, 0), 2);
    assert_eq!(op_reg(0x9f, 100, 7, 0), 2);
    assert_eq!(op_imm(0x34, 0x1_0000_0064, 7, 0), 14);
    assert_eq!(op_reg(0x3c, 0xffff_fffe, 0xffff_ffff, 0), 0);
    assert_eq!(op_imm(0x94, 0x1_0000_0064, 7, 0), 2);
    assert_eq!(op_reg(0x9c, 0xffff_ffff, 0x1_0000_0010, 0), 15);
}

#[test]
fn division_by_zero_gives_zero_and_modulo_by_zero_keeps_dst() {
    assert_eq!(op_reg(0x3f, 42, 0, 0), 0);
    assert_eq!(op_reg(0x3c, 42, 0x1_0000_0000, 0), 0); // low 32 bits are zero
    assert_eq!(op_reg(0x9f, 42, 0, 0), 42);
    // 32-bit modulo by zero: dst keeps its low half, the upper half is zeroed.
    assert_eq!(op_reg(0x9c, 0x1_0000_002a, 0, 0), 42);
    // signed forms
    assert_eq!(op_reg(0x3f, 42, 0, 1), 0);
    assert_eq!(op_reg(0x9f, (-42i64) as u64, 0, 1), (-42i64) as u64);
    assert_eq!(op_reg(0x9c, 0xffff_ffff_ffff_ffd6, 0, 1), 0xffff_ffd6);
}

#[test]
fn signed_division_and_modulo() {
    assert_eq!(op_imm(0x37, (-13i64) as u64, 3, 1), (-4i64) as u64);
    assert_eq!(op_imm(0x97, (-13i64) as u64, 3, 1), (-1i64) as u64);
    assert_eq!(op_reg(0x3f, 13, (-3i64) as u64, 1), (-4i64) as u64);
    assert_eq!(op_reg(0x9f, 13, (-3i64) as u64, 1), 1);
    assert_eq!(op_imm(0x34, (-13i32) as u32 as u64, 3, 1), (-4i32) as u32 as u64);
    assert_eq!(op_imm(0x94, (-13i32) as u32 as u64, 3, 1), (-1i32) as u32 as u64);
    // signed overflow: MIN / -1 = MIN, MIN % -1 = 0
    assert_eq!(op_imm(0x37, MIN64, -1, 1), MIN64);
    assert_eq!(op_imm(0x97, MIN64, -1, 1), 0);
    assert_eq!(op_reg(0x3c, 0x8000_0000, u64::MAX, 1), 0x8000_0000);
    assert_eq!(op_reg(0x9c, 0x8000_0000, u64::MAX, 1), 0);
}

#[test]
fn neg_wraps() {
    assert_eq!(op_imm(0x87, 5, 0, 0), (-5i64) as u64);
    assert_eq!(op_imm(0x87, MIN64, 0, 0), MIN64);
    assert_eq!(op_imm(0x84, 0x8000_0000, 0, 0), 0x8000_0000);
}

#[test]
fn mov_and_movsx() {
    assert_eq!(op_imm(0xb7, 0, -1, 0), u64::MAX);
    assert_eq!(op_reg(0xbf, 0, 0x1234_5678_9abc_def0, 0), 0x1234_5678_9abc_def0);
    assert_eq!(op_reg(0xbf, 0, 0x80, 8), 0xffff_ffff_ffff_ff80);
    assert_eq!(op_reg(0xbf, 0, 0x8000, 16), 0xffff_ffff_ffff_8000);
    assert_eq!(op_reg(0xbf, 0, 0x8000_0000, 32), 0xffff_ffff_8000_0000);
    assert_eq!(op_reg(0xbf, 0, 0x7f, 8), 0x7f);
    assert_eq!(op_reg(0xbc, 0, 0x80, 8), 0xffff_ff80);
    assert_eq!(op_reg(0xbc, 0, 0x1_0000_8000, 16), 0xffff_8000);
}

#[test]
fn byte_swaps() {
    let v = 0x0102_0304_0506_0708u64;
    assert_eq!(op_imm(0xd4, v, 16, 0), 0x0708);
    assert_eq!(op_imm(0xd4, v, 32, 0), 0x0506_0708);
    assert_eq!(op_imm(0xd4, v, 64, 0), v);
    assert_eq!(op_imm(0xdc, v, 16, 0), 0x0807);
    assert_eq!(op_imm(0xdc, v, 32, 0), 0x0807_0605);
    assert_eq!(op_imm(0xdc, v, 64, 0), 0x0807_0605_0403_0201);
    assert_eq!(op_imm(0xd7, v, 16, 0), 0x0807);
    assert_eq!(op_imm(0xd7, v, 32, 0), 0x0807_0605);
    assert_eq!(op_imm(0xd7, v, 64, 0), 0x0807_0605_0403_0201);
}

#[test]
fn lddw_loads_both_halves() {
    let [a, b] = lddw(3, 0xdead_beef_cafe_f00d);
    assert_eq!(run(&[a, b, movr(0, 3), exit()]), Ok(0xdead_beef_cafe_f00d));
}
