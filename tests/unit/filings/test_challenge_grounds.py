"""Challenge grounds follow the track, and a notice of challenge states its ground and the facts behind it.

HS 11361.8(b): against a person currently serving a sentence the court may deny relief when granting it
"would pose an unreasonable risk of danger to public safety"; for a completed sentence (HS 11361.8(e)-(f))
the only question is whether the person meets the criteria. HS 11361.8(b), (f): the court presumes the
criteria are met unless the opposing party proves otherwise by clear and convincing evidence, so the
People's notice names the disqualifying conviction (section, court, case, date) or the data problem.
The rows below are written by hand (tests/unit/filing_rows.py), not by the engine.
"""

from __future__ import annotations

import datetime as dt

import pytest

from blueprint.filings import ProfileError, ReviewRejected, finalize, load_run
from blueprint.review.reader import approve_all, read_review
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

SAFETY = "Challenge - unreasonable risk to public safety"
CRITERIA = "Challenge - does not meet HS 11361.8 criteria"

ROWS = [
    serving("100001"),  # still serving: the public-safety ground is open
    conviction("100002"),  # completed sentence
    conviction(
        "100003",
        track="juvenile",
        juvenile="yes",
        relief="dismiss_and_seal",
        level="misdemeanor",
        date_of_birth=dt.date(1990, 6, 1),
        arrest_date=dt.date(2007, 3, 1),
        conviction_date=dt.date(2007, 5, 1),
    ),
    conviction("100004", track="unknown", sentence_status="unknown", outcome="hand_review", relief="", basis=""),
    # Not eligible: a prior super strike (PC 187, PC 667(e)(2)(C)(iv)) convicted before this arrest.
    conviction(
        "100005",
        outcome="not_eligible",
        relief="",
        basis="",
        reason="Prior super strike (PC 667(e)(2)(C)(iv))",
        prior_kind="super_strike",
        prior_section="187 PC",
        prior_date="2001-03-04",
        prior_court="CASC LOS ANGELES",
        prior_case_numbers="A123456",
        statutory_exclusion="disqualifying_prior",
    ),
    # Not eligible: two prior HS 11360(a) sale convictions against an HS 11360 felony (HS 11360(a)(3)(B)).
    conviction(
        "100006",
        code_section="11360 HS",
        section="11360",
        outcome="not_eligible",
        relief="",
        basis="",
        reason="Two or more prior convictions of HS 11360",
        prior_kind="two_priors",
        prior_section="11360(A) HS; 11360(A) HS",
        prior_date="1999-01-01; 2003-05-06",
        prior_court="CASC SACRAMENTO; CASC YOLO",
        prior_case_numbers="99F001; 03F002",
        statutory_exclusion="disqualifying_prior",
    ),
    # Hand review because the record contradicts itself: a data problem, not a fact a rule may act on.
    conviction(
        "100007",
        outcome="hand_review",
        relief="",
        basis="",
        level="misdemeanor",
        flags="data problem: misdemeanor with a state prison term",
        reason="Data problem: review by hand",
    ),
    conviction("100008"),  # eligible, completed: challenged on the criteria only with the office's facts
]
CID = {row["person_id"]: row["conviction_id"] for row in ROWS}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_hand_run(tmp_path_factory.mktemp("grounds") / "run", ROWS)


def refused(run_dir, path) -> list:
    with pytest.raises(ReviewRejected) as info:
        read_review(path, load_run(run_dir))
    return info.value.problems


# -- item 9: the ground follows the track, in the review check ---------------------------------------------


def test_public_safety_ground_is_accepted_against_a_person_still_serving(run_dir, tmp_path):
    path = review_with(
        run_dir,
        tmp_path / "r.xlsx",
        {CID["100001"]: {"Prosecutor decision": SAFETY, "Ground / notes": "Pending attempted murder charge"}},
    )
    decision = read_review(path, load_run(run_dir)).decisions[CID["100001"]]
    assert decision.decision.value == "challenge_public_safety" and decision.notes == "Pending attempted murder charge"


@pytest.mark.parametrize(
    "person, track", [("100002", "completed sentence"), ("100003", "juvenile"), ("100004", "unknown")]
)
def test_public_safety_ground_is_refused_for_anyone_not_serving_naming_the_row(run_dir, tmp_path, person, track):
    path = review_with(
        run_dir,
        tmp_path / "r.xlsx",
        {CID[person]: {"Prosecutor decision": SAFETY, "Ground / notes": "Pending violent felony"}},
    )
    (problem,) = refused(run_dir, path)
    assert (problem.row, problem.column) == (row_of(run_dir, CID[person]), "Prosecutor decision")
    assert "only against a person still serving the sentence (HS 11361.8(b))" in problem.message
    assert f"track as '{track}'" in problem.message and CRITERIA in problem.message


def test_a_public_safety_challenge_must_state_its_facts(run_dir, tmp_path):
    path = review_with(run_dir, tmp_path / "r.xlsx", {CID["100001"]: {"Prosecutor decision": SAFETY}})
    (problem,) = refused(run_dir, path)
    assert (problem.row, problem.column) == (row_of(run_dir, CID["100001"]), "Ground / notes")


