//! Fuzz target: a container image (native "FEMC" or RIOT "rBPF") through the parser, the
//! verifier and the interpreter (every exported function, up to 4, fuel 256 each).
//!
//! Properties checked besides "no panic, no hang": the image translated in place
//! (`translate_image`) parses and runs exactly like the original, and so does the original in
//! the compact interpreter (`femto_vm::compact`); a parsed native image that the encoder
//! accepts re-encodes to an image that parses to the same contents, and its signature area
//! can be written; an rBPF text that verified with pseudo-opcodes still verifies after
//! `lower_pseudo_lddw` rewrote them into plain LDDWs.
#![no_main]

use femto_vm::{
    image::{write_signature, Format, Function, ImageSpec},
    rbf::lower_pseudo_lddw,
    verifier::{verify, AllowList},
    FnHelpers, Image, Memory, Region,
};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(image) = Image::parse(data) else { return };
    // Exercise the accessors on whatever parsed.
    let _ = (image.name(), image.signature(), image.signed_bytes(), image.app_version());
    for f in image.functions() {
        let _ = (f.name, f.pc);
    }
    if image.format() == Format::Native {
        round_trip(&image);
    }
    let Ok(program) = image.verify() else { return };
    if image.format() == Format::Rbf {
        let mut text = image.text().to_vec();
        lower_pseudo_lddw(&mut text).expect("lowering a verified rBPF text");
        let config = femto_vm::VerifierConfig { rbf_pseudo_opcodes: false, ..image.verifier_config() };
        if let Err(e) = verify(&text, &config) {
            panic!("lowered rBPF text no longer verifies: {e}");
        }
    }
    // Bounded buffers: refuse absurd sizes rather than allocate them.
    let frame = image.stack_size() as usize;
    let data_len = image.data_region_len();
    if frame > 64 * 1024 || data_len > 64 * 1024 {
        return;
    }
    let mut entries: Vec<u32> = image.functions().map(|f| f.pc).take(4).collect();
    if entries.is_empty() {
        entries.push(0);
    }
    // The image translated in place, as the capsule loads it (`translate_image`): it must
    // still parse, and every run must behave exactly as the untranslated one.
    let mut copy = data.to_vec();
    if let Err(e) = femto_vm::translate_image(&mut copy) {
        panic!("verified image rejected by translate_image: {e}");
    }
    let translated_image = Image::parse(&copy).expect("a translated image parses");
    let config = translated_image.verifier_config();
    let translated = femto_vm::Program::assume_verified(translated_image.text(), &config);
    for pc in entries {
        let Some(plain) = run(&image, &program, pc, frame, data_len, false) else { return };
        let compact = run(&image, &program, pc, frame, data_len, true);
        assert_eq!(Some(&plain), compact.as_ref(), "the compact interpreter behaves differently");
        let again = run(&translated_image, &translated, pc, frame, data_len, false);
        assert_eq!(Some(plain), again, "the translated image behaves differently");
    }
});

/// Runs `program` (of `image`) from `pc`, in the compact interpreter if `compact`; the
/// outcome and the regions' bytes afterwards.
fn run(
    image: &Image<'_>,
    program: &femto_vm::Program<'_>,
    pc: u32,
    frame: usize,
    data_len: usize,
    compact: bool,
) -> Option<(Result<u64, femto_vm::Error>, Vec<u8>)> {
    let mut stack = vec![0u8; frame * 2];
    let mut data_region = vec![0u8; data_len];
    image.init_data(&mut data_region).ok()?;
    let mut ctx = [0u8; 16];
    // Built as the capsule builds it for a run.
    let mut memory = Memory::for_container(&mut stack, Region::ReadWrite(&mut ctx), &mut data_region, image.rodata());
    let r = if compact {
        femto_vm::compact::run(program, pc as usize, &mut memory, &mut FnHelpers(common::call), 256)
    } else {
        program.run(pc as usize, &mut memory, &mut FnHelpers(common::call), 256)
    };
    drop(memory);
    stack.extend_from_slice(&ctx);
    stack.extend_from_slice(&data_region);
    Some((r, stack))
}

fn round_trip(image: &Image<'_>) {
    let functions: Vec<Function<'_>> = image.functions().collect();
    let helpers: Vec<u32> = match image.helpers() {
        AllowList::LeBytes(b) => {
            b.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        }
        AllowList::Ids(ids) => ids.to_vec(),
        AllowList::All => return,
    };
    let Ok(signature_len) = u16::try_from(image.signature().len()) else { return };
    let spec = ImageSpec {
        name: image.name(),
        app_version: image.app_version(),
        flags: image.flags(),
        stack_size: image.stack_size(),
        text: image.text(),
        rodata: image.rodata(),
        data: image.data(),
        bss_len: image.bss_len(),
        functions: &functions,
        helpers: &helpers,
        signature_len,
    };
    let Ok(len) = spec.encoded_len() else { return };
    if len > 1 << 20 {
        return;
    }
    let mut out = vec![0u8; len];
    let Ok(n) = spec.encode(&mut out) else { return };
    let again = Image::parse(&out[..n]).expect("re-encoded image parses");
    assert_eq!(again.name(), image.name());
    assert_eq!(again.app_version(), image.app_version());
    assert_eq!(again.flags(), image.flags());
    assert_eq!(again.stack_size(), image.stack_size());
    assert_eq!(again.text(), image.text());
    assert_eq!(again.rodata(), image.rodata());
    assert_eq!(again.data(), image.data());
    assert_eq!(again.bss_len(), image.bss_len());
    assert!(again.functions().eq(image.functions()));
    assert_eq!(again.signature().len(), image.signature().len());
    let sig = vec![0xa5u8; again.signature().len()];
    write_signature(&mut out[..n], &sig).expect("signature area writable");
}
