//! Sequence numbers kept in non-volatile storage: a "reboot" (a new capsule
//! over the same storage) still refuses replayed envelopes. The storage is a
//! fake `NonvolatileStorage` whose operations complete when the test says
//! so, like a flash controller's interrupt would.
mod common;
mod harness;

use core::cell::{Cell, RefCell};

use capsules_femto::update::{Target, TrustedKey, UpdatePolicy, RECORD_LEN, STORAGE_LEN};
use common::*;
use femto_update::sign::public_key;
use femto_update::{sign_envelope, Manifest, SIGNATURE_OVERHEAD};
use harness::lock;
use kernel::hil::nonvolatile_storage::{NonvolatileStorage, NonvolatileStorageClient};
use kernel::utilities::cells::{OptionalCell, TakeCell};
use kernel::ErrorCode;

const KEY: [u8; 32] = [0x21; 32];
const DEVICE: Target<'static> = Target {
    vendor: "femto-containers",
    class: "test-board",
};
const BASE: usize = 0x4000;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Op {
    Read(usize, usize),
    Write(usize, usize),
}

/// Flash of 4 KiB (erased = 0xFF) at address BASE.
struct FakeStorage {
    flash: RefCell<Vec<u8>>,
    client: OptionalCell<&'static dyn NonvolatileStorageClient>,
    pending: Cell<Option<Op>>,
    buffer: TakeCell<'static, [u8]>,
    fail: Cell<bool>,
    writes: Cell<usize>,
}

impl FakeStorage {
    fn new(flash: Vec<u8>) -> &'static FakeStorage {
        Box::leak(Box::new(FakeStorage {
            flash: RefCell::new(flash),
            client: OptionalCell::empty(),
            pending: Cell::new(None),
            buffer: TakeCell::empty(),
            fail: Cell::new(false),
            writes: Cell::new(0),
        }))
    }

    /// Completes the pending operation (the "interrupt").
    fn complete(&self) -> Option<Op> {
        let op = self.pending.take()?;
        let buf = self.buffer.take().unwrap();
        let mut flash = self.flash.borrow_mut();
        match op {
            Op::Read(addr, len) => {
                buf[..len].copy_from_slice(&flash[addr - BASE..addr - BASE + len]);
                drop(flash);
                self.client.map(|c| c.read_done(buf, len));
            }
            Op::Write(addr, len) => {
                flash[addr - BASE..addr - BASE + len].copy_from_slice(&buf[..len]);
                self.writes.set(self.writes.get() + 1);
                drop(flash);
                self.client.map(|c| c.write_done(buf, len));
            }
        }
        Some(op)
    }
}

impl NonvolatileStorage<'static> for FakeStorage {
    fn set_client(&self, client: &'static dyn NonvolatileStorageClient) {
        self.client.set(client);
    }
    fn read(
        &self,
        buffer: &'static mut [u8],
        address: usize,
        length: usize,
    ) -> Result<(), ErrorCode> {
        if self.fail.get() {
            return Err(ErrorCode::FAIL);
        }
        assert!(self.pending.get().is_none(), "one operation at a time");
        self.pending.set(Some(Op::Read(address, length)));
        self.buffer.replace(buffer);
        Ok(())
    }
    fn write(
        &self,
        buffer: &'static mut [u8],
        address: usize,
        length: usize,
    ) -> Result<(), ErrorCode> {
        if self.fail.get() {
            return Err(ErrorCode::FAIL);
        }
        assert!(self.pending.get().is_none(), "one operation at a time");
        self.pending.set(Some(Op::Write(address, length)));
        self.buffer.replace(buffer);
        Ok(())
    }
}

fn policy() -> &'static UpdatePolicy<'static> {
    let keys: &'static [TrustedKey] =
        Box::leak(vec![TrustedKey::new(public_key(&KEY))].into_boxed_slice());
    Box::leak(Box::new(UpdatePolicy {
        keys,
        target: DEVICE,
        require_signatures: false,
    }))
}

/// Boots a capsule whose sequence table lives in `storage`; the initial
/// read is left pending.
fn boot(storage: &'static FakeStorage) -> Fx {
    let fx = setup(1);
    fx.femto.set_update_policy(policy());
    let buffer: &'static mut [u8] = Box::leak(vec![0u8; STORAGE_LEN].into_boxed_slice());
    fx.femto.set_sequence_storage(storage, BASE, buffer);
    fx
}

fn envelope(value: i32, seq: u64) -> Vec<u8> {
    let img = Img::new(&[mov_imm(0, value), exit()]).name(b"app").build();
    let m = Manifest::for_image(&img, "app", seq, DEVICE).unwrap();
    let mut out = vec![0u8; img.len() + SIGNATURE_OVERHEAD];
    let n = sign_envelope(&m, &img, &KEY, &mut out).unwrap();
    out.truncate(n);
    out
}

