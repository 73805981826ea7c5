//! Tutorial 1 app (first stage): prints a greeting on the console.
#![no_main]
#![no_std]

use core::fmt::Write;
use libtock::console::Console;
use libtock::runtime::{set_main, stack_size};

set_main! {main}
stack_size! {0x400}

fn main() {
    let _ = writeln!(Console::writer(), "hello: Femto-Containers on Tock");
}
