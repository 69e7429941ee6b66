#!/usr/bin/env bash
# Every test of kohi. Later layers (C, Python, Node) add their sections here.
#   ./scripts/test.sh
# Needs only cargo; installs nothing globally.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==== %s (%ss)\n' "$1" "$SECONDS"; }

# Pinned so a new release cannot change the verdict of an old commit.
export PROPTEST_CASES="${PROPTEST_CASES:-10000}"

step "format"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "rust tests (unit, golden, mapping, parse, reconcile, PII, properties ${PROPTEST_CASES} cases, CLI, doc)"
mkdir -p target
cargo test --workspace --locked 2>&1 | tee target/rust-tests.log

step "rust example on the bundled fixtures"
cargo run -q --locked -p kohi --example slots -- fixtures/face_pmh_two.xml fixtures/pmh_three_out_of_order.xml \
  | tee target/example-slots.txt
grep -q "第1公費 21136015 3000015" target/example-slots.txt

step "benchmarks compile (run them with: cargo bench -p kohi)"
cargo bench --locked -p kohi --no-run -q

step "main job: the README's first command"
cargo run -q --release --locked -p kohi-cli > target/main-job.txt
grep -q "第1  52136017" target/main-job.txt

step "done"
# One closing line for every suite run above (later layers append their counts to the logs).
awk '/^test result:/ { p += $4; f += $6 } END { printf "%d passed, %d failed\n", p, f }' target/rust-tests.log
