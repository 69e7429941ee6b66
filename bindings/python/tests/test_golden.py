"""Every fixture gives its golden, exactly: the same contract as Rust, C and Node."""

import json

import pytest

import kohi
from conftest import FIXTURES, minified

CASES = sorted(p.name for p in FIXTURES.glob("*.xml"))
ERROR_CLASSES = {
    "invalid_encoding": kohi.EncodingError,
    "unsupported_encoding": kohi.EncodingError,
    "encoding_conflict": kohi.EncodingError,
    "nesting_too_deep": kohi.InputTooLargeError,
    "limit_exceeded": kohi.InputTooLargeError,
    "malformed_xml": kohi.MalformedXmlError,
    "unexpected_root": kohi.UnexpectedRootError,
    "doctype_not_allowed": kohi.ForbiddenXmlError,
    "input_too_large": kohi.InputTooLargeError,
    "io": kohi.FileReadError,
}


def test_there_are_fixtures():
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_fixture_matches_golden(case):
    golden = FIXTURES / case.replace(".xml", ".expected.json")
    expected = json.loads(golden.read_text(encoding="utf-8"))
    data = (FIXTURES / case).read_bytes()
    if "error" in expected:
        error = expected["error"]
        with pytest.raises(kohi.KohiError) as raised:
            kohi.parse(data)
        assert type(raised.value) is ERROR_CLASSES[error["code"]]
        assert raised.value.code == error["code"]
        assert raised.value.number == error["number"]
        assert str(raised.value) == error["message"]
    else:
        result = kohi.parse(data)
        assert result.to_json() == minified(golden)
        assert result.to_dict() == expected
        # Each part's to_dict() is that part of the golden.
        assert result.header.to_dict() == expected["header"]
        assert len(result.patients) == len(expected["patients"])
        for patient, want in zip(result.patients, expected["patients"]):
            assert patient.to_dict() == want
            assert [q.to_dict() for q in patient.qualifications] == want["qualifications"]
            assert [k.to_dict() for k in patient.kohi] == want["kohi"]


WEBAPI_CASES = sorted(p.name for p in (FIXTURES / "webapi").glob("*.json"))


@pytest.mark.parametrize("case", WEBAPI_CASES)
def test_web_api_json_form_gives_the_same_golden(case):
    """The Web API's JSON form of a fixture parses to that fixture's golden."""
    golden = FIXTURES / case.replace(".json", ".expected.json")
    data = (FIXTURES / "webapi" / case).read_bytes()
    assert kohi.parse(data).to_json() == minified(golden)
    assert kohi.parse(data.decode("utf-8")).to_json() == minified(golden)


def test_there_are_web_api_cases():
    assert WEBAPI_CASES
