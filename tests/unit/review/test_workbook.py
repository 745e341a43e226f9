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

from blueprint.engine.filing_rules import outcomes
from blueprint.engine.rulepack import load_rule_pack
from blueprint.run.local import RunSettings, run_local
from doj_builder import Person, write_doj

C = "001002001000"
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"

HEADERS = [
    "Conviction ID",
    "Person ID",
    "Name",
    "CII",
    "Date of birth",
    "Case numbers",
    "Court",
    "Count",
    "Conviction date",
    "Code section",
    "Level",
    "Sentence",
    "Sentence status",
    "Track",
    "Determination",
    "Relief",
    "Basis",
    "Reason",
    "Rule",
    "Facts",
    "Flags",
    "Prosecutor decision",
    "Relief if different",
    "Ground / notes",
    "Override out-of-scope",
]
DECISIONS = [
    "No challenge",
    "No challenge - different relief",
    "Challenge - does not meet HS 11361.8 criteria",
    "Challenge - unreasonable risk to public safety",
    "Out of scope - not filed",
    "Hand review pending",
]
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
    assert book.sheetnames == [
        "Convictions",
        "People",
        "Summary",
        "Data issues",
        "Policy",
        "Run",
        "Lists",
        "Offense texts",
    ]
    assert book["Lists"].sheet_state == "hidden"  # the decision dropdown's two lists


def test_offense_texts_sheet_is_the_runs_census(run):
    """Every distinct offense text of the input, its counts and its reading; the same as offense_texts.csv."""
    book, _, _, out = run
    rows = sheet_rows(book["Offense texts"])
    assert rows[0][:8] == [
        "Status",
        "Offense text",
        "Comment (when the charge is there)",
        "Rows",
        "Conviction rows",
        "Read from",
        "Read as",
        "Code",
    ]
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
        assert (row["Person ID"], row["Code section"], row["Determination"], row["Rule"], row["Reason"]) == (
            r["person_id"],
            r["code_section"],
            r["determination"],
            r["rule_id"],
            r["reason"],
        )
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
    # Person 2 was convicted (and arrested) in 2018: conduct after 9 November 2016 is out of scope
    # (HS 11361.8(a), (e)), neither relieved nor challenged (this expected a challenge before issue 11).
    expected = {
        f"1:{C}": "No challenge",
        f"2:{C}": "Out of scope - not filed",
        f"3:{C}": "Hand review pending",
        f"4:{C}": "No challenge",
        f"5:{C}": "No challenge",
    }
    assert {k: rows[k]["Prosecutor decision"] for k in expected} == expected
    prefill = {
        "eligible": "No challenge",
        "not_eligible": "Challenge - does not meet HS 11361.8 criteria",
        "out_of_scope": "Out of scope - not filed",
        "hand_review": "Hand review pending",
    }
    for (_, r), outcome in zip(csv.iterrows(), outcomes(csv)):  # the documented rule, on every row
        assert rows[r["conviction_id"]]["Prosecutor decision"] == prefill[outcome]
        for office in ("Relief if different", "Ground / notes", "Override out-of-scope"):
            assert rows[r["conviction_id"]][office] in (None, "")


