"""Day-one mistakes, each met as a user meets it: the ``clearance`` command run as a process.

Every mistake must end in one line on standard error (``error: ...``) naming the file or option and
what to do, the documented exit code (docs/local-run.md, "Exit codes"), no traceback, and nothing
written. The messages are asserted in full where the wording is the point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from doj_builder import Person, write_doj

C = "001002001000"
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"
REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "templates" / "office-profile.example.yaml"


def clearance(*argv, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "blueprint.cli.main", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def one_error(result: subprocess.CompletedProcess) -> str:
    """The single ``error:`` line (no traceback, no usage block)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def nothing_written(folder: Path, *names: str) -> None:
    for name in names:
        assert not (folder / name).exists(), name
    assert not list(folder.glob(".*.partial-*")), "a staged folder was left behind"


@pytest.fixture
def work(tmp_path):
    """A folder with a good DOJ file (SACRAMENTO and YOLO convictions) and the usual wrong files."""
    write_doj(
        tmp_path / "doj.dat",
        [
            Person("1").conviction(C, CAN, "20050301"),
            Person("2").conviction(C, "11357 HS-POSSESS", "20100101", level="MISDEMEANOR"),
            Person("3").conviction(C, CAN, "20060101", county="YOLO"),
        ],
    )
    (tmp_path / "empty.dat").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("these are my notes about the DOJ file\n")
    (tmp_path / "a folder").mkdir()
    book = openpyxl.Workbook()
    book.active.append(["RECORD_ID", "SUBJECT_ID"])
    book.save(tmp_path / "doj.xlsx")
    return tmp_path


RUN = ("run", "--county", "SACRAMENTO", "--as-of", "2020-07-01", "--out", "out")


# -- run: input files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, message",
    [
        ("missing.dat", "error: missing.dat: does not exist (check the name and the folder) (nothing was written)"),
        ("a folder", "error: a folder: is a folder, not a file: give the DOJ file(s) inside it (nothing was written)"),
        (
            "doj.xlsx",
            "error: doj.xlsx: is an Excel workbook or another zip archive, not a DOJ research file (a text file "
            "of comma-separated values); use the file as DOJ delivered it (nothing was written)",
        ),
        (
            "notes.txt",
            "error: notes.txt: is not a DOJ research file: none of its first 1 rows has 95 fields (found 1) "
            "(nothing was written)",
        ),
        ("empty.dat", "error: empty.dat: is empty: it has no data rows (nothing was written)"),
    ],
)
def test_a_single_bad_input_file_is_one_line_and_exit_2(work, name, message):
    result = clearance(*RUN, "--input", name, cwd=work)
    assert (result.returncode, one_error(result)) == (2, message)
    nothing_written(work, "out")


def test_several_bad_files_are_listed_one_per_line(work):
    result = clearance(*RUN, "--input", "missing.dat", "empty.dat", cwd=work)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: none of the 2 input files can be used (nothing was written):",
        "  missing.dat: does not exist (check the name and the folder)",
        "  empty.dat: is empty: it has no data rows",
    ]
    nothing_written(work, "out")


def test_a_bad_file_beside_a_good_one_fails_alone_with_exit_1(work):
    result = clearance(*RUN, "--input", "doj.dat", "--input", "doj.xlsx", cwd=work)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[0].startswith("error: doj.xlsx: is an Excel workbook")
    assert "refuses this run unless given --allow-failed-inputs" in result.stdout
    manifest = json.loads((work / "out" / "manifest.json").read_text())
    assert [(f["file"], f["status"]) for f in manifest["inputs"]] == [("doj.dat", "ok"), ("doj.xlsx", "failed")]


