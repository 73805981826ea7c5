//! Ownership and isolation between processes; process exit/restart frees
//! everything.
mod common;
mod harness;

use capsules_femto::hooks::{FemtoHooks, TIMER_ID};
use capsules_femto::HookOutcome;
use common::*;
use harness::{exit_restart, exit_terminate, lock};
use kernel::ErrorCode;

#[test]
fn another_process_cannot_touch_my_containers() {
    let _g = lock();
    let fx = setup(2);
    let id = fx.load_ok(0, &ret42());
    // Process 1 has no container: every command on process 0's id is INVAL.
    assert_eq!(err_of(fx.cmd(1, 3, id, 0)), ErrorCode::INVAL, "run");
    assert_eq!(err_of(fx.cmd(1, 4, id, 0)), ErrorCode::INVAL, "run async");
    assert_eq!(err_of(fx.cmd(1, 2, id, 0)), ErrorCode::INVAL, "unload");
    assert_eq!(
        err_of(fx.cmd(1, 5, id | (1 << 16), 10)),
        ErrorCode::INVAL,
        "attach"
    );
    assert_eq!(err_of(fx.cmd(1, 6, id, 1)), ErrorCode::INVAL, "detach");
    for field in 0..6 {
        assert_eq!(
            err_of(fx.cmd(1, 7, id, field)),
            ErrorCode::INVAL,
            "info {field}"
        );
    }
    // Even when process 1 has a container with the same id value.
    let other = fx.load_ok(1, &ctx_plus(1));
    assert_eq!(other, id, "ids are per process");
    let (r, _) = fx.run(1, other, &5u32.to_le_bytes(), 0);
    assert_eq!(u64_of(r), 6, "process 1 runs its own container");
    assert_eq!(
        u64_of(fx.run(0, id, &[], 0).0),
        42,
        "process 0 still runs its own"
    );
    assert!(is_ok(fx.cmd(1, 2, other, 0)));
    assert_eq!(
        u64_of(fx.run(0, id, &[], 0).0),
        42,
        "unloading 1's did not touch 0's"
    );
}

#[test]
fn process_kv_scope_is_per_process_and_global_is_shared() {
    let _g = lock();
    let fx = setup(2);
    // store(scope, key 9, value) then fetch(scope, key 9) into stack, return it.
    let prog = |scope: i32, value: i32| {
        Img::new(&[
            mov_imm(1, scope),
            mov_imm(2, 9),
            mov_imm(3, value),
            call(0x10),
            exit(),
        ])
        .helpers(&[0x10, 0x11])
        .build()
    };
    let fetch = |scope: i32| {
        Img::new(&[
            mov_imm(1, scope),
            mov_imm(2, 9),
            mov_reg(3, 10),
            add_imm(3, -8),
            call(0x11),
            jeq_imm(0, 0, 1),
            exit(),
            ldxdw(0, 10, -8),
            exit(),
        ])
        .helpers(&[0x10, 0x11])
        .build()
    };
    let s0 = fx.load_ok(0, &prog(1, 111));
    let f0 = fx.load_ok(0, &fetch(1));
    let f1 = fx.load_ok(1, &fetch(1));
    assert_eq!(u64_of(fx.run(0, s0, &[], 0).0), 0);
    assert_eq!(u64_of(fx.run(0, f0, &[], 0).0), 111, "same process sees it");
    assert_eq!(
        u64_of(fx.run(1, f1, &[], 0).0) as i64,
        -2,
        "other process does not"
    );
    // Global scope is shared.
    let g0 = fx.load_ok(0, &prog(2, 222));
    let g1 = fx.load_ok(1, &fetch(2));
    assert_eq!(u64_of(fx.run(0, g0, &[], 0).0), 0);
    assert_eq!(u64_of(fx.run(1, g1, &[], 0).0), 222);
    // Container scope is private to the container.
    let c0 = fx.load_ok(1, &prog(0, 333));
    assert_eq!(u64_of(fx.run(1, c0, &[], 0).0), 0);
    let c1 = fx.load_ok(1, &fetch(0));
    assert_eq!(u64_of(fx.run(1, c1, &[], 0).0) as i64, -2);
}

