//! Host test harness: a fake Tock platform that drives the capsule through
//! the *real* kernel syscall path.
//!
//! Tock has no host-side process implementation upstream; the platform's
//! pieces come from the `femto-fake-tock` crate (shared with the Cortex-M4
//! benchmark), and this module puts them together for tests:
//!
//! * [`FakeProcess`] implements `kernel::process::Process`. Instead of
//!   running machine code, its `switch_to()` hands the kernel the next
//!   scripted syscall (`ContextSwitchReason::SyscallFired`); when the script
//!   is empty it yields (Yield-Wait). Return values and upcalls the kernel
//!   delivers are recorded for the test to inspect. Its RAM (for allow
//!   buffers), grant memory and task queue storage are leaked here.
//! * [`FakeChip`] (no MPU, a dummy user/kernel boundary that is never used
//!   because the fake process does its own switching), [`FakeAlarm`],
//!   [`Resources`] and the kernel's own cooperative scheduler.
//! * [`World`] ties them together: `kernel.kernel_loop_operation()` is run
//!   until every process is idle, exactly as a board's main loop would.
//!
//! Everything is `'static` by leaking boxes (tests are short-lived).
//!
//! Tock's deferred calls and the debug writer are global state; a test binary
//! may create at most 32 deferred calls, so each test file keeps its number of
//! worlds (one capsule = one deferred call) below that, and tests are
//! serialised with [`lock`].
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

use femto_fake_tock::process::UNUSED_TASK;
use femto_fake_tock::{Drivers, ProcessMemory};
use kernel::platform::chip::Chip;
use kernel::process::Process;
use kernel::scheduler::cooperative::{CoopProcessNode, CooperativeSched};
use kernel::syscall::SyscallDriver;
use kernel::syscall::{Syscall, SyscallReturn};
use kernel::utilities::capability_ptr::CapabilityPtr;
use kernel::Kernel;

/// Maximum number of queued tasks per process (Tock's default is 10).
pub const TASK_QUEUE_LEN: usize = 10;
/// Bytes of RAM each fake process has for its own buffers.
pub const PROCESS_RAM: usize = 64 * 1024;
/// Bytes of grant memory each fake process has.
pub const GRANT_ARENA: usize = 64 * 1024;

static TEST_LOCK: Mutex<()> = Mutex::new(());

/// Serialises tests of one binary (the kernel's deferred-call table and
/// debug writer are global).
pub fn lock() -> MutexGuard<'static, ()> {
    TEST_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The capabilities tests need (a test harness is trusted board code).
pub use femto_fake_tock::Cap as TestCap;
/// The chip (no MPU; the alarm is its interrupt source).
pub use femto_fake_tock::FakeChip;
/// The fake process and what it records of upcalls.
pub use femto_fake_tock::{Delivered, FakeProcess};
/// The fake alarm, driven by the test (`now`, `fired`).
pub type FakeAlarm = femto_fake_tock::FakeAlarm<'static>;
/// The platform resources handed to `kernel_loop_operation`: the drivers
/// and the kernel's cooperative scheduler.
pub type Resources = femto_fake_tock::Resources<CooperativeSched<'static>>;

/// A fake alarm at time 0, leaked (`'static`, as capsules need).
pub fn new_alarm() -> &'static FakeAlarm {
    Box::leak(Box::new(FakeAlarm::new()))
}

/// Creates the capability used by tests for every capability-gated call.
pub fn cap() -> TestCap {
    TestCap
}

/// A fake process named `app{index}` with [`PROCESS_RAM`] bytes of RAM,
/// [`GRANT_ARENA`] bytes of grant memory and room for [`TASK_QUEUE_LEN`]
/// tasks, all leaked.
fn new_process(index: usize) -> &'static FakeProcess {
    let memory = ProcessMemory {
        ram: Box::leak(vec![0u8; PROCESS_RAM].into_boxed_slice()),
        grants: Box::leak(vec![0u8; GRANT_ARENA].into_boxed_slice()),
        // The ring buffer holds one fewer than its length.
        tasks: Box::leak(vec![UNUSED_TASK; TASK_QUEUE_LEN + 1].into_boxed_slice()),
    };
    let name = Box::leak(format!("app{index}").into_boxed_str());
    Box::leak(Box::new(FakeProcess::new(name, index, memory)))
}

/// All return values process `p` was delivered and the test did not take
/// yet, oldest first.
pub fn take_returns(p: &FakeProcess) -> Vec<SyscallReturn> {
    let returns: Vec<_> = core::iter::from_fn(|| p.take_return()).collect();
    assert_eq!(p.lost_records(), 0, "the fake process's return or upcall log overflowed");
    returns
}

/// All upcalls process `p` was delivered and the test did not take yet,
/// oldest first.
pub fn take_upcalls(p: &FakeProcess) -> Vec<Delivered> {
    let upcalls: Vec<_> = core::iter::from_fn(|| p.take_upcall()).collect();
    assert_eq!(p.lost_records(), 0, "the fake process's return or upcall log overflowed");
    upcalls
}

/// `len` bytes of process `p`'s RAM at `offset`.
pub fn read_ram(p: &FakeProcess, offset: usize, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    p.read_ram(offset, &mut out);
    out
}

/// Kernel, processes and scheduler before the drivers are known.
pub struct Boot {
    pub kernel: &'static Kernel,
    pub procs: Vec<&'static FakeProcess>,
    scheduler: &'static CooperativeSched<'static>,
}

