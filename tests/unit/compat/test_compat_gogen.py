"""The earlier tool's result files: raw rows kept byte for byte, eligibility columns in its formats.

Two small hand-made inputs: file A has CRLF endings, a header with a trailing empty field, a quoted
name with a comma, padded values, ``NULL``, a malformed row and a blank line; file B has LF endings
and no header. Every expected value below was worked out by hand from those rows.
"""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest

from blueprint.intake.columns import CONDENSED_COLUMNS, DOJ_COLUMNS
from blueprint.compat.gogen.files import (
    ELIGIBILITY_COLUMNS,
    CompatError,
    eligibility_values,
    raw_records,
    write_gogen_files,
)
from blueprint.engine.decide import evaluate_rows
from blueprint.compat.gogen.settings import policy_from_settings
from blueprint.run.policies import load_policy
from blueprint.intake.reader import read_doj_files
from blueprint.engine.rulepack import load_rule_pack

AS_OF = "2020-07-01"
COUNTY = "SACRAMENTO"
SETTINGS = {
    "baselineEligibility": {"dismiss": ["11357", "11358"], "reduce": ["11359", "11360"]},
    "additionalRelief": {"subjectAgeThreshold": 50, "dismissOlderThanAgeThreshold": True},
}
COL = {c: i for i, c in enumerate(DOJ_COLUMNS)}


def _row(**values: str) -> list[str]:
    fields = [""] * len(DOJ_COLUMNS)
    fields[COL["REQ_SEG_SEP"]] = "#"
    for key, value in values.items():
        fields[COL[key]] = value
    return fields


def _court(person: dict, cnt: str, offense: str, date: str, level: str, county: str = COUNTY, **extra) -> list[str]:
    return _row(
        **person,
        STP_TYPE_DESCR="COURT ACTION",
        CNT_ORDER=cnt,
        OFFENSE_DESCR=offense,
        STP_EVENT_DATE=date,
        STP_ORI_CNTY_NAME=county,
        STP_ORI_DESCR=f"CASC {county.strip()}",
        DISP_DESCR="CONVICTED",
        CONV_STAT_DESCR=level,
        **extra,
    )


