//! Ending a QEMU run by itself: the virt machine's test finisher.
//!
//! QEMU's riscv `virt` machine has a SiFive test device ("test finisher") at
//! 0x100000. Writing `0x5555` to it ends QEMU with exit status 0; writing
//! `(code << 16) | 0x3333` ends it with exit status `code`. Three things use
//! it:
//!
//! * the panic handler ([`crate::io`]): status [`ExitCode::KernelPanic`];
//! * [`TestExitDriver`], a system call driver (number [`DRIVER_NUM`]) so an
//!   app can end the run with a pass or a failure code of its choosing;
//! * [`ExitWhenIdle`], which polls the processes on an alarm and ends the run
//!   once no process can run any more (all exited or faulted, or none was
//!   loaded). It prints a line per process and the number of spurious UART
//!   interrupts the board dropped ([`crate::interrupts`]), then exits with 0 if
//!   every process exited with completion code 0, and with
//!   [`ExitCode::AppFailed`] otherwise.
//!
//! Exit statuses seen by the caller of QEMU: 0 pass; 1 kernel panic; 2 a
//! process faulted or exited with a non-zero code; 3..=255 chosen by an app
//! through the driver.

use core::cell::Cell;
use core::fmt::Write;

use kernel::capabilities::ProcessManagementCapability;
use kernel::grant::{AllowRoCount, AllowRwCount, Grant, UpcallCount};
use kernel::hil::time::{Alarm, AlarmClient, ConvertTicks};
use kernel::process::State;
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::{ErrorCode, ProcessId};

use crate::interrupts::BoardInterrupts;

/// System call driver number of [`TestExitDriver`]. Tock reserves no range
/// for out-of-tree drivers; the femto-container capsule uses 0xA0000, this
/// board-only driver takes 0xA00FF.
pub const DRIVER_NUM: usize = 0xA00FF;

/// Address of the SiFive test finisher on QEMU's virt machine.
const FINISHER: usize = 0x10_0000;
/// Finisher command: pass (QEMU exits with status 0).
const FINISHER_PASS: u32 = 0x5555;
/// Finisher command: fail; the exit status goes in bits 16..32.
const FINISHER_FAIL: u32 = 0x3333;

/// How a run ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExitCode {
    /// Everything passed: QEMU exits with 0.
    Pass,
    /// The kernel panicked: QEMU exits with 1.
    KernelPanic,
    /// A process faulted or exited with a non-zero completion code: 2.
    AppFailed,
    /// An app asked for this failure status (3..=255) through the driver.
    AppChose(u8),
}

impl ExitCode {
    /// The value written to the finisher.
    fn finisher_value(self) -> u32 {
        let fail = |status: u32| (status << 16) | FINISHER_FAIL;
        match self {
            ExitCode::Pass => FINISHER_PASS,
            ExitCode::KernelPanic => fail(1),
            ExitCode::AppFailed => fail(2),
            ExitCode::AppChose(status) => fail(u32::from(status)),
        }
    }
}

/// Ends QEMU now with `code`.
pub fn exit(code: ExitCode) -> ! {
    // SAFETY: FINISHER is the virt machine's test device, mapped in machine
    // mode (inside the ePMP MMIO region set up in main.rs); a 32-bit volatile
    // write is its documented interface. QEMU stops when it sees the write.
    unsafe { core::ptr::write_volatile(FINISHER as *mut u32, code.finisher_value()) };
    // Not reached under QEMU. On anything without a finisher, stop here.
    loop {
        rv32i::support::nop();
    }
}

/// System call driver that lets an app end the run.
///
/// * command 0: exists;
/// * command 1, argument 1 = status: end the run now. Status 0 means pass;
///   3..=255 end QEMU with that exit status; 1, 2 and values above 255 are
///   refused with `INVAL` (1 and 2 are reserved for the kernel's own
///   verdicts) and nothing happens.
pub struct TestExitDriver {
    /// No per-process state; a grant only so the kernel can account for the
    /// driver like any other.
    _grant: Grant<(), UpcallCount<0>, AllowRoCount<0>, AllowRwCount<0>>,
}

impl TestExitDriver {
    /// Creates the driver.
    pub fn new(grant: Grant<(), UpcallCount<0>, AllowRoCount<0>, AllowRwCount<0>>) -> Self {
        Self { _grant: grant }
    }
}

