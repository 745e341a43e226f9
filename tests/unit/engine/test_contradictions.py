"""A record that contradicts itself is reported, not acted on (``blueprint.engine.contradictions``).

Each test writes DOJ-shaped rows by hand, runs the real local run (the background, pruned read
the ``clearance run`` command uses) and follows the contradiction to the decision, the data-issues
report (file and line) and, for dates, to what the filings print. Evaluation date 2020-07-01,
county SACRAMENTO. The rules cited: HS 11361.8(e)-(f) (misdemeanors dismissed and sealed, felonies
redesignated or dismissed), HS 11358(d), 11359(c), 11360(a)(3) (a felony stays a felony with an
earlier super strike, PC 667(e)(2)(C)(iv), which People v. Smit requires to come *before* the
cannabis offense, not in the same case).
"""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from blueprint.filings import finalize
from blueprint.run.local import RunSettings, run_local
from blueprint.review.reader import DECISION_COLUMN, RELIEF_COLUMN
from doj_builder import AS_OF, COUNTY, Person, write_doj

REPO = Path(__file__).resolve().parents[3]
SALE = "11359 HS-POSSESS MARIJUANA FOR SALE"
POSSESS = "11357 HS-POSSESS MARIJUANA"
MURDER = "187 PC-MURDER"
CNT = "001002001000"
SETTINGS = RunSettings(county=COUNTY, evaluation_date=AS_OF)


def run(tmp_path: Path, rows, policy: str = "california", name: str = "doj.dat"):
    """The local run on one hand-built file: (decisions by conviction id, data issues, run folder)."""
    path = write_doj(tmp_path / name, rows)
    out = tmp_path / "run"
    result = run_local([path], SETTINGS.model_copy(update={"policy": policy}), out)
    assert result.manifest["reconciliation"]["balanced"]
    decisions = pd.read_csv(out / "convictions.csv", dtype=str, keep_default_na=False).set_index("conviction_id")
    issues = pd.read_csv(out / "data_issues.csv", dtype=str, keep_default_na=False)
    return decisions, issues, out


def reported(issues: pd.DataFrame, code: str) -> list[tuple[str, int, str]]:
    hit = issues[issues["code"] == code]
    return list(zip(hit["file"], hit["line"].astype(int), hit["column"]))


def age_policy(tmp_path: Path) -> str:
    path = tmp_path / "age-50.yaml"
    path.write_text("name: age-50\nextends: california\nsettings:\n  dismiss_if_age_at_least: 50\n")
    return str(path)


# --- a date of birth that differs between the rows of one person ------------------------------------


