//! Loads, stores, sign-extending loads and atomics on every region kind;
//! bounds and permission checks, including addresses that wrap around at
//! region edges; the checked memory API used by helpers.
mod common;
use common::*;
use femto_vm::memory::{REGION_CONTEXT, REGION_DATA, REGION_RODATA, REGION_STACK};
use femto_vm::{vaddr, Access, Error, Memory, Program, Region, VerifierConfig};

#[test]
fn loads_of_every_size() {
    let mut m = [0x01, 0x02, 0x03, 0x84, 0x05, 0x06, 0x07, 0x88];
    assert_eq!(run_mem(&[i(0x71, 0, 1, 3, 0), exit()], &mut m), Ok(0x84));
    assert_eq!(run_mem(&[i(0x69, 0, 1, 2, 0), exit()], &mut m), Ok(0x8403));
    assert_eq!(run_mem(&[i(0x61, 0, 1, 0, 0), exit()], &mut m), Ok(0x8403_0201));
    assert_eq!(run_mem(&[i(0x79, 0, 1, 0, 0), exit()], &mut m), Ok(0x8807_0605_8403_0201));
}

#[test]
fn sign_extending_loads() {
    let mut m = [0x01, 0x02, 0x03, 0x84, 0x05, 0x06, 0x07, 0x88];
    assert_eq!(run_mem(&[i(0x91, 0, 1, 3, 0), exit()], &mut m), Ok(0xffff_ffff_ffff_ff84));
    assert_eq!(run_mem(&[i(0x91, 0, 1, 0, 0), exit()], &mut m), Ok(1));
    assert_eq!(run_mem(&[i(0x89, 0, 1, 2, 0), exit()], &mut m), Ok(0xffff_ffff_ffff_8403));
    assert_eq!(run_mem(&[i(0x81, 0, 1, 0, 0), exit()], &mut m), Ok(0xffff_ffff_8403_0201));
    assert_eq!(run_mem(&[i(0x81, 0, 1, 4, 0), exit()], &mut m), Ok(0xffff_ffff_8807_0605));
}

