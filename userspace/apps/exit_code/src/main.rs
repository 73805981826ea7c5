//! Test app for the QEMU end-to-end tests: the QEMU board's test-exit
//! driver (0xA00FF, board/qemu_rv32_virt/src/test_exit.rs).
//!
//! 1. command 0: the driver is present;
//! 2. command 1 with status 1 must be refused (1 is reserved for kernel
//!    panics);
//! 3. command 1 with status 42 ends QEMU at once with exit status 42 — the
//!    scenario `test-exit-driver` checks that status;
//! 4. if the app is still running after that, it says so and fails.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::console::Console;
use libtock::platform::{ErrorCode, Syscalls};
use libtock::runtime::{set_main, stack_size, TockSyscalls};

set_main! {main}
stack_size! {0x400}

/// The QEMU board's test-exit driver.
const DRIVER: u32 = 0xA00FF;
/// Command: end the run with the status in argument 1.
const EXIT: u32 = 1;

fn main() -> Result<(), ErrorCode> {
    let mut out = Console::writer();
    if TockSyscalls::command(DRIVER, 0, 0, 0).is_success() {
        let _ = writeln!(out, "exit_code: driver present");
    } else {
        let _ = writeln!(out, "exit_code: no test-exit driver");
        return Err(ErrorCode::NoDevice);
    }
    match TockSyscalls::command(DRIVER, EXIT, 1, 0).get_failure() {
        Some(e) => {
            let _ = writeln!(out, "exit_code: status 1 refused: {:?}", e);
        }
        None => {
            let _ = writeln!(out, "exit_code: status 1 was accepted?!");
            return Err(ErrorCode::Fail);
        }
    }
    let _ = writeln!(out, "exit_code: ending the run with status 42");
    let _ = TockSyscalls::command(DRIVER, EXIT, 42, 0);
    let _ = writeln!(out, "exit_code: still running?!");
    Err(ErrorCode::Fail)
}