def test_several_files_after_one_input_as_a_shell_pattern_gives_them(work):
    write_doj(work / "part2.dat", [Person("9").conviction(C, CAN, "20040101")])
    result = clearance(*RUN, "--input", "doj.dat", "part2.dat", "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["people"] == 3  # persons 1, 2 and 9 in SACRAMENTO


# -- run: options ---------------------------------------------------------------------------------


def test_a_county_that_is_not_in_the_input_lists_the_counties_and_the_closest(work):
    result = clearance(
        "run", "--input", "doj.dat", "--county", "sacrament", "--as-of", "2020-07-01", "--out", "out", cwd=work
    )
    assert (result.returncode, one_error(result)) == (
        2,
        (
            "error: --county SACRAMENT: no row of the input is in this county (STP_ORI_CNTY_NAME); the input has: "
            "SACRAMENTO (2 convictions), YOLO (1 conviction). Did you mean SACRAMENTO?"
        ),
    )
    nothing_written(work, "out")


@pytest.mark.parametrize(
    "as_of, fragment",
    [
        ("2999-01-01", "error: --as-of 2999-01-01 is in the future (today is "),
        (
            "1989-12-31",
            "error: --as-of 1989-12-31 is before 1990, long before HS 11361.8 took effect (2016-11-09): "
            "correct it, or add --force if the date is intended",
        ),
    ],
)
def test_an_unlikely_evaluation_date_asks_for_force(work, as_of, fragment):
    result = clearance(
        "run", "--input", "doj.dat", "--county", "SACRAMENTO", "--as-of", as_of, "--out", "out", cwd=work
    )
    assert result.returncode == 2 and one_error(result).startswith(fragment)
    nothing_written(work, "out")
    forced = clearance(
        "run", "--input", "doj.dat", "--county", "SACRAMENTO", "--as-of", as_of, "--out", "out", "--force", cwd=work
    )
    assert forced.returncode == 0, forced.stderr


def test_an_evaluation_date_that_is_not_a_date_is_one_line(work):
    result = clearance(
        "run", "--input", "doj.dat", "--county", "SACRAMENTO", "--as-of", "07/01/2020", "--out", "out", cwd=work
    )
    assert (result.returncode, one_error(result)) == (
        2,
        (
            "error: clearance run: argument --as-of: '07/01/2020' is not a date in the form YYYY-MM-DD "
            "(see clearance run --help)"
        ),
    )


def test_out_that_is_a_file_or_cannot_be_created(work):
    result = clearance(*RUN[:-1], "doj.dat", "--input", "doj.dat", cwd=work)
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --out doj.dat is a file, not a folder: give a folder for the outputs",
    )
    result = clearance(*RUN[:-1], "doj.dat/run", "--input", "doj.dat", cwd=work)
    assert (result.returncode, one_error(result)) == (
        2,
        f"error: cannot create the output folder doj.dat/run (--out): {work / 'doj.dat'} is a file, not a folder",
    )


def test_an_unknown_policy_is_one_line(work):
    result = clearance(*RUN, "--input", "doj.dat", "--policy", "californa", cwd=work)
    assert result.returncode == 2
    assert one_error(result).startswith("error: policy 'californa' is neither a preset (california, ")
    nothing_written(work, "out")


def test_version(work):
    result = clearance("--version", cwd=work)
    from blueprint import __version__

    assert (result.returncode, result.stdout.strip()) == (0, f"clearance {__version__}")


# -- generate -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ("--rows", "0"),
            "error: clearance generate: argument --rows: must be at least 1, got 0 (see clearance generate --help)",
        ),
        (
            ("--malformed-rate", "1.5"),
            "error: clearance generate: argument --malformed-rate: is a share of rows between 0 "
            "and 1 (0.001 is one row in a thousand), got 1.5 (see clearance generate --help)",
        ),
        (
            ("--malformed-rate", "-0.1"),
            "error: clearance generate: argument --malformed-rate: is a share of rows between "
            "0 and 1 (0.001 is one row in a thousand), got -0.1 (see clearance generate --help)",
        ),
        (
            ("--county", "Sacrament"),
            "error: --county Sacrament: not a California county the generator knows; did you mean SACRAMENTO?",
        ),
    ],
)
def test_generate_refuses_bad_values(work, argv, message):
    result = clearance("generate", "--out", "new.dat", *argv, cwd=work)
    assert (result.returncode, one_error(result)) == (2, message)
    nothing_written(work, "new.dat")


def test_generate_never_replaces_a_file_without_force(work):
    before = (work / "doj.dat").read_bytes()
    result = clearance("generate", "--rows", "10", "--out", "doj.dat", cwd=work)
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --out doj.dat already exists; choose a new file name, or add --force to replace it",
    )
    assert (work / "doj.dat").read_bytes() == before
    result = clearance("generate", "--rows", "10", "--out", "a folder", cwd=work)
    assert result.returncode == 2 and one_error(result).startswith(
        "error: --out a folder is a folder: give a file name"
    )
    forced = clearance("generate", "--rows", "10", "--out", "doj.dat", "--force", cwd=work)
    assert forced.returncode == 0 and (work / "doj.dat").read_bytes() != before
    nothing_written(work)


