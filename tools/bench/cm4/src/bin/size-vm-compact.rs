//! Size probe with the compact VM: `femto_vm::compact`, as a kernel built
//! with the capsule's `compact-vm` feature uses it (image parser, verifier,
//! compact interpreter; no translation); see `femto_bench_cm4::vm_probe` and
//! `tools/bench/size.sh`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[no_mangle]
fn firmware_main() -> ! {
    femto_bench_cm4::vm_probe::main::<true>()
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("size-vm-compact is firmware for thumbv7em-none-eabi (see tools/bench/size.sh)");
}
