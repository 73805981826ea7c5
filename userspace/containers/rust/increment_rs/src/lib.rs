//! The "increment" container of tutorial 1, in Rust.
//!
//! Context: one little-endian u64. Adds 1 to it (the kernel copies the
//! changed context back to the app), remembers the new value in the
//! container's own key-value scope (key 1) and returns it. Returns -22
//! (EINVAL) for a context shorter than 8 bytes.
//!
//! Compiled for `bpfel-unknown-none`; the single exported function is the
//! container's entry point. The code must not panic: a panic would call
//! into `core`, which is not linked into a container.
#![no_std]

/// `fc_kv_store(scope, key, value)`: helper 0x10 (doc/helpers-abi.md).
///
/// eBPF helpers are called through a function pointer whose value is the
/// helper number; LLVM's BPF backend turns such a call into `call 0x10`.
const FC_KV_STORE: usize = 0x10;
/// Key-value scope private to this container.
const FC_KV_CONTAINER: u64 = 0;

fn kv_store(scope: u64, key: u64, value: u64) -> i64 {
    // SAFETY: in a femto-container, calling address 0x10 is the kv_store
    // helper call (the VM dispatches `call 0x10` to the kernel, which checks
    // its arguments); nothing is dereferenced here.
    let helper: extern "C" fn(u64, u64, u64) -> i64 = unsafe { core::mem::transmute(FC_KV_STORE) };
    helper(scope, key, value)
}

/// The container's entry point: `r1` = context address, `r2` = its length.
///
/// # Safety
/// The VM calls it with `ctx` pointing to `len` bytes of the context region.
#[no_mangle]
pub unsafe extern "C" fn increment_rs(ctx: *mut u8, len: u32) -> i64 {
    if len < 8 {
        return -22;
    }
    // SAFETY: the VM maps `len` (≥ 8) bytes at `ctx`, and every access is
    // checked by the VM anyway.
    let bytes = unsafe { core::slice::from_raw_parts_mut(ctx, 8) };
    let mut value = [0u8; 8];
    value.copy_from_slice(bytes);
    let next = u64::from_le_bytes(value).wrapping_add(1);
    bytes.copy_from_slice(&next.to_le_bytes());
    let _ = kv_store(FC_KV_CONTAINER, 1, next);
    next as i64
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}
