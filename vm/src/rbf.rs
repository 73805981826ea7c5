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

use crate::error::Error;
use crate::image::Image;

/// The rBPF magic number (`u32` little-endian at offset 0).
pub const RBF_MAGIC: u32 = 0x7242_5046;
/// Size of the rBPF header.
pub const RBF_HEADER_LEN: usize = 28;
/// Size of one rBPF symbol entry.
pub const RBF_SYMBOL_LEN: usize = 6;
/// rBPF's fixed stack size.
pub const RBF_STACK_SIZE: u32 = 512;

/// Parses an rBPF image (called by [`Image::parse`] when the magic matches).
pub fn parse(bytes: &[u8]) -> Result<Image<'_>, Error> {
    let _ = bytes;
    todo!()
}

/// Rewrites every LDDWD / LDDWR pair in `text` into an LDDW of the
/// corresponding virtual address ([`crate::memory::REGION_DATA`] /
/// [`crate::memory::REGION_RODATA`] + imm). Returns how many were rewritten.
/// The text should have passed the verifier with `rbf_pseudo_opcodes` set.
pub fn lower_pseudo_lddw(text: &mut [u8]) -> Result<usize, Error> {
    let _ = text;
    todo!()
}
