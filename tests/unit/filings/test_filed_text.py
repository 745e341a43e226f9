"""What the filed documents say, from hand-written decision rows to the text of the PDF and the DOCX.

- The notice of non-challenge describes each relief by the subdivision that provides it (HS 11361.8(b)
  for a person serving; (e)-(f) for a completed sentence) and never calls the listed conduct lawful.
- Recall and resentence leaves room for the new term, the credits and the supervision (HS 11361.8(c)).
- No release from HS 11590 registration in a filing made after its repeal (1 January 2020).
- Attachment A: a missing case number is marked for the clerk; a date of birth that is not a valid date
  prints blank with a note; lodged under seal on request, with a public version.
- Offenses committed under 18 go to the juvenile court (HS 11361.8(m)); out-of-scope convictions are
  listed, never challenged.
"""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from blueprint.filings import (
    ReviewRejected,
    assemble_filings,
    finalize,
    load_run,
    plan_document_batches,
    render_document_batch,
)
from blueprint.review.reader import read_review
from filing_rows import (
    PROFILE,
    conviction,
    docx_text,
    pdf_pages,
    pdf_text,
    review_with,
    row_of,
    serving,
    write_hand_run,
)


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


ROWS = [
    # HS 11360 sale/transport: not "now legal" conduct, though the county's policy dismisses it.
    conviction(
        "300001",
        code_section="11360 HS",
        section="11360",
        level="misdemeanor",
        relief="dismiss_and_seal",
        determination="Eligible for Dismissal",
        offense="SELL/TRANSPORT MARIJUANA",
    ),
    conviction("300002"),  # felony 11359, redesignated as a misdemeanor
    serving("300003"),  # recall and resentence
    conviction("300004", case_numbers=""),  # no case number in the record
    conviction("300005", date_of_birth=None, date_of_birth_recorded="19841345"),  # not a valid date
    conviction("300006", date_of_birth=None, date_of_birth_recorded=""),  # no date of birth at all
    # Committed at 16 (date of birth 1990-06-01, arrested 2007-03-01): the juvenile track.
    conviction(
        "300007",
        track="juvenile",
        juvenile="yes",
        relief="redesignate_infraction",
        level="misdemeanor",
        date_of_birth=dt.date(1990, 6, 1),
        arrest_date=dt.date(2007, 3, 1),
        conviction_date=dt.date(2007, 5, 1),
        basis="HS 11361.8(f)",
        determination="Eligible for Reduction",
    ),
    # Conduct after 9 November 2016: out of scope, not a challenge.
    conviction(
        "300008",
        outcome="out_of_scope",
        relief="",
        basis="",
        reason="Conduct after 9 November 2016",
        reason_code="OUT_OF_SCOPE_AFTER_LINE",
        statutory_exclusion="after_line",
        arrest_date=dt.date(2017, 4, 1),
        conviction_date=dt.date(2017, 8, 1),
    ),
]
CID = {row["person_id"]: row["conviction_id"] for row in ROWS}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_hand_run(tmp_path_factory.mktemp("text") / "run", ROWS)


