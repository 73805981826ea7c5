//! The bpf_conformance suite runner: parses `.data` files and runs them through femto-vm's
//! verifier and interpreter with the device's defaults.
//!
//! A `.data` file has sections introduced by `-- NAME` lines: `asm` (assembly, see
//! [`crate::asm`]), `raw` (instruction words `0x…` or hex bytes), `mem` (hex bytes of the
//! memory handed to the program), `result` (expected r0), `error` (expected rejection or
//! runtime error), plus `c` (the C source a program was compiled from) and
//! `no register offset`, which are informational. Any other section name is an error.
//! `#` lines outside `-- asm` are comments.
//!
//! Execution defaults ([`run_program`]): the `-- mem` bytes are a read-write context,
//! r1 = its address, r2 = its length, 512 bytes of stack per call frame (up to femto-vm's
//! maximum call depth), a fuel budget of [`FUEL`] (taken jumps and calls), and helper 5
//! returns its first argument (r1); any other helper number is an "unknown helper" error.
//! Shift immediates out of range are masked as RFC 9669 defines (the suite tests this; the
//! device's verifier policy rejects them instead).
//!
//! A file in `tests/` passes when the program assembles (and, if it has both `asm` and `raw`,
//! both give the same bytes), verifies, runs, and r0 equals `-- result`; or, when the file has
//! `-- error`, when it is rejected or stops with an error.
//!
//! A file in `negative/` is a test the suite expects to *fail*. It passes when it is rejected
//! (by the `.data` parser, the assembler or the verifier — reported as such), or, for the few
//! negative files that are valid programs carrying a deliberately wrong expectation, when the
//! run does not meet that expectation (reported as "caught at run time" so it is visible that
//! nothing rejected it). A negative file that assembles, verifies, runs and meets its stated
//! expectation fails.

use crate::asm;
use std::fmt;
use std::path::{Path, PathBuf};

/// Fuel budget per run (femto-vm spends one unit per taken jump or call): large enough for
/// every suite program, small enough that an endless loop ends in well under a second.
pub const FUEL: u64 = 1_000_000;

/// Stack size per call frame, the device's default.
pub const STACK_SIZE: usize = 512;

/// A parsed `.data` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestFile {
    /// The `-- asm` text and the 1-based line number in the file of its first line.
    pub asm: Option<(String, usize)>,
    /// The `-- raw` program bytes.
    pub raw: Option<Vec<u8>>,
    /// The `-- mem` bytes (empty when absent).
    pub mem: Vec<u8>,
    /// The expected r0 from `-- result`.
    pub result: Option<u64>,
    /// The `-- error` text, when the file expects an error.
    pub error: Option<String>,
}

/// Parses the text of a `.data` file; the error names the offending line.
pub fn parse_data(text: &str) -> Result<TestFile, String> {
    #[derive(PartialEq, Clone, Copy)]
    enum Sec {
        None,
        Asm,
        Raw,
        Mem,
        Result,
        Error,
        Ignored,
    }
    let mut t = TestFile::default();
    let mut sec = Sec::None;
    let mut asm_text = String::new();
    let mut asm_start = 0;
    let mut raw: Option<Vec<u8>> = None;
    let mut result_text: Option<(String, usize)> = None;
    let mut error_text: Option<String> = None;
    for (i, line) in text.lines().enumerate() {
        let no = i + 1;
        if let Some(name) = line.strip_prefix("--") {
            let name = name.trim();
            sec = match name {
                "asm" => {
                    asm_start = no + 1;
                    asm_text.clear();
                    Sec::Asm
                }
                "raw" => {
                    raw = Some(Vec::new());
                    Sec::Raw
                }
                "mem" => Sec::Mem,
                "result" => Sec::Result,
                "error" => {
                    error_text = Some(String::new());
                    Sec::Error
                }
                "c" | "no register offset" => Sec::Ignored,
                _ => return Err(format!("line {}: unknown directive '-- {}'", no, name)),
            };
            if sec == Sec::Asm {
                t.asm = Some((String::new(), asm_start));
            }
            continue;
        }
        match sec {
            Sec::Asm => {
                asm_text.push_str(line);
                asm_text.push('\n');
            }
            Sec::None | Sec::Ignored => {}
            _ if line.trim_start().starts_with('#') => {}
            Sec::Raw => {
                let r = raw.get_or_insert_with(Vec::new);
                for tok in line.split_whitespace() {
                    if let Some(h) = tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
                        let w = u64::from_str_radix(h, 16)
                            .map_err(|_| format!("line {}: invalid instruction word '{}'", no, tok))?;
                        r.extend_from_slice(&w.to_le_bytes());
                    } else {
                        r.push(hex_byte(tok).map_err(|e| format!("line {}: {}", no, e))?);
                    }
                }
            }
            Sec::Mem => {
                for tok in line.split_whitespace() {
                    t.mem.push(hex_byte(tok).map_err(|e| format!("line {}: {}", no, e))?);
                }
            }
            Sec::Result => {
                if !line.trim().is_empty() && result_text.is_none() {
                    result_text = Some((line.trim().to_string(), no));
                }
            }
            Sec::Error => {
                let e = error_text.get_or_insert_with(String::new);
                if !line.trim().is_empty() {
                    if !e.is_empty() {
                        e.push(' ');
                    }
                    e.push_str(line.trim());
                }
            }
        }
    }
    if let Some((_, start)) = t.asm {
        t.asm = Some((asm_text, start));
    }
    t.raw = raw;
    t.error = error_text;
    if let Some((r, no)) = result_text {
        let v = match r.strip_prefix("0x").or_else(|| r.strip_prefix("0X")) {
            Some(h) => u64::from_str_radix(h, 16),
            None => r.parse::<u64>(),
        };
        t.result = Some(v.map_err(|_| format!("line {}: invalid result '{}'", no, r))?);
    }
    Ok(t)
}

