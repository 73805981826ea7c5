//! Signed install and update (command 12) through the real kernel syscall
//! path: valid updates are applied atomically; tampered, wrongly signed,
//! replayed, truncated or misdirected envelopes are refused and the running
//! container keeps running, unchanged.
mod common;
mod harness;

use capsules_femto::update::{Target, TrustedKey, UpdatePolicy};
use common::*;
use femto_update::sign::public_key;
use femto_update::{sign_envelope, Manifest, SIGNATURE_OVERHEAD};
use harness::lock;
use kernel::syscall::SyscallReturn;
use kernel::ErrorCode;

const KEY: [u8; 32] = [0x11; 32];
const ATTACKER: [u8; 32] = [0x66; 32];
const DEVICE: Target<'static> = Target {
    vendor: "femto-containers",
    class: "test-board",
};
const TIMER: usize = 1;

fn policy(require: bool) -> &'static UpdatePolicy<'static> {
    let keys: &'static [TrustedKey] =
        Box::leak(vec![TrustedKey::new(public_key(&KEY))].into_boxed_slice());
    Box::leak(Box::new(UpdatePolicy {
        keys,
        target: DEVICE,
        require_signatures: require,
    }))
}

fn setup_signed(procs: usize, require: bool) -> Fx {
    let fx = setup(procs);
    fx.femto.set_update_policy(policy(require));
    fx
}

/// A container named `name` returning `value`.
fn image(name: &[u8], value: i32) -> Vec<u8> {
    Img::new(&[mov_imm(0, value), exit()]).name(name).build()
}

fn sign(manifest_name: &str, img: &[u8], seq: u64, target: Target<'_>, key: &[u8; 32]) -> Vec<u8> {
    let m = Manifest::for_image(img, manifest_name, seq, target).unwrap();
    let mut out = vec![0u8; img.len() + SIGNATURE_OVERHEAD];
    let n = sign_envelope(&m, img, key, &mut out).unwrap();
    out.truncate(n);
    out
}

/// Envelope for container "app" returning `value`, sequence `seq`.
fn envelope(value: i32, seq: u64) -> Vec<u8> {
    sign("app", &image(b"app", value), seq, DEVICE, &KEY)
}

fn header_len(env: &[u8]) -> usize {
    femto_update::Envelope::parse(env).unwrap().header_len
}

fn last_error(fx: &Fx, p: usize) -> (u32, u32) {
    pair_of(fx.cmd(p, 11, 0, 0))
}

fn run_value(fx: &Fx, p: usize, id: usize) -> u64 {
    u64_of(fx.run(p, id, &[], 0).0)
}

/// The container `id` still runs `value` with sequence `seq`, and a timer
/// period of 10 ms still delivers `value`.
fn still_running(fx: &Fx, id: usize, value: u64, seq: u64) {
    assert_eq!(run_value(fx, 0, id), value, "old container runs");
    assert_eq!(u64_of(fx.cmd(0, 7, id, 6)), seq, "sequence unchanged");
    fx.upcalls(0);
    fx.w.advance_ms(10);
    let up = fx.upcalls(0);
    let tag = id | (TIMER << 16);
    assert!(
        up.iter()
            .any(|&(n, (t, v, _))| n == 0 && t == tag && v as u64 == value),
        "timer hook still runs the old container: {up:?}"
    );
}

/// Installs `envelope(7, 1)` and attaches it to the timer hook (10 ms).
fn running(fx: &Fx) -> usize {
    fx.subscribe_all(0);
    let id = u32_of(fx.install(0, &envelope(7, 1), 0)) as usize;
    assert!(is_ok(fx.cmd(0, 5, id | (TIMER << 16), 10)));
    still_running(fx, id, 7, 1);
    id
}

#[test]
fn install_new_container_from_envelope() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let r = fx.install(0, &envelope(7, 1), 0);
    let id = u32_of(r) as usize;
    assert_eq!(run_value(&fx, 0, id), 7);
    assert_eq!(u64_of(fx.cmd(0, 7, id, 6)), 1, "info field 6: sequence");
    assert_eq!(last_error(&fx, 0), (0, 0));
    assert_eq!(fx.femto.last_sequence(b"app"), Some(1));
}

