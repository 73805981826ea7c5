//! `femto run`: runs a function of an image on the host with femto-vm's
//! verifier and interpreter and the simulated helpers of [`crate::sim`].
//!
//! The address space is set up as on the device: the stack (the image's
//! frame size × [`femto_vm::MAX_CALL_FRAMES`]), the context (read-write unless
//! `--ctx-ro`), the container's data + bss and its rodata.

use crate::sim::SimHost;
use femto_helpers::Abi;
use femto_vm::{Error, Image, Memory, Program, Region, Tracer};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Default fuel budget (taken jumps and calls).
pub const DEFAULT_FUEL: u64 = 1_000_000;

/// Largest stack (all frames) or data region `femto run` allocates: an image
/// asking for more is refused with a message instead of exhausting host memory.
pub const MAX_HOST_REGION: usize = 64 << 20;

/// Options of one `femto run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Function name; `None`: `main` if present, else the first function.
    pub entry: Option<String>,
    /// Context bytes, if any.
    pub ctx: Option<Vec<u8>>,
    /// Map the context read-only.
    pub ctx_ro: bool,
    /// Fuel budget.
    pub fuel: u64,
    /// Print each instruction.
    pub trace: bool,
    /// Simulated temperature for `fc_sensor_last(0)`.
    pub temperature: Option<i64>,
    /// `fc_random` seed.
    pub seed: u64,
    /// Number of runs.
    pub repeat: u32,
    /// `fc_print` lines per second (the board's limit); `None`: the device
    /// default ([`femto_helpers::DEFAULT_PRINTS_PER_SECOND`]).
    pub prints_per_second: Option<u32>,
}

/// How one run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// r0, or the error that stopped the run.
    pub result: Result<u64, Error>,
    /// Instructions executed (an `lddw` counts once).
    pub insns: u64,
    /// Fuel spent: taken jumps and calls.
    pub fuel_used: u64,
    /// Text printed by helpers.
    pub output: String,
    /// The context after the run.
    pub ctx_after: Option<Vec<u8>>,
}

/// Counts instructions and fuel, and prints a trace line per instruction.
struct RunTracer<'t> {
    trace: Option<&'t [Option<String>]>,
    insns: u64,
    fuel: u64,
    /// Previous instruction (pc, bytes), to see whether a jump was taken.
    prev: Option<(usize, [u8; 8])>,
}

impl RunTracer<'_> {
    /// Fuel rule of femto-vm's interpreter: one unit per taken jump and per call.
    fn account(&mut self, next_pc: Option<usize>) {
        let Some((pc, ins)) = self.prev else { return };
        let op = ins[0];
        let class = op & 7;
        if class != 5 && class != 6 {
            return;
        }
        match op >> 4 {
            0x8 => self.fuel += 1, // call
            0x9 => {}              // exit
            _ => {
                let off = if op == 0x06 {
                    i32::from_le_bytes([ins[4], ins[5], ins[6], ins[7]]) as i64 // ja32 / gotol
                } else {
                    i16::from_le_bytes([ins[2], ins[3]]) as i64
                };
                let target = pc as i64 + 1 + off;
                if next_pc.map(|n| n as i64) == Some(target) && off != 0 {
                    self.fuel += 1;
                } else if off == 0 && op == 0x05 {
                    self.fuel += 1; // `ja +0` is taken
                }
            }
        }
    }
}

impl Tracer for RunTracer<'_> {
    fn step(&mut self, pc: usize, insn: &[u8; 8], regs: &[u64; 16]) {
        self.account(Some(pc));
        self.insns += 1;
        self.prev = Some((pc, *insn));
        if let Some(lines) = self.trace {
            let text = lines.get(pc).and_then(|l| l.as_deref()).unwrap_or("?");
            let mut s = format!("trace: {pc:>5}: {text:<32}");
            let nz: Vec<String> = regs
                .iter()
                .take(11)
                .enumerate()
                .filter(|(_, v)| **v != 0)
                .map(|(i, v)| format!("r{i}={v:#x}"))
                .collect();
            if !nz.is_empty() {
                let _ = write!(s, " ; {}", nz.join(" "));
            }
            let mut o = std::io::stdout().lock();
            let _ = writeln!(o, "{}", s.trim_end());
        }
    }
}

/// Chooses the entry function: by name, or `main`, or the first one.
pub fn pick_entry(image: &Image<'_>, name: Option<&str>) -> Result<(String, usize), String> {
    let names = || {
        image.functions().map(|f| String::from_utf8_lossy(f.name).into_owned()).collect::<Vec<_>>().join(", ")
    };
    match name {
        Some(n) => image
            .function(n.as_bytes())
            .map(|pc| (n.to_string(), pc as usize))
            .ok_or_else(|| format!("no function `{n}` in the image (it has: {})", names())),
        None => {
            if let Some(pc) = image.function(b"main") {
                return Ok(("main".into(), pc as usize));
            }
            match image.functions().next() {
                Some(f) => Ok((String::from_utf8_lossy(f.name).into_owned(), f.pc as usize)),
                None if image.function_count() == 0 => Ok(("<pc 0>".into(), 0)),
                None => Err("the image's function table is unreadable".into()),
            }
        }
    }
}

/// An image ready to run: verified, entry chosen, data region initialised
/// (it persists across runs, as on the device).
struct Prepared<'a> {
    image: Image<'a>,
    program: Program<'a>,
    entry_name: String,
    entry: usize,
    stack_len: usize,
    data: Vec<u8>,
}

