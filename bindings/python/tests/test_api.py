"""The Python surface: attributes, inputs, errors, options, reconcile, numbers, repr."""

import array
import collections
import datetime
import gc
import json
import mmap
import pathlib
import types

import pytest

import kohi
from conftest import FIXTURES, bulk_xml


def parse(name, **kw):
    return kohi.parse((FIXTURES / name).read_bytes(), **kw)


class TestPmh:
    def test_three_subsidies_in_receipt_order(self):
        patient = parse("pmh_three_out_of_order.xml").patients[0]
        assert patient.pmh == "received"
        slots = [(k.slot, k.law_number, k.payer_number, k.recipient_number) for k in patient.kohi]
        assert slots == [
            (1, "21", "21136015", "3000015"),
            (2, "54", "54136015", "1112226"),
            (3, "88", "88131016", "K000067890"),
        ]
        first, second, local = patient.kohi
        assert first.scope == "national" and local.scope == "local"
        assert first.program == "障害者総合支援法 自立支援医療（精神通院医療）"
        assert local.program is None and local.certificate_name == "ひとり親家庭等医療証"
        assert first.payer_number_valid is True and first.recipient_number_valid is True
        assert local.recipient_number_valid is None
        assert first.valid_from == datetime.date(2025, 6, 1) and first.valid_to == datetime.date(2026, 5, 31)
        assert first.valid_to_raw == "20260531"
        assert first.income_segment == "中間所得2"
        assert first.max_copayment == {"amount": "5000", "raw": "５，０００円", "items": []}
        assert second.max_copayment["items"][0] == {"name": "MonthlyLimit", "value": "20000"}
        assert first.always_reimbursement is False
        assert first.source == "pmh"

    def test_overflow_has_no_slot(self):
        kohis = parse("pmh_overflow.xml").patients[0].kohi
        assert [k.slot for k in kohis] == [1, 2, 3, 4, None]
        assert [w.code for w in parse("pmh_overflow.xml").warnings] == ["slot_overflow"]

    def test_states(self):
        assert parse("face_no_pmh.xml").patients[0].pmh == "absent"
        assert parse("pmh_consent_refused.xml").patients[0].pmh == "received_empty"
        # Certificates under names kohi does not read: never "empty".
        assert parse("pmh_unknown_names.xml").patients[0].pmh == "received_unread"


class TestMedicalAid:
    def test_a1(self):
        patient = parse("medical_aid_a1.xml").patients[0]
        (k,) = patient.kohi
        assert (k.slot, k.source, k.law_number, k.payer_number, k.recipient_number) == (
            1,
            "medical_aid",
            "12",
            "12136016",
            "7654320",
        )
        assert k.program == "生活保護法 医療扶助"
        assert k.welfare_office_name == "新宿区福祉事務所"
        q = patient.qualifications[0]
        assert q.insured_card_classification == "A1"
        assert q.insured_card_classification.label == "医療扶助"
        assert q.medical_tickets[0]["ticket_type"] == {"code": "01", "label": "医療券"}


class TestQualificationAndHeader:
    def test_fields(self):
        result = parse("insured_card_sjis.xml")
        assert result.encoding == "Shift_JIS"
        q = result.patients[0].qualifications[0]
        assert (q.insurer_number, q.insurer_number_raw, q.insurer_number_valid) == ("138057", "  138057", True)
        assert (q.insured_identification_number, q.insured_identification_number_raw) == ("40123", "４０１２３")
        assert q.insured_card_symbol == "練馬"
        assert q.name == "見本　一郎" and q.name_kana == "ﾐﾎﾝ ｲﾁﾛｳ"
        assert q.birthdate == datetime.date(1953, 3, 11)
        assert q.elderly_recipient_certificate["contribution_ratio"] == "020"
        assert q.limit_application_certificate["classification_flag"] == {"code": "B04", "label": "一般"}
        assert q.limit_application_certificate_related_cons_time == datetime.datetime(2025, 6, 4, 9, 30, 10)
        header = result.header
        assert header.segment_of_result == "1"
        assert header.segment_of_result.label == "正常終了"
        assert header.qualification_confirmation_date == datetime.date(2025, 6, 4)
        assert result.patients[0].search_info["insurer_number"]["valid"] is True

    def test_invalid_dates_keep_their_text(self):
        result = parse("unknown_element_and_code.xml")
        q = result.patients[0].qualifications[0]
        assert q.birthdate is None and q.birthdate_raw == "19850230"
        assert result.patients[0].qualification_validity.code == "7"
        assert result.patients[0].qualification_validity.label is None
        assert [u.path.rsplit("/", 1)[1] for u in result.unknown_elements][:1] == ["SystemVersion"]
        assert result.unknown_elements[0].text == "9.01"

    def test_bulk(self):
        result = parse("bulk_three_units.xml")
        assert [p.reference_number for p in result.patients] == ["1001", "1002", "1003"]
        assert result.bulk["reception_number"] == "R202511160001"


