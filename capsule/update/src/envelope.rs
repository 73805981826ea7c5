//! Parsing and verifying an envelope: COSE_Sign1 (tag 18) followed by the
//! image.

use ed25519_compact::{PublicKey, Signature};
use minicbor::encode::write::Cursor;
use minicbor::{Decoder, Encoder};

use crate::keys::KEY_ID_LEN;
use crate::{
    Error, Manifest, TrustedKey, COSE_ALG_EDDSA, COSE_SIGN1_TAG, MAX_HEADER_LEN, MAX_MANIFEST_LEN,
    MAX_PROTECTED_LEN,
};

/// COSE header label `alg`.
pub(crate) const HEADER_ALG: u64 = 1;
/// COSE header label `kid`.
pub(crate) const HEADER_KID: u64 = 4;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// The signed part of an envelope, parsed but **not yet verified**: nothing
/// in it can be trusted before [`Envelope::verify`] succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The protected header, as signed (a CBOR map in a byte string).
    pub protected: &'a [u8],
    /// The payload (the CBOR manifest), as signed.
    pub payload: &'a [u8],
    /// The Ed25519 signature.
    pub signature: [u8; SIGNATURE_LEN],
    /// The key id from the protected header.
    pub kid: [u8; KEY_ID_LEN],
    /// Length of the COSE_Sign1 part: the image starts at this offset.
    pub header_len: usize,
}

fn cbor_err(d: &Decoder<'_>) -> impl Fn(minicbor::decode::Error) -> Error {
    let at = d.position();
    move |e| Error::from_cbor(&e, at)
}

/// Decodes the protected header `{1: -8, 4: kid}` (exactly these two
/// fields) and returns the key id.
fn parse_protected(bytes: &[u8]) -> Result<[u8; KEY_ID_LEN], Error> {
    let mut d = Decoder::new(bytes);
    let n = d
        .map()
        .map_err(cbor_err(&d))?
        .ok_or(Error::Malformed { at: 0 })?;
    if n > 4 {
        return Err(Error::TooLarge);
    }
    let mut alg = None;
    let mut kid = None;
    for _ in 0..n {
        match d.u64().map_err(cbor_err(&d))? {
            HEADER_ALG => {
                if alg.is_some() {
                    return Err(Error::DuplicateField);
                }
                alg = Some(d.i64().map_err(cbor_err(&d))?);
            }
            HEADER_KID => {
                if kid.is_some() {
                    return Err(Error::DuplicateField);
                }
                let at = d.position();
                let k = d.bytes().map_err(cbor_err(&d))?;
                let k: [u8; KEY_ID_LEN] = k.try_into().map_err(|_| Error::Malformed { at })?;
                kid = Some(k);
            }
            _ => return Err(Error::UnknownField),
        }
    }
    if d.position() != bytes.len() {
        return Err(Error::Malformed { at: d.position() });
    }
    if alg.ok_or(Error::MissingField)? != COSE_ALG_EDDSA {
        return Err(Error::UnsupportedAlgorithm);
    }
    kid.ok_or(Error::MissingField)
}

/// Encodes the start of the COSE `Sig_structure` for a COSE_Sign1 —
/// `["Signature1", protected, h'', payload]` — up to and including the
/// payload's byte-string header; the payload bytes themselves follow.
pub(crate) fn sig_structure_prefix(
    protected: &[u8],
    payload_len: usize,
    out: &mut [u8; 64],
) -> Result<usize, Error> {
    let mut e = Encoder::new(Cursor::new(&mut out[..]));
    e.array(4)
        .and_then(|e| e.str("Signature1"))
        .and_then(|e| e.bytes(protected))
        .and_then(|e| e.bytes(&[]))
        .and_then(|e| e.bytes_len(payload_len as u64))
        .map_err(|_| Error::TooLarge)?;
    Ok(e.writer().position())
}

impl<'a> Envelope<'a> {
    /// Parses the COSE_Sign1 at the start of `bytes` (the whole envelope, or
    /// at least its first [`Envelope::header_len`] bytes). Checks the
    /// structure only; the manifest is not decoded and the signature not
    /// verified.
    pub fn parse(bytes: &'a [u8]) -> Result<Envelope<'a>, Error> {
        let mut d = Decoder::new(bytes);
        let tag = d.tag().map_err(|e| {
            if e.is_end_of_input() {
                Error::Truncated
            } else {
                Error::NotCoseSign1
            }
        })?;
        if tag.as_u64() != COSE_SIGN1_TAG {
            return Err(Error::NotCoseSign1);
        }
        let at = d.position();
        if d.array().map_err(cbor_err(&d))? != Some(4) {
            return Err(Error::Malformed { at });
        }
        // Protected header: a bstr holding the map.
        let protected = d.bytes().map_err(cbor_err(&d))?;
        if protected.len() > MAX_PROTECTED_LEN {
            return Err(Error::TooLarge);
        }
        let kid = parse_protected(protected)?;
        // Unprotected header: must be the empty map.
        let at = d.position();
        match d.map().map_err(cbor_err(&d))? {
            Some(0) => {}
            Some(_) => return Err(Error::UnprotectedHeader),
            None => return Err(Error::Malformed { at }),
        }
        // Payload: the manifest, embedded (not detached).
        let at = d.position();
        let payload = d.bytes().map_err(|e| {
            // `null` (a detached payload) is not supported.
            if e.is_end_of_input() {
                Error::Truncated
            } else {
                Error::Malformed { at }
            }
        })?;
        if payload.len() > MAX_MANIFEST_LEN {
            return Err(Error::TooLarge);
        }
        let at = d.position();
        let sig = d.bytes().map_err(cbor_err(&d))?;
        let signature: [u8; SIGNATURE_LEN] = sig.try_into().map_err(|_| Error::Malformed { at })?;
        let header_len = d.position();
        if header_len > MAX_HEADER_LEN {
            return Err(Error::TooLarge);
        }
        Ok(Envelope {
            protected,
            payload,
            signature,
            kid,
            header_len,
        })
    }

    /// Verifies the signature with the trusted key named by the envelope's
    /// key id, then decodes the manifest. Returns the manifest and the index
    /// of the key in `keys`.
    ///
    /// The manifest is interpreted only after the signature verified; target,
    /// sequence number and image are still to be checked by the caller.
    pub fn verify(&self, keys: &[TrustedKey]) -> Result<(Manifest<'a>, usize), Error> {
        let index = keys
            .iter()
            .position(|k| k.id() == self.kid)
            .ok_or(Error::UnknownKey)?;
        let key = keys.get(index).ok_or(Error::UnknownKey)?;
        let public = PublicKey::new(key.public);
        let signature = Signature::new(self.signature);
        let mut state = public
            .verify_incremental(&signature)
            .map_err(|_| Error::BadSignature)?;
        let mut prefix = [0u8; 64];
        let n = sig_structure_prefix(self.protected, self.payload.len(), &mut prefix)?;
        state.absorb(prefix.get(..n).ok_or(Error::TooLarge)?);
        state.absorb(self.payload);
        state.verify().map_err(|_| Error::BadSignature)?;
        let manifest = Manifest::decode(self.payload)?;
        Ok((manifest, index))
    }
}
