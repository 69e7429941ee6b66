#!/usr/bin/env python3
"""Writes the attack fixtures (fixtures/attack_*.xml): hostile or broken inputs that must each
give a typed error within the limits, in every language (they run through the golden contract).

Run from the repository root: python3 scripts/make_attack_fixtures.py
"""
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DECL_UTF8 = '<?xml version="1.0" encoding="UTF-8"?>\n'
DECL_SJIS = '<?xml version="1.0" encoding="Shift_JIS"?>\n'
RESULT = "<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation>{}</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>\n"


def write(name: str, data: bytes) -> None:
    (FIXTURES / f"attack_{name}.xml").write_bytes(data)


# The classic: ten levels of ten entity references (a billion "lol"s if expanded).
lol = ['<!ENTITY lol "lol">'] + [f'<!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">' for i in range(1, 10)]
write("billion_laughs", (DECL_UTF8 + "<!DOCTYPE XmlMsg [\n  " + "\n  ".join(lol) + "\n]>\n" + RESULT.format("<Name>&lol9;</Name>")).encode())
# An external entity that would read a local file.
write("external_entity", (DECL_UTF8 + '<!DOCTYPE XmlMsg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n' + RESULT.format("<Name>&xxe;</Name>")).encode())
# 10,000 nested elements.
write("deep_nesting", (DECL_UTF8 + "<XmlMsg><MessageBody>" + "<a>" * 10_000 + "</a>" * 10_000 + "</MessageBody></XmlMsg>\n").encode())
# A 100 KB attribute value (over the 64 KiB per-element text limit).
write("huge_attribute", (DECL_UTF8 + RESULT.format('<Name x="' + "A" * 100_000 + '">見本</Name>')).encode())
# A NUL byte inside a name.
write("nul_byte", (DECL_UTF8 + RESULT.format("<Name>見本\0太郎</Name>")).encode())
# An overlong UTF-8 encoding of '/' (C0 AF), a classic filter bypass.
write("overlong_utf8", DECL_UTF8.encode() + RESULT.format("<Name>a{}b</Name>").encode().replace(b"{}", b"\xc0\xaf"))
# A Shift_JIS lead byte cut off at the end of the input.
write("truncated_sjis", DECL_SJIS.encode() + RESULT.format("<Name>").split("<Name>")[0].encode() + "<Name>見本".encode("cp932") + b"\x88")
# UTF-8 bytes that declare Shift_JIS: decoding would garble every name without an error.
write("utf8_declared_sjis", (DECL_SJIS + RESULT.format("<Name>見本　太郎</Name>")).encode("utf-8"))
# Shift_JIS bytes that declare UTF-8.
write("sjis_declared_utf8", (DECL_UTF8 + RESULT.format("<Name>見本　太郎</Name>")).encode("cp932"))
# A UTF-8 byte order mark with a Shift_JIS declaration.
write("bom_vs_declaration", b"\xef\xbb\xbf" + (DECL_SJIS + RESULT.format("<Name>1</Name>")).encode())
# A character reference to a control character.
write("control_char_reference", (DECL_UTF8 + RESULT.format("<Name>&#x1B;[31m</Name>")).encode())
