//! The drivers this board adds to the upstream nRF52840-DK configuration.
//!
//! Temperature path. `nrf52840dk_lib::start()` already creates a userspace
//! temperature driver (0x60000) directly on the nRF52840 TEMP peripheral, and
//! keeps it private inside its `Platform`. Rather than writing a whole board
//! `main` of our own, we stay on `start()` and rewire after it returns:
//!
//! ```text
//! TEMP peripheral ──client──▶ temperature driver 0x60000 (ours) ──▶ apps
//! ```
//!
//! We create a new `capsules_extra::temperature::TemperatureSensor` for
//! 0x60000 and make it the TEMP peripheral's client (that replaces the
//! upstream driver as client); `Platform::with_driver` answers 0x60000 with
//! ours, so the upstream driver is unreachable: it never gets a system call
//! or a reading, and its grant is never allocated in any process. Its cost
//! is its code and a few words of RAM.
//!
//! Not yet done: the femto-container capsule and its hooks (timer,
//! temperature between TEMP and 0x60000) are added here once the capsule
//! crate provides `FemtoContainersComponent`.

use capsules_core::virtualizers::virtual_alarm::MuxAlarm;
use kernel::component::Component;
use nrf52840::interrupt_service::Nrf52840DefaultPeripherals;

/// Userspace temperature driver on the nRF52840 TEMP peripheral.
type TemperatureDriver =
    components::temperature::TemperatureComponentType<nrf52840::temperature::Temp<'static>>;

/// The drivers added by this board, with their system call numbers.
pub struct FemtoDrivers {
    /// Temperature driver (0x60000).
    temperature: &'static TemperatureDriver,
}

impl FemtoDrivers {
    /// The driver for `driver_num` if this board adds it, else `None` (the
    /// caller then asks the upstream platform).
    pub fn lookup(&self, driver_num: usize) -> Option<&dyn kernel::syscall::SyscallDriver> {
        match driver_num {
            capsules_extra::temperature::DRIVER_NUM => Some(self.temperature),
            _ => None,
        }
    }
}

/// Creates the added drivers and wires them to the peripherals.
///
/// # Safety
///
/// Call once, during boot, after `nrf52840dk_lib::start()` and before
/// processes are loaded (grants must be created before that).
pub unsafe fn setup(
    board_kernel: &'static kernel::Kernel,
    peripherals: &'static Nrf52840DefaultPeripherals<'static>,
    _mux_alarm: &'static MuxAlarm<'static, nrf52840::rtc::Rtc<'static>>,
) -> FemtoDrivers {
    // The component sets itself as the TEMP peripheral's client, replacing
    // the driver created by `start()`.
    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        &peripherals.nrf52.temp,
    )
    .finalize(components::temperature_component_static!(
        nrf52840::temperature::Temp
    ));

    FemtoDrivers { temperature }
}
