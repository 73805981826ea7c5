//! Fixed-capacity key-value stores (u32 keys, u64 values) behind the
//! `fc_kv_*` helpers: [`ScopedKv`], one table per process holding both the
//! process scope and its containers' private scopes, and [`SharedKv`], the
//! global scope (kept in the capsule on the device, in the simulator's host
//! state in `femto run`).

use core::cell::Cell;

/// A store with `E` entries, kept inline (the global scope, in the capsule,
/// through [`SharedKv`]).
///
/// Stored as parallel arrays (keys, little-endian values, in-use flags):
/// 13 bytes per entry with 4-byte alignment, where `[Option<(u32, u64)>; E]`
/// took 16.
#[derive(Clone, Copy, Debug)]
pub struct Kv<const E: usize> {
    keys: [u32; E],
    values: [[u8; 8]; E],
    used: [bool; E],
}

impl<const E: usize> Default for Kv<E> {
    fn default() -> Self {
        Kv {
            keys: [0; E],
            values: [[0; 8]; E],
            used: [false; E],
        }
    }
}

/// Errors of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KvError {
    /// The key is new and every entry is in use.
    Full,
    /// The key is not present.
    Absent,
}

impl<const E: usize> Kv<E> {
    /// Index of the entry holding `key`.
    fn find(&self, key: u32) -> Option<usize> {
        self.keys
            .iter()
            .zip(self.used.iter())
            .position(|(k, u)| *u && *k == key)
    }

    /// Stores `value` under `key` (replacing an existing value).
    pub fn store(&mut self, key: u32, value: u64) -> Result<(), KvError> {
        let index = match self.find(key) {
            Some(i) => i,
            None => self.used.iter().position(|u| !*u).ok_or(KvError::Full)?,
        };
        match (
            self.keys.get_mut(index),
            self.values.get_mut(index),
            self.used.get_mut(index),
        ) {
            (Some(k), Some(v), Some(u)) => {
                *k = key;
                *v = value.to_le_bytes();
                *u = true;
                Ok(())
            }
            _ => Err(KvError::Full),
        }
    }

    /// The value under `key`.
    pub fn fetch(&self, key: u32) -> Result<u64, KvError> {
        self.find(key)
            .and_then(|i| self.values.get(i))
            .map(|v| u64::from_le_bytes(*v))
            .ok_or(KvError::Absent)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// Who an entry of a [`ScopedKv`] belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// The process scope (`fc_kv_*` scope 1): every container of the
    /// process reads and writes it.
    Process,
    /// The private scope (`fc_kv_*` scope 0) of the container with this id
    /// (the capsule's `state::make_id`: generation in the high byte, slot index
    /// + 1 in the low byte). Only that container reads or writes it.
    Container(u16),
}

/// Tag of a free entry of a [`ScopedKv`].
const FREE: u16 = 0;
/// Tag of a process-scope entry. Container ids never have a zero low byte
/// (it holds the slot index + 1), so neither this nor [`FREE`] is an id.
const PROCESS: u16 = 0x0100;

impl Owner {
    /// The tag stored with the owner's entries; `None` for a value that is
    /// not a container id (zero low byte), which therefore owns nothing.
    fn tag(self) -> Option<u16> {
        match self {
            Owner::Process => Some(PROCESS),
            Owner::Container(id) if id & 0xFF != 0 => Some(id),
            Owner::Container(_) => None,
        }
    }
}

/// One process's key-value table: `E` entries shared by the process scope
/// and the private scopes of the process's containers; each entry is tagged
/// with its [`Owner`].
///
/// RAM goes to the entries actually stored: a container that stores
/// nothing uses none, and there is no fixed share per container slot. The
/// capacity is shared: a new key is refused ([`KvError::Full`]) when all
/// `E` entries are in use, whichever owners hold them (all of them belong
/// to the same process, i.e. the same app). An owner only ever finds,
/// replaces or removes its own entries.
///
/// Stored as parallel arrays (keys, little-endian values, owner tags):
/// 14 bytes per entry with 4-byte alignment.
#[derive(Clone, Copy, Debug)]
pub struct ScopedKv<const E: usize> {
    keys: [u32; E],
    values: [[u8; 8]; E],
    /// [`FREE`], [`PROCESS`] or the owning container's id.
    owners: [u16; E],
}

impl<const E: usize> Default for ScopedKv<E> {
    fn default() -> Self {
        ScopedKv {
            keys: [0; E],
            values: [[0; 8]; E],
            owners: [FREE; E],
        }
    }
}

impl<const E: usize> ScopedKv<E> {
    /// Index of the entry of owner tag `tag` holding `key`.
    fn find(&self, tag: u16, key: u32) -> Option<usize> {
        self.keys
            .iter()
            .zip(self.owners.iter())
            .position(|(k, o)| *o == tag && *k == key)
    }

    /// Stores `value` under `key` in `owner`'s scope (replacing the value
    /// if the owner already has `key`, even when the table is full).
    pub fn store(&mut self, owner: Owner, key: u32, value: u64) -> Result<(), KvError> {
        let tag = owner.tag().ok_or(KvError::Full)?;
        let index = match self.find(tag, key) {
            Some(i) => i,
            None => self
                .owners
                .iter()
                .position(|o| *o == FREE)
                .ok_or(KvError::Full)?,
        };
        match (
            self.keys.get_mut(index),
            self.values.get_mut(index),
            self.owners.get_mut(index),
        ) {
            (Some(k), Some(v), Some(o)) => {
                *k = key;
                *v = value.to_le_bytes();
                *o = tag;
                Ok(())
            }
            _ => Err(KvError::Full),
        }
    }

