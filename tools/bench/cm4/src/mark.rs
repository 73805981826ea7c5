//! Marks for the `insn_count` plugin: `mark(id)` reads the word at
//! `MARK_BASE + 4 * id`, an address nothing else touches; the plugin sees the
//! read and records the executed-instruction count under `id`.

/// Start of the plugin's mark window (the plugin's default `mark_base`).
pub const MARK_BASE: usize = 0x203f_0000;
/// Number of mark ids (the plugin's default `marks`).
pub const MARKS: u32 = 1024;

/// Records a mark with the given id (taken modulo `MARKS`).
///
/// The load is unconditional on purpose: QEMU 7.2 does not report memory
/// accesses of instructions inside an IT block to plugins.
#[inline(never)]
pub fn mark(id: u32) {
    let id = id % MARKS;
    // SAFETY: the address lies in the last 64 KiB of SSRAM2/3, which the
    // linker script keeps out of every section: reading it has no effect on
    // the program.
    unsafe {
        core::ptr::read_volatile((MARK_BASE + 4 * id as usize) as *const u32);
    }
}

/// Hands out mark ids and tells the host which pair brackets which section.
#[derive(Default)]
pub struct Sections {
    next: u32,
}

impl Sections {
    /// Starts at id 0.
    pub const fn new() -> Self {
        Sections { next: 0 }
    }

    /// Runs `f` between two fresh marks and prints
    /// `section NAME START STOP` for the host-side analysis. Returns `f`'s value.
    pub fn measure<R>(&mut self, name: &str, f: impl FnOnce() -> R) -> R {
        self.measure_named(name, "", f)
    }

    /// Like [`Sections::measure`], for the section named `PREFIX.NAME`
    /// (just `PREFIX` if `name` is empty).
    pub fn measure_named<R>(&mut self, prefix: &str, name: &str, f: impl FnOnce() -> R) -> R {
        use core::fmt::Write;
        let start = self.next;
        let stop = start + 1;
        self.next += 2;
        mark(start);
        let r = f();
        mark(stop);
        let mut out = crate::semihosting::Writer::new();
        let dot = if name.is_empty() { "" } else { "." };
        let _ = writeln!(out, "section {prefix}{dot}{name} {start} {stop}");
        r
    }
}