class TestEquality:
    """The objects are views of a parsed file and compare by value, as dataclasses do: the same
    file parsed twice, or one patient read twice, is equal (it was equal only to itself, so a
    program asking whether the 公費 changed between two files was always told they had)."""

    def test_the_same_file_twice_is_equal_and_hashes_alike(self):
        first, again = parse("face_pmh_two.xml"), parse("face_pmh_two.xml")
        assert first == again and hash(first) == hash(again)
        assert first.header == again.header and hash(first.header) == hash(again.header)
        (p,), (q,) = first.patients, again.patients
        assert p == q and hash(p) == hash(q)
        assert p.qualifications == q.qualifications
        assert hash(p.qualifications[0]) == hash(q.qualifications[0])
        assert p.kohi == q.kohi and [hash(k) for k in p.kohi] == [hash(k) for k in q.kohi]
        assert len({*p.kohi, *q.kohi}) == 2

    def test_one_changed_digit_is_not_equal(self):
        xml = (FIXTURES / "face_pmh_two.xml").read_bytes()
        first = kohi.parse(xml)
        other = kohi.parse(xml.replace(b">88131016<", b">88131024<"))
        assert first != other and first.patients[0] != other.patients[0]
        assert first.patients[0].kohi[0] == other.patients[0].kohi[0]
        assert first.patients[0].kohi[1] != other.patients[0].kohi[1]
        assert first.patients[0].qualifications != other.patients[0].qualifications

    def test_copies_are_the_view_itself_and_pickling_says_what_to_send(self):
        import copy
        import pickle

        result = parse("face_pmh_two.xml")
        patient = result.patients[0]
        views = [result, result.header, patient, patient.qualifications[0], patient.kohi[0]]
        for view in views:
            assert copy.copy(view) is view and copy.deepcopy(view) is view
        # A structure that holds them deep-copies (it raised TypeError: cannot pickle).
        held = {"visit": [result, patient.kohi]}
        copied = copy.deepcopy(held)
        assert copied == held and copied["visit"] is not held["visit"] and copied["visit"][0] is result
        for view in views:
            with pytest.raises(TypeError, match=r"send result\.to_dict\(\)"):
                pickle.dumps(view)
        assert pickle.loads(pickle.dumps(result.to_dict())) == result.to_dict()

    def test_views_of_different_kinds_are_never_equal(self):
        result = parse("face_pmh_two.xml")
        patient = result.patients[0]
        assert patient != result and patient.kohi[0] != patient and result != result.to_dict()
        assert patient.kohi[0] != patient.kohi[1]

    def test_a_streamed_patient_equals_the_whole_parse(self):
        unit = (
            "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ResultList><ResultOfQualificationConfirmation>"
            "<InsuredCardClassification>A1</InsuredCardClassification><InsurerNumber>12136016</InsurerNumber>"
            "</ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>"
        )
        xml = bulk_xml(unit, 5)
        streamed, whole = list(kohi.stream(xml)), kohi.parse(xml).patients
        assert [len(p.kohi) for p in whole] == [1] * 5
        assert streamed == whole and streamed[1] != whole[2]


