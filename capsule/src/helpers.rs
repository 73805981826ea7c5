//! The kernel's helpers for containers (numbers fixed in
//! `doc/helpers.md`): print, memcpy/memset, key-value store, time, last
//! sensor value, notify, random.
//!
//! Every pointer argument is a VM virtual address and goes through the VM's
//! checked memory API ([`femto_vm::Memory`]); a bad pointer makes the helper
//! return -14 (`EFAULT`) and the run continues. Only an unknown helper number
//! ends the run (fault kind "unknown helper"; the verifier already rejects
//! numbers outside the image's allow-list).

use femto_vm::{Error, Helpers, Memory};
use kernel::grant::GrantKernelData;

use crate::abi;
use crate::kv::{KvError, Owner, ScopedKv};
use crate::state::KV_PROCESS_ENTRIES;

/// Helper numbers (as in `doc/helpers.md`).
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
}

/// Error values returned to containers (negative errno).
pub mod errno {
    /// No such entry.
    pub const ENOENT: i64 = -2;
    /// Store full.
    pub const ENOMEM: i64 = -12;
    /// Bad pointer.
    pub const EFAULT: i64 = -14;
    /// Busy / rate limited / queue full.
    pub const EBUSY: i64 = -16;
    /// Bad argument.
    pub const EINVAL: i64 = -22;
}

/// Longest format string of `fc_print` (without its NUL).
pub const PRINT_FMT_MAX: usize = 128;
/// Longest output line of `fc_print`; longer output is truncated.
pub const PRINT_OUT_MAX: usize = 160;

/// What the helpers need from the capsule (global, non-process state).
pub trait Services {
    /// Microseconds since boot.
    fn now_us(&self) -> u64;
    /// Last value of sensor `kind`.
    fn sensor_last(&self, kind: u32) -> Option<i64>;
    /// Global-scope store.
    fn kv_global_store(&self, key: u32, value: u64) -> Result<(), KvError>;
    /// Global-scope fetch.
    fn kv_global_fetch(&self, key: u32) -> Result<u64, KvError>;
    /// Takes one print token; false if the rate limit is exceeded.
    fn print_allowed(&self) -> bool;
    /// Writes one line from container `id` to the kernel debug console.
    fn print(&self, id: u16, line: &[u8]);
    /// A pseudo-random number (not cryptographic).
    fn random(&self) -> u32;
}

/// The helpers of one run of one container.
pub struct KernelHelpers<'x> {
    /// Capsule services.
    pub services: &'x dyn Services,
    /// The container's id (for notify and print, and the owner of its
    /// private key-value entries).
    pub id: u16,
    /// The owning process's key-value table: scope 0 is this container's
    /// entries in it ([`Owner::Container`] with `id`), scope 1 the process's.
    pub kv: &'x mut ScopedKv<KV_PROCESS_ENTRIES>,
    /// The owner's upcalls (for notify).
    pub kernel_data: Option<&'x GrantKernelData<'x>>,
}

fn ret(v: i64) -> Result<u64, Error> {
    Ok(v as u64)
}

impl Helpers for KernelHelpers<'_> {
    fn call(&mut self, id: u32, a: [u64; 5], m: &mut Memory<'_>) -> Result<u64, Error> {
        match id {
            nr::PRINT => print(self.services, self.id, a, m),
            nr::MEMCPY => {
                let Ok(len) = usize::try_from(a[2]) else {
                    return ret(errno::EFAULT);
                };
                match m.copy_within(a[0], a[1], len) {
                    Ok(()) => Ok(0),
                    Err(_) => ret(errno::EFAULT),
                }
            }
            nr::MEMSET => {
                let Ok(len) = usize::try_from(a[2]) else {
                    return ret(errno::EFAULT);
                };
                match m.slice_mut(a[0], len) {
                    Ok(s) => {
                        s.fill(a[1] as u8);
                        Ok(0)
                    }
                    Err(_) => ret(errno::EFAULT),
                }
            }
            nr::KV_STORE => {
                let key = a[1] as u32;
                let r = match a[0] {
                    0 => self.kv.store(Owner::Container(self.id), key, a[2]),
                    1 => self.kv.store(Owner::Process, key, a[2]),
                    2 => self.services.kv_global_store(key, a[2]),
                    _ => return ret(errno::EINVAL),
                };
                match r {
                    Ok(()) => Ok(0),
                    Err(_) => ret(errno::ENOMEM),
                }
            }
            nr::KV_FETCH => {
                let key = a[1] as u32;
                let r = match a[0] {
                    0 => self.kv.fetch(Owner::Container(self.id), key),
                    1 => self.kv.fetch(Owner::Process, key),
                    2 => self.services.kv_global_fetch(key),
                    _ => return ret(errno::EINVAL),
                };
                match r {
                    Ok(v) => match m.write(a[2], &v.to_le_bytes()) {
                        Ok(()) => Ok(0),
                        Err(_) => ret(errno::EFAULT),
                    },
                    Err(_) => ret(errno::ENOENT),
                }
            }
            nr::NOW_MS => Ok(self.services.now_us() / 1000),
            nr::NOW_US => Ok(self.services.now_us()),
            nr::SENSOR_LAST => match self.services.sensor_last(a[0] as u32) {
                Some(v) => Ok(v as u64),
                None => ret(errno::ENOENT),
            },
            nr::NOTIFY => {
                let Some(kd) = self.kernel_data else {
                    return ret(errno::EBUSY);
                };
                let r = kd.schedule_upcall(
                    abi::upcall::NOTIFY,
                    (
                        self.id as usize,
                        a[0] as u32 as usize,
                        (a[0] >> 32) as u32 as usize,
                    ),
                );
                match r {
                    Ok(()) => Ok(0),
                    Err(_) => ret(errno::EBUSY),
                }
            }
            nr::RANDOM => Ok(self.services.random() as u64),
            other => Err(femto_vm::helpers::unknown(other)),
        }
    }
}

