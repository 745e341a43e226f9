"""The review round trip: reading the office's edited workbook back, tolerant of harmless edits and
strict about anything that could put the wrong relief on the wrong record."""

from __future__ import annotations

import shutil
import sys

import openpyxl
import pytest

from blueprint.report.finished_run import load_run
from sample_run import write_sample_run
from blueprint.review.layout import DECISION_LABELS, HEADERS as REVIEW_HEADERS, Decision
from blueprint.review.reader import ReviewRejected, approve_all, read_review

ELIGIBLE, NOT_ELIGIBLE, HAND = 40, 6, 4


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    run_dir = write_sample_run(tmp_path_factory.mktemp("run"), ELIGIBLE, NOT_ELIGIBLE, HAND, seed=11)
    return run_dir


@pytest.fixture(params=["calamine", "openpyxl"])
def reader(request, monkeypatch):
    """Run a test with each workbook reader: python-calamine, and the openpyxl fallback."""
    if request.param == "openpyxl":
        monkeypatch.setitem(sys.modules, "python_calamine", None)  # as if calamine were not installed
    return request.param


@pytest.fixture
def run_dir(base_run, tmp_path):
    """A fresh copy per test, so each test edits its own workbook."""
    target = tmp_path / "run"
    shutil.copytree(base_run, target)
    return target


def col(name: str) -> int:
    return REVIEW_HEADERS.index(name) + 1


def edit(path, change):
    book = openpyxl.load_workbook(path)
    change(book["Convictions"], book)
    book.save(path)


def rejected(run_dir) -> ReviewRejected:
    with pytest.raises(ReviewRejected) as info:
        read_review(run_dir / "review.xlsx", load_run(run_dir))
    return info.value


def private_values(run_dir) -> set[str]:
    frame = load_run(run_dir).convictions
    values = set()
    for column in ("name", "cii_number", "case_numbers", "date_of_birth", "other_names"):
        values |= {v for v in frame[column] if v}
    return values


def assert_no_personal_data(error: ReviewRejected, run_dir) -> None:
    text = str(error) + "".join(str(p) for p in error.problems)
    for value in private_values(run_dir):
        assert value not in text


# -- accepted -------------------------------------------------------------------------------------


def test_untouched_workbook_gives_the_recommended_decisions(run_dir, reader):
    run = load_run(run_dir)
    result = read_review(run_dir / "review.xlsx", run)
    assert result.source == "workbook" and len(result.workbook_sha256) == 64
    assert len(result.decisions) == ELIGIBLE + NOT_ELIGIBLE + HAND
    counts = {d: 0 for d in Decision}
    for decision in result.decisions.values():
        counts[decision.decision] += 1
    assert counts[Decision.NO_CHALLENGE] == ELIGIBLE
    assert counts[Decision.CHALLENGE_CRITERIA] == NOT_ELIGIBLE
    assert counts[Decision.HAND_REVIEW_PENDING] == HAND
    frame = run.convictions.set_index("conviction_id")
    for cid, decision in result.decisions.items():
        if decision.decision is Decision.NO_CHALLENGE:
            assert decision.relief == frame.loc[cid, "relief"] != ""
        else:
            assert decision.relief == ""


def test_approve_all_equals_the_prefilled_workbook(run_dir):
    run = load_run(run_dir)
    from_book = read_review(run_dir / "review.xlsx", run).decisions
    approved = approve_all(run)
    assert approved.source == "approve-all"
    assert {k: (v.decision, v.relief) for k, v in approved.decisions.items()} == {
        k: (v.decision, v.relief) for k, v in from_book.items()
    }


def test_tolerates_reordered_rows_extra_columns_spaces_case_and_blank_rows(run_dir, reader):
    path = run_dir / "review.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book["Convictions"]
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    rows.reverse()  # sorted the other way round
    sheet.delete_rows(2, sheet.max_row)
    header = [c.value for c in sheet[1]]
    header.insert(3, "Office comments")  # a column the office added in the middle
    for i, value in enumerate(header, start=1):
        sheet.cell(1, i, value)
    for r, row in enumerate(rows, start=2):
        row = list(row)
        row.insert(3, "checked by AB")
        decision_at = header.index("Prosecutor decision")
        if row[decision_at] == "No challenge":
            row[decision_at] = "  NO CHALLENGE  "  # spaces and capitals
        row[header.index("Name")] = f"{row[header.index('Name')]}  "  # a trailing space in an identifying column
        for c, value in enumerate(row, start=1):
            sheet.cell(r, c, value)
    sheet.cell(len(rows) + 3, 1, None)  # a blank row after the data
    sheet.auto_filter.ref = sheet.dimensions  # filtered view left on
    sheet.row_dimensions[3].hidden = True  # a row hidden by the filter still counts
    book.save(path)
    result = read_review(path, load_run(run_dir))
    assert len(result.decisions) == ELIGIBLE + NOT_ELIGIBLE + HAND
    assert sum(d.decision is Decision.NO_CHALLENGE for d in result.decisions.values()) == ELIGIBLE