#[test]
fn process_exit_frees_its_containers_and_attachments() {
    let _g = lock();
    let fx = setup(2);
    fx.subscribe_all(1);
    let a = fx.load_ok(0, &ret42());
    let b = fx.load_ok(1, &ret42());
    assert!(is_ok(fx.cmd(0, 5, a | (ALL_RW_ID as usize) << 16, 0)));
    assert!(is_ok(fx.cmd(1, 5, b | (ALL_RW_ID as usize) << 16, 0)));
    assert!(is_ok(fx.cmd(0, 5, a | (TIMER_ID as usize) << 16, 5)));
    assert!(
        fx.w.procs[0].grant_bytes_used() >= N * SLOT + STACK,
        "containers are accounted to the process"
    );
    assert_eq!(pair_of(fx.cmd(1, 9, 4, 1)).1, 2);

    // Process 0 exits.
    let r = fx.w.syscalls(0, vec![exit_terminate(0)]);
    assert!(r.is_empty(), "exit returns nothing: {r:?}");
    assert!(!fx.w.procs[0].is_alive());
    assert_eq!(fx.w.procs[0].grant_bytes_used(), 0, "grant freed");

    // Its container no longer runs on hooks; process 1's still does.
    let mut ctx = [0u8; 8];
    let out = fx.femto.fire(ALL_RW_ID, &mut ctx);
    assert_eq!(
        out,
        HookOutcome {
            runs: 1,
            faults: 0,
            result: Some(42)
        }
    );
    assert_eq!(pair_of(fx.cmd(1, 9, 4, 1)).1, 1, "count repaired");
    // The dead process's timer attachment went with its grant: the alarm
    // fires and finds nothing to run.
    fx.w.advance_ms(20);
    let (runs, _) = pair_of(fx.cmd(1, 7, b, 3));
    assert_eq!(runs, 1, "only the hook run above");
}

#[test]
fn restart_gives_a_fresh_empty_state() {
    let _g = lock();
    let fx = setup(1);
    let a = fx.load_ok(0, &ret42());
    assert!(is_ok(fx.cmd(0, 5, a | (TIMER_ID as usize) << 16, 5)));
    let r = fx.w.syscalls(0, vec![exit_restart(0)]);
    assert!(r.is_empty());
    assert!(fx.w.procs[0].is_alive());
    // The restarted process has no containers; the old id is invalid.
    assert_eq!(err_of(fx.cmd(0, 3, a, 0)), ErrorCode::INVAL);
    assert_eq!(err_of(fx.cmd(0, 7, a, 0)), ErrorCode::INVAL);
    fx.subscribe_all(0);
    fx.w.advance_ms(20);
    assert_eq!(fx.upcalls(0), vec![], "the old timer attachment is gone");
    // It can load again, up to the full limit.
    for _ in 0..N {
        fx.load_ok(0, &ret42());
    }
}

#[test]
fn grant_allocation_failure_is_nomem_and_changes_nothing() {
    let _g = lock();
    let fx = setup(1);
    fx.w.procs[0].set_grant_limit(1024);
    assert_eq!(err_of(fx.cmd(0, 1, 0, 0)), ErrorCode::NOMEM);
    assert_eq!(err_of(fx.cmd(0, 11, 0, 0)), ErrorCode::NOMEM);
    assert_eq!(fx.w.procs[0].grant_bytes_used(), 0);
    fx.w.procs[0].set_grant_limit(usize::MAX);
    assert_eq!(u64_of(fx.run(0, fx.load_ok(0, &ret42()), &[], 0).0), 42);
}

#[test]
fn notify_reaches_only_the_owner() {
    let _g = lock();
    let fx = setup(2);
    fx.subscribe_all(0);
    fx.subscribe_all(1);
    let id = fx.load_ok(0, &notify(1234));
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0), 0);
    assert_eq!(fx.upcalls(0), vec![(1, (id, 1234, 0))]);
    assert_eq!(fx.upcalls(1), vec![]);
}

#[test]
fn notify_with_a_full_queue_returns_ebusy() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    // Ten notifications fill the queue; the eleventh returns -16.
    let mut insns = Vec::new();
    for _ in 0..11 {
        insns.extend([mov_imm(1, 1), call(0x40)]);
    }
    insns.push(exit());
    let id = fx.load_ok(0, &Img::new(&insns).helpers(&[0x40]).build());
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0) as i64, -16);
    assert_eq!(fx.upcalls(0).len(), harness::TASK_QUEUE_LEN);
}

#[test]
fn containers_of_one_process_do_not_see_each_others_stack() {
    let _g = lock();
    let fx = setup(1);
    // Writes a secret at r10-8 and returns it; the reader returns r10-8.
    let writer = fx.load_ok(
        0,
        &Img::new(&[
            mov_imm(1, 0x5ec7e7),
            stxdw(10, 1, -8),
            ldxdw(0, 10, -8),
            exit(),
        ])
        .build(),
    );
    let reader = fx.load_ok(0, &Img::new(&[ldxdw(0, 10, -8), exit()]).build());
    assert_eq!(u64_of(fx.run(0, writer, &[], 0).0), 0x5ec7e7);
    assert_eq!(
        u64_of(fx.run(0, reader, &[], 0).0),
        0,
        "stack zeroed for another container"
    );
    // The same container keeps running on its own leftovers (no cost).
    assert_eq!(u64_of(fx.run(0, writer, &[], 0).0), 0x5ec7e7);
}
