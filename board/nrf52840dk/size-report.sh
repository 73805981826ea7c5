#!/usr/bin/env bash
# Prints text/data/bss of three kernel ELFs and the differences.
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

read -r ft fd fb < <(sizes "$femto")
read -r nt nd nb < <(sizes "$nofemto")
read -r st sd sb < <(sizes "$stock")

row() { printf '%-44s %9s %7s %8s %9s %9s\n' "$@"; }
line() { printf '%s\n' "----------------------------------------------------------------------------------------------"; }
delta() { local d=$(( $1 - $2 )); if (( d >= 0 )); then echo "+$d"; else echo "$d"; fi; }

echo "nRF52840-DK kernel sizes (bytes; flash = text + data, RAM = data + bss)"
line
row "kernel" text data bss flash RAM
line
row "femto-containers kernel (this board)" "$ft" "$fd" "$fb" $((ft + fd)) $((fd + fb))
row "  same board without the capsule" "$nt" "$nd" "$nb" $((nt + nd)) $((nd + nb))
if [[ -n "$unsigned" ]]; then
    read -r ut ud ub < <(sizes "$unsigned")
    row "  same, capsule without signed updates" "$ut" "$ud" "$ub" $((ut + ud)) $((ud + ub))
fi
if [[ -n "$compact" ]]; then
    read -r ct cd cb < <(sizes "$compact")
    row "  same, compact interpreter (compact-vm)" "$ct" "$cd" "$cb" $((ct + cd)) $((cd + cb))
fi
if [[ -n "$norbf" ]]; then
    read -r rt rd rb < <(sizes "$norbf")
    row "  same, without rBPF support (no rbf)" "$rt" "$rd" "$rb" $((rt + rd)) $((rd + rb))
fi
if [[ -n "$compactnorbf" ]]; then
    read -r xt xd xb < <(sizes "$compactnorbf")
    row "  same, compact-vm and no rbf" "$xt" "$xd" "$xb" $((xt + xd)) $((xd + xb))
fi
row "Tock 2.2 stock nrf52840dk kernel" "$st" "$sd" "$sb" $((st + sd)) $((sd + sb))
line
row "capsule + VM + hooks (femto - without)" "$(delta "$ft" "$nt")" "$(delta "$fd" "$nd")" "$(delta "$fb" "$nb")" "$(delta $((ft + fd)) $((nt + nd)))" "$(delta $((fd + fb)) $((nd + nb)))"
if [[ -n "$unsigned" ]]; then
    row "signed updates (femto - unsigned)" "$(delta "$ft" "$ut")" "$(delta "$fd" "$ud")" "$(delta "$fb" "$ub")" "$(delta $((ft + fd)) $((ut + ud)))" "$(delta $((fd + fb)) $((ud + ub)))"
fi
if [[ -n "$compact" ]]; then
    row "compact interpreter (compact - femto)" "$(delta "$ct" "$ft")" "$(delta "$cd" "$fd")" "$(delta "$cb" "$fb")" "$(delta $((ct + cd)) $((ft + fd)))" "$(delta $((cd + cb)) $((fd + fb)))"
fi
if [[ -n "$norbf" ]]; then
    row "rBPF support (femto - no rbf)" "$(delta "$ft" "$rt")" "$(delta "$fd" "$rd")" "$(delta "$fb" "$rb")" "$(delta $((ft + fd)) $((rt + rd)))" "$(delta $((fd + fb)) $((rd + rb)))"
fi
if [[ -n "$compactnorbf" ]]; then
    row "compact-vm and no rbf (that - femto)" "$(delta "$xt" "$ft")" "$(delta "$xd" "$fd")" "$(delta "$xb" "$fb")" "$(delta $((xt + xd)) $((ft + fd)))" "$(delta $((xd + xb)) $((fd + fb)))"
fi
row "this kernel vs stock (femto - stock)" "$(delta "$ft" "$st")" "$(delta "$fd" "$sd")" "$(delta "$fb" "$sb")" "$(delta $((ft + fd)) $((st + sd)))" "$(delta $((fd + fb)) $((sd + sb)))"
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
