"""`kohi watch DIR > FILE`: each line is on disk before the ledger records its acknowledgement.

The ledger's acknowledgement is synced (SQLite, synchronous=FULL), so a line only written to
the page cache could be lost by a power cut or an OS crash while its acknowledgement survived:
the file would never be printed again. Traced with strace (its system calls, with the path of
each descriptor): after the write of an event's line to FILE, a sync of FILE must come before
the next write to the ledger.

    python3 scripts/watch_durable.py target/release/kohi
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    kohi = Path(sys.argv[1]).resolve()
    if shutil.which("strace") is None:
        sys.exit("strace is missing: install it with  apt-get install -y strace  (.ci/run does)")
    with tempfile.TemporaryDirectory(prefix="kohi-durable-") as tmp:
        tmp = Path(tmp)
        folder = tmp / "terminal"
        for sub in ("req", "res", "face"):
            (folder / sub).mkdir(parents=True)
        for i in range(3):
            shutil.copy(ROOT / "fixtures/face_pmh_two.xml", folder / "face" / f"OQSsiquc01res_face_{i}.xml")
        out, trace = tmp / "events.jsonl", tmp / "strace.log"
        with open(out, "wb") as stdout:
            subprocess.run(
                ["strace", "-f", "-y", "-qq", "-e", "trace=write,pwrite64,fsync,fdatasync", "-o", str(trace),
                 str(kohi), "watch", str(folder), "--settle", "50", "--max-events", "3"],
                stdout=stdout, stdin=subprocess.DEVNULL, check=True, timeout=60,
            )
        lines = out.read_bytes().splitlines()
        assert len(lines) == 3, f"{len(lines)} lines printed, not 3"
        calls = trace.read_text(errors="replace").splitlines()
        name = re.escape(str(out))
        line_write = re.compile(rf"\bwrite\(\d+<{name}>")
        out_sync = re.compile(rf"\b(fsync|fdatasync)\(\d+<{name}>")
        ledger_write = re.compile(r"\b(pwrite64|write)\(\d+<[^>]*\.kohi-inbox\.sqlite")
        writes = [i for i, call in enumerate(calls) if line_write.search(call)]
        assert len(writes) == 3, f"{len(writes)} writes of a line to the output, not 3 (one write a line)"
        for n, at in enumerate(writes, 1):
            for call in calls[at + 1:]:
                if out_sync.search(call):
                    break
                if ledger_write.search(call):
                    sys.exit(f"line {n}: acknowledged in the ledger before the output file was synced:\n  {call[:160]}")
            else:
                sys.exit(f"line {n}: the output file was never synced after it")
        print(f"kohi watch > file: each of {len(writes)} lines synced before its acknowledgement")


if __name__ == "__main__":
    main()
