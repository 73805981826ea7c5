//! Host benchmark: nanoseconds per executed eBPF instruction of femto-vm and
//! of the `rbpf` crate's interpreter on the same programs (Fletcher32, bubble
//! sort of 64 u32, a tight loop), measured in the same run, with the ratio.
//!
//! Method: both VMs run the same bytecode on the same input; each result is
//! checked. Time per run is the minimum, over `ROUNDS` interleaved rounds
//! (femto-vm, rbpf, femto-vm, rbpf, ...), of the mean over a batch of runs
//! lasting about `BATCH` — the minimum filters out interference from other
//! processes. The executed instruction count comes from femto-vm's
//! `InsnCounter` (one traced run). A run includes what each VM needs per run:
//! femto-vm maps its regions (the stack buffer is reused), rbpf allocates its
//! stack (as its interpreter always does). Bubble sort restores its 260-byte
//! input before every run, for both VMs.
//!
//! On `loop`, a third interpreter runs in the same rounds: [`minimal`], an
//! interpreter that knows only that program's five opcodes and checks
//! nothing but the pc, i.e. what interpreting one instruction at a time
//! costs with no VM around it (see there); and the same interpreter twice
//! more on texts with superinstructions ([`minimal::fuse`]): the loop's
//! closing `sub; jne` as one step, and its whole body as one step.
//!
//! Output: a table, then `figure: NAME = VALUE UNIT` lines.
mod minimal;

use std::hint::black_box;
use std::time::{Duration, Instant};

use femto_bench_programs as programs;
use femto_vm::{memory, verify, AllowList, InsnCounter, Memory, NoHelpers, VerifierConfig};

const FUEL: u64 = 100_000_000;
const ROUNDS: usize = 25;
const BATCH: Duration = Duration::from_millis(20);

/// One benchmark program and its context.
struct Case {
    name: &'static str,
    program: &'static [u8],
    /// The context for femto-vm (data addresses are VM virtual addresses).
    femto_ctx: Vec<u8>,
    /// Fixes up the context for rbpf (data addresses are host addresses).
    rbpf_fixup: fn(&mut [u8]),
    /// Whether the program writes its context (restored before each run).
    writes_ctx: bool,
    expected: u64,
    /// Also time the [`minimal`] interpreter on this program.
    minimal: bool,
}

fn fletcher32_ctx() -> Vec<u8> {
    // { u64 data address; u32 words; u32 pad; } followed by the data.
    let mut ctx = Vec::with_capacity(16 + programs::FLETCHER32_INPUT.len());
    ctx.extend_from_slice(&memory::vaddr(memory::REGION_CONTEXT, 16).to_le_bytes());
    ctx.extend_from_slice(&((programs::FLETCHER32_INPUT.len() / 2) as u32).to_le_bytes());
    ctx.extend_from_slice(&[0; 4]);
    ctx.extend_from_slice(programs::FLETCHER32_INPUT);
    ctx
}

fn fletcher32_rbpf_fixup(ctx: &mut [u8]) {
    let data = ctx.as_ptr() as u64 + 16;
    ctx[..8].copy_from_slice(&data.to_le_bytes());
}

fn no_fixup(_: &mut [u8]) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "fletcher32",
            program: programs::FLETCHER32,
            femto_ctx: fletcher32_ctx(),
            rbpf_fixup: fletcher32_rbpf_fixup,
            writes_ctx: false,
            expected: u64::from(programs::FLETCHER32_EXPECTED),
            minimal: false,
        },
        Case {
            name: "bubble_sort",
            program: programs::BUBBLE_SORT,
            femto_ctx: programs::bubble_sort_context().to_vec(),
            rbpf_fixup: no_fixup,
            writes_ctx: true,
            expected: programs::bubble_sort_expected_swaps(),
            minimal: false,
        },
        Case {
            name: "loop",
            program: programs::LOOP,
            femto_ctx: Vec::new(),
            rbpf_fixup: no_fixup,
            writes_ctx: false,
            expected: programs::LOOP_ITERATIONS * (programs::LOOP_ITERATIONS + 1) / 2,
            minimal: true,
        },
    ]
}

/// Mean time of one call of `f` over a batch of about `BATCH`.
fn batch(f: &mut dyn FnMut() -> u64, iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(f());
    }
    start.elapsed().as_secs_f64() * 1e9 / iters as f64
}

/// Number of calls of `f` that take about `BATCH`.
fn calibrate(f: &mut dyn FnMut() -> u64) -> u64 {
    let mut iters = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        let t = start.elapsed();
        if t >= BATCH / 4 {
            let per = t.as_secs_f64() / iters as f64;
            return ((BATCH.as_secs_f64() / per) as u64).max(1);
        }
        iters *= 2;
    }
}

