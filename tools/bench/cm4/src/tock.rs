//! A minimal bare-metal Tock platform for measuring the capsule's hook path:
//! one fake process, a scheduler that runs that process and a silent
//! console; the process, the platform resources, the chip (without MPU or
//! interrupts), the alarm and the capabilities come from `femto-fake-tock`,
//! shared with the capsule's host test harness (`capsule/tests/harness`).
//!
//! The process does not run machine code; its `switch_to` hands the kernel
//! the next scripted syscall, so that the container is loaded and attached
//! through the real syscall path (`allow`, `command` handled by
//! `Kernel::kernel_loop_operation` and the capsule's `SyscallDriver`). The
//! measured code — the capsule's `FemtoHooks::fire` — then enters the
//! process's grant through the kernel's `Grant` API, which calls the fake
//! process's `enter_grant` / `leave_grant` (a table lookup and a flag, as
//! `ProcessStandard` does) and queues the result upcall in a
//! `kernel::collections::ring_buffer::RingBuffer` (the task queue type
//! `ProcessStandard` uses).
use kernel::process::{Process, StoppedExecutingReason};
use kernel::scheduler::{Scheduler, SchedulingDecision};
use kernel::syscall::{Syscall, SyscallReturn};
use kernel::Kernel;

/// Bytes of process RAM (where the process's allow buffers live).
pub const PROCESS_RAM: usize = 1024;
/// Bytes of grant memory.
pub const GRANT_ARENA: usize = 4096;
/// Length of the task queue's storage (Tock's default; it holds one task
/// fewer).
pub const TASKS: usize = 10;

/// Process RAM, 8-byte aligned.
#[repr(C, align(8))]
pub struct Ram(pub [u8; PROCESS_RAM]);
/// Grant memory, 16-byte aligned.
#[repr(C, align(16))]
pub struct Arena(pub [u8; GRANT_ARENA]);

/// The capabilities a board's main holds, the chip (no MPU; no interrupts
/// here), the fake process and its memory.
pub use femto_fake_tock::{Cap as BoardCap, FakeChip, FakeProcess, ProcessMemory};
/// The alarm the capsule is built with (it never fires in the benchmark).
pub type FakeAlarm = femto_fake_tock::FakeAlarm<'static>;
/// The platform resources: the syscall drivers and [`OneProcess`].
pub type Resources = femto_fake_tock::Resources<OneProcess>;

/// Runs the one process whenever it is ready.
pub struct OneProcess {
    /// The process.
    pub process: &'static FakeProcess,
}

impl Scheduler<FakeChip> for OneProcess {
    fn next(&self) -> SchedulingDecision {
        if self.process.ready() {
            SchedulingDecision::RunProcess((self.process.processid(), None))
        } else {
            SchedulingDecision::TrySleep
        }
    }
    fn result(&self, _result: StoppedExecutingReason, _execution_time_us: Option<u32>) {}
}

/// Ties the kernel, the process and the resources together.
pub struct Platform {
    /// The kernel.
    pub kernel: &'static Kernel,
    /// The process.
    pub process: &'static FakeProcess,
    /// Drivers and scheduler.
    pub resources: &'static Resources,
    /// The chip.
    pub chip: FakeChip,
}

impl Platform {
    /// Runs `syscall` as the process through the kernel loop and returns
    /// its return value.
    pub fn syscall(&self, syscall: Syscall) -> Option<SyscallReturn> {
        while self.process.take_return().is_some() {}
        self.process.push(syscall);
        // The syscall, then the Yield-Wait that ends the process's turn.
        for _ in 0..8 {
            if !self.process.ready() && !kernel::deferred_call::DeferredCall::has_tasks() {
                break;
            }
            self.kernel.kernel_loop_operation::<_, _, 0>(
                self.resources,
                &self.chip,
                None,
                true,
                &BoardCap,
            );
        }
        self.process.take_return()
    }
}

/// Discards container output (the trivial container prints nothing).
pub struct NullConsole;

impl capsules_femto::console::Console for NullConsole {
    fn write_line(&self, _id: u16, _line: &[u8]) {}
}
