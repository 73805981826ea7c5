//! Pre-decoding (`femto_vm::translate`): which instructions are rewritten,
//! and that a translated program behaves exactly as written — including
//! jumps into the middle of a fused sequence, stack accesses that fault,
//! accesses in a callee's frame, and traced runs.
//!
//! `common::run_cfg` runs every program both ways and compares; the tests
//! here add programs aimed at the translated forms.

mod common;

use common::*;
use femto_vm::translate::{
    self, XOP_ADD64_IMM_RN, XOP_ADD64_REG_RN, XOP_LDXDW_FP_RN, XOP_MOV32_ZEXT, XOP_MOV64_REG_RN, XOP_MOV_ADD_IMM,
    XOP_MOV_ADD_REG, XOP_STXDW_FP_RN, XOP_ZEXT,
};
use femto_vm::{Access, Error, InsnCounter, Memory, Program, Tracer, VerifierConfig};

/// The opcode bytes of `prog` after translation.
fn translated_opcodes(prog: &[femto_vm::isa::Insn]) -> Vec<u8> {
    let mut text = bytes(prog);
    femto_vm::verify_translated(&mut text, &VerifierConfig::default()).unwrap();
    text.chunks(8).map(|s| s[0]).collect()
}

fn lsh32(d: u8) -> femto_vm::isa::Insn {
    i(0x67, d, 0, 0, 32)
}
fn rsh32(d: u8) -> femto_vm::isa::Insn {
    i(0x77, d, 0, 0, 32)
}

#[test]
fn rewrites_only_what_it_should() {
    let [l0, l1] = lddw(1, 0x0000_0003_0000_0005);
    let prog = [
        l0,
        l1,
        movr(2, 1),               // 2: mov + lsh + rsh -> MOV32_ZEXT
        lsh32(2),                 // 3: lsh + rsh -> ZEXT
        rsh32(2),                 // 4
        lsh32(1),                 // 5: ZEXT
        rsh32(1),                 // 6
        lsh32(3),                 // 7: not followed by rsh of r3: unchanged
        rsh32(4),                 // 8
        i(0xbf, 5, 1, 8, 0),      // 9: movsx: unchanged
        movr(6, 1),               // 10: plain mov, specialised for r6
        i(0x79, 0, 10, -8, 0),    // 11: ldxdw r0, [r10-8] -> fast form for r0
        i(0x79, 0, 1, 0, 0),      // 12: ldxdw r0, [r1]: unchanged
        i(0x7b, 10, 1, -8, 0),    // 13: stxdw [r10-8], r1 -> fast form for r1
        i(0x72, 10, 0, -1, 7),    // 14: stb [r10-1], 7 -> fast form
        i(0x7b, 10, 10, -16, 0),  // 15: stxdw [r10-16], r10 -> general fast form
        i(0x07, 9, 0, 0, 3),      // 16: add64 r9, 3 -> specialised for r9
        i(0x0f, 3, 10, 0, 0),     // 17: add64 r3, r10 -> specialised for r3
        exit(),
    ];
    let ops = translated_opcodes(&prog);
    assert_eq!(
        ops,
        vec![
            0x18, 0x00, XOP_MOV32_ZEXT, XOP_ZEXT, 0x77, XOP_ZEXT, 0x77, 0x67, 0x77, 0xbf, XOP_MOV64_REG_RN[6],
            XOP_LDXDW_FP_RN[0], 0x79, XOP_STXDW_FP_RN[1], 0xf2, 0xfb, XOP_ADD64_IMM_RN[9], XOP_ADD64_REG_RN[3],
            0x95
        ]
    );
    for (&t, insn) in ops.iter().zip(prog.iter()) {
        assert_eq!(translate::original_opcode(t), insn.encode()[0]);
    }
}

