//! Simulated device helpers for `femto run`, numbered as in the helper ABI
//! (`doc/helpers.md`): print, memcpy/memset, key-value store, time, sensor,
//! notify and random.
//!
//! The helpers here only see the container's memory through [`Mem`], which
//! the runner implements on top of the VM's checked memory access: a bad
//! pointer makes a helper return `-14` (EFAULT), as on the device.

use std::collections::BTreeMap;
use std::time::Instant;

/// `fc_print`.
pub const FC_PRINT: u32 = 0x01;
/// `fc_memcpy`.
pub const FC_MEMCPY: u32 = 0x02;
/// `fc_memset`.
pub const FC_MEMSET: u32 = 0x03;
/// `fc_kv_store`.
pub const FC_KV_STORE: u32 = 0x10;
/// `fc_kv_fetch`.
pub const FC_KV_FETCH: u32 = 0x11;
/// `fc_now_ms`.
pub const FC_NOW_MS: u32 = 0x20;
/// `fc_now_us`.
pub const FC_NOW_US: u32 = 0x21;
/// `fc_sensor_last`.
pub const FC_SENSOR_LAST: u32 = 0x30;
/// `fc_notify`.
pub const FC_NOTIFY: u32 = 0x40;
/// `fc_random`.
pub const FC_RANDOM: u32 = 0x50;

/// Every helper number the simulator implements, with its name.
pub const HELPERS: &[(u32, &str)] = &[
    (FC_PRINT, "fc_print"),
    (FC_MEMCPY, "fc_memcpy"),
    (FC_MEMSET, "fc_memset"),
    (FC_KV_STORE, "fc_kv_store"),
    (FC_KV_FETCH, "fc_kv_fetch"),
    (FC_NOW_MS, "fc_now_ms"),
    (FC_NOW_US, "fc_now_us"),
    (FC_SENSOR_LAST, "fc_sensor_last"),
    (FC_NOTIFY, "fc_notify"),
    (FC_RANDOM, "fc_random"),
];

/// The name of a helper number, if it is one of the ABI's.
pub fn helper_name(nr: u32) -> Option<&'static str> {
    HELPERS.iter().find(|(n, _)| *n == nr).map(|(_, s)| *s)
}

/// `-ENOENT`.
pub const ENOENT: i64 = -2;
/// `-ENOMEM`: store full.
pub const ENOMEM: i64 = -12;
/// `-EFAULT`: bad pointer.
pub const EFAULT: i64 = -14;
/// `-EBUSY`.
pub const EBUSY: i64 = -16;
/// `-EINVAL`.
pub const EINVAL: i64 = -22;

/// Longest format string `fc_print` reads (including its NUL).
pub const PRINT_FMT_MAX: usize = 128;
/// Longest string a `%s` conversion reads.
pub const PRINT_STR_MAX: usize = 128;
/// Entries the simulated key-value store holds (all scopes together).
pub const KV_CAPACITY: usize = 64;

/// The container's memory as a helper sees it: every access is checked.
pub trait Mem {
    /// Reads `len` bytes at virtual address `addr`; `None` if any byte is not
    /// readable.
    fn read(&mut self, addr: u64, len: usize) -> Option<Vec<u8>>;
    /// Writes `data` at `addr`; `false` (and nothing written) if any byte is
    /// not writable.
    fn write(&mut self, addr: u64, data: &[u8]) -> bool;
    /// Sets `len` bytes at `addr` to `byte`; `false` (and nothing written) if
    /// any byte is not writable.
    fn fill(&mut self, addr: u64, byte: u8, len: usize) -> bool;
}

/// State of the simulated device.
#[derive(Debug)]
pub struct SimHost {
    kv: BTreeMap<(u64, u32), u64>,
    start: Instant,
    rng: u64,
    /// Last temperature reading in centi-degrees, if any (`--temperature`).
    pub temperature: Option<i64>,
    /// Everything the helpers printed, in order (also written to stdout when
    /// `echo` is set).
    pub output: String,
    /// Print helper output to stdout as it happens.
    pub echo: bool,
}

