//! # femto-vm: a memory-safe eBPF virtual machine for microcontrollers
//!
//! The Femto-Container VM: the whole RFC 9669 instruction set, a pre-flight
//! [`verifier`] run once at load, an [`interpreter`] over a virtual address
//! space of checked [`memory`] regions (no host pointer is ever visible to a
//! program), fuel-bounded execution, numbered [`helpers`], and the container
//! [`image`] format (plus RIOT's rBPF format, the `rbf` module, with the
//! default feature `rbf`).
//!
//! `#![no_std]`, no allocation, no `unsafe`, no dependencies.
//!
//! ## Cargo features
//!
//! * `rbf` (default): RIOT's rBPF image format and its LDDWD / LDDWR
//!   pseudo-instructions (the `rbf` module). Without it, [`Image::parse`]
//!   refuses an rBPF image with [`Error::UnsupportedFormat`] and the verifier
//!   and both interpreters treat the pseudo-instructions as unknown opcodes,
//!   whatever [`VerifierConfig::rbf_pseudo_opcodes`] says: a kernel that
//!   only loads native images saves the code.
//!
//! ## Life of a container
//!
//! 1. **Load** (once): [`Image::parse`] checks the container image
//!    (`doc/image-format.md`); [`Image::verify`] (or [`verify`] for raw
//!    instructions) runs the pre-flight [`verifier`], which checks every
//!    instruction once so that the interpreter never re-checks opcodes,
//!    registers or jump targets. [`Image::init_data`] fills the container's
//!    data region. A host that keeps the program in RAM then **translates**
//!    it in place ([`translate_image`], or [`verify_translated`] for raw
//!    instructions, see [`translate`]): a few common instructions and
//!    instruction pairs get internal opcodes with shorter paths. A
//!    translated program behaves exactly like the original.
//! 2. **Run** (per event): the host maps caller-owned buffers into a
//!    [`Memory`] (stack, context read-only or read-write, data, rodata, extra
//!    regions) and calls [`Program::run`] with its [`Helpers`] and a fuel
//!    budget. r1 = context address, r2 = context length, r10 = stack top.
//!    The result is r0 or an [`Error`] naming what went wrong and where.
//!
//! ## Safety model
//!
//! * No host address is visible to a program: a virtual address is
//!   `region << 32 | offset` ([`memory`]); every load, store and atomic is
//!   checked for region, bounds (overflow-safe) and permission, in O(1).
//! * Memory safety does not depend on the verifier: the interpreter masks
//!   register numbers, checks the pc against the text and rejects unknown
//!   opcodes itself, so even [`Program::assume_verified`] text cannot escape.
//! * Termination: one unit of fuel per taken jump and per call; BPF-to-BPF
//!   calls are bounded by [`MAX_CALL_FRAMES`] and by the frames that fit in
//!   the stack region. In strict mode (forward jumps only) the verifier alone
//!   guarantees termination.
//! * Division by zero and signed overflow follow RFC 9669 (no trap).
//!
//! ## Performance notes
//!
//! The interpreter is a `match` on the opcode byte over the instruction
//! bytes. The text can run as written (even from flash) or translated (see
//! [`translate`]: the stack addressed directly through r10, clang's
//! zero-extension and three-address idioms fused, ...), which only rewrites
//! opcode bytes and unused operand bytes, so the program keeps its size.
//! Every byte value has an arm, so the dispatch table needs no range check;
//! each arm decodes only the fields it uses; the core loop is not generic,
//! so it is compiled with femto-vm's optimisation level even inside a kernel
//! built for size. For kernels short of flash, [`compact`] is a second
//! interpreter of the same machine, decoded by instruction class: about a
//! third of the code, 3 to 4 times slower, programs run as written.
//! `doc/performance.md` has the measurements.
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
#![cfg_attr(femto_chunks_feature, feature(slice_as_chunks))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod compact;
pub mod error;
pub mod helpers;
pub mod image;
pub mod interpreter;
pub mod isa;
pub mod memory;
#[cfg(feature = "rbf")]
pub mod rbf;
pub mod translate;
pub mod verifier;

pub use error::{Access, Error, Section};
pub use helpers::{FnHelpers, HelperFn, HelperTable, Helpers, NoHelpers};
pub use image::{verify_image_with, Function, Image, ImageSpec};
pub use interpreter::{run, run_metered, run_traced, InsnCounter, NoTrace, Tracer, MAX_CALL_FRAMES};
pub use memory::{vaddr, Memory, Region};
pub use translate::{translate_image, translate_image_with, verify_translated};
pub use verifier::{verify, AllowList, Program, VerifierConfig};
