//! Every helper and every error path, through [`call`] as the interpreter
//! calls it.
extern crate std;

use std::string::String;
use std::vec;
use std::vec::Vec;

use femto_vm::memory::{vaddr, REGION_CONTEXT, REGION_DATA, REGION_RODATA, REGION_STACK};
use femto_vm::{Error, Helpers, Memory};

use super::*;

const EFAULT: u64 = errno::EFAULT as u64;
const EINVAL: u64 = errno::EINVAL as u64;
const ENOENT: u64 = errno::ENOENT as u64;
const ENOMEM: u64 = errno::ENOMEM as u64;
const EBUSY: u64 = errno::EBUSY as u64;

/// Base addresses of the test regions.
const DATA: u64 = vaddr(REGION_DATA, 0);
const RO: u64 = vaddr(REGION_RODATA, 0);
const STACK: u64 = vaddr(REGION_STACK, 0);
const CTX: u64 = vaddr(REGION_CONTEXT, 0);

struct TestHost {
    id: u16,
    process: ScopedKv<KV_PROCESS_ENTRIES>,
    global: SharedKv<KV_GLOBAL_ENTRIES>,
    now_us: u64,
    sensor: Option<i64>,
    sensor_kinds: Vec<u32>,
    budget: PrintBudget,
    per_second: u32,
    lines: Vec<Vec<u8>>,
    notify_ok: bool,
    notified: Vec<u64>,
    rng: u32,
}

impl Default for TestHost {
    fn default() -> Self {
        TestHost {
            id: 0x0101,
            process: ScopedKv::default(),
            global: SharedKv::default(),
            now_us: 0,
            sensor: None,
            sensor_kinds: Vec::new(),
            budget: PrintBudget::new(),
            per_second: 100,
            lines: Vec::new(),
            notify_ok: true,
            notified: Vec::new(),
            rng: 1,
        }
    }
}

impl Host for TestHost {
    fn container_id(&self) -> u16 {
        self.id
    }
    fn kv(&mut self) -> KvTables<'_> {
        KvTables {
            process: &mut self.process,
            global: &self.global,
        }
    }
    fn now_us(&mut self) -> u64 {
        self.now_us
    }
    fn sensor_last(&mut self, kind: u32) -> Option<i64> {
        self.sensor_kinds.push(kind);
        if kind == SENSOR_TEMPERATURE {
            self.sensor
        } else {
            None
        }
    }
    fn print(&mut self, line: &[u8]) -> bool {
        if !self.budget.take(self.now_us / 1000, self.per_second) {
            return false;
        }
        self.lines.push(line.to_vec());
        true
    }
    fn notify(&mut self, value: u64) -> bool {
        if self.notify_ok {
            self.notified.push(value);
        }
        self.notify_ok
    }
    fn random(&mut self) -> u32 {
        self.rng = xorshift32(self.rng, 0);
        self.rng
    }
}

/// The regions of a test: a 64-byte stack, a 16-byte read-write context,
/// `data` (read-write, 512 bytes) and `rodata` (read-only).
struct Regions {
    stack: Vec<u8>,
    ctx: Vec<u8>,
    data: Vec<u8>,
    rodata: Vec<u8>,
}

impl Regions {
    fn new(data: &[u8], rodata: &[u8]) -> Self {
        let mut d = data.to_vec();
        d.resize(512, 0);
        Regions {
            stack: vec![0; 64],
            ctx: vec![0; 16],
            data: d,
            rodata: rodata.to_vec(),
        }
    }

    fn memory(&mut self) -> Memory<'_> {
        let mut m = Memory::new();
        m.map_stack(&mut self.stack);
        m.map_context_rw(&mut self.ctx);
        m.map_data(&mut self.data);
        m.map_rodata(&self.rodata);
        m
    }
}

/// Calls helper `nr` and returns r0 (panics on a run-ending error).
fn c(r: &mut Regions, h: &mut TestHost, nr: u32, a: [u64; 5]) -> u64 {
    call(nr, a, &mut r.memory(), h).expect("helper calls do not end the run")
}

/// `fc_print` with the format in rodata.
fn print_ro(fmt: &[u8], args: [u64; 3]) -> (u64, Vec<Vec<u8>>) {
    let mut r = Regions::new(b"", fmt);
    let mut h = TestHost::default();
    let v = c(
        &mut r,
        &mut h,
        nr::PRINT,
        [RO, args[0], args[1], args[2], 0],
    );
    (v, h.lines)
}

