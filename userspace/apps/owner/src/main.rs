//! Test app for the QEMU end-to-end tests, run together with `intruder`:
//! loads a container, attaches it to nothing, waits while the intruder tries
//! every container id, then checks its container is untouched: still loaded,
//! never run by anyone else, attached to no hook, and working.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::alarm::{Alarm, Milliseconds};
use libtock::console::Console;
use libtock::runtime::{set_main, stack_size, TockSyscalls};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static INCREMENT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/increment.fc"
));

/// Long enough for the intruder's sweep over every id (it prints when done).
const HOLD_MS: u32 = 3000;

fn main() {
    let mut out = Console::writer();
    let id = match Femto::load(INCREMENT) {
        Ok(id) => id,
        Err(e) => {
            let _ = writeln!(out, "owner: loading failed: {:?}", e);
            return;
        }
    };
    let _ = writeln!(
        out,
        "owner: loaded a container, holding it for {} ms",
        HOLD_MS
    );
    let _ = Alarm::sleep_for(Milliseconds(HOLD_MS));

    let state = Femto::state(id);
    let stats = Femto::stats(id);
    match (state, stats) {
        (Ok(state), Ok(stats)) => {
            let _ = writeln!(
                out,
                "owner: container still loaded: {} runs, hooks {:#x}, pending {}",
                stats.runs, state.hooks, state.run_pending
            );
        }
        (state, stats) => {
            let _ = writeln!(out, "owner: container lost: {:?} {:?}", state, stats);
            return;
        }
    }
    let mut context = 41u64.to_le_bytes();
    match Femto::run(id, &mut context, 0) {
        Ok(r0) => {
            let _ = writeln!(out, "owner: increment(41) = {}", r0);
        }
        Err(e) => {
            let _ = writeln!(out, "owner: run failed: {:?}", e);
        }
    }
    let _ = Femto::unload(id);
    let _ = writeln!(out, "owner: done");
}
