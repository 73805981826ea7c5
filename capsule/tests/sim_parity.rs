//! `femto run` shows what the device does: the same containers, full of bad
//! helper input, run on the capsule (fake kernel) and on `femto run`'s
//! simulator (`femto_tools::run::run_image`) give the same r0, the same
//! helper results, the same fault and the same console lines.
//!
//! Each container is a list of helper calls; the result of each call can be
//! stored in the context (8 slots of 8 bytes), which both sides return.
mod common;
mod harness;

use capsules_femto::helpers::{errno, nr};
use common::*;
use femto_tools::run::{run_image, RunOptions};
use femto_tools::sim::console_line;
use femto_vm::memory::{vaddr, REGION_CONTEXT, REGION_RODATA};
use harness::lock;
use kernel::syscall::SyscallReturn;

/// A helper argument.
#[derive(Clone, Copy)]
enum A {
    /// A 64-bit value.
    V(u64),
    /// The frame pointer r10 plus this offset (a stack address).
    Fp(i32),
    /// The loop counter of a repeated step (0, 1, ...).
    K,
}
use A::{Fp, K, V};

/// Offset `o` in rodata.
fn ro(o: u32) -> A {
    V(vaddr(REGION_RODATA, o))
}

/// One helper call, made `times` times (the counter is [`A::K`]); the r0
/// of the last call goes to context slot `slot` if any.
struct Step {
    helper: u32,
    args: Vec<A>,
    slot: Option<i16>,
    times: i32,
}

fn step(helper: u32, args: &[A], slot: Option<i16>) -> Step {
    Step {
        helper,
        args: args.to_vec(),
        slot,
        times: 1,
    }
}

fn repeat(times: i32, helper: u32, args: &[A], slot: Option<i16>) -> Step {
    Step {
        times,
        ..step(helper, args, slot)
    }
}

/// A container running `steps` (returns the last call's r0).
fn container(steps: &[Step], rodata: &[u8]) -> Vec<u8> {
    let mut insns = vec![mov_reg(6, 1)];
    let mut helpers: Vec<u32> = Vec::new();
    for s in steps {
        // r7 counts the calls of a repeated step (callee-saved).
        if s.times > 1 {
            insns.push(mov_imm(7, 0));
        }
        let body = insns.len();
        for (j, a) in s.args.iter().enumerate() {
            let r = j as u8 + 1;
            match *a {
                V(v) => match i32::try_from(v as i64) {
                    // mov sign-extends its immediate to 64 bits.
                    Ok(small) => insns.push(mov_imm(r, small)),
                    Err(_) => insns.extend(lddw(r, v)),
                },
                Fp(off) => insns.extend([mov_reg(r, 10), add_imm(r, off)]),
                K => insns.push(mov_reg(r, 7)),
            }
        }
        insns.push(call(s.helper as i32));
        if s.times > 1 {
            insns.push(add_imm(7, 1));
            insns.push(jsgt_imm(7, s.times - 1, 1));
            let back = body as i64 - (insns.len() as i64 + 1);
            insns.push(ja(back as i16));
        }
        if let Some(slot) = s.slot {
            insns.push(stxdw(6, 0, slot * 8));
        }
        if !helpers.contains(&s.helper) {
            helpers.push(s.helper);
        }
    }
    insns.push(exit());
    helpers.sort();
    let helpers: &'static [u32] = Box::leak(helpers.into_boxed_slice());
    let rodata: &'static [u8] = Box::leak(rodata.to_vec().into_boxed_slice());
    Img::new(&insns).rodata(rodata).helpers(helpers).build()
}

/// r0 and the context after the run, or the fault `(kind, pc)`.
type Outcome = Result<(u64, Vec<u8>), (u32, u32)>;

