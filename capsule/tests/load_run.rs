//! Load and run through the real kernel syscall path.
mod common;
mod harness;

use common::*;
use harness::lock;
use kernel::syscall::SyscallReturn;
use kernel::ErrorCode;

#[test]
fn load_and_run_returns_r0() {
    let _g = lock();
    let fx = setup(1);
    assert!(is_ok(fx.cmd(0, 0, 0, 0)), "command 0 exists");
    let id = fx.load_ok(0, &ret42());
    assert_ne!(id, 0);
    assert!(id < 0x10000);
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(u64_of(r), 42);
    assert_eq!(pair_of(fx.cmd(0, 11, 0, 0)), (0, 0), "last load succeeded");
}

#[test]
fn context_is_copied_in_and_back() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &ctx_increment());
    let (r, after) = fx.run(0, id, &41u32.to_le_bytes(), 0);
    assert_eq!(u64_of(r), 42);
    assert_eq!(after, 42u32.to_le_bytes());
    let (r, after) = fx.run(0, id, &after, 0);
    assert_eq!(u64_of(r), 43);
    assert_eq!(after, 43u32.to_le_bytes());
}

#[test]
fn context_larger_than_limit_is_size_and_runs_nothing() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &ctx_increment());
    let big = vec![7u8; CONTEXT + 1];
    let (r, after) = fx.run(0, id, &big, 0);
    assert_eq!(err_of(r), ErrorCode::SIZE);
    assert_eq!(after, big, "context untouched");
    assert_eq!(pair_of(fx.cmd(0, 7, id, 3)), (0, 0), "no run counted");
}

#[test]
fn run_without_context_gives_empty_context() {
    let _g = lock();
    let fx = setup(1);
    // Reading the context without one is a memory fault.
    let id = fx.load_ok(0, &ctx_increment());
    let r = fx.cmd(0, 3, id, 0);
    assert_eq!(err_of(r), ErrorCode::FAIL);
    let (kind, pc) = pair_of(fx.cmd(0, 7, id, 2));
    assert_eq!((kind, pc), (2, 0), "memory fault at pc 0");
}

#[test]
fn loaded_copy_cannot_be_changed_by_the_process() {
    let _g = lock();
    let fx = setup(1);
    let img = ret42();
    let id = fx.load_ok(0, &img);
    // The app scribbles over its buffer (still shared) after loading.
    let mut evil = img.clone();
    let n = evil.len();
    for b in evil[n - 24..].iter_mut() {
        *b = 0xFF;
    }
    fx.w.procs[0].write_ram(IMAGE_AT, &evil);
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(u64_of(r), 42, "the verified copy runs");
}

#[test]
fn data_region_persists_between_runs() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &data_counter());
    for expect in 1..=3 {
        let (r, _) = fx.run(0, id, &[], 0);
        assert_eq!(u64_of(r), expect);
    }
    assert_eq!(pair_of(fx.cmd(0, 7, id, 3)), (3, 0));
    assert_eq!(u64_of(fx.cmd(0, 7, id, 1)), 3);
}

#[test]
fn fuel_exhaustion_is_cancel_and_recorded() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &endless());
    let (r, _) = fx.run(0, id, &[], 10);
    assert_eq!(err_of(r), ErrorCode::CANCEL);
    let (kind, pc) = pair_of(fx.cmd(0, 7, id, 2));
    assert_eq!(kind, 1, "out of fuel");
    assert_eq!(pc, 1);
    let (last, total) = pair_of(fx.cmd(0, 7, id, 4));
    assert_eq!(last, 10, "the whole budget was used");
    assert_eq!(total, last);
    // The kernel keeps working: another container runs fine.
    let id2 = fx.load_ok(0, &ret42());
    assert_eq!(u64_of(fx.run(0, id2, &[], 0).0), 42);
}

#[test]
fn fuel_above_board_maximum_is_lowered() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &endless());
    let (r, _) = fx.run(0, id, &[], usize::MAX);
    assert_eq!(err_of(r), ErrorCode::CANCEL);
    let (last, _) = pair_of(fx.cmd(0, 7, id, 4));
    assert_eq!(last, limits().max_fuel, "ran with the maximum fuel");
}

