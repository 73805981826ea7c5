//! Size probe with the VM: the main interpreter, as the kernel uses it by
//! default (image parser, verifier, translator, interpreter); see
//! `femto_bench_cm4::vm_probe` and `tools/bench/size.sh`.
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[no_mangle]
fn firmware_main() -> ! {
    femto_bench_cm4::vm_probe::main::<false>()
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("size-vm is firmware for thumbv7em-none-eabi (see tools/bench/size.sh)");
}
