//! A fake femto-containers driver for unit tests: it models the capsule's
//! system call ABI (doc/syscalls/femto-containers.md) — ids, ownership of the
//! loaded copy, limits, errors, asynchronous runs, hooks and upcalls — without
//! an eBPF VM. A "container image" is any byte string registered with
//! [`FakeFemto::add_program`]; loading it gives a container whose run is the
//! registered Rust function. Unregistered images fail to parse, images
//! registered with [`FakeFemto::add_rejected`] fail verification.
//!
//! Signed installs (command 12) are modelled without cryptography: an
//! "envelope" is any byte string registered with [`FakeFemto::add_envelope`]
//! together with what the real kernel would find in it ([`FakeEnvelope`]);
//! unregistered envelopes are malformed. The checks the fake can make itself
//! (update policy, the container to replace, sequence numbers per name, slot,
//! image, name) follow the capsule's order (doc/syscalls/femto-containers.md).
//!
//! Fuel: a fake program says how many fuel units (taken jumps and calls) it
//! needs; a run whose budget is smaller faults with "out of fuel" at
//! pc = budget, having used its whole budget. A faulting program (which says
//! nothing about its fuel) is reported as having used none.

use crate::{command, info, DRIVER_NUM};
use libtock_platform::{CommandReturn, ErrorCode};
use libtock_unittest::{command_return, DriverInfo, DriverShareRef, RoAllowBuffer, RwAllowBuffer};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// What a fake container run does.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The container returns `value` after `fuel` taken jumps or calls.
    Return { value: u64, fuel: u32 },
    /// The container faults.
    Fault { kind: u32, pc: u32 },
}

/// The behaviour of a container: gets the context copy, may change it.
pub type Program = fn(&mut [u8]) -> Outcome;

/// What the fake kernel finds when it checks a registered envelope.
#[derive(Clone, Debug)]
pub enum FakeEnvelope {
    /// Well formed, signed by a trusted key, for this board, as long as its
    /// manifest says and with the right digest: the manifest's container
    /// name and sequence number, and the image it carries (which must be
    /// registered as a program to load).
    Valid {
        name: &'static str,
        sequence: u64,
        image: Vec<u8>,
    },
    /// Fails a check the fake cannot compute (COSE structure, key,
    /// signature, target, length, digest): the kernel's `(error, kind,
    /// location)`, reported right after the check of the container to
    /// replace (the fake does not model the order among these checks).
    Refused {
        error: ErrorCode,
        kind: u32,
        location: u32,
    },
}

/// Number of container names the fake kernel's sequence table holds.
pub const SEQUENCE_TABLE: usize = 3;

struct Registered {
    image: Vec<u8>,
    /// The name inside the image (`femto pack --name`).
    name: &'static str,
    program: Option<Program>,
    /// Verifier location, for rejected programs.
    reject_at: u32,
    data_bytes: u32,
}

struct Container {
    id: u16,
    name: &'static str,
    sequence: u64,
    image_copy: Vec<u8>,
    data_bytes: u32,
    program: Program,
    pending: Option<u32>,
    /// (hook id, argument) in attachment order.
    hooks: Vec<(u16, u32)>,
    last_result: u64,
    last_fault: (u32, u32),
    runs: u32,
    faults: u32,
    last_fuel: u32,
    total_fuel: u32,
}

/// One hook of the fake board: (id, flags, fuel).
#[derive(Copy, Clone)]
pub struct FakeHook {
    pub id: u16,
    pub flags: u32,
    pub fuel: u32,
}

