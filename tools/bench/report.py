#!/usr/bin/env python3
"""Combines the outputs of the benchmark runs into one table and
`figure: NAME = VALUE UNIT` lines.

usage: report.py CM4_STDOUT PLUGIN_MARKS HOST_STDOUT

CM4_STDOUT: the firmware's semihosting output (`section NAME START STOP`,
`slots NAME N`, `ebpf_insns NAME N`, `check ...`, `error: ...`).
PLUGIN_MARKS: the insn_count plugin's output (`mark ID COUNT`, `total N`).
HOST_STDOUT: the host benchmark's output (its table and figure lines).
Exits non-zero if a result check failed or a figure is missing.
"""
import re
import sys

# (name, instruction, original's figure, target) -- anchors from issue 5.
PER_OP = [
    ("add_imm", "add64 imm", 16, 14),
    ("add_reg", "add64 reg", 19, None),
    ("ldxdw", "ldxdw (stack)", 42, 24),
    ("stxdw", "stxdw (stack)", 41, 24),
    ("jeq_taken", "jeq imm, taken", 31, 24),
    ("jeq32_taken", "jeq32 imm, taken", None, None),
    ("ja", "ja", 16, 14),
    ("call", "call helper", None, None),
    ("div64", "div64 reg", 70, None),
]


def parse_cm4(path):
    sections, slots, ebpf, errors, checks = {}, {}, {}, [], []
    for line in open(path, errors="replace"):
        p = line.split()
        if not p:
            continue
        if p[0] == "section" and len(p) == 4:
            sections[p[1]] = (int(p[2]), int(p[3]))
        elif p[0] == "slots" and len(p) == 3:
            slots[p[1]] = int(p[2])
        elif p[0] == "ebpf_insns" and len(p) == 3:
            ebpf[p[1]] = int(p[2])
        elif p[0] == "check":
            checks.append(line.strip())
        elif p[0].startswith("error"):
            errors.append(line.strip())
    return sections, slots, ebpf, errors, checks


def parse_marks(path):
    marks = {}
    for line in open(path):
        p = line.split()
        if len(p) == 3 and p[0] == "mark":
            marks[int(p[1])] = int(p[2])
    return marks