# -- finalize -------------------------------------------------------------------------------------


@pytest.fixture
def finished(work):
    """A finished run of the good file (the example profile is for another county: a copy for SACRAMENTO)."""
    import yaml

    assert clearance(*RUN, "--input", "doj.dat", cwd=work).returncode == 0
    profile = yaml.safe_load(PROFILE.read_text())
    profile["county"] = "SACRAMENTO"
    (work / "office.yaml").write_text(yaml.safe_dump(profile))
    return work


FINALIZE = ("finalize", "--run", "out", "--profile", "office.yaml", "--out", "filings")


def test_a_review_workbook_that_does_not_exist(finished):
    result = clearance(*FINALIZE, "--review", "out/reviewed.xlsx", cwd=finished)
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --review out/reviewed.xlsx does not exist: check the name and the folder of the reviewed workbook",
    )
    nothing_written(finished, "filings")


def test_a_run_folder_that_is_missing_unfinished_incomplete_or_mixed(finished):
    result = clearance(
        "finalize", "--run", "nowhere", "--approve-all", "--profile", "office.yaml", "--out", "filings", cwd=finished
    )
    assert (result.returncode, one_error(result)) == (2, "error: the run folder nowhere does not exist")

    (finished / "half").mkdir()
    (finished / "half" / "review.xlsx").write_bytes((finished / "out" / "review.xlsx").read_bytes())
    result = clearance(
        "finalize", "--run", "half", "--approve-all", "--profile", "office.yaml", "--out", "filings", cwd=finished
    )
    assert (result.returncode, one_error(result)) == (
        2,
        "error: half holds no finished run (no manifest.json): the run "
        "did not finish or this is not a run folder; run `clearance "
        "run` again into a new folder",
    )

    manifest_path = finished / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({k: v for k, v in manifest.items() if k != "output_sha256"}))
    result = clearance(*FINALIZE, "--approve-all", cwd=finished)
    assert result.returncode == 2
    assert one_error(result).startswith(f"error: {Path('out') / 'manifest.json'} is incomplete (no output_sha256)")

    # Another run's table under this run's manifest: the mix an interrupted run used to leave.
    manifest_path.write_text(json.dumps(manifest))
    assert (
        clearance(
            "run", "--input", "doj.dat", "--county", "YOLO", "--as-of", "2020-07-01", "--out", "yolo", cwd=finished
        ).returncode
        == 0
    )
    (finished / "out" / "convictions.parquet").write_bytes((finished / "yolo" / "convictions.parquet").read_bytes())
    result = clearance(*FINALIZE, "--approve-all", cwd=finished)
    assert (result.returncode, one_error(result)) == (
        2,
        (
            f"error: convictions.parquet in out does not belong to the run of its manifest.json ({manifest['run_id']}): it "
            "was changed, or the folder mixes the files of two runs; run `clearance run` again into a new folder"
        ),
    )
    nothing_written(finished, "filings")


def test_the_workbook_of_another_run_is_refused_with_exit_3(finished):
    assert (
        clearance(
            "run", "--input", "doj.dat", "--county", "YOLO", "--as-of", "2020-07-01", "--out", "yolo", cwd=finished
        ).returncode
        == 0
    )
    result = clearance(*FINALIZE, "--review", "yolo/review.xlsx", cwd=finished)
    assert result.returncode == 3
    assert result.stderr.startswith("error: the reviewed workbook was not accepted")
    assert "'run_id' does not match this run: the workbook belongs to a different run" in result.stderr
    nothing_written(finished, "filings")


def test_profile_and_out_mistakes(finished):
    result = clearance(
        "finalize", "--run", "out", "--approve-all", "--profile", "nope.yaml", "--out", "filings", cwd=finished
    )
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --profile nope.yaml does not exist: check the name and the folder of the office profile",
    )
    result = clearance(
        "finalize", "--run", "out", "--approve-all", "--profile", "office.yaml", "--out", "doj.dat", cwd=finished
    )
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --out doj.dat is a file, not a folder: give a folder for the outputs",
    )
    result = clearance(
        "finalize", "--run", "out", "--approve-all", "--profile", "office.yaml", "--out", "out", cwd=finished
    )
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --out out is not empty and holds no finished filing "
        "set (no readable index.json): choose a new or empty folder "
        "for the filings",
    )