#[test]
fn info_field_4_reports_fuel_used_taken_jumps_and_calls() {
    let _g = lock();
    let fx = setup(1);
    // r0 = 0; loop: r0 += 1; if r0 == 5 goto out; goto loop; out: exit.
    // 4 taken `goto loop` + 1 taken `if` = 5 fuel (12 instructions).
    let looped = Img::new(&[
        mov_imm(0, 0),
        add_imm(0, 1),
        jeq_imm(0, 5, 1),
        ja(-3),
        exit(),
    ])
    .build();
    let id = fx.load_ok(0, &looped);
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0), 5);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 4)), (5, 5));
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0), 5);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 4)), (5, 10), "total adds up");
    // Straight-line code uses no fuel; a helper call uses one.
    let id = fx.load_ok(0, &ret42());
    fx.run(0, id, &[], 0);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 4)), (0, 0));
    let id = fx.load_ok(0, &notify(1));
    fx.run(0, id, &[], 0);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 4)), (1, 1));
}

#[test]
fn memory_fault_is_fail_with_kind_and_pc() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &null_load());
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(err_of(r), ErrorCode::FAIL);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 2)), (2, 1));
    assert_eq!(pair_of(fx.cmd(0, 7, id, 3)), (1, 1));
}

#[test]
fn unknown_helper_faults() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &unknown_helper());
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(err_of(r), ErrorCode::FAIL);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 2)), (3, 0));
}

#[test]
fn async_run_reports_result_by_upcall() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &ctx_increment());
    fx.share_context(0, &9u32.to_le_bytes());
    // Command returns at once; the run happens from the deferred call.
    assert!(is_ok(fx.cmd(0, 4, id, 0)));
    let up = fx.upcalls(0);
    assert_eq!(up, vec![(0, (id, 10, 0))]);
    assert_eq!(harness::read_ram(fx.w.procs[0], CONTEXT_AT, 4), 10u32.to_le_bytes());
    assert_eq!(pair_of(fx.cmd(0, 7, id, 0)), (0, 0), "idle again");
}

#[test]
fn async_run_fault_reports_fault_upcall() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &endless());
    assert!(is_ok(fx.cmd(0, 4, id, 5)));
    let up = fx.upcalls(0);
    assert_eq!(up, vec![(2, (id, 1, 1))]);
}

#[test]
fn async_run_completes_before_the_next_syscall() {
    // Tock's kernel loop preempts the process as soon as a deferred call is
    // pending, so the queued run happens before the app's next syscall: the
    // app never observes the pending state through a second command.
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &ret42());
    let d = capsules_femto::DRIVER_NUM;
    let r = fx.w.syscalls(
        0,
        vec![
            harness::command(d, 4, id, 0),
            harness::command(d, 7, id, 3),
            harness::command(d, 4, id, 0),
            harness::command(d, 2, id, 0),
        ],
    );
    assert!(matches!(r[0], SyscallReturn::Success), "{r:?}");
    assert!(
        matches!(r[1], SyscallReturn::SuccessU32U32(1, 0)),
        "ran once: {r:?}"
    );
    assert!(matches!(r[2], SyscallReturn::Success), "{r:?}");
    assert!(
        matches!(r[3], SyscallReturn::Success),
        "unloaded after its run: {r:?}"
    );
    assert_eq!(fx.upcalls(0), vec![(0, (id, 42, 0)), (0, (id, 42, 0))]);
}

#[test]
fn unload_then_id_is_stale_and_slot_reusable() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &ret42());
    assert!(is_ok(fx.cmd(0, 2, id, 0)));
    assert_eq!(err_of(fx.cmd(0, 3, id, 0)), ErrorCode::INVAL);
    assert_eq!(err_of(fx.cmd(0, 2, id, 0)), ErrorCode::INVAL);
    let id2 = fx.load_ok(0, &ret42());
    assert_ne!(id, id2, "a reloaded slot gets a new id");
    assert_eq!(err_of(fx.cmd(0, 7, id, 0)), ErrorCode::INVAL);
    assert_eq!(u64_of(fx.run(0, id2, &[], 0).0), 42);
}

