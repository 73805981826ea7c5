//! Shared fixture: a fake platform with the femto-containers capsule, and a
//! tiny eBPF assembler + image packer built on femto-vm's own encoder.
#![allow(dead_code)]

use core::cell::RefCell;

use capsules_femto::console::Console;
use capsules_femto::hooks::{self, HookArgument, HookDescriptor, Policy};
use capsules_femto::{FemtoContainers, Limits, DRIVER_NUM};
use femto_vm::image::{Function, ImageSpec};
use femto_vm::isa::Insn;
use kernel::deferred_call::DeferredCallClient;
use kernel::hil::time::Alarm;
use kernel::syscall::SyscallReturn;
use kernel::ErrorCode;

use crate::harness::*;

pub const N: usize = 4;
pub const SLOT: usize = 512;
pub const STACK: usize = 1024;
pub const CONTEXT: usize = 64;

pub type Femto = FemtoContainers<'static, FakeAlarm, N, SLOT, STACK>;

/// A test hook with policy "first" and a writable context.
pub const FIRST_ID: u16 = 0x10;
/// A test hook with policy "run all" and a writable context.
pub const ALL_RW_ID: u16 = 0x11;

pub static TEST_HOOKS: [HookDescriptor; 5] = [
    hooks::TIMER,
    hooks::TEMPERATURE,
    hooks::BUTTON,
    HookDescriptor {
        id: FIRST_ID,
        context_len: 8,
        writable: true,
        policy: Policy::First,
        fuel: 100,
        argument: HookArgument::None,
    },
    HookDescriptor {
        id: ALL_RW_ID,
        context_len: 8,
        writable: true,
        policy: Policy::RunAll,
        fuel: 100,
        argument: HookArgument::None,
    },
];

/// Records `fc_print` lines (as text, and as the bytes written).
#[derive(Default)]
pub struct RecordingConsole {
    pub lines: RefCell<Vec<(u16, String)>>,
    pub raw: RefCell<Vec<(u16, Vec<u8>)>>,
}

impl Console for RecordingConsole {
    fn write_line(&self, id: u16, line: &[u8]) {
        self.lines
            .borrow_mut()
            .push((id, String::from_utf8_lossy(line).into_owned()));
        self.raw.borrow_mut().push((id, line.to_vec()));
    }
}

pub struct Fx {
    pub w: World,
    pub femto: &'static Femto,
    pub alarm: &'static FakeAlarm,
    pub console: &'static RecordingConsole,
}

pub const IMAGE_AT: usize = 0x1000;
pub const ENVELOPE_AT: usize = 0x3000;
pub const CONTEXT_AT: usize = 0x8000;

pub fn limits() -> Limits {
    Limits {
        default_fuel: 1000,
        max_fuel: 5000,
        prints_per_second: 3,
    }
}

/// A platform with `procs` processes and the capsule registered.
pub fn setup(procs: usize) -> Fx {
    // Each capsule creates one Tock DeferredCall; the kernel's table holds 32
    // per program (per test binary). Split a test file before reaching that.
    static WORLDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WORLDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    assert!(
        n < 31,
        "too many capsules in one test binary: split the test file"
    );
    let b = boot(procs);
    let alarm = new_alarm();
    let console: &'static RecordingConsole = Box::leak(Box::default());
    let grant = b.kernel.create_grant(DRIVER_NUM, &cap());
    let context: &'static mut [u8] = Box::leak(vec![0u8; CONTEXT].into_boxed_slice());
    let femto: &'static Femto = Box::leak(Box::new(FemtoContainers::new(
        grant,
        alarm,
        &TEST_HOOKS,
        context,
        console,
        limits(),
    )));
    alarm.set_alarm_client(femto);
    femto.register();
    femto.start();
    let w = b.with_drivers_and_alarm(vec![(DRIVER_NUM, femto)], Some(alarm));
    Fx {
        w,
        femto,
        alarm,
        console,
    }
}

impl Fx {
    pub fn cmd(&self, p: usize, n: usize, a: usize, b: usize) -> SyscallReturn {
        self.w.syscall(p, command(DRIVER_NUM, n, a, b))
    }