def test_accepts_dash_variants_that_spreadsheet_autocorrect_produces(run_dir):
    def change(sheet, _):
        for r in range(2, sheet.max_row + 1):
            if sheet.cell(r, col("Prosecutor decision")).value == DECISION_LABELS[Decision.CHALLENGE_CRITERIA]:
                sheet.cell(r, col("Prosecutor decision")).value = "challenge \u2013 does not meet hs 11361.8 criteria"

    edit(run_dir / "review.xlsx", change)
    result = read_review(run_dir / "review.xlsx", load_run(run_dir))
    assert sum(d.decision is Decision.CHALLENGE_CRITERIA for d in result.decisions.values()) == NOT_ELIGIBLE


def test_different_relief_public_safety_challenge_and_notes_are_read(run_dir):
    run = load_run(run_dir)
    frame = run.convictions
    felony_row = next(i for i, (lvl, rel) in enumerate(zip(frame["level"], frame["relief"])) if lvl == "felony" and rel)
    # HS 11361.8(b): a public-safety challenge only against a person still serving the sentence.
    other_row = next(
        i
        for i, (rel, track) in enumerate(zip(frame["relief"], frame["track"]))
        if rel and i != felony_row and track == "currently serving"
    )

    def change(sheet, _):
        sheet.cell(felony_row + 2, col("Prosecutor decision")).value = "No challenge - different relief"
        sheet.cell(felony_row + 2, col("Relief if different")).value = "redesignate as INFRACTION "
        sheet.cell(other_row + 2, col("Prosecutor decision")).value = "Challenge - unreasonable risk to public safety"
        sheet.cell(other_row + 2, col("Ground / notes")).value = "Pending violent felony case"

    edit(run_dir / "review.xlsx", change)
    result = read_review(run_dir / "review.xlsx", run)
    changed = result.decisions[frame["conviction_id"][felony_row]]
    assert (changed.decision, changed.relief) == (Decision.NO_CHALLENGE_DIFFERENT_RELIEF, "redesignate_infraction")
    risk = result.decisions[frame["conviction_id"][other_row]]
    assert risk.decision is Decision.CHALLENGE_PUBLIC_SAFETY and risk.notes == "Pending violent felony case"
    assert risk.relief == ""


def test_relief_for_an_out_of_scope_conviction_needs_the_override_flag(run_dir):
    run = load_run(run_dir)
    row = next(i for i, d in enumerate(run.convictions["determination"]) if d == "Not eligible")

    def grant(sheet, _):
        sheet.cell(row + 2, col("Prosecutor decision")).value = "No challenge - different relief"
        sheet.cell(row + 2, col("Relief if different")).value = "Dismiss and seal"

    edit(run_dir / "review.xlsx", grant)
    error = rejected(run_dir)
    assert [(p.row, p.column) for p in error.problems] == [(row + 2, "Override out-of-scope")]

    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(row + 2, col("Override out-of-scope")), "value", "y"),
    )
    result = read_review(run_dir / "review.xlsx", run)
    decision = result.decisions[run.convictions["conviction_id"][row]]
    assert decision.override and decision.relief == "dismiss_and_seal"
    assert sum(d.override for d in result.decisions.values()) == 1


# -- refused --------------------------------------------------------------------------------------


def test_a_value_that_is_not_allowed_is_reported_with_row_and_column(run_dir):
    edit(
        run_dir / "review.xlsx", lambda sheet, _: setattr(sheet.cell(14, col("Prosecutor decision")), "value", "Maybe")
    )
    error = rejected(run_dir)
    assert len(error.problems) == 1
    problem = error.problems[0]
    assert (problem.sheet, problem.row, problem.column) == ("Convictions", 14, "Prosecutor decision")
    assert str(problem).startswith(
        "sheet 'Convictions', row 14, column 'Prosecutor decision': 'Maybe' is not an allowed value"
    )
    assert "row 14" in str(error)


