"""What the inbox tells a caller is on disk is on disk: traced with strace, each system call with
the path of its descriptors.

1. `kohi watch DIR > FILE`: the ledger syncs an acknowledgement (SQLite, synchronous=FULL), so a
   line only written to the page cache could be lost by a power cut while its acknowledgement
   survived, and the file would never be printed again. After each line's write to FILE, a sync
   of FILE must come before the next write to the ledger.
2. `kohi watch DIR --done DONE`: an acknowledged file is linked into DONE, then its old name is
   removed. The new name is DONE's entry, on disk once DONE is synced: that sync must come
   between the link and the removal, or a power cut could leave the file under neither name.
3. `kohi request --out REQ`: the request is written under a temporary name, synced and linked
   into place. Its name must be synced (REQ) before kohi says it is written, or a power cut could
   take back a request the caller waits for the answer to.
4. `kohi watch DIR >> FILE` on a full disk (RLIMIT_FSIZE stands in for it: the write fails
   part-way, EFBIG): the partial line is cut back off FILE, kohi stops with status 1 and says so,
   and the next run's line is whole. Before, kohi stopped with status 0 and left the partial
   line, which the next run's first line was glued to: both unreadable, one acknowledged.
5. `kohi watch DIR >> FILE` where a kill or a power cut left a line without its newline: the
   next run ends that line before its first, so its own lines stay readable.

    python3 scripts/watch_durable.py target/release/kohi
"""

import json
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CALLS = "write,pwrite64,fsync,fdatasync,link,linkat,rename,renameat,renameat2,unlink,unlinkat"


def traced(tmp: Path, argv: list, stdout) -> list:
    """The system calls of `argv`, one a line."""
    trace = tmp / "strace.log"
    subprocess.run(["strace", "-f", "-y", "-qq", "-e", f"trace={CALLS}", "-o", str(trace), *argv],
                   stdout=stdout, stdin=subprocess.DEVNULL, check=True, timeout=60)
    return trace.read_text(errors="replace").splitlines()


def synced_between(calls: list, start: re.Pattern, sync: re.Pattern, stop: re.Pattern, what: str) -> int:
    """After every call matching `start`, one matching `sync` comes before any matching `stop`."""
    starts = [i for i, call in enumerate(calls) if start.search(call)]
    assert starts, f"{what}: no call matched {start.pattern}"
    for n, at in enumerate(starts, 1):
        for call in calls[at + 1:]:
            if sync.search(call):
                break
            if stop.search(call):
                sys.exit(f"{what} ({n}): not synced before\n  {call[:200]}")
        else:
            sys.exit(f"{what} ({n}): never synced after\n  {calls[at][:200]}")
    return len(starts)


def terminal(tmp: Path, files: int) -> Path:
    folder = tmp / "terminal"
    for sub in ("req", "res", "face"):
        (folder / sub).mkdir(parents=True)
    for i in range(files):
        shutil.copy(ROOT / "fixtures/face_pmh_two.xml", folder / "face" / f"OQSsiquc01res_face_{i}.xml")
    return folder


