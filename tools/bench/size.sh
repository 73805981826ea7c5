#!/usr/bin/env bash
# `make size`: code and RAM footprint of femto-vm on thumbv7em (Cortex-M4)
# built as the kernel is: the root workspace's release profile (opt-level "z"
# globally, femto-vm at opt-level 3, LTO, panic=abort, codegen-units=1) and
# the kernel's code-generation flags (tools/bench/cm4/.cargo/config.toml).
#
# Code: probe firmwares with identical start-up, console, panic and exit
# code; `size-vm` additionally parses an image, verifies and runs a program
# (image parser + verifier + translator + interpreter), `size-vm-compact` the
# same with the compact interpreter and no translator (the capsule's
# `compact-vm` feature). VM size = probe - size-base (llvm-size: text
# includes .rodata, e.g. jump tables). The compact probe is also built with
# femto-vm at opt-level "s" (a profile a flash-short board could choose; in a
# separate target directory), and both ways without femto-vm's `rbf` feature
# (`--no-default-features`: no RIOT rBPF images, as a board built with
# NO_RBF=1; separate target directories too).
# RAM: `size-vm` runs under QEMU and reports the sizes of the VM's structures
# and the kernel stack a load + run used (stack painting).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$TARGET_DIR/bench"
mkdir -p "$OUT"
cd "$ROOT"

# Built from tools/bench/cm4, whose .cargo/config.toml has the kernel's
# code-generation flags (static relocation, ICF, build-std core for size).
# build TARGET_DIR [CARGO_ARGS...]: the probes, into TARGET_DIR.
build() {
    local dir=$1
    shift
    (cd "$HERE/cm4" && CARGO_TARGET_DIR="$dir" cargo build -q -p femto-bench-cm4 --release "$@") >&2
}
OPT_S=(--config 'profile.release.package.femto-vm.opt-level="s"')
COMPACT=(--bin size-base --bin size-vm-compact)
build "$TARGET_DIR" --bin size-vm "${COMPACT[@]}"
build "$OUT/size-opt-s" "${OPT_S[@]}" "${COMPACT[@]}"
build "$OUT/size-no-rbf" --no-default-features "${COMPACT[@]}"
build "$OUT/size-no-rbf-opt-s" --no-default-features "${OPT_S[@]}" "${COMPACT[@]}"
BIN="$TARGET_DIR/thumbv7em-none-eabi/release"
S_BIN="$OUT/size-opt-s/thumbv7em-none-eabi/release"
N_BIN="$OUT/size-no-rbf/thumbv7em-none-eabi/release"
NS_BIN="$OUT/size-no-rbf-opt-s/thumbv7em-none-eabi/release"

SIZE=llvm-size
command -v "$SIZE" >/dev/null || SIZE="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/llvm-size"
NM=llvm-nm
command -v "$NM" >/dev/null || NM="$(rustc --print sysroot)/lib/rustlib/x86_64-unknown-linux-gnu/bin/llvm-nm"

read -r base_text base_data base_bss _ < <("$SIZE" -B "$BIN/size-base" | tail -1)
read -r vm_text vm_data vm_bss _ < <("$SIZE" -B "$BIN/size-vm" | tail -1)
text=$((vm_text - base_text)); data=$((vm_data - base_data)); bss=$((vm_bss - base_bss))
read -r compact_text compact_data compact_bss _ < <("$SIZE" -B "$BIN/size-vm-compact" | tail -1)
ctext=$((compact_text - base_text)); cdata=$((compact_data - base_data)); cbss=$((compact_bss - base_bss))
# compact_text BIN_DIR: text of that build's compact probe minus its size-base.
probe_text() { "$SIZE" -B "$1" | tail -1 | awk '{ print $1 }'; }
compact_text() { echo $(( $(probe_text "$1/size-vm-compact") - $(probe_text "$1/size-base") )); }
s_ctext=$(compact_text "$S_BIN")
n_ctext=$(compact_text "$N_BIN")
ns_ctext=$(compact_text "$NS_BIN")

