"""Parsing releases the GIL: many threads parse at once and get identical results."""

from concurrent.futures import ThreadPoolExecutor

import kohi
from conftest import FIXTURES, minified


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
