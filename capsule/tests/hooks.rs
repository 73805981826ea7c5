//! Hooks: timer hook, generic hooks with 0, 1 and several containers under
//! each policy, faults on hooks.
mod common;
mod harness;

use capsules_femto::hooks::{FemtoHooks, BUTTON_ID, TEMPERATURE_ID, TIMER_ID};
use capsules_femto::HookOutcome;
use common::*;
use harness::lock;
use kernel::ErrorCode;

fn attach(fx: &Fx, p: usize, id: usize, hook: u16, arg: usize) -> kernel::syscall::SyscallReturn {
    fx.cmd(p, 5, id | ((hook as usize) << 16), arg)
}

#[test]
fn hook_list_describes_the_board_hooks() {
    let _g = lock();
    let fx = setup(1);
    assert_eq!(u32_of(fx.cmd(0, 8, 0, 0)), 5);
    let (id, flags) = pair_of(fx.cmd(0, 9, 0, 0));
    assert_eq!(id, TIMER_ID as u32);
    assert_eq!(flags, 16, "16-byte read-only context, run all");
    let (id, flags) = pair_of(fx.cmd(0, 9, 1, 0));
    assert_eq!(id, TEMPERATURE_ID as u32);
    assert_eq!(flags, 16 | (2 << 16) | (1 << 24));
    let (id, flags) = pair_of(fx.cmd(0, 9, 3, 0));
    assert_eq!(id, FIRST_ID as u32);
    assert_eq!(flags, 8 | (1 << 16) | (1 << 24));
    assert_eq!(
        pair_of(fx.cmd(0, 9, 3, 1)),
        (100, 0),
        "fuel, nothing attached"
    );
    assert_eq!(err_of(fx.cmd(0, 9, 5, 0)), ErrorCode::INVAL);
    assert_eq!(err_of(fx.cmd(0, 9, 0, 2)), ErrorCode::NOSUPPORT);
}

#[test]
fn firing_with_nothing_attached_does_nothing() {
    let _g = lock();
    let fx = setup(2);
    // Containers loaded but not attached.
    fx.load_ok(0, &ret42());
    fx.load_ok(1, &ret42());
    assert!(!fx.femto.has_attached(BUTTON_ID));
    let mut ctx = [1u8; 16];
    let entries = fx.w.procs[0].grant_entries() + fx.w.procs[1].grant_entries();
    assert_eq!(fx.femto.fire(BUTTON_ID, &mut ctx), HookOutcome::default());
    let after = fx.w.procs[0].grant_entries() + fx.w.procs[1].grant_entries();
    assert_eq!(after, entries, "no process grant was even looked at");
    assert_eq!(
        fx.femto.fire(0x7777, &mut ctx),
        HookOutcome::default(),
        "unknown hook"
    );
    assert_eq!(ctx, [1u8; 16]);
}

#[test]
fn one_container_on_a_read_only_hook() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &ctx_plus(5));
    assert!(is_ok(attach(&fx, 0, id, BUTTON_ID, 0)));
    assert!(fx.femto.has_attached(BUTTON_ID));
    let mut ctx = capsules_femto::hooks::button_context(7, true, 0);
    let entries = fx.w.procs[0].grant_entries();
    let out = fx.femto.fire(BUTTON_ID, &mut ctx);
    assert!(fx.w.procs[0].grant_entries() > entries, "with an attachment the grant is visited");
    assert_eq!(
        out,
        HookOutcome {
            runs: 1,
            faults: 0,
            result: Some(12)
        }
    );
    fx.w.run();
    assert_eq!(
        fx.upcalls(0),
        vec![(0, (id | ((BUTTON_ID as usize) << 16), 12, 0))]
    );
    // A write to a read-only context faults and changes nothing.
    assert!(is_ok(fx.cmd(0, 6, id, BUTTON_ID as usize)));
    let w = fx.load_ok(0, &set_ctx_and_return(99, 0));
    assert!(is_ok(attach(&fx, 0, w, BUTTON_ID, 0)));
    let out = fx.femto.fire(BUTTON_ID, &mut ctx);
    assert_eq!(
        out,
        HookOutcome {
            runs: 1,
            faults: 1,
            result: None
        }
    );
    assert_eq!(ctx, capsules_femto::hooks::button_context(7, true, 0));
    fx.w.run();
    let up = fx.upcalls(0);
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].0, 2, "fault upcall");
    assert_eq!((up[0].1).1, 2, "memory fault");
}