#[test]
fn fused_mov_add_keeps_its_operand_and_maps_back() {
    let prog = [
        movr(2, 1),
        i(0x0f, 2, 3, 0, 0), // mov r2, r1; add r2, r3
        movr(4, 10),
        i(0x07, 4, 0, 0, -16), // mov r4, r10; add r4, -16
        movr(5, 1),
        i(0x0f, 6, 3, 0, 0), // add of another register: not fused
        movr(0, 2),
        exit(),
    ];
    let cfg = VerifierConfig::default();
    let mut text = bytes(&prog);
    let original = text.clone();
    femto_vm::verify_translated(&mut text, &cfg).unwrap();
    let ops: Vec<u8> = text.chunks(8).map(|s| s[0]).collect();
    assert_eq!(
        &ops[..6],
        &[
            XOP_MOV_ADD_REG,
            XOP_ADD64_REG_RN[2],
            XOP_MOV_ADD_IMM,
            XOP_ADD64_IMM_RN[4],
            XOP_MOV64_REG_RN[5],
            XOP_ADD64_REG_RN[6]
        ]
    );
    for (t, o) in text.chunks(8).zip(original.chunks(8)) {
        let t: &[u8; 8] = t.try_into().unwrap();
        assert_eq!(&translate::original_slot(t)[..], o, "{t:?}");
    }
}

#[test]
fn fused_mov_add_semantics_and_jumps_into_it() {
    // add's src2 == dst: mov r2, r1; add r2, r2 = 2 * r1.
    assert_eq!(run(&[mov(1, 21), movr(2, 1), i(0x0f, 2, 2, 0, 0), movr(0, 2), exit()]), Ok(42));
    // src == dst: mov r1, r1; add r1, r3.
    assert_eq!(run(&[mov(1, 40), mov(3, 2), movr(1, 1), i(0x0f, 1, 3, 0, 0), movr(0, 1), exit()]), Ok(42));
    // Immediate form with a negative immediate (sign-extended to 64 bits).
    assert_eq!(run(&[mov(1, 5), movr(0, 1), i(0x07, 0, 0, 0, -7), exit()]), Ok(-2i64 as u64));
    // A jump onto the add executes it alone: r0 = 100 + 1, not r1 + 1.
    let prog = [
        mov(0, 100),
        mov(1, 7),
        i(0x05, 0, 0, 1, 0), // ja +1 -> the add
        movr(0, 1),
        i(0x07, 0, 0, 0, 1),
        exit(),
    ];
    assert_eq!(run(&prog), Ok(101));
    // Fall-through executes both: r0 = r1 + 1.
    let prog = [mov(0, 100), mov(1, 7), i(0x05, 0, 0, 0, 0), movr(0, 1), i(0x07, 0, 0, 0, 1), exit()];
    assert_eq!(run(&prog), Ok(8));
}

#[test]
fn fused_zero_extension_and_jumps_into_it() {
    // r1 = 3 << 32 | 5; the jump (taken when r2 == 0) lands on the `rsh`
    // in the middle of the fused `lsh; rsh`.
    let [l0, l1] = lddw(1, 0x0000_0003_0000_0005);
    for (r2, expected) in [(0, 3u64), (1, 5)] {
        let prog = [l0, l1, mov(2, r2), i(0x15, 2, 0, 1, 0), lsh32(1), rsh32(1), movr(0, 1), exit()];
        assert_eq!(run(&prog), Ok(expected), "r2 = {r2}");
    }
    // mov + lsh + rsh, entered at each of its three slots.
    for (target, expected) in [(0i16, 0xffff_fff0u64), (1, 0xffff_ffffu64), (2, 0xffff_ffff)] {
        let prog = [
            mov(1, -16),               // r1 = 0xffff_ffff_ffff_fff0
            mov(0, -1),                // r0 = all ones
            i(0x05, 0, 0, target, 0),  // ja +target
            movr(0, 1),                // 3: r0 = r1
            lsh32(0),                  // 4
            rsh32(0),                  // 5
            exit(),
        ];
        assert_eq!(run(&prog), Ok(expected), "jump to +{target}");
    }
}

