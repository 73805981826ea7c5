//! Differential testing of femto-vm against an independent eBPF interpreter, the `rbpf` crate
//! (0.3.0, a Rust port of uBPF), on generated programs.
//!
//! A seeded PRNG generates valid programs (ALU and ALU64 operations, byte swaps, `lddw`,
//! forward jumps of both jump classes, loads and stores on the stack and on a memory buffer,
//! helper calls, ending in `exit`). Each program runs in both VMs over identical copies of the
//! memory buffer; the test requires the same r0 and the same final buffer, or a fault of the
//! same class in both (out-of-bounds memory access, unknown helper).
//!
//! Environment: `DIFF_SEED` (default fixed), `DIFF_PROGRAMS` (default 20000).
//!
//! # Where rbpf legitimately differs, and how generation avoids it
//!
//! * **32-bit `add`, `sub`, `mul`**: rbpf 0.3.0 computes them on `i32` and sign-extends the
//!   result into the 64-bit register, where RFC 9669 zero-extends. Every such instruction is
//!   followed by `mov32 dst, dst`, which zero-extends in both VMs (and is a no-op for a
//!   conforming VM); the pair is never split by a jump.
//! * **32-bit `mod` by zero**: RFC 9669 zeroes the upper half of dst; rbpf leaves dst
//!   unchanged. Same remedy (`mov32 dst, dst` after every `mod32`).
//! * **64-bit `neg`**: rbpf computes `-(x as i64)`, which panics in a debug build for
//!   `i64::MIN`. Every `neg` is preceded by `or dst, 1` (so dst is never `i64::MIN`).
//! * **Division and modulo by an immediate zero**: not generated (a register holding zero is,
//!   often; both VMs give RFC 9669's results there).
//! * **Shift immediates**: generated in range only (femto's verifier rejects out-of-range
//!   immediates; rbpf masks them). Register shift amounts are arbitrary; both mask.
//! * **Addresses**: rbpf hands programs host pointers, femto-vm virtual addresses. The
//!   generator copies r1 (the buffer address) into r9 first and then never reads r9 or r10 as
//!   data, only as the base of loads and stores; r1 becomes an ordinary data register. So no
//!   address ever reaches r0 or memory. The femto stack is exactly one 512-byte frame, like
//!   rbpf's.
//! * **Faulting accesses** are generated only straddling an edge of the buffer or the stack
//!   (start inside, end outside, or the reverse), so that in rbpf, whose check accepts any
//!   host range inside one of its areas, the access cannot fall into another area.
//! * **Not generated, as rbpf 0.3.0 does not implement them**: `sdiv`/`smod`, `movsx`,
//!   sign-extending loads, `bswap`, atomics, `ja32`/`gotol`, local calls, `callx`.
//! * **Backward jumps**: not generated (rbpf has no fuel; forward-only programs terminate).
//! * **Helper calls**: both VMs get the same helper (number 1, a mix of r1..r5); r1..r5 are
//!   re-initialised after every call, as RFC 9669 leaves them unspecified. Helper 99 exists
//!   in neither VM (femto-vm verifies with every helper number allowed, so both fail at run
//!   time).

use std::io::Write as _;

use femto_vm::{helpers, memory::Memory, verifier::VerifierConfig, Error, FnHelpers};

mod common;
use common::Way;

// ---------------------------------------------------------------------------------------------
// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    /// A value biased towards edge cases.
    fn value(&mut self) -> u64 {
        match self.below(8) {
            0 => self.pick(&[
                0,
                1,
                2,
                u64::MAX,
                i64::MIN as u64,
                i64::MAX as u64,
                u32::MAX as u64,
                0x8000_0000,
                0xffff_ffff_8000_0000,
                0x7fff_ffff,
                0x80,
                0xff,
                0x8000,
                0xffff,
            ]),
            1 | 2 => self.below(16),
            3 => (self.next() as i32) as u64,
            _ => self.next(),
        }
    }
    fn imm(&mut self) -> i32 {
        self.value() as i32
    }
}

// ---------------------------------------------------------------------------------------------
// Encoding.

fn insn(opcode: u8, dst: u8, src: u8, off: i16, imm: i32) -> [u8; 8] {
    let o = off.to_le_bytes();
    let i = imm.to_le_bytes();
    [opcode, (src << 4) | dst, o[0], o[1], i[0], i[1], i[2], i[3]]
}