#[test]
fn valid_update_replaces_atomically_keeping_id_and_attachments() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    let hooks_before = pair_of(fx.cmd(0, 7, id, 0));
    let r = fx.install(0, &envelope(8, 2), id);
    assert_eq!(u32_of(r) as usize, id, "same id after the update");
    assert_eq!(
        pair_of(fx.cmd(0, 7, id, 0)),
        hooks_before,
        "attachments kept"
    );
    assert_eq!(
        pair_of(fx.cmd(0, 9, 0, 1)).1,
        1,
        "still one container on the timer"
    );
    still_running(&fx, id, 8, 2);
    assert_eq!(pair_of(fx.cmd(0, 7, id, 3)).1, 0, "new statistics");
    // The staging slot was released: 3 more containers fit (4 slots).
    for v in 0..3 {
        fx.load_ok(0, &image(b"other", v));
    }
    assert_eq!(err_of(fx.load(0, &ret42())), ErrorCode::NOMEM);
}

#[test]
fn update_needs_a_free_staging_slot() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    // Fill the other three slots: no staging slot left.
    let others: Vec<usize> = (0..3).map(|v| fx.load_ok(0, &image(b"x", v))).collect();
    assert_eq!(err_of(fx.install(0, &envelope(8, 2), id)), ErrorCode::NOMEM);
    assert_eq!(last_error(&fx, 0).0, 6, "no free slot");
    still_running(&fx, id, 7, 1);
    assert!(is_ok(fx.cmd(0, 2, others[0], 0)));
    assert_eq!(u32_of(fx.install(0, &envelope(8, 2), id)) as usize, id);
    still_running(&fx, id, 8, 2);
}

#[test]
fn tampered_image_is_refused_and_old_keeps_running() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    let good = envelope(8, 2);
    let h = header_len(&good);
    for i in [h, h + 9, good.len() - 1] {
        let mut bad = good.clone();
        bad[i] ^= 0x04;
        assert_eq!(
            err_of(fx.install(0, &bad, id)),
            ErrorCode::INVAL,
            "byte {i}"
        );
        assert_eq!(last_error(&fx, 0).0, 16, "digest mismatch");
        still_running(&fx, id, 7, 1);
    }
    // Tampered manifest (inside the signed payload): bad signature.
    let mut bad = good.clone();
    let pos = h - 64 - 3; // a byte of the payload (image size field)
    bad[pos] ^= 0x01;
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::FAIL);
    assert_eq!(last_error(&fx, 0).0, 12, "bad signature");
    // Tampered signature.
    let mut bad = good.clone();
    bad[h - 1] ^= 0x01;
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::FAIL);
    assert_eq!(last_error(&fx, 0).0, 12);
    still_running(&fx, id, 7, 1);
    // The untampered one still applies (nothing was consumed).
    assert_eq!(u32_of(fx.install(0, &good, id)) as usize, id);
    still_running(&fx, id, 8, 2);
}

#[test]
fn wrong_key_is_refused_and_old_keeps_running() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    let img = image(b"app", 666);
    let bad = sign("app", &img, 99, DEVICE, &ATTACKER);
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::FAIL);
    assert_eq!(last_error(&fx, 0).0, 11, "unknown key");
    // Attacker puts the trusted key's id in the header: bad signature.
    let mut forged = bad.clone();
    let theirs = femto_update::key_id(&public_key(&ATTACKER));
    let ours = femto_update::key_id(&public_key(&KEY));
    let at = forged.windows(8).position(|w| w == theirs).unwrap();
    forged[at..at + 8].copy_from_slice(&ours);
    assert_eq!(err_of(fx.install(0, &forged, id)), ErrorCode::FAIL);
    assert_eq!(last_error(&fx, 0).0, 12, "bad signature");
    still_running(&fx, id, 7, 1);
    assert_eq!(
        fx.femto.last_sequence(b"app"),
        Some(1),
        "sequence not consumed"
    );
}