#[test]
fn slots_are_limited_per_process() {
    let _g = lock();
    let fx = setup(1);
    let ids: Vec<usize> = (0..N).map(|_| fx.load_ok(0, &ret42())).collect();
    assert_eq!(err_of(fx.load(0, &ret42())), ErrorCode::NOMEM);
    assert_eq!(pair_of(fx.cmd(0, 11, 0, 0)), (6, 0));
    for id in &ids {
        assert_eq!(
            u64_of(fx.run(0, *id, &[], 0).0),
            42,
            "existing containers unaffected"
        );
    }
    assert_eq!(pair_of(fx.cmd(0, 10, 0, 0)), (N as u32, SLOT as u32));
}

#[test]
fn info_size_reports_image_and_data() {
    let _g = lock();
    let fx = setup(1);
    let img = data_counter();
    let id = fx.load_ok(0, &img);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 5)), (img.len() as u32, 8));
}

#[test]
fn async_run_with_too_large_context_reports_fault_kind_8() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &ret42());
    fx.share_context(0, &[0u8; CONTEXT + 8]);
    assert!(is_ok(fx.cmd(0, 4, id, 0)));
    assert_eq!(fx.upcalls(0), vec![(2, (id, 8, 0))]);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 3)), (0, 0), "nothing ran");
}

/// A run finds every part of the image where the load recorded it (the
/// image is not parsed again): a native image whose entry is not at pc 0,
/// with rodata, an allow-listed helper, data and a non-default stack frame.
#[test]
fn run_uses_the_layout_recorded_at_load_native() {
    use femto_vm::image::{Function, ImageSpec};
    let _g = lock();
    let fx = setup(1);
    // pc 0: `r0 = 7; exit` (not the entry). main at pc 2:
    // r6 = rodata word + data word; r0 = fc_now_ms(); store r6 at r10-8 and
    // reload it (stack); return r6.
    let text = text(&[
        mov_imm(0, 7),
        exit(),
        lddw(1, 0x4_0000_0000)[0],
        lddw(1, 0x4_0000_0000)[1],
        ldxw(6, 1, 0),
        lddw(2, 0x3_0000_0000)[0],
        lddw(2, 0x3_0000_0000)[1],
        ldxw(3, 2, 0),
        add_reg(6, 3),
        call(0x20),
        stxdw(10, 6, -8),
        ldxdw(0, 10, -8),
        exit(),
    ]);
    let functions = [
        Function {
            name: b"other",
            pc: 0,
        },
        Function {
            name: b"main",
            pc: 2,
        },
    ];
    let spec = ImageSpec {
        name: b"layout",
        app_version: 1,
        flags: 0,
        stack_size: 64,
        text: &text,
        rodata: &1000u32.to_le_bytes(),
        data: &234u32.to_le_bytes(),
        bss_len: 4,
        functions: &functions,
        helpers: &[0x02, 0x20, 0x03],
        signature_len: 0,
    };
    let mut image = vec![0u8; spec.encoded_len().unwrap()];
    spec.encode(&mut image).unwrap();
    let id = fx.load_ok(0, &image);
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(u64_of(r), 1234);
}

