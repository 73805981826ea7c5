//! # femto-update: signed update envelopes for femto-containers
//!
//! A container update travels as an **envelope**: a COSE_Sign1 structure
//! (RFC 9052, tag 18) signed with Ed25519, whose payload is a small CBOR
//! **manifest** (in the spirit of SUIT, RFC 9124), immediately followed by
//! the container image itself:
//!
//! ```text
//! envelope = COSE_Sign1_Tagged || image
//! COSE_Sign1_Tagged = #6.18([ protected: bstr .cbor {1: -8 (EdDSA), 4: kid (8 bytes)},
//!                             unprotected: {},
//!                             payload: bstr .cbor manifest,
//!                             signature: bstr .size 64 ])
//! manifest = { 1: 1 (version), 2: sequence (uint), 3: vendor (tstr), 4: class (tstr),
//!              5: container name (tstr), 6: [-16 (SHA-256), bstr .size 32], 7: image size (uint) }
//! ```
//!
//! The full format, the order of the checks and the threat model are in
//! `doc/update.md`.
//!
//! **Verification order** (what a device does, see [`Envelope::verify`]):
//! 1. [`Envelope::parse`]: the COSE structure only (strict: definite
//!    lengths, exact array sizes, known header fields, bounded sizes); the
//!    manifest bytes are *not* interpreted yet;
//! 2. the key named by `kid` must be one of the trusted keys, and the
//!    Ed25519 signature over the COSE `Sig_structure` must be valid;
//! 3. only then is the manifest decoded (strictly: every field exactly once,
//!    no unknown field, bounded strings);
//! 4. the caller checks target ([`Manifest::check_target`]), sequence
//!    number (its own rollback state), and the image
//!    ([`Manifest::check_image`]: size and SHA-256 digest).
//!
//! The crate is `no_std`, allocation-free and has no `unsafe`; the crypto
//! comes from `ed25519-compact` and `sha2`, CBOR from `minicbor`.
#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "envelope")]
pub mod envelope;
#[cfg(feature = "envelope")]
pub mod error;
#[cfg(feature = "envelope")]
pub mod keys;
#[cfg(feature = "envelope")]
pub mod manifest;
#[cfg(feature = "envelope")]
pub mod sign;
pub mod transfer;

#[cfg(feature = "envelope")]
pub use envelope::Envelope;
#[cfg(feature = "envelope")]
pub use error::Error;
#[cfg(feature = "envelope")]
pub use keys::{key_id, TrustedKey, KEY_ID_LEN};
#[cfg(feature = "envelope")]
pub use manifest::{Manifest, Target};
#[cfg(feature = "envelope")]
pub use sign::{sign_envelope, SIGNATURE_OVERHEAD};

/// The largest manifest (CBOR payload) accepted, in bytes.
pub const MAX_MANIFEST_LEN: usize = 256;
/// The largest protected header accepted, in bytes.
pub const MAX_PROTECTED_LEN: usize = 32;
/// The largest COSE_Sign1 part of an envelope (everything before the image).
/// A device needs a buffer of this size to parse an envelope.
pub const MAX_HEADER_LEN: usize = 400;
/// The longest vendor, class or container name, in bytes.
pub const MAX_NAME_LEN: usize = 32;
/// Manifest format version.
pub const MANIFEST_VERSION: u64 = 1;
/// COSE algorithm id of EdDSA (RFC 9053).
pub const COSE_ALG_EDDSA: i64 = -8;
/// COSE algorithm id of SHA-256 (RFC 9054).
pub const COSE_ALG_SHA256: i64 = -16;
/// CBOR tag of COSE_Sign1.
pub const COSE_SIGN1_TAG: u64 = 18;

#[cfg(feature = "envelope")]
/// Everything a device checks except the sequence number, in the documented
/// order, on a complete envelope held in memory: structure, key and
/// signature, manifest, target, image size and digest. Returns the manifest
/// and the image. (The capsule performs the same steps one by one, because
/// it copies the image into kernel memory before hashing it.)
pub fn open<'a>(
    envelope: &'a [u8],
    keys: &[TrustedKey],
    device: &Target<'_>,
) -> Result<(Manifest<'a>, &'a [u8]), Error> {
    let parsed = Envelope::parse(envelope)?;
    let (manifest, _) = parsed.verify(keys)?;
    manifest.check_target(device)?;
    let image = envelope.get(parsed.header_len..).ok_or(Error::Truncated)?;
    manifest.check_image(image)?;
    Ok((manifest, image))
}
