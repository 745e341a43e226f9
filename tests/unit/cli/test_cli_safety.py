"""The office's work is never destroyed and nothing is half-written: the ``clearance`` command as a
process, re-run over earlier results, and interrupted with real signals (Ctrl-C to the whole
process group, SIGTERM to the command alone) while its worker processes run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
import yaml

from blueprint.base.staging import sha256_of
from doj_builder import Person, write_doj

C = "001002001000"
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"
REPO = Path(__file__).resolve().parents[3]


def command(*argv) -> list[str]:
    return [sys.executable, "-m", "blueprint.cli.main", *map(str, argv)]


def clearance(*argv, cwd: Path) -> subprocess.CompletedProcess:
    result = subprocess.run(command(*argv), capture_output=True, text=True, cwd=cwd, timeout=300)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256_of(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def office_profile(folder: Path, county: str = "SACRAMENTO") -> Path:
    profile = yaml.safe_load((REPO / "templates" / "office-profile.example.yaml").read_text())
    profile["county"] = county
    (folder / "office.yaml").write_text(yaml.safe_dump(profile))
    return folder / "office.yaml"


@pytest.fixture
def small(tmp_path):
    write_doj(
        tmp_path / "doj.dat",
        [
            Person("1").conviction(C, CAN, "20050301"),
            # A super strike convicted before the offense (HS 11359(c)(1)): not eligible, challenged.
            Person("2").conviction(C, CAN, "20050301"),
            Person("2").conviction("002001001000", "187 PC-MURDER", "19900101", county="FRESNO"),
            Person("3").conviction(C, "11357 HS-POSSESS", "20100101", level="MISDEMEANOR"),
        ],
    )
    office_profile(tmp_path)
    return tmp_path


RUN = ("run", "--input", "doj.dat", "--county", "SACRAMENTO", "--as-of", "2020-07-01", "--out", "run")


# -- never destroy the office's work ----------------------------------------------------------------


def test_run_refuses_a_folder_with_an_earlier_run_and_force_keeps_the_edited_review(small):
    assert clearance(*RUN, cwd=small).returncode == 0
    run = small / "run"
    first = json.loads((run / "manifest.json").read_text())
    book = openpyxl.load_workbook(run / "review.xlsx")  # the office records a decision in Excel
    book["Convictions"]["U2"] = "Challenge - unreasonable risk to public safety"
    book.save(run / "review.xlsx")
    edited = sha256_of(run / "review.xlsx")
    (run / "my notes.docx").write_text("the office's own file")

    refused = clearance(*RUN, cwd=small)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"error: --out run holds an earlier run ({first['run_id']}): choose a new folder, "
        "or add --force to replace it (an edited review.xlsx is kept, renamed with that "
        "run's id and the time)"
    )
    assert sha256_of(run / "review.xlsx") == edited

    forced = clearance(*RUN[:-2], "--as-of", "2021-01-01", "--out", "run", "--force", cwd=small)
    assert forced.returncode == 0, forced.stderr
    kept = sorted(p.name for p in run.glob(f"review-{first['run_id']}-*.xlsx"))
    assert len(kept) == 1 and re.fullmatch(rf"review-{first['run_id']}-\d{{8}}-\d{{6}}\.xlsx", kept[0])
    assert sha256_of(run / kept[0]) == edited  # the office's decisions, intact
    assert (
        f"note: {Path('run') / 'review.xlsx'} had been changed since the earlier run; it was kept as "
        f"{Path('run') / kept[0]}" in forced.stderr
    )
    assert (run / "my notes.docx").read_text() == "the office's own file"
    second = json.loads((run / "manifest.json").read_text())
    assert second["run_id"] != first["run_id"] and second["evaluation_date"] == "2021-01-01"
    assert sha256_of(run / "review.xlsx") == second["output_sha256"]["review.xlsx"]  # the new, untouched workbook
    assert set(second["output_sha256"]) == {
        "convictions.csv",
        "convictions.parquet",
        "data_issues.csv",
        "offense_texts.csv",
        "review.xlsx",
        "summary.html",
        "summary.json",
    }

    # An unedited workbook is simply replaced: nothing more is set aside.
    assert clearance(*RUN, "--force", cwd=small).returncode == 0
    assert len(list(run.glob("review-*.xlsx"))) == 1


def test_finalize_writes_and_deletes_only_its_own_files(small):
    assert clearance(*RUN, cwd=small).returncode == 0
    args = ("finalize", "--run", "run", "--approve-all", "--profile", "office.yaml", "--out", "filings")
    assert clearance(*args, "--per-case", cwd=small).returncode == 0
    filings = small / "filings"
    first = json.loads((filings / "index.json").read_text())
    orders = [f["path"] for f in first["files"] if f["path"].startswith("case-orders/")]
    assert orders
    (filings / "signed-notice-scan.pdf").write_bytes(b"%PDF signed by the deputy")
    (filings / "challenges" / "proof-of-service-2.pdf").write_bytes(b"%PDF proof of service")
    edited = filings / "01-notice-of-non-challenge.docx"
    edited.write_bytes(edited.read_bytes() + b"the office's edit")
    edited_sha = sha256_of(edited)

    second = clearance(*args, cwd=small)  # again, without per-case orders this time
    assert second.returncode == 0, second.stderr
    assert (filings / "signed-notice-scan.pdf").read_bytes() == b"%PDF signed by the deputy"
    assert (filings / "challenges" / "proof-of-service-2.pdf").read_bytes() == b"%PDF proof of service"
    kept = list(filings.glob(f"01-notice-of-non-challenge-{first['run_id']}-*.docx"))
    assert len(kept) == 1 and sha256_of(kept[0]) == edited_sha
    assert "had been changed since the earlier filing set; it was kept as" in second.stderr
    assert not any((filings / path).exists() for path in orders)  # the earlier set's own files, no longer written
    assert not (filings / "case-orders").exists()
    index = json.loads((filings / "index.json").read_text())
    listed = {f["path"] for f in index["files"]}
    assert "signed-notice-scan.pdf" not in listed and kept[0].name not in listed  # the office's files are not ours
    assert all(sha256_of(filings / f["path"]) == f["sha256"] for f in index["files"])


# -- all or nothing: interrupts -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A synthetic file large enough for the command to be interrupted in the middle of each phase."""
    from blueprint.synthetic.doj_file import generate

    folder = tmp_path_factory.mktemp("large")
    generate(folder / "doj.dat", rows=200_000, county="SACRAMENTO", seed=5)
    office_profile(folder)
    return folder


