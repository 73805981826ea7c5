//! The syscall ABI of the driver: numbers and codes, exactly as
//! `doc/syscalls/femto-containers.md` documents them.

/// Driver number. Tock reserves no range for out-of-tree drivers; `0xA0000`
/// is unused by Tock 2.2.
pub const DRIVER_NUM: usize = 0xA0000;

/// Command numbers.
pub mod command {
    /// Does the driver exist?
    pub const EXISTS: usize = 0;
    /// Load the image shared with read-only allow 0.
    pub const LOAD: usize = 1;
    /// Unload a container.
    pub const UNLOAD: usize = 2;
    /// Run synchronously with the context of read-write allow 0.
    pub const RUN: usize = 3;
    /// Run asynchronously (deferred call); result by upcall.
    pub const RUN_ASYNC: usize = 4;
    /// Attach a container to a hook.
    pub const ATTACH: usize = 5;
    /// Detach a container from a hook.
    pub const DETACH: usize = 6;
    /// Information about a container.
    pub const INFO: usize = 7;
    /// Number of hooks.
    pub const HOOK_COUNT: usize = 8;
    /// Hook descriptor by index.
    pub const HOOK_INFO: usize = 9;
    /// Board limits.
    pub const LIMITS: usize = 10;
    /// Why the last load or install failed.
    pub const LOAD_ERROR: usize = 11;
    /// Install a container from the signed envelope of read-only allow 1
    /// (argument 1: 0 = as a new container, else the id of the container to
    /// replace).
    pub const INSTALL: usize = 12;
}

/// Subscribe numbers.
pub mod upcall {
    /// Results of runs started by the kernel: `(id | source << 16, r0_lo, r0_hi)`.
    pub const RESULT: usize = 0;
    /// `fc_notify`: `(id, value_lo, value_hi)`.
    pub const NOTIFY: usize = 1;
    /// Faults of runs started by the kernel: `(id | source << 16, kind, pc)`.
    pub const FAULT: usize = 2;
    /// Number of upcalls.
    pub const COUNT: u8 = 3;
}

/// Read-only allow 0: the image to load.
pub const ALLOW_RO_IMAGE: usize = 0;
/// Read-only allow 1: the signed envelope to install (command 12).
pub const ALLOW_RO_ENVELOPE: usize = 1;
/// Number of read-only allows.
pub const ALLOW_RO_COUNT: u8 = 2;
/// Read-write allow 0: the run context.
pub const ALLOW_RW_CONTEXT: usize = 0;

/// Fields of command 7 (info).
pub mod info {
    /// `(state, hook index mask)`.
    pub const STATE: usize = 0;
    /// `r0` of the last successful run (u64).
    pub const LAST_RESULT: usize = 1;
    /// `(fault kind, pc)`.
    pub const LAST_FAULT: usize = 2;
    /// `(runs, faults)`.
    pub const COUNTS: usize = 3;
    /// `(fuel used by the last run, by all runs)`: taken jumps + calls.
    pub const FUEL: usize = 4;
    /// `(image bytes, data bytes)`.
    pub const SIZE: usize = 5;
    /// Sequence number of the signed envelope (u64; 0 = loaded unsigned).
    pub const SEQUENCE: usize = 6;
}

/// Fault kinds (command 7 field 2, subscribe 2).
pub mod fault {
    /// No fault.
    pub const NONE: u32 = 0;
    /// Out of fuel.
    pub const OUT_OF_FUEL: u32 = 1;
    /// Memory access outside the regions or against their permission.
    pub const MEMORY: u32 = 2;
    /// Call to a helper the kernel does not provide.
    pub const UNKNOWN_HELPER: u32 = 3;
    /// A helper ended the run.
    pub const HELPER: u32 = 4;
    /// Division by zero (where the VM faults on it).
    pub const DIVISION: u32 = 5;
    /// Instruction refused at run time.
    pub const INVALID: u32 = 6;
    /// Local calls nested too deeply.
    pub const CALL_DEPTH: u32 = 7;
    /// Anything else (including a context larger than allowed for async runs).
    pub const OTHER: u32 = 8;
}

