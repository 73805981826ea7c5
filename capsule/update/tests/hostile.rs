//! Envelope parsing and verification with valid and hostile inputs.
#![cfg(feature = "envelope")]

use femto_update::{
    key_id, open, sign::public_key, sign_envelope, Envelope, Error, Manifest, Target, TrustedKey,
    MAX_HEADER_LEN, SIGNATURE_OVERHEAD,
};
use proptest::prelude::*;

const SEED: [u8; 32] = [7; 32];
const OTHER_SEED: [u8; 32] = [9; 32];
const DEVICE: Target<'static> = Target {
    vendor: "femto-containers",
    class: "qemu_rv32_virt",
};

fn image() -> Vec<u8> {
    (0..200u32).map(|i| (i * 37 % 251) as u8).collect()
}

fn keys() -> Vec<TrustedKey> {
    vec![TrustedKey::new(public_key(&SEED))]
}

fn envelope_with(seq: u64, target: Target<'_>, name: &str, img: &[u8], seed: &[u8; 32]) -> Vec<u8> {
    let m = Manifest::for_image(img, name, seq, target).unwrap();
    let mut out = vec![0u8; img.len() + SIGNATURE_OVERHEAD];
    let n = sign_envelope(&m, img, seed, &mut out).unwrap();
    out.truncate(n);
    out
}

fn envelope(seq: u64) -> Vec<u8> {
    envelope_with(seq, DEVICE, "blinky", &image(), &SEED)
}

#[test]
fn valid_envelope_opens() {
    let env = envelope(42);
    let (m, img) = open(&env, &keys(), &DEVICE).unwrap();
    assert_eq!(m.sequence, 42);
    assert_eq!(m.name, "blinky");
    assert_eq!(m.target, DEVICE);
    assert_eq!(img, &image()[..]);
    let parsed = Envelope::parse(&env).unwrap();
    assert_eq!(parsed.kid, key_id(&public_key(&SEED)));
    assert!(parsed.header_len <= MAX_HEADER_LEN);
    assert_eq!(parsed.header_len + image().len(), env.len());
    // Starts with tag 18 (0xd2) and a 4-element array (0x84).
    assert_eq!(&env[..2], &[0xd2, 0x84]);
}

#[test]
fn the_header_alone_parses_and_verifies() {
    // A device parses the COSE part from a prefix copy, without the image.
    let env = envelope(3);
    let parsed = Envelope::parse(&env).unwrap();
    let prefix = &env[..parsed.header_len];
    let p2 = Envelope::parse(prefix).unwrap();
    assert_eq!(p2, parsed);
    let (m, idx) = p2.verify(&keys()).unwrap();
    assert_eq!((m.sequence, idx), (3, 0));
}

#[test]
fn second_trusted_key_is_found_by_kid() {
    let env = envelope_with(1, DEVICE, "blinky", &image(), &OTHER_SEED);
    let ks = vec![
        TrustedKey::new(public_key(&SEED)),
        TrustedKey::new(public_key(&OTHER_SEED)),
    ];
    let (_, idx) = Envelope::parse(&env).unwrap().verify(&ks).unwrap();
    assert_eq!(idx, 1);
}

#[test]
fn wrong_key_is_refused() {
    let env = envelope_with(1, DEVICE, "blinky", &image(), &OTHER_SEED);
    assert_eq!(open(&env, &keys(), &DEVICE), Err(Error::UnknownKey));
    assert_eq!(open(&env, &[], &DEVICE), Err(Error::UnknownKey));
}

#[test]
fn key_id_collision_with_wrong_key_is_a_bad_signature() {
    // An attacker copies the trusted key's kid into an envelope signed with
    // their own key: the kid finds the trusted key, the signature fails.
    let mut env = envelope_with(1, DEVICE, "blinky", &image(), &OTHER_SEED);
    let their = key_id(&public_key(&OTHER_SEED));
    let ours = key_id(&public_key(&SEED));
    let pos = env.windows(8).position(|w| w == their).unwrap();
    env[pos..pos + 8].copy_from_slice(&ours);
    assert_eq!(open(&env, &keys(), &DEVICE), Err(Error::BadSignature));
}