/// The printed line (asserting the result is its length).
fn printed(fmt: &[u8], args: [u64; 3]) -> Vec<u8> {
    let (v, lines) = print_ro(fmt, args);
    assert_eq!(lines.len(), 1, "{:?}", String::from_utf8_lossy(fmt));
    assert_eq!(v, lines[0].len() as u64);
    lines[0].clone()
}

#[test]
fn numbers_and_names() {
    assert_eq!(nr::NAMES.len(), 10);
    for &(n, name) in nr::NAMES {
        assert_eq!(nr::name(n), Some(name));
        assert!(name.starts_with("fc_"));
    }
    assert_eq!(nr::name(nr::RANDOM), Some("fc_random"));
    assert_eq!(nr::name(0x7F), None);
    assert_eq!(
        [
            errno::ENOENT,
            errno::ENOMEM,
            errno::EFAULT,
            errno::EBUSY,
            errno::EINVAL
        ],
        [-2, -12, -14, -16, -22]
    );
}

#[test]
fn unknown_helper_ends_the_run() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    for n in [0, 4, 5, 0x12, 0x22, 0x31, 0x41, 0x51, 0x7F, u32::MAX] {
        assert_eq!(
            call(n, [0; 5], &mut r.memory(), &mut h),
            Err(Error::UnknownHelper { pc: 0, helper: n })
        );
    }
    // Through femto-vm's trait as well.
    assert_eq!(
        Abi(&mut h).call(0x7F, [0; 5], &mut r.memory()),
        Err(Error::UnknownHelper {
            pc: 0,
            helper: 0x7F
        })
    );
    assert_eq!(Abi(&mut h).call(nr::NOW_US, [0; 5], &mut r.memory()), Ok(0));
}

// ---- fc_print --------------------------------------------------------------

#[test]
fn print_signed_conversions() {
    let m1 = u64::MAX;
    assert_eq!(printed(b"%d %i %d\0", [(-5i64) as u64, 7, 0]), b"-5 7 0");
    // Without ll: the low 32 bits, as signed.
    assert_eq!(
        printed(b"%d %ld %i\0", [m1, 0x1_0000_0002, 0x8000_0000]),
        b"-1 2 -2147483648"
    );
    // With ll (or more l): all 64 bits.
    assert_eq!(
        printed(b"%lld %lli %llld\0", [m1, i64::MIN as u64, 0x1_0000_0000]),
        b"-1 -9223372036854775808 4294967296"
    );
}

#[test]
fn print_unsigned_and_hex_conversions() {
    let m1 = u64::MAX;
    assert_eq!(
        printed(b"%u %lu %llu\0", [m1, m1, m1]),
        b"4294967295 4294967295 18446744073709551615"
    );
    assert_eq!(
        printed(b"%x %lx %llx\0", [m1, 0xABC, m1]),
        b"ffffffff abc ffffffffffffffff"
    );
    assert_eq!(printed(b"%u %x %llx\0", [0, 0, 0]), b"0 0 0");
    assert_eq!(printed(b"%x\0", [0x1_0000_00ff, 0, 0]), b"ff");
}

#[test]
fn print_char_and_percent() {
    // %c: the low byte, raw (no UTF-8 encoding: 0xFF is one byte).
    assert_eq!(
        printed(b"<%c%c%lc>\0", [b'A' as u64, 0x1FF, 0x142]),
        b"<A\xffB>"
    );
    // %% takes no value.
    assert_eq!(printed(b"%%%d%%%ll%\0", [3, 4, 5]), b"%3%%");
}

#[test]
fn print_strings() {
    let mut ro = b"[%s|%s]\0".to_vec();
    let s1 = ro.len() as u64;
    ro.extend_from_slice(b"abc\0\0");
    let empty = ro.len() as u64 - 1;
    let mut r = Regions::new(b"from data\0", &ro);
    let mut h = TestHost::default();
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, RO + s1, DATA, 0, 0]), 15);
    assert_eq!(h.lines[0], b"[abc|from data]");
    assert_eq!(
        c(
            &mut r,
            &mut h,
            nr::PRINT,
            [RO, RO + empty, RO + empty, 0, 0]
        ),
        3
    );
    assert_eq!(h.lines[1], b"[|]");
    // A format in writable memory (stack) works too.
    r.stack[..5].copy_from_slice(b"st%s\0");
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [STACK, RO + s1, 0, 0, 0]), 5);
    assert_eq!(h.lines[2], b"stabc");
}