/// Load error kinds (command 11).
pub mod load_error {
    /// The last load succeeded.
    pub const NONE: u32 = 0;
    /// Nothing shared with read-only allow 0.
    pub const NO_IMAGE: u32 = 1;
    /// Image larger than the per-container limit.
    pub const TOO_LARGE: u32 = 2;
    /// The image could not be parsed.
    pub const PARSE: u32 = 3;
    /// The verifier rejected the program.
    pub const VERIFY: u32 = 4;
    /// The image needs more data or stack memory than allowed.
    pub const MEMORY: u32 = 5;
    /// No free container slot.
    pub const NO_SLOT: u32 = 6;
    /// Grant memory could not be allocated.
    pub const GRANT: u32 = 7;
    /// Unsigned load refused: the board requires signed envelopes.
    pub const UNSIGNED_REFUSED: u32 = 8;
    /// No envelope shared (read-only allow 1 empty).
    pub const NO_ENVELOPE: u32 = 9;
    /// The envelope's COSE structure is malformed or too large.
    pub const ENVELOPE: u32 = 10;
    /// Signed with a key the board does not trust.
    pub const UNKNOWN_KEY: u32 = 11;
    /// The signature does not verify.
    pub const BAD_SIGNATURE: u32 = 12;
    /// The manifest is for another vendor or device class.
    pub const WRONG_TARGET: u32 = 13;
    /// The sequence number is not newer than the last accepted one (given
    /// as the location, low 32 bits).
    pub const OLD_SEQUENCE: u32 = 14;
    /// The image is not as long as the manifest says.
    pub const SIZE_MISMATCH: u32 = 15;
    /// The image's SHA-256 differs from the manifest.
    pub const DIGEST_MISMATCH: u32 = 16;
    /// The image's name differs from the manifest's, or the container to
    /// replace has another name.
    pub const NAME_MISMATCH: u32 = 17;
    /// The kernel's sequence-number table has no room for another name.
    pub const SEQUENCE_TABLE_FULL: u32 = 18;
    /// The container to replace is not one of the caller's (or is busy).
    pub const NO_CONTAINER: u32 = 19;
    /// The board's storage for sequence numbers is still being read
    /// (`BUSY`) or failed (`FAIL`).
    pub const SEQUENCE_STORAGE: u32 = 20;
}

/// Container state (command 7 field 0).
pub mod state {
    /// Loaded, nothing pending.
    pub const IDLE: u32 = 0;
    /// An asynchronous run is pending.
    pub const PENDING: u32 = 1;
}

/// Maps a VM run-time error to `(fault kind, pc)`.
pub fn fault_of(e: &femto_vm::Error) -> (u32, u32) {
    use femto_vm::Error as E;
    let kind = match e {
        E::FuelExhausted { .. } => fault::OUT_OF_FUEL,
        E::OutOfBounds { .. } | E::PermissionDenied { .. } => fault::MEMORY,
        E::UnknownHelper { .. } => fault::UNKNOWN_HELPER,
        E::HelperFailed { .. } => fault::HELPER,
        E::CallDepthExceeded { .. } => fault::CALL_DEPTH,
        E::PcOutOfBounds { .. } | E::UnknownOpcode { .. } | E::BadEntry { .. } => fault::INVALID,
        _ => fault::OTHER,
    };
    (kind, e.pc().unwrap_or(0))
}

/// Location (byte offset or pc) of a load error, for command 11.
pub fn load_location(e: &femto_vm::Error) -> u32 {
    use femto_vm::Error as E;
    if let Some(pc) = e.pc() {
        return pc;
    }
    match *e {
        E::InvalidField { offset, .. } => offset as u32,
        E::SectionOutOfBounds { offset, .. } => offset as u32,
        E::ImageTooShort { actual, .. } => actual as u32,
        _ => 0,
    }
}
