//! JMP and JMP32: every condition with both operand sources, taken and not
//! taken; ja, gotol; local calls (argument passing, r6-r9 preservation, a
//! stack frame per call, recursion bounded by the depth); helper calls;
//! callx; fuel accounting.
mod common;
use common::*;
use femto_vm::{AllowList, Error, VerifierConfig};

/// r0 = 1 if `op dst=a, src=b|imm` jumps, else 0.
fn taken(op: u8, a: u64, b: u64) -> bool {
    let [a0, a1] = lddw(1, a);
    let [b0, b1] = lddw(2, b);
    let x = op & 0x08 != 0;
    let jmp = if x { i(op, 1, 2, 1, 0) } else { i(op, 1, 0, 1, b as i32) };
    let r = run(&[a0, a1, b0, b1, mov(0, 0), jmp, exit(), mov(0, 1), exit()]).unwrap();
    r == 1
}

fn both(op_k: u8, a: u64, b: u64) -> bool {
    let k = taken(op_k, a, b);
    let x = taken(op_k | 0x08, a, b);
    assert_eq!(k, x, "K and X forms disagree for {op_k:#x} {a:#x} {b:#x}");
    k
}

const M1: u64 = u64::MAX; // -1

#[test]
fn jmp64_conditions() {
    // (op, a, b, expected)
    let cases: &[(u8, u64, u64, bool)] = &[
        (0x15, 5, 5, true), (0x15, 5, 6, false),
        (0x25, 6, 5, true), (0x25, 5, 5, false), (0x25, M1, 1, true),
        (0x35, 5, 5, true), (0x35, 4, 5, false),
        (0x45, 6, 2, true), (0x45, 4, 2, false),
        (0x55, 5, 6, true), (0x55, 5, 5, false),
        (0x65, 1, M1, true), (0x65, M1, 1, false),
        (0x75, M1, M1, true), (0x75, (-2i64) as u64, M1, false),
        (0xa5, 1, M1, true), (0xa5, 5, 5, false),
        (0xb5, 5, 5, true), (0xb5, 6, 5, false),
        (0xc5, M1, 0, true), (0xc5, 0, M1, false),
        (0xd5, M1, M1, true), (0xd5, 0, M1, false),
    ];
    for &(op, a, b, want) in cases {
        assert_eq!(both(op, a, b), want, "op {op:#x} a {a:#x} b {b:#x}");
    }
}

#[test]
fn jmp32_compares_low_halves() {
    let hi = 0xffff_ffff_0000_0000u64;
    let cases: &[(u8, u64, u64, bool)] = &[
        (0x16, 5 | hi, 5, true), (0x16, 5, 6, false),
        (0x26, 6, 5 | hi, true), (0x26, 5 | hi, 6, false),
        (0x36, 5, 5, true), (0x36, 4 | hi, 5, false),
        (0x46, 0x1_0000_0000, 0x1_0000_0000, false), (0x46, 3, 1, true),
        (0x56, 5 | hi, 5, false), (0x56, 5, 6, true),
        (0x66, 1, 0xffff_ffff, true), (0x66, 0xffff_ffff, 1, false),
        (0x76, 0xffff_ffff, 0xffff_ffff, true), (0x76, 0xffff_fffe, 0xffff_ffff, false),
        (0xa6, 1, 0xffff_ffff, true), (0xa6, 5 | hi, 5, false),
        (0xb6, 5, 5 | hi, true), (0xb6, 6, 5, false),
        (0xc6, 0xffff_ffff, 0, true), (0xc6, 0, 0xffff_ffff, false),
        (0xd6, 0xffff_ffff, 0xffff_ffff, true), (0xd6, 0, 0xffff_ffff, false),
    ];
    for &(op, a, b, want) in cases {
        assert_eq!(both(op, a, b), want, "op {op:#x} a {a:#x} b {b:#x}");
    }
}

#[test]
fn ja_and_gotol() {
    assert_eq!(run(&[mov(0, 1), i(0x05, 0, 0, 1, 0), mov(0, 2), exit()]), Ok(1));
    assert_eq!(run(&[mov(0, 1), i(0x06, 0, 0, 0, 1), mov(0, 2), exit()]), Ok(1));
    // backward jump: a counted loop
    let prog = [mov(0, 0), mov(1, 10), i(0x07, 0, 0, 0, 3), i(0x17, 1, 0, 0, 1), i(0x55, 1, 0, -3, 0), exit()];
    assert_eq!(run(&prog), Ok(30));
}

#[test]
fn local_call_passes_args_preserves_r6_r9_and_returns_r0() {
    let prog = [
        mov(1, 1), mov(2, 2), mov(6, 6), mov(9, 9),
        i(0x85, 0, 1, 0, 3), // call +3 -> pc 8
        i(0x0f, 0, 6, 0, 0), // r0 += r6
        i(0x0f, 0, 9, 0, 0), // r0 += r9
        exit(),
        // func: r0 = r1 + r2; clobber r6, r9
        movr(0, 1), i(0x0f, 0, 2, 0, 0), mov(6, 100), mov(9, 100), exit(),
    ];
    assert_eq!(run(&prog), Ok(3 + 6 + 9));
}

