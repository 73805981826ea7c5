//! Tutorial 4 (secure update): the updater app.
//!
//! 1. Installs `v1.signed` (container "blinky", returns 1, sequence 1, signed
//!    with the project's demo key for qemu_rv32_virt) with command 12 and
//!    attaches it to the timer hook (every 100 ms); the results arrive by
//!    upcall and the app keeps the last one.
//! 2. Loops: prints `updater: ready`, reads one serial frame from the console
//!    (`"FCUP"`, u32 LE length, the envelope — what `femto deploy --serial`
//!    sends; a frame of length 0 ends the loop), asks the kernel to install
//!    it in place of the running container, and prints the outcome as the
//!    first line after the frame (what `femto deploy` shows as the answer):
//!    `updater: installed seq=<n> (<len> bytes)` or
//!    `updater: refused <ErrorCode> kind=<k> loc=<l> (<len> bytes)`
//!    (kind and location from command 11).
//!    Then it runs the container once (`updater: container returns <v>`)
//!    and, after a few timer periods, prints the last result of the hook
//!    (`updater: timer hook returns <v>`): the attachment survives an update,
//!    and a refused update leaves the old version running.
//! 3. Detaches, unloads, prints `updater: done` and exits.
//!
//! On a board with Tock's UDP driver (0x30002, the nRF52840-DK kernel of
//! this project) step 2 listens on UDP port 4242 instead, for `femto deploy
//! --udp`, and never ends ([`udp`]; only build-checked, no hardware here).
//!
//! The kernel does every check (signature, target, sequence, length,
//! digest); this app only moves bytes.
#![no_main]
#![no_std]

use core::cell::Cell;
use core::fmt::Write;
use femto_update::transfer::{Progress, SerialReceiver, SERIAL_HEADER_LEN};
use libtock::alarm::{Alarm, Milliseconds};
use libtock::console::Console;
use libtock::platform::{share, ErrorCode};
use libtock::runtime::{set_main, stack_size, TockSyscalls};
use libtock_femto::{ContainerId, HookId, ResultListener, RunResult, Source};

mod udp;

set_main! {main}
stack_size! {0x1800}

type Femto = libtock_femto::Femto<TockSyscalls>;

/// The first version, built into the app (userspace/tools/make-updates.sh).
static V1: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/updates/v1.signed"
));

/// Largest envelope accepted over the console.
const MAX_ENVELOPE: usize = 2048;
/// The console driver reads at most this many bytes per read.
const CHUNK: usize = 64;
const PERIOD_MS: u32 = 100;
/// How long to let the timer hook run after each attempt.
const SETTLE_MS: u32 = 350;

fn main() {
    let mut out = Console::writer();
    let id = match Femto::install(V1, None) {
        Ok(id) => id,
        Err(e) => {
            let _ = writeln!(
                out,
                "updater: installing v1 failed: {:?} {:?}",
                e,
                Femto::last_load_error()
            );
            return;
        }
    };
    let _ = writeln!(
        out,
        "updater: installed seq={} (built in)",
        Femto::sequence(id).unwrap_or(0)
    );
    let last_hook: Cell<Option<u64>> = Cell::new(None);
    let listener = ResultListener(|r: RunResult| {
        if r.id == id && r.source == Source::Hook(HookId::TIMER) {
            last_hook.set(Some(r.value));
        }
    });
    share::scope(|subscribe| {
        if let Err(e) = Femto::register_result_listener(&listener, subscribe) {
            let _ = writeln!(out, "updater: subscribe failed: {:?}", e);
            return;
        }
        if let Err(e) = Femto::attach(id, HookId::TIMER, PERIOD_MS) {
            let _ = writeln!(out, "updater: attach failed: {:?}", e);
            return;
        }
        report(&mut out, id, &last_hook);
        let mut buf = [0u8; MAX_ENVELOPE];
        if udp::exists() {
            let _ = writeln!(out, "updater: listening on UDP port {}", udp::PORT);
            let mut out2 = Console::writer();
            let result = udp::serve(&mut buf, |envelope| {
                attempt(&mut out2, id, &last_hook, envelope);
            });
            let _ = writeln!(out, "updater: UDP failed: {:?}", result);
            return;
        }
        loop {
            let _ = writeln!(out, "updater: ready");
            let len = match receive(&mut buf) {
                Ok(Some(len)) => len,
                Ok(None) => break,
                Err(e) => {
                    let _ = writeln!(out, "updater: console read failed: {:?}", e);
                    break;
                }
            };
            attempt(&mut out, id, &last_hook, buf.get(..len).unwrap_or(&[]));
        }
        let _ = Femto::detach(id, HookId::TIMER);
    });
    let _ = Femto::unload(id);
    let _ = writeln!(out, "updater: done");
}

