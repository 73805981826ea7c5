//! Per-process state kept in the process's grant: container slots (each with
//! its verified image copy and its data region), the stack containers run
//! on, the key-value table (process scope and the containers' private
//! scopes) and the last load error.
//!
//! **Why fixed-size slots.** A Tock grant holds one fixed-size type per
//! process. Each slot is a `[u8; SLOT]` byte array that holds the image copy
//! at offset 0 and the container's data region right after it (8-byte
//! aligned), so one board constant bounds "image + data" per container. The
//! alternative, Tock's custom grant allocations, cannot be freed before the
//! process ends, so repeated load/unload would leak; fixed slots make the
//! memory a process can use for containers a board-chosen constant and
//! account all of it to the process. The whole grant is freed by the kernel
//! when the process exits, faults or restarts.

use femto_vm::{AllowList, Image, VerifierConfig};

use femto_helpers::kv::ScopedKv;

/// Entries of a process's key-value table ([`ProcessState::kv`]), shared
/// by the process scope and the private scopes of the process's containers
/// (part of the helper ABI, so defined in `femto-helpers`).
///
/// 22 entries of 14 bytes (308 bytes) do not exceed what the two fixed
/// stores took before at the default of 4 containers per process: 8
/// process entries plus 4 per container slot, 24 entries of 13 bytes (312
/// bytes).
pub use femto_helpers::KV_PROCESS_ENTRIES;

/// Per-attachment state of the timer hook.
#[derive(Clone, Copy, Debug, Default)]
pub struct TimerAttachment {
    /// Period in milliseconds (≥ 1).
    pub period_ms: u32,
    /// When the next run is due (ms since boot).
    pub next_due_ms: u64,
    /// Runs so far.
    pub count: u32,
}

/// Statistics of a container (command 7). The last fault is kept in the
/// slot ([`Slot::fault_kind`], [`Slot::fault_pc`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    /// r0 of the last successful run.
    pub last_result: u64,
    /// Runs since load (saturating).
    pub runs: u32,
    /// Faulted runs since load (saturating).
    pub faults: u32,
    /// Fuel used by the last run (taken jumps + calls; a fault by fuel
    /// exhaustion used the whole budget).
    pub last_fuel: u32,
    /// Fuel used by all runs (saturating).
    pub total_fuel: u32,
}

/// Where a run finds the parts of the verified image copy: byte ranges in
/// [`Slot::bytes`] and the settings the program was verified with, recorded
/// at load from the parsed image so that a run does not parse the image
/// again. Offsets and lengths fit `u16` because a slot holds at most
/// `u16::MAX` bytes (checked when the capsule is created). The frame size
/// and the two format flags share one `u16` ([`RunLayout::frame_size`],
/// [`RunLayout::helpers_any`], [`RunLayout::rbf`]): 16 bytes in all, part
/// of every container's record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunLayout {
    /// Offset of the text.
    pub text_off: u16,
    /// Length of the text in bytes.
    pub text_len: u16,
    /// Offset of the read-only data.
    pub rodata_off: u16,
    /// Length of the read-only data.
    pub rodata_len: u16,
    /// Offset of the helper allow-list (little-endian `u32`s).
    pub helpers_off: u16,
    /// Length of the helper allow-list in bytes.
    pub helpers_len: u16,
    /// Entry point (instruction index).
    pub entry: u16,
    /// Stack bytes per call frame in 8-byte units (bits 0 to 13; a frame
    /// size is a multiple of 8), [`FRAME_HELPERS_ANY`] and [`FRAME_RBF`].
    frame: u16,
}

/// Bit of [`RunLayout`]'s packed frame: any helper may be called.
const FRAME_HELPERS_ANY: u16 = 1 << 14;
/// Bit of [`RunLayout`]'s packed frame: rBPF pseudo-opcodes enabled.
const FRAME_RBF: u16 = 1 << 15;
/// Bits of [`RunLayout`]'s packed frame holding the frame size / 8.
const FRAME_UNITS: u16 = FRAME_HELPERS_ANY - 1;

impl RunLayout {
    /// Stack bytes per call frame (the image's stack size).
    pub fn frame_size(&self) -> u32 {
        (self.frame & FRAME_UNITS) as u32 * 8
    }

