//! # femto-helpers: the helper ABI of femto-containers
//!
//! The one implementation of what a container sees when it calls a helper
//! (`call imm`, `doc/helpers.md`): the helper numbers ([`nr`]), the errno
//! values ([`errno`]), the `fc_print` formatter ([`print`]), the key-value
//! scopes and their stores ([`kv`]) and the dispatch ([`call`]) that checks
//! every argument. Both sides use it:
//!
//! * the Tock capsule (`capsules-femto`), whose [`Host`] is the kernel: the
//!   process's key-value table and the capsule's global one, the alarm, the
//!   last sensor reading, the owner's upcall, the debug console;
//! * the host simulator of `femto run` (`femto-tools`), whose [`Host`]
//!   prints to standard output and keeps its own tables and clock.
//!
//! So a container run with `femto run` gets the same results as on the
//! device, bad input included: only what [`Host`] abstracts (time, sensor
//! values, random numbers, where output goes) differs.
//!
//! The crate is `no_std`, allocation-free, without `unsafe` and without
//! `core::fmt` on the helper path; no container input can make it panic
//! (every access is checked, arithmetic saturates). Dispatch goes through
//! `&mut dyn Host`, so the kernel gets one copy of the code.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use core::cell::Cell;

use femto_vm::{Error, Memory};

pub mod kv;
pub mod print;

pub use kv::{KvError, Owner, ScopedKv, SharedKv};
pub use print::{format, ConsoleLine, Line, PRINT_FMT_MAX, PRINT_OUT_MAX, PRINT_STR_MAX};

/// Helper numbers (`doc/helpers.md`).
pub mod nr {
    /// `fc_print(fmt, a1, a2, a3)`.
    pub const PRINT: u32 = 0x01;
    /// `fc_memcpy(dst, src, len)`.
    pub const MEMCPY: u32 = 0x02;
    /// `fc_memset(dst, byte, len)`.
    pub const MEMSET: u32 = 0x03;
    /// `fc_kv_store(scope, key, value)`.
    pub const KV_STORE: u32 = 0x10;
    /// `fc_kv_fetch(scope, key, value_ptr)`.
    pub const KV_FETCH: u32 = 0x11;
    /// `fc_now_ms()`.
    pub const NOW_MS: u32 = 0x20;
    /// `fc_now_us()`.
    pub const NOW_US: u32 = 0x21;
    /// `fc_sensor_last(kind)`.
    pub const SENSOR_LAST: u32 = 0x30;
    /// `fc_notify(value)`.
    pub const NOTIFY: u32 = 0x40;
    /// `fc_random()`.
    pub const RANDOM: u32 = 0x50;

    /// Every helper number of the ABI with its C name.
    pub const NAMES: &[(u32, &str)] = &[
        (PRINT, "fc_print"),
        (MEMCPY, "fc_memcpy"),
        (MEMSET, "fc_memset"),
        (KV_STORE, "fc_kv_store"),
        (KV_FETCH, "fc_kv_fetch"),
        (NOW_MS, "fc_now_ms"),
        (NOW_US, "fc_now_us"),
        (SENSOR_LAST, "fc_sensor_last"),
        (NOTIFY, "fc_notify"),
        (RANDOM, "fc_random"),
    ];

    /// The C name of helper `nr`, if it is one of the ABI's.
    pub fn name(nr: u32) -> Option<&'static str> {
        NAMES.iter().find(|(n, _)| *n == nr).map(|(_, s)| *s)
    }
}

/// Error values returned to containers in r0 (negative errno).
pub mod errno {
    /// No such entry (key absent, no sensor value yet, unknown sensor kind).
    pub const ENOENT: i64 = -2;
    /// Key-value store full.
    pub const ENOMEM: i64 = -12;
    /// Bad pointer (or a string too long or unterminated).
    pub const EFAULT: i64 = -14;
    /// Rate limited (`fc_print`) or the owner's upcall queue is full.
    pub const EBUSY: i64 = -16;
    /// Bad argument (key-value scope).
    pub const EINVAL: i64 = -22;
}

