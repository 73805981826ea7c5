//! Fuzz target: raw program text through the verifier and the interpreter.
//!
//! Input: byte 0 = settings (bit 0 strict mode, bit 1 read-only context, bit 2 rBPF
//! pseudo-opcodes, bits 3..5 = stack frames (1..8), bit 6 = mask out-of-range shift
//! immediates instead of rejecting them, bit 7 = refuse `callx`), byte 1 = context length,
//! then the context bytes, then the text. Runs with fuel 256 (taken jumps and calls).
//!
//! Every verified program runs three times, as written, translated (`femto_vm::translate`, as
//! the capsule runs containers) and as written in the compact interpreter
//! (`femto_vm::compact`), on identical memory: the outcomes (result or exact error), the fuel
//! left and every region afterwards must be identical.
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
    let plain = run(&program, *settings, ctx, false);
    let mut translated_text = text.to_vec();
    let translated = match femto_vm::verify_translated(&mut translated_text, &config) {
        Ok(p) => run(&p, *settings, ctx, false),
        Err(e) => panic!("verified as written but not when translating: {e}"),
    };
    assert_eq!(plain, translated, "the translated program behaves differently");
    let compact = run(&program, *settings, ctx, true);
    assert_eq!(plain, compact, "the compact interpreter behaves differently");
});

/// Runs `program` from slot 0 (in the compact interpreter if `compact`); returns the outcome,
/// the fuel left and the regions' bytes.
fn run(program: &Program<'_>, settings: u8, ctx: &[u8], compact: bool) -> (Result<u64, femto_vm::Error>, u64, Vec<u8>) {
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
    let mut fuel = 256;
    let r = if compact {
        femto_vm::compact::run_metered(program, 0, &mut memory, &mut FnHelpers(common::call), &mut fuel)
    } else {
        program.run_metered(0, &mut memory, &mut FnHelpers(common::call), &mut fuel)
    };
    drop(memory);
    let mut bytes = stack;
    bytes.extend_from_slice(&ctx);
    bytes.extend_from_slice(&data_region);
    (r, fuel, bytes)
}
