//! A fixed-capacity key-value store (u32 keys, u64 values), used for the
//! container, process and global scopes of the `fc_kv_*` helpers.

use core::cell::Cell;

/// A store with `E` entries, kept inline (in a grant or in the capsule).
#[derive(Clone, Copy, Debug)]
pub struct Kv<const E: usize> {
    entries: [Option<(u32, u64)>; E],
}

impl<const E: usize> Default for Kv<E> {
    fn default() -> Self {
        Kv { entries: [None; E] }
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
    /// Stores `value` under `key` (replacing an existing value).
    pub fn store(&mut self, key: u32, value: u64) -> Result<(), KvError> {
        if let Some(e) = self.entries.iter_mut().flatten().find(|(k, _)| *k == key) {
            e.1 = value;
            return Ok(());
        }
        match self.entries.iter_mut().find(|e| e.is_none()) {
            Some(free) => {
                *free = Some((key, value));
                Ok(())
            }
            None => Err(KvError::Full),
        }
    }

    /// The value under `key`.
    pub fn fetch(&self, key: u32) -> Result<u64, KvError> {
        self.entries
            .iter()
            .flatten()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .ok_or(KvError::Absent)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.entries = [None; E];
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
