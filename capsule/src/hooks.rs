//! Hooks: points in kernel drivers where attached containers run.
//!
//! A board lists the hooks it offers as a slice of [`HookDescriptor`]s when
//! it creates the capsule. A driver or capsule that owns a hook point holds a
//! `&dyn` [`FemtoHooks`] and calls [`FemtoHooks::fire`] with the hook's id and
//! a context laid out as documented for that hook. Firing a hook that has no
//! container attached costs one lookup in the (short) descriptor list and one
//! counter read: the per-hook attachment count is kept by the capsule, and
//! process grants are only walked when it is non-zero.
//!
//! The hooks this project provides, with their context layouts (all little
//! endian, also in `doc/syscalls/femto-containers.md` and
//! `userspace/containers/include/femto.h`):
//!
//! | id | hook | context | writable | policy |
//! |----|------|---------|----------|--------|
//! | 1 | [`TIMER`] | `u64 now_ms; u32 period_ms; u32 count` | no | run all |
//! | 2 | [`TEMPERATURE`] | `i32 centi_celsius; u32 flags; u64 now_ms` | yes | stop on negative |
//! | 3 | [`BUTTON`] | `u32 button; u32 pressed; u64 now_ms` | no | run all |

/// Largest hook context in bytes (contexts are copied into a scratch buffer
/// of this size for writable hooks, so a faulting container leaves the
/// caller's context unchanged).
pub const MAX_HOOK_CONTEXT: usize = 64;

/// Largest number of hooks a board may offer (attachments are a bit mask).
pub const MAX_HOOKS: usize = 16;

/// How the results of several attached containers combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Every attached container runs; the combined result is the last one's.
    RunAll = 0,
    /// Only the first attached container runs.
    First = 1,
    /// Containers run in order until one returns a negative value (as i64),
    /// which becomes the combined result.
    StopOnNegative = 2,
}

/// What the per-attachment argument of a hook means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookArgument {
    /// The argument must be 0.
    None,
    /// A period in milliseconds, at least 1 (the timer hook).
    PeriodMs,
}

/// A hook point as the board declares it.
#[derive(Clone, Copy, Debug)]
pub struct HookDescriptor {
    /// The hook's id (what userspace passes to attach); below `0x10000`.
    pub id: u16,
    /// Size of the context the hook passes, in bytes (≤ [`MAX_HOOK_CONTEXT`]).
    pub context_len: u16,
    /// Whether containers may modify the context.
    pub writable: bool,
    /// How results combine.
    pub policy: Policy,
    /// Fuel of each run on this hook.
    pub fuel: u32,
    /// Meaning of the per-attachment argument.
    pub argument: HookArgument,
}

/// Hook id of the periodic timer hook.
pub const TIMER_ID: u16 = 1;
/// Hook id of the temperature hook.
pub const TEMPERATURE_ID: u16 = 2;
/// Hook id of the button hook.
pub const BUTTON_ID: u16 = 3;

/// The periodic timer hook: each attached container runs on its own period.
/// Context (read only): `u64 now_ms; u32 period_ms; u32 count`.
pub const TIMER: HookDescriptor = HookDescriptor {
    id: TIMER_ID,
    context_len: 16,
    writable: false,
    policy: Policy::RunAll,
    fuel: 2_000,
    argument: HookArgument::PeriodMs,
};

/// The temperature hook, between the sensor and the userspace driver.
/// Context (read-write): `i32 centi_celsius; u32 flags; u64 now_ms`.
pub const TEMPERATURE: HookDescriptor = HookDescriptor {
    id: TEMPERATURE_ID,
    context_len: 16,
    writable: true,
    policy: Policy::StopOnNegative,
    fuel: 2_000,
    argument: HookArgument::None,
};

/// The button hook. Context (read only): `u32 button; u32 pressed; u64 now_ms`.
/// The capsule provides the descriptor; a board that wants it fires it from
/// its button driver (no board in this project does yet).
pub const BUTTON: HookDescriptor = HookDescriptor {
    id: BUTTON_ID,
    context_len: 16,
    writable: false,
    policy: Policy::RunAll,
    fuel: 2_000,
    argument: HookArgument::None,
};

/// What firing a hook did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct HookOutcome {
    /// Containers that ran (successfully or not).
    pub runs: u32,
    /// Runs that faulted.
    pub faults: u32,
    /// The combined result per the hook's policy (`None` if no run
    /// succeeded).
    pub result: Option<u64>,
}

impl HookOutcome {
    /// True if the combined result is negative (as i64): the hook's owner
    /// should reject the event (temperature: drop the reading).
    pub fn rejected(&self) -> bool {
        matches!(self.result, Some(r) if (r as i64) < 0)
    }
}

/// The interface drivers use to fire hooks.
pub trait FemtoHooks {
    /// True if at least one container is attached to hook `id` (cheap).
    fn has_attached(&self, id: u16) -> bool;
    /// Runs the containers attached to hook `id` with `context` (which they
    /// may modify if the hook is writable; a faulting container's changes
    /// are discarded). Returns an empty outcome for an unknown hook, a
    /// context longer than [`MAX_HOOK_CONTEXT`], or no attached container.
    fn fire(&self, id: u16, context: &mut [u8]) -> HookOutcome;
    /// Records the last value of a sensor (for the `fc_sensor_last` helper).
    /// Kind 0 = temperature in centi-°C.
    fn set_sensor_value(&self, kind: u32, value: i64);
}

/// Builds a timer-hook context.
pub fn timer_context(now_ms: u64, period_ms: u32, count: u32) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0..8].copy_from_slice(&now_ms.to_le_bytes());
    c[8..12].copy_from_slice(&period_ms.to_le_bytes());
    c[12..16].copy_from_slice(&count.to_le_bytes());
    c
}

/// Builds a temperature-hook context.
pub fn temperature_context(centi_celsius: i32, flags: u32, now_ms: u64) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0..4].copy_from_slice(&centi_celsius.to_le_bytes());
    c[4..8].copy_from_slice(&flags.to_le_bytes());
    c[8..16].copy_from_slice(&now_ms.to_le_bytes());
    c
}

/// Builds a button-hook context.
pub fn button_context(button: u32, pressed: bool, now_ms: u64) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0..4].copy_from_slice(&button.to_le_bytes());
    c[4..8].copy_from_slice(&(pressed as u32).to_le_bytes());
    c[8..16].copy_from_slice(&now_ms.to_le_bytes());
    c
}
