//! The temperature hook: a layer between a temperature sensor (HIL
//! `TemperatureDriver`) and its client, normally the userspace temperature
//! driver `capsules_extra::temperature::TemperatureSensor` (0x60000).
//!
//! Each reading is recorded for `fc_sensor_last`, then the containers
//! attached to hook 2 run with the context `i32 centi_celsius; u32 flags;
//! u64 now_ms` (writable, policy stop-on-negative). The (possibly changed)
//! value goes to the client; a negative combined result rejects the reading:
//! a new reading is started instead, up to [`MAX_RETRIES`] times, after which
//! the client receives `Err(ErrorCode::FAIL)`. With no container attached
//! the reading passes straight through.
//!
//! The sensor's callback runs in the kernel's bottom half (never in a
//! hardware interrupt handler), so the containers run inline there, bounded
//! by the hook's fuel.
//!
//! ```rust,ignore
//! let hooked = static_init!(FemtoTemperature<'static, Sensor>,
//!     FemtoTemperature::new(sensor, femto));
//! sensor.set_client(hooked);
//! // then give `hooked` to TemperatureSensor::new instead of `sensor`.
//! ```

use core::cell::Cell;

use kernel::hil::sensors::{TemperatureClient, TemperatureDriver};
use kernel::utilities::cells::OptionalCell;
use kernel::ErrorCode;

use crate::hooks::{temperature_context, FemtoHooks, TEMPERATURE_ID};

/// Readings rejected in a row before the client gets an error.
pub const MAX_RETRIES: u8 = 3;

/// Time source for the context's `now_ms` (the capsule's clock).
pub trait NowMs {
    /// Milliseconds since boot.
    fn now_ms(&self) -> u64;
}

/// The temperature hook layer.
pub struct FemtoTemperature<'a, S: TemperatureDriver<'a>> {
    sensor: &'a S,
    hooks: &'a dyn FemtoHooks,
    clock: Option<&'a dyn NowMs>,
    client: OptionalCell<&'a dyn TemperatureClient>,
    retries: Cell<u8>,
}

impl<'a, S: TemperatureDriver<'a>> FemtoTemperature<'a, S> {
    /// Wraps `sensor`; the caller must make this the sensor's client.
    pub fn new(sensor: &'a S, hooks: &'a dyn FemtoHooks, clock: Option<&'a dyn NowMs>) -> Self {
        FemtoTemperature {
            sensor,
            hooks,
            clock,
            client: OptionalCell::empty(),
            retries: Cell::new(0),
        }
    }
}

impl<'a, S: TemperatureDriver<'a>> TemperatureDriver<'a> for FemtoTemperature<'a, S> {
    fn set_client(&self, client: &'a dyn TemperatureClient) {
        self.client.set(client);
    }

    fn read_temperature(&self) -> Result<(), ErrorCode> {
        self.retries.set(0);
        self.sensor.read_temperature()
    }
}

impl<'a, S: TemperatureDriver<'a>> TemperatureClient for FemtoTemperature<'a, S> {
    fn callback(&self, value: Result<i32, ErrorCode>) {
        let out = match value {
            Err(e) => Err(e),
            Ok(v) => {
                self.hooks.set_sensor_value(0, v as i64);
                if !self.hooks.has_attached(TEMPERATURE_ID) {
                    Ok(v)
                } else {
                    let now = self.clock.map_or(0, |c| c.now_ms());
                    let mut ctx = temperature_context(v, 0, now);
                    let outcome = self.hooks.fire(TEMPERATURE_ID, &mut ctx);
                    if outcome.rejected() {
                        let tries = self.retries.get().saturating_add(1);
                        self.retries.set(tries);
                        if tries <= MAX_RETRIES && self.sensor.read_temperature().is_ok() {
                            return;
                        }
                        Err(ErrorCode::FAIL)
                    } else {
                        Ok(i32::from_le_bytes([ctx[0], ctx[1], ctx[2], ctx[3]]))
                    }
                }
            }
        };
        self.retries.set(0);
        self.client.map(|c| c.callback(out));
    }
}
