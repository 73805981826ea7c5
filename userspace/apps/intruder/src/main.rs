//! Test app for the QEMU end-to-end tests, run together with `owner`: while
//! the owner holds a container, tries every possible container id
//! (1..=0xFFFF) with every per-container command — info, run, run
//! asynchronously, attach, detach, unload. The driver must answer INVAL to
//! each (another app's container is indistinguishable from none). Then it
//! loads a container of its own and checks that the same commands work on
//! it, so the sweep is known to reach real ids.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::alarm::{Alarm, Milliseconds};
use libtock::console::Console;
use libtock::platform::ErrorCode;
use libtock::runtime::{set_main, stack_size, TockSyscalls};
use libtock_femto::{ContainerId, HookId, RunError};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static INCREMENT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/increment.fc"
));

/// Lets the owner load its container first.
const START_DELAY_MS: u32 = 200;

/// Tries every per-container command on `id`; returns how many did not
/// answer `Invalid`.
fn probe(id: ContainerId) -> u32 {
    let invalid = |r: Result<(), ErrorCode>| u32::from(r != Err(ErrorCode::Invalid));
    let mut answered = 0;
    answered += invalid(Femto::state(id).map(|_| ()));
    answered += invalid(Femto::last_result(id).map(|_| ()));
    answered +=
        u32::from(Femto::run_no_context(id, 1) != Err(RunError::Refused(ErrorCode::Invalid)));
    answered += invalid(Femto::run_async(id, 1));
    answered += invalid(Femto::attach(id, HookId::TIMER, 1000));
    answered += invalid(Femto::detach(id, HookId::TIMER));
    answered += invalid(Femto::unload(id));
    answered
}

fn main() {
    let mut out = Console::writer();
    let _ = Alarm::sleep_for(Milliseconds(START_DELAY_MS));
    let _ = writeln!(out, "intruder: trying every container id");
    let mut answered = 0u32;
    let mut tried = 0u32;
    for raw in 1..=0xFFFFu32 {
        if let Some(id) = ContainerId::from_raw(raw) {
            answered += probe(id);
            tried += 1;
        }
    }
    let _ = writeln!(
        out,
        "intruder: {} ids x 7 commands: {} answered other than INVAL",
        tried, answered
    );

    // Control: the same commands do reach a container of our own.
    match Femto::load(INCREMENT) {
        Ok(id) => {
            let state_ok = Femto::state(id).is_ok();
            let mut context = 1u64.to_le_bytes();
            let run = Femto::run(id, &mut context, 0);
            let unload = Femto::unload(id);
            let _ = writeln!(
                out,
                "intruder: own container: state {}, run {:?}, unload {:?}",
                if state_ok { "ok" } else { "failed" },
                run,
                unload
            );
        }
        Err(e) => {
            let _ = writeln!(out, "intruder: loading own container failed: {:?}", e);
        }
    }
    let _ = writeln!(out, "intruder: done");
}
