//! Detects whether `<[T]>::as_chunks` is usable, so that the interpreter can
//! index the program as `&[[u8; 8]]` (one compare per fetch):
//! - rustc ≥ 1.88: stable → cfg `femto_chunks`;
//! - an older nightly (Tock 2.2 pins nightly-2024-11-16): behind the
//!   `slice_as_chunks` feature → cfgs `femto_chunks` and `femto_chunks_feature`;
//! - otherwise, or with `FEMTO_VM_NO_CHUNKS` set in the environment: a
//!   stable fallback (byte-offset fetch with `first_chunk`).
//!
//! No dependency; only `$RUSTC --version` is read.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(femto_chunks)");
    println!("cargo::rustc-check-cfg=cfg(femto_chunks_feature)");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTC");
    // Set to test the stable fallback on any toolchain.
    println!("cargo::rerun-if-env-changed=FEMTO_VM_NO_CHUNKS");
    if env::var_os("FEMTO_VM_NO_CHUNKS").is_some() {
        return;
    }
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("--version").output() else { return };
    let version = String::from_utf8_lossy(&out.stdout);
    // "rustc 1.84.0-nightly (a0d98ff0e 2024-10-26)"
    let Some(num) = version.split_whitespace().nth(1) else { return };
    let mut parts = num.split(['.', '-']);
    let major: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let nightly = num.contains("nightly") || num.contains("dev");
    if major > 1 || (major == 1 && minor >= 88) {
        println!("cargo::rustc-cfg=femto_chunks");
    } else if nightly && minor >= 77 {
        println!("cargo::rustc-cfg=femto_chunks");
        println!("cargo::rustc-cfg=femto_chunks_feature");
    }
}