def _csv_line(fields: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(fields)
    return buf.getvalue()


P1 = dict(SUBJECT_ID="1", CII_NUMBER=" 11111111 ", PRI_NAME="DOE,JANE Q", GENDER="FEMALE", PRI_DOB="19750215")
P2 = dict(SUBJECT_ID="2", CII_NUMBER="22222222", PRI_NAME="ROE,RICHARD", GENDER="MALE", PRI_DOB="19900505")
P3 = dict(SUBJECT_ID="3", CII_NUMBER="33333333", PRI_NAME="POE,ED", GENDER="MALE", PRI_DOB="19600101")
P4 = dict(SUBJECT_ID="4", CII_NUMBER="44444444", PRI_NAME="LOE,AL", GENDER="MALE", PRI_DOB="19800101")
P5 = dict(SUBJECT_ID="5", CII_NUMBER="55555555", PRI_NAME="MOE,SAM", GENDER="MALE", PRI_DOB="19850101")

# file A (CRLF, header with a trailing empty field); the comment gives each row's physical line
FILE_A_ROWS = [
    _row(
        **P1,
        STP_TYPE_DESCR="ARREST/DETAINED/CITED",
        CNT_ORDER="001001001000",
        OFFENSE_DESCR="11357 HS-POSSESS",
        STP_EVENT_DATE="20100101",
        STP_ORI_CNTY_NAME=COUNTY,
    ),  # 2
    _court(
        P1,
        "001002001000",
        "11357(B) HS-POSS MARIJ",
        "20100301",
        "MISDEMEANOR",
        county="SACRAMENTO  ",
        OFN="  10M001  ",
        OFFENSE_TOC="M",
    ),  # 3: evaluated
    _court(
        P1,
        "002002001000",
        "11359 HS-POSSESS FOR SALE",
        "20120601",
        "FELONY",
        OFN="NULL",
        FE_NUM_CRT_CASE="12F002",
        SENT_LOC_DESCR="PROBATION",
        SENT_LENGTH="3",
        SENT_TIME_CODE="Y",
    ),  # 4: evaluated
    _court(
        P1,
        "002002001000",
        "11359 HS-POSSESS FOR SALE",
        "20120601",
        "FELONY",
        OFN="NULL",
        FE_NUM_CRT_CASE="12F002",
        SENT_LOC_DESCR="JAIL",
        SENT_LENGTH="90",
        SENT_TIME_CODE="D",
    ),  # 5: sentence part
    _court(P2, "001002001000", "11358 HS-CULTIVATE", "20150707", "FELONY", OFN="15F003"),  # 6: evaluated
    _row(
        **P2,
        STP_TYPE_DESCR="REGISTRATION",
        CNT_ORDER="002001001000",
        OFFENSE_DESCR="290 PC-REGISTRATION",
        STP_EVENT_DATE="20160101",
    ),  # 7
    _row(**P2, STP_TYPE_DESCR="DECEASED", CNT_ORDER="003001001000", STP_EVENT_DATE="20190101"),  # 8
]
MALFORMED = "9,ROW,WITH,TOO,FEW,FIELDS"  # line 9
# file B (LF, no header)
FILE_B_ROWS = [
    _court(
        P3,
        "001002001000",
        "11360 HS-TRANSPORT",
        "20180101",
        "FELONY",
        OFN="18F004",
        COMMENT_TEXT="ALSO 11359 HS AND 11357(A) HS",
    ),  # 1: evaluated
    _court(P3, "002002001000", "187 PC-MURDER", "20190101", "FELONY", OFN="19F005"),  # 2
    _court(P4, "001002001000", "11357 HS-POSSESS", "20140101", "MISDEMEANOR", county="LOS ANGELES", OFN="14M006"),  # 3
    _court(P5, "001002001000", "11357 HS-POSSESS", "20080101", "MISDEMEANOR", OFN="08M007"),  # 4: evaluated
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("compat_in")
    a, b = folder / "a.dat", folder / "b.csv"
    lines_a = [",".join(DOJ_COLUMNS) + ","] + [_csv_line(r) for r in FILE_A_ROWS] + [MALFORMED, ""]
    a.write_bytes(("\r\n".join(lines_a) + "\r\n").encode("ascii"))
    b.write_bytes(("\n".join(_csv_line(r) for r in FILE_B_ROWS) + "\n").encode("ascii"))
    return a, b


def _run(paths, policy, out: Path, **kwargs):
    read = read_doj_files(paths)
    evaluation = evaluate_rows(
        read.rows, [f.file for f in read.files], read.issues, load_rule_pack(), policy, COUNTY, AS_OF
    )
    written = write_gogen_files(read, evaluation, out, policy=policy, processing_seconds=1.25, **kwargs)
    return read, evaluation, written


@pytest.fixture(scope="module")
def results(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("compat_out")
    read, evaluation, written = _run(list(inputs), policy_from_settings(SETTINGS), out)
    return read, evaluation, written


def _rows(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _input_lines(path: Path, header: bool) -> list[bytes]:
    lines = path.read_bytes().replace(b"\r\n", b"\n").split(b"\n")[:-1]
    return lines[1:] if header else lines


def test_all_results_keeps_every_input_line_byte_for_byte(inputs, results):
    _, _, written = results
    out_lines = written["All_Results.csv"].read_bytes().split(b"\n")
    assert out_lines[-1] == b""  # one LF terminator per row, none missing
    out_lines = out_lines[:-1]
    header, body = out_lines[0], out_lines[1:]
    assert header.decode().split(",") == list(DOJ_COLUMNS) + list(ELIGIBILITY_COLUMNS)
    expected = _input_lines(inputs[0], header=True) + _input_lines(inputs[1], header=False)
    assert len(body) == len(expected) == 13
    for raw, row in zip(expected, body):
        assert row.startswith(raw + b","), raw[:40]
        assert len(next(csv.reader([row[len(raw) + 1 :].decode()]))) == len(ELIGIBILITY_COLUMNS)
    assert b'"DOE,JANE Q"' in body[1] and b",  10M001  ," in body[1] and b",NULL," in body[2]


def test_eligibility_columns_have_the_documented_values(results):
    _, _, written = results
    rows = _rows(written["All_Results.csv"])[1:]
    elig = {i: dict(zip(ELIGIBILITY_COLUMNS, r[-len(ELIGIBILITY_COLUMNS) :])) for i, r in enumerate(rows)}
    assert elig[1] == {
        "Case Number": "10M001",
        "# of convictions on record": "2",
        "Possible Other P64 Charges": "",
        "Occurred after 11/9/2016": "N",
        "Superstrike Code Section(s)": "-",
        "PC290 Code Section(s)": "-",
        "PC290 Registration": "-",
        "Date of Conviction": "03/01/2010",
        "Years Since This Conviction": "10.3",
        "Years Since Any Conviction": "8.1",
        "# of Prop 64 convictions": "2",
        "# of HS 11357 convictions": "1",
        "# of HS 11358 convictions": "0",
        "# of HS 11359 convictions": "1",
        "# of HS 11360 convictions": "0",
        "Deceased": "-",
        "Eligibility Determination": "Eligible for Dismissal",
        "Eligibility Reason": "Misdemeanor or Infraction",
    }
    assert elig[2]["Case Number"] == "12F002"  # NULL is not a case number
    assert (elig[2]["Eligibility Determination"], elig[2]["Eligibility Reason"]) == (
        "Eligible for Reduction",
        "Reduce all HS 11359 convictions",
    )
    assert elig[2]["Years Since This Conviction"] == "8.1"
    assert set(elig[3].values()) == {""}  # second sentence row of the same count
    assert elig[4]["PC290 Registration"] == "Yes" and elig[4]["Deceased"] == "Deceased"
    assert elig[4]["Years Since This Conviction"] == "5.0" and elig[4]["Date of Conviction"] == "07/07/2015"
    assert elig[4]["Eligibility Reason"] == "Dismiss all HS 11358 convictions"
    p3 = elig[9]
    assert (p3["Occurred after 11/9/2016"], p3["Superstrike Code Section(s)"], p3["# of convictions on record"]) == (
        "Y",
        "187 PC",
        "2",
    )
    assert (p3["Years Since This Conviction"], p3["Years Since Any Conviction"]) == ("2.5", "1.5")
    assert p3["Possible Other P64 Charges"] == "11357;11359"
    assert (p3["Eligibility Determination"], p3["Eligibility Reason"]) == (
        "Eligible for Dismissal",
        "50 years or older",
    )
    for i in (0, 5, 6, 10, 11):  # arrest, registration, deceased step, murder, out-of-county conviction
        assert set(elig[i].values()) == {""}, i


def test_skipped_rows_are_written_as_read_with_empty_eligibility(results):
    _, _, written = results
    body = written["All_Results.csv"].read_bytes().split(b"\n")[1:-1]
    empty = b"," * len(ELIGIBILITY_COLUMNS)
    assert body[7] == MALFORMED.encode() + empty
    assert body[8] == empty  # the blank line is a blank first field, then the eligibility columns
    condensed = _rows(written["All_Results_Condensed.csv"])
    assert condensed[8] == [""] * (len(CONDENSED_COLUMNS) + len(ELIGIBILITY_COLUMNS))


def test_condensed_has_every_row_with_values_as_read(results):
    _, _, written = results
    rows = _rows(written["All_Results_Condensed.csv"])
    assert rows[0] == list(CONDENSED_COLUMNS) + list(ELIGIBILITY_COLUMNS)
    assert len(rows) == 1 + 13
    assert all(len(r) == len(CONDENSED_COLUMNS) + len(ELIGIBILITY_COLUMNS) for r in rows)
    first = dict(zip(CONDENSED_COLUMNS, rows[2]))
    assert first["CII_NUMBER"] == " 11111111 " and first["PRI_NAME"] == "DOE,JANE Q"
    assert first["OFN"] == "  10M001  " and first["STP_ORI_CNTY_NAME"] == "SACRAMENTO  "
    assert rows[2][-1] == "Misdemeanor or Infraction"
    assert dict(zip(CONDENSED_COLUMNS, rows[3]))["OFN"] == "NULL"


def test_prop64_results_has_exactly_the_evaluated_convictions(inputs, results):
    _, evaluation, written = results
    rows = _rows(written["Prop64_Results.csv"])
    assert rows[0] == list(DOJ_COLUMNS) + list(ELIGIBILITY_COLUMNS)
    body = rows[1:]
    assert len(body) == len(evaluation.decisions) == 5
    expected = [FILE_A_ROWS[1], FILE_A_ROWS[2], FILE_A_ROWS[4], FILE_B_ROWS[0], FILE_B_ROWS[3]]
    assert [r[:95] for r in body] == expected
    assert all(r[-2].startswith("Eligible for") for r in body)
    all_rows = written["All_Results.csv"].read_bytes().split(b"\n")
    prop = written["Prop64_Results.csv"].read_bytes().split(b"\n")
    assert all(line in all_rows for line in prop[1:-1])


def test_summary_uses_the_earlier_key_names_and_hand_counted_figures(results):
    # People: 1 (11357 misdemeanor dismissed, 11359 felony reduced), 2 (11358 felony dismissed, 2015),
    # 3 (11360 dismissed at 60, but a 2019 murder), 4 (only a Los Angeles conviction), 5 (2008
    # misdemeanor dismissed: never had a felony, nothing recent, so only "no conviction" counts them).
    _, _, written = results
    s = json.loads(written["summary.json"].read_text())
    assert s["county"] == COUNTY and s["lineCount"] == 13 and s["processingTimeInSeconds"] == 1.25
    assert s["earliestConviction"] == "2008-01-01T00:00:00Z"
    assert s["reliefWithCurrentEligibilityChoices"] == {
        "CountSubjectsNoFelony": 2,
        "CountSubjectsNoConvictionLast7Years": 1,
        "CountSubjectsNoConviction": 2,
    }
    assert s["reliefWithDismissAllProp64"] == {
        "CountSubjectsNoFelony": 2,
        "CountSubjectsNoConvictionLast7Years": 1,
        "CountSubjectsNoConviction": 3,
    }
    assert s["prop64ConvictionsCountInCountyByCodeSection"] == {"11357": 2, "11358": 1, "11359": 1, "11360": 1}
    assert s["subjectsWithProp64ConvictionCountInCounty"] == 4
    assert (s["prop64FelonyConvictionsCountInCounty"], s["prop64NonFelonyConvictionsCountInCounty"]) == (3, 2)
    assert s["subjectsWithSomeReliefCount"] == 4
    assert s["convictionDismissalCountByCodeSection"] == {"11357": 0, "11358": 1}
    assert s["convictionReductionCountByCodeSection"] == {"11359": 1, "11360": 0}
    assert s["convictionDismissalCountByAdditionalRelief"] == {"50 years or older": 1}
    assert s["errors"] == {}


def test_failed_files_are_reported_by_kind_without_rows(inputs, tmp_path):
    empty = tmp_path / "empty.dat"
    empty.write_bytes(b"")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b,c\n1,2,3\n")
    _, _, written = _run([inputs[1], empty, wrong], policy_from_settings(SETTINGS), tmp_path / "out")
    s = json.loads(written["summary.json"].read_text())
    assert set(s["errors"]) == {"empty.dat", "wrong.csv"}
    assert s["errors"]["wrong.csv"]["errorType"] == "PARSING"
    assert s["errors"]["empty.dat"]["errorType"] == "OTHER"
    assert s["lineCount"] == 4
    assert len(_rows(written["All_Results.csv"])) == 1 + 4


def test_rows_with_a_trailing_empty_field_line_up(tmp_path):
    path = tmp_path / "trailing.dat"
    rows = [
        _court(P3, "001002001000", "11360 HS-TRANSPORT", "20100101", "FELONY", OFN="10F1"),
        _court(P3, "002002001000", "11359 HS-SALE", "20110101", "FELONY", OFN="11F2"),
    ]
    path.write_bytes("".join(_csv_line(r) + ",\r\n" for r in rows).encode())
    _, evaluation, written = _run([path], policy_from_settings(SETTINGS), tmp_path / "out")
    body = written["All_Results.csv"].read_bytes().split(b"\n")[1:-1]
    assert [line[: len(_csv_line(r)) + 1] for line, r in zip(body, rows)] == [
        (_csv_line(r) + ",").encode() for r in rows
    ]
    parsed = _rows(written["All_Results.csv"])[1:]
    assert [r[:95] for r in parsed] == rows
    assert [r[-1] for r in parsed] == ["50 years or older"] * 2


def test_raw_records_joins_a_quoted_value_spanning_lines(tmp_path):
    path = tmp_path / "multi.csv"
    path.write_bytes(b'a,"two\r\nlines",c\r\nd,e,f\r\n')
    records = list(raw_records(path, "utf-8", has_header=False))
    assert [(r.line, r.text, r.fields) for r in records] == [
        (1, 'a,"two\r\nlines",c', ["a", "two\r\nlines", "c"]),
        (3, "d,e,f", ["d", "e", "f"]),
    ]


def test_an_input_changed_after_reading_is_refused(inputs, tmp_path):
    a = tmp_path / "a.dat"
    a.write_bytes(inputs[0].read_bytes())
    read = read_doj_files([a])
    policy = load_policy("california")
    evaluation = evaluate_rows(read.rows, [a.name], read.issues, load_rule_pack(), policy, COUNTY, AS_OF)
    a.write_bytes(a.read_bytes() + (_csv_line(FILE_A_ROWS[0]) + "\r\n").encode())
    with pytest.raises(CompatError) as err:
        write_gogen_files(read, evaluation, tmp_path / "out", policy=policy, processing_seconds=0.0)
    assert "DOE" not in str(err.value)
    assert not (tmp_path / "out" / "All_Results.csv").exists()


def _peak_while_writing(path: Path, out: Path, rows: int):
    from blueprint.synthetic.doj_file import generate

    stats = generate(path, rows=rows, county=COUNTY, seed=7, malformed_rate=0.002)
    policy = load_policy("california")
    read = read_doj_files([path])
    evaluation = evaluate_rows(read.rows, [path.name], read.issues, load_rule_pack(), policy, COUNTY, AS_OF)
    tracemalloc.start()
    written = write_gogen_files(read, evaluation, out, policy=policy, processing_seconds=0.0)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return stats, read, evaluation, written, peak


def test_synthetic_file_streams_and_reconciles(tmp_path):
    small = _peak_while_writing(tmp_path / "small.dat", tmp_path / "small", 3000)
    stats, read, evaluation, written, peak = _peak_while_writing(tmp_path / "big.dat", tmp_path / "big", 9000)
    growth = (tmp_path / "big.dat").stat().st_size - (tmp_path / "small.dat").stat().st_size
    assert peak - small[-1] < growth / 10  # memory does not grow with the file: rows are streamed
    all_lines = written["All_Results.csv"].read_bytes().count(b"\n")
    assert all_lines - 1 == read.files[0].rows_read == stats.rows
    assert read.files[0].rows_skipped > 0  # the malformed rows are in the results too
    prop = _rows(written["Prop64_Results.csv"])[1:]
    assert len(prop) == len(evaluation.decisions) > 0
    assert sorted(r[COL["SUBJECT_ID"]].strip() for r in prop) == sorted(evaluation.decisions["person_id"])


def test_unknown_dates_leave_date_fields_empty_instead_of_guessing(results):
    _, evaluation, _ = results
    d = evaluation.decisions.iloc[[0, 0, 0]].reset_index(drop=True)
    d["conviction_date"] = pd.to_datetime([None, None, "2020-07-10"])
    d["conv_lo"] = pd.to_datetime(["2016-01-01", "2010-01-01", "2020-07-10"])  # partial years 2016 and 2010
    d["conv_hi"] = pd.to_datetime(["2016-12-31", "2010-12-31", "2020-07-10"])
    d["person_last_conv_hi"] = pd.to_datetime([None, "2012-06-01", "2012-06-01"])
    values = [dict(zip(ELIGIBILITY_COLUMNS, v)) for v in eligibility_values(d, AS_OF)]
    assert [v["Occurred after 11/9/2016"] for v in values] == ["", "N", "Y"]
    assert [v["Date of Conviction"] for v in values] == ["", "", "07/10/2020"]
    assert [v["Years Since This Conviction"] for v in values] == ["", "", "0.0"]  # 9 days after: never "-0.0"
    assert [v["Years Since Any Conviction"] for v in values] == ["", "8.1", "8.1"]
