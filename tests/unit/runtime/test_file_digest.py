"""The SHA-256 computed beside the read (blueprint.runtime.file_digest), and how the reader uses it.

The fingerprint must be the SHA-256 of the bytes the parser read: these tests compare it with
hashlib's digest of the file, and check that a file changed between the two reads is refused
rather than fingerprinted.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading

import pytest

import blueprint.runtime.file_digest as file_digest
from blueprint.base.errors import UsageError
from blueprint.intake.issues import IssueLog
from blueprint.intake.reader import FileRejected, FileReport, iter_file, mark_repeat, read_doj_files
from blueprint.runtime import sha256_worker
from blueprint.runtime.file_digest import (
    CHANGED,
    FileChanged,
    FileDigest,
    file_identity,
    lower_priority,
    lower_this_thread,
)
from doj_builder import Person, write_doj


def identity_of(path) -> tuple:
    with open(path, "rb") as fh:
        return file_identity(fh)


@pytest.fixture(params=["thread", "process"])
def hashing(request, monkeypatch) -> str:
    """Run a test with the file hashed by the digest's thread, then by a process of its own (the
    path a large file takes): whatever the size of the test's file, by moving the threshold."""
    monkeypatch.setattr(file_digest, "PROCESS_FROM_BYTES", 1 << 62 if request.param == "thread" else 0)
    return request.param


def hashed_in_a_process(digest: FileDigest) -> bool:
    return digest._process is not None and digest._process.returncode == 0


def test_digest_is_the_files_sha256_across_several_blocks(tmp_path, monkeypatch, hashing):
    monkeypatch.setattr(file_digest, "BLOCK_BYTES", 1000)  # many reads of one reused buffer
    path = tmp_path / "doj.dat"
    path.write_bytes(os.urandom(10_500))
    digest = FileDigest(path, identity_of(path))
    assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert hashed_in_a_process(digest) is (hashing == "process")


def test_a_large_file_is_hashed_in_a_process_and_a_small_one_in_the_thread(tmp_path, monkeypatch):
    monkeypatch.setattr(file_digest, "PROCESS_FROM_BYTES", 5_000)
    small, large = tmp_path / "small.dat", tmp_path / "large.dat"
    small.write_bytes(os.urandom(4_999))
    large.write_bytes(os.urandom(5_000))
    digests = {path: FileDigest(path, identity_of(path)) for path in (small, large)}
    for path, digest in digests.items():
        assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert not hashed_in_a_process(digests[small]) and digests[small]._process is None
    assert hashed_in_a_process(digests[large])


def test_with_no_process_to_start_the_thread_hashes_the_file(tmp_path, monkeypatch):
    """A Python without a known interpreter path (an embedded one): the thread does the work."""
    monkeypatch.setattr(file_digest, "PROCESS_FROM_BYTES", 0)
    monkeypatch.setattr(file_digest.sys, "executable", str(tmp_path / "no-such-python"))
    path = tmp_path / "doj.dat"
    path.write_bytes(os.urandom(3_000))
    digest = FileDigest(path, identity_of(path))
    assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest._process is None


def test_a_hashing_process_that_fails_gives_no_fingerprint(tmp_path, monkeypatch):
    monkeypatch.setattr(file_digest, "PROCESS_FROM_BYTES", 0)
    broken = tmp_path / "broken_worker.py"
    broken.write_text("import sys\nprint('not json')\nsys.exit(3)\n")
    monkeypatch.setattr(file_digest, "WORKER", broken)
    path = tmp_path / "doj.dat"
    path.write_bytes(b"rows\n")
    with pytest.raises(FileChanged) as caught:
        FileDigest(path, identity_of(path)).hexdigest()
    assert str(caught.value) == (
        "doj.dat: could not be read a second time for its SHA-256 (the hashing process failed)"
    )


def test_the_worker_runs_without_the_kit_and_prints_one_json_line(tmp_path):
    """Started as the digest starts it (-I -S: no site-packages, so no kit and no pandas)."""
    path = tmp_path / "doj.dat"
    path.write_bytes(b"x" * 5_000)

    def worker(target) -> dict:
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(file_digest.WORKER), str(target), "1024"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.count("\n") == 1 and done.stderr == ""
        return json.loads(done.stdout)

    with open(path, "rb") as fh:
        expected_identity = list(file_identity(fh))
    assert worker(path) == {
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "opened": expected_identity,
        "finished": expected_identity,
    }
    assert worker(tmp_path / "missing.dat") == {"error": "missing"}
    assert worker(tmp_path) == {"error": "unreadable", "reason": "Is a directory"}


