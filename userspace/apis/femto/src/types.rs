//! Values exchanged with the femto-containers driver: container and hook ids,
//! faults, load errors, hook descriptions, limits and upcall payloads.

use core::num::NonZeroU16;

/// The id of a container loaded by this process (`1..=0xFFFF`).
///
/// Ids are opaque: they are only meaningful to the process that loaded the
/// container.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerId(NonZeroU16);

impl ContainerId {
    /// Makes an id from the raw value the driver uses; `None` for 0 or values
    /// above `0xFFFF`.
    pub fn from_raw(raw: u32) -> Option<ContainerId> {
        let raw = u16::try_from(raw).ok()?;
        NonZeroU16::new(raw).map(ContainerId)
    }

    /// The raw value passed to the driver.
    pub fn raw(self) -> u16 {
        self.0.get()
    }
}

/// The id of a hook: a point in a kernel driver where attached containers run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct HookId(pub u16);

impl HookId {
    /// The periodic timer hook. Attachment argument: the period in ms (≥ 1).
    /// Context: `u64 now_ms; u32 period_ms; u32 count` (read only).
    pub const TIMER: HookId = HookId(1);
    /// The temperature sensor hook. Attachment argument: 0.
    /// Context: `i32 centi_celsius; u32 flags; u64 now_ms` (writable).
    pub const TEMPERATURE: HookId = HookId(2);
    /// The button hook (where the board wires it). Attachment argument: 0.
    /// Context: `u32 button; u32 pressed; u64 now_ms` (read only).
    pub const BUTTON: HookId = HookId(3);
}

/// What started a run whose result or fault arrives by upcall.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// An asynchronous run started by [`crate::Femto::run_async`].
    Async,
    /// A hook the container is attached to.
    Hook(HookId),
}

impl Source {
    fn from_raw(raw: u16) -> Source {
        match raw {
            0 => Source::Async,
            hook => Source::Hook(HookId(hook)),
        }
    }
}

/// Why a run ended without a result.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No fault (only reported by [`crate::Femto::last_fault`]).
    None,
    /// The run used its whole fuel budget (taken jumps and calls).
    OutOfFuel,
    /// A load or store outside the container's regions, or a write to a
    /// read-only region.
    Memory,
    /// A call to a helper number the kernel does not provide.
    UnknownHelper,
    /// A helper reported a fault that ended the run.
    Helper,
    /// Division or modulo by zero.
    Division,
    /// An instruction the VM refused at run time.
    Invalid,
    /// Local function calls nested too deeply.
    CallDepth,
    /// Any other VM error.
    Other,
    /// A kind this library does not know (a newer kernel).
    Unknown(u32),
}

impl FaultKind {
    /// Decodes the driver's fault kind number.
    pub fn from_raw(raw: u32) -> FaultKind {
        match raw {
            0 => FaultKind::None,
            1 => FaultKind::OutOfFuel,
            2 => FaultKind::Memory,
            3 => FaultKind::UnknownHelper,
            4 => FaultKind::Helper,
            5 => FaultKind::Division,
            6 => FaultKind::Invalid,
            7 => FaultKind::CallDepth,
            8 => FaultKind::Other,
            other => FaultKind::Unknown(other),
        }
    }
}

/// A fault: its kind and the index (in 8-byte instruction slots) of the
/// faulting instruction (for out of fuel: the next one that would have run).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// What went wrong.
    pub kind: FaultKind,
    /// Instruction index.
    pub pc: u32,
}

/// Why a synchronous run returned no result.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The container ran and faulted (including running out of fuel).
    Fault(Fault),
    /// The driver did not run the container (bad id: `Invalid`, context too
    /// large: `Size`, asynchronous run pending: `Busy`, no driver: `NoDevice`…).
    Refused(libtock_platform::ErrorCode),
}

impl From<libtock_platform::ErrorCode> for RunError {
    fn from(error: libtock_platform::ErrorCode) -> RunError {
        RunError::Refused(error)
    }
}

