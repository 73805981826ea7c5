//! Test app for the QEMU end-to-end tests, run together with `intruder`:
//! loads a container, attaches it to nothing, waits until the intruder has
//! tried its container ids (the intruder raises a flag in the device-wide
//! key-value store through the `flag` container), then checks its container
//! is untouched: still loaded, never run by anyone else, attached to no hook,
//! and working.
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

static FLAG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/flag.fc"
));

/// How often the owner looks at the flag, and for how long at most.
const POLL_MS: u32 = 100;
const MAX_POLLS: u32 = 600;

/// Reads the intruder's flag (false: not raised yet).
fn flag_raised(flag: libtock_femto::ContainerId) -> bool {
    let mut context = [0u8; 16]; // op 0 (fetch), value
    match Femto::run(flag, &mut context, 0) {
        Ok(_) => context[8..].iter().any(|&b| b != 0),
        Err(_) => false,
    }
}

fn main() {
    let mut out = Console::writer();
    let id = match Femto::load(INCREMENT) {
        Ok(id) => id,
        Err(e) => {
            let _ = writeln!(out, "owner: loading failed: {:?}", e);
            return;
        }
    };
    let flag = match Femto::load(FLAG) {
        Ok(flag) => flag,
        Err(e) => {
            let _ = writeln!(out, "owner: loading flag failed: {:?}", e);
            return;
        }
    };
    let _ = writeln!(
        out,
        "owner: loaded a container, holding it until the intruder is done"
    );
    let mut polls = 0;
    while !flag_raised(flag) && polls < MAX_POLLS {
        let _ = Alarm::sleep_for(Milliseconds(POLL_MS));
        polls += 1;
    }
    if polls == MAX_POLLS {
        let _ = writeln!(out, "owner: gave up waiting for the intruder");
    } else {
        let _ = writeln!(out, "owner: the intruder is done");
    }
    let _ = Femto::unload(flag);

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
