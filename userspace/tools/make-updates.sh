#!/usr/bin/env bash
# Signed envelopes for tutorial 4 (secure update) and the QEMU end-to-end
# scenario "secure-update", made with the host tool `femto`:
#
#   v1.signed v2.signed v3.signed   blinky v1/v2/v3 (return 1/2/3), sequence 1/2/3,
#                                   signed with the DEMO key for qemu_rv32_virt
#   tampered.signed                 v3.signed with the last image byte flipped
#   wrongkey.signed                 blinky v3, sequence 3, signed with a key the
#                                   board does not trust (fresh `femto keygen`)
#   truncated.signed                the first half of v3.signed (cut inside
#                                   the COSE part)
#   short.signed                    v3.signed without its last 16 bytes (the
#                                   signed part whole, the image cut)
#   <name>.frame                    each of them as a serial frame
#                                   ("FCUP" + u32 LE length + envelope, as
#                                   `femto deploy --serial` sends it)
#   stalled.frame                   a transfer of v3 that stops halfway (the header
#                                   announces the whole envelope, half of it follows),
#                                   then the sender starts over with the whole v3 frame
#   end.frame                       the end-of-session frame (length 0)
#
# usage: make-updates.sh FEMTO CONTAINER_DIR OUT_DIR DEMO_KEY
set -euo pipefail
femto=$1 containers=$2 out=$3 demo_key=$4
target=qemu_rv32_virt
mkdir -p "$out"

for v in 1 2 3; do
    "$femto" sign "$containers/blinky_v$v.fc" --key "$demo_key" --seq "$v" \
        --target "$target" -o "$out/v$v.signed" >/dev/null
done
# A key the board does not trust, new on every build.
"$femto" keygen "$out/other.key" --force >/dev/null
"$femto" sign "$containers/blinky_v3.fc" --key "$out/other.key" --seq 3 \
    --target "$target" -o "$out/wrongkey.signed" >/dev/null

python3 - "$out" <<'PY'
import sys
from pathlib import Path
out = Path(sys.argv[1])
v3 = (out / "v3.signed").read_bytes()
tampered = bytearray(v3)
tampered[-1] ^= 0x01            # the image is the envelope's tail
(out / "tampered.signed").write_bytes(bytes(tampered))
(out / "truncated.signed").write_bytes(v3[: len(v3) // 2])
(out / "short.signed").write_bytes(v3[:-16])
for env in ["v1", "v2", "v3", "tampered", "wrongkey", "truncated", "short"]:
    data = (out / f"{env}.signed").read_bytes()
    (out / f"{env}.frame").write_bytes(b"FCUP" + len(data).to_bytes(4, "little") + data)
(out / "end.frame").write_bytes(b"FCUP" + (0).to_bytes(4, "little"))
v3_frame = (out / "v3.frame").read_bytes()
(out / "stalled.frame").write_bytes(v3_frame[: 8 + len(v3) // 2] + v3_frame)
PY