class TestInputs:
    def test_bytes_str_path_and_bytearray_agree(self):
        path = FIXTURES / "face_pmh_two.xml"
        expected = kohi.parse(path.read_bytes()).to_json()
        assert kohi.parse(path.read_text(encoding="utf-8")).to_json() == expected
        assert kohi.parse(path).to_json() == expected
        assert kohi.parse(bytearray(path.read_bytes())).to_json() == expected
        assert kohi.parse_file(str(path)).to_json() == expected
        assert kohi.parse_file(path).to_json() == expected

    def test_bytes_like_objects_agree(self, tmp_path):
        # memoryview, mmap and array.array('B') carry a file's bytes as bytes do (a vendor that
        # maps a large bulk file, or reads into a buffer): each is parsed as its bytes.
        path = FIXTURES / "face_pmh_two.xml"
        data = path.read_bytes()
        expected = kohi.parse(data).to_json()
        assert kohi.parse(memoryview(data)).to_json() == expected
        assert kohi.parse(memoryview(b"xx" + data)[2:]).to_json() == expected
        assert kohi.parse(array.array("B", data)).to_json() == expected
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            assert kohi.parse(mapped).to_json() == expected
        sjis = (FIXTURES / "insured_card_sjis.xml").read_bytes()
        assert kohi.parse(memoryview(sjis)).encoding == "Shift_JIS"
        # The view is released after the call: the bytearray under it can be resized again.
        grown = bytearray(data)
        assert kohi.parse(grown).to_json() == expected
        grown += b" "
        assert kohi.survey([memoryview(data)])["files"] == kohi.survey([data])["files"] == 1

    def test_bytes_like_objects_past_the_size_limit_are_refused_as_bytes_are(self):
        data = (FIXTURES / "face_pmh_two.xml").read_bytes()
        for too_large in (data, memoryview(data), bytearray(data)):
            with pytest.raises(kohi.KohiError) as raised:
                kohi.parse(too_large, max_size=100)
            assert raised.value.code == "input_too_large"
        found = kohi.survey([memoryview(data), data], max_size=100)
        assert (found["files"], found["failed"]) == (2, {"input_too_large": 2})

    def test_bytes_like_objects_of_wider_items_are_refused(self):
        wide = array.array("H", [0x3C58, 0x3E00])
        with pytest.raises(TypeError, match="one-byte items"):
            kohi.parse(wide)
        with pytest.raises(TypeError, match="one-byte items"):
            kohi.survey([wide])

    def test_str_ignores_the_declared_encoding(self):
        text = (FIXTURES / "insured_card_sjis.xml").read_bytes().decode("cp932")
        result = kohi.parse(text)
        assert result.encoding == "UTF-8"
        assert result.patients[0].qualifications[0].name == "見本　一郎"

    @pytest.mark.parametrize("bad", [None, 42, 4.2, ["x"], {"a": 1}, object()])
    def test_bad_types_raise_type_error(self, bad):
        with pytest.raises(TypeError):
            kohi.parse(bad)
        with pytest.raises(TypeError):
            kohi.parse_file(bad)

    def test_bytes_path_is_refused(self):
        with pytest.raises(TypeError):
            kohi.parse_file(b"fixtures/face_pmh_two.xml")

    def test_missing_file_is_a_kohi_error_and_a_file_not_found_error(self):
        missing = FIXTURES / "no_such_file.xml"
        with pytest.raises(FileNotFoundError) as raised:
            kohi.parse_file(missing)
        error = raised.value
        assert isinstance(error, kohi.FileReadError) and isinstance(error, kohi.KohiError)
        assert type(error) is kohi.FileReadNotFoundError
        assert (error.code, error.number, error.errno, error.filename) == ("io", 1, 2, str(missing))
        assert str(missing) in str(error) and "os error 2" in str(error)

    def test_a_folder_is_an_is_a_directory_error(self):
        with pytest.raises(IsADirectoryError) as raised:
            kohi.parse_file(FIXTURES)
        assert isinstance(raised.value, kohi.FileReadError) and raised.value.filename == str(FIXTURES)

    def test_every_io_class_is_an_os_error_and_a_kohi_error(self):
        for cls in (kohi.FileReadError, kohi.FileReadNotFoundError, kohi.FileReadPermissionError, kohi.FileReadIsADirectoryError):
            assert issubclass(cls, OSError) and issubclass(cls, kohi.KohiError), cls
        assert issubclass(kohi.FileReadPermissionError, PermissionError)
        assert kohi.ERROR_CLASSES["io"] is kohi.FileReadError

    def test_huge_and_odd_strings_give_typed_errors(self):
        with pytest.raises(kohi.MalformedXmlError):
            kohi.parse("x" * 1_000_000)
        with pytest.raises(kohi.MalformedXmlError):
            kohi.parse("<XmlMsg>\x00</XmlMsg>")
        # A str that is not valid Unicode (a lone surrogate) is kohi's typed error, not a crash
        # (and not Python's UnicodeEncodeError, which carries the text).
        with pytest.raises(kohi.EncodingError):
            kohi.parse("<XmlMsg>\ud800</XmlMsg>")