#[test]
fn replayed_and_older_sequences_are_refused() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    assert_eq!(u32_of(fx.install(0, &envelope(8, 5), id)) as usize, id);
    still_running(&fx, id, 8, 5);
    // Replay of the same envelope, and of older ones.
    for (value, seq) in [(8, 5), (7, 1), (9, 4)] {
        assert_eq!(
            err_of(fx.install(0, &envelope(value, seq), id)),
            ErrorCode::ALREADY,
            "seq {seq}"
        );
        assert_eq!(last_error(&fx, 0), (14, 5), "old sequence; last accepted 5");
        still_running(&fx, id, 8, 5);
    }
    // Installing the old version as a *new* container is refused too.
    assert_eq!(
        err_of(fx.install(0, &envelope(7, 1), 0)),
        ErrorCode::ALREADY
    );
    assert_eq!(u32_of(fx.install(0, &envelope(10, 6), id)) as usize, id);
    still_running(&fx, id, 10, 6);
}

#[test]
fn truncated_envelopes_are_refused() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    let good = envelope(8, 2);
    let h = header_len(&good);
    // Cut inside the COSE structure: malformed envelope.
    for n in [1, 2, 10, h / 2, h - 1] {
        assert_eq!(
            err_of(fx.install(0, &good[..n], id)),
            ErrorCode::INVAL,
            "{n}"
        );
        assert_eq!(last_error(&fx, 0).0, 10, "envelope error at {n}");
    }
    // Cut inside the image: size mismatch.
    for n in [h, h + 1, good.len() - 1] {
        assert_eq!(
            err_of(fx.install(0, &good[..n], id)),
            ErrorCode::INVAL,
            "{n}"
        );
        assert_eq!(last_error(&fx, 0).0, 15, "size mismatch at {n}");
    }
    // Extra bytes appended.
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 8]);
    assert_eq!(err_of(fx.install(0, &longer, id)), ErrorCode::INVAL);
    assert_eq!(last_error(&fx, 0).0, 15);
    // Nothing shared.
    let r = fx.w.syscalls(
        0,
        vec![
            harness::allow_ro(fx.w.procs[0], capsules_femto::DRIVER_NUM, 1, 0, 0),
            harness::command(capsules_femto::DRIVER_NUM, 12, id, 0),
        ],
    );
    assert_eq!(err_of(r[1]), ErrorCode::RESERVE);
    assert_eq!(last_error(&fx, 0).0, 9);
    still_running(&fx, id, 7, 1);
}

#[test]
fn wrong_target_and_wrong_name_are_refused() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    let other_board = Target {
        vendor: "femto-containers",
        class: "nrf52840dk",
    };
    let bad = sign("app", &image(b"app", 8), 2, other_board, &KEY);
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::NODEVICE);
    assert_eq!(last_error(&fx, 0).0, 13);
    // A validly signed envelope for another container cannot replace "app".
    let bad = sign("lander", &image(b"lander", 8), 2, DEVICE, &KEY);
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::INVAL);
    assert_eq!(last_error(&fx, 0).0, 17);
    // The manifest's name must be the image's own name.
    let bad = sign("app", &image(b"evil", 8), 2, DEVICE, &KEY);
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::INVAL);
    assert_eq!(last_error(&fx, 0).0, 17);
    // A signed image the verifier rejects (jump out of range).
    let broken = Img::new(&[ja(5), exit()]).name(b"app").build();
    let bad = sign("app", &broken, 2, DEVICE, &KEY);
    assert_eq!(err_of(fx.install(0, &bad, id)), ErrorCode::INVAL);
    assert_eq!(last_error(&fx, 0).0, 4, "verifier");
    still_running(&fx, id, 7, 1);
    assert_eq!(fx.femto.last_sequence(b"app"), Some(1));
    assert_eq!(
        fx.femto.last_sequence(b"lander"),
        None,
        "refused names leave no entry"
    );
}

