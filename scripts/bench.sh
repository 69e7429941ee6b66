#!/usr/bin/env bash
# Every benchmark, then the table in docs/BENCHMARKS.md is rewritten:
#   core parse + map and the raw quick-xml scan (divan), and the peer comparison in Python and Node.
# Run on an idle machine: the numbers are wall-clock.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
cargo bench --locked -p kohi --bench parse 2>/dev/null | tee target/bench/core.txt
bench/peers/run.sh
python3 bench/render.py
echo "docs/BENCHMARKS.md updated"
