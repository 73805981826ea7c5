//! Grant memory per process is what the board's sizes say (plus small bookkeeping).
use capsules_femto::state::ProcessState;

#[test]
fn grant_size_is_bounded_by_board_sizes() {
    let small = core::mem::size_of::<ProcessState<4, 512, 1024>>();
    let board = core::mem::size_of::<ProcessState<4, 1024, 1024>>();
    println!("grant ProcessState<4,512,1024> = {small} bytes; <4,1024,1024> = {board} bytes");
    assert!(small >= 4 * 512 + 1024);
    // Bookkeeping per slot (stats, timer, ids) and per process (the
    // key-value table) stays small.
    assert!(small <= 4 * 512 + 1024 + 4 * 256 + 256, "{small}");
    assert!(board <= 4 * 1024 + 1024 + 4 * 256 + 256, "{board}");
}

/// A container's record (its slot without the image/data bytes, what
/// `make size` reports as `size.container.record_bytes`) is at most the
/// original Femto-Container's 88 bytes per instance.
#[test]
fn container_record_is_at_most_88_bytes() {
    let record = core::mem::size_of::<capsules_femto::state::Slot<0>>();
    println!("Slot<0> = {record} bytes");
    assert!(record <= capsules_femto::state::RECORD_MAX, "{record}");
    assert_eq!(capsules_femto::state::RECORD_MAX, 88);
}
