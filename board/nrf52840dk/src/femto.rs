//! The drivers this board adds to the upstream nRF52840-DK configuration:
//! the femto-container capsule (0xA0000) and the temperature path.
//!
//! Temperature path. `nrf52840dk_lib::start()` already creates a userspace
//! temperature driver (0x60000) directly on the nRF52840 TEMP peripheral, and
//! keeps it private inside its `Platform`. Rather than writing a whole board
//! `main` of our own, we stay on `start()` and rewire after it returns:
//!
//! ```text
//! TEMP peripheral ──▶ temperature hook (hook 2) ──▶ temperature driver 0x60000 (ours) ──▶ apps
//!                       containers attached to hook 2 run on every reading,
//!                       before any app sees it
//! capsule's own RTC alarm ──▶ timer hook (hook 1)
//! ```
//!
//! We create a new `capsules_extra::temperature::TemperatureSensor` for
//! 0x60000 on top of the capsule's temperature hook layer, and the layer
//! becomes the TEMP peripheral's client (replacing the upstream driver as
//! client). `Platform::with_driver` answers 0x60000 with ours, so the
//! upstream driver is unreachable: it never gets a system call or a reading,
//! and its grant is never allocated in any process. Its cost is its code and
//! a few words of RAM.
//!
//! Without the cargo feature `femto` (used by `make size` to measure the
//! capsule's cost) the same rewiring is done without the hook layer and
//! without the capsule.

use capsules_core::virtualizers::virtual_alarm::MuxAlarm;
use kernel::component::Component;
use nrf52840::interrupt_service::Nrf52840DefaultPeripherals;

/// The RTC the alarms run on.
type Rtc = nrf52840::rtc::Rtc<'static>;
/// The nRF52840 TEMP peripheral.
type Temp = nrf52840::temperature::Temp<'static>;

#[cfg(feature = "femto")]
mod sizes {
    /// Containers per process.
    pub const CONTAINERS_PER_PROCESS: usize = 4;
    /// Bytes per container: the verified image copy plus its data region.
    pub const CONTAINER_SLOT_BYTES: usize = 2048;
    /// Bytes of the stack containers run on (one per process).
    pub const CONTAINER_STACK_BYTES: usize = 1024;
}

/// The femto-containers capsule as this board sizes it.
#[cfg(feature = "femto")]
type Femto = capsules_femto::component::FemtoContainersComponentType<
    Rtc,
    { sizes::CONTAINERS_PER_PROCESS },
    { sizes::CONTAINER_SLOT_BYTES },
    { sizes::CONTAINER_STACK_BYTES },
>;

#[cfg(feature = "femto")]
/// Signed updates (command 12): trust the project's DEMO key (its secret is
/// public, see capsule/update/demo-keys/README.md — a product puts its own
/// key from `femto keygen` here). The target class must match
/// `femto sign --target`. Unsigned loads (command 1) stay allowed for the
/// other tutorial apps.
static UPDATE_POLICY: capsules_femto::UpdatePolicy<'static> = capsules_femto::UpdatePolicy {
    keys: &capsules_femto::update::DEMO_KEYS,
    target: capsules_femto::Target {
        vendor: capsules_femto::update::VENDOR,
        class: "nrf52840dk",
    },
    require_signatures: false,
};

/// What the userspace temperature driver reads from.
#[cfg(feature = "femto")]
type Sensor = capsules_femto::temperature::FemtoTemperature<'static, Temp>;
#[cfg(not(feature = "femto"))]
type Sensor = Temp;

/// Userspace temperature driver.
type TemperatureDriver = components::temperature::TemperatureComponentType<Sensor>;

/// The flash page that keeps the signed-update sequence table (rollback
/// protection across reboots): the last 4 KiB page of the nRF52840's 1 MiB
/// flash, which layout.ld keeps out of the apps region.
#[cfg(feature = "signed-updates")]
pub const SEQUENCE_PAGE: usize = 0xFF000;

/// Gives the capsule the internal flash (NVMC, through Tock's
/// `NonvolatileToPages`) to keep its sequence table at [`SEQUENCE_PAGE`].
/// `nrf52840dk_lib::start()` uses the NVMC only for its start-up (UICR)
/// configuration, not as a flash client, so nothing else is its client.
#[cfg(feature = "signed-updates")]
unsafe fn sequence_storage(femto: &'static Femto, nvmc: &'static nrf52840::nvmc::Nvmc) {
    use capsules_extra::nonvolatile_to_pages::NonvolatileToPages;
    use kernel::static_init;
    type Page = <nrf52840::nvmc::Nvmc as kernel::hil::flash::Flash>::Page;
    let page = static_init!(Page, Page::default());
    let pages = static_init!(
        NonvolatileToPages<'static, nrf52840::nvmc::Nvmc>,
        NonvolatileToPages::new(nvmc, page)
    );
    kernel::hil::flash::HasClient::set_client(nvmc, pages);
    let buffer = static_init!(
        [u8; capsules_femto::update::STORAGE_LEN],
        [0; capsules_femto::update::STORAGE_LEN]
    );
    femto.set_sequence_storage(pages, SEQUENCE_PAGE, buffer);
}

/// The drivers added by this board, with their system call numbers.
pub struct FemtoDrivers {
    /// The femto-containers capsule (0xA0000).
    #[cfg(feature = "femto")]
    femto: &'static Femto,
    /// Temperature driver (0x60000).
    temperature: &'static TemperatureDriver,
}

impl FemtoDrivers {
    /// The driver for `driver_num` if this board adds it, else `None` (the
    /// caller then asks the upstream platform).
    pub fn lookup(&self, driver_num: usize) -> Option<&dyn kernel::syscall::SyscallDriver> {
        match driver_num {
            #[cfg(feature = "femto")]
            capsules_femto::DRIVER_NUM => Some(self.femto),
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
    mux_alarm: &'static MuxAlarm<'static, Rtc>,
) -> FemtoDrivers {
    let temp: &'static Temp = &peripherals.nrf52.temp;

    #[cfg(feature = "femto")]
    let (femto, sensor) = {
        use capsules_femto::component::{
            FemtoContainersComponent, FemtoTemperatureComponent, DEFAULT_HOOKS,
        };
        let femto = FemtoContainersComponent::new(
            board_kernel,
            capsules_femto::DRIVER_NUM,
            mux_alarm,
            &DEFAULT_HOOKS,
        )
        .with_update_policy(&UPDATE_POLICY)
        .finalize(capsules_femto::femto_containers_component_static!(
            Rtc,
            sizes::CONTAINERS_PER_PROCESS,
            sizes::CONTAINER_SLOT_BYTES,
            sizes::CONTAINER_STACK_BYTES
        ));
        #[cfg(feature = "signed-updates")]
        sequence_storage(femto, &peripherals.nrf52.nvmc);
        // The hook layer makes itself TEMP's client.
        let hooked = FemtoTemperatureComponent::new(temp, femto)
            .finalize(capsules_femto::femto_temperature_component_static!(Temp));
        (femto, hooked)
    };
    #[cfg(not(feature = "femto"))]
    let sensor = {
        let _ = mux_alarm;
        temp
    };

    // Makes itself the client of `sensor` (the hook layer, or TEMP itself
    // without the capsule), replacing the driver created by `start()`.
    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        sensor,
    )
    .finalize(components::temperature_component_static!(Sensor));

    FemtoDrivers {
        #[cfg(feature = "femto")]
        femto,
        temperature,
    }
}
