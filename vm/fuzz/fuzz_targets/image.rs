//! Fuzz target: a container image (native "FEMC" or RIOT "rBPF") through the parser, the
//! verifier and the interpreter (every exported function, up to 4, fuel 256 each).
//!
//! Properties checked besides "no panic, no hang": a parsed native image that the encoder
//! accepts re-encodes to an image that parses to the same contents, and its signature area
//! can be written; an rBPF text that verified with pseudo-opcodes still verifies after
//! `lower_pseudo_lddw` rewrote them into plain LDDWs.
#![no_main]

use femto_vm::{
    image::{write_signature, Format, Function, ImageSpec},
    rbf::lower_pseudo_lddw,
    verifier::{verify, AllowList},
    FnHelpers, Image, Memory,
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
    for pc in entries {
        let mut stack = vec![0u8; frame * 2];
        let mut data_region = vec![0u8; data_len];
        if image.init_data(&mut data_region).is_err() {
            return;
        }
        let mut ctx = [0u8; 16];
        let mut memory = Memory::new();
        memory.map_stack(&mut stack);
        memory.map_context_rw(&mut ctx);
        memory.map_data(&mut data_region);
        memory.map_rodata(image.rodata());
        let _ = program.run(pc as usize, &mut memory, &mut FnHelpers(common::call), 256);
    }
});

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
