//! A fixed-capacity key-value store (u32 keys, u64 values), used for the
//! container, process and global scopes of the `fc_kv_*` helpers.

use core::cell::Cell;

/// A store with `E` entries, kept inline (in a grant or in the capsule).
///
/// Stored as parallel arrays (keys, little-endian values, in-use flags):
/// 13 bytes per entry with 4-byte alignment, where `[Option<(u32, u64)>; E]`
/// took 16 (it is part of every container's record, see
/// [`crate::state::Slot`]).
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

/// A store shared through `&self` (the global scope, kept in the capsule).
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
}