class TestOptions:
    RENAMED = (FIXTURES / "face_pmh_two.xml").read_text(encoding="utf-8").replace("MedicalSubsidyInsurerNumber", "PayerNo")

    def test_aliases_as_dict_or_json(self):
        assert kohi.parse(self.RENAMED).patients[0].kohi[0].payer_number is None
        for aliases in ({"MedicalSubsidyInsurerNumber": ["PayerNo"]}, '{"MedicalSubsidyInsurerNumber": "PayerNo"}'):
            assert kohi.parse(self.RENAMED, aliases=aliases).patients[0].kohi[0].payer_number == "52136017"

    def test_bad_aliases(self):
        with pytest.raises(kohi.AliasTableError) as raised:
            kohi.parse(self.RENAMED, aliases={"NoSuchElement": ["X"]})
        assert raised.value.code == "invalid_alias_table"
        with pytest.raises(TypeError):
            kohi.parse(self.RENAMED, aliases=42)

    def test_max_size(self):
        with pytest.raises(kohi.InputTooLargeError) as raised:
            kohi.parse(self.RENAMED, max_size=100)
        assert raised.value.code == "input_too_large"
        with pytest.raises(TypeError):
            kohi.parse(self.RENAMED, max_size="big")


class TestReconcile:
    STORED = [
        {
            "payer_number": "52136017",
            "recipient_number": "1234566",
            "valid_from": "2025-04-01",
            "valid_to": "2026-03-31",
            "income_segment": "一般Ⅰ",
            "max_copayment": "5000",
        }
    ]

    def test_changes(self):
        patient = parse("face_pmh_two.xml").patients[0]
        changes = kohi.reconcile(self.STORED, patient, datetime.date(2025, 6, 4))
        assert [c["change"] for c in changes] == ["unchanged", "added"]
        assert changes[1]["kohi"]["payer_number"] == "88131016"
        assert kohi.reconcile(self.STORED, patient, "2026-04-01")[0]["change"] == "expired"
        # Any mappings in a list or tuple, as the stub says (json.dumps took dicts only).
        for stored in (tuple(self.STORED), [types.MappingProxyType(self.STORED[0])], json.dumps(self.STORED)):
            assert [c["change"] for c in kohi.reconcile(stored, patient, "2025-06-04")] == ["unchanged", "added"]
        with pytest.raises(TypeError):
            kohi.reconcile([{"valid_from": datetime.date(2025, 4, 1)}], patient, "2025-06-04")

    def test_absence_is_unknown(self):
        patient = parse("face_no_pmh.xml").patients[0]
        assert [c["change"] for c in kohi.reconcile(self.STORED, patient, "2025-06-04")] == ["unknown"]

    def test_bad_arguments(self):
        patient = parse("face_pmh_two.xml").patients[0]
        with pytest.raises(kohi.StoredRecordError):
            kohi.reconcile([{"nope": 1}], patient, "2025-06-04")
        with pytest.raises(ValueError):
            kohi.reconcile(self.STORED, patient, "2025/06/04")
        with pytest.raises(TypeError):
            kohi.reconcile(self.STORED, "patient", "2025-06-04")
        with pytest.raises(TypeError):
            kohi.reconcile(self.STORED, patient, 20250604)


class TestNumbers:
    def test_check_number(self):
        assert kohi.check_number("insurer", "33120015")
        assert kohi.check_number("payer", "54016027").valid
        assert kohi.check_number("recipient", "１２３４５６６").normalized == "1234566"
        check = kohi.check_number("insurer", "06139993")
        assert not check and check.expected_check_digit == 2 and check.kind == "insurer"
        # The wrong length: no check digit makes it right, so none is offered.
        assert kohi.check_number("payer", "521360172").expected_check_digit is None
        with pytest.raises(ValueError):
            kohi.check_number("phone", "1")
        with pytest.raises(TypeError):
            kohi.check_number("payer", 54016027)