/// Parses, verifies and sets up `bytes`; messages name the image `what`.
fn prepare<'a>(what: &str, bytes: &'a [u8], opts: &RunOptions) -> Result<Prepared<'a>, String> {
    let image = Image::parse(bytes).map_err(|e| format!("{what}: not a valid image: {e}"))?;
    let program = image.verify().map_err(|e| format!("{what}: rejected by the verifier: {e}"))?;
    let (entry_name, entry) = pick_entry(&image, opts.entry.as_deref())?;
    if image.data_region_len() > MAX_HOST_REGION {
        return Err(format!(
            "{what}: the data region ({} bytes) is larger than femto run allows ({MAX_HOST_REGION})",
            image.data_region_len()
        ));
    }
    let frame = program.stack_frame_size() as usize;
    let stack_len = frame.saturating_mul(femto_vm::MAX_CALL_FRAMES);
    if stack_len > MAX_HOST_REGION {
        return Err(format!(
            "{what}: the stack ({frame} bytes per frame) is larger than femto run allows ({MAX_HOST_REGION} in all)"
        ));
    }
    let mut data = vec![0u8; image.data_region_len()];
    image.init_data(&mut data).map_err(|e| format!("cannot initialise the data region: {e}"))?;
    Ok(Prepared { image, program, entry_name, entry, stack_len, data })
}

/// A simulated device set up as `opts` says.
fn host(opts: &RunOptions, echo: bool) -> SimHost {
    let mut host = SimHost::new(opts.seed);
    host.echo = echo;
    host.temperature = opts.temperature;
    if let Some(n) = opts.prints_per_second {
        host.prints_per_second = n;
    }
    host
}

impl Prepared<'_> {
    /// One run on `host`, with the context `ctx` (changed in place).
    fn run(
        &mut self,
        host: &mut SimHost,
        ctx: &mut Option<Vec<u8>>,
        opts: &RunOptions,
        trace: Option<&[Option<String>]>,
    ) -> RunReport {
        let out_before = host.output.len();
        let mut stack = vec![0u8; self.stack_len];
        // The address space the capsule builds for a run.
        let context = match (ctx.as_mut(), opts.ctx_ro) {
            (Some(c), false) => Region::ReadWrite(c),
            (Some(c), true) => Region::ReadOnly(c),
            (None, _) => Region::Unmapped,
        };
        let mut mem = Memory::for_container(&mut stack, context, &mut self.data, self.image.rodata());
        let mut tracer = RunTracer { trace, insns: 0, fuel: 0, prev: None };
        let result =
            femto_vm::run_traced(&self.program, self.entry, &mut mem, &mut Abi(host), opts.fuel, &mut tracer);
        tracer.account(None);
        RunReport {
            result,
            insns: tracer.insns,
            fuel_used: tracer.fuel.min(opts.fuel),
            output: host.output.get(out_before..).unwrap_or("").to_string(),
            ctx_after: ctx.clone(),
        }
    }
}

/// Runs an image (its bytes) as `femto run` does, `opts.repeat` times (at
/// least once) on one simulated device, without printing: the reports of
/// the runs, each with what its helpers printed.
pub fn run_image(bytes: &[u8], opts: &RunOptions) -> Result<Vec<RunReport>, String> {
    let mut p = prepare("image", bytes, opts)?;
    let mut host = host(opts, false);
    let mut ctx = opts.ctx.clone();
    Ok((0..opts.repeat.max(1)).map(|_| p.run(&mut host, &mut ctx, opts, None)).collect())
}

/// Runs an image file as `femto run` does, printing as it goes. Returns
/// whether every run ended without a fault.
pub fn run_file(path: &Path, opts: &RunOptions) -> Result<bool, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut p = prepare(&path.display().to_string(), &bytes, opts)?;
    let trace_lines: Option<Vec<Option<String>>> = if opts.trace { Some(trace_table(p.image.text())) } else { None };
    let mut host = host(opts, true);
    let mut ctx = opts.ctx.clone();
    let mut all_ok = true;
    println!("running `{}` (pc {}) of {}", p.entry_name, p.entry, path.display());
    for i in 0..opts.repeat.max(1) {
        if opts.repeat > 1 {
            println!("run {}:", i + 1);
        }
        let report = p.run(&mut host, &mut ctx, opts, trace_lines.as_deref());
        let _ = std::io::stdout().flush();
        match &report.result {
            Ok(r0) => println!("r0 = {} ({r0:#x})", *r0 as i64),
            Err(e) => {
                all_ok = false;
                println!("fault: {e}");
            }
        }
        println!("instructions executed: {}", report.insns);
        println!("fuel used: {} of {}", report.fuel_used, opts.fuel);
        if let (Some(before), Some(after)) = (&opts.ctx, &ctx) {
            if before != after && !opts.ctx_ro {
                println!("context after: {}", hex_string(after));
            }
        }
    }
    Ok(all_ok)
}

/// Disassembly of each pc of a text, for the trace (None on an lddw's second slot).
pub fn trace_table(text: &[u8]) -> Vec<Option<String>> {
    let n = text.len() / 8;
    let mut t = vec![None; n];
    if let Ok(lines) = crate::disasm::disassemble(&text[..n * 8]) {
        for l in lines {
            if let Some(slot) = t.get_mut(l.pc) {
                *slot = Some(l.text);
            }
        }
    }
    t
}

/// Bytes as space-separated hex.
pub fn hex_string(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}