#[test]
fn print_string_limits() {
    // At most PRINT_STR_MAX bytes: 160 is fine, 161 is EFAULT.
    let mut data = vec![b's'; PRINT_STR_MAX];
    data.push(0);
    data.extend(vec![b't'; PRINT_STR_MAX + 1]);
    data.push(0);
    let long = PRINT_STR_MAX as u64 + 1;
    let mut r = Regions::new(&data, b"%s\0");
    let mut h = TestHost::default();
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, DATA, 0, 0, 0]), 160);
    assert_eq!(h.lines[0], vec![b's'; 160]);
    assert_eq!(
        c(&mut r, &mut h, nr::PRINT, [RO, DATA + long, 0, 0, 0]),
        EFAULT
    );
    // The empty string in the last byte of the region is fine; at the end
    // of the region, or unterminated before it: EFAULT.
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, DATA + 511, 0, 0, 0]), 0);
    assert_eq!(
        c(&mut r, &mut h, nr::PRINT, [RO, DATA + 512, 0, 0, 0]),
        EFAULT
    );
    r.data[511] = b'x';
    assert_eq!(
        c(&mut r, &mut h, nr::PRINT, [RO, DATA + 511, 0, 0, 0]),
        EFAULT
    );
    // Bad pointers: null, unmapped region, past the end, region id too large.
    for p in [
        0,
        vaddr(6, 0),
        DATA + 513,
        DATA + 0xFFFF_FFFF,
        u64::MAX,
        vaddr(200, 0),
    ] {
        assert_eq!(
            c(&mut r, &mut h, nr::PRINT, [RO, p, 0, 0, 0]),
            EFAULT,
            "{p:#x}"
        );
    }
    // Nothing printed for a failed call.
    assert_eq!(h.lines.len(), 2);
    assert_eq!(h.lines[1], b"");
}

#[test]
fn print_format_limits() {
    // 128 bytes without the NUL is the longest format.
    let mut fmt = vec![b'f'; PRINT_FMT_MAX];
    fmt.push(0);
    let (v, lines) = print_ro(&fmt, [0; 3]);
    assert_eq!((v, lines.len()), (128, 1));
    let mut fmt = vec![b'f'; PRINT_FMT_MAX + 1];
    fmt.push(0);
    assert_eq!(print_ro(&fmt, [0; 3]), (EFAULT, vec![]));
    // Unterminated: the region ends first.
    assert_eq!(print_ro(b"abc", [0; 3]), (EFAULT, vec![]));
    // Bad format pointers.
    let mut r = Regions::new(b"x\0", b"y\0");
    let mut h = TestHost::default();
    for p in [
        0,
        1,
        vaddr(6, 0),
        RO + 2,
        RO + 3,
        CTX + 16,
        vaddr(8, 0),
        u64::MAX,
    ] {
        assert_eq!(
            c(&mut r, &mut h, nr::PRINT, [p, 0, 0, 0, 0]),
            EFAULT,
            "{p:#x}"
        );
    }
    // An empty format prints an empty line.
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO + 1, 0, 0, 0, 0]), 0);
    assert_eq!(h.lines, vec![Vec::<u8>::new()]);
}

#[test]
fn print_unknown_conversions_are_literal() {
    assert_eq!(printed(b"%q %5d %.2x %-\0", [1, 2, 3]), b"%q %5d %.2x %-");
    // The l's before an unknown conversion are dropped.
    assert_eq!(printed(b"%lq %llz\0", [1, 2, 3]), b"%q %z");
    // A % at the very end (with or without l's).
    assert_eq!(printed(b"100%\0", [0; 3]), b"100%");
    assert_eq!(printed(b"a%ll\0", [0; 3]), b"a%");
    // Literal text, NUL ends the format.
    assert_eq!(printed(b"plain\0%d\0", [1, 0, 0]), b"plain");
}

#[test]
fn print_missing_values_are_zero() {
    assert_eq!(printed(b"%d %d %d %d %x|\0", [1, 2, 3]), b"1 2 3 0 0|");
    // ... but a %s past the third value reads address 0: EFAULT.
    assert_eq!(print_ro(b"%d%d%d%s\0", [1, 2, 3]), (EFAULT, vec![]));
}