struct Row {
    name: &'static str,
    insns: u64,
    femto_ns_run: f64,
    rbpf_ns_run: f64,
    /// The [`minimal`] interpreter, where measured: as written, with the
    /// closing pair fused, with the whole loop body fused.
    minimal_ns_run: Option<[f64; 3]>,
}

/// Runs `case` once in each VM and checks both results; returns the
/// number of eBPF instructions executed. Used by the benchmark and the tests.
fn check_case(case: &Case) -> Result<u64, String> {
    let cfg = VerifierConfig {
        helpers: AllowList::Ids(&[]),
        ..VerifierConfig::default()
    };
    let program =
        verify(case.program, &cfg).map_err(|e| format!("{}: femto-vm verify: {e}", case.name))?;
    let mut stack = vec![0u8; 512];
    let mut ctx = case.femto_ctx.clone();
    let mut counter = InsnCounter::default();
    let mut mem = Memory::new();
    mem.map_stack(&mut stack);
    if !ctx.is_empty() {
        mem.map_context_rw(&mut ctx);
    }
    let r = femto_vm::run_traced(&program, 0, &mut mem, &mut NoHelpers, FUEL, &mut counter)
        .map_err(|e| format!("{}: femto-vm: {e}", case.name))?;
    if r != case.expected {
        return Err(format!(
            "{}: femto-vm returned {r:#x}, expected {:#x}",
            case.name, case.expected
        ));
    }
    let vm = rbpf::EbpfVmMbuff::new(Some(case.program))
        .map_err(|e| format!("{}: rbpf load: {e}", case.name))?;
    let mut rctx = case.femto_ctx.clone();
    (case.rbpf_fixup)(&mut rctx);
    let r = vm
        .execute_program(&rctx, &[])
        .map_err(|e| format!("{}: rbpf: {e}", case.name))?;
    if r != case.expected {
        return Err(format!(
            "{}: rbpf returned {r:#x}, expected {:#x}",
            case.name, case.expected
        ));
    }
    Ok(counter.count)
}

fn run_case(case: &Case) -> Result<Row, String> {
    let insns = check_case(case)?;
    let cfg = VerifierConfig {
        helpers: AllowList::Ids(&[]),
        ..VerifierConfig::default()
    };
    // Loaded as the capsule loads containers: verified and translated
    // (pre-decoded) in place, see `femto_vm::translate`.
    let mut text = case.program.to_vec();
    let program = femto_vm::verify_translated(&mut text, &cfg)
        .map_err(|e| format!("{}: femto-vm verify: {e}", case.name))?;
    let mut stack = vec![0u8; 512];
    let mut ctx = case.femto_ctx.clone();
    let template = case.femto_ctx.clone();
    let writes = case.writes_ctx;
    let mut femto = || -> u64 {
        if writes {
            ctx.copy_from_slice(&template);
        }
        let mut mem = Memory::new();
        mem.map_stack(&mut stack);
        if !ctx.is_empty() {
            mem.map_context_rw(&mut ctx);
        }
        program
            .run(0, &mut mem, &mut NoHelpers, FUEL)
            .unwrap_or(u64::MAX)
    };
    let r = femto();
    if r != case.expected {
        return Err(format!(
            "{}: femto-vm returned {r:#x}, expected {:#x}",
            case.name, case.expected
        ));
    }

    // rbpf: EbpfVmMbuff with an empty metadata buffer, so r1 = mem.
    let vm = rbpf::EbpfVmMbuff::new(Some(case.program))
        .map_err(|e| format!("{}: rbpf load: {e}", case.name))?;
    let mut rctx = case.femto_ctx.clone();
    (case.rbpf_fixup)(&mut rctx);
    let rtemplate = rctx.clone();
    let mut rb = || -> u64 {
        if writes {
            rctx.copy_from_slice(&rtemplate);
        }
        vm.execute_program(&rctx, &[]).unwrap_or(u64::MAX)
    };
    let r = rb();
    if r != case.expected {
        return Err(format!(
            "{}: rbpf returned {r:#x}, expected {:#x}",
            case.name, case.expected
        ));
    }

    // The minimal interpreter (on the cases that ask for it) on the text as
    // written and on two fused copies.
    let texts = if case.minimal {
        vec![
            case.program.to_vec(),
            minimal::fuse(case.program, minimal::Fusion::Branch),
            minimal::fuse(case.program, minimal::Fusion::Body),
        ]
    } else {
        Vec::new()
    };
    let mut minimals: Vec<_> = texts
        .iter()
        .map(|t| move || -> u64 { minimal::run(black_box(t), FUEL).unwrap_or(u64::MAX) })
        .collect();
    for (i, mi) in minimals.iter_mut().enumerate() {
        let r = mi();
        if r != case.expected {
            return Err(format!(
                "{}: minimal interpreter (text {i}) returned {r:#x}, expected {:#x}",
                case.name, case.expected
            ));
        }
    }

    let fi = calibrate(&mut femto);
    let ri = calibrate(&mut rb);
    let li: Vec<u64> = minimals.iter_mut().map(|m| calibrate(m)).collect();
    let (mut fbest, mut rbest, mut lbest) = (f64::INFINITY, f64::INFINITY, [f64::INFINITY; 3]);
    for _ in 0..ROUNDS {
        fbest = fbest.min(batch(&mut femto, fi));
        rbest = rbest.min(batch(&mut rb, ri));
        for (i, &n) in li.iter().enumerate() {
            lbest[i] = lbest[i].min(batch(&mut minimals[i], n));
        }
    }
    Ok(Row {
        name: case.name,
        insns,
        femto_ns_run: fbest,
        rbpf_ns_run: rbest,
        minimal_ns_run: case.minimal.then_some(lbest),
    })
}

