//! Small pieces the example apps share, so each app's `main.rs` shows only
//! what its tutorial is about.
#![no_std]

use core::fmt::Write;
use libtock::runtime::TockSyscalls;
use libtock_femto::ContainerId;

/// The femto-containers API on a real Tock kernel.
pub type Femto = libtock_femto::Femto<TockSyscalls>;

/// A container image built by `make -C userspace containers`
/// (`userspace/build/containers/NAME.fc`), embedded in the app.
#[macro_export]
macro_rules! container_image {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../build/containers/",
            $name,
            ".fc"
        ))
    };
}

/// True if the kernel has the femto-containers driver; otherwise prints
/// `APP: this kernel has no femto-containers driver (0xA0000)`.
pub fn driver_present(out: &mut impl Write, app: &str) -> bool {
    if Femto::exists().is_ok() {
        return true;
    }
    let _ = writeln!(
        out,
        "{}: this kernel has no femto-containers driver (0xA0000)",
        app
    );
    false
}

/// Loads `image`; on failure prints
/// `APP: loading NAME failed: ERROR (LOAD_ERROR)` and returns `None`.
pub fn load(out: &mut impl Write, app: &str, name: &str, image: &[u8]) -> Option<ContainerId> {
    match Femto::load(image) {
        Ok(id) => Some(id),
        Err(e) => {
            let _ = writeln!(
                out,
                "{}: loading {} failed: {:?} ({:?})",
                app,
                name,
                e,
                Femto::last_load_error()
            );
            None
        }
    }
}
