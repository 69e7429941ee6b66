#!/usr/bin/env python3
"""Writes the Shift_JIS (CP932) fixtures, whose bytes cannot be typed in a UTF-8 editor.

Run from the repository root: python3 scripts/make_sjis_fixtures.py
The committed .xml files are the fixtures; this script is how their bytes were made.
"""
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def write_cp932(name: str, text: str) -> None:
    # errors="strict": a character CP932 cannot hold must fail here, never become "?".
    (FIXTURES / name).write_bytes(text.encode("cp932", errors="strict"))


# The same result as insured_card_utf8.xml, only the declaration and the bytes differ.
utf8 = (FIXTURES / "insured_card_utf8.xml").read_text(encoding="utf-8")
write_cp932("insured_card_sjis.xml", utf8.replace('encoding="UTF-8"', 'encoding="Shift_JIS"', 1))

# Appendix (c2) of docs/DOMAIN.md: person-level error, 06139993 fails its check digit.
write_cp932("person_error_sjis.xml", """<?xml version="1.0" encoding="Shift_JIS" standalone="no"?>
<XmlMsg>
  <MessageHeader>
    <ProcessExecutionTime>20250604110517</ProcessExecutionTime>
    <QualificationConfirmationDate>20250604</QualificationConfirmationDate>
    <MedicalInstitutionCode>1312345678</MedicalInstitutionCode>
    <ReferenceClassification>2</ReferenceClassification>
    <SegmentOfResult>1</SegmentOfResult>
    <CharacterCodeIdentifier>1</CharacterCodeIdentifier>
  </MessageHeader>
  <MessageBody>
    <QualificationConfirmSearchInfo>
      <InsurerNumber>06139993</InsurerNumber>
      <InsuredCardSymbol>1</InsuredCardSymbol>
      <InsuredIdentificationNumber>99</InsuredIdentificationNumber>
      <Birthdate>19800101</Birthdate>
    </QualificationConfirmSearchInfo>
    <ProcessingResultStatus>2</ProcessingResultStatus>
    <ProcessingResultCode>PLACEHOLDER-CODE</ProcessingResultCode>
    <ProcessingResultMessage>該当する資格情報が存在しません。</ProcessingResultMessage>
    <QualificationValidity>4</QualificationValidity>
  </MessageBody>
</XmlMsg>
""")

# CP932-only characters (NEC ① ㈱, IBM 髙) in a name, an address and a certificate name.
# The declaration is omitted on purpose: CharacterCodeIdentifier 1 must select Shift_JIS.
write_cp932("sjis_cp932_chars.xml", """<XmlMsg>
  <MessageHeader>
    <ProcessExecutionTime>20251118101500</ProcessExecutionTime>
    <QualificationConfirmationDate>20251118</QualificationConfirmationDate>
    <MedicalInstitutionCode>1312345678</MedicalInstitutionCode>
    <ReferenceClassification>1</ReferenceClassification>
    <SegmentOfResult>1</SegmentOfResult>
    <CharacterCodeIdentifier>1</CharacterCodeIdentifier>
  </MessageHeader>
  <MessageBody>
    <ProcessingResultStatus>1</ProcessingResultStatus>
    <QualificationValidity>1</QualificationValidity>
    <ResultList>
      <ResultOfQualificationConfirmation>
        <InsuredCardClassification>01</InsuredCardClassification>
        <InsurerNumber>06270003</InsurerNumber>
        <InsuredCardSymbol>①</InsuredCardSymbol>
        <InsuredIdentificationNumber>3</InsuredIdentificationNumber>
        <Name>髙橋　①子</Name>
        <NameKana>ﾀｶﾊｼ ｲﾁｺ</NameKana>
        <Sex1>2</Sex1>
        <Birthdate>19921212</Birthdate>
        <Address>大阪府大阪市見本町１－１　㈱見本ビル①号室</Address>
        <InsurerName>㈱見本健康保険組合</InsurerName>
        <MedicalSubsidyConsFlg>1</MedicalSubsidyConsFlg>
        <MedicalSubsidyCertificateList>
          <MedicalSubsidyCertificateInfo>
            <MedicalSubsidyInsurerNumber>54270004</MedicalSubsidyInsurerNumber>
            <MedicalSubsidyRecipientNumber>4242426</MedicalSubsidyRecipientNumber>
            <CertificationName>特定医療費（指定難病）受給者証①</CertificationName>
            <MedicalSubsidyValidStartDate>20251001</MedicalSubsidyValidStartDate>
            <MedicalSubsidyValidEndDate>20260930</MedicalSubsidyValidEndDate>
          </MedicalSubsidyCertificateInfo>
        </MedicalSubsidyCertificateList>
      </ResultOfQualificationConfirmation>
    </ResultList>
  </MessageBody>
</XmlMsg>
""")

# Negative: a lead byte (0x85) followed by a byte that cannot trail it, inside a name.
head = '<?xml version="1.0" encoding="Shift_JIS"?>\n<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><Name>'
tail = "</Name></ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>\n"
(FIXTURES / "error_bad_sjis.xml").write_bytes(head.encode("ascii") + "見本".encode("cp932") + b"\x85 " + tail.encode("ascii"))

# Negative: invalid UTF-8 (a lone continuation byte) inside a name.
(FIXTURES / "error_bad_utf8.xml").write_bytes(
    '<?xml version="1.0" encoding="UTF-8"?>\n<XmlMsg><MessageBody><ResultList><ResultOfQualificationConfirmation><Name>'.encode()
    + "見本".encode() + b"\x80" + tail.encode("ascii"))
