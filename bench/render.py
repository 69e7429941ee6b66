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
                binding = p["cpu_us"]
                rows.append(f"| {p['language']} | {label} | {core:.2f} µs | {binding:.2f} µs | {binding / core:.2f}× |")
    return rows


def duration(us: float) -> str:
    return f"{us:,.1f} µs" if us < 1e4 else f"{us / 1e3:,.1f} ms"


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
        cells = " | ".join(duration(us[t]) for t in tools)
        kohi = us["kohi::parse"]
        size = by["kohi::parse"]["bytes"]
        size_text = f"{size / 1e6:.1f} MB" if size > 1e6 else f"{size / 1e3:.1f} KB"
        out.append(f"| {label} | {size_text} | {cells} | **{us[tools[1]] / kohi:.2f}×** | {us[tools[4]] / kohi:.0%} |")
    return out


def rust_fault_rows(rows: list) -> list:
    """Bulk files: per document, the system CPU time and the minor page faults (median of the rounds,
    fewest–most) of the whole-file parse, the hand extractor and the stream."""
    tools = ["kohi::parse", "hand-written quick-xml extractor", "kohi::PatientReader (streamed)"]
    out = ["| input | " + " | ".join(tools) + " |", "|---|" + "---|" * len(tools)]
    for label in dict.fromkeys(r["file"] for r in rows if r["file"].startswith("bulk")):
        by = {r["tool"]: r for r in rows if r["file"] == label}
        if not all(t in by and "faults_per_doc" in by[t] for t in tools):
            continue
        def cell(r):
            spread = f"{r['faults_fewest']:,.0f}–{r['faults_most']:,.0f}"
            return f"{r['sys_us'] / r['cpu_us']:.0%} system; {r['faults_per_doc']:,.0f} faults ({spread})"
        out.append(f"| {label} | " + " | ".join(cell(by[t]) for t in tools) + " |")
    return out


def rust_streaming_rows(rows: list) -> list:
    """kohi's PatientReader against quick-xml's buffered event loop and kohi's whole-file parse."""
    out = ["| input | `PatientReader` | streaming floor | share of the floor | whole-file `kohi::parse` |",
           "|---|---|---|---|---|"]
    for label in dict.fromkeys(r["file"] for r in rows):
        by = {r["tool"]: r for r in rows if r["file"] == label}
        stream, floor = by.get("kohi::PatientReader (streamed)"), by.get("quick-xml buffered event loop (streaming floor)")
        if stream and floor:
            out.append(f"| {label} | {stream['mb_per_s']} MB/s | {floor['mb_per_s']} MB/s | "
                       f"{floor['cpu_us'] / stream['cpu_us']:.0%} | {by['kohi::parse']['mb_per_s']} MB/s |")
    return out


class Figure(float):
    """A figure of the run and the range its rounds allow, `low` to `high`: a ratio from each
    side's fastest and slowest rounds (the harnesses' `cpu_us_fastest`/`cpu_us_slowest`), or the
    figure itself when the rounds are not known. A goal inside that range is decided by noise."""

    def __new__(cls, value, low=None, high=None):
        figure = super().__new__(cls, value)
        figure.low, figure.high = (value if low is None else low), (value if high is None else high)
        return figure

    def scaled(self, k):
        return Figure(self * k, self.low * k, self.high * k)


