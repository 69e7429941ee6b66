#!/usr/bin/env python3
"""Hardening: kohi's allocator asks for no transparent huge pages in a Python or Node process.

The bindings allocate with mimalloc, which by default marks its arenas (1 GiB at a time)
MADV_HUGEPAGE. On the machine this was found on (a VM, THP in `madvise` mode) each 2 MiB page
fault then cost about 7 ms of system time: a 100,000-unit bulk file parsed into fresh memory, as
when the last result is still held, took 0.6-0.9 s instead of 0.18 s, in Python and in Node (whose
results are freed by the garbage collector, later). kohi is a guest in the host's process, so its
memory follows the host's huge-page policy as glibc's malloc does (the CLI and the C library use
it): the bindings build mimalloc with `no_thp`. A mapping marked MADV_HUGEPAGE shows `hg` in its
VmFlags (/proc/PID/smaps); none may after parses that each keep their result.

    scripts/no_huge_pages.py BULK_FILE PYTHON NODE_BINDING_DIR
"""

import json
import pathlib
import subprocess
import sys

PYTHON_CHECK = r"""
import json, sys
import kohi
data = open(sys.argv[1], "rb").read()
held = [kohi.parse(data, max_size=1 << 30) for _ in range(2)]
marked = []
for line in open("/proc/self/smaps"):
    if line.startswith("VmFlags:") and " hg" in line:
        marked.append(line.strip())
print(json.dumps({"patients": sum(len(r.patients) for r in held), "marked": len(marked)}))
"""

NODE_CHECK = r"""
const fs = require('fs')
const kohi = require(process.argv[1])
const data = fs.readFileSync(process.argv[2])
const held = [kohi.parse(data, { maxSize: 2 ** 30 }), kohi.parse(data, { maxSize: 2 ** 30 })]
const marked = fs.readFileSync('/proc/self/smaps', 'utf8').split('\n').filter((l) => l.startsWith('VmFlags:') && / hg\b/.test(l))
console.log(JSON.stringify({ patients: held.reduce((n, r) => n + r.patients.length, 0), marked: marked.length }))
"""


def main(bulk: str, python: str, node_binding: str) -> int:
    if not pathlib.Path("/proc/self/smaps").exists():
        print("no /proc/self/smaps here: nothing to check (Linux only)")
        return 0
    runs = {
        "Python": [python, "-c", PYTHON_CHECK, bulk],
        "Node": ["node", "-e", NODE_CHECK, str(pathlib.Path(node_binding).resolve()), bulk],
    }
    failed = False
    for name, command in runs.items():
        out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        print(f"{name}: {out['patients']} patients held, {out['marked']} mappings marked MADV_HUGEPAGE")
        if out["patients"] == 0:
            print(f"{name}: the bulk file gave no patients", file=sys.stderr)
            failed = True
        if out["marked"] != 0:
            print(f"{name}: memory marked for transparent huge pages (mimalloc built without no_thp?)", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
