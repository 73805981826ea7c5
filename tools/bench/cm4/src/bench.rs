//! The benchmark sequence: every measured section is printed as
//! `section NAME START STOP` (see [`crate::mark`]); results are checked and
//! printed as `check ...`; eBPF instruction counts as `count NAME N`.
use core::fmt::Write;
use core::hint::black_box;

use femto_bench_programs as programs;
use femto_vm::{
    helpers, AllowList, Error, Helpers, InsnCounter, Memory, Program, Region, VerifierConfig,
};

use femto_bench_cm4::mark::Sections;
use femto_bench_cm4::semihosting::{self, Writer};

/// Fuel for every run: far more than any benchmark program needs.
const FUEL: u64 = 1_000_000;
/// Stack per run: one frame (the programs make no local calls).
const STACK: usize = 512;

/// The benchmark's helpers: helper `BENCH_HELPER` returns its first argument.
struct BenchHelpers;

impl Helpers for BenchHelpers {
    fn call(&mut self, id: u32, args: [u64; 5], _memory: &mut Memory<'_>) -> Result<u64, Error> {
        if id == programs::BENCH_HELPER {
            Ok(args[0])
        } else {
            Err(helpers::unknown(id))
        }
    }
}

const ALLOWED: [u32; 1] = [programs::BENCH_HELPER];

fn config() -> VerifierConfig<'static> {
    VerifierConfig {
        helpers: AllowList::Ids(&ALLOWED),
        ..VerifierConfig::default()
    }
}

/// Runs every measurement, prints the section table and exits QEMU.
pub fn main() -> ! {
    let mut s = Sections::new();
    let mut ok = true;
    // Two marks with nothing in between: the cost of a mark itself.
    s.measure("empty", || ());

    // Per-instruction programs: verify (measured), run (measured), count.
    ok &= per_op(&mut s, "baseline", programs::BASELINE);
    for p in programs::PER_OP {
        ok &= per_op(&mut s, p.name, p.program);
    }

    ok &= fletcher32(&mut s);
    ok &= bubble_sort_verify(&mut s);
    ok &= container_run(&mut s);
    ok &= hook_fire(&mut s);

    semihosting::exit(ok)
}

/// Room for the largest benchmark program's text, copied to RAM so that it
/// can be translated in place as the capsule does at load.
const TEXT_BUF: usize = 8 * 1100;

/// `text` copied into the start of `buf` (programs are translated in place,
/// so they must be in RAM).
fn in_ram<'b>(buf: &'b mut [u8; TEXT_BUF], text: &[u8]) -> Result<&'b mut [u8], Error> {
    let copy = buf.get_mut(..text.len()).ok_or(Error::ImageTooShort {
        needed: text.len(),
        actual: TEXT_BUF,
    })?;
    copy.copy_from_slice(text);
    Ok(copy)
}

fn per_op(s: &mut Sections, name: &str, text: &'static [u8]) -> bool {
    let cfg = config();
    let text = black_box(text);
    // Load as the capsule does: the program is in RAM, verified and
    // translated in place (`femto_vm::translate`); "verify" measures both.
    let mut buf = [0u8; TEXT_BUF];
    let copy = match in_ram(&mut buf, text) {
        Ok(c) => c,
        Err(e) => return report_error(name, "copy", e),
    };
    let program = match s.measure_named("verify", name, || femto_vm::verify_translated(copy, &cfg))
    {
        Ok(p) => p,
        Err(e) => return report_error(name, "verify", e),
    };
    print_kv("slots", name, program.len() as u64);
    let mut stack = [0u8; STACK];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    let result = s.measure_named("run", name, || {
        program.run(0, &mut memory, &mut BenchHelpers, FUEL)
    });
    let r0 = match result {
        Ok(v) => v,
        Err(e) => return report_error(name, "run", e),
    };
    // Count the eBPF instructions executed (unmeasured, traced run).
    let mut counter = InsnCounter::default();
    if let Err(e) = femto_vm::run_traced(
        &program,
        0,
        &mut memory,
        &mut BenchHelpers,
        FUEL,
        &mut counter,
    ) {
        return report_error(name, "traced run", e);
    }
    print_kv("ebpf_insns", name, counter.count);
    let expected = match name {
        "add_imm" => 1_000_000_007 + programs::OPS as u64,
        "add_reg" => 1_000_000_007 + programs::OPS as u64,
        "call" => 1,
        _ => 1_000_000_007,
    };
    // The compact interpreter (`femto_vm::compact`) runs the program as
    // written (no translation), as a kernel built with `compact-vm` does.
    let plain = match femto_vm::verify(text, &cfg) {
        Ok(p) => p,
        Err(e) => return report_error(name, "verify", e),
    };
    let compact = s.measure_named("run_compact", name, || {
        femto_vm::compact::run(&plain, 0, &mut memory, &mut BenchHelpers, FUEL)
    });
    match compact {
        Ok(v) => check(name, r0, expected) && check("compact", v, expected),
        Err(e) => report_error(name, "compact run", e),
    }
}

