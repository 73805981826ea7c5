//! The container image format: round trip through the encoder and parser,
//! every header/length/offset check, functions, signature, data
//! initialisation; and RIOT rBPF images.
mod common;
use common::*;
use femto_vm::image::{self, Format, Function, Image, ImageSpec, FLAG_STRICT, HEADER_LEN};
use femto_vm::memory::{REGION_DATA, REGION_RODATA};
use femto_vm::{vaddr, AllowList, Error, Memory, Section};

fn sample_text() -> Vec<u8> {
    // main: r0 = *(u8*)(rodata+1) + *(u8*)(data+0); second: r0 = 7
    let [a, b] = lddw(1, vaddr(REGION_RODATA, 1));
    let [c, d] = lddw(2, vaddr(REGION_DATA, 0));
    bytes(&[a, b, c, d, i(0x71, 0, 1, 0, 0), i(0x71, 3, 2, 0, 0), i(0x0f, 0, 3, 0, 0), exit(), mov(0, 7), exit()])
}

fn encode(spec: &ImageSpec<'_>) -> Vec<u8> {
    let mut out = vec![0u8; spec.encoded_len().unwrap()];
    assert_eq!(spec.encode(&mut out), Ok(out.len()));
    out
}

fn spec<'a>(text: &'a [u8], functions: &'a [Function<'a>], helpers: &'a [u32]) -> ImageSpec<'a> {
    ImageSpec {
        name: b"sample",
        app_version: 42,
        flags: 0,
        stack_size: 512,
        text,
        rodata: b"\x01\x02\x03",
        data: b"\x05",
        bss_len: 11,
        functions,
        helpers,
        signature_len: 16,
    }
}