#[test]
fn local_call_gets_its_own_stack_frame() {
    let prog = [
        i(0x7a, 10, 0, -8, 11),          // *(u64*)(r10-8) = 11
        i(0x85, 0, 1, 0, 2),             // call func (pc 4)
        i(0x79, 0, 10, -8, 0),           // r0 = *(r10-8): must still be 11
        exit(),
        i(0x7a, 10, 0, -8, 22),          // callee writes its own frame
        movr(0, 10),
        exit(),
    ];
    assert_eq!(run(&prog), Ok(11));
    // r10 in the callee is one frame lower.
    let prog = [movr(6, 10), i(0x85, 0, 1, 0, 3), i(0x1f, 6, 0, 0, 0), movr(0, 6), exit(), movr(0, 10), exit()];
    assert_eq!(run(&prog), Ok(512));
}

#[test]
fn recursion_is_bounded_by_the_call_depth() {
    // func: call func (infinite recursion)
    let prog = [i(0x85, 0, 1, 0, -1), exit()];
    assert!(matches!(run(&prog), Err(Error::CallDepthExceeded { pc: 0, depth: 8 })));
}

#[test]
fn call_depth_is_bounded_by_the_stack_size() {
    use femto_vm::{Memory, Program};
    let b = bytes(&[i(0x85, 0, 1, 0, 1), exit(), mov(0, 7), exit()]);
    let p = Program::verify(&b, &VerifierConfig::default()).unwrap();
    let mut stack = [0u8; 512]; // one frame: no nested call possible
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 100), Err(Error::CallDepthExceeded { pc: 0, depth: 1 }));
    let mut stack = [0u8; 1024];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 100), Ok(7));
}

#[test]
fn helper_calls() {
    assert_eq!(run(&[mov(1, 42), i(0x85, 0, 0, 0, 5), exit()]), Ok(42));
    assert_eq!(run(&[mov(1, 1), i(0x85, 0, 0, 0, 99), exit()]), Err(Error::UnknownHelper { pc: 1, helper: 99 }));
    assert_eq!(run(&[i(0x85, 0, 0, 0, 7), exit()]), Err(Error::HelperFailed { pc: 0, helper: 7, code: -22 }));
}

#[test]
fn callx_calls_the_helper_numbered_by_a_register() {
    assert_eq!(run(&[mov(1, 9), mov(2, 5), i(0x8d, 2, 0, 0, 0), exit()]), Ok(9));
    let b = bytes(&[mov(2, 5), i(0x8d, 2, 0, 0, 0), exit()]);
    let cfg = VerifierConfig { helpers: AllowList::Ids(&[6]), ..Default::default() };
    let p = femto_vm::verify(&b, &cfg).unwrap();
    let mut stack = [0u8; 512];
    let mut m = femto_vm::Memory::new();
    m.map_stack(&mut stack);
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 10), Err(Error::HelperNotAllowed { pc: 1, helper: 5 }));
}

#[test]
fn fuel_counts_taken_branches_and_calls() {
    let lp = [mov(0, 0), i(0x07, 0, 0, 0, 1), i(0xa5, 0, 0, -2, 5), exit()]; // 4 taken jumps
    let cfg = VerifierConfig::default();
    assert_eq!(run_cfg(&lp, &mut [], 4, &cfg), Ok(5));
    assert_eq!(run_cfg(&lp, &mut [], 3, &cfg), Err(Error::FuelExhausted { pc: 2 }));
    // straight-line code needs no fuel
    assert_eq!(run_cfg(&[mov(0, 1), exit()], &mut [], 0, &cfg), Ok(1));
    // a helper call costs one unit
    assert_eq!(run_cfg(&[i(0x85, 0, 0, 0, 5), exit()], &mut [], 0, &cfg), Err(Error::FuelExhausted { pc: 0 }));
    // an infinite loop ends
    assert_eq!(run_cfg(&[i(0x05, 0, 0, -1, 0), exit()], &mut [], 1000, &cfg), Err(Error::FuelExhausted { pc: 0 }));
}

#[test]
fn registers_at_entry() {
    let mut ctx = [0u8; 24];
    assert_eq!(run_mem(&[movr(0, 2), exit()], &mut ctx), Ok(24));
    assert_eq!(run_mem(&[movr(0, 1), exit()], &mut ctx), Ok(femto_vm::vaddr(2, 0)));
    assert_eq!(run(&[movr(0, 1), exit()]), Ok(0));
    assert_eq!(run(&[movr(0, 10), exit()]), Ok(femto_vm::vaddr(1, 512 * 8)));
}
