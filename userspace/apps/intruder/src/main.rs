//! Test app for the QEMU end-to-end tests, run together with `owner`: while
//! the owner holds a container, tries container ids with every
//! per-container command — info, last result, run, run asynchronously,
//! attach, detach, unload — on ids 1..=0xFFF (where the driver's ids are
//! after fewer than 16 reloads of a slot, the owner's included), and the info
//! command on every other id up to 0xFFFF (a full sweep with all commands
//! takes too long for a quick test under QEMU). The driver
//! must answer INVAL to each (another app's container is indistinguishable
//! from none). Then it loads a container of its own and checks that the same
//! commands work on it, so the sweep is known to reach real ids, and raises
//! the flag the owner waits for (the `flag` container, global key-value store).
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
static FLAG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/flag.fc"
));

/// Ids tried with every command; the rest only with the info command.
const FULL_SWEEP: u32 = 0xFFF;

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
    for raw in 1..=FULL_SWEEP {
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
    let mut answered = 0u32;
    let mut tried = 0u32;
    for raw in FULL_SWEEP + 1..=0xFFFF {
        if let Some(id) = ContainerId::from_raw(raw) {
            answered += u32::from(Femto::state(id) != Err(ErrorCode::Invalid));
            tried += 1;
        }
    }
    let _ = writeln!(
        out,
        "intruder: {} more ids x info: {} answered other than INVAL",
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
    // Tell the owner (through the device-wide key-value store) that we are done.
    match Femto::load(FLAG) {
        Ok(flag) => {
            let mut context = [0u8; 16];
            context[0] = 1; // op 1: store
            context[8] = 1; // value 1
            let _ = Femto::run(flag, &mut context, 0);
            let _ = Femto::unload(flag);
        }
        Err(e) => {
            let _ = writeln!(out, "intruder: loading flag failed: {:?}", e);
        }
    }
    let _ = writeln!(out, "intruder: done");
}