class TestPrivacy:
    SECRETS = ["見本", "ﾐﾎﾝ", "52136017", "1234566", "K000012345", "20150822", "24434"]

    def test_repr_never_shows_personal_data(self):
        result = parse("face_pmh_two.xml")
        objects = [result, result.header, *result.patients, *result.patients[0].qualifications, *result.patients[0].kohi]
        objects += [*result.warnings, *parse("unknown_element_and_code.xml").unknown_elements]
        objects.append(kohi.check_number("payer", "52136017"))
        for obj in objects:
            for secret in self.SECRETS:
                assert secret not in repr(obj), (obj, secret)

    def test_error_messages_never_show_the_document(self):
        with pytest.raises(kohi.KohiError) as raised:
            kohi.parse("<XmlMsg><Name>見本太郎</Nam></XmlMsg>")
        assert "見本" not in str(raised.value) and "見本" not in repr(raised.value)

    def test_a_lone_surrogate_is_a_typed_error_without_the_text(self):
        # Python's UnicodeEncodeError would carry the whole document (or number) in its args.
        calls = [
            lambda: kohi.parse("<XmlMsg><Name>見本太郎\ud800</Name></XmlMsg>"),
            lambda: kohi.check_number("payer", "5213\ud8006017"),
            lambda: kohi.parse(b"<XmlMsg/>", aliases='{"見本\ud800": []}'),
        ]
        for call in calls:
            with pytest.raises(kohi.EncodingError) as raised:
                call()
            error = raised.value
            assert error.code == "invalid_encoding" and error.number == 3
            for shown in (str(error), repr(error), repr(error.args)):
                assert "見本" not in shown and "5213" not in shown, shown
            assert error.__context__ is None and error.__cause__ is None
        with pytest.raises(kohi.EncodingError) as raised:
            kohi.parse("<XmlMsg>\ud800</XmlMsg>")
        assert "offset 8" in str(raised.value)


def test_code_objects():
    code = parse("face_pmh_two.xml").header.segment_of_result
    assert code == "1" and code != "9" and code.code == "1" and code.label == "正常終了"
    assert repr(code) == "Code('1', '正常終了')" or repr(code) == 'Code("1", "正常終了")'
    assert hash(code) == hash(parse("face_no_pmh.xml").header.segment_of_result)


def test_version():
    import tomllib  # noqa: PLC0415  (3.11+ in tests only)

    cargo = tomllib.loads((pathlib.Path(__file__).resolve().parents[3] / "Cargo.toml").read_text())
    assert kohi.__version__ == cargo["workspace"]["package"]["version"]


def test_limits_by_name():
    data = (FIXTURES / "face_pmh_two.xml").read_bytes()
    with pytest.raises(kohi.InputTooLargeError) as raised:
        kohi.parse(data, limits={"elements": 10})
    assert raised.value.code == "limit_exceeded"
    assert kohi.parse(data, limits={"elements": 1000, "kept_bytes": 1 << 20}).patients
    with pytest.raises(kohi.InvalidSettingError):
        kohi.parse(data, limits={"bogus": 1})
    # Any Mapping, as the stub says (only a dict was taken).
    with pytest.raises(kohi.InputTooLargeError):
        kohi.parse(data, limits=types.MappingProxyType({"elements": 10}))
    with pytest.raises(TypeError):
        kohi.parse(data, limits=[("elements", 10)])
    # A stream applies them per bulk unit.
    bulk = (FIXTURES / "bulk_three_units.xml").read_bytes()
    assert len(list(kohi.stream(bulk, limits={"patients": 1}))) == 3
    with pytest.raises(kohi.InputTooLargeError):
        kohi.parse(bulk, limits={"patients": 1})


