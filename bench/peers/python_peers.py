#!/usr/bin/env python3
"""Python: kohi.parse vs what vendors use today, on the same bytes. Prints JSON lines.

Each peer does the work bench/rust's peers do (tests there hold those to kohi's own result): per
patient (a BulkConfirmUnit, else the whole body), per ResultOfQualificationConfirmation, a 医療扶助
entry when the 被保険者証区分 is A1 (公費負担者番号 from PublicExpenseNumber else InsurerNumber,
受給者番号 from BeneficiaryNumber else InsuredIdentificationNumber, validity from the first 医療券
else QualificationDate/DisqualificationDate), then every PMH MedicalSubsidyCertificateInfo; numbers
normalised (full-width digits, padding), the payer's check digit checked, national programs before
local ones. Shift_JIS is handled the way a vendor would: lxml decodes bytes itself; ElementTree and
xmltodict need the text decoded first.

Time is the process's CPU time (time.process_time). Rounds are interleaved: each round times every
tool once, in turn (each round starting one tool later), over a window; a tool's figure is the median
of its rounds.

    python_peers.py [--rounds N] [--window S] LABEL:PATH:ENCODING...
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


def entry(payer, recipient, start, end):
    payer = (payer or "").translate(FULLWIDTH).strip(" \u3000\t\r\n")
    return {"payer": payer, "recipient": (recipient or "").translate(FULLWIDTH).strip(" \u3000\t\r\n"),
            "valid": check_digit_ok(payer), "from": start or "", "to": end or ""}


def ordered(entries):
    entries.sort(key=lambda k: ORDER.index(k["payer"][:2]) if k["payer"][:2] in ORDER else len(ORDER))
    return entries


def tree_extract(root):
    """lxml and ElementTree share the API the walk needs."""
    out = []
    units = list(root.iter("BulkConfirmUnit")) or [root]
    for unit in units:
        patient = []
        for r in unit.iter("ResultOfQualificationConfirmation"):
            if (r.findtext("InsuredCardClassification") or "").strip() == "A1":
                payer = r.findtext("PublicExpenseNumber")
                payer = payer if payer is not None else r.findtext("InsurerNumber")
                recipient = r.findtext("BeneficiaryNumber")
                recipient = recipient if recipient is not None else r.findtext("InsuredIdentificationNumber")
                ticket = next(r.iter("MedicalTicketInfo"), None)
                if ticket is not None:
                    span = ticket.findtext("MedicalTicketValidDate"), ticket.findtext("MedicalTicketExpirationDate")
                else:
                    span = r.findtext("QualificationDate"), r.findtext("DisqualificationDate")
                patient.append(entry(payer, recipient, *span))
            for c in r.iter("MedicalSubsidyCertificateInfo"):
                patient.append(entry(c.findtext("MedicalSubsidyInsurerNumber"), c.findtext("MedicalSubsidyRecipientNumber"),
                                     c.findtext("MedicalSubsidyValidStartDate"), c.findtext("MedicalSubsidyValidEndDate")))
        out.extend(ordered(patient))
    return out


def as_list(x):
    return [] if x is None else x if isinstance(x, list) else [x]


def xmltodict_extract(text: str):
    body = xmltodict.parse(text)["XmlMsg"]["MessageBody"]
    out = []
    for unit in [body] + as_list(body.get("BulkConfirmUnit")):
        patient = []
        for r in as_list((unit.get("ResultList") or {}).get("ResultOfQualificationConfirmation")):
            if (r.get("InsuredCardClassification") or "").strip() == "A1":
                payer = r["PublicExpenseNumber"] if "PublicExpenseNumber" in r else r.get("InsurerNumber")
                recipient = r["BeneficiaryNumber"] if "BeneficiaryNumber" in r else r.get("InsuredIdentificationNumber")
                tickets = as_list((r.get("PublicExpenseResultList") or {}).get("MedicalTicketInfo"))
                if tickets:
                    span = tickets[0].get("MedicalTicketValidDate"), tickets[0].get("MedicalTicketExpirationDate")
                else:
                    span = r.get("QualificationDate"), r.get("DisqualificationDate")
                patient.append(entry(payer, recipient, *span))
            for c in as_list((r.get("MedicalSubsidyCertificateList") or {}).get("MedicalSubsidyCertificateInfo")):
                patient.append(entry(c.get("MedicalSubsidyInsurerNumber"), c.get("MedicalSubsidyRecipientNumber"),
                                     c.get("MedicalSubsidyValidStartDate"), c.get("MedicalSubsidyValidEndDate")))
        out.extend(ordered(patient))
    return out


def kohi_entries(doc):
    """kohi's 公費 as the peers report them (for the agreement check before timing)."""
    return [{"payer": k.payer_number or "", "recipient": k.recipient_number or "", "valid": k.payer_number_valid is True,
             "from": k.valid_from_raw or "", "to": k.valid_to_raw or ""} for p in doc.patients for k in p.kohi]