impl SimHost {
    /// A fresh device: empty store, clock at 0, random generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SimHost {
            kv: BTreeMap::new(),
            start: Instant::now(),
            // xorshift64* must not start at 0.
            rng: if seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { seed },
            temperature: None,
            output: String::new(),
            echo: false,
        }
    }

    fn emit(&mut self, s: &str) {
        if self.echo {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            let _ = o.write_all(s.as_bytes());
            let _ = o.flush();
        }
        self.output.push_str(s);
    }

    /// Whether `nr` is a helper this simulator implements.
    pub fn has(&self, nr: u32) -> bool {
        helper_name(nr).is_some()
    }

    /// Calls helper `nr` with arguments r1..r5. Returns `None` for a helper
    /// number the device does not have.
    pub fn call(&mut self, nr: u32, args: [u64; 5], mem: &mut dyn Mem) -> Option<u64> {
        let r = match nr {
            FC_PRINT => self.print(args, mem),
            FC_MEMCPY => {
                let len = usize::try_from(args[2]).unwrap_or(usize::MAX);
                match mem.read(args[1], len) {
                    Some(b) if mem.write(args[0], &b) => 0,
                    _ => EFAULT,
                }
            }
            FC_MEMSET => {
                match usize::try_from(args[2]) {
                    Ok(len) if mem.fill(args[0], args[1] as u8, len) => 0,
                    _ => EFAULT,
                }
            }
            FC_KV_STORE => {
                let (scope, key, value) = (args[0], args[1] as u32, args[2]);
                if scope > 2 {
                    EINVAL
                } else if !self.kv.contains_key(&(scope, key)) && self.kv.len() >= KV_CAPACITY {
                    ENOMEM
                } else {
                    self.kv.insert((scope, key), value);
                    0
                }
            }
            FC_KV_FETCH => {
                let (scope, key, ptr) = (args[0], args[1] as u32, args[2]);
                if scope > 2 {
                    EINVAL
                } else {
                    match self.kv.get(&(scope, key)) {
                        None => ENOENT,
                        Some(v) => {
                            if mem.write(ptr, &v.to_le_bytes()) {
                                0
                            } else {
                                EFAULT
                            }
                        }
                    }
                }
            }
            FC_NOW_MS => self.start.elapsed().as_millis() as i64,
            FC_NOW_US => self.start.elapsed().as_micros() as i64,
            FC_SENSOR_LAST => match (args[0], self.temperature) {
                (0, Some(t)) => t,
                (0, None) => ENOENT,
                _ => EINVAL,
            },
            FC_NOTIFY => {
                self.emit(&format!("notify: {} ({:#x})\n", args[0] as i64, args[0]));
                0
            }
            FC_RANDOM => {
                // xorshift64*: not cryptographic, as on the device.
                let mut x = self.rng;
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                self.rng = x;
                (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as i64
            }
            _ => return None,
        };
        Some(r as u64)
    }

    /// Reads a NUL-terminated string of at most `max` bytes (NUL included)
    /// one byte at a time, so a string ending near a region edge is fine.
    fn read_cstr(mem: &mut dyn Mem, addr: u64, max: usize) -> Result<Vec<u8>, i64> {
        let mut s = Vec::new();
        for i in 0..max as u64 {
            let a = addr.checked_add(i).ok_or(EFAULT)?;
            let b = mem.read(a, 1).ok_or(EFAULT)?;
            if b[0] == 0 {
                return Ok(s);
            }
            s.push(b[0]);
        }
        Err(EINVAL) // not terminated within `max`
    }

    fn print(&mut self, args: [u64; 5], mem: &mut dyn Mem) -> i64 {
        match format_print(args, mem) {
            Ok(s) => {
                let n = s.len() as i64;
                self.emit(&s);
                n
            }
            Err(e) => e,
        }
    }
}