/// Runs `image` on the capsule and in `femto run`'s simulator, asserts that
/// both give the same outcome and console lines, and returns them.
fn both(name: &str, image: &[u8]) -> (Outcome, Vec<String>) {
    let ctx = [0u8; CONTEXT];
    // On the device: a fresh kernel, the first container of a process.
    let fx = setup(1);
    assert!(
        image.len() <= SLOT,
        "{name}: image of {} bytes",
        image.len()
    );
    let id = fx.load_ok(0, image);
    let (r, ctx_after) = fx.run(0, id, &ctx, 0);
    let device: Outcome = match r {
        SyscallReturn::SuccessU64(v) => Ok((v, ctx_after)),
        _ => Err(pair_of(fx.cmd(0, 7, id, 2))),
    };
    let device_lines: Vec<String> = fx
        .console
        .raw
        .borrow()
        .iter()
        .map(|(id, line)| console_line(*id, line))
        .collect();
    // On the host, with the board's limits.
    let opts = RunOptions {
        ctx: Some(ctx.to_vec()),
        fuel: limits().default_fuel as u64,
        seed: 1,
        repeat: 1,
        prints_per_second: Some(limits().prints_per_second),
        ..RunOptions::default()
    };
    let reports = run_image(image, &opts).expect("femto run accepts the image");
    let rep = &reports[0];
    let sim: Outcome = match &rep.result {
        Ok(v) => Ok((*v, rep.ctx_after.clone().unwrap_or_default())),
        Err(e) => Err(capsules_femto::abi::fault_of(e)),
    };
    // The simulator shows notifications on its console; the device does not.
    let sim_lines: Vec<String> = rep
        .output
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("notify: "))
        .map(str::to_string)
        .collect();
    assert_eq!(device, sim, "{name}: r0 / context / fault");
    assert_eq!(device_lines, sim_lines, "{name}: console lines");
    (device, device_lines)
}

