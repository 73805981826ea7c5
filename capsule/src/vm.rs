//! The interpreter the capsule runs containers with, chosen when the kernel
//! is built.
//!
//! - **Default**: femto-vm's main interpreter. At load the verified text is
//!   pre-decoded in place (`femto_vm::translate_image_with`: internal forms
//!   with shorter paths, same results, faults, pcs and fuel); runs use
//!   `femto_vm::run_metered`. About 22 KB of Cortex-M4 code for the VM.
//! - **`compact-vm` feature**: `femto_vm::compact`, the same machine decoded
//!   by instruction class: about a third of the VM code, 3 to 4 times slower
//!   (`doc/performance.md` has both sets of figures). The text is verified at
//!   load (`femto_vm::verify_image_with`) and kept as written.
//!
//! Everything else (the image format, the verifier, the syscalls, the hooks,
//! the helpers) is the same in both builds.

use femto_vm::{Error, Image};

/// Parses the image in `bytes`, runs the capsule's `check` on it and, only
/// if that passes, verifies the text and prepares it for [`run_metered`]
/// (in place): one parse serves both. Returns the parse or verification
/// error, else `check`'s result. On any error the image bytes are
/// unchanged (what `check` reads, preparing does not change).
pub(crate) fn prepare<T, E>(
    bytes: &mut [u8],
    check: impl FnOnce(&Image<'_>) -> Result<T, E>,
) -> Result<Result<T, E>, Error> {
    #[cfg(not(feature = "compact-vm"))]
    {
        femto_vm::translate_image_with(bytes, check)
    }
    #[cfg(feature = "compact-vm")]
    {
        femto_vm::verify_image_with(bytes, check)
    }
}

/// Runs a program that [`prepare`] accepted, from `entry`, metering `fuel`:
/// `femto_vm::run_metered`, or `femto_vm::compact::run_metered` with
/// `compact-vm` (the same signature).
#[cfg(not(feature = "compact-vm"))]
pub(crate) use femto_vm::run_metered;
#[cfg(feature = "compact-vm")]
pub(crate) use femto_vm::compact::run_metered;

#[cfg(test)]
mod tests {
    use femto_vm::image::{Function, ImageSpec};
    use femto_vm::isa::Insn;
    use femto_vm::{Image, Memory, Program, Region};

    /// The build's interpreter is the one this module says: the main
    /// interpreter's `prepare` rewrites opcode bytes of the text into
    /// internal forms (and nothing else), the compact one's leaves the image
    /// as it is; either way [`super::run_metered`] runs the prepared text
    /// with the same result and fuel.
    #[test]
    fn prepare_translates_only_for_the_main_interpreter() {
        // r1 = 7; [r10 - 8] = r1; r0 = [r10 - 8]; r0 += 35; exit
        let text: Vec<u8> = [
            Insn::new(0xb7, 1, 0, 0, 7),
            Insn::new(0x7b, 10, 1, -8, 0),
            Insn::new(0x79, 0, 10, -8, 0),
            Insn::new(0x07, 0, 0, 0, 35),
            Insn::new(0x95, 0, 0, 0, 0),
        ]
        .iter()
        .flat_map(|i| i.encode())
        .collect();
        let functions = [Function { name: b"main", pc: 0 }];
        let spec = ImageSpec { name: b"which-vm", functions: &functions, ..ImageSpec::of_text(&text) };
        let mut original = vec![0u8; spec.encoded_len().unwrap()];
        spec.encode(&mut original).unwrap();
        let mut prepared = original.clone();
        let name = super::prepare(&mut prepared, |image| Ok::<_, ()>(image.name().to_vec()));
        assert_eq!(name, Ok(Ok(b"which-vm".to_vec())));
        // A failed check leaves the image as it was, in both builds.
        let mut refused = original.clone();
        assert_eq!(super::prepare(&mut refused, |_| Err::<(), _>(7)), Ok(Err(7)));
        assert_eq!(refused, original);

        let changed: Vec<usize> = (0..original.len()).filter(|&i| original[i] != prepared[i]).collect();
        if cfg!(feature = "compact-vm") {
            assert!(changed.is_empty(), "the compact interpreter's prepare changed bytes {changed:?}");
        } else {
            // Only opcode bytes (the first byte of an instruction slot) change.
            let text_at = original.windows(text.len()).position(|w| w == &text[..]).unwrap();
            assert!(!changed.is_empty(), "the main interpreter's prepare translated nothing");
            assert!(changed.iter().all(|&i| i >= text_at && (i - text_at) % 8 == 0), "{changed:?}");
        }

        let image = Image::parse(&prepared).unwrap();
        let program = Program::assume_verified(image.text(), &image.verifier_config());
        let mut stack = [0u8; 512];
        let mut memory = Memory::for_container(&mut stack, Region::Unmapped, &mut [], &[]);
        let mut fuel = 100;
        let r = super::run_metered(&program, 0, &mut memory, &mut femto_vm::NoHelpers, &mut fuel);
        assert_eq!((r, fuel), (Ok(42), 100));
    }
}
