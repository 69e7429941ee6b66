"""Every key of the contract is an attribute of the Python objects, with the golden's value:
a field added to the JSON but not to Python fails here (patients, qualifications, 公費)."""

import datetime
import json

import pytest

import kohi
from conftest import FIXTURES

CASES = [
    p.name
    for p in sorted(FIXTURES.glob("*.xml"))
    if "error" not in json.loads(p.with_suffix(".expected.json").read_text(encoding="utf-8"))
]


def same_as_golden(obj, key, value, where):
    assert hasattr(obj, key), f"{where}: no attribute {key}"
    got = getattr(obj, key)
    if isinstance(value, dict) and "normalized" in value:
        # A number: normalised under its name, as sent under …_raw, the verdict under …_valid.
        assert got == value["normalized"], where
        if hasattr(obj, f"{key}_raw"):
            assert getattr(obj, f"{key}_raw") == value["raw"], where
        if "valid" in value and hasattr(obj, f"{key}_valid"):
            assert getattr(obj, f"{key}_valid") == value["valid"], where
    elif isinstance(got, (datetime.date, datetime.datetime)):
        # A date or time: ISO in JSON.
        assert got.isoformat() == value, where
    elif isinstance(value, (str, bool, int)) or value is None:
        # A date that is not one: None, its text under …_raw.
        not_a_date = got is None and key.endswith(("_date", "_time", "birthdate", "valid_from", "valid_to"))
        if not not_a_date and (got is None or isinstance(got, (str, bool, int))):
            assert got == value, where


@pytest.mark.parametrize("case", CASES)
def test_objects_carry_every_contract_key(case):
    expected = json.loads((FIXTURES / case).with_suffix(".expected.json").read_text(encoding="utf-8"))
    result = kohi.parse((FIXTURES / case).read_bytes())
    assert len(result.patients) == len(expected["patients"])
    for p, (patient, want) in enumerate(zip(result.patients, expected["patients"])):
        for key, value in want.items():
            if key not in ("qualifications", "kohi"):
                assert hasattr(patient, key), f"{case} patient {p}: no attribute {key}"
        assert len(patient.qualifications) == len(want["qualifications"])
        for i, (q, golden) in enumerate(zip(patient.qualifications, want["qualifications"])):
            for key, value in golden.items():
                same_as_golden(q, key, value, f"{case} patient {p} qualification {i} {key}")
        assert len(patient.kohi) == len(want["kohi"])
        for i, (k, golden) in enumerate(zip(patient.kohi, want["kohi"])):
            for key, value in golden.items():
                if key not in ("valid_from", "valid_to"):
                    same_as_golden(k, key, value, f"{case} patient {p} kohi {i} {key}")
                else:
                    assert hasattr(k, key), f"{case} kohi {i}: no attribute {key}"


def test_there_are_cases():
    assert len(CASES) >= 20
