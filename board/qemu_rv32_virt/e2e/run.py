#!/usr/bin/env python3
"""End-to-end tests: the QEMU riscv32 virt kernel with apps, under qemu-system-riscv32.

Each scenario boots the kernel (board/qemu_rv32_virt) with a set of apps
(TABs built in userspace/), waits until QEMU ends by itself (the kernel ends
the run through the virt machine's test finisher once every process has
exited or faulted, or an app ends it explicitly), and checks:

* QEMU's exit status (0: every process exited with 0; 1: kernel panic;
  2: a process faulted or exited non-zero; 3..: chosen by an app);
* the console output: lines that must appear, in order (regular
  expressions), and lines that must not appear anywhere.

A scenario can also feed the kernel's console: (REGEX, BYTES) pairs sent to
QEMU's stdin when the output shows REGEX (QEMU then runs with `-serial
stdio` without the monitor mux, so binary bytes pass unchanged). Kernel
variants with other board features (scenario `kernel_features`) are built
into cargo target dirs of their own, so cargo's output for the default
kernel is never a variant.

A scenario that does not end within its time limit fails. A scenario whose
app does not exist yet in userspace/apps/ is reported as skipped, with the
reason; a scenario whose app exists but does not build fails.

    e2e/run.py                 build kernel and apps, run every scenario
    e2e/run.py -k temp         only scenarios whose name contains "temp"
    e2e/run.py --list          list the scenarios
    e2e/run.py --no-build      use the kernel and TABs already built
    e2e/run.py --logs DIR      keep each scenario's console output in DIR
    e2e/run.py --run APP...    boot the kernel with these apps and show the output
                               (for `make run`), exit with QEMU's status
    e2e/run.py --run-each APP... the same, one boot per app

Ends with the line "N passed, M failed" (", K skipped" if any) and exits
non-zero if any scenario failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean
from scenarios import SCENARIOS, Scenario  # noqa: E402

BOARD_DIR = Path(__file__).resolve().parent.parent
ROOT = BOARD_DIR.parent.parent
USERSPACE = ROOT / "userspace"
TARGET = "riscv32imac-unknown-none-elf"
KERNEL_BIN_NAME = "femto-qemu_rv32_virt"
APPS_ADDRESS = 0x80100000

QEMU = os.environ.get("QEMU", "qemu-system-riscv32")
# QEMU 7.2 (Debian 12) calls the Smepmp extension "x-epmp"; newer QEMU
# calls it "smepmp". The kernel needs it (machine-mode lockdown).
QEMU_EPMP_PROPERTY = os.environ.get("QEMU_EPMP_PROPERTY", "")


def target_dir() -> Path:
    env = os.environ.get("CARGO_TARGET_DIR")
    return Path(env) if env else ROOT / "target"


def cargo_output() -> Path:
    return target_dir() / TARGET / "release" / KERNEL_BIN_NAME


def variant_target_dir(features: str) -> Path:
    """Cargo target dir of a feature variant of the kernel: a directory of its
    own (under the normal target dir), so that cargo's output for the
    default kernel (what `make run`, the tutorials and other tools take) is
    never a variant, not even while the runner is building."""
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", features)
    return target_dir() / "e2e-variants" / safe


def kernel_elf(features: str = "") -> Path:
    """The kernel ELF for a set of board features ("" = the default kernel)."""
    if not features:
        return cargo_output()
    return variant_target_dir(features) / TARGET / "release" / KERNEL_BIN_NAME


def log(msg: str) -> None:
    print(msg, flush=True)


def quiet_run(cmd: list[str], **kwargs) -> None:
    """Runs a build step; its output is shown only if it fails."""
    res = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if res.returncode != 0:
        sys.stdout.write(res.stdout)
        sys.stdout.write(res.stderr)
        raise subprocess.CalledProcessError(res.returncode, cmd)


def build_kernel(variants: set[str] | None = None) -> None:
    """Builds the default kernel and the feature variants some scenarios use,
    each variant in a cargo target dir of its own (see variant_target_dir)."""
    log("=== e2e: building the QEMU kernel (board/qemu_rv32_virt) ===")
    quiet_run(["cargo", "build", "--release"], cwd=BOARD_DIR)
    for features in sorted(variants or set()):
        if not features:
            continue
        log(f"=== e2e: building the QEMU kernel with features: {features} ===")
        env = dict(os.environ, CARGO_TARGET_DIR=str(variant_target_dir(features)))
        quiet_run(["cargo", "build", "--release", "--features", features], cwd=BOARD_DIR, env=env)


def available_apps() -> set[str]:
    apps_dir = USERSPACE / "apps"
    if not apps_dir.is_dir():
        return set()
    return {p.name for p in apps_dir.iterdir() if (p / "Cargo.toml").is_file()}


def build_apps(apps: list[str]) -> None:
    if not apps:
        return
    log(f"=== e2e: building apps: {' '.join(apps)} ===")
    env = dict(os.environ)
    # userspace/ pins its own toolchain and target dir; don't leak ours.
    for var in ("RUSTUP_TOOLCHAIN", "CARGO_TARGET_DIR", "RUSTFLAGS", "CARGO"):
        env.pop(var, None)
    quiet_run(["make", "-s", "-C", str(USERSPACE), "tabs", f"APPS={' '.join(apps)}"], env=env)


_EPMP_PROPERTY: str | None = None


def epmp_property() -> str:
    """The name this QEMU gives the Smepmp CPU property: "smepmp" on newer
    QEMU, "x-epmp" on QEMU 7.2 (Debian 12). Found by starting a paused
    machine with "smepmp": QEMU refuses at once if it does not know it."""
    global _EPMP_PROPERTY
    if QEMU_EPMP_PROPERTY:
        return QEMU_EPMP_PROPERTY
    if _EPMP_PROPERTY is None:
        probe = [QEMU, "-machine", "virt", "-bios", "none", "-S", "-display", "none",
                 "-monitor", "none", "-serial", "none",
                 "-global", "driver=riscv-cpu,property=smepmp,value=true"]
        try:
            res = subprocess.run(probe, capture_output=True, text=True, timeout=3,
                                 stdin=subprocess.DEVNULL)
            refused = res.returncode != 0 and "smepmp" in res.stderr
        except subprocess.TimeoutExpired:
            refused = False  # still running, paused: the property exists
        except OSError:
            refused = True
        _EPMP_PROPERTY = "x-epmp" if refused else "smepmp"
    return _EPMP_PROPERTY


def qemu_slots() -> tuple[int, int, int]:
    """(flash start, flash slot size, slot count) of the QEMU board's app
    slots, from userspace/platforms.txt (the single source of the addresses
    apps are linked for)."""
    for line in (USERSPACE / "platforms.txt").read_text().splitlines():
        fields = line.split()
        if fields and fields[0] == "qemu_rv32_virt":
            return int(fields[3], 16), int(fields[4], 16), int(fields[7])
    raise RuntimeError("userspace/platforms.txt has no qemu_rv32_virt line")


def padding_tbf(size: int) -> bytes:
    """A TBF padding header (version 2, base header only) covering `size` bytes:
    the kernel skips it and looks for the next app `size` bytes further."""
    words = [2 | (16 << 16), size, 0]
    checksum = words[0] ^ words[1] ^ words[2]
    header = b"".join(w.to_bytes(4, "little") for w in words + [checksum])
    return header + bytes(size - len(header))


def apps_image(apps: list[str], workdir: Path) -> Path | None:
    """The apps region (from 0x80100000) holding `apps`: app k is the build of
    that app linked for slot k (flash and RAM addresses), placed at its slot;
    the gaps are TBF padding, and zeroed memory after the last app ends the
    kernel's search. (tockloader would do the same; doing it here keeps the
    runner independent of it.)"""
    if not apps:
        return None
    start, slot_size, slots = qemu_slots()
    if start != APPS_ADDRESS:
        raise RuntimeError(f"platforms.txt puts QEMU apps at {start:#x}, the kernel at {APPS_ADDRESS:#x}")
    if len(apps) > slots:
        raise RuntimeError(f"{len(apps)} apps, but apps are linked for {slots} slots only")
    image = bytearray()
    for k, app in enumerate(apps):
        tbf = USERSPACE / "build" / "qemu_rv32_virt" / f"{app}.slot{k}.tbf"
        if not tbf.is_file():
            raise RuntimeError(f"{tbf} not found (build the apps: make -C userspace tabs)")
        data = tbf.read_bytes()
        if len(data) > slot_size:
            raise RuntimeError(f"{tbf.name} is {len(data)} bytes, larger than a slot ({slot_size})")
        gap = k * slot_size - len(image)
        if gap:
            image += padding_tbf(gap)
        image += data
    out = workdir / "apps.bin"
    out.write_bytes(bytes(image))
    return out


def qemu_command(elf: Path, image: Path | None, raw_console: bool = False) -> list[str]:
    """The QEMU command line. With `raw_console` the UART is connected to
    stdin/stdout without QEMU's monitor multiplexer (no Ctrl-A escapes), so
    any byte written to QEMU's stdin reaches the kernel's console unchanged
    (binary update frames)."""
    console = (["-display", "none", "-monitor", "none", "-serial", "stdio"] if raw_console
               else ["-nographic", "-serial", "mon:stdio"])
    cmd = [
        QEMU, "-machine", "virt", "-m", "256M", *console,
        "-bios", "none", "-kernel", str(elf),
        "-global", f"driver=riscv-cpu,property={epmp_property()},value=true",
        "-global", "virtio-mmio.force-legacy=false",
    ]
    if image is not None:
        cmd += ["-device", f"loader,file={image},addr={APPS_ADDRESS:#x}"]
    return cmd


@dataclass
class Outcome:
    passed: bool
    reason: str = ""
    output: str = ""
    status: int | None = None
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def input_bytes(data: bytes | str) -> bytes:
    """Bytes to send: given directly, or a file path (relative to userspace/build/)."""
    if isinstance(data, bytes):
        return data
    path = USERSPACE / "build" / data
    if not path.is_file():
        raise RuntimeError(f"{path} not found (build the apps: make -C userspace tabs)")
    return path.read_bytes()


def run_qemu(elf: Path, apps: list[str], timeout: float,
             inputs: list[tuple[str, bytes | str]] | None = None) -> tuple[int | None, str, float]:
    """Runs QEMU until it exits or `timeout` passes. Returns (status or None, output, secs).

    `inputs`: (REGEX, BYTES) pairs, in order: when the console output (after
    the point where the previous pair's REGEX matched) has a match of REGEX,
    BYTES are written to QEMU's stdin, i.e. to the kernel's console UART.
    BYTES is bytes or a file under userspace/build/."""
    inputs = list(inputs or [])
    feed = [(re.compile(pattern, re.MULTILINE), input_bytes(data)) for pattern, data in inputs]
    with tempfile.TemporaryDirectory(prefix="femto-e2e-") as tmp:
        image = apps_image(apps, Path(tmp))
        cmd = qemu_command(elf, image, raw_console=bool(feed))
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if feed else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if not feed:
            try:
                raw, _ = proc.communicate(timeout=timeout)
                status: int | None = proc.returncode
            except subprocess.TimeoutExpired:
                proc.kill()
                raw, _ = proc.communicate()
                status = None
        else:
            raw, status = _interact(proc, feed, start + timeout)
        secs = time.monotonic() - start
    return status, raw.decode("utf-8", errors="replace").replace("\r", ""), secs


def _interact(proc: subprocess.Popen, feed: list[tuple[re.Pattern, bytes]],
              deadline: float) -> tuple[bytes, int | None]:
    """Reads QEMU's output until it exits or the deadline passes, writing
    each input when its pattern shows up. Returns (output, status or None)."""
    import selectors
    assert proc.stdout is not None and proc.stdin is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    raw = bytearray()
    pos = 0  # where the next input's pattern is searched from
    status: int | None = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            proc.kill()
            proc.wait()
            break
        for _key, _ in sel.select(timeout=min(left, 0.2)):
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                status = proc.wait()
                break
            raw += chunk
        if status is not None:
            break
        text = raw.decode("utf-8", errors="replace")
        while feed:
            m = feed[0][0].search(text, pos)
            if m is None:
                break
            pos = m.end()
            data = feed.pop(0)[1]
            try:
                proc.stdin.write(data)
                proc.stdin.flush()
            except BrokenPipeError:
                feed.clear()
        if proc.poll() is not None and not sel.select(timeout=0):
            status = proc.wait()
            raw += proc.stdout.read() or b""
            break
    sel.close()
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    return bytes(raw), status


def check(scenario: Scenario, status: int | None, output: str) -> list[str]:
    problems = []
    if status is None:
        problems.append(f"did not end within {scenario.timeout:g} s")
    elif status != scenario.exit_status:
        problems.append(f"QEMU exit status {status}, expected {scenario.exit_status}")
    pos = 0
    for pattern in scenario.expect:
        m = re.compile(pattern, re.MULTILINE).search(output, pos)
        if m is None:
            where = "after the previous expected line" if pos else "in the output"
            if re.search(pattern, output, re.MULTILINE):
                problems.append(f"expected /{pattern}/ appears, but not in order")
            else:
                problems.append(f"expected /{pattern}/ not found {where}")
            continue
        pos = m.end()
    for pattern in scenario.forbid:
        m = re.search(pattern, output, re.MULTILINE)
        if m:
            line = output[output.rfind("\n", 0, m.start()) + 1: output.find("\n", m.end())]
            problems.append(f"forbidden /{pattern}/ found: {line.strip()!r}")
    for counted, (lo, hi) in scenario.count.items():
        n = len(re.findall(counted, output, re.MULTILINE))
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            problems.append(f"/{counted}/ seen {n} times, expected {want}")
    return problems


def excerpt(output: str, lines: int = 40) -> str:
    rows = output.strip("\n").split("\n")
    if len(rows) > lines:
        rows = [f"... ({len(rows) - lines} earlier lines)"] + rows[-lines:]
    return "\n".join("    | " + r for r in rows)


def run_scenarios(selected: list[Scenario], logs: Path | None, verbose: bool) -> int:
    passed = failed = skipped = 0
    have = available_apps()
    for sc in selected:
        missing = [a for a in sc.apps if a not in have]
        if missing:
            skipped += 1
            log(f"SKIP {sc.name}: app(s) not in userspace/apps yet: {', '.join(missing)}")
            continue
        try:
            elf = kernel_elf(sc.kernel_features)
            if not elf.is_file():
                raise RuntimeError(f"kernel {elf} not built (run without --no-build)")
            status, output, secs = run_qemu(elf, sc.apps, sc.timeout, sc.inputs)
        except (RuntimeError, OSError, ValueError) as err:
            failed += 1
            log(f"FAIL {sc.name}: {err}")
            continue
        if logs:
            logs.mkdir(parents=True, exist_ok=True)
            (logs / f"{sc.name}.log").write_text(output)
        problems = check(sc, status, output)
        if problems:
            failed += 1
            log(f"FAIL {sc.name} ({secs:.1f} s): {sc.description}")
            for p in problems:
                log(f"  - {p}")
            log(excerpt(output))
        else:
            passed += 1
            log(f"PASS {sc.name} ({secs:.1f} s): {sc.description}")
            if verbose:
                log(excerpt(output))
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    log(summary)
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="filter", help="only scenarios whose name contains this")
    ap.add_argument("--list", action="store_true", help="list the scenarios and exit")
    ap.add_argument("--no-build", action="store_true", help="do not build kernel and apps")
    ap.add_argument("--logs", type=Path, help="keep each scenario's output in this directory")
    ap.add_argument("-v", "--verbose", action="store_true", help="show output of passing scenarios")
    ap.add_argument("--run", nargs="*", metavar="APP",
                    help="boot the kernel with these apps, show the output, exit with QEMU's status")
    ap.add_argument("--run-each", nargs="*", metavar="APP",
                    help="like --run, but one boot per app, one after the other")
    ap.add_argument("--timeout", type=float, default=60.0, help="time limit per boot for --run (s)")
    args = ap.parse_args()

    if args.list:
        for sc in SCENARIOS:
            log(f"{sc.name:28} apps: {' '.join(sc.apps) or '-':30} {sc.description}")
        return 0

    if shutil.which(QEMU) is None:
        log(f"error: {QEMU} not found (Debian: apt-get install qemu-system-misc)")
        log("0 passed, 1 failed")
        return 1

    if args.run is not None or args.run_each is not None:
        apps = args.run if args.run is not None else args.run_each
        boots = [apps] if args.run is not None else [[a] for a in apps]
        try:
            if not args.no_build:
                build_kernel()
                build_apps(apps)
        except subprocess.CalledProcessError as err:
            log(f"error: build failed: {err}")
            return 1
        worst = 0
        for boot in boots:
            if args.run_each is not None:
                log(f"\n===== QEMU riscv32 virt: kernel + {' '.join(boot)} =====")
            status, output, secs = run_qemu(kernel_elf(), boot, args.timeout)
            sys.stdout.write(output if output.endswith("\n") else output + "\n")
            if status is None:
                log(f"(stopped after {args.timeout:g} s)")
                status = 124
            else:
                log(f"(QEMU exited with status {status} after {secs:.1f} s)")
            worst = worst or status
        return worst

    selected = [s for s in SCENARIOS if not args.filter or args.filter in s.name]
    if not selected:
        log(f"no scenario matches {args.filter!r}")
        log("0 passed, 1 failed")
        return 1
    try:
        if not args.no_build:
            build_kernel({s.kernel_features for s in selected})
            have = available_apps()
            build_apps(sorted({a for s in selected for a in s.apps if a in have}))
    except subprocess.CalledProcessError as err:
        log(f"error: build failed: {err}")
        log(f"0 passed, {len(selected)} failed")
        return 1
    return run_scenarios(selected, args.logs, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
