//! Shared by the size probes (`size-base`, `size-vm`): stack painting and the
//! report, so that both probes contain exactly the same non-VM code.
use core::fmt::Write;

use crate::semihosting::Writer;

/// Bytes below the stack pointer that [`paint`] fills and [`used`] scans.
pub const PAINT: usize = 16 * 1024;
const PATTERN: u32 = 0xdead_beef;

/// The current stack pointer.
#[inline(always)]
pub fn sp() -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer into a register; no memory access.
    unsafe { core::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack)) };
    sp
}

/// Fills `PAINT` bytes below `top`, which must lie at least 256 bytes below
/// the caller's stack pointer (this function's own frame is smaller).
#[inline(never)]
pub fn paint(top: usize) {
    let mut p = top - PAINT;
    while p < top {
        // SAFETY: [top - PAINT, top) is unused stack below the caller's frame
        // and far above `.bss` (16 KiB out of 4 MiB of RAM).
        unsafe { core::ptr::write_volatile(p as *mut u32, PATTERN) };
        p += 4;
    }
}

/// Bytes of [top - PAINT, top) overwritten since `paint(top)`.
#[inline(never)]
pub fn used(top: usize) -> usize {
    let mut p = top - PAINT;
    // SAFETY: same region as `paint`; reading it has no effect.
    while p < top && unsafe { core::ptr::read_volatile(p as *const u32) } == PATTERN {
        p += 4;
    }
    top - p
}

/// Prints `result <r:#x>` and one `<kind> <name> <value>` line per entry.
#[inline(never)]
pub fn report(result: u64, entries: &[(&str, &str, usize)]) {
    let mut out = Writer::new();
    let _ = writeln!(out, "result {result:#x}");
    for (kind, name, value) in entries {
        let _ = writeln!(out, "{kind} {name} {value}");
    }
}