#[test]
fn print_output_is_truncated() {
    let mut data = vec![b'a'; 150];
    data.push(0);
    let mut r = Regions::new(&data, b"%s%s%d\0");
    let mut h = TestHost::default();
    assert_eq!(
        c(&mut r, &mut h, nr::PRINT, [RO, DATA, DATA, 12345, 0]),
        PRINT_OUT_MAX as u64
    );
    assert_eq!(h.lines[0], vec![b'a'; PRINT_OUT_MAX]);
}

#[test]
fn print_is_rate_limited_and_errors_cost_nothing() {
    let mut r = Regions::new(b"", b"hi\0");
    let mut h = TestHost {
        per_second: 2,
        now_us: 5_500_000,
        ..TestHost::default()
    };
    // A bad call does not use the budget.
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [0, 0, 0, 0, 0]), EFAULT);
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, 0, 0, 0, 0]), 2);
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, 0, 0, 0, 0]), 2);
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, 0, 0, 0, 0]), EBUSY);
    h.now_us = 5_999_999;
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, 0, 0, 0, 0]), EBUSY);
    h.now_us = 6_000_000;
    assert_eq!(c(&mut r, &mut h, nr::PRINT, [RO, 0, 0, 0, 0]), 2);
    assert_eq!(h.lines.len(), 3);
}

#[test]
fn print_budget_windows() {
    let b = PrintBudget::new();
    assert!(b.take(0, 1));
    assert!(!b.take(999, 1));
    assert!(b.take(1000, 1));
    assert!(!b.take(1000, 0));
    // Going back in time starts a new window too (a new second value).
    assert!(b.take(0, 1));
    let zero = PrintBudget::default();
    assert!(!zero.take(0, 0));
    assert!(zero.take(u64::MAX, u32::MAX));
}

// ---- fc_memcpy, fc_memset ----------------------------------------------------

#[test]
fn memcpy_inside_and_across_regions() {
    let mut r = Regions::new(b"abcdef", b"XYZ");
    let mut h = TestHost::default();
    assert_eq!(c(&mut r, &mut h, nr::MEMCPY, [DATA + 10, DATA, 3, 0, 0]), 0);
    assert_eq!(&r.data[10..13], b"abc");
    // Overlapping.
    assert_eq!(c(&mut r, &mut h, nr::MEMCPY, [DATA + 1, DATA, 4, 0, 0]), 0);
    assert_eq!(&r.data[..6], b"aabcdf");
    // From rodata to the stack and the context.
    assert_eq!(c(&mut r, &mut h, nr::MEMCPY, [STACK + 60, RO, 3, 0, 0]), 0);
    assert_eq!(&r.stack[60..63], b"XYZ");
    assert_eq!(c(&mut r, &mut h, nr::MEMCPY, [CTX + 13, RO, 3, 0, 0]), 0);
    assert_eq!(&r.ctx[13..], b"XYZ");
    // Length 0 anywhere inside a region.
    assert_eq!(
        c(&mut r, &mut h, nr::MEMCPY, [DATA + 512, RO + 3, 0, 0, 0]),
        0
    );
}

#[test]
fn memcpy_bad_ranges_are_efault_and_write_nothing() {
    let mut r = Regions::new(b"abcdef", b"XYZ");
    let mut h = TestHost::default();
    let before = r.data.clone();
    for (dst, src, len) in [
        (RO, DATA, 1),                 // destination read-only
        (DATA, RO, 4),                 // source past the end of rodata
        (DATA + 510, DATA, 3),         // destination past the end
        (DATA, DATA + 511, 2),         // source past the end
        (DATA, 0, 1),                  // null source
        (0, DATA, 1),                  // null destination
        (DATA, vaddr(6, 0), 1),        // unmapped region
        (DATA, DATA, u64::MAX),        // huge length
        (DATA, DATA, 1 << 32),         // length beyond 32 bits
        (DATA + 0xFFFF_FFFF, DATA, 2), // offset overflow
    ] {
        assert_eq!(
            c(&mut r, &mut h, nr::MEMCPY, [dst, src, len, 0, 0]),
            EFAULT,
            "{dst:#x} {src:#x} {len}"
        );
    }
    assert_eq!(r.data, before);
    assert_eq!(r.rodata, b"XYZ");
}

