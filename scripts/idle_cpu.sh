#!/usr/bin/env bash
# Hardening: an idle inbox costs nothing. `kohi watch` on a folder holding 500 delivered files
# and one that does not parse (waiting out give_up_after) must use under 5 % of one core over
# 5 s. The watcher used to rescan on its own inotify open events: 4.6 s of CPU in 5 s.
#   scripts/idle_cpu.sh target/release/kohi
set -euo pipefail
KOHI=${1:-target/release/kohi}
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/req" "$ROOT/res" "$ROOT/face"
for i in $(seq -w 1 500); do cp fixtures/face_pmh_two.xml "$ROOT/face/OQSsiquc01res_face_x_$i.xml"; done
# Deliver and acknowledge them once.
"$KOHI" watch "$ROOT" --settle 50 --idle-exit 1 > "$ROOT/.first.jsonl"
delivered=$(wc -l < "$ROOT/.first.jsonl")
[ "$delivered" -eq 500 ] || { echo "expected 500 deliveries, got $delivered" >&2; exit 1; }
printf '<XmlMsg><MessageBody>' > "$ROOT/res/OQSsiquc01res_broken.xml"

"$KOHI" watch "$ROOT" --give-up-after 600000 > "$ROOT/.second.jsonl" &
pid=$!
sleep 1 # startup: the ledger and one look at every file
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before=$(ticks)
sleep 5
after=$(ticks)
kill "$pid"
wait "$pid" 2>/dev/null || true
hz=$(getconf CLK_TCK)
# CPU seconds * 100 / 5 s = percent of one core.
percent=$(( (after - before) * 100 / hz / 5 ))
echo "idle watcher: $((after - before)) ticks of CPU in 5 s ($percent % of one core; limit 5 %)"
[ ! -s "$ROOT/.second.jsonl" ] || { echo "nothing should have been delivered again" >&2; exit 1; }
[ "$percent" -lt 5 ]
