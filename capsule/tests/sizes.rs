//! Grant memory per process is what the board's sizes say (plus small bookkeeping).
use capsules_femto::state::ProcessState;

#[test]
fn grant_size_is_bounded_by_board_sizes() {
    let small = core::mem::size_of::<ProcessState<4, 512, 1024>>();
    let board = core::mem::size_of::<ProcessState<4, 1024, 1024>>();
    println!("grant ProcessState<4,512,1024> = {small} bytes; <4,1024,1024> = {board} bytes");
    assert!(small >= 4 * 512 + 1024);
    // Bookkeeping per slot (stats, kv, timer, ids) stays small.
    assert!(small <= 4 * 512 + 1024 + 4 * 256 + 256, "{small}");
    assert!(board <= 4 * 1024 + 1024 + 4 * 256 + 256, "{board}");
}
