//! Property tests: the parsers and printers of the `femto` tool never panic,
//! whatever bytes they are given — random bytes, and valid inputs with random
//! bytes overwritten, truncated or extended (which get much deeper into the
//! parsers than random bytes do).
//!
//! Covered: the ELF reader and linker (`femto pack`), the object and image
//! listings (`femto disasm`), the image description (`femto inspect`), entry
//! selection (`femto run`), hex arguments (`--ctx`, `femto plugin`) and the
//! `fc_print` formatter of the helper ABI (`femto-helpers`, which `femto run`
//! and the kernel share).

use femto_vm::memory::{vaddr, REGION_DATA};
use femto_vm::Memory;
use femto_tools::{cmd, elf, hexin, link, objdump, pack};
use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

/// A valid eBPF object, compiled from `tests/containers/multi.c` once; `None`
/// (and a printed reason) when clang cannot be run.
fn object() -> Option<&'static [u8]> {
    static OBJ: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    OBJ.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("femto-parsers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let out = dir.join("multi.o");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/containers/multi.c");
        let opts = femto_tools::compile::BuildOptions {
            clang: femto_tools::compile::default_clang(),
            src,
            out: out.clone(),
            mcpu: "v3".into(),
            includes: vec![],
            defines: vec![],
            extra: vec![],
        };
        let obj = match femto_tools::compile::build(&opts) {
            Ok(()) => std::fs::read(&out).ok(),
            Err(e) => {
                println!("skipping the object-mutation properties: {e}");
                None
            }
        };
        let _ = std::fs::remove_dir_all(&dir);
        obj
    })
    .as_deref()
}

/// A valid image: the linked object if clang is there, else an assembled program.
fn image() -> &'static [u8] {
    static IMG: OnceLock<Vec<u8>> = OnceLock::new();
    IMG.get_or_init(|| {
        if let Some(obj) = object() {
            let l = link::link(obj).expect("multi.o links");
            return pack::pack_linked(&l, &pack::PackOptions { name: "multi".into(), ..Default::default() })
                .expect("multi.o packs");
        }
        let code = femto_tools::asm::assemble_to_bytes("mov %r0, 1\nlddw %r1, 0x400000000\ncall 1\nexit\n").unwrap();
        let sections = pack::Resolved { text: code, rodata: b"hi\0".to_vec(), data: vec![1, 2, 3], bss_len: 8 };
        pack::encode(&sections, &[("main".into(), 0)], &[1], &pack::PackOptions::default()).unwrap()
    })
}

/// Everything the tool does with an object's bytes.
fn exercise_object(bytes: &[u8]) {
    if let Ok(e) = elf::Elf::parse(bytes) {
        for s in &e.sections {
            let _ = e.section_data(s);
            if s.sh_type == elf::SHT_REL {
                let _ = e.relocations(s);
            }
        }
        for sym in &e.symbols {
            let _ = e.symbol_display_name(sym);
        }
    }
    if let Ok(l) = link::link(bytes) {
        if let Ok(img) = pack::pack_linked(&l, &pack::PackOptions::default()) {
            exercise_image(&img);
        }
    }
    let _ = objdump::object(Path::new("x.o"), bytes, false);
    let _ = objdump::object(Path::new("x.o"), bytes, true);
}

/// Everything the tool does with an image's bytes.
fn exercise_image(bytes: &[u8]) {
    if let Ok(image) = femto_vm::Image::parse(bytes) {
        let _ = cmd::describe(&image, false);
        let _ = cmd::describe(&image, true);
        let _ = objdump::image(Path::new("x.fc"), &image, false);
        let _ = objdump::image(Path::new("x.fc"), &image, true);
        let _ = femto_tools::run::pick_entry(&image, None);
        let _ = femto_tools::run::pick_entry(&image, Some("main"));
        let _ = femto_tools::run::trace_table(image.text());
        let _ = cmd::allow_list(&image);
    }
}

/// Overwrites, truncates or extends `base` according to `edits`.
fn mutate(base: &[u8], edits: &[(usize, u8)], cut: Option<usize>, tail: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    for &(pos, byte) in edits {
        if !v.is_empty() {
            let i = pos % v.len();
            v[i] = byte;
        }
    }
    if let Some(c) = cut {
        v.truncate(c % (v.len() + 1));
    }
    v.extend_from_slice(tail);
    v
}

fn cases() -> u32 {
    std::env::var("FEMTO_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

proptest! {
    // 2000 cases per property (a few seconds); set FEMTO_PROPTEST_CASES for a longer run.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_as_object(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise_object(&bytes);
        // With a valid ELF64 LE eBPF header in front, the section table is reached.
        let mut h = b"\x7fELF\x02\x01\x01".to_vec();
        h.resize(16, 0);
        h.extend_from_slice(&1u16.to_le_bytes());
        h.extend_from_slice(&247u16.to_le_bytes());
        h.extend_from_slice(&bytes);
        exercise_object(&h);
    }

    #[test]
    fn mutated_object(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
                      cut in proptest::option::of(any::<usize>()),
                      tail in proptest::collection::vec(any::<u8>(), 0..16)) {
        if let Some(obj) = object() {
            exercise_object(&mutate(obj, &edits, cut, &tail));
        }
    }

    #[test]
    fn random_bytes_as_image(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        exercise_image(&bytes);
        let mut native = b"FEMC".to_vec();
        native.extend_from_slice(&bytes);
        exercise_image(&native);
        let mut rbf = 0x7242_5046u32.to_le_bytes().to_vec();
        rbf.extend_from_slice(&bytes);
        exercise_image(&rbf);
    }

    #[test]
    fn mutated_image(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
                     cut in proptest::option::of(any::<usize>()),
                     tail in proptest::collection::vec(any::<u8>(), 0..16)) {
        exercise_image(&mutate(image(), &edits, cut, &tail));
    }

    #[test]
    fn hex_arguments(s in "\\PC{0,40}", t in "[0-9a-fA-Fx \\t\\n]{0,40}") {
        let _ = hexin::parse_hex(&s);
        let _ = hexin::parse_hex(&t);
        let _ = femto_tools::conformance::parse_hex(&s);
        let _ = femto_tools::conformance::parse_hex(&t);
    }

    #[test]
    fn print_formatter(mem in proptest::collection::vec(any::<u8>(), 0..200),
                       fmt in "[%dluxcis0-9a-z ]{0,40}",
                       args in proptest::array::uniform5(any::<u64>())) {
        let mut m = mem.clone();
        m.extend_from_slice(fmt.as_bytes());
        m.push(0);
        let at = mem.len() as u64;
        let base = vaddr(REGION_DATA, 0);
        let mut memory = Memory::new();
        memory.map_data(&mut m);
        // a1 points into the data region (so a %s finds memory), the
        // second call takes all arguments as they come.
        let a = [base + args[1] % 256, args[2], args[3]];
        match femto_helpers::format(base + at, a, &memory) {
            Ok(line) => prop_assert!(line.len() <= femto_helpers::PRINT_OUT_MAX),
            Err(code) => prop_assert_eq!(code, -14, "unexpected error code"),
        }
        let _ = femto_helpers::format(args[0], [args[1], args[2], args[3]], &memory);
    }
}
