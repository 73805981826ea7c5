//! Fuzz target: raw program text through the verifier and the interpreter.
//!
//! Input: byte 0 = settings (bit 0 strict mode, bit 1 read-only context, bit 2 rBPF
//! pseudo-opcodes, bits 3..5 = stack frames (1..8), bit 6 = mask out-of-range shift
//! immediates instead of rejecting them, bit 7 = refuse `callx`), byte 1 = context length,
//! then the context bytes, then the text. Runs with fuel 256 (taken jumps and calls).
#![no_main]

use femto_vm::{
    verifier::{AllowList, VerifierConfig},
    FnHelpers, Memory, Program,
};
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let [settings, ctx_len, rest @ ..] = data else { return };
    let ctx_len = (*ctx_len as usize).min(rest.len());
    let (ctx, text) = rest.split_at(ctx_len);
    let config = VerifierConfig {
        helpers: AllowList::Ids(&[1, 2, 3, 4, 5, 6]),
        strict: settings & 1 != 0,
        rbf_pseudo_opcodes: settings & 4 != 0,
        reject_out_of_range_shifts: settings & 0x40 == 0,
        allow_callx: settings & 0x80 == 0,
        ..VerifierConfig::default()
    };
    let Ok(program) = Program::verify(text, &config) else { return };
    let frames = 1 + ((settings >> 3) & 7) as usize;
    let mut stack = vec![0u8; 512 * frames];
    let mut ctx = ctx.to_vec();
    let mut data_region = [0u8; 64];
    let rodata = [0x5au8; 32];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    if settings & 2 != 0 {
        memory.map_context_ro(&ctx[..]);
    } else {
        memory.map_context_rw(&mut ctx[..]);
    }
    memory.map_data(&mut data_region);
    memory.map_rodata(&rodata);
    let _ = program.run(0, &mut memory, &mut FnHelpers(common::call), 256);
});