const ALU: u8 = 0x04;
const JMP: u8 = 0x05;
const JMP32: u8 = 0x06;
const ALU64: u8 = 0x07;
const X: u8 = 0x08;
const MOV: u8 = 0xb0;

/// Data registers: r0..r8 (r9 = buffer base, r10 = stack top).
const DATA_REGS: &[u8] = &[0, 1, 2, 3, 4, 5, 6, 7, 8];
const BASE: u8 = 9;
const MEM_LEN: usize = 64;
const STACK_LEN: usize = 512;
const HELPER: i32 = 1;
const UNKNOWN_HELPER: i32 = 99;

/// A group of slots that jumps never split; `jump` marks a jump (its last slot) whose offset
/// is patched to the start of a later group.
struct Item {
    slots: Vec<[u8; 8]>,
    jump: bool,
}

fn item(slots: Vec<[u8; 8]>) -> Item {
    Item { slots, jump: false }
}

fn gen_alu(r: &mut Rng) -> Item {
    let wide = r.chance(1, 2);
    let cls = if wide { ALU64 } else { ALU };
    let dst = r.pick(DATA_REGS);
    // add sub mul div or and lsh rsh mod xor mov arsh
    let op = r.pick(&[0x00u8, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]);
    let is_shift = matches!(op, 0x60 | 0x70 | 0xc0);
    let is_div = matches!(op, 0x30 | 0x90);
    let mut slots = Vec::new();
    if r.chance(1, 2) {
        let src = r.pick(DATA_REGS);
        slots.push(insn(cls | X | op, dst, src, 0, 0));
    } else {
        let imm = if is_shift {
            r.below(if wide { 64 } else { 32 }) as i32
        } else if is_div {
            let v = r.imm();
            if v == 0 {
                1
            } else {
                v
            }
        } else {
            r.imm()
        };
        slots.push(insn(cls | op, dst, 0, 0, imm));
    }
    if !wide && matches!(op, 0x00 | 0x10 | 0x20 | 0x90) {
        slots.push(insn(ALU | X | MOV, dst, dst, 0, 0));
    }
    item(slots)
}

fn gen_misc(r: &mut Rng) -> Item {
    let dst = r.pick(DATA_REGS);
    match r.below(4) {
        0 => item(vec![insn(ALU | 0x80, dst, 0, 0, 0)]), // neg32
        1 => item(vec![insn(ALU64 | 0x40, dst, 0, 0, 1), insn(ALU64 | 0x80, dst, 0, 0, 0)]),
        2 => {
            // le / be 16, 32, 64
            let opcode = if r.chance(1, 2) { 0xd4 } else { 0xdc };
            item(vec![insn(opcode, dst, 0, 0, r.pick(&[16, 32, 64]))])
        }
        _ => {
            let v = r.value();
            item(vec![insn(0x18, dst, 0, 0, v as u32 as i32), insn(0, 0, 0, 0, (v >> 32) as u32 as i32)])
        }
    }
}

/// (size bits, width in bytes)
const SIZES: &[(u8, i64)] = &[(0x10, 1), (0x08, 2), (0x00, 4), (0x18, 8)];

/// A base register and an offset for an access of `width` bytes; with `fault`, one that
/// straddles an edge of its area.
fn address(r: &mut Rng, width: i64, fault: bool) -> (u8, i16) {
    let on_stack = r.chance(1, 2);
    let (base, lo, hi) = if on_stack {
        (10u8, -(STACK_LEN as i64), 0i64)
    } else {
        (BASE, 0, MEM_LEN as i64)
    };
    if fault && width > 1 {
        // Start strictly inside and end outside, at the low or high edge.
        let d = 1 + r.below(width as u64 - 1) as i64;
        let off = if r.chance(1, 2) { hi - width + d } else { lo - d };
        (base, off as i16)
    } else {
        let off = lo + r.below((hi - lo - width + 1) as u64) as i64;
        (base, off as i16)
    }
}

fn gen_mem(r: &mut Rng) -> Item {
    let (sz, width) = r.pick(SIZES);
    let fault = r.chance(1, 50);
    let (base, off) = address(r, width, fault);
    match r.below(3) {
        0 => item(vec![insn(0x61 | sz, r.pick(DATA_REGS), base, off, 0)]), // ldx
        1 => item(vec![insn(0x63 | sz, base, r.pick(DATA_REGS), off, 0)]), // stx
        _ => item(vec![insn(0x62 | sz, base, 0, off, r.imm())]),          // st
    }
}