def test_the_worker_stops_reading_when_asked(tmp_path):
    path = tmp_path / "doj.dat"
    path.write_bytes(b"x" * 10_000)
    asked = []

    def stopped() -> bool:
        asked.append(True)
        return len(asked) == 3

    assert sha256_worker.sha256_of(str(path), 1_000, stopped) is None
    assert len(asked) == 3  # stopped before the third block was hashed, not at the end


def test_a_file_changed_after_the_parser_opened_it_is_refused(tmp_path, hashing):
    path = tmp_path / "doj.dat"
    path.write_bytes(b"one version\n")
    seen_by_parser = identity_of(path)
    path.write_bytes(b"another, longer version\n")
    with pytest.raises(FileChanged) as caught:
        FileDigest(path, seen_by_parser).hexdigest()
    # A usage error (exit code 2, nothing written) that names the file and nothing of its content.
    assert isinstance(caught.value, UsageError)
    assert str(caught.value) == f"doj.dat: {CHANGED}"


def test_a_file_removed_before_the_second_read_is_refused(tmp_path, hashing):
    path = tmp_path / "doj.dat"
    path.write_bytes(b"rows\n")
    seen_by_parser = identity_of(path)
    path.unlink()
    with pytest.raises(FileChanged, match="^doj.dat: the file changed while it was being read"):
        FileDigest(path, seen_by_parser).hexdigest()


def assert_stopped_without_value(digest: FileDigest) -> None:
    """A cancelled digest's thread ends, and asking for its value says it was cancelled."""
    digest._thread.join(timeout=10)
    assert not digest._thread.is_alive()
    with pytest.raises(RuntimeError, match="cancelled"):
        digest.hexdigest()


def test_a_cancelled_digest_stops_and_has_no_value(tmp_path, monkeypatch, hashing):
    monkeypatch.setattr(file_digest, "BLOCK_BYTES", 1)  # so that the hashing is still reading when cancelled
    path = tmp_path / "doj.dat"
    path.write_bytes(b"x" * 200_000)
    digest = FileDigest(path, identity_of(path))
    digest.cancel()
    assert_stopped_without_value(digest)
    if digest._process is not None:  # started before the cancel: stopped, not left to finish
        assert digest._process.returncode not in (None, 0)


def test_a_digest_cancelled_while_its_process_hashes_stops_that_process(tmp_path, monkeypatch):
    monkeypatch.setattr(file_digest, "PROCESS_FROM_BYTES", 0)
    monkeypatch.setattr(file_digest, "BLOCK_BYTES", 1)  # a few seconds of reading one byte at a time
    path = tmp_path / "doj.dat"
    path.write_bytes(b"x" * 4_000_000)
    digest = FileDigest(path, identity_of(path))
    for _ in range(500):
        if digest._process is not None:
            break
        threading.Event().wait(0.01)
    assert digest._process is not None, "the hashing process never started"
    digest.cancel()
    assert_stopped_without_value(digest)
    assert digest._process.returncode < 0  # killed, not finished


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads are scheduled one by one on Linux only")
def test_only_the_hashing_thread_is_given_the_lowest_priority():
    seen: dict = {}

    def in_thread() -> None:
        seen["lowered"] = lower_this_thread()
        me = threading.get_native_id()
        seen["policy"] = os.sched_getscheduler(me)
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, me)

    before = (os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0))
    worker = threading.Thread(target=in_thread)
    worker.start()
    worker.join()
    assert seen["lowered"] is True
    assert seen["policy"] == os.SCHED_IDLE or seen["nice"] == file_digest.LOWEST_PRIORITY
    # The calling thread (here the main thread, which forks the evaluation processes) is unchanged.
    assert (os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)) == before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads are scheduled one by one on Linux only")
def test_the_hashing_process_can_be_given_the_lowest_priority():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert lower_priority(child.pid) is True
        assert os.sched_getscheduler(child.pid) == os.SCHED_IDLE or (
            os.getpriority(os.PRIO_PROCESS, child.pid) == file_digest.LOWEST_PRIORITY
        )
        assert (os.sched_getscheduler(0), os.getpriority(os.PRIO_PROCESS, 0)) != (
            os.sched_getscheduler(child.pid),
            os.getpriority(os.PRIO_PROCESS, child.pid),
        )
    finally:
        child.kill()
        child.wait()


def rows(count: int) -> list[list[str]]:
    """Convicted counts of one person, enough to fill several 2,000-byte pieces."""
    person = Person(subject_id="100")
    return [
        person.row(CNT_ORDER=f"{i + 1:03d}", STP_TYPE_DESCR="COURT ACTION", DISP_DESCR="CONVICTED")
        for i in range(count)
    ]


def test_the_reports_fingerprint_is_of_the_bytes_read(tmp_path):
    path = write_doj(tmp_path / "doj.dat", rows(40))
    report = read_doj_files([path], chunk_bytes=2_000).files[0]
    assert report.status == "ok"
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.as_dict()["sha256"] == report.sha256


