//! libtock-rs API for the Femto-Containers driver (driver number `0xA0000`).
//!
//! A process loads small eBPF programs ("containers") into the kernel, runs
//! them with a context (synchronously or asynchronously), and attaches them to
//! hooks (timer, temperature sensor, …) where the kernel runs them. The ABI is
//! documented in `doc/syscalls/femto-containers.md`; every command and upcall
//! of it has a typed function here.
//!
//! ```ignore
//! use libtock_femto::Femto;
//! let id = Femto::<TockSyscalls>::load(IMAGE)?;
//! let mut ctx = 41u64.to_le_bytes();
//! let r0 = Femto::<TockSyscalls>::run(id, &mut ctx, 0)?;
//! ```
#![cfg_attr(not(test), no_std)]

mod types;

pub use types::{
    ContainerId, ContainerState, ContainerStats, Fault, FaultKind, FaultReport, HookId, HookInfo,
    HookPolicy, Limits, LoadError, LoadErrorKind, Notification, RunError, RunResult, Source,
};

use core::cell::Cell;
use libtock_platform::{
    self as platform, share, subscribe::OneId, AllowRo, AllowRw, DefaultConfig, ErrorCode,
    Subscribe, Syscalls, Upcall,
};
use types::{join_u64, unpack_id_source};

/// The femto-containers driver. `S` is the system call implementation
/// (`libtock_runtime::TockSyscalls` on a device).
pub struct Femto<S: Syscalls, C: Config = DefaultConfig>(S, C);