    /// The value under `key` in `owner`'s scope.
    pub fn fetch(&self, owner: Owner, key: u32) -> Result<u64, KvError> {
        let tag = owner.tag().ok_or(KvError::Absent)?;
        self.find(tag, key)
            .and_then(|i| self.values.get(i))
            .map(|v| u64::from_le_bytes(*v))
            .ok_or(KvError::Absent)
    }

    /// Removes the private entries of every container that is or was in
    /// slot `index` (any generation), freeing their capacity. Called when a
    /// container is unloaded and when a slot receives a new container.
    pub fn remove_slot(&mut self, index: usize) {
        let Ok(low) = u8::try_from(index.wrapping_add(1)) else {
            // No container id has this slot index.
            return;
        };
        if low == 0 {
            return;
        }
        for (o, (k, v)) in self
            .owners
            .iter_mut()
            .zip(self.keys.iter_mut().zip(self.values.iter_mut()))
        {
            if *o & 0xFF == low as u16 {
                *o = FREE;
                *k = 0;
                *v = [0; 8];
            }
        }
    }

    /// Entries in use by `owner`.
    pub fn count(&self, owner: Owner) -> usize {
        owner
            .tag()
            .map_or(0, |t| self.owners.iter().filter(|o| **o == t).count())
    }

    /// Entries in use, all owners together.
    pub fn used(&self) -> usize {
        self.owners.iter().filter(|o| **o != FREE).count()
    }
}

/// A store shared through `&self` (the global scope, kept in the capsule).
#[derive(Debug)]
pub struct SharedKv<const E: usize> {
    inner: Cell<Kv<E>>,
}

impl<const E: usize> Default for SharedKv<E> {
    fn default() -> Self {
        SharedKv {
            inner: Cell::new(Kv::default()),
        }
    }
}

impl<const E: usize> SharedKv<E> {
    /// See [`Kv::store`].
    pub fn store(&self, key: u32, value: u64) -> Result<(), KvError> {
        let mut kv = self.inner.get();
        let r = kv.store(key, value);
        self.inner.set(kv);
        r
    }

    /// See [`Kv::fetch`].
    pub fn fetch(&self, key: u32) -> Result<u64, KvError> {
        self.inner.get().fetch(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_fetch_replace_full() {
        let mut kv: Kv<2> = Kv::default();
        assert_eq!(kv.fetch(1), Err(KvError::Absent));
        kv.store(1, 10).unwrap();
        kv.store(2, 20).unwrap();
        assert_eq!(kv.store(3, 30), Err(KvError::Full));
        kv.store(1, 11).unwrap();
        assert_eq!(
            (kv.fetch(1), kv.fetch(2), kv.fetch(3)),
            (Ok(11), Ok(20), Err(KvError::Absent))
        );
        kv.clear();
        assert_eq!(kv.fetch(1), Err(KvError::Absent));
        let shared: SharedKv<1> = SharedKv::default();
        shared.store(u32::MAX, u64::MAX).unwrap();
        assert_eq!(shared.fetch(u32::MAX), Ok(u64::MAX));
        assert_eq!(shared.store(0, 0), Err(KvError::Full));
    }

    /// Owners see only their own entries; the capacity is shared; removing
    /// a slot frees exactly that slot's private entries.
    #[test]
    fn scoped_owners_are_separate_and_share_capacity() {
        let mut kv: ScopedKv<4> = ScopedKv::default();
        let a = Owner::Container(0x0101); // slot 0, generation 1
        let b = Owner::Container(0x0102); // slot 1, generation 1
        let a_next = Owner::Container(0x0201); // slot 0, generation 2
        kv.store(a, 7, 1).unwrap();
        kv.store(b, 7, 2).unwrap();
        kv.store(Owner::Process, 7, 3).unwrap();
        assert_eq!(
            (kv.fetch(a, 7), kv.fetch(b, 7), kv.fetch(Owner::Process, 7)),
            (Ok(1), Ok(2), Ok(3))
        );
        assert_eq!(kv.fetch(a_next, 7), Err(KvError::Absent), "generation");
        kv.store(a, 8, 4).unwrap();
        assert_eq!(kv.used(), 4);
        // Full for every owner; replacing an existing key still works.
        assert_eq!(kv.store(b, 9, 0), Err(KvError::Full));
        assert_eq!(kv.store(Owner::Process, 9, 0), Err(KvError::Full));
        kv.store(b, 7, 22).unwrap();
        assert_eq!(kv.fetch(b, 7), Ok(22));
        assert_eq!(
            (kv.count(a), kv.count(b), kv.count(Owner::Process)),
            (2, 1, 1)
        );
        // Slot 0's entries go; slot 1's and the process's stay.
        kv.remove_slot(0);
        assert_eq!(
            (kv.fetch(a, 7), kv.fetch(a, 8)),
            (Err(KvError::Absent), Err(KvError::Absent))
        );
        assert_eq!(
            (kv.fetch(b, 7), kv.fetch(Owner::Process, 7)),
            (Ok(22), Ok(3))
        );
        assert_eq!(kv.used(), 2);
        kv.store(a_next, 1, 5).unwrap();
        kv.store(a_next, 2, 6).unwrap();
        assert_eq!(kv.store(a_next, 3, 7), Err(KvError::Full));
        // Out-of-range slot indices and non-ids touch nothing.
        kv.remove_slot(255);
        kv.remove_slot(usize::MAX);
        assert_eq!(kv.used(), 4);
        let not_an_id = Owner::Container(0x0100);
        assert_eq!(kv.fetch(not_an_id, 7), Err(KvError::Absent));
        assert_eq!(kv.store(not_an_id, 7, 0), Err(KvError::Full));
        assert_eq!(kv.fetch(Owner::Process, 7), Ok(3));
    }
}