fn fletcher32(s: &mut Sections) -> bool {
    let input: &[u8] = black_box(&programs::FLETCHER32_INPUT[..]);
    let native = s.measure("run.fletcher32.native", || {
        programs::fletcher32_native(input)
    });
    let mut ok = check(
        "fletcher32.native",
        u64::from(native),
        u64::from(programs::FLETCHER32_EXPECTED),
    );

    let cfg = config();
    let text = black_box(programs::FLETCHER32);
    // As written (for the comparison below), then copied to RAM, verified
    // and translated as the capsule loads containers.
    let plain: Program<'_> = match femto_vm::verify(text, &cfg) {
        Ok(p) => p,
        Err(e) => return report_error("fletcher32", "verify", e),
    };
    let mut buf = [0u8; TEXT_BUF];
    let copy = match in_ram(&mut buf, text) {
        Ok(c) => c,
        Err(e) => return report_error("fletcher32", "copy", e),
    };
    let program: Program<'_> = match s.measure("verify.fletcher32", || {
        femto_vm::verify_translated(copy, &cfg)
    }) {
        Ok(p) => p,
        Err(e) => return report_error("fletcher32", "verify", e),
    };
    print_kv("slots", "fletcher32", program.len() as u64);

    // Context { u64 data address; u32 words; u32 pad }, the data in a
    // read-only extra region (the original benchmark also mapped the input as
    // a separate read-only region).
    let mut stack = [0u8; STACK];
    let mut ctx = [0u8; 16];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    let base = match memory.map_extra(Region::ReadOnly(input)) {
        Ok(b) => b,
        Err(e) => return report_error("fletcher32", "map_extra", e),
    };
    ctx[..8].copy_from_slice(&base.to_le_bytes());
    ctx[8..12].copy_from_slice(&((input.len() / 2) as u32).to_le_bytes());
    memory.map_context_ro(&ctx);

    let result = s.measure("run.fletcher32.vm", || {
        program.run(0, &mut memory, &mut BenchHelpers, FUEL)
    });
    match result {
        Ok(v) => ok &= check("fletcher32.vm", v, u64::from(programs::FLETCHER32_EXPECTED)),
        Err(e) => return report_error("fletcher32", "run", e),
    }
    // The same program not translated (what pre-decoding gains).
    let result = s.measure("run.fletcher32.vm_untranslated", || {
        plain.run(0, &mut memory, &mut BenchHelpers, FUEL)
    });
    match result {
        Ok(v) => {
            ok &= check(
                "fletcher32.vm_untranslated",
                v,
                u64::from(programs::FLETCHER32_EXPECTED),
            )
        }
        Err(e) => return report_error("fletcher32", "untranslated run", e),
    }
    // The compact interpreter, on the program as written.
    let result = s.measure("run.fletcher32.vm_compact", || {
        femto_vm::compact::run(&plain, 0, &mut memory, &mut BenchHelpers, FUEL)
    });
    match result {
        Ok(v) => ok &= check("fletcher32.vm_compact", v, u64::from(programs::FLETCHER32_EXPECTED)),
        Err(e) => return report_error("fletcher32", "compact run", e),
    }
    let mut counter = InsnCounter::default();
    if let Err(e) = femto_vm::run_traced(
        &program,
        0,
        &mut memory,
        &mut BenchHelpers,
        FUEL,
        &mut counter,
    ) {
        return report_error("fletcher32", "traced run", e);
    }
    print_kv("ebpf_insns", "fletcher32", counter.count);

    // The same run metered, as the capsule runs containers (it reports the
    // fuel used by each run).
    let result = s.measure("run.fletcher32.vm_counted", || {
        let mut fuel = FUEL;
        femto_vm::run_metered(&program, 0, &mut memory, &mut BenchHelpers, &mut fuel)
    });
    match result {
        Ok(v) => {
            ok &= check(
                "fletcher32.vm_counted",
                v,
                u64::from(programs::FLETCHER32_EXPECTED),
            )
        }
        Err(e) => return report_error("fletcher32", "counted run", e),
    }
    ok
}

