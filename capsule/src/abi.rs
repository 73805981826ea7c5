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
    /// Why the last load failed.
    pub const LOAD_ERROR: usize = 11;
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
    /// `(instructions of last run, instructions of all runs)`.
    pub const FUEL: usize = 4;
    /// `(image bytes, data bytes)`.
    pub const SIZE: usize = 5;
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
