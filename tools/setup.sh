#!/usr/bin/env bash
# Installs what building and testing this project needs, and only what is missing.
# Idempotent: a second run on a set-up machine takes about a second.
#
#   tools/setup.sh            everything
#   tools/setup.sh --check    report what is missing, install nothing
#
# What it installs:
#   - rustup toolchains: Tock 2.2's nightly-2024-11-16 (kernel side, host tools) and 1.88 (userspace),
#     with rust-src, llvm-tools and the thumbv7em-none-eabi / riscv32imac-unknown-none-elf targets
#   - Debian packages: qemu-system-misc, qemu-system-arm, clang, llvm, lld (needs root; otherwise it
#     prints the apt-get command to run)
#   - elf2tab 0.13.0 (cargo install --locked, with the stable toolchain)
#   - tockloader, in a Python virtualenv at .venv/ inside the project (ignored by git)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check_only=false
[[ ${1:-} == --check ]] && check_only=true
missing=0
say() { printf 'setup: %s\n' "$*"; }
need() { missing=1; say "missing: $*"; }

KERNEL_TC=nightly-2024-11-16
USER_TC=1.88
TARGETS=(thumbv7em-none-eabi riscv32imac-unknown-none-elf)

# --- Rust toolchains -------------------------------------------------------------------------
if ! command -v rustup >/dev/null; then
  say "rustup not found: install it from https://rustup.rs and run 'make setup' again"; exit 1
fi
ensure_toolchain() { # name components...
  local tc=$1; shift
  local have_targets
  if ! rustup toolchain list | grep -q "^$tc"; then
    need "Rust toolchain $tc"
    $check_only || rustup toolchain install "$tc" --profile minimal
  fi
  if rustup toolchain list | grep -q "^$tc"; then
    have_targets=$(rustup +"$tc" target list --installed 2>/dev/null || true)
    for t in "${TARGETS[@]}"; do
      if ! grep -qx "$t" <<<"$have_targets"; then
        need "target $t for $tc"; $check_only || rustup +"$tc" target add "$t"
      fi
    done
    local have_comp
    have_comp=$(rustup +"$tc" component list --installed 2>/dev/null || true)
    for c in "$@"; do
      if ! grep -q "^$c" <<<"$have_comp"; then
        need "component $c for $tc"; $check_only || rustup +"$tc" component add "$c"
      fi
    done
  fi
}
ensure_toolchain "$KERNEL_TC" rust-src llvm-tools rustfmt clippy
ensure_toolchain "$USER_TC" rust-src llvm-tools
if ! rustup toolchain list | grep -q '^stable'; then
  need "Rust stable toolchain (for cargo install)"; $check_only || rustup toolchain install stable --profile minimal
fi

# --- Debian packages ---------------------------------------------------------------------------
pkgs=()
command -v qemu-system-riscv32 >/dev/null || pkgs+=(qemu-system-misc)
command -v qemu-system-arm >/dev/null || pkgs+=(qemu-system-arm)
command -v clang >/dev/null || pkgs+=(clang)
command -v llvm-objdump >/dev/null || command -v llvm-objdump-14 >/dev/null || pkgs+=(llvm)
command -v ld.lld >/dev/null || pkgs+=(lld)
python3 -c 'import venv, ensurepip' 2>/dev/null || pkgs+=(python3-venv)
if ((${#pkgs[@]})); then
  need "Debian packages: ${pkgs[*]}"
  if ! $check_only; then
    if [[ $(id -u) -ne 0 ]]; then
      say "not root: run  sudo apt-get update && sudo apt-get install -y ${pkgs[*]}  and then 'make setup' again"
      exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    if ! apt-get install -y -qq "${pkgs[@]}"; then
      # A newer qemu-utils (e.g. from backports) can block Debian's QEMU system emulators; fall back to
      # the release's qemu-utils so the two match.
      ver=$(apt-cache madison qemu-system-misc | awk 'NR==1{print $3}')
      say "retrying with qemu-utils=$ver to match Debian's QEMU"
      apt-get install -y -qq --allow-downgrades "${pkgs[@]}" "qemu-utils=$ver" qemu-block-extra-
    fi
  fi
fi

# --- elf2tab -----------------------------------------------------------------------------------
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
if ! "$cargo_bin/elf2tab" --version 2>/dev/null | grep -q '0\.13\.0'; then
  need "elf2tab 0.13.0"
  $check_only || (cd / && cargo +stable install elf2tab --version 0.13.0 --locked)
fi

# --- tockloader (virtualenv inside the project) -------------------------------------------------
if ! [[ -x $root/.venv/bin/tockloader ]]; then
  need "tockloader (in $root/.venv)"
  if ! $check_only; then
    python3 -m venv "$root/.venv"
    "$root/.venv/bin/pip" install -q --disable-pip-version-check tockloader
  fi
fi

if $check_only; then
  ((missing)) && exit 1
  say "everything is installed"
else
  say "ready"
fi
