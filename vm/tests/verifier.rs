//! One test per verifier rule, each checking the specific error and pc.
mod common;
use common::*;
use femto_vm::{AllowList, Error, VerifierConfig};

fn v(prog: &[femto_vm::isa::Insn]) -> Result<(), Error> {
    verify(prog)
}

#[test]
fn accepts_a_minimal_program() {
    assert_eq!(v(&[mov(0, 0), exit()]), Ok(()));
}

#[test]
fn empty_oversized_and_odd_length_programs() {
    let cfg = VerifierConfig::default();
    assert_eq!(femto_vm::verify(&[], &cfg).err(), Some(Error::EmptyProgram));
    assert_eq!(femto_vm::verify(&[0x95; 12], &cfg).err(), Some(Error::TextLengthNotMultipleOf8 { len: 12 }));
    let small = VerifierConfig { max_insns: 2, ..Default::default() };
    let b = bytes(&[mov(0, 0), mov(0, 0), exit()]);
    assert_eq!(femto_vm::verify(&b, &small).err(), Some(Error::ProgramTooLarge { insns: 3, max: 2 }));
}

#[test]
fn unknown_opcodes() {
    for op in [0x00u8, 0x20, 0x28, 0x30, 0x40, 0x8c, 0x8f, 0xdf, 0xe7, 0xf4, 0xe5, 0xf5, 0x86, 0x96, 0x0d, 0x9d, 0x99, 0xb8, 0xd8, 0xe3, 0x7c | 0x80, 0x0e] {
        let r = v(&[i(op, 0, 0, 0, 0), exit()]);
        assert_eq!(r, Err(Error::UnknownOpcode { pc: 0, opcode: op }), "opcode {op:#x}");
    }
}

#[test]
fn nonzero_reserved_fields() {
    let cases = [
        i(0x07, 0, 1, 0, 1),  // add64 imm with src
        i(0x07, 0, 0, 1, 1),  // add64 imm with offset
        i(0x0f, 0, 1, 0, 1),  // add64 reg with imm
        i(0x0f, 0, 1, 1, 0),  // add64 reg with offset
        i(0x04, 0, 0, 2, 1),  // add32 imm with offset
        i(0x37, 0, 0, 2, 1),  // div with offset 2
        i(0xb7, 0, 0, 8, 1),  // mov imm with offset
        i(0xbf, 0, 1, 7, 0),  // movsx with offset 7
        i(0xbc, 0, 1, 32, 0), // movsx32 with offset 32
        i(0x87, 0, 0, 0, 1),  // neg with imm
        i(0x87, 0, 1, 0, 0),  // neg with src
        i(0x87, 0, 0, 1, 0),  // neg with offset
        i(0xd4, 0, 1, 0, 16), // le16 with src
        i(0xdc, 0, 0, 1, 16), // be16 with offset
        i(0x05, 1, 0, 0, 0),  // ja with dst
        i(0x05, 0, 1, 0, 0),  // ja with src
        i(0x05, 0, 0, 0, 1),  // ja with imm
        i(0x06, 0, 0, 1, 0),  // gotol with offset
        i(0x15, 0, 1, 0, 0),  // jeq imm with src
        i(0x1d, 0, 1, 0, 1),  // jeq reg with imm
        i(0x85, 1, 0, 0, 5),  // call with dst
        i(0x85, 0, 0, 1, 5),  // call with offset
        i(0x85, 0, 2, 0, 5),  // call src 2 (BTF id)
        i(0x95, 1, 0, 0, 0),  // exit with dst
        i(0x95, 0, 0, 0, 1),  // exit with imm
        i(0x95, 0, 0, 1, 0),  // exit with offset
        i(0x95, 0, 1, 0, 0),  // exit with src
        i(0x79, 0, 1, 0, 1),  // ldxdw with imm
        i(0x7a, 1, 2, 0, 1),  // stdw with src
        i(0x7b, 1, 2, 0, 1),  // stxdw with imm
        i(0x8d, 1, 1, 0, 0),  // callx with src
    ];
    for insn in cases {
        let r = v(&[insn, mov(0, 0), exit()]);
        assert_eq!(r, Err(Error::NonzeroReservedField { pc: 0, opcode: insn.opcode }), "{insn:?}");
    }
    // lddw second slot must be empty apart from imm, and lddw has no src/offset
    let [a, mut b] = lddw(1, 5);
    b.dst = 1;
    assert_eq!(v(&[a, b, exit()]), Err(Error::NonzeroReservedField { pc: 1, opcode: 0 }));
    let [mut a, b] = lddw(1, 5);
    a.src = 1; // map-fd pseudo loads are not supported
    assert_eq!(v(&[a, b, exit()]), Err(Error::NonzeroReservedField { pc: 0, opcode: 0x18 }));
}