    /// Any helper may be called (`Image::helpers` is `AllowList::All`:
    /// rBPF images); otherwise the recorded allow-list.
    pub fn helpers_any(&self) -> bool {
        self.frame & FRAME_HELPERS_ANY != 0
    }

    /// The rBPF pseudo-opcodes are enabled (rBPF images).
    pub fn rbf(&self) -> bool {
        self.frame & FRAME_RBF != 0
    }

    /// What a run needs from a parsed image, as offsets into
    /// `image.bytes()`: text, rodata and helper allow-list ranges, the
    /// verifier settings of [`Image::verifier_config`], and `entry`. `None`
    /// if a part is not inside the image bytes or does not fit `u16`, or the
    /// frame size is not a multiple of 8 below 131072 (parsed images have
    /// multiples of 8, and the capsule's stack, which bounds them, has at
    /// most `u16::MAX` bytes).
    pub fn of(image: &Image<'_>, entry: u16) -> Option<RunLayout> {
        let base = image.bytes();
        // (offset, length) of a part of `base`; empty parts are (0, 0).
        let range = |part: &[u8]| -> Option<(u16, u16)> {
            if part.is_empty() {
                return Some((0, 0));
            }
            let off = (part.as_ptr() as usize).checked_sub(base.as_ptr() as usize)?;
            if off.checked_add(part.len())? > base.len() {
                return None;
            }
            Some((u16::try_from(off).ok()?, u16::try_from(part.len()).ok()?))
        };
        let config = image.verifier_config();
        let (text_off, text_len) = range(image.text())?;
        let (rodata_off, rodata_len) = range(image.rodata())?;
        let (helpers_any, (helpers_off, helpers_len)) = match config.helpers {
            AllowList::All => (true, (0, 0)),
            AllowList::LeBytes(list) => (false, range(list)?),
            // Not produced by `Image::parse`.
            AllowList::Ids(_) => return None,
        };
        let frame_size = config.stack_frame_size;
        if frame_size % 8 != 0 {
            return None;
        }
        let units = u16::try_from(frame_size / 8)
            .ok()
            .filter(|u| *u <= FRAME_UNITS)?;
        let mut frame = units;
        if helpers_any {
            frame |= FRAME_HELPERS_ANY;
        }
        if config.rbf_pseudo_opcodes {
            frame |= FRAME_RBF;
        }
        Some(RunLayout {
            text_off,
            text_len,
            rodata_off,
            rodata_len,
            helpers_off,
            helpers_len,
            entry,
            frame,
        })
    }

    /// Text, rodata and the verifier settings (for
    /// `Program::assume_verified`) of the image whose bytes are `image`
    /// (at least the image; bytes after it are ignored), without parsing
    /// it. `None` if a recorded range is outside `image`.
    pub fn parts<'a>(&self, image: &'a [u8]) -> Option<(&'a [u8], &'a [u8], VerifierConfig<'a>)> {
        let part = |off: u16, len: u16| {
            let off = off as usize;
            image.get(off..off.checked_add(len as usize)?)
        };
        let text = part(self.text_off, self.text_len)?;
        let rodata = part(self.rodata_off, self.rodata_len)?;
        let helpers = if self.helpers_any() {
            AllowList::All
        } else {
            AllowList::LeBytes(part(self.helpers_off, self.helpers_len)?)
        };
        let config = VerifierConfig {
            helpers,
            rbf_pseudo_opcodes: self.rbf(),
            stack_frame_size: self.frame_size(),
            ..VerifierConfig::default()
        };
        Some((text, rodata, config))
    }
}

