//! For the bare-metal target, puts `link.x` (memory map of QEMU's mps2-an386)
//! on the linker's search path and links the firmware with it.
use std::{env, fs, path::PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=link.x");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        let out = PathBuf::from(env::var("OUT_DIR").unwrap());
        fs::copy("link.x", out.join("link.x")).unwrap();
        println!("cargo:rustc-link-search={}", out.display());
        println!("cargo:rustc-link-arg-bins=-Tlink.x");
    }
}
