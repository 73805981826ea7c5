//! A Tock-style component that creates the femto-containers capsule (with
//! its virtual alarm for the timer hook and its context buffer), and one for
//! the temperature-hook layer.
//!
//! ```rust,ignore
//! let femto = capsules_femto::component::FemtoContainersComponent::new(
//!     board_kernel,
//!     capsules_femto::DRIVER_NUM,
//!     mux_alarm,
//!     &capsules_femto::component::DEFAULT_HOOKS,
//! )
//! .finalize(capsules_femto::femto_containers_component_static!(
//!     nrf52840::rtc::Rtc<'static>, 4, 1024, 1024
//! ));
//!
//! // Temperature hook: sensor -> FemtoTemperature -> TemperatureSensor (0x60000).
//! let hooked = capsules_femto::component::FemtoTemperatureComponent::new(temp_sensor, femto)
//!     .finalize(capsules_femto::femto_temperature_component_static!(nrf52840::temperature::Temp<'static>));
//! let temp = components::temperature::TemperatureComponent::new(
//!     board_kernel, capsules_extra::temperature::DRIVER_NUM, hooked,
//! ).finalize(components::temperature_component_static!(
//!     capsules_femto::temperature::FemtoTemperature<'static, nrf52840::temperature::Temp<'static>>
//! ));
//! ```

use core::mem::MaybeUninit;

use capsules_core::virtualizers::virtual_alarm::{MuxAlarm, VirtualMuxAlarm};
use kernel::component::Component;
use kernel::deferred_call::DeferredCallClient;
use kernel::hil::sensors::TemperatureDriver;
use kernel::hil::time::Alarm;
use kernel::{capabilities, create_capability};

use crate::console::KernelDebugConsole;
use crate::driver::{FemtoContainers, Limits};
use crate::hooks::{HookDescriptor, TEMPERATURE, TIMER};
use crate::temperature::FemtoTemperature;
use crate::update::UpdatePolicy;

/// Bytes of the run-context scratch buffer the component allocates (the
/// largest context userspace may pass to a run).
pub const CONTEXT_LEN: usize = 256;

/// The hooks a board normally offers: timer and temperature.
pub static DEFAULT_HOOKS: [HookDescriptor; 2] = [TIMER, TEMPERATURE];

/// The capsule type the component creates.
pub type FemtoContainersComponentType<A, const N: usize, const SLOT: usize, const STACK: usize> =
    FemtoContainers<'static, VirtualMuxAlarm<'static, A>, N, SLOT, STACK>;

/// Static memory for [`FemtoContainersComponent`]:
/// `femto_containers_component_static!(AlarmHw, N, SLOT, STACK)`.
#[macro_export]
macro_rules! femto_containers_component_static {
    ($A:ty, $N:expr, $SLOT:expr, $STACK:expr $(,)?) => {{
        let alarm = kernel::static_buf!(
            capsules_core::virtualizers::virtual_alarm::VirtualMuxAlarm<'static, $A>
        );
        let femto = kernel::static_buf!(
            $crate::component::FemtoContainersComponentType<$A, { $N }, { $SLOT }, { $STACK }>
        );
        let context = kernel::static_buf!([u8; $crate::component::CONTEXT_LEN]);
        (alarm, femto, context)
    };};
}

/// Creates the femto-containers capsule. `N`, `SLOT` and `STACK` are the
/// capsule's sizes (see [`FemtoContainers`]); they are inferred from the
/// static input made by [`femto_containers_component_static!`].
pub struct FemtoContainersComponent<
    A: 'static + Alarm<'static>,
    const N: usize,
    const SLOT: usize,
    const STACK: usize,
> {
    board_kernel: &'static kernel::Kernel,
    driver_num: usize,
    mux_alarm: &'static MuxAlarm<'static, A>,
    hooks: &'static [HookDescriptor],
    limits: Limits,
    update: Option<&'static UpdatePolicy<'static>>,
}