#[test]
fn registers_above_10() {
    assert_eq!(v(&[i(0xb7, 11, 0, 0, 0), exit()]), Err(Error::InvalidRegister { pc: 0, reg: 11 }));
    assert_eq!(v(&[mov(0, 0), i(0xbf, 0, 15, 0, 0), exit()]), Err(Error::InvalidRegister { pc: 1, reg: 15 }));
    assert_eq!(v(&[i(0x79, 0, 12, 0, 0), exit()]), Err(Error::InvalidRegister { pc: 0, reg: 12 }));
}

#[test]
fn writes_to_r10() {
    assert_eq!(v(&[mov(10, 0), exit()]), Err(Error::WriteToR10 { pc: 0 }));
    assert_eq!(v(&[mov(0, 0), i(0x07, 10, 0, 0, 8), exit()]), Err(Error::WriteToR10 { pc: 1 }));
    assert_eq!(v(&[i(0x79, 10, 1, 0, 0), exit()]), Err(Error::WriteToR10 { pc: 0 }));
    assert_eq!(v(&[i(0xd4, 10, 0, 0, 16), exit()]), Err(Error::WriteToR10 { pc: 0 }));
    let [a, b] = lddw(10, 1);
    assert_eq!(v(&[a, b, exit()]), Err(Error::WriteToR10 { pc: 0 }));
    // atomic fetch writes its src register
    assert_eq!(v(&[i(0xdb, 1, 10, 0, 0x01), exit()]), Err(Error::WriteToR10 { pc: 0 }));
    assert_eq!(v(&[i(0xdb, 1, 10, 0, 0xe1), exit()]), Err(Error::WriteToR10 { pc: 0 }));
    // reading r10 and storing through it are fine
    assert_eq!(v(&[movr(1, 10), i(0x7b, 10, 1, -8, 0), i(0xdb, 10, 1, -8, 0), mov(0, 0), exit()]), Ok(()));
}

#[test]
fn jump_targets_outside_the_program() {
    assert_eq!(v(&[i(0x05, 0, 0, 1, 0), exit()]), Err(Error::JumpOutOfBounds { pc: 0, target: 2 }));
    assert_eq!(v(&[i(0x05, 0, 0, -2, 0), exit()]), Err(Error::JumpOutOfBounds { pc: 0, target: -1 }));
    assert_eq!(v(&[mov(0, 0), i(0x15, 0, 0, 5, 0), exit()]), Err(Error::JumpOutOfBounds { pc: 1, target: 7 }));
    assert_eq!(v(&[i(0x06, 0, 0, 0, i32::MAX), exit()]), Err(Error::JumpOutOfBounds { pc: 0, target: i32::MAX as i64 + 1 }));
    assert_eq!(v(&[i(0x85, 0, 1, 0, -2), exit()]), Err(Error::JumpOutOfBounds { pc: 0, target: -1 }));
    // the boundaries: to instruction 0 and to the last instruction are fine
    assert_eq!(v(&[mov(0, 0), i(0x15, 0, 0, -2, 1), i(0x05, 0, 0, 0, 0), exit()]), Ok(()));
}

#[test]
fn jumps_and_calls_into_the_second_slot_of_lddw() {
    let [a, b] = lddw(0, 1);
    assert_eq!(v(&[i(0x05, 0, 0, 1, 0), a, b, exit()]), Err(Error::JumpIntoLddw { pc: 0, target: 2 }));
    assert_eq!(v(&[mov(0, 0), i(0x85, 0, 1, 0, 1), a, b, exit()]), Err(Error::JumpIntoLddw { pc: 1, target: 3 }));
    assert_eq!(v(&[a, b, i(0x1d, 0, 0, -2, 0), exit()]), Err(Error::JumpIntoLddw { pc: 2, target: 1 }));
    assert_eq!(v(&[i(0x05, 0, 0, 0, 0), a, b, exit()]), Ok(()));
}

#[test]
fn lddw_without_its_second_slot() {
    let [a, _] = lddw(0, 1);
    assert_eq!(v(&[exit(), a]), Err(Error::IncompleteLddw { pc: 1 }));
}

