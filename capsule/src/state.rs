//! Per-process state kept in the process's grant: container slots (each with
//! its verified image copy and its data region), the stack containers run
//! on, the process-scope key-value store and the last load error.
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

use crate::kv::Kv;

/// Entries of the per-container key-value store.
pub const KV_CONTAINER_ENTRIES: usize = 4;
/// Entries of the per-process key-value store.
pub const KV_PROCESS_ENTRIES: usize = 8;

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

/// One container slot.
///
/// Everything but `bytes` is the container's *record* (bookkeeping), kept
/// small because it is paid per container: `size_of::<Slot<0>>()` is what
/// `make size` reports as `size.container.record_bytes`. Lengths and
/// offsets are `u16` (a slot holds at most `u16::MAX` bytes), fault
/// locations `u16` (a pc indexes a text of at most `u16::MAX / 8`
/// instructions), hook attachments a 16-bit mask ([`crate::hooks::MAX_HOOKS`]).
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
    /// Entry point (instruction index).
    pub entry: u16,
    /// Image copy followed by the data region.
    pub bytes: [u8; SLOT],
    /// Timer-hook attachment state.
    pub timer: TimerAttachment,
    /// Fuel of the pending asynchronous run.
    pub pending_fuel: u32,
    /// Run statistics.
    pub stats: Stats,
    /// Container-scope key-value store.
    pub kv: Kv<KV_CONTAINER_ENTRIES>,
    /// Sequence number of the signed envelope this container came from
    /// (0: loaded unsigned with command 1).
    pub sequence: u64,
}

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
            entry: 0,
            bytes: [0; SLOT],
            timer: TimerAttachment::default(),
            pending_fuel: 0,
            stats: Stats::default(),
            kv: Kv::default(),
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
    /// Process-scope key-value store.
    pub kv: Kv<KV_PROCESS_ENTRIES>,
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
            kv: Kv::default(),
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
