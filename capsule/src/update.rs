//! Signed updates (command 12): the board's trust configuration and the
//! kernel's rollback state.
//!
//! The envelope format and its parser are in the `femto-update` crate; this
//! module holds what the *device* adds: which keys it trusts, what it is
//! (target), whether unsigned loads are still allowed, and the last
//! sequence number it accepted for each container name.
//!
//! **Where sequence numbers live.** In kernel memory ([`SequenceTable`],
//! inside the capsule), keyed by container name and shared by all
//! processes: a process that restarts cannot replay an old envelope, and two
//! processes cannot use one name to roll each other back. They are **not**
//! persisted: after a reboot (or on QEMU, every boot) the table is empty, so
//! an old but validly signed envelope would be accepted once after a reboot.
//! See `doc/update.md` for what persisting them on the nRF52840 would take.

use core::cell::Cell;

pub use femto_update::{Target, TrustedKey};

/// The public key of the **demo** key pair in `capsule/update/demo-keys/`
/// (whose secret is published in the repository): for tutorials, the QEMU
/// end-to-end test and host tests. A board that trusts it accepts updates
/// signed by anyone; real deployments use their own key (`femto keygen`).
pub const DEMO_PUBLIC_KEY: [u8; 32] = [
    0xb4, 0x03, 0x99, 0x48, 0x59, 0xa2, 0xc5, 0x28, 0xe0, 0x5c, 0xa9, 0xc0, 0x19, 0x38, 0xf5, 0x3d,
    0x9f, 0x06, 0x8b, 0xdf, 0x54, 0x37, 0x89, 0xfe, 0x26, 0x28, 0x8d, 0x3c, 0x83, 0x7a, 0xd3, 0x32,
];

/// [`DEMO_PUBLIC_KEY`] as a key list for [`UpdatePolicy::keys`].
pub static DEMO_KEYS: [TrustedKey; 1] = [TrustedKey::new(DEMO_PUBLIC_KEY)];

/// The vendor the project's boards and `femto sign` use by default.
pub const VENDOR: &str = "femto-containers";

/// Entries of the sequence-number table (container names a kernel
/// remembers).
pub const SEQUENCE_ENTRIES: usize = 8;

/// The board's update configuration.
#[derive(Debug, Clone, Copy)]
pub struct UpdatePolicy<'a> {
    /// Public keys whose signatures the kernel accepts. Empty: every
    /// signed update is refused (`FAIL`, unknown key).
    pub keys: &'a [TrustedKey],
    /// What this device is: an envelope's manifest must name exactly this
    /// vendor and class.
    pub target: Target<'a>,
    /// `true`: only signed envelopes (command 12) may install containers,
    /// plain loads (command 1) are refused. `false`: both work.
    pub require_signatures: bool,
}

#[derive(Clone, Copy)]
struct Entry {
    name: [u8; femto_update::MAX_NAME_LEN],
    len: u8,
    sequence: u64,
}

const EMPTY: Entry = Entry {
    name: [0; femto_update::MAX_NAME_LEN],
    len: 0,
    sequence: 0,
};

/// Why a sequence number was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceError {
    /// Not larger than the last accepted one (which is given).
    NotNewer(u64),
    /// The table has no room for another name.
    Full,
}

/// The last accepted sequence number per container name (kernel memory,
/// volatile).
pub struct SequenceTable {
    entries: [Cell<Entry>; SEQUENCE_ENTRIES],
}

impl Default for SequenceTable {
    fn default() -> Self {
        SequenceTable {
            entries: core::array::from_fn(|_| Cell::new(EMPTY)),
        }
    }
}

impl SequenceTable {
    fn find(&self, name: &[u8]) -> Option<&Cell<Entry>> {
        self.entries.iter().find(|c| {
            let e = c.get();
            e.len != 0 && e.name.get(..e.len as usize) == Some(name)
        })
    }

    /// The last sequence number accepted for `name` (`None`: never).
    pub fn last(&self, name: &[u8]) -> Option<u64> {
        self.find(name).map(|c| c.get().sequence)
    }

