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
//! [`Image::parse`] also accepts RIOT's rBPF format (the `rbf` module) when
//! the crate's `rbf` feature (default) is on, and refuses it with
//! [`Error::UnsupportedFormat`] otherwise.

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

/// RIOT's rBPF magic number ("rBPF" as a little-endian `u32`), recognised
/// with or without the `rbf` feature.
pub(crate) const RBF_MAGIC: u32 = 0x7242_5046;

/// The encoding an image was parsed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// This crate's format (magic "FEMC").
    Native,
    /// RIOT's Femto-Container format (magic "rBPF"; parsed only with the
    /// `rbf` feature).
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
    /// The sections, indexed by [`NAME`], [`FUNCTIONS`], ... [`SIGNATURE`]
    /// (the native format's order; empty where a format has none).
    pub(crate) sections: [&'a [u8]; 7],
    pub(crate) function_count: usize,
    pub(crate) signed_len: usize,
}

/// Indices into [`Image::sections`].
pub(crate) const NAME: usize = 0;
pub(crate) const FUNCTIONS: usize = 1;
pub(crate) const HELPERS: usize = 2;
pub(crate) const TEXT: usize = 3;
pub(crate) const RODATA: usize = 4;
pub(crate) const DATA: usize = 5;
pub(crate) const SIGNATURE: usize = 6;

impl<'a> Image<'a> {
    /// Parses and checks an image (native or rBPF, told apart by the magic;
    /// an rBPF image is [`Error::UnsupportedFormat`] without the `rbf`
    /// feature).
    pub fn parse(bytes: &'a [u8]) -> Result<Image<'a>, Error> {
        let magic = bytes.first_chunk::<4>();
        if magic == Some(&RBF_MAGIC.to_le_bytes()) {
            #[cfg(feature = "rbf")]
            return crate::rbf::parse(bytes);
            #[cfg(not(feature = "rbf"))]
            return Err(Error::UnsupportedFormat);
        }
        if magic.is_some_and(|m| *m != MAGIC) {
            return Err(Error::BadMagic);
        }
        let Some(h) = bytes.first_chunk::<HEADER_LEN>() else {
            return Err(Error::ImageTooShort { needed: HEADER_LEN, actual: bytes.len() });
        };
        let version = u16_at(h, 4);
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion { version: version as u32 });
        }
        let flags = u16_at(h, 6);
        if flags & !FLAGS_KNOWN != 0 {
            return Err(Error::UnknownFlags { flags: (flags & !FLAGS_KNOWN) as u32 });
        }
        let text_len = u32_at(h, 8);
        let data_len = u32_at(h, 16);
        let bss_len = u32_at(h, 20);
        let stack_size = u32_at(h, 24);
        let name_len = u16_at(h, 36) as usize;
        let invalid = |section, offset| Error::InvalidField { section, offset };
        if u32_at(h, 44) != 0 {
            return Err(invalid(Section::Header, 44));
        }
        if text_len == 0 || text_len % crate::isa::INSN_SIZE as u32 != 0 {
            return Err(invalid(Section::Text, 8));
        }
        if data_len.checked_add(bss_len).is_none() {
            return Err(invalid(Section::Bss, 20));
        }
        if stack_size == 0 || stack_size % 8 != 0 {
            return Err(invalid(Section::Header, 24));
        }
        if name_len > NAME_MAX {
            return Err(invalid(Section::Name, 36));
        }