#[test]
fn round_trip_and_run() {
    let text = sample_text();
    let funcs = [Function { name: b"main", pc: 0 }, Function { name: b"second", pc: 8 }];
    let bytes = encode(&spec(&text, &funcs, &[1, 0x20]));
    assert_eq!(bytes.len() % 8, 0);
    let img = Image::parse(&bytes).unwrap();
    assert_eq!(img.format(), Format::Native);
    assert_eq!(img.name(), b"sample");
    assert_eq!(img.app_version(), 42);
    assert_eq!(img.stack_size(), 512);
    assert_eq!(img.text(), &text[..]);
    assert_eq!(img.rodata(), b"\x01\x02\x03");
    assert_eq!(img.data(), b"\x05");
    assert_eq!(img.data_region_len(), 12);
    assert_eq!(img.function(b"second"), Some(8));
    assert_eq!(img.function(b"nope"), None);
    assert_eq!(img.functions().count(), 2);
    assert!(img.helpers().contains(0x20) && !img.helpers().contains(2));
    assert_eq!(img.signature(), &[0u8; 16]);
    assert_eq!(img.signed_bytes().len(), bytes.len() - 16);

    let program = img.verify().unwrap();
    let mut data = [0xffu8; 32];
    assert_eq!(img.init_data(&mut data), Ok(12));
    assert_eq!(data[..12], [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(img.init_data(&mut [0u8; 11]), Err(Error::BufferTooSmall { needed: 12, actual: 11 }));
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    m.map_rodata(img.rodata());
    m.map_data(&mut data[..12]);
    assert_eq!(program.run(0, &mut m, &mut test_helpers(), 10), Ok(2 + 5));
    assert_eq!(program.run(8, &mut m, &mut test_helpers(), 10), Ok(7));
    // pc 2 is an lddw start: a valid entry (it then faults: r1 was never set)
    assert!(matches!(program.run(2, &mut m, &mut test_helpers(), 10), Err(Error::OutOfBounds { pc: 4, addr: 0, .. })));
    assert_eq!(program.run(1, &mut m, &mut test_helpers(), 10), Err(Error::BadEntry { pc: 1 }));
    assert_eq!(program.run(10, &mut m, &mut test_helpers(), 10), Err(Error::BadEntry { pc: 10 }));
}

#[test]
fn helper_allow_list_and_strict_flag_reach_the_verifier() {
    let text = bytes(&[i(0x85, 0, 0, 0, 3), exit()]);
    let funcs = [Function { name: b"main", pc: 0 }];
    let b = encode(&spec(&text, &funcs, &[1]));
    assert_eq!(Image::parse(&b).unwrap().verify().err(), Some(Error::HelperNotAllowed { pc: 0, helper: 3 }));
    let b = encode(&spec(&text, &funcs, &[3]));
    assert!(Image::parse(&b).unwrap().verify().is_ok());
    let text = bytes(&[i(0x05, 0, 0, -1, 0), exit()]);
    let mut s = spec(&text, &funcs, &[]);
    s.flags = FLAG_STRICT;
    let b = encode(&s);
    assert_eq!(Image::parse(&b).unwrap().verify().err(), Some(Error::BackwardJump { pc: 0, target: 0 }));
}

#[test]
fn signature_area() {
    let text = sample_text();
    let mut b = encode(&spec(&text, &[], &[]));
    assert!(image::write_signature(&mut b, &[1; 15]).is_err());
    image::write_signature(&mut b, &[0x5a; 16]).unwrap();
    let img = Image::parse(&b).unwrap();
    assert_eq!(img.signature(), &[0x5a; 16]);
}

fn expect(bytes: &[u8], want: Error) {
    assert_eq!(Image::parse(bytes).err(), Some(want));
}

#[test]
fn bad_headers() {
    let text = sample_text();
    let good = encode(&spec(&text, &[Function { name: b"main", pc: 0 }], &[1]));
    expect(&good[..10], Error::ImageTooShort { needed: HEADER_LEN, actual: 10 });
    expect(b"ELF\x7f", Error::BadMagic);
    let mut b = good.clone();
    b[0] = b'X';
    expect(&b, Error::BadMagic);
    let mut b = good.clone();
    b[4] = 2;
    expect(&b, Error::UnsupportedVersion { version: 2 });
    let mut b = good.clone();
    b[6] = 0x80;
    expect(&b, Error::UnknownFlags { flags: 0x80 });
    let mut b = good.clone();
    b[8] = 12; // text length not a multiple of 8
    expect(&b, Error::InvalidField { section: Section::Text, offset: 8 });
    let mut b = good.clone();
    b[24..28].copy_from_slice(&0u32.to_le_bytes()); // stack size 0
    expect(&b, Error::InvalidField { section: Section::Header, offset: 24 });
    let mut b = good.clone();
    b[44] = 1; // reserved
    expect(&b, Error::InvalidField { section: Section::Header, offset: 44 });
    let mut b = good.clone();
    b[40] ^= 8; // total length mismatch
    expect(&b, Error::InvalidField { section: Section::Header, offset: 40 });
    let mut b = good.clone();
    b.push(0);
    expect(&b, Error::ImageTrailingBytes { expected: good.len(), actual: good.len() + 1 });
    expect(&good[..good.len() - 1], Error::ImageTooShort { needed: good.len(), actual: good.len() - 1 });
}

#[test]
fn lengths_that_overflow_or_point_outside() {
    let text = sample_text();
    let good = encode(&spec(&text, &[], &[]));
    for field in [8usize, 12, 16] {
        let mut b = good.clone();
        b[field..field + 4].copy_from_slice(&0xffff_fff8u32.to_le_bytes());
        let e = Image::parse(&b).unwrap_err();
        assert!(e.is_image_error(), "field {field}: {e:?}");
    }
    let mut b = good.clone();
    b[32..34].copy_from_slice(&0xffffu16.to_le_bytes()); // function count
    assert!(Image::parse(&b).unwrap_err().is_image_error());
    let mut b = good.clone();
    b[36..38].copy_from_slice(&200u16.to_le_bytes()); // name too long
    expect(&b, Error::InvalidField { section: Section::Name, offset: 36 });
    // data + bss beyond 4 GiB
    let mut b = good.clone();
    b[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
    expect(&b, Error::InvalidField { section: Section::Bss, offset: 20 });
}

#[test]
fn nonzero_padding_is_rejected() {
    let text = sample_text();
    let good = encode(&spec(&text, &[], &[]));
    let mut b = good.clone();
    b[HEADER_LEN + 6] = 1; // name "sample" is 6 bytes, then 2 bytes of padding
    expect(&b, Error::InvalidField { section: Section::Padding, offset: HEADER_LEN + 6 });
}

#[test]
fn bad_function_entries() {
    let text = sample_text();
    for (f, idx) in [
        (Function { name: b"x", pc: 10 }, 0),  // outside the text
        (Function { name: b"x", pc: 1 }, 0),   // second slot of an lddw
        (Function { name: b"", pc: 0 }, 0),    // empty name
    ] {
        let funcs = [f];
        let s = spec(&text, &funcs, &[]);
        let mut out = vec![0u8; s.encoded_len().unwrap()];
        assert_eq!(s.encode(&mut out), Err(Error::BadFunction { index: idx }));
    }
    let long = [Function { name: &[b'a'; 25], pc: 0 }];
    let s = spec(&text, &long, &[]);
    let mut out = vec![0u8; s.encoded_len().unwrap()];
    assert_eq!(s.encode(&mut out), Err(Error::BadFunction { index: 0 }));
    // a name with garbage after its NUL
    let funcs = [Function { name: b"main", pc: 0 }];
    let mut b = encode(&spec(&text, &funcs, &[]));
    let entry = HEADER_LEN + 8; // after the 6-byte name padded to 8
    b[entry + 6] = b'z';
    expect(&b, Error::BadFunction { index: 0 });
}

#[test]
fn encoder_needs_room() {
    let text = sample_text();
    let s = spec(&text, &[], &[]);
    let n = s.encoded_len().unwrap();
    let mut out = vec![0u8; n - 1];
    assert_eq!(s.encode(&mut out), Err(Error::BufferTooSmall { needed: n, actual: n - 1 }));
}

#[test]
fn every_truncation_and_bit_flip_is_handled_without_panic() {
    let text = sample_text();
    let funcs = [Function { name: b"main", pc: 0 }];
    let good = encode(&spec(&text, &funcs, &[1, 2]));
    for len in 0..good.len() {
        assert!(Image::parse(&good[..len]).is_err());
    }
    for pos in 0..good.len() {
        for bit in 0..8 {
            let mut b = good.clone();
            b[pos] ^= 1 << bit;
            if let Ok(img) = Image::parse(&b) {
                let _ = img.verify();
                let _ = img.functions().count();
            }
        }
    }
}

// ---- RIOT rBPF ------------------------------------------------------------------

fn rbf(data: &[u8], rodata: &[u8], text: &[u8], syms: &[(u16, u16)]) -> Vec<u8> {
    let mut b = vec![];
    for v in [0x7242_5046u32, 3, 0, data.len() as u32, rodata.len() as u32, text.len() as u32, syms.len() as u32] {
        b.extend(v.to_le_bytes());
    }
    b.extend(data);
    b.extend(rodata);
    b.extend(text);
    for &(name, loc) in syms {
        b.extend(name.to_le_bytes());
        b.extend(0u16.to_le_bytes());
        b.extend(loc.to_le_bytes());
    }
    b
}

#[test]
fn rbf_images_parse_and_run_with_pseudo_lddw() {
    // f: r1 = &data[1]; r2 = &rodata[0]; r0 = *r1 + *r2
    let text = bytes(&[
        i(0xb8, 1, 0, 0, 1), i(0, 0, 0, 0, 0),
        i(0xd8, 2, 0, 0, 0), i(0, 0, 0, 0, 0),
        i(0x71, 0, 1, 0, 0), i(0x71, 3, 2, 0, 0), i(0x0f, 0, 3, 0, 0), exit(),
    ]);
    let rodata = b"\x20fn\0";
    let b = rbf(b"\x01\x02", rodata, &text, &[(1, 0)]);
    let img = Image::parse(&b).unwrap();
    assert_eq!(img.format(), Format::Rbf);
    assert_eq!(img.app_version(), 3);
    assert_eq!(img.function(b"fn"), Some(0));
    assert_eq!(img.helpers(), AllowList::All);
    let p = img.verify().unwrap();
    let mut data = [0u8; 2];
    img.init_data(&mut data).unwrap();
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    m.map_rodata(img.rodata());
    m.map_data(&mut data);
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 10), Ok(0x22));

    // lowering to plain lddw gives the same result without the pseudo-opcodes
    let mut lowered = text.clone();
    assert_eq!(femto_vm::rbf::lower_pseudo_lddw(&mut lowered), Ok(2));
    assert_eq!(lowered[0], 0x18);
    let p2 = femto_vm::verify(&lowered, &femto_vm::VerifierConfig::default()).unwrap();
    assert_eq!(p2.run(0, &mut m, &mut test_helpers(), 10), Ok(0x22));
}

#[test]
fn bad_rbf_images() {
    let text = bytes(&[mov(0, 0), exit()]);
    let good = rbf(b"", b"f\0", &text, &[(0, 0)]);
    assert!(Image::parse(&good).is_ok());
    assert_eq!(Image::parse(&good[..20]).err(), Some(Error::ImageTooShort { needed: 28, actual: 20 }));
    assert!(matches!(Image::parse(&good[..good.len() - 1]).err(), Some(Error::ImageTooShort { .. })));
    assert_eq!(Image::parse(&rbf(b"", b"f\0", &text, &[(0, 4)])).err(), Some(Error::BadFunction { index: 0 }));
    assert_eq!(Image::parse(&rbf(b"", b"f\0", &text, &[(0, 16)])).err(), Some(Error::BadFunction { index: 0 }));
    assert_eq!(Image::parse(&rbf(b"", b"f\0", &text, &[(2, 0)])).err(), Some(Error::BadFunction { index: 0 }));
    assert_eq!(Image::parse(&rbf(b"", b"f", &text, &[(0, 0)])).err(), Some(Error::BadFunction { index: 0 }));
    assert!(Image::parse(&rbf(b"", b"", &text[..12], &[])).is_err());
    let mut b = good.clone();
    b[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Image::parse(&b).unwrap_err().is_image_error());
    let mut b = good.clone();
    b[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Image::parse(&b).unwrap_err().is_image_error());
}
