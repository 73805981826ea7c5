//! Direct access to a few registers of the virt machine's 16550 UART.
//!
//! Tock's `Uart16550` driver keeps its registers private. The board needs to
//! look at the UART without going through the driver in two places: to tell
//! a real UART interrupt from a spurious one ([`crate::interrupts`]) and to
//! write the panic report and the end-of-run summary synchronously
//! ([`crate::io`]). Register offsets are those of the 16550 (byte registers,
//! no shift on QEMU's virt machine); the divisor latch is never selected
//! while these functions run (Tock only selects it inside `configure`).

/// Base address of UART0 on QEMU's riscv32 virt machine.
const UART0_BASE: usize = 0x1000_0000;
/// Offset of THR (transmit holding register, write) / RBR (read).
const THR: usize = 0;
/// Offset of IER (interrupt enable register).
const IER: usize = 1;
/// Offset of IIR (interrupt identification register, read).
const IIR: usize = 2;
/// Offset of LSR (line status register).
const LSR: usize = 5;

/// IER bit: received data available interrupt enabled.
const IER_RDI: u8 = 1 << 0;
/// IER bit: transmitter holding register empty interrupt enabled.
pub const IER_THRI: u8 = 1 << 1;
/// IIR bit 0: *clear* when an interrupt is pending.
const IIR_NO_INTERRUPT: u8 = 1 << 0;
/// IIR bits 1..=3: interrupt identification.
const IIR_ID_MASK: u8 = 0b1110;
/// IIR identification: transmitter holding register empty.
const IIR_ID_THRE: u8 = 0b0010;
/// LSR bit: the transmit holding register is empty.
const LSR_THRE: u8 = 1 << 5;

fn read(offset: usize) -> u8 {
    // SAFETY: UART0_BASE + offset (offset < 8) is a byte register of the
    // virt machine's 16550 UART, always mapped and readable in machine mode;
    // a volatile read is how MMIO must be accessed.
    unsafe { core::ptr::read_volatile((UART0_BASE + offset) as *const u8) }
}

fn write(offset: usize, value: u8) {
    // SAFETY: as in `read`; the registers written here (THR, IER) are
    // writable byte registers of the UART.
    unsafe { core::ptr::write_volatile((UART0_BASE + offset) as *mut u8, value) }
}

/// Disables the "received data available" interrupt. Tock's `Uart16550`
/// enables every interrupt source when it is created, including this one,
/// although it holds no receive buffer until a client asks to receive (its
/// `receive_buffer` enables the interrupt, and disables it again once the
/// buffer is full). A byte arriving on the console before the first receive
/// would then make its handler panic ("UART 16550: no rx buffer"): e.g. an
/// update frame sent to the updater app a moment before the app's first
/// console read. Called once at boot, after the UART is set up.
pub fn disable_receive_interrupt() {
    let ier = read(IER);
    if ier & IER_RDI != 0 {
        write(IER, ier & !IER_RDI);
    }
}

/// What reading IIR told us.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pending {
    /// No interrupt is pending in the UART.
    Nothing,
    /// A "transmit holding register empty" interrupt was pending. Reading
    /// IIR has cleared it.
    TransmitEmpty,
    /// Another interrupt (receive, line or modem status, timeout) is pending;
    /// these stay pending until their cause is handled.
    Other,
}

/// Reads IIR (which clears a pending "transmit empty" indication, as on
/// every 16550) and classifies the result.
pub fn read_pending() -> Pending {
    let iir = read(IIR);
    if iir & IIR_NO_INTERRUPT != 0 {
        Pending::Nothing
    } else if iir & IIR_ID_MASK == IIR_ID_THRE {
        Pending::TransmitEmpty
    } else {
        Pending::Other
    }
}

/// Re-arms the "transmit empty" interrupt after [`read_pending`] consumed it:
/// a 16550 raises it again when THRI is enabled while THR is empty.
pub fn rearm_transmit_empty() {
    let ier = read(IER);
    if ier & IER_THRI != 0 && read(LSR) & LSR_THRE != 0 {
        write(IER, ier & !IER_THRI);
        write(IER, ier);
    }
}

/// Writes one byte, busy-waiting until the transmitter can take it.
pub fn write_byte_sync(byte: u8) {
    while read(LSR) & LSR_THRE == 0 {}
    write(THR, byte);
}
