//! The bpf_conformance suite (`tests/` and `negative/`) through femto-vm: every file must pass.
//!
//! The data is read from `$BPF_CONFORMANCE_DIR`, or else from `../shared/bpf_conformance`
//! beside the repository (it is not part of the project). When neither exists the test says
//! so and does nothing.

use femto_tools::conformance::{self, Kind, Outcome};
use femto_tools::{asm, disasm};
use std::io::Write as _;
use std::path::PathBuf;

fn suite_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("BPF_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/bpf_conformance"),
    };
    if dir.join("tests").is_dir() {
        Some(dir)
    } else {
        let _ = writeln!(
            std::io::stderr(),
            "bpf_conformance data not found at {} (set BPF_CONFORMANCE_DIR): skipped",
            dir.display()
        );
        None
    }
}

#[test]
fn whole_suite_passes() {
    let Some(dir) = suite_dir() else { return };
    let summary = conformance::run_dir(&dir);
    let mut bad = Vec::new();
    for r in &summary.results {
        println!("{r}");
        if !matches!(r.outcome, Outcome::Pass(_)) {
            bad.push(r.to_string());
        }
    }
    // Written to the stderr handle directly (not eprintln!), so that the line shows even when
    // the test harness captures output.
    let _ = writeln!(std::io::stderr(), "bpf_conformance ({}): {}", dir.display(), summary.line());
    let positives = summary.results.iter().filter(|r| r.kind == Kind::Positive).count();
    let negatives = summary.results.iter().filter(|r| r.kind == Kind::Negative).count();
    assert!(positives >= 300 && negatives >= 50, "suite incomplete: {positives} + {negatives} files");
    assert!(bad.is_empty(), "{} file(s) did not pass:\n{}", bad.len(), bad.join("\n"));
}

/// Every suite program disassembles to mnemonics only (no raw `.quad` slots), and the
/// listing assembles back to the same bytes.
#[test]
fn suite_programs_round_trip_through_the_disassembler() {
    let Some(dir) = suite_dir() else { return };
    let mut n = 0;
    for entry in std::fs::read_dir(dir.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let t = conformance::parse_data(&text).unwrap();
        let Some((src, _)) = t.asm else { continue };
        let bytes = asm::assemble_to_bytes(&src).unwrap();
        let listing = disasm::source(&bytes).unwrap();
        assert!(!listing.contains(".quad"), "{}:\n{listing}", path.display());
        assert_eq!(asm::assemble_to_bytes(&listing).unwrap(), bytes, "{}", path.display());
        n += 1;
    }
    assert!(n >= 300, "only {n} programs");
}
