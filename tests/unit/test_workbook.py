"""The review workbook read back with openpyxl: layout, dropdowns, pre-fill, real dates, Run sheet.

The expected layout is docs/reference/results.md ("The review workbook").
"""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from blueprint.pipeline import RunSettings, run_local
from doj_builder import Person, write_doj

C = "001002001000"
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"

HEADERS = ["Conviction ID", "Person ID", "Name", "CII", "Date of birth", "Case numbers", "Court", "Count",
           "Conviction date", "Code section", "Level", "Sentence", "Sentence status", "Determination", "Relief",
           "Basis", "Reason", "Rule", "Facts", "Flags", "Prosecutor decision", "Relief if different",
           "Ground / notes", "Override out-of-scope"]
DECISIONS = ["No challenge", "No challenge - different relief", "Challenge - does not meet HS 11361.8 criteria",
             "Challenge - unreasonable risk to public safety", "Hand review pending"]
RELIEFS = ["Dismiss and seal", "Redesignate as misdemeanor", "Redesignate as infraction", "Recall and resentence"]
TRICKY_NAME = 'MU\u00d1OZ & <SONS> "JR",JOS\u00c9'


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("workbook")
    rows = [
        Person("1", dob="19700615").conviction(C, CAN, "20050301", ofn="05F100"),  # reduced
        Person("2").conviction(C, CAN, "20180505"),  # after Proposition 64: not eligible
        Person("3", dob="19700000").conviction(C, CAN, "20050000"),  # hand review; no exact dates to show
        Person("4", name=TRICKY_NAME).conviction(C, "11357 HS-POSSESS", "20100101", level="MISDEMEANOR"),
        Person("5", name="CONTROL\x01CHAR,NAME").conviction(C, CAN, "20050301", level="MISDEMEANOR"),
        "too,short",
    ]
    path = write_doj(tmp / "doj.dat", rows, encoding="latin-1")
    out = tmp / "out"
    result = run_local([path], RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01"), out)
    book = openpyxl.load_workbook(out / "review.xlsx")
    csv = pd.read_csv(out / "convictions.csv", dtype=str, keep_default_na=False)
    return book, csv, result.manifest, out


def sheet_rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def by_conviction(ws) -> dict[str, dict]:
    rows = sheet_rows(ws)
    header = rows[0]
    return {r[0]: dict(zip(header, r)) for r in rows[1:] if r[0]}


def test_sheets(run):
    book, *_ = run
    assert book.sheetnames == ["Convictions", "People", "Summary", "Data issues", "Policy", "Run", "Offense texts"]


def test_offense_texts_sheet_is_the_runs_census(run):
    """Every distinct offense text of the input, its counts and its reading; the same as offense_texts.csv."""
    book, _, _, out = run
    rows = sheet_rows(book["Offense texts"])
    assert rows[0][:8] == ["Status", "Offense text", "Comment (when the charge is there)", "Rows", "Conviction rows",
                           "Read from", "Read as", "Code"]
    got = {r[1]: (r[0], r[3], r[4], r[8], r[14]) for r in rows[1:]}
    assert got == {CAN: ("read", 4, 4, "11359", "cannabis"), "11357 HS-POSSESS": ("read", 1, 1, "11357", "cannabis")}
    census = pd.read_csv(out / "offense_texts.csv", dtype=str, keep_default_na=False)
    assert census["offense_text"].tolist() == [r[1] for r in rows[1:]]
    assert census["rows"].tolist() == [str(r[3]) for r in rows[1:]]


def test_convictions_header_in_the_documented_order(run):
    book, *_ = run
    assert sheet_rows(book["Convictions"])[0] == HEADERS


def test_one_row_per_evaluated_conviction_matching_the_result_table(run):
    book, csv, manifest, _ = run
    rows = by_conviction(book["Convictions"])
    assert sorted(rows) == sorted(csv["conviction_id"]) == sorted(f"{p}:{C}" for p in "12345")
    assert manifest["counts"]["convictions_evaluated"] == len(rows)
    for _, r in csv.iterrows():
        row = rows[r["conviction_id"]]
        assert (row["Person ID"], row["Code section"], row["Determination"], row["Rule"], row["Reason"]) == \
            (r["person_id"], r["code_section"], r["determination"], r["rule_id"], r["reason"])
        assert (row["Relief"] or "") == r["relief_label"] and (row["Basis"] or "") == r["basis"]


def test_text_is_kept_exactly(run):
    book, *_ = run
    rows = by_conviction(book["Convictions"])
    assert rows[f"4:{C}"]["Name"] == TRICKY_NAME
    assert rows[f"1:{C}"]["Case numbers"] == "05F100"
    assert rows[f"1:{C}"]["CII"] == "T00000001"  # stays text, not a number
    assert rows[f"5:{C}"]["Name"].replace("\x01", "") == "CONTROLCHAR,NAME"


def test_dates_are_real_dates(run):
    book, *_ = run
    rows = by_conviction(book["Convictions"])
    assert rows[f"1:{C}"]["Conviction date"] == dt.datetime(2005, 3, 1)
    assert rows[f"1:{C}"]["Date of birth"] == dt.datetime(1970, 6, 15)
    # Partial dates stay empty rather than becoming a made-up day.
    assert rows[f"3:{C}"]["Conviction date"] is None and rows[f"3:{C}"]["Date of birth"] is None
    ws = book["Convictions"]
    col = HEADERS.index("Conviction date") + 1
    cell = next(c for c in ws.iter_cols(min_col=col, max_col=col, min_row=2) for c in c if c.value is not None)
    assert cell.is_date


def test_prosecutor_decision_is_prefilled_from_the_recommendation(run):
    book, csv, *_ = run
    rows = by_conviction(book["Convictions"])
    expected = {f"1:{C}": "No challenge", f"2:{C}": "Challenge - does not meet HS 11361.8 criteria",
                f"3:{C}": "Hand review pending", f"4:{C}": "No challenge", f"5:{C}": "No challenge"}
    assert {k: rows[k]["Prosecutor decision"] for k in expected} == expected
    for _, r in csv.iterrows():  # the documented rule, on every row
        want = ("No challenge" if r["relief"] else "Challenge - does not meet HS 11361.8 criteria"
                if r["determination"].startswith("Not eligible") else "Hand review pending")
        assert rows[r["conviction_id"]]["Prosecutor decision"] == want
        for office in ("Relief if different", "Ground / notes", "Override out-of-scope"):
            assert rows[r["conviction_id"]][office] in (None, "")


def dropdowns(ws) -> dict[str, tuple[list[str], str]]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        values = dv.formula1.strip('"').split(",")
        for rng in str(dv.sqref).split():
            first = rng.split(":")[0]
            letter, _ = coordinate_from_string(first)
            out[HEADERS[column_index_from_string(letter) - 1]] = (values, rng)
    return out


def test_dropdowns(run):
    book, *_ = run
    ws = book["Convictions"]
    found = dropdowns(ws)
    n = len(by_conviction(ws))
    assert found["Prosecutor decision"][0] == DECISIONS
    assert found["Relief if different"][0] == RELIEFS
    assert found["Override out-of-scope"][0] == ["Y"]
    for name in ("Prosecutor decision", "Relief if different", "Override out-of-scope"):
        letter = get_column_letter(HEADERS.index(name) + 1)
        assert found[name][1] == f"{letter}2:{letter}{n + 1}"  # every data row, not the header


def test_frozen_header(run):
    book, *_ = run
    for name in ("Convictions", "People", "Data issues"):
        frozen = book[name].freeze_panes
        assert frozen is not None and coordinate_from_string(frozen)[1] == 2, name
    assert book["Convictions"].auto_filter.ref.startswith("A1:")


def test_run_sheet_keys_match_the_manifest(run):
    book, _, manifest, _ = run
    rows = sheet_rows(book["Run"])
    assert rows[0] == ["Item", "Value"]
    values = dict(rows[1:])
    assert list(values) == ["run_id", "inputs_sha256", "policy_name", "policy_sha256", "evaluation_date", "county",
                            "software_version"]
    assert values["run_id"] == manifest["run_id"] and values["inputs_sha256"] == manifest["inputs_sha256"]
    assert values["policy_name"] == "california" and values["policy_sha256"] == manifest["policy"]["sha256"]
    assert (values["evaluation_date"], values["county"]) == ("2020-07-01", "SACRAMENTO")
    assert values["software_version"] == manifest["software_version"]
    assert book["Run"].protection.sheet


def test_people_sheet(run):
    book, *_ = run
    rows = sheet_rows(book["People"])
    assert rows[0] == ["Person ID", "Name", "CII", "Other names", "Evaluated convictions", "With relief recommended",
                       "Hand review", "Not eligible"]
    people = {r[0]: r for r in rows[1:]}
    assert sorted(people) == ["1", "2", "3", "4", "5"]
    assert people["1"][4:] == [1, 1, 0, 0] and people["2"][4:] == [1, 0, 0, 1] and people["3"][4:] == [1, 0, 1, 0]


def test_data_issues_sheet_matches_the_csv_without_personal_values(run):
    book, _, _, out = run
    rows = sheet_rows(book["Data issues"])
    assert rows[0] == ["File", "Line", "Column", "Code", "Problem", "What the engine did", "Value"]
    issues = pd.read_csv(out / "data_issues.csv", dtype=str, keep_default_na=False)
    body = [r for r in rows[1:] if r[0]]
    assert len(body) == len(issues) > 0
    assert [(r[0], r[1], r[3]) for r in body] == list(zip(issues["file"], issues["line"].astype(int), issues["code"]))
    assert ("doj.dat", 7, "FIELD_COUNT") in [(r[0], r[1], r[3]) for r in body]
    dob = [r for r in body if r[2] == "PRI_DOB"]
    assert dob and all(r[6] in (None, "") for r in dob)  # a date of birth is never copied


def test_policy_sheet_lists_the_rules_in_order(run):
    from blueprint.policy import load_policy

    book, *_ = run
    rows = sheet_rows(book["Policy"])
    assert "sha256" in rows[0][0]
    header = rows.index(next(r for r in rows if r[:2] == ["Order", "Rule"]))
    listed = [r[1] for r in rows[header + 1:] if isinstance(r[0], (int, float))]
    assert listed == [r.id for r in load_policy("california").rules]


def test_summary_sheet_is_the_summary(run):
    book, _, _, out = run
    rows = dict((r[0], r[1]) for r in sheet_rows(book["Summary"])[1:] if r[0])
    summary = json.loads((out / "summary.json").read_text())
    scalars = {k: v for k, v in summary.items() if isinstance(v, (int, float, str)) and not isinstance(v, bool)}
    assert scalars and all(rows[k] == v for k, v in scalars.items())


def test_a_run_with_nothing_to_review_still_writes_a_valid_workbook(tmp_path):
    path = write_doj(tmp_path / "doj.dat", [Person("1").conviction(C, CAN, "20050301", county="FRESNO")])
    run_local([path], RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01"), tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "review.xlsx")
    rows = sheet_rows(book["Convictions"])
    assert rows[0] == HEADERS and not any(any(v not in (None, "") for v in r) for r in rows[1:])
