//! `femto pack`: a linked object ([`crate::link::Linked`]) → a container
//! image in femto-vm's format (`doc/image-format.md`), encoded by femto-vm's
//! own [`femto_vm::ImageSpec`] so host and device share one definition.
//!
//! Addresses: the VM's virtual address of byte `off` of region `r` is
//! `(r << 32) | off`. Rodata is region 4; data is region 3, with bss right
//! after the data (the data is padded to a multiple of 8 bytes first, so bss
//! objects keep their alignment).

use crate::link::{DataRegion, Linked};
use femto_vm::image::{FUNCTION_NAME_MAX, NAME_MAX};
use femto_vm::memory::{vaddr, REGION_DATA, REGION_RODATA};
use femto_vm::{Function, ImageSpec};

/// Default stack bytes per call frame (the device's default).
pub const DEFAULT_STACK: u32 = 512;

/// Metadata and settings for the image header.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// Container name (metadata).
    pub name: String,
    /// Version / sequence number.
    pub app_version: u32,
    /// Stack bytes per call frame.
    pub stack_size: u32,
    /// Ask the device to verify in strict mode (forward jumps only).
    pub strict: bool,
    /// Bytes reserved for a signature (filled later by `femto sign`).
    pub signature_len: u16,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions { name: String::new(), app_version: 0, stack_size: DEFAULT_STACK, strict: false, signature_len: 0 }
    }
}

/// The final sections of an image, with every address filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Program text.
    pub text: Vec<u8>,
    /// Read-only data.
    pub rodata: Vec<u8>,
    /// Initialised data (padded).
    pub data: Vec<u8>,
    /// Zero-initialised bytes after the data.
    pub bss_len: u32,
}

fn addr_of(region: DataRegion, offset: u64, data_len: usize) -> Result<u64, String> {
    let (id, off) = match region {
        DataRegion::Rodata => (REGION_RODATA, offset),
        DataRegion::Data => (REGION_DATA, offset),
        DataRegion::Bss => (REGION_DATA, offset + data_len as u64),
    };
    let off = u32::try_from(off).map_err(|_| format!("{region} offset {offset:#x} too large"))?;
    Ok(vaddr(id, off))
}

/// Turns the linker's region references into VM virtual addresses.
pub fn resolve(l: &Linked) -> Result<Resolved, String> {
    let mut text = l.text.clone();
    let mut rodata = l.rodata.clone();
    let mut data = l.data.clone();
    if l.bss_size > 0 {
        data.resize(data.len().div_ceil(8) * 8, 0);
    }
    let bss_len = u32::try_from(l.bss_size).map_err(|_| format!("bss too large ({} bytes)", l.bss_size))?;
    let data_len = data.len();
    for r in &l.lddw_refs {
        let a = addr_of(r.region, r.offset, data_len)?;
        let at = r.pc * 8;
        let slots = text.get_mut(at..at + 16).ok_or_else(|| format!("lddw at pc {} outside the text", r.pc))?;
        slots[4..8].copy_from_slice(&(a as u32).to_le_bytes());
        slots[12..16].copy_from_slice(&((a >> 32) as u32).to_le_bytes());
    }
    for r in &l.data_refs {
        let a = addr_of(r.region, r.offset, data_len)?;
        let buf = match r.at_region {
            DataRegion::Rodata => &mut rodata,
            _ => &mut data,
        };
        if r.width != 8 {
            return Err(format!(
                "a 32-bit pointer (R_BPF_64_ABS32) at {}+{:#x} cannot hold a VM address (64-bit); use 64-bit pointers",
                r.at_region, r.at
            ));
        }
        let at = r.at as usize;
        let cell = buf.get_mut(at..at + 8).ok_or_else(|| format!("pointer at {}+{:#x} outside its section", r.at_region, r.at))?;
        cell.copy_from_slice(&a.to_le_bytes());
    }
    Ok(Resolved { text, rodata, data, bss_len })
}

/// Encodes an image from resolved sections, a function table and a helper
/// allow-list.
pub fn encode(
    sections: &Resolved,
    functions: &[(String, usize)],
    helpers: &[u32],
    opts: &PackOptions,
) -> Result<Vec<u8>, String> {
    if opts.name.len() > NAME_MAX {
        return Err(format!("container name `{}` is longer than {NAME_MAX} bytes", opts.name));
    }
    let mut fns = Vec::with_capacity(functions.len());
    for (name, pc) in functions {
        if name.len() > FUNCTION_NAME_MAX {
            return Err(format!(
                "function name `{name}` is longer than {FUNCTION_NAME_MAX} bytes, the image format's limit; rename it"
            ));
        }
        let pc = u32::try_from(*pc).map_err(|_| format!("function `{name}` at pc {pc} is out of range"))?;
        fns.push(Function { name: name.as_bytes(), pc });
    }
    let spec = ImageSpec {
        name: opts.name.as_bytes(),
        app_version: opts.app_version,
        flags: if opts.strict { femto_vm::image::FLAG_STRICT } else { 0 },
        stack_size: opts.stack_size,
        text: &sections.text,
        rodata: &sections.rodata,
        data: &sections.data,
        bss_len: sections.bss_len,
        functions: &fns,
        helpers,
        signature_len: opts.signature_len,
    };
    let len = spec.encoded_len().map_err(|e| format!("cannot encode the image: {e}"))?;
    let mut out = vec![0u8; len];
    let n = spec.encode(&mut out).map_err(|e| format!("cannot encode the image: {e}"))?;
    out.truncate(n);
    Ok(out)
}

/// Links nothing: packs a [`Linked`] object into an image.
pub fn pack_linked(l: &Linked, opts: &PackOptions) -> Result<Vec<u8>, String> {
    let r = resolve(l)?;
    let fns: Vec<(String, usize)> = l.functions.iter().map(|f| (f.name.clone(), f.pc)).collect();
    encode(&r, &fns, &l.helpers, opts)
}

/// Helper numbers called with `call imm` (src = 0) in a program text, sorted
/// and unique (an `lddw`'s second slot is skipped).
pub fn helpers_called(text: &[u8]) -> Vec<u32> {
    let mut v = Vec::new();
    let mut pc = 0;
    while let Some(ins) = text.get(pc * 8..pc * 8 + 8) {
        if ins[0] == 0x85 && ins[1] >> 4 == 0 {
            v.push(u32::from_le_bytes([ins[4], ins[5], ins[6], ins[7]]));
        }
        pc += if ins[0] == 0x18 { 2 } else { 1 };
    }
    v.sort_unstable();
    v.dedup();
    v
}