/// Creates a kernel with `n` fake processes.
pub fn boot(n: usize) -> Boot {
    let procs: Vec<&'static FakeProcess> = (0..n).map(new_process).collect();
    let slots: &'static [Option<&'static dyn Process>] = Box::leak(
        procs
            .iter()
            .map(|p| Some(*p as &'static dyn Process))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let kernel: &'static Kernel = Box::leak(Box::new(Kernel::new(slots)));
    for p in &procs {
        p.attach(kernel);
    }
    let scheduler: &'static CooperativeSched<'static> =
        Box::leak(Box::new(CooperativeSched::new()));
    for slot in slots.iter() {
        let node: &'static CoopProcessNode<'static> =
            Box::leak(Box::new(CoopProcessNode::new(slot)));
        scheduler.processes.push_tail(node);
    }
    Boot {
        kernel,
        procs,
        scheduler,
    }
}

impl Boot {
    /// Finishes the platform with its syscall drivers.
    pub fn with_drivers(self, list: Vec<(usize, &'static dyn SyscallDriver)>) -> World {
        self.with_drivers_and_alarm(list, None)
    }

    /// Finishes the platform with its syscall drivers and an alarm whose
    /// expiry the chip reports as an interrupt.
    pub fn with_drivers_and_alarm(
        self,
        list: Vec<(usize, &'static dyn SyscallDriver)>,
        alarm: Option<&'static FakeAlarm>,
    ) -> World {
        World {
            kernel: self.kernel,
            procs: self.procs,
            resources: Resources {
                drivers: Drivers(Box::leak(list.into_boxed_slice())),
                scheduler: self.scheduler,
            },
            chip: FakeChip::new(alarm),
        }
    }
}

/// A running fake platform.
pub struct World {
    pub kernel: &'static Kernel,
    pub procs: Vec<&'static FakeProcess>,
    pub resources: Resources,
    pub chip: FakeChip,
}

impl World {
    /// Runs the kernel loop until no process is ready and no deferred call is
    /// pending (at most `limit` iterations, which a test would notice).
    pub fn run(&self) {
        for _ in 0..10_000 {
            let busy = self.procs.iter().any(|p| p.ready())
                || kernel::deferred_call::DeferredCall::has_tasks()
                || self.chip.has_pending_interrupts();
            if !busy {
                return;
            }
            self.kernel.kernel_loop_operation::<_, _, 0>(
                &self.resources,
                &self.chip,
                None,
                true,
                &cap(),
            );
        }
        panic!("kernel loop did not become idle");
    }

    /// Runs `syscalls` as process `p` and returns the return values, in
    /// order (one per syscall, yields excluded).
    pub fn syscalls(&self, p: usize, syscalls: Vec<Syscall>) -> Vec<SyscallReturn> {
        let proc = self.procs[p];
        take_returns(proc);
        for syscall in syscalls {
            proc.push(syscall);
        }
        self.run();
        take_returns(proc)
    }

    /// One syscall as process `p`; returns its return value.
    pub fn syscall(&self, p: usize, syscall: Syscall) -> SyscallReturn {
        let mut r = self.syscalls(p, vec![syscall]);
        assert_eq!(r.len(), 1, "expected one return value, got {r:?}");
        r.remove(0)
    }

    /// Advances the fake clock by `ms` milliseconds, one millisecond at a
    /// time, running the kernel loop after each step (so alarms fire as
    /// interrupts serviced by the kernel).
    pub fn advance_ms(&self, ms: u64) {
        let alarm = self.chip.alarm.expect("world has no alarm");
        for _ in 0..ms {
            alarm.now.set(alarm.now.get().wrapping_add(1));
            self.run();
        }
    }
}

/// `command(driver, num, a, b)`.
pub fn command(driver: usize, num: usize, a: usize, b: usize) -> Syscall {
    Syscall::Command {
        driver_number: driver,
        subdriver_number: num,
        arg0: a,
        arg1: b,
    }
}

/// Subscribe with a (fake, non-null) function pointer.
pub fn subscribe(driver: usize, num: usize) -> Syscall {
    Syscall::Subscribe {
        driver_number: driver,
        subdriver_number: num,
        upcall_ptr: CapabilityPtr::from(0x1000usize + num * 4),
        appdata: CapabilityPtr::from(0usize),
    }
}

/// Read-only allow of process RAM `[offset, offset+len)` (len 0 = unallow).
pub fn allow_ro(p: &FakeProcess, driver: usize, num: usize, offset: usize, len: usize) -> Syscall {
    Syscall::ReadOnlyAllow {
        driver_number: driver,
        subdriver_number: num,
        allow_address: if len == 0 {
            core::ptr::null()
        } else {
            p.ram_ptr(offset)
        },
        allow_size: len,
    }
}

/// Read-write allow of process RAM `[offset, offset+len)` (len 0 = unallow).
pub fn allow_rw(p: &FakeProcess, driver: usize, num: usize, offset: usize, len: usize) -> Syscall {
    Syscall::ReadWriteAllow {
        driver_number: driver,
        subdriver_number: num,
        allow_address: if len == 0 {
            core::ptr::null_mut()
        } else {
            p.ram_ptr(offset)
        },
        allow_size: len,
    }
}

/// `exit-terminate(code)`.
pub fn exit_terminate(code: usize) -> Syscall {
    Syscall::Exit {
        which: 0,
        completion_code: code,
    }
}

/// `exit-restart(code)`.
pub fn exit_restart(code: usize) -> Syscall {
    Syscall::Exit {
        which: 1,
        completion_code: code,
    }
}