/// One container slot.
///
/// Everything but `bytes` is the container's *record* (bookkeeping), kept
/// small because it is paid per container: `size_of::<Slot<0>>()` is what
/// `make size` reports as `size.container.record_bytes` (at most
/// [`RECORD_MAX`] bytes, checked at compile time). Lengths and
/// offsets are `u16` (a slot holds at most `u16::MAX` bytes), fault
/// locations `u16` (a pc indexes a text of at most `u16::MAX / 8`
/// instructions), hook attachments a 16-bit mask ([`crate::hooks::MAX_HOOKS`]).
/// The container's private key-value entries are not here but in its
/// process's table ([`ProcessState::kv`]), tagged with the container's id.
pub struct Slot<const SLOT: usize> {
    /// Whether a container is loaded here.
    pub used: bool,
    /// Generation, bumped on every load, part of the container id.
    pub generation: u8,
    /// An asynchronous run is pending (with [`Slot::pending_fuel`]).
    pub pending: bool,
    /// Kind of the last fault (`abi::fault`; 0 = none).
    pub fault_kind: u8,
    /// Instruction index of the last fault.
    pub fault_pc: u16,
    /// Length of the verified image copy at `bytes[..image_len]`.
    pub image_len: u16,
    /// Length of the data region, which starts at [`Slot::data_off`].
    pub data_len: u16,
    /// Bit mask of the hook *indices* this container is attached to.
    pub hooks: u16,
    /// Where the run finds text, rodata and allow-list; entry and frame size.
    pub layout: RunLayout,
    /// Image copy followed by the data region.
    pub bytes: [u8; SLOT],
    /// Timer-hook attachment state.
    pub timer: TimerAttachment,
    /// Fuel of the pending asynchronous run.
    pub pending_fuel: u32,
    /// Run statistics.
    pub stats: Stats,
    /// Sequence number of the signed envelope this container came from
    /// (0: loaded unsigned with command 1).
    pub sequence: u64,
}

/// Largest size of a container's record, `size_of::<Slot<0>>()`, in bytes:
/// the original Femto-Container's per-instance state (88 bytes).
pub const RECORD_MAX: usize = 88;

const _: () = assert!(
    core::mem::size_of::<Slot<0>>() <= RECORD_MAX,
    "a container's record grew beyond RECORD_MAX"
);

/// Offset of the data region after an image of `image_len` bytes (8-byte
/// aligned).
pub fn data_offset(image_len: usize) -> usize {
    image_len.saturating_add(7) & !7
}

impl<const SLOT: usize> Slot<SLOT> {
    /// Offset of the data region in `bytes`.
    pub fn data_off(&self) -> usize {
        data_offset(self.image_len as usize)
    }
}

impl<const SLOT: usize> Default for Slot<SLOT> {
    fn default() -> Self {
        Slot {
            used: false,
            generation: 0,
            pending: false,
            fault_kind: 0,
            fault_pc: 0,
            image_len: 0,
            data_len: 0,
            hooks: 0,
            layout: RunLayout::default(),
            bytes: [0; SLOT],
            timer: TimerAttachment::default(),
            pending_fuel: 0,
            stats: Stats::default(),
            sequence: 0,
        }
    }
}

/// The capsule's grant type: everything one process owns.
pub struct ProcessState<const N: usize, const SLOT: usize, const STACK: usize> {
    /// Container slots.
    pub slots: [Slot<SLOT>; N],
    /// The stack containers of this process run on (runs never nest).
    pub stack: [u8; STACK],
    /// The process's key-value table: process-scope entries and the
    /// private entries of its containers, each tagged with its owner.
    pub kv: ScopedKv<KV_PROCESS_ENTRIES>,
    /// Last load error `(kind, location)`.
    pub load_error: (u32, u32),
    /// Id of the container that last ran on `stack` (0: none). The stack is
    /// zeroed before another container runs on it, so containers of one
    /// process cannot read each other's stack leftovers.
    pub stack_owner: u16,
}

impl<const N: usize, const SLOT: usize, const STACK: usize> Default
    for ProcessState<N, SLOT, STACK>
{
    fn default() -> Self {
        ProcessState {
            slots: core::array::from_fn(|_| Slot::default()),
            stack: [0; STACK],
            kv: ScopedKv::default(),
            load_error: (0, 0),
            stack_owner: 0,
        }
    }
}

/// Container id of slot `index` at `generation`: `generation << 8 | (index + 1)`.
pub fn make_id(index: usize, generation: u8) -> u16 {
    ((generation as u16) << 8) | ((index as u16 & 0xFF) + 1)
}

/// Slot index and generation encoded in an id (`None` if malformed).
pub fn split_id(id: usize) -> Option<(usize, u8)> {
    if id == 0 || id > 0xFFFF {
        return None;
    }
    let low = id & 0xFF;
    if low == 0 {
        return None;
    }
    Some((low - 1, (id >> 8) as u8))
}

