"""The ``clearance`` command in-process: exit codes 0/1/2, JSON output, policies, check-policy."""

from __future__ import annotations

import json
import os

import pytest

from blueprint.cli import main as cli
from blueprint.engine.policy import list_presets
from blueprint.run.policies import load_policy
from doj_builder import Person, write_doj

C = "001002001000"
NAME = "SECRETNAME,PRIVATE"


@pytest.fixture
def doj(tmp_path):
    return write_doj(
        tmp_path / "doj.dat",
        [
            Person("1", name=NAME, dob="19700101").conviction(C, "11359 HS-POSSESS FOR SALE", "20050301"),
            Person("2").conviction(C, "11357 HS-POSSESS", "20100101", level="MISDEMEANOR"),
        ],
    )


def run(*argv) -> int:
    return cli.main(["run", *map(str, argv)])


def test_run_exit_0_with_json(doj, tmp_path, capsys):
    code = run("--input", doj, "--county", "sacramento", "--as-of", "2020-07-01", "--out", tmp_path / "out", "--json")
    assert code == 0
    out = capsys.readouterr().out
    result = json.loads(out)  # exactly one JSON object on standard output
    assert result["out"] == str(tmp_path / "out") and result["run_id"].startswith("run-")
    assert result["counts"]["convictions_evaluated"] == 2 and result["counts"]["people"] == 2
    assert result["reconciliation"]["balanced"] and result["reconciliation"]["rows_read"] == 2
    assert result["failed_files"] == []
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["run_id"] == result["run_id"] and manifest["county"] == "SACRAMENTO"
    assert NAME not in out


def test_run_human_summary_has_counts_not_people(doj, tmp_path, capsys):
    assert run("--input", doj, "--county", "SACRAMENTO", "--as-of", "2020-07-01", "--out", tmp_path / "out") == 0
    out = capsys.readouterr().out
    assert "2 convictions of 2 people evaluated (2 rows read, 0 skipped" in out
    assert NAME not in out and "19700101" not in out


def test_run_exit_1_when_an_input_fails(doj, tmp_path, capsys):
    code = run(
        "--input",
        doj,
        "--input",
        tmp_path / "missing.dat",
        "--county",
        "SACRAMENTO",
        "--as-of",
        "2020-07-01",
        "--out",
        tmp_path / "out",
        "--json",
    )
    assert code == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["failed_files"] == ["missing.dat"]
    assert captured.err.strip() == "error: missing.dat: does not exist (check the name and the folder)"
    assert (tmp_path / "out" / "convictions.csv").is_file()


def test_run_exit_2_for_a_policy_that_does_not_exist(doj, tmp_path, capsys):
    code = run(
        "--input",
        doj,
        "--county",
        "SACRAMENTO",
        "--as-of",
        "2020-07-01",
        "--out",
        tmp_path / "out",
        "--policy",
        "no-such-preset",
    )
    assert code == 2
    assert "policy 'no-such-preset' is neither a preset" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing was run


def test_run_exit_2_for_a_bad_settings_file(doj, tmp_path, capsys):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"additionalRelief": {"subjectAgeThreshold": 30}}))
    code = run(
        "--input",
        doj,
        "--county",
        "SACRAMENTO",
        "--as-of",
        "2020-07-01",
        "--out",
        tmp_path / "out",
        "--policy",
        settings,
    )
    assert code == 2
    assert "settings.json:1: additionalRelief.subjectAgeThreshold = 30" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_run_exit_2_for_an_empty_county(doj, tmp_path, capsys):
    code = run("--input", doj, "--county", "  ", "--as-of", "2020-07-01", "--out", tmp_path / "out")
    assert code == 2
    assert "county is required" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("as_of", ["2020-13-01", "07/01/2020", "yesterday", ""])
def test_a_bad_as_of_is_a_usage_error(doj, tmp_path, capsys, as_of):
    with pytest.raises(SystemExit) as info:
        run("--input", doj, "--county", "SACRAMENTO", "--as-of", as_of, "--out", tmp_path / "out")
    assert info.value.code == 2
    assert "is not a date in the form YYYY-MM-DD" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_required_arguments_are_usage_errors(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["run", "--county", "SACRAMENTO", "--as-of", "2020-07-01"])
    assert info.value.code == 2
    assert "--input" in capsys.readouterr().err