fn hex_byte(tok: &str) -> Result<u8, String> {
    if tok.len() != 2 {
        return Err(format!("invalid hex byte '{}'", tok));
    }
    u8::from_str_radix(tok, 16).map_err(|_| format!("invalid hex byte '{}'", tok))
}

/// Parses hex bytes separated by white space (the bpf_conformance plugin protocol). A token
/// longer than two digits is read as consecutive bytes (`"aabb"` = `aa bb`); an optional
/// `0x` prefix per token is allowed.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for tok in text.split_whitespace() {
        let t = tok.strip_prefix("0x").unwrap_or(tok);
        if t.is_empty() || t.len() % 2 != 0 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("invalid hex '{}': expected pairs of hex digits", tok));
        }
        for i in (0..t.len()).step_by(2) {
            out.push(u8::from_str_radix(&t[i..i + 2], 16).map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

/// How running a program ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The verifier refused the program.
    Rejected(String),
    /// The program verified but stopped with an error.
    Fault(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Rejected(m) => write!(f, "rejected by the verifier: {}", m),
            RunError::Fault(m) => write!(f, "runtime error: {}", m),
        }
    }
}

impl std::error::Error for RunError {}

/// Verifies and runs `program` with the device's defaults (see the module docs); `mem` is the
/// read-write context (r1 = its address, r2 = its length). Returns r0.
pub fn run_program(program: &[u8], mem: &mut [u8]) -> Result<u64, RunError> {
    vm_run(program, mem, FUEL)
}

/// The `femto plugin` entry point: runs `program` (raw instruction bytes) with `memory` as
/// the context (none: an empty context) and returns r0, or the error.
pub fn plugin(program: &[u8], memory: Option<&[u8]>) -> Result<u64, RunError> {
    let mut mem = memory.map(<[u8]>::to_vec).unwrap_or_default();
    run_program(program, &mut mem)
}

/// Which part of the suite a file belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `tests/`: the program must behave as the file says.
    Positive,
    /// `negative/`: the file must not pass (rejected, or its expectation not met).
    Negative,
}

/// The verdict for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed, with how (e.g. "r0 = 0x1", "rejected by the assembler: …").
    Pass(String),
    /// Failed, with why.
    Fail(String),
    /// Not run, with why.
    Skip(String),
}

/// The result for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileResult {
    /// The file.
    pub path: PathBuf,
    /// Positive or negative test.
    pub kind: Kind,
    /// The verdict.
    pub outcome: Outcome,
}

impl fmt::Display for FileResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (word, why) = match &self.outcome {
            Outcome::Pass(w) => ("pass", w),
            Outcome::Fail(w) => ("FAIL", w),
            Outcome::Skip(w) => ("skip", w),
        };
        write!(f, "{} {}: {}", word, self.path.display(), why)
    }
}

