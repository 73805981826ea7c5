//! Build script: links the kernel with this board's `layout.ld`.
//!
//! `tock_build_scripts` (Tock's own helper crate, used as a dependency) checks
//! that the Tock rustflags from `.cargo/config.toml` are in effect, puts this
//! directory and the directory holding Tock's `tock_kernel_layout.ld` on the
//! linker search path, passes `-Tlayout.ld` and makes cargo relink when any of
//! the linker scripts change.

fn main() {
    tock_build_scripts::default_linker_script();
}