#[test]
fn helper_allow_list() {
    let b = bytes(&[i(0x85, 0, 0, 0, 0x10), i(0x85, 0, 0, 0, 0x20), exit()]);
    let ids = [0x10u32];
    let cfg = VerifierConfig { helpers: AllowList::Ids(&ids), ..Default::default() };
    assert_eq!(femto_vm::verify(&b, &cfg).err(), Some(Error::HelperNotAllowed { pc: 1, helper: 0x20 }));
    let le = [0x10, 0, 0, 0, 0x20, 0, 0, 0];
    let cfg = VerifierConfig { helpers: AllowList::LeBytes(&le), ..Default::default() };
    assert!(femto_vm::verify(&b, &cfg).is_ok());
    let cfg = VerifierConfig { helpers: AllowList::Ids(&[]), allow_callx: false, ..Default::default() };
    let bx = bytes(&[i(0x8d, 1, 0, 0, 0), exit()]);
    assert_eq!(femto_vm::verify(&bx, &cfg).err(), Some(Error::UnknownOpcode { pc: 0, opcode: 0x8d }));
}

#[test]
fn shift_immediates_out_of_range() {
    assert_eq!(v(&[i(0x67, 0, 0, 0, 64), exit()]), Err(Error::ShiftOutOfRange { pc: 0, imm: 64 }));
    assert_eq!(v(&[i(0x77, 0, 0, 0, -1), exit()]), Err(Error::ShiftOutOfRange { pc: 0, imm: -1 }));
    assert_eq!(v(&[i(0x64, 0, 0, 0, 32), exit()]), Err(Error::ShiftOutOfRange { pc: 0, imm: 32 }));
    assert_eq!(v(&[i(0xc4, 0, 0, 0, 32), exit()]), Err(Error::ShiftOutOfRange { pc: 0, imm: 32 }));
    assert_eq!(v(&[i(0x67, 0, 0, 0, 63), i(0x64, 0, 0, 0, 31), exit()]), Ok(()));
}

#[test]
fn invalid_immediates() {
    assert_eq!(v(&[i(0xd4, 0, 0, 0, 8), exit()]), Err(Error::InvalidImmediate { pc: 0, imm: 8 }));
    assert_eq!(v(&[i(0xd7, 0, 0, 0, 48), exit()]), Err(Error::InvalidImmediate { pc: 0, imm: 48 }));
    assert_eq!(v(&[i(0xdb, 1, 2, 0, 0x02), exit()]), Err(Error::InvalidImmediate { pc: 0, imm: 2 }));
    assert_eq!(v(&[i(0xc3, 1, 2, 0, 0xf0), exit()]), Err(Error::InvalidImmediate { pc: 0, imm: 0xf0 }));
}

#[test]
fn last_instruction_must_not_fall_through() {
    assert_eq!(v(&[mov(0, 0)]), Err(Error::FallThroughEnd { pc: 0 }));
    assert_eq!(v(&[mov(0, 0), i(0x15, 0, 0, -2, 0)]), Err(Error::FallThroughEnd { pc: 1 }));
    assert_eq!(v(&[i(0x85, 0, 1, 0, -1)]), Err(Error::FallThroughEnd { pc: 0 }));
    assert_eq!(v(&[i(0x85, 0, 0, 0, 5)]), Err(Error::FallThroughEnd { pc: 0 }));
    let [a, b] = lddw(0, 1);
    assert_eq!(v(&[a, b]), Err(Error::FallThroughEnd { pc: 0 }));
    // ending in a jump is fine
    assert_eq!(v(&[exit(), i(0x05, 0, 0, -2, 0)]), Ok(()));
    assert_eq!(v(&[exit(), i(0x06, 0, 0, 0, -2)]), Ok(()));
}

#[test]
fn strict_mode_allows_forward_jumps_only() {
    let strict = VerifierConfig { strict: true, ..Default::default() };
    let back = bytes(&[mov(0, 0), i(0x55, 0, 0, -2, 0), exit()]);
    assert_eq!(femto_vm::verify(&back, &strict).err(), Some(Error::BackwardJump { pc: 1, target: 0 }));
    assert!(femto_vm::verify(&back, &VerifierConfig::default()).is_ok());
    let selfloop = bytes(&[i(0x05, 0, 0, -1, 0), exit()]);
    assert_eq!(femto_vm::verify(&selfloop, &strict).err(), Some(Error::BackwardJump { pc: 0, target: 0 }));
    let rec = bytes(&[i(0x85, 0, 1, 0, -1), exit()]);
    assert_eq!(femto_vm::verify(&rec, &strict).err(), Some(Error::BackwardJump { pc: 0, target: 0 }));
    let fwd = bytes(&[i(0x15, 0, 0, 1, 0), mov(0, 1), i(0x85, 0, 1, 0, 1), exit(), exit()]);
    assert!(femto_vm::verify(&fwd, &strict).is_ok());
}

