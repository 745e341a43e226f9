"""The Illinois pack run end to end shows no California text in anything it writes (issue 14, item 3).

The run (``run_local``) and the filing set (``finalize`` with the pack's own templates) are made from
the pack's example extract, then every file of both folders is read as text (PDF pages, the XML parts
of XLSX and DOCX files, Parquet tables as CSV, every other file as UTF-8) and searched for California's
law, dates and places. California's words come from its ``pack.yaml`` (``track_bases``,
``filing_bases``, ``challenge_grounds``, ``reliefs``, ``review_prompts``, ``report``, the labels of its
``statutory_exclusions``) and its ``sections.yaml`` (each code's ``cite``), so none reaches Illinois'.
The Illinois workbook offers no public-safety challenge (its statute has none), and its reader refuses
one, naming the row.
"""

from __future__ import annotations

import datetime as dt
import os
import json
import re
import zipfile
from pathlib import Path
from unittest import mock

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from blueprint.engine.rulepack import load_rule_pack
from blueprint.filings import finalize
from blueprint.report.finished_run import load_run
from blueprint.review.layout import DECISION_LABELS, HEADERS as REVIEW_HEADERS, Decision
from blueprint.review.reader import ReviewRejected, read_review
from blueprint.run.local import RunSettings, run_local
from filing_rows import review_with, row_of

PACK = load_rule_pack("illinois/crta")

#: California's statutes, initiative, its line date, state, county, agency and courts' names as an output
#: could carry them, and "CII", California's name for a person's state identification number (Illinois'
#: pack names it "SID": person_id_label). The machine name ``cii_number`` of the result and export
#: columns is the same for every state and is not matched (no word boundary before the underscore).
CALIFORNIA = re.compile(
    r"11361|1136[0-9]|1135[7-9]|Proposition 64|Prop\.? 64|California|Los Angeles|Los_Angeles|\bCII\b"
    r"|Health and Safety|\bHS \d|\bHS-|\bPC \d|Penal Code|AB 1793|AB 1706|Adult Use of Marijuana"
    r"|9 November 2016|November 9,? 2016|2016-11-09|Department of Justice",
    re.IGNORECASE,
)


def _text(path: Path) -> str:
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix in (".xlsx", ".docx"):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist() if n.endswith(".xml"))
    if path.suffix == ".parquet":
        return pd.read_parquet(path).astype(str).to_csv()
    return path.read_bytes().decode("utf-8")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("illinois-scan")
    example = PACK.folder / "example"
    result = run_local(
        [example / "circuit-clerk-extract.csv"],
        RunSettings(county="EXAMPLE", policy="illinois/crta:default", evaluation_date=dt.date(2026, 1, 15)),
        root / "run",
    )
    assert not result.failed
    # No templates folder is named: the filings take the pack's own (``templates`` in its pack.yaml), as
    # `clearance finalize` and the cloud's render step do.
    with mock.patch.dict(os.environ):
        os.environ.pop("CLEARANCE_TEMPLATES", None)
        filed = finalize(
            root / "run",
            root / "filings",
            approve_all=True,
            profile=example / "office-profile.yaml",
            filing_date=dt.date(2026, 2, 2),
        )
    assert filed.counts["granted_convictions"] > 0
    return root


def test_no_california_text_reaches_any_illinois_output(outputs):
    files = sorted(p for p in outputs.rglob("*") if p.is_file())
    names = {str(p.relative_to(outputs)) for p in files}
    # What was scanned: the run folder and the filing set, including the challenges and the exports.
    for expected in (
        "run/convictions.parquet",
        "run/convictions.csv",
        "run/manifest.json",
        "run/summary.json",
        "run/summary.html",
        "run/review.xlsx",
        "run/data_issues.csv",
        "filings/01-notice-of-non-challenge.pdf",
        "filings/02-attachment-a.csv",
        "filings/03-proposed-order.docx",
        "filings/04-public-defender-list.pdf",
        "filings/exports/doj-disposition-update.csv",
        "filings/exports/court-cms-update.csv",
    ):
        assert expected in names, expected
    assert any(n.startswith("filings/challenges/") for n in names)
    leaks = {}
    for path in files:
        hits = {m.group(0) for m in CALIFORNIA.finditer(_text(path))}
        if hits:
            leaks[str(path.relative_to(outputs))] = hits
    # Every file of the run (workbook, report, tables) and every filing document the pack's templates
    # write (notices, Attachment A, orders, challenges, the exports) is free of California text.
    assert leaks == {}