    /// Checks that `sequence` may be accepted for `name` (larger than the
    /// last one, and room in the table for a new name). Changes nothing.
    pub fn check(&self, name: &[u8], sequence: u64) -> Result<(), SequenceError> {
        match self.find(name) {
            Some(c) if sequence <= c.get().sequence => {
                Err(SequenceError::NotNewer(c.get().sequence))
            }
            Some(_) => Ok(()),
            None if name.is_empty() || name.len() > femto_update::MAX_NAME_LEN => {
                Err(SequenceError::Full)
            }
            None if self.entries.iter().any(|c| c.get().len == 0) => Ok(()),
            None => Err(SequenceError::Full),
        }
    }

    /// Records `sequence` for `name` after [`SequenceTable::check`] passed.
    pub fn record(&self, name: &[u8], sequence: u64) -> Result<(), SequenceError> {
        self.check(name, sequence)?;
        if let Some(c) = self.find(name) {
            let mut e = c.get();
            e.sequence = sequence;
            c.set(e);
            return Ok(());
        }
        let Some(free) = self.entries.iter().find(|c| c.get().len == 0) else {
            return Err(SequenceError::Full);
        };
        let mut e = EMPTY;
        let Some(dst) = e.name.get_mut(..name.len()) else {
            return Err(SequenceError::Full);
        };
        dst.copy_from_slice(name);
        e.len = name.len() as u8;
        e.sequence = sequence;
        free.set(e);
        Ok(())
    }
}

// ---- persistent form (for boards with non-volatile storage) ----------------

/// Bytes of one stored copy of the table.
pub const RECORD_LEN: usize = 400;
/// Bytes of non-volatile storage the table needs: two copies (A/B), written
/// alternately, so that a reset during a write leaves the other one intact.
pub const STORAGE_LEN: usize = 2 * RECORD_LEN;
const MAGIC: &[u8; 4] = b"FCSQ";
const ENTRY_LEN: usize = 48;
const BODY_LEN: usize = 8 + SEQUENCE_ENTRIES * ENTRY_LEN;

