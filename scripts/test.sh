#!/usr/bin/env bash
# Every test of kohi, by layer:
#   ./scripts/test.sh [rust|c|python|node|readme|dotnet|pascal|hardening|all]...   (default: all)
# `all` runs every layer in order; CI runs it. `hardening` uses the Python and Node builds, so
# run it after `python` and `node` (or with `all`).
# Needs cargo, gcc, python3, node, mono (mcs), fpc and strace on PATH (.ci/run installs mono, fpc and strace). Installs, pinned and only if missing: cbindgen and
# cargo-fuzz (`cargo install --locked`), the Python venv `.venv/` and `bindings/node/node_modules/`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==== %s (%ss)\n' "$1" "$SECONDS"; }

# `refused_with OUT PATTERN CMD…`: CMD must fail, and its output (kept in OUT) must match PATTERN.
refused_with() {
  local out="$1" pattern="$2"
  shift 2
  if "$@" >"$out" 2>&1; then
    echo "expected to fail, and it ran: $*" >&2
    exit 1
  fi
  grep -q -e "$pattern" "$out" || { echo "failed without saying /$pattern/ ($out)" >&2; exit 1; }
}

# Pinned so a new release cannot change the verdict of an old commit.
export PROPTEST_CASES="${PROPTEST_CASES:-10000}"
CBINDGEN_VERSION=0.29.4
ROOT=$PWD
LOGS=target/test-logs
# The benchmark peers' smoke runs (Python and Node layers): the harness's own files, small.
PEER_FILES=(face:fixtures/face_pmh_two.xml:UTF-8 sjis:fixtures/insured_card_sjis.xml:Shift_JIS
  bulk:fixtures/bulk_three_units.xml:UTF-8)
# Every harness line ends with its fastest and slowest round (Python and Rust write ": ",
# Node ":").
ROUNDS_SPREAD='"cpu_us_fastest": ?[0-9.]+, ?"cpu_us_slowest": ?[0-9.]+\}$'
rm -rf "$LOGS" && mkdir -p "$LOGS"

