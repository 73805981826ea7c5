//! Interrupt dispatch, tolerating the 16550 UART's spurious interrupts.
//!
//! The problem. Tock 2.2's own qemu_rv32_virt board can panic at boot with
//! `UART 16550: interrupt without interrupt`. The UART's interrupt line goes
//! through the PLIC, whose gateway latches a request as *pending* when the
//! line is raised and keeps it until the kernel claims it, whether or not the
//! UART still wants service by then. Tock claims in the trap handler but
//! services later, from the main loop; in between (and between an earlier
//! service and the claim) the condition can go away in the UART itself:
//!
//! * a "transmit holding register empty" (THRE) indication is cleared by any
//!   read of IIR that reports it, and by the next write to THR;
//! * `Uart16550::new` enables all UART interrupt sources (IER = 0xF) while
//!   THR is empty, so a THRE request is latched before the kernel has set up
//!   anything, and the console then writes to THR again and again.
//!
//! So the PLIC can hand the kernel a UART interrupt for which IIR says "no
//! interrupt pending". Tock's `Uart16550::handle_interrupt` treats that as
//! impossible and panics.
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
        if interrupt == UART0_IRQ {
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
