"""A padded extract decides exactly like the same extract written without padding.

Many real extracts pad every descriptive field with spaces to a fixed width. The reader drops that
padding from the rows it keeps for the engine (``blueprint.intake.reader._kept``), on the ground that every
rule trims the values it reads anyway. These tests check the ground: the same synthetic extract,
once as generated and once with its fields padded (trailing spaces to fixed widths, and leading
spaces on a few fields), must give the same kept rows and byte-identical results, on one process
and on two.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from blueprint.intake.columns import DOJ_COLUMNS
from blueprint.run.local import RunSettings, run_local
from blueprint.intake.reader import read_doj_files

SETTINGS = RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01")
#: Widths to pad to (trailing spaces), as fixed-width extracts do.
TRAILING = {
    "PRI_NAME": 30,
    "RACE_DESCR": 25,
    "STP_TYPE_DESCR": 25,
    "STP_ORI_DESCR": 40,
    "STP_ORI_CNTY_NAME": 25,
    "OFFENSE_DESCR": 70,
    "DISP_DESCR": 40,
    "CONV_STAT_DESCR": 15,
    "SENT_LOC_DESCR": 20,
    "OFN": 20,
    "FE_NUM_CRT_CASE": 20,
    "GENDER": 8,
}
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
    from blueprint.synthetic.doj_file import generate

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


# --- the same check on an extract written by hand -------------------------------------------------
#
# The generator writes both the plain file above and most of the forms the reader knows, so the
# check above could pass only because one person wrote both. Here every row is written by hand,
# with forms the DOJ format allows (docs/reference/input.md): a count with two sentence parts, a
# charge read from the comment (description "SEE COMMENT FOR CHARGE"), a blank level decided by
# OFFENSE_TOC, a partial conviction date, a malformed CNT_ORDER, a second name, a PC 290
# registration, a deceased step, a dismissed count in the same case, a conviction after
# Proposition 64, and a conviction in another county.

from doj_builder import Person, write_doj  # noqa: E402

#: Fields padded with trailing spaces to a fixed width, as fixed-width extracts write them.
HAND_TRAILING = {
    "PRI_NAME": 30,
    "GENDER": 8,
    "RACE_DESCR": 25,
    "STP_TYPE_DESCR": 25,
    "STP_ORI_DESCR": 40,
    "STP_ORI_CNTY_NAME": 25,
    "OFFENSE_DESCR": 70,
    "OFFENSE_TOC": 3,
    "DISP_DESCR": 40,
    "CONV_STAT_DESCR": 15,
    "SENT_LOC_DESCR": 20,
    "SENT_TIME_CODE": 3,
    "OFN": 20,
    "FE_NUM_CRT_CASE": 20,
    "COMMENT_TEXT": 120,
}
#: Fields right-aligned with leading spaces (numbers and dates), or given a stray leading space.
HAND_LEADING = (
    "SUBJECT_ID",
    "CII_NUMBER",
    "CNT_ORDER",
    "SENT_LENGTH",
    "STP_EVENT_DATE",
    "CYC_DATE",
    "CYC_AGE",
    "COMMENT_TEXT",
)


def _hand_rows() -> list[list[str]]:
    a = Person("1001", name="GARCIA,MARIA", dob="19800315", gender="F", race="HISPANIC")
    b = Person("1002", name="NGUYEN,TAN", dob="19650704")
    c = Person("1003", name="JONES,ROBERT", dob="19701231", race="BLACK")
    d = Person("1004", name="SMITH,ANN", dob="19900101", gender="F")
    return [
        a.arrest("001001001000", "11357(C) HS-POSSESS MARIJUANA OVER 28.5 GRAMS", "20100105"),
        a.conviction(
            "001001001000",
            "11357(C) HS-POSSESS MARIJUANA OVER 28.5 GRAMS",
            "20100301",
            level="MISDEMEANOR",
            sentence=("JAIL", "30", "D"),
            CYC_DATE="20100105",
            CYC_AGE="29",
            comment="CONCURRENT",
        ),
        a.sentence_part(
            "001001001000",
            "11357(C) HS-POSSESS MARIJUANA OVER 28.5 GRAMS",
            "20100301",
            ("PROBATION", "36", "M"),
            level="MISDEMEANOR",
            CYC_DATE="20100105",
            CYC_AGE="29",
        ),
        a.court("001002001000", "148(A)(1) PC-OBSTRUCT/RESIST OFFICER", "20100301", "DISMISSED", CYC_DATE="20100105"),
        a.row(
            STP_TYPE_DESCR="ARREST/DETAINED/CITED",
            PRI_NAME="GARCIA-LOPEZ,MARIA",
            CNT_ORDER="002001001000",
            OFFENSE_DESCR="459 PC-BURGLARY",
            STP_EVENT_DATE="20120601",
            CYC_DATE="20120601",
        ),
        b.conviction(
            "003001001000",
            "SEE COMMENT FOR CHARGE",
            "20010917",
            sentence=("PRISON", "2", "Y"),
            comment="11360(A) HS SELL/TRANSPORT MARIJUANA",
            CYC_DATE="20010520",
            CYC_AGE="35",
        ),
        b.registration("20030101"),
        b.conviction(
            "004001001000",
            "11359 HS-POSSESS MARIJUANA FOR SALE",
            "20180402",
            sentence=("JAIL", "180", "D"),
            CYC_DATE="20180101",
            CYC_AGE="52",
        ),
        c.conviction(
            "005001001000",
            "11358 HS-CULTIVATE MARIJUANA",
            "20050000",
            level="",
            toc="F",
            sentence=("PROBATION", "3", "Y"),
            CYC_DATE="20041110",
            CYC_AGE="34",
        ),
        c.conviction(
            "12AB",
            "11357 HS-POSSESS MARIJUANA",
            "20060606",
            level="MISDEMEANOR",
            sentence=("FINE", "", ""),
            CYC_DATE="20060606",
        ),
        c.deceased("20190101"),
        d.conviction(
            "006001001000",
            "11360(A) HS-SELL/TRANSPORT/ETC MARIJUANA",
            "20140214",
            county="ALAMEDA",
            CYC_DATE="20140101",
            CYC_AGE="24",
        ),
        d.conviction(
            "007001001000",
            "11357(B) HS-POSSESS MARIJUANA 28.5 GRAMS OR LESS",
            "20150505",
            level="INFRACTION",
            sentence=None,
            CYC_DATE="20150505",
            CYC_AGE="25",
        ),
    ]


def _padded(rows: list[list[str]]) -> list[list[str]]:
    at = {name: DOJ_COLUMNS.index(name) for name in (*HAND_TRAILING, *HAND_LEADING)}
    out = []
    for fields in rows:
        fields = list(fields)
        for name, width in HAND_TRAILING.items():
            fields[at[name]] = fields[at[name]].ljust(width)
        for name in HAND_LEADING:
            if fields[at[name]].strip():
                fields[at[name]] = "   " + fields[at[name]]
        out.append(fields)
    return out


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_padded_extract_written_by_hand_gives_the_same_decisions_and_outputs(tmp_path, workers, monkeypatch):
    rows = _hand_rows()
    plain = write_doj(tmp_path / "plain.dat", rows)
    padded = write_doj(tmp_path / "padded.dat", _padded(rows))
    assert b"CONVICTED                               ," in padded.read_bytes()  # padding really is there
    monkeypatch.setenv("CLEARANCE_WORKERS", workers)
    first = run_local([plain], SETTINGS, tmp_path / "plain-out")
    second = run_local([padded], SETTINGS, tmp_path / "padded-out")
    for name in ("convictions.csv", "data_issues.csv", "offense_texts.csv"):
        expected = _text(first.out_dir / name, plain.name, padded.name)
        assert _text(second.out_dir / name, plain.name, padded.name) == expected, name
    decisions = pd.read_csv(first.out_dir / "convictions.csv", dtype=str, keep_default_na=False)
    # The outputs compared are not trivial: every hand-written conviction is there, decided.
    # (The ALAMEDA conviction is another county's; the malformed CNT_ORDER is a count of its own, L0.11.)
    assert dict(zip(decisions["conviction_id"], decisions["determination"])) == {
        "1001:001001001000": "Eligible for Dismissal",
        "1002:003001001000": "Eligible for Reduction",
        "1002:004001001000": "Out of scope",
        "1003:005001001000": "Hand Review",
        "1003:L0.11": "Hand Review",
        "1004:007001001000": "Eligible for Dismissal",
    }
    issues = pd.read_csv(first.out_dir / "data_issues.csv", dtype=str, keep_default_na=False)
    assert {"BAD_CNT_ORDER", "PARTIAL_DATE"} <= set(issues["code"])
    by_id = decisions.set_index("conviction_id")
    a = by_id.loc["1001:001001001000"]
    assert a["sentence"] == "30D JAIL; 36M PROBATION" and a["other_names"] == "GARCIA-LOPEZ,MARIA"
    b = by_id.loc["1002:003001001000"]
    assert by_id.loc["1003:005001001000", "level"] == "felony"  # blank level, OFFENSE_TOC F
    assert b["section"] == "11360" and b["pc290_registration"] == "true"
    parquet_a = pd.read_parquet(first.out_dir / "convictions.parquet")
    parquet_b = pd.read_parquet(second.out_dir / "convictions.parquet").replace(padded.name, plain.name)
    pd.testing.assert_frame_equal(parquet_a, parquet_b)