    /// Shares `image` (at IMAGE_AT) with RO allow 0 and loads it.
    pub fn load(&self, p: usize, image: &[u8]) -> SyscallReturn {
        let proc = self.w.procs[p];
        proc.write_ram(IMAGE_AT, image);
        let r = self.w.syscalls(
            p,
            vec![
                allow_ro(proc, DRIVER_NUM, 0, IMAGE_AT, image.len()),
                command(DRIVER_NUM, 1, 0, 0),
            ],
        );
        assert!(
            matches!(r[0], SyscallReturn::AllowReadOnlySuccess(..)),
            "{r:?}"
        );
        r[1]
    }

    /// Shares `envelope` (at ENVELOPE_AT) with RO allow 1 and installs it
    /// (command 12), replacing container `replace` (0: as a new one).
    pub fn install(&self, p: usize, envelope: &[u8], replace: usize) -> SyscallReturn {
        let proc = self.w.procs[p];
        proc.write_ram(ENVELOPE_AT, envelope);
        let r = self.w.syscalls(
            p,
            vec![
                allow_ro(proc, DRIVER_NUM, 1, ENVELOPE_AT, envelope.len()),
                command(DRIVER_NUM, 12, replace, 0),
            ],
        );
        assert!(
            matches!(r[0], SyscallReturn::AllowReadOnlySuccess(..)),
            "{r:?}"
        );
        r[1]
    }

    /// Loads and returns the id, panicking on failure.
    pub fn load_ok(&self, p: usize, image: &[u8]) -> usize {
        let r = self.load(p, image);
        match r {
            SyscallReturn::SuccessU32(id) => id as usize,
            other => panic!("load failed: {other:?}"),
        }
    }

    /// Shares `ctx` (at CONTEXT_AT) with RW allow 0.
    pub fn share_context(&self, p: usize, ctx: &[u8]) {
        let proc = self.w.procs[p];
        proc.write_ram(CONTEXT_AT, ctx);
        let r = self
            .w
            .syscall(p, allow_rw(proc, DRIVER_NUM, 0, CONTEXT_AT, ctx.len()));
        assert!(
            matches!(r, SyscallReturn::AllowReadWriteSuccess(..)),
            "{r:?}"
        );
    }

    /// Runs synchronously with `ctx`; returns the result and the context after.
    pub fn run(&self, p: usize, id: usize, ctx: &[u8], fuel: usize) -> (SyscallReturn, Vec<u8>) {
        self.share_context(p, ctx);
        let r = self.cmd(p, 3, id, fuel);
        (r, read_ram(self.w.procs[p], CONTEXT_AT, ctx.len()))
    }

    pub fn subscribe_all(&self, p: usize) {
        for n in 0..3 {
            let r = self.w.syscall(p, subscribe(DRIVER_NUM, n));
            assert!(matches!(r, SyscallReturn::SubscribeSuccess(..)), "{r:?}");
        }
    }

    /// Upcalls delivered to process `p` since the last call: (subscribe, args).
    pub fn upcalls(&self, p: usize) -> Vec<(usize, (usize, usize, usize))> {
        take_upcalls(self.w.procs[p])
            .into_iter()
            .map(|d| (d.subscribe, d.args))
            .collect()
    }
}

// ---- deterministic randomness --------------------------------------------

/// xorshift64*: deterministic, so that a failing seed can be replayed
/// (random tests of this crate).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---- result matchers ---------------------------------------------------------

pub fn u64_of(r: SyscallReturn) -> u64 {
    match r {
        SyscallReturn::SuccessU64(v) => v,
        other => panic!("expected SuccessU64, got {other:?}"),
    }
}

pub fn u32_of(r: SyscallReturn) -> u32 {
    match r {
        SyscallReturn::SuccessU32(v) => v,
        other => panic!("expected SuccessU32, got {other:?}"),
    }
}

pub fn pair_of(r: SyscallReturn) -> (u32, u32) {
    match r {
        SyscallReturn::SuccessU32U32(a, b) => (a, b),
        other => panic!("expected SuccessU32U32, got {other:?}"),
    }
}

pub fn is_ok(r: SyscallReturn) -> bool {
    matches!(r, SyscallReturn::Success)
}

pub fn err_of(r: SyscallReturn) -> ErrorCode {
    match r {
        SyscallReturn::Failure(e) => e,
        other => panic!("expected Failure, got {other:?}"),
    }
}

// ---- assembler -------------------------------------------------------------------

pub type I = [u8; 8];