impl<const N: usize, const SLOT: usize, const STACK: usize> ProcessState<N, SLOT, STACK> {
    /// The slot index of a loaded container with this id, if any.
    pub fn lookup(&self, id: usize) -> Option<usize> {
        let (index, generation) = split_id(id)?;
        let slot = self.slots.get(index)?;
        (slot.used && slot.generation == generation).then_some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_malformed() {
        for index in [0usize, 1, 254] {
            for generation in [0u8, 1, 255] {
                let id = make_id(index, generation);
                assert_ne!(id, 0);
                assert_eq!(split_id(id as usize), Some((index, generation)));
            }
        }
        for bad in [0usize, 0x100, 0xFF00, 0x10000, usize::MAX] {
            assert_eq!(split_id(bad), None, "{bad:#x}");
        }
    }

    /// The recorded layout gives back exactly the parsed image's parts and
    /// verifier settings; ranges outside the bytes give `None`.
    #[test]
    fn run_layout_round_trips_the_parsed_image() {
        use femto_vm::image::{Function, ImageSpec};
        let exit = femto_vm::isa::Insn::new(0x95, 0, 0, 0, 0).encode();
        let text: Vec<u8> = [exit, exit, exit].concat();
        let functions = [Function {
            name: b"main",
            pc: 2,
        }];
        let spec = ImageSpec {
            name: b"layout",
            app_version: 1,
            flags: 0,
            stack_size: 128,
            text: &text,
            rodata: b"0123456789",
            data: &[1, 2, 3],
            bss_len: 5,
            functions: &functions,
            helpers: &[7, 9, 11],
            signature_len: 0,
        };
        let mut bytes = vec![0u8; spec.encoded_len().unwrap()];
        spec.encode(&mut bytes).unwrap();
        let image = Image::parse(&bytes).unwrap();
        let layout = RunLayout::of(&image, 2).unwrap();
        assert_eq!(layout.entry, 2);
        assert_eq!(
            (layout.frame_size(), layout.rbf(), layout.helpers_any()),
            (128, false, false)
        );
        // Bytes after the image (the data region) do not matter.
        let mut slot = bytes.clone();
        slot.extend_from_slice(&[0xEE; 16]);
        let (t, r, config) = layout.parts(&slot).unwrap();
        assert_eq!(t, image.text());
        assert_eq!(r, image.rodata());
        let expected = image.verifier_config();
        assert_eq!(config.stack_frame_size, expected.stack_frame_size);
        assert_eq!(config.rbf_pseudo_opcodes, expected.rbf_pseudo_opcodes);
        for id in 0..16 {
            assert_eq!(
                config.helpers.contains(id),
                expected.helpers.contains(id),
                "{id}"
            );
        }
        // A truncated copy cannot yield the parts.
        assert!(layout.parts(&bytes[..layout.rodata_off as usize]).is_none());
        // Frame sizes survive the packing up to 14 bits of 8-byte units;
        // larger ones are refused, never truncated.
        for (stack_size, ok) in [(8, true), (65528, true), (131064, true), (131072, false)] {
            let spec = ImageSpec { stack_size, ..spec };
            let mut bytes = vec![0u8; spec.encoded_len().unwrap()];
            spec.encode(&mut bytes).unwrap();
            let image = Image::parse(&bytes).unwrap();
            let layout = RunLayout::of(&image, 0);
            assert_eq!(layout.map(|l| l.frame_size()), ok.then_some(stack_size));
            if let Some(l) = layout {
                assert!(!l.rbf() && !l.helpers_any());
                assert_eq!(l.parts(&bytes).unwrap().2.stack_frame_size, stack_size);
            }
        }
    }

    #[test]
    fn lookup_checks_generation_and_use() {
        let mut st: ProcessState<2, 16, 8> = ProcessState::default();
        assert_eq!(st.lookup(make_id(0, 0) as usize), None);
        st.slots[1].used = true;
        st.slots[1].generation = 7;
        assert_eq!(st.lookup(make_id(1, 7) as usize), Some(1));
        assert_eq!(st.lookup(make_id(1, 6) as usize), None);
        assert_eq!(
            st.lookup(make_id(2, 7) as usize),
            None,
            "index out of range"
        );
    }
}
