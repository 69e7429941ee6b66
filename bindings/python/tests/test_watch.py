"""kohi.watch against a simulated terminal: each file whole, delivered until acknowledged,
never again once acknowledged; the early stop of a ``for … break`` loses nothing."""

import shutil
import threading
import time

import pytest

import kohi
from conftest import FIXTURES, minified

FAST = dict(settle=0.08, poll_interval=0.1, give_up_after=0.6)


def terminal(tmp_path):
    for folder in ("req", "res", "face"):
        (tmp_path / folder).mkdir()
    return tmp_path


def drain(root, ack=True, idle=1.0):
    """Every event until `idle` seconds pass without one; acknowledged as a consumer would."""
    events = []
    for event in kohi.watch(root, idle_timeout=idle, **FAST):
        if ack:
            assert event.ack() is True
        events.append(event)
    return events


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
        (root / "res" / "OQSsiquc01req_9999.err").write_text("E001", encoding="utf-8")

    writer = threading.Thread(target=write)
    writer.start()
    events = drain(root, idle=1.5)
    writer.join()
    assert len(events) == 52
    assert len({e.path for e in events}) == 52
    face = [e for e in events if e.kind == "face"]
    assert len(face) == 1 and face[0].result.to_json() == minified(FIXTURES / "face_pmh_two.expected.json")
    results = [e for e in events if e.kind == "result"]
    assert all(e.result.to_json() == minified(FIXTURES / "pmh_overflow.expected.json") for e in results)
    # Each result names its own request (res_NNNN → req_NNNN). Delivery order is not part of the
    # contract: a file seen mid-copy settles again, so a later name can be delivered first.
    for e in results:
        number = e.path.rsplit("_", 1)[1].removesuffix(".xml")
        assert e.request.endswith(f"req/OQSsiquc01req_{number}.xml"), "a result names its own request"
    (rejected,) = [e for e in events if e.kind == "rejected"]
    assert rejected.message == "E001" and rejected.result is None
    assert "E001" not in repr(rejected) and "OQSsiquc01" not in repr(rejected)

    # A restart delivers nothing again.
    assert drain(root, idle=0.8) == []


def test_a_for_loop_that_breaks_loses_nothing(tmp_path):
    root = terminal(tmp_path)
    for i in range(10):
        shutil.copy(FIXTURES / "face_pmh_two.xml", root / "face" / f"OQSsiquc01res_face_x_{i}.xml")
    watcher = kohi.watch(root, **FAST)
    for first in watcher:
        break  # the consumer stops early, acknowledging nothing
    del watcher
    again = drain(root)
    assert len(again) == 10, "the one taken without ack.ing it comes again"
    (repeat,) = [e for e in again if e.path == first.path]
    assert repeat.id == first.id
    assert drain(root, idle=0.5) == []


def test_a_broken_file_is_delivered_with_its_error(tmp_path):
    root = terminal(tmp_path)
    (root / "res" / "OQSsiquc01res_0001.xml").write_bytes(b"<XmlMsg><MessageBody>")
    watcher = kohi.watch(root, **FAST)
    event = watcher.next_event(5.0)
    assert event is not None and event.result is None
    assert isinstance(event.error, kohi.MalformedXmlError) and event.error.code == "malformed_xml"
    assert watcher.next_event(0.3) is None


def test_a_second_watcher_is_refused(tmp_path):
    root = terminal(tmp_path)
    first = kohi.watch(root, **FAST)
    with pytest.raises(kohi.AlreadyWatchedError) as raised:
        kohi.watch(root, **FAST)
    assert raised.value.code == "already_watched" and raised.value.number == 15
    assert first.recovered_store is None


def test_other_threads_run_and_can_cancel_while_one_waits(tmp_path):
    root = terminal(tmp_path)
    watcher = kohi.watch(root, **FAST)
    done = threading.Event()

    def wait():
        assert watcher.next_event(60.0) is None
        done.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.2)
    # Neither needs the lock the waiter holds: they return at once (this froze before).
    started = time.monotonic()
    watcher.expect("ID", root / "req" / "x.xml")
    counted = sum(range(100_000))  # and the GIL is free
    assert counted and time.monotonic() - started < 5
    watcher.cancel()
    waiter.join(10)
    assert done.is_set()
    assert list(watcher) == []