#[test]
fn wrong_target_is_refused() {
    let other = Target {
        vendor: "femto-containers",
        class: "nrf52840dk",
    };
    let env = envelope_with(1, other, "blinky", &image(), &SEED);
    assert_eq!(open(&env, &keys(), &DEVICE), Err(Error::WrongTarget));
    let other = Target {
        vendor: "someone-else",
        class: "qemu_rv32_virt",
    };
    let env = envelope_with(1, other, "blinky", &image(), &SEED);
    assert_eq!(open(&env, &keys(), &DEVICE), Err(Error::WrongTarget));
}

#[test]
fn tampered_image_is_refused() {
    let env = envelope(1);
    let header = Envelope::parse(&env).unwrap().header_len;
    for i in [header, header + 17, env.len() - 1] {
        let mut bad = env.clone();
        bad[i] ^= 0x01;
        assert_eq!(
            open(&bad, &keys(), &DEVICE),
            Err(Error::DigestMismatch),
            "byte {i}"
        );
    }
}

#[test]
fn truncated_or_extended_image_is_refused() {
    let env = envelope(1);
    let header = Envelope::parse(&env).unwrap().header_len;
    assert_eq!(
        open(&env[..env.len() - 1], &keys(), &DEVICE),
        Err(Error::SizeMismatch)
    );
    assert_eq!(
        open(&env[..header], &keys(), &DEVICE),
        Err(Error::SizeMismatch)
    );
    let mut longer = env.clone();
    longer.push(0);
    assert_eq!(open(&longer, &keys(), &DEVICE), Err(Error::SizeMismatch));
}

#[test]
fn every_truncation_of_the_header_is_refused() {
    let env = envelope(1);
    let header = Envelope::parse(&env).unwrap().header_len;
    for n in 0..header {
        let r = open(&env[..n], &keys(), &DEVICE);
        assert!(r.is_err(), "prefix of {n} bytes accepted");
        assert!(
            matches!(r, Err(Error::Truncated)),
            "prefix {n}: {r:?} (a cut inside the COSE structure is a truncation)"
        );
    }
}

#[test]
fn every_single_bit_flip_in_the_header_is_refused() {
    let env = envelope(1);
    let header = Envelope::parse(&env).unwrap().header_len;
    for i in 0..header {
        for bit in 0..8 {
            let mut bad = env.clone();
            bad[i] ^= 1 << bit;
            let r = open(&bad, &keys(), &DEVICE);
            assert!(r.is_err(), "flip of bit {bit} of byte {i} accepted");
        }
    }
}

#[test]
fn tampered_manifest_fields_are_refused_by_the_signature() {
    // Change the sequence number inside the signed payload (42 -> 43): the
    // CBOR stays valid, the signature does not.
    let env = envelope(42);
    let pos = env.windows(2).position(|w| w == [0x02, 0x18]).unwrap(); // key 2, uint8 follows
    let mut bad = env.clone();
    assert_eq!(bad[pos + 2], 42);
    bad[pos + 2] = 43;
    assert_eq!(open(&bad, &keys(), &DEVICE), Err(Error::BadSignature));
}

#[test]
fn signature_bytes_tampered_or_noncanonical_are_refused() {
    let env = envelope(1);
    let p = Envelope::parse(&env).unwrap();
    let sig_start = p.header_len - 64;
    for i in [sig_start, sig_start + 31, sig_start + 32, p.header_len - 1] {
        let mut bad = env.clone();
        bad[i] ^= 0x80;
        assert_eq!(
            open(&bad, &keys(), &DEVICE),
            Err(Error::BadSignature),
            "byte {i}"
        );
    }
    // S >= L (all ones): rejected as non-canonical.
    let mut bad = env.clone();
    for b in &mut bad[sig_start + 32..p.header_len] {
        *b = 0xff;
    }
    assert_eq!(open(&bad, &keys(), &DEVICE), Err(Error::BadSignature));
}

