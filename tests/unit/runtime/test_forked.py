"""A call run in a forked child: its result, its exception, and running here when no child can run."""

from __future__ import annotations

import json
import os
from concurrent.futures.process import BrokenProcessPool

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


def test_a_value_given_after_the_start_reaches_the_child():
    parent = os.getpid()
    later = forked.Later()

    def use(value):
        return os.getpid(), value.get()

    call = InChild(use, later)
    later.attach(call)
    later.give({"sha256": "ab" * 32})  # made after the child started
    pid, value = call.wait()
    assert call.forked and pid != parent
    assert value == {"sha256": "ab" * 32}


def test_a_call_run_here_reads_the_given_value_directly():
    later = forked.Later()
    call = forked.InProcess(lambda value: value.get(), later)
    later.attach(call)
    later.give(["a"] * 100_000)  # far more than a pipe holds: nothing is sent, nothing blocks
    assert call.wait() == ["a"] * 100_000


def test_giving_to_a_child_that_died_neither_blocks_nor_fails_and_the_call_runs_here():
    parent = os.getpid()
    later = forked.Later()

    def die_in_child(value):
        if os.getpid() != parent:
            os._exit(3)
        return len(value.get())

    call = InChild(die_in_child, later)
    later.attach(call)
    with pytest.raises(BrokenProcessPool):
        call._future.result()  # the child is gone before the value exists
    later.give("x" * 1_000_000)  # larger than a pipe's buffer: with no reader, it must not wait
    assert call.wait() == 1_000_000


def test_the_value_is_not_read_before_it_is_given():
    later = forked.Later()
    later.attach(forked.InProcess(lambda: None))
    with pytest.raises(RuntimeError, match="before give"):
        later.get()


def test_when_the_inputs_cannot_be_given_the_outputs_stop_and_the_report_is_not_written(tmp_path, monkeypatch):
    """The local run's fingerprints are asked for after the tables have started (write_outputs);
    a file that changed meanwhile stops everything, the child included, and raises."""
    import datetime

    from blueprint.base.errors import UsageError
    from blueprint.run.local import RunSettings, run_local
    from blueprint.runtime.file_digest import FileChanged
    from blueprint.synthetic.doj_file import generate

    path = tmp_path / "doj.dat"
    generate(path, rows=3_000, county="SACRAMENTO", seed=3)
    settings = RunSettings(county="SACRAMENTO", evaluation_date=datetime.date(2020, 7, 1))
    monkeypatch.setattr(outputs, "PARALLEL_OUTPUT_ROWS", 1)
    children, started_in_child = [], []
    real = outputs.InChild

    def spy(*args, **kwargs):
        children.append(real(*args, **kwargs))
        started_in_child.append(children[-1].forked)
        return children[-1]

    monkeypatch.setattr(outputs, "InChild", spy)
    real_write = outputs.write_outputs

    def changed_inputs(stage, **kwargs):
        def files():
            raise FileChanged("doj.dat")

        return real_write(stage, **{**kwargs, "files": files})

    monkeypatch.setattr(outputs, "write_outputs", changed_inputs)  # run_local imports it when it runs
    with pytest.raises(UsageError, match="doj.dat: the file changed"):
        run_local([path], settings, tmp_path / "out")
    assert started_in_child == [True]
    assert not children[0].forked and children[0]._pool is None  # stopped, not left waiting for the inputs
    assert not (tmp_path / "out").exists()
