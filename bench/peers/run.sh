#!/usr/bin/env bash
# Peer comparison, one run, same files and machine: kohi (release builds of the Python and Node
# bindings) vs lxml / ElementTree / xmltodict and saxes / fast-xml-parser / xml-js, installed
# (pinned) into throwaway environments under target/bench/, on the face result, the Shift_JIS
# result and 1k/10k/100k-unit bulk files (written by bench/rust, the same bytes its peers read).
# Writes JSON lines to target/bench/peers.jsonl. PEER_ARGS (say "--rounds 1 --window 0.01")
# shortens a run.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=target/bench
mkdir -p "$OUT"

[ -x "$OUT/py/bin/python" ] || python3 -m venv "$OUT/py"
"$OUT/py/bin/python" -m pip install -q --disable-pip-version-check -r bench/peers/requirements.txt
"$OUT/py/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python

mkdir -p "$OUT/node-peers" "$OUT/node-kohi"
cp bench/peers/package.json bench/peers/package-lock.json "$OUT/node-peers/"
(cd "$OUT/node-peers" && npm ci --no-audit --no-fund --loglevel=error)
(cd bindings/node && npm ci --no-audit --no-fund --loglevel=error \
  && npm run --silent build -- --output-dir "$ROOT/$OUT/node-kohi" >/dev/null)
cp bindings/node/index.js "$OUT/node-kohi/"

cargo run --locked -q --release -p kohi-bench -- --write-bulk "$OUT" >/dev/null
FILES=("face:fixtures/face_pmh_two.xml:UTF-8" "sjis:fixtures/insured_card_sjis.xml:Shift_JIS")
for units in 1000 10000 100000; do FILES+=("bulk_$units:$OUT/bulk_$units.xml:UTF-8"); done
read -r -a ARGS <<< "${PEER_ARGS:-}"
"$OUT/py/bin/python" bench/peers/python_peers.py "${ARGS[@]}" "${FILES[@]}" | tee "$OUT/peers.jsonl"
NODE_PATH="$ROOT/$OUT/node-peers/node_modules" KOHI_NODE="$ROOT/$OUT/node-kohi" \
  node bench/peers/node_peers.js "${ARGS[@]}" "${FILES[@]}" | tee -a "$OUT/peers.jsonl"
