//! The body of the VM size probes, `size-vm` (the main interpreter, with
//! translation) and `size-vm-compact` (`femto_vm::compact`, no
//! translation): the kernel's load and run paths — image parser, verifier,
//! translator if used, interpreter with a dynamic helper table, the address
//! space built as the capsule builds it (`Memory::for_container`) — and a
//! report, over semihosting, of the sizes of the VM's per-container and
//! per-run structures and of the stack a run uses. A probe's text minus
//! `size-base`'s is the VM's code size (see `tools/bench/size.sh`).
use core::hint::black_box;
use core::mem::size_of;

use femto_bench_programs as programs;
use femto_vm::memory::{vaddr, REGION_RODATA};
use femto_vm::{helpers, Error, Helpers, Image, Memory, Program, Region};

use crate::probe;
use crate::semihosting::exit;

struct DynHelpers;
impl Helpers for DynHelpers {
    fn call(&mut self, id: u32, args: [u64; 5], _m: &mut Memory<'_>) -> Result<u64, Error> {
        match id {
            1 => Ok(args[0]),
            _ => Err(helpers::unknown(id)),
        }
    }
}

/// Runs `p` with the interpreter the probe measures.
fn run<const COMPACT: bool>(p: &Program<'_>, entry: usize, m: &mut Memory<'_>, h: &mut dyn Helpers, fuel: u64) -> u64 {
    let r = if COMPACT { femto_vm::compact::run(p, entry, m, h, fuel) } else { p.run(entry, m, h, fuel) };
    r.unwrap_or(1)
}

#[inline(never)]
fn load_and_run<const COMPACT: bool>(
    image: &mut [u8],
    text: &mut [u8],
    ctx: &mut [u8],
    stack: &mut [u8],
    data: &mut [u8],
) -> u64 {
    let mut dyn_helpers = DynHelpers;
    let helpers: &mut dyn Helpers = black_box(&mut dyn_helpers);
    // The capsule's load steps (it takes them in one parse, through
    // `femto_vm::translate_image_with` / `verify_image_with`). Main
    // interpreter: image parser, verifier and translator (`translate_image`),
    // then the translated text run without verifying again (it has internal
    // opcodes). Compact interpreter: image parser and verifier.
    let mut status = 0u64;
    let loaded = if COMPACT { Image::parse(image).and_then(|img| img.verify().map(|_| img)) } else {
        femto_vm::translate_image(image).and_then(|()| Image::parse(image))
    };
    let from_image = match loaded {
        Ok(img) => {
            let len = img.data_region_len().min(data.len());
            img.init_data(&mut data[..len]).ok().map(|_| {
                let program = Program::assume_verified(img.text(), &img.verifier_config());
                let entry = img.function(b"main").unwrap_or(0) as usize;
                (program, entry, len, img.rodata())
            })
        }
        Err(e) => {
            status = u64::from(e.pc().unwrap_or(0)) + 2;
            None
        }
    };
    // The run path, one call site as in the capsule: the loaded image's
    // `main` or, if the image did not load, a raw verified program with a
    // read-only context (the Fletcher32 input is the rodata region, the
    // context points at it).
    let input = &programs::FLETCHER32_INPUT[..];
    let (program, entry, data_len, rodata, context, fuel) = match from_image {
        Some((program, entry, len, rodata)) => (program, entry, len, rodata, Region::Unmapped, 1000),
        None => {
            let cfg = femto_vm::VerifierConfig::default();
            let verified = if COMPACT { femto_vm::verify(text, &cfg) } else { femto_vm::verify_translated(text, &cfg) };
            let Ok(program) = verified else {
                return status ^ 4;
            };
            ctx[..8].copy_from_slice(&vaddr(REGION_RODATA, 0).to_le_bytes());
            ctx[8..12].copy_from_slice(&180u32.to_le_bytes());
            (program, 0, 0, input, Region::ReadOnly(ctx), 100_000)
        }
    };
    let mut m = Memory::for_container(&mut *stack, context, &mut data[..data_len], rodata);
    status ^ run::<COMPACT>(&program, entry, &mut m, helpers, fuel)
}

/// The probe: loads and runs, reports, exits (success if the result is right).
pub fn main<const COMPACT: bool>() -> ! {
    let image: &mut [u8] = black_box(&mut []);
    // The program in RAM, as the kernel keeps containers.
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
    let r = load_and_run::<COMPACT>(image, text, &mut ctx, &mut stack, &mut data);
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