/// Results for a set of files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// One entry per file, in the order run.
    pub results: Vec<FileResult>,
}

impl Summary {
    /// Number of files that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass(_)))
    }
    /// Number of files that failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Fail(_)))
    }
    /// Number of files skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skip(_)))
    }
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }
    /// Appends another summary's results.
    pub fn extend(&mut self, other: Summary) {
        self.results.extend(other.results);
    }
    /// The line `N passed, M failed, K skipped`.
    pub fn line(&self) -> String {
        format!(
            "{} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        )
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in &self.results {
            writeln!(f, "{}", r)?;
        }
        write!(f, "{}", self.line())
    }
}

/// Runs a directory. If it contains `tests/` and/or `negative/` subdirectories (the suite's
/// root), runs those; otherwise runs its `*.data` files, as negative tests when the
/// directory is named `negative`. Files are run in name order. An unreadable directory gives
/// a single failing entry.
pub fn run_dir(path: &Path) -> Summary {
    let mut s = Summary::default();
    let (tests, negative) = (path.join("tests"), path.join("negative"));
    if tests.is_dir() || negative.is_dir() {
        for d in [tests, negative] {
            if d.is_dir() {
                s.extend(run_dir(&d));
            }
        }
        return s;
    }
    let kind = if path.file_name().is_some_and(|n| n == "negative") {
        Kind::Negative
    } else {
        Kind::Positive
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(path) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "data"))
            .collect(),
        Err(e) => {
            s.results.push(FileResult {
                path: path.to_path_buf(),
                kind,
                outcome: Outcome::Fail(format!("cannot read directory: {}", e)),
            });
            return s;
        }
    };
    files.sort();
    for f in files {
        s.results.push(run_file(&f, kind));
    }
    s
}

/// Runs a single `.data` file.
pub fn run_file(path: &Path, kind: Kind) -> FileResult {
    let outcome = match std::fs::read_to_string(path) {
        Ok(text) => match kind {
            Kind::Positive => check_positive(&text),
            Kind::Negative => check_negative(&text),
        },
        Err(e) => Outcome::Fail(format!("cannot read: {}", e)),
    };
    FileResult {
        path: path.to_path_buf(),
        kind,
        outcome,
    }
}

/// Where a program came from, or why there is none.
enum Program {
    Bytes(Vec<u8>),
    NoProgram,
    AsmError(String),
    Mismatch(String),
}

fn program_of(t: &TestFile) -> Program {
    match (&t.asm, &t.raw) {
        (Some((src, start)), raw) => match asm::assemble_to_bytes(src) {
            Ok(bytes) => match raw {
                Some(r) if *r != bytes => Program::Mismatch(format!(
                    "the assembled -- asm ({} bytes) differs from -- raw ({} bytes)",
                    bytes.len(),
                    r.len()
                )),
                _ => Program::Bytes(bytes),
            },
            Err(e) => Program::AsmError(format!("line {}: {}", e.line + start - 1, e.message)),
        },
        (None, Some(r)) => Program::Bytes(r.clone()),
        (None, None) => Program::NoProgram,
    }
}

/// Checks a `tests/` file's text.
pub fn check_positive(text: &str) -> Outcome {
    let t = match parse_data(text) {
        Ok(t) => t,
        Err(e) => return Outcome::Fail(format!("bad .data file: {}", e)),
    };
    let program = match program_of(&t) {
        Program::Bytes(b) => b,
        Program::NoProgram => return Outcome::Fail("no -- asm or -- raw program".into()),
        Program::AsmError(e) => return Outcome::Fail(format!("assembler error: {}", e)),
        Program::Mismatch(e) => return Outcome::Fail(e),
    };
    let mut mem = t.mem.clone();
    let run = run_program(&program, &mut mem);
    match (&t.error, t.result, run) {
        (Some(_), _, Err(e)) => Outcome::Pass(format!("expected error: {}", e)),
        (Some(_), _, Ok(r0)) => Outcome::Fail(format!("expected an error, ran and returned r0 = {:#x}", r0)),
        (None, Some(want), Ok(r0)) if r0 == want => Outcome::Pass(format!("r0 = {:#x}", r0)),
        (None, Some(want), Ok(r0)) => Outcome::Fail(format!("r0 = {:#x}, expected {:#x}", r0, want)),
        (None, Some(want), Err(e)) => Outcome::Fail(format!("{} (expected r0 = {:#x})", e, want)),
        (None, None, _) => Outcome::Fail("no -- result or -- error section".into()),
    }
}

