//! The capsule: syscall driver, container runs, hooks, timer hook, helper
//! services.

use core::cell::Cell;

use femto_helpers::{Abi, PrintBudget};
use femto_vm::{Image, Memory, Program, Region};
use kernel::deferred_call::{DeferredCall, DeferredCallClient};
use kernel::grant::{AllowRoCount, AllowRwCount, Grant, GrantKernelData, UpcallCount};
use kernel::hil::nonvolatile_storage::{NonvolatileStorage, NonvolatileStorageClient};
use kernel::hil::time::{Alarm, AlarmClient, ConvertTicks, Frequency, Ticks};
use kernel::processbuffer::{ReadableProcessBuffer, WriteableProcessBuffer};
use kernel::syscall::{CommandReturn, SyscallDriver};
use kernel::utilities::cells::{OptionalCell, TakeCell};
use kernel::{ErrorCode, ProcessId};

use crate::abi::{self, command, fault, info, load_error};
use crate::console::Console;
use crate::helpers::{KernelHelpers, Services};
use crate::hooks::{
    timer_context, FemtoHooks, HookArgument, HookDescriptor, HookOutcome, Policy, MAX_HOOKS,
    MAX_HOOK_CONTEXT, TIMER_ID,
};
use crate::kv::SharedKv;
use crate::state::{make_id, ProcessState, RunLayout, Slot};
use crate::update::{SequenceError, SequenceTable, UpdatePolicy};

/// Entries of the global key-value store (part of the helper ABI, so
/// defined in `femto-helpers`).
pub use femto_helpers::KV_GLOBAL_ENTRIES;

/// The grant type of the capsule.
pub type FemtoGrant<const N: usize, const SLOT: usize, const STACK: usize> = Grant<
    ProcessState<N, SLOT, STACK>,
    UpcallCount<{ abi::upcall::COUNT }>,
    AllowRoCount<{ abi::ALLOW_RO_COUNT }>,
    AllowRwCount<1>,
>;

/// Board-chosen run limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Fuel of a run when userspace passes 0.
    pub default_fuel: u32,
    /// Largest fuel userspace may ask for (larger values are lowered).
    pub max_fuel: u32,
    /// `fc_print` lines allowed per second (all containers together).
    pub prints_per_second: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_fuel: 2_000,
            max_fuel: 20_000,
            prints_per_second: femto_helpers::DEFAULT_PRINTS_PER_SECOND,
        }
    }
}

/// State of the non-volatile copy of the sequence table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Persist {
    /// The board gave no storage: sequence numbers are volatile.
    None,
    /// Reading the stored table (installs answer `BUSY`).
    Loading,
    /// Loaded; the last written record had this generation.
    Ready(u32),
    /// The storage failed (installs answer `FAIL`, kind 20).
    Failed,
}

/// The load error for a femto-vm error at load: kind PARSE for an image
/// error (`NOSUPPORT` for an rBPF image in a kernel built without the `rbf`
/// feature, else `INVAL`), kind VERIFY (`INVAL`) for a verifier error.
fn load_failure(e: femto_vm::Error) -> (ErrorCode, u32, u32) {
    let kind = if e.is_image_error() { load_error::PARSE } else { load_error::VERIFY };
    let code = if e == femto_vm::Error::UnsupportedFormat { ErrorCode::NOSUPPORT } else { ErrorCode::INVAL };
    (code, kind, abi::load_location(&e))
}

// A writable hook context is backed up in `MAX_HOOK_CONTEXT / 8` words.
const _: () = assert!(MAX_HOOK_CONTEXT % 8 == 0);

/// Backs up `context` into `words`, 8 bytes per word, little-endian (a
/// writable hook context, before a run that may fault).
#[inline(always)]
fn backup_context(context: &[u8], words: &mut [u64]) {
    for (word, part) in words.iter_mut().zip(context.chunks(8)) {
        *word = match part.first_chunk::<8>() {
            Some(w) => u64::from_le_bytes(*w),
            None => part.iter().rev().fold(0, |v, &b| v << 8 | u64::from(b)),
        };
    }
}

/// Writes a backup taken by [`backup_context`] back into `context`.
#[inline(never)]
fn restore_context(words: &[u64], context: &mut [u8]) {
    for (word, part) in words.iter().zip(context.chunks_mut(8)) {
        for (i, b) in part.iter_mut().enumerate() {
            *b = (word >> (8 * i)) as u8;
        }
    }
}

/// Who started a run (for upcalls): 0 = async run, otherwise a hook id.
type Source = u16;

