"""Supplemental filings: convictions decided after an earlier filing set, filed without repeating it.

`clearance finalize --supplement-to EARLIER` reads the earlier set's index and decided table, continues its
item numbering, never files a conviction twice, and titles its documents as supplemental.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys

import pytest

from blueprint.filings import FilingError, ReviewRejected, finalize
from filing_rows import PROFILE, REPO, conviction, pdf_text, review_with, row_of, write_hand_run

PENDING = {"400004": "misdemeanor", "400005": "felony"}
ROWS = [
    conviction("400001"),
    conviction("400002", relief="dismiss_and_seal", level="misdemeanor"),
    conviction(
        "400003",
        outcome="not_eligible",
        relief="",
        basis="",
        prior_kind="pc290",
        prior_section="647.6(A) PC",
        prior_date="1998-02-03",
        prior_court="CASC EXAMPLE",
        prior_case_numbers="98M1",
        statutory_exclusion="disqualifying_prior",
    ),
    *(conviction(p, outcome="hand_review", relief="", basis="", level=level) for p, level in PENDING.items()),
    conviction(
        "400006",
        track="juvenile",
        juvenile="yes",
        outcome="hand_review",
        relief="",
        basis="",
        level="misdemeanor",
        date_of_birth=dt.date(1990, 6, 1),
        arrest_date=dt.date(2007, 3, 1),
        conviction_date=dt.date(2007, 5, 1),
    ),
]
CID = {row["person_id"]: row["conviction_id"] for row in ROWS}
LATER = {
    CID["400004"]: {
        "Prosecutor decision": "No challenge - different relief",
        "Relief if different": "Dismiss and seal",
    },
    CID["400005"]: {
        "Prosecutor decision": "Challenge - does not meet HS 11361.8 criteria",
        "Ground / notes": "The court file shows a sale to a minor (HS 11360(a)(3)(C))",
    },
    CID["400006"]: {
        "Prosecutor decision": "No challenge - different relief",
        "Relief if different": "Dismiss and seal",
    },
}


def read_csv(path):
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """The first filing set (hand review pending), then the supplement once those rows are decided."""
    tmp = tmp_path_factory.mktemp("supplement")
    run_dir = write_hand_run(tmp / "run", ROWS)
    first = tmp / "filings"
    finalize(run_dir, first, approve_all=True, profile=PROFILE, filing_date=dt.date(2027, 1, 5))
    later = review_with(run_dir, tmp / "later.xlsx", LATER)
    second = tmp / "filings-2"
    result = finalize(
        run_dir, second, review=later, profile=PROFILE, filing_date=dt.date(2027, 3, 1), supplement_to=first
    )
    return run_dir, first, second, result, later


def test_the_first_set_leaves_the_pending_convictions_out(sets):
    _, first, *_ = sets
    assert [r["conviction_id"] for r in read_csv(first / "02-attachment-a.csv")] == [CID["400001"], CID["400002"]]
    assert {r["conviction_id"] for r in read_csv(first / "pending-hand-review.csv")} == {
        CID[p] for p in ("400004", "400005", "400006")
    }


def test_the_supplement_files_only_what_was_decided_since_numbered_on(sets):
    _, first, second, result, _ = sets
    rows = read_csv(second / "02-attachment-a.csv")
    assert [(r["conviction_id"], r["item"]) for r in rows] == [(CID["400004"], "3")]  # items 1-2 were filed first
    assert result.counts["earlier_filed_convictions"] == 3  # two granted, one challenged in the first set
    assert result.counts["granted_convictions"] == 1 and result.counts["challenged_convictions"] == 1
    assert sorted(p.name for p in (second / "challenges").glob("*.pdf")) == ["notice-of-challenge-400005.pdf"]
    assert [r["conviction_id"] for r in read_csv(second / "04-public-defender-list.csv")] == [CID["400005"]]
    (juvenile,) = read_csv(second / "05-juvenile-list.csv")
    assert (juvenile["conviction_id"], juvenile["item"]) == (CID["400006"], "1")
    for name in ("exports/court-cms-update.csv", "exports/doj-disposition-update.csv"):
        assert {r["conviction_id"] for r in read_csv(second / name)} == {CID["400004"]}
    assert read_csv(second / "pending-hand-review.csv") == []
    summary = json.loads((second / "filing-summary.json").read_text())
    assert summary["supplement"]["folder"] == "filings" and summary["supplement"]["last_item"] == 2
    index = json.loads((first / "index.json").read_bytes())
    assert summary["supplement"]["run_id"] == index["run_id"]


def test_the_supplemental_documents_say_so(sets):
    _, _, second, _, _ = sets
    notice = pdf_text(second / "01-notice-of-non-challenge.pdf")
    assert "PEOPLE'S SUPPLEMENTAL NOTICE OF NON-CHALLENGE" in notice
    assert "supplements the People's notice of non-challenge dated January 5, 2027" in notice
    assert "items 1 to 2" in notice and "(items 3 to 3)" in notice
    attachment = pdf_text(second / "02-attachment-a.pdf")
    assert "SUPPLEMENTAL ATTACHMENT A" in attachment and "ITEMS 3 TO 3" in attachment
    assert "SURNAME400001" not in attachment and "SURNAME400004" in attachment
    order = pdf_text(second / "03-proposed-order.pdf")
    assert "[PROPOSED] SUPPLEMENTAL ORDER GRANTING RELIEF" in order and "Supplemental Attachment A" in order
    assert "SUPPLEMENTAL FILING SET" in pdf_text(second / "filing-summary.pdf")
    assert "SUPPLEMENTAL" not in pdf_text(sets[1] / "01-notice-of-non-challenge.pdf")


def test_nothing_new_to_file_is_refused(sets, tmp_path):
    run_dir, _, second, _, later = sets
    # Nothing new to file: refused, and nothing written.
    with pytest.raises(FilingError, match="nothing to file since the earlier filing set filings-2"):
        finalize(run_dir, tmp_path / "third", review=later, profile=PROFILE, supplement_to=second)
    assert not (tmp_path / "third").exists()


def test_a_changed_position_on_a_filed_conviction_is_refused_naming_the_row(sets, tmp_path):
    run_dir, first, _, _, _ = sets
    changed = review_with(
        run_dir,
        tmp_path / "changed.xlsx",
        {
            **LATER,
            CID["400002"]: {
                "Prosecutor decision": "Challenge - does not meet HS 11361.8 criteria",
                "Ground / notes": "Second thoughts",
            },
        },
    )
    with pytest.raises(ReviewRejected) as info:
        finalize(run_dir, tmp_path / "out", review=changed, profile=PROFILE, supplement_to=first)
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (row_of(run_dir, CID["400002"]), "Prosecutor decision")
    assert "was filed in the earlier filing set (filings) as 'No challenge'" in problem.message
    assert not (tmp_path / "out").exists()


def test_a_chain_of_supplements_numbers_on_from_the_last(tmp_path):
    rows = [
        conviction("410001"),
        *(conviction(p, outcome="hand_review", relief="", basis="") for p in ("410002", "410003")),
    ]
    run_dir = write_hand_run(tmp_path / "run", rows)
    first = tmp_path / "one"
    finalize(run_dir, first, approve_all=True, profile=PROFILE)
    grant = {"Prosecutor decision": "No challenge - different relief", "Relief if different": "Dismiss and seal"}
    review_2 = review_with(run_dir, tmp_path / "r2.xlsx", {rows[1]["conviction_id"]: grant})
    finalize(run_dir, tmp_path / "two", review=review_2, profile=PROFILE, supplement_to=first)
    review_3 = review_with(
        run_dir, tmp_path / "r3.xlsx", {rows[1]["conviction_id"]: grant, rows[2]["conviction_id"]: grant}
    )
    result = finalize(run_dir, tmp_path / "three", review=review_3, profile=PROFILE, supplement_to=tmp_path / "two")
    assert [(r["conviction_id"], r["item"]) for r in read_csv(tmp_path / "three" / "02-attachment-a.csv")] == [
        (rows[2]["conviction_id"], "3")
    ]
    assert result.counts["earlier_filed_convictions"] == 2


def test_what_is_not_an_earlier_filing_set_is_refused(sets, tmp_path):
    run_dir, first, _, _, later = sets
    with pytest.raises(FilingError, match="same folder"):
        finalize(run_dir, first, review=later, profile=PROFILE, supplement_to=first)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FilingError, match="no finished filing set"):
        finalize(run_dir, tmp_path / "a", review=later, profile=PROFILE, supplement_to=tmp_path / "empty")
    tampered = tmp_path / "tampered"
    import shutil

    shutil.copytree(first, tampered)
    (tampered / "decisions.parquet").write_bytes((tampered / "decisions.parquet").read_bytes() + b"x")
    with pytest.raises(FilingError, match="decisions.parquet was changed"):
        finalize(run_dir, tmp_path / "b", review=later, profile=PROFILE, supplement_to=tampered)


def test_the_clearance_command_makes_a_supplement(sets, tmp_path):
    run_dir, first, _, _, later = sets
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "blueprint.cli.main",
            "finalize",
            "--run",
            str(run_dir),
            "--review",
            str(later),
            "--profile",
            str(PROFILE),
            "--out",
            str(tmp_path / "supp"),
            "--supplement-to",
            str(first),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Supplemental filing set written to")
    assert (
        "Supplement to filings: 3 convictions filed there skipped (never filed twice); Attachment A continues at item 3."
        in result.stdout
    )