def test_dates_of_birth_that_contradict_each_other_make_the_age_doubtful(tmp_path):
    """HS 11361.8(f), county ground 'age 50 or older': decided only if every recorded date agrees."""
    rows = [
        # Person 1: born 1960 on the first row, 1990 on an arrest row (a row the engine otherwise drops).
        Person("1", dob="19600101").arrest("001001001000", SALE, "19990101"),  # line 2
        Person("1", dob="19900101").arrest("001001002000", SALE, "19990101"),  # line 3
        Person("1", dob="19600101").conviction(CNT, SALE, "19990301"),  # line 4
        # Person 2: 1950 and 1955, both over 50 on 2020-07-01: the ground holds either way.
        Person("2", dob="19500101").conviction(CNT, SALE, "19990301"),  # line 5
        Person("2", dob="19550505").conviction("002002001000", SALE, "19990401"),  # line 6
        # Person 3: a later row's date of birth is no date at all.
        Person("3", dob="19500101").conviction(CNT, SALE, "19990301"),  # line 7
        Person("3", dob="19500132", name="OTHER,NAME").arrest("003001001000", SALE, "20000101"),  # line 8
        # Person 4: a later row gives only the year, which agrees with the first row: no contradiction.
        Person("4", dob="19600615").conviction(CNT, SALE, "19990301"),  # line 9
        Person("4", dob="19600000").arrest("002001001000", SALE, "20000101"),  # line 10
        # Person 5: a later row with no date of birth at all contradicts nothing.
        Person("5", dob="19600615").conviction(CNT, SALE, "19990301"),  # line 11
        Person("5", dob="NULL").arrest("002001001000", SALE, "20000101"),  # line 12
    ]
    decisions, issues, _ = run(tmp_path, rows, policy=age_policy(tmp_path))
    assert reported(issues, "DOB_CONFLICT") == [
        ("doj.dat", 3, "PRI_DOB"),
        ("doj.dat", 6, "PRI_DOB"),
        ("doj.dat", 8, "PRI_DOB"),
    ]
    conflict = issues[issues["code"] == "DOB_CONFLICT"]
    assert conflict["problem"].tolist() == [
        f"date of birth differs from the one on the person's first row (line {line} of doj.dat)" for line in (2, 5, 7)
    ]
    assert set(conflict["value"]) == {""}  # a date of birth is personal: never in the report
    assert reported(issues, "PARTIAL_DATE") == [("doj.dat", 10, "PRI_DOB")]  # person 4's later row, reported too

    one, two, three = (decisions.loc[f"{p}:{CNT}"] for p in "123")
    # Born 1960 or 1990, arrested in 1999: 9 or 39 at the offense. Whether it was committed under 18
    # (HS 11361.8(m), the juvenile track) is the first age question, and it cannot be decided.
    assert (one["determination"], one["reason_code"], one["rule_id"]) == (
        "Hand Review",
        "UNDECIDABLE",
        "juvenile-dismiss",
    )
    assert "under 18 at the offense=unknown" in one["rule_facts"]
    assert (two["determination"], two["reason_code"]) == ("Eligible for Dismissal", "ADDITIONAL_AGE")
    assert (three["determination"], three["rule_id"]) == ("Hand Review", "juvenile-dismiss")
    for person in (one, two, three):
        assert person["date_of_birth_status"] == "conflicting" and person["date_of_birth"] == ""
        assert "date of birth conflicting" in person["flags"]
    four, five = decisions.loc[f"4:{CNT}"], decisions.loc[f"5:{CNT}"]
    assert (four["date_of_birth"], four["date_of_birth_status"]) == ("1960-06-15", "ok")
    assert (five["date_of_birth"], five["date_of_birth_status"]) == ("1960-06-15", "ok")
    assert four["reason_code"] == five["reason_code"] == "ADDITIONAL_AGE"


def test_a_doubtful_date_of_birth_decides_only_what_it_can(tmp_path):
    """The California default asks one age question, HS 11361.8(m): was the offense committed under 18?
    Born 1960 or 1970, both adult in 1999: a felony HS 11359 is redesignated (HS 11361.8(f)). Born 1960
    or 1990 (9 or 39 in 1999): the juvenile question cannot be decided, so a person reads the record."""
    rows = [
        Person("1", dob="19600101").conviction(CNT, SALE, "19990301"),
        Person("1", dob="19700101").conviction("002002001000", POSSESS, "19990301", level="MISDEMEANOR"),
        Person("2", dob="19600101").conviction(CNT, SALE, "19990301"),
        Person("2", dob="19900101").conviction("002002001000", POSSESS, "19990301", level="MISDEMEANOR"),
    ]
    decisions, issues, _ = run(tmp_path, rows)
    assert reported(issues, "DOB_CONFLICT") == [("doj.dat", 3, "PRI_DOB"), ("doj.dat", 5, "PRI_DOB")]
    assert decisions.loc[f"1:{CNT}", "reason_code"] == "FELONY_SECTION_REDUCE"
    assert decisions.loc["1:002002001000", "reason_code"] == "MISDEMEANOR_OR_INFRACTION"
    assert decisions.loc[f"2:{CNT}", ["reason_code", "rule_id", "juvenile"]].tolist() == [
        "UNDECIDABLE",
        "juvenile-dismiss",
        "unknown",
    ]


# --- event dates that differ inside one court step ---------------------------------------------------