pub struct FakeFemto {
    share_ref: DriverShareRef,
    image: RefCell<RoAllowBuffer>,
    envelope: RefCell<RoAllowBuffer>,
    envelopes: RefCell<Vec<(Vec<u8>, FakeEnvelope)>>,
    /// The board configured an update policy (command 12 works).
    update_policy: Cell<bool>,
    /// Last accepted sequence number per container name.
    sequences: RefCell<Vec<(&'static str, u64)>>,
    context: RefCell<RwAllowBuffer>,
    registered: RefCell<Vec<Registered>>,
    slots: RefCell<Vec<Option<Container>>>,
    generations: RefCell<Vec<u8>>,
    load_error: Cell<(u32, u32)>,
    hooks: Vec<FakeHook>,
    /// (max_containers, max_image, max_context, max_data, default_fuel, max_fuel)
    pub limits: (u32, u32, u32, u32, u32, u32),
    /// Attach order across containers: (container id, hook id).
    attach_order: RefCell<Vec<(u16, u16)>>,
    /// Run asynchronous runs during command 4 (as if the kernel's deferred
    /// call ran before the process yields).
    immediate_async: Cell<bool>,
}

pub const MAX_CONTAINERS: u32 = 2;
pub const MAX_IMAGE: u32 = 64;
pub const MAX_CONTEXT: u32 = 16;
pub const MAX_DATA: u32 = 128;
pub const DEFAULT_FUEL: u32 = 100;
pub const MAX_FUEL: u32 = 1000;

impl FakeFemto {
    /// A fake board with the timer (1) and temperature (2) hooks.
    pub fn new() -> Rc<FakeFemto> {
        Rc::new(FakeFemto {
            share_ref: Default::default(),
            image: Default::default(),
            envelope: Default::default(),
            envelopes: Default::default(),
            update_policy: Cell::new(true),
            sequences: Default::default(),
            context: Default::default(),
            registered: Default::default(),
            slots: RefCell::new((0..MAX_CONTAINERS).map(|_| None).collect()),
            generations: RefCell::new(vec![0; MAX_CONTAINERS as usize]),
            load_error: Cell::new((0, 0)),
            hooks: vec![
                FakeHook {
                    id: 1,
                    flags: 16,
                    fuel: 500,
                },
                FakeHook {
                    id: 2,
                    flags: 16 | (2 << 16) | (1 << 24),
                    fuel: 200,
                },
            ],
            limits: (
                MAX_CONTAINERS,
                MAX_IMAGE,
                MAX_CONTEXT,
                MAX_DATA,
                DEFAULT_FUEL,
                MAX_FUEL,
            ),
            attach_order: Default::default(),
            immediate_async: Cell::new(false),
        })
    }

    /// Registers a loadable image whose container behaves like `program`.
    pub fn add_program(&self, image: &[u8], data_bytes: u32, program: Program) {
        self.add_named_program(image, "", data_bytes, program);
    }

    /// Like [`Self::add_program`], for an image whose own name is `name`.
    pub fn add_named_program(
        &self,
        image: &[u8],
        name: &'static str,
        data_bytes: u32,
        program: Program,
    ) {
        self.registered.borrow_mut().push(Registered {
            image: image.to_vec(),
            name,
            program: Some(program),
            reject_at: 0,
            data_bytes,
        });
    }

    /// Registers an image that parses but fails verification at `location`.
    pub fn add_rejected(&self, image: &[u8], location: u32) {
        self.registered.borrow_mut().push(Registered {
            image: image.to_vec(),
            name: "",
            program: None,
            reject_at: location,
            data_bytes: 0,
        });
    }

    /// Registers an envelope for command 12.
    pub fn add_envelope(&self, envelope: &[u8], contents: FakeEnvelope) {
        self.envelopes
            .borrow_mut()
            .push((envelope.to_vec(), contents));
    }

    /// Whether the board gives the capsule an update policy (default: yes).
    pub fn set_update_policy(&self, configured: bool) {
        self.update_policy.set(configured);
    }