/// Entries of one process's key-value table, shared by the process scope
/// and the private scopes of its containers.
pub const KV_PROCESS_ENTRIES: usize = 22;
/// Entries of the device-wide (global scope) key-value store.
pub const KV_GLOBAL_ENTRIES: usize = 16;
/// `fc_print` lines per second for all containers together, unless the
/// board sets another limit.
pub const DEFAULT_PRINTS_PER_SECOND: u32 = 10;
/// Sensor kind 0 of `fc_sensor_last`: temperature in centi-°C.
pub const SENSOR_TEMPERATURE: u32 = 0;

/// A key-value scope, the first argument of `fc_kv_store`/`fc_kv_fetch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// 0: private to the calling container.
    Container,
    /// 1: shared by the containers of one process.
    Process,
    /// 2: shared by all containers of the device.
    Global,
}

impl Scope {
    /// The scope numbered `arg`; `None` (→ `EINVAL`) for any other value.
    pub fn from_arg(arg: u64) -> Option<Scope> {
        match arg {
            0 => Some(Scope::Container),
            1 => Some(Scope::Process),
            2 => Some(Scope::Global),
            _ => None,
        }
    }
}

/// The key-value tables a helper call may use.
pub struct KvTables<'k> {
    /// The owning process's table (scopes 0 and 1).
    pub process: &'k mut ScopedKv<KV_PROCESS_ENTRIES>,
    /// The device's global table (scope 2).
    pub global: &'k SharedKv<KV_GLOBAL_ENTRIES>,
}

/// What the helpers need from the side that runs the container: the kernel
/// (capsule) or the host simulator. Everything about argument checking and
/// error values is in [`call`]; an implementation only provides state.
pub trait Host {
    /// The running container's id (owner of its scope-0 entries, shown in
    /// its printed lines and notifications).
    fn container_id(&self) -> u16;
    /// The key-value tables of the running container.
    fn kv(&mut self) -> KvTables<'_>;
    /// Microseconds since boot.
    fn now_us(&mut self) -> u64;
    /// Last value of sensor `kind`, if any.
    fn sensor_last(&mut self, kind: u32) -> Option<i64>;
    /// Writes one line from the running container if the print rate limit
    /// allows it (see [`PrintBudget`]); false (nothing written) if not.
    fn print(&mut self, line: &[u8]) -> bool;
    /// Notifies the container's owner of `value`; false if that cannot be
    /// queued now.
    fn notify(&mut self, value: u64) -> bool;
    /// A pseudo-random number (see [`xorshift32`]).
    fn random(&mut self) -> u32;
}

fn errno_or(r: Result<u64, i64>) -> u64 {
    match r {
        Ok(v) => v,
        Err(e) => e as u64,
    }
}

/// Calls helper `nr` with arguments `a` (r1..r5) for the container whose
/// memory is `m`, on `host`. Returns r0: the helper's result or a negative
/// errno; the run continues either way. Only a number that is not a helper
/// ends the run (`Error::UnknownHelper`).
pub fn call(nr: u32, a: [u64; 5], m: &mut Memory<'_>, host: &mut dyn Host) -> Result<u64, Error> {
    let [a1, a2, a3, a4, _] = a;
    let r = match nr {
        nr::PRINT => fc_print(a1, [a2, a3, a4], m, host),
        nr::MEMCPY => fc_memcpy(a1, a2, a3, m),
        nr::MEMSET => fc_memset(a1, a2, a3, m),
        nr::KV_STORE => fc_kv_store(a1, a2, a3, host),
        nr::KV_FETCH => fc_kv_fetch(a1, a2, a3, m, host),
        nr::NOW_MS => Ok(host.now_us() / 1000),
        nr::NOW_US => Ok(host.now_us()),
        // The kind is a u32: higher bits are ignored.
        nr::SENSOR_LAST => host
            .sensor_last(a1 as u32)
            .map(|v| v as u64)
            .ok_or(errno::ENOENT),
        nr::NOTIFY => {
            if host.notify(a1) {
                Ok(0)
            } else {
                Err(errno::EBUSY)
            }
        }
        nr::RANDOM => Ok(host.random() as u64),
        other => return Err(femto_vm::helpers::unknown(other)),
    };
    Ok(errno_or(r))
}

fn fc_print(fmt: u64, args: [u64; 3], m: &Memory<'_>, host: &mut dyn Host) -> Result<u64, i64> {
    // Format first: a bad call costs no print token.
    let line = print::format(fmt, args, m)?;
    if host.print(line.as_bytes()) {
        Ok(line.len() as u64)
    } else {
        Err(errno::EBUSY)
    }
}