impl<S: Syscalls, C: Config> Femto<S, C> {
    /// `Ok(())` if the driver is present.
    pub fn exists() -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::EXISTS, 0, 0).to_result()
    }

    /// Loads a container from an image (the format written by `femto pack`).
    /// The kernel verifies the image and keeps its own copy; `image` is only
    /// shared for the duration of this call.
    ///
    /// Errors: `Size` (image or its data too large), `Invalid` (cannot be
    /// parsed or verified — see [`Self::last_load_error`]), `NoMem` (no free
    /// slot or grant memory), `NoDevice` (no driver).
    pub fn load(image: &[u8]) -> Result<ContainerId, ErrorCode> {
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::IMAGE }>, _, _>(|allow| {
            S::allow_ro::<C, DRIVER_NUM, { allow_ro::IMAGE }>(allow, image)?;
            let raw: u32 = S::command(DRIVER_NUM, command::LOAD, 0, 0).to_result()?;
            ContainerId::from_raw(raw).ok_or(ErrorCode::BadRVal)
        })
    }

    /// Installs a container from a signed envelope (`femto sign` output;
    /// see `doc/update.md`). The kernel checks the signature, target,
    /// sequence number, length and digest before anything is loaded or
    /// replaced. With `replace: None` the image becomes a new container; with
    /// the id of one of this process's containers it replaces that container
    /// in one step: the id stays the same, hook attachments and the
    /// container-scope key-value store are carried over, statistics restart.
    /// `envelope` is only shared for the duration of this call.
    ///
    /// Errors (details via [`Self::last_load_error`]): `NoSupport` (the
    /// board has no update policy), `Reserve` (no envelope), `Invalid`
    /// (malformed or truncated envelope, wrong length, digest or name
    /// mismatch, image fails to parse or verify, `replace` not one of this
    /// process's containers), `Size` (image or its data too large), `Fail`
    /// (untrusted key, bad signature, sequence storage failed), `NoDevice`
    /// (another target, or no driver), `Already` (sequence number not
    /// newer), `Busy` (the container to replace has an asynchronous run
    /// pending, or sequence storage still loading), `NoMem` (no free slot to
    /// stage the image in, or the kernel's sequence table is full).
    pub fn install(
        envelope: &[u8],
        replace: Option<ContainerId>,
    ) -> Result<ContainerId, ErrorCode> {
        let target = replace.map_or(0, |id| u32::from(id.raw()));
        share::scope::<AllowRo<_, DRIVER_NUM, { allow_ro::ENVELOPE }>, _, _>(|allow| {
            S::allow_ro::<C, DRIVER_NUM, { allow_ro::ENVELOPE }>(allow, envelope)?;
            let raw: u32 = S::command(DRIVER_NUM, command::INSTALL, target, 0).to_result()?;
            ContainerId::from_raw(raw).ok_or(ErrorCode::BadRVal)
        })
    }

    /// Unloads a container (detaching it from every hook first).
    /// Errors: `Invalid` (not this process's container), `Busy` (an
    /// asynchronous run of it is pending).
    pub fn unload(id: ContainerId) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::UNLOAD, id.raw().into(), 0).to_result()
    }

    /// Runs a container now, with `context` (which the container may change:
    /// after a successful run the kernel copies it back). `fuel` is the
    /// largest number of taken jumps and calls the run may make (the VM's fuel
    /// unit; the run executes at most `(fuel + 1) × program length`
    /// instructions), 0 for the board's default. Returns the container's return value `r0`.
    ///
    /// After a fault (including running out of fuel) the context is
    /// unchanged, and the error carries the fault kind and pc.
    ///
    /// The context is shared with read-write allow 0, the same buffer slot as
    /// the context of asynchronous runs: a synchronous run replaces (and at
    /// its end unshares) a context shared with [`Self::share_context`].
    pub fn run(id: ContainerId, context: &mut [u8], fuel: u32) -> Result<u64, RunError> {
        share::scope::<AllowRw<_, DRIVER_NUM, { allow_rw::CONTEXT }>, _, _>(|allow| {
            S::allow_rw::<C, DRIVER_NUM, { allow_rw::CONTEXT }>(allow, context)?;
            Self::run_shared(id, fuel)
        })
    }

    /// Runs a container now with an empty context (see [`Self::run`]; this
    /// also unshares any context shared with [`Self::share_context`]).
    pub fn run_no_context(id: ContainerId, fuel: u32) -> Result<u64, RunError> {
        S::unallow_rw(DRIVER_NUM, allow_rw::CONTEXT);
        Self::run_shared(id, fuel)
    }

    /// Command 3 with whatever context is currently shared.
    fn run_shared(id: ContainerId, fuel: u32) -> Result<u64, RunError> {
        let ret = S::command(DRIVER_NUM, command::RUN, id.raw().into(), fuel);
        if let Some(value) = ret.get_success_u64() {
            return Ok(value);
        }
        match ret.get_failure() {
            Some(ErrorCode::Cancel) | Some(ErrorCode::Fail) => {
                let fallback = match ret.get_failure() {
                    Some(ErrorCode::Cancel) => FaultKind::OutOfFuel,
                    _ => FaultKind::Other,
                };
                // The driver records the fault; if the query fails anyway,
                // report what the return code says.
                let fault = Self::last_fault(id).unwrap_or(Fault {
                    kind: fallback,
                    pc: 0,
                });
                Err(RunError::Fault(fault))
            }
            Some(error) => Err(RunError::Refused(error)),
            None => Err(RunError::Refused(ErrorCode::BadRVal)),
        }
    }

    /// Shares `context` as the context of asynchronous runs (command 4). The
    /// kernel reads it when the run happens and writes it back after a
    /// successful run; keep it shared (inside the `share::scope`) until the
    /// result upcall arrives.
    pub fn share_context<'share>(
        allow: share::Handle<AllowRw<'share, S, DRIVER_NUM, { allow_rw::CONTEXT }>>,
        context: &'share mut [u8],
    ) -> Result<(), ErrorCode> {
        S::allow_rw::<C, DRIVER_NUM, { allow_rw::CONTEXT }>(allow, context)
    }

    /// Starts an asynchronous run: the kernel runs the container soon after
    /// with the context shared at that time; the result arrives through the
    /// result listener, a fault through the fault listener (both with
    /// [`Source::Async`]). Errors: `Invalid`, `Busy` (a run is pending).
    pub fn run_async(id: ContainerId, fuel: u32) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::RUN_ASYNC, id.raw().into(), fuel).to_result()
    }

    /// Runs a container asynchronously with `context` and waits (yielding)
    /// for its result or fault.
    pub fn run_async_wait(id: ContainerId, context: &mut [u8], fuel: u32) -> Result<u64, RunError> {
        let outcome: Cell<Option<Result<u64, Fault>>> = Cell::new(None);
        let results = ResultListener(|r: RunResult| {
            if r.id == id && r.source == Source::Async {
                outcome.set(Some(Ok(r.value)));
            }
        });
        let faults = FaultListener(|f: FaultReport| {
            if f.id == id && f.source == Source::Async {
                outcome.set(Some(Err(f.fault)));
            }
        });
        share::scope::<
            (
                AllowRw<_, DRIVER_NUM, { allow_rw::CONTEXT }>,
                Subscribe<_, DRIVER_NUM, { subscribe::RESULT }>,
                Subscribe<_, DRIVER_NUM, { subscribe::FAULT }>,
            ),
            _,
            _,
        >(|handle| {
            let (allow, sub_result, sub_fault) = handle.split();
            S::allow_rw::<C, DRIVER_NUM, { allow_rw::CONTEXT }>(allow, context)?;
            Self::register_result_listener(&results, sub_result)?;
            Self::register_fault_listener(&faults, sub_fault)?;
            Self::run_async(id, fuel)?;
            loop {
                if let Some(outcome) = outcome.get() {
                    return outcome.map_err(RunError::Fault);
                }
                S::yield_wait();
            }
        })
    }

    /// Attaches a container to a hook; `argument` depends on the hook (timer:
    /// period in ms, ≥ 1; others: 0). Errors: `Invalid` (id), `NoSupport`
    /// (no such hook), `Size` (argument out of range), `Already`.
    pub fn attach(id: ContainerId, hook: HookId, argument: u32) -> Result<(), ErrorCode> {
        let packed = u32::from(id.raw()) | (u32::from(hook.0) << 16);
        S::command(DRIVER_NUM, command::ATTACH, packed, argument).to_result()
    }

    /// Detaches a container from a hook. Errors: `Invalid` (id), `NoSupport`
    /// (no such hook), `Already` (not attached).
    pub fn detach(id: ContainerId, hook: HookId) -> Result<(), ErrorCode> {
        S::command(DRIVER_NUM, command::DETACH, id.raw().into(), hook.0.into()).to_result()
    }

    fn info2(id: ContainerId, field: u32) -> Result<(u32, u32), ErrorCode> {
        S::command(DRIVER_NUM, command::INFO, id.raw().into(), field).to_result()
    }

    /// Whether an asynchronous run is pending, and the hooks attached to.
    pub fn state(id: ContainerId) -> Result<ContainerState, ErrorCode> {
        let (state, hooks) = Self::info2(id, info::STATE)?;
        Ok(ContainerState {
            run_pending: state == 1,
            hooks,
        })
    }

    /// The return value of the container's last successful run (0 if none).
    pub fn last_result(id: ContainerId) -> Result<u64, ErrorCode> {
        S::command(
            DRIVER_NUM,
            command::INFO,
            id.raw().into(),
            info::LAST_RESULT,
        )
        .to_result()
    }

    /// The container's last fault (kind [`FaultKind::None`] if it never faulted).
    pub fn last_fault(id: ContainerId) -> Result<Fault, ErrorCode> {
        let (kind, pc) = Self::info2(id, info::LAST_FAULT)?;
        Ok(Fault {
            kind: FaultKind::from_raw(kind),
            pc,
        })
    }

    /// Run and fault counts and fuel used since the container
    /// was loaded (or installed: a replacing install restarts them at 0).
    pub fn stats(id: ContainerId) -> Result<ContainerStats, ErrorCode> {
        let (runs, faults) = Self::info2(id, info::COUNTS)?;
        let (last_fuel, total_fuel) = Self::info2(id, info::WORK)?;
        Ok(ContainerStats {
            runs,
            faults,
            last_fuel,
            total_fuel,
        })
    }

    /// The sequence number of the signed envelope the container was
    /// installed from ([`Self::install`]); 0 for a container loaded unsigned
    /// ([`Self::load`]).
    pub fn sequence(id: ContainerId) -> Result<u64, ErrorCode> {
        S::command(DRIVER_NUM, command::INFO, id.raw().into(), info::SEQUENCE).to_result()
    }

    /// The size of the kernel's verified image copy and of the container's
    /// data region, in bytes.
    pub fn size(id: ContainerId) -> Result<(u32, u32), ErrorCode> {
        Self::info2(id, info::SIZE)
    }

    /// Number of hooks the board offers.
    pub fn hook_count() -> Result<u32, ErrorCode> {
        S::command(DRIVER_NUM, command::HOOK_COUNT, 0, 0).to_result()
    }

    /// Describes the hook at `index` (`0..hook_count()`).
    pub fn hook_info(index: u32) -> Result<HookInfo, ErrorCode> {
        let (id, flags): (u32, u32) =
            S::command(DRIVER_NUM, command::HOOK_INFO, index, 0).to_result()?;
        let (fuel, attached): (u32, u32) =
            S::command(DRIVER_NUM, command::HOOK_INFO, index, 1).to_result()?;
        Ok(HookInfo::decode(id, flags, fuel, attached))
    }

    /// The board's limits.
    pub fn limits() -> Result<Limits, ErrorCode> {
        let (max_containers, max_image_bytes): (u32, u32) =
            S::command(DRIVER_NUM, command::LIMITS, 0, 0).to_result()?;
        let (max_context_bytes, slot_bytes): (u32, u32) =
            S::command(DRIVER_NUM, command::LIMITS, 1, 0).to_result()?;
        let (default_fuel, max_fuel): (u32, u32) =
            S::command(DRIVER_NUM, command::LIMITS, 2, 0).to_result()?;
        Ok(Limits {
            max_containers,
            max_image_bytes,
            max_context_bytes,
            slot_bytes,
            default_fuel,
            max_fuel,
        })
    }

    /// Why this process's last load (command 1) or signed install
    /// (command 12) failed.
    pub fn last_load_error() -> Result<LoadError, ErrorCode> {
        let (kind, location): (u32, u32) =
            S::command(DRIVER_NUM, command::LOAD_ERROR, 0, 0).to_result()?;
        Ok(LoadError {
            kind: LoadErrorKind::from_raw(kind),
            location,
        })
    }

    /// Registers the listener for results of kernel-started runs (subscribe 0).
    pub fn register_result_listener<'share, F: Fn(RunResult)>(
        listener: &'share ResultListener<F>,
        subscribe: share::Handle<Subscribe<'share, S, DRIVER_NUM, { subscribe::RESULT }>>,
    ) -> Result<(), ErrorCode> {
        S::subscribe::<_, _, C, DRIVER_NUM, { subscribe::RESULT }>(subscribe, listener)
    }

    /// Registers the listener for `fc_notify` notifications (subscribe 1).
    pub fn register_notify_listener<'share, F: Fn(Notification)>(
        listener: &'share NotifyListener<F>,
        subscribe: share::Handle<Subscribe<'share, S, DRIVER_NUM, { subscribe::NOTIFY }>>,
    ) -> Result<(), ErrorCode> {
        S::subscribe::<_, _, C, DRIVER_NUM, { subscribe::NOTIFY }>(subscribe, listener)
    }

    /// Registers the listener for faults of kernel-started runs (subscribe 2).
    pub fn register_fault_listener<'share, F: Fn(FaultReport)>(
        listener: &'share FaultListener<F>,
        subscribe: share::Handle<Subscribe<'share, S, DRIVER_NUM, { subscribe::FAULT }>>,
    ) -> Result<(), ErrorCode> {
        S::subscribe::<_, _, C, DRIVER_NUM, { subscribe::FAULT }>(subscribe, listener)
    }
}