#[test]
fn memset_fills_with_the_low_byte() {
    let mut r = Regions::new(b"abcdef", b"XYZ");
    let mut h = TestHost::default();
    assert_eq!(
        c(&mut r, &mut h, nr::MEMSET, [DATA + 1, b'z' as u64, 2, 0, 0]),
        0
    );
    assert_eq!(&r.data[..6], b"azzdef");
    assert_eq!(c(&mut r, &mut h, nr::MEMSET, [DATA, 0x1FF, 1, 0, 0]), 0);
    assert_eq!(r.data[0], 0xFF);
    assert_eq!(c(&mut r, &mut h, nr::MEMSET, [STACK, 7, 64, 0, 0]), 0);
    assert_eq!(r.stack, vec![7; 64]);
    let before = r.data.clone();
    for (dst, len) in [
        (RO, 1),
        (RO, 0),
        (DATA + 500, 13),
        (0, 1),
        (DATA, u64::MAX),
        (vaddr(7, 0), 1),
    ] {
        assert_eq!(
            c(&mut r, &mut h, nr::MEMSET, [dst, 1, len, 0, 0]),
            EFAULT,
            "{dst:#x} {len}"
        );
    }
    assert_eq!(r.data, before);
}

// ---- key-value store ---------------------------------------------------------

#[test]
fn kv_bad_scope_is_einval() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    for scope in [3, 4, 0x1_0000_0000, u64::MAX] {
        assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [scope, 1, 1, 0, 0]), EINVAL);
        // EINVAL comes before the pointer check.
        assert_eq!(c(&mut r, &mut h, nr::KV_FETCH, [scope, 1, 0, 0, 0]), EINVAL);
    }
    assert_eq!(h.process.used(), 0);
    assert_eq!(Scope::from_arg(2), Some(Scope::Global));
    assert_eq!(Scope::from_arg(3), None);
}

#[test]
fn kv_scopes_are_separate() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    for scope in 0..3u64 {
        assert_eq!(
            c(&mut r, &mut h, nr::KV_STORE, [scope, 9, 100 + scope, 0, 0]),
            0
        );
    }
    for scope in 0..3u64 {
        assert_eq!(
            c(
                &mut r,
                &mut h,
                nr::KV_FETCH,
                [scope, 9, DATA + 8 * scope, 0, 0]
            ),
            0
        );
        assert_eq!(
            r.data[8 * scope as usize..][..8],
            (100 + scope).to_le_bytes()
        );
    }
    // Another container of the process sees scope 1, not scope 0.
    h.id = 0x0102;
    assert_eq!(c(&mut r, &mut h, nr::KV_FETCH, [0, 9, DATA, 0, 0]), ENOENT);
    assert_eq!(c(&mut r, &mut h, nr::KV_FETCH, [1, 9, DATA, 0, 0]), 0);
    // The key is the low 32 bits.
    assert_eq!(
        c(
            &mut r,
            &mut h,
            nr::KV_FETCH,
            [2, 0x7_0000_0009, DATA + 16, 0, 0]
        ),
        0
    );
    assert_eq!(r.data[16..24], 102u64.to_le_bytes());
    assert_eq!(
        c(
            &mut r,
            &mut h,
            nr::KV_STORE,
            [2, 0xFFFF_FFFF_0000_0009, 5, 0, 0]
        ),
        0
    );
    assert_eq!(h.global.fetch(9), Ok(5));
}

#[test]
fn kv_fetch_errors() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    // Absent: ENOENT, even with a bad pointer.
    assert_eq!(c(&mut r, &mut h, nr::KV_FETCH, [0, 1, DATA, 0, 0]), ENOENT);
    assert_eq!(c(&mut r, &mut h, nr::KV_FETCH, [0, 1, 0, 0, 0]), ENOENT);
    assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [0, 1, u64::MAX, 0, 0]), 0);
    // Present, bad or read-only pointer: EFAULT, nothing written.
    for p in [0, RO, DATA + 505, STACK + 57, vaddr(6, 0), u64::MAX] {
        assert_eq!(
            c(&mut r, &mut h, nr::KV_FETCH, [0, 1, p, 0, 0]),
            EFAULT,
            "{p:#x}"
        );
    }
    assert_eq!(r.data[505..], [0; 7]);
    assert_eq!(c(&mut r, &mut h, nr::KV_FETCH, [0, 1, DATA + 504, 0, 0]), 0);
    assert_eq!(r.data[504..], [0xFF; 8]);
}