impl SyscallDriver for TestExitDriver {
    fn command(&self, command: usize, status: usize, _: usize, _: ProcessId) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => match status {
                0 => exit(ExitCode::Pass),
                3..=255 => match u8::try_from(status) {
                    Ok(status) => exit(ExitCode::AppChose(status)),
                    Err(_) => CommandReturn::failure(ErrorCode::INVAL),
                },
                _ => CommandReturn::failure(ErrorCode::INVAL),
            },
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, _: ProcessId) -> Result<(), kernel::process::Error> {
        Ok(())
    }
}

/// Milliseconds between two looks at the processes.
const POLL_MS: u32 = 50;
/// Milliseconds to wait, once no process can run, before the summary: lets
/// the console and debug output already queued reach the UART.
const DRAIN_MS: u32 = 200;

/// Where [`ExitWhenIdle`] is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for the processes to finish.
    Watching,
    /// No process can run; waiting for queued output to drain.
    Draining,
}

/// Ends the run once no process can run any more (see the module docs).
pub struct ExitWhenIdle<'a, A: Alarm<'a>, C: ProcessManagementCapability> {
    alarm: &'a A,
    kernel: &'static kernel::Kernel,
    capability: C,
    interrupts: &'a BoardInterrupts<'a>,
    phase: Cell<Phase>,
}

impl<'a, A: Alarm<'a>, C: ProcessManagementCapability> ExitWhenIdle<'a, A, C> {
    /// Creates the watcher; call [`ExitWhenIdle::start`] after setting it as
    /// the alarm's client.
    pub fn new(
        alarm: &'a A,
        kernel: &'static kernel::Kernel,
        capability: C,
        interrupts: &'a BoardInterrupts<'a>,
    ) -> Self {
        Self {
            alarm,
            kernel,
            capability,
            interrupts,
            phase: Cell::new(Phase::Watching),
        }
    }

    /// Starts polling.
    pub fn start(&self) {
        self.arm(POLL_MS);
    }

    fn arm(&self, ms: u32) {
        let now = self.alarm.now();
        self.alarm.set_alarm(now, self.alarm.ticks_from_ms(ms));
    }

    /// True if some process may still run (or is stopped and may be resumed).
    fn any_alive(&self) -> bool {
        let mut alive = false;
        self.kernel
            .process_each_capability(&self.capability, |process| match process.get_state() {
                State::Terminated | State::Faulted => {}
                State::Running | State::Yielded | State::YieldedFor(_) | State::Stopped(_) => {
                    alive = true
                }
            });
        alive
    }

    /// Prints one line per process and the verdict, then ends the run.
    fn finish(&self) -> ! {
        let mut out = crate::io::Writer;
        let mut all_ok = true;
        let mut count = 0usize;
        self.kernel
            .process_each_capability(&self.capability, |process| {
                count += 1;
                let name = process.get_process_name();
                let state = process.get_state();
                match (state, process.get_completion_code()) {
                    (State::Terminated, Some(Some(0))) => {
                        let _ = write!(out, "[test-exit] {}: exited with 0\r\n", name);
                    }
                    (State::Terminated, Some(Some(code))) => {
                        all_ok = false;
                        let _ = write!(out, "[test-exit] {}: exited with {}\r\n", name, code);
                    }
                    (State::Faulted, _) => {
                        all_ok = false;
                        let _ = write!(out, "[test-exit] {}: faulted\r\n", name);
                    }
                    (other, _) => {
                        all_ok = false;
                        let _ = write!(out, "[test-exit] {}: {:?}\r\n", name, other);
                    }
                }
            });
        let _ = write!(
            out,
            "[test-exit] spurious UART interrupts dropped: {}\r\n",
            self.interrupts.spurious_uart_count()
        );
        let verdict = if all_ok { ExitCode::Pass } else { ExitCode::AppFailed };
        let _ = write!(
            out,
            "[test-exit] {} process(es), all done: {}\r\n",
            count,
            if all_ok { "pass" } else { "FAIL" }
        );
        exit(verdict)
    }
}

impl<'a, A: Alarm<'a>, C: ProcessManagementCapability> AlarmClient for ExitWhenIdle<'a, A, C> {
    fn alarm(&self) {
        match self.phase.get() {
            Phase::Watching => {
                if self.any_alive() {
                    self.arm(POLL_MS);
                } else {
                    self.phase.set(Phase::Draining);
                    self.arm(DRAIN_MS);
                }
            }
            Phase::Draining => self.finish(),
        }
    }
}
