//! The public API around the interpreter: tracing, error helpers, region
//! bookkeeping, helper tables.
mod common;
use common::*;
use femto_vm::helpers::{unknown, HelperFn};
use femto_vm::memory::{REGION_CONTEXT, REGION_STACK};
use femto_vm::{
    run_traced, Access, Error, HelperTable, InsnCounter, Memory, NoHelpers, Region, Tracer, VerifierConfig,
};

#[test]
fn insn_counter_counts_executed_instructions() {
    // mov, then 10 x (add, jlt), then exit
    let prog = [mov(0, 0), i(0x07, 0, 0, 0, 1), i(0xa5, 0, 0, -2, 10), exit()];
    let b = bytes(&prog);
    let p = femto_vm::verify(&b, &VerifierConfig::default()).unwrap();
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    let mut c = InsnCounter::default();
    assert_eq!(run_traced(&p, 0, &mut m, &mut NoHelpers, 100, &mut c), Ok(10));
    assert_eq!(c.count, 1 + 10 * 2 + 1);
}

struct Recorder(Vec<(usize, u8, u64)>);
impl Tracer for Recorder {
    fn step(&mut self, pc: usize, insn: &[u8; 8], regs: &[u64; 16]) {
        self.0.push((pc, insn[0], regs[0]));
    }
}

#[test]
fn tracer_sees_pc_opcode_and_registers_before_each_instruction() {
    let [a, b2] = lddw(0, 7);
    let prog = [a, b2, i(0x07, 0, 0, 0, 1), exit()];
    let b = bytes(&prog);
    let p = femto_vm::verify(&b, &VerifierConfig::default()).unwrap();
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    let mut r = Recorder(vec![]);
    assert_eq!(run_traced(&p, 0, &mut m, &mut NoHelpers, 100, &mut r), Ok(8));
    assert_eq!(r.0, vec![(0, 0x18, 0), (2, 0x07, 7), (3, 0x95, 8)]);
}

#[test]
fn error_pc_and_classification() {
    assert_eq!(Error::WriteToR10 { pc: 3 }.pc(), Some(3));
    assert_eq!(Error::BadMagic.pc(), None);
    assert!(Error::BadMagic.is_image_error());
    assert!(Error::EmptyProgram.is_verifier_error());
    let f = Error::OutOfBounds { pc: 0, addr: 8, len: 4, access: Access::Load };
    assert!(f.is_memory_fault());
    assert_eq!(f.at_pc(9).pc(), Some(9));
    assert_eq!(Error::helper_failed(3, -1).at_pc(4), Error::HelperFailed { pc: 4, helper: 3, code: -1 });
    assert_eq!(Error::WriteToR10 { pc: 3 }.at_pc(9), Error::WriteToR10 { pc: 3 });
    // every variant's message names its location
    let s = Error::JumpIntoLddw { pc: 5, target: 7 }.to_string();
    assert!(s.contains("pc 5") && s.contains('7'), "{s}");
    let s = Error::PermissionDenied { pc: 2, addr: 0x4_0000_0000, len: 1, access: Access::Store }.to_string();
    assert!(s.contains("pc 2") && s.contains("0x400000000") && s.contains("Store"), "{s}");
}

#[test]
fn region_bookkeeping() {
    let mut stack = [0u8; 16];
    let ctx = [0u8; 4];
    let mut m = Memory::new();
    assert!(!m.is_mapped(REGION_STACK));
    m.map_stack(&mut stack);
    m.map_context_ro(&ctx);
    assert!(m.is_mapped(REGION_STACK) && m.is_writable(REGION_STACK));
    assert!(m.is_mapped(REGION_CONTEXT) && !m.is_writable(REGION_CONTEXT));
    assert_eq!(m.region_len(REGION_CONTEXT), 4);
    m.unmap(REGION_CONTEXT);
    assert!(!m.is_mapped(REGION_CONTEXT));
    assert_eq!(m.region_len(REGION_CONTEXT), 0);
    assert!(m.slice(femto_vm::vaddr(REGION_CONTEXT, 0), 1).is_err());
    assert!(!m.is_mapped(99) && m.region_len(99) == 0);
    // extra regions: three slots, then full
    let (mut a, mut b, mut c) = ([0u8; 1], [0u8; 1], [0u8; 1]);
    m.map_extra(Region::ReadWrite(&mut a)).unwrap();
    m.map_extra(Region::ReadWrite(&mut b)).unwrap();
    m.map_extra(Region::ReadWrite(&mut c)).unwrap();
    assert!(matches!(m.map_extra(Region::ReadOnly(&[])), Err(Error::RegionUnavailable { .. })));
}

fn add(args: [u64; 5], _m: &mut Memory<'_>) -> Result<u64, Error> {
    Ok(args.iter().sum())
}

#[test]
fn helper_table_dispatches_by_number() {
    let table: [(u32, HelperFn); 1] = [(0x10, add)];
    let prog = [mov(1, 1), mov(2, 2), mov(3, 3), mov(4, 4), mov(5, 5), i(0x85, 0, 0, 0, 0x10), exit()];
    let b = bytes(&prog);
    let p = femto_vm::verify(&b, &VerifierConfig::default()).unwrap();
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    assert_eq!(p.run(0, &mut m, &mut HelperTable(&table), 10), Ok(15));
    let prog = [i(0x85, 0, 0, 0, 0x11), exit()];
    let b = bytes(&prog);
    let p = femto_vm::verify(&b, &VerifierConfig::default()).unwrap();
    assert_eq!(p.run(0, &mut m, &mut HelperTable(&table), 10), Err(Error::UnknownHelper { pc: 0, helper: 0x11 }));
    assert_eq!(unknown(3), Error::UnknownHelper { pc: 0, helper: 3 });
}

#[test]
fn helpers_may_recover_from_bad_pointers() {
    // The ABI convention: a helper returns -14 (EFAULT) for a bad pointer instead of failing the run.
    let mut h = femto_vm::FnHelpers(|_id, a: [u64; 5], m: &mut Memory<'_>| {
        Ok(match m.read_cstr(a[0], 16) {
            Ok(s) => s.len() as u64,
            Err(_) => (-14i64) as u64,
        })
    });
    let prog = [mov(1, 0), i(0x85, 0, 0, 0, 1), exit()];
    let b = bytes(&prog);
    let p = femto_vm::verify(&b, &VerifierConfig::default()).unwrap();
    let mut stack = [0u8; 512];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    assert_eq!(p.run(0, &mut m, &mut h, 10), Ok((-14i64) as u64));
}

#[test]
fn rbf_lowering_rejects_a_truncated_pseudo_instruction() {
    let mut t = bytes(&[exit(), i(0xb8, 1, 0, 0, 0)]);
    assert_eq!(femto_vm::rbf::lower_pseudo_lddw(&mut t), Err(Error::IncompleteLddw { pc: 1 }));
    let mut t = vec![0u8; 12];
    assert_eq!(femto_vm::rbf::lower_pseudo_lddw(&mut t), Err(Error::TextLengthNotMultipleOf8 { len: 12 }));
}