#[test]
fn kv_capacity_is_shared_by_scopes_0_and_1() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    let e = KV_PROCESS_ENTRIES as u64;
    for k in 0..e / 2 {
        assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [0, k, k, 0, 0]), 0);
    }
    h.id = 0x0102;
    for k in e / 2..e {
        assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [1, k, k, 0, 0]), 0);
    }
    assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [0, 1000, 1, 0, 0]), ENOMEM);
    assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [1, 1000, 1, 0, 0]), ENOMEM);
    // Replacing an existing key works when full.
    assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [1, e - 1, 77, 0, 0]), 0);
    assert_eq!(h.process.fetch(Owner::Process, e as u32 - 1), Ok(77));
    // The global scope has its own entries.
    for k in 0..KV_GLOBAL_ENTRIES as u64 {
        assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [2, k, k, 0, 0]), 0);
    }
    assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [2, 1000, 1, 0, 0]), ENOMEM);
    assert_eq!(c(&mut r, &mut h, nr::KV_STORE, [2, 3, 1, 0, 0]), 0);
}

// ---- time, sensor, notify, random ------------------------------------------------

#[test]
fn time_in_ms_and_us() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost {
        now_us: 1_234_567_890_123,
        ..TestHost::default()
    };
    assert_eq!(c(&mut r, &mut h, nr::NOW_US, [9; 5]), 1_234_567_890_123);
    assert_eq!(c(&mut r, &mut h, nr::NOW_MS, [9; 5]), 1_234_567_890);
    h.now_us = u64::MAX;
    assert_eq!(c(&mut r, &mut h, nr::NOW_MS, [0; 5]), u64::MAX / 1000);
}

#[test]
fn sensor_last_value_none_and_unknown_kind() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    assert_eq!(c(&mut r, &mut h, nr::SENSOR_LAST, [0; 5]), ENOENT);
    h.sensor = Some(-1250);
    assert_eq!(c(&mut r, &mut h, nr::SENSOR_LAST, [0; 5]) as i64, -1250);
    // Another kind: ENOENT (not EINVAL); the kind is the low 32 bits.
    assert_eq!(c(&mut r, &mut h, nr::SENSOR_LAST, [1, 0, 0, 0, 0]), ENOENT);
    assert_eq!(
        c(&mut r, &mut h, nr::SENSOR_LAST, [u64::MAX, 0, 0, 0, 0]),
        ENOENT
    );
    assert_eq!(
        c(&mut r, &mut h, nr::SENSOR_LAST, [1 << 32, 0, 0, 0, 0]) as i64,
        -1250
    );
    assert_eq!(h.sensor_kinds, vec![0, 0, 1, u32::MAX, 0]);
}

#[test]
fn notify_passes_the_value_or_is_busy() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    assert_eq!(c(&mut r, &mut h, nr::NOTIFY, [u64::MAX - 1, 5, 5, 5, 5]), 0);
    h.notify_ok = false;
    assert_eq!(c(&mut r, &mut h, nr::NOTIFY, [7, 0, 0, 0, 0]), EBUSY);
    assert_eq!(h.notified, vec![u64::MAX - 1]);
}

#[test]
fn random_is_xorshift32() {
    let mut r = Regions::new(b"", b"");
    let mut h = TestHost::default();
    let a = c(&mut r, &mut h, nr::RANDOM, [0; 5]);
    let b = c(&mut r, &mut h, nr::RANDOM, [0; 5]);
    assert!(a <= u32::MAX as u64 && b <= u32::MAX as u64 && a != b);
    // Known values of xorshift32 (13, 17, 5) from state 1.
    assert_eq!((a, b), (270369, 67634689));
    // A zero state (after stirring) restarts from RANDOM_SEED.
    assert_eq!(xorshift32(5, 5), xorshift32(RANDOM_SEED, 0));
    assert_ne!(xorshift32(0, 0), 0);
    assert_ne!(xorshift32(1, 0), xorshift32(1, 2));
}

#[test]
fn line_accessors() {
    let l = Line::default();
    assert!(l.is_empty());
    assert_eq!(l.len(), 0);
    assert_eq!(std::format!("{l:?}"), "Line([])");
}