def children_of(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def wait_for(condition, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.005)
    raise AssertionError("the command never reached the phase to interrupt")


def gone(pids: set[int], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = {p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)}
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def interrupted(proc: subprocess.Popen, signal_name: str) -> None:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert err == f"interrupted ({signal_name}): nothing was written\n"


def test_ctrl_c_during_evaluation_stops_the_workers_and_writes_nothing(large, tmp_path):
    """Ctrl-C reaches the whole process group: the command and its evaluation workers."""
    proc = subprocess.Popen(
        command(
            "run",
            "--input",
            large / "doj.dat",
            "--county",
            "SACRAMENTO",
            "--as-of",
            "2020-07-01",
            "--out",
            tmp_path / "run",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "CLEARANCE_WORKERS": "2"},
    )
    workers = wait_for(lambda: children_of(proc.pid) if len(children_of(proc.pid)) >= 2 else None)
    time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    interrupted(proc, "SIGINT")
    assert gone(workers), "an evaluation worker outlived the command"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no run folder, no staged folder


def test_sigterm_while_writing_the_outputs_removes_the_staged_folder(large, tmp_path):
    """SIGTERM (a service manager, ``kill``) reaches the command alone."""
    proc = subprocess.Popen(
        command(
            "run",
            "--input",
            large / "doj.dat",
            "--county",
            "SACRAMENTO",
            "--as-of",
            "2020-07-01",
            "--out",
            tmp_path / "run",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: list(tmp_path.glob(".run.partial-*")))
    children = children_of(proc.pid)
    proc.send_signal(signal.SIGTERM)
    interrupted(proc, "SIGTERM")
    assert gone(children)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_an_interrupted_rerun_leaves_the_earlier_run_as_it_was(large, tmp_path):
    out = tmp_path / "run"
    args = ("run", "--input", large / "doj.dat", "--county", "SACRAMENTO", "--as-of", "2020-07-01", "--out", out)
    assert clearance(*args, cwd=tmp_path).returncode == 0
    before = snapshot(out)
    proc = subprocess.Popen(
        command(*args[:-3], "2021-07-01", "--out", out, "--force"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: list(tmp_path.glob(".run.partial-*")))
    proc.send_signal(signal.SIGTERM)
    interrupted(proc, "SIGTERM")
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_interrupted_finalize_leaves_the_earlier_filing_set_as_it_was(large, tmp_path):
    run, filings = tmp_path / "run", tmp_path / "filings"
    assert (
        clearance(
            "run",
            "--input",
            large / "doj.dat",
            "--county",
            "SACRAMENTO",
            "--as-of",
            "2020-07-01",
            "--out",
            run,
            cwd=tmp_path,
        ).returncode
        == 0
    )
    args = ("finalize", "--run", run, "--approve-all", "--profile", large / "office.yaml", "--out", filings)
    assert clearance(*args, cwd=tmp_path).returncode == 0
    (filings / "signed-scan.pdf").write_bytes(b"%PDF signed")
    before = snapshot(filings)
    proc = subprocess.Popen(command(*args, "--per-case"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stage = wait_for(lambda: list(tmp_path.glob(".filings.partial-*")))[0]
    wait_for(lambda: (stage / "case-orders").is_dir() and any((stage / "case-orders").iterdir()))
    proc.send_signal(signal.SIGINT)
    interrupted(proc, "SIGINT")
    assert snapshot(filings) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["filings", "run"]


def test_an_interrupted_generate_leaves_no_file(tmp_path):
    proc = subprocess.Popen(
        command("generate", "--rows", "2000000", "--out", tmp_path / "doj.dat"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: [p for p in tmp_path.glob(".doj.dat.partial-*") if p.stat().st_size > 0])
    proc.send_signal(signal.SIGINT)
    interrupted(proc, "SIGINT")
    assert list(tmp_path.iterdir()) == []


# -- feedback: progress on a terminal only --------------------------------------------------------------


def on_terminal(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run with standard error on a pseudo-terminal (as in a console window); return its text."""
    import fcntl
    import pty
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # a 120-column window
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the command closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=300), b"".join(chunks).decode("utf-8", "replace")


def test_progress_of_every_long_phase_is_shown_on_a_terminal_only(small):
    code, shown = on_terminal(command(*RUN, "--compat", "gogen"), small)
    assert code == 0
    for phase in (
        "reading",
        "evaluating",
        "writing the review workbook and tables",
        "writing the earlier tool's result files",
    ):
        assert phase in shown, phase
    args = ("finalize", "--run", "run", "--approve-all", "--profile", "office.yaml", "--out", "filings", "--per-case")
    code, shown = on_terminal(command(*args), small)
    assert code == 0
    for phase in (
        "checking the review",
        "writing the notice, Attachment A, the order and the exports",
        "notices of challenge",
        "per-case orders",
        "writing the filing summary and the index",
    ):
        assert phase in shown, phase
    piped = clearance(*RUN[:-1], "run2", cwd=small)  # standard error is a pipe: no progress at all
    assert piped.returncode == 0 and piped.stderr == ""
    code, shown = on_terminal(command(*RUN[:-1], "run3", "--quiet"), small)
    assert code == 0 and "reading" not in shown
