//! Interrupt dispatch, tolerating the 16550 UART's spurious interrupts.
//!
//! The problem. Tock 2.2's own qemu_rv32_virt board can panic at boot with
//! `UART 16550: interrupt without interrupt`. Tock claims a PLIC interrupt
//! in the trap handler, the moment it arrives, but services it later, from
//! the main loop. In between, the 16550 can stop reporting it: its
//! "transmit holding register empty" (THRE) indication is cleared by any
//! read of IIR that reports it and by the next write to THR, and the
//! console, the debug writer and Tock's own UART driver write THR and read
//! IIR all the time (a transmission completing in the service of one
//! interrupt starts the next transmission at once). `Uart16550::new` also
//! enables every UART interrupt source (IER = 0xF) while THR is empty, so a
//! THRE request is raised before the kernel has set anything up. So the
//! kernel can be handed a UART interrupt for which IIR says "no interrupt
//! pending"; Tock's `Uart16550::handle_interrupt` treats that as impossible
//! and panics.
//!
//! What we do. The chip (`QemuRv32VirtChip`) is generic over the
//! `InterruptService` that handles PLIC interrupts, so this board passes
//! [`BoardInterrupts`] instead of the default peripherals. For the UART it
//! reads IIR first:
//!
//! * nothing pending: the interrupt is spurious; it is counted and dropped
//!   (the chip still completes it at the PLIC);
//! * THRE pending: our read just cleared it, so it is re-armed (THRI off and
//!   on while THR is empty makes the UART raise it again) before Tock's
//!   handler runs and reads IIR itself;
//! * anything else (receive, line status, …): stays pending until handled,
//!   so Tock's handler sees it as is.
//!
//! Every other interrupt goes to the default peripherals unchanged.
//!
//! The cargo feature `tock-uart-interrupts` turns the check off, leaving
//! Tock's handling alone; the end-to-end scenario `spurious-uart-regression`
//! runs that kernel to show that it does panic.

use core::cell::Cell;

use kernel::platform::chip::InterruptService;
use qemu_rv32_virt_chip::chip::QemuRv32VirtDefaultPeripherals;

use crate::uart_regs::{self, Pending};

/// PLIC source number of UART0 on the virt machine.
const UART0_IRQ: u32 = 10;

/// The board's PLIC interrupt service (see the module docs).
pub struct BoardInterrupts<'a> {
    peripherals: &'a QemuRv32VirtDefaultPeripherals<'a>,
    /// Number of spurious UART interrupts dropped so far (saturating). This
    /// includes the requests latched by our own re-arming of THRE when
    /// Tock's handler then consumed the indication first.
    spurious_uart: Cell<u32>,
}

impl<'a> BoardInterrupts<'a> {
    /// Wraps the chip's default peripherals.
    pub fn new(peripherals: &'a QemuRv32VirtDefaultPeripherals<'a>) -> Self {
        Self {
            peripherals,
            spurious_uart: Cell::new(0),
        }
    }

    /// How many spurious UART interrupts were dropped so far.
    pub fn spurious_uart_count(&self) -> u32 {
        self.spurious_uart.get()
    }
}

impl InterruptService for BoardInterrupts<'_> {
    unsafe fn service_interrupt(&self, interrupt: u32) -> bool {
        if interrupt == UART0_IRQ && !cfg!(feature = "tock-uart-interrupts") {
            match uart_regs::read_pending() {
                Pending::Nothing => {
                    self.spurious_uart
                        .set(self.spurious_uart.get().saturating_add(1));
                    return true;
                }
                Pending::TransmitEmpty => uart_regs::rearm_transmit_empty(),
                Pending::Other => {}
            }
        }
        // SAFETY: forwarded from the chip's interrupt handling, which calls
        // this in the main loop with the contract of `service_interrupt`.
        self.peripherals.service_interrupt(interrupt)
    }
}
