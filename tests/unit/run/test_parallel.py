"""Evaluating a local run in several processes gives exactly the single-process results."""

import datetime

import pytest

from blueprint.run import parallel
from blueprint.runtime import forked
from blueprint.run.local import RunSettings, run_local
from blueprint.synthetic.doj_file import generate

SETTINGS = RunSettings(county="SACRAMENTO", evaluation_date=datetime.date(2020, 7, 1))


@pytest.fixture(scope="module")
def doj_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("doj") / "doj.dat"
    generate(path, rows=12_000, county="SACRAMENTO", seed=11, malformed_rate=0.002)
    return path


def _run(path, out, monkeypatch, workers):
    monkeypatch.setenv("CLEARANCE_WORKERS", str(workers))
    return run_local([path], SETTINGS, out)


def test_several_processes_write_the_same_results_as_one(doj_file, tmp_path, monkeypatch):
    one = _run(doj_file, tmp_path / "one", monkeypatch, 1)
    three = _run(doj_file, tmp_path / "three", monkeypatch, 3)
    assert (one.manifest["evaluation_processes"], three.manifest["evaluation_processes"]) == (1, 3)
    assert three.manifest["counts"]["convictions_evaluated"] > 100
    for name in ("convictions.csv", "data_issues.csv"):
        assert (tmp_path / "three" / name).read_bytes() == (tmp_path / "one" / name).read_bytes(), name
    assert one.manifest["counts"] == three.manifest["counts"]
    assert one.manifest["run_id"] == three.manifest["run_id"]


def test_a_pool_that_cannot_start_falls_back_to_one_process(doj_file, tmp_path, monkeypatch):
    class Broken:
        def __init__(self, *args, **kwargs):
            raise OSError("no processes here")

    monkeypatch.setattr(forked, "ProcessPoolExecutor", Broken)
    fallback = _run(doj_file, tmp_path / "fallback", monkeypatch, 2)
    _run(doj_file, tmp_path / "one", monkeypatch, 1)
    assert fallback.manifest["evaluation_processes"] == 1
    assert (tmp_path / "fallback" / "convictions.csv").read_bytes() == (
        tmp_path / "one" / "convictions.csv"
    ).read_bytes()


def test_small_runs_stay_in_one_process(monkeypatch):
    monkeypatch.delenv("CLEARANCE_WORKERS", raising=False)
    assert parallel.workers_for(parallel.MIN_ROWS - 1) == 1


def _collector_after_a_shard(shards, context, index):
    """In a forked worker: evaluate one shard as the local run does, then say whether gc is on."""
    import gc

    parallel._evaluate_shard(shards, context, index)
    return gc.isenabled()


def test_a_worker_evaluates_with_the_cycle_collector_off_and_the_run_restores_it(doj_file, tmp_path, monkeypatch):
    """The collector only costs a worker time (its full passes copy the parent's pages); the
    freeze of what the parent holds lasts one run (blueprint.run.local)."""
    import functools
    import gc

    from blueprint.engine.rulepack import load_rule_pack
    from blueprint.intake.reader import read_doj_files
    from blueprint.run.policies import load_policy

    read = read_doj_files([doj_file], prune=True, parts=2)
    policy = load_policy("california")
    context = (
        [f.file for f in read.files],
        load_rule_pack(policy.rule_pack),
        policy,
        "SACRAMENTO",
        SETTINGS.evaluation_date,
    )
    enabled = forked.in_children(functools.partial(_collector_after_a_shard, read.parts, context), 2)
    assert enabled == [False, False] and gc.isenabled()

    assert gc.get_freeze_count() == 0
    _run(doj_file, tmp_path / "two", monkeypatch, 2)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    gc.disable()  # a caller that runs without the collector keeps it off
    try:
        _run(doj_file, tmp_path / "again", monkeypatch, 2)
        assert gc.get_freeze_count() == 0 and not gc.isenabled()
    finally:
        gc.enable()