    /// The last sequence number the fake kernel accepted for `name`.
    pub fn accepted_sequence(&self, name: &str) -> Option<u64> {
        self.sequences
            .borrow()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, s)| *s)
    }

    /// Makes command 4 run the container at once (see `immediate_async`).
    pub fn set_immediate_async(&self, immediate: bool) {
        self.immediate_async.set(immediate);
    }

    /// The kernel's copy of a loaded container's image.
    pub fn image_copy(&self, id: u16) -> Option<Vec<u8>> {
        self.with_container(id, |c| c.image_copy.clone())
    }

    /// Number of loaded containers.
    pub fn loaded(&self) -> usize {
        self.slots.borrow().iter().filter(|s| s.is_some()).count()
    }

    /// Simulates a container calling `fc_notify(value)`.
    pub fn notify(&self, id: u16, value: u64) {
        self.share_ref
            .schedule_upcall(1, (u32::from(id), value as u32, (value >> 32) as u32))
            .expect("schedule notify upcall");
    }

    /// Runs the pending asynchronous runs (the capsule's deferred call), with
    /// the context shared at this time.
    pub fn run_deferred(&self) {
        let pending: Vec<(u16, u32)> = self
            .slots
            .borrow_mut()
            .iter_mut()
            .flatten()
            .filter_map(|c| c.pending.take().map(|fuel| (c.id, fuel)))
            .collect();
        for (id, fuel) in pending {
            let mut ctx = self.context.borrow().to_vec();
            let outcome = if ctx.len() > self.limits.2 as usize {
                Err((8, 0))
            } else {
                self.execute(id, &mut ctx, fuel)
            };
            self.report(id, 0, outcome, Some(&ctx));
        }
    }

    /// Fires a hook with `context`: every container attached to it runs, in
    /// attachment order, on the context as the previous one left it (for a
    /// writable hook). Returns the context afterwards.
    pub fn fire_hook(&self, hook_id: u16, context: &[u8]) -> Vec<u8> {
        let hook = self
            .hooks
            .iter()
            .find(|h| h.id == hook_id)
            .copied()
            .expect("no such hook");
        let writable = hook.flags & (1 << 24) != 0;
        let stop_on_negative = (hook.flags >> 16) & 3 == 2;
        let mut ctx = context.to_vec();
        let order: Vec<u16> = self
            .attach_order
            .borrow()
            .iter()
            .filter(|(_, h)| *h == hook_id)
            .map(|(id, _)| *id)
            .collect();
        for id in order {
            let mut copy = ctx.clone();
            let outcome = self.execute(id, &mut copy, hook.fuel);
            if outcome.is_ok() && writable {
                ctx = copy;
            }
            let negative = matches!(outcome, Ok(v) if (v as i64) < 0);
            self.report(id, hook_id, outcome, None);
            if stop_on_negative && negative {
                break;
            }
        }
        ctx
    }

    fn with_container<R>(&self, id: u16, f: impl FnOnce(&mut Container) -> R) -> Option<R> {
        let mut slots = self.slots.borrow_mut();
        slots.iter_mut().flatten().find(|c| c.id == id).map(f)
    }

    /// Runs a container on `ctx`; Ok(r0) or Err((kind, pc)).
    fn execute(&self, id: u16, ctx: &mut [u8], fuel: u32) -> Result<u64, (u32, u32)> {
        self.with_container(id, |c| {
            c.runs = c.runs.saturating_add(1);
            let result = match (c.program)(ctx) {
                Outcome::Return { fuel: needed, .. } if needed > fuel => {
                    // Out of fuel: the whole budget was used.
                    c.last_fuel = fuel;
                    Err((1, fuel))
                }
                Outcome::Return { value, fuel: used } => {
                    c.last_fuel = used;
                    Ok(value)
                }
                Outcome::Fault { kind, pc } => {
                    c.last_fuel = 0;
                    Err((kind, pc))
                }
            };
            c.total_fuel = c.total_fuel.saturating_add(c.last_fuel);
            match result {
                Ok(v) => c.last_result = v,
                Err(fault) => {
                    c.faults = c.faults.saturating_add(1);
                    c.last_fault = fault;
                }
            }
            result
        })
        .unwrap_or(Err((8, 0)))
    }

    /// Delivers the outcome of a kernel-started run by upcall; for an
    /// asynchronous run (`ctx` given) a successful run's context is copied back.
    fn report(&self, id: u16, source: u16, outcome: Result<u64, (u32, u32)>, ctx: Option<&[u8]>) {
        let packed = u32::from(id) | (u32::from(source) << 16);
        match outcome {
            Ok(value) => {
                if let Some(ctx) = ctx {
                    let mut shared = self.context.borrow_mut();
                    if shared.len() == ctx.len() {
                        shared.copy_from_slice(ctx);
                    }
                }
                self.share_ref
                    .schedule_upcall(0, (packed, value as u32, (value >> 32) as u32))
                    .expect("schedule result upcall");
            }
            Err((kind, pc)) => {
                self.share_ref
                    .schedule_upcall(2, (packed, kind, pc))
                    .expect("schedule fault upcall");
            }
        }
    }

    fn load(&self) -> CommandReturn {
        let image = self.image.borrow();
        let fail = |kind: u32, location: u32, error: ErrorCode| {
            self.load_error.set((kind, location));
            command_return::failure(error)
        };
        if image.is_empty() {
            return fail(1, 0, ErrorCode::Reserve);
        }
        if image.len() > self.limits.1 as usize {
            return fail(2, 0, ErrorCode::Size);
        }
        let registered = self.registered.borrow();
        let Some(reg) = registered.iter().find(|r| r.image[..] == image[..]) else {
            return fail(3, 0, ErrorCode::Invalid);
        };
        let Some(program) = reg.program else {
            return fail(4, reg.reject_at, ErrorCode::Invalid);
        };
        if reg.data_bytes > self.limits.3 {
            return fail(5, 0, ErrorCode::Size);
        }
        let mut slots = self.slots.borrow_mut();
        let Some(index) = slots.iter().position(|s| s.is_none()) else {
            return fail(6, 0, ErrorCode::NoMem);
        };
        let generation = self.generations.borrow()[index];
        let id = (u16::from(generation) << 8) | (index as u16 + 1);
        slots[index] = Some(Container {
            id,
            name: reg.name,
            sequence: 0,
            image_copy: image.to_vec(),
            data_bytes: reg.data_bytes,
            program,
            pending: None,
            hooks: Vec::new(),
            last_result: 0,
            last_fault: (0, 0),
            runs: 0,
            faults: 0,
            last_fuel: 0,
            total_fuel: 0,
        });
        self.load_error.set((0, 0));
        command_return::success_u32(u32::from(id))
    }

    /// Command 12: records the outcome for command 11 (except `NoSupport`).
    fn install(&self, replace: u32) -> CommandReturn {
        if !self.update_policy.get() {
            return command_return::failure(ErrorCode::NoSupport);
        }
        match self.install_inner(replace) {
            Ok(id) => {
                self.load_error.set((0, 0));
                command_return::success_u32(u32::from(id))
            }
            Err((error, kind, location)) => {
                self.load_error.set((kind, location));
                command_return::failure(error)
            }
        }
    }

    fn install_inner(&self, replace: u32) -> Result<u16, (ErrorCode, u32, u32)> {
        use ErrorCode::{Already, Busy, Invalid, NoMem, Reserve, Size};
        // 0. The container to replace must be this process's and idle.
        let old = match replace {
            0 => None,
            raw => {
                let id = Self::id_arg(raw)
                    .filter(|&id| self.exists(Some(id)))
                    .ok_or((Invalid, 19, 0))?;
                if self.with_container(id, |c| c.pending.is_some()) == Some(true) {
                    return Err((Busy, 19, 0));
                }
                Some(id)
            }
        };
        let envelope = self.envelope.borrow();
        if envelope.is_empty() {
            return Err((Reserve, 9, 0));
        }
        let found = self
            .envelopes
            .borrow()
            .iter()
            .find(|(bytes, _)| bytes[..] == envelope[..])
            .map(|(_, contents)| contents.clone());
        let (name, sequence, image) = match found {
            None => return Err((Invalid, 10, 0)),
            Some(FakeEnvelope::Refused {
                error,
                kind,
                location,
            }) => return Err((error, kind, location)),
            Some(FakeEnvelope::Valid {
                name,
                sequence,
                image,
            }) => (name, sequence, image),
        };
        // Rollback protection.
        match self.accepted_sequence(name) {
            Some(last) if sequence <= last => return Err((Already, 14, last as u32)),
            None if self.sequences.borrow().len() >= SEQUENCE_TABLE => return Err((NoMem, 18, 0)),
            _ => {}
        }
        if image.len() > self.limits.1 as usize {
            return Err((Size, 2, image.len() as u32));
        }
        if let Some(id) = old {
            if self.with_container(id, |c| c.name) != Some(name) {
                return Err((Invalid, 17, 0));
            }
        }
        // Stage the image in a free slot, parse and verify it.
        let free = self.slots.borrow().iter().position(|s| s.is_none());
        let Some(staging) = free else {
            return Err((NoMem, 6, 0));
        };
        let registered = self.registered.borrow();
        let reg = registered
            .iter()
            .find(|r| r.image == image)
            .ok_or((Invalid, 3, 0))?;
        let program = reg.program.ok_or((Invalid, 4, reg.reject_at))?;
        if reg.data_bytes > self.limits.3 {
            return Err((Size, 5, 0));
        }
        if reg.name != name {
            return Err((Invalid, 17, 0));
        }
        // Commit: record the sequence number, then switch in one step.
        {
            let mut table = self.sequences.borrow_mut();
            match table.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = sequence,
                None => table.push((name, sequence)),
            }
        }
        let mut slots = self.slots.borrow_mut();
        let (index, id, hooks) = match old {
            Some(id) => {
                let index = slots
                    .iter()
                    .position(|s| s.as_ref().map(|c| c.id) == Some(id))
                    .ok_or((Invalid, 19, 0))?;
                let hooks = slots[index].take().map(|c| c.hooks).unwrap_or_default();
                (index, id, hooks)
            }
            None => {
                let generation = self.generations.borrow()[staging];
                let id = (u16::from(generation) << 8) | (staging as u16 + 1);
                (staging, id, Vec::new())
            }
        };
        slots[index] = Some(Container {
            id,
            name,
            sequence,
            image_copy: image,
            data_bytes: reg.data_bytes,
            program,
            pending: None,
            hooks,
            last_result: 0,
            last_fault: (0, 0),
            runs: 0,
            faults: 0,
            last_fuel: 0,
            total_fuel: 0,
        });
        Ok(id)
    }

    fn clamp_fuel(&self, fuel: u32) -> u32 {
        match fuel {
            0 => self.limits.4,
            f => f.min(self.limits.5),
        }
    }

    fn hook_index(&self, hook_id: u16) -> Option<usize> {
        self.hooks.iter().position(|h| h.id == hook_id)
    }

    fn id_arg(arg: u32) -> Option<u16> {
        u16::try_from(arg).ok().filter(|&id| id != 0)
    }

    fn exists(&self, id: Option<u16>) -> bool {
        id.and_then(|id| self.with_container(id, |_| ())).is_some()
    }
}

