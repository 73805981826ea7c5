#!/usr/bin/env bash
# Builds the given apps for every platform and slot of platforms.txt, then
# packs each app into a TAB with elf2tab.
#
#   tools/build-tabs.sh APP...
#
# Outputs (under userspace/build/):
#   <app>.tab                               the TAB (all platforms, all slots)
#   <platform>/<app>.slot<k>.elf / .tbf     each linked ELF and its TBF
#   <platform>/<app>.tbf                    = slot 0, for loading one app alone
#
# Environment: CARGO_TARGET_DIR (default userspace/target), ELF2TAB (elf2tab),
# KERNEL_HEAP (bytes of grant memory each app asks for, default 8192).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"

[ $# -gt 0 ] || { echo "usage: $0 APP..." >&2; exit 2; }
apps=("$@")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$here/target}"
ELF2TAB="${ELF2TAB:-elf2tab}"
KERNEL_HEAP="${KERNEL_HEAP:-8192}"
build="$here/build"
mkdir -p "$build"

command -v "$ELF2TAB" >/dev/null || {
    echo "error: elf2tab not found; install it with: cargo install elf2tab --version 0.13.0 --locked" >&2
    exit 1
}

pkg_args=()
for app in "${apps[@]}"; do pkg_args+=(-p "$app"); done

# ELF list per app, as elf2tab arguments "path,arch".
declare -A elf_args

while read -r platform target arch flash0 flash_slot ram0 ram_slot slots; do
    case "$platform" in ''|'#'*) continue ;; esac
    mkdir -p "$build/$platform"
    for ((k = 0; k < slots; k++)); do
        flash=$(printf '0x%08x' $((flash0 + k * flash_slot)))
        ram=$(printf '0x%08x' $((ram0 + k * ram_slot)))
        echo "== $platform slot $k: flash $flash, RAM $ram (${apps[*]})"
        LIBTOCK_LINKER_FLASH=$flash LIBTOCK_LINKER_FLASH_LENGTH=$flash_slot \
        LIBTOCK_LINKER_RAM=$ram LIBTOCK_LINKER_RAM_LENGTH=$ram_slot \
            cargo build --quiet --release --target "$target" "${pkg_args[@]}"
        for app in "${apps[@]}"; do
            elf="$build/$platform/$app.slot$k.elf"
            cp "$CARGO_TARGET_DIR/$target/release/$app" "$elf"
            # The TBF's name in the TAB is "<arch>.<flash>.<ram>.tbf": tockloader
            # reads the architecture from the part before the first dot, and
            # the names must differ between slots.
            elf_args[$app]+=" $elf,$arch.$flash.$ram"
        done
    done
done < platforms.txt

for app in "${apps[@]}"; do
    # The stack lives in the app's .stack section (libtock-rs' stack_size!);
    # elf2tab needs its size. All ELFs of an app have the same stack.
    first_elf="${elf_args[$app]%%,*}"; first_elf="${first_elf# }"
    stack=$(llvm-size -A "$first_elf" | awk '$1 == ".stack" { print $2 }')
    [ -n "$stack" ] || { echo "error: no .stack section in $first_elf" >&2; exit 1; }
    # shellcheck disable=SC2086
    "$ELF2TAB" --kernel-major 2 --kernel-minor 1 -n "$app" -o "$build/$app.tab" \
        --stack "$stack" --kernel-heap "$KERNEL_HEAP" --minimum-footer-size 256 \
        ${elf_args[$app]} >/dev/null
    while read -r platform _rest; do
        case "$platform" in ''|'#'*) continue ;; esac
        cp "$build/$platform/$app.slot0.tbf" "$build/$platform/$app.tbf"
    done < platforms.txt
    echo "built $build/$app.tab"
done