def test_a_run_with_a_failed_input_is_finalized_only_when_allowed(work):
    import yaml

    assert clearance(*RUN, "--input", "doj.dat", "notes.txt", cwd=work).returncode == 1
    profile = yaml.safe_load(PROFILE.read_text())
    profile["county"] = "SACRAMENTO"
    (work / "office.yaml").write_text(yaml.safe_dump(profile))
    result = clearance(*FINALIZE, "--approve-all", cwd=work)
    assert (result.returncode, one_error(result)) == (
        2,
        (
            "error: the run has 1 input file(s) that failed, whose convictions are not in it: notes.txt: is not a DOJ "
            "research file: none of its first 1 rows has 95 fields (found 1). Run again with the corrected file(s), or add "
            "--allow-failed-inputs to file without them"
        ),
    )
    nothing_written(work, "filings")
    allowed = clearance(*FINALIZE, "--approve-all", "--allow-failed-inputs", "--json", cwd=work)
    assert allowed.returncode == 0, allowed.stderr
    summary = json.loads((work / "filings" / "filing-summary.json").read_text())
    assert [(f["file"], f["status"]) for f in summary["inputs"]] == [("doj.dat", "ok"), ("notes.txt", "failed")]
    assert summary["inputs"][1]["error"].startswith("is not a DOJ research file")
    from pypdf import PdfReader

    text = " ".join(page.extract_text() for page in PdfReader(work / "filings" / "filing-summary.pdf").pages)
    assert "Input files of the run" in text and "notes.txt" in text and "failed" in text
    assert "WARNING: 1 input file(s) of the run failed" in text


def test_finalize_ends_with_the_counts_and_the_next_step(finished):
    result = clearance(*FINALIZE, "--approve-all", cwd=finished)
    assert result.returncode == 0, result.stderr
    index = json.loads((finished / "filings" / "index.json").read_text())
    lines = result.stdout.strip().splitlines()
    assert lines[0] == (
        f"Filing set written to filings: {len(index['files'])} files (index.json and SHA256SUMS list "
        "each with its SHA-256)."
    )
    assert lines[1:5] == [
        "  Filed for relief (not challenged): 2 convictions of 2 people",
        "  Challenged:                        0 convictions of 0 people",
        "  Left for hand review (not filed):  0 convictions",
        "  Out of scope (not filed, listed):  0 convictions",
    ]
    assert lines[5] == "Next:" and "signs 01-notice-of-non-challenge.pdf" in lines[6]
    assert lines[-1] == "  See docs/filings.md, 'How to file'."
    assert "TESTPERSON" not in result.stdout  # counts only


# -- the unexpected -------------------------------------------------------------------------------


def test_an_unexpected_error_is_one_line_without_its_message_and_debug_shows_it(finished):
    """A damaged conviction table whose checksum was updated to match: a fault no check foresees."""
    from blueprint.base.staging import sha256_of

    table = finished / "out" / "convictions.parquet"
    table.write_bytes(b"PAR1 these bytes are not a parquet file TESTPERSON,NUMBER 1 PAR1")
    manifest_path = finished / "out" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["output_sha256"]["convictions.parquet"] = sha256_of(table)
    manifest_path.write_text(json.dumps(manifest))
    result = clearance(*FINALIZE, "--approve-all", cwd=finished)
    line = one_error(result)
    assert result.returncode == 4
    assert line.startswith("error: unexpected ") and " at blueprint/" in line
    assert line.endswith("; nothing was written. Run the command again with --debug for details")
    nothing_written(finished, "filings")
    debug = subprocess.run(
        [sys.executable, "-m", "blueprint.cli.main", "--debug", *FINALIZE, "--approve-all"],
        capture_output=True,
        text=True,
        cwd=finished,
    )
    assert debug.returncode == 4 and "Traceback (most recent call last)" in debug.stderr  # the same code


# -- inspect: input files, as run meets them ------------------------------------------------------


@pytest.mark.parametrize("out", [(), ("--out", "census.csv")])
def test_inspect_with_its_only_input_missing_is_one_line_exit_2_and_writes_nothing(work, out):
    result = clearance("inspect", "--input", "missing.dat", *out, cwd=work)
    assert (result.returncode, one_error(result)) == (
        2,
        "error: missing.dat: does not exist (check the name and the folder) (nothing was written)",
    )
    assert result.stdout == ""  # no empty CSV header, no "0 distinct offense texts"
    nothing_written(work, "census.csv")


