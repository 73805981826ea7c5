//! Host-side tooling for femto-containers (library part of the `femto` CLI).

pub mod asm;
pub mod conformance;