def test_the_pattern_finds_californias_words_where_they_are():
    # The scan is only as good as its pattern: California's own report words match it.
    report = load_rule_pack("california/prop64").texts.report
    found = {m.group(0) for m in CALIFORNIA.finditer(report.model_dump_json())}
    assert {"HS 1", "Proposition 64", "9 November 2016", "Health and Safety", "Department of Justice"} <= found
    # California's workbook header of the state identification number, but not the machine column name.
    assert [m.group(0) for m in CALIFORNIA.finditer(" ".join(REVIEW_HEADERS) + " cii_number")] == ["CII"]


def test_the_illinois_report_prints_its_own_words(outputs):
    html = (outputs / "run" / "summary.html").read_text()
    report = PACK.texts.report
    assert report.heading in html and "720 ILCS 550/4" in html and "720 ILCS 550/5" in html
    summary = json.loads((outputs / "run" / "summary.json").read_text())
    assert summary["labels"]["section"]["4"] == "720 ILCS 550/4"
    assert summary["labels"]["statutory_exclusion"] == {"none": "None"}


def test_the_illinois_workbook_offers_no_public_safety_challenge(outputs):
    book = openpyxl.load_workbook(outputs / "run" / "review.xlsx")
    lists = book["Lists"]
    offered = {c.value for row in lists.iter_rows() for c in row if c.value}
    assert DECISION_LABELS[Decision.CHALLENGE_PUBLIC_SAFETY] not in offered
    assert "Challenge - does not meet 20 ILCS 2630/5.2(i) criteria" in offered
    (decision,) = [
        dv for dv in book["Convictions"].data_validations.dataValidation if dv.promptTitle == "Prosecutor decision"
    ]
    assert decision.prompt == PACK.texts.review_prompts.decision_prompt


def test_the_illinois_reader_refuses_a_public_safety_challenge_naming_the_row(outputs, tmp_path):
    run_dir = outputs / "run"
    run = load_run(run_dir)
    cid = str(run.convictions.loc[run.convictions["relief"] != "", "conviction_id"].iloc[0])
    reviewed = review_with(
        run_dir,
        tmp_path / "reviewed.xlsx",
        {
            cid: {
                "Prosecutor decision": DECISION_LABELS[Decision.CHALLENGE_PUBLIC_SAFETY],
                "Ground / notes": "facts",
            }
        },
    )
    with pytest.raises(ReviewRejected) as info:
        read_review(reviewed, run)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (row_of(run_dir, cid), "Prosecutor decision")
    assert "not a decision of the rule pack illinois/crta" in problem.message
    assert not CALIFORNIA.search(problem.message)
    # finalize reads the same workbook, so it stops too: nothing is filed.
    with pytest.raises(ReviewRejected):
        finalize(
            run_dir,
            tmp_path / "filings",
            review=reviewed,
            profile=PACK.folder / "example" / "office-profile.yaml",
            templates=PACK.folder / "templates",
            filing_date=dt.date(2026, 2, 2),
        )
    assert not (tmp_path / "filings" / "01-notice-of-non-challenge.pdf").exists()


def test_the_illinois_words_come_from_its_pack(outputs):
    decided = pd.read_parquet(outputs / "filings" / "decisions.parquet")
    grounds = set(decided.loc[decided["ground_statement"] != "", "ground_statement"])
    assert grounds == {PACK.texts.challenge_grounds.criteria.completed}
    assert set(decided.loc[decided["filed_basis"] != "", "filed_basis_full"]) == {"20 ILCS 2630/5.2(i)"}


def test_the_exports_say_what_the_illinois_order_does(outputs):
    # The court export's disposition and level after relief are the pack's words for its own relief
    # (reliefs.vacate_and_expunge.order_effect and level_after), not blank as for a relief the filings
    # code did not know, and not California's "Dismissed and sealed".
    court = pd.read_csv(outputs / "filings" / "exports" / "court-cms-update.csv", dtype=str, keep_default_na=False)
    assert len(court) > 0
    assert set(court["disposition"]) == {"Vacated and expunged"}
    assert set(court["level_after_relief"]) == {"expunged"}


def test_which_templates_the_filings_use(monkeypatch, tmp_path):
    from blueprint.filings.pipeline import _templates_for

    monkeypatch.delenv("CLEARANCE_TEMPLATES", raising=False)
    # The pack's own set when it has one; None (the kit's, California's) when it has none.
    assert _templates_for("illinois/crta", None) == str(PACK.folder / "templates")
    assert _templates_for("california/prop64", None) is None
    # An office's own copy wins: named in the environment, or passed by the caller (which wins over both).
    monkeypatch.setenv("CLEARANCE_TEMPLATES", str(tmp_path / "office"))
    assert _templates_for("illinois/crta", None) == str(tmp_path / "office")
    assert _templates_for("illinois/crta", tmp_path / "mine") == str(tmp_path / "mine")
