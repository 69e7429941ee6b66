#!/usr/bin/env python3
"""Stream a bulk (一括照会) result one patient at a time, in memory that does not grow with the
file, then read what the file said besides its patients (its remainder): the bulk status, and
the header of a failed request, which has no patient at all.

    python examples/python/stream_bulk.py res/OQSmuquc02res_0001.xml
"""

import sys

import kohi


def stream_file(path: str) -> int:
    print(path)
    seen = 0
    try:
        with kohi.stream(path) as patients:
            for seen, patient in enumerate(patients, 1):
                status = patient.processing_result_status
                # A streamed patient's own result holds its unit's warnings.
                warnings = len(patient.result.warnings)
                print(f"  patient {seen}: status {status or '-'}, {len(patient.kohi)} 公費, {warnings} warning(s)")
    except kohi.KohiError as error:
        # The patients before the fault were handed out; messages never hold patient data.
        print(f"  after {seen} patient(s):\n  error {error.code}: {error}")
        return 1
    rest = patients.remainder  # kept after the `with` block
    bulk = rest.bulk or {}
    status = bulk.get("processing_result_status") or {}
    print(
        f"  {seen} patient(s); file: segment {rest.header.segment_of_result or '-'}, "
        f"error code {rest.header.error_code or '-'}, reception {bulk.get('reception_number') or '-'}, "
        f"bulk status {status.get('code') or '-'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(1 if sum(stream_file(path) for path in sys.argv[1:]) else 0)