/// One run of a trivial container (`r0 = 0; exit`) the way the capsule runs
/// a container on a hook: at load (not measured) the image is parsed and
/// verified once and its run layout recorded
/// (`capsules_femto::state::RunLayout::of`); the measured run takes text,
/// rodata and verifier settings from that layout without parsing
/// (`RunLayout::parts`), rebuilds the program without re-verifying, maps
/// stack, read-only 16-byte context, data and rodata, and runs metered (fuel
/// used reported). This is the VM's share of firing a hook with one trivial
/// container (the capsule's grant lookup and bookkeeping are not included;
/// see [`hook_fire`] for the whole path).
fn container_run(s: &mut Sections) -> bool {
    use capsules_femto::state::RunLayout;
    let mut buf = [0u8; 256];
    let len = match trivial_image(&mut buf) {
        Ok(n) => n,
        Err(e) => return report_error("container", "encode", e),
    };
    let image_bytes: &[u8] = black_box(&buf[..len]);
    // Load time (not measured here): parse and verify once, record the
    // layout.
    let layout = match femto_vm::Image::parse(image_bytes)
        .and_then(|i| i.verify().map(|_| i))
        .map(|i| (RunLayout::of(&i, i.function(b"main").unwrap_or(0) as u16)))
    {
        Ok(Some(l)) => black_box(l),
        Ok(None) => return fail_msg("container: no run layout"),
        Err(e) => return report_error("container", "load", e),
    };
    let mut stack = [0u8; STACK];
    let ctx = [0u8; 16];
    let mut data = [0u8; 0];
    // `None`: a recorded range lies outside the image (the capsule reports
    // that as a fault of kind OTHER).
    let result = s.measure("run.container.trivial", || -> Option<Result<u64, Error>> {
        let (text, rodata, config) = layout.parts(image_bytes)?;
        let program = Program::assume_verified(text, &config);
        let mut memory = Memory::for_container(&mut stack, Region::ReadOnly(&ctx), &mut data, rodata);
        let mut fuel = FUEL;
        Some(femto_vm::run_metered(
            &program,
            layout.entry as usize,
            &mut memory,
            &mut BenchHelpers,
            &mut fuel,
        ))
    });
    match result {
        Some(Ok(v)) => check("container.trivial", v, 0),
        Some(Err(e)) => report_error("container", "run", e),
        None => fail_msg("container: recorded layout outside the image"),
    }
}

/// Encodes the trivial container (`r0 = 0; exit`, function `main`, 512-byte
/// stack frame, no data) into `buf`; returns its length.
fn trivial_image(buf: &mut [u8]) -> Result<usize, Error> {
    two_insn_image(buf, b"trivial", femto_vm::isa::Insn::new(0xb7, 0, 0, 0, 0), &[])
}