def cpu_per_call(fn, window):
    """CPU seconds per call over a window. The clock is read after a batch of calls worth about a
    millisecond, not after each: time.process_time() costs about 0.74 µs, which read per call was
    part of every tool's figure (an eighth of kohi's face result) and pulled every ratio
    towards 1."""
    start = time.process_time()
    fn()
    calls = 1
    first = time.process_time() - start
    batch = 1000 if first <= 0 else max(1, min(1000, int(1e-3 / first)))
    while True:
        spent = time.process_time() - start
        if spent >= window:
            return spent / calls
        for _ in range(batch):
            fn()
        calls += batch


def main(argv):
    rounds, window = 5, 0.3
    while argv and argv[0].startswith("--"):
        flag, value, argv = argv[0], argv[1], argv[2:]
        rounds, window = (int(value), window) if flag == "--rounds" else (rounds, float(value))
    for label, path, encoding in (a.split(":", 2) for a in argv):
        data = open(path, "rb").read()
        codec = "cp932" if encoding == "Shift_JIS" else "utf-8"
        huge = lxml.etree.XMLParser(huge_tree=True)  # lxml refuses text nodes over 10 MB otherwise
        peers = {
            "kohi.parse": lambda: [p.kohi for p in kohi.parse(data, max_size=1 << 30).patients],
            "kohi.parse + to_dict()": lambda: kohi.parse(data, max_size=1 << 30).to_dict(),
            "lxml.etree.fromstring": lambda: lxml.etree.fromstring(data, huge),
            "lxml + extraction": lambda: tree_extract(lxml.etree.fromstring(data, huge)),
            "ElementTree + extraction": lambda: tree_extract(ET.fromstring(data.decode(codec))),
            "xmltodict + extraction": lambda: xmltodict_extract(data.decode(codec)),
        }
        # A fair race only: every extracting peer finds exactly kohi's 公費.
        expected = kohi_entries(kohi.parse(data, max_size=1 << 30))
        for name in ("lxml + extraction", "ElementTree + extraction", "xmltodict + extraction"):
            assert peers[name]() == expected, f"{name} disagrees with kohi on {label}"
        for fn in peers.values():  # warm-up: first calls, caches
            cpu_per_call(fn, min(window, 0.1))
        seconds = {name: [] for name in peers}
        # Each round starts one tool later, so no tool always follows the same one (whose
        # garbage, collected in the next window, and cache state it would inherit).
        tools = list(peers.items())
        for round_ in range(rounds):
            for i in range(len(tools)):
                name, fn = tools[(round_ + i) % len(tools)]
                seconds[name].append(cpu_per_call(fn, window))
        for name, values in seconds.items():
            values = sorted(values)
            s = values[len(values) // 2]
            # cpu_us_fastest/slowest: the fastest and slowest round, how far the rounds were apart.
            print(json.dumps({"language": "Python", "file": label, "bytes": len(data), "tool": name,
                              "cpu_us": round(s * 1e6, 3), "docs_per_s": round(1 / s),
                              "mb_per_s": round(len(data) / s / 1e6, 1),
                              "cpu_us_fastest": round(values[0] * 1e6, 3),
                              "cpu_us_slowest": round(values[-1] * 1e6, 3)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
