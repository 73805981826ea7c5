//! The manifest: what an envelope says about its image (CBOR map with
//! integer keys, SUIT-like).
//!
//! | key | field | type |
//! |-----|-------|------|
//! | 1 | manifest version | uint, must be 1 |
//! | 2 | sequence number | uint (64 bit), monotonic per container name |
//! | 3 | target vendor | tstr, 1–32 bytes |
//! | 4 | target class (board id) | tstr, 1–32 bytes |
//! | 5 | container name | tstr, 1–32 bytes (the image's own name must match) |
//! | 6 | image digest | `[alg, bstr]`: alg -16 (SHA-256), 32 bytes |
//! | 7 | image size | uint (≤ u32::MAX) |
//!
//! Every key must appear exactly once; any other key is refused.

use minicbor::encode::write::Cursor;
use minicbor::{Decoder, Encoder};
use sha2::{Digest, Sha256};

use crate::{Error, COSE_ALG_SHA256, MANIFEST_VERSION, MAX_MANIFEST_LEN, MAX_NAME_LEN};

/// Manifest keys.
mod key {
    pub const VERSION: u64 = 1;
    pub const SEQUENCE: u64 = 2;
    pub const VENDOR: u64 = 3;
    pub const CLASS: u64 = 4;
    pub const NAME: u64 = 5;
    pub const DIGEST: u64 = 6;
    pub const IMAGE_SIZE: u64 = 7;
}

/// What a device is: the manifest's vendor and class must equal these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// Vendor (e.g. `"femto-containers"`).
    pub vendor: &'a str,
    /// Device class or board id (e.g. `"nrf52840dk"`, `"qemu_rv32_virt"`).
    pub class: &'a str,
}

/// A decoded manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manifest<'a> {
    /// Sequence number: a device accepts an envelope for a container name
    /// only if it is larger than the last one it accepted for that name.
    pub sequence: u64,
    /// Target vendor and class.
    pub target: Target<'a>,
    /// Name of the container (must equal the image's own name).
    pub name: &'a str,
    /// SHA-256 of the image.
    pub digest: [u8; 32],
    /// Length of the image in bytes.
    pub image_size: u32,
}

fn bounded_str<'b>(d: &mut Decoder<'b>) -> Result<&'b str, Error> {
    let at = d.position();
    let s = d.str().map_err(|e| Error::from_cbor(&e, at))?;
    if s.is_empty() {
        return Err(Error::Malformed { at });
    }
    if s.len() > MAX_NAME_LEN {
        return Err(Error::TooLarge);
    }
    Ok(s)
}

fn set<T>(slot: &mut Option<T>, value: T) -> Result<(), Error> {
    if slot.is_some() {
        return Err(Error::DuplicateField);
    }
    *slot = Some(value);
    Ok(())
}

