//! Hostile input: random instruction streams and random images must never
//! panic or hang — neither in the verifier nor in the interpreter, even when
//! the interpreter runs text the verifier never saw
//! (`Program::assume_verified`: memory safety must not depend on the verifier).
mod common;
use common::*;
use femto_vm::isa::Insn;
use femto_vm::{Error, Image, Memory, Program, Region, VerifierConfig};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A plausible-looking random instruction: valid opcodes most of the time,
/// registers 0..=15, small or extreme offsets and immediates.
fn random_insn(r: &mut Rng) -> Insn {
    const OPS: &[u8] = &[
        0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x57, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97,
        0x9f, 0xa7, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7, 0x04, 0x0c, 0x34, 0x3c, 0x94, 0x9c, 0xb4, 0xbc, 0xd4,
        0xdc, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b,
        0xc3, 0xdb, 0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x55, 0x5d, 0x65, 0xa5, 0xc5, 0xd6, 0x16, 0x85,
        0x8d, 0x95, 0x18, 0xb8, 0xd8, 0x00,
    ];
    let x = r.next();
    let op = if x & 7 == 0 { (x >> 8) as u8 } else { OPS[(x >> 8) as usize % OPS.len()] };
    let regs = (x >> 16) as u8;
    let (dst, src) = if x & 0x18 == 0 { (regs & 0xf, regs >> 4) } else { ((regs & 0xf) % 11, (regs >> 4) % 11) };
    let off = match (x >> 24) & 3 {
        0 => ((x >> 32) as i16) % 4,
        1 => -((x >> 32) as i16 % 600).abs(),
        2 => (x >> 32) as i16,
        _ => 0,
    };
    let imm = match (x >> 26) & 3 {
        0 => ((x >> 40) as i32) % 70,
        1 => (x >> 40) as i32,
        2 => [0, 1, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 16, 32, 64, 5][(x >> 40) as usize % 14],
        _ => 0,
    };
    i(op, dst, src, off, imm)
}

/// Runs unverified `text` in both interpreters; the result of the main one.
/// On a text the verifier accepted they must agree (see `common::run_cfg`);
/// here only the cases a test names are required to agree, since the main
/// interpreter gives meaning to bytes that are not eBPF opcodes (its
/// translated forms) where the compact one refuses them.
fn run_unverified(text: &[u8], seed: u64) -> Result<u64, Error> {
    run_unverified_in(text, seed, false)
}

/// The same in both interpreters, required to agree.
fn run_unverified_both(text: &[u8], seed: u64) -> Result<u64, Error> {
    let main = run_unverified_in(text, seed, false);
    assert_eq!(run_unverified_in(text, seed, true), main, "the compact interpreter differs");
    main
}

fn run_unverified_in(text: &[u8], seed: u64, compact: bool) -> Result<u64, Error> {
    let cfg = VerifierConfig { rbf_pseudo_opcodes: seed & 1 == 0, ..Default::default() };
    let p = Program::assume_verified(text, &cfg);
    let mut stack = [0u8; 1024];
    let mut ctx = [0u8; 64];
    let mut data = [0u8; 16];
    let rodata = [1u8; 16];
    let mut extra = [0u8; 8];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    m.map_context_rw(&mut ctx);
    m.map_data(&mut data);
    m.map_rodata(&rodata);
    m.map_extra(Region::ReadWrite(&mut extra)).unwrap();
    if compact {
        femto_vm::compact::run(&p, 0, &mut m, &mut test_helpers(), 2_000)
    } else {
        p.run(0, &mut m, &mut test_helpers(), 2_000)
    }
}

/// Clears the fields an instruction does not use and keeps jumps inside the
/// program, so that a good share of random programs pass the verifier.
fn sanitize(insn: &mut Insn, pc: usize, len: usize) {
    let class = insn.opcode & 7;
    let x = insn.opcode & 0x08 != 0;
    match class {
        4 | 7 => {
            if x { insn.imm = 0 } else { insn.src = 0 }
            insn.offset = match insn.opcode & 0xf0 {
                0x30 | 0x90 => insn.offset & 1,
                0xb0 if x => [0, 8, 16][insn.offset.unsigned_abs() as usize % 3],
                _ => 0,
            };
            if matches!(insn.opcode & 0xf0, 0x60 | 0x70 | 0xc0) && !x {
                insn.imm = insn.imm.rem_euclid(if class == 7 { 64 } else { 32 });
            }
            if insn.opcode & 0xf0 == 0xd0 {
                insn.src = 0;
                insn.imm = [16, 32, 64][insn.imm.unsigned_abs() as usize % 3];
            }
            if insn.opcode & 0xf0 == 0x80 {
                insn.imm = 0;
            }
            insn.dst %= 10;
        }
        5 | 6 => {
            if x { insn.imm = 0 } else { insn.src = 0 }
            let room = (len - pc - 1) as i16;
            insn.offset = if room > 0 { insn.offset.rem_euclid(room) } else { 0 };
            if insn.opcode == 0x85 {
                insn.src = 0;
                insn.dst = 0;
                insn.offset = 0;
                insn.imm = 5;
            }
        }
        1 => { insn.imm = 0; insn.dst %= 10 }
        2 => insn.src = 0,
        3 if insn.opcode & 0xe0 == 0x60 => insn.imm = 0,
        _ => {}
    }
}

