//! Random system-call storms: long seeded sequences of loads (good, hostile
//! and mutated images), every command with ids and arguments both valid and
//! not, allows of every buffer number with random ranges, subscribes, hook
//! fires with random contexts, and time passing, from two processes at once.
//!
//! What must hold throughout: the kernel never panics (the test would abort),
//! every container a process loaded and did not unload is still there (its
//! information answers), an unloaded one is gone, and afterwards every
//! process can still load and run a container normally.
mod common;
mod harness;

use std::collections::BTreeSet;

use capsules_femto::hooks::{FemtoHooks, BUTTON_ID, TEMPERATURE_ID, TIMER_ID};
use common::*;
use harness::{allow_ro, allow_rw, lock, subscribe, PROCESS_RAM};
use kernel::syscall::SyscallReturn;
use kernel::ErrorCode;

/// The images a storm loads: well-formed ones of every behaviour (return,
/// write the context, loop forever, fault, call an unknown helper, notify,
/// keep data), which the storm also corrupts at random.
fn image_pool() -> Vec<Vec<u8>> {
    vec![
        ret42(),
        ctx_increment(),
        ctx_plus(-5),
        endless(),
        null_load(),
        unknown_helper(),
        notify(7),
        data_counter(),
        set_ctx_and_return(9, -1),
        set_ctx_then_fault(3),
    ]
}

/// An image: one of the pool as is, or corrupted (bytes flipped, cut short
/// or extended).
fn some_image(rng: &mut Rng, pool: &[Vec<u8>]) -> Vec<u8> {
    let mut image = rng.pick(pool).clone();
    match rng.below(4) {
        0 | 1 => {}
        2 => {
            for _ in 0..1 + rng.below(6) {
                let i = rng.below(image.len() as u64) as usize;
                image[i] ^= 1 << rng.below(8);
            }
        }
        _ => {
            let len = rng.below(image.len() as u64 + 64) as usize;
            image.resize(len, rng.next() as u8);
        }
    }
    image
}

/// A container-id argument: a live id of the process, one that was live
/// once, a live id with stray high bits, or an arbitrary number.
fn some_id(rng: &mut Rng, live: &BTreeSet<usize>, dead: &BTreeSet<usize>) -> usize {
    let live: Vec<usize> = live.iter().copied().collect();
    let dead: Vec<usize> = dead.iter().copied().collect();
    match rng.below(6) {
        0 | 1 if !live.is_empty() => *rng.pick(&live),
        2 if !dead.is_empty() => *rng.pick(&dead),
        3 if !live.is_empty() => *rng.pick(&live) | (1 + rng.below(0xffff) as usize) << 16,
        4 => usize::MAX - rng.below(4) as usize,
        _ => rng.below(0x1_0000) as usize,
    }
}

/// A second argument: small numbers (fields, hook ids, fuel), hook ids with
/// an argument in the high half, or an arbitrary word.
fn some_arg(rng: &mut Rng) -> usize {
    match rng.below(4) {
        0 => rng.below(16) as usize,
        1 => *rng.pick(&[TIMER_ID, TEMPERATURE_ID, BUTTON_ID, FIRST_ID, ALL_RW_ID, 0x7777]) as usize
            | (rng.below(3) as usize) << 16,
        2 => rng.below(20_000) as usize,
        _ => rng.next() as usize,
    }
}

fn is_success(r: &SyscallReturn) -> bool {
    !matches!(r, SyscallReturn::Failure(_) | SyscallReturn::FailureU32(..) | SyscallReturn::FailureU32U32(..) | SyscallReturn::FailureU64(..))
}

/// Container `id` of process `p` answers command 7 (information).
fn exists(fx: &Fx, p: usize, id: usize) -> bool {
    match fx.cmd(p, 7, id, 0) {
        SyscallReturn::Failure(ErrorCode::INVAL) => false,
        r if is_success(&r) => true,
        other => panic!("command 7 on container {id:#x} answered {other:?}"),
    }
}

