//! Tests of the `femto` binary, one group per subcommand. They run the built
//! binary (`CARGO_BIN_EXE_femto`) on the inputs under `tests/` and compare
//! with golden outputs under `tests/golden/` where the output is fully
//! determined by the input (assembled programs, no clang in the loop).
//!
//! Regenerate the golden files with `UPDATE_GOLDEN=1 cargo test -p femto-tools --test cli`
//! (and review the diff).
//!
//! C containers need clang with the BPF target; if `clang` (or `$FEMTO_CLANG`)
//! cannot be run, those tests print why and return.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

fn femto() -> Command {
    Command::new(env!("CARGO_BIN_EXE_femto"))
}

fn tests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Runs femto with `args` in `cwd`.
fn run_in(cwd: &Path, args: &[&str]) -> Output {
    femto().args(args).current_dir(cwd).output().expect("cannot start femto")
}

/// Runs femto with `args` and `stdin`.
fn run_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = femto()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start femto");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "femto failed: {:?}\nstdout:\n{}\nstderr:\n{}", o.status, stdout(o), stderr(o));
    stdout(o)
}

/// Asserts failure with exit status 1 and a `femto: error:` message (no panic).
#[track_caller]
fn fails(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(1), "expected exit 1\nstdout:\n{}\nstderr:\n{}", stdout(o), stderr(o));
    let e = stderr(o);
    assert!(!e.contains("panicked"), "femto panicked: {e}");
    e
}

/// A scratch directory, removed when the test ends.
struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> Scratch {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "femto-cli-test-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Scratch(d)
}