/// A fixed buffer that silently truncates.
struct Line {
    buf: [u8; PRINT_OUT_MAX],
    len: usize,
}

impl Line {
    fn push(&mut self, b: u8) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
    fn push_all(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.push(b);
        }
    }
    fn push_unsigned(&mut self, mut v: u64, radix: u64) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        loop {
            let d = (v % radix) as u8;
            if let Some(slot) = digits.get_mut(n) {
                *slot = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            }
            n += 1;
            v /= radix;
            if v == 0 || n >= digits.len() {
                break;
            }
        }
        for i in (0..n).rev() {
            if let Some(&d) = digits.get(i) {
                self.push(d);
            }
        }
    }
    fn push_signed(&mut self, v: i64) {
        if v < 0 {
            self.push(b'-');
        }
        self.push_unsigned(v.unsigned_abs(), 10);
    }
}

/// `fc_print`: a small printf. Conversions: `%d %i %u %x %c %s %%`, with an
/// optional `l`/`ll` length (values are 64-bit either way; without `ll`,
/// `%d %i` print the low 32 bits as signed and `%u %x` the low 32 bits).
fn print(services: &dyn Services, id: u16, a: [u64; 5], m: &Memory<'_>) -> Result<u64, Error> {
    let Ok(fmt) = m.read_cstr(a[0], PRINT_FMT_MAX) else {
        return ret(errno::EFAULT);
    };
    let mut line = Line {
        buf: [0; PRINT_OUT_MAX],
        len: 0,
    };
    let args = [a[1], a[2], a[3]];
    let mut next_arg = 0usize;
    let mut i = 0usize;
    while let Some(&c) = fmt.get(i) {
        i += 1;
        if c != b'%' {
            line.push(c);
            continue;
        }
        let mut longs = 0;
        while fmt.get(i) == Some(&b'l') {
            longs += 1;
            i += 1;
        }
        let Some(&conv) = fmt.get(i) else {
            line.push(b'%');
            break;
        };
        i += 1;
        let wide = longs >= 2;
        let mut take = || {
            let v = args.get(next_arg).copied().unwrap_or(0);
            next_arg += 1;
            v
        };
        match conv {
            b'%' => line.push(b'%'),
            b'd' | b'i' => {
                let v = take();
                line.push_signed(if wide {
                    v as i64
                } else {
                    v as u32 as i32 as i64
                });
            }
            b'u' => {
                let v = take();
                line.push_unsigned(if wide { v } else { v as u32 as u64 }, 10);
            }
            b'x' => {
                let v = take();
                line.push_unsigned(if wide { v } else { v as u32 as u64 }, 16);
            }
            b'c' => line.push(take() as u8),
            b's' => match m.read_cstr(take(), PRINT_OUT_MAX) {
                Ok(s) => line.push_all(s),
                Err(_) => return ret(errno::EFAULT),
            },
            other => {
                line.push(b'%');
                line.push(other);
            }
        }
    }
    if !services.print_allowed() {
        return ret(errno::EBUSY);
    }
    let out = line.buf.get(..line.len).unwrap_or(&[]);
    services.print(id, out);
    Ok(line.len as u64)
}
