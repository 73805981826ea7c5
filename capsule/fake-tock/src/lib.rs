//! Fake Tock platform pieces for running the femto-containers capsule
//! without hardware: the capsule's host test harness
//! (`capsule/tests/harness`) and the bare-metal Cortex-M4 benchmark
//! (`tools/bench/cm4/src/tock.rs`) both build their platform from these.
//!
//! * [`FakeProcess`]: a process that hands the kernel scripted system calls
//!   instead of running code, and records what the kernel delivers; its
//!   memory ([`ProcessMemory`]) comes from the caller, so it works on the
//!   host and on bare metal alike. See [`process`].
//! * [`Resources`]: the platform resources given to the kernel loop:
//!   [`Drivers`] and a scheduler.
//! * [`Cap`]: the capabilities a board's `main.rs` holds.
//! * [`NoBoundary`]: a user/kernel boundary that is never used, because
//!   [`FakeProcess`] does its own "switching" (it hands the kernel scripted
//!   system calls).
//! * [`FakeAlarm`]: a 1 kHz, 32-bit alarm whose clock moves only when told.
//! * [`FakeChip`]: no MPU; its only interrupt source is an optional
//!   [`FakeAlarm`].
//!
//! Not for boards: nothing here touches hardware.
#![no_std]

use core::cell::Cell;
use core::fmt::Write;

use kernel::capabilities;
use kernel::hil::time::{Alarm, AlarmClient, Freq1KHz, Ticks, Ticks32, Time};
use kernel::platform::chip::Chip;
use kernel::process::FunctionCall;
use kernel::syscall::{ContextSwitchReason, SyscallReturn, UserspaceKernelBoundary};
use kernel::ErrorCode;

pub mod process;
mod resources;

pub use process::{Delivered, FakeProcess, ProcessMemory};
pub use resources::{Drivers, Resources};

/// The capabilities of a board's `main.rs` (which the users of this crate
/// play).
pub struct Cap;
// SAFETY: the users of this crate (a test harness, a benchmark firmware)
// play the role of a board's main.rs, which is allowed to hold these.
unsafe impl capabilities::ExternalProcessCapability for Cap {}
// SAFETY: as above.
unsafe impl capabilities::MainLoopCapability for Cap {}
// SAFETY: as above.
unsafe impl capabilities::MemoryAllocationCapability for Cap {}
// SAFETY: as above.
unsafe impl capabilities::ProcessManagementCapability for Cap {}

/// The never-used user/kernel boundary of [`FakeChip`]: every method
/// refuses (or reports an interrupted process). [`FakeProcess`] never asks
/// the chip to switch to it.
pub struct NoBoundary;

impl UserspaceKernelBoundary for NoBoundary {
    type StoredState = ();
    fn initial_process_app_brk_size(&self) -> usize {
        0
    }
    unsafe fn initialize_process(
        &self,
        _accessible_memory_start: *const u8,
        _app_brk: *const u8,
        _state: &mut Self::StoredState,
    ) -> Result<(), ()> {
        Err(())
    }
    unsafe fn set_syscall_return_value(
        &self,
        _accessible_memory_start: *const u8,
        _app_brk: *const u8,
        _state: &mut Self::StoredState,
        _return_value: SyscallReturn,
    ) -> Result<(), ()> {
        Err(())
    }
    unsafe fn set_process_function(
        &self,
        _accessible_memory_start: *const u8,
        _app_brk: *const u8,
        _state: &mut Self::StoredState,
        _upcall: FunctionCall,
    ) -> Result<(), ()> {
        Err(())
    }
    unsafe fn switch_to_process(
        &self,
        _accessible_memory_start: *const u8,
        _app_brk: *const u8,
        _state: &mut Self::StoredState,
    ) -> (ContextSwitchReason, Option<*const u8>) {
        (ContextSwitchReason::Interrupted, None)
    }
    unsafe fn print_context(
        &self,
        _accessible_memory_start: *const u8,
        _app_brk: *const u8,
        _state: &Self::StoredState,
        _writer: &mut dyn Write,
    ) {
    }
    fn store_context(&self, _state: &Self::StoredState, _out: &mut [u8]) -> Result<usize, ErrorCode> {
        Err(ErrorCode::NOSUPPORT)
    }
}

