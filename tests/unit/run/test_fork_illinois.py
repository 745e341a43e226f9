"""The Illinois CRTA rule pack run end to end through the same engine, workbook and filings as California.

The example extract (blueprint/rules/illinois/crta/example/circuit-clerk-extract.csv) is synthetic: one
constructed person per situation the policy must tell apart. Each test names the person it is about.
"""

from __future__ import annotations

import csv

import datetime as dt
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from blueprint.cli.main import main as clearance
from blueprint.filings import finalize
from blueprint.intake.mapped_reader import MappingError, load_mapping, read_inputs, read_mapped_files
from blueprint.engine.offenses import parse_code_sections
from blueprint.run.local import RunSettings, run_local
from blueprint.engine.policy import PolicyError
from blueprint.run.policies import load_policy
from blueprint.engine.rulepack import load_rule_pack

PACK = load_rule_pack("illinois/crta")
EXAMPLE = PACK.folder / "example" / "circuit-clerk-extract.csv"
PROFILE = PACK.folder / "example" / "office-profile.yaml"
TEMPLATES = PACK.folder / "templates"
AS_OF = dt.date(2026, 1, 15)

#: person -> (determination, relief, reason code) the default policy must give their cannabis conviction.
EXPECTED = {
    "IL-0001": ("Eligible for Expungement", "vacate_and_expunge", "MINOR_CANNABIS_OFFENSE"),  # 4(b) misdemeanor
    "IL-0002": ("Eligible for Expungement", "vacate_and_expunge", "MINOR_CANNABIS_OFFENSE"),  # 5(c) Class 4 felony
    "IL-0003": ("Not eligible", "", "OVER_30_GRAMS"),  # 4(d): 30-500 g
    "IL-0004": ("Not eligible", "", "ASSOCIATED_VIOLENT_CRIME"),  # domestic battery charged, nolle prossed
    "IL-0005": ("Not eligible", "", "AFTER_EFFECTIVE_DATE"),  # convicted 2021
    "IL-0006": ("Hand Review", "", "BRACKET_UNKNOWN"),  # "550/4" without the weight bracket
    "IL-0007": ("Not eligible", "", "SECTION_7_ENHANCEMENT"),  # Section 7 charged in the same case
    "IL-0008": ("Hand Review", "", "DATA_PROBLEM"),  # disposition date 13/45/2013
    "IL-0009": (
        "Eligible for Expungement",
        "vacate_and_expunge",
        "MINOR_CANNABIS_OFFENSE",
    ),  # violent crime in ANOTHER case
    "IL-0011": ("Hand Review", "", "UNDECIDABLE"),  # an unreadable (ordinance) charge in the same case
    "IL-0012": ("Eligible for Expungement", "vacate_and_expunge", "MINOR_CANNABIS_OFFENSE"),
}
ELIGIBLE = sorted(p for p, (_, relief, _) in EXPECTED.items() if relief)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("illinois") / "run"
    result = run_local(
        [EXAMPLE], RunSettings(county="EXAMPLE", policy="illinois/crta:default", evaluation_date=AS_OF), out
    )
    assert not result.failed
    return out


@pytest.fixture(scope="module")
def decisions(run_dir) -> pd.DataFrame:
    return pd.read_parquet(run_dir / "convictions.parquet")


# --- the pack and its policy ------------------------------------------------------------------------


def test_pack_declares_its_reliefs_context_lists_and_reader():
    assert PACK.input_format == "mapped-csv" and PACK.input_mapping.is_file()
    assert PACK.reliefs == {
        "vacate_and_expunge": {
            "label": "Vacate and expunge",
            "effect_on_record": "removed",
            "order_effect": "Vacated and expunged",
            "level_after": "expunged",
        }
    }
    assert PACK.case_context_lists == ("violent", "enhancement")
    policy = load_policy("illinois/crta:default")
    assert policy.rule_pack == "illinois/crta"
    assert policy.relief_labels == {"vacate_and_expunge": "Vacate and expunge"}
    # California is untouched: its policies keep California's relief kinds.
    assert "dismiss_and_seal" in load_policy("california").relief_labels


def test_a_policy_may_only_name_its_own_packs_reliefs(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nrule_pack: illinois/crta\nrules:\n"
        "  - id: all\n    when: {always: true}\n    determination: Eligible\n    relief: dismiss_and_seal\n"
        "    reason_code: ALL\n    reason: everything\n"
    )
    with pytest.raises(PolicyError, match="unknown relief 'dismiss_and_seal'; allowed: vacate_and_expunge"):
        load_policy(bad)