def super_strike_in_step(date_of_other: str, other_cnt: str = "001002002000") -> list[list[str]]:
    p = Person("1", dob="19600101")
    return [
        p.conviction(CNT, SALE, "19990301"),  # line 2: felony HS 11359
        p.conviction(other_cnt, MURDER, date_of_other, sentence=("PRISON", "15", "Y")),
    ]  # line 3


def test_a_super_strike_in_the_same_step_but_years_earlier_is_a_possible_prior(tmp_path):
    """HS 11359(c): an earlier super strike keeps the felony; dated 1985 in a '1999' step, it may be earlier."""
    decisions, issues, _ = run(tmp_path, super_strike_in_step("19850101"))
    sale = decisions.loc[f"1:{CNT}"]
    assert (sale["determination"], sale["reason_code"], sale["rule_id"]) == (
        "Hand Review",
        "UNDECIDABLE",
        "prior-super-strike",
    )
    assert "prior super strikes=0 before, 1 with an undecidable date" in sale["rule_facts"]
    assert "rows of this court step carry different dates" in sale["flags"]
    assert reported(issues, "STEP_DATE_CONFLICT") == [("doj.dat", 3, "STP_EVENT_DATE")]
    step = issues[issues["code"] == "STEP_DATE_CONFLICT"].iloc[0]
    assert step["value"] == "19850101"
    assert step["problem"].startswith("date differs from line 2 of doj.dat, a conviction row of the same court step")


def test_a_super_strike_in_the_same_step_on_the_same_day_is_not_a_prior(tmp_path):
    """People v. Smit: an offense of the same case does not come before the cannabis offense."""
    decisions, issues, _ = run(tmp_path, super_strike_in_step("19990301"))
    sale = decisions.loc[f"1:{CNT}"]
    assert (sale["determination"], sale["reason_code"]) == ("Eligible for Reduction", "FELONY_SECTION_REDUCE")
    assert reported(issues, "STEP_DATE_CONFLICT") == []
    assert "court step" not in sale["flags"]


def test_a_differing_date_that_is_later_decides_nothing_and_is_still_reported(tmp_path):
    """A step whose other conviction is dated after this one: nothing earlier is hidden."""
    decisions, issues, _ = run(tmp_path, super_strike_in_step("20030101"))
    sale = decisions.loc[f"1:{CNT}"]
    assert sale["reason_code"] == "FELONY_SECTION_REDUCE"
    assert reported(issues, "STEP_DATE_CONFLICT") == [("doj.dat", 3, "STP_EVENT_DATE")]
    assert "rows of this court step carry different dates" in sale["flags"]


def test_padding_and_a_missing_date_are_not_a_different_date(tmp_path):
    """' 19990301' is 19990301; a sentence row with no date says nothing about the step's date."""
    p = Person("1")
    rows = [
        p.conviction(CNT, SALE, "19990301"),
        p.conviction("001002002000", MURDER, " 19990301 "),
        p.sentence_part(CNT, SALE, "", ("JAIL", "10", "D")),
        p.sentence_part(CNT, SALE, "NULL", ("JAIL", "10", "D")),
    ]
    decisions, issues, _ = run(tmp_path, rows)
    assert reported(issues, "STEP_DATE_CONFLICT") == []
    assert decisions.loc[f"1:{CNT}", "reason_code"] == "FELONY_SECTION_REDUCE"  # the murder is of the same case


def test_a_super_strike_in_another_step_is_a_definite_prior(tmp_path):
    """The same 1985 conviction recorded in a step of its own: a plain earlier super strike (HS 11359(c))."""
    decisions, issues, _ = run(tmp_path, super_strike_in_step("19850101", other_cnt="001001001000"))
    assert decisions.loc[f"1:{CNT}", "reason_code"] == "PRIOR_SUPER_STRIKE"
    assert reported(issues, "STEP_DATE_CONFLICT") == []


