#!/usr/bin/env bash
# Runs `run.sh` and `size.sh` and replaces the block between the
# FIGURES-BEGIN / FIGURES-END markers of doc/performance.md with their output,
# the date and the commit measured.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DOC="$ROOT/doc/performance.md"
out="$(mktemp)"
{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- vm || echo ' (vm/ with uncommitted changes)') by \`tools/bench/doc-figures.sh\`."
    echo
    echo '```'
    "$HERE/run.sh" 2>/dev/null
    echo
    "$HERE/size.sh" 2>/dev/null
    echo '```'
} >"$out"
python3 - "$DOC" "$out" <<'PY'
import sys
doc, new = sys.argv[1], open(sys.argv[2]).read()
s = open(doc).read()
begin, end = "<!-- FIGURES-BEGIN -->", "<!-- FIGURES-END -->"
a = s.index(begin) + len(begin)
b = s.index(end)
s = s[:a] + "\n" + new + s[b:]
open(doc, "w").write(s)
PY
rm -f "$out"
echo "updated $DOC" >&2
