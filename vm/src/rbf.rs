//! RIOT's Femto-Container ("rBPF") application format, so existing containers run.
//!
//! Layout (little-endian): a 28-byte header
//! `magic u32 (0x72425046, "rBPF") | version u32 | flags u32 | data_len u32 |
//! rodata_len u32 | text_len u32 | functions u32`, then the data section, the
//! rodata section, the text, and `functions` symbol entries of 6 bytes
//! `name_offset u16 (into rodata, NUL-terminated) | flags u16 |
//! location_offset u16 (byte offset into the text)`.
//!
//! The text may use two pseudo-instructions (two slots, like LDDW):
//! LDDWD (0xb8) `dst = address of data + imm64` and LDDWR (0xd8)
//! `dst = address of rodata + imm64`. The interpreter executes them directly
//! (the image is not modified); [`lower_pseudo_lddw`] rewrites them into
//! ordinary LDDWs of virtual addresses for conversion to the native format.
//!
//! rBPF images carry no helper allow-list ([`Image::helpers`] is
//! [`crate::verifier::AllowList::All`]; a host should supply its own), no
//! name and no bss; the stack is 512 bytes.

use crate::error::{Error, Section};
use crate::image::{check_entry, find_byte, u16_at, u32_at, Format, Function, Image, Layout, DATA, FUNCTIONS, RODATA, TEXT};
use crate::isa;
use crate::memory::{region_base, REGION_DATA, REGION_RODATA};

/// The rBPF magic number (`u32` little-endian at offset 0).
pub const RBF_MAGIC: u32 = crate::image::RBF_MAGIC;
/// Size of the rBPF header.
pub const RBF_HEADER_LEN: usize = 28;
/// Size of one rBPF symbol entry.
pub const RBF_SYMBOL_LEN: usize = 6;
/// rBPF's fixed stack size.
pub const RBF_STACK_SIZE: u32 = 512;

/// Parses an rBPF image (called by [`Image::parse`] when the magic matches).
pub fn parse(bytes: &[u8]) -> Result<Image<'_>, Error> {
    if bytes.len() < RBF_HEADER_LEN {
        return Err(Error::ImageTooShort { needed: RBF_HEADER_LEN, actual: bytes.len() });
    }
    if u32_at(bytes, 0) != RBF_MAGIC {
        return Err(Error::BadMagic);
    }
    let app_version = u32_at(bytes, 4);
    let data_len = u32_at(bytes, 12) as usize;
    let rodata_len = u32_at(bytes, 16) as usize;
    let text_len = u32_at(bytes, 20) as usize;
    let function_count = u32_at(bytes, 24) as usize;
    if text_len == 0 || text_len % isa::INSN_SIZE != 0 {
        return Err(Error::InvalidField { section: Section::Text, offset: 20 });
    }
    let mut image = Image {
        format: Format::Rbf,
        bytes,
        flags: 0,
        app_version,
        stack_size: RBF_STACK_SIZE,
        bss_len: 0,
        sections: [&[]; 7],
        function_count,
        signed_len: bytes.len(),
    };
    let sections = &mut image.sections;
    let mut layout = Layout { bytes, pos: RBF_HEADER_LEN };
    layout.take_all(sections, &[(DATA, data_len, false), (RODATA, rodata_len, false), (TEXT, text_len, false)])?;
    let table_len = function_count
        .checked_mul(RBF_SYMBOL_LEN)
        .ok_or(Error::SectionOutOfBounds { section: Section::Functions, offset: 0, len: usize::MAX })?;
    layout.take_all(sections, &[(FUNCTIONS, table_len, false)])?;
    let (functions, text, rodata) = (sections[FUNCTIONS], sections[TEXT], sections[RODATA]);
    if bytes.len() > layout.pos {
        return Err(Error::ImageTrailingBytes { expected: layout.pos, actual: bytes.len() });
    }
    for index in 0..function_count {
        let bad = Error::BadFunction { index };
        let e = functions.get(index * RBF_SYMBOL_LEN..).ok_or(bad)?;
        let location = u16_at(e, 4) as usize;
        if location % isa::INSN_SIZE != 0 {
            return Err(bad);
        }
        check_entry(text, location / isa::INSN_SIZE).map_err(|_| bad)?;
        rbf_name(rodata, u16_at(e, 0) as usize).ok_or(bad)?;
    }
    Ok(image)
}

/// The NUL-terminated name at `offset` in `rodata`.
fn rbf_name(rodata: &[u8], offset: usize) -> Option<&[u8]> {
    let rest = rodata.get(offset..)?;
    rest.get(..find_byte(rest, false)?)
}

/// Function `index` of an rBPF image (used by [`Image::function_at`]).
pub(crate) fn function_at<'a>(image: &Image<'a>, index: usize) -> Option<Function<'a>> {
    let e = image.sections[FUNCTIONS].get(index * RBF_SYMBOL_LEN..)?.get(..RBF_SYMBOL_LEN)?;
    let name = rbf_name(image.rodata(), u16_at(e, 0) as usize)?;
    Some(Function { name, pc: (u16_at(e, 4) as usize / isa::INSN_SIZE) as u32 })
}

/// Rewrites every LDDWD / LDDWR pair in `text` into an LDDW of the
/// corresponding virtual address ([`crate::memory::REGION_DATA`] /
/// [`crate::memory::REGION_RODATA`] + imm). Returns how many were rewritten.
/// The text should have passed the verifier with `rbf_pseudo_opcodes` set;
/// a pseudo-instruction without its second slot is an
/// [`Error::IncompleteLddw`].
pub fn lower_pseudo_lddw(text: &mut [u8]) -> Result<usize, Error> {
    if text.len() % isa::INSN_SIZE != 0 {
        return Err(Error::TextLengthNotMultipleOf8 { len: text.len() });
    }
    let n = text.len() / isa::INSN_SIZE;
    let mut pc = 0;
    let mut count = 0;
    while pc < n {
        let at = pc * isa::INSN_SIZE;
        let op = text[at];
        if isa::is_wide(op) {
            if pc + 1 >= n {
                return Err(Error::IncompleteLddw { pc: pc as u32 });
            }
            if op != isa::OP_LDDW {
                let lo = u32_at(text, at + 4) as u64;
                let hi = u32_at(text, at + 12) as u64;
                let base = if op == isa::OP_LDDWD { region_base(REGION_DATA) } else { region_base(REGION_RODATA) };
                let v = base.wrapping_add(lo | (hi << 32));
                text[at] = isa::OP_LDDW;
                text[at + 4..at + 8].copy_from_slice(&(v as u32).to_le_bytes());
                text[at + 12..at + 16].copy_from_slice(&((v >> 32) as u32).to_le_bytes());
                count += 1;
            }
            pc += 2;
        } else {
            pc += 1;
        }
    }
    Ok(count)
}