        // The sections in order, each followed by zero padding to a multiple
        // of 8, except the signature (last).
        let function_count = u16_at(h, 32) as usize;
        let parts = [
            (NAME, name_len, true),
            (FUNCTIONS, function_count * FUNCTION_ENTRY_LEN, true),
            (HELPERS, u16_at(h, 34) as usize * 4, true),
            (TEXT, text_len as usize, true),
            (RODATA, u32_at(h, 12) as usize, true),
            (DATA, data_len as usize, true),
            (SIGNATURE, u16_at(h, 38) as usize, false),
        ];
        let mut image = Image {
            format: Format::Native,
            bytes,
            flags,
            app_version: u32_at(h, 28),
            stack_size,
            bss_len,
            sections: [&[]; 7],
            function_count,
            signed_len: 0,
        };
        let sections = &mut image.sections;
        let mut layout = Layout { bytes, pos: HEADER_LEN };
        // Opaque to the optimiser: with one caller (no `rbf` feature) LLVM
        // would unroll the loop over these constant indices, seven copies
        // of it (+764 bytes of Cortex-M4 code).
        layout.take_all(sections, core::hint::black_box(&parts))?;
        // Nothing follows the signature: it ends where the layout does.
        image.signed_len = layout.pos - sections[SIGNATURE].len();
        let sections = &image.sections;
        let end = layout.pos;
        if u32_at(h, 40) as usize != end {
            return Err(invalid(Section::Header, 40));
        }
        if bytes.len() > end {
            return Err(Error::ImageTrailingBytes { expected: end, actual: bytes.len() });
        }
        if find_byte(sections[NAME], false).is_some() {
            return Err(invalid(Section::Name, HEADER_LEN));
        }
        // Function entries: a non-empty NUL-padded name, the pc of an
        // instruction start inside the text, a reserved word of 0.
        for (index, e) in sections[FUNCTIONS].chunks_exact(FUNCTION_ENTRY_LEN).enumerate() {
            let (raw, rest) = e.split_at(FUNCTION_NAME_MAX);
            let n = find_byte(raw, false).unwrap_or(FUNCTION_NAME_MAX);
            let padded = find_byte(raw.get(n..).unwrap_or(&[]), true).is_none();
            if n == 0 || !padded || u32_at(rest, 4) != 0 || check_entry(sections[TEXT], u32_at(rest, 0) as usize).is_err() {
                return Err(Error::BadFunction { index });
            }
        }
        Ok(image)
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
        self.sections[NAME]
    }
    /// The program text.
    pub fn text(&self) -> &'a [u8] {
        self.sections[TEXT]
    }
    /// Read-only data (region 4).
    pub fn rodata(&self) -> &'a [u8] {
        self.sections[RODATA]
    }
    /// Initial contents of the data region (region 3), before the bss.
    pub fn data(&self) -> &'a [u8] {
        self.sections[DATA]
    }
    /// Zero-initialised bytes after `data` in region 3.
    pub fn bss_len(&self) -> u32 {
        self.bss_len
    }
    /// Size of the data region: `data().len() + bss_len()`.
    pub fn data_region_len(&self) -> usize {
        self.data().len() + self.bss_len as usize
    }
    /// Fills `buf` with the initial data region (data, then zeros) and returns
    /// the region length; `BufferTooSmall` if `buf` is shorter. Bytes of `buf`
    /// beyond the region are left unchanged.
    pub fn init_data(&self, buf: &mut [u8]) -> Result<usize, Error> {
        let len = self.data_region_len();
        let Some(region) = buf.get_mut(..len) else {
            return Err(Error::BufferTooSmall { needed: len, actual: buf.len() });
        };
        let data = self.data();
        // `len` is `data.len() + bss_len`; `min` only spares a panic path.
        let (head, bss) = region.split_at_mut(data.len().min(len));
        head.copy_from_slice(&data[..head.len()]);
        bss.fill(0);
        Ok(len)
    }
    /// The helper allow-list (rBPF images have none: [`AllowList::All`]).
    pub fn helpers(&self) -> AllowList<'a> {
        match self.format {
            Format::Native => AllowList::LeBytes(self.sections[HELPERS]),
            Format::Rbf => AllowList::All,
        }
    }
    /// Number of exported functions.
    pub fn function_count(&self) -> usize {
        self.function_count
    }
    /// Exported function `index`.
    pub fn function_at(&self, index: usize) -> Option<Function<'a>> {
        if index >= self.function_count {
            return None;
        }
        match self.format {
            Format::Native => {
                let e = self.sections[FUNCTIONS].get(index * FUNCTION_ENTRY_LEN..)?.get(..FUNCTION_ENTRY_LEN)?;
                let n = find_byte(&e[..FUNCTION_NAME_MAX], false).unwrap_or(FUNCTION_NAME_MAX);
                Some(Function { name: e.get(..n)?, pc: u32_at(e, FUNCTION_NAME_MAX) })
            }
            #[cfg(feature = "rbf")]
            Format::Rbf => crate::rbf::function_at(self, index),
            #[cfg(not(feature = "rbf"))]
            Format::Rbf => None,
        }
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
        self.sections[SIGNATURE]
    }
    /// The bytes a signature covers: the whole image before the signature area.
    pub fn signed_bytes(&self) -> &'a [u8] {
        self.bytes.get(..self.signed_len).unwrap_or(self.bytes)
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
        crate::verifier::verify(self.text(), &self.verifier_config())
    }
}