/// Compares `actual` with `tests/golden/NAME`, or rewrites it when `UPDATE_GOLDEN` is set.
#[track_caller]
fn golden(name: &str, actual: &str) {
    let path = tests_dir().join("golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("missing golden file {} ({e}); run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(actual, expected, "output differs from {}", path.display());
}

fn clang_available() -> bool {
    let clang = std::env::var("FEMTO_CLANG").unwrap_or_else(|_| "clang".into());
    match Command::new(&clang).arg("--version").output() {
        Ok(o) if o.status.success() => true,
        _ => {
            println!("skipping: `{clang}` cannot be run (install clang with the BPF target)");
            false
        }
    }
}

/// Assembles `tests/asm/NAME.s` into `dir/NAME.fc`.
fn assemble(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.fc"));
    let src = tests_dir().join("asm").join(format!("{name}.s"));
    ok(&run_in(dir, &["asm", src.to_str().unwrap(), "-o", out.to_str().unwrap()]));
    out
}

/// Builds and packs `tests/containers/NAME.c` into `dir/NAME.fc`.
fn container(dir: &Path, name: &str) -> PathBuf {
    let src = tests_dir().join("containers").join(format!("{name}.c"));
    let obj = dir.join(format!("{name}.o"));
    let img = dir.join(format!("{name}.fc"));
    ok(&run_in(dir, &["build", src.to_str().unwrap(), "-o", obj.to_str().unwrap()]));
    ok(&run_in(dir, &["pack", obj.to_str().unwrap(), "-o", img.to_str().unwrap()]));
    img
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---- help ------------------------------------------------------------------

const SUBCOMMANDS: &[&str] =
    &["build", "pack", "inspect", "disasm", "asm", "verify", "run", "conformance", "plugin", "import-rbf"];

#[test]
fn help_lists_every_subcommand_with_an_example() {
    let d = scratch("help");
    let top = ok(&run_in(&d, &["--help"]));
    for sub in SUBCOMMANDS {
        assert!(top.contains(sub), "`femto --help` does not mention {sub}");
        let h = ok(&run_in(&d, &["help", sub]));
        assert!(h.contains("Example"), "`femto help {sub}` has no example:\n{h}");
        assert!(h.contains(&format!("femto {sub}")), "`femto help {sub}` example does not use the command:\n{h}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let d = scratch("usage");
    assert_eq!(run_in(&d, &[]).status.code(), Some(2));
    assert_eq!(run_in(&d, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(run_in(&d, &["pack", "x.o"]).status.code(), Some(2), "missing -o");
    assert_eq!(run_in(&d, &["run", "x.fc", "--fuel", "many"]).status.code(), Some(2));
}

// ---- build -----------------------------------------------------------------

#[test]
fn build_compiles_a_container() {
    if !clang_available() {
        return;
    }
    let d = scratch("build");
    let src = tests_dir().join("containers/increment.c");
    let out = ok(&run_in(&d, &["build", s(&src), "-o", "inc.o", "-v"]));
    assert!(out.contains("wrote inc.o"));
    let bytes = std::fs::read(d.join("inc.o")).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([bytes[18], bytes[19]]), 247, "e_machine is not BPF");
    // -v shows the clang command with the documented flags.
    let cmdline = stderr(&run_in(&d, &["build", s(&src), "-o", "inc.o", "-v"]));
    for flag in ["-target bpf", "-mcpu=v3", "-O2", "-ffreestanding", "-c"] {
        assert!(cmdline.contains(flag), "clang command lacks {flag}: {cmdline}");
    }
}

#[test]
fn build_default_output_and_defines() {
    if !clang_available() {
        return;
    }
    let d = scratch("build-default");
    std::fs::write(d.join("k.c"), "unsigned long f(void *c) { return K; }\n").unwrap();
    // Without -D K the source does not compile; with it, it does.
    fails(&run_in(&d, &["build", "k.c"]));
    ok(&run_in(&d, &["build", "k.c", "-D", "K=7"]));
    assert!(d.join("k.o").exists(), "default output is SRC with .o");
    ok(&run_in(&d, &["pack", "k.o", "-o", "k.fc"]));
    let out = ok(&run_in(&d, &["run", "k.fc"]));
    assert!(out.contains("r0 = 7 (0x7)"), "{out}");
}

#[test]
fn build_shows_clang_errors() {
    if !clang_available() {
        return;
    }
    let d = scratch("build-err");
    let src = tests_dir().join("containers/syntax_error.c");
    let e = fails(&run_in(&d, &["build", s(&src), "-o", "x.o"]));
    assert!(e.contains("syntax_error.c:5:12: error: use of undeclared identifier 'undeclared_variable'"), "{e}");
    assert!(e.contains("femto: error: clang failed"), "{e}");
    assert!(!d.join("x.o").exists());
}

#[test]
fn build_errors_without_clang_or_source() {
    let d = scratch("build-missing");
    let e = fails(&run_in(&d, &["build", "nope.c"]));
    assert!(e.contains("nope.c: no such file"), "{e}");
    std::fs::write(d.join("a.c"), "int x;\n").unwrap();
    let o = femto().args(["build", "a.c"]).current_dir(&*d).env("FEMTO_CLANG", "/nonexistent/clang").output().unwrap();
    let e = fails(&o);
    assert!(e.contains("cannot run /nonexistent/clang"), "{e}");
}

// ---- pack --------------------------------------------------------------------

#[test]
fn pack_links_functions_data_and_helpers() {
    if !clang_available() {
        return;
    }
    let d = scratch("pack");
    let img = container(&d, "multi");
    let json = ok(&run_in(&d, &["inspect", s(&img), "--json"]));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let names: Vec<&str> = v["functions"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["bump", "fetch", "main"], "static functions are not exported");
    assert_eq!(v["helpers"], serde_json::json!([1, 16, 17]), "allow-list = helpers called");
    assert_eq!(v["name"], "multi");
    assert_eq!(v["sections"]["data"]["size"], 8);
    assert_eq!(v["sections"]["bss"]["size"], 16);
    assert!(v["sections"]["rodata"]["size"].as_u64().unwrap() >= 32 + 24 + 14);

    // main: prints via fc_print with a %s from a pointer table in rodata,
    // reads the rodata table, updates data and bss through a global call.
    let out = ok(&run_in(&d, &["run", s(&img), "--ctx", "0400000000000000"]));
    assert!(out.contains("n=4 word=one\n"), "{out}");
    assert!(out.contains("r0 = 118 (0x76)"), "16 + 1 + 101: {out}");
    // data and bss persist across runs of one `femto run --repeat`.
    let out = ok(&run_in(&d, &["run", s(&img), "--ctx", "0200000000000000", "--repeat", "2"]));
    assert!(out.contains("r0 = 106 (0x6a)") && out.contains("r0 = 108 (0x6c)"), "{out}");
    // The second entry point lives in section `hook` and calls into .text.
    let out = ok(&run_in(&d, &["run", s(&img), "--entry", "fetch"]));
    assert!(out.contains("r0 = -1 "), "nothing stored yet: {out}");
    // The code of `hook` follows .text; its call into .text was relocated.
    let dis = ok(&run_in(&d, &["disasm", s(&img)]));
    assert!(dis.contains("<fetch>:"), "{dis}");
    assert!(dis.contains("call local") && dis.contains("<bump>"), "{dis}");
    assert!(dis.contains("<rodata+0x"), "lddw of rodata resolved to a VM address: {dis}");
    assert!(dis.contains("<data+0x"), "lddw of data resolved to a VM address: {dis}");
}

#[test]
fn pack_resolves_calls_across_sections() {
    if !clang_available() {
        return;
    }
    let d = scratch("pack-calls");
    container(&d, "calls");
    // x = 2: 7x + 5x + 11x + (x + 1) = 49; any wrongly resolved call changes it.
    let out = ok(&run_in(&d, &["run", "calls.fc", "--entry", "entry", "--ctx", "0200000000000000"]));
    assert!(out.contains("r0 = 49 (0x31)"), "{out}");
    assert!(out.contains("fuel used: 4 of"), "four calls: {out}");
    let out = ok(&run_in(&d, &["run", "calls.fc", "--entry", "plus1", "--ctx", "00"]));
    assert!(out.contains("r0 = 8589934593 (0x200000001)"), "plus1(r1 = context address): {out}");
}

#[test]
fn pack_ignores_debug_info_and_refuses_function_pointers() {
    if !clang_available() {
        return;
    }
    let d = scratch("pack-debug");
    let src = tests_dir().join("containers/multi.c");
    // -g adds DWARF and BTF sections with their own relocations: ignored.
    ok(&run_in(&d, &["build", s(&src), "-o", "g.o", "--", "-g"]));
    ok(&run_in(&d, &["pack", "g.o", "-o", "g.fc"]));
    let out = ok(&run_in(&d, &["run", "g.fc", "--ctx", "0400000000000000"]));
    assert!(out.contains("r0 = 118 (0x76)"), "{out}");
    // The address of a function, in code or in data.
    std::fs::write(
        d.join("fp.c"),
        "unsigned long g(void) { return 1; }\nunsigned long f(void *c) { return (unsigned long)&g; }\n",
    )
    .unwrap();
    ok(&run_in(&d, &["build", "fp.c", "-o", "fp.o"]));
    let e = fails(&run_in(&d, &["pack", "fp.o", "-o", "fp.fc"]));
    assert!(e.contains("function pointers are not supported"), "{e}");
    std::fs::write(
        d.join("tbl.c"),
        "unsigned long g(void) { return 1; }\nunsigned long (*tbl[])(void) = { g };\nunsigned long f(void *c) { return tbl[0](); }\n",
    )
    .unwrap();
    ok(&run_in(&d, &["build", "tbl.c", "-o", "tbl.o"]));
    let e = fails(&run_in(&d, &["pack", "tbl.o", "-o", "tbl.fc"]));
    assert!(e.contains("function pointers are not supported"), "{e}");
}

#[test]
fn pack_metadata_options() {
    if !clang_available() {
        return;
    }
    let d = scratch("pack-meta");
    let src = tests_dir().join("containers/increment.c");
    ok(&run_in(&d, &["build", s(&src), "-o", "inc.o"]));
    ok(&run_in(
        &d,
        &["pack", "inc.o", "-o", "inc.fc", "--name", "counter", "--app-version", "42", "--stack", "256", "--strict"],
    ));
    let v: serde_json::Value = serde_json::from_str(&ok(&run_in(&d, &["inspect", "inc.fc", "--json"]))).unwrap();
    assert_eq!(v["name"], "counter");
    assert_eq!(v["app_version"], 42);
    assert_eq!(v["stack_size"], 256);
    assert_eq!(v["strict"], true);
    assert_eq!(v["helpers"], serde_json::json!([]));
    let e = fails(&run_in(&d, &["pack", "inc.o", "-o", "x.fc", "--name", &"n".repeat(65)]));
    assert!(e.contains("longer than 64"), "{e}");
}

#[test]
fn pack_refuses_unsupported_objects() {
    if !clang_available() {
        return;
    }
    let d = scratch("pack-refuse");
    for (name, needle) in [("bad_extern", "undefined symbol `not_here`"), ("bad_maps", "section `maps`")] {
        let src = tests_dir().join(format!("containers/{name}.c"));
        ok(&run_in(&d, &["build", s(&src), "-o", "x.o"]));
        let e = fails(&run_in(&d, &["pack", "x.o", "-o", "x.fc"]));
        assert!(e.contains(needle), "{name}: {e}");
        assert!(!d.join("x.fc").exists(), "{name}: an image was written");
    }
    // A static-only object has no entry point.
    std::fs::write(d.join("st.c"), "static int f(void) { return 1; } int (*keep)(void) = 0;\n").unwrap();
    ok(&run_in(&d, &["build", "st.c", "-o", "st.o"]));
    let e = fails(&run_in(&d, &["pack", "st.o", "-o", "st.fc"]));
    assert!(e.contains("no code") || e.contains("no global function"), "{e}");
}

#[test]
fn pack_rejects_non_objects() {
    let d = scratch("pack-bad");
    std::fs::write(d.join("text.o"), "hello").unwrap();
    let e = fails(&run_in(&d, &["pack", "text.o", "-o", "x.fc"]));
    assert!(e.contains("not an ELF file"), "{e}");
    // The femto binary itself: ELF, but not eBPF.
    let exe = env!("CARGO_BIN_EXE_femto");
    let e = fails(&run_in(&d, &["pack", exe, "-o", "x.fc"]));
    assert!(e.contains("not an eBPF object") || e.contains("not a relocatable object"), "{e}");
    let e = fails(&run_in(&d, &["pack", "missing.o", "-o", "x.fc"]));
    assert!(e.contains("cannot read missing.o"), "{e}");
}

#[test]
fn pack_rejects_truncated_object() {
    if !clang_available() {
        return;
    }
    let d = scratch("pack-trunc");
    let src = tests_dir().join("containers/multi.c");
    ok(&run_in(&d, &["build", s(&src), "-o", "m.o"]));
    let bytes = std::fs::read(d.join("m.o")).unwrap();
    for cut in [10, 63, 64, 200, bytes.len() / 2, bytes.len() - 1] {
        std::fs::write(d.join("t.o"), &bytes[..cut]).unwrap();
        let e = fails(&run_in(&d, &["pack", "t.o", "-o", "t.fc"]));
        assert!(e.contains("t.o:"), "cut {cut}: {e}");
    }
}

// ---- inspect -----------------------------------------------------------------

#[test]
fn inspect_golden() {
    let d = scratch("inspect");
    let img = assemble(&d, "helpers");
    golden("helpers.inspect.txt", &ok(&run_in(&d, &["inspect", "helpers.fc"])));
    let json = ok(&run_in(&d, &["inspect", s(&img), "--json"]));
    serde_json::from_str::<serde_json::Value>(&json).expect("inspect --json is valid JSON");
    golden("helpers.inspect.json", &json);
}

#[test]
fn inspect_rejects_bad_images() {
    let d = scratch("inspect-bad");
    std::fs::write(d.join("junk.fc"), b"FEMCjunk").unwrap();
    let e = fails(&run_in(&d, &["inspect", "junk.fc"]));
    assert!(e.contains("junk.fc: not a valid image"), "{e}");
    std::fs::write(d.join("empty.fc"), b"").unwrap();
    fails(&run_in(&d, &["inspect", "empty.fc", "--json"]));
    fails(&run_in(&d, &["inspect", "absent.fc"]));
    // Every truncation of a valid image is refused with a message.
    let img = std::fs::read(assemble(&d, "helpers")).unwrap();
    for cut in 0..img.len() {
        std::fs::write(d.join("t.fc"), &img[..cut]).unwrap();
        fails(&run_in(&d, &["inspect", "t.fc"]));
    }
}

// ---- disasm ------------------------------------------------------------------

#[test]
fn disasm_golden_and_round_trip() {
    let d = scratch("disasm");
    assemble(&d, "helpers");
    golden("helpers.disasm.txt", &ok(&run_in(&d, &["disasm", "helpers.fc"])));
    // --source re-assembles to the same program.
    let src = ok(&run_in(&d, &["disasm", "--source", "helpers.fc"]));
    std::fs::write(d.join("again.s"), &src).unwrap();
    ok(&run_in(&d, &["asm", "again.s", "-o", "again.fc"]));
    let a = std::fs::read(d.join("helpers.fc")).unwrap();
    let b = std::fs::read(d.join("again.fc")).unwrap();
    assert_eq!(text_of(&a), text_of(&b));
}

/// The text of an image, through femto inspect's numbers (offset, size).
fn text_of(img: &[u8]) -> Vec<u8> {
    let image = femto_vm::Image::parse(img).unwrap();
    image.text().to_vec()
}

#[test]
fn disasm_object_shows_sections_and_relocations() {
    if !clang_available() {
        return;
    }
    let d = scratch("disasm-obj");
    let src = tests_dir().join("containers/multi.c");
    ok(&run_in(&d, &["build", s(&src), "-o", "m.o"]));
    let out = ok(&run_in(&d, &["disasm", "m.o"]));
    assert!(out.contains("m.o:\tfile format elf64-bpf"), "{out}");
    assert!(out.contains("Disassembly of section .text:"), "{out}");
    assert!(out.contains("Disassembly of section hook:"), "{out}");
    assert!(out.contains("<main>:") && out.contains("<fetch>:"), "{out}");
    assert!(out.contains("R_BPF_64_64\t.data") || out.contains("R_BPF_64_64\t.bss"), "{out}");
    assert!(out.contains("R_BPF_64_32\tbump"), "{out}");
    assert!(out.contains("<fc_print>"), "{out}");
}

#[test]
fn disasm_errors() {
    let d = scratch("disasm-bad");
    std::fs::write(d.join("x.bin"), b"\x00\x01").unwrap();
    let e = fails(&run_in(&d, &["disasm", "x.bin"]));
    assert!(e.contains("not a valid image"), "{e}");
    std::fs::write(d.join("x.o"), b"\x7fELF\x02\x01\x01").unwrap();
    let e = fails(&run_in(&d, &["disasm", "x.o"]));
    assert!(e.contains("truncated ELF file"), "{e}");
}

// ---- asm -----------------------------------------------------------------------

#[test]
fn asm_writes_images_and_raw() {
    let d = scratch("asm");
    let src = tests_dir().join("asm/add.s");
    let out = ok(&run_in(&d, &["asm", s(&src), "-o", "add.fc", "--entry-name", "plus2", "--name", "adder"]));
    assert!(out.contains("3 instructions"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&ok(&run_in(&d, &["inspect", "add.fc", "--json"]))).unwrap();
    assert_eq!(v["functions"], serde_json::json!([{ "name": "plus2", "pc": 0 }]));
    assert_eq!(v["name"], "adder");
    ok(&run_in(&d, &["asm", s(&src), "-o", "add.bin", "--raw"]));
    let raw = std::fs::read(d.join("add.bin")).unwrap();
    assert_eq!(raw.len(), 24);
    assert_eq!(raw[0], 0x79, "ldxdw");
    // From standard input.
    let o = run_stdin(&["asm", "-", "-o", d.join("stdin.fc").to_str().unwrap()], "mov %r0, 5\nexit\n");
    ok(&o);
    let out = ok(&run_in(&d, &["run", "stdin.fc"]));
    assert!(out.contains("r0 = 5 (0x5)"), "{out}");
}

#[test]
fn asm_errors_name_the_line() {
    let d = scratch("asm-err");
    let e = fails(&run_in(&d, &["asm", s(&tests_dir().join("asm/bad_syntax.s")), "-o", "x.fc"]));
    assert!(e.contains("line 2"), "{e}");
    let e = fails(&run_in(&d, &["asm", s(&tests_dir().join("asm/bad_r10.s")), "-o", "x.fc"]));
    assert!(e.contains("pc 1") && e.contains("r10"), "{e}");
    assert!(!d.join("x.fc").exists());
    std::fs::write(d.join("empty.s"), "# nothing\n").unwrap();
    let e = fails(&run_in(&d, &["asm", "empty.s", "-o", "x.fc"]));
    assert!(e.contains("no instructions"), "{e}");
}

// ---- verify ------------------------------------------------------------------

#[test]
fn verify_accepts_and_rejects_with_pc() {
    let d = scratch("verify");
    assemble(&d, "add");
    let out = ok(&run_in(&d, &["verify", "add.fc"]));
    assert!(out.contains("add.fc: accepted (3 instructions, 1 functions)"), "{out}");
    ok(&run_in(&d, &["asm", s(&tests_dir().join("asm/bad_r10.s")), "-o", "bad.fc", "--no-verify"]));
    let e = fails(&run_in(&d, &["verify", "bad.fc"]));
    assert!(e.contains("bad.fc: rejected by the verifier: pc 1: write to read-only register r10"), "{e}");
    // A helper outside the allow-list: patch the image's allow-list entry.
    assemble(&d, "helpers");
    let mut img = std::fs::read(d.join("helpers.fc")).unwrap();
    let list = 0x40u32.to_le_bytes();
    let pos = img.windows(4).position(|w| w == list).expect("allow-list entry 0x40");
    img[pos] = 0x41;
    std::fs::write(d.join("patched.fc"), &img).unwrap();
    let e = fails(&run_in(&d, &["verify", "patched.fc"]));
    assert!(e.contains("helper 0x40 not in the allow-list"), "{e}");
}

// ---- run -----------------------------------------------------------------------

#[test]
fn run_golden_with_simulated_helpers() {
    let d = scratch("run");
    assemble(&d, "helpers");
    // fc_random is seeded (--seed, default 1), so the output is fixed.
    golden("helpers.run.txt", &ok(&run_in(&d, &["run", "helpers.fc"])));
    let other = ok(&run_in(&d, &["run", "helpers.fc", "--seed", "2"]));
    assert_ne!(other, std::fs::read_to_string(tests_dir().join("golden/helpers.run.txt")).unwrap());
}

#[test]
fn run_counts_fuel_and_stops_endless_loops() {
    let d = scratch("run-fuel");
    assemble(&d, "loop");
    let out = ok(&run_in(&d, &["run", "loop.fc", "--ctx", "05000000"]));
    assert!(out.contains("r0 = 5 (0x5)"), "{out}");
    assert!(out.contains("instructions executed: 19"), "{out}");
    assert!(out.contains("fuel used: 6 of 1000000"), "{out}");
    // Exactly enough fuel, and one less.
    ok(&run_in(&d, &["run", "loop.fc", "--ctx", "05000000", "--fuel", "6"]));
    let o = run_in(&d, &["run", "loop.fc", "--ctx", "05000000", "--fuel", "5"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("fault: pc 2: fuel exhausted"), "{}", stdout(&o));
    // An endless loop ends.
    let o = run_in(&d, &["run", "loop.fc", "--ctx", "ffffffff", "--fuel", "1000"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("fuel exhausted"));
}

#[test]
fn run_trace_prints_each_instruction() {
    let d = scratch("run-trace");
    assemble(&d, "add");
    let out = ok(&run_in(&d, &["run", "add.fc", "--ctx", "2800000000000000", "--trace"]));
    let trace: Vec<&str> = out.lines().filter(|l| l.starts_with("trace:")).collect();
    assert_eq!(trace.len(), 3, "{out}");
    assert!(trace[0].contains("0: ldxdw %r0, [%r1+0]") && trace[0].contains("r1=0x200000000 r2=0x8"), "{out}");
    assert!(trace[2].contains("exit") && trace[2].contains("r0=0x2a"), "{out}");
    assert!(out.contains("r0 = 42 (0x2a)"));
}

#[test]
fn run_context_forms_and_errors() {
    let d = scratch("run-ctx");
    assemble(&d, "add");
    std::fs::write(d.join("ctx.bin"), 100u64.to_le_bytes()).unwrap();
    let out = ok(&run_in(&d, &["run", "add.fc", "--ctx", "@ctx.bin"]));
    assert!(out.contains("r0 = 102 (0x66)"), "{out}");
    let out = ok(&run_in(&d, &["run", "add.fc", "--ctx", "01 00 00 00 00 00 00 00"]));
    assert!(out.contains("r0 = 3 (0x3)"), "{out}");
    let e = fails(&run_in(&d, &["run", "add.fc", "--ctx", "xyz"]));
    assert!(e.contains("bad --ctx"), "{e}");
    let e = fails(&run_in(&d, &["run", "add.fc", "--ctx", "@missing.bin"]));
    assert!(e.contains("cannot read context file missing.bin"), "{e}");
    let e = fails(&run_in(&d, &["run", "add.fc", "--entry", "nope"]));
    assert!(e.contains("no function `nope` in the image (it has: main)"), "{e}");
    // No context: r1 = 0, the load faults with its pc, exit 1.
    let o = run_in(&d, &["run", "add.fc"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("fault: pc 0: Load of 8 bytes at 0x0"), "{}", stdout(&o));
    let e = fails(&run_in(&d, &["run", "missing.fc"]));
    assert!(e.contains("cannot read missing.fc"), "{e}");
    // An image asking for a 4 GiB stack frame is refused before allocating it.
    let src = tests_dir().join("asm/add.s");
    ok(&run_in(&d, &["asm", s(&src), "-o", "big.fc", "--stack", "4294967288"]));
    let e = fails(&run_in(&d, &["run", "big.fc", "--ctx", "00"]));
    assert!(e.contains("larger than femto run allows"), "{e}");
}

#[test]
fn run_c_containers_faults() {
    if !clang_available() {
        return;
    }
    let d = scratch("run-c");
    container(&d, "increment");
    let out = ok(&run_in(&d, &["run", "increment.fc", "--ctx", "2a00000000000000"]));
    assert!(out.contains("r0 = 43 (0x2b)"), "{out}");
    assert!(out.contains("context after: 2b 00 00 00 00 00 00 00"), "{out}");
    // Read-only context: the store faults.
    let o = run_in(&d, &["run", "increment.fc", "--ctx", "2a00000000000000", "--ctx-ro"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("not permitted (read-only region)"), "{}", stdout(&o));
    container(&d, "oob");
    let o = run_in(&d, &["run", "oob.fc", "--ctx", "0000000000000000"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("fault: pc 0: Load of 8 bytes at 0x200000008 is outside every region"), "{}", stdout(&o));
    container(&d, "endless");
    let o = run_in(&d, &["run", "endless.fc", "--ctx", "0000000000000000", "--fuel", "100"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("fuel exhausted") && out.contains("fuel used: 100 of 100"), "{out}");
}

// ---- conformance ---------------------------------------------------------------

#[test]
fn conformance_summary_and_exit_status() {
    let d = tests_dir().join("conformance-data");
    let out = ok(&run_in(&d, &["conformance", "."]));
    assert!(out.ends_with("4 passed, 0 failed, 0 skipped\n"), "{out}");
    let out = ok(&run_in(&d, &["conformance", "tests", "-v"]));
    assert!(out.contains("pass tests/mem.data: r0 = 0x2"), "{out}");
    let o = run_in(&d, &["conformance", "failing", "tests"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("FAIL failing/wrong_result.data: r0 = 0x1, expected 0x2"), "{out}");
    assert!(out.ends_with("3 passed, 1 failed, 0 skipped\n"), "{out}");
    // Single files; a negative file is recognised by its directory.
    let out = ok(&run_in(&d, &["conformance", "negative/bad_register.data", "tests/add.data"]));
    assert!(out.ends_with("2 passed, 0 failed, 0 skipped\n"), "{out}");
    let o = run_in(&d, &["conformance", "no-such-dir"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("1 failed"));
}

// ---- plugin --------------------------------------------------------------------

const MOV_R0_42_EXIT: &str = "b7 00 00 00 2a 00 00 00 95 00 00 00 00 00 00 00\n";

#[test]
fn plugin_protocol() {
    let o = run_stdin(&["plugin"], MOV_R0_42_EXIT);
    assert_eq!(ok(&o), "2a\n");
    // Memory in the first argument: ldxb r0, [r1+2]; exit.
    let o = run_stdin(&["plugin", "10 20 30 40"], "71 10 02 00 00 00 00 00 95 00 00 00 00 00 00 00");
    assert_eq!(ok(&o), "30\n");
    // Helper 5 returns its first argument: mov r1, 9; call 5; exit.
    let o = run_stdin(&["plugin"], "b7 01 00 00 09 00 00 00 85 00 00 00 05 00 00 00 95 00 00 00 00 00 00 00");
    assert_eq!(ok(&o), "9\n");
    // Negative results print as 64-bit hex.
    let o = run_stdin(&["plugin"], "b7 00 00 00 ff ff ff ff 95 00 00 00 00 00 00 00");
    assert_eq!(ok(&o), "ffffffffffffffff\n");
}

#[test]
fn plugin_accepts_the_upstream_runner_argument_order() {
    // bpf_conformance_runner starts `PLUGIN [MEMORY] OPTIONS...`: `femto MEMORY plugin`.
    let o = run_stdin(&["10  20  30  40  ", "plugin"], "71 10 02 00 00 00 00 00 95 00 00 00 00 00 00 00");
    assert_eq!(ok(&o), "30\n");
    // `femto help plugin` is still help.
    let d = scratch("plugin-help");
    assert!(ok(&run_in(&d, &["help", "plugin"])).contains("Example"));
}

#[test]
fn plugin_elf_mode() {
    if !clang_available() {
        return;
    }
    let d = scratch("plugin-elf");
    std::fs::write(d.join("p.c"), "unsigned long f(unsigned char *m) { return m[1] + 40; }\n").unwrap();
    ok(&run_in(&d, &["build", "p.c", "-o", "p.o"]));
    let hex: Vec<String> = std::fs::read(d.join("p.o")).unwrap().iter().map(|b| format!("{b:02x}")).collect();
    let o = run_stdin(&["plugin", "01 02", "--elf"], &hex.join(" "));
    assert_eq!(ok(&o), "2a\n");
    // Raw instructions are not an ELF file.
    let e = fails(&run_stdin(&["plugin", "--elf"], MOV_R0_42_EXIT));
    assert!(e.contains("ELF input: not an ELF file"), "{e}");
}

#[test]
fn plugin_errors() {
    let e = fails(&run_stdin(&["plugin"], "zz"));
    assert!(e.contains("program"), "{e}");
    let e = fails(&run_stdin(&["plugin", "1"], MOV_R0_42_EXIT));
    assert!(e.contains("memory"), "{e}");
    // Rejected by the verifier.
    let e = fails(&run_stdin(&["plugin"], "b7 0a 00 00 01 00 00 00 95 00 00 00 00 00 00 00"));
    assert!(e.contains("r10"), "{e}");
    // An endless loop (ja -1) ends with an error instead of hanging.
    let t = std::time::Instant::now();
    let e = fails(&run_stdin(&["plugin"], "05 00 ff ff 00 00 00 00 95 00 00 00 00 00 00 00"));
    assert!(e.contains("fuel"), "{e}");
    assert!(t.elapsed().as_secs() < 20);
    // Empty program.
    fails(&run_stdin(&["plugin"], ""));
}

// ---- import-rbf ----------------------------------------------------------------

/// A RIOT Femto-Container image, written by hand after RIOT's header
/// (`magic, version, flags, data_len, rodata_len, text_len, functions`, all
/// u32 LE), then data, rodata, text and 6-byte function entries
/// (`name_offset` into rodata, `flags`, `location_offset` in bytes).
fn riot_image() -> Vec<u8> {
    let data = 5u64.to_le_bytes(); // one u64 = 5
    let rodata = b"entry\0\0\0"; // the function name, padded
    let mut text = Vec::new();
    let ins = |op: u8, regs: u8, off: i16, imm: i32| {
        let mut b = [0u8; 8];
        b[0] = op;
        b[1] = regs;
        b[2..4].copy_from_slice(&off.to_le_bytes());
        b[4..8].copy_from_slice(&imm.to_le_bytes());
        b
    };
    text.extend(ins(0xb8, 0x01, 0, 0)); // LDDWD r1, data+0
    text.extend(ins(0x00, 0, 0, 0));
    text.extend(ins(0x79, 0x10, 0, 0)); // ldxdw r0, [r1+0]
    text.extend(ins(0x07, 0x00, 0, 10)); // add r0, 10
    text.extend(ins(0xd8, 0x02, 0, 0)); // LDDWR r2, rodata+0
    text.extend(ins(0x00, 0, 0, 0));
    text.extend(ins(0x71, 0x22, 0, 0)); // ldxb r2, [r2+0]  ('e' = 0x65)
    text.extend(ins(0x0f, 0x20, 0, 0)); // add r0, r2
    text.extend(ins(0x95, 0, 0, 0)); // exit
    let mut img = Vec::new();
    for v in [0x7242_5046u32, 3, 0, data.len() as u32, rodata.len() as u32, text.len() as u32, 1] {
        img.extend(v.to_le_bytes());
    }
    img.extend(data);
    img.extend(rodata);
    img.extend(&text);
    img.extend(0u16.to_le_bytes()); // name_offset
    img.extend(0u16.to_le_bytes()); // flags
    img.extend(0u16.to_le_bytes()); // location_offset
    img
}

#[test]
fn import_rbf_converts_and_runs() {
    let d = scratch("rbf");
    std::fs::write(d.join("riot.bin"), riot_image()).unwrap();
    // The RIOT image itself can be inspected, disassembled and run.
    let info = ok(&run_in(&d, &["inspect", "riot.bin"]));
    assert!(info.contains("format:      RIOT rBPF"), "{info}");
    let out = ok(&run_in(&d, &["run", "riot.bin"]));
    assert!(out.contains("r0 = 116 (0x74)"), "5 + 10 + 'e': {out}");
    let out = ok(&run_in(&d, &["import-rbf", "riot.bin", "-o", "app.fc"]));
    assert!(out.contains("2 LDDWD/LDDWR rewritten"), "{out}");
    let v: serde_json::Value = serde_json::from_str(&ok(&run_in(&d, &["inspect", "app.fc", "--json"]))).unwrap();
    assert_eq!(v["format"], "femto-container");
    assert_eq!(v["name"], "riot");
    assert_eq!(v["app_version"], 3, "version taken from the rBPF header");
    assert_eq!(v["functions"], serde_json::json!([{ "name": "entry", "pc": 0 }]));
    let out = ok(&run_in(&d, &["run", "app.fc"]));
    assert!(out.contains("r0 = 116 (0x74)"), "{out}");
    let dis = ok(&run_in(&d, &["disasm", "app.fc"]));
    assert!(dis.contains("<data+0x0>") && dis.contains("<rodata+0x0>"), "{dis}");
}

#[test]
fn import_rbf_errors() {
    let d = scratch("rbf-bad");
    let mut img = riot_image();
    std::fs::write(d.join("short.bin"), &img[..img.len() - 3]).unwrap();
    let e = fails(&run_in(&d, &["import-rbf", "short.bin", "-o", "x.fc"]));
    assert!(e.contains("short.bin: not a valid image"), "{e}");
    // A native image is not an rBPF image.
    assemble(&d, "add");
    let e = fails(&run_in(&d, &["import-rbf", "add.fc", "-o", "x.fc"]));
    assert!(e.contains("not a RIOT rBPF image"), "{e}");
    // A RIOT image that does not verify (write to r10).
    let text_at = 28 + 8 + 8;
    img[text_at + 16 + 1] = 0x1a; // ldxdw r10, [r1+0]
    std::fs::write(d.join("bad.bin"), &img).unwrap();
    let e = fails(&run_in(&d, &["import-rbf", "bad.bin", "-o", "x.fc"]));
    assert!(e.contains("rejected by the verifier") && e.contains("r10"), "{e}");
    assert!(!d.join("x.fc").exists());
}
