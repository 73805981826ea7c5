//! Every command with bad arguments, and invalid / hostile images: a specific
//! error, no state change, no panic.
mod common;
mod harness;

use common::*;
use harness::lock;
use kernel::syscall::SyscallReturn;
use kernel::ErrorCode;

/// Everything observable about container `id` of process `p`.
fn snapshot(fx: &Fx, p: usize, id: usize) -> Vec<String> {
    (0..7)
        .map(|f| format!("{:?}", fx.cmd(p, 7, id, f)))
        .collect()
}

#[test]
fn unknown_command_is_nosupport() {
    let _g = lock();
    let fx = setup(1);
    // 12 (install) exists but answers NOSUPPORT without an update policy.
    for n in [12, 13, 100, usize::MAX] {
        assert_eq!(err_of(fx.cmd(0, n, 0, 0)), ErrorCode::NOSUPPORT);
    }
}

#[test]
fn bad_ids_are_inval_for_every_command_and_change_nothing() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &ret42());
    assert!(is_ok(fx.cmd(0, 5, id | (3 << 16), 0)));
    let before = snapshot(&fx, 0, id);
    let stale_gen = id ^ 0x100;
    for bad in [
        0,
        0xFF00,
        stale_gen,
        id + 1,
        0x10000 | id,
        usize::MAX,
        0x1_0000_0000usize.wrapping_add(id),
    ] {
        assert_eq!(
            err_of(fx.cmd(0, 2, bad, 0)),
            ErrorCode::INVAL,
            "unload {bad:#x}"
        );
        assert_eq!(
            err_of(fx.cmd(0, 3, bad, 0)),
            ErrorCode::INVAL,
            "run {bad:#x}"
        );
        assert_eq!(
            err_of(fx.cmd(0, 4, bad, 0)),
            ErrorCode::INVAL,
            "async {bad:#x}"
        );
        assert_eq!(
            err_of(fx.cmd(0, 6, bad, 3)),
            ErrorCode::INVAL,
            "detach {bad:#x}"
        );
        assert_eq!(
            err_of(fx.cmd(0, 7, bad, 0)),
            ErrorCode::INVAL,
            "info {bad:#x}"
        );
        let packed = (bad & 0xFFFF) | (1 << 16);
        if packed & 0xFFFF != id {
            assert_eq!(
                err_of(fx.cmd(0, 5, packed, 5)),
                ErrorCode::INVAL,
                "attach {bad:#x}"
            );
        }
    }
    assert_eq!(snapshot(&fx, 0, id), before);
}

#[test]
fn bad_hook_and_field_arguments() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &ret42());
    let before = snapshot(&fx, 0, id);
    assert_eq!(
        err_of(fx.cmd(0, 5, id | (0x7777 << 16), 0)),
        ErrorCode::NOSUPPORT
    );
    assert_eq!(
        err_of(fx.cmd(0, 5, id | (0xFFFF_FFFF << 16), 0)),
        ErrorCode::NOSUPPORT
    );
    assert_eq!(err_of(fx.cmd(0, 6, id, 0x7777)), ErrorCode::NOSUPPORT);
    assert_eq!(err_of(fx.cmd(0, 6, id, usize::MAX)), ErrorCode::NOSUPPORT);
    assert_eq!(
        err_of(fx.cmd(0, 6, id, 3)),
        ErrorCode::ALREADY,
        "not attached"
    );
    assert_eq!(err_of(fx.cmd(0, 7, id, 7)), ErrorCode::NOSUPPORT);
    assert_eq!(err_of(fx.cmd(0, 7, id, usize::MAX)), ErrorCode::NOSUPPORT);
    assert_eq!(err_of(fx.cmd(0, 9, usize::MAX, 0)), ErrorCode::INVAL);
    assert_eq!(err_of(fx.cmd(0, 10, 3, 0)), ErrorCode::NOSUPPORT);
    assert_eq!(snapshot(&fx, 0, id), before);
    assert_eq!(pair_of(fx.cmd(0, 10, 1, 0)), (CONTEXT as u32, SLOT as u32));
    assert_eq!(pair_of(fx.cmd(0, 10, 2, 0)), (1000, 5000));
}