fn fc_memcpy(dst: u64, src: u64, len: u64, m: &mut Memory<'_>) -> Result<u64, i64> {
    let len = usize::try_from(len).map_err(|_| errno::EFAULT)?;
    m.copy_within(dst, src, len).map_err(|_| errno::EFAULT)?;
    Ok(0)
}

fn fc_memset(dst: u64, byte: u64, len: u64, m: &mut Memory<'_>) -> Result<u64, i64> {
    let len = usize::try_from(len).map_err(|_| errno::EFAULT)?;
    // The byte is the low 8 bits of the argument.
    m.slice_mut(dst, len)
        .map_err(|_| errno::EFAULT)?
        .fill(byte as u8);
    Ok(0)
}

fn fc_kv_store(scope: u64, key: u64, value: u64, host: &mut dyn Host) -> Result<u64, i64> {
    let scope = Scope::from_arg(scope).ok_or(errno::EINVAL)?;
    let id = host.container_id();
    let kv = host.kv();
    // Keys are u32: higher bits are ignored.
    let key = key as u32;
    let r = match scope {
        Scope::Container => kv.process.store(Owner::Container(id), key, value),
        Scope::Process => kv.process.store(Owner::Process, key, value),
        Scope::Global => kv.global.store(key, value),
    };
    r.map(|()| 0).map_err(|_| errno::ENOMEM)
}

fn fc_kv_fetch(
    scope: u64,
    key: u64,
    ptr: u64,
    m: &mut Memory<'_>,
    host: &mut dyn Host,
) -> Result<u64, i64> {
    let scope = Scope::from_arg(scope).ok_or(errno::EINVAL)?;
    let id = host.container_id();
    let kv = host.kv();
    let key = key as u32;
    let r = match scope {
        Scope::Container => kv.process.fetch(Owner::Container(id), key),
        Scope::Process => kv.process.fetch(Owner::Process, key),
        Scope::Global => kv.global.fetch(key),
    };
    let v = r.map_err(|_| errno::ENOENT)?;
    m.write(ptr, &v.to_le_bytes()).map_err(|_| errno::EFAULT)?;
    Ok(0)
}

/// A [`Host`] as femto-vm's [`femto_vm::Helpers`]: pass
/// `&mut Abi(&mut host)` to the interpreter.
pub struct Abi<'h>(pub &'h mut dyn Host);

impl femto_vm::Helpers for Abi<'_> {
    fn call(&mut self, id: u32, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, Error> {
        call(id, args, memory, self.0)
    }
}

/// The `fc_print` rate limit: at most `per_second` lines in each second of
/// the clock (windows `[n s, n+1 s)`), for everything that shares the
/// budget (on the device: all containers).
#[derive(Debug, Default)]
pub struct PrintBudget {
    /// The current window: whole seconds of the clock, modulo 2^32 (a
    /// wrap only starts a new window early, after 136 years).
    second: Cell<u32>,
    used: Cell<u32>,
}

impl PrintBudget {
    /// A full budget.
    pub const fn new() -> Self {
        PrintBudget {
            second: Cell::new(0),
            used: Cell::new(0),
        }
    }

    /// Takes one line from the budget at time `now_ms`; false if
    /// `per_second` lines were already printed in this second.
    pub fn take(&self, now_ms: u64, per_second: u32) -> bool {
        let second = (now_ms / 1000) as u32;
        if self.second.get() != second {
            self.second.set(second);
            self.used.set(0);
        }
        let used = self.used.get();
        if used >= per_second {
            return false;
        }
        self.used.set(used.saturating_add(1));
        true
    }
}

/// State of [`xorshift32`] that replaces a zero state.
pub const RANDOM_SEED: u32 = 0x2545_f491;

/// One step of `fc_random`'s generator: xorshift32 of `state ^ stir` (the
/// kernel stirs in its alarm counter, the simulator nothing, so that a seed
/// gives reproducible runs). Cheap, not cryptographic. Returns the new state,
/// which is also the value returned to the container.
pub fn xorshift32(state: u32, stir: u32) -> u32 {
    let mut x = state ^ stir;
    if x == 0 {
        x = RANDOM_SEED;
    }
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    x
}

#[cfg(test)]
mod tests;
