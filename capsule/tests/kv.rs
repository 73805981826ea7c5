//! The key-value scopes of one process: each container's private scope
//! (0) and the process scope (1) share one table of `KV_PROCESS_ENTRIES`
//! entries in the process's grant.
mod common;
mod harness;

use capsules_femto::state::KV_PROCESS_ENTRIES;
use common::*;
use harness::lock;

const PRIVATE: u32 = 0;
const PROCESS: u32 = 1;
const GLOBAL: u32 = 2;
const ENOENT: i64 = -2;
const ENOMEM: i64 = -12;

#[test]
fn private_scope_is_private_to_each_container_and_process_scope_is_shared() {
    let _g = lock();
    let fx = setup(2);
    let a = fx.load_ok(0, &kv_program(b"kv", &[]));
    let b = fx.load_ok(0, &kv_program(b"kv", &[]));
    assert_eq!(fx.kv_store(0, a, PRIVATE, 9, 111), 0);
    assert_eq!(fx.kv_fetch(0, b, PRIVATE, 9), ENOENT, "b cannot read a's");
    assert_eq!(fx.kv_store(0, b, PRIVATE, 9, 222), 0);
    assert_eq!(
        fx.kv_fetch(0, a, PRIVATE, 9),
        111,
        "b did not overwrite a's"
    );
    assert_eq!(fx.kv_fetch(0, b, PRIVATE, 9), 222);
    // The same key in the process scope is another entry, seen by both.
    assert_eq!(fx.kv_fetch(0, a, PROCESS, 9), ENOENT);
    assert_eq!(fx.kv_store(0, a, PROCESS, 9, 333), 0);
    assert_eq!(fx.kv_fetch(0, b, PROCESS, 9), 333);
    assert_eq!(fx.kv_fetch(0, a, PRIVATE, 9), 111);
    // Process 1's container has the same id as `a` but its own table.
    let c = fx.load_ok(1, &kv_program(b"kv", &[]));
    assert_eq!(c, a, "ids are per process");
    assert_eq!(fx.kv_fetch(1, c, PRIVATE, 9), ENOENT);
    assert_eq!(fx.kv_fetch(1, c, PROCESS, 9), ENOENT);
}

#[test]
fn the_table_is_shared_by_both_scopes_and_full_is_enomem() {
    let _g = lock();
    let fx = setup(1);
    let a = fx.load_ok(0, &kv_program(b"kv", &[]));
    let b = fx.load_ok(0, &kv_program(b"kv", &[]));
    let e = KV_PROCESS_ENTRIES as u32;
    // a takes all but one entry; the process scope the last one.
    for k in 0..e - 1 {
        assert_eq!(fx.kv_store(0, a, PRIVATE, k, k as u64), 0, "key {k}");
    }
    assert_eq!(fx.kv_store(0, b, PROCESS, 0, 7), 0);
    // Every new key is refused now, in every scope of the process.
    assert_eq!(fx.kv_store(0, a, PRIVATE, e, 0), ENOMEM);
    assert_eq!(fx.kv_store(0, b, PRIVATE, 0, 0), ENOMEM);
    assert_eq!(fx.kv_store(0, a, PROCESS, 1, 0), ENOMEM);
    // Replacing an existing key still works; nothing was lost.
    assert_eq!(fx.kv_store(0, a, PRIVATE, 3, 99), 0);
    assert_eq!(fx.kv_store(0, b, PROCESS, 0, 8), 0);
    assert_eq!(fx.kv_fetch(0, a, PRIVATE, 3), 99);
    assert_eq!(fx.kv_fetch(0, a, PRIVATE, e - 2), (e - 2) as i64);
    assert_eq!(fx.kv_fetch(0, a, PROCESS, 0), 8);
    assert_eq!(fx.kv_fetch(0, b, PRIVATE, 0), ENOENT);
    // The global scope has its own capacity.
    assert_eq!(fx.kv_store(0, b, GLOBAL, 1, 1), 0);
    // Unloading a frees its entries for b.
    assert!(is_ok(fx.cmd(0, 2, a, 0)));
    for k in 0..e - 1 {
        assert_eq!(fx.kv_store(0, b, PRIVATE, k, 1), 0, "key {k}");
    }
    assert_eq!(fx.kv_store(0, b, PRIVATE, e, 0), ENOMEM);
}

#[test]
fn unload_removes_private_entries_and_the_next_container_in_the_slot_sees_none() {
    let _g = lock();
    let fx = setup(1);
    let a = fx.load_ok(0, &kv_program(b"kv", &[]));
    let e = KV_PROCESS_ENTRIES as u32;
    for k in 0..e {
        assert_eq!(fx.kv_store(0, a, PRIVATE, k, 50 + k as u64), 0);
    }
    assert_eq!(fx.kv_store(0, a, PROCESS, 0, 1), ENOMEM);
    assert!(is_ok(fx.cmd(0, 2, a, 0)));
    // The next container gets the same slot (index in the low byte), a new
    // generation, and none of a's entries.
    let c = fx.load_ok(0, &kv_program(b"kv", &[]));
    assert_eq!((c & 0xFF, c == a), (a & 0xFF, false));
    for k in 0..e {
        assert_eq!(fx.kv_fetch(0, c, PRIVATE, k), ENOENT, "key {k}");
    }
    // And all the capacity is free again.
    assert_eq!(fx.kv_store(0, c, PROCESS, 0, 1), 0);
    for k in 0..e - 1 {
        assert_eq!(fx.kv_store(0, c, PRIVATE, k, 1), 0, "key {k}");
    }
    assert_eq!(fx.kv_store(0, c, PRIVATE, e, 1), ENOMEM);
    // The process scope outlives its writer.
    assert!(is_ok(fx.cmd(0, 2, c, 0)));
    let d = fx.load_ok(0, &kv_program(b"kv", &[]));
    assert_eq!(fx.kv_fetch(0, d, PROCESS, 0), 1);
    assert_eq!(fx.kv_fetch(0, d, PRIVATE, 0), ENOENT);
}

#[test]
fn process_restart_empties_the_table() {
    let _g = lock();
    let fx = setup(1);
    let a = fx.load_ok(0, &kv_program(b"kv", &[]));
    assert_eq!(fx.kv_store(0, a, PRIVATE, 1, 10), 0);
    assert_eq!(fx.kv_store(0, a, PROCESS, 1, 20), 0);
    let r = fx.w.syscalls(0, vec![harness::exit_restart(0)]);
    assert!(r.is_empty());
    // A fresh grant: the same id again, and an empty table.
    let b = fx.load_ok(0, &kv_program(b"kv", &[]));
    assert_eq!(b, a);
    assert_eq!(fx.kv_fetch(0, b, PRIVATE, 1), ENOENT);
    assert_eq!(fx.kv_fetch(0, b, PROCESS, 1), ENOENT);
}
