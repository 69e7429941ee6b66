"""kohi.stream yields the same patients as kohi.parse, one at a time."""

import asyncio
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


def test_a_source_past_the_size_limit_is_refused_before_its_first_patient():
    """As kohi.parse refuses it: a stream met the limit only after the patients before it."""
    path = FIXTURES / "bulk_three_units.xml"
    for source in (path, path.read_bytes()):
        with pytest.raises(kohi.InputTooLargeError):
            kohi.stream(source, max_size=1000)
    assert len(list(kohi.stream(path, max_size=path.stat().st_size))) == 3


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


def _open_on(path):
    """How many of this process's descriptors are open on `path` (Linux: /proc/self/fd)."""
    real = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == real
        except OSError:
            pass
    return count


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/fd")
def test_close_and_with_let_the_file_go_and_reading_on_raises(tmp_path):
    path = tmp_path / "bulk.xml"
    path.write_bytes((FIXTURES / "bulk_three_units.xml").read_bytes())
    stream = kohi.stream(path)
    assert next(stream).reference_number == "1001" and not stream.closed
    kept = stream  # a reference kept elsewhere: the file must not wait for the object to go
    assert _open_on(path) == 1
    stream.close()
    assert stream.closed and _open_on(path) == 0, "close() lets the file go, not the collector"
    with pytest.raises(ValueError, match="closed stream"):
        next(stream)
    stream.close()  # twice is allowed, as for files
    with kohi.stream(path) as patients:
        assert [p.reference_number for p in patients] == ["1001", "1002", "1003"]
        assert _open_on(path) == 1
    assert patients.closed and _open_on(path) == 0
    with pytest.raises(ValueError):
        list(patients)
    assert kept is stream


def _bulk(tmp_path, units, broken=False):
    """A bulk file of `units` patients (reference numbers 0…), then a unit cut off when `broken`."""
    unit = "<BulkConfirmUnit><ReferenceNumber>{}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus></BulkConfirmUnit>"
    body = "".join(unit.format(i) for i in range(units)) + ("<BulkConfirmUnit><Refer" if broken else "</MessageBody></XmlMsg>")
    path = tmp_path / ("broken.xml" if broken else f"bulk_{units}.xml")
    path.write_text(
        "<XmlMsg><MessageHeader><ProcessExecutionTime>20250604101544</ProcessExecutionTime></MessageHeader>"
        f"<MessageBody>{body}"
    )
    return path


def test_async_for_reads_every_patient_in_order(tmp_path):
    import asyncio

    path = _bulk(tmp_path, 700)

    async def main(source):
        return [p.reference_number async for p in kohi.stream(source)]

    seen = asyncio.run(main(path))
    assert seen == [str(i) for i in range(700)]
    assert asyncio.run(main(path.read_bytes())) == seen
    assert seen == [p.reference_number for p in kohi.parse_file(path).patients]


def test_async_for_next_and_for_share_one_reader_and_drop_nothing(tmp_path):
    import asyncio

    path = _bulk(tmp_path, 600)

    async def main():
        stream = kohi.stream(path)
        taken = []
        async for patient in stream:
            taken.append(patient.reference_number)
            if len(taken) == 10:
                break  # 256 read ahead: the rest of the batch stays with the stream
        taken.append(next(stream).reference_number)
        taken += [p.reference_number async for p in stream]
        return taken

    assert asyncio.run(main()) == [str(i) for i in range(600)]


def test_async_for_a_cancelled_read_drops_nothing(tmp_path):
    import asyncio

    path = _bulk(tmp_path, 3000)

    async def main():
        stream = kohi.stream(path)
        patients = stream.__aiter__()
        first = asyncio.ensure_future(patients.__anext__())
        await asyncio.sleep(0)
        first.cancel()  # the read goes on in its thread; its batch is handed out next
        try:
            got = [(await first).reference_number]
        except asyncio.CancelledError:
            got = []
        async for patient in patients:
            got.append(patient.reference_number)
        return got

    assert asyncio.run(main()) == [str(i) for i in range(3000)]


def test_async_for_gives_the_patients_before_an_error_then_raises_it_and_a_closed_stream_raises(tmp_path):
    import asyncio

    broken = _bulk(tmp_path, 300, broken=True)

    async def main():
        seen = []
        with pytest.raises(kohi.MalformedXmlError):
            async for patient in kohi.stream(broken):
                seen.append(patient.reference_number)
        stream = kohi.stream(_bulk(tmp_path, 5))
        stream.close()
        with pytest.raises(ValueError, match="closed stream"):
            async for _ in stream:
                pass
        return seen

    assert asyncio.run(main()) == [str(i) for i in range(300)]


def test_the_remainder_holds_what_the_file_said_besides_its_patients():
    """A failed request's answer has no patient: its header (segment 9, the error code) was out of
    reach of a stream. The remainder gives it, and a bulk file's status, as the whole parse does."""
    whole = kohi.parse_file(FIXTURES / "header_error.xml")
    stream = kohi.stream(FIXTURES / "header_error.xml")
    assert stream.remainder is None
    assert list(stream) == []
    rest = stream.remainder
    assert rest.header.error_code == "PLACEHOLDER-CODE" and rest.header.segment_of_result == "9"
    assert rest.to_json() == whole.to_json()

    with kohi.stream(FIXTURES / "bulk_three_units.xml") as stream:
        assert len(list(stream)) == 3
    rest = stream.remainder  # kept after close()
    assert rest.patients == [] and rest.bulk["reception_number"] == "R202511160001"
    assert rest.bulk == kohi.parse_file(FIXTURES / "bulk_three_units.xml").bulk

    async def read_all():  # `async for` reads ahead in batches: the remainder is there after it
        stream = kohi.stream(FIXTURES / "bulk_three_units.xml")
        patients = [patient async for patient in stream]
        return len(patients), stream.remainder

    count, rest = asyncio.run(read_all())
    assert count == 3 and rest.bulk["reception_number"] == "R202511160001"

    stream = kohi.stream(FIXTURES / "error_truncated.xml")
    with pytest.raises(kohi.MalformedXmlError):
        list(stream)
    assert stream.remainder is None


def test_a_streamed_patient_reaches_its_own_warnings_and_header():
    """A stream gave patients without their warnings (a wrong check digit) or the header: both
    are on the patient's own one-patient result, as the whole parse has them."""
    path = FIXTURES / "wrong_check_digit.xml"
    whole = kohi.parse_file(path)
    (patient,) = kohi.stream(path)
    assert [w.code for w in patient.result.warnings] == [w.code for w in whole.warnings]
    assert len(whole.warnings) == 4
    assert patient.result.to_json() == whole.to_json()
    # A bulk unit's: its own only, each path naming the unit.
    bulk = FIXTURES / "bulk_three_units.xml"
    for streamed in kohi.stream(bulk):
        assert streamed.result.patients == [streamed]
        assert streamed.result.header == kohi.parse_file(bulk).header
    # From the whole parse, the result it came from.
    assert whole.patients[0].result == whole


def test_a_stream_of_bytes_keeps_them_alive_when_the_caller_lets_go():
    """The bytes are read where they lie (not copied): the stream holds a reference to them."""
    import gc

    data = bytes((FIXTURES / "bulk_three_units.xml").read_bytes())
    stream = kohi.stream(data)
    del data
    gc.collect()
    assert [p.reference_number for p in stream] == ["1001", "1002", "1003"]
