//! ARM semihosting (QEMU `-semihosting`): console output and exit.
use core::arch::asm;
use core::fmt;

const SYS_WRITE0: u32 = 0x04;
const SYS_EXIT: u32 = 0x18;
const ADP_STOPPED_APPLICATION_EXIT: u32 = 0x2_0026;
const ADP_STOPPED_RUNTIME_ERROR_UNKNOWN: u32 = 0x2_0023;

fn call(op: u32, arg: usize) -> u32 {
    let ret: u32;
    // SAFETY: `bkpt 0xab` is the semihosting trap; QEMU (run with
    // -semihosting) services it, reading only the argument block at `arg`,
    // which every caller passes valid for the operation.
    unsafe {
        asm!("bkpt #0xab", inout("r0") op => ret, in("r1") arg, options(nostack, preserves_flags));
    }
    ret
}

/// Ends the emulation: QEMU exits with status 0 if `ok`, 1 otherwise.
pub fn exit(ok: bool) -> ! {
    let reason = if ok {
        ADP_STOPPED_APPLICATION_EXIT
    } else {
        ADP_STOPPED_RUNTIME_ERROR_UNKNOWN
    };
    call(SYS_EXIT, reason as usize);
    loop {
        core::hint::spin_loop();
    }
}

/// Prints a string on the host console.
pub fn print(s: &str) {
    let mut w = Writer::new();
    let _ = fmt::Write::write_str(&mut w, s);
}

/// A line-buffered console writer (flushes on newline, when full and on drop).
pub struct Writer {
    buf: [u8; 128],
    len: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    /// An empty writer.
    pub fn new() -> Self {
        Writer {
            buf: [0; 128],
            len: 0,
        }
    }

    fn flush(&mut self) {
        if self.len > 0 {
            self.buf[self.len] = 0;
            call(SYS_WRITE0, self.buf.as_ptr() as usize);
            self.len = 0;
        }
    }
}

impl fmt::Write for Writer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            // Keep one byte for the terminating NUL; drop NULs in the text.
            if b != 0 {
                self.buf[self.len] = b;
                self.len += 1;
            }
            if b == b'\n' || self.len == self.buf.len() - 1 {
                self.flush();
            }
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.flush();
    }
}
