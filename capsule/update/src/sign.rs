//! Building envelopes (host side; `no_std` too, so devices' tests and the
//! `femto` tool share it).

use ed25519_compact::{KeyPair, Seed};
use minicbor::encode::write::Cursor;
use minicbor::Encoder;

use crate::envelope::{sig_structure_prefix, HEADER_ALG, HEADER_KID};
use crate::{key_id, Error, Manifest, COSE_ALG_EDDSA, COSE_SIGN1_TAG, MAX_MANIFEST_LEN};

/// An upper bound of the bytes an envelope adds to its image: a buffer of
/// `image.len() + SIGNATURE_OVERHEAD` always holds the envelope.
pub const SIGNATURE_OVERHEAD: usize = crate::MAX_HEADER_LEN;

/// The Ed25519 public key of a 32-byte secret seed.
pub fn public_key(seed: &[u8; 32]) -> [u8; 32] {
    let kp = KeyPair::from_seed(Seed::new(*seed));
    *kp.pk
}

/// Writes the envelope for `manifest` and `image`, signed with the Ed25519
/// key of `seed`, into `out`; returns its length. The manifest must describe
/// the image (use [`Manifest::for_image`]); this is checked.
pub fn sign_envelope(
    manifest: &Manifest<'_>,
    image: &[u8],
    seed: &[u8; 32],
    out: &mut [u8],
) -> Result<usize, Error> {
    manifest.check_image(image)?;
    let kp = KeyPair::from_seed(Seed::new(*seed));
    let kid = key_id(&kp.pk);

    let mut protected = [0u8; 32];
    let protected_len = {
        let mut e = Encoder::new(Cursor::new(&mut protected[..]));
        e.map(2)
            .and_then(|e| e.u64(HEADER_ALG))
            .and_then(|e| e.i64(COSE_ALG_EDDSA))
            .and_then(|e| e.u64(HEADER_KID))
            .and_then(|e| e.bytes(&kid))
            .map_err(|_| Error::TooLarge)?;
        e.writer().position()
    };
    let protected = protected.get(..protected_len).ok_or(Error::TooLarge)?;

    let mut payload = [0u8; MAX_MANIFEST_LEN];
    let payload_len = manifest.encode(&mut payload)?;
    let payload = payload.get(..payload_len).ok_or(Error::TooLarge)?;

    // Ed25519 needs the whole message: the Sig_structure prefix + payload.
    let mut prefix = [0u8; 64];
    let n = sig_structure_prefix(protected, payload.len(), &mut prefix)?;
    let mut msg = [0u8; 64 + MAX_MANIFEST_LEN];
    let prefix = prefix.get(..n).ok_or(Error::TooLarge)?;
    let total = n + payload.len();
    msg.get_mut(..n)
        .ok_or(Error::TooLarge)?
        .copy_from_slice(prefix);
    msg.get_mut(n..total)
        .ok_or(Error::TooLarge)?
        .copy_from_slice(payload);
    let signature = kp.sk.sign(msg.get(..total).ok_or(Error::TooLarge)?, None);

    let header_len = {
        let mut e = Encoder::new(Cursor::new(&mut *out));
        e.tag(minicbor::data::Tag::new(COSE_SIGN1_TAG))
            .and_then(|e| e.array(4))
            .and_then(|e| e.bytes(protected))
            .and_then(|e| e.map(0))
            .and_then(|e| e.bytes(payload))
            .and_then(|e| e.bytes(&signature[..]))
            .map_err(|_| Error::BufferTooSmall)?;
        e.writer().position()
    };
    let end = header_len.checked_add(image.len()).ok_or(Error::TooLarge)?;
    out.get_mut(header_len..end)
        .ok_or(Error::BufferTooSmall)?
        .copy_from_slice(image);
    Ok(end)
}
