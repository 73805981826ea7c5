//! femto-vm: placeholder, being written.
#![no_std]
#![forbid(unsafe_code)]
