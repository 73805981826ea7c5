//! The container image format (`doc/image-format.md`): parsing with every
//! length and offset checked, and a `no_std` encoder into a caller buffer so
//! host tools and the device share one definition.
//!
//! Layout (all integers little-endian; every section starts at a multiple of
//! 8 bytes, padding bytes are zero):
//!
//! ```text
//! header (48 bytes) | name | functions (32 bytes each) | helpers (4 bytes each)
//! | text | rodata | data | signature
//! ```
//!
//! [`Image::parse`] also accepts RIOT's rBPF format (see [`crate::rbf`]).

use crate::error::{Error, Section};
use crate::verifier::{AllowList, Program, VerifierConfig};

/// Magic number at offset 0.
pub const MAGIC: [u8; 4] = *b"FEMC";
/// The format version this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 48;
/// Size of one function table entry.
pub const FUNCTION_ENTRY_LEN: usize = 32;
/// Maximum length of a function name (bytes, NUL-padded in the entry).
pub const FUNCTION_NAME_MAX: usize = 24;
/// Maximum length of the container name.
pub const NAME_MAX: usize = 64;
/// Alignment of every section.
pub const SECTION_ALIGN: usize = 8;
/// Flag: the program must be verified in strict mode (forward jumps only).
pub const FLAG_STRICT: u16 = 0x0001;
/// All flags defined by this version.
pub const FLAGS_KNOWN: u16 = FLAG_STRICT;

/// The encoding an image was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// This crate's format (magic "FEMC").
    Native,
    /// RIOT's Femto-Container format (magic "rBPF").
    Rbf,
}

/// One exported function: a name and the instruction index where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function<'a> {
    /// The name (UTF-8 expected, not checked; no NUL).
    pub name: &'a [u8],
    /// Entry instruction index into the text.
    pub pc: u32,
}

/// A parsed, checked image. Borrows the image bytes; nothing is copied.
#[derive(Debug, Clone, Copy)]
pub struct Image<'a> {
    pub(crate) format: Format,
    pub(crate) bytes: &'a [u8],
    pub(crate) flags: u16,
    pub(crate) app_version: u32,
    pub(crate) stack_size: u32,
    pub(crate) bss_len: u32,
    pub(crate) name: &'a [u8],
    pub(crate) functions: &'a [u8],
    pub(crate) function_count: usize,
    pub(crate) helpers: &'a [u8],
    pub(crate) text: &'a [u8],
    pub(crate) rodata: &'a [u8],
    pub(crate) data: &'a [u8],
    pub(crate) signature: &'a [u8],
    pub(crate) signed_len: usize,
}