/// Checks a `negative/` file's text.
pub fn check_negative(text: &str) -> Outcome {
    let t = match parse_data(text) {
        Ok(t) => t,
        Err(e) => return Outcome::Pass(format!("rejected by the .data parser: {}", e)),
    };
    let program = match program_of(&t) {
        Program::Bytes(b) => b,
        // No program at all: hand the verifier the empty program, which it must refuse.
        Program::NoProgram => Vec::new(),
        Program::AsmError(e) => return Outcome::Pass(format!("rejected by the assembler: {}", e)),
        Program::Mismatch(e) => return Outcome::Pass(format!("rejected: {}", e)),
    };
    let mut mem = t.mem.clone();
    match (run_program(&program, &mut mem), &t.error, t.result) {
        (Err(RunError::Rejected(e)), _, _) => {
            Outcome::Pass(format!("rejected by the verifier: {}", e))
        }
        (Ok(r0), Some(_), _) => Outcome::Pass(format!(
            "caught at run time: the file expects an error, the program ran and returned r0 = {:#x}",
            r0
        )),
        (Ok(r0), None, Some(want)) if r0 != want => Outcome::Pass(format!(
            "caught at run time: r0 = {:#x}, not the file's (wrong) expectation {:#x}",
            r0, want
        )),
        (Ok(r0), _, _) => Outcome::Fail(format!(
            "assembled, verified and ran (r0 = {:#x}) as the file says; it should have been rejected",
            r0
        )),
        (Err(e @ RunError::Fault(_)), _, _) => Outcome::Fail(format!(
            "verified, then {}; the verifier should have rejected it",
            e
        )),
    }
}

/// The femto-vm glue: each program runs three times, as written, translated (pre-decoded, as
/// the capsule runs containers: `femto_vm::translate`) and as written in the compact
/// interpreter (`femto_vm::compact`), each on its own copy of the memory; the runs must agree
/// exactly (result or error, and memory), else the test fails. The translated run's outcome
/// is the test's.
fn vm_run(program: &[u8], mem: &mut [u8], fuel: u64) -> Result<u64, RunError> {
    let mut plain_mem = mem.to_vec();
    let plain = vm_run_once(program, &mut plain_mem, fuel, Way::Plain);
    let mut compact_mem = mem.to_vec();
    let compact = vm_run_once(program, &mut compact_mem, fuel, Way::Compact);
    let translated = vm_run_once(program, mem, fuel, Way::Translated);
    // Each other way against the plain run: same outcome, same memory.
    for (what, other, other_mem) in
        [("the translated program", &translated, &mem[..]), ("the compact interpreter", &compact, &compact_mem[..])]
    {
        let same_outcome = match (&plain, other) {
            (Ok(a), Ok(b)) => a == b,
            (Err(RunError::Rejected(a)), Err(RunError::Rejected(b))) => a == b,
            (Err(RunError::Fault(a)), Err(RunError::Fault(b))) => a == b,
            _ => false,
        };
        if !same_outcome || plain_mem[..] != other_mem[..] {
            return Err(RunError::Fault(format!(
                "{what} behaves differently: {other:?} (memory {}), as written: {plain:?}",
                if plain_mem[..] == other_mem[..] { "same" } else { "differs" }
            )));
        }
    }
    translated
}

/// How [`vm_run_once`] runs a program.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Way {
    /// As written, in the main interpreter.
    Plain,
    /// Translated, in the main interpreter.
    Translated,
    /// As written, in the compact interpreter.
    Compact,
}