fn storm(seed: u64, steps: usize) {
    let _g = lock();
    let fx = setup(2);
    let mut rng = Rng(seed);
    let pool = image_pool();
    let mut live = [BTreeSet::new(), BTreeSet::new()];
    let mut dead = [BTreeSet::new(), BTreeSet::new()];
    for step in 0..steps {
        let p = rng.below(2) as usize;
        match rng.below(12) {
            // Load an image (possibly corrupted).
            0..=2 => {
                let image = some_image(&mut rng, &pool);
                if let SyscallReturn::SuccessU32(id) = fx.load(p, &image) {
                    assert!(live[p].insert(id as usize), "seed {seed} step {step}: id {id:#x} given twice");
                    dead[p].remove(&(id as usize));
                }
            }
            // Any command, with ids and arguments valid or not.
            3..=6 => {
                // Unload (2) often enough that slots free up again.
                let n = if rng.below(4) == 0 { 2 } else { rng.below(14) as usize };
                let a = some_id(&mut rng, &live[p], &dead[p]);
                let b = some_arg(&mut rng);
                let r = fx.cmd(p, n, a, b);
                match (n, &r) {
                    // A load from whatever read-only allow 0 holds now.
                    (1, SyscallReturn::SuccessU32(id)) => {
                        assert!(live[p].insert(*id as usize), "seed {seed} step {step}: id reused");
                        dead[p].remove(&(*id as usize));
                    }
                    (2, r) if is_success(r) => {
                        assert!(live[p].remove(&a), "seed {seed} step {step}: unloaded {a:#x}, never loaded");
                        dead[p].insert(a);
                    }
                    _ => {}
                }
            }
            // Allow a random range of the process's RAM (or unallow).
            7 => {
                let proc = fx.w.procs[p];
                let num = rng.below(4) as usize;
                let offset = rng.below(PROCESS_RAM as u64) as usize;
                let len = match rng.below(3) {
                    0 => 0,
                    1 => rng.below(64) as usize,
                    _ => rng.below((PROCESS_RAM - offset) as u64 + 1) as usize,
                }
                .min(PROCESS_RAM - offset);
                let sys = if rng.below(2) == 0 {
                    allow_ro(proc, capsules_femto::DRIVER_NUM, num, offset, len)
                } else {
                    allow_rw(proc, capsules_femto::DRIVER_NUM, num, offset, len)
                };
                fx.w.syscall(p, sys);
            }
            8 => {
                fx.w.syscall(p, subscribe(capsules_femto::DRIVER_NUM, rng.below(5) as usize));
            }
            // A driver fires a hook with a random context.
            9 => {
                let id = *rng.pick(&[TIMER_ID, TEMPERATURE_ID, BUTTON_ID, FIRST_ID, ALL_RW_ID, 0x7777]);
                let mut ctx: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
                fx.femto.fire(id, &mut ctx);
            }
            // Run now with a random context and fuel.
            10 => {
                let id = some_id(&mut rng, &live[p], &dead[p]);
                let ctx: Vec<u8> = (0..rng.below(CONTEXT as u64 + 8)).map(|_| rng.next() as u8).collect();
                let fuel = rng.below(6000) as usize;
                let (r, _) = fx.run(p, id, &ctx, fuel);
                if live[p].contains(&id) && ctx.len() <= CONTEXT && (1..=limits().max_fuel as usize).contains(&fuel) {
                    assert!(
                        !matches!(r, SyscallReturn::Failure(ErrorCode::INVAL)),
                        "seed {seed} step {step}: valid run refused: {r:?}"
                    );
                }
            }
            // Time passes (timer hooks run, asynchronous runs complete).
            _ => fx.w.advance_ms(rng.below(30)),
        }
        for q in 0..2 {
            fx.upcalls(q);
        }
        if step % 16 == 0 {
            for q in 0..2 {
                for &id in &live[q] {
                    assert!(exists(&fx, q, id), "seed {seed} step {step}: container {id:#x} of process {q} lost");
                }
                for &id in &dead[q] {
                    assert!(!exists(&fx, q, id), "seed {seed} step {step}: unloaded container {id:#x} still answers");
                }
            }
        }
    }

    // Afterwards: everything still loaded is there; unloading it all frees
    // the slots, and a fresh container loads and runs normally.
    fx.w.advance_ms(50);
    for q in 0..2 {
        for &id in &live[q] {
            assert!(exists(&fx, q, id), "seed {seed}: container {id:#x} of process {q} lost");
            let r = fx.cmd(q, 2, id, 0);
            assert!(is_success(&r), "seed {seed}: unloading {id:#x}: {r:?}");
        }
        let id = fx.load_ok(q, &ret42());
        let (r, _) = fx.run(q, id, &[], 100);
        assert_eq!(u64_of(r), 42, "seed {seed}: process {q} after the storm");
    }
}

#[test]
fn storms_never_panic_and_lose_nothing() {
    for seed in [1, 2, 3, 0x5eed, 0xdead_beef, 0x0123_4567_89ab_cdef] {
        storm(seed, 600);
    }
}
