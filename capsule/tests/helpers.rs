//! The kernel's helpers as containers see them.
mod common;
mod harness;

use capsules_femto::hooks::FemtoHooks;
use common::*;
use harness::lock;

/// A program that prints `fmt` (in rodata) with a1..a3 and returns the result.
fn printer(fmt: &'static [u8], a: [i32; 3]) -> Vec<u8> {
    let mut i = Vec::new();
    i.extend(lddw(1, femto_vm::vaddr(femto_vm::memory::REGION_RODATA, 0)));
    i.extend([
        mov_imm(2, a[0]),
        mov_imm(3, a[1]),
        mov_imm(4, a[2]),
        call(0x01),
        exit(),
    ]);
    Img::new(&i).rodata(fmt).helpers(&[0x01]).build()
}

#[test]
fn print_formats_and_goes_to_the_console() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &printer(b"t=%d u=%u x=%x %%\0", [-5, -1, 255]));
    let (r, _) = fx.run(0, id, &[], 0);
    let lines = fx.console.lines.borrow().clone();
    assert_eq!(
        lines,
        vec![(id as u16, "t=-5 u=4294967295 x=ff %".to_string())]
    );
    assert_eq!(u64_of(r), 24);
}

#[test]
fn print_string_argument_and_64_bit() {
    let _g = lock();
    let fx = setup(1);
    let mut i = Vec::new();
    i.extend(lddw(1, femto_vm::vaddr(femto_vm::memory::REGION_RODATA, 0)));
    i.extend(lddw(
        2,
        femto_vm::vaddr(femto_vm::memory::REGION_RODATA, 12),
    ));
    i.extend(lddw(3, 0x1_0000_0000));
    i.extend([call(0x01), exit()]);
    let id = fx.load_ok(
        0,
        &Img::new(&i)
            .rodata(b"%s=%llu!\0\0\0\0abc\0")
            .helpers(&[0x01])
            .build(),
    );
    let (r, _) = fx.run(0, id, &[], 0);
    assert_eq!(fx.console.lines.borrow()[0].1, "abc=4294967296!");
    assert_eq!(u64_of(r), 15);
}

#[test]
fn print_is_rate_limited() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(0, &printer(b"hi\0", [0, 0, 0]));
    // limits(): 3 prints per second.
    let results: Vec<i64> = (0..5)
        .map(|_| u64_of(fx.run(0, id, &[], 0).0) as i64)
        .collect();
    assert_eq!(results, vec![2, 2, 2, -16, -16]);
    assert_eq!(fx.console.lines.borrow().len(), 3);
    fx.w.advance_ms(1000);
    assert_eq!(
        u64_of(fx.run(0, id, &[], 0).0),
        2,
        "a new second, new budget"
    );
}

#[test]
fn time_helpers_follow_the_alarm() {
    let _g = lock();
    let fx = setup(1);
    let ms = fx.load_ok(0, &Img::new(&[call(0x20), exit()]).helpers(&[0x20]).build());
    let us = fx.load_ok(0, &Img::new(&[call(0x21), exit()]).helpers(&[0x21]).build());
    let t0 = u64_of(fx.run(0, ms, &[], 0).0);
    fx.w.advance_ms(250);
    assert_eq!(u64_of(fx.run(0, ms, &[], 0).0), t0 + 250);
    assert_eq!(u64_of(fx.run(0, us, &[], 0).0), (t0 + 250) * 1000);
}

#[test]
fn clock_survives_counter_wrap() {
    let _g = lock();
    let fx = setup(1);
    let ms = fx.load_ok(0, &Img::new(&[call(0x20), exit()]).helpers(&[0x20]).build());
    let t0 = u64_of(fx.run(0, ms, &[], 0).0);
    // Jump the 32-bit counter close to its wrap, in steps the alarm sees.
    for _ in 0..3 {
        fx.alarm
            .now
            .set(fx.alarm.now.get().wrapping_add(0x7000_0000));
        fx.w.run();
    }
    let t1 = u64_of(fx.run(0, ms, &[], 0).0);
    assert_eq!(t1 - t0, 3 * 0x7000_0000u64);
}

#[test]
fn sensor_last_reports_the_latest_value() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(
        0,
        &Img::new(&[mov_imm(1, 0), call(0x30), exit()])
            .helpers(&[0x30])
            .build(),
    );
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0) as i64, -2, "no reading yet");
    fx.femto.set_sensor_value(0, -1250);
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0) as i64, -1250);
    let other = fx.load_ok(
        0,
        &Img::new(&[mov_imm(1, 1), call(0x30), exit()])
            .helpers(&[0x30])
            .build(),
    );
    assert_eq!(
        u64_of(fx.run(0, other, &[], 0).0) as i64,
        -2,
        "unknown sensor kind"
    );
}

#[test]
fn memcpy_and_memset_inside_regions() {
    let _g = lock();
    let fx = setup(1);
    // memset(ctx+4, 0xAB, 4); memcpy(ctx+0, ctx+4, 2); return 0
    let id = fx.load_ok(
        0,
        &Img::new(&[
            mov_reg(6, 1),
            mov_reg(1, 6),
            add_imm(1, 4),
            mov_imm(2, 0xAB),
            mov_imm(3, 4),
            call(0x03),
            mov_reg(1, 6),
            mov_reg(2, 6),
            add_imm(2, 4),
            mov_imm(3, 2),
            call(0x02),
            exit(),
        ])
        .helpers(&[0x02, 0x03])
        .build(),
    );
    let (r, ctx) = fx.run(0, id, &[1, 2, 3, 4, 5, 6, 7, 8], 0);
    assert_eq!(u64_of(r), 0);
    assert_eq!(ctx, vec![0xAB, 0xAB, 3, 4, 0xAB, 0xAB, 0xAB, 0xAB]);
}

#[test]
fn kv_store_full_is_enomem_and_overwrite_works() {
    let _g = lock();
    let fx = setup(1);
    // Store keys 0..=E in the container's private scope: the process's
    // table has E entries, so the last store fails.
    let e = capsules_femto::state::KV_PROCESS_ENTRIES as i32;
    let mut i = vec![
        mov_imm(7, 0),
        // loop: store(0, r7, r7 * 10); r7 += 1; while r7 <= e
        mov_imm(1, 0),
        mov_reg(2, 7),
        mov_reg(3, 7),
        mul_imm(3, 10),
        call(0x10),
        add_imm(7, 1),
        jsgt_imm(7, e, 1),
        ja(-8),
    ];
    // Overwriting an existing key still works when full.
    i.extend([
        mov_reg(6, 0),
        mov_imm(1, 0),
        mov_imm(2, 1),
        mov_imm(3, 99),
        call(0x10),
        add_reg(0, 6),
        exit(),
    ]);
    let id = fx.load_ok(0, &Img::new(&i).helpers(&[0x10]).build());
    assert_eq!(u64_of(fx.run(0, id, &[], 0).0) as i64, -12);
}

#[test]
fn random_values_differ() {
    let _g = lock();
    let fx = setup(1);
    let id = fx.load_ok(
        0,
        &Img::new(&[
            call(0x50),
            mov_reg(6, 0),
            call(0x50),
            jeq_imm(0, 0, 0),
            exit(),
        ])
        .helpers(&[0x50])
        .build(),
    );
    let a = u64_of(fx.run(0, id, &[], 0).0);
    let b = u64_of(fx.run(0, id, &[], 0).0);
    assert!(a <= u32::MAX as u64 && b <= u32::MAX as u64);
    assert_ne!(a, b);
}