#[test]
fn rbf_pseudo_opcodes_need_the_flag() {
    let p = bytes(&[i(0xb8, 1, 0, 0, 4), i(0, 0, 0, 0, 0), i(0xd8, 2, 0, 0, 0), i(0, 0, 0, 0, 0), exit()]);
    assert_eq!(femto_vm::verify(&p, &VerifierConfig::default()).err(), Some(Error::UnknownOpcode { pc: 0, opcode: 0xb8 }));
    let cfg = VerifierConfig { rbf_pseudo_opcodes: true, ..Default::default() };
    assert!(femto_vm::verify(&p, &cfg).is_ok());
}

#[test]
fn every_valid_opcode_is_accepted() {
    // A representative of every opcode the interpreter implements.
    let alu: &[u8] = &[0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
    let mut prog = vec![];
    for &op in alu {
        for class in [0x04u8, 0x07] {
            prog.push(i(op | class, 1, 0, 0, 3));
            prog.push(i(op | class | 0x08, 1, 2, 0, 0));
        }
    }
    prog.extend([i(0x84, 1, 0, 0, 0), i(0x87, 1, 0, 0, 0), i(0xd4, 1, 0, 0, 16), i(0xdc, 1, 0, 0, 32), i(0xd7, 1, 0, 0, 64)]);
    for op in [0x61u8, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91] {
        prog.push(i(op, 1, 10, -8, 0));
    }
    for op in [0x62u8, 0x6a, 0x72, 0x7a] {
        prog.push(i(op, 10, 0, -8, 1));
    }
    for op in [0x63u8, 0x6b, 0x73, 0x7b] {
        prog.push(i(op, 10, 1, -8, 0));
    }
    for imm in [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1] {
        prog.push(i(0xc3, 10, 1, -8, imm));
        prog.push(i(0xdb, 10, 1, -8, imm));
    }
    for op in [0x10u8, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0] {
        for class in [0x05u8, 0x06] {
            prog.push(i(op | class, 1, 0, 0, 1));
            prog.push(i(op | class | 0x08, 1, 2, 0, 0));
        }
    }
    prog.extend([i(0x05, 0, 0, 0, 0), i(0x06, 0, 0, 0, 0), i(0x85, 0, 0, 0, 5), i(0x8d, 1, 0, 0, 0)]);
    prog.extend(lddw(3, 1));
    prog.push(exit());
    assert_eq!(v(&prog), Ok(()));
}

#[test]
fn out_of_range_shifts_can_be_allowed_and_are_then_masked() {
    let cfg = VerifierConfig { reject_out_of_range_shifts: false, ..Default::default() };
    let prog = [mov(0, 1), i(0x67, 0, 0, 0, 68), exit()];
    assert_eq!(run_cfg(&prog, &mut [], 10, &cfg), Ok(16));
    let prog = [mov(0, 1), i(0x64, 0, 0, 0, -1), exit()];
    assert_eq!(run_cfg(&prog, &mut [], 10, &cfg), Ok(0x8000_0000));
}

#[test]
fn the_set_of_known_opcodes_is_exactly_rfc_9669s() {
    // Written out by hand from RFC 9669 (the verifier derives its table from rules).
    let mut known: Vec<u8> = vec![0x18, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a];
    known.extend([0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb]);
    for code in (0x00..=0xd0).step_by(0x10) {
        known.extend([code | 0x04, code | 0x07]); // ALU / ALU64, K
        if code != 0x80 {
            known.push(code | 0x0c); // ALU, X (no neg)
        }
        if code != 0x80 && code != 0xd0 {
            known.push(code | 0x0f); // ALU64, X (no neg, no 64-bit "to BE")
        }
    }
    known.extend([0x05, 0x06, 0x85, 0x8d, 0x95]);
    for code in [0x10u8, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0] {
        known.extend([code | 0x05, code | 0x0d, code | 0x06, code | 0x0e]);
    }
    let default = VerifierConfig::default();
    let no_callx = VerifierConfig { allow_callx: false, ..Default::default() };
    let rbf = VerifierConfig { rbf_pseudo_opcodes: true, ..Default::default() };
    for op in 0..=255u8 {
        let text = [op, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0];
        let unknown = |cfg: &VerifierConfig<'_>| {
            femto_vm::verify(&text, cfg).err() == Some(Error::UnknownOpcode { pc: 0, opcode: op })
        };
        assert_eq!(unknown(&default), !known.contains(&op), "opcode {op:#04x}");
        assert_eq!(unknown(&no_callx), !known.contains(&op) || op == 0x8d, "opcode {op:#04x} without callx");
        assert_eq!(unknown(&rbf), !known.contains(&op) && op != 0xb8 && op != 0xd8, "opcode {op:#04x} with rBPF");
    }
}