def test_survey_proposes_a_layout_that_reads_the_wrapped_certificates():
    wrapped = FIXTURES / "pmh_wrapped.xml"
    found = kohi.survey([wrapped])
    assert found["files"] == 1 and found["failed"] == {}
    assert found["layout"]["wrappers"] == {"PmhJoho": ["ResultOfQualificationConfirmation"]}
    assert "MedicalSubsidyInsurerNumber ← FutanshaBango  [high]" in found["report"]
    assert "52136017" not in json.dumps(found, ensure_ascii=False)
    slots = [(k.payer_number, k.recipient_number) for k in kohi.parse(wrapped, layout=found["layout"]).patients[0].kohi]
    want = [(k.payer_number, k.recipient_number) for k in kohi.parse(FIXTURES / "face_pmh_two.xml").patients[0].kohi]
    assert slots == want and len(want) == 2
    # bytes and a JSON string work too; nothing PMH-shaped proposes nothing.
    assert kohi.survey([(FIXTURES / "insured_card_utf8.xml").read_bytes()])["layout"] is None
    assert kohi.parse(wrapped, layout=json.dumps(found["layout"])).patients[0].kohi


def test_a_layout_and_aliases_both_apply():
    # Each used to replace the other without a word: aliases= dropped the layout's 公費.
    text = (FIXTURES / "face_pmh_two.xml").read_text(encoding="utf-8")
    renamed = text.replace("MedicalSubsidyInsurerNumber", "FutanshaBango").replace("<Name>", "<Shimei>")
    renamed = renamed.replace("</Name>", "</Shimei>").encode()
    layout = {"rename": {"MedicalSubsidyInsurerNumber": ["FutanshaBango"]}}
    doc = kohi.parse(renamed, layout=layout, aliases={"Name": "Shimei"})
    want = [k.payer_number for k in kohi.parse(FIXTURES / "face_pmh_two.xml").patients[0].kohi]
    assert [k.payer_number for k in doc.patients[0].kohi] == want and len(want) == 2
    assert doc.patients[0].qualifications[0].name == "見本　花子"
    assert doc.unknown_elements == []


def test_a_layout_dict_reads_as_its_json_text_does():
    # The dict is written as JSON by kohi (json.dumps cost more than the parse): same result.
    wrapped = FIXTURES / "pmh_wrapped.xml"
    found = kohi.survey([wrapped])["layout"]
    as_tuples = {key: ({k: tuple(v) for k, v in value.items()} if isinstance(value, dict) else value) for key, value in found.items()}
    want = kohi.parse(wrapped, layout=json.dumps(found)).to_json()
    assert kohi.parse(wrapped, layout=found).to_json() == want
    assert kohi.parse(wrapped, layout=as_tuples).to_json() == want
    assert kohi.parse(wrapped, layout={**found, "kohi_layout": 1}).to_json() == want
    # Any Mapping, as the stub says (a dict was the only one taken).
    assert kohi.parse(wrapped, layout=types.MappingProxyType(found)).to_json() == want
    assert kohi.parse(wrapped, layout=collections.OrderedDict(found)).to_json() == want
    cycle = {"rename": {}}
    cycle["rename"]["self"] = cycle
    for bad in ({"rename": {"Name": {"x"}}}, {1: "x"}, cycle, {"kohi_layout": 10**30}):
        with pytest.raises(TypeError):
            kohi.parse(wrapped, layout=bad)
    with pytest.raises(kohi.LayoutError):
        kohi.parse(wrapped, layout={"kohi_layout": 1.5, "rename": None})


def test_bad_layout_is_a_layout_error_naming_the_key():
    with pytest.raises(kohi.LayoutError) as raised:
        kohi.parse(FIXTURES / "face_pmh_two.xml", layout={"place": {"Name": "Nowhere"}})
    assert raised.value.code == "invalid_layout" and raised.value.number == 18
    assert "place.Name" in str(raised.value)
    with pytest.raises(TypeError):
        kohi.survey(b"<XmlMsg/>")


def test_a_path_given_as_str_to_parse_says_to_call_parse_file():
    path = str(FIXTURES / "face_pmh_two.xml")
    with pytest.raises(TypeError, match="parse_file"):
        kohi.parse(path)
    assert kohi.parse(pathlib.Path(path)).patients[0].kohi[0].payer_number == "52136017"


