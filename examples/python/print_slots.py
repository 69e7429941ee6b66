#!/usr/bin/env python3
"""Print 第1〜第4公費 for the onshi result files given on the command line.

    python examples/python/print_slots.py face/OQSsiquc01res_face_0001.xml
"""

import sys

import kohi


def main(paths: list[str]) -> int:
    failed = 0
    for path in paths:
        print(path)
        try:
            result = kohi.parse_file(path)
        except kohi.KohiError as error:
            # Messages say where, never patient data: safe to log.
            print(f"  error {error.code}: {error}")
            failed += 1
            continue
        for number, patient in enumerate(result.patients, 1):
            print(f"  patient {number}: PMH {patient.pmh}")
            for k in patient.kohi:
                slot = f"第{k.slot}公費" if k.slot else "(枠外)"
                name = k.program or k.certificate_name or "地方単独"
                print(f"    {slot} {k.payer_number} {k.recipient_number} {name} {k.valid_from}..{k.valid_to}")
        for warning in result.warnings:
            print(f"  warning {warning.code}: {warning.path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