#[test]
fn stack_fast_paths_round_trip_every_size() {
    let prog = [
        mov(1, -2),
        i(0x7b, 10, 1, -8, 0),   // stxdw [r10-8], r1
        i(0x63, 10, 1, -16, 0),  // stxw
        i(0x6b, 10, 1, -18, 0),  // stxh
        i(0x73, 10, 1, -19, 0),  // stxb
        i(0x7a, 10, 0, -32, -3), // stdw
        i(0x62, 10, 0, -36, -4), // stw
        i(0x6a, 10, 0, -38, -5), // sth
        i(0x72, 10, 0, -39, -6), // stb
        i(0x79, 0, 10, -8, 0),   // r0 = ldxdw
        i(0x61, 2, 10, -16, 0),  // ldxw
        i(0x0f, 0, 2, 0, 0),
        i(0x69, 2, 10, -18, 0),  // ldxh
        i(0x0f, 0, 2, 0, 0),
        i(0x71, 2, 10, -19, 0),  // ldxb
        i(0x0f, 0, 2, 0, 0),
        i(0x79, 2, 10, -32, 0),
        i(0x0f, 0, 2, 0, 0),
        i(0x61, 2, 10, -36, 0),
        i(0x0f, 0, 2, 0, 0),
        i(0x69, 2, 10, -38, 0),
        i(0x0f, 0, 2, 0, 0),
        i(0x71, 2, 10, -39, 0),
        i(0x0f, 0, 2, 0, 0),
        exit(),
    ];
    let expected = (-2i64 as u64)
        .wrapping_add(0xffff_fffe)
        .wrapping_add(0xfffe)
        .wrapping_add(0xfe)
        .wrapping_add(-3i64 as u64)
        .wrapping_add(0xffff_fffc)
        .wrapping_add(0xfffb)
        .wrapping_add(0xfa);
    assert_eq!(run(&prog), Ok(expected));
}

#[test]
fn stack_fast_paths_fault_like_the_general_path() {
    // r10 is the end of the stack: [r10 + 0] is out of bounds, for loads
    // and stores, with the instruction's pc and the full address.
    let stack_end = femto_vm::vaddr(femto_vm::memory::REGION_STACK, 512 * 8);
    let cases = [
        (i(0x79, 0, 10, 0, 0), Access::Load, 8),
        (i(0x61, 0, 10, -2, 0), Access::Load, 4),
        (i(0x7b, 10, 1, -4, 0), Access::Store, 8),
        (i(0x72, 10, 0, 0, 1), Access::Store, 1),
    ];
    for (insn, access, len) in cases {
        let off = insn.offset as i64;
        let r = run(&[mov(0, 0), insn, exit()]);
        assert_eq!(
            r,
            Err(Error::OutOfBounds { pc: 1, addr: stack_end.wrapping_add(off as u64), len, access }),
            "{insn:?}"
        );
    }
    // Below the stack's start.
    let r = run(&[i(0x79, 0, 10, -32768, 0), exit()]);
    assert!(matches!(r, Err(Error::OutOfBounds { pc: 0, .. })), "{r:?}");
}

#[test]
fn stack_fast_paths_in_a_callee_frame_reach_the_callers_frame() {
    // The callee writes through r10 + 8 (inside the caller's frame, which is
    // in bounds) and the caller reads it back through r10 - 512 + 8.
    let prog = [
        i(0x85, 0, 1, 0, 2),         // 0: call +2 -> 3
        i(0x79, 0, 10, -504, 0),     // 1: r0 = [r10 - 504]
        exit(),                      // 2
        mov(1, 77),                  // 3: callee
        i(0x7b, 10, 1, 8, 0),        // 4: [r10 + 8] = 77 (caller frame's lowest bytes)
        exit(),                      // 5
    ];
    assert_eq!(run(&prog), Ok(77));
}

/// Records the opcodes a tracer sees.
struct Ops(Vec<u8>);
impl Tracer for Ops {
    fn step(&mut self, _pc: usize, insn: &[u8; 8], _regs: &[u64; 16]) {
        self.0.push(insn[0]);
    }
}