def test_a_case_context_list_the_pack_does_not_declare_is_an_error(tmp_path, run_dir):
    policy = tmp_path / "ctx.yaml"
    policy.write_text(
        "name: ctx\nrule_pack: illinois/crta\nrules:\n"
        "  - id: x\n    when: {case_has_charge_on: minor_cannabis}\n    determination: Not eligible\n"
        "    outcome: not_eligible\n    reason_code: X\n    reason: x\n"
    )
    with pytest.raises(ValueError, match="needs 'minor_cannabis' in the rule pack's case_context_lists"):
        run_local([EXAMPLE], RunSettings(county="EXAMPLE", policy=str(policy), evaluation_date=AS_OF), tmp_path / "r")


def test_illinois_citations_are_read_whole_with_the_illinois_reading_rules():
    # Each pack reads sections with its own sections.yaml: Illinois' article-section numbers (12-3.05)
    # are one section, and its codes are the input mapping's short names.
    parsed = parse_code_sections(
        pd.Series(["12-3.05(A)(1) CRIM-AGG BATTERY", "11-501(A)(2) IVC-DUI", "4(C) CCA-POSS", "5 CCA/4(A) CCA-X"]),
        pd.Series([""] * 4),
        PACK.reading,
    )
    assert parsed["number"].tolist() == ["12-3.05", "11-501", "4", "5"]
    assert parsed["subsection"].tolist() == ["(A)(1)", "(A)(2)", "(C)", ""]
    assert parsed["code"].tolist() == ["CRIM", "IVC", "CCA", "CCA"]
    assert parsed["second_number"].tolist() == ["", "", "", "4"]
    assert not parsed["attempt"].any()
    violent = PACK.lists["violent"]
    assert violent.matches(parsed).tolist() == [True, False, False, False]


def test_california_reading_keeps_attempts_and_does_not_know_illinois_codes():
    parsed = parse_code_sections(pd.Series(["664-11357(C) HS-X", "32 PC-ACC", "4(C) CCA-POSS"]), pd.Series([""] * 3))
    assert parsed["number"].tolist() == ["11357", "32", "4"]
    assert parsed["subsection"].tolist() == ["(C)", "", "(C)"]
    assert parsed["attempt"].tolist() == [True, False, False]
    assert parsed["code"].tolist() == ["HS", "PC", ""]


# --- the mapped reader --------------------------------------------------------------------------------


def test_mapped_reader_accounts_for_every_row_and_names_source_columns():
    read = read_inputs(PACK, [EXAMPLE])
    (report,) = read.files
    assert (report.rows_read, report.rows_used, report.rows_skipped) == (21, 17, 4)
    assert report.balanced and report.status == "ok" and len(report.sha256) == 64
    issues = read.issues.frame()
    found = set(zip(issues["line"], issues["column"], issues["code"]))
    assert found == {
        (17, "statute", "UNMAPPED_VALUE"),  # the ordinance citation no rewrite rule covers
        (19, "(row)", "BLANK_LINE"),
        (20, "(row)", "BLANK_LINE"),
        (21, "defendant_id", "MISSING_PERSON"),
        (22, "(row)", "FIELD_COUNT"),
    }
    # No personal data in the issues: the skipped row's name is not quoted anywhere.
    assert not issues.astype(str).apply(lambda c: c.str.contains("NOBODY")).any().any()
    rows = read.rows.to_pandas()
    first = rows[rows["_line"] == 2].iloc[0]
    assert first["OFFENSE_DESCR"] == "4(B) CCA-POSSESSION OF CANNABIS 2.5-10 GRAMS"
    assert (first["PRI_DOB"], first["STP_EVENT_DATE"], first["OFFENSE_TOC"], first["DISP_DESCR"]) == (
        "19850412",
        "20150310",
        "M",
        "CONVICTED",
    )
    # Cases get DOJ-style count orders: person IL-0009's two cases are distinct, counts within a case follow.
    nine = rows[rows["SUBJECT_ID"] == "IL-0009"]["CNT_ORDER"].tolist()
    assert nine == ["000001001000", "000002001000"]
    four = rows[rows["SUBJECT_ID"] == "IL-0004"]["CNT_ORDER"].tolist()
    assert four == ["000001001000", "000001002000"]


