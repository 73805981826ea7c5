//! Why an envelope was refused.

use core::fmt;

/// Every way an envelope can be refused. Each check returns its own
/// variant, so a device can tell the sender exactly what failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before the COSE structure does.
    Truncated,
    /// The bytes are not the expected CBOR (wrong type, indefinite length,
    /// wrong array size, bad UTF-8, …). `at` is the byte offset.
    Malformed {
        /// Byte offset of the offending item (approximate for nested data).
        at: usize,
    },
    /// The COSE_Sign1 tag (18) is missing or another tag is used.
    NotCoseSign1,
    /// A field is larger than this crate accepts (manifest, header, name,
    /// signature, digest).
    TooLarge,
    /// The protected header names an algorithm other than EdDSA, or the
    /// digest an algorithm other than SHA-256.
    UnsupportedAlgorithm,
    /// A header or manifest field this format does not define.
    UnknownField,
    /// A header or manifest field appears twice.
    DuplicateField,
    /// A required header or manifest field is missing.
    MissingField,
    /// The unprotected header is not empty.
    UnprotectedHeader,
    /// The manifest version is not [`crate::MANIFEST_VERSION`].
    UnsupportedVersion,
    /// No trusted key has the envelope's key id.
    UnknownKey,
    /// The signature does not verify with the trusted key (or is not a
    /// canonical Ed25519 signature).
    BadSignature,
    /// The manifest is for another vendor or device class.
    WrongTarget,
    /// The image is not as long as the manifest says.
    SizeMismatch,
    /// The image's SHA-256 differs from the manifest's digest.
    DigestMismatch,
    /// The output buffer is too small (encoding only).
    BufferTooSmall,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated => write!(f, "envelope truncated"),
            Error::Malformed { at } => write!(f, "malformed CBOR at byte {at}"),
            Error::NotCoseSign1 => write!(f, "not a tagged COSE_Sign1"),
            Error::TooLarge => write!(f, "field too large"),
            Error::UnsupportedAlgorithm => write!(f, "unsupported algorithm"),
            Error::UnknownField => write!(f, "unknown field"),
            Error::DuplicateField => write!(f, "duplicate field"),
            Error::MissingField => write!(f, "missing field"),
            Error::UnprotectedHeader => write!(f, "unprotected header not empty"),
            Error::UnsupportedVersion => write!(f, "unsupported manifest version"),
            Error::UnknownKey => write!(f, "signed by an unknown key"),
            Error::BadSignature => write!(f, "bad signature"),
            Error::WrongTarget => write!(f, "manifest is for another target"),
            Error::SizeMismatch => write!(f, "image size differs from the manifest"),
            Error::DigestMismatch => write!(f, "image digest differs from the manifest"),
            Error::BufferTooSmall => write!(f, "output buffer too small"),
        }
    }
}

impl Error {
    /// Maps a minicbor decoding error: end of input is [`Error::Truncated`],
    /// anything else [`Error::Malformed`] at `at`.
    pub(crate) fn from_cbor(e: &minicbor::decode::Error, at: usize) -> Error {
        if e.is_end_of_input() {
            Error::Truncated
        } else {
            Error::Malformed {
                at: e.position().unwrap_or(at),
            }
        }
    }
}
