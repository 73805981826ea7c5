//! Minimal Cortex-M start-up: vector table, reset handler (initialise `.data`
//! and `.bss`, then run the benchmark), fault handler and panic handler.
use core::ptr;

use crate::semihosting;

extern "C" {
    static mut __sbss: u32;
    static mut __ebss: u32;
    static mut __sdata: u32;
    static mut __edata: u32;
    static __sidata: u32;
}

/// Entry point after reset (the stack pointer is already loaded from the
/// first word of the vector table).
///
/// # Safety
/// Called once, by the hardware, before any Rust code has run.
#[no_mangle]
pub unsafe extern "C" fn reset_handler() -> ! {
    // SAFETY: the linker script defines these symbols as word-aligned bounds
    // of `.bss` and `.data` in RAM and of `.data`'s load image in flash;
    // nothing else runs yet, so writing them cannot race or alias.
    unsafe {
        let mut p = ptr::addr_of_mut!(__sbss);
        while p < ptr::addr_of_mut!(__ebss) {
            ptr::write_volatile(p, 0);
            p = p.add(1);
        }
        let mut d = ptr::addr_of_mut!(__sdata);
        let mut s = ptr::addr_of!(__sidata);
        while d < ptr::addr_of_mut!(__edata) {
            ptr::write_volatile(d, ptr::read_volatile(s));
            d = d.add(1);
            s = s.add(1);
        }
    }
    extern "Rust" {
        fn firmware_main() -> !;
    }
    // SAFETY: every firmware binary of this crate defines `firmware_main`
    // with exactly this signature.
    unsafe { firmware_main() }
}

extern "C" fn fault_handler() -> ! {
    semihosting::print("error: CPU fault or unexpected exception\n");
    semihosting::exit(false)
}

/// Exceptions 1..=15 of the ARMv7-M vector table (entry 0, the initial stack
/// pointer, is written by the linker script).
#[link_section = ".vectors.exceptions"]
#[used]
static EXCEPTIONS: [unsafe extern "C" fn() -> !; 15] = [
    reset_handler,
    fault_handler, // NMI
    fault_handler, // HardFault
    fault_handler, // MemManage
    fault_handler, // BusFault
    fault_handler, // UsageFault
    fault_handler,
    fault_handler,
    fault_handler,
    fault_handler,
    fault_handler, // SVCall
    fault_handler, // DebugMonitor
    fault_handler,
    fault_handler, // PendSV
    fault_handler, // SysTick
];

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    use core::fmt::Write;
    let mut out = semihosting::Writer::new();
    let _ = writeln!(out, "error: panic: {info}");
    drop(out);
    semihosting::exit(false)
}