# Each probe checks its own result (Fletcher32 through the VM) and reports
# its sizes; run_probe FIRMWARE OUTPUT.
run_probe() {
    if ! timeout 60 qemu-system-arm -machine mps2-an386 -nographic -semihosting \
            -kernel "$1" </dev/null >"$2" 2>&1; then
        echo "error: probe $1 failed:" >&2
        cat "$2" >&2
        exit 1
    fi
}
run_probe "$BIN/size-vm" "$OUT/size-vm.txt"
run_probe "$BIN/size-vm-compact" "$OUT/size-vm-compact.txt"
run_probe "$S_BIN/size-vm-compact" "$OUT/size-vm-compact-opt-s.txt"
run_probe "$N_BIN/size-vm-compact" "$OUT/size-vm-compact-no-rbf.txt"
run_probe "$NS_BIN/size-vm-compact" "$OUT/size-vm-compact-no-rbf-opt-s.txt"
get() { awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3 }' "$OUT/size-vm.txt"; }
compact_stack=$(awk '$1 == "stack" && $2 == "load_and_run" { print $3 }' "$OUT/size-vm-compact.txt")
mem=$(get sizeof Memory); prog=$(get sizeof Program); img=$(get sizeof Image)
run_stack=$(get stack load_and_run)
slot=$(get sizeof Slot0); proc=$(get sizeof ProcessState000)
stack=512
# RAM of one loaded container beyond its image and data bytes: the capsule's
# per-container record (Slot<0>, which holds the run layout, hook, statistics
# and key-value state) plus the 512-byte stack it runs on (one per process;
# counted whole, as for a process with a single container).
container=$((stack + slot))

echo "femto-vm footprint on thumbv7em-none-eabi (kernel release profile)"
printf '  %-44s %8s\n' "probe with VM (size-vm): text data bss" "$vm_text $vm_data $vm_bss"
printf '  %-44s %8s\n' "probe without VM (size-base): text data bss" "$base_text $base_data $base_bss"
printf '  %-44s %8d bytes  (target <= 6144; original 4056)\n' "VM text (parser, verifier, translator, interp.)" "$text"
printf '  %-44s %8d / %d bytes\n' "VM data / bss" "$data" "$bss"
printf '  %-44s %8d bytes  (target <= 6144; original 4056)\n' "compact VM text (parser, verifier, interp.)" "$ctext"
printf '  %-44s %8d bytes\n' "compact VM text, femto-vm at opt-level s" "$s_ctext"
printf '  %-44s %8d bytes  (target <= 6144)\n' "compact VM text without rBPF (no rbf)" "$n_ctext"
printf '  %-44s %8d bytes  (target <= 6144)\n' "same, femto-vm at opt-level s" "$ns_ctext"
printf '  %-44s %8d / %d bytes\n' "compact VM data / bss" "$cdata" "$cbss"
printf '  %-44s %8d bytes\n' "per container: stack (one 512-byte frame)" "$stack"
printf '  %-44s %8d bytes\n' "per container: capsule record (Slot<0>)" "$slot"
printf '  %-44s %8d bytes  (target <= 600 + image; original 88 + 512)\n' "per container total (+ image, data)" "$container"
printf '  %-44s %8d bytes\n' "per process: ProcessState<0,0,0>" "$proc"
printf '  %-44s %8d bytes\n' "per run, kernel stack: Memory" "$mem"
printf '  %-44s %8s bytes\n' "per run, kernel stack: Program / Image" "$prog / $img"
printf '  %-44s %8d bytes\n' "kernel stack used by a load + run" "$run_stack"
printf '  %-44s %8d bytes\n' "same, compact interpreter" "$compact_stack"
echo "  largest VM symbols in size-vm (bytes):"
"$NM" --size-sort -S -C "$BIN/size-vm" | grep -i 'femto_vm' | tail -12 | \
    while read -r _addr size _kind name; do printf '    %6d  %s\n' "$((16#$size))" "$name"; done

echo "figure: size.vm.text_bytes = $text bytes"
echo "figure: size.vm.data_bytes = $data bytes"
echo "figure: size.vm.bss_bytes = $bss bytes"
echo "figure: size.vm_compact.text_bytes = $ctext bytes"
echo "figure: size.vm_compact.text_bytes_opt_s = $s_ctext bytes"
echo "figure: size.vm_compact.run_kernel_stack_bytes = $compact_stack bytes"
echo "figure: size.vm_compact_no_rbf.text_bytes = $n_ctext bytes"
echo "figure: size.vm_compact_no_rbf.text_bytes_opt_s = $ns_ctext bytes"
echo "figure: size.container.ram_bytes = $container bytes"
echo "figure: size.container.record_bytes = $slot bytes"
echo "figure: size.vm.run_kernel_stack_bytes = $run_stack bytes"