def test_a_file_extended_while_it_is_parsed_is_refused(tmp_path):
    """A file still being copied in grows between pieces: the read refuses it at its end."""
    path = write_doj(tmp_path / "doj.dat", rows(40))
    extra = path.read_bytes().splitlines(keepends=True)[-1]

    def grow(_rows: int) -> None:
        with open(path, "ab") as fh:
            fh.write(extra)

    report = FileReport(file=path.name, path=str(path))
    with pytest.raises(FileRejected) as caught:
        for _ in iter_file(path, 0, IssueLog(), report, progress=grow, chunk_bytes=2_000):
            pass
    assert caught.value.reason == CHANGED
    assert report.sha256 == ""  # a refused read has no fingerprint


def test_a_report_whose_file_changed_during_hashing_raises_when_asked(tmp_path):
    path = tmp_path / "doj.dat"
    path.write_bytes(b"rows\n")
    stale = identity_of(path)
    path.write_bytes(b"other rows\n")
    report = FileReport(file="doj.dat", path=str(path))
    report.digest = FileDigest(path, stale, name="doj.dat")
    with pytest.raises(FileChanged):
        report.as_dict()


def test_only_a_file_of_the_same_size_is_compared_for_a_repeat(tmp_path):
    """mark_repeat waits for fingerprints only where a repeat is possible (same size)."""
    path = tmp_path / "doj.dat"
    path.write_bytes(b"rows\n")
    earlier = FileReport(file="a.dat", path="a.dat", bytes=999)
    earlier.digest = FileDigest(path, identity_of(path))
    earlier.digest.cancel()  # asking for it would raise: it must not be asked
    earlier.digest._thread.join()
    later = FileReport(file="b.dat", path="b.dat", bytes=5)
    later.sha256 = hashlib.sha256(b"rows\n").hexdigest()
    assert mark_repeat(later, [earlier]) is False
    same = FileReport(file="c.dat", path="c.dat", bytes=5)
    same.sha256 = later.sha256
    assert mark_repeat(same, [later]) is True and same.status == "repeat"


def test_a_digest_started_early_is_the_one_the_read_uses(tmp_path):
    """``clearance run`` starts hashing before its libraries load; the read then takes that digest."""
    path = write_doj(tmp_path / "doj.dat", rows(10))
    file_digest.start_early([path, str(path)])  # a path given twice is hashed once
    early = file_digest._EARLY[path.resolve()]
    try:
        report = read_doj_files([path]).files[0]
        assert report.digest is early and path.resolve() not in file_digest._EARLY
        assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    finally:
        file_digest.cancel_early()


def test_an_early_digest_of_another_version_is_not_used(tmp_path):
    path = write_doj(tmp_path / "doj.dat", rows(10))
    file_digest.start_early([path])
    early = file_digest._EARLY[path.resolve()]
    early.hexdigest()  # done with the first version
    write_doj(path, rows(12))  # the file is replaced before the run reads it
    try:
        report = read_doj_files([path]).files[0]
        assert report.digest is not early
        assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    finally:
        file_digest.cancel_early()


def test_early_digests_no_read_took_are_stopped(tmp_path, monkeypatch):
    monkeypatch.setattr(file_digest, "BLOCK_BYTES", 1)
    path = tmp_path / "other-format.csv"
    path.write_bytes(b"x" * 200_000)
    file_digest.start_early([path, tmp_path / "missing.dat"])  # a missing file is left to the reader
    early = file_digest._EARLY[path.resolve()]
    assert len(file_digest._EARLY) == 1
    file_digest.cancel_early()
    early._thread.join(timeout=10)
    assert not file_digest._EARLY and not early._thread.is_alive()


def test_many_files_are_hashed_a_few_at_a_time_and_all_correctly(tmp_path, monkeypatch, hashing):
    """``--input doj/*.dat`` with many files: at most AT_ONCE buffers exist at a time."""
    monkeypatch.setattr(file_digest, "BLOCK_BYTES", 512)
    paths = []
    for i in range(7):
        path = tmp_path / f"part-{i}.dat"
        path.write_bytes(os.urandom(3_000 + i))
        paths.append(path)
    digests = [FileDigest(path, identity_of(path)) for path in paths]
    assert [d.hexdigest() for d in digests] == [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def test_a_digest_cancelled_while_it_waits_for_its_turn_ends(tmp_path, monkeypatch, hashing):
    monkeypatch.setattr(file_digest, "_SLOTS", threading.BoundedSemaphore(1))
    file_digest._SLOTS.acquire()  # every slot taken (by files hashed before this one)
    path = tmp_path / "doj.dat"
    path.write_bytes(b"rows\n")
    digest = FileDigest(path, identity_of(path))
    digest.cancel()
    assert_stopped_without_value(digest)