#[test]
fn traced_runs_see_the_program_as_written() {
    let prog = [mov(1, -1), movr(2, 1), lsh32(2), rsh32(2), i(0x7b, 10, 2, -8, 0), i(0x79, 0, 10, -8, 0), exit()];
    let cfg = VerifierConfig::default();
    let plain = bytes(&prog);
    let mut text = plain.clone();
    femto_vm::verify_translated(&mut text, &cfg).unwrap();
    assert_ne!(plain, text, "nothing was translated");
    let translated = Program::assume_verified(&text, &cfg);
    let mut stack = [0u8; 512];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    let mut ops = Ops(Vec::new());
    let r = femto_vm::run_traced(&translated, 0, &mut memory, &mut femto_vm::NoHelpers, 100, &mut ops);
    assert_eq!(r, Ok(0xffff_ffff));
    assert_eq!(ops.0, vec![0xb7, 0xbf, 0x67, 0x77, 0x7b, 0x79, 0x95]);
    let mut count = InsnCounter::default();
    let p = Program::verify(&plain, &cfg).unwrap();
    let _ = femto_vm::run_traced(&p, 0, &mut memory, &mut femto_vm::NoHelpers, 100, &mut count);
    assert_eq!(count.count, 7);
}

#[test]
fn translation_leaves_a_rejected_text_unchanged() {
    let prog = [i(0x79, 0, 10, -8, 0), i(0x07, 10, 0, 0, 1), exit()]; // writes r10
    let mut text = bytes(&prog);
    let before = text.clone();
    assert!(matches!(
        femto_vm::verify_translated(&mut text, &VerifierConfig::default()),
        Err(Error::WriteToR10 { .. })
    ));
    assert_eq!(text, before);
}

/// `translate_image_with` and `verify_image_with` run the host's check on
/// the one parse: a failed check leaves the image as it was and skips the
/// verifier; a passed one gives the check's value and the same bytes as
/// `translate_image`; parse and verifier errors come through as such.
#[test]
fn translate_image_with_checks_once_and_translates_only_after_a_passed_check() {
    use femto_vm::image::{Function, ImageSpec};
    let encode = |text: &[u8]| {
        let functions = [Function { name: b"main", pc: 0 }];
        let spec = ImageSpec { name: b"t", functions: &functions, ..ImageSpec::of_text(text) };
        let mut out = vec![0u8; spec.encoded_len().unwrap()];
        spec.encode(&mut out).unwrap();
        out
    };
    // A translatable program (a stack store and load).
    let good = encode(&bytes(&[i(0x7b, 10, 1, -8, 0), i(0x79, 0, 10, -8, 0), exit()]));
    let mut plain = good.clone();
    femto_vm::translate_image(&mut plain).unwrap();
    assert_ne!(plain, good);

    let mut refused = good.clone();
    assert_eq!(femto_vm::translate_image_with(&mut refused, |_| Err::<(), _>("no")), Ok(Err("no")));
    assert_eq!(refused, good);

    let mut passed = good.clone();
    let r = femto_vm::translate_image_with(&mut passed, |img| Ok::<_, ()>(img.name().to_vec()));
    assert_eq!(r, Ok(Ok(b"t".to_vec())));
    assert_eq!(passed, plain);

    // A verifier error after a passed check: nothing changed.
    let bad = encode(&bytes(&[i(0x07, 10, 0, 0, 1), exit()]));
    let mut b = bad.clone();
    let r = femto_vm::translate_image_with(&mut b, |_| Ok::<(), ()>(()));
    assert_eq!(r, Err(Error::WriteToR10 { pc: 0 }));
    assert_eq!(b, bad);
    // A parse error: the check does not run.
    let mut short = good[..20].to_vec();
    let r = femto_vm::translate_image_with(&mut short, |_| -> Result<(), ()> { panic!("check ran") });
    assert!(matches!(r, Err(Error::ImageTooShort { .. })));

    // `verify_image_with` (the compact interpreter's load path) is the same
    // without the translation.
    assert_eq!(femto_vm::verify_image_with(&good, |img| Ok::<_, ()>(img.name().len())), Ok(Ok(1)));
    assert_eq!(femto_vm::verify_image_with(&good, |_| Err::<(), _>("no")), Ok(Err("no")));
    assert_eq!(femto_vm::verify_image_with(&bad, |_| Ok::<(), ()>(())), Err(Error::WriteToR10 { pc: 0 }));
    let r = femto_vm::verify_image_with(&good[..20], |_| -> Result<(), ()> { panic!("check ran") });
    assert!(matches!(r, Err(Error::ImageTooShort { .. })));
}
