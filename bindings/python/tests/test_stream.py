"""kohi.stream yields the same patients as kohi.parse, one at a time."""

import pytest

import kohi
from conftest import FIXTURES


def test_stream_matches_the_whole_parse():
    path = FIXTURES / "bulk_three_units.xml"
    whole = kohi.parse_file(path).patients
    for source in (path, str(path), path.read_bytes()):
        streamed = list(kohi.stream(source))
        assert [p.reference_number for p in streamed] == [p.reference_number for p in whole]
        assert [[k.payer_number for k in p.kohi] for p in streamed] == [[k.payer_number for k in p.kohi] for p in whole]


def test_stream_errors_are_typed():
    with pytest.raises(kohi.MalformedXmlError):
        list(kohi.stream(FIXTURES / "error_truncated.xml"))
    with pytest.raises(kohi.FileReadError):
        kohi.stream(FIXTURES / "missing.xml")
    with pytest.raises(TypeError):
        kohi.stream(42)