fn cose(protected: &[u8], unprotected: &[u8], payload: &[u8], sig: &[u8]) -> Vec<u8> {
    fn bstr(v: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = minicbor_like_header(2, v.len() as u64);
        out.append(&mut e);
        out.extend_from_slice(v);
        out
    }
    let mut out = vec![0xd2, 0x84];
    out.extend(bstr(protected));
    out.extend_from_slice(unprotected);
    out.extend(bstr(payload));
    out.extend(bstr(sig));
    out
}

/// A CBOR head (major type, length), written out for hostile test inputs.
fn minicbor_like_header(major: u8, len: u64) -> Vec<u8> {
    let m = major << 5;
    match len {
        0..=23 => vec![m | len as u8],
        24..=0xff => vec![m | 24, len as u8],
        0x100..=0xffff => vec![m | 25, (len >> 8) as u8, len as u8],
        _ => {
            let mut v = vec![m | 26];
            v.extend_from_slice(&(len as u32).to_be_bytes());
            v
        }
    }
}

fn kid_header() -> Vec<u8> {
    let kid = key_id(&public_key(&SEED));
    let mut p = vec![0xa2, 0x01, 0x27, 0x04, 0x48];
    p.extend_from_slice(&kid);
    p
}

#[test]
fn structural_errors_are_specific() {
    let p = kid_header();
    let sig = [0u8; 64];
    let payload = [0xa0u8];
    // Not tagged, or another tag.
    let mut untagged = cose(&p, &[0xa0], &payload, &sig);
    untagged.remove(0);
    assert_eq!(Envelope::parse(&untagged), Err(Error::NotCoseSign1));
    let mut tag17 = cose(&p, &[0xa0], &payload, &sig);
    tag17[0] = 0xd1;
    assert_eq!(Envelope::parse(&tag17), Err(Error::NotCoseSign1));
    // Array of 3.
    let mut three = cose(&p, &[0xa0], &payload, &sig);
    three[1] = 0x83;
    assert!(matches!(
        Envelope::parse(&three),
        Err(Error::Malformed { .. })
    ));
    // Indefinite-length array.
    let mut indef = cose(&p, &[0xa0], &payload, &sig);
    indef[1] = 0x9f;
    assert!(matches!(
        Envelope::parse(&indef),
        Err(Error::Malformed { .. })
    ));
    // Non-empty unprotected header.
    let e = cose(&p, &[0xa1, 0x01, 0x27], &payload, &sig);
    assert_eq!(Envelope::parse(&e), Err(Error::UnprotectedHeader));
    // Signature of 63 bytes.
    let e = cose(&p, &[0xa0], &payload, &sig[..63]);
    assert!(matches!(Envelope::parse(&e), Err(Error::Malformed { .. })));
    // Detached payload (null) is not supported.
    let mut e = vec![0xd2, 0x84];
    e.extend(minicbor_like_header(2, p.len() as u64));
    e.extend_from_slice(&p);
    e.extend_from_slice(&[0xa0, 0xf6, 0x58, 0x40]);
    e.extend_from_slice(&sig);
    assert!(matches!(Envelope::parse(&e), Err(Error::Malformed { .. })));
}

#[test]
fn protected_header_errors_are_specific() {
    let sig = [0u8; 64];
    let kid = key_id(&public_key(&SEED));
    let with = |hdr: Vec<u8>| Envelope::parse(&cose(&hdr, &[0xa0], &[0xa0], &sig)).map(|_| ());
    // alg ES256 (-7) instead of EdDSA (-8).
    let mut h = vec![0xa2, 0x01, 0x26, 0x04, 0x48];
    h.extend_from_slice(&kid);
    assert_eq!(with(h), Err(Error::UnsupportedAlgorithm));
    // Missing kid.
    assert_eq!(with(vec![0xa1, 0x01, 0x27]), Err(Error::MissingField));
    // Duplicate alg.
    assert_eq!(
        with(vec![0xa2, 0x01, 0x27, 0x01, 0x27]),
        Err(Error::DuplicateField)
    );
    // Unknown label 3 (content type).
    assert_eq!(
        with(vec![0xa2, 0x01, 0x27, 0x03, 0x00]),
        Err(Error::UnknownField)
    );
    // kid of 7 bytes.
    let mut h = vec![0xa2, 0x01, 0x27, 0x04, 0x47];
    h.extend_from_slice(&kid[..7]);
    assert!(matches!(with(h), Err(Error::Malformed { .. })));
    // Protected header longer than 32 bytes.
    let mut h = vec![0xa2, 0x01, 0x27, 0x04, 0x58, 40];
    h.extend_from_slice(&[0u8; 40]);
    assert_eq!(with(h), Err(Error::TooLarge));
    // Trailing byte inside the protected bstr.
    let mut h = kid_header();
    h.push(0x00);
    assert!(matches!(with(h), Err(Error::Malformed { .. })));
}

