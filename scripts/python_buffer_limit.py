#!/usr/bin/env python3
"""Hardening: a bytes-like object past the size limit is refused before kohi copies it, and a
stream reads bytes in place.

kohi.parse and kohi.survey copy a bytes-like object other than bytes (it may change while kohi
reads it without the GIL). A 1 GiB file mapped with mmap, past the default 64 MiB limit, must be
refused with input_too_large without being read: before the size was checked first, the copy read
every page and doubled it (peak RSS past 2 GiB) for a certain refusal. The file is sparse, so it
takes no disk. Run with the venv's Python, which has kohi installed:

    .venv/bin/python scripts/python_buffer_limit.py
"""

import mmap
import os
import resource
import tempfile
from pathlib import Path

import kohi

SIZE = 1 << 30
LIMIT_MB = 256


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "large.xml")
        with open(path, "wb") as f:
            f.truncate(SIZE)
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            try:
                kohi.parse(mapped)
                raise SystemExit("a 1 GiB buffer was parsed past the 64 MiB limit")
            except kohi.KohiError as error:
                assert error.code == "input_too_large", error.code
            found = kohi.survey([mapped])
            assert (found["files"], found["failed"]) == (1, {"input_too_large": 1}), found
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"1 GiB mapped buffer refused as input_too_large by parse and survey; peak RSS {peak_mb:.0f} MB")
    assert peak_mb < LIMIT_MB, f"peak RSS {peak_mb:.0f} MB: the buffer was read or copied before it was refused"
    stream_reads_bytes_in_place()


def stream_reads_bytes_in_place() -> None:
    """kohi.stream(bytes) reads the object where it lies, as kohi.parse does: it copied it whole
    first, so peak RSS grew by the object's size (here a bulk file of about 128 MiB) however flat
    the stream's own memory was."""
    fixture = (Path(__file__).resolve().parent.parent / "fixtures" / "bulk_three_units.xml").read_bytes()
    start, end = fixture.index(b"<BulkConfirmUnit>"), fixture.rindex(b"</BulkConfirmUnit>") + len(b"</BulkConfirmUnit>")
    copies = (128 << 20) // (end - start)
    # Joined from references to one unit: the object is the only large allocation, so the
    # peak before the stream is its size, and a copy would raise it by as much again.
    data = b"".join([fixture[:start], *[fixture[start:end]] * copies, fixture[end:]])
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    streamed = sum(1 for _ in kohi.stream(data, max_size=len(data)))
    assert streamed == 3 * copies, streamed
    grown_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before_mb
    print(f"{len(data) >> 20} MiB of bytes streamed ({streamed} patients); peak RSS grew {grown_mb:.0f} MB")
    assert grown_mb < 48, f"peak RSS grew {grown_mb:.0f} MB: the bytes were copied"


if __name__ == "__main__":
    main()