/// Formats an `fc_print` call: format string at `args[0]`, values in
/// `args[1..4]`. Conversions: `%d %i %u %x %lld %llu %llx %c %s %%`.
/// Errors: `-14` for a bad pointer, `-22` for an unterminated or too long
/// format, an unknown conversion or more than three values.
pub fn format_print(args: [u64; 5], mem: &mut dyn Mem) -> Result<String, i64> {
    let fmt = SimHost::read_cstr(mem, args[0], PRINT_FMT_MAX)?;
    let mut out = String::new();
    let mut next = 1usize;
    let mut i = 0usize;
    let take = |next: &mut usize| -> Result<u64, i64> {
        if *next > 3 {
            return Err(EINVAL);
        }
        let v = args[*next];
        *next += 1;
        Ok(v)
    };
    while i < fmt.len() {
        let c = fmt[i];
        if c != b'%' {
            // Copy a run of plain bytes.
            let end = fmt[i..].iter().position(|&b| b == b'%').map_or(fmt.len(), |p| i + p);
            out.push_str(&String::from_utf8_lossy(&fmt[i..end]));
            i = end;
            continue;
        }
        let rest = &fmt[i + 1..];
        let (conv, used): (&[u8], usize) = if rest.starts_with(b"ll") && rest.len() >= 3 {
            (&rest[..3], 3)
        } else if !rest.is_empty() {
            (&rest[..1], 1)
        } else {
            return Err(EINVAL);
        };
        match conv {
            b"%" => out.push('%'),
            b"d" | b"i" => out.push_str(&(take(&mut next)? as i32).to_string()),
            b"u" => out.push_str(&(take(&mut next)? as u32).to_string()),
            b"x" => out.push_str(&format!("{:x}", take(&mut next)? as u32)),
            b"lld" => out.push_str(&(take(&mut next)? as i64).to_string()),
            b"llu" => out.push_str(&take(&mut next)?.to_string()),
            b"llx" => out.push_str(&format!("{:x}", take(&mut next)?)),
            b"c" => out.push(take(&mut next)? as u8 as char),
            b"s" => {
                let p = take(&mut next)?;
                let s = SimHost::read_cstr(mem, p, PRINT_STR_MAX)?;
                out.push_str(&String::from_utf8_lossy(&s));
            }
            _ => return Err(EINVAL),
        }
        i += 1 + used;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One flat region at address 0x1000.
    struct Flat(Vec<u8>);
    impl Mem for Flat {
        fn read(&mut self, addr: u64, len: usize) -> Option<Vec<u8>> {
            let s = addr.checked_sub(0x1000)? as usize;
            self.0.get(s..s.checked_add(len)?).map(|b| b.to_vec())
        }
        fn write(&mut self, addr: u64, data: &[u8]) -> bool {
            let Some(s) = addr.checked_sub(0x1000) else { return false };
            let s = s as usize;
            match s.checked_add(data.len()).and_then(|e| self.0.get_mut(s..e)) {
                Some(d) => {
                    d.copy_from_slice(data);
                    true
                }
                None => false,
            }
        }
        fn fill(&mut self, addr: u64, byte: u8, len: usize) -> bool {
            let Some(s) = addr.checked_sub(0x1000) else { return false };
            let s = s as usize;
            match s.checked_add(len).and_then(|e| self.0.get_mut(s..e)) {
                Some(d) => {
                    d.fill(byte);
                    true
                }
                None => false,
            }
        }
    }

    fn mem_with(s: &[u8]) -> Flat {
        let mut v = s.to_vec();
        v.resize(256, 0);
        Flat(v)
    }

    #[test]
    fn print_conversions() {
        let mut m = mem_with(b"a=%d b=%u c=%x %%\0");
        let s = format_print([0x1000, (-5i64) as u64, 7, 255, 0], &mut m).unwrap();
        assert_eq!(s, "a=-5 b=7 c=ff %");
        let mut m = mem_with(b"%lld %llu %llx\0");
        let s = format_print([0x1000, u64::MAX, u64::MAX, 0xabc, 0], &mut m).unwrap();
        assert_eq!(s, format!("-1 {} abc", u64::MAX));
        let mut m = mem_with(b"%c%s!\0\0\0\0\0\0\0\0\0\0hi\0");
        let s = format_print([0x1000, b'X' as u64, 0x1000 + 15, 0, 0], &mut m).unwrap();
        assert_eq!(s, "Xhi!");
    }

    #[test]
    fn print_errors() {
        let mut m = mem_with(b"%d %d %d %d\0");
        assert_eq!(format_print([0x1000, 1, 2, 3, 4], &mut m), Err(EINVAL));
        let mut m = mem_with(b"%q\0");
        assert_eq!(format_print([0x1000, 1, 2, 3, 4], &mut m), Err(EINVAL));
        let mut m = mem_with(b"x\0");
        assert_eq!(format_print([0x10, 1, 2, 3, 4], &mut m), Err(EFAULT));
        let mut m = mem_with(b"%s\0");
        assert_eq!(format_print([0x1000, 0x99999, 2, 3, 4], &mut m), Err(EFAULT));
        let mut m = Flat(vec![b'a'; 300]);
        assert_eq!(format_print([0x1000, 0, 0, 0, 0], &mut m), Err(EINVAL));
        // A format running into the end of the region is a fault.
        let mut m = Flat(vec![b'a'; 10]);
        assert_eq!(format_print([0x1000, 0, 0, 0, 0], &mut m), Err(EFAULT));
    }

    #[test]
    fn kv_store_scopes_and_capacity() {
        let mut h = SimHost::new(1);
        let mut m = mem_with(b"");
        assert_eq!(h.call(FC_KV_STORE, [3, 1, 1, 0, 0], &mut m), Some(EINVAL as u64));
        assert_eq!(h.call(FC_KV_FETCH, [0, 9, 0x1000, 0, 0], &mut m), Some(ENOENT as u64));
        assert_eq!(h.call(FC_KV_STORE, [0, 9, 0x1122, 0, 0], &mut m), Some(0));
        assert_eq!(h.call(FC_KV_FETCH, [1, 9, 0x1000, 0, 0], &mut m), Some(ENOENT as u64));
        assert_eq!(h.call(FC_KV_FETCH, [0, 9, 0x1000, 0, 0], &mut m), Some(0));
        assert_eq!(&m.0[..8], &0x1122u64.to_le_bytes());
        assert_eq!(h.call(FC_KV_FETCH, [0, 9, 0x5000, 0, 0], &mut m), Some(EFAULT as u64));
        for k in 100..100 + KV_CAPACITY as u64 - 1 {
            assert_eq!(h.call(FC_KV_STORE, [2, k, k, 0, 0], &mut m), Some(0));
        }
        assert_eq!(h.call(FC_KV_STORE, [2, 5000, 1, 0, 0], &mut m), Some(ENOMEM as u64));
        // Overwriting an existing key still works when full.
        assert_eq!(h.call(FC_KV_STORE, [0, 9, 1, 0, 0], &mut m), Some(0));
    }

    #[test]
    fn memcpy_memset() {
        let mut h = SimHost::new(1);
        let mut m = mem_with(b"abcdef");
        assert_eq!(h.call(FC_MEMCPY, [0x1000 + 10, 0x1000, 3, 0, 0], &mut m), Some(0));
        assert_eq!(&m.0[10..13], b"abc");
        assert_eq!(h.call(FC_MEMSET, [0x1000, b'z' as u64, 2, 0, 0], &mut m), Some(0));
        assert_eq!(&m.0[..3], b"zzc");
        assert_eq!(h.call(FC_MEMSET, [0x1000 + 250, 0, 10, 0, 0], &mut m), Some(EFAULT as u64));
        assert_eq!(h.call(FC_MEMCPY, [0x1000, 0x1000 + 250, 10, 0, 0], &mut m), Some(EFAULT as u64));
        assert_eq!(h.call(FC_MEMSET, [0x1000, 0, u64::MAX, 0, 0], &mut m), Some(EFAULT as u64));
    }

    #[test]
    fn misc_helpers() {
        let mut h = SimHost::new(7);
        let mut m = mem_with(b"");
        assert_eq!(h.call(0x99, [0; 5], &mut m), None);
        assert_eq!(h.call(FC_SENSOR_LAST, [0; 5], &mut m), Some(ENOENT as u64));
        h.temperature = Some(2150);
        assert_eq!(h.call(FC_SENSOR_LAST, [0; 5], &mut m), Some(2150));
        assert_eq!(h.call(FC_SENSOR_LAST, [1, 0, 0, 0, 0], &mut m), Some(EINVAL as u64));
        let a = h.call(FC_RANDOM, [0; 5], &mut m).unwrap();
        let b = h.call(FC_RANDOM, [0; 5], &mut m).unwrap();
        assert!(a <= u32::MAX as u64 && b <= u32::MAX as u64 && a != b);
        assert_eq!(h.call(FC_NOTIFY, [42, 0, 0, 0, 0], &mut m), Some(0));
        assert!(h.output.contains("notify: 42"));
        let t0 = h.call(FC_NOW_US, [0; 5], &mut m).unwrap();
        let t1 = h.call(FC_NOW_US, [0; 5], &mut m).unwrap();
        assert!(t1 >= t0);
    }
}
