//! `run_metered`: the fuel left after a run, without a tracer.
use femto_vm::isa::Insn;
use femto_vm::{run_metered, verify, AllowList, FnHelpers, Memory, VerifierConfig};

fn text(insns: &[(u8, u8, u8, i16, i32)]) -> Vec<u8> {
    insns.iter().flat_map(|&(op, d, s, off, imm)| Insn::new(op, d, s, off, imm).encode()).collect()
}

fn metered(code: &[u8], budget: u64) -> (Result<u64, femto_vm::Error>, u64) {
    let cfg = VerifierConfig { helpers: AllowList::All, ..Default::default() };
    let program = verify(code, &cfg).unwrap();
    let mut stack = [0u8; 512];
    let mut mem = Memory::new();
    mem.map_stack(&mut stack);
    let mut helpers = FnHelpers(|_id, a: [u64; 5], _m: &mut Memory<'_>| Ok(a[0]));
    let mut fuel = budget;
    let r = run_metered(&program, 0, &mut mem, &mut helpers, &mut fuel);
    (r, fuel)
}

#[test]
fn fuel_left_counts_taken_jumps_and_calls() {
    // r0 = 0; loop: r0 += 1; if r0 == 5 goto out; goto loop; out: call 1; exit
    let code = text(&[
        (0xb7, 0, 0, 0, 0),
        (0x07, 0, 0, 0, 1),
        (0x15, 0, 0, 1, 5),
        (0x05, 0, 0, -3, 0),
        (0xbf, 1, 0, 0, 0),
        (0x85, 0, 0, 0, 1),
        (0x95, 0, 0, 0, 0),
    ]);
    // 4 taken `goto loop`, 1 taken `if`, 1 call = 6.
    let (r, left) = metered(&code, 100);
    assert_eq!(r.unwrap(), 5);
    assert_eq!(left, 94);
    let (r, left) = metered(&code, 6);
    assert_eq!((r.is_ok(), left), (true, 0));
    let (r, left) = metered(&code, 5);
    assert!(matches!(r, Err(femto_vm::Error::FuelExhausted { .. })));
    assert_eq!(left, 0);
    // Straight-line code uses none.
    let (r, left) = metered(&text(&[(0xb7, 0, 0, 0, 7), (0x95, 0, 0, 0, 0)]), 3);
    assert_eq!((r.unwrap(), left), (7, 3));
    // A budget above a machine word keeps its unspendable part.
    let (_, left) = metered(&code, u64::MAX);
    assert_eq!(left, u64::MAX - 6);
}
