#!/usr/bin/env python3
"""Annotated disassembly of a measured section of the Cortex-M4 benchmark.

usage: profile.py FIRMWARE_ELF CM4_STDOUT PROFILE_OUT [MIN_COUNT]

PROFILE_OUT is the insn_count plugin's output with `profile=ID` (`pc ADDR N`
lines). Prints every executed instruction of the section with its execution
count, in address order, grouped by function, and the total.
"""
import re
import subprocess
import sys


def main():
    elf, _cm4, prof = sys.argv[1:4]
    min_count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    counts = {}
    for line in open(prof):
        p = line.split()
        if len(p) == 3 and p[0] == "pc":
            counts[int(p[1], 16)] = int(p[2])
    dis = subprocess.run(["llvm-objdump", "-d", "--no-show-raw-insn", "-C", elf],
                         capture_output=True, text=True, check=True).stdout
    func = None
    total = 0
    shown_func = None
    for line in dis.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if m:
            func = m.group(2)
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(.*)$", line)
        if not m:
            continue
        pc = int(m.group(1), 16)
        n = counts.get(pc, 0)
        total += n
        if n >= min_count:
            if func != shown_func:
                print(f"\n<{func}>")
                shown_func = func
            print(f"{n:>10}  {pc:08x}  {m.group(2)}")
    print(f"\ntotal executed in section: {total}")


if __name__ == "__main__":
    main()
