//! A simulated temperature sensor that yields a fixed, known sequence.
//!
//! QEMU's virt machine has no temperature sensor. This one implements Tock's
//! `TemperatureDriver` HIL like a real sensor: `read_temperature()` starts a
//! reading and the value arrives later through the client's `callback`
//! (from a deferred call, never from inside `read_temperature`). The values
//! come from [`SEQUENCE`] in order and wrap around, so end-to-end tests know
//! exactly which raw readings the temperature hook saw and can check what
//! the attached containers made of them.

use core::cell::Cell;

use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::utilities::cells::OptionalCell;
use kernel::ErrorCode;

/// The readings, in hundredths of a degree Celsius (Tock's unit). A slow
/// rise from 21.50 °C with one outlier (85.00 °C, the classic "sensor
/// glitch" value) for filters to reject.
pub const SEQUENCE: [i32; 8] = [2150, 2175, 2200, 8500, 2225, 2250, 2275, 2300];

/// The simulated sensor.
pub struct SimTemperature<'a> {
    client: OptionalCell<&'a dyn TemperatureClient>,
    deferred_call: DeferredCall,
    /// Index into [`SEQUENCE`] of the next reading.
    next: Cell<usize>,
    /// A reading has been started and not delivered yet.
    busy: Cell<bool>,
    /// Whether to log each reading on the kernel debug console.
    log: bool,
}

impl SimTemperature<'_> {
    /// Creates the sensor. With `log`, each reading is printed on the
    /// kernel debug console as `[sim-temp] reading N: V`, N being the
    /// position of the value in [`SEQUENCE`].
    pub fn new(log: bool) -> Self {
        Self {
            client: OptionalCell::empty(),
            deferred_call: DeferredCall::new(),
            next: Cell::new(0),
            busy: Cell::new(false),
            log,
        }
    }
}

impl<'a> TemperatureDriver<'a> for SimTemperature<'a> {
    fn set_client(&self, client: &'a dyn TemperatureClient) {
        self.client.set(client);
    }

    fn read_temperature(&self) -> Result<(), ErrorCode> {
        if self.busy.get() {
            return Err(ErrorCode::BUSY);
        }
        self.busy.set(true);
        self.deferred_call.set();
        Ok(())
    }
}

impl DeferredCallClient for SimTemperature<'_> {
    fn handle_deferred_call(&self) {
        let index = self.next.get();
        // `index` is always < SEQUENCE.len() (kept so below); `get` keeps
        // this panic-free regardless.
        let value = SEQUENCE.get(index).copied().unwrap_or(SEQUENCE[0]);
        self.next.set((index + 1) % SEQUENCE.len());
        self.busy.set(false);
        if self.log {
            kernel::debug!("[sim-temp] reading {}: {}", index, value);
        }
        self.client.map(|client| client.callback(Ok(value)));
    }

    fn register(&'static self) {
        self.deferred_call.register(self);
    }
}
