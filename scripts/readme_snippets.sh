#!/usr/bin/env bash
# The README's snippets run as written: the main job, the Rust quick start, the C program with
# `make install` and pkg-config (shared and static), the Python quick start and the CLI examples.
# The Node quick start runs in bindings/node/scripts/release-layout.sh, against the packed package
# and under tsc. Each block is cut out of README.md by its section and language, so an edit to the
# README is what gets tested. Runs in a temporary folder (HOME too); the tree stays clean.
# Needs .venv with kohi installed
# (scripts/test.sh runs this after its python layer).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"

block() { "$ROOT/scripts/readme_block.sh" "$@"; }
expect() { grep -qF -- "$2" "$1" || { echo "README snippet: '$2' not in $1:" >&2; cat "$1" >&2; exit 1; }; }

echo "-- the main job (the first command of the README)"
main_job="$(sed -n '/^```sh$/{n;p;q}' README.md | sed 's/ *#.*//')"
[ "$main_job" = "cargo run --release -p kohi-cli" ] || { echo "the README starts with: $main_job" >&2; exit 1; }
$main_job > "$WORK/main.txt" 2>/dev/null || true
expect "$WORK/main.txt" "公費 in slots"

echo "-- Rust quick start (compiled as a program against the core crate)"
mkdir -p "$WORK/rust/src"
cat > "$WORK/rust/Cargo.toml" <<TOML
[package]
name = "readme-quick-start"
version = "0.0.0"
edition = "2024"
publish = false
[workspace]
[dependencies]
kohi = { path = "$ROOT/core" }
TOML
{ echo 'fn main() -> Result<(), kohi::Error> {'; block "Rust quick start" rust; echo '    let _ = json;'; echo '    Ok(())'; echo '}'; } > "$WORK/rust/src/main.rs"
CARGO_TARGET_DIR="$ROOT/target/readme" cargo run -q --manifest-path "$WORK/rust/Cargo.toml" > "$WORK/rust.txt"
expect "$WORK/rust.txt" "52136017"

echo "-- C: make install, pkg-config, shared and static, as written"
block "C (" c > "$WORK/app.c"
block "C (" sh > "$WORK/c.sh"
ln -s "$ROOT/fixtures" "$WORK/fixtures"
# The snippet runs beside app.c, in the temporary folder; its `make` is the repository's.
mkdir -p "$WORK/shim"
printf '#!/bin/sh\nexec %s -C "%s" "$@"\n' "$(command -v make)" "$ROOT" > "$WORK/shim/make"
chmod +x "$WORK/shim/make"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"   # HOME changes below
(cd "$WORK" && HOME="$WORK/home" PATH="$WORK/shim:$PATH" bash -euo pipefail c.sh) > "$WORK/c.txt"
expect "$WORK/c.txt" "1 52136017"
expect "$WORK/c.txt" "2 88131016"
# The SONAME is the ABI version: 0.<minor> before 1.0, then the major (ffi/build.rs, Makefile).
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)"
abi="$(echo "$version" | awk -F. '{ print ($1 == "0") ? "0." $2 : $1 }')"
[ "$version" != "0.1.0" ] || [ "$abi" = "0.1" ]
readelf -d "$WORK/home/.local/lib/libkohi.so.$version" | grep -q "Library soname: \[libkohi.so.$abi\]"
readelf -d "$WORK/app" | grep -q "Shared library: \[libkohi.so.$abi\]"
[ "$(readlink "$WORK/home/.local/lib/libkohi.so.$abi")" = "libkohi.so.$version" ]
(cd "$WORK" && ./app-static fixtures/face_pmh_two.xml) > "$WORK/c-static.txt"
expect "$WORK/c-static.txt" "1 52136017"
make -s -C "$ROOT" uninstall PREFIX="$WORK/home/.local"
[ -z "$(find "$WORK/home/.local" -type f -o -type l)" ] || { echo "make uninstall left files" >&2; exit 1; }

echo "-- Python quick start"
block "Python (" python > "$WORK/quick.py"
.venv/bin/python "$WORK/quick.py" > "$WORK/py.txt"
expect "$WORK/py.txt" "1 52 52136017 1234566 2026-03-31"
expect "$WORK/py.txt" "malformed_xml"

echo "-- the kohi command's examples"
mkdir -p "$WORK/cli/bin"
ln -s "$ROOT/target/release/kohi" "$WORK/cli/bin/kohi"
ln -s "$ROOT/fixtures" "$WORK/cli/fixtures"
block 'The `kohi` command' sh > "$WORK/cli/examples.sh"
(cd "$WORK/cli" && PATH="$WORK/cli/bin:$PATH" bash -euo pipefail examples.sh) > "$WORK/cli.txt" 2>&1
expect "$WORK/cli.txt" "52136017	payer	ok"
expect "$WORK/cli.txt" "2 file(s)"
expect "$WORK/cli.txt" '[{"change":"added"'
grep -q '"file":"fixtures/webapi/face_pmh_two.json"' "$WORK/cli/results.jsonl"

echo "-- a consumer acknowledging kohi watch's lines on its standard input (the folder and an idle exit put in)"
for folder in req res face; do mkdir -p "$WORK/oqs/$folder"; done
cp fixtures/face_pmh_two.xml "$WORK/oqs/face/OQSsiquc01res_face_1.xml"
cp fixtures/insured_card_sjis.xml "$WORK/oqs/res/OQSsiquc01res_2.xml"
{ echo 'def store(event): print("stored", event["file"].rsplit("/", 1)[-1])'
  block "Using kohi at the terminal" python 1 | sed "s|\"/mnt/oqs\", |\"$WORK/oqs\", \"--settle\", \"50\", \"--idle-exit\", \"1\", |"
} > "$WORK/consumer.py"
PATH="$WORK/cli/bin:$PATH" .venv/bin/python "$WORK/consumer.py" > "$WORK/consumer.txt" 2>&1
expect "$WORK/consumer.txt" "stored OQSsiquc01res_face_1.xml"
expect "$WORK/consumer.txt" "stored OQSsiquc01res_2.xml"
# Both acknowledged by the consumer: a second run prints nothing.
[ -z "$("$ROOT/target/release/kohi" watch "$WORK/oqs" --settle 50 --idle-exit 1 </dev/null)" ] \
  || { echo "README consumer: lines it acknowledged came again" >&2; exit 1; }

echo "-- Python's async inbox (the folder and an idle exit put in)"
mkdir -p "$WORK/oqs2/res" "$WORK/oqs2/face"
cp fixtures/face_pmh_two.xml "$WORK/oqs2/face/OQSsiquc01res_face_1.xml"
{ echo 'import asyncio, kohi'
  echo 'async def store(event): print("stored", event.kind, len(event.result.patients[0].kohi))'
  block "Using kohi at the terminal" python 3 | sed "s|kohi.watch(\"/mnt/oqs\")|kohi.watch(\"$WORK/oqs2\", idle_timeout=1.0, settle=0.05)|"
} > "$WORK/async_consumer.py"
.venv/bin/python "$WORK/async_consumer.py" > "$WORK/async_consumer.txt" 2>&1
expect "$WORK/async_consumer.txt" "stored face 2"

echo "README snippets: all ran as written"