def target_rows(rust: list, peers: list, stream: list, mimalloc: list = (), arena: list = ()) -> list:
    """Issue 18's targets, each with this run's figure and whether it is met; a target not met
    says by how much (on its worst file) and why, in figures of the same run. `mimalloc` and
    `arena` hold kohi-bench's lines from its mimalloc and arena-ceiling builds (`--features
    mimalloc`, `--features arena-ceiling`), if they ran."""
    def line(language, file, tool):
        return next((r for r in (rust if language == "Rust" else peers)
                     if r.get("language") == language and r["file"] == file and r["tool"] == tool), None)

    def cpu(language, file, tool):
        r = line(language, file, tool)
        return r and (r.get("cpu_us") or 1e6 / r["docs_per_s"])

    def rounds(language, file, tool):
        """(fastest, slowest) over the rounds over the median, or (1, 1) if the line has none."""
        r, median = line(language, file, tool), cpu(language, file, tool)
        if not (r and median and r.get("cpu_us_fastest") and r.get("cpu_us_slowest")):
            return 1.0, 1.0
        return r["cpu_us_fastest"] / median, r["cpu_us_slowest"] / median

    rows = ["| target | measured (this run) | status | short by, and why |", "|---|---|---|---|"]

    def add(target, pairs, goal, unit="×", fmt="{:.2f}", why=None):
        values = [(label, v) for label, v in pairs if v is not None]
        if not values:
            return
        text = ", ".join(f"{label} {fmt.format(v)}{unit}" for label, v in values)
        met = all(v >= goal for _, v in values)
        short = ""
        if not met:
            label, worst = min(values, key=lambda lv: lv[1])
            # A label with a colon carries its own figures (the flatness row): not repeated.
            short = (f"{goal / worst:.2f}×" if unit == "×" else f"{goal - worst:.0f} points") + \
                ("" if ":" in label else f" on {label}")
            reason = why(label.split(":")[0]) if why else None
            short += f": {reason}" if reason else ""
        status = "met" if met else "**not met**"
        noisy = [(label, v) for label, v in values if isinstance(v, Figure) and v.low < goal <= v.high]
        if noisy:
            status += "; within the rounds' spread: " + ", ".join(
                f"{'' if ':' in label else label + ' '}{fmt.format(v.low)}–{fmt.format(v.high)}{unit}" for label, v in noisy)
        rows.append(f"| {target} | {text} | {status} | {short} |")

    def rate(file, tool, rows=rust):
        return next((r["mb_per_s"] for r in rows if r["file"] == file and r["tool"] == tool), None)

    def ratio(language, file, peer, own):
        a, b = cpu(language, file, peer), cpu(language, file, own)
        if not (a and b):
            return None
        (peer_fast, peer_slow), (own_fast, own_slow) = rounds(language, file, peer), rounds(language, file, own)
        return Figure(a / b, a / b * peer_fast / own_slow, a / b * peer_slow / own_fast)

    def share(language, file, peer, own):
        """The peer's time over kohi's, in per cent (0 when either is missing)."""
        r = ratio(language, file, peer, own)
        return r.scaled(100) if r is not None else 0

    def flat_why(_):
        ends = ("bulk_1000", "bulk_100000")
        hand = [rate(f, "hand-written quick-xml extractor") for f in ends]
        if not all(hand):
            return None
        why = (f"the hand extractor, which keeps only the 公費, goes {hand[0]:.0f} → {hand[1]:.0f} MB/s "
               f"({100 * hand[1] / hand[0]:.0f} %)")
        other = [rate(f, "kohi::parse", mimalloc) for f in ends]
        if all(other):
            why += (f"; kohi with mimalloc as the allocator (the bindings' own) {other[0]:.0f} → {other[1]:.0f} MB/s "
                    f"({100 * other[1] / other[0]:.0f} %)")
        ceiling = [rate(f, "kohi::parse", arena) for f in ends]
        if all(ceiling):
            why += (f"; even with no cost for allocating or freeing (every allocation a bump in one region, the "
                    f"document dropped in O(1): the most a model in one arena per document could gain) "
                    f"{ceiling[0]:.0f} → {ceiling[1]:.0f} MB/s ({100 * ceiling[1] / ceiling[0]:.0f} %)")
        return why + ("; kohi keeps every field of every unit, a model that at 100k units is written, read and "
                      "freed in memory the cache no longer holds")

    def to_dict_why(file):
        parse, whole, lxml = (cpu("Python", file, t) for t in ("kohi.parse", "kohi.parse + to_dict()", "lxml + extraction"))
        if not (parse and whole and lxml):
            return None
        return (f"`to_dict()` makes every field of the document a Python object, not only the 公費: alone it "
                f"takes {duration(whole - parse)} ({(whole - parse) / lxml:.0%} of lxml + extraction's whole "
                f"{duration(lxml)}), `kohi.parse` {duration(parse)}; CPython's own allocation and freeing")

    def binding_why(language, peer):
        def why(file):
            own, other, alone = cpu(language, file, "kohi.parse"), cpu(language, file, peer), cpu("Rust", file, "kohi::parse")
            if not (own and other and alone):
                return None
            return (f"the core parse alone (Rust, this run) takes {duration(alone)}, {other / alone:.1f}× "
                    f"{peer.split(' ')[0]} with no binding cost; the {language} binding (the result object, "
                    f"the getters reading the 公費, fresh memory, the collection that frees the document) adds "
                    f"{duration(own - alone)}")
        return why

    FILES = ("face", "sjis", "bulk_1000", "bulk_10000", "bulk_100000")
    hand, floor, k = "hand-written quick-xml extractor", "quick-xml event loop (floor)", "kohi::parse"
    add("Rust ≥ 1.0× the hand-written extractor, face result", [("face", ratio("Rust", "face", hand, k))], 1.0)
    add("Rust ≥ 1.0× the hand-written extractor, bulk", [(f, ratio("Rust", f, hand, k)) for f in ("bulk_10000", "bulk_100000")], 1.0)
    add("Rust ≥ 80 % of the bare event loop, face result", [("face", share("Rust", "face", floor, k))], 80, " %", "{:.0f}")
    add("Rust ≥ 60 % of the bare event loop, bulk",
        [(f, share("Rust", f, floor, k)) for f in ("bulk_1000", "bulk_10000", "bulk_100000")], 60, " %", "{:.0f}")
    rates = {f: rate(f, k) for f in ("bulk_1000", "bulk_10000", "bulk_100000")}
    if all(rates.values()):
        # Throughput is bytes over time: 100k's fastest round over 1k's slowest is the high end.
        (small_fast, small_slow), (big_fast, big_slow) = rounds("Rust", "bulk_1000", k), rounds("Rust", "bulk_100000", k)
        flat = 100 * rates["bulk_100000"] / rates["bulk_1000"]
        add("Rust throughput flat from 1k to 100k units (100k ≥ 90 % of 1k)",
            [("1k → 10k → 100k: " + " → ".join(f"{v:.0f}" for v in rates.values()) + " MB/s; 100k/1k",
              Figure(flat, flat * small_fast / big_slow, flat * small_slow / big_fast))],
            90, " %", "{:.0f}", flat_why)
    add("Python `kohi.parse` ≥ 5× lxml + extraction",
        [(f, ratio("Python", f, "lxml + extraction", "kohi.parse")) for f in FILES], 5.0,
        why=binding_why("Python", "lxml + extraction"))
    add("Python `to_dict()` ≥ 2× lxml + extraction",
        [(f, ratio("Python", f, "lxml + extraction", "kohi.parse + to_dict()")) for f in FILES], 2.0, why=to_dict_why)
    add("Node ≥ 5× saxes + extraction", [(f, ratio("Node", f, "saxes + extraction", "kohi.parse")) for f in FILES], 5.0,
        why=binding_why("Node", "saxes + extraction"))
    add("Node ≥ 15× fast-xml-parser + extraction",
        [(f, ratio("Node", f, "fast-xml-parser + extraction", "kohi.parse")) for f in FILES], 15.0,
        why=binding_why("Node", "fast-xml-parser + extraction"))
    big = cpu("Node", "bulk_100000", "kohi.parse + toJSON()")
    if big:
        rows.append(f"| Node `toJSON()` works at 100k units | {big / 1e6:.2f} s for 100,000 units | met | |")
    add("Streaming ≥ 70 % of quick-xml's streaming floor",
        [(f, share("Rust", f, "quick-xml buffered event loop (streaming floor)", "kohi::PatientReader (streamed)"))
         for f in ("bulk_10000", "bulk_100000")], 70, " %", "{:.0f}")
    streamed = {r["units"]: r["peak_rss_mb"] for r in stream if r["mode"] == "stream"}
    if 10000 in streamed and 100000 in streamed:
        flat = streamed[100000] <= streamed[10000] * 1.25
        rows.append(f"| Streaming RSS flat | peak {streamed[10000]} MB at 10k units, {streamed[100000]} MB at 100k | {'met' if flat else '**not met**'} | |")
    whole = [r for r in stream if r["mode"] == "whole" and r["units"] == 100000]
    if whole:
        r = whole[0]
        growth = (r["peak_rss_mb"] - r["rss_before_mb"]) / r["file_mb"]
        rows.append(f"| Whole-file peak ≤ 3× the input (100k units) | {r['peak_rss_mb']} MB for {r['file_mb']} MB: "
                    f"{growth:.2f}× | {'met' if growth <= 3 else '**not met**'} | |")
    return rows


