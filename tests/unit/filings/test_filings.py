"""The filing set end to end: finalize a small sample run and read every document back."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
from pathlib import Path

import docx
import openpyxl
import pytest
from pypdf import PdfReader

from blueprint.filings import (
    FilingError,
    ProfileError,
    ReviewRejected,
    assemble_filings,
    finalize,
    load_run,
    plan_document_batches,
    render_document_batch,
)
from blueprint.engine.rulepack import load_rule_pack
from blueprint.filings.exports import CMS_COLUMNS, DOJ_COLUMNS
from blueprint.review.layout import HEADERS as REVIEW_HEADERS
from sample_run import write_sample_run

#: The public-safety ground as California's pack words it (HS 11361.8(b)).
DEFAULT_PUBLIC_SAFETY_GROUND = load_rule_pack("california/prop64").texts.challenge_grounds.public_safety

REPO = Path(__file__).resolve().parents[3]
PROFILE = REPO / "templates" / "office-profile.example.yaml"
ELIGIBLE, NOT_ELIGIBLE, HAND = 150, 9, 5


def pdf_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def docx_text(path: Path) -> str:
    document = docx.Document(path)
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    return write_sample_run(tmp_path_factory.mktemp("run"), ELIGIBLE, NOT_ELIGIBLE, HAND, seed=3)


@pytest.fixture(scope="module")
def reviewed(sample_run, tmp_path_factory):
    """A review with every kind of decision: a different relief, an override, a public-safety challenge."""
    run = load_run(sample_run)
    frame = run.convictions
    review = tmp_path_factory.mktemp("review") / "reviewed.xlsx"
    shutil.copy(sample_run / "review.xlsx", review)
    felony = next(
        i
        for i, (lvl, rel) in enumerate(zip(frame["level"], frame["relief"]))
        if lvl == "felony" and rel == "redesignate_misdemeanor"
    )
    # HS 11361.8(b): the public-safety ground only against a person still serving, with the facts behind it.
    risky = next(
        i
        for i, (rel, track) in enumerate(zip(frame["relief"], frame["track"]))
        if rel and i != felony and track == "currently serving"
    )
    out_of_scope = next(i for i, d in enumerate(frame["determination"]) if d == "Not eligible")
    hand = next(i for i, d in enumerate(frame["determination"]) if d == "Hand Review")
    book = openpyxl.load_workbook(review)
    sheet = book["Convictions"]

    def put(row, header, value):
        sheet.cell(row + 2, REVIEW_HEADERS.index(header) + 1, value)

    put(felony, "Prosecutor decision", "No challenge - different relief")
    put(felony, "Relief if different", "Dismiss and seal")
    put(risky, "Prosecutor decision", "Challenge - unreasonable risk to public safety")
    put(risky, "Ground / notes", "Arrested in 2026 on a pending charge of attempted murder")
    put(out_of_scope, "Prosecutor decision", "No challenge - different relief")
    put(
        out_of_scope,
        "Relief if different",
        "Redesignate as misdemeanor" if frame["level"][out_of_scope] == "felony" else "Dismiss and seal",
    )
    put(out_of_scope, "Override out-of-scope", "Y")
    put(hand, "Prosecutor decision", "No challenge - different relief")
    put(hand, "Relief if different", "Dismiss and seal")
    book.save(review)
    ids = {
        k: frame["conviction_id"][v]
        for k, v in dict(felony=felony, risky=risky, out_of_scope=out_of_scope, hand=hand).items()
    }
    return review, ids


@pytest.fixture(scope="module")
def filings(sample_run, reviewed, tmp_path_factory):
    review, ids = reviewed
    out = tmp_path_factory.mktemp("filings") / "out"
    result = finalize(sample_run, out, review=review, profile=PROFILE, per_case=True, filing_date="January 5, 2027")
    decided = {r["conviction_id"]: r for r in read_csv(out / "02-attachment-a.csv")}
    return out, result, ids, decided


# -- counts and the decided rows -------------------------------------------------------------------


def test_counts_follow_the_review(filings):
    _, result, ids, attachment = filings
    # Granted: the eligible ones but the public-safety challenge, plus the override and the hand-review grant.
    assert result.counts["granted_convictions"] == ELIGIBLE - 1 + 2
    assert result.counts["challenged_convictions"] == (NOT_ELIGIBLE - 1) + 1
    assert result.counts["pending_convictions"] == HAND - 1
    assert len(attachment) == result.counts["granted_convictions"]
    assert attachment[ids["felony"]]["relief"] == "dismiss_and_seal"
    assert attachment[ids["hand"]]["relief_requested"] == "Dismiss and seal"
    assert ids["risky"] not in attachment
    assert result.overrides == [ids["out_of_scope"]]
    assert [int(r["item"]) for r in read_csv(filings[0] / "02-attachment-a.csv")] == list(range(1, len(attachment) + 1))


# -- Attachment A ----------------------------------------------------------------------------------


def test_attachment_a_pdf_lists_every_granted_conviction_with_pagination(filings, sample_run):
    out, result, _, attachment = filings
    pages = pdf_text(out / "02-attachment-a.pdf")
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Relief requested" in text and "Case number(s)" in text  # the header on every page
    whole = "\n".join(pages)
    for row in attachment.values():
        assert row["case_numbers"] in whole and row["name"] in whole and row["cii_number"] in whole
    items = [int(line.split()[0]) for line in whole.splitlines() if re.match(r"^\d+ (CASC|CAMC) ", line)]
    assert sorted(items) == list(range(1, result.counts["granted_convictions"] + 1))
    assert f"{result.counts['granted_convictions']} CONVICTIONS" in pages[0]


def test_attachment_a_docx_and_xlsx_hold_the_same_rows(filings):
    out, result, _, attachment = filings
    table = docx.Document(out / "02-attachment-a.docx").tables[0]
    assert len(table.rows) == result.counts["granted_convictions"] + 1
    header = [c.text for c in table.rows[0].cells]
    assert header[:3] == ["Item", "Court", "Case number(s)"]
    docx_cases = {row.cells[2].text for row in table.rows[1:]}
    assert docx_cases == {r["case_numbers"] for r in attachment.values()}
    sheet = openpyxl.load_workbook(out / "02-attachment-a.xlsx", read_only=True)["Attachment A"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Item", "Court", "County", "Case number(s)")
    assert len(rows) == result.counts["granted_convictions"] + 1
    assert {r[rows[0].index("Conviction ID")] for r in rows[1:]} == set(attachment)


# -- the pleadings ---------------------------------------------------------------------------------


def test_notice_of_non_challenge_states_the_totals_and_the_office(filings):
    out, result, _, _ = filings
    pages = pdf_text(out / "01-notice-of-non-challenge.pdf")
    text = " ".join(" ".join(pages).split())
    n, people = result.counts["granted_convictions"], result.counts["granted_people"]
    assert f"do not challenge relief for the {n} convictions of {people} persons listed in Attachment A" in text
    attachment_pages = len(PdfReader(out / "02-attachment-a.pdf").pages)
    assert f"items 1 to {n}) on {attachment_pages} pages" in text
    for expected in (
        "ALEX EXAMPLE",
        "State Bar No. 000001",
        "JORDAN SAMPLE",
        "FOR THE COUNTY OF EXAMPLE",
        "THE PEOPLE OF THE STATE OF CALIFORNIA",
        "Dated: January 5, 2027",
    ):
        assert expected in text
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert all(str(k) in page.splitlines() for k in range(1, 29))  # pleading line numbers
    # the relief table adds up
    totals = re.findall(
        r"(Dismiss and seal|Redesignate as misdemeanor|Recall and resentence) HS 11361\.8(?:\(b\)|\(e\)-\(f\)) (\d+)",
        text,
    )
    assert sum(int(count) for _, count in totals) == n
    assert f"Total {n}" in text
    docx_body = " ".join(docx_text(out / "01-notice-of-non-challenge.docx").split())
    assert f"for the {n} convictions of {people} persons" in docx_body


def test_proposed_order_grants_seals_redesignates_and_directs_the_clerk(filings):
    out, result, _, _ = filings
    text = " ".join(" ".join(pdf_text(out / "03-proposed-order.pdf")).split())
    assert f"{result.counts['granted_convictions']} convictions of {result.counts['granted_people']} persons" in text
    assert "dismissed, and the record of that conviction is sealed" in text
    assert "for all purposes" in text and "11361.8, subdivision (h)" in text
    # Filed on January 5, 2027, after HS 11590 registration was repealed (1 January 2020): no release is asked.
    assert "11590" not in text
    assert "report the disposition of each listed conviction to the Department of Justice" in text
    assert "JUDGE OF THE SUPERIOR COURT" in text


def test_one_notice_of_challenge_per_person_with_grounds(filings, sample_run):
    out, result, ids, _ = filings
    frame = load_run(sample_run).convictions.set_index("conviction_id")
    risky = frame.loc[ids["risky"]]
    notices = sorted((out / "challenges").glob("*.pdf"))
    assert len(notices) == result.counts["challenged_people"]
    assert len(list((out / "challenges").glob("*.docx"))) == len(notices)
    text = " ".join(" ".join(pdf_text(out / "challenges" / f"notice-of-challenge-{risky['person_id']}.pdf")).split())
    assert risky["name"] in text and risky["case_numbers"] in text and risky["cii_number"] in text
    assert DEFAULT_PUBLIC_SAFETY_GROUND in text
    assert "Facts: Arrested in 2026 on a pending charge of attempted murder" in text
    assert "TO THE COURT AND TO THE OFFICE OF THE PUBLIC DEFENDER, COUNTY OF EXAMPLE" in text
    docx_body = docx_text(out / "challenges" / f"notice-of-challenge-{risky['person_id']}.docx")
    assert risky["name"] in docx_body and DEFAULT_PUBLIC_SAFETY_GROUND in docx_body


def test_public_defender_list_has_every_challenge(filings):
    out, result, _, _ = filings
    rows = read_csv(out / "04-public-defender-list.csv")
    assert len(rows) == result.counts["challenged_convictions"]
    whole = "\n".join(pdf_text(out / "04-public-defender-list.pdf"))
    assert all(r["case_numbers"] in whole and r["name"] in whole for r in rows)
    assert any("Penal Code section 667(e)(2)(C)(iv)" in r["ground"] and "convicted" in r["ground"] for r in rows)


def test_per_case_orders_one_per_court_case(filings, sample_run):
    out, _, _, attachment = filings
    cases = {
        r["case_key"] for r in load_run(sample_run).convictions.to_dict("records") if r["conviction_id"] in attachment
    }
    orders = sorted((out / "case-orders").glob("*.pdf"))
    assert len(orders) == len(cases)
    some_case = sorted(cases)[0]
    rows = [r for r in attachment.values() if f"{r['person_id']}:" in some_case and r["conviction_id"] in attachment]
    text = " ".join(" ".join(pdf_text(out / "case-orders" / f"order-{some_case.replace(':', '-')}.pdf")).split())
    assert "ORDER AFTER PETITION/APPLICATION" in text
    assert rows[0]["name"] in text


# -- exports, summary and index ---------------------------------------------------------------------


def test_cms_and_doj_exports_have_the_documented_columns(filings):
    out, result, ids, _ = filings
    cms = read_csv(out / "exports" / "court-cms-update.csv")
    assert list(cms[0]) == [name for name, _ in CMS_COLUMNS]
    assert len(cms) == result.counts["granted_convictions"]
    by_id = {r["conviction_id"]: r for r in cms}
    assert by_id[ids["felony"]]["seal_record"] == "Y" and by_id[ids["felony"]]["disposition"] == "Dismissed and sealed"
    assert by_id[ids["out_of_scope"]]["override"] == "Y"
    assert {r["statutory_basis"] for r in cms} <= {"HS 11361.8(e)-(f) via HS 11361.9", "HS 11361.8(b) via HS 11361.9"}
    doj = read_csv(out / "exports" / "doj-disposition-update.csv")
    assert list(doj[0]) == [name for name, _ in DOJ_COLUMNS]
    assert len(doj) == len(cms) and all(r["court_ruling"] == "" for r in doj)
    assert (out / "exports" / "court-cms-update.csv").read_bytes().count(b"\r\n") == len(cms) + 1


def test_filing_summary_lists_counts_and_overrides(filings):
    out, result, ids, _ = filings
    summary = json.loads((out / "filing-summary.json").read_text())
    assert summary["counts"] == result.counts
    assert [o["conviction_id"] for o in summary["overrides"]] == [ids["out_of_scope"]]
    by_decision = {d["code"]: d["convictions"] for d in summary["by_decision"]}
    assert sum(by_decision.values()) == ELIGIBLE + NOT_ELIGIBLE + HAND
    assert by_decision["challenge_public_safety"] == 1 and by_decision["no_challenge_different_relief"] == 3
    text = " ".join(" ".join(pdf_text(out / "filing-summary.pdf")).split())
    assert ids["out_of_scope"] in text and "Overrides" in text
    assert f"Hand review pending (not in this filing): {HAND - 1} convictions" in text


def test_index_lists_every_file_with_its_sha256(filings):
    out, result, _, _ = filings
    index = json.loads((out / "index.json").read_text())["files"]
    on_disk = sorted(
        p.relative_to(out).as_posix()
        for p in out.rglob("*")
        if p.is_file() and p.name not in ("index.json", "SHA256SUMS")
    )
    assert [f["path"] for f in index] == on_disk
    for entry in index:
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(index) and sums[0].endswith(index[0]["path"])
    assert result.files == index


# -- the split pipeline and refusals ----------------------------------------------------------------


def test_batches_in_any_order_give_the_same_filing_set(sample_run, tmp_path, filings):
    out = tmp_path / "batched"
    batches = plan_document_batches(sample_run, out, approve_all=True, profile=PROFILE, per_case=True, batch_size=7)
    kinds = {b["kind"] for b in batches}
    assert kinds == {"bulk", "challenge_notices", "case_orders"}
    assert json.loads(json.dumps(batches)) == batches  # small JSON for a state machine
    with pytest.raises(FilingError, match="missing"):
        assemble_filings(out)
    for batch in reversed(batches):
        render_document_batch(out, batch)
    result = assemble_filings(out)
    again = finalize(sample_run, tmp_path / "whole", approve_all=True, profile=PROFILE, per_case=True)
    # The plan records its batches (7 per batch here, the default in finalize), and the summary lists the
    # plan's size; every other file must be byte for byte the same.
    differ = ("plan.json", "filing-summary.pdf", "filing-summary.docx")
    mismatched = [
        (a["path"]) for a, b in zip(result.files, again.files) if a["sha256"] != b["sha256"] and a["path"] not in differ
    ]
    assert not mismatched
    assert [(f["path"], f["sha256"]) for f in result.files if f["path"] not in differ] == [
        (f["path"], f["sha256"]) for f in again.files if f["path"] not in differ
    ]
    assert len(result.files) == len(again.files)


def test_a_rejected_review_produces_no_filings(sample_run, tmp_path):
    review = tmp_path / "bad.xlsx"
    shutil.copy(sample_run / "review.xlsx", review)
    book = openpyxl.load_workbook(review)
    book["Convictions"].cell(5, REVIEW_HEADERS.index("Prosecutor decision") + 1, "Maybe")
    book.save(review)
    out = tmp_path / "out"
    with pytest.raises(ReviewRejected, match="row 5, column 'Prosecutor decision': 'Maybe' is not an allowed value"):
        finalize(sample_run, out, review=review, profile=PROFILE)
    assert not out.exists() or not any(out.iterdir())


def test_profile_and_argument_errors(sample_run, tmp_path, monkeypatch):
    monkeypatch.delenv("CLEARANCE_OFFICE_PROFILE", raising=False)
    with pytest.raises(ProfileError, match="no office profile"):
        finalize(sample_run, tmp_path / "a", approve_all=True)
    other = tmp_path / "other.yaml"
    other.write_text(PROFILE.read_text().replace("county: EXAMPLE", "county: ELSEWHERE"))
    with pytest.raises(ProfileError, match="ELSEWHERE"):
        finalize(sample_run, tmp_path / "b", approve_all=True, profile=other)
    broken = tmp_path / "broken.yaml"
    broken.write_text(PROFILE.read_text().replace('bar_number: "000002"', 'bar_number: "12-AB"'))
    with pytest.raises(ProfileError, match="signer.bar_number"):
        finalize(sample_run, tmp_path / "c", approve_all=True, profile=broken)
    with pytest.raises(FilingError, match="exactly one"):
        finalize(sample_run, tmp_path / "d", approve_all=True, review=sample_run / "review.xlsx", profile=PROFILE)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("someone else's file")
    with pytest.raises(FilingError, match="not empty"):
        finalize(sample_run, foreign, approve_all=True, profile=PROFILE)
    assert (foreign / "keep.txt").exists()


def test_a_county_edits_wording_in_its_own_templates(sample_run, tmp_path):
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "templates", templates)
    notice = templates / "filings" / "notice-of-non-challenge.xml.j2"
    notice.write_text(
        notice.read_text().replace("Respectfully submitted,", "Submitted with respect by Example County,")
    )
    out = tmp_path / "out"
    finalize(sample_run, out, approve_all=True, profile=PROFILE, templates=templates)
    assert "Submitted with respect by Example County," in " ".join(pdf_text(out / "01-notice-of-non-challenge.pdf"))


def test_a_batch_needs_only_the_work_files(sample_run, tmp_path):
    """As in the cloud: a task gets a fresh folder with the plan's work files and renders its slice."""
    from blueprint.filings import WORK_FILES

    planned = tmp_path / "planned"
    batches = plan_document_batches(sample_run, planned, approve_all=True, profile=PROFILE, batch_size=3)
    batch = next(b for b in batches if b["kind"] == "challenge_notices")
    task = tmp_path / "task"
    task.mkdir()
    for name in WORK_FILES:
        shutil.copy(planned / name, task / name)
    written = render_document_batch(task, batch)
    assert len(written) == 2 * (batch["stop"] - batch["start"])
    assert all((task / path).is_file() for path in written)
    render_document_batch(planned, batch)
    assert all((task / p).read_bytes() == (planned / p).read_bytes() for p in written)


def test_a_run_with_nothing_to_grant_still_gives_a_consistent_set(tmp_path):
    run_dir = write_sample_run(tmp_path / "run", 0, 4, 1, seed=9)
    result = finalize(run_dir, tmp_path / "out", approve_all=True, profile=PROFILE)
    assert result.counts["granted_convictions"] == 0 and result.counts["challenged_convictions"] == 4
    assert read_csv(tmp_path / "out" / "02-attachment-a.csv") == []
    assert len(read_csv(tmp_path / "out" / "04-public-defender-list.csv")) == 4
    assert "Page 1 of 1" in pdf_text(tmp_path / "out" / "02-attachment-a.pdf")[0]
    empty = write_sample_run(tmp_path / "empty", 0, 0, 0)
    assert (
        finalize(empty, tmp_path / "out-empty", approve_all=True, profile=PROFILE).counts["evaluated_convictions"] == 0
    )
