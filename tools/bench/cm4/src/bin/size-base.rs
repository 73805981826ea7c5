//! Size probe without the VM: the same start-up, console, panic, exit,
//! stack-painting and report code as `size-vm`, so that `size-vm` minus
//! `size-base` is the VM's footprint (see `tools/bench/size.sh`).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
#[no_mangle]
fn firmware_main() -> ! {
    use core::hint::black_box;
    use femto_bench_cm4::probe;
    use femto_bench_cm4::semihosting::exit;

    let x = black_box(0u64);
    // Reachable panics (formatted, bounds check, slice range), as the kernel
    // has them anyway: the shared panic and formatting code then counts in
    // both probes, not as VM code.
    let table = [1u8, 2, 3, 4];
    let i = black_box(x as usize);
    if x == 7 {
        panic!("unexpected {x}");
    }
    let top = probe::sp() - 256;
    probe::paint(top);
    // The benchmark data the VM probe runs on (the Fletcher32 program and its
    // input) is in both probes, so that it does not count as VM size.
    let data = black_box(femto_bench_programs::FLETCHER32).len()
        + black_box(&femto_bench_programs::FLETCHER32_INPUT[..]).len();
    let r = x + u64::from(table[i]) + black_box(&table[i..]).len() as u64 + data as u64;
    let n = |v: usize| black_box(v);
    probe::report(
        r,
        &[
            ("stack", "load_and_run", probe::used(top)),
            ("sizeof", "Memory", n(1)),
            ("sizeof", "Program", n(2)),
            ("sizeof", "Image", n(3)),
            ("sizeof", "Slot0", n(4)),
            ("sizeof", "ProcessState000", n(5)),
        ],
    );
    exit(true)
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("size-base is firmware for thumbv7em-none-eabi (see tools/bench/size.sh)");
}
