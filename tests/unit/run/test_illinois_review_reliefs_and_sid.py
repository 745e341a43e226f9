"""An Illinois review chooses among Illinois' reliefs and names the person's number as Illinois does
(issue 14, item 3: the state is data).

The reliefs the office may choose in "Relief if different" (the workbook's dropdown and the reader's
check) are the run's rule pack's (``reliefs`` in its ``pack.yaml``), so an Illinois office's "Vacate and
expunge" is accepted and filed, and a California relief on an Illinois row is refused naming the row.
The person's state identification number is headed by the pack's ``person_id_label`` ("SID") in the
workbook, Attachment A and the public defender's list; the reader finds the column by that label, or by
"CII" in a workbook written before the pack could name it.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from blueprint.engine.rulepack import load_rule_pack
from blueprint.filings import finalize
from blueprint.report.finished_run import load_run
from blueprint.review.layout import (
    DECISION_LABELS,
    RELIEF_COLUMN,
    RELIEF_LABELS,
    Decision,
    pack_conviction_columns,
)
from blueprint.review.reader import ReviewRejected, read_review
from blueprint.run.local import RunSettings, run_local
from filing_rows import pdf_text, review_with, row_of

PACK = load_rule_pack("illinois/crta")
EXAMPLE = PACK.folder / "example"
DIFFERENT = DECISION_LABELS[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]  # the same words in both packs
HAND_REVIEW = "IL-0006:000001001000"  # hand review: the rules recommend no relief
NOT_ELIGIBLE = "IL-0003:000001001000"  # not eligible: relief needs the office's override
ELIGIBLE = "IL-0001:000001001000"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("illinois-review")
    result = run_local(
        [EXAMPLE / "circuit-clerk-extract.csv"],
        RunSettings(county="EXAMPLE", policy="illinois/crta:default", evaluation_date=dt.date(2026, 1, 15)),
        root / "run",
    )
    assert not result.failed
    return root / "run"


def _finalize(run_dir: Path, review: Path, out: Path):
    return finalize(
        run_dir,
        out,
        review=review,
        profile=EXAMPLE / "office-profile.yaml",
        templates=PACK.folder / "templates",
        filing_date=dt.date(2026, 2, 2),
    )


def _header(book_path: Path, sheet: str = "Convictions") -> list:
    return [c.value for c in openpyxl.load_workbook(book_path, read_only=True)[sheet].iter_rows(max_row=1).__next__()]


def test_the_relief_dropdown_offers_the_packs_reliefs_only(run_dir):
    book = openpyxl.load_workbook(run_dir / "review.xlsx")
    (relief,) = [dv for dv in book["Convictions"].data_validations.dataValidation if dv.promptTitle == RELIEF_COLUMN]
    assert relief.formula1 == '"Vacate and expunge"'


def test_an_illinois_relief_of_its_own_pack_is_accepted_and_filed(run_dir, tmp_path):
    run = load_run(run_dir)
    reviewed = review_with(
        run_dir,
        tmp_path / "reviewed.xlsx",
        {
            HAND_REVIEW: {"Prosecutor decision": DIFFERENT, RELIEF_COLUMN: "Vacate and expunge"},
            # Spaces and capitals as a person may type them; the relief's code is read as well.
            NOT_ELIGIBLE: {
                "Prosecutor decision": DIFFERENT,
                RELIEF_COLUMN: "  vacate AND expunge ",
                "Override out-of-scope": "Y",
            },
            ELIGIBLE: {"Prosecutor decision": DIFFERENT, RELIEF_COLUMN: "vacate_and_expunge"},
        },
    )
    review = read_review(reviewed, run)
    for cid in (HAND_REVIEW, NOT_ELIGIBLE, ELIGIBLE):
        decision = review.decisions[cid]
        assert (decision.decision, decision.relief) == (Decision.NO_CHALLENGE_DIFFERENT_RELIEF, "vacate_and_expunge")
    assert review.decisions[NOT_ELIGIBLE].override and not review.decisions[HAND_REVIEW].override

    filed = _finalize(run_dir, reviewed, tmp_path / "filings")
    decided = pd.read_parquet(tmp_path / "filings" / "decisions.parquet").set_index("conviction_id")
    for cid in (HAND_REVIEW, NOT_ELIGIBLE, ELIGIBLE):
        assert decided.loc[cid, "filed_relief"] == "vacate_and_expunge"
        assert decided.loc[cid, "filed_relief_label"] == "Vacate and expunge"
        assert decided.loc[cid, "item"] != ""
    attachment = pd.read_csv(tmp_path / "filings" / "02-attachment-a.csv", dtype=str).set_index("conviction_id")
    assert {HAND_REVIEW, NOT_ELIGIBLE, ELIGIBLE} <= set(attachment.index)
    assert set(attachment["relief_requested"]) == {"Vacate and expunge"}
    assert filed.counts["granted_convictions"] == len(attachment)
    summary = (tmp_path / "filings" / "filing-summary.json").read_text()
    assert "Vacate and expunge" in summary and not any(label in summary for label in RELIEF_LABELS.values())


@pytest.mark.parametrize("california", ["Dismiss and seal", "Redesignate as misdemeanor"])
def test_a_california_relief_on_an_illinois_row_is_refused_naming_the_row(run_dir, tmp_path, california):
    run = load_run(run_dir)
    reviewed = review_with(
        run_dir, tmp_path / "reviewed.xlsx", {ELIGIBLE: {"Prosecutor decision": DIFFERENT, RELIEF_COLUMN: california}}
    )
    with pytest.raises(ReviewRejected) as info:
        read_review(reviewed, run)
    (problem,) = info.value.problems
    assert (problem.sheet, problem.row, problem.column) == ("Convictions", row_of(run_dir, ELIGIBLE), RELIEF_COLUMN)
    assert f"'{california}' is not an allowed value" in problem.message
    assert "(allowed: 'Vacate and expunge')" in problem.message
    with pytest.raises(ReviewRejected):
        _finalize(run_dir, reviewed, tmp_path / "filings")
    assert not (tmp_path / "filings" / "01-notice-of-non-challenge.pdf").exists()


def test_the_workbook_heads_the_persons_number_with_the_packs_label(run_dir):
    header = _header(run_dir / "review.xlsx")
    position = [column for _, column, _, _ in pack_conviction_columns("illinois/crta")].index("cii_number")
    assert header[position] == "SID" and "CII" not in header
    assert _header(run_dir / "review.xlsx", "People")[:3] == ["Person ID", "Name", "SID"]


def _copy_to_edit(run_dir, tmp_path):
    """A copy of the run's workbook to edit, its Convictions sheet and the column of the SID."""
    target = tmp_path / "reviewed.xlsx"
    shutil.copy(run_dir / "review.xlsx", target)
    book = openpyxl.load_workbook(target)
    return target, book, book["Convictions"], _header(run_dir / "review.xlsx").index("SID") + 1


