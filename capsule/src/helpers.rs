//! The kernel side of the helpers containers call (`doc/helpers.md`).
//!
//! The helper ABI itself — numbers, errno values, argument checks, the
//! `fc_print` formatter, key-value scopes — is the `femto-helpers` crate,
//! shared with the host simulator of `femto run`, so both behave the same on
//! every input. This module only provides the kernel's state to it:
//! [`KernelHelpers`] implements [`femto_helpers::Host`] for one run of one
//! container, on top of the capsule's [`Services`] (clock, last sensor
//! values, global key-value store, rate-limited console, random numbers),
//! the owning process's key-value table and its upcalls.
//!
//! Every pointer argument is a VM virtual address and goes through the VM's
//! checked memory API ([`femto_vm::Memory`]); a bad pointer makes the helper
//! return -14 (`EFAULT`) and the run continues. Only an unknown helper number
//! ends the run (fault kind "unknown helper"; the verifier already rejects
//! numbers outside the image's allow-list).

use femto_helpers::{Host, KvTables, ScopedKv, SharedKv, KV_GLOBAL_ENTRIES, KV_PROCESS_ENTRIES};
use kernel::grant::GrantKernelData;

use crate::abi;

pub use femto_helpers::{errno, nr, PRINT_FMT_MAX, PRINT_OUT_MAX, PRINT_STR_MAX};

/// What the helpers need from the capsule (global, non-process state).
pub trait Services {
    /// Microseconds since boot.
    fn now_us(&self) -> u64;
    /// Last value of sensor `kind`.
    fn sensor_last(&self, kind: u32) -> Option<i64>;
    /// The global-scope key-value store.
    fn kv_global(&self) -> &SharedKv<KV_GLOBAL_ENTRIES>;
    /// Writes one line from container `id` to the kernel debug console if
    /// the print rate limit allows; false (nothing written) if not.
    fn print(&self, id: u16, line: &[u8]) -> bool;
    /// A pseudo-random number (not cryptographic).
    fn random(&self) -> u32;
}

/// The helpers' view of the kernel during one run of one container.
pub struct KernelHelpers<'x> {
    /// Capsule services.
    pub services: &'x dyn Services,
    /// The container's id (for notify and print, and the owner of its
    /// private key-value entries).
    pub id: u16,
    /// The owning process's key-value table: scope 0 is this container's
    /// entries in it, scope 1 the process's.
    pub kv: &'x mut ScopedKv<KV_PROCESS_ENTRIES>,
    /// The owner's upcalls (for notify).
    pub kernel_data: Option<&'x GrantKernelData<'x>>,
}

impl Host for KernelHelpers<'_> {
    fn container_id(&self) -> u16 {
        self.id
    }

    fn kv(&mut self) -> KvTables<'_> {
        KvTables {
            process: self.kv,
            global: self.services.kv_global(),
        }
    }

    fn now_us(&mut self) -> u64 {
        self.services.now_us()
    }

    fn sensor_last(&mut self, kind: u32) -> Option<i64> {
        self.services.sensor_last(kind)
    }

    fn print(&mut self, line: &[u8]) -> bool {
        self.services.print(self.id, line)
    }

    /// Schedules the owner's subscribe-1 upcall `(id, value low 32 bits,
    /// value high 32 bits)`; false if its upcall queue is full.
    fn notify(&mut self, value: u64) -> bool {
        let Some(kd) = self.kernel_data else {
            return false;
        };
        kd.schedule_upcall(
            abi::upcall::NOTIFY,
            (
                self.id as usize,
                value as u32 as usize,
                (value >> 32) as u32 as usize,
            ),
        )
        .is_ok()
    }

    fn random(&mut self) -> u32 {
        self.services.random()
    }
}