def dropdowns(ws) -> dict[str, tuple[list[str] | str, str]]:
    """Each dropdown's values (or, for a list chosen per row, its formula) and its range."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        assert dv.type == "list"
        values = dv.formula1.strip('"').split(",") if dv.formula1.startswith('"') else dv.formula1
        for rng in str(dv.sqref).split():
            first = rng.split(":")[0]
            letter, _ = coordinate_from_string(first)
            out[HEADERS[column_index_from_string(letter) - 1]] = (values, rng)
    return out


def named_list(book, name: str) -> list[str]:
    sheet, cells = book.defined_names[name].attr_text.split("!")
    return [c.value for row in book[sheet][cells.replace("$", "")] for c in row]


def test_dropdowns(run):
    book, *_ = run
    ws = book["Convictions"]
    found = dropdowns(ws)
    n = len(by_conviction(ws))
    # The decision list follows the row's Track: the public-safety ground only against a person still serving
    # (HS 11361.8(b)); any other track gets the list without it (HS 11361.8(e)-(f)).
    track = get_column_letter(HEADERS.index("Track") + 1)
    assert found["Prosecutor decision"][0] == f'IF(${track}2="currently serving",DecisionsServing,DecisionsNotServing)'
    assert named_list(book, "DecisionsServing") == DECISIONS
    assert named_list(book, "DecisionsNotServing") == [d for d in DECISIONS if "public safety" not in d]
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
    assert rows[0][:2] == ["Item", "Value"]
    keys = rows[1 : rows.index(next(r for r in rows if not any(r)))]  # the keys, up to the first blank row
    values = {r[0]: r[1] for r in keys}
    assert list(values) == [
        "run_id",
        "inputs_sha256",
        "policy_name",
        "policy_sha256",
        "evaluation_date",
        "county",
        "software_version",
    ]
    assert values["run_id"] == manifest["run_id"] and values["inputs_sha256"] == manifest["inputs_sha256"]
    assert values["policy_name"] == "california" and values["policy_sha256"] == manifest["policy"]["sha256"]
    assert (values["evaluation_date"], values["county"]) == ("2020-07-01", "SACRAMENTO")
    assert values["software_version"] == manifest["software_version"]
    assert book["Run"].protection.sheet


def test_people_sheet(run):
    book, *_ = run
    rows = sheet_rows(book["People"])
    assert rows[0] == [
        "Person ID",
        "Name",
        "CII",
        "Other names",
        "Evaluated convictions",
        "With relief recommended",
        "Hand review",
        "Not eligible",
        "Out of scope",
    ]
    people = {r[0]: r for r in rows[1:]}
    assert sorted(people) == ["1", "2", "3", "4", "5"]
    # Person 2's conviction of 2018 is out of scope, not "not eligible".
    assert (
        people["1"][4:] == [1, 1, 0, 0, 0] and people["2"][4:] == [1, 0, 0, 0, 1] and people["3"][4:] == [1, 0, 1, 0, 0]
    )


ISSUE_HEADERS = [
    "Source file",
    "Source line",
    "Person ID",
    "Conviction ID",
    "Column",
    "Code",
    "Problem",
    "What the engine did",
    "Value",
]


def test_data_issues_sheet_matches_the_csv_without_personal_values(run):
    book, _, _, out = run
    rows = sheet_rows(book["Data issues"])
    assert rows[0] == ISSUE_HEADERS
    issues = pd.read_csv(out / "data_issues.csv", dtype=str, keep_default_na=False)
    body = [dict(zip(ISSUE_HEADERS, r)) for r in rows[1:] if r[0]]
    assert len(body) == len(issues) > 0
    assert [(r["Source file"], r["Source line"], r["Code"]) for r in body] == list(
        zip(issues["file"], issues["line"].astype(int), issues["code"])
    )
    assert ("doj.dat", 7, "FIELD_COUNT") in [(r["Source file"], r["Source line"], r["Code"]) for r in body]
    dob = [r for r in body if r["Column"] == "PRI_DOB"]
    assert dob and all(r["Value"] in (None, "") for r in dob)  # a date of birth is never copied


def test_data_issues_name_the_person_and_the_conviction_of_their_row(run):
    """Person 3's conviction row (line 4 of doj.dat: header, persons 1 and 2, then 3) has partial dates;
    the malformed row (line 7) belongs to no one."""
    book, csv, _, out = run
    body = [dict(zip(ISSUE_HEADERS, r)) for r in sheet_rows(book["Data issues"])[1:] if r[0]]
    on_line = {}
    for r in body:
        on_line.setdefault(r["Source line"], set()).add((r["Person ID"], r["Conviction ID"]))
    assert on_line[4] == {("3", f"3:{C}")}
    assert on_line[7] == {(None, None)}  # a skipped row: no person, no conviction
    conviction = csv.set_index("conviction_id").loc[f"3:{C}"]
    assert (conviction["source_file"], conviction["source_line"]) == ("doj.dat", "4")
    issues = pd.read_csv(out / "data_issues.csv", dtype=str, keep_default_na=False)
    assert list(issues.columns) == [
        "file",
        "line",
        "column",
        "code",
        "problem",
        "action",
        "value",
        "person_id",
        "conviction_id",
    ]
    assert set(issues.loc[issues["line"] == "4", "conviction_id"]) == {f"3:{C}"}


def test_policy_sheet_lists_the_rules_in_order(run):
    from blueprint.run.policies import load_policy

    book, *_ = run
    rows = sheet_rows(book["Policy"])
    assert "sha256" in rows[0][0]
    header = rows.index(next(r for r in rows if r[:2] == ["Order", "Rule"]))
    listed = [r[1] for r in rows[header + 1 :] if isinstance(r[0], (int, float))]
    assert listed == [r.id for r in load_policy("california").rules]


def summary_tables(ws) -> dict[str, list[list]]:
    """The Summary sheet as {table title: rows under it}, tables separated by blank rows."""
    tables, current = {}, None
    for row in sheet_rows(ws):
        cells = [v for v in row if v not in (None, "")]
        if not cells:
            current = None
        elif current is None:
            current = tables.setdefault(cells[0], [])
        else:
            while row and row[-1] in (None, ""):
                row = row[:-1]
            current.append(row)
    return tables


def test_summary_sheet_is_a_readable_table_of_the_summary(run):
    book, _, _, out = run
    summary = json.loads((out / "summary.json").read_text())
    ws = book["Summary"]
    text = [v for row in sheet_rows(ws) for v in row if isinstance(v, str)]
    assert not any(v.lstrip().startswith(("{", "[")) for v in text)  # no JSON in any cell
    assert not any(" / " in v and "_" in v for v in text)  # no flattened keys such as "by_relief / dismiss_and_seal"
    tables = summary_tables(ws)
    this_run = {r[0]: r[1] for r in tables["This run"]}
    assert this_run["County"] == "SACRAMENTO" and this_run["Evaluation date"] == "2020-07-01"
    assert this_run["Convictions evaluated"] == summary["convictions"]["evaluated"] == 5
    assert this_run["People evaluated"] == summary["people"]["evaluated"]
    relief = {r[0]: r[1] for r in tables["Convictions by recommended relief"][1:]}
    labels = summary["labels"]["relief"]
    assert relief == {labels[k]: v for k, v in summary["convictions"]["by_relief"].items()}  # words, not codes
    determination = {r[0]: r[1] for r in tables["Convictions by determination"][1:]}
    assert determination == summary["convictions"]["by_determination"]
    sections = tables["Convictions by code section and recommended relief"]
    assert sections[0][0] == "Code section" and sections[0][-1] == "Total"
    assert sum(r[len(sections[0]) - 1] for r in sections[1:]) == 5
    files = tables["Input files"]
    assert files[0][:3] == ["File", "Status", "Rows read"] and files[1][:2] == ["doj.dat", "ok"]
    assert isinstance(files[1][2], int)  # counts are numbers, not text


def test_convictions_sheet_protects_all_but_the_decision_columns(run):
    book, *_ = run
    ws = book["Convictions"]
    assert ws.protection.sheet and not ws.protection.password  # protected, no password by default
    assert ws.protection.autoFilter is False  # False means "filtering is allowed" in the file format
    office = {"Prosecutor decision", "Relief if different", "Ground / notes", "Override out-of-scope"}
    n = len(by_conviction(ws))
    for col, name in enumerate(HEADERS, start=1):
        for row in range(2, n + 2):
            locked = ws.cell(row, col).protection.locked
            assert locked is (name not in office), (name, row)
    assert ws.cell(1, HEADERS.index("Prosecutor decision") + 1).protection.locked  # the header stays fixed


def test_a_county_can_set_a_protection_password(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARANCE_WORKBOOK_PASSWORD", "county-secret")
    path = write_doj(tmp_path / "doj.dat", [Person("1").conviction(C, CAN, "20050301")])
    run_local([path], RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01"), tmp_path / "out")
    protection = openpyxl.load_workbook(tmp_path / "out" / "review.xlsx")["Convictions"].protection
    assert protection.sheet and protection.password  # stored as Excel's hash, never in clear
    import zipfile

    with zipfile.ZipFile(tmp_path / "out" / "review.xlsx") as archive:
        assert not any(b"county-secret" in archive.read(name) for name in archive.namelist())


def test_every_dropdown_has_a_prompt_and_an_error_message(run):
    book, *_ = run
    validations = book["Convictions"].data_validations.dataValidation
    assert len(validations) == 3
    for dv in validations:
        assert dv.showInputMessage and dv.promptTitle and len(dv.prompt) > 40
        assert dv.showErrorMessage and dv.errorStyle in (None, "stop") and dv.errorTitle and dv.error
    text = {
        HEADERS[column_index_from_string(coordinate_from_string(str(dv.sqref).split(":")[0])[0]) - 1]: dv
        for dv in validations
    }
    assert "No challenge - different relief" in text["Relief if different"].prompt
    assert "filing summary" in text["Override out-of-scope"].prompt
    # The decision's prompt and error are the rule pack's words (review_prompts in its pack.yaml).
    prompts = load_rule_pack("california/prop64").texts.review_prompts
    assert text["Prosecutor decision"].prompt == prompts.decision_prompt
    assert text["Prosecutor decision"].error == prompts.decision_error


def test_rows_pending_hand_review_are_highlighted(run):
    book, *_ = run
    ws = book["Convictions"]
    n = len(by_conviction(ws))
    decision = get_column_letter(HEADERS.index("Prosecutor decision") + 1)
    ((rng, rules),) = [(str(r.sqref), r.rules) for r in ws.conditional_formatting]
    assert rng == f"A2:{get_column_letter(len(HEADERS))}{n + 1}"
    (rule,) = rules
    assert rule.type == "expression" and rule.formula == [f'${decision}2="Hand review pending"']
    assert rule.dxf.fill.fgColor.rgb.endswith("F8CBAD") or rule.dxf.fill.bgColor.rgb.endswith("F8CBAD")


def test_decision_columns_are_wide_enough_for_their_values(run):
    book, *_ = run
    ws = book["Convictions"]
    width = {name: ws.column_dimensions[get_column_letter(i + 1)].width for i, name in enumerate(HEADERS)}
    assert width["Prosecutor decision"] >= max(map(len, DECISIONS))
    assert width["Relief if different"] >= max(map(len, RELIEFS))


def test_run_sheet_lists_every_input_file_with_its_status(tmp_path):
    good = write_doj(tmp_path / "doj.dat", [Person("1").conviction(C, CAN, "20050301")])
    (tmp_path / "notes.txt").write_text("not a DOJ file\n")
    (tmp_path / "copy.dat").write_bytes(good.read_bytes())
    out = tmp_path / "out"
    inputs = [good, tmp_path / "notes.txt", tmp_path / "copy.dat"]
    run_local(inputs, RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01"), out)
    rows = sheet_rows(openpyxl.load_workbook(out / "review.xlsx")["Run"])
    header = next(i for i, r in enumerate(rows) if r[0] == "Input file")
    assert rows[header][:6] == ["Input file", "Status", "Rows read", "Rows used", "Rows skipped", "Problem or note"]
    files = {r[0]: r for r in rows[header + 1 :] if r[0]}
    assert files["doj.dat"][1:5] == ["ok", 1, 1, 0]
    assert files["notes.txt"][1] == "failed" and files["notes.txt"][5].startswith("is not a DOJ research file")
    assert files["copy.dat"][1:6] == [
        "repeat",
        0,
        0,
        0,
        "repeats doj.dat (identical content, SHA-256); its rows were used once, from doj.dat",
    ]


def test_a_run_with_nothing_to_review_still_writes_a_valid_workbook(tmp_path):
    # The county is in the input (a non-cannabis conviction), but no conviction is evaluated.
    path = write_doj(tmp_path / "doj.dat", [Person("1").conviction(C, "459 PC-BURGLARY", "20050301")])
    run_local([path], RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01"), tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "review.xlsx")
    rows = sheet_rows(book["Convictions"])
    assert rows[0] == HEADERS and not any(any(v not in (None, "") for v in r) for r in rows[1:])
