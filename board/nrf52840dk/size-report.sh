#!/usr/bin/env bash
# Prints text/data/bss of three to seven kernel ELFs and the differences.
# usage: size-report.sh FEMTO.elf NO_FEMTO.elf STOCK.elf [UNSIGNED.elf [COMPACT.elf [NO_RBF.elf [COMPACT_NO_RBF.elf]]]]
#        (SIZE=llvm-size)
# UNSIGNED.elf: the femto kernel without the capsule's signed-updates feature.
# COMPACT.elf: the femto kernel with the compact interpreter (feature compact-vm).
# NO_RBF.elf, COMPACT_NO_RBF.elf: the femto and compact kernels without the
# board feature rbf (no RIOT rBPF images).
set -euo pipefail
SIZE=${SIZE:-llvm-size}
femto=$1 nofemto=$2 stock=$3 unsigned=${4:-} compact=${5:-} norbf=${6:-} compactnorbf=${7:-}

# text data bss of one ELF, from its section list (SysV format), so that
# the linker script's alignment padding (.storage up to a flash page) and the
# app region placeholder (.apps) are not counted:
#   text = code and read-only data in flash (.text, the exception handler
#          sections, .ARM.exidx, .attributes)
#   data = initialised RAM (.relocate; its initial values are in flash too)
#   bss  = zeroed RAM (.sram) and the kernel stack (.stack)
sizes() {
    "$SIZE" -A "$1" | awk '
        $1 ~ /^\.debug/ || $1 == ".stack_sizes" || $1 == ".comment" || $1 == ".ARM.attributes" { next }
        $1 == ".storage" || $1 == ".apps" || $1 == "section" || $1 == "Total" || NF < 3 { next }
        $1 == ".relocate" { data += $2; next }
        $1 == ".sram" || $1 == ".stack" { bss += $2; next }
        { text += $2 }
        END { print text + 0, data + 0, bss + 0 }'
}

row() { printf '%-44s %9s %7s %8s %9s %9s\n' "$@"; }
line() { printf '%s\n' "----------------------------------------------------------------------------------------------"; }
delta() { local d=$(( $1 - $2 )); if (( d >= 0 )); then echo "+$d"; else echo "$d"; fi; }
# size_row LABEL ELF: the kernel's text, data, bss, flash and RAM (nothing
# if ELF is empty: an optional kernel that was not given).
size_row() {
    [[ -n "$2" ]] || return 0
    local t d b
    read -r t d b < <(sizes "$2")
    row "$1" "$t" "$d" "$b" $((t + d)) $((d + b))
}
# delta_row LABEL A B: A's figures minus B's (nothing if either is empty).
delta_row() {
    [[ -n "$2" && -n "$3" ]] || return 0
    local at ad ab bt bd bb
    read -r at ad ab < <(sizes "$2")
    read -r bt bd bb < <(sizes "$3")
    row "$1" "$(delta "$at" "$bt")" "$(delta "$ad" "$bd")" "$(delta "$ab" "$bb")" \
        "$(delta $((at + ad)) $((bt + bd)))" "$(delta $((ad + ab)) $((bd + bb)))"
}

echo "nRF52840-DK kernel sizes (bytes; flash = text + data, RAM = data + bss)"
line
row "kernel" text data bss flash RAM
line
size_row "femto-containers kernel (this board)" "$femto"
size_row "  same board without the capsule" "$nofemto"
size_row "  same, capsule without signed updates" "$unsigned"
size_row "  same, compact interpreter (compact-vm)" "$compact"
size_row "  same, without rBPF support (no rbf)" "$norbf"
size_row "  same, compact-vm and no rbf" "$compactnorbf"
size_row "Tock 2.2 stock nrf52840dk kernel" "$stock"
line
delta_row "capsule + VM + hooks (femto - without)" "$femto" "$nofemto"
delta_row "signed updates (femto - unsigned)" "$femto" "$unsigned"
delta_row "compact interpreter (compact - femto)" "$compact" "$femto"
delta_row "rBPF support (femto - no rbf)" "$femto" "$norbf"
delta_row "compact-vm and no rbf (that - femto)" "$compactnorbf" "$femto"
delta_row "this kernel vs stock (femto - stock)" "$femto" "$stock"
line
echo "All but the stock kernel are built with the same 802.15.4/6LoWPAN/UDP stack as the"
echo "stock one (board feature udp). The capsule's own cost is the 'femto - without' row;"
echo "'signed updates' is Ed25519 verification, SHA-256 and CBOR plus the flash-backed"
echo "sequence table (Tock's NonvolatileToPages with its 4 KiB page buffer in RAM)."

# Where the code of this kernel goes: symbol sizes (code and data) summed per
# crate, from the v0-mangled names (the crate that defines the item; generic
# code instantiated for a type of another crate counts for the defining one).
size_base=$(basename "$SIZE")
if [[ "$SIZE" == */* ]]; then NM=${NM:-$(dirname "$SIZE")/${size_base/size/nm}}; else NM=${NM:-${size_base/size/nm}}; fi
if command -v "$NM" >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
    echo
    echo "Largest crates in the femto-containers kernel (bytes of symbols, flash and RAM):"
    "$NM" --size-sort -S --radix=d "$femto" | python3 -c '
import re, sys, collections
sizes = collections.Counter()
for line in sys.stdin:
    parts = line.split()
    if len(parts) < 4:
        continue
    size, kind, name = int(parts[1]), parts[2], parts[3]
    m = re.search(r"C[a-zA-Z0-9]*_(\d+)", name) if name.startswith("_R") else None
    if m:
        n = int(m.group(1))
        crate = name[m.end():m.end() + n]
    else:
        crate = "(unmangled: kernel stack, asm, main)"
    sizes[crate] += size
for crate, size in sizes.most_common(14):
    print(f"  {crate:34} {size:8}")
'
fi