/// Why the last load failed (command 11).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The last load succeeded, or nothing was loaded yet.
    None,
    /// No image was shared.
    NoImage,
    /// The image is larger than the board's per-process limit.
    TooLarge,
    /// The image could not be parsed (magic, version, header, sections).
    Parse,
    /// The verifier rejected the program.
    Verify,
    /// The image needs more data memory than the board allows.
    DataTooLarge,
    /// No free container slot in this process.
    NoSlot,
    /// Grant memory could not be allocated (never reported: see the driver
    /// documentation; the command returns `NoMem` instead).
    NoMemory,
    /// An unsigned load (command 1) was refused: the board requires signed
    /// envelopes (use [`crate::Femto::install`]).
    UnsignedRefused,
    /// No envelope was shared (read-only allow 1 empty).
    NoEnvelope,
    /// The envelope's COSE structure is malformed, truncated or too large
    /// (location: byte offset, if known).
    EnvelopeMalformed,
    /// Signed with a key the board does not trust (or it trusts none).
    UnknownKey,
    /// The signature does not verify.
    BadSignature,
    /// The manifest is for another vendor or device class.
    WrongTarget,
    /// The sequence number is not newer than the last one accepted for this
    /// container name (location: that last number, low 32 bits).
    OldSequence,
    /// The image is not as long as the manifest says (truncated or extended
    /// transfer).
    SizeMismatch,
    /// The image's SHA-256 differs from the manifest's digest (tampered image).
    DigestMismatch,
    /// The image's own name differs from the manifest's, or the container to
    /// replace has another name.
    NameMismatch,
    /// The kernel's sequence-number table has no room for another name.
    SequenceTableFull,
    /// The container to replace is not one of this process's containers, or
    /// has an asynchronous run pending.
    NoSuchContainer,
    /// The board's non-volatile sequence storage is still being read after
    /// boot (`Busy`) or failed (`Fail`).
    SequenceStorage,
    /// A kind this library does not know.
    Unknown(u32),
}

impl LoadErrorKind {
    /// Decodes the driver's load error kind number.
    pub fn from_raw(raw: u32) -> LoadErrorKind {
        match raw {
            0 => LoadErrorKind::None,
            1 => LoadErrorKind::NoImage,
            2 => LoadErrorKind::TooLarge,
            3 => LoadErrorKind::Parse,
            4 => LoadErrorKind::Verify,
            5 => LoadErrorKind::DataTooLarge,
            6 => LoadErrorKind::NoSlot,
            7 => LoadErrorKind::NoMemory,
            8 => LoadErrorKind::UnsignedRefused,
            9 => LoadErrorKind::NoEnvelope,
            10 => LoadErrorKind::EnvelopeMalformed,
            11 => LoadErrorKind::UnknownKey,
            12 => LoadErrorKind::BadSignature,
            13 => LoadErrorKind::WrongTarget,
            14 => LoadErrorKind::OldSequence,
            15 => LoadErrorKind::SizeMismatch,
            16 => LoadErrorKind::DigestMismatch,
            17 => LoadErrorKind::NameMismatch,
            18 => LoadErrorKind::SequenceTableFull,
            19 => LoadErrorKind::NoSuchContainer,
            20 => LoadErrorKind::SequenceStorage,
            other => LoadErrorKind::Unknown(other),
        }
    }

    /// The driver's number for this kind (the inverse of [`Self::from_raw`]).
    pub fn raw(self) -> u32 {
        match self {
            LoadErrorKind::None => 0,
            LoadErrorKind::NoImage => 1,
            LoadErrorKind::TooLarge => 2,
            LoadErrorKind::Parse => 3,
            LoadErrorKind::Verify => 4,
            LoadErrorKind::DataTooLarge => 5,
            LoadErrorKind::NoSlot => 6,
            LoadErrorKind::NoMemory => 7,
            LoadErrorKind::UnsignedRefused => 8,
            LoadErrorKind::NoEnvelope => 9,
            LoadErrorKind::EnvelopeMalformed => 10,
            LoadErrorKind::UnknownKey => 11,
            LoadErrorKind::BadSignature => 12,
            LoadErrorKind::WrongTarget => 13,
            LoadErrorKind::OldSequence => 14,
            LoadErrorKind::SizeMismatch => 15,
            LoadErrorKind::DigestMismatch => 16,
            LoadErrorKind::NameMismatch => 17,
            LoadErrorKind::SequenceTableFull => 18,
            LoadErrorKind::NoSuchContainer => 19,
            LoadErrorKind::SequenceStorage => 20,
            LoadErrorKind::Unknown(other) => other,
        }
    }
}