def test_inspect_with_every_input_unusable_lists_them_and_writes_nothing(work):
    result = clearance("inspect", "--input", "missing.dat", "empty.dat", "--out", "census.csv", cwd=work)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: none of the 2 input files can be used (nothing was written):",
        "  missing.dat: does not exist (check the name and the folder)",
        "  empty.dat: is empty: it has no data rows",
    ]
    nothing_written(work, "census.csv")


def test_inspect_takes_several_files_after_one_input_and_names_a_failed_one(work):
    write_doj(work / "part2.dat", [Person("9").conviction(C, "11358 HS-CULTIVATE MARIJUANA", "20040101")])
    result = clearance("inspect", "--input", "doj.dat", "part2.dat", "--out", "census.csv", cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("3 distinct offense texts in 4 rows;")  # 3 rows of doj.dat, 1 of part2.dat
    texts = (work / "census.csv").read_text()
    assert "11358 HS-CULTIVATE MARIJUANA" in texts and CAN in texts
    # --input repeated still works; a file that fails beside a good one is named, with exit 1.
    result = clearance("inspect", "--input", "doj.dat", "--input", "notes.txt", "--out", "census2.csv", cwd=work)
    assert result.returncode == 1
    assert one_error(result).startswith("error: notes.txt: is not a DOJ research file")
    assert result.stdout.startswith("2 distinct offense texts in 3 rows;")


# -- one file given twice, or two copies of one file ----------------------------------------------


def test_the_same_path_given_twice_is_read_once_and_said_in_one_line(work):
    result = clearance(*RUN, "--input", "doj.dat", "a folder/../doj.dat", "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines() == ["note: a folder/../doj.dat is doj.dat again; it is read once"]
    assert json.loads(result.stdout)["failed_files"] == []
    manifest = json.loads((work / "out" / "manifest.json").read_text())
    assert [(f["file"], f["status"]) for f in manifest["inputs"]] == [("doj.dat", "ok")]
    result = clearance("inspect", "--input", "doj.dat", "--input", "doj.dat", "--out", "census.csv", cwd=work)
    assert result.returncode == 0
    assert result.stderr.strip().splitlines() == ["note: doj.dat was given more than once; it is read once"]
    assert result.stdout.startswith("2 distinct offense texts in 3 rows;")


def test_a_copy_of_an_input_is_a_repeat_used_once_and_finalize_files_the_run(work):
    """A second file with the same bytes: its rows are used once, it is no failure, and finalize
    files the run without --allow-failed-inputs, naming the file it repeats. A single row repeated
    in another file is still used once and listed (DUPLICATE_ROW)."""
    import yaml
    from pypdf import PdfReader

    (work / "copy.dat").write_bytes((work / "doj.dat").read_bytes())
    write_doj(  # person 1's row again (byte for byte), and a new person
        work / "more.dat",
        [Person("1").conviction(C, CAN, "20050301"), Person("9").conviction(C, CAN, "20040101")],
    )
    assert clearance(*RUN[:-1], "alone", "--input", "doj.dat", "more.dat", cwd=work).returncode == 0
    result = clearance(*RUN, "--input", "doj.dat", "copy.dat", "more.dat", "--json", cwd=work)
    assert result.returncode == 0, result.stderr
    note = "repeats doj.dat (identical content, SHA-256); its rows were used once, from doj.dat"
    assert result.stderr.strip().splitlines() == [f"note: copy.dat: {note}"]
    out = json.loads(result.stdout)
    assert (out["failed_files"], out["repeated_files"]) == ([], ["copy.dat"])
    manifest = json.loads((work / "out" / "manifest.json").read_text())
    assert [(f["file"], f["status"], f["note"], f["error"]) for f in manifest["inputs"]] == [
        ("doj.dat", "ok", "", ""),
        ("copy.dat", "repeat", note, ""),
        ("more.dat", "ok", "", ""),
    ]
    assert (manifest["counts"]["files_failed"], manifest["counts"]["files_repeated"]) == (0, 1)
    # The same convictions as without the copy; the repeated row of more.dat is used once and listed.
    assert (work / "out" / "convictions.csv").read_bytes() == (work / "alone" / "convictions.csv").read_bytes()
    issues = (work / "out" / "data_issues.csv").read_text()
    assert issues.count("DUPLICATE_ROW") == 1 and "more.dat" in issues
    run_sheet = [r for r in openpyxl.load_workbook(work / "out" / "review.xlsx")["Run"].iter_rows(values_only=True)]
    assert ("copy.dat", "repeat", 0, 0, 0, note) in [tuple(r[:6]) for r in run_sheet]

    profile = yaml.safe_load(PROFILE.read_text())
    profile["county"] = "SACRAMENTO"
    (work / "office.yaml").write_text(yaml.safe_dump(profile))
    result = clearance(*FINALIZE, "--review", "out/review.xlsx", "--quiet", cwd=work)
    assert result.returncode == 0, result.stderr
    summary = json.loads((work / "filings" / "filing-summary.json").read_text())
    assert [(f["file"], f["status"], f["note"]) for f in summary["inputs"]] == [
        ("doj.dat", "ok", ""),
        ("copy.dat", "repeat", note),
        ("more.dat", "ok", ""),
    ]
    text = " ".join(page.extract_text() for page in PdfReader(work / "filings" / "filing-summary.pdf").pages)
    assert "repeats doj.dat" in " ".join(text.split()) and "WARNING" not in text


# -- finalize: a --review that is not a workbook --------------------------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda p: p.write_text("these are not the droids\n"),
            "it is a text file; give the review.xlsx of the run as the office saved it in Excel (a workbook "
            "saved as CSV or text loses its Run sheet)",
        ),
        (
            lambda p: p.write_bytes(b"PK\x03\x04 half a zip archive"),
            "its zip archive is damaged or incomplete (copied before it was fully saved?); copy the workbook "
            "again from where the office saved it",
        ),
        (
            lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
            "it is in the older Excel 97-2003 format (.xls) or another old Office format; open it in Excel and "
            "save it as an Excel Workbook (.xlsx)",
        ),
        (lambda p: p.write_bytes(b""), "the file is empty (0 bytes)"),
    ],
)
def test_a_review_that_is_not_an_excel_workbook_is_one_line_and_exit_2(finished, make, message):
    make(finished / "fake.xlsx")
    result = clearance(*FINALIZE, "--review", "fake.xlsx", cwd=finished)
    assert (result.returncode, one_error(result)) == (
        2,
        f"error: --review fake.xlsx is not an Excel workbook (.xlsx): {message}",
    )
    nothing_written(finished, "filings")