fn ins(op: u8, dst: u8, src: u8, off: i16, imm: i32) -> I {
    Insn::new(op, dst, src, off, imm).encode()
}
pub fn mov_imm(dst: u8, imm: i32) -> I {
    ins(0xb7, dst, 0, 0, imm)
}
pub fn mov_reg(dst: u8, src: u8) -> I {
    ins(0xbf, dst, src, 0, 0)
}
pub fn add_imm(dst: u8, imm: i32) -> I {
    ins(0x07, dst, 0, 0, imm)
}
pub fn add_reg(dst: u8, src: u8) -> I {
    ins(0x0f, dst, src, 0, 0)
}
pub fn mul_imm(dst: u8, imm: i32) -> I {
    ins(0x27, dst, 0, 0, imm)
}
pub fn ldxw(dst: u8, src: u8, off: i16) -> I {
    ins(0x61, dst, src, off, 0)
}
pub fn ldxdw(dst: u8, src: u8, off: i16) -> I {
    ins(0x79, dst, src, off, 0)
}
pub fn stxw(dst: u8, src: u8, off: i16) -> I {
    ins(0x63, dst, src, off, 0)
}
pub fn stxdw(dst: u8, src: u8, off: i16) -> I {
    ins(0x7b, dst, src, off, 0)
}
pub fn call(helper: i32) -> I {
    ins(0x85, 0, 0, 0, helper)
}
pub fn exit() -> I {
    ins(0x95, 0, 0, 0, 0)
}
pub fn ja(off: i16) -> I {
    ins(0x05, 0, 0, off, 0)
}
pub fn jsgt_imm(dst: u8, imm: i32, off: i16) -> I {
    ins(0x65, dst, 0, off, imm)
}
pub fn jeq_imm(dst: u8, imm: i32, off: i16) -> I {
    ins(0x15, dst, 0, off, imm)
}
/// LDDW: two slots.
pub fn lddw(dst: u8, v: u64) -> [I; 2] {
    [
        ins(0x18, dst, 0, 0, v as u32 as i32),
        ins(0, 0, 0, 0, (v >> 32) as u32 as i32),
    ]
}

/// Concatenates instructions into text.
pub fn text(insns: &[I]) -> Vec<u8> {
    insns.iter().flatten().copied().collect()
}

/// Options of a test image.
#[derive(Clone)]
pub struct Img<'a> {
    pub text: Vec<u8>,
    pub rodata: &'a [u8],
    pub data: &'a [u8],
    pub bss: u32,
    pub helpers: &'a [u32],
    pub stack: u32,
    pub name: &'a [u8],
}

impl<'a> Img<'a> {
    pub fn new(insns: &[I]) -> Self {
        Img {
            text: text(insns),
            rodata: &[],
            data: &[],
            bss: 0,
            helpers: &[],
            stack: 512,
            name: b"test",
        }
    }
    pub fn name(mut self, n: &'a [u8]) -> Self {
        self.name = n;
        self
    }
    pub fn helpers(mut self, h: &'a [u32]) -> Self {
        self.helpers = h;
        self
    }
    pub fn rodata(mut self, r: &'a [u8]) -> Self {
        self.rodata = r;
        self
    }
    pub fn data(mut self, d: &'a [u8], bss: u32) -> Self {
        self.data = d;
        self.bss = bss;
        self
    }
    pub fn stack(mut self, s: u32) -> Self {
        self.stack = s;
        self
    }
    /// Encodes with femto-vm's image encoder.
    pub fn build(&self) -> Vec<u8> {
        let functions = [Function {
            name: b"main",
            pc: 0,
        }];
        let spec = ImageSpec {
            name: self.name,
            app_version: 1,
            flags: 0,
            stack_size: self.stack,
            text: &self.text,
            rodata: self.rodata,
            data: self.data,
            bss_len: self.bss,
            functions: &functions,
            helpers: self.helpers,
            signature_len: 0,
        };
        let len = spec.encoded_len().expect("encodable");
        let mut out = vec![0u8; len];
        spec.encode(&mut out).expect("encode");
        out
    }
}

/// `return 42`.
pub fn ret42() -> Vec<u8> {
    Img::new(&[mov_imm(0, 42), exit()]).build()
}

/// Increments the u32 at context offset 0 and returns the new value.
pub fn ctx_increment() -> Vec<u8> {
    Img::new(&[ldxw(0, 1, 0), add_imm(0, 1), stxw(1, 0, 0), exit()]).build()
}

