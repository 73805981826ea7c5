//! `femto`: build, pack, inspect, disassemble, assemble, verify, run and test
//! femto-containers on the host. See `doc/tools.md` for the reference.
//!
//! Exit status: 0 on success, 1 on any error (bad input, rejected program,
//! fault while running, failed conformance tests), 2 on a usage error.

use clap::{Args, Parser, Subcommand};
use femto_tools::{cmd, compile, pack::DEFAULT_STACK};
use std::path::PathBuf;
use std::process::ExitCode;

const ABOUT: &str = "Build, pack, inspect, disassemble, assemble, verify, run and test femto-containers on the host.

The host uses femto-vm itself: `femto verify` and `femto run` use the device's verifier and interpreter.";

const WORKFLOW: &str = "Typical workflow:
  femto build counter.c -o counter.o        # C -> eBPF object (clang -target bpf)
  femto pack counter.o -o counter.fc        # object -> container image
  femto inspect counter.fc                  # header, sections, functions, helpers
  femto verify counter.fc                   # the device's pre-flight check
  femto run counter.fc --ctx 2a00000000000000

Run `femto help <COMMAND>` for the options and an example of each command.";

#[derive(Parser, Debug)]
#[command(name = "femto", version, about = ABOUT, long_about = None, after_help = WORKFLOW)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile a C container to an eBPF object with clang (`-target bpf -mcpu=v3 -O2 -ffreestanding ...`).
    #[command(after_help = "Example:\n  femto build hello.c -o hello.o\n  femto build sensor.c -I include -D THRESHOLD=2500 -- -g\n\n\
clang runs as: clang -target bpf -mcpu=v3 -O2 -ffreestanding -fno-stack-protector -Wall [-I DIR].. [-D DEF].. [EXTRA]..\n\
               -c SRC -o OUT\nclang's messages are shown unchanged. Set FEMTO_CLANG to use another clang.")]
    Build(BuildArgs),
    /// Link an eBPF object into a container image: relocations, function table, helper allow-list.
    #[command(after_help = "Example:\n  femto pack hello.o -o hello.fc --name hello --app-version 3\n\n\
Every global function becomes an entry point; the helper allow-list is the set of helpers the code calls.\n\
Supported: code sections, .rodata*, .data*, .bss*, relocations R_BPF_64_64 (lddw) and R_BPF_64_32 (calls),\n\
64-bit pointers in data (R_BPF_64_ABS64). Anything else is refused with a message naming it.")]
    Pack(PackArgs),
    /// Show an image's header, sections and sizes, functions, helpers and metadata.
    #[command(after_help = "Example:\n  femto inspect hello.fc\n  femto inspect hello.fc --json | jq .functions")]
    Inspect(InspectArgs),
    /// Disassemble an image or an eBPF object, in the style of llvm-objdump.
    #[command(after_help = "Example:\n  femto disasm hello.fc\n  femto disasm hello.o\n  femto disasm --source hello.fc > hello.s   # re-assembles with `femto asm`")]
    Disasm(DisasmArgs),
    /// Assemble a program in the bpf_conformance assembly syntax into an image.
    #[command(after_help = "Example:\n  femto asm add.s -o add.fc\n\nadd.s:\n  mov %r0, %r1\n  add %r0, 2\n  exit\n\n\
The image exports one function, `main` at pc 0 (rename with --entry-name); its helper allow-list is the set of\n\
helpers the program calls.")]
    Asm(AsmArgs),
    /// Check an image with the device's verifier; on rejection print the reason and the pc.
    #[command(after_help = "Example:\n  femto verify hello.fc && echo accepted")]
    Verify(VerifyArgs),
    /// Run a function of an image on the host, with simulated device helpers.
    #[command(after_help = "Example:\n  femto run hello.fc --entry main --ctx 2a00000000000000 --fuel 10000\n  femto run filter.fc --ctx @reading.bin --trace\n\n\
Simulated helpers (doc/helpers.md): 0x01 fc_print, 0x02 fc_memcpy, 0x03 fc_memset, 0x10 fc_kv_store,\n\
0x11 fc_kv_fetch, 0x20 fc_now_ms, 0x21 fc_now_us, 0x30 fc_sensor_last (see --temperature), 0x40 fc_notify,\n\
0x50 fc_random (see --seed). Prints r0, the fault if any (with its pc), instructions executed and fuel used.")]
    Run(RunArgs),
    /// Run bpf_conformance `.data` files (a suite root, `tests/`, `negative/` or single files).
    #[command(after_help = "Example:\n  femto conformance ../shared/bpf_conformance\n  femto conformance path/to/tests path/to/negative -v\n\n\