def test_a_review_that_is_a_folder_or_another_zip_is_one_line_and_exit_2(finished):
    import zipfile

    (finished / "reviews.xlsx").mkdir()
    result = clearance(*FINALIZE, "--review", "reviews.xlsx", cwd=finished)
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --review reviews.xlsx is a folder, not an Excel workbook (.xlsx): give the reviewed workbook "
        "file itself",
    )
    with zipfile.ZipFile(finished / "letter.xlsx", "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    result = clearance(*FINALIZE, "--review", "letter.xlsx", cwd=finished)
    assert (result.returncode, one_error(result)) == (
        2,
        "error: --review letter.xlsx is not an Excel workbook (.xlsx): it is a Word document (.docx); give the "
        "review.xlsx of the run",
    )
    nothing_written(finished, "filings")


# -- --debug keeps the exit code; --out that cannot be created -------------------------------------


def test_debug_shows_the_traceback_and_keeps_the_exit_code_of_a_usage_error(work):
    plain = clearance(*RUN, "--input", "missing.dat", cwd=work)
    debug = subprocess.run(
        [sys.executable, "-m", "blueprint.cli.main", "--debug", *RUN, "--input", "missing.dat"],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=300,
    )
    assert (plain.returncode, debug.returncode) == (2, 2)
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == one_error(plain)  # the same line, after the traceback
    nothing_written(work, "out")


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where nothing can be created")
def test_out_where_nothing_can_be_created_says_what_and_why(work):
    result = clearance(*RUN[:-1], "/proc/nope", "--input", "doj.dat", cwd=work)
    why = (
        "nothing can be created in /proc (No such file or directory); choose a folder you can write to"
        if os.access("/proc", os.W_OK | os.X_OK)  # root may write there, but /proc takes no new entries
        else "no permission to write in /proc"
    )
    assert (result.returncode, one_error(result)) == (
        2,
        f"error: cannot create the output folder /proc/nope (--out): {why}",
    )
