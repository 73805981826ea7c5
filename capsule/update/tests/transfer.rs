//! Delivery framing: what `femto deploy` writes, an updater app reassembles
//! exactly — split anywhere, after noise, chunks reordered or repeated — and
//! incomplete or inconsistent transfers never produce an envelope.

use femto_update::transfer::*;
use proptest::prelude::*;

fn serial(envelope: &[u8]) -> Vec<u8> {
    let mut f = serial_header(envelope.len() as u32).to_vec();
    f.extend_from_slice(envelope);
    f
}

fn datagrams(envelope: &[u8], id: u16) -> Vec<Vec<u8>> {
    envelope
        .chunks(UDP_CHUNK)
        .enumerate()
        .map(|(i, c)| {
            let mut d = udp_header(id, (i * UDP_CHUNK) as u16, envelope.len() as u16).to_vec();
            d.extend_from_slice(c);
            d
        })
        .collect()
}

fn sample(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

/// Feeds `stream` in pieces of `step` bytes; returns the events with frames.
fn receive(buf_len: usize, stream: &[u8], step: usize) -> Vec<(Progress, Vec<u8>)> {
    let mut buf = vec![0u8; buf_len];
    let mut rx = SerialReceiver::new(&mut buf);
    let mut out = Vec::new();
    for piece in stream.chunks(step.max(1)) {
        let mut rest = piece;
        while !rest.is_empty() {
            let (used, p) = rx.push(rest);
            rest = &rest[used..];
            if p != Progress::NeedMore {
                out.push((p, rx.frame().to_vec()));
            }
        }
    }
    out
}

#[test]
fn serial_frames_after_noise_and_an_end_marker() {
    let a = sample(300);
    let b = sample(5);
    // Noise with false starts ("FCU ", then "F" right before the real "FCUP").
    let mut stream = b"boot noise FCU F".to_vec();
    stream.extend(serial(&a));
    stream.extend(b"\r\n> ");
    stream.extend(serial(&b));
    stream.extend(serial_header(0));
    for step in [1, 2, 3, 7, 64, 1000] {
        let ev = receive(512, &stream, step);
        assert_eq!(
            ev,
            vec![
                (Progress::Complete(300), a.clone()),
                (Progress::Complete(5), b.clone()),
                (Progress::End, vec![]),
            ],
            "step {step}"
        );
    }
}

#[test]
fn too_large_frames_are_skipped_and_the_next_one_is_received() {
    let big = sample(600);
    let small = sample(10);
    let mut stream = serial(&big);
    stream.extend(serial(&small));
    let ev = receive(512, &stream, 13);
    assert_eq!(
        ev,
        vec![
            (Progress::TooLarge(600), vec![]),
            (Progress::Complete(10), small)
        ]
    );
    // A length field of 4 GiB: skipped without allocating or panicking.
    let mut stream = SERIAL_MAGIC.to_vec();
    stream.extend(u32::MAX.to_le_bytes());
    stream.extend(sample(100));
    assert_eq!(
        receive(512, &stream, 9),
        vec![(Progress::TooLarge(u32::MAX), vec![])]
    );
}

#[test]
fn a_cut_transfer_never_completes() {
    let stream = serial(&sample(300));
    for cut in 0..stream.len() {
        assert_eq!(receive(512, &stream[..cut], 5), vec![], "cut at {cut}");
    }
}

#[test]
fn udp_in_any_order_with_duplicates() {
    let env = sample(300); // 5 chunks, the last one short
    let mut ds = datagrams(&env, 7);
    ds.reverse();
    ds.insert(2, ds[0].clone());
    let mut buf = vec![0u8; 1024];
    let mut rx = UdpReassembler::new(&mut buf);
    let mut done = None;
    for (i, d) in ds.iter().enumerate() {
        let r = rx.push(d).unwrap();
        if i + 1 < ds.len() {
            assert_eq!(r, None, "incomplete after {i}");
        }
        done = r;
    }
    assert_eq!(done, Some(300));
    assert_eq!(rx.envelope(), &env[..]);
}

#[test]
fn udp_lost_chunk_new_transfer_and_bad_datagrams() {
    let env = sample(200);
    let ds = datagrams(&env, 1);
    let mut buf = vec![0u8; 256];
    let mut rx = UdpReassembler::new(&mut buf);
    // Chunk 1 lost: never complete.
    for (i, d) in ds.iter().enumerate() {
        if i != 1 {
            assert_eq!(rx.push(d), Ok(None));
        }
    }
    // A new transfer id starts over: the old chunks do not count.
    let ds2 = datagrams(&env, 2);
    assert_eq!(rx.push(&ds2[1]), Ok(None));
    for d in &ds2[2..] {
        assert_eq!(rx.push(d), Ok(None));
    }
    assert_eq!(rx.push(&ds2[0]), Ok(Some(200)));
    assert_eq!(rx.envelope(), &env[..]);
    // Malformed datagrams.
    assert_eq!(rx.push(b"FU"), Err(UdpError::NotAChunk));
    assert_eq!(
        rx.push(&udp_header(3, 0, 10)),
        Err(UdpError::NotAChunk),
        "empty chunk"
    );
    let mut wrong = ds2[0].clone();
    wrong[0] = b'X';
    assert_eq!(rx.push(&wrong), Err(UdpError::NotAChunk));
    let mut d = udp_header(2, 0, 300).to_vec();
    d.extend(sample(64));
    assert_eq!(rx.push(&d), Err(UdpError::TooLarge), "300 > buffer");
    let mut d = udp_header(2, 0, 250).to_vec();
    d.extend(sample(64));
    assert_eq!(rx.push(&d), Err(UdpError::TotalChanged));
    let mut d = udp_header(2, 10, 200).to_vec();
    d.extend(sample(64));
    assert_eq!(rx.push(&d), Err(UdpError::BadChunk), "unaligned offset");
    let mut d = udp_header(2, 192, 200).to_vec();
    d.extend(sample(64));
    assert_eq!(rx.push(&d), Err(UdpError::BadChunk), "past the end");
    let mut d = udp_header(2, 0, 200).to_vec();
    d.extend(sample(65));
    assert_eq!(rx.push(&d), Err(UdpError::BadChunk), "chunk too long");
    let mut d = udp_header(4, 0, 200).to_vec();
    d.extend(sample(10));
    assert_eq!(
        rx.push(&d),
        Err(UdpError::BadChunk),
        "short chunk not at the end"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn serial_round_trip_at_any_split(len in 1usize..500, step in 1usize..97, noise in proptest::collection::vec(any::<u8>(), 0..40)) {
        let env = sample(len);
        // Noise must not itself contain the magic (it would be a frame).
        prop_assume!(!noise.windows(1).any(|w| w[0] == b'F'));
        let mut stream = noise.clone();
        stream.extend(serial(&env));
        let ev = receive(512, &stream, step);
        prop_assert_eq!(ev, vec![(Progress::Complete(len), env)]);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = receive(256, &bytes, 17);
        let mut buf = vec![0u8; 512];
        let mut rx = UdpReassembler::new(&mut buf);
        for d in bytes.chunks(72) {
            let _ = rx.push(d);
        }
    }

    #[test]
    fn udp_shuffled_round_trip(len in 1usize..1000, seed in any::<u64>()) {
        let env = sample(len);
        let mut ds = datagrams(&env, seed as u16);
        // Deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..ds.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            ds.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut buf = vec![0u8; 1024];
        let mut rx = UdpReassembler::new(&mut buf);
        let mut last = None;
        for d in &ds {
            last = rx.push(d).unwrap();
        }
        prop_assert_eq!(last, Some(len));
        prop_assert_eq!(rx.envelope(), &env[..]);
    }
}