# Format, lint, the Rust tests (core, inbox, CLI), the example, the benchmarks build, the main job.
layer_rust() {
  step "format"
  cargo fmt --all --check

  step "clippy"
  cargo clippy --workspace --all-targets --locked -- -D warnings
  # kohi-bench's allocator builds (one allocator each, so one build each): the arena ceiling's
  # allocator is unsafe code that no default build compiles.
  for feature in mimalloc arena-ceiling; do
    cargo clippy -p kohi-bench --all-targets --locked --features "$feature" -- -D warnings
  done

  step "rust tests: default members, no pyo3/napi (unit, golden, mapping, parse, reconcile, PII, properties ${PROPTEST_CASES} cases, inbox, CLI incl. kill -9 of the watcher, doc)"
  cargo test --locked 2>&1 | tee "$LOGS/rust.log"

  step "rustdoc: every public item documented, no broken link (as docs.rs builds it)"
  RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps --all-features -p kohi -p kohi-terminal 2>&1 | tail -n 1

  step "rust example on the bundled fixtures"
  cargo run -q --locked -p kohi --example slots -- fixtures/face_pmh_two.xml fixtures/pmh_three_out_of_order.xml \
    | tee target/example-slots.txt
  grep -q "第1公費 21136015 3000015" target/example-slots.txt

  step "benchmarks compile (run them with: cargo bench -p kohi)"
  cargo bench --locked -p kohi --no-run -q

  step "benchmark peers (bench/rust): every peer finds what kohi finds; one short round of the harness runs"
  cargo test --locked -q -p kohi-bench 2>&1 | tee "$LOGS/bench-peers.log"
  cargo run --locked -q -p kohi-bench -- --quick --window-ms 1 > target/bench-peers-smoke.jsonl
  test "$(grep -c '"tool"' target/bench-peers-smoke.jsonl)" -eq 17
  # Each line also says how much of its time was the kernel's (docs/BENCHMARKS.md, the 100k state).
  test "$(grep -c '"sys_us": [0-9.]*, "faults_per_doc": [0-9]*, "faults_fewest"' target/bench-peers-smoke.jsonl)" -eq 17
  test "$(grep -c '"allocator": "system"' target/bench-peers-smoke.jsonl)" -eq 17
  # And its fastest and slowest rounds (the targets table says when a goal is within them).
  test "$(grep -cE "$ROUNDS_SPREAD" target/bench-peers-smoke.jsonl)" -eq 17
  # Its command line: help, refusals that name the problem, and a reader that leaves early.
  cargo run --locked -q -p kohi-bench -- --help | grep -q "^usage: kohi-bench"
  refused_with target/bench-peers-flag.txt 'unknown argument "--round"' cargo run --locked -q -p kohi-bench -- --round 3
  refused_with target/bench-peers-flag.txt "no tool's name starts with" cargo run --locked -q -p kohi-bench -- --repeat nothing 1 1
  refused_with target/bench-peers-flag.txt '--rounds takes a number, not "x"' cargo run --locked -q -p kohi-bench -- --rounds x
  cargo run --locked -q -p kohi-bench -- --quick --window-ms 1 2>target/bench-peers-closed.txt | head -n 1 >/dev/null
  if grep -q "panicked" target/bench-peers-closed.txt; then echo "kohi-bench panicked when its reader left" >&2; exit 1; fi
  refused_with target/bench-peers-flag.txt "no tool's name starts with" cargo run --locked -q -p kohi-bench -- --only nothing
  # The mimalloc build scripts/bench.sh runs beside the peers: kohi::parse alone, on every file
  # (it and the arena build last here, as switching the feature relinks the binary).
  cargo run --locked -q -p kohi-bench --features mimalloc -- --quick --window-ms 1 --only kohi::parse \
    > target/bench-peers-mimalloc.jsonl
  test "$(grep -c '"allocator": "mimalloc", "file": "[a-z_0-9]*", "bytes": [0-9]*, "tool": "kohi::parse"' \
    target/bench-peers-mimalloc.jsonl)" -eq 3
  test "$(wc -l < target/bench-peers-mimalloc.jsonl)" -eq 3
  # And the arena-ceiling build (kohi::parse in a bump region, its document forgotten), which
  # checks first on every input that nothing made during a parse outlives its document; its
  # test shows that check catching a block that does.
  cargo test --locked -q -p kohi-bench --features arena-ceiling --test arena 2>&1 | tee -a "$LOGS/bench-peers.log"
  cargo run --locked -q -p kohi-bench --features arena-ceiling -- --quick --window-ms 1 --only kohi::parse \
    > target/bench-peers-arena.jsonl
  test "$(grep -c '"allocator": "arena-ceiling", "file": "[a-z_0-9]*", "bytes": [0-9]*, "tool": "kohi::parse"' \
    target/bench-peers-arena.jsonl)" -eq 3
  test "$(wc -l < target/bench-peers-arena.jsonl)" -eq 3
  # The table scripts/bench.sh writes: a target not met says by how much and why.
  python3 -B bench/test_render.py

  step "main job: the README's first command"
  cargo run -q --release --locked -p kohi-cli > target/main-job.txt
  grep -q "第1  52136017" target/main-job.txt

  step "crates.io: the four published crates package with their licences and build from their packages alone"
  local published=(kohi kohi-terminal kohi-ffi kohi-cli)
  for crate in "${published[@]}"; do
    files=$(cargo package --locked --allow-dirty --list -p "$crate" 2>/dev/null)
    for file in LICENSE-MIT LICENSE-APACHE README.md Cargo.toml; do
      grep -qx "$file" <<<"$files" || { echo "the $crate package lacks $file" >&2; exit 1; }
    done
  done
  # cargo verifies a workspace's packages against a temporary local registry. It unpacks them
  # into $CARGO_HOME/registry/src/-<hash of that registry's path>/<crate>-<version> and builds
  # them as registry crates, which it takes to be immutable: it never unpacks a version again
  # once that folder exists, and never rebuilds one its target folder has built. A second run
  # in the same checkout path (CI reuses its path and cargo home) so built kohi-cli against the
  # previous run's kohi, and a new kohi API failed as "no method found". So: our own crates'
  # unpacked copies go first (the "-" prefix is the unnamed local registry, never crates.io),
  # and verification builds in a target folder of its own, emptied first.
  local version verify_target=target/package-verify
  version=$(cargo pkgid --locked -p kohi | sed 's/.*[@#]//')
  for crate in "${published[@]}"; do
    rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/"$crate-$version"
  done
  rm -rf "$verify_target"
  # --allow-dirty: a developer's uncommitted work is packaged as it is (CI's clone is clean).
  if ! cargo package --locked --allow-dirty --target-dir "$verify_target" "${published[@]/#/-p}" \
    >"$LOGS/package.log" 2>&1; then
    tail -n 30 "$LOGS/package.log" >&2
    exit 1
  fi
  ls "$verify_target"/package/*.crate
}

# libkohi: header drift and macros, C and C++ builds, the suites under valgrind, helgrind and LeakSanitizer, the example.
layer_c() {
  step "C: build libkohi (static and shared)"
  cargo build --locked -q
  mkdir -p target/c
  CFLAGS=(-std=c11 -Wall -Wextra -Werror -Iffi/include)
  STATIC_LIBS=(target/debug/libkohi.a -lpthread -ldl -lm)
  SHARED_LIBS=(-Ltarget/debug -lkohi "-Wl,-rpath,$ROOT/target/debug" -lpthread)

  step "C: kohi.h has not drifted from the Rust sources (cbindgen $CBINDGEN_VERSION)"
  if ! cbindgen --version 2>/dev/null | grep -qx "cbindgen $CBINDGEN_VERSION"; then
    cargo install cbindgen --version "$CBINDGEN_VERSION" --locked -q
  fi
  cbindgen --quiet --config ffi/cbindgen.toml --crate kohi-ffi --output target/c/kohi.h
  diff -u ffi/include/kohi.h target/c/kohi.h
  # The ABI as data (enums, defines, functions) for generators of other languages' declarations.
  python3 scripts/abi_table.py --check

  step "C: every macro of kohi.h compiles as an expression in C (a macro that is not C, such as an array initialiser, fails here)"
  {
    echo '#include "kohi.h"'
    echo 'int main(void) {'
    awk '/^#define / && $2 != "KOHI_H" { printf "    (void)(%s);\n", $2 }' ffi/include/kohi.h
    echo '    return 0;'
    echo '}'
  } > target/c/macro_check.c
  gcc "${CFLAGS[@]}" target/c/macro_check.c -o target/c/macro_check
  grep -c '(void)' target/c/macro_check.c

  step "C: the header also compiles as C++"
  printf '#include "kohi.h"\nint main(void) { kohi_result_free(nullptr); return (int)KOHI_STATUS_OK; }\n' > target/c/cpp_check.cpp
  g++ -std=c++17 -Wall -Wextra -Werror -Iffi/include target/c/cpp_check.cpp "${STATIC_LIBS[@]}" -o target/c/cpp_check
  target/c/cpp_check

  step "C: tests against the static and the shared library"
  gcc "${CFLAGS[@]}" ffi/tests/c/test_kohi.c "${STATIC_LIBS[@]}" -o target/c/test_kohi_static
  gcc "${CFLAGS[@]}" ffi/tests/c/test_kohi.c "${SHARED_LIBS[@]}" -o target/c/test_kohi_shared
  target/c/test_kohi_static fixtures | tee "$LOGS/c-static.log"
  target/c/test_kohi_shared fixtures | tee "$LOGS/c-shared.log"

  step "C: the same suite under valgrind (zero leaks, zero errors)"
  for variant in static shared; do
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --show-leak-kinds=definite,indirect,possible \
      --error-exitcode=1 "target/c/test_kohi_$variant" fixtures | tail -n 1
  done

  step "C: abuse suite (NULL everywhere, out of range, invalid UTF-8, 8+8 threads): memcheck and helgrind"
  gcc "${CFLAGS[@]}" ffi/tests/c/test_abuse.c "${STATIC_LIBS[@]}" -o target/c/test_abuse
  target/c/test_abuse fixtures | tee "$LOGS/c-abuse.log"
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
    target/c/test_abuse fixtures | tail -n 1
  valgrind -q --tool=helgrind --error-exitcode=1 target/c/test_abuse fixtures | tail -n 1

  step "C: both suites under LeakSanitizer (gcc -fsanitize=leak)"
  for suite in test_kohi test_abuse; do
    gcc "${CFLAGS[@]}" -fsanitize=leak "ffi/tests/c/$suite.c" "${STATIC_LIBS[@]}" -o "target/c/${suite}_lsan"
    "target/c/${suite}_lsan" fixtures | tail -n 1
  done

  step "C: the vendor example"
  gcc "${CFLAGS[@]}" examples/c/print_slots.c "${STATIC_LIBS[@]}" -o target/c/print_slots
  target/c/print_slots fixtures/pmh_three_out_of_order.xml | tee target/c/print_slots.txt
  grep -q "第1公費 21136015 3000015" target/c/print_slots.txt
  grep -q "第3公費 88131016 K000067890" target/c/print_slots.txt
  gcc "${CFLAGS[@]}" examples/c/stream_bulk.c "${STATIC_LIBS[@]}" -o target/c/stream_bulk
  target/c/stream_bulk fixtures/bulk_three_units.xml fixtures/header_error.xml | tee target/c/stream_bulk.txt
  grep -q "patient 2: status 2, 0 公費" target/c/stream_bulk.txt
  grep -q "3 patient(s); file: segment 1, error code -, reception R202511160001, bulk status 1" target/c/stream_bulk.txt
  grep -q "0 patient(s); file: segment 9, error code PLACEHOLDER-CODE, reception -, bulk status -" target/c/stream_bulk.txt
}

# The Python package: venv, build, pytest, stubtest, the example.
layer_python() {
  step "Python: own venv, pip install ./bindings/python (maturin, abi3), pytest, stubtest"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r bindings/python/requirements-dev.txt
  .venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./bindings/python
  .venv/bin/python -m pytest -q -p no:cacheprovider bindings/python/tests | tee "$LOGS/python.log"
  .venv/bin/python -m mypy.stubtest kohi

  step "Python: release artefacts: a manylinux2014 abi3 wheel (maturin --zig) passes the tests; the sdist builds"
  rm -rf target/wheels
  PATH="$ROOT/.venv/bin:$PATH" maturin build --release --zig \
    -m bindings/python/Cargo.toml -o target/wheels 2>&1 | tail -n 1
  PATH="$ROOT/.venv/bin:$PATH" maturin sdist -m bindings/python/Cargo.toml -o target/wheels 2>&1 | tail -n 1
  wheel=$(ls target/wheels/kohi_onshi-*-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)
  .venv/bin/python - "$wheel" target/wheels/kohi_onshi-*.tar.gz <<'PY'
import sys, tarfile, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
for wanted in ("LICENSE-MIT", "LICENSE-APACHE", "kohi/py.typed", "kohi/__init__.pyi"):
    assert any(n.endswith(wanted) for n in names), f"the wheel lacks {wanted}"
sdist = tarfile.open(sys.argv[2]).getnames()
for wanted in ("LICENSE-MIT", "LICENSE-APACHE", "pyproject.toml", "core/Cargo.toml", "terminal/Cargo.toml"):
    assert any(n.endswith(wanted) for n in sdist), f"the sdist lacks {wanted}"
print("wheel and sdist hold the licences, the stub and the crates")
PY
  PATH="$ROOT/.venv/bin:$PATH" CARGO_TARGET_DIR="$ROOT/target" .venv/bin/python -m pip wheel -q --disable-pip-version-check --no-build-isolation \
    --no-deps target/wheels/kohi_onshi-*.tar.gz -w target/wheels/from-sdist
  ls target/wheels/from-sdist/kohi_onshi-*.whl
  .venv/bin/python -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheel"
  .venv/bin/python -m pytest -q -p no:cacheprovider bindings/python/tests | tail -n 1

  step "Python: benchmark peers (bench/peers): lxml, ElementTree and xmltodict each find kohi's 公費 on the face, Shift_JIS and bulk fixtures; one short round of the harness runs"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r bench/peers/requirements.txt
  .venv/bin/python bench/peers/python_peers.py --rounds 1 --window 0.001 "${PEER_FILES[@]}" > target/peers-python-smoke.jsonl
  test "$(grep -c '"tool"' target/peers-python-smoke.jsonl)" -eq $((${#PEER_FILES[@]} * 6))
  test "$(grep -cE "$ROUNDS_SPREAD" target/peers-python-smoke.jsonl)" -eq $((${#PEER_FILES[@]} * 6))

  step "Python: the vendor example"
  .venv/bin/python examples/python/print_slots.py fixtures/pmh_three_out_of_order.xml | tee target/print_slots_py.txt
  grep -q "第1公費 21136015 3000015" target/print_slots_py.txt
  .venv/bin/python examples/python/stream_bulk.py fixtures/bulk_three_units.xml fixtures/header_error.xml \
    | tee target/stream_bulk_py.txt
  grep -q "3 patient(s); file: segment 1, error code -, reception R202511160001, bulk status 1" target/stream_bulk_py.txt
  grep -q "0 patient(s); file: segment 9, error code PLACEHOLDER-CODE, reception -, bulk status -" target/stream_bulk_py.txt
}

# The Node addon: build, types, tests, the example.
layer_node() {
  step "Node: npm ci (the lockfile, untouched), npm run build: addon, binding.js and index.d.ts without drift"
  (cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
  (cd bindings/node && npm run --silent build)
  git diff --exit-code -- bindings/node/index.d.ts bindings/node/binding.js bindings/node/package-lock.json

  step "Node: the types accept typed usage (tsc --noEmit, strict)"
  (cd bindings/node && npx tsc -p test/types/tsconfig.json)

  step "Node: tests (the addon's own unit tests, then node --test)"
  cargo test --locked -q -p kohi-node --lib 2>&1 | grep -E '^test result'
  node --test bindings/node/test/ | tee "$LOGS/node.log" | grep -E '^# (tests|pass|fail)'

  step "Node: the release layout (package + platform package packed and installed; README quick start under tsc)"
  bash bindings/node/scripts/release-layout.sh

  step "Node: benchmark peers (bench/peers, pinned by their lockfile): saxes, fast-xml-parser and xml-js each find kohi's 公費 on the face, Shift_JIS and bulk fixtures; one short round of the harness runs"
  mkdir -p target/bench/node-peers
  cp bench/peers/package.json bench/peers/package-lock.json target/bench/node-peers/
  (cd target/bench/node-peers && npm ci --no-audit --no-fund --loglevel=error)
  NODE_PATH="$ROOT/target/bench/node-peers/node_modules" \
    node bench/peers/node_peers.js --rounds 1 --window 0.001 "${PEER_FILES[@]}" > target/peers-node-smoke.jsonl
  test "$(grep -c '"tool"' target/peers-node-smoke.jsonl)" -eq $((${#PEER_FILES[@]} * 5))
  test "$(grep -cE "$ROUNDS_SPREAD" target/peers-node-smoke.jsonl)" -eq $((${#PEER_FILES[@]} * 5))
  # Every window runs in a process of its own; --fresh-from times smaller files the old way, all
  # windows in one process (1 TiB: every file here).
  NODE_PATH="$ROOT/target/bench/node-peers/node_modules" \
    node bench/peers/node_peers.js --rounds 2 --window 0.001 --fresh-from 1099511627776 "${PEER_FILES[0]}" > target/peers-node-shared.jsonl
  test "$(grep -cE "$ROUNDS_SPREAD" target/peers-node-shared.jsonl)" -eq 5

  step "Node: the vendor example"
  node examples/node/print_slots.js fixtures/pmh_three_out_of_order.xml | tee target/print_slots_node.txt
  grep -q "第1公費 21136015 3000015" target/print_slots_node.txt
  node examples/node/stream_bulk.js fixtures/bulk_three_units.xml fixtures/header_error.xml | tee target/stream_bulk_node.txt
  grep -q "3 patient(s); file: segment 1, error code -, reception R202511160001, bulk status 1" target/stream_bulk_node.txt
  grep -q "0 patient(s); file: segment 9, error code PLACEHOLDER-CODE, reception -, bulk status -" target/stream_bulk_node.txt
}

# The README as a new user meets it: a release build without warnings, every snippet as written.
layer_readme() {
  step "README: cargo build --release has no warnings; its C, Rust, Python and CLI snippets run as written (Node: the release layout)"
  cargo build --release 2>&1 | tee target/release-build.log | tail -n 1
  if grep -q '^warning' target/release-build.log; then
    echo "cargo build --release warns (target/release-build.log)" >&2
    exit 1
  fi
  bash scripts/readme_snippets.sh
}

# The .NET binding under mono: generated declarations without drift, goldens, API, example.
layer_dotnet() {
  step ".NET: P/Invoke declarations generated from kohi.h have not drifted; mono builds and runs the tests"
  if ! command -v mcs >/dev/null || ! command -v mono >/dev/null; then
    echo "mono is missing: install it with  apt-get install -y mono-mcs mono-runtime  (.ci/run does)" >&2
    exit 1
  fi
  python3 scripts/gen_dotnet.py --check
  cargo build --locked -q -p kohi-ffi
  mkdir -p target/dotnet
  # -warnaserror:1591: every public member of the managed layer is documented (IntelliSense).
  mcs -langversion:7.2 -target:library -warnaserror:1591 -doc:target/dotnet/KohiNet.xml -out:target/dotnet/KohiNet.dll bindings/dotnet/src/*.cs
  mcs -langversion:7.2 -out:target/dotnet/Tests.exe -r:target/dotnet/KohiNet.dll -r:System.Core.dll bindings/dotnet/tests/Tests.cs
  LD_LIBRARY_PATH="$ROOT/target/debug" mono target/dotnet/Tests.exe fixtures | tee "$LOGS/dotnet.log" | tail -1

  step ".NET: the vendor example"
  mcs -langversion:7.2 -out:target/dotnet/PrintSlots.exe -r:target/dotnet/KohiNet.dll examples/dotnet/PrintSlots.cs
  LD_LIBRARY_PATH="$ROOT/target/debug" mono target/dotnet/PrintSlots.exe fixtures/pmh_three_out_of_order.xml \
    | tee target/dotnet/print_slots.txt
  grep -q "第1公費 21136015 3000015" target/dotnet/print_slots.txt
  mcs -langversion:7.2 -out:target/dotnet/StreamBulk.exe -r:target/dotnet/KohiNet.dll examples/dotnet/StreamBulk.cs
  LD_LIBRARY_PATH="$ROOT/target/debug" mono target/dotnet/StreamBulk.exe fixtures/bulk_three_units.xml fixtures/header_error.xml \
    | tee target/dotnet/stream_bulk.txt
  grep -q "3 patient(s); file: segment 1, error code -, reception R202511160001, bulk status 1" target/dotnet/stream_bulk.txt
  grep -q "0 patient(s); file: segment 9, error code PLACEHOLDER-CODE, reception -, bulk status -" target/dotnet/stream_bulk.txt

  step ".NET: a kohi.dll of another ABI version is refused before the first call, with the reason"
  mkdir -p target/dotnet/mismatch
  sed 's/DeclaredVersion = "[^"]*"/DeclaredVersion = "0.999.0"/' bindings/dotnet/src/Native.g.cs > target/dotnet/mismatch/Native.g.cs
  mcs -langversion:7.2 -target:library -out:target/dotnet/mismatch/KohiNet.dll \
    target/dotnet/mismatch/Native.g.cs bindings/dotnet/src/Kohi.cs
  cp target/dotnet/PrintSlots.exe target/dotnet/mismatch/
  refused_with target/dotnet/mismatch/out.txt \
    "PlatformNotSupportedException: kohi.dll is version .*, and KohiNet was built for 0.999.0" \
    env LD_LIBRARY_PATH="$ROOT/target/debug" mono target/dotnet/mismatch/PrintSlots.exe fixtures/face_pmh_two.xml
  # No library at all is still DllNotFoundException, not a failed type initializer.
  refused_with target/dotnet/mismatch/none.txt "^System.DllNotFoundException" \
    env -u LD_LIBRARY_PATH mono target/dotnet/PrintSlots.exe fixtures/face_pmh_two.xml
  if grep -q "TypeInitializationException" target/dotnet/mismatch/none.txt; then
    echo "a missing library became a TypeInitializationException" >&2
    exit 1
  fi

  step ".NET: the NuGet package, installed by NuGet into a .NET Framework project (xbuild) that runs the tests with the library the package copied"
  if ! command -v xbuild >/dev/null || ! command -v nuget >/dev/null; then
    echo "xbuild or nuget is missing: install them with  apt-get install -y mono-xbuild nuget  (.ci/run does)" >&2
    exit 1
  fi
  bash bindings/dotnet/tests/package.sh target/dotnet/KohiNet.dll target/debug/libkohi.so
}

# The Delphi / Free Pascal unit: generated without drift, and every golden through it (fpc in Delphi mode).
layer_pascal() {
  step "Pascal: kohi.pas generated from kohi.h has not drifted; Free Pascal (Delphi mode) reads every golden, drives the inbox and learns a layout with the survey"
  if ! command -v fpc >/dev/null; then
    echo "Free Pascal is missing: install it with  apt-get install -y fp-compiler  (.ci/run does)" >&2
    exit 1
  fi
  python3 scripts/gen_pascal.py --check
  cargo build --locked -q -p kohi-ffi
  mkdir -p target/pascal
  fpc -Mdelphi -FEtarget/pascal -FUtarget/pascal -Fl"$ROOT/target/debug" bindings/pascal/test_kohi.pas >/dev/null
  LD_LIBRARY_PATH="$ROOT/target/debug" target/pascal/test_kohi fixtures | tee "$LOGS/pascal.log" | tail -1

  step "Pascal: KohiObjects.pas, the unit of objects over kohi.pas (UnicodeString fields, EKohiError, the inbox as objects)"
  fpc -Mdelphi -vw -Sew -FEtarget/pascal -FUtarget/pascal -Fl"$ROOT/target/debug" bindings/pascal/test_objects.pas >/dev/null
  LD_LIBRARY_PATH="$ROOT/target/debug" target/pascal/test_objects fixtures | tee -a "$LOGS/pascal.log" | tail -1

  step "Pascal: the README's Delphi program, as written (its file name pointed at a fixture)"
  mkdir -p target/pascal/readme
  scripts/readme_block.sh ".NET" pascal | sed "s#'res\\\\OQSsiquc01res_0001.xml'#'$ROOT/fixtures/face_pmh_two.xml'#" > target/pascal/readme/PrintSlots.pas
  grep -q "fixtures/face_pmh_two.xml" target/pascal/readme/PrintSlots.pas
  fpc -Mdelphi -FEtarget/pascal/readme -FUtarget/pascal/readme -Fubindings/pascal -Fl"$ROOT/target/debug" target/pascal/readme/PrintSlots.pas >/dev/null
  LD_LIBRARY_PATH="$ROOT/target/debug" target/pascal/readme/PrintSlots | tee target/pascal/readme/out.txt
  grep -q "第1公費 52136017 1234566" target/pascal/readme/out.txt

  step "Pascal: a unit generated for another ABI version stops the program at start, with the reason"
  mkdir -p target/pascal/mismatch
  sed 's/^  KOHI_VERSION_MINOR = [0-9]*;/  KOHI_VERSION_MINOR = 999;/' bindings/pascal/kohi.pas > target/pascal/mismatch/kohi.pas
  cp bindings/pascal/test_kohi.pas bindings/pascal/KohiTestSupport.pas target/pascal/mismatch/
  fpc -Mdelphi -FEtarget/pascal/mismatch -FUtarget/pascal/mismatch -Fl"$ROOT/target/debug" target/pascal/mismatch/test_kohi.pas >/dev/null
  refused_with target/pascal/mismatch/out.txt "kohi library is version .*, and kohi.pas was generated for 0.999.0" \
    env LD_LIBRARY_PATH="$ROOT/target/debug" target/pascal/mismatch/test_kohi fixtures
}

# Resource bounds for known bugs (generous), the amplification set, fuzz smoke.
layer_hardening() {
  step "hardening: 100 MB of garbage of each kind gives a typed error, peak memory under 2x the input"
  cargo build -q --release --locked -p kohi --example garbage
  for kind in random ascii nesting elements text; do target/release/examples/garbage "$kind"; done
  target/release/examples/garbage sjis --report-only   # known: transcoding makes Shift_JIS ~2.5-3x (docs/SECURITY.md)

  step "hardening: whole-document memory stays under 4x the input (100,000-unit bulk file, 10,000 held face results)"
  cargo build -q --release --locked -p kohi --example stream_rss
  target/release/examples/stream_rss 100000 --whole --max-growth 4 >/dev/null
  target/release/examples/stream_rss --face 10000 --max-growth 4 >/dev/null

  step "hardening: a Node stream's memory does not grow with the file (100,000 units within 60 MB of 10,000)"
  cargo run --locked -q --release -p kohi-bench -- --write-bulk target >/dev/null
  small=$(node scripts/node_stream_rss.js target/bulk_10000.xml)
  large=$(node scripts/node_stream_rss.js target/bulk_100000.xml)
  echo "$small"; echo "$large"
  python3 - "$small" "$large" <<'PY'
import json, sys
small, large = (json.loads(a) for a in sys.argv[1:])
assert (small["patients"], large["patients"]) == (10000, 100000), "every patient streamed"
growth = large["max_rss_mb"] - small["max_rss_mb"]
assert growth <= 60, f"a Node stream grew by {growth} MB from 10,000 to 100,000 units"
PY

  step "hardening: the bindings' allocator asks for no transparent huge pages (held 100,000-unit parses took 0.6-0.9 s instead of 0.18 s on a VM where a 2 MiB fault cost ~7 ms)"
  .venv/bin/python scripts/no_huge_pages.py target/bulk_10000.xml .venv/bin/python bindings/node

  step "hardening: Python refuses a bytes-like object past the size limit before copying it (a 1 GiB mmap, peak RSS under 256 MB); kohi.stream reads bytes in place (a 127 MiB bulk file, peak RSS grows under 48 MB)"
  .venv/bin/python scripts/python_buffer_limit.py

  step "hardening: Node's toJSON() builds a result whose JSON is longer than a JavaScript string can be (199,000 units, 56 MB); toJsonString() says limit_exceeded"
  node scripts/node_tojson_huge.js

  step "hardening: an idle inbox uses under 5 % of one core (500 delivered files, one waiting to give up)"
  cargo build -q --release --locked -p kohi-cli
  scripts/idle_cpu.sh target/release/kohi

  step "hardening: on disk before said to be (strace): kohi watch > FILE syncs each line before its acknowledgement, --done syncs a new name before removing the old, kohi request its name before returning; a full disk leaves no partial line, a cut line is ended"
  python3 scripts/watch_durable.py target/release/kohi

  step "hardening: amplification set (<= 1 MB inputs built to allocate much more): typed result under 256 MB in the CLI, Python and Node"
  .venv/bin/python scripts/amplification.py target/release/kohi .venv/bin/python

  # The crash file the step after the smoke plants: one left by a run killed between planting
  # and removing it would fail every fuzz run after (git ignores it, so nothing else shows it).
  local planted=fuzz/artifacts/decode/crash-planted-by-test-sh
  rm -f "$planted"

  step "hardening: fuzz smoke (10 s per target; the long runs are recorded in docs/SECURITY.md)"
  scripts/fuzz.sh 10

  step "hardening: the fuzz script fails on a saved failure (a planted crash file; until 2026-12-06 nothing failed it)"
  mkdir -p fuzz/artifacts/decode
  : > "$planted"
  if scripts/fuzz.sh 1 decode > target/fuzz-planted.log 2>&1; then
    rm -f "$planted"
    echo "scripts/fuzz.sh passed with a crash saved under fuzz/artifacts/decode" >&2
    exit 1
  fi
  rm -f "$planted"
  grep -q "saved: $planted" target/fuzz-planted.log
}

layers=("$@")
[ ${#layers[@]} -eq 0 ] && layers=(all)
for layer in "${layers[@]}"; do
  case "$layer" in
    all) layer_rust; layer_c; layer_python; layer_node; layer_readme; layer_dotnet; layer_pascal; layer_hardening ;;
    rust|c|python|node|readme|dotnet|pascal|hardening) "layer_$layer" ;;
    *) echo "unknown layer: $layer (rust, c, python, node, readme, dotnet, pascal, hardening, all)" >&2; exit 2 ;;
  esac
done

step "done"
# One closing line for every suite above: cargo's "test result:" lines and the plain
# "N passed, N failed" lines of the other languages.
# (find, not a glob: a layer run alone may leave no log, and that is no failure.)
find "$LOGS" -name '*.log' -exec cat {} + | awk '
  /^test result:/ { p += $4; f += $6 }
  /^[0-9]+ passed, [0-9]+ failed$/ { p += $1; f += $3 }
  /^# pass [0-9]+$/ { p += $3 }
  /^# fail [0-9]+$/ { f += $3 }
  /^[0-9]+ (passed|failed)(, [0-9]+ (passed|failed|skipped))* in [0-9.]+s/ {
    for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
  END { printf "%d passed, %d failed\n", p, f }'
