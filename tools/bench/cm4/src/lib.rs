//! Bare-metal support shared by the Cortex-M4 firmware images of the
//! benchmark (`femto-bench-cm4`, the benchmark itself, and the `size-*`
//! probes used by `tools/bench/size.sh`): start-up code, semihosting console
//! and exit, and marks for the `insn_count` QEMU plugin.
//!
//! Each binary defines `#[no_mangle] fn firmware_main() -> !`, which the reset
//! handler calls once `.data` and `.bss` are initialised.
//!
//! On a hosted target this library is empty.
#![no_std]

#[cfg(target_os = "none")]
pub mod mark;
#[cfg(target_os = "none")]
pub mod probe;
#[cfg(target_os = "none")]
pub mod rt;
#[cfg(target_os = "none")]
pub mod semihosting;
#[cfg(target_os = "none")]
pub mod vm_probe;