/// The context slots of a successful outcome, as signed values.
fn slots(o: &Outcome) -> Vec<i64> {
    let (_, ctx) = o.as_ref().expect("the run succeeds");
    ctx.chunks(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

const EFAULT: i64 = errno::EFAULT;
const EINVAL: i64 = errno::EINVAL;
const ENOENT: i64 = errno::ENOENT;
const ENOMEM: i64 = errno::ENOMEM;
const EBUSY: i64 = errno::EBUSY;

#[test]
fn print_conversions() {
    let _g = lock();
    let f1 = b"%d|%i|%u|%x\0";
    let f2 = b"%lld %llu %llx %%\0";
    let f3 = b"%q %5d %lq %c%c 100%\0";
    let rodata = [&f1[..], f2, f3].concat();
    let (o2, o3) = (f1.len() as u32, (f1.len() + f2.len()) as u32);
    let image = container(
        &[
            step(
                nr::PRINT,
                &[ro(0), V(-5i64 as u64), V(0x1_0000_0007), V(u64::MAX)],
                Some(0),
            ),
            step(
                nr::PRINT,
                &[ro(o2), V(u64::MAX), V(u64::MAX), V(0xdead_beef_cafe)],
                Some(1),
            ),
            step(nr::PRINT, &[ro(o3), V(0x141), V(0xFF), V(0)], Some(2)),
        ],
        &rodata,
    );
    let (o, lines) = both("print conversions", &image);
    assert_eq!(
        lines,
        vec![
            "[fc 0x0101] -5|7|4294967295|0\n",
            "[fc 0x0101] -1 18446744073709551615 deadbeefcafe %\n",
            "[fc 0x0101] <17 bytes, not UTF-8>\n",
        ]
    );
    assert_eq!(slots(&o)[..3], [17, 38, 17]);
}

#[test]
fn print_format_limits() {
    let _g = lock();
    // A 128-byte and a 129-byte format, built on the stack.
    let b = -256;
    let image = container(
        &[
            step(nr::MEMSET, &[Fp(b), V(b'a' as u64), V(256)], None),
            step(nr::MEMSET, &[Fp(b + 128), V(0), V(1)], None),
            step(nr::PRINT, &[Fp(b)], Some(0)),
            step(nr::MEMSET, &[Fp(b + 128), V(b'b' as u64), V(1)], None),
            step(nr::MEMSET, &[Fp(b + 129), V(0), V(1)], None),
            step(nr::PRINT, &[Fp(b)], Some(1)),
        ],
        b"",
    );
    let (o, lines) = both("print format length", &image);
    assert_eq!(slots(&o)[..2], [128, EFAULT]);
    assert_eq!(lines, vec![format!("[fc 0x0101] {}\n", "a".repeat(128))]);
}

#[test]
fn print_bad_formats() {
    let _g = lock();
    let image = container(
        &[
            // Unterminated up to the end of the stack.
            step(nr::MEMSET, &[Fp(-8), V(b'c' as u64), V(8)], None),
            step(nr::PRINT, &[Fp(-8)], Some(0)),
            // Bad format pointers.
            step(nr::PRINT, &[V(0)], Some(1)),
            step(nr::PRINT, &[ro(2)], Some(2)),
            step(nr::PRINT, &[V(vaddr(7, 0))], Some(3)),
            step(nr::PRINT, &[V(u64::MAX)], Some(4)),
            // An unterminated format in rodata.
            step(nr::PRINT, &[ro(1)], Some(5)),
        ],
        b"\0x",
    );
    let (o, lines) = both("print bad formats", &image);
    assert_eq!(slots(&o)[..6], [EFAULT; 6]);
    assert!(lines.is_empty());
}

#[test]
fn print_string_lengths() {
    let _g = lock();
    let b = -256;
    let image = container(
        &[
            step(nr::MEMSET, &[Fp(b), V(b's' as u64), V(256)], None),
            // 160 bytes: fine, the output is truncated at 160.
            step(nr::MEMSET, &[Fp(b + 160), V(0), V(1)], None),
            step(nr::PRINT, &[ro(0), Fp(b)], Some(0)),
            // 161 bytes: EFAULT.
            step(nr::MEMSET, &[Fp(b + 160), V(b't' as u64), V(1)], None),
            step(nr::MEMSET, &[Fp(b + 161), V(0), V(1)], None),
            step(nr::PRINT, &[ro(0), Fp(b)], Some(1)),
        ],
        b"x%s\0",
    );
    let (o, lines) = both("print string lengths", &image);
    assert_eq!(slots(&o)[..2], [160, EFAULT]);
    assert_eq!(lines, vec![format!("[fc 0x0101] x{}\n", "s".repeat(159))]);
}

#[test]
fn print_bad_string_pointers() {
    let _g = lock();
    let image = container(
        &[
            step(nr::PRINT, &[ro(0), V(vaddr(REGION_CONTEXT, 64))], Some(0)),
            step(nr::PRINT, &[ro(0), V(u64::MAX)], Some(1)),
            step(nr::PRINT, &[ro(0), V(0)], Some(2)),
            // %s past the third value reads address 0.
            step(nr::PRINT, &[ro(4), V(1), V(2), V(3)], Some(3)),
            // A %s in the last byte of a region: the empty string.
            step(nr::PRINT, &[ro(0), ro(13)], Some(4)),
        ],
        b"x%s\0%d%d%d%s\0\0",
    );
    let (o, lines) = both("print bad string pointers", &image);
    assert_eq!(slots(&o)[..5], [EFAULT, EFAULT, EFAULT, EFAULT, 1]);
    assert_eq!(lines, vec!["[fc 0x0101] x\n".to_string()]);
}

#[test]
fn print_rate_limit() {
    let _g = lock();
    let steps: Vec<Step> = (0..5)
        .map(|i| step(nr::PRINT, &[ro(0), V(0), V(0), V(0)], Some(i)))
        .collect();
    let (o, lines) = both("print rate limit", &container(&steps, b"hi\0"));
    // The fixture's board allows 3 lines per second.
    assert_eq!(slots(&o)[..5], [2, 2, 2, EBUSY, EBUSY]);
    assert_eq!(lines.len(), 3);
}

#[test]
fn memcpy_bad_ranges() {
    let _g = lock();
    let image = container(
        &[
            step(nr::MEMCPY, &[ro(0), Fp(-8), V(1)], Some(0)),
            step(nr::MEMCPY, &[Fp(-8), ro(2), V(4)], Some(1)),
            step(nr::MEMCPY, &[Fp(-8), Fp(-8), V(u64::MAX)], Some(2)),
            step(nr::MEMCPY, &[V(0), Fp(-8), V(1)], Some(3)),
            step(nr::MEMCPY, &[Fp(-16), ro(0), V(4)], Some(4)),
        ],
        b"abcd",
    );
    let (o, _) = both("memcpy", &image);
    assert_eq!(slots(&o)[..5], [EFAULT, EFAULT, EFAULT, EFAULT, 0]);
}

#[test]
fn memset_bad_ranges() {
    let _g = lock();
    let image = container(
        &[
            step(nr::MEMSET, &[ro(0), V(1), V(0)], Some(0)),
            step(nr::MEMSET, &[Fp(-8), V(1), V(9)], Some(1)),
            step(
                nr::MEMSET,
                &[V(vaddr(REGION_CONTEXT, 60)), V(1), V(8)],
                Some(2),
            ),
            step(nr::MEMSET, &[Fp(-16), V(0x1FF), V(u64::MAX)], Some(3)),
            step(nr::MEMSET, &[Fp(-16), V(0x1FF), V(16)], Some(4)),
        ],
        b"abcd",
    );
    let (o, _) = both("memset", &image);
    assert_eq!(slots(&o)[..5], [EFAULT, EFAULT, EFAULT, EFAULT, 0]);
}

#[test]
fn kv_bad_scopes_and_pointers() {
    let _g = lock();
    let image = container(
        &[
            step(nr::KV_STORE, &[V(3), V(1), V(1)], Some(0)),
            step(nr::KV_FETCH, &[V(u64::MAX), V(1), Fp(-8)], Some(1)),
            step(nr::KV_FETCH, &[V(0), V(1), V(0)], Some(2)),
            step(nr::KV_STORE, &[V(0), V(1), V(0x1122)], Some(3)),
            step(nr::KV_FETCH, &[V(0), V(1), ro(0)], Some(4)),
            step(nr::KV_FETCH, &[V(0), V(1), Fp(-4)], Some(5)),
            step(nr::KV_FETCH, &[V(0), V(1 | 1 << 32), Fp(-8)], Some(6)),
            step(nr::KV_FETCH, &[V(1), V(1), Fp(-8)], Some(7)),
        ],
        b"12345678",
    );
    let (o, _) = both("kv bad input", &image);
    assert_eq!(
        slots(&o),
        [EINVAL, EINVAL, ENOENT, 0, EFAULT, EFAULT, 0, ENOENT]
    );
}

#[test]
fn kv_capacities() {
    let _g = lock();
    let e = capsules_femto::state::KV_PROCESS_ENTRIES as i32;
    let g = capsules_femto::driver::KV_GLOBAL_ENTRIES as i32;
    let steps = [
        // Fill the process's table: half in the container's scope, half in
        // the process's.
        repeat(e / 2, nr::KV_STORE, &[V(0), K, K], None),
        repeat(e - e / 2, nr::KV_STORE, &[V(1), K, K], Some(0)),
        step(nr::KV_STORE, &[V(1), V(1000), V(0)], Some(1)),
        step(nr::KV_STORE, &[V(0), V(1000), V(0)], Some(2)),
        // Replacing an existing key works when full.
        step(nr::KV_STORE, &[V(0), V(3), V(0)], Some(3)),
        // The global scope has its own entries.
        repeat(g, nr::KV_STORE, &[V(2), K, K], Some(4)),
        step(nr::KV_STORE, &[V(2), V(1000), V(0)], Some(5)),
    ];
    let (o, _) = both("kv capacities", &container(&steps, b""));
    assert_eq!(slots(&o)[..6], [0, ENOMEM, ENOMEM, 0, 0, ENOMEM]);
}

#[test]
fn sensor_and_notify() {
    let _g = lock();
    let image = container(
        &[
            step(nr::SENSOR_LAST, &[V(0)], Some(0)),
            step(nr::SENSOR_LAST, &[V(1)], Some(1)),
            step(nr::SENSOR_LAST, &[V(u64::MAX)], Some(2)),
            step(nr::SENSOR_LAST, &[V(1 << 32)], Some(3)),
            step(nr::NOTIFY, &[V(5)], Some(4)),
        ],
        b"",
    );
    let (o, _) = both("sensor and notify", &image);
    assert_eq!(slots(&o)[..5], [ENOENT, ENOENT, ENOENT, ENOENT, 0]);
}

#[test]
fn unknown_helper_in_the_allow_list_faults() {
    let _g = lock();
    let image = container(
        &[step(nr::RANDOM, &[], Some(0)), step(0x7F, &[V(1)], Some(1))],
        b"",
    );
    let (o, _) = both("unknown helper", &image);
    // Fault kind 3 (unknown helper) at the call's pc.
    assert_eq!(o, Err((3, 4)));
}