impl<'a> Manifest<'a> {
    /// Decodes a manifest (the COSE payload). Strict: a definite-length map
    /// with exactly the seven keys, each once; no trailing bytes.
    ///
    /// On a device this is only called on a payload whose signature was
    /// already verified ([`crate::Envelope::verify`]).
    pub fn decode(bytes: &'a [u8]) -> Result<Manifest<'a>, Error> {
        if bytes.len() > MAX_MANIFEST_LEN {
            return Err(Error::TooLarge);
        }
        let mut d = Decoder::new(bytes);
        let cbor = |d: &Decoder<'_>| {
            let at = d.position();
            move |e: minicbor::decode::Error| Error::from_cbor(&e, at)
        };
        let n = d
            .map()
            .map_err(cbor(&d))?
            .ok_or(Error::Malformed { at: 0 })?;
        if n > 16 {
            return Err(Error::TooLarge);
        }
        let mut version = None;
        let mut sequence = None;
        let mut vendor = None;
        let mut class = None;
        let mut name = None;
        let mut digest = None;
        let mut image_size = None;
        for _ in 0..n {
            let k = d.u64().map_err(cbor(&d))?;
            match k {
                key::VERSION => set(&mut version, d.u64().map_err(cbor(&d))?)?,
                key::SEQUENCE => set(&mut sequence, d.u64().map_err(cbor(&d))?)?,
                key::VENDOR => set(&mut vendor, bounded_str(&mut d)?)?,
                key::CLASS => set(&mut class, bounded_str(&mut d)?)?,
                key::NAME => set(&mut name, bounded_str(&mut d)?)?,
                key::DIGEST => {
                    let at = d.position();
                    if d.array().map_err(cbor(&d))? != Some(2) {
                        return Err(Error::Malformed { at });
                    }
                    if d.i64().map_err(cbor(&d))? != COSE_ALG_SHA256 {
                        return Err(Error::UnsupportedAlgorithm);
                    }
                    let at = d.position();
                    let bytes = d.bytes().map_err(cbor(&d))?;
                    let value: [u8; 32] = bytes.try_into().map_err(|_| Error::Malformed { at })?;
                    set(&mut digest, value)?;
                }
                key::IMAGE_SIZE => {
                    let at = d.position();
                    let v = d.u64().map_err(cbor(&d))?;
                    let v = u32::try_from(v).map_err(|_| Error::Malformed { at })?;
                    set(&mut image_size, v)?;
                }
                _ => return Err(Error::UnknownField),
            }
        }
        if d.position() != bytes.len() {
            return Err(Error::Malformed { at: d.position() });
        }
        if version.ok_or(Error::MissingField)? != MANIFEST_VERSION {
            return Err(Error::UnsupportedVersion);
        }
        Ok(Manifest {
            sequence: sequence.ok_or(Error::MissingField)?,
            target: Target {
                vendor: vendor.ok_or(Error::MissingField)?,
                class: class.ok_or(Error::MissingField)?,
            },
            name: name.ok_or(Error::MissingField)?,
            digest: digest.ok_or(Error::MissingField)?,
            image_size: image_size.ok_or(Error::MissingField)?,
        })
    }

    /// Encodes this manifest into `out` (canonical order of keys 1..7);
    /// returns the length.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        for s in [self.target.vendor, self.target.class, self.name] {
            if s.is_empty() || s.len() > MAX_NAME_LEN {
                return Err(Error::TooLarge);
            }
        }
        let mut e = Encoder::new(Cursor::new(&mut *out));
        (|| {
            e.map(7)?
                .u64(key::VERSION)?
                .u64(MANIFEST_VERSION)?
                .u64(key::SEQUENCE)?
                .u64(self.sequence)?
                .u64(key::VENDOR)?
                .str(self.target.vendor)?
                .u64(key::CLASS)?
                .str(self.target.class)?
                .u64(key::NAME)?
                .str(self.name)?
                .u64(key::DIGEST)?
                .array(2)?
                .i64(COSE_ALG_SHA256)?
                .bytes(&self.digest)?
                .u64(key::IMAGE_SIZE)?
                .u32(self.image_size)?;
            Ok::<(), minicbor::encode::Error<_>>(())
        })()
        .map_err(|_| Error::BufferTooSmall)?;
        let len = e.writer().position();
        if len > MAX_MANIFEST_LEN {
            return Err(Error::TooLarge);
        }
        Ok(len)
    }

    /// A manifest describing `image` (its size and SHA-256).
    pub fn for_image(
        image: &[u8],
        name: &'a str,
        sequence: u64,
        target: Target<'a>,
    ) -> Result<Manifest<'a>, Error> {
        Ok(Manifest {
            sequence,
            target,
            name,
            digest: Sha256::digest(image).into(),
            image_size: u32::try_from(image.len()).map_err(|_| Error::TooLarge)?,
        })
    }

    /// Checks that the manifest is for this device.
    pub fn check_target(&self, device: &Target<'_>) -> Result<(), Error> {
        if self.target.vendor == device.vendor && self.target.class == device.class {
            Ok(())
        } else {
            Err(Error::WrongTarget)
        }
    }

    /// Checks the image against the manifest: its length, then its SHA-256.
    pub fn check_image(&self, image: &[u8]) -> Result<(), Error> {
        if u32::try_from(image.len()).ok() != Some(self.image_size) {
            return Err(Error::SizeMismatch);
        }
        let digest: [u8; 32] = Sha256::digest(image).into();
        if digest != self.digest {
            return Err(Error::DigestMismatch);
        }
        Ok(())
    }
}
