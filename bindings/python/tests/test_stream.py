"""kohi.stream yields the same patients as kohi.parse, one at a time."""

import os
import subprocess
import sys

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


def test_the_web_api_json_form_streams_like_its_xml():
    json_path = FIXTURES / "webapi" / "face_pmh_two.json"
    for source in (json_path, json_path.read_bytes()):
        (patient,) = list(kohi.stream(source))
        assert [k.payer_number for k in patient.kohi] == ["52136017", "88131016"]
        (expected,) = kohi.parse_file(FIXTURES / "face_pmh_two.xml").patients
        fields = lambda p: [(k.payer_number, k.recipient_number, k.valid_from, k.valid_to, k.slot) for k in p.kohi]
        assert (patient.pmh, fields(patient)) == (expected.pmh, fields(expected))


def test_stream_errors_are_typed():
    with pytest.raises(kohi.MalformedXmlError):
        list(kohi.stream(FIXTURES / "error_truncated.xml"))
    with pytest.raises(kohi.FileReadError):
        kohi.stream(FIXTURES / "missing.xml")
    with pytest.raises(TypeError):
        kohi.stream(42)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_stream_refuses_a_fifo_without_blocking(tmp_path):
    """Opening a FIFO would block (with the GIL held) until a writer came: refused first, typed.
    In a child process, so that a regression fails on the timeout instead of hanging the run."""
    fifo = tmp_path / "OQSsiquc01res_fifo.xml"
    os.mkfifo(fifo)
    code = "import kohi, sys\ntry:\n    kohi.stream(sys.argv[1])\nexcept kohi.FileReadError as e:\n    print(e.code)\n"
    run = subprocess.run([sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "io", run.stderr
