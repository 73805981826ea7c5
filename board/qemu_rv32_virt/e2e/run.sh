#!/usr/bin/env bash
# End-to-end tests of the QEMU kernel: see run.py (same arguments).
exec python3 "$(dirname "$0")/run.py" "$@"