#[test]
fn run_all_runs_every_container_in_order() {
    let _g = lock();
    let fx = setup(2);
    let a = fx.load_ok(0, &set_ctx_and_return(10, 1));
    let b = fx.load_ok(0, &ctx_plus(100)); // sees 10 -> returns 110
    let c = fx.load_ok(1, &ctx_plus(1000)); // sees 10 -> 1010
    for (p, id) in [(0, a), (0, b), (1, c)] {
        assert!(is_ok(attach(&fx, p, id, ALL_RW_ID, 0)));
    }
    let mut ctx = [0u8; 8];
    let out = fx.femto.fire(ALL_RW_ID, &mut ctx);
    assert_eq!(
        out,
        HookOutcome {
            runs: 3,
            faults: 0,
            result: Some(1010)
        }
    );
    assert_eq!(&ctx[..4], &10u32.to_le_bytes());
    assert_eq!(pair_of(fx.cmd(0, 9, 4, 1)), (100, 3), "three attached");
}

#[test]
fn first_runs_only_the_first_container() {
    let _g = lock();
    let fx = setup(1);
    let a = fx.load_ok(0, &set_ctx_and_return(5, 7));
    let b = fx.load_ok(0, &set_ctx_and_return(6, 8));
    assert!(is_ok(attach(&fx, 0, a, FIRST_ID, 0)));
    assert!(is_ok(attach(&fx, 0, b, FIRST_ID, 0)));
    let mut ctx = [0u8; 8];
    let out = fx.femto.fire(FIRST_ID, &mut ctx);
    assert_eq!(
        out,
        HookOutcome {
            runs: 1,
            faults: 0,
            result: Some(7)
        }
    );
    assert_eq!(&ctx[..4], &5u32.to_le_bytes());
    assert_eq!(pair_of(fx.cmd(0, 7, b, 3)), (0, 0), "second never ran");
    // Detach the first: now the second is first.
    assert!(is_ok(fx.cmd(0, 6, a, FIRST_ID as usize)));
    let out = fx.femto.fire(FIRST_ID, &mut ctx);
    assert_eq!(out.result, Some(8));
}

#[test]
fn stop_on_negative_stops_at_the_first_negative_result() {
    let _g = lock();
    let fx = setup(1);
    let a = fx.load_ok(0, &set_ctx_and_return(1, 0));
    let b = fx.load_ok(0, &set_ctx_and_return(2, -5));
    let c = fx.load_ok(0, &set_ctx_and_return(3, 0));
    for id in [a, b, c] {
        assert!(is_ok(attach(&fx, 0, id, TEMPERATURE_ID, 0)));
    }
    let mut ctx = [0u8; 16];
    let out = fx.femto.fire(TEMPERATURE_ID, &mut ctx);
    assert_eq!(out.runs, 2);
    assert_eq!(out.result, Some((-5i64) as u64));
    assert!(out.rejected());
    assert_eq!(&ctx[..4], &2u32.to_le_bytes());
    assert_eq!(pair_of(fx.cmd(0, 7, c, 3)), (0, 0));
    // Without the negative one, all run.
    assert!(is_ok(fx.cmd(0, 6, b, TEMPERATURE_ID as usize)));
    let out = fx.femto.fire(TEMPERATURE_ID, &mut ctx);
    assert_eq!((out.runs, out.result), (2, Some(0)));
    assert_eq!(&ctx[..4], &3u32.to_le_bytes());
}

#[test]
fn faulting_container_on_writable_hook_is_skipped_and_owner_told() {
    let _g = lock();
    let fx = setup(2);
    fx.subscribe_all(1);
    let a = fx.load_ok(0, &set_ctx_and_return(11, 0));
    let bad = fx.load_ok(1, &set_ctx_then_fault(66));
    for (p, id) in [(0, a), (1, bad)] {
        assert!(is_ok(attach(&fx, p, id, ALL_RW_ID, 0)));
    }
    let mut ctx = [0u8; 8];
    let out = fx.femto.fire(ALL_RW_ID, &mut ctx);
    assert_eq!(
        out,
        HookOutcome {
            runs: 2,
            faults: 1,
            result: Some(0)
        }
    );
    assert_eq!(
        &ctx[..4],
        &11u32.to_le_bytes(),
        "the faulting container's write is discarded"
    );
    fx.w.run();
    let up = fx.upcalls(1);
    assert_eq!(up, vec![(2, (bad | ((ALL_RW_ID as usize) << 16), 2, 3))]);
    assert_eq!(fx.upcalls(0), vec![], "process 0 did not subscribe");
}