def test_a_value_that_could_be_personal_data_is_not_quoted(run_dir):
    run = load_run(run_dir)
    name = run.convictions["name"][0]
    edit(run_dir / "review.xlsx", lambda sheet, _: setattr(sheet.cell(5, col("Prosecutor decision")), "value", name))
    error = rejected(run_dir)
    assert "not shown" in str(error.problems[0])
    assert_no_personal_data(error, run_dir)


def test_added_removed_and_duplicated_rows_are_reported(run_dir, reader):
    run = load_run(run_dir)
    removed_id = None

    def change(sheet, _):
        nonlocal removed_id
        removed_id = sheet.cell(4, 1).value
        duplicate = [c.value for c in sheet[6]]
        sheet.delete_rows(4)  # removed
        last = sheet.max_row
        for c, value in enumerate(duplicate, start=1):
            sheet.cell(last + 1, c, value)  # duplicated
        sheet.cell(last + 2, 1, "999999:001001001")  # added (unknown ID)
        sheet.cell(last + 2, col("Prosecutor decision"), "No challenge")
        sheet.cell(last + 3, col("Name"), "SOMEONE,NEW")  # added without ID

    edit(run_dir / "review.xlsx", change)
    error = rejected(run_dir)
    messages = [str(p) for p in error.problems]
    assert any("appears twice" in m for m in messages)
    assert any("not in the run" in m for m in messages)
    assert any("has no Conviction ID" in m for m in messages)
    assert any(removed_id in m and "missing from the workbook" in m for m in messages)
    assert len(error.problems) == 4
    assert len(run.convictions) == ELIGIBLE + NOT_ELIGIBLE + HAND
    assert_no_personal_data(error, run_dir)


@pytest.mark.parametrize("column", ["Person ID", "Name", "CII", "Case numbers", "Code section", "Conviction date"])
def test_a_changed_identifying_column_is_reported_without_its_value(run_dir, column):
    edit(run_dir / "review.xlsx", lambda sheet, _: setattr(sheet.cell(7, col(column)), "value", "XX-CHANGED-1"))
    error = rejected(run_dir)
    assert [(p.row, p.column) for p in error.problems] == [(7, column)]
    assert "XX-CHANGED-1" not in str(error)
    assert_no_personal_data(error, run_dir)


def test_editing_the_recommended_relief_column_is_reported_not_ignored(run_dir):
    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(3, col("Relief")), "value", "Recall and resentence"),
    )
    error = rejected(run_dir)
    assert [(p.row, p.column) for p in error.problems] == [(3, "Relief")]
    assert "Relief if different" in str(error)


def test_different_relief_needs_an_allowed_relief_that_fits_the_level(run_dir):
    run = load_run(run_dir)
    frame = run.convictions
    misdemeanor = next(
        i for i, (lvl, rel) in enumerate(zip(frame["level"], frame["relief"])) if lvl == "misdemeanor" and rel
    )
    felony = next(i for i, (lvl, rel) in enumerate(zip(frame["level"], frame["relief"])) if lvl == "felony" and rel)

    def change(sheet, _):
        sheet.cell(misdemeanor + 2, col("Prosecutor decision")).value = "No challenge - different relief"
        sheet.cell(misdemeanor + 2, col("Relief if different")).value = "Redesignate as misdemeanor"
        sheet.cell(felony + 2, col("Prosecutor decision")).value = "No challenge - different relief"

    edit(run_dir / "review.xlsx", change)
    error = rejected(run_dir)
    found = {(p.row, p.column): str(p) for p in error.problems}
    assert "does not apply to a conviction recorded as misdemeanor" in found[(misdemeanor + 2, "Relief if different")]
    assert "an empty value is not an allowed value" in found[(felony + 2, "Relief if different")]


def test_no_challenge_without_a_recommended_relief_is_refused(run_dir):
    run = load_run(run_dir)
    row = next(i for i, d in enumerate(run.convictions["determination"]) if d == "Hand Review")
    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(row + 2, col("Prosecutor decision")), "value", "No challenge"),
    )
    error = rejected(run_dir)
    assert [(p.row, p.column) for p in error.problems] == [(row + 2, "Prosecutor decision")]
    assert "recommended none" in str(error)


