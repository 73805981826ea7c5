//! The harness itself: syscalls go through the real kernel loop.
mod harness;
use harness::*;
use kernel::syscall::SyscallReturn;
use kernel::ErrorCode;

#[test]
fn unknown_driver_gets_nodevice_through_kernel_loop() {
    let _g = lock();
    let w = boot(1).with_drivers(vec![]);
    let r = w.syscall(0, command(0xA0000, 0, 0, 0));
    assert!(
        matches!(r, SyscallReturn::Failure(ErrorCode::NODEVICE)),
        "{r:?}"
    );
}
