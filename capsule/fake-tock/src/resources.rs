//! The platform resources a board hands to `Kernel::kernel_loop_operation`
//! ([`Resources`]): its system call drivers ([`Drivers`]) and a scheduler,
//! with no system call filter, fault policy, context switch callback,
//! scheduler timer or watchdog.

use kernel::platform::{KernelResources, SyscallDriverLookup};
use kernel::scheduler::Scheduler;
use kernel::syscall::SyscallDriver;

use crate::FakeChip;

/// System call drivers by driver number: `(number, driver)` pairs, looked up
/// in order.
pub struct Drivers(pub &'static [(usize, &'static dyn SyscallDriver)]);

impl SyscallDriverLookup for Drivers {
    fn with_driver<F, R>(&self, driver_num: usize, f: F) -> R
    where
        F: FnOnce(Option<&dyn SyscallDriver>) -> R,
    {
        f(self
            .0
            .iter()
            .find(|(n, _)| *n == driver_num)
            .map(|(_, d)| *d))
    }
}

/// The resources of a [`FakeChip`] platform: `drivers` and the scheduler
/// `S` (the kernel's own, or one of the caller's).
pub struct Resources<S: 'static> {
    /// The system call drivers.
    pub drivers: Drivers,
    /// The scheduler.
    pub scheduler: &'static S,
}

impl<S: Scheduler<FakeChip>> KernelResources<FakeChip> for Resources<S> {
    type SyscallDriverLookup = Drivers;
    type SyscallFilter = ();
    type ProcessFault = ();
    type ContextSwitchCallback = ();
    type Scheduler = S;
    type SchedulerTimer = ();
    type WatchDog = ();
    fn syscall_driver_lookup(&self) -> &Self::SyscallDriverLookup {
        &self.drivers
    }
    fn syscall_filter(&self) -> &Self::SyscallFilter {
        &()
    }
    fn process_fault(&self) -> &Self::ProcessFault {
        &()
    }
    fn context_switch_callback(&self) -> &Self::ContextSwitchCallback {
        &()
    }
    fn scheduler(&self) -> &Self::Scheduler {
        self.scheduler
    }
    fn scheduler_timer(&self) -> &Self::SchedulerTimer {
        &()
    }
    fn watchdog(&self) -> &Self::WatchDog {
        &()
    }
}