def test_a_changed_sid_is_refused_naming_the_sid_column(run_dir, tmp_path):
    run = load_run(run_dir)
    target, book, sheet, column = _copy_to_edit(run_dir, tmp_path)
    row = row_of(run_dir, ELIGIBLE)
    sheet.cell(row, column, "SID999999")
    book.save(target)
    with pytest.raises(ReviewRejected) as info:
        read_review(target, run)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (row, "SID")
    assert "identifying value was changed" in problem.message


def test_a_workbook_headed_cii_before_the_pack_named_its_number_is_still_read(run_dir, tmp_path):
    run = load_run(run_dir)
    target, book, sheet, column = _copy_to_edit(run_dir, tmp_path)
    sheet.cell(1, column, "CII")
    book.save(target)
    review = read_review(target, run)
    assert len(review.decisions) == len(run.convictions)
    # Without the column under either name the workbook is refused, naming the pack's header.
    sheet.cell(1, column, "State number")
    book.save(target)
    with pytest.raises(ReviewRejected) as info:
        read_review(target, run)
    assert [(p.row, p.column) for p in info.value.problems] == [(1, "SID")]


def test_the_filings_head_the_persons_number_with_the_packs_label(run_dir, tmp_path):
    _finalize(run_dir, run_dir / "review.xlsx", tmp_path / "filings")
    out = tmp_path / "filings"
    attachment = _header(out / "02-attachment-a.xlsx", "Attachment A")
    assert "SID" in attachment and "CII" not in attachment
    assert " SID " in pdf_text(out / "02-attachment-a.pdf")
    assert " SID " in pdf_text(out / "04-public-defender-list.pdf")
    # The CSV's column names are the machine contract, the same for every state.
    assert "cii_number" in pd.read_csv(out / "02-attachment-a.csv", dtype=str).columns
