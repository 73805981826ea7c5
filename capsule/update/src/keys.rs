//! Trusted public keys and key ids.

use sha2::{Digest, Sha256};

/// Length of a key id.
pub const KEY_ID_LEN: usize = 8;

/// The key id of an Ed25519 public key: the first 8 bytes of its SHA-256.
/// Envelopes name their signing key by this id (COSE header `kid`), so a
/// device with several trusted keys verifies only once.
pub fn key_id(public: &[u8; 32]) -> [u8; KEY_ID_LEN] {
    let digest = Sha256::digest(public);
    let mut id = [0u8; KEY_ID_LEN];
    id.copy_from_slice(&digest[..KEY_ID_LEN]);
    id
}

/// A public key a device trusts to sign updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedKey {
    /// The Ed25519 public key (32 bytes).
    pub public: [u8; 32],
}

impl TrustedKey {
    /// A trusted key from its 32 public-key bytes.
    pub const fn new(public: [u8; 32]) -> Self {
        TrustedKey { public }
    }

    /// This key's id (see [`key_id`]).
    pub fn id(&self) -> [u8; KEY_ID_LEN] {
        key_id(&self.public)
    }
}
