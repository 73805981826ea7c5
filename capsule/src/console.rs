//! Where `fc_print` output goes.

/// A sink for container output lines.
pub trait Console {
    /// Writes one line printed by container `id`.
    fn write_line(&self, id: u16, line: &[u8]);
}

/// Writes to the kernel debug console with `kernel::debug!` (the board must
/// have set up the debug writer, as every Tock board does).
pub struct KernelDebugConsole;

impl Console for KernelDebugConsole {
    fn write_line(&self, id: u16, line: &[u8]) {
        kernel::debug!("{}", femto_helpers::ConsoleLine { id, line });
    }
}
