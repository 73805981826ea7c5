//! # capsules-femto: Femto-Containers for Tock
//!
//! Small eBPF programs ("containers") that processes load into the kernel
//! and that run, isolated in the [`femto_vm`] interpreter, either on request
//! or on *hooks* in kernel drivers.
//!
//! * **Syscalls** (driver [`DRIVER_NUM`] = `0xA0000`): load (the image
//!   shared with read-only allow 0 is copied into the process's grant, then
//!   parsed and verified — the process can never change a verified
//!   container), unload, run now with the context of read-write allow 0,
//!   run asynchronously, attach/detach to hooks, info, list hooks, limits,
//!   last load error; upcalls for results, `fc_notify` and faults. The ABI
//!   is documented in `doc/syscalls/femto-containers.md`; [`abi`] has the
//!   numbers.
//! * **Ownership**: containers live in the owning process's grant
//!   ([`state`]): image copy, data region and the stack they run on. Every
//!   command looks ids up only among the caller's containers. When a process
//!   exits, faults or restarts, the kernel frees its grant and its
//!   containers are gone (they no longer run on any hook).
//! * **Hooks** ([`hooks`]): the board declares hook points; drivers fire
//!   them through [`hooks::FemtoHooks`]. Provided: the periodic timer hook
//!   (the capsule's own alarm), the temperature hook
//!   ([`temperature::FemtoTemperature`], stacked between a sensor and the
//!   userspace temperature driver) and a button hook descriptor.
//! * **Signed updates** ([`update`], `doc/update.md`): command 12 installs
//!   or replaces a container from a COSE_Sign1/Ed25519 envelope
//!   (`femto-update`) after checking signature, target, sequence number and
//!   digest; the board sets the trusted keys and policy with
//!   [`FemtoContainers::set_update_policy`] (or the component's
//!   `with_update_policy`).
//! * **Helpers** ([`helpers`], `doc/helpers.md`): print (rate-limited, to
//!   the kernel debug console), memcpy/memset, a key-value store with
//!   container, process and global scopes, time in ms and µs, last sensor
//!   value, notify (upcall to the owner), random. The ABI (numbers, errno
//!   values, argument checks, the printf formatter) is the `femto-helpers`
//!   crate, which `femto run`'s simulator uses too; this crate provides the
//!   kernel's state to it.
//!
//! ## Where containers run, and why the kernel never stalls
//!
//! Tock runs capsule code only in its main loop: hardware interrupt handlers
//! merely mark interrupts pending, and drivers' callbacks (alarm fired,
//! sensor reading done) run later as bottom halves from the kernel loop. So
//! a hook fired from such a callback is not in interrupt context, and its
//! containers run **inline**, right there: no copy of the event needs to be
//! queued, and a transforming hook (temperature) can hand the changed value
//! on at once. A synchronous run (command 3) runs inline in the syscall.
//! An asynchronous run (command 4) is **deferred** with a Tock
//! `DeferredCall`, so the command returns at once and the run happens on the
//! next kernel-loop iteration. Every run has a fuel budget (one unit per
//! taken jump or call, so at most `(fuel + 1) × program length`
//! instructions): a board bounds the longest time the kernel can spend in a
//! container by its fuel limits and image-size limit.
//!
//! ## No panic from userspace or a container
//!
//! All input from a process (command arguments, allowed buffers, images) and
//! from a container (helper arguments, pointers) is handled with checked
//! accessors (`get`, `get_mut`, `checked_*`, `try_from`), never by indexing
//! or `unwrap`; the VM itself is `forbid(unsafe_code)` and returns errors
//! for every fault. Grant iteration uses `try_enter`, so a re-entered grant
//! is skipped instead of panicking.
//!
//! ## Usage
//!
//! ```rust,ignore
//! # use kernel::static_init;
//! let femto = capsules_femto::component::FemtoContainersComponent::new(
//!     board_kernel,
//!     capsules_femto::DRIVER_NUM,
//!     mux_alarm,
//!     &capsules_femto::component::DEFAULT_HOOKS,
//! )
//! .finalize(capsules_femto::femto_containers_component_static!(
//!     nrf52840::rtc::Rtc<'static>, 4, 1024, 1024
//! ));
//! // In the board's SyscallDriverLookup:
//! //     capsules_femto::DRIVER_NUM => f(Some(femto)),
//! ```
//! `board/nrf52840dk/src/femto.rs` shows the whole set-up, with the
//! temperature layer (`FemtoTemperatureComponent`).
#![cfg_attr(not(test), no_std)]
#![warn(missing_docs)]

pub mod abi;
pub mod component;
pub mod console;
pub mod driver;
pub mod helpers;
pub mod hooks;
pub mod state;
pub mod temperature;
pub mod update;
mod vm;

/// The key-value stores behind `fc_kv_*` (from `femto-helpers`, shared with
/// the host simulator).
pub use femto_helpers::kv;

pub use abi::DRIVER_NUM;
pub use driver::{FemtoContainers, FemtoGrant, Limits};
pub use hooks::{FemtoHooks, HookDescriptor, HookOutcome, Policy};
pub use update::{Target, TrustedKey, UpdatePolicy};