/// Receives results of kernel-started runs (asynchronous runs and hooks).
pub struct ResultListener<F: Fn(RunResult)>(pub F);

impl<F: Fn(RunResult)> Upcall<OneId<DRIVER_NUM, { subscribe::RESULT }>> for ResultListener<F> {
    fn upcall(&self, id_source: u32, low: u32, high: u32) {
        if let Some((id, source)) = unpack_id_source(id_source) {
            self.0(RunResult {
                id,
                source,
                value: join_u64(low, high),
            });
        }
    }
}

/// Receives notifications (a container called `fc_notify`).
pub struct NotifyListener<F: Fn(Notification)>(pub F);

impl<F: Fn(Notification)> Upcall<OneId<DRIVER_NUM, { subscribe::NOTIFY }>> for NotifyListener<F> {
    fn upcall(&self, id: u32, low: u32, high: u32) {
        if let Some(id) = ContainerId::from_raw(id) {
            self.0(Notification {
                id,
                value: join_u64(low, high),
            });
        }
    }
}

/// Receives faults of kernel-started runs.
pub struct FaultListener<F: Fn(FaultReport)>(pub F);

impl<F: Fn(FaultReport)> Upcall<OneId<DRIVER_NUM, { subscribe::FAULT }>> for FaultListener<F> {
    fn upcall(&self, id_source: u32, kind: u32, pc: u32) {
        if let Some((id, source)) = unpack_id_source(id_source) {
            self.0(FaultReport {
                id,
                source,
                fault: Fault {
                    kind: FaultKind::from_raw(kind),
                    pc,
                },
            });
        }
    }
}

