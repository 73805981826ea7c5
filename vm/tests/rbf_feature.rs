//! The `rbf` feature: with it (default) RIOT's rBPF images parse and their
//! LDDWD / LDDWR pseudo-instructions run; without it (`cargo test -p
//! femto-vm --no-default-features --test rbf_feature`, which `make test`
//! runs) an rBPF image is refused with `Error::UnsupportedFormat` and the
//! pseudo-instructions are unknown opcodes to the verifier and to both
//! interpreters, whatever the configuration asks.

use femto_vm::helpers::NoHelpers;
use femto_vm::isa::Insn;
use femto_vm::{compact, Error, Image, Memory, Program, VerifierConfig};

/// `r0 = &rodata[0]` (LDDWR); `r0 = *(u8 *)r0`; `exit`.
fn text() -> Vec<u8> {
    [
        Insn::new(0xd8, 0, 0, 0, 0),
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0x71, 0, 0, 0, 0),
        Insn::new(0x95, 0, 0, 0, 0),
    ]
    .iter()
    .flat_map(|i| i.encode())
    .collect()
}

/// An rBPF image of [`text`]: rodata "*f\0", function "f" at pc 0.
fn rbf_image() -> Vec<u8> {
    let (rodata, text) = (b"*f\0", text());
    let mut b = vec![];
    for v in [0x7242_5046u32, 1, 0, 0, rodata.len() as u32, text.len() as u32, 1] {
        b.extend(v.to_le_bytes());
    }
    b.extend(rodata);
    b.extend(&text);
    // Symbol: name at rodata offset 1, flags 0, location 0.
    for v in [1u16, 0, 0] {
        b.extend(v.to_le_bytes());
    }
    b
}

#[test]
fn rbf_images_parse_only_with_the_feature() {
    let image = rbf_image();
    let parsed = Image::parse(&image);
    if cfg!(feature = "rbf") {
        let img = parsed.unwrap();
        assert_eq!(img.function(b"f"), Some(0));
        let p = img.verify().unwrap();
        let mut stack = [0u8; 512];
        let mut m = Memory::for_container(&mut stack, femto_vm::Region::Unmapped, &mut [], img.rodata());
        assert_eq!(p.run(0, &mut m, &mut NoHelpers, 10), Ok(u64::from(b'*')));
    } else {
        assert_eq!(parsed.err(), Some(Error::UnsupportedFormat));
        assert!(Error::UnsupportedFormat.is_image_error());
        assert_eq!(Error::UnsupportedFormat.pc(), None);
    }
}

#[test]
fn pseudo_instructions_run_only_with_the_feature() {
    let text = text();
    let config = VerifierConfig { rbf_pseudo_opcodes: true, ..Default::default() };
    let rodata = [7u8];
    let unknown = Error::UnknownOpcode { pc: 0, opcode: 0xd8 };
    let verified = femto_vm::verify(&text, &config);
    // Text that skipped the verifier, asking for the pseudo-instructions.
    let unverified = Program::assume_verified(&text, &config);
    for compact in [false, true] {
        let mut stack = [0u8; 512];
        let mut m = Memory::for_container(&mut stack, femto_vm::Region::Unmapped, &mut [], &rodata);
        let r = if compact {
            compact::run(&unverified, 0, &mut m, &mut NoHelpers, 10)
        } else {
            unverified.run(0, &mut m, &mut NoHelpers, 10)
        };
        if cfg!(feature = "rbf") {
            assert_eq!(r, Ok(7), "compact: {compact}");
        } else {
            assert_eq!(r, Err(unknown), "compact: {compact}");
        }
    }
    if cfg!(feature = "rbf") {
        assert!(verified.is_ok());
    } else {
        assert_eq!(verified.err(), Some(unknown));
    }
}
