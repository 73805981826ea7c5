#!/usr/bin/env bash
# Offline check of the apps' TABs: installs each TAB with tockloader into a
# flash image file of each platform (the kernel's binary when it has been
# built, otherwise an erased image), then lists the apps in that image with
# tockloader and checks the app is there. Finally installs all TABs into one
# image per platform and checks that every app is listed (this exercises the
# per-slot ELFs: each app must land in its own slot).
#
#   ./check-tabs.sh [-t "APP APP ..."]... [APP...]     (default APPs: every build/*.tab)
#
# Each -t adds one "together" check with that group of apps (at most as many
# apps as the platforms have slots, see platforms.txt); without -t, all APPs
# form one group.
#
# Kernel images (ELF or raw binary starting at the platform's flash start):
#   KERNEL_NRF52840   default: $KERNEL_TARGET_DIR/thumbv7em-none-eabi/release/femto-nrf52840dk.elf if present
#   KERNEL_QEMU       default: $KERNEL_TARGET_DIR/riscv32imac-unknown-none-elf/release/femto-qemu_rv32_virt if present
#   KERNEL_TARGET_DIR default: the root workspace's target/ (board/*/Makefile's default)
# Prints "N passed, M failed"; exits non-zero if any check failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
TOCKLOADER="${TOCKLOADER:-$root/.venv/bin/tockloader}"
build="$here/build"
ktarget="${KERNEL_TARGET_DIR:-$root/target}"

if [ ! -x "$TOCKLOADER" ] && ! command -v "$TOCKLOADER" >/dev/null; then
    echo "error: tockloader not found at $TOCKLOADER (run: make setup, or python3 -m venv .venv && .venv/bin/pip install tockloader)" >&2
    exit 1
fi

groups=()
while getopts "t:" opt; do
    case $opt in
        t) groups+=("$OPTARG") ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))

if [ $# -gt 0 ]; then
    apps=("$@")
else
    apps=()
    for t in "$build"/*.tab; do [ -f "$t" ] && apps+=("$(basename "$t" .tab)"); done
fi
[ ${#apps[@]} -gt 0 ] || { echo "error: no TABs in $build (run make tabs)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

# platform | tockloader board | flash start of the image file | app address | kernel region size | kernel var | default kernel
platforms=(
    "nrf52840|nrf52dk|0x00000000|0x00040000|0x40000|KERNEL_NRF52840|$ktarget/thumbv7em-none-eabi/release/femto-nrf52840dk.elf"
    "qemu_rv32_virt|qemu_rv32_virt|0x80000000|0x80100000|0x100000|KERNEL_QEMU|$ktarget/riscv32imac-unknown-none-elf/release/femto-qemu_rv32_virt"
)

# make_image PLATFORM_SPEC OUT: the kernel region of the flash image.
make_image() {
    local spec=$1 out=$2 platform board base addr ksize kvar kdefault kernel
    IFS='|' read -r platform board base addr ksize kvar kdefault <<<"$spec"
    kernel="${!kvar:-$kdefault}"
    if [ -f "$kernel" ]; then
        if head -c 4 "$kernel" | grep -q $'\x7fELF'; then
            llvm-objcopy -O binary "$kernel" "$out"
        else
            cp "$kernel" "$out"
        fi
        kdesc="kernel $(basename "$kernel")"
    else
        : >"$out"
        kdesc="erased image (no kernel built)"
    fi
    # Erased flash up to the apps region.
    local size; size=$(stat -c %s "$out")
    if [ "$size" -lt $((ksize)) ]; then
        head -c $((ksize - size)) /dev/zero | tr '\0' '\377' >>"$out"
    fi
}

# check NAME COMMAND...: one check, counted.
check() {
    local name=$1; shift
    if "$@" >"$tmp/out" 2>&1; then
        passed=$((passed + 1)); echo "ok   $name"
    else
        failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$tmp/out" | tail -20
    fi
}

# install_and_list SPEC IMG APP...: install the apps' TABs, then every app must be listed.
install_and_list() {
    local spec=$1 img=$2; shift 2
    local platform board base addr ksize kvar kdefault tabs=() a
    IFS='|' read -r platform board base addr ksize kvar kdefault <<<"$spec"
    for a in "$@"; do tabs+=("$build/$a.tab"); done
    local kernel_before; kernel_before=$(head -c $((ksize)) "$img" | sha256sum)
    "$TOCKLOADER" install --board "$board" --flash-file "$img" --app-address "$addr" "${tabs[@]}" || return 1
    "$TOCKLOADER" list --board "$board" --flash-file "$img" --app-address "$addr" >"$tmp/list" 2>&1 || { cat "$tmp/list"; return 1; }
    cat "$tmp/list"
    for a in "$@"; do
        grep -Eq "^ *Name: +$a\$" "$tmp/list" || { echo "app $a not listed"; return 1; }
    done
    # The kernel region is untouched.
    [ "$(head -c $((ksize)) "$img" | sha256sum)" = "$kernel_before" ] || { echo "kernel region changed"; return 1; }
    # Exactly as many apps as installed.
    [ "$(grep -Ec '^ *Name: ' "$tmp/list")" -eq $# ] || { echo "unexpected number of apps listed"; return 1; }
}

for spec in "${platforms[@]}"; do
    platform=${spec%%|*}
    for app in "${apps[@]}"; do
        make_image "$spec" "$tmp/img.bin"
        check "$app on $platform ($kdesc)" install_and_list "$spec" "$tmp/img.bin" "$app"
    done
    if [ ${#groups[@]} -eq 0 ] && [ ${#apps[@]} -gt 1 ]; then
        groups=("${apps[*]}")
    fi
    for group in "${groups[@]}"; do
        read -ra members <<<"$group"
        make_image "$spec" "$tmp/img.bin"
        check "together: ${members[*]} on $platform ($kdesc)" install_and_list "$spec" "$tmp/img.bin" "${members[@]}"
    done
done

echo "check-tabs: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