def test_to_dict_of_a_large_bulk_file_equals_its_json():
    """to_dict() has no size cap and the shape of the JSON contract at any size (20,000 units)."""
    unit = (
        "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ResultList><ResultOfQualificationConfirmation>"
        "<InsuredCardClassification>A1</InsuredCardClassification><InsurerNumber>12136016</InsurerNumber>"
        "<InsuredIdentificationNumber>{i:07}</InsuredIdentificationNumber></ResultOfQualificationConfirmation>"
        "</ResultList></BulkConfirmUnit>"
    )
    result = kohi.parse(bulk_xml(unit, 20000))
    as_dict = result.to_dict()
    assert as_dict == json.loads(result.to_json())
    assert len(as_dict["patients"]) == 20000
    last = as_dict["patients"][-1]["kohi"][0]
    assert (last["payer_number"], last["recipient_number"], last["source"]) == ("12136016", "0019999", "medical_aid")


def test_to_dict_of_many_patients_shares_short_texts_that_come_again():
    """A conversion of many patients shares a short text (up to 16 bytes) that comes again and
    again (it keeps the texts met last in a cache of slots, as JSON parsers keep keys); longer
    texts and different ones stay apart."""
    unit = (
        "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ResultList><ResultOfQualificationConfirmation>"
        "<InsurerNumber>06139999</InsurerNumber><Name>見本　太郎</Name><Address>東京都千代田区霞が関一丁目二番三号</Address>"
        "<InsuredIdentificationNumber>{i:07}</InsuredIdentificationNumber></ResultOfQualificationConfirmation>"
        "</ResultList></BulkConfirmUnit>"
    )
    result = kohi.parse(bulk_xml(unit, 100))
    patients = result.to_dict()["patients"]
    assert result.to_dict() == json.loads(result.to_json())
    first, last = patients[0]["qualifications"][0], patients[-1]["qualifications"][0]
    assert first["insurer_number"]["normalized"] == "06139999"
    assert first["insurer_number"]["normalized"] is last["insurer_number"]["normalized"]
    assert first["name"] == "見本　太郎" and first["name"] is last["name"]
    assert first["address"] == last["address"] and first["address"] is not last["address"]
    assert first["insured_identification_number"]["normalized"] != last["insured_identification_number"]["normalized"]


def test_to_dict_of_many_patients_keeps_apart_short_texts_that_differ_in_one_byte():
    """The shared short texts are told apart by every byte: for each length up to 16 bytes, a
    text and each of its one-byte variants come out as themselves, not as one another."""
    texts = ["a" * n for n in range(1, 17)]
    texts += ["a" * at + "b" + "a" * (n - at - 1) for n in range(1, 17) for at in range(n)]
    texts += ["見" * n for n in range(1, 6)]
    units = "".join(
        f"<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ResultList><ResultOfQualificationConfirmation>"
        f"<Name>{text}</Name></ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>"
        for i, text in enumerate(texts)
    )
    result = kohi.parse(f"<XmlMsg><MessageHeader/><MessageBody>{units}</MessageBody></XmlMsg>".encode())
    assert len(result.patients) >= 64, "enough patients for to_dict() to share short texts"
    names = [p["qualifications"][0]["name"] for p in result.to_dict()["patients"]]
    assert names == texts


def test_to_dict_of_a_large_file_leaves_the_garbage_collector_as_it_found_it():
    """to_dict() pauses the cyclic collector while it builds a large result: on again after, and
    still off if the caller had turned it off."""
    unit = "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber></BulkConfirmUnit>"
    result = kohi.parse(bulk_xml(unit, 500))
    expected = json.loads(result.to_json())
    assert gc.isenabled()
    assert result.to_dict() == expected
    assert gc.isenabled(), "on again after the conversion"
    gc.disable()
    try:
        assert result.to_dict() == expected
        assert not gc.isenabled(), "a collector the caller turned off stays off"
    finally:
        gc.enable()


def _bulk_with_kohi(units):
    unit = (
        "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ResultList><ResultOfQualificationConfirmation>"
        "<InsuredCardClassification>A1</InsuredCardClassification><InsurerNumber>12136016</InsurerNumber>"
        "<InsuredIdentificationNumber>{i:07}</InsuredIdentificationNumber><Bogus>x</Bogus>"
        "</ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>"
    )
    return kohi.parse(bulk_xml(unit, units))