/// System call configuration of [`Femto`].
pub trait Config:
    platform::allow_ro::Config + platform::allow_rw::Config + platform::subscribe::Config
{
}
impl<T: platform::allow_ro::Config + platform::allow_rw::Config + platform::subscribe::Config>
    Config for T
{
}

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;

// -----------------------------------------------------------------------------
// Driver number, command, subscribe and allow numbers
// -----------------------------------------------------------------------------

/// The driver number this project registers the capsule under.
pub const DRIVER_NUM: u32 = 0xA0000;

/// Command numbers.
pub mod command {
    /// Does the driver exist?
    pub const EXISTS: u32 = 0;
    /// Load the image shared with read-only allow 0.
    pub const LOAD: u32 = 1;
    /// Unload a container.
    pub const UNLOAD: u32 = 2;
    /// Run synchronously.
    pub const RUN: u32 = 3;
    /// Run asynchronously.
    pub const RUN_ASYNC: u32 = 4;
    /// Attach to a hook.
    pub const ATTACH: u32 = 5;
    /// Detach from a hook.
    pub const DETACH: u32 = 6;
    /// Information about a container.
    pub const INFO: u32 = 7;
    /// Number of hooks.
    pub const HOOK_COUNT: u32 = 8;
    /// Describe a hook.
    pub const HOOK_INFO: u32 = 9;
    /// The board's limits.
    pub const LIMITS: u32 = 10;
    /// Why the last load or signed install failed.
    pub const LOAD_ERROR: u32 = 11;
    /// Install (or replace) a container from the signed envelope shared with
    /// read-only allow 1.
    pub const INSTALL: u32 = 12;
}

