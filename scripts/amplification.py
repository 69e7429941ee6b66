#!/usr/bin/env python3
"""Hardening: inputs of at most 1 MB built to make a parser allocate far more than they weigh.

Each one must parse or fail with a typed error, in well under 256 MB of peak memory, through the
CLI (Rust), Python and Node; never abort. `kohi survey` reads each of them too, under the same
bound (a survey keeps every path it meets, each as long as the names above it). Run from the repository root after the bindings are
built:

    scripts/amplification.py target/release/kohi .venv/bin/python
"""

import json
import os
import subprocess
import sys
import tempfile

LIMIT_MB = 256


def wrap(body: bytes) -> bytes:
    return b"<XmlMsg><MessageBody>" + body + b"</MessageBody></XmlMsg>"


def nest(names, inner: bytes) -> bytes:
    return b"".join(b"<" + n + b">" for n in names) + inner + b"".join(b"</" + n + b">" for n in reversed(names))


def cases():
    result = b"<ResultList><ResultOfQualificationConfirmation>%s</ResultOfQualificationConfirmation></ResultList>"
    yield "name_64k", wrap(nest([b"V" * 65536], b'<B a=""/>' * 50000))
    yield "name_250", wrap(nest([b"V" * 250], b'<B a=""/>' * 50000))
    yield "deep_63", wrap(nest([b"N%061d" % i for i in range(60)], b"<B/>" * 100000))
    yield "deep_attributes", wrap(
        nest([b"N%0240d" % i for i in range(40)], b"<B " + b" ".join(b'a%d=""' % i for i in range(60000)) + b"/>")
    )
    yield "many_unknown_tops", wrap(nest([b"N%0240d" % i for i in range(40)], b"<U>1</U>" * 100000))
    yield "many_duplicates", wrap(result % (b"<InsurerNumber>1</InsurerNumber>" * 28000))
    yield "many_invalid_dates", wrap(
        b"<ResultList>" + b"<ResultOfQualificationConfirmation><Birthdate>x</Birthdate></ResultOfQualificationConfirmation>" * 9000 + b"</ResultList>"
    )
    # Every short leaf is a new path as long as the 60 names above it (15 KB): a survey that kept
    # them all would hold gigabytes.
    yield "deep_names_short_leaves", wrap(nest([b"N%0248d" % i for i in range(60)], b"".join(b"<a%d/>" % i for i in range(100000))))
    yield "long_texts", wrap(b"".join(b"<U%d>" % i + b"x" * 60000 + b"</U%d>" % i for i in range(16)))
    yield "split_number", wrap(
        result
        % b"<MedicalSubsidyCertificateList><MedicalSubsidyCertificateInfo><MedicalSubsidyInsurerNumber>5213<X>9</X>6017</MedicalSubsidyInsurerNumber></MedicalSubsidyCertificateInfo></MedicalSubsidyCertificateList>"
    )


PYTHON = r"""
import json, resource, sys, kohi
try:
    doc = kohi.parse_file(sys.argv[1]); outcome = "parsed"
    doc.to_json()
except kohi.KohiError as e:
    outcome = e.code
print(json.dumps({"outcome": outcome, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

NODE = r"""
const kohi = require(process.argv[1])
let outcome
try { kohi.parse(require('fs').readFileSync(process.argv[2])).toJsonString(); outcome = 'parsed' }
catch (e) { if (!e.code) throw e; outcome = e.code }
console.log(JSON.stringify({ outcome, peak_mb: process.resourceUsage().maxRSS / 1024 }))
"""


def run_measured(command):
    """Exit status, stdout and peak RSS (KiB) of one child. GNU time measures the command alone;
    without it, the child's own rusage (wait4) is an upper bound: a child forked from this Python
    starts with its pages counted."""
    if os.path.exists("/usr/bin/time"):
        with tempfile.NamedTemporaryFile() as report, tempfile.TemporaryFile() as out:
            done = subprocess.run(["/usr/bin/time", "-q", "-f", "%M", "-o", report.name, *command], stdout=out, timeout=120)
            if done.returncode < 0:
                raise SystemExit(f"killed by signal {-done.returncode}: {command}")
            out.seek(0)
            return done.returncode, out.read().decode(), int(open(report.name).read().split()[-1])
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode < 0:
            raise SystemExit(f"killed by signal {-child.returncode}: {command}")
        out.seek(0)
        return child.returncode, out.read().decode(), usage.ru_maxrss


def run(command):
    done = subprocess.run(command, capture_output=True, timeout=120)
    if done.returncode < 0:
        raise SystemExit(f"killed by signal {-done.returncode}: {command}")
    return done


def main():
    cli, python = sys.argv[1], sys.argv[2]
    node_package = os.path.abspath("bindings/node")
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        for name, data in cases():
            assert len(data) <= 1 << 20, (name, len(data))
            path = os.path.join(folder, name + ".xml")
            with open(path, "wb") as f:
                f.write(data)
            rows = {}
            status, output, peak_kb = run_measured([cli, "parse", path])
            if status not in (0, 1):
                failures.append(f"{name}: cli exit {status}")
            line = output.splitlines()[0]
            rows["cli"] = (json.loads(line).get("error", {}).get("code", "parsed"), peak_kb / 1024)
            for runner, command in (("python", [python, "-c", PYTHON, path]), ("node", ["node", "-e", NODE, node_package, path])):
                done = run(command)
                if done.returncode != 0:
                    failures.append(f"{name}: {runner} failed: {done.stderr.decode()[-300:]}")
                    continue
                report = json.loads(done.stdout)
                rows[runner] = (report["outcome"], report["peak_mb"])
            for runner, (outcome, peak) in rows.items():
                print(f"{name:20} {len(data) / 1e6:5.2f} MB  {runner:6} {outcome:16} peak {peak:6.1f} MB")
                if peak > LIMIT_MB:
                    failures.append(f"{name}: {runner} peaked at {peak:.0f} MB")
            if len({outcome for outcome, _ in rows.values()}) != 1:
                failures.append(f"{name}: the runners disagree: {rows}")
            status, output, peak_kb = run_measured([cli, "survey", "--json", path])
            failed = json.loads(output).get("failed", {}) if status in (0, 1) else None
            print(f"{name:20} {len(data) / 1e6:5.2f} MB  survey {','.join(failed or ['read']):16} peak {peak_kb / 1024:6.1f} MB")
            if failed is None:
                failures.append(f"{name}: survey exit {status}")
            if peak_kb / 1024 > LIMIT_MB:
                failures.append(f"{name}: survey peaked at {peak_kb / 1024:.0f} MB")
    if failures:
        raise SystemExit("\n".join(failures))
    print(f"every input parsed or failed typed under {LIMIT_MB} MB in the CLI, Python and Node, and surveyed under it")


if __name__ == "__main__":
    main()