/// Details of the last failed load (command 1) or signed install (command 12).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// What failed.
    pub kind: LoadErrorKind,
    /// The location the driver reports: byte offset (parse and envelope
    /// errors), instruction index (verifier errors), the last accepted
    /// sequence number's low 32 bits ([`LoadErrorKind::OldSequence`]),
    /// otherwise 0 (the driver may report more for other kinds; it is passed
    /// through unchanged).
    pub location: u32,
}

/// A container's state (command 7, field 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ContainerState {
    /// An asynchronous run is pending.
    pub run_pending: bool,
    /// Bit `i` set: attached to the hook at index `i` (see [`crate::Femto::hook_info`]).
    pub hooks: u32,
}

/// Run statistics of a container since it was loaded (saturating).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct ContainerStats {
    /// Number of runs.
    pub runs: u32,
    /// Number of faulted runs.
    pub faults: u32,
    /// Fuel used by the last run (command 7 field 4): its taken jumps and
    /// calls; the whole budget if it ran out of fuel.
    pub last_fuel: u32,
    /// Fuel used by all runs since load (saturating).
    pub total_fuel: u32,
}

/// How a hook combines the results of its containers.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HookPolicy {
    /// Every attached container runs; the last one's result counts.
    RunAll,
    /// Only the first attached container runs.
    First,
    /// Containers run until one returns a negative value.
    StopOnNegative,
    /// A policy this library does not know.
    Unknown(u32),
}

/// Description of one hook of the board (command 9).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct HookInfo {
    /// The hook's id.
    pub id: HookId,
    /// Size of the context the hook passes to containers, in bytes.
    pub context_size: u16,
    /// How results are combined.
    pub policy: HookPolicy,
    /// Containers may write the context.
    pub writable: bool,
    /// The fuel budget of each run on this hook.
    pub fuel: u32,
    /// Number of containers (of all processes) attached.
    pub attached: u32,
}

impl HookInfo {
    pub(crate) fn decode(id: u32, flags: u32, fuel: u32, attached: u32) -> HookInfo {
        HookInfo {
            id: HookId(id as u16),
            context_size: (flags & 0xFFFF) as u16,
            policy: match (flags >> 16) & 0x3 {
                0 => HookPolicy::RunAll,
                1 => HookPolicy::First,
                2 => HookPolicy::StopOnNegative,
                other => HookPolicy::Unknown(other),
            },
            writable: flags & (1 << 24) != 0,
            fuel,
            attached,
        }
    }
}

/// The board's limits (command 10).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Containers per process.
    pub max_containers: u32,
    /// Largest image, in bytes (command 10, argument 0; the driver reports
    /// the container slot size here, see [`Limits::slot_bytes`]).
    pub max_image_bytes: u32,
    /// Largest run context, in bytes.
    pub max_context_bytes: u32,
    /// Bytes per container: the image copy plus its data region (command
    /// 10, argument 1). An image and its data together must fit; it is an
    /// upper bound of each, not a separate data limit.
    pub slot_bytes: u32,
    /// Fuel of a run when 0 is asked for.
    pub default_fuel: u32,
    /// Largest fuel of a run.
    pub max_fuel: u32,
}

/// A result delivered by upcall (subscribe 0).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    /// The container that ran.
    pub id: ContainerId,
    /// What started the run.
    pub source: Source,
    /// The container's return value (`r0`).
    pub value: u64,
}

/// A notification: a container called `fc_notify(value)` (subscribe 1).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The container that called the helper.
    pub id: ContainerId,
    /// The value it passed.
    pub value: u64,
}

/// A fault of a run started by the kernel (subscribe 2).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FaultReport {
    /// The container that faulted.
    pub id: ContainerId,
    /// What started the run.
    pub source: Source,
    /// The fault.
    pub fault: Fault,
}

/// Splits the packed `id | (source << 16)` upcall argument.
pub(crate) fn unpack_id_source(arg: u32) -> Option<(ContainerId, Source)> {
    let id = ContainerId::from_raw(arg & 0xFFFF)?;
    Some((id, Source::from_raw((arg >> 16) as u16)))
}

/// Joins the low and high halves of a 64-bit value.
pub(crate) fn join_u64(low: u32, high: u32) -> u64 {
    u64::from(low) | (u64::from(high) << 32)
}
