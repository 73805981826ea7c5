//! The femto-container capsule, its hooks, and the temperature path.
//!
//! ```text
//! simulated sensor ──▶ temperature hook (hook 2) ──▶ temperature driver 0x60000 ──▶ apps
//!                         containers attached to hook 2 run here, on every
//!                         reading, before any app sees it
//!
//! capsule's own alarm ──▶ timer hook (hook 1): each attached container on its period
//! ```
//!
//! The capsule (driver 0xA0000) is created with `FemtoContainersComponent`
//! on a virtual alarm of the machine timer; the temperature hook layer with
//! `FemtoTemperatureComponent`, which makes itself the sensor's client; the
//! userspace temperature driver then reads through that layer.

use capsules_core::virtualizers::virtual_alarm::MuxAlarm;
use capsules_femto::component::{
    FemtoContainersComponent, FemtoContainersComponentType, FemtoTemperatureComponent,
    DEFAULT_HOOKS,
};
use capsules_femto::temperature::FemtoTemperature;
use kernel::component::Component;
use kernel::deferred_call::DeferredCallClient;
use kernel::static_init;

use crate::sim_temperature::SimTemperature;

/// The machine timer.
type Clint = qemu_rv32_virt_chip::chip::QemuRv32VirtClint<'static>;

/// Containers per process.
const CONTAINERS_PER_PROCESS: usize = 4;
/// Bytes per container: the verified image copy plus its data region.
const CONTAINER_SLOT_BYTES: usize = 2048;
/// Bytes of the stack containers run on (one per process).
const CONTAINER_STACK_BYTES: usize = 1024;

/// The femto-containers capsule as this board sizes it.
type Femto = FemtoContainersComponentType<
    Clint,
    CONTAINERS_PER_PROCESS,
    CONTAINER_SLOT_BYTES,
    CONTAINER_STACK_BYTES,
>;

/// Signed updates (command 12): trust the project's DEMO key (its secret is
/// public, see capsule/update/demo-keys/README.md — a product puts its own
/// key from `femto keygen` here). The target class must match
/// `femto sign --target`. Unsigned loads (command 1) stay allowed for the
/// other tutorial apps.
static UPDATE_POLICY: capsules_femto::UpdatePolicy<'static> = capsules_femto::UpdatePolicy {
    keys: &capsules_femto::update::DEMO_KEYS,
    target: capsules_femto::Target {
        vendor: capsules_femto::update::VENDOR,
        class: "qemu_rv32_virt",
    },
    require_signatures: false,
};

/// The temperature hook layer over the simulated sensor.
type HookedSensor = FemtoTemperature<'static, SimTemperature<'static>>;

/// Userspace temperature driver, reading through the hook layer.
type TemperatureDriver = components::temperature::TemperatureComponentType<HookedSensor>;

/// The drivers set up here, looked up by system call number.
pub struct FemtoDrivers {
    /// The femto-containers capsule (0xA0000).
    femto: &'static Femto,
    /// Temperature driver (0x60000).
    temperature: &'static TemperatureDriver,
}

impl FemtoDrivers {
    /// The driver for `driver_num`, if it is one of ours.
    pub fn lookup(&self, driver_num: usize) -> Option<&dyn kernel::syscall::SyscallDriver> {
        match driver_num {
            capsules_femto::DRIVER_NUM => Some(self.femto),
            capsules_extra::temperature::DRIVER_NUM => Some(self.temperature),
            _ => None,
        }
    }
}

/// Creates the sensor, the capsule and the drivers.
///
/// # Safety
///
/// Call once, at boot, before processes are loaded (grants must exist
/// before that).
pub unsafe fn setup(
    board_kernel: &'static kernel::Kernel,
    mux_alarm: &'static MuxAlarm<'static, Clint>,
) -> FemtoDrivers {
    let femto = FemtoContainersComponent::new(
        board_kernel,
        capsules_femto::DRIVER_NUM,
        mux_alarm,
        &DEFAULT_HOOKS,
    )
    .with_update_policy(&UPDATE_POLICY)
    .finalize(capsules_femto::femto_containers_component_static!(
        Clint,
        CONTAINERS_PER_PROCESS,
        CONTAINER_SLOT_BYTES,
        CONTAINER_STACK_BYTES
    ));

    let sensor = static_init!(SimTemperature<'static>, SimTemperature::new(true));
    sensor.register();

    // Makes itself the sensor's client.
    let hooked = FemtoTemperatureComponent::new(sensor, femto).finalize(
        capsules_femto::femto_temperature_component_static!(SimTemperature<'static>),
    );

    // Makes itself the hook layer's client.
    let temperature = components::temperature::TemperatureComponent::new(
        board_kernel,
        capsules_extra::temperature::DRIVER_NUM,
        hooked,
    )
    .finalize(components::temperature_component_static!(HookedSensor));

    FemtoDrivers { femto, temperature }
}
