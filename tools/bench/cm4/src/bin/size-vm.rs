//! Size probe with the VM: parses an image, verifies and translates it, runs
//! it (the kernel's load and run paths: image parser, verifier, translator,
//! interpreter with a dynamic helper table), and reports, over semihosting, the sizes of the VM's
//! per-container and per-run structures and the stack a run uses. Its text
//! minus `size-base`'s is the VM's code size (see `tools/bench/size.sh`).
#![cfg_attr(target_os = "none", no_std, no_main)]

#[cfg(target_os = "none")]
mod probe {
    use core::hint::black_box;
    use core::mem::size_of;

    use femto_bench_cm4::probe;
    use femto_bench_cm4::semihosting::exit;
    use femto_bench_programs as programs;
    use femto_vm::{helpers, Error, Helpers, Image, Memory, Program, Region};

    struct DynHelpers;
    impl Helpers for DynHelpers {
        fn call(&mut self, id: u32, args: [u64; 5], _m: &mut Memory<'_>) -> Result<u64, Error> {
            match id {
                1 => Ok(args[0]),
                _ => Err(helpers::unknown(id)),
            }
        }
    }

    #[inline(never)]
    fn load_and_run(
        image: &mut [u8],
        text: &mut [u8],
        ctx: &mut [u8],
        stack: &mut [u8],
        data: &mut [u8],
    ) -> u64 {
        let mut dyn_helpers = DynHelpers;
        let helpers: &mut dyn Helpers = black_box(&mut dyn_helpers);
        // The load path as the capsule has it: image parser, verifier and
        // translator (`translate_image`), then the image parsed again.
        let mut status = 0u64;
        let translated = femto_vm::translate_image(image);
        match translated.and_then(|()| Image::parse(image)) {
            Ok(img) => {
                // Verified by `translate_image`: the translated text is run
                // without verifying again (it would not pass: it has
                // internal opcodes).
                let config = img.verifier_config();
                let p = Program::assume_verified(img.text(), &config);
                let entry = img.function(b"main").unwrap_or(0);
                let len = img.data_region_len().min(data.len());
                if img.init_data(&mut data[..len]).is_ok() {
                    let mut m = Memory::new();
                    m.map_stack(&mut *stack);
                    m.map_data(&mut data[..len]);
                    m.map_rodata(img.rodata());
                    status = p.run(entry as usize, &mut m, helpers, 1000).unwrap_or(1);
                }
            }
            Err(e) => status = u64::from(e.pc().unwrap_or(0)) + 2,
        }
        // The run path on a raw, verified program with a context region.
        let cfg = femto_vm::VerifierConfig::default();
        match femto_vm::verify_translated(text, &cfg) {
            Ok(p) => {
                let mut m = Memory::new();
                m.map_stack(&mut *stack);
                let base = m
                    .map_extra(Region::ReadOnly(&programs::FLETCHER32_INPUT[..]))
                    .unwrap_or(0);
                ctx[..8].copy_from_slice(&base.to_le_bytes());
                ctx[8..12].copy_from_slice(&180u32.to_le_bytes());
                m.map_context_ro(ctx);
                status ^ p.run(0, &mut m, helpers, 100_000).unwrap_or(3)
            }
            Err(_) => status ^ 4,
        }
    }

    pub fn main() -> ! {
        let image: &mut [u8] = black_box(&mut []);
        // The program in RAM, as the kernel keeps containers (translated in place).
        let mut text_buf = [0u8; 512];
        let n = programs::FLETCHER32.len().min(text_buf.len());
        text_buf[..n].copy_from_slice(&programs::FLETCHER32[..n]);
        let text: &mut [u8] = black_box(&mut text_buf[..n]);
        // The VM's buffers live in this frame, above the painted area, so
        // that only the VM's own use of the kernel stack is measured.
        let mut ctx = [0u8; 16];
        let mut stack = [0u8; 512];
        let mut data = [0u8; 64];
        let top = probe::sp() - 256;
        probe::paint(top);
        let r = load_and_run(image, text, &mut ctx, &mut stack, &mut data);
        // The capsule's per-container record without its image/data bytes
        // (`Slot<0>`), and a process's state with no slot and no stack.
        type Slot0 = capsules_femto::state::Slot<0>;
        type Proc0 = capsules_femto::state::ProcessState<0, 0, 0>;
        probe::report(
            r,
            &[
                ("stack", "load_and_run", probe::used(top)),
                ("sizeof", "Memory", size_of::<Memory<'_>>()),
                ("sizeof", "Program", size_of::<Program<'_>>()),
                ("sizeof", "Image", size_of::<Image<'_>>()),
                ("sizeof", "Slot0", size_of::<Slot0>()),
                ("sizeof", "ProcessState000", size_of::<Proc0>()),
            ],
        );
        // The empty image fails to parse (status 2); the raw run yields the checksum.
        exit(r == (u64::from(programs::FLETCHER32_EXPECTED) ^ 2))
    }
}

#[cfg(target_os = "none")]
#[no_mangle]
fn firmware_main() -> ! {
    probe::main()
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("size-vm is firmware for thumbv7em-none-eabi (see tools/bench/size.sh)");
}