def test_a_file_without_a_mapped_column_fails_alone(tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("defendant_id,case_number\nX,1\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    read = read_mapped_files([broken, EXAMPLE, empty], PACK.input_mapping)
    status = {f.file: (f.status, f.error) for f in read.files}
    assert status["broken.csv"][0] == "failed" and "lacks the column 'charge_seq'" in status["broken.csv"][1]
    assert status["empty.csv"] == ("failed", "is empty: it has no data rows")
    assert status["circuit-clerk-extract.csv"] == ("ok", "")
    assert set(read.rows.to_pandas()["_file"]) == {1}


def test_a_mapped_file_repeating_an_earlier_one_is_a_repeat(tmp_path):

    again = tmp_path / "again.csv"
    shutil.copy(EXAMPLE, again)
    read = read_mapped_files([EXAMPLE, again], PACK.input_mapping)
    once = read_mapped_files([EXAMPLE], PACK.input_mapping)
    assert [f.status for f in read.files] == ["ok", "repeat"]
    assert read.files[1].note.startswith("repeats circuit-clerk-extract.csv (identical content")
    assert read.rows.equals(once.rows)
    assert read.issues.frame().equals(once.issues.frame())


def test_a_person_keeps_case_numbers_across_files(tmp_path):
    lines = EXAMPLE.read_text().splitlines()
    header, nine = lines[0], [line for line in lines if line.startswith("IL-0009")]
    (tmp_path / "a.csv").write_text(header + "\n" + nine[0] + "\n")
    # A second count of the first file's case, in the second file (the same row again would be a
    # repeated row, used once: see the next test).
    second_count = nine[0].replace(",2010-CM-000909,1,", ",2010-CM-000909,2,")
    (tmp_path / "b.csv").write_text(header + "\n" + nine[1] + "\n" + second_count + "\n")
    rows = read_mapped_files([tmp_path / "a.csv", tmp_path / "b.csv"], PACK.input_mapping).rows.to_pandas()
    assert rows["CNT_ORDER"].tolist() == ["000001001000", "000002001000", "000001002000"]


def test_a_row_repeated_in_a_later_mapped_file_is_used_once_and_reported(tmp_path):
    lines = EXAMPLE.read_text().splitlines()
    header, nine = lines[0], [line for line in lines if line.startswith("IL-0009")]
    (tmp_path / "a.csv").write_text(header + "\n" + nine[0] + "\n")
    # The same row in a file whose columns come in another order is the same row.
    names = header.split(",")
    order = list(reversed(range(len(names))))

    def reorder(line):
        fields = next(csv.reader([line]))
        return ",".join(fields[i] for i in order)

    (tmp_path / "b.csv").write_text(reorder(header) + "\n" + reorder(nine[1]) + "\n" + reorder(nine[0]) + "\n")
    read = read_mapped_files([tmp_path / "a.csv", tmp_path / "b.csv"], PACK.input_mapping)
    assert read.rows["_line"].to_pylist() == [2, 2]  # a.csv line 2, b.csv line 2; b.csv line 3 repeats a.csv
    assert read.rows["_file"].to_pylist() == [0, 1]
    b = read.files[1]
    assert (b.rows_read, b.rows_used, b.rows_skipped) == (2, 1, 1) and b.balanced
    issues = read.issues.frame()
    (dup,) = issues[issues["code"] == "DUPLICATE_ROW"].itertuples()
    assert (dup.file, dup.line, dup.action) == ("b.csv", 3, "row skipped")
    assert "line 2 of a.csv" in dup.problem


def test_mapping_errors_name_the_problem(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text("person: a\ncase: b\ncount: c\ncolumns:\n  NOT_A_COLUMN: {from: x}\n")
    with pytest.raises(MappingError, match="'NOT_A_COLUMN' is not an engine column"):
        load_mapping(bad)
    bad.write_text("person: a\ncase: b\ncount: c\ncolumns:\n  PRI_NAME: {from: x, value: y}\n")
    with pytest.raises(MappingError, match="exactly one of 'from', 'join' or 'value'"):
        load_mapping(bad)


# --- end to end ---------------------------------------------------------------------------------------


def test_every_constructed_person_gets_the_expected_decision(decisions):
    got = {row.person_id: (row.determination, row.relief, row.reason_code) for row in decisions.itertuples()}
    assert got == EXPECTED  # IL-0010 has supervision (not a conviction) and a DUI: nothing evaluated
    eligible = decisions[decisions["relief"] != ""]
    assert set(eligible["relief_label"]) == {"Vacate and expunge"}
    assert set(eligible["basis"]) == {"20 ILCS 2630/5.2(i)"}


def test_manifest_summary_and_workbook(run_dir, decisions):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["policy"]["rule_pack"] == "illinois/crta"
    assert manifest["inputs"][0]["rows_read"] == 21 and manifest["inputs"][0]["balanced"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["convictions"]["evaluated"] == len(EXPECTED)
    assert summary["convictions"]["by_relief"]["vacate_and_expunge"] == len(ELIGIBLE)
    assert summary["labels"]["relief"]["vacate_and_expunge"] == "Vacate and expunge"
    # People helped under the policy: an expunged conviction is removed from the record.
    assert summary["people"]["helped"] == len(ELIGIBLE)

    book = openpyxl.load_workbook(run_dir / "review.xlsx", read_only=True)
    sheet = book["Convictions"]
    rows = list(sheet.iter_rows(values_only=True))
    header = list(rows[0])
    data = [dict(zip(header, r)) for r in rows[1:] if any(v not in (None, "") for v in r)]
    assert len(data) == len(EXPECTED)
    by_person = {r["Person ID"]: r for r in data}
    assert by_person["IL-0001"]["Relief"] == "Vacate and expunge"
    assert by_person["IL-0004"]["Determination"] == "Not eligible"


def test_filings_from_the_run_name_the_right_people_and_relief(run_dir, decisions, tmp_path):
    out = tmp_path / "filings"
    result = finalize(
        run_dir, out, approve_all=True, profile=PROFILE, templates=TEMPLATES, filing_date=dt.date(2026, 2, 2)
    )
    assert result.counts["granted_convictions"] == len(ELIGIBLE)

    def text(name: str) -> str:
        return "\n".join(page.extract_text() for page in PdfReader(out / name).pages)

    names = dict(zip(decisions["person_id"], decisions["name"]))
    exhibit = text("02-attachment-a.pdf")
    motion = text("01-notice-of-non-challenge.pdf")
    order = text("03-proposed-order.pdf")
    for person in ELIGIBLE:
        assert names[person].split(",")[0] in exhibit, person
    for person in set(EXPECTED) - set(ELIGIBLE):
        assert names[person].split(",")[0] not in exhibit, person
    assert "Vacate and expunge" in exhibit and "20 ILCS 2630/5.2(i)" in exhibit
    assert "MOTION TO VACATE AND EXPUNGE" in motion and "PEOPLE OF THE STATE OF ILLINOIS" in motion
    assert f"{len(ELIGIBLE)} convictions of {len(ELIGIBLE)} persons" in " ".join(motion.split())
    assert "ORDER TO VACATE AND EXPUNGE" in order
    for document in (exhibit, motion, order):
        assert "11361" not in document and "CALIFORNIA" not in document.upper()

    # Not eligible convictions are listed for the public defender with the pack's reasons.
    pd_list = text("04-public-defender-list.pdf")
    assert "more than 30 grams" in " ".join(pd_list.split()).lower() or "More than 30" in pd_list
    attachment = pd.read_csv(out / "02-attachment-a.csv", dtype=str, keep_default_na=False)
    assert sorted(attachment["person_id"]) == ELIGIBLE
    assert set(attachment["relief"]) == {"vacate_and_expunge"}
    assert set(attachment["relief_requested"]) == {"Vacate and expunge"}
    assert set(attachment["statutory_basis"]) == {"20 ILCS 2630/5.2(i)"}


def test_the_clearance_command_runs_the_illinois_pack(tmp_path, capsys):
    code = clearance(
        [
            "run",
            "--input",
            str(EXAMPLE),
            "--county",
            "EXAMPLE",
            "--policy",
            "illinois/crta:default",
            "--as-of",
            "2026-01-15",
            "--out",
            str(tmp_path / "run"),
            "--quiet",
        ]
    )
    assert code == 0
    decided = pd.read_parquet(tmp_path / "run" / "convictions.parquet")
    assert sorted(decided.loc[decided["relief"] != "", "person_id"]) == ELIGIBLE
    # A policy file that extends the preset works the same way.
    county = tmp_path / "county.yaml"
    county.write_text(
        "name: example-county\nrule_pack: illinois/crta\nextends: default\nsettings:\n  effective_date: '2016-01-01'\n"
    )
    code = clearance(
        [
            "run",
            "--input",
            str(EXAMPLE),
            "--county",
            "EXAMPLE",
            "--policy",
            str(county),
            "--as-of",
            "2026-01-15",
            "--out",
            str(tmp_path / "run2"),
            "--quiet",
        ]
    )
    assert code == 0
    decided = pd.read_parquet(tmp_path / "run2" / "convictions.parquet")
    later = decided.set_index("person_id")["reason_code"]
    assert later["IL-0012"] == "AFTER_EFFECTIVE_DATE" and later["IL-0001"] == "MINOR_CANNABIS_OFFENSE"
