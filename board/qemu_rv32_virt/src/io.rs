//! Panic output and the panic handler.
//!
//! A kernel panic prints Tock's usual report (message, CPU state, processes)
//! straight to the UART, then ends QEMU through the test finisher with a
//! failure code, so that an automated run stops at once and fails.

use core::fmt::Write;
use core::panic::PanicInfo;
use core::ptr::{addr_of, addr_of_mut};

use kernel::debug::IoWrite;

use crate::test_exit::{self, ExitCode};
use crate::uart_regs;

/// Synchronous writer on the virt machine's 16550 UART, for panics and for
/// the end-of-run summary (see [`crate::test_exit`]).
pub struct Writer;

/// The writer used by the panic handler. A `static mut` because Tock's
/// `panic_print` takes `&mut`; it is only touched by the panic handler,
/// which runs once and never returns.
static mut WRITER: Writer = Writer;

impl Write for Writer {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.write(s.as_bytes());
        Ok(())
    }
}

impl IoWrite for Writer {
    fn write(&mut self, buf: &[u8]) -> usize {
        for &byte in buf {
            uart_regs::write_byte_sync(byte);
        }
        buf.len()
    }
}

/// Panic handler: print the panic report, then end QEMU with a failure code.
///
/// # Safety
///
/// Called only by the Rust runtime on a panic; it never returns.
#[cfg(not(test))]
#[no_mangle]
#[panic_handler]
pub unsafe fn panic_fmt(info: &PanicInfo) -> ! {
    // SAFETY: the panic handler runs once, with nothing else running, so this
    // is the only reference to WRITER; the statics read here were set during
    // boot and are only read from now on.
    let writer = &mut *addr_of_mut!(WRITER);
    kernel::debug::panic_print(
        writer,
        info,
        &rv32i::support::nop,
        &*addr_of!(crate::PROCESSES),
        &*addr_of!(crate::CHIP),
        &*addr_of!(crate::PROCESS_PRINTER),
    );
    test_exit::exit(ExitCode::KernelPanic)
}