#[test]
fn load_without_image_is_reserve() {
    let _g = lock();
    let fx = setup(1);
    assert_eq!(err_of(fx.cmd(0, 1, 0, 0)), ErrorCode::RESERVE);
    assert_eq!(pair_of(fx.cmd(0, 11, 0, 0)), (1, 0));
    // Unallowing (length 0) is the same.
    let proc = fx.w.procs[0];
    let r = fx.w.syscalls(
        0,
        vec![
            harness::allow_ro(proc, capsules_femto::DRIVER_NUM, 0, 0, 0),
            harness::command(capsules_femto::DRIVER_NUM, 1, 0, 0),
        ],
    );
    assert!(
        matches!(r[1], SyscallReturn::Failure(ErrorCode::RESERVE)),
        "{r:?}"
    );
}

fn expect_load_error(fx: &Fx, image: &[u8], code: ErrorCode, kind: u32) {
    assert_eq!(
        err_of(fx.load(0, image)),
        code,
        "image of {} bytes",
        image.len()
    );
    assert_eq!(pair_of(fx.cmd(0, 11, 0, 0)).0, kind);
}

#[test]
fn invalid_images_get_specific_errors_and_use_no_slot() {
    let _g = lock();
    let fx = setup(1);
    let good = ret42();
    // Too large for a slot.
    expect_load_error(&fx, &vec![0u8; SLOT + 1], ErrorCode::SIZE, 2);
    // Bad magic.
    let mut bad = good.clone();
    bad[0] ^= 0xFF;
    expect_load_error(&fx, &bad, ErrorCode::INVAL, 3);
    // Truncated.
    expect_load_error(&fx, &good[..good.len() - 1], ErrorCode::INVAL, 3);
    expect_load_error(&fx, &good[..10], ErrorCode::INVAL, 3);
    // Verifier: write to r10.
    expect_load_error(
        &fx,
        &Img::new(&[mov_imm(10, 0), exit()]).build(),
        ErrorCode::INVAL,
        4,
    );
    let (_, pc) = pair_of(fx.cmd(0, 11, 0, 0));
    assert_eq!(pc, 0);
    // Verifier: falls off the end.
    expect_load_error(
        &fx,
        &Img::new(&[mov_imm(0, 0), mov_imm(0, 1)]).build(),
        ErrorCode::INVAL,
        4,
    );
    // Verifier: jump out of the program.
    expect_load_error(
        &fx,
        &Img::new(&[ja(5), exit()]).build(),
        ErrorCode::INVAL,
        4,
    );
    // Verifier: helper not in the allow-list.
    expect_load_error(
        &fx,
        &Img::new(&[call(0x40), exit()]).build(),
        ErrorCode::INVAL,
        4,
    );
    // Stack frame larger than the board's stack.
    expect_load_error(
        &fx,
        &Img::new(&[mov_imm(0, 0), exit()])
            .stack(STACK as u32 + 8)
            .build(),
        ErrorCode::SIZE,
        5,
    );
    // Data region larger than the slot.
    expect_load_error(
        &fx,
        &Img::new(&[mov_imm(0, 0), exit()])
            .data(&[], SLOT as u32)
            .build(),
        ErrorCode::SIZE,
        5,
    );
    // None of this used a slot: N good loads still succeed.
    for _ in 0..N {
        fx.load_ok(0, &good);
    }
    assert_eq!(pair_of(fx.cmd(0, 11, 0, 0)), (0, 0));
}

#[test]
fn hostile_random_images_never_panic_and_never_load_garbage() {
    let _g = lock();
    let fx = setup(1);
    let good = ret42();
    let mut seed = 0x1234_5678u32;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut loaded = 0;
    for round in 0..300 {
        let mut img = if round % 2 == 0 {
            // Mutate a valid image: flip a few bytes.
            let mut m = good.clone();
            for _ in 0..(1 + rnd() % 4) {
                let i = rnd() as usize % m.len();
                m[i] = rnd() as u8;
            }
            m
        } else {
            (0..(1 + rnd() as usize % 300))
                .map(|_| rnd() as u8)
                .collect()
        };
        if round % 7 == 0 {
            img.truncate(rnd() as usize % img.len().max(1) + 1);
        }
        match fx.load(0, &img) {
            SyscallReturn::SuccessU32(id) => {
                // A mutated image that still parses and verifies must run
                // safely: any result or fault is fine, a panic is not.
                loaded += 1;
                let _ = fx.run(0, id as usize, &[0u8; 8], 50);
                assert!(is_ok(fx.cmd(0, 2, id as usize, 0)));
            }
            SyscallReturn::Failure(e) => {
                assert!(matches!(e, ErrorCode::INVAL | ErrorCode::SIZE), "{e:?}");
                let (kind, _) = pair_of(fx.cmd(0, 11, 0, 0));
                assert!((2..=5).contains(&kind), "kind {kind}");
            }
            other => panic!("{other:?}"),
        }
    }
    // The capsule still works.
    let id = fx.load_ok(0, &good);
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0), 42);
    println!("{loaded} mutated images loaded and ran");
}