def test_a_misdemeanor_in_a_doubtful_step_is_still_dismissed(tmp_path):
    """HS 11361.8(f): a misdemeanor is dismissed whatever came before it; the step's dates do not matter."""
    p = Person("1")
    rows = [
        p.conviction(CNT, POSSESS, "19990301", level="MISDEMEANOR"),
        p.conviction("001002002000", MURDER, "19850101"),
        p.sentence_part(CNT, POSSESS, "19990302", ("JAIL", "10", "D"), level="MISDEMEANOR"),
    ]
    decisions, issues, _ = run(tmp_path, rows)
    assert decisions.loc[f"1:{CNT}", "reason_code"] == "MISDEMEANOR_OR_INFRACTION"
    assert reported(issues, "STEP_DATE_CONFLICT") == [
        ("doj.dat", 3, "STP_EVENT_DATE"),
        ("doj.dat", 4, "STP_EVENT_DATE"),
    ]


def test_two_earlier_convictions_of_the_same_section_hidden_in_one_step(tmp_path):
    """HS 11359(c): two earlier convictions of the same section; one of them sits in this step, years earlier."""
    p = Person("1")
    rows = [
        p.conviction("001001001000", SALE, "19880101"),
        p.conviction(CNT, SALE, "19990301"),
        p.conviction("001002002000", SALE, "19920101"),
    ]
    decisions, issues, _ = run(tmp_path, rows)
    sale = decisions.loc[f"1:{CNT}"]
    assert (sale["reason_code"], sale["rule_id"]) == ("UNDECIDABLE", "two-priors")
    # The 1992 count, for its part, has the 1988 one before it and the 1999 one of its step after it.
    assert decisions.loc["1:001002002000", "reason_code"] == "FELONY_SECTION_REDUCE"
    assert reported(issues, "STEP_DATE_CONFLICT") == [("doj.dat", 4, "STP_EVENT_DATE")]


# --- a misdemeanor or infraction with a state-prison term --------------------------------------------


def test_a_misdemeanor_with_a_state_prison_term_has_a_doubtful_level(tmp_path):
    p = Person("1")
    rows = [
        # A misdemeanor (HS 11361.8(f) would dismiss it) whose second sentence part is state prison.
        p.conviction(CNT, POSSESS, "19990301", level="MISDEMEANOR", sentence=("JAIL", "30", "D")),  # line 2
        p.sentence_part(CNT, POSSESS, "19990301", (" STATE PRISON ", "2", "Y"), level="MISDEMEANOR"),  # line 3
        # An infraction by its type of charge, with a prison term, after 9 November 2016: out of scope anyway.
        p.conviction("002002001000", POSSESS, "20170301", level="", toc="I", sentence=("PRISON", "1", "Y")),  # 4
        # A felony with a prison term: nothing doubtful.
        p.conviction("003002001000", SALE, "19990301", sentence=("PRISON", "2", "Y")),  # line 5
    ]
    decisions, issues, _ = run(tmp_path, rows)
    assert reported(issues, "LEVEL_CONFLICT") == [("doj.dat", 3, "SENT_LOC_DESCR"), ("doj.dat", 4, "SENT_LOC_DESCR")]
    level = issues[issues["code"] == "LEVEL_CONFLICT"]
    assert level["value"].tolist() == [
        "STATE PRISON / MISDEMEANOR",
        "PRISON / blank level read from OFFENSE_TOC as infraction",
    ]
    misdemeanor = decisions.loc[f"1:{CNT}"]
    assert misdemeanor["level"] == "unknown"
    assert (misdemeanor["determination"], misdemeanor["rule_id"]) == ("Hand Review", "misdemeanor-or-infraction")
    assert "level doubtful" in misdemeanor["flags"]
    after = decisions.loc["1:002002001000"]
    assert (after["level"], after["reason_code"]) == ("unknown", "OUT_OF_SCOPE_AFTER_LINE")  # level does not matter
    felony = decisions.loc["1:003002001000"]
    assert (felony["level"], felony["reason_code"]) == ("felony", "FELONY_SECTION_REDUCE")


