//! capsules-femto: placeholder, being written.
#![no_std]
