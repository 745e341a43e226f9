"""A call run in a forked child: its result, its exception, and running here when no child can run."""

from __future__ import annotations

import json
import os

import pytest

from blueprint.runtime import forked
from blueprint.run import outputs
from blueprint.runtime.forked import InChild, in_children


def test_the_call_runs_in_a_child_with_arguments_inherited_not_pickled():
    parent = os.getpid()
    unpicklable = lambda: "from the parent's memory"  # noqa: E731  (a lambda cannot be pickled)

    def report(value):
        return os.getpid(), value()

    call = InChild(report, unpicklable)
    assert call.forked
    pid, text = call.wait()
    assert pid != parent and text == "from the parent's memory"


def test_the_childs_exception_is_raised_by_wait():
    def fail():
        raise ValueError("workbook folder is not writable")

    call = InChild(fail)
    with pytest.raises(ValueError, match="not writable"):
        call.wait()


def test_without_a_child_the_call_runs_here(monkeypatch):
    class NoProcesses:
        def __init__(self, *args, **kwargs):
            raise OSError("no shared memory for locks (as on AWS Lambda)")

    monkeypatch.setattr(forked, "ProcessPoolExecutor", NoProcesses)
    call = InChild(os.getpid)
    assert not call.forked
    assert call.wait() == os.getpid()


def test_a_child_that_dies_is_replaced_by_a_run_here():
    parent = os.getpid()

    def die_in_child():
        if os.getpid() != parent:
            os._exit(3)  # killed, out of memory...
        return "done here"

    assert InChild(die_in_child).wait() == "done here"


def test_each_index_runs_in_a_child_of_its_own_and_the_results_keep_their_order():
    parent = os.getpid()
    shards = [lambda: "first", lambda: "second", lambda: "third"]  # inherited, never pickled

    results = in_children(lambda index: (os.getpid(), shards[index]()), 3)
    assert [text for _, text in results] == ["first", "second", "third"]
    assert parent not in {pid for pid, _ in results}
    assert not forked._PENDING  # nothing of the work is left behind


def test_meanwhile_runs_here_once_the_children_have_started():
    parent = os.getpid()
    made: list[int] = []

    # Each child reports what it sees of the parent's list: forked before meanwhile ran, it is empty.
    results = in_children(lambda index: len(made), 2, meanwhile=lambda: made.append(os.getpid()))
    assert made == [parent]
    assert results == [0, 0]


def test_a_failing_meanwhile_is_raised_and_the_children_are_stopped():
    import time

    def census():
        raise ValueError("census failed")

    started = time.monotonic()
    with pytest.raises(ValueError, match="census failed"):
        in_children(lambda index: time.sleep(60), 2, meanwhile=census)
    assert time.monotonic() - started < 30  # stopped, not waited for
    assert not forked._PENDING


def test_a_failed_call_is_raised_and_nothing_runs_here_instead():
    parent = os.getpid()
    ran_here = []

    def work(index):
        if os.getpid() == parent:
            ran_here.append(index)
        if index == 1:
            raise ValueError("shard 1 failed")
        return index

    with pytest.raises(ValueError, match="shard 1 failed"):
        in_children(work, 3)
    assert ran_here == [] and not forked._PENDING


def test_a_child_that_dies_is_reported_not_replaced():
    from concurrent.futures.process import BrokenProcessPool

    def die(index):
        os._exit(3)

    with pytest.raises(BrokenProcessPool):
        in_children(die, 2)


def test_without_children_the_pool_error_is_raised(monkeypatch):
    class NoProcesses:
        def __init__(self, *args, **kwargs):
            raise OSError("no shared memory for locks (as on AWS Lambda)")

    monkeypatch.setattr(forked, "ProcessPoolExecutor", NoProcesses)
    with pytest.raises(OSError, match="no shared memory"):
        in_children(lambda index: index, 2)
    assert not forked._PENDING


def test_large_runs_write_the_same_files_with_the_tables_in_a_child(tmp_path, monkeypatch):
    import datetime

    from blueprint.run.local import RunSettings, run_local
    from blueprint.synthetic.doj_file import generate

    path = tmp_path / "doj.dat"
    generate(path, rows=3_000, county="SACRAMENTO", seed=3, malformed_rate=0.005)
    settings = RunSettings(county="SACRAMENTO", evaluation_date=datetime.date(2020, 7, 1))
    monkeypatch.setattr(outputs, "PARALLEL_OUTPUT_ROWS", 10**9)
    run_local([path], settings, tmp_path / "here")
    children = []
    real = outputs.InChild

    def spy(*args, **kwargs):
        children.append(real(*args, **kwargs))
        return children[-1]

    monkeypatch.setattr(outputs, "PARALLEL_OUTPUT_ROWS", 1)
    monkeypatch.setattr(outputs, "InChild", spy)
    run_local([path], settings, tmp_path / "child")
    assert len(children) == 1 and children[0].forked
    for name in ("convictions.csv", "convictions.parquet", "data_issues.csv"):
        assert (tmp_path / "child" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name

    def summary(folder):  # the processing times differ from run to run, nothing else may
        return {
            k: v for k, v in json.loads((tmp_path / folder / "summary.json").read_text()).items() if k != "processing"
        }

    assert summary("child") == summary("here")
    assert "<h2>1. Determinations</h2>" in (tmp_path / "child" / "summary.html").read_text()
    assert (tmp_path / "child" / "review.xlsx").exists()