/// A 1 kHz, 32-bit alarm whose clock moves only when its user sets
/// [`FakeAlarm::now`]. An expired alarm is reported by [`FakeChip`] as a
/// pending interrupt; servicing it disarms the alarm, counts it in
/// [`FakeAlarm::fired`] and calls the client.
pub struct FakeAlarm<'a> {
    /// The current time in ticks (milliseconds).
    pub now: Cell<u32>,
    /// `(reference, dt)` while armed.
    armed: Cell<Option<(u32, u32)>>,
    client: Cell<Option<&'a dyn AlarmClient>>,
    /// How many times the alarm fired.
    pub fired: Cell<usize>,
}

impl FakeAlarm<'_> {
    /// At time 0, disarmed, no client.
    pub const fn new() -> Self {
        FakeAlarm {
            now: Cell::new(0),
            armed: Cell::new(None),
            client: Cell::new(None),
            fired: Cell::new(0),
        }
    }

    /// True if armed and expired.
    pub fn pending(&self) -> bool {
        match self.armed.get() {
            Some((reference, dt)) => self.now.get().wrapping_sub(reference) >= dt,
            None => false,
        }
    }

    /// Fires the alarm if it is pending.
    pub fn service(&self) {
        if self.pending() {
            self.armed.set(None);
            self.fired.set(self.fired.get() + 1);
            if let Some(c) = self.client.get() {
                c.alarm();
            }
        }
    }
}

impl Default for FakeAlarm<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl Time for FakeAlarm<'_> {
    type Frequency = Freq1KHz;
    type Ticks = Ticks32;
    fn now(&self) -> Ticks32 {
        Ticks32::from(self.now.get())
    }
}

impl<'a> Alarm<'a> for FakeAlarm<'a> {
    fn set_alarm_client(&self, client: &'a dyn AlarmClient) {
        self.client.set(Some(client));
    }
    fn set_alarm(&self, reference: Ticks32, dt: Ticks32) {
        self.armed.set(Some((reference.into_u32(), dt.into_u32())));
    }
    fn get_alarm(&self) -> Ticks32 {
        let (r, d) = self.armed.get().unwrap_or((0, 0));
        Ticks32::from(r.wrapping_add(d))
    }
    fn disarm(&self) -> Result<(), ErrorCode> {
        self.armed.set(None);
        Ok(())
    }
    fn is_armed(&self) -> bool {
        self.armed.get().is_some()
    }
    fn minimum_dt(&self) -> Ticks32 {
        Ticks32::from(1)
    }
}

/// A chip with no MPU whose only interrupt source is an optional
/// [`FakeAlarm`].
pub struct FakeChip {
    boundary: NoBoundary,
    /// The alarm whose expiry is reported as an interrupt, if any.
    pub alarm: Option<&'static FakeAlarm<'static>>,
}

impl FakeChip {
    /// A chip with `alarm` as its interrupt source (`None`: no interrupts).
    pub const fn new(alarm: Option<&'static FakeAlarm<'static>>) -> Self {
        FakeChip { boundary: NoBoundary, alarm }
    }
}

impl Chip for FakeChip {
    type MPU = ();
    type UserspaceKernelBoundary = NoBoundary;
    fn service_pending_interrupts(&self) {
        if let Some(a) = self.alarm {
            a.service();
        }
    }
    fn has_pending_interrupts(&self) -> bool {
        self.alarm.is_some_and(|a| a.pending())
    }
    fn mpu(&self) -> &Self::MPU {
        &()
    }
    fn userspace_kernel_boundary(&self) -> &Self::UserspaceKernelBoundary {
        &self.boundary
    }
    fn sleep(&self) {}
    unsafe fn atomic<F, R>(&self, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        f()
    }
    unsafe fn print_state(&self, _writer: &mut dyn Write) {}
}
