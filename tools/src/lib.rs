//! Host-side tooling for femto-containers (library part of the `femto` CLI).

pub mod asm;
pub mod conformance;
pub mod disasm;
pub mod compile;
pub mod elf;
pub mod link;
pub mod hexin;
pub mod sim;
pub mod cmd;
pub mod objdump;
pub mod pack;
pub mod run;
pub mod update;