/// The femto-containers capsule.
///
/// * `N`: containers per process (≤ 255);
/// * `SLOT`: bytes per container for its image copy plus its data region;
/// * `STACK`: bytes of the stack containers run on (one per process; at
///   least one frame of the image's frame size, default 512; ≤ 65535).
pub struct FemtoContainers<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize>
{
    apps: FemtoGrant<N, SLOT, STACK>,
    alarm: &'a A,
    hooks: &'a [HookDescriptor],
    attached: [Cell<u16>; MAX_HOOKS],
    context: TakeCell<'static, [u8]>,
    context_len: usize,
    deferred: DeferredCall,
    limits: Limits,
    console: &'a dyn Console,
    kv_global: SharedKv<KV_GLOBAL_ENTRIES>,
    temperature: Cell<Option<i64>>,
    print_budget: PrintBudget,
    rng: Cell<u32>,
    ticks_high: Cell<u64>,
    last_ticks: Cell<Option<A::Ticks>>,
    update: OptionalCell<&'a UpdatePolicy<'a>>,
    sequences: SequenceTable,
    storage: OptionalCell<&'a dyn NonvolatileStorage<'a>>,
    storage_address: Cell<usize>,
    storage_buffer: TakeCell<'static, [u8]>,
    persist: Cell<Persist>,
    persist_dirty: Cell<bool>,
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize>
    FemtoContainers<'a, A, N, SLOT, STACK>
{
    /// Creates the capsule. `hooks` lists the hooks the board offers (at most
    /// [`MAX_HOOKS`]; more are ignored); `context` is the scratch buffer runs
    /// copy the process's context into (its length is the context limit).
    /// The board must also call `alarm.set_alarm_client(capsule)` and
    /// `capsule.register()` (deferred call), which the component does.
    pub fn new(
        apps: FemtoGrant<N, SLOT, STACK>,
        alarm: &'a A,
        hooks: &'a [HookDescriptor],
        context: &'static mut [u8],
        console: &'a dyn Console,
        limits: Limits,
    ) -> Self {
        // Container ids hold the slot index in 8 bits.
        const { assert!(N >= 1 && N <= 255, "1 to 255 containers per process") };
        // Image and data lengths are kept as u16 in each container's record.
        const { assert!(SLOT <= u16::MAX as usize, "at most 65535 bytes per slot") };
        // Frame sizes (at most STACK) are kept in 8-byte units in 14 bits of
        // each container's run layout.
        const { assert!(STACK <= u16::MAX as usize, "at most 65535 bytes of stack") };
        let hooks = hooks.get(..MAX_HOOKS).unwrap_or(hooks);
        let context_len = context.len();
        FemtoContainers {
            apps,
            alarm,
            hooks,
            attached: Default::default(),
            context: TakeCell::new(context),
            context_len,
            deferred: DeferredCall::new(),
            limits,
            console,
            kv_global: SharedKv::default(),
            temperature: Cell::new(None),
            print_budget: PrintBudget::new(),
            rng: Cell::new(femto_helpers::RANDOM_SEED),
            ticks_high: Cell::new(0),
            last_ticks: Cell::new(None),
            update: OptionalCell::empty(),
            sequences: SequenceTable::default(),
            storage: OptionalCell::empty(),
            storage_address: Cell::new(0),
            storage_buffer: TakeCell::empty(),
            persist: Cell::new(Persist::None),
            persist_dirty: Cell::new(false),
        }
    }

    /// Makes the sequence table survive reboots: it is kept in
    /// `storage` at `address` ([`crate::update::STORAGE_LEN`] bytes: two
    /// copies written alternately). `buffer` must hold at least
    /// `STORAGE_LEN` bytes. Starts reading the stored table at once; until
    /// the read completes, signed installs answer `BUSY`; if the storage
    /// fails they answer `FAIL` (load error kind 20). Erased storage (first
    /// boot) gives an empty table. After each accepted update the table is
    /// written (after the switch: a reset in that short window forgets the
    /// newest number).
    pub fn set_sequence_storage(
        &'a self,
        storage: &'a dyn NonvolatileStorage<'a>,
        address: usize,
        buffer: &'static mut [u8],
    ) {
        self.storage.set(storage);
        self.storage_address.set(address);
        storage.set_client(self);
        if buffer.len() < crate::update::STORAGE_LEN {
            self.persist.set(Persist::Failed);
            return;
        }
        self.persist.set(Persist::Loading);
        if storage
            .read(buffer, address, crate::update::STORAGE_LEN)
            .is_err()
        {
            // The HIL does not give the buffer back on error.
            self.persist.set(Persist::Failed);
        }
    }

    /// Writes the sequence table to the board's storage (if any), or marks
    /// it to be written when the current write completes.
    fn persist_sequences(&self) {
        let Persist::Ready(generation) = self.persist.get() else {
            return;
        };
        let Some(buffer) = self.storage_buffer.take() else {
            self.persist_dirty.set(true);
            return;
        };
        self.persist_dirty.set(false);
        let next = generation.wrapping_add(1);
        if self.sequences.encode(next, buffer).is_none() {
            self.persist.set(Persist::Failed);
            return;
        }
        // Copy A for odd generations, B for even: the previous copy stays.
        let offset = if next % 2 == 1 {
            0
        } else {
            crate::update::RECORD_LEN
        };
        let address = self.storage_address.get().saturating_add(offset);
        let started = self.storage.map_or(Err(ErrorCode::NODEVICE), |s| {
            s.write(buffer, address, crate::update::RECORD_LEN)
        });
        match started {
            Ok(()) => self.persist.set(Persist::Ready(next)),
            Err(_) => self.persist.set(Persist::Failed),
        }
    }

    /// Sets the board's update policy: trusted keys, target and whether
    /// unsigned loads (command 1) are refused. Without a policy, signed
    /// updates (command 12) return `NOSUPPORT` and unsigned loads work.
    pub fn set_update_policy(&self, policy: &'a UpdatePolicy<'a>) {
        self.update.set(policy);
    }

    /// The last sequence number accepted for a container name (`None`:
    /// none since boot).
    pub fn last_sequence(&self, name: &[u8]) -> Option<u64> {
        self.sequences.last(name)
    }

    /// Starts the capsule's alarm (keeps the 64-bit clock running). Called
    /// by the component once the alarm client is set.
    pub fn start(&self) {
        self.rearm_timer();
    }

    // ---- time -----------------------------------------------------------

    /// Ticks since the first call, extended to 64 bits. The capsule's alarm
    /// fires at least every half counter period, so no wrap is missed.
    fn ticks64(&self) -> u64 {
        let now = self.alarm.now();
        let total = match self.last_ticks.get() {
            None => 0,
            Some(last) => {
                let delta = now.wrapping_sub(last).into_u32() as u64;
                self.ticks_high.get().wrapping_add(delta)
            }
        };
        self.ticks_high.set(total);
        self.last_ticks.set(Some(now));
        total
    }

    fn now_us_inner(&self) -> u64 {
        let freq = A::Frequency::frequency().max(1) as u128;
        ((self.ticks64() as u128 * 1_000_000) / freq) as u64
    }

    fn now_ms(&self) -> u64 {
        self.now_us_inner() / 1000
    }

    fn fuel(&self, requested: usize) -> u64 {
        if requested == 0 {
            self.limits.default_fuel as u64
        } else {
            (requested as u64).min(self.limits.max_fuel as u64)
        }
    }

    fn hook_index(&self, id: usize) -> Option<usize> {
        self.hooks.iter().position(|h| h.id as usize == id)
    }

    // ---- running ----------------------------------------------------------

    /// Runs container slot `idx` of `app`. Returns r0 or `(fault kind, pc)`.
    fn run_slot(
        &self,
        app: &mut ProcessState<N, SLOT, STACK>,
        idx: usize,
        kernel_data: Option<&GrantKernelData>,
        context: Region<'_>,
        fuel: u64,
    ) -> Result<u64, (u32, u32)> {
        let ProcessState {
            slots,
            stack,
            kv,
            stack_owner,
            ..
        } = app;
        let Some(slot) = slots.get_mut(idx) else {
            return Err((fault::OTHER, 0));
        };
        let id = make_id(idx, slot.generation);
        if *stack_owner != id {
            stack.fill(0);
            *stack_owner = id;
        }
        let data_off = slot.data_off();
        let crate::state::Slot {
            bytes,
            data_len,
            layout,
            stats,
            fault_kind,
            fault_pc,
            ..
        } = slot;
        // Fuel left after the run (femto-vm writes it back on every exit):
        // the fuel used is reported by command 7 field 4. No per-instruction
        // counting: runs go through the untraced interpreter.
        let mut left = fuel;
        let result = (|| {
            if data_off > bytes.len() {
                return Err((fault::OTHER, 0));
            }
            let (image_part, data_part) = bytes.split_at_mut(data_off);
            let image_bytes: &[u8] = image_part;
            let data = data_part
                .get_mut(..*data_len as usize)
                .ok_or((fault::OTHER, 0))?;
            // The copy in the grant was parsed and verified at load and the
            // process cannot write it, so it is neither parsed nor verified
            // again: the parts come from the layout recorded at load (and
            // memory safety never depends on the verifier anyway).
            let (text, rodata, config) = layout.parts(image_bytes).ok_or((fault::OTHER, 0))?;
            let program = Program::assume_verified(text, &config);
            let mut memory = Memory::for_container(&mut stack[..], context, data, rodata);
            let mut helpers = KernelHelpers {
                services: self,
                id,
                kv,
                kernel_data,
            };
            crate::vm::run_metered(&program, layout.entry as usize, &mut memory, &mut Abi(&mut helpers), &mut left)
                .map_err(|e| abi::fault_of(&e))
        })();
        stats.runs = stats.runs.saturating_add(1);
        stats.last_fuel = u32::try_from(fuel.saturating_sub(left)).unwrap_or(u32::MAX);
        stats.total_fuel = stats.total_fuel.saturating_add(stats.last_fuel);
        match result {
            Ok(v) => stats.last_result = v,
            Err((kind, pc)) => {
                stats.faults = stats.faults.saturating_add(1);
                // Kinds are below 256 and a pc indexes a text of at most
                // u16::MAX / 8 instructions (slot size checked in `new`).
                *fault_kind = u8::try_from(kind).unwrap_or(u8::MAX);
                *fault_pc = u16::try_from(pc).unwrap_or(u16::MAX);
            }
        }
        result
    }

    /// Tells the owner the outcome of a kernel-started run.
    fn report(kernel_data: &GrantKernelData, id: u16, source: Source, r: Result<u64, (u32, u32)>) {
        let tag = (id as usize) | ((source as usize) << 16);
        // A full upcall queue drops the upcall (Tock counts it); nothing else
        // to do here.
        let _ = match r {
            Ok(v) => kernel_data.schedule_upcall(
                abi::upcall::RESULT,
                (tag, v as u32 as usize, (v >> 32) as u32 as usize),
            ),
            Err((kind, pc)) => {
                kernel_data.schedule_upcall(abi::upcall::FAULT, (tag, kind as usize, pc as usize))
            }
        };
    }

    /// Runs slot `idx` with the process's read-write allow 0 as context:
    /// copied into the scratch buffer, and back after a successful run.
    fn run_with_process_context(
        &self,
        app: &mut ProcessState<N, SLOT, STACK>,
        idx: usize,
        kernel_data: &GrantKernelData,
        fuel: u64,
    ) -> Result<Result<u64, (u32, u32)>, ErrorCode> {
        let buffer = kernel_data.get_readwrite_processbuffer(abi::ALLOW_RW_CONTEXT);
        let len = buffer.as_ref().map_or(0, |b| b.len());
        if len > self.context_len {
            return Err(ErrorCode::SIZE);
        }
        let Some(scratch) = self.context.take() else {
            return Err(ErrorCode::BUSY);
        };
        let outcome = (|| {
            let Some(ctx) = scratch.get_mut(..len) else {
                return Err(ErrorCode::SIZE);
            };
            if len > 0 {
                let copied = buffer
                    .as_ref()
                    .map_err(|_| ErrorCode::FAIL)?
                    .enter(|s| s.copy_to_slice_or_err(ctx))
                    .map_err(|_| ErrorCode::FAIL)?;
                copied?;
            }
            let run_ctx = if len > 0 { Region::ReadWrite(ctx) } else { Region::Unmapped };
            let r = self.run_slot(app, idx, Some(kernel_data), run_ctx, fuel);
            if r.is_ok() && len > 0 {
                if let (Ok(b), Some(ctx)) = (buffer.as_ref(), scratch.get(..len)) {
                    let _ = b.mut_enter(|s| s.copy_from_slice_or_err(ctx));
                }
            }
            Ok(r)
        })();
        self.context.replace(scratch);
        outcome
    }

    // ---- commands -----------------------------------------------------------

    fn load(&self, pid: ProcessId) -> CommandReturn {
        let unsigned_refused = self.update.map_or(false, |p| p.require_signatures);
        let r = self.apps.enter(pid, |app, kernel_data| {
            let result = if unsigned_refused {
                Err((ErrorCode::NOSUPPORT, load_error::UNSIGNED_REFUSED, 0))
            } else {
                self.load_inner(app, kernel_data)
            };
            app.load_error = match result {
                Ok(_) => (load_error::NONE, 0),
                Err((_, kind, loc)) => (kind, loc),
            };
            result.map_err(|(e, _, _)| e)
        });
        match r {
            Ok(Ok(id)) => CommandReturn::success_u32(id as u32),
            Ok(Err(e)) => CommandReturn::failure(e),
            Err(_) => CommandReturn::failure(ErrorCode::NOMEM),
        }
    }

    fn load_inner(
        &self,
        app: &mut ProcessState<N, SLOT, STACK>,
        kernel_data: &GrantKernelData,
    ) -> Result<u16, (ErrorCode, u32, u32)> {
        let buffer = kernel_data
            .get_readonly_processbuffer(abi::ALLOW_RO_IMAGE)
            .map_err(|_| (ErrorCode::RESERVE, load_error::NO_IMAGE, 0))?;
        let len = buffer.len();
        if len == 0 {
            return Err((ErrorCode::RESERVE, load_error::NO_IMAGE, 0));
        }
        if len > SLOT {
            return Err((ErrorCode::SIZE, load_error::TOO_LARGE, len as u32));
        }
        let idx = app.slots.iter().position(|s| !s.used).ok_or((
            ErrorCode::NOMEM,
            load_error::NO_SLOT,
            0,
        ))?;
        let slot = app
            .slots
            .get_mut(idx)
            .ok_or((ErrorCode::NOMEM, load_error::NO_SLOT, 0))?;
        // Copy first, then parse and verify the kernel's copy: what runs is
        // exactly what was verified, whatever the process does later.
        let dst = slot
            .bytes
            .get_mut(..len)
            .ok_or((ErrorCode::SIZE, load_error::TOO_LARGE, 0))?;
        buffer
            .enter(|s| s.copy_to_slice_or_err(dst))
            .map_err(|_| (ErrorCode::RESERVE, load_error::NO_IMAGE, 0))?
            .map_err(|_| (ErrorCode::RESERVE, load_error::NO_IMAGE, 0))?;
        Self::prepare_slot(slot, len, None)?;
        Self::activate(slot, 0);
        let id = make_id(idx, slot.generation);
        // Unload already removed the slot's private entries; a new container
        // never sees a previous one's (its id differs by generation anyway).
        app.kv.remove_slot(idx);
        Ok(id)
    }

    /// Parses and verifies the image copied at `slot.bytes[..len]` and lays
    /// out its data region; on success sets the slot's image fields (but
    /// does not mark it used). With `name`, the image's own name must equal
    /// it. On failure the slot's fields are unchanged.
    fn prepare_slot(
        slot: &mut Slot<SLOT>,
        len: usize,
        name: Option<&[u8]>,
    ) -> Result<(), (ErrorCode, u32, u32)> {
        if len > slot.bytes.len() {
            return Err((ErrorCode::SIZE, load_error::TOO_LARGE, len as u32));
        }
        let too_large = (ErrorCode::SIZE, load_error::TOO_LARGE, len as u32);
        let (image_part, data_part) = slot.bytes.split_at_mut(len);
        // One parse: the name and stack checks, the data region and the run
        // layout come from it, then the text is verified and (main
        // interpreter) pre-decoded in place — femto-vm's translation into
        // faster internal forms, same results, faults, pcs and fuel, see
        // `crate::vm` — which changes nothing read here. On a failed check
        // nothing is verified; on a verification error the image is
        // unchanged.
        let prepared = crate::vm::prepare(image_part, |image| {
            if name.is_some_and(|n| n != image.name()) {
                return Err((ErrorCode::INVAL, load_error::NAME_MISMATCH, 0));
            }
            if image.stack_size() as usize > STACK {
                return Err((ErrorCode::SIZE, load_error::MEMORY, image.stack_size()));
            }
            // Data region: 8-byte aligned after the image.
            let pad = (8 - len % 8) % 8;
            let data_len = image.data_region_len();
            let memory = (ErrorCode::SIZE, load_error::MEMORY, data_len as u32);
            let data = data_part.get_mut(pad..).and_then(|d| d.get_mut(..data_len)).ok_or(memory)?;
            image.init_data(data).map_err(|_| memory)?;
            let entry = image
                .function(b"main")
                .or_else(|| image.function_at(0).map(|f| f.pc))
                .unwrap_or(0);
            // All fit u16: len and data_len are at most SLOT (<= u16::MAX),
            // an entry indexes the text, which is shorter.
            let image_len = u16::try_from(len).map_err(|_| too_large)?;
            let data_len = u16::try_from(data_len).map_err(|_| too_large)?;
            let entry = u16::try_from(entry).map_err(|_| too_large)?;
            let layout = RunLayout::of(image, entry).ok_or(too_large)?;
            debug_assert_eq!(crate::state::data_offset(len), len + pad);
            Ok((image_len, data_len, layout))
        });
        let (image_len, data_len, layout) = prepared.map_err(load_failure)??;
        slot.image_len = image_len;
        slot.data_len = data_len;
        slot.layout = layout;
        Ok(())
    }

    /// Marks a prepared slot as a freshly loaded container (new generation,
    /// no attachments, no statistics).
    fn activate(slot: &mut Slot<SLOT>, sequence: u64) {
        slot.used = true;
        slot.generation = slot.generation.wrapping_add(1);
        slot.hooks = 0;
        slot.timer = Default::default();
        slot.pending = false;
        slot.pending_fuel = 0;
        slot.stats = Default::default();
        slot.fault_kind = 0;
        slot.fault_pc = 0;
        slot.sequence = sequence;
    }

    // ---- signed install / update (command 12) ----------------------------------

    #[cfg_attr(not(feature = "signed-updates"), allow(dead_code))]
    fn install(&self, pid: ProcessId, replace: usize) -> CommandReturn {
        let Some(policy) = self.update.get() else {
            return CommandReturn::failure(ErrorCode::NOSUPPORT);
        };
        let persist = self.persist.get();
        let r = self.apps.enter(pid, |app, kernel_data| {
            let result = match persist {
                Persist::Loading => Err((ErrorCode::BUSY, load_error::SEQUENCE_STORAGE, 0)),
                Persist::Failed => Err((ErrorCode::FAIL, load_error::SEQUENCE_STORAGE, 0)),
                Persist::None | Persist::Ready(_) => {
                    self.install_inner(app, kernel_data, policy, replace)
                }
            };
            app.load_error = match result {
                Ok(_) => (load_error::NONE, 0),
                Err((_, kind, loc)) => (kind, loc),
            };
            result.map_err(|(e, _, _)| e)
        });
        match r {
            Ok(Ok(id)) => {
                self.persist_sequences();
                CommandReturn::success_u32(id as u32)
            }
            Ok(Err(e)) => CommandReturn::failure(e),
            Err(_) => CommandReturn::failure(ErrorCode::NOMEM),
        }
    }

    /// Checks the envelope of read-only allow 1 in the documented order and,
    /// only if everything passed, installs its image (as a new container, or
    /// in place of container `replace`). Any error leaves every container
    /// and the sequence table unchanged.
    fn install_inner(
        &self,
        app: &mut ProcessState<N, SLOT, STACK>,
        kernel_data: &GrantKernelData,
        policy: &UpdatePolicy<'_>,
        replace: usize,
    ) -> Result<u16, (ErrorCode, u32, u32)> {
        use femto_update::Error as U;
        let no_envelope = (ErrorCode::RESERVE, load_error::NO_ENVELOPE, 0);
        // 0. The container to replace, if any, must be the caller's and idle.
        let old = if replace == 0 {
            None
        } else {
            let idx = app
                .lookup(replace)
                .ok_or((ErrorCode::INVAL, load_error::NO_CONTAINER, 0))?;
            if app.slots.get(idx).is_some_and(|s| s.pending) {
                return Err((ErrorCode::BUSY, load_error::NO_CONTAINER, 0));
            }
            Some(idx)
        };
        let buffer = kernel_data
            .get_readonly_processbuffer(abi::ALLOW_RO_ENVELOPE)
            .map_err(|_| no_envelope)?;
        let total = buffer.len();
        if total == 0 {
            return Err(no_envelope);
        }
        // 1. Copy the COSE part (at most MAX_HEADER_LEN bytes) into kernel
        //    memory and parse its structure.
        let mut header = [0u8; femto_update::MAX_HEADER_LEN];
        let n = total.min(header.len());
        let head = header.get_mut(..n).ok_or(no_envelope)?;
        buffer
            .enter(|s| s.get(..n).map(|s| s.copy_to_slice_or_err(head)))
            .map_err(|_| no_envelope)?
            .ok_or(no_envelope)?
            .map_err(|_| no_envelope)?;
        let head = header.get(..n).ok_or(no_envelope)?;
        let envelope = femto_update::Envelope::parse(head).map_err(|e| match e {
            U::Malformed { at } => (ErrorCode::INVAL, load_error::ENVELOPE, at as u32),
            U::TooLarge => (ErrorCode::SIZE, load_error::ENVELOPE, 0),
            _ => (ErrorCode::INVAL, load_error::ENVELOPE, 0),
        })?;
        // 2. Key and signature; only then is the manifest decoded.
        let (manifest, _) = envelope.verify(policy.keys).map_err(|e| match e {
            U::UnknownKey => (ErrorCode::FAIL, load_error::UNKNOWN_KEY, 0),
            U::BadSignature => (ErrorCode::FAIL, load_error::BAD_SIGNATURE, 0),
            U::Malformed { at } => (ErrorCode::INVAL, load_error::ENVELOPE, at as u32),
            _ => (ErrorCode::INVAL, load_error::ENVELOPE, 0),
        })?;
        // 3. Target.
        manifest
            .check_target(&policy.target)
            .map_err(|_| (ErrorCode::NODEVICE, load_error::WRONG_TARGET, 0))?;
        // 4. Rollback: the sequence number must be newer than the last one
        //    accepted for this name.
        let name = manifest.name.as_bytes();
        self.sequences
            .check(name, manifest.sequence)
            .map_err(|e| match e {
                SequenceError::NotNewer(last) => {
                    (ErrorCode::ALREADY, load_error::OLD_SEQUENCE, last as u32)
                }
                SequenceError::Full => (ErrorCode::NOMEM, load_error::SEQUENCE_TABLE_FULL, 0),
            })?;
        // 5. The image: as long as the manifest says, fits a slot; the
        //    replaced container must carry the same name.
        let image_len = total - envelope.header_len.min(total);
        if u32::try_from(image_len).ok() != Some(manifest.image_size) {
            return Err((
                ErrorCode::INVAL,
                load_error::SIZE_MISMATCH,
                image_len as u32,
            ));
        }
        if image_len > SLOT {
            return Err((ErrorCode::SIZE, load_error::TOO_LARGE, image_len as u32));
        }
        if let Some(idx) = old {
            let same = app
                .slots
                .get(idx)
                .and_then(|s| s.bytes.get(..s.image_len as usize))
                .and_then(|b| Image::parse(b).ok())
                .is_some_and(|img| img.name() == name);
            if !same {
                return Err((ErrorCode::INVAL, load_error::NAME_MISMATCH, 0));
            }
        }
        // 6. Copy the image into a free slot (the staging slot), check its
        //    digest, parse and verify it there.
        let staging = app.slots.iter().position(|s| !s.used).ok_or((
            ErrorCode::NOMEM,
            load_error::NO_SLOT,
            0,
        ))?;
        let slot = app
            .slots
            .get_mut(staging)
            .ok_or((ErrorCode::NOMEM, load_error::NO_SLOT, 0))?;
        let dst =
            slot.bytes
                .get_mut(..image_len)
                .ok_or((ErrorCode::SIZE, load_error::TOO_LARGE, 0))?;
        let start = envelope.header_len;
        buffer
            .enter(|s| s.get(start..total).map(|s| s.copy_to_slice_or_err(dst)))
            .map_err(|_| no_envelope)?
            .ok_or(no_envelope)?
            .map_err(|_| no_envelope)?;
        let copy = slot.bytes.get(..image_len).ok_or(no_envelope)?;
        manifest
            .check_image(copy)
            .map_err(|_| (ErrorCode::INVAL, load_error::DIGEST_MISMATCH, 0))?;
        Self::prepare_slot(slot, image_len, Some(name))?;
        // 7. Commit: record the sequence number, then switch.
        self.sequences
            .record(name, manifest.sequence)
            .map_err(|_| (ErrorCode::NOMEM, load_error::SEQUENCE_TABLE_FULL, 0))?;
        Self::activate(slot, manifest.sequence);
        let staged_id = make_id(staging, slot.generation);
        app.kv.remove_slot(staging);
        let Some(old) = old else {
            return Ok(staged_id);
        };
        Ok(self.replace_slot(app, old, staging))
    }

    /// Puts the container prepared in slot `new` in place of container slot
    /// `old`: it keeps the old id, hook attachments (timer period and
    /// schedule included) and private key-value entries; the old container
    /// is gone. The new container ends up in slot `old` with the old id, so
    /// its private entries in the process's table, which are tagged with
    /// that id, stay its own without being re-tagged. Returns the
    /// (unchanged) id.
    fn replace_slot(&self, app: &mut ProcessState<N, SLOT, STACK>, old: usize, new: usize) -> u16 {
        let Some((hooks, timer, old_generation)) =
            app.slots.get(old).map(|o| (o.hooks, o.timer, o.generation))
        else {
            return 0;
        };
        let Some(n) = app.slots.get_mut(new) else {
            return 0;
        };
        let new_generation = n.generation;
        n.hooks = hooks;
        n.timer = timer;
        app.slots.swap(old, new);
        if let Some(s) = app.slots.get_mut(old) {
            s.generation = old_generation;
        }
        if let Some(s) = app.slots.get_mut(new) {
            s.generation = new_generation;
            s.used = false;
            s.hooks = 0;
            s.image_len = 0;
            s.data_len = 0;
            s.pending = false;
        }
        // The new code must not see the old one's stack leftovers.
        app.stack_owner = 0;
        make_id(old, old_generation)
    }

    /// Runs `f` on the calling process's container `id`, or fails with INVAL.
    fn with_container<F>(&self, pid: ProcessId, id: usize, f: F) -> CommandReturn
    where
        F: FnOnce(&mut ProcessState<N, SLOT, STACK>, usize, &GrantKernelData) -> CommandReturn,
    {
        self.apps
            .enter(pid, |app, kernel_data| match app.lookup(id) {
                Some(idx) => f(app, idx, kernel_data),
                None => CommandReturn::failure(ErrorCode::INVAL),
            })
            .unwrap_or_else(|_| CommandReturn::failure(ErrorCode::INVAL))
    }

    fn unload(&self, pid: ProcessId, id: usize) -> CommandReturn {
        let mut detached = 0u32;
        let r = self.with_container(pid, id, |app, idx, _| {
            let Some(slot) = app.slots.get_mut(idx) else {
                return CommandReturn::failure(ErrorCode::INVAL);
            };
            if slot.pending {
                return CommandReturn::failure(ErrorCode::BUSY);
            }
            detached = slot.hooks as u32;
            slot.used = false;
            slot.hooks = 0;
            slot.image_len = 0;
            slot.data_len = 0;
            // Its private key-value entries go, freeing their capacity.
            app.kv.remove_slot(idx);
            CommandReturn::success()
        });
        self.forget_attachments(detached);
        r
    }

    fn run_sync(&self, pid: ProcessId, id: usize, fuel: usize) -> CommandReturn {
        let fuel = self.fuel(fuel);
        self.with_container(pid, id, |app, idx, kernel_data| {
            if app.slots.get(idx).is_some_and(|s| s.pending) {
                return CommandReturn::failure(ErrorCode::BUSY);
            }
            match self.run_with_process_context(app, idx, kernel_data, fuel) {
                Err(e) => CommandReturn::failure(e),
                Ok(Ok(v)) => CommandReturn::success_u64(v),
                Ok(Err((kind, _))) if kind == fault::OUT_OF_FUEL => {
                    CommandReturn::failure(ErrorCode::CANCEL)
                }
                Ok(Err(_)) => CommandReturn::failure(ErrorCode::FAIL),
            }
        })
    }

    fn run_async(&self, pid: ProcessId, id: usize, fuel: usize) -> CommandReturn {
        let fuel = self.fuel(fuel);
        let mut queued = false;
        let r = self.with_container(pid, id, |app, idx, _| match app.slots.get_mut(idx) {
            Some(slot) if slot.pending => CommandReturn::failure(ErrorCode::BUSY),
            Some(slot) => {
                slot.pending = true;
                // Fuel is at most `max_fuel` (a u32).
                slot.pending_fuel = u32::try_from(fuel).unwrap_or(u32::MAX);
                queued = true;
                CommandReturn::success()
            }
            None => CommandReturn::failure(ErrorCode::INVAL),
        });
        if queued {
            self.deferred.set();
        }
        r
    }

    fn attach(&self, pid: ProcessId, packed: usize, arg: usize) -> CommandReturn {
        let id = packed & 0xFFFF;
        let hook_id = packed >> 16;
        let now = self.now_ms();
        let mut newly = None;
        let r = self.with_container(pid, id, |app, idx, _| {
            let Some(hidx) = self.hook_index(hook_id) else {
                return CommandReturn::failure(ErrorCode::NOSUPPORT);
            };
            let Some(hook) = self.hooks.get(hidx) else {
                return CommandReturn::failure(ErrorCode::NOSUPPORT);
            };
            let period = match hook.argument {
                HookArgument::None if arg != 0 => return CommandReturn::failure(ErrorCode::SIZE),
                HookArgument::None => 0,
                HookArgument::PeriodMs => match u32::try_from(arg) {
                    Ok(p) if p >= 1 => p,
                    _ => return CommandReturn::failure(ErrorCode::SIZE),
                },
            };
            let Some(slot) = app.slots.get_mut(idx) else {
                return CommandReturn::failure(ErrorCode::INVAL);
            };
            if slot.hooks & (1 << hidx) != 0 {
                return CommandReturn::failure(ErrorCode::ALREADY);
            }
            slot.hooks |= 1 << hidx;
            if hook.id == TIMER_ID {
                slot.timer.period_ms = period;
                slot.timer.next_due_ms = now.saturating_add(period as u64);
                slot.timer.count = 0;
            }
            newly = Some(hidx);
            CommandReturn::success()
        });
        if let Some(hidx) = newly {
            if let Some(c) = self.attached.get(hidx) {
                c.set(c.get().saturating_add(1));
            }
            if self.hooks.get(hidx).is_some_and(|h| h.id == TIMER_ID) {
                self.rearm_timer();
            }
        }
        r
    }

    fn detach(&self, pid: ProcessId, id: usize, hook_id: usize) -> CommandReturn {
        let mut removed = 0u32;
        let r = self.with_container(pid, id, |app, idx, _| {
            let Some(hidx) = self.hook_index(hook_id) else {
                return CommandReturn::failure(ErrorCode::NOSUPPORT);
            };
            let Some(slot) = app.slots.get_mut(idx) else {
                return CommandReturn::failure(ErrorCode::INVAL);
            };
            if slot.hooks & (1 << hidx) == 0 {
                return CommandReturn::failure(ErrorCode::ALREADY);
            }
            slot.hooks &= !(1 << hidx);
            removed = 1 << hidx;
            CommandReturn::success()
        });
        self.forget_attachments(removed);
        r
    }

    /// Lowers the attachment counts of the hooks in `mask`.
    fn forget_attachments(&self, mask: u32) {
        for (i, c) in self.attached.iter().enumerate() {
            if mask & (1 << i) != 0 {
                c.set(c.get().saturating_sub(1));
            }
        }
    }

    fn info(&self, pid: ProcessId, id: usize, field: usize) -> CommandReturn {
        self.with_container(pid, id, |app, idx, _| {
            let Some(slot) = app.slots.get(idx) else {
                return CommandReturn::failure(ErrorCode::INVAL);
            };
            let s = &slot.stats;
            match field {
                info::STATE => CommandReturn::success_u32_u32(
                    if slot.pending {
                        abi::state::PENDING
                    } else {
                        abi::state::IDLE
                    },
                    slot.hooks as u32,
                ),
                info::LAST_RESULT => CommandReturn::success_u64(s.last_result),
                info::LAST_FAULT => {
                    CommandReturn::success_u32_u32(slot.fault_kind as u32, slot.fault_pc as u32)
                }
                info::COUNTS => CommandReturn::success_u32_u32(s.runs, s.faults),
                info::FUEL => CommandReturn::success_u32_u32(s.last_fuel, s.total_fuel),
                info::SIZE => {
                    CommandReturn::success_u32_u32(slot.image_len as u32, slot.data_len as u32)
                }
                info::SEQUENCE => CommandReturn::success_u64(slot.sequence),
                _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
            }
        })
    }

    /// Counts the containers (of all processes) attached to each hook and
    /// refreshes the counters (which go stale when a process dies: its grant
    /// disappears without the capsule being told).
    fn recount(&self) {
        let mut counts = [0u16; MAX_HOOKS];
        for pg in self.apps.iter() {
            let _ = pg.try_enter(|app, _| {
                for slot in app.slots.iter().filter(|s| s.used) {
                    for (i, c) in counts.iter_mut().enumerate() {
                        if slot.hooks & (1 << i) != 0 {
                            *c = c.saturating_add(1);
                        }
                    }
                }
            });
        }
        for (cell, c) in self.attached.iter().zip(counts.iter()) {
            cell.set(*c);
        }
    }

    fn hook_info(&self, index: usize, part: usize) -> CommandReturn {
        let Some(h) = self.hooks.get(index) else {
            return CommandReturn::failure(ErrorCode::INVAL);
        };
        match part {
            0 => CommandReturn::success_u32_u32(
                h.id as u32,
                (h.context_len as u32) | ((h.policy as u32) << 16) | ((h.writable as u32) << 24),
            ),
            1 => {
                self.recount();
                let n = self.attached.get(index).map_or(0, |c| c.get());
                CommandReturn::success_u32_u32(h.fuel, n as u32)
            }
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn limits(&self, which: usize) -> CommandReturn {
        match which {
            0 => CommandReturn::success_u32_u32(N as u32, SLOT as u32),
            1 => CommandReturn::success_u32_u32(self.context_len as u32, SLOT as u32),
            2 => CommandReturn::success_u32_u32(self.limits.default_fuel, self.limits.max_fuel),
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn load_error(&self, pid: ProcessId) -> CommandReturn {
        match self.apps.enter(pid, |app, _| app.load_error) {
            Ok((kind, loc)) => CommandReturn::success_u32_u32(kind, loc),
            Err(_) => CommandReturn::failure(ErrorCode::NOMEM),
        }
    }

    // ---- timer hook -----------------------------------------------------------

    /// Arms the alarm for the earliest due timer attachment, and at least
    /// every half counter period (to keep the 64-bit clock exact).
    fn rearm_timer(&self) {
        let now_ms = self.now_ms();
        let mut earliest: Option<u64> = None;
        if let Some(tidx) = self.hook_index(TIMER_ID as usize) {
            for pg in self.apps.iter() {
                let _ = pg.try_enter(|app, _| {
                    for slot in app
                        .slots
                        .iter()
                        .filter(|s| s.used && s.hooks & (1 << tidx) != 0)
                    {
                        let due = slot.timer.next_due_ms;
                        earliest = Some(earliest.map_or(due, |e| e.min(due)));
                    }
                });
            }
        }
        let half = A::Ticks::half_max_value();
        let dt = match earliest {
            Some(due) => {
                let ms = due.saturating_sub(now_ms).min(u32::MAX as u64) as u32;
                let ticks = self.alarm.ticks_from_ms(ms);
                if ticks > half {
                    half
                } else {
                    ticks
                }
            }
            None => half,
        };
        self.alarm.set_alarm(self.alarm.now(), dt);
    }

    /// Runs the timer attachments that are due.
    fn fire_timer(&self) {
        let Some(tidx) = self.hook_index(TIMER_ID as usize) else {
            return;
        };
        let Some(hook) = self.hooks.get(tidx).copied() else {
            return;
        };
        let now = self.now_ms();
        for pg in self.apps.iter() {
            let _ = pg.try_enter(|app, kernel_data| {
                for idx in 0..N {
                    let Some(slot) = app.slots.get_mut(idx) else {
                        break;
                    };
                    if !slot.used || slot.hooks & (1 << tidx) == 0 || slot.timer.next_due_ms > now {
                        continue;
                    }
                    let t = slot.timer;
                    let id = make_id(idx, slot.generation);
                    let ctx = timer_context(now, t.period_ms, t.count);
                    let r =
                        self.run_slot(app, idx, Some(kernel_data), Region::ReadOnly(&ctx), hook.fuel as u64);
                    Self::report(kernel_data, id, hook.id, r);
                    if let Some(slot) = app.slots.get_mut(idx) {
                        slot.timer.count = t.count.saturating_add(1);
                        let period = t.period_ms.max(1) as u64;
                        let next = t.next_due_ms.saturating_add(period);
                        // If the kernel fell behind, skip missed periods.
                        slot.timer.next_due_ms = if next <= now {
                            now.saturating_add(period)
                        } else {
                            next
                        };
                    }
                }
            });
        }
    }

    // ---- generic hooks ---------------------------------------------------------

    fn fire_inner(&self, hidx: usize, hook: HookDescriptor, context: &mut [u8]) -> HookOutcome {
        let mut outcome = HookOutcome::default();
        let mut stop = false;
        let mut count = 0u16;
        for pg in self.apps.iter() {
            let _ = pg.try_enter(|app, kernel_data| {
                for idx in 0..N {
                    let Some(slot) = app.slots.get(idx) else {
                        break;
                    };
                    if !slot.used || slot.hooks & (1 << hidx) == 0 {
                        continue;
                    }
                    count = count.saturating_add(1);
                    if stop {
                        continue;
                    }
                    let id = make_id(idx, slot.generation);
                    let r = if hook.writable {
                        // The container works on the context in place; a
                        // copy taken before the run undoes a faulting
                        // container's changes (one copy per run, two on a
                        // fault).
                        // In 8-byte words from an opaque zero: a byte array
                        // would be cleared by the kernel's size-optimised
                        // `memset` first (about 85 instructions per fire).
                        let mut backup = [core::hint::black_box(0u64); MAX_HOOK_CONTEXT / 8];
                        if context.len() > MAX_HOOK_CONTEXT {
                            continue;
                        }
                        backup_context(context, &mut backup);
                        let r = self.run_slot(
                            app,
                            idx,
                            Some(kernel_data),
                            Region::ReadWrite(&mut *context),
                            hook.fuel as u64,
                        );
                        if r.is_err() {
                            restore_context(&backup, context);
                        }
                        r
                    } else {
                        self.run_slot(
                            app,
                            idx,
                            Some(kernel_data),
                            Region::ReadOnly(context),
                            hook.fuel as u64,
                        )
                    };
                    Self::report(kernel_data, id, hook.id, r);
                    outcome.runs = outcome.runs.saturating_add(1);
                    match r {
                        Ok(v) => {
                            outcome.result = Some(v);
                            match hook.policy {
                                Policy::RunAll => {}
                                Policy::First => stop = true,
                                Policy::StopOnNegative => stop = (v as i64) < 0,
                            }
                        }
                        Err(_) => {
                            outcome.faults = outcome.faults.saturating_add(1);
                            if hook.policy == Policy::First {
                                stop = true;
                            }
                        }
                    }
                }
            });
        }
        if let Some(c) = self.attached.get(hidx) {
            c.set(count);
        }
        outcome
    }

    // ---- asynchronous runs -------------------------------------------------------

    fn run_pending(&self) {
        for pg in self.apps.iter() {
            let _ = pg.try_enter(|app, kernel_data| {
                for idx in 0..N {
                    let Some(slot) = app.slots.get_mut(idx) else {
                        break;
                    };
                    if !slot.used {
                        continue;
                    }
                    if !slot.pending {
                        continue;
                    }
                    slot.pending = false;
                    let fuel = slot.pending_fuel as u64;
                    let id = make_id(idx, slot.generation);
                    let r = match self.run_with_process_context(app, idx, kernel_data, fuel) {
                        Ok(r) => r,
                        Err(_) => Err((fault::OTHER, 0)),
                    };
                    Self::report(kernel_data, id, 0, r);
                }
            });
        }
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize> FemtoHooks
    for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn has_attached(&self, id: u16) -> bool {
        self.hook_index(id as usize)
            .and_then(|i| self.attached.get(i))
            .is_some_and(|c| c.get() > 0)
    }

    fn fire(&self, id: u16, context: &mut [u8]) -> HookOutcome {
        let Some(hidx) = self.hook_index(id as usize) else {
            return HookOutcome::default();
        };
        if self.attached.get(hidx).map_or(0, |c| c.get()) == 0 || context.len() > MAX_HOOK_CONTEXT {
            return HookOutcome::default();
        }
        let Some(hook) = self.hooks.get(hidx).copied() else {
            return HookOutcome::default();
        };
        self.fire_inner(hidx, hook, context)
    }

    fn set_sensor_value(&self, kind: u32, value: i64) {
        if kind == 0 {
            self.temperature.set(Some(value));
        }
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize> Services
    for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn now_us(&self) -> u64 {
        self.now_us_inner()
    }

    fn sensor_last(&self, kind: u32) -> Option<i64> {
        match kind {
            0 => self.temperature.get(),
            _ => None,
        }
    }

    fn kv_global(&self) -> &SharedKv<KV_GLOBAL_ENTRIES> {
        &self.kv_global
    }

    fn print(&self, id: u16, line: &[u8]) -> bool {
        if !self
            .print_budget
            .take(self.now_ms(), self.limits.prints_per_second)
        {
            return false;
        }
        self.console.write_line(id, line);
        true
    }

    fn random(&self) -> u32 {
        // xorshift32, stirred with the clock.
        let x = femto_helpers::xorshift32(self.rng.get(), self.alarm.now().into_u32());
        self.rng.set(x);
        x
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize> AlarmClient
    for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn alarm(&self) {
        self.fire_timer();
        self.rearm_timer();
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize> DeferredCallClient
    for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn handle_deferred_call(&self) {
        self.run_pending();
    }

    fn register(&'static self) {
        self.deferred.register(self);
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize>
    NonvolatileStorageClient for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn read_done(&self, buffer: &'static mut [u8], _length: usize) {
        if self.persist.get() == Persist::Loading {
            // Neither copy valid (erased flash on the first boot): empty
            // table, generation 0.
            let generation = self.sequences.load(buffer).unwrap_or(0);
            self.persist.set(Persist::Ready(generation));
        }
        self.storage_buffer.replace(buffer);
    }

    fn write_done(&self, buffer: &'static mut [u8], _length: usize) {
        self.storage_buffer.replace(buffer);
        if self.persist_dirty.get() {
            self.persist_sequences();
        }
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize> SyscallDriver
    for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn command(&self, cmd: usize, a1: usize, a2: usize, pid: ProcessId) -> CommandReturn {
        match cmd {
            command::EXISTS => CommandReturn::success(),
            command::LOAD => self.load(pid),
            command::UNLOAD => self.unload(pid, a1),
            command::RUN => self.run_sync(pid, a1, a2),
            command::RUN_ASYNC => self.run_async(pid, a1, a2),
            command::ATTACH => self.attach(pid, a1, a2),
            command::DETACH => self.detach(pid, a1, a2),
            command::INFO => self.info(pid, a1, a2),
            command::HOOK_COUNT => CommandReturn::success_u32(self.hooks.len() as u32),
            command::HOOK_INFO => self.hook_info(a1, a2),
            command::LIMITS => self.limits(a1),
            command::LOAD_ERROR => self.load_error(pid),
            #[cfg(feature = "signed-updates")]
            command::INSTALL => self.install(pid, a1),
            _ => CommandReturn::failure(ErrorCode::NOSUPPORT),
        }
    }

    fn allocate_grant(&self, pid: ProcessId) -> Result<(), kernel::process::Error> {
        self.apps.enter(pid, |_, _| {})
    }
}

impl<'a, A: Alarm<'a>, const N: usize, const SLOT: usize, const STACK: usize>
    crate::temperature::NowMs for FemtoContainers<'a, A, N, SLOT, STACK>
{
    fn now_ms(&self) -> u64 {
        FemtoContainers::now_ms(self)
    }
}

#[cfg(test)]
mod tests {
    use super::{backup_context, restore_context};
    use crate::hooks::MAX_HOOK_CONTEXT;

    /// The word backup of a writable hook context gives back every byte,
    /// whatever the length (a board's hook may have any length up to
    /// `MAX_HOOK_CONTEXT`, not only multiples of 8).
    #[test]
    fn context_backup_round_trips_every_length() {
        for len in 0..=MAX_HOOK_CONTEXT {
            let original: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(37).wrapping_add(1)).collect();
            let mut words = [0u64; MAX_HOOK_CONTEXT / 8];
            backup_context(&original, &mut words);
            let mut context = vec![0xEE; len];
            restore_context(&words, &mut context);
            assert_eq!(context, original, "length {len}");
        }
    }
}