def test_bad_arguments(tmp_path):
    with pytest.raises(TypeError):
        kohi.watch(42)
    for setting in ("settle", "poll_interval", "give_up_after"):
        with pytest.raises(kohi.InvalidSettingError) as raised:
            kohi.watch(tmp_path, **{setting: -1})
        assert raised.value.code == "invalid_setting" and setting in str(raised.value)
    with pytest.raises(kohi.InvalidSettingError):
        kohi.watch(tmp_path, settle=0)
    with pytest.raises(kohi.InvalidSettingError):
        kohi.watch(tmp_path, give_up_after=1e12)


def test_an_unwritable_ledger_is_an_error(tmp_path):
    root = terminal(tmp_path)
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(kohi.StateStoreError) as raised:
        kohi.watch(root, state_file=tmp_path / "file" / "ledger.sqlite", **FAST)
    assert raised.value.code == "state_store"


def test_a_zipped_bulk_result_lists_its_entries(tmp_path):
    import zipfile

    root = terminal(tmp_path)
    with zipfile.ZipFile(root / "res" / ".bulk.tmp", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "bulk_three_units.xml", "OQSmuquc02res_1.xml")
        archive.writestr("note.txt", "x")
    (root / "res" / ".bulk.tmp").rename(root / "res" / "OQSmuquc02res_1.zip")
    (event,) = drain(root)
    assert event.kind == "bulk_archive" and event.result is None
    first, note = event.entries
    assert first.name == "OQSmuquc02res_1.xml"
    assert first.result.to_json() == minified(FIXTURES / "bulk_three_units.expected.json")
    assert note.result is None and note.error.code == "io"
    assert event.request.endswith("req/OQSmuquc02req_1.xml")


def test_close_and_with_free_the_folder_at_once(tmp_path):
    root = terminal(tmp_path)
    shutil.copy(FIXTURES / "face_pmh_two.xml", root / "face" / "OQSsiquc01res_face_x_1.xml")
    with kohi.watch(root, **FAST) as watcher:
        event = watcher.next_event(5.0)
        assert event is not None
        kept = watcher  # still referenced: only the with block frees the folder
    with pytest.raises(kohi.StateStoreError):
        event.ack()  # the watcher is closed: the event is pending for the next one
    again = kohi.watch(root, **FAST)
    repeat = again.next_event(5.0)
    assert repeat.id == event.id and repeat.ack() is True
    again.close()
    assert again.next_event(0.1) is None and list(again) == []
    assert kept is watcher


