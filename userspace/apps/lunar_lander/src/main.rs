//! Tutorial 4 (doc/tutorials/5-lunar-lander.md): two containers that only
//! talk through the kernel's key-value store. Every tick the app runs the
//! autopilot container (reads altitude and velocity from the store, writes
//! the thrust) and then the physics container (reads the thrust, moves the
//! lander, writes the new state, and reports it in its context), until the
//! lander is down.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::console::Console;
use libtock::runtime::{set_main, stack_size, TockSyscalls};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static PHYSICS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/lander_physics.fc"
));
static AUTOPILOT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/lander_autopilot.fc"
));

/// The physics container's `struct lander_telemetry` (containers/lander.h).
struct Telemetry {
    altitude: i64,
    velocity: i64,
    fuel: u64,
    thrust: u64,
    tick: u64,
    status: u64,
}

impl Telemetry {
    fn from_bytes(bytes: &[u8; 48]) -> Telemetry {
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        Telemetry {
            altitude: field(0) as i64,
            velocity: field(1) as i64,
            fuel: field(2),
            thrust: field(3),
            tick: field(4),
            status: field(5),
        }
    }
}

/// Prints a value in hundredths as `[-]units.hh`.
struct Centi(i64);

impl core::fmt::Display for Centi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        write!(f, "{}{}.{:02}", sign, v / 100, v % 100)
    }
}

/// The longest descent the app lets the containers fly.
const MAX_TICKS: u32 = 300;

fn main() {
    let mut out = Console::writer();
    if !femto_app::driver_present(&mut out, "lander") {
        return;
    }
    let (Some(physics), Some(autopilot)) = (
        femto_app::load(&mut out, "lander", "lander_physics", PHYSICS),
        femto_app::load(&mut out, "lander", "lander_autopilot", AUTOPILOT),
    ) else {
        return;
    };
    let _ = writeln!(out, "lander: descent from 1000 m, autopilot engaged");
    for _ in 0..MAX_TICKS {
        if let Err(e) = Femto::run_no_context(autopilot, 0) {
            let _ = writeln!(out, "lander: autopilot failed: {:?}", e);
            break;
        }
        let mut bytes = [0u8; 48];
        let status = match Femto::run(physics, &mut bytes, 0) {
            Ok(status) => status as i64,
            Err(e) => {
                let _ = writeln!(out, "lander: physics failed: {:?}", e);
                break;
            }
        };
        if status < 0 {
            let _ = writeln!(out, "lander: physics reported error {}", status);
            break;
        }
        let t = Telemetry::from_bytes(&bytes);
        if t.tick % 5 == 0 || t.status != 0 {
            let _ = writeln!(
                out,
                "lander: t={:3}s altitude {} m  velocity {} m/s  thrust {:3}%  fuel {}",
                t.tick,
                Centi(t.altitude),
                Centi(t.velocity),
                t.thrust,
                t.fuel
            );
        }
        match t.status {
            0 => {}
            1 => {
                let _ = writeln!(
                    out,
                    "lander: landed safely at {} m/s after {} s",
                    Centi(t.velocity),
                    t.tick
                );
                break;
            }
            _ => {
                let _ = writeln!(
                    out,
                    "lander: crashed at {} m/s after {} s",
                    Centi(t.velocity),
                    t.tick
                );
                break;
            }
        }
    }
    let _ = Femto::unload(autopilot);
    let _ = Femto::unload(physics);
    let _ = writeln!(out, "lander: done");
}
