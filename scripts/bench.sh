#!/usr/bin/env bash
# Every benchmark, then the table in docs/BENCHMARKS.md is rewritten:
#   core parse + map and the raw quick-xml scan (divan), peak RSS per input byte for 10k- and
#   100k-unit bulk files (whole and streamed) and for 10,000 held face results, and the peer
#   comparison in Python and Node.
# Run on an idle machine: the numbers are wall-clock.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target/bench
cargo bench --locked -p kohi --bench parse 2>/dev/null | tee target/bench/core.txt
cargo build --locked -q --release -p kohi --example stream_rss
: > target/bench/stream.jsonl
for units in 10000 100000; do
  for mode in "" --whole; do
    target/release/examples/stream_rss "$units" $mode | tee -a target/bench/stream.jsonl
  done
done
target/release/examples/stream_rss --face 10000 | tee -a target/bench/stream.jsonl
# Rust peers (CPU time, interleaved rounds, medians): kohi, a hand-written quick-xml extractor,
# roxmltree, quick-xml serde and the bare event loop, on face, Shift_JIS and 1k/10k/100k bulk.
cargo run --locked -q --release -p kohi-bench | tee target/bench/rust_peers.jsonl
# kohi::parse again with mimalloc as the allocator (the bindings' own), so that the table can
# tell the allocator's part of a figure (the flatness from 1k to 100k units) from kohi's.
cargo run --locked -q --release -p kohi-bench --features mimalloc -- --only kohi::parse \
  | tee target/bench/rust_peers_mimalloc.jsonl
# And once more with every allocation of kohi::parse from a bump region and the document dropped
# in O(1) (bench/rust/src/arena.rs): the most a model backed by one arena per document could gain.
cargo run --locked -q --release -p kohi-bench --features arena-ceiling -- --only kohi::parse \
  | tee target/bench/rust_peers_arena.jsonl
bench/peers/run.sh
python3 bench/render.py
echo "docs/BENCHMARKS.md updated"
