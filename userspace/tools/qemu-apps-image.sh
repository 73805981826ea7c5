#!/usr/bin/env bash
# Makes a flash image for qemu-system-riscv32 (Tock's qemu_rv32_virt board)
# that holds the given apps, using tockloader's flash-file support (it picks
# one linked slot per app from each TAB and inserts padding between apps).
#
#   tools/qemu-apps-image.sh -o OUT [-k KERNEL] APP...
#
# With -k KERNEL (the kernel ELF, or its raw binary starting at 0x80000000),
# OUT is a whole image for `qemu-system-riscv32 -machine virt -bios OUT`.
# Without -k, OUT holds only the apps region (starting at 0x80100000), for
#   qemu-system-riscv32 -machine virt -bios KERNEL.elf \
#       -device loader,file=OUT,addr=0x80100000
# The TABs are taken from build/<app>.tab (run `make tabs` first).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
TOCKLOADER="${TOCKLOADER:-$here/../.venv/bin/tockloader}"
APPS_ADDR=0x80100000
ROM_SIZE=$((0x100000))    # 0x80000000..0x80100000: the kernel's region

out= kernel=
while getopts "o:k:" opt; do
    case $opt in
        o) out=$OPTARG ;;
        k) kernel=$OPTARG ;;
        *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ -n "$out" ] && [ $# -gt 0 ] || { echo "usage: $0 -o OUT [-k KERNEL] APP..." >&2; exit 2; }

tabs=()
for app in "$@"; do
    tab="$here/build/$app.tab"
    [ -f "$tab" ] || { echo "error: $tab not found (run make tabs)" >&2; exit 1; }
    tabs+=("$tab")
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
img="$tmp/flash.bin"
if [ -n "$kernel" ]; then
    if head -c 4 "$kernel" | grep -q $'\x7fELF'; then
        llvm-objcopy -O binary "$kernel" "$img"
    else
        cp "$kernel" "$img"
    fi
    size=$(stat -c %s "$img")
    if [ "$size" -gt "$ROM_SIZE" ]; then
        echo "error: kernel binary is $size bytes, more than the 1 MiB kernel region" >&2
        exit 1
    fi
    truncate -s "$ROM_SIZE" "$img"
else
    truncate -s "$ROM_SIZE" "$img"
fi

"$TOCKLOADER" install --board qemu_rv32_virt --flash-file "$img" \
    --app-address "$APPS_ADDR" "${tabs[@]}" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }
grep -E "App:|Length|0x80" "$tmp/log" | sed 's/^\[INFO   \] //' || true

mkdir -p "$(dirname "$out")"
if [ -n "$kernel" ]; then
    cp "$img" "$out"
else
    tail -c +$((ROM_SIZE + 1)) "$img" >"$out"
fi
echo "wrote $out"
