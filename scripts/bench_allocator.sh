#!/usr/bin/env bash
# The allocator choice for the CLI (and so for the C library, which runs the same code): the
# system allocator against mimalloc, CPU time of `kohi parse --json` per file, interleaved rounds,
# medians, peak RSS. Prints the table docs/BENCHMARKS.md quotes in "Allocator".
# Usage: scripts/bench_allocator.sh   (from anywhere; builds two release binaries into target/)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT=target/bench-allocator
mkdir -p "$OUT"
cargo build -q --release --locked -p kohi-cli
cp target/release/kohi "$OUT/kohi-system"
cargo build -q --release --locked -p kohi-cli --features mimalloc --target-dir "$OUT/target"
cp "$OUT/target/release/kohi" "$OUT/kohi-mimalloc"
python3 - "$OUT" <<'PY'
import os, statistics, subprocess, sys
out = sys.argv[1]
def bulk(n):
    unit = ('<BulkConfirmUnit><ReferenceNumber>{i:08d}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>'
            '<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>'
            '<InsurerNumber>06139999</InsurerNumber><InsuredCardSymbol>記号</InsuredCardSymbol>'
            '<InsuredIdentificationNumber>{i}</InsuredIdentificationNumber><Name>テスト 太郎</Name><NameKana>テスト タロウ</NameKana>'
            '<Birthdate>19800101</Birthdate><QualificationDate>20200401</QualificationDate><InsurerName>テスト健保</InsurerName>'
            '</ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>')
    body = ''.join(unit.format(i=i) for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8"?><XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime>'
            f'<CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader><MessageBody>{body}</MessageBody></XmlMsg>')
for n in (10_000, 100_000):
    with open(f"{out}/bulk{n}.xml", "w", encoding="utf-8") as f:
        f.write(bulk(n))
PY
# Measured from a fresh interpreter: a forked child's peak RSS counts the parent's pages.
python3 - "$OUT" <<'PY'
import os, statistics, subprocess, sys
out = sys.argv[1]
files = [("face result 3.3 KB", "fixtures/face_pmh_two.xml")]
files += [(f"bulk {n:,} units", f"{out}/bulk{n}.xml") for n in (10_000, 100_000)]
def run(binary, path):
    p = subprocess.Popen([binary, "parse", "--json", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(p.pid, 0)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024
print("| input | system: CPU, peak RSS | mimalloc: CPU, peak RSS | system / mimalloc |")
print("|---|---|---|---|")
for label, path in files:
    times = {"system": [], "mimalloc": []}
    rss = {"system": 0, "mimalloc": 0}
    for _ in range(11):
        for name in times:
            t, m = run(f"{out}/kohi-{name}", path)
            times[name].append(t)
            rss[name] = max(rss[name], m)
    s, m = statistics.median(times["system"]), statistics.median(times["mimalloc"])
    print(f"| {label} | {s*1000:.1f} ms, {rss['system']} MB | {m*1000:.1f} ms, {rss['mimalloc']} MB | {s/m:.2f}× |")
PY