#[test]
fn random_programs_never_panic_verified_or_not() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    let (mut accepted, mut ran_ok, mut compact_ok) = (0, 0, 0);
    for n in 0..20_000u64 {
        let len = 1 + (r.next() % 24) as usize;
        let mut prog: Vec<Insn> = (0..len).map(|_| random_insn(&mut r)).collect();
        if n % 2 == 0 {
            prog.push(exit());
            let total = prog.len();
            if n % 4 == 0 {
                for (pc, insn) in prog.iter_mut().enumerate() {
                    sanitize(insn, pc, total);
                }
            }
        }
        let text = bytes(&prog);
        if femto_vm::verify(&text, &VerifierConfig::default()).is_ok() {
            accepted += 1;
        }
        if run_unverified(&text, n).is_ok() {
            ran_ok += 1;
        }
        // The compact interpreter on the same text: it must not panic either.
        if run_unverified_in(&text, n, true).is_ok() {
            compact_ok += 1;
        }
    }
    // The generator must exercise both paths (otherwise this test proves nothing).
    eprintln!("{accepted} of 20000 random programs verified, {ran_ok} ran to exit ({compact_ok} in the compact interpreter)");
    assert!(accepted > 500, "only {accepted} programs verified");
    assert!(ran_ok > 500, "only {ran_ok} programs ran to exit");
    assert!(compact_ok > 500, "only {compact_ok} programs ran to exit in the compact interpreter");
}

#[test]
fn random_bytes_as_program_and_as_image() {
    let mut r = Rng(42);
    for _ in 0..5_000 {
        let len = (r.next() % 200) as usize;
        let b: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
        let _ = femto_vm::verify(&b, &VerifierConfig::default());
        let _ = run_unverified(&b[..b.len() / 8 * 8], 0);
        let mut img = b.clone();
        if img.len() >= 4 {
            img[..4].copy_from_slice(if r.next() & 1 == 0 { b"FEMC" } else { b"FPBr" });
        }
        if let Ok(image) = Image::parse(&img) {
            let _ = image.verify();
            let _ = image.functions().count();
        }
    }
}

#[test]
fn write_to_r10_in_unverified_text_stays_inside_the_vm() {
    // The verifier rejects it ...
    let prog = [mov(10, 0), i(0x7a, 10, 0, 0, 1), exit()];
    assert_eq!(verify(&prog), Err(Error::WriteToR10 { pc: 0 }));
    // ... and if a host skips verification, the store through the bogus r10 still faults.
    assert!(matches!(run_unverified_both(&bytes(&prog), 1), Err(Error::OutOfBounds { pc: 1, addr: 0, .. })));
}

#[test]
fn jump_into_lddw_in_unverified_text_cannot_execute_the_immediate() {
    // The second slot's imm encodes `exit` with an opcode-0 slot: executing it is an unknown opcode.
    let [a, b] = lddw(0, 0x95);
    let prog = [i(0x05, 0, 0, 1, 0), a, b, exit()];
    assert_eq!(verify(&prog), Err(Error::JumpIntoLddw { pc: 0, target: 2 }));
    assert_eq!(run_unverified_both(&bytes(&prog), 1), Err(Error::UnknownOpcode { pc: 2, opcode: 0 }));
}

#[test]
fn running_off_the_end_of_unverified_text_is_an_error() {
    assert_eq!(run_unverified_both(&bytes(&[mov(0, 1)]), 1), Err(Error::PcOutOfBounds { pc: 1 }));
    assert_eq!(run_unverified_both(&bytes(&[i(0x05, 0, 0, -3, 0)]), 1), Err(Error::PcOutOfBounds { pc: -2i32 as u32 }));
    // The last byte value: an unknown opcode in an unverified text.
    assert_eq!(run_unverified_both(&bytes(&[mov(0, 1), i(0xff, 0, 0, 0, 0)]), 1), Err(Error::UnknownOpcode { pc: 1, opcode: 0xff }));
}

#[test]
fn missing_or_tiny_stack() {
    let b = bytes(&[mov(0, 1), exit()]);
    let p = femto_vm::verify(&b, &VerifierConfig::default()).unwrap();
    let mut m = Memory::new();
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 1), Err(Error::StackTooSmall { needed: 512, actual: 0 }));
    let mut small = [0u8; 511];
    m.map_stack(&mut small);
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 1), Err(Error::StackTooSmall { needed: 512, actual: 511 }));
}

#[test]
fn unverified_text_cannot_bypass_the_helper_allow_list_or_the_rbf_switch() {
    let ids = [5u32];
    let cfg = VerifierConfig { helpers: femto_vm::AllowList::Ids(&ids), ..Default::default() };
    let text = bytes(&[i(0x85, 0, 0, 0, 6), exit()]);
    assert_eq!(femto_vm::verify(&text, &cfg).err(), Some(Error::HelperNotAllowed { pc: 0, helper: 6 }));
    let p = Program::assume_verified(&text, &cfg);
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 10), Err(Error::HelperNotAllowed { pc: 0, helper: 6 }));
    assert_eq!(
        femto_vm::compact::run(&p, 0, &mut m, &mut test_helpers(), 10),
        Err(Error::HelperNotAllowed { pc: 0, helper: 6 })
    );
    // LDDWD is executed only when the program was set up for rBPF images.
    let text = bytes(&[i(0xb8, 0, 0, 0, 0), i(0, 0, 0, 0, 0), exit()]);
    let p = Program::assume_verified(&text, &VerifierConfig::default());
    assert_eq!(p.run(0, &mut m, &mut test_helpers(), 10), Err(Error::UnknownOpcode { pc: 0, opcode: 0xb8 }));
    assert_eq!(
        femto_vm::compact::run(&p, 0, &mut m, &mut test_helpers(), 10),
        Err(Error::UnknownOpcode { pc: 0, opcode: 0xb8 })
    );
}
