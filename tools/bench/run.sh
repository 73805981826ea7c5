#!/usr/bin/env bash
# `make bench`: builds the instruction-counting QEMU plugin, the Cortex-M4
# benchmark firmware (root workspace release profile: opt-level "z", femto-vm
# at opt-level 3, LTO, panic=abort) and the host benchmark, runs them, and
# prints one table plus `figure: NAME = VALUE UNIT` lines.
# Needs: cc, clang (BPF target), qemu-system-arm (7.2), python3, the
# thumbv7em-none-eabi Rust target. See doc/performance.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/bench"
mkdir -p "$OUT"
cd "$ROOT"

echo "== building the insn_count QEMU plugin" >&2
make -s -C "$HERE/qemu-plugin" OUT="$OUT" >&2

# Built from tools/bench/cm4, whose .cargo/config.toml has the kernel's
# code-generation flags (static relocation, ICF, build-std core for size).
echo "== building the Cortex-M4 firmware (thumbv7em-none-eabi, kernel profile and flags)" >&2
(cd "$HERE/cm4" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build -q -p femto-bench-cm4 --release \
    --bin femto-bench-cm4) >&2
FIRMWARE="$TARGET_DIR/thumbv7em-none-eabi/release/femto-bench-cm4"

echo "== running the firmware under qemu-system-arm -M mps2-an386" >&2
rm -f "$OUT/marks.txt"
if ! timeout 300 qemu-system-arm -machine mps2-an386 -nographic -semihosting \
        -kernel "$FIRMWARE" \
        -plugin "$OUT/libinsn_count.so,out=$OUT/marks.txt" \
        </dev/null >"$OUT/cm4.txt" 2>&1; then
    echo "error: the benchmark firmware failed; its output:" >&2
    cat "$OUT/cm4.txt" >&2
    exit 1
fi

# (QEMU writes the semihosting console to stderr, hence 2>&1.)

# The host is not size-constrained: every crate (femto-vm, rbpf, the harness)
# at opt-level 3, so that neither interpreter is handicapped.
echo "== building and running the host benchmark (opt-level 3)" >&2
# A separate target directory, so that this profile override does not make
# the other release builds in $TARGET_DIR rebuild.
HOST_TARGET_DIR="$OUT/host-target"
CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_TARGET_DIR="$HOST_TARGET_DIR" \
    cargo build -q -p femto-bench-host --release >&2
"$HOST_TARGET_DIR/release/femto-bench-host" >"$OUT/host.txt"

python3 "$HERE/report.py" "$OUT/cm4.txt" "$OUT/marks.txt" "$OUT/host.txt"
