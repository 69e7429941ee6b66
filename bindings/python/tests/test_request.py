"""kohi.write_request: a 被保険者証 query into req/, as `kohi request` writes it, read back by the
parser; fields missing or malformed are named, never quoted."""

import datetime
import errno

import pytest

import kohi

FIELDS = dict(
    medical_institution_code="1312345678",
    insurer_number="138057",
    insured_card_symbol="練馬〜東",
    insured_identification_number="４０１２３",
    insured_branch_number="00",
    birthdate=datetime.date(1953, 3, 11),
    qualification_confirmation_date="20250604",
    limit_application_consent=True,
    arbitrary_file_identifier="RC-20250604-0007",
)


def test_a_request_is_written_in_shift_jis_and_reads_back(tmp_path):
    req = tmp_path / "req"
    req.mkdir()
    path = kohi.write_request(req, free_part="RC0007", **FIELDS)
    assert path == str(req / "OQSsiquc01req_RC0007.xml")
    data = (req / "OQSsiquc01req_RC0007.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="Shift_JIS"')
    doc = kohi.parse(data)
    assert doc.encoding == "Shift_JIS"
    assert doc.header.medical_institution_code == "1312345678"
    assert doc.header.arbitrary_file_identifier == "RC-20250604-0007"
    assert doc.header.qualification_confirmation_date == datetime.date(2025, 6, 4)
    search = doc.patients[0].search_info
    assert search["insurer_number"]["raw"] == "  138057"
    assert search["insured_card_symbol"]["raw"] == "練馬～東", "WAVE DASH in its CP932 form"
    assert search["insured_identification_number"] == {"normalized": "40123", "raw": "４０１２３"}
    assert search["birthdate"] == "1953-03-11"
    assert search["limit_application_certificate_related_cons_flg"]["code"] == "1"
    assert [p.name for p in req.iterdir()] == ["OQSsiquc01req_RC0007.xml"], "no temporary file left"


def test_defaults_utf8_and_names_that_never_repeat(tmp_path):
    fields = {k: v for k, v in FIELDS.items() if k not in ("qualification_confirmation_date", "insured_card_symbol")}
    first = kohi.write_request(tmp_path, encoding="utf-8", **fields)
    second = kohi.write_request(tmp_path, encoding="utf-8", **fields)
    assert first != second and len(list(tmp_path.iterdir())) == 2
    doc = kohi.parse_file(first)
    assert doc.encoding == "UTF-8"
    today_in_japan = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=9)).date()
    assert doc.header.qualification_confirmation_date in (today_in_japan, today_in_japan - datetime.timedelta(days=1))


def test_a_field_missing_or_malformed_is_named_never_quoted(tmp_path):
    for name, bad in [("birthdate", "1953-13-40"), ("insurer_number", "12345"), ("medical_institution_code", "131234567X")]:
        with pytest.raises(kohi.KohiError) as caught:
            kohi.write_request(tmp_path, **{**FIELDS, name: bad})
        assert caught.value.code == "invalid_request" and name in str(caught.value) and bad not in str(caught.value)
    with pytest.raises(kohi.KohiError) as caught:
        kohi.write_request(tmp_path, **{**FIELDS, "insured_card_symbol": "𠮷"})
    assert caught.value.code == "unrepresentable_character"
    with pytest.raises(kohi.KohiError) as caught:
        kohi.write_request(tmp_path, free_part="../x", **FIELDS)
    assert caught.value.code == "invalid_request" and "free_part" in str(caught.value)
    with pytest.raises(TypeError):
        kohi.write_request(tmp_path, **{**FIELDS, "birthdate": 19530311})
    with pytest.raises(ValueError):
        kohi.write_request(tmp_path, encoding="euc-jp", **FIELDS)
    assert list(tmp_path.iterdir()) == []


def test_dates_in_full_width_digits_as_a_database_may_hold_them(tmp_path):
    base = kohi.write_request(tmp_path, free_part="A", **FIELDS)
    for n, (birthdate, date) in enumerate([("１９５３０３１１", "２０２５－０６－０４"), ("1953/03/11", "\u30002025/06/04 ")]):
        wide = kohi.write_request(tmp_path, free_part=f"W{n}", **{**FIELDS, "birthdate": birthdate, "qualification_confirmation_date": date})
        assert open(wide, "rb").read() == open(base, "rb").read(), birthdate
    for bad in ["S28.03.11", "昭和28年3月11日", "1953-03/11"]:
        with pytest.raises(kohi.KohiError) as caught:
            kohi.write_request(tmp_path, free_part="X", **{**FIELDS, "birthdate": bad})
        assert caught.value.code == "invalid_request" and "birthdate" in str(caught.value)


def test_a_second_request_of_the_same_name_and_a_results_folder_are_refused(tmp_path):
    kohi.write_request(tmp_path, free_part="A1", **FIELDS)
    with pytest.raises(OSError) as caught:
        kohi.write_request(tmp_path, free_part="A1", **FIELDS)
    assert caught.value.code == "io" and caught.value.errno == errno.EEXIST
    (tmp_path / "res").mkdir()
    with pytest.raises(kohi.NotATerminalFolderError):
        kohi.write_request(tmp_path / "res", **FIELDS)