Ends with the line `N passed, M failed, K skipped`; exits non-zero if any failed.")]
    Conformance(ConformanceArgs),
    /// The bpf_conformance plugin protocol: program hex on stdin, memory hex as argument, r0 in hex on stdout.
    #[command(after_help = "Example:\n  echo 'b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00' | femto plugin     # prints 2a\n  \
bpf_conformance_runner --test_file_directory tests --plugin_path /path/to/femto --plugin_options plugin\n\n\
The runner passes the memory before its options (`femto MEMORY_HEX plugin`); that order is accepted too.\n\
Runs with the device's defaults: 512-byte stack, a finite fuel budget, helper 5 returns its first argument.\n\
On error: a message on stderr and a non-zero exit.")]
    Plugin(PluginArgs),
    /// Convert a RIOT Femto-Container (rBPF) image to a femto-container image.
    #[command(name = "import-rbf", after_help = "Example:\n  femto import-rbf riot_app.bin -o app.fc --name app\n\n\
LDDWD/LDDWR pseudo-instructions become LDDWs of VM addresses; the helper allow-list is computed from the calls.")]
    #[cfg(feature = "rbf")]
    ImportRbf(ImportRbfArgs),
    /// Make a new Ed25519 signing key: KEY (secret, mode 0600) and KEY.pub; prints the board snippet.
    #[command(after_help = "Example:\n  femto keygen release.key\n\n\
KEY holds the 32-byte secret seed as hex, KEY.pub the public key as hex. Keep KEY off the device;\n\
put the printed `TrustedKey::new([...])` into the board's UpdatePolicy (doc/update.md).")]
    Keygen(KeygenArgs),
    /// Sign an image for a device: COSE_Sign1 (Ed25519) over a manifest with its SHA-256, name, sequence, target.
    #[command(after_help = "Example:\n  femto sign blinky.fc --key release.key --seq 2 --target qemu_rv32_virt -o blinky.signed\n\n\
--target is VENDOR/CLASS or CLASS (vendor femto-containers); default femto-containers/qemu_rv32_virt.\n\
The sequence number must grow with every release of this container: a device refuses an equal or older one.")]
    Sign(SignArgs),
    /// Send a signed envelope to a device's updater app, over a serial line or UDP.
    #[command(after_help = "Example:\n  femto deploy blinky.signed --serial /dev/ttyACM0\n  femto deploy blinky.signed --udp [fe80::1%lowpan0]:4242\n\n\
Serial: one frame \"FCUP\" + u32 LE length + envelope, then the updater's one-line answer is printed.\n\
UDP: datagrams \"FU\" + u16 transfer id + u16 offset + u16 total + at most 64 envelope bytes.")]
    Deploy(DeployArgs),
    /// Show (and with --key-pub verify) a signed envelope.
    #[command(name = "inspect-envelope", after_help = "Example:\n  femto inspect-envelope blinky.signed --key-pub release.key.pub")]
    InspectEnvelope(InspectEnvelopeArgs),
}

#[derive(Args, Debug)]
struct BuildArgs {
    /// C source file.
    src: PathBuf,
    /// Output object (default: SRC with extension .o).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Add an include directory.
    #[arg(short = 'I', value_name = "DIR")]
    include: Vec<PathBuf>,
    /// Define a macro (NAME or NAME=VALUE).
    #[arg(short = 'D', value_name = "DEF")]
    define: Vec<String>,
    /// eBPF instruction set version for clang (`v1`, `v2`, `v3`).
    #[arg(long, default_value = "v3")]
    mcpu: String,
    /// Print the clang command before running it.
    #[arg(short, long)]
    verbose: bool,
    /// Extra arguments passed to clang unchanged (after `--`).
    #[arg(last = true)]
    extra: Vec<String>,
}

#[derive(Args, Debug)]
struct PackArgs {
    /// eBPF object file (ELF, from `femto build` or `clang -target bpf -c`).
    obj: PathBuf,
    /// Output image.
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    meta: MetaArgs,
    /// Skip the check that the packed program passes the device's verifier.
    #[arg(long)]
    no_verify: bool,
}

#[derive(Args, Debug)]
struct MetaArgs {
    /// Container name stored in the image (default: the input's file stem).
    #[arg(long)]
    name: Option<String>,
    /// Container version / sequence number stored in the image.
    #[arg(long, default_value_t = 0)]
    app_version: u32,
    /// Stack bytes per call frame.
    #[arg(long, default_value_t = DEFAULT_STACK)]
    stack: u32,
    /// Ask the device to verify in strict mode (forward jumps only: terminates without fuel).
    #[arg(long)]
    strict: bool,
    /// Reserve this many bytes for a signature.
    #[arg(long, default_value_t = 0)]
    signature_len: u16,
}