/// Installs `envelope` in place of container `id`, prints the outcome, then
/// [`report`]s.
fn attempt(out: &mut impl Write, id: ContainerId, last_hook: &Cell<Option<u64>>, envelope: &[u8]) {
    let len = envelope.len();
    match Femto::install(envelope, Some(id)) {
        Ok(_) => {
            let _ = writeln!(
                out,
                "updater: installed seq={} ({} bytes)",
                Femto::sequence(id).unwrap_or(0),
                len
            );
        }
        Err(e) => {
            let (kind, loc) = Femto::last_load_error()
                .map(|l| (l.kind.raw(), l.location))
                .unwrap_or((u32::MAX, 0));
            let _ = writeln!(
                out,
                "updater: refused {:?} kind={} loc={} ({} bytes)",
                e, kind, loc, len
            );
        }
    }
    report(out, id, last_hook);
}

/// Runs the container once, lets the timer hook run a few periods, and
/// prints both results.
fn report(out: &mut impl Write, id: ContainerId, last_hook: &Cell<Option<u64>>) {
    match Femto::run_no_context(id, 0) {
        Ok(v) => {
            let _ = writeln!(out, "updater: container returns {}", v);
        }
        Err(e) => {
            let _ = writeln!(out, "updater: container run failed: {:?}", e);
        }
    }
    last_hook.set(None);
    Alarm::sleep_for(Milliseconds(SETTLE_MS)).ok();
    match last_hook.get() {
        Some(v) => {
            let _ = writeln!(out, "updater: timer hook returns {}", v);
        }
        None => {
            let _ = writeln!(out, "updater: no timer hook result");
        }
    }
}

/// Reads one serial frame into `buf`. `Ok(Some(len))`: an envelope of
/// `len` bytes; `Ok(None)`: the end-of-session frame. Bytes before the
/// magic are skipped; a frame larger than `buf` is skipped too.
fn receive(buf: &mut [u8]) -> Result<Option<usize>, ErrorCode> {
    let mut receiver = SerialReceiver::new(buf);
    // The header byte by byte (the receiver resynchronises on the magic),
    // remembering its last bytes to know the body's length; then the body
    // in console-sized chunks.
    let mut recent = [0u8; SERIAL_HEADER_LEN];
    let mut left: usize = 0;
    loop {
        let mut chunk = [0u8; CHUNK];
        let want = left.clamp(1, CHUNK);
        let part = chunk.get_mut(..want).ok_or(ErrorCode::Size)?;
        let (n, result) = Console::read(part);
        result?;
        let bytes = part.get(..n).unwrap_or(&[]);
        let mut rest = bytes;
        while !rest.is_empty() {
            let (used, progress) = receiver.push(rest);
            if left == 0 {
                for &b in rest.get(..used).unwrap_or(&[]) {
                    recent.rotate_left(1);
                    recent[SERIAL_HEADER_LEN - 1] = b;
                }
            } else {
                left = left.saturating_sub(used);
            }
            rest = rest.get(used..).unwrap_or(&[]);
            match progress {
                Progress::Complete(len) => return Ok(Some(len)),
                Progress::End => return Ok(None),
                Progress::TooLarge(_) | Progress::NeedMore => {}
            }
            // Just read a whole header: the body follows.
            if left == 0 && recent.starts_with(b"FCUP") && used > 0 {
                let len = u32::from_le_bytes([recent[4], recent[5], recent[6], recent[7]]);
                left = usize::try_from(len).unwrap_or(usize::MAX);
                recent = [0; SERIAL_HEADER_LEN];
            }
        }
    }
}