/// Returns the u32 at context offset 0 plus `k`, without writing.
pub fn ctx_plus(k: i32) -> Vec<u8> {
    Img::new(&[ldxw(0, 1, 0), add_imm(0, k), exit()]).build()
}

/// Loops forever (fuel exhaustion).
pub fn endless() -> Vec<u8> {
    Img::new(&[mov_imm(0, 0), ja(-1), exit()]).build()
}

/// Loads from address 0 (memory fault at pc 1).
pub fn null_load() -> Vec<u8> {
    Img::new(&[mov_imm(1, 0), ldxdw(0, 1, 0), exit()]).build()
}

/// Calls helper 0x99, allowed by the image but not provided by the kernel.
pub fn unknown_helper() -> Vec<u8> {
    Img::new(&[call(0x99), exit()]).helpers(&[0x99]).build()
}

/// `fc_notify(value)` then return 0.
pub fn notify(value: i32) -> Vec<u8> {
    Img::new(&[mov_imm(1, value), call(0x40), exit()])
        .helpers(&[0x40])
        .build()
}

/// A counter in .data, incremented and returned by each run.
pub fn data_counter() -> Vec<u8> {
    let mut insns = Vec::new();
    insns.extend(lddw(2, femto_vm::vaddr(femto_vm::memory::REGION_DATA, 0)));
    insns.extend([ldxdw(0, 2, 0), add_imm(0, 1), stxdw(2, 0, 0), exit()]);
    Img::new(&insns).data(&[0; 8], 0).build()
}

/// Writes a u32 `v` at context offset 0 and returns `r0` (writable hooks).
pub fn set_ctx_and_return(v: i32, r0: i32) -> Vec<u8> {
    Img::new(&[mov_imm(2, v), stxw(1, 2, 0), mov_imm(0, r0), exit()]).build()
}

/// Writes `v` at context offset 0, then faults.
pub fn set_ctx_then_fault(v: i32) -> Vec<u8> {
    Img::new(&[
        mov_imm(2, v),
        stxw(1, 2, 0),
        mov_imm(3, 0),
        ldxdw(0, 3, 0),
        exit(),
    ])
    .build()
}

/// The key-value helpers driven by the context ([`kv_ctx`]): `fc_kv_store`
/// or `fc_kv_fetch` with the context's scope, key and value; returns the
/// store's result, or the fetched value (the fetch's error if it failed).
/// `prefix` instructions run first (to make two builds differ).
pub fn kv_program(name: &[u8], prefix: &[I]) -> Vec<u8> {
    let mut i = prefix.to_vec();
    i.extend([
        mov_reg(6, 1),
        ldxw(1, 6, 0),  // scope
        ldxw(2, 6, 4),  // key
        ldxdw(3, 6, 8), // value
        ldxw(7, 6, 16), // op: 0 store, 1 fetch
        jeq_imm(7, 0, 7),
        mov_reg(3, 10),
        add_imm(3, -8),
        call(0x11),
        jeq_imm(0, 0, 1),
        exit(),
        ldxdw(0, 10, -8),
        exit(),
        call(0x10),
        exit(),
    ]);
    Img::new(&i).name(name).helpers(&[0x10, 0x11]).build()
}

/// Context of [`kv_program`]: `op` 0 stores `value`, 1 fetches.
pub fn kv_ctx(op: u32, scope: u32, key: u32, value: u64) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend(scope.to_le_bytes());
    c.extend(key.to_le_bytes());
    c.extend(value.to_le_bytes());
    c.extend(op.to_le_bytes());
    c
}

impl Fx {
    /// `fc_kv_store(scope, key, value)` run by [`kv_program`] container `id`.
    pub fn kv_store(&self, p: usize, id: usize, scope: u32, key: u32, value: u64) -> i64 {
        u64_of(self.run(p, id, &kv_ctx(0, scope, key, value), 0).0) as i64
    }

    /// `fc_kv_fetch(scope, key)` run by [`kv_program`] container `id`: the
    /// value, or the (negative) error.
    pub fn kv_fetch(&self, p: usize, id: usize, scope: u32, key: u32) -> i64 {
        u64_of(self.run(p, id, &kv_ctx(1, scope, key, 0), 0).0) as i64
    }
}
