#!/usr/bin/env python3
"""Python: kohi.parse vs what vendors use today, on the same bytes. Prints JSON lines.

Each peer does the equivalent work kohi does for the 公費 fields: find every PMH certificate,
read 公費負担者番号 / 受給者番号 / validity, normalise full-width digits and padding, check the
8-digit payer check digit, and order national programs before local ones. Shift_JIS is handled the
way a vendor would: lxml decodes bytes itself; ElementTree and xmltodict need the text decoded first.
"""
import json
import sys
import time
import xml.etree.ElementTree as ET

import kohi
import lxml.etree
import xmltodict

ORDER = "13 14 18 29 30 10 11 20 21 15 16 24 22 28 17 79 19 23 52 54 51 38 53 66 62 25 12".split()
FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def check_digit_ok(n: str) -> bool:
    if len(n) != 8 or not n.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(n[:-1])):
        p = int(ch) * (2 if i % 2 == 0 else 1)
        total += p // 10 + p % 10
    return (10 - total % 10) % 10 == int(n[-1])


def to_kohi(certs):
    out = []
    for payer, recipient, start, end in certs:
        payer = (payer or "").translate(FULLWIDTH).strip()
        out.append({
            "payer": payer, "recipient": (recipient or "").translate(FULLWIDTH).strip(),
            "valid": check_digit_ok(payer), "from": start, "to": end,
            "weight": ORDER.index(payer[:2]) if payer[:2] in ORDER else 999,
        })
    out.sort(key=lambda k: k["weight"])
    return out


def lxml_extract(data: bytes):
    root = lxml.etree.fromstring(data)
    certs = [(c.findtext("MedicalSubsidyInsurerNumber"), c.findtext("MedicalSubsidyRecipientNumber"),
              c.findtext("MedicalSubsidyValidStartDate"), c.findtext("MedicalSubsidyValidEndDate"))
             for c in root.iter("MedicalSubsidyCertificateInfo")]
    return to_kohi(certs)


def etree_extract(text: str):
    root = ET.fromstring(text)
    certs = [(c.findtext("MedicalSubsidyInsurerNumber"), c.findtext("MedicalSubsidyRecipientNumber"),
              c.findtext("MedicalSubsidyValidStartDate"), c.findtext("MedicalSubsidyValidEndDate"))
             for c in root.iter("MedicalSubsidyCertificateInfo")]
    return to_kohi(certs)


def xmltodict_extract(text: str):
    doc = xmltodict.parse(text)
    result = doc["XmlMsg"]["MessageBody"].get("ResultList", {}).get("ResultOfQualificationConfirmation", {})
    results = result if isinstance(result, list) else [result]
    certs = []
    for r in results:
        info = (r.get("MedicalSubsidyCertificateList") or {}).get("MedicalSubsidyCertificateInfo", [])
        for c in info if isinstance(info, list) else [info]:
            certs.append((c.get("MedicalSubsidyInsurerNumber"), c.get("MedicalSubsidyRecipientNumber"),
                          c.get("MedicalSubsidyValidStartDate"), c.get("MedicalSubsidyValidEndDate")))
    return to_kohi(certs)


def rate(fn, windows=5, seconds=0.4):
    """Calls per second: the median of `windows` timed windows (one slow window, a GC or the
    machine, does not decide the result)."""
    for _ in range(200):
        fn()
    rates = []
    for _ in range(windows):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(50):
                fn()
            n += 50
        rates.append(n / (time.perf_counter() - start))
    return sorted(rates)[len(rates) // 2]


def main(files):
    for label, path, encoding in files:
        data = open(path, "rb").read()
        decode = (lambda: data.decode("cp932")) if encoding == "Shift_JIS" else (lambda: data.decode("utf-8"))
        peers = {
            "kohi.parse": lambda: kohi.parse(data).patients[0].kohi,
            "lxml.etree.fromstring": lambda: lxml.etree.fromstring(data),
            "lxml + extraction": lambda: lxml_extract(data),
            "ElementTree + extraction": lambda: etree_extract(decode()),
            "xmltodict + extraction": lambda: xmltodict_extract(decode()),
        }
        for name, fn in peers.items():
            docs = rate(fn)
            print(json.dumps({"language": "Python", "file": label, "bytes": len(data), "tool": name,
                              "docs_per_s": round(docs), "mb_per_s": round(docs * len(data) / 1e6, 1)}), flush=True)


if __name__ == "__main__":
    main([tuple(a.split(":", 2)) for a in sys.argv[1:]])
