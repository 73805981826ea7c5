//! The signed-update subcommands of the `femto` binary: keygen, sign,
//! inspect-envelope, deploy — the commands of tutorial 4, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn femto(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_femto"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("cannot start femto")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[track_caller]
fn ok(o: &Output) -> String {
    assert!(o.status.success(), "femto failed: {}", text(o));
    text(o)
}

#[track_caller]
fn fails(o: &Output, code: i32) -> String {
    assert_eq!(o.status.code(), Some(code), "{}", text(o));
    let t = text(o);
    assert!(!t.contains("panicked"), "{t}");
    t
}

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
fn scratch(name: &str) -> Dir {
    let d = std::env::temp_dir().join(format!("femto-update-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Dir(d)
}

#[test]
fn tutorial_4_host_steps() {
    let d = scratch("tutorial");
    let p = &d.0;
    let out = ok(&femto(p, &["keygen", "my.key"]));
    assert!(out.contains("capsules_femto::TrustedKey::new(["), "{out}");
    assert!(p.join("my.key.pub").exists());
    // Existing key: refused without --force.
    assert!(fails(&femto(p, &["keygen", "my.key"]), 1).contains("--force"));

    std::fs::write(p.join("blinky.s"), "mov %r0, 1\nexit\n").unwrap();
    ok(&femto(p, &["asm", "blinky.s", "-o", "blinky.fc", "--name", "blinky"]));
    let out = ok(&femto(
        p,
        &[
            "sign", "blinky.fc", "--key", "my.key", "--seq", "1", "--target", "qemu_rv32_virt", "-o",
            "blinky.signed",
        ],
    ));
    assert!(out.contains("sequence 1, target femto-containers/qemu_rv32_virt"), "{out}");

    let out = ok(&femto(p, &["inspect-envelope", "blinky.signed", "--key-pub", "my.key.pub"]));
    for want in ["name:     blinky", "sequence: 1", "signature: valid", "target:   femto-containers/qemu_rv32_virt"] {
        assert!(out.contains(want), "{want} in {out}");
    }
    // Without a key: shown, not checked.
    assert!(ok(&femto(p, &["inspect-envelope", "blinky.signed"])).contains("not checked"));

    // Last image byte changed: digest mismatch.
    let mut evil = std::fs::read(p.join("blinky.signed")).unwrap();
    *evil.last_mut().unwrap() ^= 1;
    std::fs::write(p.join("evil.signed"), &evil).unwrap();
    let e = fails(&femto(p, &["inspect-envelope", "evil.signed", "--key-pub", "my.key.pub"]), 1);
    assert!(e.contains("image digest differs"), "{e}");
    // Another key: unknown key.
    ok(&femto(p, &["keygen", "other.key"]));
    let e = fails(&femto(p, &["inspect-envelope", "blinky.signed", "--key-pub", "other.key.pub"]), 1);
    assert!(e.contains("unknown key"), "{e}");

    // Deploy to a file standing in for a serial line: the FCUP frame.
    std::fs::write(p.join("tty"), b"").unwrap();
    let out = ok(&femto(p, &["deploy", "blinky.signed", "--serial", "tty", "--wait", "0"]));
    assert!(out.contains("sent blinky (sequence 1"), "{out}");
    let frame = std::fs::read(p.join("tty")).unwrap();
    let env = std::fs::read(p.join("blinky.signed")).unwrap();
    assert_eq!(&frame[..4], b"FCUP");
    assert_eq!(&frame[8..], &env[..]);
}

#[test]
fn usage_and_input_errors() {
    let d = scratch("errors");
    let p = &d.0;
    ok(&femto(p, &["keygen", "k"]));
    std::fs::write(p.join("a.s"), "mov %r0, 1\nexit\n").unwrap();
    ok(&femto(p, &["asm", "a.s", "-o", "a.fc", "--name", "a"]));
    // Missing --seq, missing destination: usage errors (exit 2).
    fails(&femto(p, &["sign", "a.fc", "--key", "k", "-o", "a.signed"]), 2);
    ok(&femto(p, &["sign", "a.fc", "--key", "k", "--seq", "3", "-o", "a.signed"]));
    fails(&femto(p, &["deploy", "a.signed"]), 2);
    // Name other than the image's; bad target; bad key file; not an envelope.
    let e = fails(&femto(p, &["sign", "a.fc", "--key", "k", "--seq", "3", "--name", "b", "-o", "x"]), 1);
    assert!(e.contains("differs"), "{e}");
    let e = fails(&femto(p, &["sign", "a.fc", "--key", "k", "--seq", "3", "--target", "v/", "-o", "x"]), 1);
    assert!(e.contains("target"), "{e}");
    let e = fails(&femto(p, &["sign", "a.fc", "--key", "a.fc", "--seq", "3", "-o", "x"]), 1);
    assert!(e.contains("a.fc"), "{e}");
    let e = fails(&femto(p, &["deploy", "a.fc", "--serial", "tty"]), 1);
    assert!(e.contains("not a valid envelope"), "{e}");
    let e = fails(&femto(p, &["inspect-envelope", "a.fc"]), 1);
    assert!(e.contains("not a valid envelope"), "{e}");
}
