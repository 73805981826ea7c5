//! The interpreter the capsule runs containers with, chosen when the kernel
//! is built.
//!
//! - **Default**: femto-vm's main interpreter. At load the verified text is
//!   pre-decoded in place (`femto_vm::translate_image`: internal forms with
//!   shorter paths, same results, faults, pcs and fuel); runs use
//!   `Program::run_metered`. About 22 KB of Cortex-M4 code for the VM.
//! - **`compact-vm` feature**: `femto_vm::compact`, the same machine decoded
//!   by instruction class: about a third of the VM code, 3 to 4 times slower
//!   (`doc/performance.md` has both sets of figures). The text is verified at
//!   load and kept as written.
//!
//! Everything else (the image format, the verifier, the syscalls, the hooks,
//! the helpers) is the same in both builds.

use femto_vm::{Error, Helpers, Memory, Program};

/// Verifies the image in `bytes` and prepares its text for [`run_metered`]
/// (in place). On an error nothing is changed.
pub(crate) fn prepare(bytes: &mut [u8]) -> Result<(), Error> {
    #[cfg(not(feature = "compact-vm"))]
    {
        femto_vm::translate_image(bytes)
    }
    #[cfg(feature = "compact-vm")]
    {
        femto_vm::Image::parse(bytes)?.verify().map(|_| ())
    }
}

/// Runs a program that [`prepare`] accepted, from `entry`, metering `fuel`
/// (see `femto_vm::run_metered`).
pub(crate) fn run_metered<H: Helpers + ?Sized>(
    program: &Program<'_>,
    entry: usize,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: &mut u64,
) -> Result<u64, Error> {
    #[cfg(not(feature = "compact-vm"))]
    {
        femto_vm::run_metered(program, entry, memory, helpers, fuel)
    }
    #[cfg(feature = "compact-vm")]
    {
        femto_vm::compact::run_metered(program, entry, memory, helpers, fuel)
    }
}