def main() -> None:
    kohi = str(Path(sys.argv[1]).resolve())
    if shutil.which("strace") is None:
        sys.exit("strace is missing: install it with  apt-get install -y strace  (.ci/run does)")
    ledger = re.compile(r"\b(pwrite64|write)\(\d+<[^>]*\.kohi-inbox\.sqlite")

    with tempfile.TemporaryDirectory(prefix="kohi-durable-") as tmp:
        tmp = Path(tmp)
        folder, out = terminal(tmp, 3), tmp / "events.jsonl"
        with open(out, "wb") as stdout:
            calls = traced(tmp, [kohi, "watch", str(folder), "--settle", "50", "--max-events", "3"], stdout)
        assert len(out.read_bytes().splitlines()) == 3, "3 lines printed"
        name = re.escape(str(out))
        n = synced_between(calls, re.compile(rf"\bwrite\(\d+<{name}>"),
                           re.compile(rf"\b(fsync|fdatasync)\(\d+<{name}>"), ledger,
                           "a line of kohi watch > FILE, before the ledger records its acknowledgement")
        assert n == 3, f"{n} writes of a line to the output, not 3 (one write a line)"
        print(f"kohi watch > FILE: each of {n} lines synced before its acknowledgement")

    with tempfile.TemporaryDirectory(prefix="kohi-durable-") as tmp:
        tmp = Path(tmp)
        folder, done = terminal(tmp, 2), tmp / "done"
        with open(tmp / "events.jsonl", "wb") as stdout:
            calls = traced(tmp, [kohi, "watch", str(folder), "--settle", "50", "--max-events", "2", "--done", str(done)],
                           stdout)
        assert len(list((done / "face").iterdir())) == 2, "both files moved to done"
        into_done = re.escape(str(done / "face"))
        n = synced_between(calls, re.compile(rf"\blinkat\(.*\"{into_done}/OQSsiquc01res_face_\d\.xml\""),
                           re.compile(rf"\bfsync\(\d+<{into_done}>\)"),
                           re.compile(r"\bunlink(at)?\(.*/face/OQSsiquc01res_face_\d\.xml\""),
                           "a file moved into --done, before its old name is removed")
        print(f"kohi watch --done: each of {n} moved files' new names synced before the old one was removed")

    with tempfile.TemporaryDirectory(prefix="kohi-durable-") as tmp:
        tmp = Path(tmp)
        req = terminal(tmp, 0) / "req"
        calls = traced(tmp, [kohi, "request", "--institution", "1312345678", "--insurer", "138057", "--symbol", "1",
                             "--number", "40123", "--birthdate", "19530311", "--id", "RC-0007", "--out", str(req)],
                       subprocess.DEVNULL)
        written = [p.name for p in req.iterdir()]
        assert len(written) == 1 and not written[0].startswith("."), written
        in_req = re.escape(str(req))
        synced_between(calls, re.compile(rf"\b(linkat|renameat2?|rename)\(.*\"{in_req}/OQSsiquc01req_"),
                       re.compile(rf"\bfsync\(\d+<{in_req}>\)"), re.compile(r"$^"),
                       "a request's name, before kohi request returns")
        print("kohi request: the request's name synced before it returned")

    full_disk_and_cut_lines(kohi)


def readable(data: bytes) -> tuple:
    """(lines that are JSON objects, lines that are not)."""
    good = bad = 0
    for line in data.split(b"\n"):
        if line:
            try:
                json.loads(line)
                good += 1
            except ValueError:
                bad += 1
    return good, bad


def full_disk_and_cut_lines(kohi: str) -> None:
    with tempfile.TemporaryDirectory(prefix="kohi-durable-") as tmp:
        tmp = Path(tmp)
        folder, out = terminal(tmp, 2), tmp / "events.jsonl"
        # The second file differs, so that the two lines differ.
        second = folder / "face" / "OQSsiquc01res_face_1.xml"
        second.write_bytes(second.read_bytes().replace(b"2026", b"2025"))
        earlier = b'{"earlier":true}\n' * 10_000  # lines of earlier runs; the ledger stays below this
        out.write_bytes(earlier)
        room = len(earlier) + 8_000  # one line fits (about 5.8 KB), the second does not

        def full_disk():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
            resource.setrlimit(resource.RLIMIT_FSIZE, (room, room))

        with open(out, "ab") as stdout:
            run = subprocess.run([kohi, "watch", str(folder), "--settle", "50", "--max-events", "2"],
                                 stdout=stdout, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                 preexec_fn=full_disk, restore_signals=False, timeout=60)
        stderr = run.stderr.decode()
        assert run.returncode == 1, f"a full disk: status {run.returncode}, not 1 ({stderr})"
        assert "standard output could not be written (file too large)" in stderr, stderr
        data = out.read_bytes()
        assert data.endswith(b"\n") and readable(data[len(earlier):]) == (1, 0), "the partial line cut back"
        with open(out, "ab") as stdout:
            subprocess.run([kohi, "watch", str(folder), "--settle", "50", "--idle-exit", "1"],
                           stdout=stdout, stdin=subprocess.DEVNULL, check=True, timeout=60)
        assert readable(out.read_bytes()[len(earlier):]) == (2, 0), "both events readable, once each"
        print("kohi watch >> FILE on a full disk: the partial line cut back, status 1; the next run's line whole")

    with tempfile.TemporaryDirectory(prefix="kohi-durable-") as tmp:
        tmp = Path(tmp)
        folder, out = terminal(tmp, 1), tmp / "events.jsonl"
        out.write_bytes(b'{"id":"a line a kill cut sh')
        with open(out, "ab") as stdout:
            subprocess.run([kohi, "watch", str(folder), "--settle", "50", "--max-events", "1"],
                           stdout=stdout, stdin=subprocess.DEVNULL, check=True, timeout=60)
        assert readable(out.read_bytes()) == (1, 1), "the cut line alone, then a whole one"
        print("kohi watch >> FILE after a cut line: it is ended before the first line of the run")


if __name__ == "__main__":
    main()
