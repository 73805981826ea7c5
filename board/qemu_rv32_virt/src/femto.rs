//! The femto-container capsule, its hooks, and the temperature path.
//!
//! ```text
//! simulated sensor ──▶ temperature driver 0x60000 ──▶ apps
//! ```
//!
//! Not yet done: the femto-container capsule (0xA0000) with its timer hook
//! and its temperature hook between the sensor and 0x60000 are added here
//! once the capsule crate provides `FemtoContainersComponent`.

use capsules_core::virtualizers::virtual_alarm::MuxAlarm;
use kernel::component::Component;
use kernel::deferred_call::DeferredCallClient;
use kernel::static_init;

use crate::sim_temperature::SimTemperature;

/// The machine timer.
type Clint = qemu_rv32_virt_chip::chip::QemuRv32VirtClint<'static>;

/// Userspace temperature driver on the simulated sensor.
type TemperatureDriver =
    components::temperature::TemperatureComponentType<SimTemperature<'static>>;

/// The drivers set up here, looked up by system call number.
pub struct FemtoDrivers {
    /// Temperature driver (0x60000).
    temperature: &'static TemperatureDriver,
}

impl FemtoDrivers {
    /// The driver for `driver_num`, if it is one of ours.
    pub fn lookup(&self, driver_num: usize) -> Option<&dyn kernel::syscall::SyscallDriver> {
        match driver_num {
            capsules_extra::temperature::DRIVER_NUM => Some(self.temperature),
            _ => None,
        }
    }
}

/// Creates the sensor, the capsule and the drivers.
///
/// # Safety
///
/// Call once, at boot, before processes are loaded.
pub unsafe fn setup(
    board_kernel: &'static kernel::Kernel,
    _mux_alarm: &'static MuxAlarm<'static, Clint>,
) -> FemtoDrivers {
    let sensor = static_init!(SimTemperature<'static>, SimTemperature::new(true));
    sensor.register();

    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        sensor,
    )
    .finalize(components::temperature_component_static!(SimTemperature<'static>));

    FemtoDrivers { temperature }
}