def test_the_lists_of_a_result_hold_objects_the_garbage_collector_does_not_walk():
    """A result's objects hold no Python object, so Python's cyclic collector need not walk them
    (PyO3 makes every class's objects tracked: the collections 2,000 patients set off walked
    them all, about half the time of `result.patients`): they are made untracked, and no
    collection finds them among the young objects."""
    result = _bulk_with_kohi(2000)
    gc.collect()
    patients, warnings, unknown = result.patients, result.warnings, result.unknown_elements
    assert (len(patients), len(unknown)) == (2000, 2000) and len(warnings) >= 2000
    lists = [patients, warnings, unknown] + [p.kohi for p in patients] + [p.qualifications for p in patients]
    assert not any(gc.is_tracked(o) for some in lists for o in some)
    young = {id(o) for o in gc.get_objects(generation=0)}
    assert not any(id(p) in young for p in patients)
    first = patients[0]
    # Still the same objects otherwise: values, and the lists themselves are ordinary lists.
    assert (first.kohi[0].payer_number, patients[-1].kohi[0].recipient_number) == ("12136016", "0001999")
    assert warnings[0].code == "unknown_element" and gc.is_tracked(patients)


def test_untracked_objects_are_still_freed():
    """Untracked objects are freed by their reference counts: reading the lists over and over
    leaves no memory behind."""
    import tracemalloc

    result = _bulk_with_kohi(300)
    read = lambda: [(p.kohi, p.qualifications) for p in result.patients] + [result.warnings, result.unknown_elements]  # noqa: E731
    read()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for _ in range(50):
            read()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    assert grown < 64 * 1024, f"{grown} bytes left after 50 reads of 300 patients"


def test_to_dict_gives_fresh_dicts_in_the_contract_s_key_order():
    """Each to_dict() is new objects (changing one changes no other), keys in the JSON's order."""
    result = kohi.parse_file(str(FIXTURES / "face_pmh_two.xml"))
    first = result.to_dict()
    first["patients"][0]["qualifications"][0]["insurer_name"] = "changed"
    first["patients"][0]["qualifications"][0]["added"] = 1
    first["patients"][0]["kohi"][0].clear()
    second = result.to_dict()
    contract = json.loads(result.to_json())
    assert second == contract
    # json.dumps keeps insertion order: equal text means every dict's keys are in the same order.
    assert json.dumps(second, ensure_ascii=False) == json.dumps(contract, ensure_ascii=False)


def test_to_dict_makes_kohi_s_own_texts_once_and_a_number_s_equal_forms_one_string():
    """Labels, program names and spellings are one string each, whatever result they are in; a
    number whose raw text is its normalised one is one string under both keys; a number that
    normalising changed keeps both texts."""
    first = kohi.parse_file(str(FIXTURES / "medical_aid_a1.xml")).to_dict()["patients"][0]
    second = kohi.parse_file(str(FIXTURES / "bulk_three_units.xml")).to_dict()["patients"]
    aid = next(p for p in second if p["kohi"] and p["kohi"][0]["source"] == "medical_aid")
    q1, q2 = first["qualifications"][0], aid["qualifications"][0]
    assert q1["insured_card_classification"]["label"] == "医療扶助"
    assert q1["insured_card_classification"]["label"] is q2["insured_card_classification"]["label"]
    k1, k2 = first["kohi"][0], aid["kohi"][0]
    assert (k1["program"], k1["source"], k1["scope"]) == ("生活保護法 医療扶助", "medical_aid", "national")
    assert k1["program"] is k2["program"] and k1["source"] is k2["source"] and k1["scope"] is k2["scope"]
    insurer = q1["insurer_number"]
    assert insurer["normalized"] == insurer["raw"] and insurer["normalized"] is insurer["raw"]
    assert k1["payer_number"] == k1["payer_number_raw"] and k1["payer_number"] is k1["payer_number_raw"]
    padded = kohi.parse_file(str(FIXTURES / "fullwidth_padded_numbers.xml")).to_dict()["patients"][0]["kohi"]
    assert (padded[0]["payer_number"], padded[0]["payer_number_raw"]) == ("54136015", "５４１３６０１５")
    assert (padded[0]["recipient_number"], padded[0]["recipient_number_raw"]) == ("1112226", "\u3000１１１２２２６\u3000")
    assert (padded[1]["payer_number"], padded[1]["payer_number_raw"]) == ("80136013", " 80136013 ")