#[test]
fn hostile_containers_fault_without_harming_others() {
    let _g = lock();
    let fx = setup(2);
    let good = fx.load_ok(1, &data_counter());
    let hostile = [
        endless(),
        null_load(),
        unknown_helper(),
        // store beyond the stack
        Img::new(&[mov_imm(0, 0), stxdw(10, 0, 0), exit()]).build(),
        // store into rodata
        Img::new(&[
            lddw(1, femto_vm::vaddr(femto_vm::memory::REGION_RODATA, 0))[0],
            lddw(1, femto_vm::vaddr(femto_vm::memory::REGION_RODATA, 0))[1],
            mov_imm(0, 0),
            stxdw(1, 0, 0),
            exit(),
        ])
        .rodata(&[0; 8])
        .build(),
        // deep recursion: call self
        Img::new(&[
            { femto_vm::isa::Insn::new(0x85, 0, 1, 0, -1).encode() },
            exit(),
        ])
        .build(),
    ];
    for (i, img) in hostile.iter().enumerate() {
        let id = fx.load_ok(0, img);
        let (r, _) = fx.run(0, id, &[0u8; 4], 100);
        assert!(
            matches!(
                r,
                SyscallReturn::Failure(ErrorCode::FAIL | ErrorCode::CANCEL)
            ),
            "#{i}: {r:?}"
        );
        let (kind, _) = pair_of(fx.cmd(0, 7, id, 2));
        assert_ne!(kind, 0, "#{i} fault recorded");
        assert!(is_ok(fx.cmd(0, 2, id, 0)));
        assert_eq!(
            u64_of(fx.run(1, good, &[], 0).0),
            i as u64 + 1,
            "other app unaffected"
        );
    }
}

#[test]
fn bad_helper_pointers_return_efault_without_faulting() {
    let _g = lock();
    let fx = setup(1);
    // memcpy(dst=0x0, src=stack, 8) -> -14; memset(dst=stack-8, 0, 1000) -> -14;
    // kv_fetch into a bad pointer -> -14; print with a bad format -> -14.
    let cases: Vec<Vec<u8>> = vec![
        Img::new(&[
            mov_imm(1, 0),
            mov_reg(2, 10),
            add_imm(2, -8),
            mov_imm(3, 8),
            call(0x02),
            exit(),
        ])
        .helpers(&[0x02])
        .build(),
        Img::new(&[
            mov_reg(1, 10),
            add_imm(1, -8),
            mov_imm(2, 0),
            mov_imm(3, 1000),
            call(0x03),
            exit(),
        ])
        .helpers(&[0x03])
        .build(),
        Img::new(&[
            mov_imm(1, 2),
            mov_imm(2, 1),
            mov_imm(3, 5),
            call(0x10),
            mov_imm(1, 2),
            mov_imm(2, 1),
            mov_imm(3, 64),
            call(0x11),
            exit(),
        ])
        .helpers(&[0x10, 0x11])
        .build(),
        Img::new(&[mov_imm(1, 12345), call(0x01), exit()])
            .helpers(&[0x01])
            .build(),
    ];
    for (i, img) in cases.iter().enumerate() {
        let id = fx.load_ok(0, img);
        let (r, _) = fx.run(0, id, &[], 0);
        assert_eq!(u64_of(r) as i64, -14, "case {i}");
        assert!(is_ok(fx.cmd(0, 2, id, 0)));
    }
    // Bad kv scope is -22.
    let id = fx.load_ok(
        0,
        &Img::new(&[
            mov_imm(1, 3),
            mov_imm(2, 1),
            mov_imm(3, 1),
            call(0x10),
            exit(),
        ])
        .helpers(&[0x10])
        .build(),
    );
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0) as i64, -22);
}
