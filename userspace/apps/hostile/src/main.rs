//! Test app for the QEMU end-to-end tests: hostile containers. Each one must
//! fault — a store outside its memory, an endless loop, a call to a helper
//! that does not exist — synchronously, asynchronously and on a hook, while
//! the kernel and this app go on. At the end a well-behaved container still
//! loads and runs.
#![no_main]
#![no_std]

use core::cell::Cell;
use core::fmt::Write;
use libtock::console::Console;
use libtock::platform::{share, Syscalls};
use libtock::runtime::{set_main, stack_size, TockSyscalls};
use libtock_femto::{FaultListener, FaultReport, HookId, RunError, Source};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static HOSTILE: [(&str, &[u8]); 3] = [
    (
        "hostile_memory",
        femto_app::container_image!("hostile_memory"),
    ),
    ("hostile_loop", femto_app::container_image!("hostile_loop")),
    (
        "hostile_helper",
        femto_app::container_image!("hostile_helper"),
    ),
];
static INCREMENT: &[u8] = femto_app::container_image!("increment");

fn main() {
    let mut out = Console::writer();

    // 1. Synchronous runs: each returns its fault to the app.
    for (name, image) in HOSTILE.iter() {
        let Some(id) = femto_app::load(&mut out, "hostile", name, image) else {
            continue;
        };
        let mut context = [0u8; 8];
        match Femto::run(id, &mut context, 0) {
            Err(RunError::Fault(f)) => {
                let _ = writeln!(out, "hostile: {}: fault {:?} at pc {}", name, f.kind, f.pc);
            }
            other => {
                let _ = writeln!(out, "hostile: {}: expected a fault, got {:?}", name, other);
            }
        }
        let _ = Femto::unload(id);
    }

    // 2. Asynchronous run and hook runs: faults arrive by upcall.
    let last: Cell<Option<FaultReport>> = Cell::new(None);
    let faults = Cell::new(0u32);
    let listener = FaultListener(|f| {
        last.set(Some(f));
        faults.set(faults.get() + 1);
    });
    share::scope(|subscribe| {
        if Femto::register_fault_listener(&listener, subscribe).is_err() {
            let _ = writeln!(out, "hostile: subscribe failed");
            return;
        }
        if let Some(id) = femto_app::load(&mut out, "hostile", "hostile_memory", HOSTILE[0].1) {
            if Femto::run_async(id, 0).is_ok() {
                while faults.get() < 1 {
                    TockSyscalls::yield_wait();
                }
                if let Some(f) = last.get() {
                    let _ = writeln!(
                        out,
                        "hostile: async hostile_memory: fault {:?} at pc {} ({})",
                        f.fault.kind,
                        f.fault.pc,
                        if f.source == Source::Async {
                            "async"
                        } else {
                            "wrong source"
                        }
                    );
                }
            }
            let _ = Femto::unload(id);
        }
        if let Some(id) = femto_app::load(&mut out, "hostile", "hostile_loop", HOSTILE[1].1) {
            let before = faults.get();
            if Femto::attach(id, HookId::TIMER, 20).is_ok() {
                while faults.get() < before + 3 {
                    TockSyscalls::yield_wait();
                }
                let _ = Femto::detach(id, HookId::TIMER);
                if let Some(f) = last.get() {
                    let _ = writeln!(
                        out,
                        "hostile: hostile_loop on the timer hook: 3 faults, last {:?} ({})",
                        f.fault.kind,
                        if f.source == Source::Hook(HookId::TIMER) {
                            "hook 1"
                        } else {
                            "wrong source"
                        }
                    );
                }
            }
            while TockSyscalls::yield_no_wait() == libtock::platform::YieldNoWaitReturn::Upcall {}
            if let Ok(stats) = Femto::stats(id) {
                let _ = writeln!(
                    out,
                    "hostile: hostile_loop: {} runs, {} faults",
                    stats.runs, stats.faults
                );
            }
            let _ = Femto::unload(id);
        }
    });

    // 3. The kernel still works.
    if let Some(id) = femto_app::load(&mut out, "hostile", "increment", INCREMENT) {
        let mut context = 41u64.to_le_bytes();
        match Femto::run(id, &mut context, 0) {
            Ok(r0) => {
                let _ = writeln!(out, "hostile: still working: increment(41) = {}", r0);
            }
            Err(e) => {
                let _ = writeln!(out, "hostile: increment failed: {:?}", e);
            }
        }
        let _ = Femto::unload(id);
    }
    let _ = writeln!(out, "hostile: done");
}
