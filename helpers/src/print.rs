//! The `fc_print` formatter: a small printf that reads its format string and
//! `%s` arguments through the VM's checked memory and writes into a fixed
//! buffer ([`Line`]), without allocating and without `core::fmt`.
//!
//! The rules (`doc/helpers.md`):
//!
//! * The format is NUL-terminated and at most [`PRINT_FMT_MAX`] bytes without
//!   its NUL; longer, unterminated (before the end of its region) or at a bad
//!   address: `EFAULT`.
//! * Conversions `%d %i` (signed), `%u`, `%x` (lower case), `%c` (the value's
//!   low byte, as a raw byte), `%s` (a NUL-terminated string of at most
//!   [`PRINT_STR_MAX`] bytes in the container's memory; bad, longer or
//!   unterminated: `EFAULT`), `%%`. Any number of `l` may precede the
//!   conversion letter: with two or more (`ll`) `%d %i %u %x` use all 64 bits
//!   of the value, otherwise its low 32 bits.
//! * Values are taken in order from a1, a2, a3; a conversion after the third
//!   value gets 0.
//! * Anything else after `%` is printed literally (`%q` prints `%q`, `%5d`
//!   prints `%5d`: width and precision are not supported), except that the
//!   `l`s of an unknown conversion are dropped (`%lq` prints `%q`) and a `%`
//!   (with or without `l`s) at the very end prints as `%`.
//! * The output is truncated at [`PRINT_OUT_MAX`] bytes; every byte counts
//!   as one (no UTF-8 re-encoding).

use femto_vm::Memory;

use crate::errno;

/// Longest format string of `fc_print`, without its NUL.
pub const PRINT_FMT_MAX: usize = 128;
/// Longest string a `%s` conversion reads, without its NUL.
pub const PRINT_STR_MAX: usize = 160;
/// Longest output line of `fc_print`; longer output is truncated.
pub const PRINT_OUT_MAX: usize = 160;

/// One formatted line: a fixed buffer of [`PRINT_OUT_MAX`] bytes that
/// silently drops what does not fit.
#[derive(Clone)]
pub struct Line {
    buf: [u8; PRINT_OUT_MAX],
    len: usize,
}

impl Default for Line {
    fn default() -> Self {
        Line {
            buf: [0; PRINT_OUT_MAX],
            len: 0,
        }
    }
}

impl core::fmt::Debug for Line {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Line").field(&self.as_bytes()).finish()
    }
}

impl Line {
    /// The bytes written so far (at most [`PRINT_OUT_MAX`]).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Number of bytes written (what `fc_print` returns).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

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
        // u64::MAX has 20 decimal digits.
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

/// Formats an `fc_print` call: the format string at virtual address `fmt`,
/// the values `args` (a1, a2, a3). Returns the line, or the errno to return
/// to the container ([`errno::EFAULT`] is the only one).
pub fn format(fmt: u64, args: [u64; 3], m: &Memory<'_>) -> Result<Line, i64> {
    let Ok(fmt) = m.read_cstr(fmt, PRINT_FMT_MAX) else {
        return Err(errno::EFAULT);
    };
    let mut line = Line::default();
    let mut next_arg = 0usize;
    let mut i = 0usize;
    while let Some(&c) = fmt.get(i) {
        i += 1;
        if c != b'%' {
            line.push(c);
            continue;
        }
        let mut longs = 0usize;
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
            next_arg = next_arg.saturating_add(1);
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
            b's' => match m.read_cstr(take(), PRINT_STR_MAX) {
                Ok(s) => line.push_all(s),
                Err(_) => return Err(errno::EFAULT),
            },
            other => {
                line.push(b'%');
                line.push(other);
            }
        }
    }
    Ok(line)
}

/// How a console shows one line printed by container `id` (no newline):
/// `[fc 0xID] text`, or `[fc 0xID] <N bytes, not UTF-8>` when the line is
/// not UTF-8. The kernel's debug console and `femto run` both print lines
/// this way.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleLine<'l> {
    /// The printing container's id.
    pub id: u16,
    /// The line as `fc_print` formatted it.
    pub line: &'l [u8],
}

impl core::fmt::Display for ConsoleLine<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match core::str::from_utf8(self.line) {
            Ok(s) => write!(f, "[fc {:#06x}] {}", self.id, s),
            Err(_) => write!(f, "[fc {:#06x}] <{} bytes, not UTF-8>", self.id, self.line.len()),
        }
    }
}
