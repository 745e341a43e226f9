"""A run end to end: the local run's outputs and manifest, a bad file among good ones, and the cloud's
split / evaluate-shard / combine steps giving the same decisions as the local run."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from blueprint.cli import main as cli
from blueprint.engine.decide import evaluate_rows
from blueprint.run.cloud_steps import InputRejected, check_input, combine, evaluate_shard, split_into_shards
from blueprint.run.local import RunSettings, run_local
from blueprint.run.policies import load_policy
from blueprint.intake.reader import read_doj_files
from blueprint.engine.rulepack import load_rule_pack
from doj_builder import Person, write_doj

C = "001002001000"
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"
SETTINGS = RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "reference" / "results.md"


def documented_result_columns() -> list[str]:
    """The column names of the first table of docs/reference/results.md, in order."""
    text = DOCS.read_text().split("## The review workbook")[0]
    names: list[str] = []
    for line in text.splitlines():
        if line.startswith("| `"):
            names.extend(re.findall(r"`([a-z_0-9]+)`", line.split("|")[1]))
    return names


def small_file(path: Path) -> Path:
    a, b = Person("1", dob="19700615"), Person("2", dob="19800000")
    return write_doj(
        path,
        [
            a.arrest("001001001000", CAN, "20050101"),
            a.conviction(C, CAN, "20050301", sentence=("PROBATION", "3", "Y")),
            a.sentence_part(C, CAN, "20050301", ("JAIL", "90", "D")),
            b.conviction(C, "11357(B) HS-POSSESS", "20100505", level="MISDEMEANOR"),
            b.conviction("002001001000", "11360 HS-TRANSPORT", "20180505"),
            "broken,row",
        ],
    )


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    path = small_file(tmp / "doj.dat")
    result = run_local([path], SETTINGS, tmp / "out")
    return path, result, tmp / "out"


def test_every_documented_output_is_written(local_run):
    _, result, out = local_run
    for name in (
        "convictions.csv",
        "convictions.parquet",
        "data_issues.csv",
        "review.xlsx",
        "summary.json",
        "summary.html",
        "offense_texts.csv",
        "manifest.json",
    ):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert set(result.manifest["outputs"]) >= {
        "convictions.csv",
        "convictions.parquet",
        "data_issues.csv",
        "review.xlsx",
        "summary.json",
        "summary.html",
    }
    assert json.loads((out / "manifest.json").read_text()) == json.loads(json.dumps(result.manifest, default=str))
    assert not result.failed


def test_manifest_is_balanced_and_documented(local_run):
    path, result, _ = local_run
    m = result.manifest
    assert m["county"] == "SACRAMENTO" and m["evaluation_date"] == "2020-07-01"
    assert m["policy"]["name"] == "california" and m["policy"]["source"] == "preset:california"
    assert m["policy"]["sha256"] == load_policy("california").sha256
    (entry,) = m["inputs"]
    assert entry["file"] == "doj.dat" and entry["status"] == "ok"
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and entry["bytes"] == path.stat().st_size
    assert (entry["rows_read"], entry["rows_used"], entry["rows_skipped"]) == (6, 5, 1)
    assert m["inputs_sha256"] == hashlib.sha256(entry["sha256"].encode()).hexdigest()
    r = m["reconciliation"]
    assert (r["rows_read"], r["rows_used"], r["rows_skipped"], r["balanced"]) == (6, 5, 1, True)
    assert r["every_skipped_row_reported"] is True
    assert m["counts"]["people"] == 2 and m["counts"]["convictions_evaluated"] == 3
    issues = pd.read_csv(local_run[2] / "data_issues.csv")
    assert m["counts"]["data_issues"] == len(issues)
    assert {"read", "evaluate", "outputs", "total"} <= set(m["timings_seconds"])


def test_result_table_has_the_documented_columns(local_run):
    _, _, out = local_run
    csv = pd.read_csv(out / "convictions.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns) == documented_result_columns()
    parquet = pq.read_table(out / "convictions.parquet")
    assert parquet.column_names == list(csv.columns)
    for column in ("date_of_birth", "conviction_date", "sentence_end"):
        assert parquet.schema.field(column).type == pa.date32()
    row = csv.set_index("conviction_id").loc[f"1:{C}"]
    assert (row["conviction_date"], row["date_of_birth"], row["section"]) == ("2005-03-01", "1970-06-15", "11359")
    assert row["sentence"] == "3Y PROBATION; 90D JAIL" and row["source_file"] == "doj.dat" and row["source_line"] == "3"
    assert csv.set_index("conviction_id").loc[f"2:{C}", "date_of_birth"] == ""  # partial: empty, not a guess


def test_same_input_same_run_id_and_results(local_run, tmp_path):
    path, result, out = local_run
    again = run_local([path], SETTINGS, tmp_path / "again")
    assert again.manifest["run_id"] == result.manifest["run_id"]
    assert (tmp_path / "again" / "convictions.csv").read_bytes() == (out / "convictions.csv").read_bytes()
    later = run_local([path], RunSettings(county="SACRAMENTO", evaluation_date="2021-07-01"), tmp_path / "later")
    assert later.manifest["run_id"] != result.manifest["run_id"]


def test_a_bad_file_fails_alone_exit_code_1_and_good_results_written(tmp_path, capsys):
    good = small_file(tmp_path / "good.dat")
    (tmp_path / "bad.dat").write_text("this is not,a DOJ file\n")
    out = tmp_path / "out"
    code = cli.main(
        [
            "run",
            "--input",
            str(tmp_path / "bad.dat"),
            "--input",
            str(good),
            "--county",
            "SACRAMENTO",
            "--as-of",
            "2020-07-01",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "error: bad.dat: is not a DOJ research file" in err
    csv = pd.read_csv(out / "convictions.csv", dtype=str, keep_default_na=False)
    assert sorted(csv["conviction_id"]) == [f"1:{C}", f"2:{C}", "2:002001001000"]
    assert set(csv["source_file"]) == {"good.dat"}
    manifest = json.loads((out / "manifest.json").read_text())
    status = {f["file"]: (f["status"], f["error"]) for f in manifest["inputs"]}
    assert status["good.dat"] == ("ok", "")
    assert status["bad.dat"][0] == "failed" and status["bad.dat"][1].startswith("is not a DOJ research file")
    assert manifest["counts"]["files_failed"] == 1 and manifest["reconciliation"]["balanced"]


def test_check_input(tmp_path):
    good = small_file(tmp_path / "good.dat")
    check = check_input(good)
    assert (check.file, check.has_header, check.bytes) == ("good.dat", True, good.stat().st_size)
    assert check.sha256 == hashlib.sha256(good.read_bytes()).hexdigest()
    (tmp_path / "empty.dat").write_bytes(b"")
    with pytest.raises(InputRejected, match=r"^empty\.dat: is empty"):
        check_input(tmp_path / "empty.dat")


def test_run_settings_normalise_the_county():
    assert RunSettings(county="  los angeles ", evaluation_date="2020-07-01").county == "LOS ANGELES"
    with pytest.raises(ValueError):
        RunSettings(county="   ", evaluation_date="2020-07-01")


# --- the cloud's steps on a synthetic file ---------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from blueprint.synthetic.doj_file import generate

    tmp = tmp_path_factory.mktemp("synthetic")
    path = tmp / "synthetic.dat"
    generate(path, rows=8000, county="SACRAMENTO", seed=11, malformed_rate=0.004)
    return path, run_local([path], SETTINGS, tmp / "local")


KEY = ["conviction_id", "person_id", "determination", "reason_code", "rule_id", "relief", "rule_facts"]


def test_shards_give_the_same_decisions_as_the_local_run(synthetic, tmp_path):
    path, local = synthetic
    split = split_into_shards([path], tmp_path / "split", rows_per_shard=1500)
    assert split["shard_count"] >= 3
    evaluated = tmp_path / "evaluated"
    people_seen: list[str] = []
    for shard in split["shards"]:
        info = evaluate_shard(tmp_path / "split" / shard, SETTINGS, evaluated, file_names=split["file_names"])
        assert info["shard"] == shard
        parts = pa.concat_tables([pq.read_table(p) for p in sorted((tmp_path / "split" / shard).glob("*.parquet"))])
        people_seen.extend(set(parts["SUBJECT_ID"].to_pylist()))
    assert len(people_seen) == len(set(people_seen))  # every person in exactly one shard
    manifest = combine([evaluated], split, tmp_path / "split", SETTINGS, tmp_path / "combined")
    sharded = pd.read_csv(tmp_path / "combined" / "convictions.csv", dtype=str, keep_default_na=False)
    whole = pd.read_csv(local.out_dir / "convictions.csv", dtype=str, keep_default_na=False)
    assert len(whole) > 100 and whole["determination"].nunique() >= 3
    assert (
        sharded[KEY].sort_values("conviction_id").values.tolist()
        == whole[KEY].sort_values("conviction_id").values.tolist()
    )
    assert manifest["reconciliation"] == local.manifest["reconciliation"]
    assert manifest["counts"] == local.manifest["counts"]
    assert manifest["run_id"] == local.manifest["run_id"]
    issues_sharded = pd.read_csv(tmp_path / "combined" / "data_issues.csv", dtype=str, keep_default_na=False)
    issues_whole = pd.read_csv(local.out_dir / "data_issues.csv", dtype=str, keep_default_na=False)
    assert issues_sharded.values.tolist() == issues_whole.values.tolist()
    census = (tmp_path / "combined" / "offense_texts.csv").read_text()
    assert census == (local.out_dir / "offense_texts.csv").read_text() and census.count("\n") > 50


def test_local_run_of_the_synthetic_file_is_balanced(synthetic):
    path, local = synthetic
    r = local.manifest["reconciliation"]
    assert r["balanced"] and r["every_skipped_row_reported"] and r["rows_skipped"] > 0
    assert r["rows_read"] == path.read_bytes().count(b"\n") - 1  # every data line, the header excluded


def test_pruned_rows_decide_the_same_as_every_row(synthetic):
    path, local = synthetic
    pack = load_rule_pack()
    policy = load_policy("california")
    full = read_doj_files([path])
    pruned = read_doj_files([path], prune=True)
    assert pruned.rows.num_rows < full.rows.num_rows
    decided = {}
    for name, read in (("full", full), ("pruned", pruned)):
        ev = evaluate_rows(
            read.rows, [f.file for f in read.files], read.issues, pack, policy, "SACRAMENTO", "2020-07-01"
        )
        decided[name] = (
            ev.decisions[KEY + ["case_numbers", "name", "other_names"]].sort_values("conviction_id").values.tolist()
        )
        decided[name + "_issues"] = read.issues.frame().values.tolist()
    assert decided["full"] == decided["pruned"]
    assert decided["full_issues"] == decided["pruned_issues"]


def test_a_repeated_file_is_left_out_of_the_shards_and_the_run_says_so(synthetic, tmp_path):
    import shutil

    path, local = synthetic
    again = tmp_path / "again.dat"
    shutil.copy(path, again)
    split = split_into_shards([path, again], tmp_path / "split", rows_per_shard=1500)
    assert [f["status"] for f in split["files"]] == ["ok", "repeat"]
    assert split["files"][1]["note"].startswith("repeats synthetic.dat (identical content")
    assert not list((tmp_path / "split").glob("shard-*/part-0001.parquet"))  # nothing of the repeat is evaluated
    assert split["rows_read"] == local.manifest["reconciliation"]["rows_read"]
    repeated = run_local([path, again], SETTINGS, tmp_path / "local")
    assert not repeated.failed  # a repeat is no failure: the command exits with 0 and notes it
    assert [f["status"] for f in repeated.manifest["inputs"]] == ["ok", "repeat"]
    assert (repeated.manifest["counts"]["files_failed"], repeated.manifest["counts"]["files_repeated"]) == (0, 1)
    assert (tmp_path / "local" / "convictions.csv").read_bytes() == (local.out_dir / "convictions.csv").read_bytes()


def test_split_with_every_file_failing(tmp_path):
    (tmp_path / "empty.dat").write_bytes(b"")
    with pytest.raises(InputRejected, match=r"empty\.dat: is empty"):
        split_into_shards([tmp_path / "empty.dat"], tmp_path / "split")
    split = json.loads((tmp_path / "split" / "split.json").read_text())
    assert split["shards"] == [] and split["files"][0]["status"] == "failed"


def test_a_policy_error_stops_the_background_read(tmp_path, monkeypatch):
    """The local run reads while the policy loads; a policy that fails to load cancels that read."""
    import threading

    from blueprint.engine.policy import PolicyError
    from blueprint.intake.reader import BackgroundRead

    cancelled = []
    original = BackgroundRead.cancel

    def spy(self):  # the real cancel, recorded
        cancelled.append(self)
        original(self)

    monkeypatch.setattr(BackgroundRead, "cancel", spy)

    path = write_doj(tmp_path / "doj.dat", [Person("1", dob="19700101").conviction(C, CAN, "20100101")])
    bad = tmp_path / "bad-policy.yaml"
    bad.write_text("name: broken\nrules: not-a-list\n")
    with pytest.raises(PolicyError):
        run_local(
            [path], RunSettings(county="SACRAMENTO", policy=str(bad), evaluation_date="2020-07-01"), tmp_path / "out"
        )
    assert len(cancelled) == 1
    assert not any(t.name == "doj-reader" for t in threading.enumerate())
    assert not (tmp_path / "out").exists()


def test_the_local_run_can_start_reading_before_pandas_loads():
    """The CLI imports the pipeline (and the reader) first and starts reading at once: pandas,
    about 0.2 s to import, must load alongside the read, not before it."""
    import subprocess
    import sys

    probe = "import sys, blueprint.cli.main, blueprint.run.local, blueprint.run.cloud_steps, blueprint.intake.reader, blueprint.run.parallel; print('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_result_parquet_holds_text_as_arrow_strings_whatever_pandas_held(synthetic, tmp_path, monkeypatch):
    """Display text (offense, court, sentence) stays Arrow-backed inside the engine, the rest are
    Python strings; a parallel run's columns come back through pickling. The file's types must not
    depend on any of that."""
    path, local = synthetic
    monkeypatch.setenv("CLEARANCE_WORKERS", "2")
    parallel = run_local([path], SETTINGS, tmp_path / "parallel")
    for out in (local.out_dir, parallel.out_dir):
        schema = pq.read_schema(out / "convictions.parquet")
        text = {f.name for f in schema if pa.types.is_string(f.type)}
        assert {"offense", "court", "sentence", "cnt_order", "name", "determination", "flags"} <= text
        assert not [f.name for f in schema if pa.types.is_large_string(f.type)]
    assert (
        pq.read_table(local.out_dir / "convictions.parquet")
        .replace_schema_metadata(None)
        .equals(pq.read_table(parallel.out_dir / "convictions.parquet").replace_schema_metadata(None))
    )