#[test]
fn policy_required_refuses_unsigned_loads_and_no_policy_refuses_installs() {
    let _g = lock();
    let fx = setup_signed(1, true);
    assert_eq!(err_of(fx.load(0, &ret42())), ErrorCode::NOSUPPORT);
    assert_eq!(last_error(&fx, 0).0, 8, "unsigned refused");
    let id = u32_of(fx.install(0, &envelope(7, 1), 0)) as usize;
    assert_eq!(run_value(&fx, 0, id), 7);

    let plain = setup(1);
    assert_eq!(
        err_of(plain.install(0, &envelope(7, 1), 0)),
        ErrorCode::NOSUPPORT
    );
    assert_eq!(
        u64_of(plain.cmd(0, 7, plain.load_ok(0, &ret42()), 6)),
        0,
        "unsigned: sequence 0"
    );
}

#[test]
fn other_processes_cannot_replace_or_roll_back() {
    let _g = lock();
    let fx = setup_signed(2, false);
    let id = running(&fx);
    // Process 1 cannot name process 0's container.
    assert_eq!(err_of(fx.install(1, &envelope(8, 2), id)), ErrorCode::INVAL);
    assert_eq!(last_error(&fx, 1).0, 19);
    assert_eq!(u32_of(fx.install(0, &envelope(8, 3), id)) as usize, id);
    // Sequence numbers are per name, kernel-wide: process 1 cannot install
    // the older "app" either.
    assert_eq!(
        err_of(fx.install(1, &envelope(7, 2), 0)),
        ErrorCode::ALREADY
    );
    // A restart of the owner frees its containers but not the rollback state.
    fx.w.procs[0].restart();
    fx.w.run();
    assert_eq!(
        err_of(fx.install(0, &envelope(7, 1), 0)),
        ErrorCode::ALREADY
    );
    let id2 = u32_of(fx.install(0, &envelope(9, 4), 0)) as usize;
    assert_eq!(run_value(&fx, 0, id2), 9);
}

#[test]
fn random_and_mutated_envelopes_never_install() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    let good = envelope(8, 2);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..300 {
        let bytes: Vec<u8> = if round % 3 == 0 {
            let len = (next() % 700) as usize;
            (0..len).map(|_| next() as u8).collect()
        } else {
            let mut b = good.clone();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % b.len();
                b[i] = next() as u8;
            }
            if round % 3 == 2 {
                let n = (next() as usize) % (b.len() + 1);
                b.truncate(n);
            }
            if b == good {
                continue;
            }
            b
        };
        if bytes.is_empty() {
            continue;
        }
        let r = fx.install(0, &bytes, id);
        assert!(
            matches!(r, SyscallReturn::Failure(_)),
            "round {round}: {r:?}"
        );
    }
    still_running(&fx, id, 7, 1);
    assert_eq!(fx.femto.last_sequence(b"app"), Some(1));
}

/// A board can declare its policy as a `static` (what the boards do), and the
/// committed demo key files match `DEMO_PUBLIC_KEY`.
static DEMO_POLICY: UpdatePolicy<'static> = UpdatePolicy {
    keys: &capsules_femto::update::DEMO_KEYS,
    target: Target {
        vendor: capsules_femto::update::VENDOR,
        class: "test-board",
    },
    require_signatures: true,
};

