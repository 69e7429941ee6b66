#!/usr/bin/env python3
"""Writes the fixtures of PMH data under names and in places kohi does not know.

Each is fixtures/face_pmh_two.xml with its two PMH certificates renamed (names of our own
choosing, not the official ones, which are not public) and, in two of them, moved: to the
person level, and into an unknown wrapper. `kohi survey --write` must propose a layout file
that reads each of them to the same kohi[] as the original. Each is written in UTF-8 and in
Shift_JIS (CP932). Two more in UTF-8 only: a document of PMH data of its own, and the
certificates' values in attributes (also in the Web API's JSON form, fixtures/webapi/).

Run from the repository root: python3 scripts/make_layout_fixtures.py
"""
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RENAMES = {
    "MedicalSubsidyCertificateList": "KohiJukyushashoList",
    "MedicalSubsidyCertificateInfo": "KohiJukyushasho",
    "MedicalSubsidyInsurerNumber": "FutanshaBango",
    "MedicalSubsidyRecipientNumber": "JukyushaBango",
    "CertificationName": "ShikakuMeisho",
    "MedicalSubsidyValidStartDate": "YukoKaishiBi",
    "MedicalSubsidyValidEndDate": "YukoShuryoBi",
    "IncomeSegment": "ShotokuKubun",
    "MaxCopaymentAmount": "JikoFutanJogenGaku",
    "AlwaysReimbursementFlg": "ShokanBaraiFlg",
}

original = (FIXTURES / "face_pmh_two.xml").read_text(encoding="utf-8")
renamed = original
for old, new in RENAMES.items():
    renamed = re.sub(rf"(</?){old}>", rf"\g<1>{new}>", renamed)
block = re.search(r"\n( *)<KohiJukyushashoList>.*?</KohiJukyushashoList>", renamed, re.S)
without_block = renamed.replace(block.group(0), "")


def reindent(text: str, spaces: int) -> str:
    lines = text.strip("\n").splitlines()
    strip = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return "\n".join(" " * spaces + l[strip:] for l in lines)


cases = {
    # The place kohi expects (inside the result), names it does not know.
    "pmh_unknown_names": renamed,
    # At the person level: in MessageBody, before the ResultList.
    "pmh_person_level": without_block.replace(
        "  <MessageBody>\n", "  <MessageBody>\n" + reindent(block.group(0), 4) + "\n", 1
    ),
    # Inside an unknown wrapper in the result, the end date before the start date.
    "pmh_wrapped": without_block.replace(
        "      </ResultOfQualificationConfirmation>",
        "        <PmhJoho>\n"
        + reindent(block.group(0), 10)
        + "\n        </PmhJoho>\n      </ResultOfQualificationConfirmation>",
        1,
    ),
}
cases["pmh_wrapped"] = re.sub(
    r"<YukoKaishiBi>20250401</YukoKaishiBi>(\s*)<YukoShuryoBi>20270930</YukoShuryoBi>",
    r"<YukoShuryoBi>20270930</YukoShuryoBi>\1<YukoKaishiBi>20250401</YukoKaishiBi>",
    cases["pmh_wrapped"],
)
# Two kinds of certificate under names of their own, each with its own child names (the second
# certificate of the original, a municipal one, renamed again), in the list kohi expects them in.
second = re.search(r"\n( *)<KohiJukyushasho>(?:(?!<KohiJukyushasho>).)*?88131016.*?</KohiJukyushasho>", renamed, re.S)
other_kind = second.group(0)
for old, new in {
    "KohiJukyushasho": "ChihoIryosho",
    "FutanshaBango": "ChihoFutanshaNo",
    "JukyushaBango": "ChihoJukyushaNo",
    "ShikakuMeisho": "IryoshoMeisho",
    "YukoKaishiBi": "KaishiBi",
    "YukoShuryoBi": "ShuryoBi",
}.items():
    other_kind = re.sub(rf"(</?){old}>", rf"\g<1>{new}>", other_kind)
cases["pmh_two_kinds"] = renamed.replace(second.group(0), other_kind, 1)

# A document of PMH data of its own (as a `PMHsimsm…` interface might send): its own root, the
# header, and the renamed list at the person level. Without a layout it is `unexpected_root`.
header = re.search(r"  <MessageHeader>.*?</MessageHeader>\n", original, re.S).group(0)
pmh_document = (
    '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n<PmhMsg>\n'
    + header
    + "  <MessageBody>\n"
    + reindent(block.group(0), 4)
    + "\n  </MessageBody>\n</PmhMsg>\n"
)
(FIXTURES / "pmh_document.xml").write_text(pmh_document, encoding="utf-8")

# The certificates' values in attributes (`<KohiJukyushasho FutanshaBango="…" …>`), the cap
# still a child element: a layout file names each attribute `@name`. UTF-8 only.
def as_attributes(certificate: re.Match) -> str:
    indent, body = certificate.group(1), certificate.group(2)
    leaves = re.findall(r"<(\w+)>([^<]*)</\1>", body)
    attributes = " ".join(f'{name}="{value}"' for name, value in leaves if name != "JikoFutanJogenGaku")
    children = [f"{indent}  <{name}>{value}</{name}>" for name, value in leaves if name == "JikoFutanJogenGaku"]
    if not children:
        return f"{indent}<KohiJukyushasho {attributes}/>"
    return f"{indent}<KohiJukyushasho {attributes}>\n" + "\n".join(children) + f"\n{indent}</KohiJukyushasho>"


pmh_attributes = re.sub(r"(?m)^( *)<KohiJukyushasho>(.*?)^ *</KohiJukyushasho>", as_attributes, renamed, flags=re.S)
(FIXTURES / "pmh_attributes.xml").write_text(pmh_attributes, encoding="utf-8")


# The same in the Web API's JSON form: an attribute is `"@name"`, as XML-to-JSON converters write
# it; an element repeated among its siblings is an array.
def as_json(element: ET.Element):
    children = list(element)
    if not children and not element.attrib:
        return element.text or ""
    value = {f"@{name}": text for name, text in element.attrib.items()}
    for child in children:
        same = [c for c in children if c.tag == child.tag]
        if len(same) > 1:
            value.setdefault(child.tag, []).append(as_json(child))
        else:
            value[child.tag] = as_json(child)
    return value


root = ET.fromstring(pmh_attributes.encode("utf-8"))
(FIXTURES / "webapi" / "pmh_attributes.json").write_text(
    json.dumps({root.tag: as_json(root)}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
)

for name, text in cases.items():
    (FIXTURES / f"{name}.xml").write_text(text, encoding="utf-8")
    sjis = text.replace('encoding="UTF-8"', 'encoding="Shift_JIS"', 1).replace(
        "<CharacterCodeIdentifier>0</CharacterCodeIdentifier>", "<CharacterCodeIdentifier>1</CharacterCodeIdentifier>"
    )
    # errors="strict": a character CP932 cannot hold must fail here, never become "?".
    (FIXTURES / f"{name}_sjis.xml").write_bytes(sjis.encode("cp932", errors="strict"))