/// Encodes a container that calls the kernel helper `fc_now_ms` (`call
/// 0x20; exit`: it returns the time) into `buf`; returns its length.
fn now_ms_image(buf: &mut [u8]) -> Result<usize, Error> {
    let nr = femto_helpers::nr::NOW_MS;
    two_insn_image(buf, b"now_ms", femto_vm::isa::Insn::new(0x85, 0, 0, 0, nr as i32), &[nr])
}

/// A container of `first; exit` (function `main`, 512-byte stack frame, no
/// data) allowed to call `helpers`.
fn two_insn_image(
    buf: &mut [u8],
    name: &[u8],
    first: femto_vm::isa::Insn,
    helpers: &[u32],
) -> Result<usize, Error> {
    use femto_vm::image::{Function, ImageSpec};
    let mut text = [0u8; 16];
    text[..8].copy_from_slice(&first.encode());
    text[8..].copy_from_slice(&femto_vm::isa::Insn::new(0x95, 0, 0, 0, 0).encode());
    let functions = [Function {
        name: b"main",
        pc: 0,
    }];
    let spec = ImageSpec { name, functions: &functions, helpers, ..ImageSpec::of_text(&text) };
    spec.encode(buf)
}

/// The capsule's hook path, `FemtoHooks::fire` of
/// `capsules_femto::FemtoContainers`, called through `&dyn FemtoHooks` as a
/// driver does, on a minimal Tock platform ([`crate::tock`]: the real
/// `Kernel`, grant and syscall path, one fake process):
///
/// * `hook.fire_empty`: the button hook with no container attached (a
///   container is loaded, but not attached to it);
/// * `hook.fire_one_trivial`: the button hook (16-byte read-only context)
///   with one trivial container attached: grant iteration and entry, slot
///   scan, the run (image copy to program, memory map, VM), statistics, the
///   result upcall queued in the process's task queue;
/// * `hook.fire_one_trivial_rw`: the same on the temperature hook (16-byte
///   writable context: run in place after a backup copy);
/// * `hook.fire_one_helper`: the button hook with, instead, one container
///   that calls the kernel helper `fc_now_ms` (the capsule's helper path:
///   the run-time allow-list check, `femto_helpers::Abi`, the capsule's
///   `Host`, the alarm).
///
/// The container is loaded and attached through the kernel's syscall path
/// (allow, command 1, command 5) before. Each measured fire is the second of
/// its kind (steady state: the first one zeroes the process's container
/// stack, which happens only when another container ran on it last).
fn hook_fire(s: &mut Sections) -> bool {
    use capsules_femto::hooks::{self, FemtoHooks, HookDescriptor, HookOutcome};
    use capsules_femto::{abi, FemtoContainers, Limits};
    use femto_fake_tock::process::UNUSED_TASK;
    use femto_fake_tock::Drivers;
    use kernel::process::Process;
    use kernel::syscall::{Syscall, SyscallDriver, SyscallReturn};
    use kernel::Kernel;

    use crate::tock::{
        Arena, BoardCap, FakeAlarm, FakeChip, FakeProcess, NullConsole, OneProcess, Platform,
        ProcessMemory, Ram, Resources, TASKS,
    };

    /// Containers per process, slot bytes, container stack (the nRF52840-DK
    /// kernel's stack size; a smaller N and SLOT do not change the path).
    const N: usize = 2;
    const SLOT: usize = 256;
    const CSTACK: usize = 512;
    type Femto = FemtoContainers<'static, FakeAlarm, N, SLOT, CSTACK>;
    static HOOKS: [HookDescriptor; 3] = [hooks::TIMER, hooks::TEMPERATURE, hooks::BUTTON];

    // SAFETY: this function runs once (from `main`), so each static buffer
    // `static_init!` creates is initialised exactly once.
    let (process, kernel, femto) = unsafe {
        let ram = kernel::static_init!(Ram, Ram([0; crate::tock::PROCESS_RAM]));
        let arena = kernel::static_init!(Arena, Arena([0; crate::tock::GRANT_ARENA]));
        let tasks = kernel::static_init!([kernel::process::Task; TASKS], [UNUSED_TASK; TASKS]);
        let memory = ProcessMemory {
            ram: &mut ram.0,
            grants: &mut arena.0,
            tasks,
        };
        let process: &'static FakeProcess =
            kernel::static_init!(FakeProcess, FakeProcess::new("bench", 0, memory));
        let processes = kernel::static_init!(
            [Option<&'static dyn Process>; 1],
            [Some(process as &'static dyn Process)]
        );
        let kernel: &'static Kernel = kernel::static_init!(Kernel, Kernel::new(processes));
        process.attach(kernel);
        let alarm = kernel::static_init!(FakeAlarm, FakeAlarm::new());
        let context = kernel::static_init!([u8; 64], [0; 64]);
        let femto: &'static Femto = kernel::static_init!(
            Femto,
            FemtoContainers::new(
                kernel.create_grant(abi::DRIVER_NUM, &BoardCap),
                alarm,
                &HOOKS,
                context,
                &NullConsole,
                Limits::default(),
            )
        );
        (process, kernel, femto)
    };
    kernel::deferred_call::DeferredCallClient::register(femto);
    // SAFETY: as above, initialised once.
    let resources: &'static Resources = unsafe {
        let drivers = kernel::static_init!(
            [(usize, &'static dyn SyscallDriver); 1],
            [(abi::DRIVER_NUM, femto as &'static dyn SyscallDriver)]
        );
        let scheduler = kernel::static_init!(OneProcess, OneProcess { process });
        kernel::static_init!(
            Resources,
            Resources {
                drivers: Drivers(drivers),
                scheduler,
            }
        )
    };
    let platform = Platform {
        kernel,
        process,
        resources,
        chip: FakeChip::new(None),
    };

    let command = |num: usize, arg0: usize, arg1: usize| Syscall::Command {
        driver_number: abi::DRIVER_NUM,
        subdriver_number: num,
        arg0,
        arg1,
    };
    // Loads a container through the syscall path (allow, command 1).
    let load = |encode: fn(&mut [u8]) -> Result<usize, Error>| -> Result<usize, &'static str> {
        let mut buf = [0u8; 256];
        let len = encode(&mut buf).map_err(|_| "hook: image encoding failed")?;
        if len > process.ram_len() {
            return Err("hook: image does not fit the process RAM");
        }
        process.write_ram(0, &buf[..len]);
        let allow = Syscall::ReadOnlyAllow {
            driver_number: abi::DRIVER_NUM,
            subdriver_number: abi::ALLOW_RO_IMAGE,
            allow_address: process.ram_ptr(0),
            allow_size: len,
        };
        if !matches!(
            platform.syscall(allow),
            Some(SyscallReturn::AllowReadOnlySuccess(..))
        ) {
            return Err("hook: allow of the image failed");
        }
        match platform.syscall(command(abi::command::LOAD, 0, 0)) {
            Some(SyscallReturn::SuccessU32(id)) => Ok(id as usize),
            _ => Err("hook: load (command 1) failed"),
        }
    };
    let id = match load(trivial_image) {
        Ok(id) => id,
        Err(e) => return fail_msg(e),
    };

    let hooks_dyn: &dyn FemtoHooks = black_box(femto);
    let mut ctx = hooks::button_context(0, true, 0);

    // (a) No container attached to the button hook.
    let outcome = s.measure("hook.fire_empty", || {
        hooks_dyn.fire(black_box(hooks::BUTTON_ID), &mut ctx)
    });
    let mut ok = check_outcome("hook.fire_empty", outcome, HookOutcome::default());

    // (b) One trivial container attached to the button and temperature hooks.
    for hook in [hooks::BUTTON_ID, hooks::TEMPERATURE_ID] {
        let packed = id | ((hook as usize) << 16);
        if !matches!(
            platform.syscall(command(abi::command::ATTACH, packed, 0)),
            Some(SyscallReturn::Success)
        ) {
            return fail_msg("hook: attach (command 5) failed");
        }
    }
    let one = HookOutcome {
        runs: 1,
        faults: 0,
        result: Some(0),
    };
    // Each: a warm-up fire (zeroes the container stack once), then the
    // measured fire; both must run the container once and queue one upcall.
    let fire_twice = |s: &mut Sections, name: &str, id: u16, ctx: &mut [u8]| {
        let mut ok = check_outcome(name, hooks_dyn.fire(id, ctx), one);
        ok &= check_upcalls(name, process.drain_tasks());
        let outcome = s.measure(name, || hooks_dyn.fire(black_box(id), ctx));
        ok &= check_outcome(name, outcome, one);
        ok & check_upcalls(name, process.drain_tasks())
    };
    ok &= fire_twice(s, "hook.fire_one_trivial", hooks::BUTTON_ID, &mut ctx);
    let mut tctx = hooks::temperature_context(2150, 0, 0);
    ok &= fire_twice(s, "hook.fire_one_trivial_rw", hooks::TEMPERATURE_ID, &mut tctx);

    // (c) The button hook with a container that calls fc_now_ms instead
    // (the fake alarm's time is 0, so it returns 0 like the trivial one).
    let detach = command(abi::command::DETACH, id, hooks::BUTTON_ID as usize);
    if !matches!(platform.syscall(detach), Some(SyscallReturn::Success)) {
        return fail_msg("hook: detach (command 6) failed");
    }
    let helper_id = match load(now_ms_image) {
        Ok(id) => id,
        Err(e) => return fail_msg(e),
    };
    let attach = command(abi::command::ATTACH, helper_id | ((hooks::BUTTON_ID as usize) << 16), 0);
    if !matches!(platform.syscall(attach), Some(SyscallReturn::Success)) {
        return fail_msg("hook: attach (command 5) of the helper container failed");
    }
    ok &= fire_twice(s, "hook.fire_one_helper", hooks::BUTTON_ID, &mut ctx);
    if !process.is_alive() {
        return fail_msg("hook: the fake process faulted or exited");
    }
    ok
}

fn check_outcome(
    what: &str,
    got: capsules_femto::HookOutcome,
    want: capsules_femto::HookOutcome,
) -> bool {
    let mut out = Writer::new();
    if got == want {
        let _ = writeln!(
            out,
            "check {what} ok runs={} faults={}",
            got.runs, got.faults
        );
        true
    } else {
        let _ = writeln!(out, "error: {what}: outcome {got:?}, expected {want:?}");
        false
    }
}

/// Exactly one result upcall must have been queued by the fire.
fn check_upcalls(what: &str, queued: usize) -> bool {
    if queued == 1 {
        true
    } else {
        let mut out = Writer::new();
        let _ = writeln!(out, "error: {what}: {queued} upcalls queued, expected 1");
        false
    }
}

fn fail_msg(msg: &str) -> bool {
    let mut out = Writer::new();
    let _ = writeln!(out, "error: {msg}");
    false
}

fn bubble_sort_verify(s: &mut Sections) -> bool {
    let cfg = config();
    let text = black_box(programs::BUBBLE_SORT);
    match s.measure("verify.bubble_sort", || femto_vm::verify(text, &cfg)) {
        Ok(p) => {
            print_kv("slots", "bubble_sort", p.len() as u64);
            true
        }
        Err(e) => report_error("bubble_sort", "verify", e),
    }
}

fn print_kv(kind: &str, name: &str, value: u64) {
    let mut out = Writer::new();
    let _ = writeln!(out, "{kind} {name} {value}");
}

fn report_error(name: &str, stage: &str, e: Error) -> bool {
    let mut out = Writer::new();
    let _ = writeln!(out, "error: {name}: {stage} failed: {e}");
    false
}

fn check(what: &str, got: u64, want: u64) -> bool {
    let mut out = Writer::new();
    if got == want {
        let _ = writeln!(out, "check {what} ok {got:#x}");
        true
    } else {
        let _ = writeln!(out, "error: {what} returned {got:#x}, expected {want:#x}");
        false
    }
}
