//! `femto build`: compiles a C container with clang's eBPF back end.
//!
//! The command line is
//!
//! ```text
//! clang -target bpf -mcpu=v3 -O2 -ffreestanding -fno-stack-protector -Wall -c SRC -o OUT [-I DIR]... [-D DEF]... [EXTRA]...
//! ```
//!
//! * `-target bpf`: little-endian eBPF (on a little-endian host; `bpfel` is the same here).
//! * `-mcpu=v3`: lets clang use 32-bit jumps and ALU32; femto-vm implements all of RFC 9669.
//! * `-O2`: clang's BPF back end needs optimisation to produce verifiable code.
//! * `-ffreestanding`: there is no C library on the device; `<stdint.h>` comes from clang itself.
//! * `-fno-stack-protector`: no canary runtime exists in a container.
//! * `-Wall`: warnings are shown as clang prints them.
//! * `-c`: a relocatable object; `femto pack` does the linking (relocations, function table).

use std::path::{Path, PathBuf};
use std::process::Command;

/// Options for one compilation.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The clang executable (default `clang`, or `$FEMTO_CLANG`).
    pub clang: PathBuf,
    /// Source file.
    pub src: PathBuf,
    /// Output object.
    pub out: PathBuf,
    /// `-mcpu` value.
    pub mcpu: String,
    /// Extra include directories.
    pub includes: Vec<PathBuf>,
    /// Extra `-D` definitions.
    pub defines: Vec<String>,
    /// Arguments passed to clang unchanged, after ours.
    pub extra: Vec<String>,
}

/// The fixed flags `femto build` passes to clang, in order.
pub const FIXED_FLAGS: &[&str] = &["-target", "bpf", "-O2", "-ffreestanding", "-fno-stack-protector", "-Wall"];

/// The default clang: `$FEMTO_CLANG` when set, else `clang` from `PATH`.
pub fn default_clang() -> PathBuf {
    std::env::var_os("FEMTO_CLANG").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("clang"))
}

/// The default output path: the source with extension `.o`.
pub fn default_output(src: &Path) -> PathBuf {
    src.with_extension("o")
}

impl BuildOptions {
    /// The full argument list given to clang (without the program name).
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = FIXED_FLAGS.iter().map(|s| s.to_string()).collect();
        a.insert(2, format!("-mcpu={}", self.mcpu));
        for i in &self.includes {
            a.push("-I".into());
            a.push(i.display().to_string());
        }
        for d in &self.defines {
            a.push(format!("-D{d}"));
        }
        a.extend(self.extra.iter().cloned());
        a.push("-c".into());
        a.push(self.src.display().to_string());
        a.push("-o".into());
        a.push(self.out.display().to_string());
        a
    }
}

/// Runs clang. clang's own diagnostics go straight to our standard error, as
/// clang prints them. Returns an error message when clang cannot be started
/// or fails.
pub fn build(opts: &BuildOptions) -> Result<(), String> {
    if !opts.src.exists() {
        return Err(format!("{}: no such file", opts.src.display()));
    }
    let status = Command::new(&opts.clang).args(opts.args()).status().map_err(|e| {
        format!(
            "cannot run {}: {e} (install clang with the BPF target, e.g. `apt install clang`, or set FEMTO_CLANG)",
            opts.clang.display()
        )
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(match status.code() {
            Some(c) => format!("clang failed (exit status {c}); see its messages above"),
            None => "clang was killed by a signal".to_string(),
        })
    }
}