impl<'a> Image<'a> {
    /// Parses and checks an image (native or rBPF, told apart by the magic).
    pub fn parse(bytes: &'a [u8]) -> Result<Image<'a>, Error> {
        let _ = bytes;
        todo!()
    }

    /// The format the image was parsed from.
    pub fn format(&self) -> Format {
        self.format
    }
    /// The whole image.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Header flags ([`FLAG_STRICT`]).
    pub fn flags(&self) -> u16 {
        self.flags
    }
    /// The container's version / sequence number.
    pub fn app_version(&self) -> u32 {
        self.app_version
    }
    /// Stack bytes per call frame.
    pub fn stack_size(&self) -> u32 {
        self.stack_size
    }
    /// The container's name (metadata; empty for rBPF images).
    pub fn name(&self) -> &'a [u8] {
        self.name
    }
    /// The program text.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }
    /// Read-only data (region 4).
    pub fn rodata(&self) -> &'a [u8] {
        self.rodata
    }
    /// Initial contents of the data region (region 3), before the bss.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
    /// Zero-initialised bytes after `data` in region 3.
    pub fn bss_len(&self) -> u32 {
        self.bss_len
    }
    /// Size of the data region: `data().len() + bss_len()`.
    pub fn data_region_len(&self) -> usize {
        self.data.len() + self.bss_len as usize
    }
    /// Fills `buf` with the initial data region (data, then zeros) and returns
    /// the region length; `BufferTooSmall` if `buf` is shorter. Bytes of `buf`
    /// beyond the region are left unchanged.
    pub fn init_data(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let _ = buf;
        todo!()
    }
    /// The helper allow-list (rBPF images have none: [`AllowList::All`]).
    pub fn helpers(&self) -> AllowList<'a> {
        match self.format {
            Format::Native => AllowList::LeBytes(self.helpers),
            Format::Rbf => AllowList::All,
        }
    }
    /// Number of exported functions.
    pub fn function_count(&self) -> usize {
        self.function_count
    }
    /// Exported function `index`.
    pub fn function_at(&self, index: usize) -> Option<Function<'a>> {
        let _ = index;
        todo!()
    }
    /// The exported functions in table order.
    pub fn functions(&self) -> impl Iterator<Item = Function<'a>> + 'a {
        let this = *self;
        (0..self.function_count).filter_map(move |i| this.function_at(i))
    }
    /// Entry pc of the function named `name`.
    pub fn function(&self, name: &[u8]) -> Option<u32> {
        self.functions().find(|f| f.name == name).map(|f| f.pc)
    }
    /// The signature area (zero-length if the image has none).
    pub fn signature(&self) -> &'a [u8] {
        self.signature
    }
    /// The bytes a signature covers: the whole image before the signature area.
    pub fn signed_bytes(&self) -> &'a [u8] {
        &self.bytes[..self.signed_len]
    }
    /// The verifier settings this image asks for: its allow-list, its stack
    /// size, strict mode if flagged, rBPF pseudo-opcodes for rBPF images.
    pub fn verifier_config(&self) -> VerifierConfig<'a> {
        VerifierConfig {
            helpers: self.helpers(),
            strict: self.flags & FLAG_STRICT != 0,
            rbf_pseudo_opcodes: self.format == Format::Rbf,
            stack_frame_size: self.stack_size,
            ..VerifierConfig::default()
        }
    }
    /// Verifies the text with [`Image::verifier_config`].
    pub fn verify(&self) -> Result<Program<'a>, Error> {
        crate::verifier::verify(self.text, &self.verifier_config())
    }
}

/// Everything needed to encode a native image.
#[derive(Debug, Clone, Copy)]
pub struct ImageSpec<'a> {
    /// Container name (≤ [`NAME_MAX`] bytes).
    pub name: &'a [u8],
    /// Version / sequence number.
    pub app_version: u32,
    /// Header flags ([`FLAG_STRICT`]).
    pub flags: u16,
    /// Stack bytes per call frame (multiple of 8, > 0).
    pub stack_size: u32,
    /// Program text (multiple of 8 bytes, > 0).
    pub text: &'a [u8],
    /// Read-only data.
    pub rodata: &'a [u8],
    /// Initialised data.
    pub data: &'a [u8],
    /// Zero-initialised data after `data`.
    pub bss_len: u32,
    /// Exported functions (names ≤ [`FUNCTION_NAME_MAX`] bytes, no NUL).
    pub functions: &'a [Function<'a>],
    /// Helper allow-list.
    pub helpers: &'a [u32],
    /// Length of the signature area (filled with zeros by [`ImageSpec::encode`];
    /// write the signature with [`write_signature`]).
    pub signature_len: u16,
}

impl ImageSpec<'_> {
    /// The encoded size in bytes.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        todo!()
    }

    /// Encodes into `out` and returns the number of bytes written. The result
    /// parses with [`Image::parse`] (the encoder checks the same rules).
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let _ = out;
        todo!()
    }
}

/// Writes `signature` into the signature area of the encoded image `image`;
/// its length must equal the area's length.
pub fn write_signature(image: &mut [u8], signature: &[u8]) -> Result<(), Error> {
    let _ = (image, signature);
    todo!()
}
