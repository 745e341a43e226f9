"""The filings against a real run of the engine (synthetic DOJ file -> run -> review.xlsx -> filings)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter
import pytest
from pypdf import PdfReader

from blueprint.filings import ReviewRejected, finalize, load_run
from blueprint.run.local import RunSettings, run_local
from blueprint.review.reader import DECISION_COLUMN, Decision, read_review
from blueprint.synthetic.doj_file import generate

REPO = Path(__file__).resolve().parents[3]
COUNTY = "SACRAMENTO"


@pytest.fixture(scope="module")
def engine_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("engine")
    doj = root / "doj.dat"
    generate(doj, rows=4000, county=COUNTY, seed=5)
    settings = RunSettings(county=COUNTY, evaluation_date=dt.date(2026, 11, 21))
    run_local([doj], settings, root / "run")
    return root / "run"


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    text = (REPO / "templates" / "office-profile.example.yaml").read_text()
    path = tmp_path_factory.mktemp("profile") / "office.yaml"
    path.write_text(text.replace("county: EXAMPLE", f"county: {COUNTY}"))
    return path


def test_the_engines_workbook_reads_back_as_its_recommendations(engine_run):
    run = load_run(engine_run)
    result = read_review(engine_run / "review.xlsx", run)
    assert len(result.decisions) == len(run.convictions) > 0
    with_relief = int((run.convictions["relief"] != "").sum())
    assert sum(d.decision is Decision.NO_CHALLENGE for d in result.decisions.values()) == with_relief


def test_a_resaved_and_edited_engine_workbook_drives_the_filings(engine_run, profile, tmp_path):
    run = load_run(engine_run)
    reviewed = tmp_path / "reviewed.xlsx"
    book = openpyxl.load_workbook(engine_run / "review.xlsx")  # a re-save, as a spreadsheet program would
    sheet = book["Convictions"]
    header = [c.value for c in sheet[1]]
    decision_col = header.index(DECISION_COLUMN) + 1
    track_col = header.index("Track") + 1
    challenged_row = next(
        r
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(r, decision_col).value == "No challenge" and sheet.cell(r, track_col).value != "juvenile"
    )
    sheet.cell(challenged_row, decision_col).value = "challenge - does not meet HS 11361.8 criteria "
    sheet.cell(challenged_row, header.index("Ground / notes") + 1).value = "The court file shows 40 plants"
    book.save(reviewed)

    out = tmp_path / "filings"
    result = finalize(engine_run, out, review=reviewed, profile=profile)
    with_relief = int((run.convictions["relief"] != "").sum())
    juvenile = int(((run.convictions["relief"] != "") & (run.convictions["track"] == "juvenile")).sum())
    # Offenses committed under 18 are filed on the juvenile list, not in Attachment A (HS 11361.8(m)).
    assert juvenile > 0 and result.counts["juvenile_convictions"] == juvenile
    assert result.counts["granted_convictions"] == with_relief - juvenile - 1
    attachment = PdfReader(out / "02-attachment-a.pdf")
    text = "\n".join(p.extract_text() for p in attachment.pages)
    challenged_id = sheet.cell(challenged_row, header.index("Conviction ID") + 1).value
    granted = run.convictions[
        (run.convictions["relief"] != "")
        & (run.convictions["conviction_id"] != challenged_id)
        & (run.convictions["track"] != "juvenile")
    ]
    missing = [case for cases in granted["case_numbers"] for case in cases.split("; ") if case not in text]
    assert not missing
    assert f"Page {len(attachment.pages)} of {len(attachment.pages)}" in text


def test_the_engines_workbook_refuses_a_public_safety_challenge_of_a_completed_sentence(engine_run, tmp_path):
    # HS 11361.8(b): the public-safety ground only against a person still serving; the engine's sample has
    # completed sentences only, so the ground is refused on the row, by finalize, and absent from its dropdown.
    reviewed = tmp_path / "reviewed.xlsx"
    book = openpyxl.load_workbook(engine_run / "review.xlsx")
    sheet = book["Convictions"]
    header = [c.value for c in sheet[1]]
    decision_col = header.index(DECISION_COLUMN) + 1
    track_col = header.index("Track") + 1
    row = next(
        r
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(r, decision_col).value == "No challenge"
        and sheet.cell(r, track_col).value == "completed sentence"
    )
    (validation,) = [
        dv for dv in sheet.data_validations.dataValidation if next(iter(dv.sqref.ranges)).min_col == decision_col
    ]
    assert (
        validation.formula1
        == f'IF(${get_column_letter(header.index("Track") + 1)}2="currently serving",DecisionsServing,DecisionsNotServing)'
    )
    sheet.cell(row, decision_col).value = "Challenge - unreasonable risk to public safety"
    sheet.cell(row, header.index("Ground / notes") + 1).value = "Pending violent felony"
    book.save(reviewed)
    with pytest.raises(ReviewRejected) as info:
        read_review(reviewed, load_run(engine_run))
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (row, DECISION_COLUMN)
    assert "only against a person still serving" in problem.message and "'completed sentence'" in problem.message


def test_an_edited_identifying_cell_in_the_engines_workbook_is_refused(engine_run, tmp_path):
    reviewed = tmp_path / "reviewed.xlsx"
    book = openpyxl.load_workbook(engine_run / "review.xlsx")
    sheet = book["Convictions"]
    header = [c.value for c in sheet[1]]
    sheet.cell(2, header.index("Conviction date") + 1).value = dt.datetime(1901, 1, 1)
    book.save(reviewed)
    with pytest.raises(ReviewRejected) as info:
        read_review(reviewed, load_run(engine_run))
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "Conviction date")]