#[test]
fn oversized_payload_is_refused_before_anything_else() {
    let payload = vec![0u8; 300];
    let e = cose(&kid_header(), &[0xa0], &payload, &[0u8; 64]);
    assert_eq!(Envelope::parse(&e), Err(Error::TooLarge));
    // A length field claiming 4 GiB: truncated, no allocation, no panic.
    let mut e = vec![0xd2, 0x84];
    e.extend(minicbor_like_header(2, kid_header().len() as u64));
    e.extend(kid_header());
    e.push(0xa0);
    e.extend_from_slice(&[0x5a, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(Envelope::parse(&e), Err(Error::Truncated));
    let mut e2 = e.clone();
    e2.truncate(e.len() - 5);
    e2.extend_from_slice(&[0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert!(Envelope::parse(&e2).is_err());
}

// ---- manifests (decoded only after the signature; tested directly) -------------

fn manifest_bytes(m: &Manifest<'_>) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let n = m.encode(&mut buf).unwrap();
    buf[..n].to_vec()
}

fn sample() -> Manifest<'static> {
    Manifest {
        sequence: 5,
        target: DEVICE,
        name: "blinky",
        digest: [0xab; 32],
        image_size: 100,
    }
}

#[test]
fn manifest_round_trips() {
    let m = sample();
    assert_eq!(Manifest::decode(&manifest_bytes(&m)), Ok(m));
    let big = Manifest {
        sequence: u64::MAX,
        image_size: u32::MAX,
        ..m
    };
    assert_eq!(Manifest::decode(&manifest_bytes(&big)), Ok(big));
}

#[test]
fn manifest_errors_are_specific() {
    let good = manifest_bytes(&sample());
    // Missing field: map of 6 with the last entry dropped (image size).
    let mut missing = good.clone();
    missing[0] = 0xa6;
    let cut = missing.len() - 3; // key 7, then 100 as 0x18 0x64
    missing.truncate(cut);
    assert_eq!(Manifest::decode(&missing), Err(Error::MissingField));
    // Unknown field 8.
    let mut unknown = good.clone();
    unknown[0] = 0xa8;
    unknown.extend_from_slice(&[0x08, 0x00]);
    assert_eq!(Manifest::decode(&unknown), Err(Error::UnknownField));
    // Duplicate field: sequence twice.
    let mut dup = good.clone();
    dup[0] = 0xa8;
    dup.extend_from_slice(&[0x02, 0x01]);
    assert_eq!(Manifest::decode(&dup), Err(Error::DuplicateField));
    // Version 2.
    let mut v2 = good.clone();
    assert_eq!(&v2[1..3], &[0x01, 0x01]);
    v2[2] = 0x02;
    assert_eq!(Manifest::decode(&v2), Err(Error::UnsupportedVersion));
    // Trailing byte.
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(
        Manifest::decode(&trailing),
        Err(Error::Malformed { .. })
    ));
    // Not a map.
    assert!(matches!(
        Manifest::decode(&[0x80]),
        Err(Error::Malformed { .. })
    ));
    // Indefinite map.
    assert!(matches!(
        Manifest::decode(&[0xbf, 0xff]),
        Err(Error::Malformed { .. })
    ));
    // Empty.
    assert_eq!(Manifest::decode(&[]), Err(Error::Truncated));
    // Map claiming 2^32 entries.
    assert_eq!(
        Manifest::decode(&[0xba, 0xff, 0xff, 0xff, 0xff]),
        Err(Error::TooLarge)
    );
    // Image size above u32.
    let big = [
        0xa1, 0x07, 0x1b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    ];
    assert!(matches!(
        Manifest::decode(&big),
        Err(Error::Malformed { .. })
    ));
    // Digest with another algorithm (SHA-512 = -44) and of the wrong length.
    let mut alg = vec![0xa1, 0x06, 0x82, 0x38, 0x2b, 0x58, 0x20];
    alg.extend_from_slice(&[0u8; 32]);
    assert_eq!(Manifest::decode(&alg), Err(Error::UnsupportedAlgorithm));
    let mut short = vec![0xa1, 0x06, 0x82, 0x2f, 0x58, 0x1f];
    short.extend_from_slice(&[0u8; 31]);
    assert!(matches!(
        Manifest::decode(&short),
        Err(Error::Malformed { .. })
    ));
    // Name of 33 bytes; empty name; invalid UTF-8.
    let mut long = vec![0xa1, 0x05, 0x78, 33];
    long.extend_from_slice(&[b'a'; 33]);
    assert_eq!(Manifest::decode(&long), Err(Error::TooLarge));
    assert!(matches!(
        Manifest::decode(&[0xa1, 0x05, 0x60]),
        Err(Error::Malformed { .. })
    ));
    assert!(matches!(
        Manifest::decode(&[0xa1, 0x05, 0x62, 0xff, 0xfe]),
        Err(Error::Malformed { .. })
    ));
    // Oversized manifest.
    assert_eq!(Manifest::decode(&[0u8; 257]), Err(Error::TooLarge));
}

#[test]
fn encoding_refuses_bad_names_and_small_buffers() {
    let m = Manifest {
        name: "",
        ..sample()
    };
    assert_eq!(m.encode(&mut [0u8; 256]), Err(Error::TooLarge));
    let long = "x".repeat(33);
    let m = Manifest {
        name: &long,
        ..sample()
    };
    assert_eq!(m.encode(&mut [0u8; 256]), Err(Error::TooLarge));
    assert_eq!(sample().encode(&mut [0u8; 10]), Err(Error::BufferTooSmall));
    let img = image();
    let m = Manifest::for_image(&img, "blinky", 1, DEVICE).unwrap();
    assert_eq!(
        sign_envelope(&m, &img, &SEED, &mut [0u8; 100]),
        Err(Error::BufferTooSmall)
    );
    // A manifest that does not describe the image is not signed.
    assert_eq!(
        sign_envelope(&m, &img[1..], &SEED, &mut [0u8; 1000]),
        Err(Error::SizeMismatch)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_open(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Envelope::parse(&bytes);
        let _ = Manifest::decode(&bytes);
        prop_assert!(open(&bytes, &keys(), &DEVICE).is_err());
    }

    #[test]
    fn random_bytes_after_a_cose_tag_never_open(tail in proptest::collection::vec(any::<u8>(), 0..500)) {
        let mut bytes = vec![0xd2, 0x84];
        bytes.extend(tail);
        prop_assert!(open(&bytes, &keys(), &DEVICE).is_err());
    }

    #[test]
    fn mutated_envelopes_never_open(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<Option<usize>>(),
    ) {
        let env = envelope(9);
        let mut bad = env.clone();
        for (pos, val) in edits {
            let i = pos % bad.len();
            bad[i] = val;
        }
        if let Some(c) = cut {
            bad.truncate(c % (bad.len() + 1));
        }
        let r = open(&bad, &keys(), &DEVICE);
        if bad != env {
            prop_assert!(r.is_err(), "mutated envelope accepted");
        } else {
            prop_assert!(r.is_ok());
        }
    }

    #[test]
    fn random_manifests_round_trip(seq in any::<u64>(), size in any::<u32>(), name in "[a-z_]{1,32}", digest in any::<[u8; 32]>()) {
        let m = Manifest { sequence: seq, target: DEVICE, name: &name, digest, image_size: size };
        let bytes = manifest_bytes(&m);
        prop_assert_eq!(Manifest::decode(&bytes), Ok(m));
    }
}