fn main() {
    let mut rows = Vec::new();
    let mut failed = false;
    for case in cases() {
        match run_case(&case) {
            Ok(row) => rows.push(row),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    println!("host benchmark (release build; ns per executed eBPF instruction, best of {ROUNDS} interleaved rounds)");
    println!(
        "{:<12} {:>12} {:>14} {:>14} {:>12} {:>12} {:>9}",
        "program",
        "ebpf insns",
        "femto ns/run",
        "rbpf ns/run",
        "femto ns/i",
        "rbpf ns/i",
        "speedup"
    );
    for r in &rows {
        println!(
            "{:<12} {:>12} {:>14.0} {:>14.0} {:>12.2} {:>12.2} {:>8.2}x",
            r.name,
            r.insns,
            r.femto_ns_run,
            r.rbpf_ns_run,
            r.femto_ns_run / r.insns as f64,
            r.rbpf_ns_run / r.insns as f64,
            r.rbpf_ns_run / r.femto_ns_run
        );
    }
    for r in &rows {
        if let Some([l, pair, body]) = r.minimal_ns_run {
            println!(
                "{:<12} minimal 5-opcode match interpreter (minimal.rs): {:.2} ns/i, {:.2}x rbpf; femto-vm takes {:.2}x its time",
                r.name,
                l / r.insns as f64,
                r.rbpf_ns_run / l,
                r.femto_ns_run / l
            );
            println!(
                "{:<12} the same with `sub; jne` fused: {:.2} ns/i, {:.2}x rbpf; with the whole body fused (one dispatch per iteration): {:.2} ns/i, {:.2}x rbpf",
                r.name,
                pair / r.insns as f64,
                r.rbpf_ns_run / pair,
                body / r.insns as f64,
                r.rbpf_ns_run / body
            );
        }
    }
    for r in &rows {
        println!("figure: host.{}.ebpf_insns = {} insns", r.name, r.insns);
        if let Some(l) = r.minimal_ns_run {
            for (what, t) in ["minimal", "minimal_fused_pair", "minimal_fused_body"].iter().zip(l) {
                println!(
                    "figure: host.{}.{what}_ns_per_insn = {:.2} ns",
                    r.name,
                    t / r.insns as f64
                );
                println!(
                    "figure: host.{}.{what}_speedup_vs_rbpf = {:.2} x",
                    r.name,
                    r.rbpf_ns_run / t
                );
            }
        }
        println!(
            "figure: host.{}.femto_ns_per_insn = {:.2} ns",
            r.name,
            r.femto_ns_run / r.insns as f64
        );
        println!(
            "figure: host.{}.rbpf_ns_per_insn = {:.2} ns",
            r.name,
            r.rbpf_ns_run / r.insns as f64
        );
        println!(
            "figure: host.{}.speedup_vs_rbpf = {:.2} x",
            r.name,
            r.rbpf_ns_run / r.femto_ns_run
        );
    }
    if failed {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_vms_compute_the_expected_results() {
        for case in cases() {
            let insns = check_case(&case).unwrap();
            assert!(insns > 0, "{}", case.name);
        }
    }

    #[test]
    fn loop_executes_the_documented_instruction_count() {
        let case = cases().into_iter().find(|c| c.name == "loop").unwrap();
        assert_eq!(
            check_case(&case).unwrap(),
            3 * programs::LOOP_ITERATIONS + 3
        );
    }
}