def test_a_criteria_challenge_without_any_fact_needs_the_offices_note(run_dir, tmp_path):
    # An eligible row: the rules found nothing disqualifying, so the office must say what it relies on ...
    bare = review_with(run_dir, tmp_path / "bare.xlsx", {CID["100008"]: {"Prosecutor decision": CRITERIA}})
    (problem,) = refused(run_dir, bare)
    assert (problem.row, problem.column) == (row_of(run_dir, CID["100008"]), "Ground / notes")
    # ... which it then may; and a row whose record shows a data problem states that problem as its fact.
    noted = review_with(
        run_dir,
        tmp_path / "noted.xlsx",
        {
            CID["100008"]: {"Prosecutor decision": CRITERIA, "Ground / notes": "The court file shows 40 plants"},
            CID["100007"]: {"Prosecutor decision": CRITERIA},
        },
    )
    decisions = read_review(noted, load_run(run_dir)).decisions
    assert decisions[CID["100008"]].decision.value == decisions[CID["100007"]].decision.value == "challenge_criteria"


# -- item 10: the notice of challenge names its ground and the facts ---------------------------------------


@pytest.fixture(scope="module")
def filed(run_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("filed")
    path = review_with(
        run_dir,
        tmp / "r.xlsx",
        {
            CID["100001"]: {
                "Prosecutor decision": SAFETY,
                "Ground / notes": "Pending attempted murder charge (PC 664/187)",
            },
            CID["100003"]: {
                "Prosecutor decision": CRITERIA,
                "Ground / notes": "The juvenile court file shows a sale to a minor",
            },
            CID["100007"]: {"Prosecutor decision": CRITERIA},
            CID["100008"]: {"Prosecutor decision": CRITERIA, "Ground / notes": "The court file shows 40 plants"},
        },
    )
    out = tmp / "filings"
    finalize(run_dir, out, review=path, profile=PROFILE, filing_date=dt.date(2027, 1, 5))
    return out


def notice(out, person: str, juvenile: bool = False):
    base = out / "challenges" / f"notice-of-challenge-{person}{'-juvenile' if juvenile else ''}"
    return pdf_text(base.with_suffix(".pdf")), docx_text(base.with_suffix(".docx"))


def test_a_prior_super_strike_is_stated_with_its_court_case_date_and_section(filed):
    for text in notice(filed, "100005"):
        assert (
            "Ground: The person does not meet the criteria of HS 11361.8(e) for dismissal and sealing or "
            "redesignation (HS 11361.8(f))." in text
        )
        assert (
            'Facts: A prior conviction of an offense listed in Penal Code section 667(e)(2)(C)(iv) (a "super '
            'strike"): 187 PC, CASC LOS ANGELES, case A123456, convicted 2001-03-04.' in text
        )
        assert "Under HS 11359(c)(1) the offense may still be punished as a felony" in text


def test_two_priors_are_each_stated_and_the_subdivision_is_the_sale_one(filed):
    pdf, word = notice(filed, "100006")
    for text in (pdf, word):
        assert (
            "Facts: Two or more prior convictions of the same offense: 11360(A) HS, CASC SACRAMENTO, case 99F001, "
            "convicted 1999-01-01; 11360(A) HS, CASC YOLO, case 03F002, convicted 2003-05-06." in text
        )
        assert "Under HS 11360(a)(3)(B)" in text and "11359(c)" not in text


def test_a_data_problem_is_the_fact_stated_when_there_is_no_prior(filed):
    for text in notice(filed, "100007"):
        assert "Facts: The record has a data problem: misdemeanor with a state prison term." in text
        assert "Penal Code section 667" not in text


def test_public_safety_challenge_states_the_serving_ground_and_the_offices_facts(filed):
    for text in notice(filed, "100001"):
        assert (
            "Ground: Granting relief would present an unreasonable risk of danger to public safety (HS 11361.8(b))."
            in text
        )
        assert "Facts: Pending attempted murder charge (PC 664/187)" in text
    eligible = notice(filed, "100008")[0]
    assert "Facts: Office's note: The court file shows 40 plants" in eligible
    assert "public safety (HS 11361.8(b))." not in eligible.split("Ground:")[1]


def test_each_notice_leaves_room_for_the_hearing_and_carries_a_proof_of_service(filed):
    pages = pdf_pages(filed / "challenges" / "notice-of-challenge-100005.pdf")
    assert (
        "Hearing date: ____________" in pages[0]
        and "Time: ____________" in pages[0]
        and "Dept.: ____________" in pages[0]
    )
    proof = pages[-1]
    assert proof.count("PROOF OF SERVICE") == 1 and "PROOF OF SERVICE" not in " ".join(pages[:-1])
    for expected in (
        "I, CASEY PLACEHOLDER, declare",
        "employed as Legal Secretary by the Office of the District Attorney, County of Example",
        "My business address is 100 Main Street, Suite 200, Example City, California 90000",
        "by delivering a copy by hand",
        "Office of the Public Defender, County of Example 200 Main Street Example City, California 90000",
        "under penalty of perjury",
        "at Example City, California",
    ):
        assert expected in proof, expected
    assert "SURNAME100005,GIVEN, Case No(s). BA100005" in proof


def test_an_offense_committed_under_18_is_challenged_before_the_juvenile_court(filed):
    pdf, word = notice(filed, "100003", juvenile=True)
    for text in (pdf, word):
        assert "JUVENILE COURT" in text and "TO THE JUVENILE COURT AND TO THE OFFICE OF THE PUBLIC DEFENDER" in text
        assert "HS 11361.8(e) and (m)" in text
    assert not (filed / "challenges" / "notice-of-challenge-100003.pdf").exists()


def test_the_public_defender_list_carries_ground_and_facts(filed):
    import csv

    with (filed / "04-public-defender-list.csv").open(encoding="utf-8") as handle:
        rows = {r["conviction_id"]: r for r in csv.DictReader(handle)}
    assert set(rows) == {CID[p] for p in ("100001", "100003", "100005", "100006", "100007", "100008")}
    assert "187 PC, CASC LOS ANGELES, case A123456, convicted 2001-03-04" in rows[CID["100005"]]["ground"]
    assert rows[CID["100003"]]["track"] == "juvenile"


# -- the proof of service is filled from the office profile, which is validated -----------------------------


def profile_with(tmp_path, old: str, new: str):
    text = PROFILE.read_text()
    assert old in text
    path = tmp_path / "office.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_mail_and_electronic_service_print_their_method(run_dir, tmp_path, filed):
    mail = profile_with(tmp_path, "method: personal", "method: mail")
    out = tmp_path / "mail"
    finalize(run_dir, out, approve_all=True, profile=mail)
    text = pdf_text(out / "challenges" / "notice-of-challenge-100005.pdf")
    assert "first-class postage fully prepaid" in text and "United States Postal Service at Example City" in text
    electronic = profile_with(tmp_path, "method: personal", "method: electronic")
    electronic.write_text(electronic.read_text().replace('email: ""', 'email: "pd-service@example.gov"'))
    out = tmp_path / "electronic"
    finalize(run_dir, out, approve_all=True, profile=electronic)
    text = pdf_text(out / "challenges" / "notice-of-challenge-100005.pdf")
    assert "by electronic transmission" in text and "Electronic service address: pd-service@example.gov" in text


@pytest.mark.parametrize(
    "old, new, key",
    [
        ("method: personal", "method: electronic", "public_defender.email is empty"),
        ("method: personal", "method: fax", "service.method"),
        ("    name: CASEY PLACEHOLDER\n", "", "service.server.name"),
        (
            "  address_lines:                     # required: printed on each notice's proof of service\n"
            "    - 200 Main Street\n    - Example City, California 90000\n",
            "  address_lines: []\n",
            "public_defender.address_lines",
        ),
    ],
)
def test_an_incomplete_service_profile_is_refused_naming_the_key(run_dir, tmp_path, old, new, key):
    with pytest.raises(ProfileError, match=key.replace(".", r"\.")):
        finalize(run_dir, tmp_path / "out", approve_all=True, profile=profile_with(tmp_path, old, new))


# -- item 8's finalize side: relief the statute excludes needs a reviewer's override -------------------------


def test_approve_all_refuses_relief_the_statute_excludes(tmp_path):
    # An earlier tool's settings recommend relief for conduct after 9 November 2016 (HS 11361.8(a), (e):
    # "had that act been in effect at the time of the offense"); approve-all cannot override the statute.
    rows = [
        conviction("200001"),
        conviction(
            "200002",
            statutory_exclusion="after_line",
            arrest_date=dt.date(2017, 2, 1),
            conviction_date=dt.date(2017, 6, 1),
        ),
    ]
    run_dir = write_hand_run(tmp_path / "run", rows)
    with pytest.raises(ReviewRejected) as info:
        approve_all(load_run(run_dir))
    (problem,) = info.value.problems
    assert "conviction 200002:001001001" in problem.message and "9 November 2016" in problem.message
    # In the workbook, the same row is accepted with the reviewer's explicit override, and listed as one.
    path = review_with(run_dir, tmp_path / "r.xlsx", {rows[1]["conviction_id"]: {"Override out-of-scope": "Y"}})
    decisions = read_review(path, load_run(run_dir)).decisions
    assert decisions[rows[1]["conviction_id"]].override and not decisions[rows[0]["conviction_id"]].override
    bare = review_with(run_dir, tmp_path / "bare.xlsx", {})
    with pytest.raises(ReviewRejected) as info:
        read_review(bare, load_run(run_dir))
    assert [(p.row, p.column) for p in info.value.problems] == [
        (row_of(run_dir, rows[1]["conviction_id"]), "Override out-of-scope")
    ]
