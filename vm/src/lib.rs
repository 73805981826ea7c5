//! # femto-vm: a memory-safe eBPF virtual machine for microcontrollers
//!
//! The Femto-Container VM: the whole RFC 9669 instruction set, a pre-flight
//! [`verifier`] run once at load, an [`interpreter`] over a virtual address
//! space of checked [`memory`] regions (no host pointer is ever visible to a
//! program), fuel-bounded execution, numbered [`helpers`], and the container
//! [`image`] format (plus RIOT's [`rbf`] format).
//!
//! `#![no_std]`, no allocation, no `unsafe`, no dependencies.
//!
//! ```
//! use femto_vm::{isa::Insn, memory::Memory, helpers::NoHelpers, verifier::{verify, VerifierConfig}};
//! // mov r0, 42 ; exit
//! let mut text = [0u8; 16];
//! text[..8].copy_from_slice(&Insn::new(0xb7, 0, 0, 0, 42).encode());
//! text[8..].copy_from_slice(&Insn::new(0x95, 0, 0, 0, 0).encode());
//! let program = verify(&text, &VerifierConfig::default()).unwrap();
//! let mut stack = [0u8; 512];
//! let mut memory = Memory::new();
//! memory.map_stack(&mut stack);
//! assert_eq!(program.run(0, &mut memory, &mut NoHelpers, 1000), Ok(42));
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod error;
pub mod helpers;
pub mod image;
pub mod interpreter;
pub mod isa;
pub mod memory;
pub mod rbf;
pub mod verifier;

pub use error::{Access, Error, Section};
pub use helpers::{FnHelpers, HelperFn, HelperTable, Helpers, NoHelpers};
pub use image::{Function, Image, ImageSpec};
pub use interpreter::{run, run_traced, InsnCounter, NoTrace, Tracer, MAX_CALL_FRAMES};
pub use memory::{vaddr, Memory, Region};
pub use verifier::{verify, AllowList, Program, VerifierConfig};