fn hex32(text: &str) -> [u8; 32] {
    let t = text.trim();
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&t[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

#[test]
fn demo_key_files_match_the_demo_public_key_and_a_static_policy_works() {
    let _g = lock();
    let seed = hex32(include_str!("../update/demo-keys/demo.key"));
    let public = hex32(include_str!("../update/demo-keys/demo.key.pub"));
    assert_eq!(public, capsules_femto::update::DEMO_PUBLIC_KEY);
    assert_eq!(public_key(&seed), public);
    let fx = setup(1);
    fx.femto.set_update_policy(&DEMO_POLICY);
    let img = image(b"app", 5);
    let env = sign("app", &img, 1, DEVICE, &seed);
    let id = u32_of(fx.install(0, &env, 0)) as usize;
    assert_eq!(run_value(&fx, 0, id), 5);
    // The test suite's own key is not trusted by the demo policy.
    assert_eq!(err_of(fx.install(0, &envelope(6, 2), id)), ErrorCode::FAIL);
}

#[test]
fn oversized_images_and_envelopes_are_refused() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let id = running(&fx);
    // A validly signed image larger than a slot (SLOT = 512 bytes here).
    let mut insns = vec![mov_imm(0, 1); 80];
    insns.push(exit());
    let big = Img::new(&insns).name(b"app").build();
    assert!(big.len() > SLOT);
    let env = sign("app", &big, 2, DEVICE, &KEY);
    assert_eq!(err_of(fx.install(0, &env, id)), ErrorCode::SIZE);
    assert_eq!(last_error(&fx, 0).0, 2, "too large");
    // A 48 KiB allow: only the header is copied, the length check refuses it.
    let mut huge = envelope(8, 2);
    huge.resize(48 * 1024, 0xAA);
    assert_eq!(err_of(fx.install(0, &huge, id)), ErrorCode::INVAL);
    assert_eq!(last_error(&fx, 0).0, 15, "size mismatch");
    still_running(&fx, id, 7, 1);
    assert_eq!(fx.femto.last_sequence(b"app"), Some(1));
}

/// The replacing container keeps the replaced one's private key-value
/// entries (and only those); the staging slot keeps none; unloading the
/// updated container then frees them.
#[test]
fn update_carries_the_private_store_over() {
    let _g = lock();
    let fx = setup_signed(1, false);
    let v1 = kv_program(b"app", &[]);
    let id = u32_of(fx.install(0, &sign("app", &v1, 1, DEVICE, &KEY), 0)) as usize;
    let sibling = fx.load_ok(0, &kv_program(b"sib", &[]));
    assert_eq!(fx.kv_store(0, id, 0, 3, 33), 0);
    assert_eq!(fx.kv_store(0, id, 0, 4, 44), 0);
    assert_eq!(fx.kv_store(0, sibling, 0, 3, 77), 0);
    assert_eq!(fx.kv_store(0, id, 1, 3, 55), 0);
    // Version 2 (one more instruction) is staged in slot 2 and replaces
    // slot 0.
    let v2 = kv_program(b"app", &[mov_imm(8, 2)]);
    assert_ne!(v1, v2);
    let r = fx.install(0, &sign("app", &v2, 2, DEVICE, &KEY), id);
    assert_eq!(u32_of(r) as usize, id, "same id after the update");
    assert_eq!(u64_of(fx.cmd(0, 7, id, 6)), 2, "version 2 runs");
    assert_eq!(fx.kv_fetch(0, id, 0, 3), 33, "private entries carried over");
    assert_eq!(fx.kv_fetch(0, id, 0, 4), 44);
    assert_eq!(
        fx.kv_fetch(0, sibling, 0, 3),
        77,
        "the sibling keeps its own"
    );
    assert_eq!(fx.kv_fetch(0, id, 1, 3), 55, "process scope unchanged");
    // The freed staging slot's next container starts empty.
    let next = fx.load_ok(0, &kv_program(b"next", &[]));
    assert_eq!(fx.kv_fetch(0, next, 0, 3), -2);
    assert_eq!(fx.kv_fetch(0, next, 0, 4), -2);
    // Unloading the updated container removes its entries.
    assert!(is_ok(fx.cmd(0, 2, id, 0)));
    let again = fx.load_ok(0, &kv_program(b"again", &[]));
    assert_eq!(
        again & 0xFF,
        id & 0xFF,
        "same slot as the updated container"
    );
    assert_eq!(fx.kv_fetch(0, again, 0, 3), -2);
    assert_eq!(fx.kv_fetch(0, sibling, 0, 3), 77);
}