fn gen_jump(r: &mut Rng) -> Item {
    if r.chance(1, 8) {
        return Item {
            slots: vec![insn(JMP, 0, 0, 0, 0)],
            jump: true,
        };
    }
    let cls = if r.chance(1, 2) { JMP } else { JMP32 };
    let op = r.pick(&[0x10u8, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]);
    let dst = r.pick(DATA_REGS);
    let slot = if r.chance(1, 2) {
        insn(cls | X | op, dst, r.pick(DATA_REGS), 0, 0)
    } else {
        insn(cls | op, dst, 0, 0, r.imm())
    };
    Item {
        slots: vec![slot],
        jump: true,
    }
}

fn gen_call(r: &mut Rng) -> Item {
    // Now and then a helper neither VM has: both must stop with an unknown-helper error.
    let id = if r.chance(1, 25) { UNKNOWN_HELPER } else { HELPER };
    let mut slots = vec![insn(JMP | 0x80, 0, 0, 0, id)];
    for reg in 1..=5 {
        slots.push(insn(ALU64 | MOV, reg, 0, 0, r.imm()));
    }
    item(slots)
}

/// Generates one program (as bytes) and its initial memory buffer.
fn generate(r: &mut Rng) -> (Vec<u8>, Vec<u8>) {
    let mut items = vec![item(vec![insn(ALU64 | X | MOV, BASE, 1, 0, 0)])];
    for &reg in DATA_REGS {
        let v = r.value();
        items.push(item(vec![
            insn(0x18, reg, 0, 0, v as u32 as i32),
            insn(0, 0, 0, 0, (v >> 32) as u32 as i32),
        ]));
    }
    let body = 5 + r.below(60);
    for _ in 0..body {
        let it = match r.below(20) {
            0..=7 => gen_alu(r),
            8..=9 => gen_misc(r),
            10..=13 => gen_mem(r),
            14..=18 => gen_jump(r),
            _ => gen_call(r),
        };
        items.push(it);
    }
    // Epilogue: fold every data register into r0, then exit.
    for &reg in &DATA_REGS[1..] {
        items.push(item(vec![insn(ALU64 | 0x20, 0, 0, 0, 31), insn(ALU64 | X, 0, reg, 0, 0)]));
    }
    items.push(item(vec![insn(JMP | 0x90, 0, 0, 0, 0)]));

    // Lay out, then patch jumps to the start of a random later item.
    let mut starts = Vec::with_capacity(items.len());
    let mut n = 0usize;
    for it in &items {
        starts.push(n);
        n += it.slots.len();
    }
    let mut prog = Vec::with_capacity(n * 8);
    for (i, it) in items.iter().enumerate() {
        let mut slots = it.slots.clone();
        if it.jump {
            let target_item = i + 1 + r.below((items.len() - i - 1) as u64) as usize;
            let last = starts[i] + slots.len() - 1;
            let off = (starts[target_item] as i64 - last as i64 - 1) as i16;
            let s = slots.last_mut().unwrap();
            s[2..4].copy_from_slice(&off.to_le_bytes());
        }
        for s in slots {
            prog.extend_from_slice(&s);
        }
    }
    let mem = (0..MEM_LEN).map(|_| r.next() as u8).collect();
    (prog, mem)
}

// ---------------------------------------------------------------------------------------------
// Running.

fn helper_value(a: [u64; 5]) -> u64 {
    a[0].wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ a[1].rotate_left(7)
        ^ a[2].wrapping_add(a[3])
        ^ a[4].wrapping_shl(3)
}

fn rbpf_helper(a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
    helper_value([a1, a2, a3, a4, a5])
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// r0 and the final buffer.
    Ok(u64, Vec<u8>),
    /// A fault, by class.
    Fault(&'static str),
}

fn classify_femto(e: &Error) -> &'static str {
    if e.is_memory_fault() {
        "memory"
    } else if matches!(e, Error::UnknownHelper { .. }) {
        "helper"
    } else {
        "other"
    }
}