#[test]
fn fuel_exhaustion_on_a_hook_is_bounded_by_the_hook_fuel() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &endless());
    assert!(is_ok(attach(&fx, 0, id, ALL_RW_ID, 0)));
    let mut ctx = [0u8; 8];
    let out = fx.femto.fire(ALL_RW_ID, &mut ctx);
    assert_eq!(
        out,
        HookOutcome {
            runs: 1,
            faults: 1,
            result: None
        }
    );
    let (last, _) = pair_of(fx.cmd(0, 7, id, 4));
    assert_eq!(last, 100, "the hook's fuel (100) bounds the run");
    fx.w.run();
    assert_eq!(
        fx.upcalls(0),
        vec![(2, (id | ((ALL_RW_ID as usize) << 16), 1, 1))]
    );
}

#[test]
fn timer_hook_runs_periodically_until_detached() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    // Returns the `count` field of the timer context (offset 12).
    let id = fx.load_ok(0, &Img::new(&[ldxw(0, 1, 12), exit()]).build());
    assert!(is_ok(attach(&fx, 0, id, TIMER_ID, 10)));
    fx.w.advance_ms(35);
    let up = fx.upcalls(0);
    let tag = id | ((TIMER_ID as usize) << 16);
    assert_eq!(
        up,
        vec![(0, (tag, 0, 0)), (0, (tag, 1, 0)), (0, (tag, 2, 0))]
    );
    assert!(is_ok(fx.cmd(0, 6, id, TIMER_ID as usize)));
    fx.w.advance_ms(30);
    assert_eq!(fx.upcalls(0), vec![]);
}

#[test]
fn timer_context_has_time_and_period() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    // r0 = now_ms * 1000 + period
    let id = fx.load_ok(
        0,
        &Img::new(&[
            ldxdw(0, 1, 0),
            mul_imm(0, 1000),
            ldxw(2, 1, 8),
            add_reg(0, 2),
            exit(),
        ])
        .build(),
    );
    assert!(is_ok(attach(&fx, 0, id, TIMER_ID, 7)));
    fx.w.advance_ms(7);
    let up = fx.upcalls(0);
    assert_eq!(up.len(), 1);
    assert_eq!((up[0].1).1, 7 * 1000 + 7);
}

#[test]
fn two_timers_with_different_periods() {
    let _g = lock();
    let fx = setup(2);
    fx.subscribe_all(0);
    fx.subscribe_all(1);
    let a = fx.load_ok(0, &ret42());
    let b = fx.load_ok(1, &ret42());
    assert!(is_ok(attach(&fx, 0, a, TIMER_ID, 5)));
    assert!(is_ok(attach(&fx, 1, b, TIMER_ID, 20)));
    fx.w.advance_ms(40);
    assert_eq!(fx.upcalls(0).len(), 8);
    assert_eq!(fx.upcalls(1).len(), 2);
}

#[test]
fn timer_attachment_arguments() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &ret42());
    assert_eq!(
        err_of(attach(&fx, 0, id, TIMER_ID, 0)),
        ErrorCode::SIZE,
        "period 0"
    );
    assert_eq!(
        err_of(attach(&fx, 0, id, TIMER_ID, 1 << 40)),
        ErrorCode::SIZE,
        "period too big"
    );
    assert_eq!(
        err_of(attach(&fx, 0, id, BUTTON_ID, 3)),
        ErrorCode::SIZE,
        "button takes no argument"
    );
    assert_eq!(
        pair_of(fx.cmd(0, 7, id, 0)),
        (0, 0),
        "not attached to anything"
    );
    assert!(is_ok(attach(&fx, 0, id, TIMER_ID, 1)));
    assert_eq!(err_of(attach(&fx, 0, id, TIMER_ID, 5)), ErrorCode::ALREADY);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 0)), (0, 1), "hook index 0 bit");
}

#[test]
fn unload_detaches_from_every_hook() {
    let _g = lock();
    let fx = setup(1);
    fx.subscribe_all(0);
    let id = fx.load_ok(0, &ret42());
    assert!(is_ok(attach(&fx, 0, id, BUTTON_ID, 0)));
    assert!(is_ok(attach(&fx, 0, id, TIMER_ID, 5)));
    assert!(is_ok(fx.cmd(0, 2, id, 0)));
    assert!(!fx.femto.has_attached(BUTTON_ID));
    let mut ctx = [0u8; 16];
    assert_eq!(fx.femto.fire(BUTTON_ID, &mut ctx), HookOutcome::default());
    fx.w.advance_ms(20);
    assert_eq!(fx.upcalls(0), vec![]);
    assert_eq!(pair_of(fx.cmd(0, 9, 0, 1)).1, 0, "timer has no attachment");
}