impl libtock_unittest::fake::SyscallDriver for FakeFemto {
    fn info(&self) -> DriverInfo {
        DriverInfo::new(DRIVER_NUM).upcall_count(3)
    }

    fn register(&self, share_ref: DriverShareRef) {
        self.share_ref.replace(share_ref);
    }

    fn allow_readonly(
        &self,
        buffer_num: u32,
        buffer: RoAllowBuffer,
    ) -> Result<RoAllowBuffer, (RoAllowBuffer, ErrorCode)> {
        match buffer_num {
            0 => Ok(self.image.replace(buffer)),
            1 => Ok(self.envelope.replace(buffer)),
            _ => Err((buffer, ErrorCode::NoSupport)),
        }
    }

    fn allow_readwrite(
        &self,
        buffer_num: u32,
        buffer: RwAllowBuffer,
    ) -> Result<RwAllowBuffer, (RwAllowBuffer, ErrorCode)> {
        match buffer_num {
            0 => Ok(self.context.replace(buffer)),
            _ => Err((buffer, ErrorCode::NoSupport)),
        }
    }

    fn command(&self, command_id: u32, arg0: u32, arg1: u32) -> CommandReturn {
        let invalid = command_return::failure(ErrorCode::Invalid);
        match command_id {
            command::EXISTS => command_return::success(),
            command::LOAD => self.load(),
            command::INSTALL => self.install(arg0),
            command::UNLOAD => {
                let Some(id) = Self::id_arg(arg0).filter(|&id| self.exists(Some(id))) else {
                    return invalid;
                };
                if self.with_container(id, |c| c.pending.is_some()) == Some(true) {
                    return command_return::failure(ErrorCode::Busy);
                }
                let mut slots = self.slots.borrow_mut();
                let index = slots
                    .iter()
                    .position(|s| s.as_ref().map(|c| c.id) == Some(id))
                    .unwrap();
                slots[index] = None;
                let mut generations = self.generations.borrow_mut();
                generations[index] = generations[index].wrapping_add(1);
                self.attach_order.borrow_mut().retain(|(c, _)| *c != id);
                command_return::success()
            }
            command::RUN => {
                let Some(id) = Self::id_arg(arg0).filter(|&id| self.exists(Some(id))) else {
                    return invalid;
                };
                if self.with_container(id, |c| c.pending.is_some()) == Some(true) {
                    return command_return::failure(ErrorCode::Busy);
                }
                let mut ctx = self.context.borrow().to_vec();
                if ctx.len() > self.limits.2 as usize {
                    return command_return::failure(ErrorCode::Size);
                }
                match self.execute(id, &mut ctx, self.clamp_fuel(arg1)) {
                    Ok(value) => {
                        self.context.borrow_mut().copy_from_slice(&ctx);
                        command_return::success_u64(value)
                    }
                    Err((1, _)) => command_return::failure(ErrorCode::Cancel),
                    Err(_) => command_return::failure(ErrorCode::Fail),
                }
            }
            command::RUN_ASYNC => {
                let Some(id) = Self::id_arg(arg0).filter(|&id| self.exists(Some(id))) else {
                    return invalid;
                };
                let fuel = self.clamp_fuel(arg1);
                let queued = self.with_container(id, |c| match c.pending {
                    Some(_) => false,
                    None => {
                        c.pending = Some(fuel);
                        true
                    }
                });
                match queued {
                    Some(true) => {
                        if self.immediate_async.get() {
                            self.run_deferred();
                        }
                        command_return::success()
                    }
                    _ => command_return::failure(ErrorCode::Busy),
                }
            }
            command::ATTACH => {
                let Some(id) = Self::id_arg(arg0 & 0xFFFF).filter(|&id| self.exists(Some(id)))
                else {
                    return invalid;
                };
                let hook_id = (arg0 >> 16) as u16;
                if self.hook_index(hook_id).is_none() {
                    return command_return::failure(ErrorCode::NoSupport);
                }
                let arg_ok = match hook_id {
                    1 => arg1 >= 1,
                    _ => arg1 == 0,
                };
                if !arg_ok {
                    return command_return::failure(ErrorCode::Size);
                }
                let added = self
                    .with_container(id, |c| {
                        if c.hooks.iter().any(|(h, _)| *h == hook_id) {
                            false
                        } else {
                            c.hooks.push((hook_id, arg1));
                            true
                        }
                    })
                    .unwrap();
                if !added {
                    return command_return::failure(ErrorCode::Already);
                }
                self.attach_order.borrow_mut().push((id, hook_id));
                command_return::success()
            }
            command::DETACH => {
                let Some(id) = Self::id_arg(arg0).filter(|&id| self.exists(Some(id))) else {
                    return invalid;
                };
                let Ok(hook_id) = u16::try_from(arg1) else {
                    return command_return::failure(ErrorCode::NoSupport);
                };
                if self.hook_index(hook_id).is_none() {
                    return command_return::failure(ErrorCode::NoSupport);
                }
                let removed = self
                    .with_container(id, |c| {
                        let before = c.hooks.len();
                        c.hooks.retain(|(h, _)| *h != hook_id);
                        before != c.hooks.len()
                    })
                    .unwrap();
                if !removed {
                    return command_return::failure(ErrorCode::Already);
                }
                self.attach_order
                    .borrow_mut()
                    .retain(|&(c, h)| !(c == id && h == hook_id));
                command_return::success()
            }
            command::INFO => {
                let Some(id) = Self::id_arg(arg0).filter(|&id| self.exists(Some(id))) else {
                    return invalid;
                };
                self.with_container(id, |c| match arg1 {
                    info::STATE => {
                        let mask = c.hooks.iter().fold(0u32, |m, (h, _)| {
                            m | self.hook_index(*h).map_or(0, |i| 1 << i)
                        });
                        command_return::success_2_u32(u32::from(c.pending.is_some()), mask)
                    }
                    info::LAST_RESULT => command_return::success_u64(c.last_result),
                    info::LAST_FAULT => {
                        command_return::success_2_u32(c.last_fault.0, c.last_fault.1)
                    }
                    info::COUNTS => command_return::success_2_u32(c.runs, c.faults),
                    info::WORK => command_return::success_2_u32(c.last_fuel, c.total_fuel),
                    info::SIZE => {
                        command_return::success_2_u32(c.image_copy.len() as u32, c.data_bytes)
                    }
                    info::SEQUENCE => command_return::success_u64(c.sequence),
                    _ => command_return::failure(ErrorCode::NoSupport),
                })
                .unwrap()
            }
            command::HOOK_COUNT => command_return::success_u32(self.hooks.len() as u32),
            command::HOOK_INFO => {
                let Some(hook) = self.hooks.get(arg0 as usize) else {
                    return invalid;
                };
                match arg1 {
                    0 => command_return::success_2_u32(u32::from(hook.id), hook.flags),
                    1 => {
                        let attached = self
                            .attach_order
                            .borrow()
                            .iter()
                            .filter(|(_, h)| *h == hook.id)
                            .count();
                        command_return::success_2_u32(hook.fuel, attached as u32)
                    }
                    _ => command_return::failure(ErrorCode::NoSupport),
                }
            }
            command::LIMITS => {
                let l = self.limits;
                match arg0 {
                    0 => command_return::success_2_u32(l.0, l.1),
                    1 => command_return::success_2_u32(l.2, l.3),
                    2 => command_return::success_2_u32(l.4, l.5),
                    _ => command_return::failure(ErrorCode::NoSupport),
                }
            }
            command::LOAD_ERROR => {
                let (kind, location) = self.load_error.get();
                command_return::success_2_u32(kind, location)
            }
            _ => command_return::failure(ErrorCode::NoSupport),
        }
    }
}