def processor(cpuinfo: str, fallback: str) -> str:
    """The processor by its model name and clock, from /proc/cpuinfo's text: ratios against the
    peers move with the machine (the same code gave Python's `to_dict()` 1.48× lxml at 10,000
    units on one machine and 2.43× on another), so the table says which machine it came from."""
    fields = {}
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    model = fields.get("model name") or fallback or "processor unknown"
    mhz = fields.get("cpu MHz", "")
    try:
        return f"{model} at {float(mhz):.0f} MHz"
    except ValueError:
        return model


def main() -> int:
    core = core_rows((ROOT / "target/bench/core.txt").read_text(encoding="utf-8"))
    peers = [json.loads(l) for l in (ROOT / "target/bench/peers.jsonl").read_text().splitlines() if l.strip()]
    by = {r[0]: r for r in core}
    out = []
    versions = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""
    out.append(f"Machine: {platform.machine()}, {processor(cpuinfo, platform.processor())}, "
               f"{__import__('os').cpu_count()} cores, {platform.python_implementation()} "
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
        rust_rows = [json.loads(l) for l in rust.read_text().splitlines() if l.strip()]
        out.extend(rust_peer_rows(rust_rows))
        out.append("\n### Bulk files: the kernel's share (Rust, per document: system CPU time over all CPU time, minor")
        out.append("page faults as the median of the rounds, fewest–most)\n")
        out.append("A whole-file model is written into memory the allocator may have handed back to the kernel")
        out.append("since the last call; every fresh 4 KiB page is a fault. See \"Why a 100,000-unit file is")
        out.append("slower\" above.\n")
        out.extend(rust_fault_rows(rust_rows))
        out.append("\n### Streaming (Rust, CPU time per document; bulk files)\n")
        out.extend(rust_streaming_rows(rust_rows))
        other = ROOT / "target/bench/rust_peers_mimalloc.jsonl"
        mimalloc = [json.loads(l) for l in other.read_text().splitlines() if l.strip()] if other.exists() else []
        other = ROOT / "target/bench/rust_peers_arena.jsonl"
        arena = [json.loads(l) for l in other.read_text().splitlines() if l.strip()] if other.exists() else []
        out.append("\n### Targets of issue 18, from this run\n")
        out.extend(target_rows(rust_rows, peers, stream, mimalloc, arena))
    out.append("\n### Peers in Python and Node (same files, same machine, one run; CPU time per document, median of interleaved rounds)\n")
    out.append("\"kohi is\" is the peer's time over `kohi.parse`'s: above 1× kohi is faster. Every extracting peer was")
    out.append("checked against kohi's own 公費 on the same file before it was timed.\n")
    out.append("| language | file | tool | CPU per document | MB/s | kohi is |")
    out.append("|---|---|---|---|---|---|")
    for p in peers:
        own = next((q for q in peers if q["language"] == p["language"] and q["file"] == p["file"] and q["tool"] == "kohi.parse"), None)
        times = "—" if p["tool"].startswith("kohi.") or not own else f"{p['cpu_us'] / own['cpu_us']:.2f}×"
        out.append(f"| {p['language']} | {p['file']} | {p['tool']} | {duration(p['cpu_us'])} | {p['mb_per_s']} | {times} |")
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(head + BEGIN + "\n" + "\n".join(out) + "\n" + END + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