def main():
    cm4_out, marks_path, host_out = sys.argv[1:4]
    sections, slots, ebpf, errors, checks = parse_cm4(cm4_out)
    marks = parse_marks(marks_path)
    figures = []  # (name, value, unit)
    failed = bool(errors)
    for e in errors:
        print(e)

    def cost(name):
        """Instructions executed inside section `name`, marks excluded."""
        if name not in sections:
            return None
        a, b = sections[name]
        e0, e1 = sections["empty"]
        if a not in marks or b not in marks:
            return None
        overhead = marks[e1] - marks[e0]
        return marks[b] - marks[a] - overhead

    def fmt(v, digits=1):
        return "-" if v is None else f"{v:.{digits}f}"

    def verdict(v, target, original):
        if v is None:
            return "NOT MEASURED"
        bar = target if target is not None else original
        if bar is None:
            return ""
        op = "<=" if target is not None else "<"
        ok = v <= bar if target is not None else v < bar
        return f"{'met' if ok else 'MISSED'} ({op} {bar})"

    print("== Cortex-M4 (qemu-system-arm -M mps2-an386, insn_count plugin; executed Thumb-2 instructions) ==")
    print(f"{'measure':<34} {'femto-vm':>10} {'original':>9}  target                {'compact':>8}")

    def per_op(run, name):
        """Instructions per measured op in section `run`.NAME (the baseline program's cost taken off)."""
        c, base = cost(f"{run}.{name}"), cost(f"{run}.baseline")
        if c is None or base is None or name not in ebpf or "baseline" not in ebpf:
            return None
        ops = ebpf[name] - ebpf["baseline"]
        return (c - base) / ops if ops > 0 else None

    for name, label, orig, target in PER_OP:
        n, k = per_op("run", name), per_op("run_compact", name)
        if n is not None:
            figures.append((f"cm4.{name}.insns_per_op", f"{n:.1f}", "insns"))
        else:
            failed = True
        if k is not None:
            figures.append((f"cm4.compact.{name}.insns_per_op", f"{k:.1f}", "insns"))
        else:
            failed = True
        print(f"{label + ' (insns/op)':<34} {fmt(n):>10} {orig if orig is not None else '-':>9}  "
              f"{verdict(n, target, orig):<21} {fmt(k):>8}")

    vm = cost("run.fletcher32.vm")
    native = cost("run.fletcher32.native")
    ratio = vm / native if vm and native else None
    fl_insns = ebpf.get("fletcher32")
    print(f"{'fletcher32 native (insns)':<34} {fmt(native, 0):>10} {1287:>9}")
    print(f"{'fletcher32 in VM (insns)':<34} {fmt(vm, 0):>10} {71508:>9}")
    print(f"{'fletcher32 eBPF insns executed':<34} {fl_insns if fl_insns else '-':>10} {2559:>9}")
    per_ebpf = vm / fl_insns if vm and fl_insns else None
    print(f"{'fletcher32 insns per eBPF insn':<34} {fmt(per_ebpf):>10} {71508 / 2559:>9.1f}")
    compact = cost("run.fletcher32.vm_compact")
    kratio = compact / native if compact and native else None
    print(f"{'fletcher32 VM / native':<34} {fmt(ratio):>10} {55.6:>9}  {verdict(ratio, 40, 55.6):<21} {fmt(kratio):>8}")
    if kratio is not None:
        figures.append(("cm4.compact.fletcher32.vm_over_native", f"{kratio:.1f}", "x"))
    else:
        failed = True
    counted = cost("run.fletcher32.vm_counted")
    cratio = counted / native if counted and native else None
    print(f"{'fletcher32 VM metered / native':<34} {fmt(cratio):>10} {'-':>9}  (as the capsule runs containers)")
    untranslated = cost("run.fletcher32.vm_untranslated")
    uratio = untranslated / native if untranslated and native else None
    print(f"{'fletcher32 VM untranslated / native':<34} {fmt(uratio):>10} {'-':>9}  (the same program without pre-decoding)")
    if uratio is not None:
        figures.append(("cm4.fletcher32.untranslated_over_native", f"{uratio:.1f}", "x"))
    trivial = cost("run.container.trivial")
    print(f"{'container run, trivial (insns)':<34} {fmt(trivial, 0):>10} {'-':>9}  (the VM's share: map, run 2 insns, metered)")
    # The capsule's whole hook path (FemtoHooks::fire on a bare-metal Tock
    # kernel with one fake process; tools/bench/cm4/src/tock.rs).
    for name, label, figure in [
        ("hook.fire_empty", "hook fire, nothing attached", "cm4.hook.fire_empty.insns"),
        ("hook.fire_one_trivial", "hook fire, 1 trivial container", "cm4.hook.fire_one_trivial.insns"),
        ("hook.fire_one_trivial_rw", "hook fire, same, writable ctx", "cm4.hook.fire_one_trivial_rw.insns"),
        ("hook.fire_one_helper", "hook fire, 1 fc_now_ms container", "cm4.hook.fire_one_helper.insns"),
    ]:
        c = cost(name)
        print(f"{label:<34} {fmt(c, 0):>10} {'-':>9}  (insns)")
        if c is not None:
            figures.append((figure, f"{c}", "insns"))
        else:
            failed = True
    if cratio is not None:
        figures.append(("cm4.fletcher32.vm_metered_over_native", f"{cratio:.1f}", "x"))
    if trivial is not None:
        figures.append(("cm4.container.trivial_run_insns", f"{trivial}", "insns"))
    if native is not None:
        figures.append(("cm4.fletcher32.native_insns", f"{native}", "insns"))
    if vm is not None:
        figures.append(("cm4.fletcher32.vm_insns", f"{vm}", "insns"))
    if fl_insns:
        figures.append(("cm4.fletcher32.ebpf_insns", f"{fl_insns}", "insns"))
    if per_ebpf is not None:
        figures.append(("cm4.fletcher32.insns_per_ebpf_insn", f"{per_ebpf:.1f}", "insns"))
    if ratio is not None:
        figures.append(("cm4.fletcher32.vm_over_native", f"{ratio:.1f}", "x"))
    else:
        failed = True

    # Verifier: marginal cost per instruction (the 1000-op programs minus the
    # 4-instruction baseline), and whole-program cost per instruction.
    vb = cost("verify.baseline")
    marg = []
    for name, *_ in PER_OP:
        v = cost(f"verify.{name}")
        if v is not None and vb is not None and name in slots and "baseline" in slots:
            marg.append((v - vb) / (slots[name] - slots["baseline"]))
    if marg:
        m = sum(marg) / len(marg)
        print(f"{'verify: insns per eBPF insn':<34} {m:>10.1f} {'-':>9}  (marginal, mean of the 1000-insn programs)")
        figures.append(("cm4.verify.insns_per_ebpf_insn", f"{m:.1f}", "insns"))
    else:
        failed = True
    for prog in ("fletcher32", "bubble_sort"):
        v = cost(f"verify.{prog}")
        if v is not None and prog in slots:
            print(f"{'verify ' + prog + ' (insns/slot)':<34} {v / slots[prog]:>10.1f} {'-':>9}  ({v} insns, {slots[prog]} slots)")
            figures.append((f"cm4.verify.{prog}.insns_per_ebpf_insn", f"{v / slots[prog]:.1f}", "insns"))

    print()
    host_lines = open(host_out).read().splitlines()
    for line in host_lines:
        if not line.startswith("figure:"):
            print(line)
    for line in host_lines:
        m = re.match(r"figure: (host\.\w+\.speedup_vs_rbpf) = ([0-9.]+) x", line)
        if m:
            v = float(m.group(2))
            print(f"{m.group(1):<34} {v:>10.2f} {'-':>9}  {'met' if v >= 4 else 'MISSED'} (>= 4)")
    print()
    for name, value, unit in figures:
        print(f"figure: {name} = {value} {unit}")
    for line in host_lines:
        if line.startswith("figure:"):
            print(line)
    for needed in ["host.fletcher32.speedup_vs_rbpf", "host.bubble_sort.speedup_vs_rbpf", "host.loop.speedup_vs_rbpf"]:
        if not any(l.startswith(f"figure: {needed} ") for l in host_lines):
            print(f"error: figure {needed} missing")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
