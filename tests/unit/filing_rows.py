"""Run folders written by hand for the filings tests.

Each test states the few convictions it is about, column by column, in the terms of the run-to-filings
contract (docs/reference/results.md; outcome, track, prior_*, statutory_exclusion ...) and the statute,
not as the engine would happen to write them: the filings are checked against rows no generator made.
Helpers read the filed documents back as text (pypdf for the PDF, python-docx for the DOCX).
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import docx
import openpyxl
import pandas as pd
from pypdf import PdfReader

from sample_run import RESULT_COLUMNS, write_run
from blueprint.review.layout import HEADERS as REVIEW_HEADERS

REPO = Path(__file__).resolve().parents[2]
PROFILE = REPO / "templates" / "office-profile.example.yaml"

LABELS = {
    "dismiss_and_seal": "Dismiss and seal",
    "redesignate_misdemeanor": "Redesignate as misdemeanor",
    "redesignate_infraction": "Redesignate as infraction",
    "recall_and_resentence": "Recall and resentence",
}


def conviction(person: str, count: int = 1, **changes) -> dict:
    """One evaluated conviction: by default an HS 11359 felony, sentence completed, found eligible for
    redesignation as a misdemeanor (HS 11361.8(e)-(f)); ``changes`` set any column."""
    row = {
        "conviction_id": f"{person}:001001{count:03d}",
        "person_id": person,
        "cii_number": f"A{int(person):08d}",
        "name": f"SURNAME{person},GIVEN",
        "other_names": "",
        "date_of_birth": dt.date(1970, 1, 2),
        "date_of_birth_recorded": "19700102",
        "gender": "MALE",
        "race": "OTHER",
        "county": "EXAMPLE",
        "court": "CASC EXAMPLE",
        "case_numbers": f"BA{person}",
        "case_key": f"{person}:001001",
        "count": f"{count:03d}",
        "cnt_order": f"001001{count:03d}",
        "conviction_date": dt.date(2010, 5, 6),
        "conviction_date_recorded": "20100506",
        "offense": "POSSESS MARIJUANA FOR SALE",
        "code_section": "11359 HS",
        "section": "11359",
        "attempt": False,
        "level": "felony",
        "sentence": "16M PRISON",
        "sentence_end": dt.date(2011, 9, 6),
        "sentence_status": "complete",
        "determination": "Eligible for Reduction",
        "relief": "redesignate_misdemeanor",
        "relief_label": "",
        "basis": "HS 11361.8(f)",
        "track": "completed sentence",
        "reason_code": "POLICY_SECTION",
        "reason": "Policy: HS 11359 felonies",
        "rule_id": "policy_11359",
        "rule_facts": "level=felony",
        "flags": "",
        "source_file": "hand.dat",
        "source_line": 2,
        "outcome": "eligible",
        "juvenile": "no",
        "arrest_date": dt.date(2010, 1, 2),
        "prior_kind": "",
        "prior_section": "",
        "prior_date": "",
        "prior_court": "",
        "prior_case_numbers": "",
        "statutory_exclusion": "",
        "felony_hint": "",
    }
    row.update(changes)
    row["relief_label"] = LABELS.get(row["relief"], "")
    if row["outcome"] != "eligible" and "determination" not in changes:
        row["determination"] = {"not_eligible": "Not eligible", "out_of_scope": "Out of scope"}.get(
            row["outcome"], "Hand Review"
        )
    return row


def serving(person: str, count: int = 1, **changes) -> dict:
    """A person still serving the sentence: recall and resentence (HS 11361.8(a)-(b))."""
    values = dict(
        track="currently serving",
        sentence_status="serving",
        relief="recall_and_resentence",
        basis="HS 11361.8(b)",
        determination="Eligible (currently serving)",
        sentence="3Y PROBATION",
        conviction_date=dt.date(2016, 3, 1),
        conviction_date_recorded="20160301",
        arrest_date=dt.date(2016, 1, 5),
    )
    values.update(changes)
    return conviction(person, count, **values)


def write_hand_run(run_dir: Path, rows: list[dict], *, seed: int = 1) -> Path:
    """A run folder (manifest, conviction table, review workbook) holding exactly ``rows``."""
    return write_run(run_dir, pd.DataFrame(rows, columns=RESULT_COLUMNS), seed=seed)


def review_with(run_dir: Path, target: Path, decisions: dict[str, dict[str, str]]) -> Path:
    """A copy of the run's review workbook with the office's columns set: {conviction id: {header: value}}."""
    shutil.copy(run_dir / "review.xlsx", target)
    book = openpyxl.load_workbook(target)
    sheet = book["Convictions"]
    ids = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    for cid, cells in decisions.items():
        for header, value in cells.items():
            sheet.cell(ids[cid], REVIEW_HEADERS.index(header) + 1, value)
    book.save(target)
    return target


def row_of(run_dir: Path, cid: str) -> int:
    """The workbook row of a conviction."""
    sheet = openpyxl.load_workbook(run_dir / "review.xlsx", read_only=True)["Convictions"]
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        if values[0] == cid:
            return number
    raise KeyError(cid)


def pdf_text(path: Path) -> str:
    """The PDF's text, whitespace collapsed (pleading line numbers included)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def pdf_pages(path: Path) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(path).pages]


def docx_text(path: Path) -> str:
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return " ".join(" ".join(parts).split())
