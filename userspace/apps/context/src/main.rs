//! Tutorial 2 (doc/tutorials/2-context.md): a struct context and return
//! values. The multiply-add container computes `a * b + c`, writes it into
//! the struct and returns it. The exercise variant also counts its runs in a
//! global variable (kept by the kernel between runs) and refuses operands that
//! could overflow.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::console::Console;
use libtock::runtime::{set_main, stack_size, TockSyscalls};
use libtock_femto::{ContainerId, RunError};

set_main! {main}
stack_size! {0x800}

type Femto = libtock_femto::Femto<TockSyscalls>;

static MULTIPLY_ADD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/multiply_add.fc"
));
static MULTIPLY_ADD_COUNT: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../build/containers/multiply_add_count.fc"
));

/// The container's `struct fma_ctx` / `struct fma_count_ctx` (little endian):
/// `i64 a, b, c, result` and, for the exercise, `u64 calls`.
#[derive(Default)]
struct Fma {
    a: i64,
    b: i64,
    c: i64,
    result: i64,
    calls: u64,
}

impl Fma {
    fn new(a: i64, b: i64, c: i64) -> Fma {
        Fma {
            a,
            b,
            c,
            ..Default::default()
        }
    }

    fn to_bytes(&self) -> [u8; 40] {
        let mut bytes = [0u8; 40];
        for (i, field) in [self.a, self.b, self.c, self.result, self.calls as i64]
            .iter()
            .enumerate()
        {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&field.to_le_bytes());
        }
        bytes
    }

    fn from_bytes(bytes: &[u8; 40]) -> Fma {
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            i64::from_le_bytes(b)
        };
        Fma {
            a: field(0),
            b: field(1),
            c: field(2),
            result: field(3),
            calls: field(4) as u64,
        }
    }
}

/// Runs `id` on `fma` with a context of `len` bytes (32 for multiply_add, 40
/// for the exercise); returns r0 and the struct as the container left it.
fn run(id: ContainerId, fma: &Fma, len: usize) -> Result<(i64, Fma), RunError> {
    let mut bytes = fma.to_bytes();
    let r0 = Femto::run(id, &mut bytes[..len], 0)?;
    Ok((r0 as i64, Fma::from_bytes(&bytes)))
}

fn main() {
    let mut out = Console::writer();
    if !femto_app::driver_present(&mut out, "context") {
        return;
    }

    // Part 1: multiply_add with a 32-byte struct context.
    if let Some(id) = femto_app::load(&mut out, "context", "multiply_add", MULTIPLY_ADD) {
        for (a, b, c) in [(6, 7, -2), (-3, 5, 100), (1 << 20, 1 << 20, 1)] {
            match run(id, &Fma::new(a, b, c), 32) {
                Ok((r0, fma)) => {
                    let _ = writeln!(
                        out,
                        "context: multiply_add: {} * {} + {} = {} (r0 = {})",
                        a, b, c, fma.result, r0
                    );
                }
                Err(e) => {
                    let _ = writeln!(out, "context: multiply_add failed: {:?}", e);
                }
            }
        }
        // A context too small for the struct: the container refuses it.
        let mut short = [0u8; 8];
        if let Ok(r0) = Femto::run(id, &mut short, 0) {
            let _ = writeln!(
                out,
                "context: multiply_add with an 8-byte context: r0 = {}",
                r0 as i64
            );
        }
        let _ = Femto::unload(id);
    }

    // Part 2 (the exercise): state kept between runs, a second output field,
    // and the return value used as a status (0 ok, -22 refused).
    if let Some(id) = femto_app::load(
        &mut out,
        "context",
        "multiply_add_count",
        MULTIPLY_ADD_COUNT,
    ) {
        for (a, b, c) in [(3, 4, 5), (10, 10, 10), (1 << 40, 2, 0), (-2, 21, 0)] {
            match run(id, &Fma::new(a, b, c), 40) {
                Ok((0, fma)) => {
                    let _ = writeln!(
                        out,
                        "context: exercise: {} * {} + {} = {}, call {}",
                        a, b, c, fma.result, fma.calls
                    );
                }
                Ok((status, fma)) => {
                    let _ = writeln!(
                        out,
                        "context: exercise: {} * {} + {} refused (status {}), call {}",
                        a, b, c, status, fma.calls
                    );
                }
                Err(e) => {
                    let _ = writeln!(out, "context: exercise failed: {:?}", e);
                }
            }
        }
        let _ = Femto::unload(id);
    }
    let _ = writeln!(out, "context: done");
}