def test_an_override_value_other_than_y_is_refused(run_dir):
    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(2, col("Override out-of-scope")), "value", "perhaps"),
    )
    assert [(p.row, p.column) for p in rejected(run_dir).problems] == [(2, "Override out-of-scope")]


def test_a_missing_or_renamed_column_is_reported(run_dir):
    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(1, col("Prosecutor decision")), "value", "Decision"),
    )
    error = rejected(run_dir)
    assert [(p.row, p.column) for p in error.problems] == [(1, "Prosecutor decision")]


@pytest.mark.parametrize("key", ["inputs_sha256", "policy_sha256", "run_id"])
def test_a_review_of_a_different_run_is_refused(run_dir, key):
    def change(_, book):
        sheet = book["Run"]
        for row in sheet.iter_rows(min_row=1):
            if row[0].value == key:
                row[1].value = "0" * 64

    edit(run_dir / "review.xlsx", change)
    error = rejected(run_dir)
    assert len(error.problems) == 1 and error.problems[0].sheet == "Run"
    assert key in str(error) and "different run" in str(error)


def test_a_workbook_without_run_sheet_or_not_xlsx_is_refused(run_dir, reader):
    edit(run_dir / "review.xlsx", lambda _, book: book.remove(book["Run"]))
    assert rejected(run_dir).problems[0].sheet == "Run"
    (run_dir / "review.xlsx").write_text("not a workbook")
    assert "cannot be opened" in str(rejected(run_dir))


def test_a_name_typed_without_a_comma_is_not_quoted(run_dir):
    run = load_run(run_dir)
    last, first = run.convictions["name"][0].split(",")
    typed = f"{first.split()[0].title()} {last.title()}"  # e.g. "Alex River"
    edit(run_dir / "review.xlsx", lambda sheet, _: setattr(sheet.cell(6, col("Prosecutor decision")), "value", typed))
    error = rejected(run_dir)
    assert "not shown" in str(error.problems[0]) and typed not in str(error)


# -- a relief written beside a decision that does not read it ---------------------------------------


def test_a_relief_beside_a_plain_no_challenge_is_refused_naming_the_row(run_dir, reader):
    """'No challenge' files the recommended relief; a different relief written beside it would be ignored
    and the office would file something other than it wrote, so the workbook is refused (docs/filings.md)."""
    run = load_run(run_dir)
    frame = run.convictions
    row = next(i for i, rel in enumerate(frame["relief"]) if rel == "redesignate_misdemeanor")

    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(row + 2, col("Relief if different")), "value", "Dismiss and seal"),
    )
    error = rejected(run_dir)
    (problem,) = error.problems
    assert (problem.sheet, problem.row, problem.column) == ("Convictions", row + 2, "Relief if different")
    assert "'No challenge' asks for 'Redesignate as misdemeanor'" in problem.message
    assert "choose 'No challenge - different relief'" in problem.message


def test_the_recommended_relief_repeated_beside_no_challenge_is_accepted(run_dir):
    run = load_run(run_dir)
    row = next(i for i, rel in enumerate(run.convictions["relief"]) if rel == "dismiss_and_seal")
    edit(
        run_dir / "review.xlsx",
        lambda sheet, _: setattr(sheet.cell(row + 2, col("Relief if different")), "value", "dismiss and SEAL"),
    )
    decision = read_review(run_dir / "review.xlsx", run).decisions[run.convictions["conviction_id"][row]]
    assert (decision.decision, decision.relief) == (Decision.NO_CHALLENGE, "dismiss_and_seal")


def test_a_relief_beside_a_challenge_is_refused_and_beside_pending_review_allowed(run_dir):
    run = load_run(run_dir)
    frame = run.convictions
    challenged = next(i for i, rel in enumerate(frame["relief"]) if rel)
    pending = next(i for i, d in enumerate(frame["determination"]) if d == "Hand Review")

    def change(sheet, _):
        sheet.cell(challenged + 2, col("Prosecutor decision")).value = "Challenge - unreasonable risk to public safety"
        sheet.cell(challenged + 2, col("Relief if different")).value = "Dismiss and seal"
        sheet.cell(pending + 2, col("Relief if different")).value = "Dismiss and seal"  # a draft: not filed

    edit(run_dir / "review.xlsx", change)
    error = rejected(run_dir)
    assert [(p.row, p.column) for p in error.problems] == [(challenged + 2, "Relief if different")]
    assert "challenges relief; clear the cell" in error.problems[0].message
