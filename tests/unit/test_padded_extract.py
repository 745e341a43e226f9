"""A padded extract decides exactly like the same extract written without padding.

Many real extracts pad every descriptive field with spaces to a fixed width. The reader drops that
padding from the rows it keeps for the engine (``blueprint.reader._kept``), on the ground that every
rule trims the values it reads anyway. These tests check the ground: the same synthetic extract,
once as generated and once with its fields padded (trailing spaces to fixed widths, and leading
spaces on a few fields), must give the same kept rows and byte-identical results, on one process
and on two.
"""

from __future__ import annotations

import csv

import pytest

from blueprint.columns import DOJ_COLUMNS
from blueprint.pipeline import RunSettings, run_local
from blueprint.reader import read_doj_files

SETTINGS = RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01")
#: Widths to pad to (trailing spaces), as fixed-width extracts do.
TRAILING = {"PRI_NAME": 30, "RACE_DESCR": 25, "STP_TYPE_DESCR": 25, "STP_ORI_DESCR": 40, "STP_ORI_CNTY_NAME": 25,
            "OFFENSE_DESCR": 70, "DISP_DESCR": 40, "CONV_STAT_DESCR": 15, "SENT_LOC_DESCR": 20, "OFN": 20,
            "FE_NUM_CRT_CASE": 20, "GENDER": 8}
#: Fields also given leading spaces (right-aligned numbers, a stray space before a text).
LEADING = ("CNT_ORDER", "SENT_LENGTH", "COMMENT_TEXT", "STP_EVENT_DATE")


def pad(source, target) -> None:
    """Write ``source`` again with its fields padded; malformed lines are copied as they are."""
    at = {name: DOJ_COLUMNS.index(name) for name in (*TRAILING, *LEADING)}
    with open(source, newline="", encoding="latin-1") as src, open(target, "w", newline="", encoding="latin-1") as dst:
        writer = csv.writer(dst, lineterminator="\r\n")
        for n, row in enumerate(csv.reader(src)):
            if n and len(row) >= len(DOJ_COLUMNS):
                for name, width in TRAILING.items():
                    row[at[name]] = row[at[name]].ljust(width)
                for name in LEADING:
                    if row[at[name]]:
                        row[at[name]] = "  " + row[at[name]]
            writer.writerow(row)


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    from blueprint.synthetic import generate

    tmp = tmp_path_factory.mktemp("padded")
    plain, padded = tmp / "plain.dat", tmp / "padded.dat"
    generate(plain, rows=6000, county="SACRAMENTO", seed=23, malformed_rate=0.004)
    pad(plain, padded)
    assert padded.stat().st_size > 1.3 * plain.stat().st_size
    return tmp, plain, padded


@pytest.mark.parametrize("parts", [1, 2])
def test_the_same_rows_are_kept_and_arrive_without_padding(extracts, parts):
    _, plain, padded = extracts
    a = read_doj_files([plain], prune=True, parts=parts)
    b = read_doj_files([padded], prune=True, parts=parts)
    assert b.rows.num_rows == a.rows.num_rows < sum(f.rows_used for f in b.files)
    for name in a.rows.column_names:
        assert b.rows[name].to_pylist() == a.rows[name].to_pylist(), name
    assert [f.rows_read for f in a.files] == [f.rows_read for f in b.files]
    assert a.issues.frame()[["line", "column", "code"]].equals(b.issues.frame()[["line", "column", "code"]])


def _text(path, plain_name: str, padded_name: str) -> str:
    return path.read_text(encoding="utf-8").replace(padded_name, plain_name)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_padded_extract_gives_byte_identical_results(extracts, workers, monkeypatch):
    tmp, plain, padded = extracts
    monkeypatch.setenv("CLEARANCE_WORKERS", workers)
    first = run_local([plain], SETTINGS, tmp / f"plain-{workers}")
    second = run_local([padded], SETTINGS, tmp / f"padded-{workers}")
    assert first.manifest["evaluation_processes"] == second.manifest["evaluation_processes"] == int(workers)
    for name in ("convictions.csv", "data_issues.csv", "offense_texts.csv"):
        expected = _text(first.out_dir / name, plain.name, padded.name)
        assert len(expected.splitlines()) > 10, name
        assert _text(second.out_dir / name, plain.name, padded.name) == expected, name