/// Runs in femto-vm as written, translated (as the capsule runs it) and in
/// the compact interpreter; the three must agree exactly.
fn run_femto(prog: &[u8], mem: &[u8]) -> Result<Outcome, String> {
    let plain = run_femto_once(prog, mem, Way::Plain)?;
    let translated = run_femto_once(prog, mem, Way::Translated)?;
    if plain != translated {
        return Err(format!("translated run differs: {plain:?} vs {translated:?}"));
    }
    let compact = run_femto_once(prog, mem, Way::Compact)?;
    if plain != compact {
        return Err(format!("compact interpreter's run differs: {plain:?} vs {compact:?}"));
    }
    let (r, buf) = plain;
    Ok(match r {
        Ok(r0) => Outcome::Ok(r0, buf),
        Err(e) => Outcome::Fault(classify_femto(&e)),
    })
}

/// One run: the exact outcome and the final buffer.
fn run_femto_once(prog: &[u8], mem: &[u8], way: Way) -> Result<(Result<u64, Error>, Vec<u8>), String> {
    let mut buf = mem.to_vec();
    let mut stack = [0u8; STACK_LEN];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    memory.map_context_rw(&mut buf);
    let mut h = FnHelpers(|id: u32, args: [u64; 5], _: &mut Memory<'_>| {
        if id == HELPER as u32 {
            Ok(helper_value(args))
        } else {
            Err(helpers::unknown(id))
        }
    });
    let r = common::run_way(way, prog, &VerifierConfig::default(), &mut memory, &mut h, 100_000)
        .map_err(|e| format!("femto verifier: {e}"))?;
    drop(memory);
    Ok((r, buf))
}

fn run_rbpf(prog: &[u8], mem: &[u8]) -> Result<Outcome, String> {
    let mut vm = rbpf::EbpfVmRaw::new(Some(prog)).map_err(|e| format!("rbpf verifier: {e:?}"))?;
    vm.register_helper(HELPER as u32, rbpf_helper)
        .map_err(|e| format!("rbpf helper: {e:?}"))?;
    let mut buf = mem.to_vec();
    let r = vm.execute_program(&mut buf);
    Ok(match r {
        Ok(r0) => Outcome::Ok(r0, buf),
        Err(e) => {
            let m = format!("{e:?}");
            Outcome::Fault(if m.contains("out of bounds memory") {
                "memory"
            } else if m.contains("unknown helper") {
                "helper"
            } else {
                "other"
            })
        }
    })
}

fn hex_words(prog: &[u8]) -> String {
    prog.chunks(8)
        .enumerate()
        .map(|(i, c)| {
            let b: Vec<String> = c.iter().map(|x| format!("{x:02x}")).collect();
            format!("{i:4}: {}", b.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn femto_vm_agrees_with_rbpf_on_generated_programs() {
    let seed = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_f00d_cafe_u64);
    let count: usize = std::env::var("DIFF_PROGRAMS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(0x2545_f491_4f6c_dd1d) | 1);
    let (mut ok, mut insns) = (0usize, 0usize);
    let mut faults = std::collections::BTreeMap::<&'static str, usize>::new();
    for n in 0..count {
        let (prog, mem) = generate(&mut rng);
        insns += prog.len() / 8;
        let f = run_femto(&prog, &mem);
        let r = run_rbpf(&prog, &mem);
        match (&f, &r) {
            (Ok(a), Ok(b)) if a == b => match a {
                Outcome::Ok(..) => ok += 1,
                Outcome::Fault(class) => *faults.entry(class).or_default() += 1,
            },
            _ => panic!(
                "program {n} (seed {seed:#x}) differs:\n  femto-vm: {f:?}\n  rbpf:     {r:?}\nmemory: {mem:02x?}\nprogram:\n{}",
                hex_words(&prog)
            ),
        }
    }
    // Written to the stderr handle directly so that it shows under the test harness's capture.
    let _ = writeln!(
        std::io::stderr(),
        "differential vs rbpf: {count} programs ({insns} instruction slots): {ok} agreed on r0 and memory, faults agreed on: {faults:?}"
    );
    // The generator must exercise every outcome, or the comparison proves little.
    assert!(ok > count / 2, "too few programs ran to completion: {ok}/{count}");
    if count >= 1000 {
        assert!(faults.get("memory").is_some_and(|&n| n > 0), "no memory fault generated");
        assert!(faults.get("helper").is_some_and(|&n| n > 0), "no helper fault generated");
        assert!(!faults.contains_key("other"), "unexpected fault class: {faults:?}");
    }
}