@pytest.fixture(scope="module")
def filed(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("filed") / "filings"
    finalize(run_dir, out, approve_all=True, profile=PROFILE, per_case=True, filing_date=dt.date(2027, 1, 5))
    return out


def attachment_rows(out):
    return {r["conviction_id"]: r for r in read_csv(out / "02-attachment-a.csv")}


# -- item 10: the notice of non-challenge describes the relief accurately ---------------------------------------


def test_the_notice_cites_the_subdivision_of_each_relief_and_never_calls_the_conduct_legal(filed):
    for text in (
        pdf_text(filed / "01-notice-of-non-challenge.pdf"),
        docx_text(filed / "01-notice-of-non-challenge.docx"),
    ):
        assert "now legal" not in text.lower() and "lawful today" in text  # "not a statement that ... is lawful today"
        assert "Completed sentences (Health and Safety Code section 11361.8, subdivisions (e) and (f))" in text
        assert "Sentences still being served (Health and Safety Code section 11361.8, subdivisions (a) to (d))" in text
        assert "Dismiss and seal HS 11361.8(e)-(f) 1" in text
        assert "Redesignate as misdemeanor HS 11361.8(e)-(f) 4" in text
        assert "Recall and resentence HS 11361.8(b) 1" in text
    basis = {cid: r["statutory_basis"] for cid, r in attachment_rows(filed).items()}
    assert basis[CID["300003"]] == "HS 11361.8(b) via HS 11361.9"
    assert basis[CID["300001"]] == basis[CID["300002"]] == "HS 11361.8(e)-(f) via HS 11361.9"


def test_without_anyone_serving_the_notice_says_nothing_of_recall(tmp_path):
    run_dir = write_hand_run(tmp_path / "run", [conviction("310001"), conviction("310002", relief="dismiss_and_seal")])
    out = tmp_path / "out"
    finalize(run_dir, out, approve_all=True, profile=PROFILE)
    text = pdf_text(out / "01-notice-of-non-challenge.pdf")
    assert "Sentences still being served" not in text and "11361.8(b)" not in text
    assert "Completed sentences" in text
    order = pdf_text(out / "03-proposed-order.pdf")
    assert "New sentence:" not in order and "Recall and resentence" not in order


# -- item 11: recall and resentence leaves room for the new sentence ---------------------------------------------


def test_the_proposed_order_leaves_room_for_term_credits_and_supervision(filed):
    item = attachment_rows(filed)[CID["300003"]]["item"]
    for text in (pdf_text(filed / "03-proposed-order.pdf"), docx_text(filed / "03-proposed-order.docx")):
        assert f"Item {item}. SURNAME300003,GIVEN; CASC EXAMPLE, case BA300003, count 001" in text
        assert "sentence as recorded: 3Y PROBATION" in text
        assert "New sentence: ____" in text and "days actual + ________ days conduct = ________ days total" in text
        assert "Supervision: ____" in text and "(subdivision (c))" in text and "(subdivision (d))" in text
        assert text.count("New sentence:") == 1  # one conviction to resentence, one set of blanks


def test_a_per_case_order_gives_blanks_only_to_a_recalled_sentence(filed):
    recalled = pdf_text(filed / "case-orders" / "order-300003-001001.pdf")
    assert "New sentence: ____" in recalled and "Credits:" in recalled and "Supervision:" in recalled
    other = pdf_text(filed / "case-orders" / "order-300002-001001.pdf")
    assert "New sentence" not in other and "Credits:" not in other


# -- item 12: HS 11590 after its repeal -------------------------------------------------------------------------


def split_run(run_dir, out, **plan):
    """The filing set made in batches (as the cloud does), where the day it is made can be given."""
    for batch in plan_document_batches(run_dir, out, approve_all=True, profile=PROFILE, per_case=True, **plan):
        render_document_batch(out, batch)
    assemble_filings(out)
    return out


@pytest.mark.parametrize(
    "plan, asked",
    [
        ({"filing_date": dt.date(2019, 12, 31)}, True),  # the day before the repeal took effect
        ({"filing_date": dt.date(2020, 1, 1)}, False),  # the day it took effect
        ({"today": dt.date(2019, 6, 1)}, True),  # dated by hand at signing: the day the set is made decides
        ({"today": dt.date(2027, 1, 5)}, False),
    ],
)
def test_release_from_hs_11590_is_asked_only_before_its_repeal(run_dir, tmp_path, plan, asked):
    out = split_run(run_dir, tmp_path / "out", **plan)
    for name in ("01-notice-of-non-challenge.pdf", "03-proposed-order.pdf", "case-orders/order-300002-001001.pdf"):
        assert ("section 11590" in pdf_text(out / name)) is asked, name
    cms = read_csv(out / "exports" / "court-cms-update.csv")
    assert {r["hs11590_registration_relief"] for r in cms} == {"Y" if asked else "N"}
    summary = pdf_text(out / "filing-summary.pdf")
    assert ("HS 11590 registration requested" in summary) is asked
    assert ("HS 11590 registration not requested" in summary) is not asked


def test_a_set_dated_by_hand_is_the_same_whatever_day_it_is_made(run_dir, tmp_path):
    one = split_run(run_dir, tmp_path / "one", today=dt.date(2027, 1, 5))
    two = split_run(run_dir, tmp_path / "two", today=dt.date(2031, 7, 9))
    assert (one / "index.json").read_bytes() == (two / "index.json").read_bytes()


# -- item 13: Attachment A ------------------------------------------------------------------------------------


def test_a_row_without_a_case_number_is_marked_for_the_clerk(filed):
    rows = attachment_rows(filed)
    assert rows[CID["300004"]]["case_numbers"] == ""  # the data file keeps what the record says
    assert rows[CID["300004"]]["clerk_note"].startswith("No case number in the record: clerk to identify the case")
    assert rows[CID["300002"]]["clerk_note"] == ""
    for text in (pdf_text(filed / "02-attachment-a.pdf"), docx_text(filed / "02-attachment-a.docx")):
        assert "NONE RECORDED - see note" in text and "clerk to identify the case" in text
    notice = pdf_text(filed / "01-notice-of-non-challenge.pdf")
    assert "For 1 listed conviction the record gives no case number" in notice


def test_a_date_of_birth_that_is_not_valid_prints_blank_with_a_note(filed):
    rows = attachment_rows(filed)
    assert rows[CID["300005"]]["date_of_birth"] == "" and rows[CID["300006"]]["date_of_birth"] == ""
    assert rows[CID["300005"]]["clerk_note"] == "Date of birth in the record is not a valid date: left blank."
    assert rows[CID["300006"]]["clerk_note"] == "No date of birth in the record."
    assert rows[CID["300002"]]["date_of_birth"] == "1970-01-02"
    text = pdf_text(filed / "02-attachment-a.pdf")
    assert "19841345" not in text and "1984-13-45" not in text
    assert "not a valid date: left blank" in text and "1970-01-02" in text
    assert "19841345" not in docx_text(filed / "02-attachment-a.docx")
    assert "19841345" not in (filed / "exports" / "court-cms-update.csv").read_text()


def test_lodged_under_seal_with_a_public_version_without_dates_of_birth_and_cii(run_dir, tmp_path, filed):
    profile = tmp_path / "office.yaml"
    profile.write_text(PROFILE.read_text().replace("lodge_under_seal: false", "lodge_under_seal: true"))
    out = tmp_path / "sealed"
    finalize(run_dir, out, approve_all=True, profile=profile, filing_date=dt.date(2027, 1, 5))
    sealed = pdf_pages(out / "02-attachment-a.pdf")
    assert "CONDITIONALLY UNDER SEAL Lodged conditionally under seal" in sealed[0]
    assert all("CONDITIONALLY UNDER SEAL - ATTACHMENT A" in page for page in sealed)
    rows = attachment_rows(out).values()
    for text in (pdf_text(out / "02-attachment-a-public.pdf"), docx_text(out / "02-attachment-a-public.docx")):
        assert "PUBLIC REDACTED VERSION" in text and "Date of birth" not in text
        for row in rows:
            assert row["name"] in text
            assert row["cii_number"] not in text and (not row["date_of_birth"] or row["date_of_birth"] not in text)
    for row in rows:  # the lodged version keeps them
        assert row["cii_number"] in " ".join(sealed)
    notice = pdf_text(out / "01-notice-of-non-challenge.pdf")
    assert "lodge it conditionally under seal" in notice and "rules 2.550 and 2.551" in notice
    # Without the profile's request: one Attachment A, no seal.
    assert not (filed / "02-attachment-a-public.pdf").exists()
    assert "UNDER SEAL" not in pdf_text(filed / "02-attachment-a.pdf")
    assert "under seal" not in pdf_text(filed / "01-notice-of-non-challenge.pdf")


# -- juveniles and out of scope -------------------------------------------------------------------------------


def test_an_offense_committed_under_18_is_filed_in_the_juvenile_court_only(filed):
    juvenile = CID["300007"]
    assert juvenile not in attachment_rows(filed)
    for name in ("exports/court-cms-update.csv", "exports/doj-disposition-update.csv"):
        assert juvenile not in {r["conviction_id"] for r in read_csv(filed / name)}
    assert not (filed / "case-orders" / "order-300007-001001.pdf").exists()
    assert "SURNAME300007" not in pdf_text(filed / "02-attachment-a.pdf") + pdf_text(filed / "03-proposed-order.pdf")
    (row,) = read_csv(filed / "05-juvenile-list.csv")
    assert (row["conviction_id"], row["item"], row["relief"]) == (juvenile, "1", "redesignate_infraction")
    assert row["statutory_basis"] == "HS 11361.8(e)-(f), (m) via HS 11361.9"
    for text in (
        pdf_text(filed / "05-juvenile-notice-of-non-challenge.pdf"),
        docx_text(filed / "05-juvenile-notice-of-non-challenge.docx"),
    ):
        assert "JUVENILE COURT" in text and "SURNAME300007,GIVEN" in text
        for form in ("JV-744", "JV-744A", "JV-745", "JV-746"):
            assert form in text
        assert "Redesignate as infraction" in text and "2007-05-01; 11359 HS; misdemeanor" in text  # as convicted
    notice = pdf_text(filed / "01-notice-of-non-challenge.pdf")
    assert "1 conviction of offenses committed under the age of 18 is not in Attachment A" in notice


def test_a_juvenile_offense_is_never_redesignated_as_an_adult_misdemeanor(run_dir, tmp_path):
    path = review_with(
        run_dir,
        tmp_path / "r.xlsx",
        {
            CID["300007"]: {
                "Prosecutor decision": "No challenge - different relief",
                "Relief if different": "Recall and resentence",
            }
        },
    )
    with pytest.raises(ReviewRejected) as info:
        read_review(path, load_run(run_dir))
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (row_of(run_dir, CID["300007"]), "Relief if different")
    # The juvenile track's basis, as the pack's filing_bases cite it (HS 11361.8(m) among it).
    assert "(HS 11361.8(e)-(f), (m))" in problem.message
    ok = review_with(
        run_dir,
        tmp_path / "ok.xlsx",
        {
            CID["300007"]: {
                "Prosecutor decision": "No challenge - different relief",
                "Relief if different": "Dismiss and seal",
            }
        },
    )
    assert read_review(ok, load_run(run_dir)).decisions[CID["300007"]].relief == "dismiss_and_seal"


def test_out_of_scope_is_listed_not_challenged(filed):
    out_of_scope = CID["300008"]
    assert [r["conviction_id"] for r in read_csv(filed / "out-of-scope.csv")] == [out_of_scope]
    assert not (filed / "challenges").exists()  # nothing is challenged in this review
    assert out_of_scope not in attachment_rows(filed)
    summary = pdf_text(filed / "filing-summary.pdf")
    assert "Out of scope: conduct HS 11361.8 does not reach" in summary and out_of_scope in summary


def test_the_office_may_not_challenge_out_of_scope_nor_mark_an_eligible_row_out_of_scope(run_dir, tmp_path):
    path = review_with(
        run_dir,
        tmp_path / "r.xlsx",
        {
            CID["300008"]: {"Prosecutor decision": "Challenge - does not meet HS 11361.8 criteria"},
            CID["300002"]: {"Prosecutor decision": "Out of scope - not filed"},
        },
    )
    with pytest.raises(ReviewRejected) as info:
        read_review(path, load_run(run_dir))
    found = {p.row: p.message for p in info.value.problems}
    assert "nothing to challenge" in found[row_of(run_dir, CID["300008"])]
    assert "must get the relief or a notice of challenge" in found[row_of(run_dir, CID["300002"])]
    # Relief for the out-of-scope conviction needs the reviewer's override (the statute does not reach it).
    grant = review_with(
        run_dir,
        tmp_path / "g.xlsx",
        {
            CID["300008"]: {
                "Prosecutor decision": "No challenge - different relief",
                "Relief if different": "Dismiss and seal",
            }
        },
    )
    with pytest.raises(ReviewRejected, match="out of scope"):
        read_review(grant, load_run(run_dir))