def test_policies_lists_the_presets(capsys):
    assert cli.main(["policies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    names = [line.split()[0] for line in lines]
    assert names == list_presets() and {"california", "los-angeles-2020"} <= set(names)
    for line in lines:
        name = line.split()[0]
        assert line.endswith(load_policy(name).title)


def test_check_policy_valid_preset_yaml_and_settings(tmp_path, capsys):
    assert cli.main(["check-policy", "california"]) == 0
    policy = load_policy("california")
    assert capsys.readouterr().out.strip() == (
        f"california: valid policy 'california' with {len(policy.rules)} active rules (sha256 {policy.sha256[:12]})."
    )
    county = tmp_path / "county.yaml"
    county.write_text("name: county\nextends: california\nsettings:\n  dismiss_if_deceased: true\n")
    assert cli.main(["check-policy", str(county)]) == 0
    assert f"with {len(policy.rules) + 1} active rules" in capsys.readouterr().out
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"baselineEligibility": {"dismiss": ["11357"]}}))
    assert cli.main(["check-policy", str(settings)]) == 0
    assert "valid policy 'settings' with 2 active rules" in capsys.readouterr().out


def test_check_policy_invalid_is_exit_2_with_the_problem(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nrules:\n  - id: only\n    when: {felony: maybe}\n    determination: X\n"
        "    outcome: hand_review\n    reason_code: X\n    reason: x\n"
    )
    assert cli.main(["check-policy", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: bad.yaml:4: rule 1 ('only'): condition 'felony' expects true or false")
    assert cli.main(["check-policy", str(tmp_path / "absent.yaml")]) == 2
    assert "is neither a preset" in capsys.readouterr().err


def test_the_command_as_a_process_flushes_its_output_and_keeps_exit_codes(doj, tmp_path):
    """``python -m blueprint.cli.main`` (as the installed command) ends with os._exit: nothing may be lost."""
    import os
    import subprocess
    import sys

    quiet_env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # buffered, as for most users

    def command(*argv):
        return subprocess.run(
            [sys.executable, "-m", "blueprint.cli.main", *map(str, argv)], capture_output=True, text=True, env=quiet_env
        )

    ok = command(
        "run", "--input", doj, "--county", "SACRAMENTO", "--as-of", "2020-07-01", "--out", tmp_path / "ok", "--json"
    )
    assert ok.returncode == 0
    assert json.loads(ok.stdout)["counts"]["convictions_evaluated"] == 2  # the whole line arrived through the pipe
    assert json.loads((tmp_path / "ok" / "manifest.json").read_text())["run_id"] == json.loads(ok.stdout)["run_id"]
    (tmp_path / "bad.dat").write_text("not,a,doj,file\n")
    failed = command(
        "run",
        "--input",
        tmp_path / "bad.dat",
        "--input",
        doj,
        "--county",
        "SACRAMENTO",
        "--as-of",
        "2020-07-01",
        "--out",
        tmp_path / "failed",
    )
    assert failed.returncode == 1
    assert "error: bad.dat:" in failed.stderr and "Review workbook:" in failed.stdout
    usage = command("check-policy", tmp_path / "absent.yaml")
    assert usage.returncode == 2 and usage.stderr.startswith("error:")


def test_the_command_asks_numpy_for_one_blas_thread_unless_told_otherwise(monkeypatch):
    """OpenBLAS's idle threads spin on a core the run's hashing thread uses (cli.main.one_blas_thread)."""
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    cli.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")  # an office's own setting is kept
    cli.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "4"


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through Linux's /proc")
def test_with_one_blas_thread_numpy_starts_no_thread_of_its_own():
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    script = (
        "import os; from blueprint.cli.main import one_blas_thread; one_blas_thread(); "
        "import numpy; print(len(os.listdir('/proc/self/task')))"
    )
    threads = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert threads.stdout.strip() == "1"