/// FNV-1a (64 bit): detects torn or corrupted records. Not a security
/// measure: the threat model excludes writing the device's flash.
fn checksum(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ *b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl SequenceTable {
    /// Writes the table as one record with `generation` into
    /// `out[..RECORD_LEN]`: `"FCSQ"`, generation (u32 LE), 8 entries of
    /// 48 bytes (name length, name padded to 32, 7 zero bytes, sequence u64
    /// LE), FNV-1a-64 of all that (LE). `None` if `out` is too short.
    pub fn encode(&self, generation: u32, out: &mut [u8]) -> Option<()> {
        let rec = out.get_mut(..RECORD_LEN)?;
        rec.fill(0);
        rec.get_mut(..4)?.copy_from_slice(MAGIC);
        rec.get_mut(4..8)?
            .copy_from_slice(&generation.to_le_bytes());
        for (i, c) in self.entries.iter().enumerate() {
            let e = c.get();
            let at = 8 + i * ENTRY_LEN;
            let slot = rec.get_mut(at..at + ENTRY_LEN)?;
            *slot.get_mut(0)? = e.len;
            slot.get_mut(1..33)?.copy_from_slice(&e.name);
            slot.get_mut(40..48)?
                .copy_from_slice(&e.sequence.to_le_bytes());
        }
        let sum = checksum(rec.get(..BODY_LEN)?);
        rec.get_mut(BODY_LEN..BODY_LEN + 8)?
            .copy_from_slice(&sum.to_le_bytes());
        Some(())
    }

    /// Decodes one record: its generation and entries, or `None` if the
    /// magic, the checksum or an entry is invalid (erased flash, torn write).
    fn decode(rec: &[u8]) -> Option<(u32, [Entry; SEQUENCE_ENTRIES])> {
        let rec = rec.get(..RECORD_LEN)?;
        if rec.get(..4)? != MAGIC {
            return None;
        }
        let sum = u64::from_le_bytes(rec.get(BODY_LEN..BODY_LEN + 8)?.try_into().ok()?);
        if checksum(rec.get(..BODY_LEN)?) != sum {
            return None;
        }
        let generation = u32::from_le_bytes(rec.get(4..8)?.try_into().ok()?);
        let mut entries = [EMPTY; SEQUENCE_ENTRIES];
        for (i, e) in entries.iter_mut().enumerate() {
            let at = 8 + i * ENTRY_LEN;
            let slot = rec.get(at..at + ENTRY_LEN)?;
            let len = *slot.first()?;
            if len as usize > femto_update::MAX_NAME_LEN {
                return None;
            }
            e.len = len;
            e.name.copy_from_slice(slot.get(1..33)?);
            e.sequence = u64::from_le_bytes(slot.get(40..48)?.try_into().ok()?);
        }
        Some((generation, entries))
    }

    /// Loads the newer valid one of the two records in `storage` (A at 0,
    /// B at [`RECORD_LEN`]) into the table and returns its generation;
    /// `None` (table left empty) if neither is valid, e.g. erased flash on
    /// the first boot.
    pub fn load(&self, storage: &[u8]) -> Option<u32> {
        let a = storage.get(..RECORD_LEN).and_then(Self::decode);
        let b = storage.get(RECORD_LEN..).and_then(Self::decode);
        let (generation, entries) = match (a, b) {
            (Some(a), Some(b)) => {
                if b.0 > a.0 {
                    b
                } else {
                    a
                }
            }
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return None,
        };
        for (cell, e) in self.entries.iter().zip(entries.iter()) {
            cell.set(*e);
        }
        Some(generation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_only_grow_per_name() {
        let t = SequenceTable::default();
        assert_eq!(t.last(b"a"), None);
        assert_eq!(t.check(b"a", 0), Ok(()));
        t.record(b"a", 5).unwrap();
        assert_eq!(t.check(b"a", 5), Err(SequenceError::NotNewer(5)));
        assert_eq!(t.check(b"a", 4), Err(SequenceError::NotNewer(5)));
        assert_eq!(t.record(b"a", 3), Err(SequenceError::NotNewer(5)));
        assert_eq!(t.last(b"a"), Some(5));
        t.record(b"a", 6).unwrap();
        assert_eq!(t.last(b"a"), Some(6));
        // Other names are independent; a prefix is another name.
        assert_eq!(t.check(b"ab", 1), Ok(()));
        assert_eq!(t.last(b""), None);
    }

    #[test]
    fn records_round_trip_and_the_newer_valid_copy_wins() {
        let t = SequenceTable::default();
        t.record(b"app", 7).unwrap();
        t.record(b"other", 3).unwrap();
        let mut flash = [0xffu8; STORAGE_LEN];
        let fresh = SequenceTable::default();
        assert_eq!(fresh.load(&flash), None, "erased flash: empty table");
        t.encode(1, &mut flash[..RECORD_LEN]).unwrap();
        t.record(b"app", 9).unwrap();
        t.encode(2, &mut flash[RECORD_LEN..]).unwrap();
        let r = SequenceTable::default();
        assert_eq!(r.load(&flash), Some(2));
        assert_eq!((r.last(b"app"), r.last(b"other")), (Some(9), Some(3)));
        // A torn write of copy B: copy A (generation 1) is used.
        flash[RECORD_LEN + 50] ^= 1;
        let r = SequenceTable::default();
        assert_eq!(r.load(&flash), Some(1));
        assert_eq!(r.last(b"app"), Some(7));
        // Both broken: empty.
        flash[50] ^= 1;
        assert_eq!(SequenceTable::default().load(&flash), None);
        // A name length above 32 with a valid checksum is refused too.
        let mut rec = [0u8; RECORD_LEN];
        t.encode(5, &mut rec).unwrap();
        rec[8] = 33;
        let sum = checksum(&rec[..BODY_LEN]);
        rec[BODY_LEN..BODY_LEN + 8].copy_from_slice(&sum.to_le_bytes());
        assert!(SequenceTable::decode(&rec).is_none());
        assert!(t.encode(1, &mut [0u8; RECORD_LEN - 1]).is_none());
    }

    #[test]
    fn a_full_table_refuses_new_names_only() {
        let t = SequenceTable::default();
        for i in 0..SEQUENCE_ENTRIES {
            t.record(&[b'a' + i as u8], 1).unwrap();
        }
        assert_eq!(t.check(b"new", 1), Err(SequenceError::Full));
        assert_eq!(t.record(b"new", 1), Err(SequenceError::Full));
        t.record(b"a", 2).unwrap();
        assert_eq!(t.check(&[0u8; 33], 1), Err(SequenceError::Full));
        assert_eq!(t.check(b"", 1), Err(SequenceError::Full));
    }
}