#[derive(Args, Debug)]
struct InspectArgs {
    /// Image file.
    image: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct DisasmArgs {
    /// Image (.fc, or RIOT rBPF) or eBPF object (.o).
    file: PathBuf,
    /// Print assembly source only (no addresses or bytes), which `femto asm` accepts.
    #[arg(long)]
    source: bool,
}

#[derive(Args, Debug)]
struct AsmArgs {
    /// Assembly source file (`-` for standard input).
    src: PathBuf,
    /// Output image.
    #[arg(short, long)]
    output: PathBuf,
    /// Name of the exported function at pc 0.
    #[arg(long, default_value = "main")]
    entry_name: String,
    /// Write the raw instruction bytes instead of an image.
    #[arg(long)]
    raw: bool,
    /// Skip the check that the program passes the device's verifier (to make test inputs for `femto verify`).
    #[arg(long)]
    no_verify: bool,
    #[command(flatten)]
    meta: MetaArgs,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    /// Image file.
    image: PathBuf,
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Image file.
    image: PathBuf,
    /// Function to run (default: `main` if the image has it, else its first function).
    #[arg(long)]
    entry: Option<String>,
    /// Context: hex bytes, or @FILE for a file's raw bytes. r1 = its address, r2 = its length.
    #[arg(long)]
    ctx: Option<String>,
    /// Map the context read-only (default: read-write).
    #[arg(long)]
    ctx_ro: bool,
    /// Fuel budget: taken jumps and calls the run may make.
    #[arg(long, default_value_t = femto_tools::run::DEFAULT_FUEL)]
    fuel: u64,
    /// Print every instruction before it executes, with the non-zero registers.
    #[arg(long)]
    trace: bool,
    /// Value fc_sensor_last(0) returns, in centi-degrees Celsius (default: no reading, -2).
    #[arg(long, allow_hyphen_values = true)]
    temperature: Option<i64>,
    /// Seed of fc_random.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run the function this many times (data and key-value store persist between runs).
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// fc_print lines allowed per second, as the board's limit (default: the device default, 10).
    #[arg(long)]
    prints_per_second: Option<u32>,
}

#[derive(Args, Debug)]
struct ConformanceArgs {
    /// Directories (suite root, tests/, negative/) or .data files.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print every file's result, not only failures and skips.
    #[arg(short, long)]
    verbose: bool,
}

#[derive(Args, Debug)]
struct PluginArgs {
    /// Memory (the context) as hex bytes; absent when the program has none.
    memory: Option<String>,
    /// Standard input holds an ELF object (as hex bytes) instead of raw instructions
    /// (the runner's `--elf` mode); it is linked as `femto pack` does.
    #[arg(long)]
    elf: bool,
}

#[derive(Args, Debug)]
struct ImportRbfArgs {
    /// RIOT Femto-Container image (magic "rBPF").
    input: PathBuf,
    /// Output image.
    #[arg(short, long)]
    output: PathBuf,
    /// Container name (default: the input's file stem).
    #[arg(long)]
    name: Option<String>,
    /// Version / sequence number (default: the rBPF header's version).
    #[arg(long)]
    app_version: Option<u32>,
}

#[derive(Args, Debug)]
struct KeygenArgs {
    /// Secret key file to write (the public key goes to KEY.pub).
    key: PathBuf,
    /// Overwrite an existing key.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
struct SignArgs {
    /// Image file (.fc).
    image: PathBuf,
    /// Secret key file (from `femto keygen`).
    #[arg(long)]
    key: PathBuf,
    /// Sequence number (must be larger than the device's last accepted one for this container).
    #[arg(long)]
    seq: u64,
    /// Target: VENDOR/CLASS or CLASS.
    #[arg(long, default_value = "femto-containers/qemu_rv32_virt")]
    target: String,
    /// Container name (default and only accepted value: the image's own name).
    #[arg(long)]
    name: Option<String>,
    /// Output envelope.
    #[arg(short, long)]
    output: PathBuf,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("to").required(true).args(["serial", "udp"])))]
struct DeployArgs {
    /// Signed envelope (from `femto sign`).
    envelope: PathBuf,
    /// Serial device of the board's console (e.g. /dev/ttyACM0, or a QEMU pty).
    #[arg(long)]
    serial: Option<PathBuf>,
    /// UDP destination ADDR:PORT (nRF52840-DK updater over 6LoWPAN).
    #[arg(long)]
    udp: Option<String>,
    /// Seconds to wait for the updater's answer on the serial line (0: don't wait).
    #[arg(long, default_value_t = 5)]
    wait: u64,
}

#[derive(Args, Debug)]
struct InspectEnvelopeArgs {
    /// Signed envelope.
    envelope: PathBuf,
    /// Public key file to verify the signature, size and digest with.
    #[arg(long)]
    key_pub: Option<PathBuf>,
}

