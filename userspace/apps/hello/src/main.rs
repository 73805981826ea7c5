//! Tutorial 1 (doc/tutorials/1-hello.md): load the "increment" container,
//! run it with a context, print the result. The same container written in C
//! (containers/increment.c) and in Rust (containers/rust/increment_rs) is
//! loaded and run three times, each run continuing from the previous one's
//! context.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::console::Console;
use libtock::runtime::{set_main, stack_size, TockSyscalls};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

/// Container images, built by `make -C userspace containers`.
static INCREMENT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/increment.fc"
));
static INCREMENT_RS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/increment_rs.fc"
));

fn main() {
    let mut out = Console::writer();
    let _ = writeln!(out, "hello: Femto-Containers on Tock");
    if !femto_app::driver_present(&mut out, "hello") {
        return;
    }
    if let Ok(l) = Femto::limits() {
        let _ = writeln!(
            out,
            "hello: board limits: {} containers, images up to {} bytes, contexts up to {} bytes",
            l.max_containers, l.max_image_bytes, l.max_context_bytes
        );
    }
    run_increment(&mut out, "increment", INCREMENT);
    run_increment(&mut out, "increment_rs", INCREMENT_RS);
    let _ = writeln!(out, "hello: done");
}

/// Loads `image`, runs it three times starting from 41, unloads it.
fn run_increment(out: &mut impl Write, name: &str, image: &[u8]) {
    let id = match Femto::load(image) {
        Ok(id) => id,
        Err(e) => {
            let _ = writeln!(
                out,
                "hello: loading {} failed: {:?} ({:?})",
                name,
                e,
                Femto::last_load_error()
            );
            return;
        }
    };
    let _ = writeln!(out, "hello: loaded {} ({} bytes)", name, image.len());
    let mut value: u64 = 41;
    for _ in 0..3 {
        // The context: one little-endian u64, which the container increments.
        let mut context = value.to_le_bytes();
        match Femto::run(id, &mut context, 0) {
            Ok(r0) => {
                let after = u64::from_le_bytes(context);
                let _ = writeln!(
                    out,
                    "hello: {}({}) = {}, context now {}",
                    name, value, r0, after
                );
                value = after;
            }
            Err(e) => {
                let _ = writeln!(out, "hello: running {} failed: {:?}", name, e);
                break;
            }
        }
    }
    if let Ok(stats) = Femto::stats(id) {
        let _ = writeln!(
            out,
            "hello: {}: {} runs, {} faults, fuel used by the last run: {}",
            name, stats.runs, stats.faults, stats.last_fuel
        );
    }
    let _ = Femto::unload(id);
}