/// Fields of command 7.
pub mod info {
    /// `(state, hooks)`.
    pub const STATE: u32 = 0;
    /// Last result (u64).
    pub const LAST_RESULT: u32 = 1;
    /// `(kind, pc)` of the last fault.
    pub const LAST_FAULT: u32 = 2;
    /// `(runs, faults)`.
    pub const COUNTS: u32 = 3;
    /// `(last, total)` fuel used: taken jumps and calls (not instructions).
    pub const WORK: u32 = 4;
    /// `(image_bytes, data_bytes)`.
    pub const SIZE: u32 = 5;
    /// Sequence number of the signed envelope (u64; 0 if loaded unsigned).
    pub const SEQUENCE: u32 = 6;
}

/// Subscribe numbers.
pub mod subscribe {
    /// Results of kernel-started runs.
    pub const RESULT: u32 = 0;
    /// Notifications.
    pub const NOTIFY: u32 = 1;
    /// Faults of kernel-started runs.
    pub const FAULT: u32 = 2;
}

/// Read-only allow numbers.
pub mod allow_ro {
    /// The image to load (command 1).
    pub const IMAGE: u32 = 0;
    /// The signed envelope to install (command 12).
    pub const ENVELOPE: u32 = 1;
}

/// Read-write allow numbers.
pub mod allow_rw {
    /// The run context.
    pub const CONTEXT: u32 = 0;
}
