//! Shared by the fuzz targets: helpers that exercise the checked memory API.

use femto_vm::{helpers, Error, Memory};

/// Helpers 1..=4 use the VM's memory API with program-chosen addresses; any other number is
/// unknown. They must never panic, whatever the arguments.
pub fn call(id: u32, a: [u64; 5], m: &mut Memory<'_>) -> Result<u64, Error> {
    match id {
        // read a range (length capped) and sum it
        1 => Ok(m.slice(a[0], (a[1] & 0x3ff) as usize)?.iter().map(|&b| b as u64).sum()),
        // fill a range
        2 => {
            m.slice_mut(a[0], (a[1] & 0x3ff) as usize)?.fill(a[2] as u8);
            Ok(0)
        }
        // copy within the address space
        3 => m.copy_within(a[0], a[1], (a[2] & 0x3ff) as usize).map(|_| 0),
        // NUL-terminated string length
        4 => Ok(m.read_cstr(a[0], (a[1] & 0xff) as usize)?.len() as u64),
        // a helper that fails
        5 => Err(Error::helper_failed(5, a[0] as i64)),
        _ => Err(helpers::unknown(id)),
    }
}