def test_the_los_angeles_pilot_does_not_send_a_doubtful_misdemeanor_to_the_city_attorneys(tmp_path):
    p = Person("1")
    rows = [p.conviction(CNT, POSSESS, "19990301", level="MISDEMEANOR", sentence=("PRISON", "2", "Y"))]
    decisions, _, _ = run(tmp_path, rows, policy="los-angeles-2020")
    assert (decisions.loc[f"1:{CNT}", "determination"], decisions.loc[f"1:{CNT}", "rule_id"]) == (
        "Hand Review",
        "misdemeanor-city-attorney",
    )


# --- invalid dates are never printed as dates --------------------------------------------------------


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    text = (REPO / "templates" / "office-profile.example.yaml").read_text()
    path = tmp_path_factory.mktemp("profile") / "office.yaml"
    path.write_text(text.replace("county: EXAMPLE", f"county: {COUNTY}"))
    return path


def test_invalid_and_partial_dates_on_attachment_a_and_in_the_exports(tmp_path, profile):
    """Misdemeanors, dismissed and sealed (HS 11361.8(f)), of people whose dates are not all full dates."""
    births = {"1": "00000000", "2": "19880332", "3": "19740000", "4": "19740300", "5": "19700101"}
    # Every DOJ row carries the age at the cycle (CYC_AGE): with no valid date of birth, it tells that
    # the offense was not committed under 18 (HS 11361.8(m)), so persons 1 and 2 are on the adult track.
    rows = [
        Person(pid, dob=dob).conviction(CNT, POSSESS, "19990301", level="MISDEMEANOR", CYC_AGE="25")
        for pid, dob in births.items()
    ]
    rows.append(Person("5", dob="19710101").arrest("002001001000", POSSESS, "20000101"))  # person 5: contradicted
    # Person 6: a partial conviction date (a data problem: hand review), granted by the office in review.
    rows.append(Person("6", dob="19700101").conviction(CNT, POSSESS, "19990300", level="MISDEMEANOR"))
    _, _, out = run(tmp_path, rows)
    reviewed = tmp_path / "reviewed.xlsx"
    book = openpyxl.load_workbook(out / "review.xlsx")
    sheet = book["Convictions"]
    header = [c.value for c in sheet[1]]
    # The review workbook shows a date of birth only where it is a full, uncontradicted date.
    born = {
        sheet.cell(r, header.index("Person ID") + 1).value: sheet.cell(r, header.index("Date of birth") + 1).value
        for r in range(2, sheet.max_row + 1)
    }
    assert {pid: (None if v is None else v.date().isoformat()) for pid, v in born.items()} == {
        "1": None,
        "2": None,
        "3": None,
        "4": None,
        "5": None,
        "6": "1970-01-01",
    }
    for r in range(2, sheet.max_row + 1):
        if sheet.cell(r, header.index("Person ID") + 1).value == "6":
            sheet.cell(r, header.index(DECISION_COLUMN) + 1).value = "No challenge - different relief"
            sheet.cell(r, header.index(RELIEF_COLUMN) + 1).value = "Dismiss and seal"
    book.save(reviewed)
    finalize(out, tmp_path / "filings", review=reviewed, profile=profile)

    with open(tmp_path / "filings" / "02-attachment-a.csv", newline="", encoding="utf-8") as fh:
        listed = {row["person_id"]: row for row in csv.DictReader(fh)}
    assert {pid: row["date_of_birth"] for pid, row in listed.items()} == {
        "1": "",
        "2": "",
        "3": "1974",
        "4": "1974-03",
        "5": "",
        "6": "1970-01-01",
    }
    assert {pid: row["conviction_date"] for pid, row in listed.items()} == {
        "1": "1999-03-01",
        "2": "1999-03-01",
        "3": "1999-03-01",
        "4": "1999-03-01",
        "5": "1999-03-01",
        "6": "1999-03",
    }
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "filings").rglob("*.csv"))
    for raw in ("00000000", "19880332", "19740000", "19740300", "0000-00", "1988-03-32"):
        assert raw not in text, raw
