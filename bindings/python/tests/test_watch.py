"""kohi.watch against a simulated terminal: each file once, never partial, nothing again after a restart."""

import shutil
import threading
import time

import kohi
from conftest import FIXTURES, minified

FAST = dict(settle=0.08, poll_interval=0.1, give_up_after=0.6)


def terminal(tmp_path):
    for folder in ("req", "res", "face"):
        (tmp_path / folder).mkdir()
    return tmp_path


def test_slow_writes_bursts_and_restart(tmp_path):
    root = terminal(tmp_path)
    data = (FIXTURES / "face_pmh_two.xml").read_bytes()

    def write():
        # A slow writer with a pause longer than `settle` mid-file.
        with open(root / "face" / "OQSsiquc01res_face_a_1.xml", "wb") as f:
            f.write(data[: len(data) // 2])
            f.flush()
            time.sleep(0.3)
            f.write(data[len(data) // 2 :])
        for i in range(50):
            shutil.copy(FIXTURES / "pmh_overflow.xml", root / "res" / f"OQSsiquc01res_{i:04}.xml")
        (root / "res" / "OQSsiquc01req_9999.xml").write_bytes(b"<XmlMsg/>")
        (root / "res" / "OQSsiquc01req_9999.err").write_text("E001", encoding="utf-8")

    writer = threading.Thread(target=write)
    writer.start()
    events = list(kohi.watch(root, idle_timeout=1.5, **FAST))
    writer.join()
    assert len(events) == 52
    assert len({e.path for e in events}) == 52
    face = [e for e in events if e.kind == "face"]
    assert len(face) == 1 and face[0].result.to_json() == minified(FIXTURES / "face_pmh_two.expected.json")
    results = [e for e in events if e.kind == "result"]
    assert all(e.result.to_json() == minified(FIXTURES / "pmh_overflow.expected.json") for e in results)
    assert results[0].request.endswith("req/OQSsiquc01req_0000.xml")
    (rejected,) = [e for e in events if e.kind == "rejected"]
    assert rejected.message == "E001" and rejected.result is None

    # A restart reports nothing again.
    assert list(kohi.watch(root, idle_timeout=0.8, **FAST)) == []


def test_a_broken_file_is_reported_with_its_error(tmp_path):
    root = terminal(tmp_path)
    (root / "res" / "OQSsiquc01res_0001.xml").write_bytes(b"<XmlMsg><MessageBody>")
    watcher = kohi.watch(root, **FAST)
    event = watcher.next_event(5.0)
    assert event is not None and event.result is None
    assert isinstance(event.error, kohi.MalformedXmlError) and event.error.code == "malformed_xml"
    assert watcher.next_event(0.3) is None


def test_bad_arguments(tmp_path):
    import pytest

    with pytest.raises(TypeError):
        kohi.watch(42)
    with pytest.raises(ValueError):
        kohi.watch(tmp_path, settle=-1)
