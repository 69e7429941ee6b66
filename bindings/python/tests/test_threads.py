"""Parsing releases the GIL: many threads parse at once and get identical results."""

from concurrent.futures import ThreadPoolExecutor

import kohi
from conftest import FIXTURES, bulk_xml, minified


def test_parallel_parses_agree():
    files = ["face_pmh_two.xml", "pmh_overflow.xml", "insured_card_sjis.xml", "bulk_three_units.xml"]
    data = {name: (FIXTURES / name).read_bytes() for name in files}
    expected = {name: minified(FIXTURES / name.replace(".xml", ".expected.json")) for name in files}

    def work(i):
        name = files[i % len(files)]
        return name, kohi.parse(data[name]).to_json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(400)))
    assert len(results) == 400
    for name, json_text in results:
        assert json_text == expected[name]


def test_one_result_read_from_many_threads():
    result = kohi.parse((FIXTURES / "face_pmh_two.xml").read_bytes())

    def read(_):
        return [(k.slot, k.payer_number) for k in result.patients[0].kohi]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(map(tuple, pool.map(read, range(200)))) == {((1, "52136017"), (2, "88131016"))}


def _bulk(units):
    unit = (
        "<BulkConfirmUnit><ReferenceNumber>{i}</ReferenceNumber><ProcessingResultStatus>1</ProcessingResultStatus>"
        "<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>"
        "<InsurerNumber>06139999</InsurerNumber><InsuredIdentificationNumber>{i}</InsuredIdentificationNumber>"
        "</ResultOfQualificationConfirmation></ResultList></BulkConfirmUnit>"
    )
    return bulk_xml(unit, units)


def _runs_beside(operation):
    """Runs `operation` while another thread counts: (its result, the ticks counted during it, the
    ticks the thread counts a second alone, the seconds it took). With the GIL held through the
    operation the thread could count only until it began (at most one switch interval, made short
    here)."""
    import sys
    import threading
    import time

    ticks, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0001)
    counter = threading.Thread(target=count)
    counter.start()
    try:
        start, before = time.perf_counter(), ticks[0]
        time.sleep(0.05)
        rate = (ticks[0] - before) / (time.perf_counter() - start)  # ticks a second, alone
        start, before = time.perf_counter(), ticks[0]
        result = operation()
        elapsed, during = time.perf_counter() - start, ticks[0] - before
    finally:
        stop.set()
        counter.join()
        sys.setswitchinterval(interval)
    return result, during, rate, elapsed


def test_a_large_document_is_parsed_with_the_gil_released():
    """Another thread runs while a large document (bytes, 64 KiB and more) is parsed: it counts
    at about its own rate through the parse."""
    data = _bulk(60_000)
    assert len(data) > 64 * 1024
    result, during, rate, elapsed = _runs_beside(lambda: kohi.parse(data, max_size=1 << 30))
    assert len(result.patients) == 60_000
    assert elapsed > 0.01, "the parse took long enough to tell"
    assert during > rate * elapsed * 0.2, (during, rate, elapsed)


def test_a_survey_walks_its_files_with_the_gil_released():
    """The same for a survey (a folder of real files can take a while)."""
    data = _bulk(60_000)
    report, during, rate, elapsed = _runs_beside(lambda: kohi.survey([data, data], max_size=1 << 30))
    assert report["files"] == 2 and report["failed"] == {}
    assert elapsed > 0.01, "the survey took long enough to tell"
    assert during > rate * elapsed * 0.2, (during, rate, elapsed)