def test_an_expected_request_outlives_a_kill_9(tmp_path):
    """`expect` returns once the registration is in the ledger: a process killed right after it
    (no clean close) still pairs the result in the next run."""
    import signal
    import subprocess
    import sys

    root = terminal(tmp_path)
    request = root / "req" / "custom-request.xml"
    script = (
        "import kohi, os, signal, sys\n"
        "w = kohi.watch(sys.argv[1])\n"
        "w.expect('Qm9ndXNJZGVudGlmaWVy', sys.argv[2])\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(root), str(request)], timeout=60)
    assert run.returncode == -signal.SIGKILL
    shutil.copy(FIXTURES / "face_pmh_two.xml", root / "face" / "OQSsiquc01res_face_x_1.xml")
    (event,) = drain(root)
    assert event.request == str(request)
    watcher = kohi.watch(root, **FAST)
    watcher.close()
    with pytest.raises(kohi.StateStoreError):
        watcher.expect("LATE", request)  # closed: nothing registered, and said so


def test_pmh_document_is_delivered_as_pmh_and_paired_with_its_result(tmp_path):
    root = terminal(tmp_path)
    layout = {"file_prefixes": ["PMHsimsm"], "roots": ["PmhMsg"]}
    shutil.copy(FIXTURES / "insured_card_utf8.xml", root / "res" / "OQSsiquc01res_0042.xml")
    with kohi.watch(root, idle_timeout=1.0, layout=layout, **FAST) as watcher:
        first = next(iter(watcher))
        assert first.kind == "result" and first.related is None
        assert first.ack() is True
    shutil.copy(FIXTURES / "pmh_document.xml", root / "res" / "PMHsimsm01res_0042.xml")
    # A new watcher remembers the last run's acknowledged result (kept in the ledger).
    events = []
    for event in kohi.watch(root, idle_timeout=1.0, layout=layout, **FAST):
        assert event.ack() is True
        events.append(event)
    assert [e.kind for e in events] == ["pmh"]
    assert events[0].related == str(root / "res" / "OQSsiquc01res_0042.xml")
    (root / "res" / "OQSsiquc01res_0043.xml").write_bytes((FIXTURES / "insured_card_utf8.xml").read_bytes())
    (root / "res" / "PMHsimsm01res_0043.xml").write_bytes((FIXTURES / "pmh_document.xml").read_bytes())
    events = {}
    for event in kohi.watch(root, idle_timeout=1.0, layout=layout, **FAST):
        assert event.ack() is True
        events[event.kind] = event
    assert set(events) == {"result", "pmh"}
    paired = [e.related for e in events.values() if e.related]
    assert len(paired) == 1 and paired[0].endswith(("OQSsiquc01res_0043.xml", "PMHsimsm01res_0043.xml"))
    with pytest.raises(kohi.InvalidSettingError):
        kohi.watch(root, pair_by=["nope"])


def test_idle_waits_for_a_file_not_yet_given_up_on(tmp_path):
    """Iteration ends when idle *and* every file seen was delivered: a file that does not parse
    comes with its error after ``give_up_after`` (1.5 s), past an ``idle_timeout`` of 0.3 s."""
    root = terminal(tmp_path)
    (root / "res" / "OQSsiquc01res_0001.xml").write_bytes(b"<XmlMsg><MessageBody>")
    started = time.monotonic()
    events = [e for e in kohi.watch(root, idle_timeout=0.3, settle=0.08, poll_interval=0.1, give_up_after=1.5)]
    assert [(e.kind, e.error.code) for e in events] == [("result", "malformed_xml")]
    assert time.monotonic() - started >= 1.5


def test_waiting_tells_a_drained_folder_from_a_file_not_yet_delivered(tmp_path):
    root = terminal(tmp_path)
    with kohi.watch(root, settle=0.08, poll_interval=0.1, give_up_after=1.5) as watcher:
        assert watcher.next_event(0.3) is None and watcher.waiting == 0
        (root / "res" / "OQSsiquc01res_0002.xml").write_bytes(b"<XmlMsg><MessageBody>")
        assert watcher.next_event(0.3) is None and watcher.waiting == 1
        event = None
        for _ in range(50):
            event = watcher.next_event(0.2)
            if event:
                break
        assert event is not None and event.error.code == "malformed_xml"
        assert event.ack() is True
        assert watcher.next_event(0.1) is None and watcher.waiting == 0


def test_the_results_folder_itself_is_refused(tmp_path):
    root = terminal(tmp_path)
    shutil.copy(FIXTURES / "face_pmh_two.xml", root / "res" / "OQSsiquc01res_0001.xml")
    with pytest.raises(kohi.NotATerminalFolderError) as raised:
        kohi.watch(root / "res", **FAST)
    assert (raised.value.code, raised.value.number) == ("not_a_terminal_folder", 19)
    assert not (root / "res" / ".kohi-inbox.sqlite").exists()


def test_async_for_and_async_with_and_a_cancelled_wait_loses_nothing(tmp_path):
    import asyncio

    root = terminal(tmp_path)
    shutil.copy(FIXTURES / "face_pmh_two.xml", root / "face" / "OQSsiquc01res_face_x_1.xml")

    async def main():
        async with kohi.watch(root, idle_timeout=3.0, **FAST) as watcher:
            events = watcher.__aiter__()
            first = await events.__anext__()
            assert (first.kind, first.ack()) == ("face", True)
            # A wait given up before anything arrives (its task cancelled)...
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(events.__anext__(), 0.3)
            # ... leaves its worker waiting: what it takes is the next call's, not dropped.
            shutil.copy(FIXTURES / "insured_card_utf8.xml", root / "res" / "OQSsiquc01res_0002.xml")
            second = await events.__anext__()
            assert (second.kind, second.ack()) == ("result", True)
            assert [e async for e in watcher] == []  # ends after idle_timeout, as `for` does
        # Left `async with`: closed, the folder free for the next watcher.
        with kohi.watch(root, **FAST) as again:
            assert again.next_event(0.5) is None

    asyncio.run(main())


def test_an_abandoned_async_wait_does_not_hold_the_program_s_exit(tmp_path):
    """asyncio.run waits for the default executor's threads: a wait left running after its
    task was cancelled, outside `async with`, held the exit until a file came (forever)."""
    import subprocess
    import sys

    root = terminal(tmp_path)
    script = (
        "import asyncio, sys, kohi\n"
        "async def main():\n"
        "    events = kohi.watch(sys.argv[1], settle=0.08, poll_interval=0.1).__aiter__()\n"
        "    try:\n"
        "        await asyncio.wait_for(events.__anext__(), 0.3)\n"
        "    except asyncio.TimeoutError:\n"
        "        print('gave up')\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "gave up"), done.stderr
