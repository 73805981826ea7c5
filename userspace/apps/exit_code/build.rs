//! Links the app for the flash/RAM addresses chosen by the Makefile
//! (`LIBTOCK_LINKER_FLASH`, `LIBTOCK_LINKER_RAM`, ... — see userspace/README.md).
fn main() {
    libtock_build_scripts::auto_layout();
}