#[test]
fn stores_of_every_size() {
    let mut m = [0u8; 16];
    let prog = [
        i(0x72, 1, 0, 0, 0x1ff), // stb: truncated
        i(0x6a, 1, 0, 2, -2),    // sth
        i(0x62, 1, 0, 4, -3),    // stw
        mov(2, -4),
        i(0x7b, 1, 2, 8, 0), // stxdw
        mov(0, 0),
        exit(),
    ];
    run_mem(&prog, &mut m).unwrap();
    assert_eq!(m, [0xff, 0, 0xfe, 0xff, 0xfd, 0xff, 0xff, 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    let mut m = [0u8; 16];
    let [a, b] = lddw(2, 0x1122_3344_5566_7788);
    let prog = [a, b, i(0x73, 1, 2, 0, 0), i(0x6b, 1, 2, 2, 0), i(0x63, 1, 2, 4, 0), i(0x7a, 1, 0, 8, -1), exit()];
    run_mem(&prog, &mut m).unwrap();
    assert_eq!(m[..8], [0x88, 0, 0x88, 0x77, 0x88, 0x77, 0x66, 0x55]);
    assert_eq!(m[8..], [0xff; 8]);
}

#[test]
fn stack_round_trip() {
    let prog = [i(0x7a, 10, 0, -8, 77), i(0x79, 0, 10, -8, 0), exit()];
    assert_eq!(run(&prog), Ok(77));
}

fn atomic(op: u8, imm: i32, mem_val: u64, src: u64, r0: u64) -> (u64, u64, u64) {
    // returns (memory after, src after, r0 after)
    let mut m = mem_val.to_le_bytes();
    let [a, b] = lddw(2, src);
    let [c, d] = lddw(0, r0);
    let prog_mem = [a, b, c, d, i(op, 1, 2, 0, imm), exit()];
    let r0_after = run_mem(&prog_mem, &mut m).unwrap();
    let mem_after = u64::from_le_bytes(m);
    let mut m2 = mem_val.to_le_bytes();
    let prog_src = [a, b, c, d, i(op, 1, 2, 0, imm), movr(0, 2), exit()];
    let src_after = run_mem(&prog_src, &mut m2).unwrap();
    (mem_after, src_after, r0_after)
}

#[test]
fn atomics_64() {
    assert_eq!(atomic(0xdb, 0x00, 5, 3, 0), (8, 3, 0));
    assert_eq!(atomic(0xdb, 0x01, 5, 3, 0), (8, 5, 0));
    assert_eq!(atomic(0xdb, 0x40, 5, 3, 0), (7, 3, 0));
    assert_eq!(atomic(0xdb, 0x41, 5, 3, 0), (7, 5, 0));
    assert_eq!(atomic(0xdb, 0x50, 5, 3, 0), (1, 3, 0));
    assert_eq!(atomic(0xdb, 0x51, 5, 3, 0), (1, 5, 0));
    assert_eq!(atomic(0xdb, 0xa0, 5, 3, 0), (6, 3, 0));
    assert_eq!(atomic(0xdb, 0xa1, 5, 3, 0), (6, 5, 0));
    assert_eq!(atomic(0xdb, 0xe1, 5, 3, 0), (3, 5, 0));
    // cmpxchg: equal -> store, r0 = old; different -> no store, r0 = old
    assert_eq!(atomic(0xdb, 0xf1, 5, 3, 5), (3, 3, 5));
    assert_eq!(atomic(0xdb, 0xf1, 5, 3, 4), (5, 3, 5));
    assert_eq!(atomic(0xdb, 0xf1, 5, 3, 0x1_0000_0005), (5, 3, 5));
}

#[test]
fn atomics_32_touch_four_bytes_and_zero_extend() {
    let hi = 0xaaaa_aaaa_0000_0000u64;
    // add: upper memory half untouched, src fetched zero-extended
    assert_eq!(atomic(0xc3, 0x01, hi | 0xffff_ffff, 1, 0), (hi, 0xffff_ffff, 0));
    assert_eq!(atomic(0xc3, 0x00, hi | 5, 0x1_0000_0003, 0), (hi | 8, 0x1_0000_0003, 0));
    assert_eq!(atomic(0xc3, 0x41, hi | 5, 3, 0), (hi | 7, 5, 0));
    assert_eq!(atomic(0xc3, 0x51, hi | 5, 3, 0), (hi | 1, 5, 0));
    assert_eq!(atomic(0xc3, 0xa1, hi | 5, 3, 0), (hi | 6, 5, 0));
    assert_eq!(atomic(0xc3, 0xe1, hi | 5, 3, 0), (hi | 3, 5, 0));
    // cmpxchg32 compares the low half of r0
    assert_eq!(atomic(0xc3, 0xf1, hi | 5, 3, 0xffff_0000_0000_0005), (hi | 3, 3, 5));
    assert_eq!(atomic(0xc3, 0xf1, hi | 5, 3, 6), (hi | 5, 3, 5));
}

#[test]
fn out_of_bounds_loads_and_stores_fault_with_details() {
    let mut m = [0u8; 8];
    let base = vaddr(REGION_CONTEXT, 0);
    assert_eq!(
        run_mem(&[i(0x79, 0, 1, 1, 0), exit()], &mut m),
        Err(Error::OutOfBounds { pc: 0, addr: base + 1, len: 8, access: Access::Load })
    );
    assert_eq!(
        run_mem(&[mov(0, 0), i(0x62, 1, 0, 8, 0), exit()], &mut m),
        Err(Error::OutOfBounds { pc: 1, addr: base + 8, len: 4, access: Access::Store })
    );
    assert_eq!(
        run_mem(&[i(0xdb, 1, 0, 4, 0), exit()], &mut m),
        Err(Error::OutOfBounds { pc: 0, addr: base + 4, len: 8, access: Access::Atomic })
    );
    // the last byte is fine
    assert_eq!(run_mem(&[i(0x71, 0, 1, 7, 0), exit()], &mut m), Ok(0));
    // null pointer
    assert!(matches!(run(&[mov(1, 0), i(0x71, 0, 1, 0, 0), exit()]), Err(Error::OutOfBounds { addr: 0, .. })));
}

#[test]
fn addresses_wrapping_at_region_edges_fault() {
    let mut m = [0u8; 8];
    // r1 - 1: below the context region's start wraps into region 1's last offset
    assert!(matches!(
        run_mem(&[i(0x71, 0, 1, -1, 0), exit()], &mut m),
        Err(Error::OutOfBounds { addr: 0x1_ffff_ffff, .. })
    ));
    // the offset 0xffff_fffc + 8 wraps the 32-bit offset: must not alias offset 4
    let [a, b] = lddw(2, vaddr(REGION_CONTEXT, 0xffff_fffc));
    assert!(matches!(run_mem(&[a, b, i(0x79, 0, 2, 0, 0), exit()], &mut m), Err(Error::OutOfBounds { .. })));
    // the top of the 64-bit space wraps to address 0..
    let [a, b] = lddw(2, u64::MAX);
    assert!(matches!(run_mem(&[a, b, i(0x79, 0, 2, 2, 0), exit()], &mut m), Err(Error::OutOfBounds { .. })));
    // above the stack top
    assert!(matches!(run(&[i(0x79, 0, 10, 0, 0), exit()]), Err(Error::OutOfBounds { .. })));
    assert!(matches!(run(&[i(0x79, 0, 10, -4, 0), exit()]), Err(Error::OutOfBounds { .. })));
    // below the stack bottom
    assert!(matches!(run(&[i(0x79, 0, 10, -(512 * 8) - 8, 0), exit()]), Err(Error::OutOfBounds { .. })));
    assert_eq!(run(&[i(0x79, 0, 10, -(512 * 8), 0), exit()]), Ok(0));
    // region ids beyond the table
    let [a, b] = lddw(2, vaddr(200, 0));
    assert!(matches!(run(&[a, b, i(0x71, 0, 2, 0, 0), exit()]), Err(Error::OutOfBounds { .. })));
}

fn run_with_regions(prog: &[femto_vm::isa::Insn], ro_ctx: bool) -> Result<u64, Error> {
    let b = bytes(prog);
    let p = Program::verify(&b, &VerifierConfig::default()).unwrap();
    let mut stack = [0u8; 512];
    let mut data = [7u8; 16];
    let rodata = [9u8; 16];
    let mut ctx = [1u8; 8];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    m.map_data(&mut data);
    m.map_rodata(&rodata);
    if ro_ctx {
        m.map_context_ro(&ctx);
    } else {
        m.map_context_rw(&mut ctx);
    }
    p.run(0, &mut m, &mut test_helpers(), 100)
}

#[test]
fn read_only_regions_refuse_writes() {
    let [a, b] = lddw(2, vaddr(REGION_RODATA, 0));
    assert_eq!(run_with_regions(&[a, b, i(0x71, 0, 2, 15, 0), exit()], false), Ok(9));
    assert_eq!(
        run_with_regions(&[a, b, i(0x72, 2, 0, 0, 1), exit()], false),
        Err(Error::PermissionDenied { pc: 2, addr: vaddr(REGION_RODATA, 0), len: 1, access: Access::Store })
    );
    assert!(matches!(
        run_with_regions(&[a, b, i(0xdb, 2, 0, 0, 0), exit()], false),
        Err(Error::PermissionDenied { access: Access::Atomic, .. })
    ));
    // a read-only context
    assert_eq!(run_with_regions(&[i(0x71, 0, 1, 0, 0), exit()], true), Ok(1));
    assert!(matches!(
        run_with_regions(&[i(0x72, 1, 0, 0, 0), exit()], true),
        Err(Error::PermissionDenied { .. })
    ));
    assert_eq!(run_with_regions(&[i(0x72, 1, 0, 0, 5), i(0x71, 0, 1, 0, 0), exit()], false), Ok(5));
    // writes past a read-only region's end are out of bounds, not permission errors
    assert!(matches!(
        run_with_regions(&[a, b, i(0x72, 2, 0, 16, 1), exit()], false),
        Err(Error::OutOfBounds { .. })
    ));
    // data is read-write
    let [c, d] = lddw(2, vaddr(REGION_DATA, 0));
    assert_eq!(run_with_regions(&[c, d, i(0x72, 2, 0, 3, 42), i(0x71, 0, 2, 3, 0), exit()], false), Ok(42));
}

#[test]
fn memory_api_for_helpers() {
    let mut stack = [0u8; 32];
    let rodata = *b"hello\0world";
    let mut extra = [0u8; 4];
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    m.map_rodata(&rodata);
    let x = m.map_extra(Region::ReadWrite(&mut extra)).unwrap();
    assert_eq!(x, vaddr(5, 0));
    assert_eq!(m.read_cstr(vaddr(REGION_RODATA, 0), 16), Ok(&b"hello"[..]));
    assert!(m.read_cstr(vaddr(REGION_RODATA, 6), 16).is_err()); // no NUL before the end
    assert!(m.read_cstr(vaddr(REGION_RODATA, 0), 3).is_err()); // no NUL within max
    m.write(vaddr(REGION_STACK, 30), &[1, 2]).unwrap();
    assert!(m.write(vaddr(REGION_STACK, 31), &[1, 2]).is_err());
    assert!(matches!(m.write(vaddr(REGION_RODATA, 0), &[1]), Err(Error::PermissionDenied { .. })));
    m.copy_within(x, vaddr(REGION_RODATA, 1), 4).unwrap();
    assert_eq!(m.slice(x, 4), Ok(&b"ello"[..]));
    m.copy_within(vaddr(REGION_STACK, 0), vaddr(REGION_STACK, 30), 2).unwrap();
    assert_eq!(m.slice(vaddr(REGION_STACK, 0), 2), Ok(&[1u8, 2][..]));
    assert!(m.copy_within(vaddr(REGION_STACK, 0), vaddr(REGION_STACK, 31), 2).is_err());
    assert!(m.slice(vaddr(REGION_STACK, u32::MAX), 2).is_err());
    let mut buf = [0u8; 3];
    assert!(m.read(vaddr(7, 0), &mut buf).is_err());
    assert!(m.map(0, Region::Unmapped).is_err());
    assert!(m.map(8, Region::Unmapped).is_err());
}

#[test]
fn helper_handed_a_pointer_outside_every_region_stops_the_run() {
    // helper 6 writes 8 bytes at r1; a pointer into no region faults, with the call's pc
    let prog = [mov(1, 1), i(0x67, 1, 0, 0, 40), i(0x85, 0, 0, 0, 6), exit()];
    assert_eq!(
        run(&prog),
        Err(Error::OutOfBounds { pc: 2, addr: 1 << 40, len: 8, access: Access::Store })
    );
    // a good pointer works
    let prog = [movr(1, 10), i(0x07, 1, 0, 0, -8), i(0x85, 0, 0, 0, 6), i(0x79, 0, 10, -8, 0), exit()];
    assert_eq!(run(&prog), Ok(0xabab_abab_abab_abab));
}

/// The read-write stack lives outside the region table (the interpreter's
/// fast path reaches it without a tag test); every other path must still
/// find it: loads, stores and atomics through a register other than r10,
/// the helpers' API, `copy_within` in both directions, and remapping.
#[test]
fn the_stack_through_every_access_path() {
    // r1 = r10 - 16, then every store and load size through r1 (the
    // general path), an atomic add, and a read back through r10.
    let prog = [
        movr(1, 10),
        i(0x07, 1, 0, 0, -16),
        i(0x72, 1, 0, 0, 0x11),  // stb [r1]
        i(0x6a, 1, 0, 2, 0x2233), // sth [r1+2]
        i(0x62, 1, 0, 4, 0x4455_6677), // stw [r1+4]
        mov(2, 5),
        i(0x7b, 1, 2, 8, 0), // stxdw [r1+8], r2
        i(0xdb, 1, 2, 8, 0), // atomic add [r1+8], r2
        i(0x79, 3, 1, 8, 0), // ldxdw r3, [r1+8] = 10
        i(0x61, 4, 1, 4, 0), // ldxw r4, [r1+4]
        i(0x69, 5, 1, 2, 0), // ldxh r5, [r1+2]
        i(0x71, 0, 1, 0, 0), // ldxb r0, [r1]
        i(0x0f, 0, 3, 0, 0),
        i(0x0f, 0, 4, 0, 0),
        i(0x0f, 0, 5, 0, 0),
        i(0x79, 6, 10, -8, 0), // ldxdw r6, [r10-8] (fast path) = 10
        i(0x0f, 0, 6, 0, 0),
        exit(),
    ];
    assert_eq!(run(&prog), Ok(0x11 + 10 + 0x4455_6677 + 0x2233 + 10));
    // Past the stack's end through the general path: out of bounds, with
    // the exact address.
    let prog = [movr(1, 10), i(0x79, 0, 1, -4, 0), exit()];
    assert_eq!(
        run(&prog),
        Err(Error::OutOfBounds { pc: 1, addr: vaddr(REGION_STACK, 512 * 8 - 4), len: 8, access: Access::Load })
    );
    let prog = [movr(1, 10), i(0x7a, 1, 0, -4, 1), exit()];
    assert_eq!(
        run(&prog),
        Err(Error::OutOfBounds { pc: 1, addr: vaddr(REGION_STACK, 512 * 8 - 4), len: 8, access: Access::Store })
    );

    // The helpers' API and copy_within, stack <-> data, both directions.
    let mut stack = [0u8; 16];
    let mut data = *b"abcdefgh";
    let rodata = *b"RODATA";
    let mut m = Memory::new();
    m.map_stack(&mut stack);
    m.map_data(&mut data);
    m.map_rodata(&rodata);
    assert!(m.is_mapped(REGION_STACK) && m.is_writable(REGION_STACK));
    assert_eq!(m.region_len(REGION_STACK), 16);
    m.copy_within(vaddr(REGION_STACK, 2), vaddr(REGION_DATA, 0), 4).unwrap();
    assert_eq!(m.slice(vaddr(REGION_STACK, 0), 6), Ok(&b"\0\0abcd"[..]));
    m.copy_within(vaddr(REGION_DATA, 4), vaddr(REGION_STACK, 2), 4).unwrap();
    assert_eq!(m.slice(vaddr(REGION_DATA, 0), 8), Ok(&b"abcdabcd"[..]));
    m.copy_within(vaddr(REGION_STACK, 8), vaddr(REGION_RODATA, 0), 6).unwrap();
    assert_eq!(m.read_cstr(vaddr(REGION_STACK, 8), 15), Ok(&b"RODATA"[..]));
    assert!(matches!(
        m.copy_within(vaddr(REGION_RODATA, 0), vaddr(REGION_STACK, 0), 2),
        Err(Error::PermissionDenied { .. })
    ));
    assert!(m.copy_within(vaddr(REGION_STACK, 12), vaddr(REGION_DATA, 0), 8).is_err());
    assert_eq!(m.slice_mut(vaddr(REGION_STACK, 15), 1).map(|s| s.len()), Ok(1));

    // Remapped read-only: readable through r10 and other registers,
    // writes are permission errors; unmapped: everything faults.
    let ro_stack = [7u8; 64];
    m.map(REGION_STACK, Region::ReadOnly(&ro_stack)).unwrap();
    assert!(m.is_mapped(REGION_STACK) && !m.is_writable(REGION_STACK));
    assert_eq!(m.region_len(REGION_STACK), 64);
    assert_eq!(m.slice(vaddr(REGION_STACK, 60), 4), Ok(&[7u8; 4][..]));
    assert!(matches!(m.write(vaddr(REGION_STACK, 0), &[1]), Err(Error::PermissionDenied { .. })));
    m.unmap(REGION_STACK);
    assert!(!m.is_mapped(REGION_STACK) && !m.is_writable(REGION_STACK));
    assert_eq!(m.region_len(REGION_STACK), 0);
    assert!(matches!(m.slice(vaddr(REGION_STACK, 0), 1), Err(Error::OutOfBounds { .. })));
    assert_eq!(&stack[..6], b"\0\0abcd");

    for translate in [false, true] {
        let prog = [i(0x79, 0, 10, -8, 0), movr(1, 10), i(0x71, 2, 1, -1, 0), i(0x0f, 0, 2, 0, 0), i(0x7a, 10, 0, -8, 1), exit()];
        let mut text = bytes(&prog);
        let cfg = VerifierConfig::default();
        let p = if translate {
            femto_vm::verify_translated(&mut text, &cfg).unwrap()
        } else {
            Program::verify(&text, &cfg).unwrap()
        };
        let ro_stack = [1u8; 512];
        let mut m = Memory::new();
        m.map(REGION_STACK, Region::ReadOnly(&ro_stack)).unwrap();
        assert_eq!(
            p.run(0, &mut m, &mut test_helpers(), 100),
            Err(Error::PermissionDenied { pc: 4, addr: vaddr(REGION_STACK, 504), len: 8, access: Access::Store })
        );
        // Read-write through `map` behaves as `map_stack`.
        let mut rw_stack = [1u8; 512];
        let mut m = Memory::new();
        m.map(REGION_STACK, Region::ReadWrite(&mut rw_stack)).unwrap();
        assert!(m.is_writable(REGION_STACK));
        assert_eq!(p.run(0, &mut m, &mut test_helpers(), 100), Ok(0x0101_0101_0101_0101 + 1));
        assert_eq!(rw_stack[504..], [1, 0, 0, 0, 0, 0, 0, 0]);
    }
}

/// `Memory::for_container` (one step, what the capsule does per run) maps
/// exactly what the step-by-step `map_*` calls map, for each kind of context:
/// the same ids, lengths, permissions and bytes, and the extra ids stay free.
#[test]
fn for_container_maps_what_the_step_by_step_calls_map() {
    for kind in 0..3 {
        let (mut s1, mut s2) = ([1u8; 24], [1u8; 24]);
        let (mut c1, mut c2) = (*b"context", *b"context");
        let (mut d1, mut d2) = (*b"data!", *b"data!");
        let rodata = *b"ro";
        let mut step = Memory::new();
        step.map_stack(&mut s1);
        let ctx = match kind {
            0 => Region::Unmapped,
            1 => {
                step.map_context_ro(&c1);
                Region::ReadOnly(&c2)
            }
            _ => {
                step.map_context_rw(&mut c1);
                Region::ReadWrite(&mut c2)
            }
        };
        step.map_data(&mut d1);
        step.map_rodata(&rodata);
        let mut one = Memory::for_container(&mut s2, ctx, &mut d2, &rodata);
        for id in 0..8u32 {
            let what = format!("context kind {kind}, region {id}");
            assert_eq!(one.is_mapped(id), step.is_mapped(id), "{what}");
            assert_eq!(one.is_writable(id), step.is_writable(id), "{what}");
            assert_eq!(one.region_len(id), step.region_len(id), "{what}");
            let len = step.region_len(id);
            assert_eq!(one.slice(vaddr(id, 0), len), step.slice(vaddr(id, 0), len), "{what}");
            assert_eq!(one.write(vaddr(id, 0), b"x").is_ok(), step.write(vaddr(id, 0), b"x").is_ok(), "{what}");
        }
        assert_eq!(one.is_mapped(REGION_CONTEXT), kind != 0);
        assert!(one.is_writable(REGION_STACK) && one.is_writable(REGION_DATA));
        assert!(!one.is_writable(REGION_RODATA));
        let mut extra = [0u8; 2];
        assert_eq!(one.map_extra(Region::ReadWrite(&mut extra)), Ok(vaddr(5, 0)));
    }
}