/// An rBPF image (RIOT's format) returning 1234: no allow-list (any
/// helper), rodata and data reached through the LDDWR / LDDWD
/// pseudo-instructions, entry from the symbol table.
fn rbf_image() -> Vec<u8> {
    let pseudo = |op: u8, dst: u8, imm: i32| -> [I; 2] {
        [
            femto_vm::isa::Insn::new(op, dst, 0, 0, imm).encode(),
            femto_vm::isa::Insn::new(0, 0, 0, 0, 0).encode(),
        ]
    };
    let lddwr = pseudo(0xd8, 1, 8);
    let lddwd = pseudo(0xb8, 2, 0);
    let text = text(&[
        exit(),
        call(0x20),
        lddwr[0],
        lddwr[1],
        ldxw(0, 1, 0),
        lddwd[0],
        lddwd[1],
        ldxw(3, 2, 0),
        add_reg(0, 3),
        exit(),
    ]);
    // rodata: "main\0" padded to 8, then the word 1000.
    let mut rodata = b"main\0\0\0\0".to_vec();
    rodata.extend_from_slice(&1000u32.to_le_bytes());
    let data = 234u32.to_le_bytes();
    let mut image = Vec::new();
    for v in [
        0x7242_5046u32, // "rBPF"
        1,
        0,
        data.len() as u32,
        rodata.len() as u32,
        text.len() as u32,
        1,
    ] {
        image.extend_from_slice(&v.to_le_bytes());
    }
    image.extend_from_slice(&data);
    image.extend_from_slice(&rodata);
    image.extend_from_slice(&text);
    // Symbol: name at rodata offset 0, flags 0, location pc 1 (byte 8).
    for v in [0u16, 0, 8] {
        image.extend_from_slice(&v.to_le_bytes());
    }
    image
}

/// The layout recorded at load, for an rBPF image ([`rbf_image`]).
#[cfg(feature = "rbf")]
#[test]
fn run_uses_the_layout_recorded_at_load_rbf() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &rbf_image());
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(u64_of(r), 1234);
}

/// A kernel built without the `rbf` feature refuses an rBPF image with
/// `NOSUPPORT` (a load error of kind PARSE), uses no slot, and still loads
/// native images.
#[cfg(not(feature = "rbf"))]
#[test]
fn rbf_images_are_refused_without_the_rbf_feature() {
    let _g = lock();
    let fx = setup(1);
    assert_eq!(err_of(fx.load(0, &rbf_image())), ErrorCode::NOSUPPORT);
    assert_eq!(pair_of(fx.cmd(0, 11, 0, 0)).0, capsules_femto::abi::load_error::PARSE);
    let id = fx.load_ok(0, &ret42());
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(u64_of(r), 42);
}

/// Containers are pre-decoded at load (femto-vm's translation: stack
/// accesses through r10, fused `mov; add`, the zero-extension idiom, small
/// shifts); results, fault kinds and pcs, and fuel are those of the program
/// as written.
#[test]
fn translated_forms_behave_as_written() {
    let _g = lock();
    let fx = setup(1);
    let lsh = |dst: u8, imm: i32| femto_vm::isa::Insn::new(0x67, dst, 0, 0, imm).encode();
    let rsh = |dst: u8, imm: i32| femto_vm::isa::Insn::new(0x77, dst, 0, 0, imm).encode();
    let ok = Img::new(&[
        mov_imm(6, -1),   // r6 = 0xffff_ffff_ffff_ffff
        stxdw(10, 6, -8), // [r10 - 8] = r6      (stack store)
        mov_reg(1, 10),   // r1 = r10 - 8        (fused mov; add)
        add_imm(1, -8),
        ldxdw(2, 1, 0), // r2 = [r1]
        mov_reg(0, 2),  // r0 = r2 as u32      (mov; lsh 32; rsh 32)
        lsh(0, 32),
        rsh(0, 32),
        lsh(0, 4),       // r0 <<= 4            (small shift)
        ldxw(3, 10, -8), // r3 = [r10 - 8] as u32 (stack load)
        add_reg(0, 3),   // r0 = 0xf_ffff_fff0 + 0xffff_ffff
        exit(),
    ])
    .build();
    let id = fx.load_ok(0, &ok);
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(u64_of(r), 0xf_ffff_fff0 + 0xffff_ffff);
    // A stack load above the stack's top faults at its own pc.
    let bad = Img::new(&[mov_imm(0, 1), ja(0), ldxdw(0, 10, 8), exit()]).build();
    let id = fx.load_ok(0, &bad);
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(err_of(r), ErrorCode::FAIL);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 2)), (2, 2), "memory fault at pc 2");
    assert_eq!(pair_of(fx.cmd(0, 7, id, 4)), (1, 1), "fuel: one taken jump");
}
