//! Tutorial 3 (doc/tutorials/3-sensor-ble.md): a container on the
//! temperature hook. The container (containers/temperature_average.c) runs in
//! the kernel on every temperature reading, replaces the reading with the
//! moving average of the last 4 readings, and notifies the app when the
//! average crosses 25 °C. The app reads the temperature through Tock's
//! ordinary temperature driver — and so gets the averaged value — and
//! advertises it over BLE as manufacturer data on the nRF52840-DK (on the
//! QEMU board, which has no radio, it prints it).
#![no_main]
#![no_std]

use core::cell::Cell;
use core::fmt::Write;
use libtock::alarm::{Alarm, Milliseconds};
use libtock::console::Console;
use libtock::platform::share;
use libtock::runtime::{set_main, stack_size, TockSyscalls};
use libtock::temperature::Temperature;
use libtock_femto::{HookId, NotifyListener};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static TEMPERATURE_AVERAGE: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/temperature_average.fc"
));

/// Readings before the app stops: forever on the board, a few under QEMU so
/// that a test run ends.
#[cfg(target_arch = "arm")]
const READINGS: u32 = u32::MAX;
#[cfg(not(target_arch = "arm"))]
const READINGS: u32 = 8;

/// Time between readings (on the board: while advertising the last one).
#[cfg(target_arch = "arm")]
const PERIOD_MS: u32 = 1000;
#[cfg(not(target_arch = "arm"))]
const PERIOD_MS: u32 = 100;

/// Prints centi-degrees as `[-]units.hh`.
struct Centi(i32);

impl core::fmt::Display for Centi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        write!(f, "{}{}.{:02}", sign, v / 100, v % 100)
    }
}

fn main() {
    let mut out = Console::writer();
    if !femto_app::driver_present(&mut out, "sensor") {
        return;
    }
    if Temperature::exists().is_err() {
        let _ = writeln!(
            out,
            "sensor: this kernel has no temperature driver (0x60000)"
        );
        return;
    }
    let hooks = Femto::hook_count().unwrap_or(0);
    for index in 0..hooks {
        if let Ok(h) = Femto::hook_info(index) {
            let _ = writeln!(
                out,
                "sensor: hook {} (id {}): context {} bytes, {}, fuel {}",
                index,
                h.id.0,
                h.context_size,
                if h.writable { "writable" } else { "read only" },
                h.fuel
            );
        }
    }
    let id = match Femto::load(TEMPERATURE_AVERAGE) {
        Ok(id) => id,
        Err(e) => {
            let _ = writeln!(
                out,
                "sensor: loading failed: {:?} ({:?})",
                e,
                Femto::last_load_error()
            );
            return;
        }
    };
    if let Err(e) = Femto::attach(id, HookId::TEMPERATURE, 0) {
        let _ = writeln!(
            out,
            "sensor: attaching to the temperature hook failed: {:?}",
            e
        );
        let _ = Femto::unload(id);
        return;
    }
    let _ = writeln!(
        out,
        "sensor: temperature_average attached to the temperature hook"
    );

    // Notifications (threshold crossings) arrive while the app yields, e.g.
    // while it waits for a reading; the listener only records them.
    let crossing: Cell<Option<u64>> = Cell::new(None);
    let listener = NotifyListener(|n| crossing.set(Some(n.value)));
    share::scope(|subscribe| {
        if let Err(e) = Femto::register_notify_listener(&listener, subscribe) {
            let _ = writeln!(out, "sensor: subscribing to notifications failed: {:?}", e);
        }
        for reading in 1..=READINGS {
            match Temperature::read_temperature_sync() {
                Ok(average) => {
                    let _ = writeln!(
                        out,
                        "sensor: reading {}: average {} C",
                        reading,
                        Centi(average)
                    );
                    if let Some(above) = crossing.take() {
                        let _ = writeln!(
                            out,
                            "sensor: notification: average went {} 25.00 C",
                            if above == 1 { "above" } else { "back below" }
                        );
                    }
                    publish(&mut out, reading, average);
                }
                Err(e) => {
                    let _ = writeln!(out, "sensor: reading {} failed: {:?}", reading, e);
                    let _ = Alarm::sleep_for(Milliseconds(PERIOD_MS));
                }
            }
        }
    });

    if let Ok(stats) = Femto::stats(id) {
        let _ = writeln!(
            out,
            "sensor: container ran {} times, {} faults",
            stats.runs, stats.faults
        );
    }
    let _ = Femto::detach(id, HookId::TEMPERATURE);
    let _ = Femto::unload(id);
    let _ = writeln!(out, "sensor: done");
}

/// On the nRF52840-DK: advertise the average for one period as BLE
/// manufacturer data (company id 0xFFFF, reserved for tests): the reading
/// number (u32) and the average in centi-degrees (i32), little endian.
#[cfg(target_arch = "arm")]
fn publish(out: &mut impl Write, reading: u32, average: i32) {
    use libtock_ble_advertising::{AdvPayload, PduType};
    type Ble = libtock_ble_advertising::BleAdvertising<TockSyscalls>;

    let mut data = [0u8; 8];
    data[..4].copy_from_slice(&reading.to_le_bytes());
    data[4..].copy_from_slice(&average.to_le_bytes());
    let mut payload = AdvPayload::new();
    let built = payload
        .flags(0x06)
        .and_then(|p| p.name("femto"))
        .and_then(|p| p.manufacturer_data(0xFFFF, &data))
        .is_ok();
    let advertised = built
        && share::scope(|allow| {
            let started =
                Ble::advertise(allow, payload.as_bytes(), PduType::NonConnectable, 200).is_ok();
            if started {
                let _ = Alarm::sleep_for(Milliseconds(PERIOD_MS));
                // The driver refuses to stop during an advertising event:
                // retry for up to 100 ms.
                let _ = Ble::stop_retrying(20, || {
                    let _ = Alarm::sleep_for(Milliseconds(5));
                });
            }
            started
        });
    if !advertised {
        let _ = writeln!(out, "sensor: BLE advertising failed");
        let _ = Alarm::sleep_for(Milliseconds(PERIOD_MS));
    }
}

/// On boards without a radio (QEMU): the value is only printed.
#[cfg(not(target_arch = "arm"))]
fn publish(_out: &mut impl Write, _reading: u32, _average: i32) {
    let _ = Alarm::sleep_for(Milliseconds(PERIOD_MS));
}