fn last_error(fx: &Fx) -> (u32, u32) {
    pair_of(fx.cmd(0, 11, 0, 0))
}

#[test]
fn sequences_survive_a_reboot_and_replays_stay_refused() {
    let _g = lock();
    let storage = FakeStorage::new(vec![0xff; 4096]);
    let fx = boot(storage);
    // Until the stored table is read, installs wait.
    assert_eq!(err_of(fx.install(0, &envelope(1, 1), 0)), ErrorCode::BUSY);
    assert_eq!(last_error(&fx), (20, 0));
    assert_eq!(storage.complete(), Some(Op::Read(BASE, STORAGE_LEN)));
    // Erased flash: empty table, first install accepted and written (copy A).
    let id = u32_of(fx.install(0, &envelope(1, 1), 0)) as usize;
    assert_eq!(storage.complete(), Some(Op::Write(BASE, RECORD_LEN)));
    // Two updates in a row: the second write waits for the first (copy B, then A).
    assert_eq!(u32_of(fx.install(0, &envelope(2, 2), id)) as usize, id);
    assert_eq!(u32_of(fx.install(0, &envelope(3, 3), id)) as usize, id);
    assert_eq!(
        storage.complete(),
        Some(Op::Write(BASE + RECORD_LEN, RECORD_LEN))
    );
    assert_eq!(storage.complete(), Some(Op::Write(BASE, RECORD_LEN)));
    assert_eq!(storage.complete(), None);
    assert_eq!(storage.writes.get(), 3);

    // "Reboot": a new kernel over the same flash.
    let fx2 = boot(storage);
    storage.complete();
    assert_eq!(fx2.femto.last_sequence(b"app"), Some(3));
    for seq in [1, 2, 3] {
        assert_eq!(
            err_of(fx2.install(0, &envelope(9, seq), 0)),
            ErrorCode::ALREADY
        );
        assert_eq!(last_error(&fx2), (14, 3));
    }
    assert_eq!(storage.writes.get(), 3, "refusals write nothing");
    let id = u32_of(fx2.install(0, &envelope(4, 4), 0)) as usize;
    assert_eq!(u64_of(fx2.run(0, id, &[], 0).0), 4);
}

#[test]
fn a_reset_during_a_write_falls_back_to_the_other_copy() {
    let _g = lock();
    let storage = FakeStorage::new(vec![0xff; 4096]);
    let fx = boot(storage);
    storage.complete();
    let id = u32_of(fx.install(0, &envelope(1, 5), 0)) as usize;
    storage.complete(); // copy A: generation 1, seq 5
    u32_of(fx.install(0, &envelope(2, 6), id));
    storage.complete(); // copy B: generation 2, seq 6
    u32_of(fx.install(0, &envelope(3, 7), id));
    // The write of copy A (seq 7) is torn by a reset: half of it lands.
    let pending = storage.pending.take().unwrap();
    assert_eq!(pending, Op::Write(BASE, RECORD_LEN));
    let buf = storage.buffer.take().unwrap();
    storage.flash.borrow_mut()[..RECORD_LEN / 2].copy_from_slice(&buf[..RECORD_LEN / 2]);

    let fx2 = boot(storage);
    storage.complete();
    // Copy B (seq 6) is intact: 6 and below stay refused; 7 is accepted
    // again (the documented window: its record never reached flash).
    assert_eq!(fx2.femto.last_sequence(b"app"), Some(6));
    assert_eq!(
        err_of(fx2.install(0, &envelope(9, 6), 0)),
        ErrorCode::ALREADY
    );
    u32_of(fx2.install(0, &envelope(3, 7), 0));
}

#[test]
fn failing_storage_refuses_installs() {
    let _g = lock();
    let storage = FakeStorage::new(vec![0xff; 4096]);
    storage.fail.set(true);
    let fx = boot(storage);
    assert_eq!(err_of(fx.install(0, &envelope(1, 1), 0)), ErrorCode::FAIL);
    assert_eq!(last_error(&fx), (20, 0));
    // Unsigned loads are not affected.
    fx.load_ok(0, &ret42());
    // A buffer smaller than STORAGE_LEN is a board error: installs fail too.
    let storage = FakeStorage::new(vec![0xff; 4096]);
    let fx = setup(1);
    fx.femto.set_update_policy(policy());
    fx.femto
        .set_sequence_storage(storage, BASE, Box::leak(vec![0u8; 10].into_boxed_slice()));
    assert_eq!(err_of(fx.install(0, &envelope(1, 1), 0)), ErrorCode::FAIL);
    assert_eq!(storage.pending.get(), None, "nothing read");
}