/// One run: verify with the default configuration (every helper number allowed, `callx`
/// allowed, 512-byte frames) except that out-of-range shift immediates are accepted and
/// masked as RFC 9669 defines, translate if asked, map a stack of [`STACK_SIZE`] bytes per
/// possible call frame and the read-write context, provide helper 5, run from slot 0.
fn vm_run_once(program: &[u8], mem: &mut [u8], fuel: u64, way: Way) -> Result<u64, RunError> {
    use femto_vm::helpers::{unknown, FnHelpers};
    use femto_vm::interpreter::MAX_CALL_FRAMES;
    use femto_vm::memory::Memory;
    use femto_vm::verifier::{Program, VerifierConfig};

    let config = VerifierConfig {
        stack_frame_size: STACK_SIZE as u32,
        // The suite tests RFC 9669's masking of out-of-range shift immediates; the device's
        // default policy rejects them.
        reject_out_of_range_shifts: false,
        ..VerifierConfig::default()
    };
    let mut text = program.to_vec();
    let prog = if way == Way::Translated {
        femto_vm::verify_translated(&mut text, &config)
    } else {
        Program::verify(program, &config)
    }
    .map_err(|e| RunError::Rejected(e.to_string()))?;
    let mut stack = vec![0u8; STACK_SIZE * MAX_CALL_FRAMES];
    let mut memory = Memory::new();
    memory.map_stack(&mut stack);
    memory.map_context_rw(mem);
    let mut helpers = FnHelpers(|id: u32, args: [u64; 5], _: &mut Memory<'_>| {
        if id == 5 {
            Ok(args[0])
        } else {
            Err(unknown(id))
        }
    });
    let r = if way == Way::Compact {
        femto_vm::compact::run(&prog, 0, &mut memory, &mut helpers, fuel)
    } else {
        prog.run(0, &mut memory, &mut helpers, fuel)
    };
    r.map_err(|e| RunError::Fault(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections() {
        let t = parse_data(
            "# header\n-- asm\nmov %r0, 1\nexit\n-- raw\n0x00000001000000b7\n95 00 00 00 00 00 00 00\n-- mem\n# c\n01 02\n-- result\n0x1\n-- no register offset\nx\n-- c\nint x;\n",
        )
        .unwrap();
        assert_eq!(t.asm, Some(("mov %r0, 1\nexit\n".to_string(), 3)));
        assert_eq!(
            t.raw.as_deref(),
            Some(&[0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0][..])
        );
        assert_eq!(t.mem, vec![1, 2]);
        assert_eq!(t.result, Some(1));
        assert_eq!(t.error, None);
        assert_eq!(parse_data("-- error\n").unwrap().error, Some(String::new()));
        assert!(parse_data("-- asm\n-- Unknown directive\n").unwrap_err().contains("line 2"));
        assert!(parse_data("-- mem\n1 2\n").is_err());
        assert!(parse_data("-- result\nzz\n").is_err());
    }

    /// Property: mutated `.data` text and hex never panic the parsers.
    #[test]
    fn mutated_data_never_panics() {
        let base = "# c\n-- asm\nmov %r0, 1\nexit\n-- raw\n0x00000001000000b7\n95 00 00 00 00 00 00 00\n-- mem\n01 02\n-- result\n0x1\n-- error\nx\n";
        let alphabet: &[u8] = b"-# \n0123456789abcdefxz%r,[]";
        let mut state = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut b = base.as_bytes().to_vec();
            for _ in 0..1 + next() % 4 {
                let at = (next() as usize) % (b.len() + 1);
                let c = alphabet[(next() as usize) % alphabet.len()];
                if next() % 2 == 0 && at < b.len() {
                    b[at] = c;
                } else {
                    b.insert(at, c);
                }
            }
            let text = String::from_utf8(b).unwrap();
            let _ = parse_data(&text);
            let _ = parse_hex(&text);
        }
    }

    #[test]
    fn parses_plugin_hex() {
        assert_eq!(parse_hex("b7 00 0x01\n aabb").unwrap(), vec![0xb7, 0, 1, 0xaa, 0xbb]);
        assert!(parse_hex("b").is_err());
        assert!(parse_hex("zz").is_err());
        assert_eq!(parse_hex("").unwrap(), Vec::<u8>::new());
    }

    #[test]
    fn asm_errors_are_reported_with_file_line_numbers() {
        let o = check_positive("# a\n-- asm\nmov %r0, 1\nfoo %r0\n-- result\n0x1\n");
        assert_eq!(o, Outcome::Fail("assembler error: line 4: invalid mnemonic 'foo'".into()));
        let o = check_negative("-- asm\nmov %r0, 1\nfoo %r0\n-- result\n0x1\n");
        assert!(matches!(o, Outcome::Pass(ref w) if w.contains("assembler") && w.contains("line 3")), "{o:?}");
    }
}
