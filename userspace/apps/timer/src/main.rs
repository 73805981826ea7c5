//! Test app for the QEMU end-to-end tests: a container on the timer hook.
//! Attaches `timer_count` (returns the attachment's run count) with a 50 ms
//! period, prints the first RESULTS results delivered by upcall (they must be
//! 0, 1, 2, ... from hook 1), detaches and checks no more arrive.
#![no_main]
#![no_std]

use core::cell::Cell;
use core::fmt::Write;
use libtock::alarm::{Alarm, Milliseconds};
use libtock::console::Console;
use libtock::platform::{share, Syscalls};
use libtock::runtime::{set_main, stack_size, TockSyscalls};
use libtock_femto::{HookId, ResultListener, RunResult, Source};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static TIMER_COUNT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/timer_count.fc"
));

const RESULTS: usize = 5;
const PERIOD_MS: u32 = 50;

fn main() {
    let mut out = Console::writer();
    let id = match Femto::load(TIMER_COUNT) {
        Ok(id) => id,
        Err(e) => {
            let _ = writeln!(out, "timer: loading failed: {:?}", e);
            return;
        }
    };
    let results: Cell<[Option<RunResult>; RESULTS]> = Cell::new([None; RESULTS]);
    let received = Cell::new(0usize);
    let listener = ResultListener(|r: RunResult| {
        let n = received.get();
        if n < RESULTS {
            let mut all = results.get();
            all[n] = Some(r);
            results.set(all);
        }
        received.set(n + 1);
    });
    share::scope(|subscribe| {
        if let Err(e) = Femto::register_result_listener(&listener, subscribe) {
            let _ = writeln!(out, "timer: subscribe failed: {:?}", e);
            return;
        }
        match Femto::attach(id, HookId::TIMER, PERIOD_MS) {
            Ok(()) => {
                let _ = writeln!(
                    out,
                    "timer: attached to the timer hook, period {} ms",
                    PERIOD_MS
                );
            }
            Err(e) => {
                let _ = writeln!(out, "timer: attach failed: {:?}", e);
                return;
            }
        }
        while received.get() < RESULTS {
            TockSyscalls::yield_wait();
        }
        let _ = Femto::detach(id, HookId::TIMER);
        for (i, r) in results.get().iter().flatten().enumerate() {
            let source = match r.source {
                Source::Hook(h) => h.0,
                Source::Async => 0,
            };
            let _ = writeln!(
                out,
                "timer: result {}: r0 = {} from hook {}",
                i, r.value, source
            );
        }
        // After detaching, no result may arrive any more. (First deliver the
        // upcalls queued before the detach.)
        while TockSyscalls::yield_no_wait() == libtock::platform::YieldNoWaitReturn::Upcall {}
        let before = received.get();
        let _ = Alarm::sleep_for(Milliseconds(4 * PERIOD_MS));
        let late = received.get() - before;
        let _ = writeln!(out, "timer: detached; results after detach: {}", late);
    });
    if let Ok(stats) = Femto::stats(id) {
        let _ = writeln!(
            out,
            "timer: container ran {} times, {} faults",
            stats.runs, stats.faults
        );
    }
    let _ = Femto::unload(id);
    let _ = writeln!(out, "timer: done");
}
