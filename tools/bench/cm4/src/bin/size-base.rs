//! Size probe without the VM: the same start-up, console and exit code as
//! `size-vm`, so that `size-vm` minus `size-base` is the VM's footprint
//! (see `tools/bench/size.sh`).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[no_mangle]
fn firmware_main() -> ! {
    use core::fmt::Write;
    use femto_bench_cm4::semihosting::{exit, Writer};
    let x = core::hint::black_box(0u64);
    // Reachable panics (formatted, bounds check, slice range), as the kernel
    // has them anyway: the shared panic and formatting code then counts in
    // both probes, not as VM code.
    let table = [1u8, 2, 3, 4];
    let i = core::hint::black_box(x as usize);
    if x == 7 {
        panic!("unexpected {x}");
    }
    let x = x + u64::from(table[i]) + core::hint::black_box(&table[i..]).len() as u64;
    let mut out = Writer::new();
    let _ = writeln!(out, "result {x}");
    drop(out);
    exit(true)
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("size-base is firmware for thumbv7em-none-eabi (see tools/bench/size.sh)");
}
