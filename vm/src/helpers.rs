//! Helper functions: numbered host functions a program calls with `call imm`.
//!
//! A helper receives r1..r5 and checked access to the VM's memory through
//! [`Memory`] (pointer arguments are virtual addresses; use
//! [`Memory::slice`], [`Memory::slice_mut`], [`Memory::read`],
//! [`Memory::write`], [`Memory::read_cstr`]). It returns the value for r0,
//! or an [`Error`] that stops the run (typically
//! [`Error::helper_failed`]; memory errors from the checked API may be
//! propagated with `?` as well). The interpreter fills in the pc of the call.

use crate::error::Error;
use crate::memory::Memory;

/// The host's set of helpers, dispatched by number.
pub trait Helpers {
    /// Calls helper `id` with arguments `args` (r1..r5).
    ///
    /// Returns `Err(Error::UnknownHelper { .. })` for a number the host does
    /// not provide (the pc is filled in by the interpreter).
    fn call(&mut self, id: u32, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, Error>;
}

/// The "unknown helper" error for `id`, for implementations of [`Helpers`].
pub fn unknown(id: u32) -> Error {
    Error::UnknownHelper { pc: 0, helper: id }
}

/// No helpers at all: every call is an [`Error::UnknownHelper`].
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHelpers;

impl Helpers for NoHelpers {
    fn call(&mut self, id: u32, _args: [u64; 5], _memory: &mut Memory<'_>) -> Result<u64, Error> {
        Err(unknown(id))
    }
}

/// A stateless helper function.
pub type HelperFn = fn(args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, Error>;

/// A table of stateless helpers: `(number, function)` pairs, searched linearly.
#[derive(Debug, Clone, Copy)]
pub struct HelperTable<'t>(pub &'t [(u32, HelperFn)]);

impl Helpers for HelperTable<'_> {
    fn call(&mut self, id: u32, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, Error> {
        match self.0.iter().find(|(n, _)| *n == id) {
            Some((_, f)) => f(args, memory),
            None => Err(unknown(id)),
        }
    }
}

/// Adapts a closure `FnMut(id, args, memory) -> Result<u64, Error>` into [`Helpers`].
#[derive(Debug, Clone, Copy)]
pub struct FnHelpers<F>(pub F);

impl<F> Helpers for FnHelpers<F>
where
    F: FnMut(u32, [u64; 5], &mut Memory<'_>) -> Result<u64, Error>,
{
    fn call(&mut self, id: u32, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, Error> {
        (self.0)(id, args, memory)
    }
}

impl<H: Helpers + ?Sized> Helpers for &mut H {
    fn call(&mut self, id: u32, args: [u64; 5], memory: &mut Memory<'_>) -> Result<u64, Error> {
        (**self).call(id, args, memory)
    }
}
