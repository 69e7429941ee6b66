#!/usr/bin/env python3
"""Rewrites the results table in docs/BENCHMARKS.md from target/bench/{core.txt,peers.jsonl}.

The text between the BEGIN/END markers is replaced; everything else in the file is prose.
"""
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- BEGIN GENERATED -->", "<!-- END GENERATED -->"


def core_rows(text: str):
    """(bench, median time, median MB/s) from divan's table."""
    rows, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^[├╰]─ (\S+)\s+\S+ \S+\s+│\s+\S+ \S+\s+│\s+(\S+ \S+)", line)
        if not m:
            continue
        rate = re.findall(r"│\s+([\d.]+ [MGK]B/s)", lines[i + 1]) if i + 1 < len(lines) else []
        # Columns: fastest, slowest, median, mean: take the median, as for the time.
        rows.append((m.group(1), m.group(2), rate[2] if len(rate) > 2 else ""))
    return rows


def mbps(value: str) -> float:
    number, unit = value.split()
    return float(number) * {"KB/s": 1e-3, "MB/s": 1.0, "GB/s": 1e3}[unit]


def micros(value: str) -> float:
    number, unit = value.split()
    return float(number) * {"ns": 1e-3, "µs": 1.0, "ms": 1e3, "s": 1e6}[unit]


def overhead_rows(by: dict, peers: list) -> list:
    """Each binding's `kohi.parse` (reading the 公費 back) against the core parse of the same file."""
    rows = []
    for label, bench in [("face", "face_pmh_utf8"), ("sjis", "insured_card_shift_jis")]:
        if bench not in by:
            continue
        core = micros(by[bench][1])
        for p in peers:
            if p["tool"] == "kohi.parse" and p["file"] == label:
                binding = 1e6 / p["docs_per_s"]
                rows.append(f"| {p['language']} | {label} | {core:.2f} µs | {binding:.2f} µs | {binding / core:.2f}× |")
    return rows


def rust_peer_rows(rows: list) -> list:
    """One row per input: each tool's CPU time per document, kohi against each (peer time / kohi time)."""
    tools = ["kohi::parse", "hand-written quick-xml extractor", "roxmltree + extraction",
             "quick-xml serde + extraction", "quick-xml event loop (floor)"]
    out = ["| input | size | " + " | ".join(tools) + " | kohi vs hand | kohi vs floor |",
           "|---|---|" + "---|" * (len(tools) + 2)]
    for label in dict.fromkeys(r["file"] for r in rows):
        by = {r["tool"]: r for r in rows if r["file"] == label}
        if not all(t in by for t in tools):
            continue
        us = {t: by[t]["cpu_us"] for t in tools}
        cells = " | ".join(f"{us[t]:,.1f} µs" if us[t] < 1e4 else f"{us[t] / 1e3:,.1f} ms" for t in tools)
        kohi = us["kohi::parse"]
        size = by["kohi::parse"]["bytes"]
        size_text = f"{size / 1e6:.1f} MB" if size > 1e6 else f"{size / 1e3:.1f} KB"
        out.append(f"| {label} | {size_text} | {cells} | **{us[tools[1]] / kohi:.2f}×** | {us[tools[4]] / kohi:.0%} |")
    return out


def main() -> int:
    core = core_rows((ROOT / "target/bench/core.txt").read_text(encoding="utf-8"))
    peers = [json.loads(l) for l in (ROOT / "target/bench/peers.jsonl").read_text().splitlines() if l.strip()]
    by = {r[0]: r for r in core}
    out = []
    versions = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    out.append(f"Machine: {platform.machine()}, {__import__('os').cpu_count()} cores, {platform.python_implementation()} "
               f"{platform.python_version()}, {versions}, `node` {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}.\n")
    out.append("### Core (one thread, parse + map, median)\n")
    out.append("| benchmark | time | throughput |")
    out.append("|---|---|---|")
    for name, time, rate in core:
        out.append(f"| `{name}` | {time} | {rate} |")
    ratios = []
    for full, raw in [("face_pmh_utf8", "raw_scan_face_pmh"), ("insured_card_shift_jis", "raw_scan_insured_card_shift_jis"),
                      ("bulk_10000_units", "raw_scan_bulk_10000_units")]:
        if full in by and raw in by and by[full][2] and by[raw][2]:
            ratios.append(f"| {full} | {mbps(by[full][2]):.0f} MB/s | {mbps(by[raw][2]):.0f} MB/s | {100 * mbps(by[full][2]) / mbps(by[raw][2]):.0f} % |")
    out.append("\n### Parse + map against the raw quick-xml scan of the same bytes\n")
    out.append("| input | parse + map | raw scan | ratio |")
    out.append("|---|---|---|---|")
    out.extend(ratios)
    stream = [json.loads(l) for l in (ROOT / "target/bench/stream.jsonl").read_text().splitlines() if l.strip()]
    out.append("\n### Memory: streaming (`PatientReader`) against the whole-file parse, and held face results\n")
    out.append("Peak RSS growth over the process's own (`peak − before`) per byte of input. A whole-file parse")
    out.append("holds the file, its text and the model; the target is ≤ 4× (see the section on targets).\n")
    out.append("| units | input | mode | patients | time | peak RSS | growth / input |")
    out.append("|---|---|---|---|---|---|---|")
    for r in stream:
        ratio = (r["peak_rss_mb"] - r["rss_before_mb"]) / r["file_mb"] if r["file_mb"] else 0
        out.append(f"| {r['units']:,} | {r['file_mb']} MB | {r['mode']} | {r['patients']:,} | {r['seconds']:.3f} s | {r['peak_rss_mb']} MB | {ratio:.1f}× |")
    out.append("\n### Binding overhead: `kohi.parse` in Python and Node (reading the 公費 back) over the core parse\n")
    out.append("| language | file | core | binding | overhead |")
    out.append("|---|---|---|---|---|")
    out.extend(overhead_rows(by, peers))
    rust = ROOT / "target/bench/rust_peers.jsonl"
    if rust.exists():
        out.append("\n### Rust peers (CPU time per document, median of interleaved rounds; `bench/rust`)\n")
        out.append("Each peer finds the same 公費 as kohi (bench/rust/tests/agree.rs). \"kohi vs hand\" is the hand")
        out.append("extractor's time over kohi's: above 1× kohi is faster. \"kohi vs floor\" is the bare event loop's")
        out.append("time over kohi's: the share of the floor kohi reaches.\n")
        out.extend(rust_peer_rows([json.loads(l) for l in rust.read_text().splitlines() if l.strip()]))
    out.append("\n### Peers (same files, same machine, one run; docs/s, higher is better)\n")
    out.append("| language | file | tool | docs/s | MB/s | kohi is |")
    out.append("|---|---|---|---|---|---|")
    for p in peers:
        own = next((q for q in peers if q["language"] == p["language"] and q["file"] == p["file"] and q["tool"] == "kohi.parse"), None)
        times = "—" if p["tool"] == "kohi.parse" or not own else f"{own['docs_per_s'] / p['docs_per_s']:.1f}×"
        out.append(f"| {p['language']} | {p['file']} | {p['tool']} | {p['docs_per_s']:,} | {p['mb_per_s']} | {times} |")
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + BEGIN + "\n" + "\n".join(out) + "\n" + END + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