/// Parses the image in `bytes`, runs `check` on it (a host's own checks,
/// and whatever it needs from the image) and, only if `check` returns `Ok`,
/// verifies the text ([`Image::verify`]): one parse for all three. Returns
/// the parse or verification error, else `check`'s result.
/// [`crate::translate_image_with`] does the same and then translates.
pub fn verify_image_with<T, E>(
    bytes: &[u8],
    check: impl FnOnce(&Image<'_>) -> Result<T, E>,
) -> Result<Result<T, E>, Error> {
    let image = Image::parse(bytes)?;
    let checked = check(&image);
    if checked.is_ok() {
        image.verify()?;
    }
    Ok(checked)
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

impl<'a> ImageSpec<'a> {
    /// An image of `text` and nothing else: no name, version 1, no flags, a
    /// 512-byte stack, no data, no exported function, an empty helper
    /// allow-list, no signature. Set what differs with struct update syntax:
    /// `ImageSpec { name: b"app", functions: &fns, ..ImageSpec::of_text(&text) }`.
    pub const fn of_text(text: &'a [u8]) -> Self {
        ImageSpec {
            name: &[],
            app_version: 1,
            flags: 0,
            stack_size: 512,
            text,
            rodata: &[],
            data: &[],
            bss_len: 0,
            functions: &[],
            helpers: &[],
            signature_len: 0,
        }
    }

    /// The encoded size in bytes.
    pub fn encoded_len(&self) -> Result<usize, Error> {
        let too_big = Error::SectionOutOfBounds { section: Section::Header, offset: 0, len: usize::MAX };
        let mut pos = HEADER_LEN;
        for len in [
            self.name.len(),
            self.functions.len().checked_mul(FUNCTION_ENTRY_LEN).ok_or(too_big)?,
            self.helpers.len().checked_mul(4).ok_or(too_big)?,
            self.text.len(),
            self.rodata.len(),
            self.data.len(),
        ] {
            pos = pos.checked_add(len).and_then(align8).ok_or(too_big)?;
        }
        pos.checked_add(self.signature_len as usize).ok_or(too_big)
    }

    /// Encodes into `out` and returns the number of bytes written. The result
    /// parses with [`Image::parse`] (the encoder checks the same rules, by
    /// parsing its output). On error the first `encoded_len()` bytes of `out`
    /// may have been overwritten.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, Error> {
        let total = self.encoded_len()?;
        let invalid = |section, offset| Error::InvalidField { section, offset };
        if total > u32::MAX as usize {
            return Err(invalid(Section::Header, 40));
        }
        let count16 = |n: usize, section, offset| u16::try_from(n).map_err(|_| invalid(section, offset));
        let function_count = count16(self.functions.len(), Section::Functions, 32)?;
        let helper_count = count16(self.helpers.len(), Section::Helpers, 34)?;
        let name_len = count16(self.name.len(), Section::Name, 36)?;
        let u32len = |n: usize, section, offset| u32::try_from(n).map_err(|_| invalid(section, offset));
        let text_len = u32len(self.text.len(), Section::Text, 8)?;
        let rodata_len = u32len(self.rodata.len(), Section::Rodata, 12)?;
        let data_len = u32len(self.data.len(), Section::Data, 16)?;
        if let Some(i) = self.functions.iter().position(|f| f.name.len() > FUNCTION_NAME_MAX) {
            return Err(Error::BadFunction { index: i });
        }
        let Some(out) = out.get_mut(..total) else {
            return Err(Error::BufferTooSmall { needed: total, actual: out.len() });
        };
        out.fill(0);
        out[..4].copy_from_slice(&MAGIC);
        put16(out, 4, FORMAT_VERSION);
        put16(out, 6, self.flags);
        put32(out, 8, text_len);
        put32(out, 12, rodata_len);
        put32(out, 16, data_len);
        put32(out, 20, self.bss_len);
        put32(out, 24, self.stack_size);
        put32(out, 28, self.app_version);
        put16(out, 32, function_count);
        put16(out, 34, helper_count);
        put16(out, 36, name_len);
        put16(out, 38, self.signature_len);
        put32(out, 40, total as u32);
        // Sections in order; `out` is zeroed, so skipping to the next
        // multiple of 8 writes the zero padding. Lengths were summed with
        // checked arithmetic in `encoded_len`, so the slices below are in range.
        let mut pos = HEADER_LEN;
        put_aligned(out, &mut pos, self.name);
        for f in self.functions {
            let mut e = [0u8; FUNCTION_ENTRY_LEN];
            e[..f.name.len()].copy_from_slice(f.name);
            e[FUNCTION_NAME_MAX..FUNCTION_NAME_MAX + 4].copy_from_slice(&f.pc.to_le_bytes());
            put_aligned(out, &mut pos, &e);
        }
        for h in self.helpers {
            out[pos..pos + 4].copy_from_slice(&h.to_le_bytes());
            pos += 4;
        }
        pos = align8(pos).unwrap_or(pos);
        put_aligned(out, &mut pos, self.text);
        put_aligned(out, &mut pos, self.rodata);
        put_aligned(out, &mut pos, self.data);
        // The encoder's rules are the parser's rules: check by parsing.
        Image::parse(out)?;
        Ok(total)
    }
}

/// Writes `signature` into the signature area of the encoded image `image`;
/// its length must equal the area's length.
pub fn write_signature(image: &mut [u8], signature: &[u8]) -> Result<(), Error> {
    let (start, len) = {
        let parsed = Image::parse(image)?;
        if parsed.format != Format::Native {
            return Err(Error::BadMagic);
        }
        (parsed.signed_len, parsed.signature().len())
    };
    if signature.len() != len {
        return Err(Error::InvalidField { section: Section::Signature, offset: start });
    }
    image[start..start + len].copy_from_slice(signature);
    Ok(())
}

/// Little-endian `u16` at `off` (0 if out of range; callers check lengths first).
pub(crate) fn u16_at(b: &[u8], off: usize) -> u16 {
    b.get(off..).and_then(|s| s.first_chunk::<2>()).map_or(0, |c| u16::from_le_bytes(*c))
}

/// Little-endian `u32` at `off` (0 if out of range; callers check lengths first).
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..).and_then(|s| s.first_chunk::<4>()).map_or(0, |c| u32::from_le_bytes(*c))
}

fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_aligned(out: &mut [u8], pos: &mut usize, bytes: &[u8]) {
    let end = *pos + bytes.len();
    out[*pos..end].copy_from_slice(bytes);
    *pos = align8(end).unwrap_or(end);
}

fn align8(n: usize) -> Option<usize> {
    n.checked_add(SECTION_ALIGN - 1).map(|v| v & !(SECTION_ALIGN - 1))
}

/// The native format's sections, in image order.
const SECTIONS: [Section; 7] = [
    Section::Name,
    Section::Functions,
    Section::Helpers,
    Section::Text,
    Section::Rodata,
    Section::Data,
    Section::Signature,
];

/// Sequential section reader with overflow-safe bounds and zero-padding checks.
pub(crate) struct Layout<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Layout<'a> {
    /// Takes consecutive sections: for each `(index, len, pad)` of `parts`,
    /// `len` bytes into `sections[index]` (named `SECTIONS[index]` in
    /// errors), then with `pad` zero padding up to the next multiple of 8.
    /// `pos` is never beyond the end of `bytes`.
    #[inline(never)]
    pub(crate) fn take_all(
        &mut self,
        sections: &mut [&'a [u8]; 7],
        parts: &[(usize, usize, bool)],
    ) -> Result<(), Error> {
        let actual = self.bytes.len();
        for &(index, len, pad) in parts {
            let (Some(&section), Some(slot)) = (SECTIONS.get(index), sections.get_mut(index)) else {
                continue;
            };
            let start = self.pos;
            let oob = Error::SectionOutOfBounds { section, offset: start, len };
            let end = start.checked_add(len).ok_or(oob)?;
            *slot = self.bytes.get(start..end).ok_or(Error::ImageTooShort { needed: end, actual })?;
            let mut padded = end;
            if pad {
                padded = align8(end).ok_or(oob)?;
                let padding = self.bytes.get(end..padded).ok_or(Error::ImageTooShort { needed: padded, actual })?;
                if let Some(i) = find_byte(padding, true) {
                    return Err(Error::InvalidField { section: Section::Padding, offset: end + i });
                }
            }
            self.pos = padded;
        }
        Ok(())
    }
}

/// Index of the first byte of `bytes` that is zero (with `nonzero`: that
/// is not zero). Not inlined: one copy of the loop, shared by every check.
#[inline(never)]
pub(crate) fn find_byte(bytes: &[u8], nonzero: bool) -> Option<usize> {
    bytes.iter().position(|&b| (b != 0) == nonzero)
}

/// An entry pc must be inside the text and not the second slot of an LDDW
/// (opcode 0 is never a valid instruction start).
pub(crate) fn check_entry(text: &[u8], pc: usize) -> Result<(), ()> {
    match crate::isa::slot(text, pc) {
        Some(s) if s[0] != 0 => Ok(()),
        _ => Err(()),
    }
}
