//! Bare-metal Cortex-M4 benchmark firmware for femto-vm.
//!
//! Runs under `qemu-system-arm -machine mps2-an386 -semihosting` with the
//! `insn_count` TCG plugin (`tools/bench/qemu-plugin`): each measured section
//! is bracketed by two *marks* (a load from the plugin's mark window), and the
//! plugin reports the executed-instruction count at every mark. The firmware
//! prints, over semihosting, which marks bracket which section; `run.sh`
//! combines both. See `doc/performance.md`.
//!
//! On a hosted target this binary only explains how to build it.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod bench;
#[cfg(target_os = "none")]
mod tock;

/// Entry point, called by the reset handler.
#[cfg(target_os = "none")]
#[no_mangle]
fn firmware_main() -> ! {
    bench::main()
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "femto-bench-cm4 is firmware for thumbv7em-none-eabi: build it with \
         `cargo build -p femto-bench-cm4 --release --target thumbv7em-none-eabi` \
         and run it with tools/bench/run.sh"
    );
}