fn meta(m: &MetaArgs, input: &std::path::Path) -> femto_tools::pack::PackOptions {
    femto_tools::pack::PackOptions {
        name: m.name.clone().unwrap_or_else(|| cmd::file_stem(input)),
        app_version: m.app_version,
        stack_size: m.stack,
        strict: m.strict,
        signature_len: m.signature_len,
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Keygen(a) => {
            println!("{}", femto_tools::update::keygen(&a.key, a.force)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign(a) => {
            let opts = femto_tools::update::SignOptions {
                sequence: a.seq,
                target: femto_tools::update::parse_target(&a.target)?,
                name: a.name,
            };
            println!("{}", femto_tools::update::sign(&a.image, &a.key, &opts, &a.output)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Deploy(a) => {
            use femto_tools::update::{deploy, Destination};
            let to = match (a.serial, a.udp) {
                (Some(dev), _) => Destination::Serial(dev),
                (None, Some(addr)) => Destination::Udp(addr),
                (None, None) => return Err("give --serial DEV or --udp ADDR:PORT".into()),
            };
            println!("{}", deploy(&a.envelope, &to, std::time::Duration::from_secs(a.wait))?);
            Ok(ExitCode::SUCCESS)
        }
        Command::InspectEnvelope(a) => {
            let bytes = cmd::read(&a.envelope)?;
            let key = match &a.key_pub {
                Some(p) => Some(femto_tools::update::parse_key_hex(
                    &String::from_utf8_lossy(&cmd::read(p)?),
                ).map_err(|e| format!("{}: {e}", p.display()))?),
                None => None,
            };
            print!("{}", femto_tools::update::describe_envelope(&bytes, key.as_ref())?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Build(a) => {
            let opts = compile::BuildOptions {
                clang: compile::default_clang(),
                out: a.output.clone().unwrap_or_else(|| compile::default_output(&a.src)),
                src: a.src,
                mcpu: a.mcpu,
                includes: a.include,
                defines: a.define,
                extra: a.extra,
            };
            if a.verbose {
                eprintln!("{} {}", opts.clang.display(), opts.args().join(" "));
            }
            compile::build(&opts)?;
            println!("wrote {}", opts.out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Pack(a) => {
            let opts = meta(&a.meta, &a.obj);
            let summary = cmd::pack(&a.obj, &a.output, &opts, !a.no_verify)?;
            println!("{summary}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect(a) => {
            print!("{}", cmd::inspect(&a.image, a.json)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Disasm(a) => {
            print!("{}", cmd::disasm(&a.file, a.source)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Asm(a) => {
            let opts = meta(&a.meta, &a.src);
            println!("{}", cmd::asm(&a.src, &a.output, &a.entry_name, a.raw, !a.no_verify, &opts)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(a) => {
            println!("{}", cmd::verify(&a.image)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run(a) => {
            let ctx = match &a.ctx {
                Some(c) => Some(femto_tools::hexin::ctx_arg(c)?),
                None => None,
            };
            let opts = femto_tools::run::RunOptions {
                entry: a.entry,
                ctx,
                ctx_ro: a.ctx_ro,
                fuel: a.fuel,
                trace: a.trace,
                temperature: a.temperature,
                seed: a.seed,
                repeat: a.repeat,
                prints_per_second: a.prints_per_second,
            };
            let ok = femto_tools::run::run_file(&a.image, &opts)?;
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Conformance(a) => {
            let ok = cmd::conformance(&a.paths, a.verbose);
            Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Command::Plugin(a) => {
            let r0 = cmd::plugin(a.memory.as_deref(), a.elf)?;
            println!("{r0:x}");
            Ok(ExitCode::SUCCESS)
        }
        #[cfg(feature = "rbf")]
        Command::ImportRbf(a) => {
            let name = a.name.clone().unwrap_or_else(|| cmd::file_stem(&a.input));
            println!("{}", cmd::import_rbf(&a.input, &a.output, &name, a.app_version)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The upstream bpf_conformance runner starts its plugin as
/// `PLUGIN_PATH [MEMORY_HEX] PLUGIN_OPTIONS... [--elf]`: the memory comes
/// *before* the options. With `--plugin_options plugin` that is
/// `femto MEMORY_HEX plugin`, which this turns into `femto plugin MEMORY_HEX`.
/// Only when the first argument is hex bytes and the second is `plugin`
/// (no subcommand name is valid hex).
fn plugin_argv(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let is_plugin = args.get(2).is_some_and(|a| a == "plugin");
    let first_is_hex = args
        .get(1)
        .and_then(|a| a.to_str())
        .is_some_and(|a| femto_tools::conformance::parse_hex(a).is_ok());
    if is_plugin && first_is_hex {
        args.swap(1, 2);
    }
    args
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(plugin_argv(std::env::args_os().collect()));
    match dispatch(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("femto: error: {msg}");
            ExitCode::FAILURE
        }
    }
}
