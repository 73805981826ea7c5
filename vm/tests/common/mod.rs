//! Shared helpers for femto-vm's tests: building programs and running them.
#![allow(dead_code)]

use femto_vm::helpers::{unknown, FnHelpers};
use femto_vm::isa::Insn;
use femto_vm::{Error, Helpers, Memory, Program, VerifierConfig};

/// One instruction slot.
pub fn i(op: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(op, dst, src, off, imm)
}

/// `exit`
pub fn exit() -> Insn {
    i(0x95, 0, 0, 0, 0)
}

/// `mov64 dst, imm`
pub fn mov(dst: u8, imm: i32) -> Insn {
    i(0xb7, dst, 0, 0, imm)
}

/// `mov64 dst, src`
pub fn movr(dst: u8, src: u8) -> Insn {
    i(0xbf, dst, src, 0, 0)
}

/// `lddw dst, value` (two slots)
pub fn lddw(dst: u8, value: u64) -> [Insn; 2] {
    [i(0x18, dst, 0, 0, value as u32 as i32), i(0, 0, 0, 0, (value >> 32) as u32 as i32)]
}

/// Encodes instructions into program bytes.
pub fn bytes(prog: &[Insn]) -> Vec<u8> {
    prog.iter().flat_map(|x| x.encode()).collect()
}

/// Verifies with the default configuration.
pub fn verify(prog: &[Insn]) -> Result<(), Error> {
    let b = bytes(prog);
    femto_vm::verify(&b, &VerifierConfig::default()).map(|_| ())
}

/// The conformance-style helper set: helper 5 returns r1; helper 6 writes
/// 8 bytes of `0xAB` at the pointer in r1 and fails the run on a bad pointer.
pub fn test_helpers() -> FnHelpers<impl FnMut(u32, [u64; 5], &mut Memory<'_>) -> Result<u64, Error>> {
    FnHelpers(|id, a: [u64; 5], m: &mut Memory<'_>| match id {
        5 => Ok(a[0]),
        6 => {
            m.write(a[0], &[0xab; 8])?;
            Ok(0)
        }
        7 => Err(Error::helper_failed(7, -22)),
        _ => Err(unknown(id)),
    })
}

/// Runs a program with an 8-frame stack, `mem` as read-write context and a fuel of 10 000.
pub fn run_mem(prog: &[Insn], mem: &mut [u8]) -> Result<u64, Error> {
    run_cfg(prog, mem, 10_000, &VerifierConfig::default())
}

/// Runs a program with no context.
pub fn run(prog: &[Insn]) -> Result<u64, Error> {
    run_mem(prog, &mut [])
}

/// Runs with an explicit fuel and configuration.
///
/// Every program runs three times: as written, translated (see
/// `femto_vm::translate`) and as written in the compact interpreter
/// (`femto_vm::compact`), each on its own copy of `mem` and a fresh stack;
/// the runs must agree on the outcome (result or exact error), on the
/// context memory and on the stack afterwards. `mem` ends as the translated
/// run left it.
pub fn run_cfg(prog: &[Insn], mem: &mut [u8], fuel: u64, cfg: &VerifierConfig<'_>) -> Result<u64, Error> {
    let b = bytes(prog);
    let mut plain_mem = mem.to_vec();
    let (plain, plain_stack) = run_once(&b, &mut plain_mem, fuel, cfg, Way::Plain)?;
    let mut compact_mem = mem.to_vec();
    let (compact, compact_stack) = run_once(&b, &mut compact_mem, fuel, cfg, Way::Compact)?;
    let (translated, translated_stack) = run_once(&b, mem, fuel, cfg, Way::Translated)?;
    assert_eq!(plain, translated, "translated run differs from the plain run");
    assert_eq!(&plain_mem[..], &mem[..], "translated run left different context memory");
    assert!(plain_stack == translated_stack, "translated run left a different stack");
    assert_eq!(plain, compact, "compact interpreter's run differs from the plain run");
    assert_eq!(plain_mem, compact_mem, "compact interpreter left different context memory");
    assert!(plain_stack == compact_stack, "compact interpreter left a different stack");
    plain
}

/// How a test runs a program.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// As written, in the main interpreter.
    Plain,
    /// Translated, in the main interpreter.
    Translated,
    /// As written, in the compact interpreter.
    Compact,
}

/// Verifies `text` with `cfg` (translating a copy of it for
/// [`Way::Translated`]) and runs it from slot 0 over `memory` the given way:
/// `Err` if the verifier rejects it, else the run's outcome.
pub fn run_way<H: Helpers>(
    way: Way,
    text: &[u8],
    cfg: &VerifierConfig<'_>,
    memory: &mut Memory<'_>,
    helpers: &mut H,
    fuel: u64,
) -> Result<Result<u64, Error>, Error> {
    let mut translated = text.to_vec();
    let program = match way {
        Way::Translated => femto_vm::verify_translated(&mut translated, cfg)?,
        Way::Plain | Way::Compact => Program::verify(text, cfg)?,
    };
    Ok(match way {
        Way::Compact => femto_vm::compact::run(&program, 0, memory, helpers, fuel),
        Way::Plain | Way::Translated => program.run(0, memory, helpers, fuel),
    })
}

/// One run; `Err` if the program is rejected, else the outcome and the stack.
fn run_once(
    b: &[u8],
    mem: &mut [u8],
    fuel: u64,
    cfg: &VerifierConfig<'_>,
    way: Way,
) -> Result<(Result<u64, Error>, Vec<u8>), Error> {
    let mut stack = vec![0u8; 512 * 8];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    if !mem.is_empty() {
        memory.map_context_rw(mem);
    }
    let r = run_way(way, b, cfg, &mut memory, &mut test_helpers(), fuel)?;
    drop(memory);
    Ok((r, stack))
}