impl<A: 'static + Alarm<'static>, const N: usize, const SLOT: usize, const STACK: usize>
    FemtoContainersComponent<A, N, SLOT, STACK>
{
    /// `hooks`: the hooks the board offers (e.g. [`DEFAULT_HOOKS`]).
    pub fn new(
        board_kernel: &'static kernel::Kernel,
        driver_num: usize,
        mux_alarm: &'static MuxAlarm<'static, A>,
        hooks: &'static [HookDescriptor],
    ) -> Self {
        FemtoContainersComponent {
            board_kernel,
            driver_num,
            mux_alarm,
            hooks,
            limits: Limits::default(),
            update: None,
        }
    }

    /// Sets the fuel and print limits (default: [`Limits::default`]).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Enables signed updates (command 12) with the board's trusted keys,
    /// target and signature policy (see [`UpdatePolicy`]). Without it,
    /// command 12 returns `NOSUPPORT` and unsigned loads work.
    pub fn with_update_policy(mut self, policy: &'static UpdatePolicy<'static>) -> Self {
        self.update = Some(policy);
        self
    }
}

/// The static input of [`FemtoContainersComponent`] for given sizes.
pub type FemtoStaticInput<A, const N: usize, const SLOT: usize, const STACK: usize> = (
    &'static mut MaybeUninit<VirtualMuxAlarm<'static, A>>,
    &'static mut MaybeUninit<FemtoContainersComponentType<A, N, SLOT, STACK>>,
    &'static mut MaybeUninit<[u8; CONTEXT_LEN]>,
);

impl<A: 'static + Alarm<'static>, const N: usize, const SLOT: usize, const STACK: usize> Component
    for FemtoContainersComponent<A, N, SLOT, STACK>
{
    type StaticInput = FemtoStaticInput<A, N, SLOT, STACK>;
    type Output = &'static FemtoContainersComponentType<A, N, SLOT, STACK>;

    fn finalize(self, s: Self::StaticInput) -> Self::Output {
        let grant_cap = create_capability!(capabilities::MemoryAllocationCapability);
        let alarm = s.0.write(VirtualMuxAlarm::new(self.mux_alarm));
        alarm.setup();
        let context = s.2.write([0u8; CONTEXT_LEN]);
        let femto = s.1.write(FemtoContainers::new(
            self.board_kernel.create_grant(self.driver_num, &grant_cap),
            alarm,
            self.hooks,
            context,
            &KernelDebugConsole,
            self.limits,
        ));
        if let Some(policy) = self.update {
            femto.set_update_policy(policy);
        }
        alarm.set_alarm_client(femto);
        femto.register();
        femto.start();
        femto
    }
}

/// Static memory for [`FemtoTemperatureComponent`]:
/// `femto_temperature_component_static!(SensorType)`.
#[macro_export]
macro_rules! femto_temperature_component_static {
    ($S:ty $(,)?) => {{
        kernel::static_buf!($crate::temperature::FemtoTemperature<'static, $S>)
    };};
}

/// Creates the temperature-hook layer over a sensor and makes it the
/// sensor's client. Give the result to the userspace temperature driver.
pub struct FemtoTemperatureComponent<S: 'static + TemperatureDriver<'static>> {
    sensor: &'static S,
    femto: &'static (dyn FemtoAll),
}

/// What the temperature layer needs from the capsule (hooks + clock).
pub trait FemtoAll: crate::hooks::FemtoHooks + crate::temperature::NowMs {
    /// Upcast for the hooks interface.
    fn as_hooks(&self) -> &dyn crate::hooks::FemtoHooks;
    /// Upcast for the clock.
    fn as_clock(&self) -> &dyn crate::temperature::NowMs;
}

impl<T: crate::hooks::FemtoHooks + crate::temperature::NowMs> FemtoAll for T {
    fn as_hooks(&self) -> &dyn crate::hooks::FemtoHooks {
        self
    }
    fn as_clock(&self) -> &dyn crate::temperature::NowMs {
        self
    }
}

impl<S: 'static + TemperatureDriver<'static>> FemtoTemperatureComponent<S> {
    /// `femto`: the capsule returned by [`FemtoContainersComponent`].
    pub fn new(sensor: &'static S, femto: &'static dyn FemtoAll) -> Self {
        FemtoTemperatureComponent { sensor, femto }
    }
}

impl<S: 'static + TemperatureDriver<'static>> Component for FemtoTemperatureComponent<S> {
    type StaticInput = &'static mut MaybeUninit<FemtoTemperature<'static, S>>;
    type Output = &'static FemtoTemperature<'static, S>;

    fn finalize(self, s: Self::StaticInput) -> Self::Output {
        let layer = s.write(FemtoTemperature::new(
            self.sensor,
            self.femto.as_hooks(),
            Some(self.femto.as_clock()),
        ));
        self.sensor.set_client(layer);
        layer
    }
}
