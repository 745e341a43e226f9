"""Every predicate of the policy language, true / false / unknown, on hand-built records.

Each test builds a few people, each made for one case, runs the real reader, records and facts on
them, and asks one predicate. Evaluation date 2020-07-01 and county SACRAMENTO unless a test says
otherwise; the expected answers were worked out by hand from the dates in the rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from blueprint.engine.predicates import PREDICATES, EvalContext
from doj_builder import AS_OF, Person, facts_of, three

T, F, U = True, False, None
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"
CASE = "001002001000"  # the cannabis conviction of each person below


def ask(facts: pd.DataFrame, name: str, argument, as_of: str = AS_OF) -> dict:
    predicate = PREDICATES[name]
    values = predicate.test(facts, EvalContext(np.datetime64(as_of, "D")), predicate.validate(argument))
    assert len(values) == len(facts)
    return dict(zip(facts["conviction_id"], three(values)))


def cannabis_of(people: dict[str, tuple], **kw) -> list:
    """One cannabis conviction per person: {pid: (date, extra rows...)}."""
    rows = []
    for pid, (date, *extra) in people.items():
        rows.append(Person(pid).conviction(CASE, CAN, date, **kw))
        rows.extend(extra)
    return rows


def ids(answers: dict[str, object]) -> dict:
    return {f"{pid}:{CASE}": value for pid, value in answers.items()}


COVERED: set[str] = set()


def covers(*names):
    COVERED.update(names)
    return lambda f: f


# --- the conviction itself ---------------------------------------------------------------------------


@covers("felony", "level_in")
def test_felony_and_level_in(tmp_path):
    rows = [
        Person("1").conviction(CASE, CAN, "19990301", level="FELONY"),
        Person("2").conviction(CASE, CAN, "19990301", level="MISDEMEANOR"),
        Person("3").conviction(CASE, CAN, "19990301", level="INFRACTION"),
        Person("4").conviction(CASE, CAN, "19990301", level="", toc="F"),
        Person("5").conviction(CASE, CAN, "19990301", level="", toc=""),
        Person("6").conviction(CASE, CAN, "19990301", level="UNKNOWN WORD"),
    ]
    facts = facts_of(tmp_path, rows)
    assert ask(facts, "felony", True) == ids({"1": T, "2": F, "3": F, "4": T, "5": U, "6": U})
    assert ask(facts, "felony", False) == ids({"1": F, "2": T, "3": T, "4": F, "5": U, "6": U})
    assert ask(facts, "level_in", ["misdemeanor", "INFRACTION"]) == ids(
        {"1": F, "2": T, "3": T, "4": F, "5": U, "6": U}
    )


@covers("section_in", "section_matches")
def test_section_in_and_section_matches(tmp_path):
    offenses = {
        "1": "11357(A) HS-POSS CONC CANNABIS",
        "2": "11357(B)(1) HS-POSS MARIJUANA",
        "3": "11357 HS-POSS",
        "4": "11357(C) HS-POSS OVER 28.5",
        "5": "11358(A) HS-CULTIVATE",
        "6": "664/11357(B) HS-ATTEMPT",
        "7": "11357(b) hs-lower case",
    }
    facts = facts_of(tmp_path, [Person(pid).conviction(CASE, text, "19990301") for pid, text in offenses.items()])
    assert ask(facts, "section_in", ["11357"]) == ids({"1": T, "2": T, "3": T, "4": T, "5": F, "6": T, "7": T})
    assert ask(facts, "section_in", [11358, "11360"]) == ids({"1": F, "2": F, "3": F, "4": F, "5": T, "6": F, "7": F})
    assert ask(facts, "section_matches", ["11357(A)", "11357(B)"]) == ids(
        {"1": T, "2": T, "3": F, "4": F, "5": F, "6": T, "7": T}
    )
    assert ask(facts, "section_matches", ["11358"]) == ids({"1": F, "2": F, "3": F, "4": F, "5": T, "6": F, "7": F})


def test_section_in_is_anchored():
    # Only the section number is compared, whole: 11357.5 (synthetic cannabinoids) is not 11357.
    facts = pd.DataFrame({"number": ["11357", "11357.5", "111357", "1135", "11357"]})
    pred = PREDICATES["section_in"]
    out = three(pred.test(facts, EvalContext(np.datetime64(AS_OF)), pred.validate(["11357"])))
    assert out == [T, F, F, F, T]


@covers("conviction_before", "conviction_on_or_after")
def test_conviction_before_and_on_or_after_with_partial_dates(tmp_path):
    when = {
        "1": "20100101",
        "2": "20161108",
        "3": "20161109",
        "4": "20161110",
        "5": "20160300",
        "6": "20161100",
        "7": "20161200",
        "8": "20160000",
        "9": "20150000",
        "10": "20161345",
        "11": "NULL",
    }
    facts = facts_of(tmp_path, [Person(pid).conviction(CASE, CAN, d) for pid, d in when.items()])
    before = {"1": T, "2": T, "3": F, "4": F, "5": T, "6": U, "7": F, "8": U, "9": T, "10": U, "11": U}
    assert ask(facts, "conviction_before", "2016-11-09") == ids(before)
    after = {pid: (None if v is None else not v) for pid, v in before.items()}
    assert ask(facts, "conviction_on_or_after", "2016-11-09") == ids(after)


# --- the record before this conviction ---------------------------------------------------------------


@covers("prior_super_strike")
def test_prior_super_strike(tmp_path):
    murder = "187 PC-MURDER"

    def strike(pid, cnt, date, offense=murder, county="FRESNO"):
        return Person(pid).conviction(cnt, offense, date, county=county)

    rows = cannabis_of(
        {
            "1": ("19990301", strike("1", "002001001000", "19900101")),  # before, another case, another county
            "2": ("19990301", strike("2", "002001001000", "20050101")),  # after
            "3": (
                "19990301",
                strike("3", "001002002000", "19990301", county="SACRAMENTO"),
            ),  # same case (People v. Smit)
            "4": ("19990301", strike("4", "002001001000", "NULL")),  # date unknown
            "5": ("19990301", strike("5", "002001001000", "19990000")),  # partial: may be before or after
            "6": ("19990301", strike("6", "002001001000", "19980000")),  # partial, but the whole year is before
            "7": ("19990301",),  # none
            "8": ("19990301", strike("8", "002001001000", "19900101", offense="664/187 PC-ATTEMPTED MURDER")),
            "9": ("19990301", strike("9", "002001001000", "19900101", offense="664/207 PC-ATTEMPTED KIDNAPPING")),
            "10": ("NULL", strike("10", "002001001000", "19900101")),  # this conviction's date is unknown
        }
    )
    facts = facts_of(tmp_path, rows)
    expected = {"1": T, "2": F, "3": F, "4": U, "5": U, "6": T, "7": F, "8": T, "9": F, "10": U}
    assert ask(facts, "prior_super_strike", True) == ids(expected)
    assert ask(facts, "prior_super_strike", False) == ids(
        {k: (None if v is None else not v) for k, v in expected.items()}
    )


@covers("prior_pc290")
def test_prior_pc290_offense(tmp_path):
    """HS 11359(c)(1): a prior conviction of an offense requiring registration under PC 290(c)."""
    exposure = "314(1) PC-INDECENT EXPOSURE"
    rows = cannabis_of(
        {
            "1": ("19990301", Person("1").conviction("002001001000", exposure, "19900101", level="MISDEMEANOR")),
            "2": ("19990301", Person("2").conviction("002001001000", exposure, "20050101", level="MISDEMEANOR")),
            "3": ("19990301", Person("3").registration("19950505")),  # a registration alone: prior_registration
            "4": (
                "19990301",
                Person("4").conviction("002001001000", "314 PC-INDECENT EXPOSURE", "19900101"),
            ),  # (1)-(2) only
            "5": ("19990301", Person("5").conviction("002001001000", "261 PC-RAPE", "19900101")),  # 261: any paragraph
            "6": (
                "19990301",
                Person("6").conviction("002001001000", "653F PC-SOLICIT", "19900101"),
            ),  # 653f(b)-(c) only
            "7": ("19990301",),
        }
    )
    facts = facts_of(tmp_path, rows)
    expected = {"1": T, "2": F, "3": F, "4": U, "5": T, "6": U, "7": F}
    assert ask(facts, "prior_pc290", True) == ids(expected)
    assert ask(facts, "prior_pc290", False) == ids({k: (None if v is None else not v) for k, v in expected.items()})


@covers("prior_registration")
def test_prior_registration(tmp_path):
    rows = cannabis_of(
        {
            "3": ("19990301", Person("3").registration("19950505")),
            "4": ("19990301", Person("4").registration("20030505")),
            "5": ("19990301", Person("5").registration("")),  # registration without a date: unknown, never true
            "6": ("19990301", Person("6").registration("NULL")),
            "7": ("19990301",),
            "8": ("19990301", Person("8").registration("19990201")),  # between the arrest and the conviction
        },
        CYC_DATE="19990101",
    )
    facts = facts_of(tmp_path, rows)
    # Person 8 registered on 1 February 1999, after the arrest of 1 January 1999: not before the offense.
    expected = {"3": T, "4": F, "5": U, "6": U, "7": F, "8": F}
    assert ask(facts, "prior_registration", True) == ids(expected)


@covers("super_strike_before_conviction", "pc290_or_registration_before_conviction")
def test_the_earlier_tools_compare_with_the_conviction_date(tmp_path):
    """The Los Angeles pilot's reading: priors before this conviction, registration counting as PC 290;
    the statute's (prior_super_strike) looks at the offense: a conviction between the arrest and this
    conviction is not a prior (People v. Smit)."""
    murder = "187 PC-MURDER"
    rows = cannabis_of(
        {
            "1": ("19990301", Person("1").conviction("002001001000", murder, "19980601", county="FRESNO")),
            "2": ("19990301", Person("2").conviction("002001001000", murder, "19970101", county="FRESNO")),
            "3": ("19990301", Person("3").registration("19980601")),
            "4": ("19990301", Person("4").conviction("002001001000", "245 PC-ASSAULT", "19900101", county="FRESNO")),
        },
        CYC_DATE="19980101",
    )
    facts = facts_of(tmp_path, rows)
    assert ask(facts, "super_strike_before_conviction", True) == ids({"1": T, "2": T, "3": F, "4": F})
    assert ask(facts, "prior_super_strike", True) == ids({"1": F, "2": T, "3": F, "4": U})  # 245 may be 245(d)(3)
    assert ask(facts, "pc290_or_registration_before_conviction", True) == ids({"1": F, "2": F, "3": T, "4": F})


@covers("offense_before", "offense_on_or_after")
def test_offense_before_and_on_or_after_the_line(tmp_path):
    """HS 11361.8(a), (e): 'at the time of the offense'; the arrest (cycle) date dates it; without one,
    only the conviction date bounds it from above."""
    cases = {  # pid: (arrest, conviction)
        "1": ("20160601", "20170301"),  # arrested before, convicted after
        "2": ("20161109", "20170301"),  # arrested on the day Proposition 64 took effect
        "3": ("20161108", "20161108"),
        "4": ("", "20150101"),  # no arrest date, convicted before: the offense too
        "5": ("", "20170301"),  # no arrest date, convicted after: the offense may be either side
        "6": ("20160000", "20170301"),  # partial arrest date, all of 2016: may be either side
        "7": ("20170101", "20160101"),  # arrest after the conviction: contradictory, only the conviction bounds it
    }
    rows = [
        Person(pid).conviction(CASE, CAN, conviction, CYC_DATE=arrest) for pid, (arrest, conviction) in cases.items()
    ]
    facts = facts_of(tmp_path, rows)
    before = {"1": T, "2": F, "3": T, "4": T, "5": U, "6": U, "7": T}
    assert ask(facts, "offense_before", "2016-11-09") == ids(before)
    assert ask(facts, "offense_on_or_after", "2016-11-09") == ids(
        {k: (None if v is None else not v) for k, v in before.items()}
    )


@covers("juvenile")
def test_juvenile_is_the_age_at_the_offense(tmp_path):
    """HS 11361.8(m): an offense committed under 18; age from the date of birth and the arrest date."""
    cases = {  # pid: (date of birth, arrest, conviction, CYC_AGE)
        "1": ("19800601", "19980531", "19990301", ""),  # 17 the day of the arrest, 18 when convicted
        "2": ("19800601", "19980601", "19990301", ""),  # 18 on the day of the arrest
        "3": ("19800000", "19980301", "19990301", ""),  # born some day of 1980: 17 or 18
        "4": ("19800000", "19970301", "19990301", ""),  # 16 or 17 whatever the day
        "5": ("00000000", "19980301", "19990301", "17"),  # no date of birth: DOJ's age at the cycle decides
        "6": ("00000000", "19980301", "19990301", ""),  # nothing to tell
        "7": ("19600101", "", "19990301", ""),  # no arrest date: the offense may be any day before 1999
        "8": ("19850101", "", "19990301", ""),  # no arrest date, 14 at the conviction: under 18 whenever
    }
    rows = [
        Person(pid, dob=dob).conviction(CASE, CAN, conv, CYC_DATE=arrest, CYC_AGE=age)
        for pid, (dob, arrest, conv, age) in cases.items()
    ]
    facts = facts_of(tmp_path, rows)
    expected = {"1": T, "2": F, "3": U, "4": T, "5": T, "6": U, "7": U, "8": T}
    assert ask(facts, "juvenile", True) == ids(expected)
    assert ask(facts, "juvenile", False) == ids({k: (None if v is None else not v) for k, v in expected.items()})


@covers("counted_priors")
def test_counted_priors_follow_the_two_priors_subdivision(tmp_path):
    """HS 11360(a)(3)(B): priors 'under paragraph (2)' of (a). An old 11360(a) sale counts; an old
    11360(b) giving away of 28.5 g or less does not; a bare old 11360 may be either."""
    sale = "11360 HS-SELL MARIJUANA"

    def prior(pid, cnt, offense, date="19950101"):
        return Person(pid, dob="19600101").conviction(cnt, offense, date, county="FRESNO")

    rows = []
    for pid, priors in {
        "1": ["11360(A) HS-SELL", "11360(A) HS-TRANSPORT"],
        "2": ["11360(A) HS-SELL", "11360(B) HS-GIVE AWAY 28.5 GRAMS OR LESS"],
        "3": ["11360(A) HS-SELL", "11360 HS-SELL/FURNISH"],
        "4": ["11360(B) HS-GIVE AWAY", "11360(B) HS-GIVE AWAY"],
    }.items():
        rows.append(Person(pid, dob="19600101").conviction(CASE, sale, "19990301"))
        rows += [prior(pid, f"00{k + 3}001001000", text) for k, text in enumerate(priors)]
    facts = facts_of(tmp_path, rows)
    assert ask(facts, "counted_priors", {"at_least": 2}) == ids({"1": T, "2": F, "3": U, "4": F})
    assert facts.loc[f"3:{CASE}", ["counted_priors_definite", "counted_priors_possible"]].tolist() == [1, 1]


@covers("felony_hint")
def test_felony_hint(tmp_path):
    """HS 11360(a)(3)(C)-(D), 11358(d)(3): the description or a companion count in the same case."""
    rows = [
        Person("1").conviction(CASE, "11360 HS-SELL MARIJUANA TO MINOR", "19990301"),
        Person("2").conviction(CASE, "11360 HS-SELL MARIJUANA", "19990301"),
        Person("3").conviction(CASE, "11358 HS-CULTIVATE MARIJUANA", "19990301"),
        Person("3").court("001002002000", "11361(A) HS-EMPLOY MINOR TO SELL MARIJUANA", "19990301", "DISMISSED"),
        Person("4").conviction(CASE, "11360 HS-SELL MARIJUANA", "19990301"),
        Person("4").court("001002002000", "11361(A) HS-EMPLOY MINOR TO SELL MARIJUANA", "19990301", "DISMISSED"),
    ]
    facts = facts_of(tmp_path, rows)
    # Person 3's companion count speaks of minors, which 11358 has no felony for: no hint.
    assert ask(facts, "felony_hint", True) == ids({"1": T, "2": F, "3": F, "4": T})
    assert facts.loc[f"4:{CASE}", "felony_hint"] == "companion HS 11361 (employing, using or furnishing to a minor)"


@covers("earlier_same_section_convictions")
def test_earlier_same_section_convictions(tmp_path):
    def c(pid, cnt, date, offense=CAN, county="SACRAMENTO"):
        return Person(pid).conviction(cnt, offense, date, county=county)

    rows = [
        # Person 1: three 11359s in three cases; the last has two earlier ones.
        c("1", "001001001000", "19900101"),
        c("1", "002001001000", "19950101"),
        c("1", "003001001000", "19990301"),
        # Person 2: an 11358 in between does not count for an 11359.
        c("2", "001001001000", "19900101"),
        c("2", "002001001000", "19950101", "11358 HS-CULTIVATE"),
        c("2", "003001001000", "19990301"),
        # Person 3: one earlier 11359 dated, one undated: one or two.
        c("3", "001001001000", "19900101"),
        c("3", "002001001000", "NULL"),
        c("3", "003001001000", "19990301"),
        # Person 4: two counts in the same case are not earlier convictions of each other.
        c("4", "001001001000", "19990301"),
        c("4", "001001002000", "19990301"),
        c("4", "001001003000", "19990301"),
        # Person 5: earlier 11359s in another county count (the record is context).
        c("5", "001001001000", "19900101", county="FRESNO"),
        c("5", "002001001000", "19950101", county="FRESNO"),
        c("5", "003001001000", "19990301"),
    ]
    facts = facts_of(tmp_path, rows)
    got = ask(facts, "earlier_same_section_convictions", {"at_least": 2})
    assert got == {
        "1:001001001000": F,
        "1:002001001000": F,
        "1:003001001000": T,
        "2:001001001000": F,
        "2:002001001000": F,
        "2:003001001000": F,
        "3:001001001000": F,
        "3:002001001000": U,
        "3:003001001000": U,
        "4:001001001000": F,
        "4:001001002000": F,
        "4:001001003000": F,
        "5:003001001000": T,
    }
    assert ask(facts, "earlier_same_section_convictions", {"at_least": 1})["3:003001001000"] is T
    assert ask(facts, "earlier_same_section_convictions", {"under": 1})["1:001001001000"] is T


# --- the person ---------------------------------------------------------------------------------------


@covers("age_on_evaluation_date")
def test_age_on_evaluation_date(tmp_path):
    born = {
        "1": "19700701",
        "2": "19700702",
        "3": "19700000",
        "4": "19690000",
        "5": "NULL",
        "6": "00000000",
        "7": "19990701",
        "8": "19980701",
        "9": "19700600",
        "10": "19700700",
    }
    facts = facts_of(tmp_path, [Person(pid, dob=d).conviction(CASE, CAN, "19990301") for pid, d in born.items()])
    assert ask(facts, "age_on_evaluation_date", {"at_least": 50}) == ids(
        {"1": T, "2": F, "3": U, "4": T, "5": U, "6": U, "7": F, "8": F, "9": T, "10": U}
    )
    assert ask(facts, "age_on_evaluation_date", {"at_most": 21}) == ids(
        {"1": F, "2": F, "3": F, "4": F, "5": U, "6": U, "7": T, "8": F, "9": F, "10": F}
    )
    # Another evaluation date moves every age: nothing reads the wall clock.
    assert ask(facts, "age_on_evaluation_date", {"at_least": 50}, as_of="2000-01-01")["1:" + CASE] is F
    assert ask(facts, "age_on_evaluation_date", {"at_least": 50}, as_of="2020-07-01")["1:" + CASE] is T


@covers("age_at_conviction")
def test_age_at_conviction(tmp_path):
    cases = {
        "1": ("19780302", "19990301"),
        "2": ("19780301", "19990301"),
        "3": ("19780000", "19990301"),
        "4": ("19780601", "19990000"),
        "5": ("19780601", "NULL"),
        "6": ("NULL", "19990301"),
        "7": ("19800229", "20010228"),
        "8": ("19800229", "20010301"),
    }
    facts = facts_of(tmp_path, [Person(pid, dob=d).conviction(CASE, CAN, c) for pid, (d, c) in cases.items()])
    assert ask(facts, "age_at_conviction", {"under": 21}) == ids(
        {"1": T, "2": F, "3": U, "4": U, "5": U, "6": U, "7": T, "8": F}
    )
    # Born 29 February 1980: 20 on 28 February 2001 and 21 on 1 March 2001.
    assert ask(facts, "age_at_conviction", {"at_least": 21}) == ids(
        {"1": F, "2": T, "3": U, "4": U, "5": U, "6": U, "7": F, "8": T}
    )


@covers("years_since_conviction")
def test_years_since_conviction(tmp_path):
    when = {
        "1": "20100701",
        "2": "20100702",
        "3": "20100000",
        "4": "20090000",
        "5": "NULL",
        "6": "20100600",
        "7": "20100630",
    }
    facts = facts_of(tmp_path, [Person(pid).conviction(CASE, CAN, d) for pid, d in when.items()])
    # At least 10 years: on or before 2010-07-01.
    assert ask(facts, "years_since_conviction", {"at_least": 10}) == ids(
        {"1": T, "2": F, "3": U, "4": T, "5": U, "6": T, "7": T}
    )
    assert ask(facts, "years_since_conviction", {"at_least": 10}, as_of="2020-06-30") == ids(
        {"1": F, "2": F, "3": U, "4": T, "5": U, "6": T, "7": T}
    )


@covers("years_without_conviction")
def test_years_without_conviction(tmp_path):
    def other(pid, date, county="FRESNO"):
        return Person(pid).conviction("005001001000", "459 PC-BURGLARY", date, county=county)

    rows = cannabis_of(
        {
            "1": ("19990301",),
            "2": ("19990301", other("2", "20150101")),  # a later conviction of any offense, any county
            "3": ("19990301", other("3", "20100701")),  # exactly on the cut-off is not before it
            "4": ("19990301", other("4", "20100630")),
            "5": ("19990301", other("5", "NULL")),  # an undated conviction may be recent
            "6": (
                "19990301",
                other("6", "NULL"),
                Person("6").conviction("006001001000", "459 PC-BURGLARY", "20150101"),
            ),
            "7": ("19990301", other("7", "20100000")),  # partial year spanning the cut-off
            "8": (
                "19990301",
                Person("8").arrest("007001001000", "459 PC-BURGLARY", "20190101"),
            ),  # an arrest is no conviction
        }
    )
    facts = facts_of(tmp_path, rows)
    assert ask(facts, "years_without_conviction", {"at_least": 10}) == ids(
        {"1": T, "2": F, "3": F, "4": T, "5": U, "6": F, "7": U, "8": T}
    )
    # The evaluation date decides, never the wall clock.
    assert ask(facts, "years_without_conviction", {"at_least": 5}, as_of="2004-01-01")["1:" + CASE] is F
    assert ask(facts, "years_without_conviction", {"at_least": 5}, as_of="2004-03-02")["1:" + CASE] is T


@covers("only_cannabis_convictions")
def test_only_cannabis_convictions(tmp_path):
    def conv(pid, cnt, offense, county="SACRAMENTO", comment=""):
        return Person(pid).conviction(cnt, offense, "20000101", county=county, comment=comment)

    rows = cannabis_of(
        {
            "1": ("19990301", conv("1", "002001001000", "664/11360 HS-ATTEMPT", county="FRESNO")),
            "2": ("19990301", conv("2", "002001001000", "459 PC-BURGLARY")),
            "3": ("19990301", conv("3", "002001001000", "SEE COMMENT FOR CHARGE")),  # unreadable section
            "4": (
                "19990301",
                conv("4", "002001001000", "SEE COMMENT FOR CHARGE"),
                conv("4", "003001001000", "459 PC-BURG"),
            ),
            "5": (
                "19990301",
                Person("5").arrest("002001001000", "459 PC-BURGLARY", "20000101"),
                Person("5").court("002002001000", "459 PC-BURGLARY", "20000101", "DISMISSED"),
            ),
            "6": ("19990301", conv("6", "002001001000", "11357.5 HS-SYNTHETIC CANNABINOIDS")),
            "7": ("19990301", conv("7", "002001001000", "SEE COMMENT FOR CHARGE", comment="11357 HS-POSS")),
        }
    )
    facts = facts_of(tmp_path, rows)
    # Person 7's charge read from the comment is an 11357 in the county: evaluated too.
    expected = {**ids({"1": T, "2": F, "3": U, "4": F, "5": T, "6": F, "7": T}), "7:002001001000": T}
    assert ask(facts, "only_cannabis_convictions", True) == expected
    assert ask(facts, "only_cannabis_convictions", False) == {
        k: (None if v is None else not v) for k, v in expected.items()
    }


@covers("sentence")
def test_sentence_running_or_complete(tmp_path):
    cases = {
        "1": ("20190101", ("PROBATION", "3", "Y")),  # ends 2022
        "2": ("20100101", ("JAIL", "1", "Y")),
        "3": ("20190701", ("JAIL", "366", "D")),  # ends on the evaluation date itself: complete
        "4": ("20190701", ("JAIL", "367", "D")),  # ends the day after: running
        "5": ("20190101", ("JAIL", "X", "D")),  # unreadable
        "6": ("20190000", ("JAIL", "1", "Y")),  # ends some day of 2020
        "7": ("20200701", None),  # no sentence: ends on the conviction date
        "8": ("NULL", ("JAIL", "1", "D")),
    }
    rows = [Person(pid).conviction(CASE, CAN, d, sentence=s) for pid, (d, s) in cases.items()]
    facts = facts_of(tmp_path, rows)
    running = {"1": T, "2": F, "3": F, "4": T, "5": U, "6": U, "7": F, "8": U}
    assert ask(facts, "sentence", "running") == ids(running)
    assert ask(facts, "sentence", "complete") == ids({k: (None if v is None else not v) for k, v in running.items()})


@covers("all_sentences_complete")
def test_all_sentences_complete(tmp_path):
    def other(pid, date, sentence):
        return Person(pid).conviction("005001001000", "459 PC-BURGLARY", date, county="FRESNO", sentence=sentence)

    rows = cannabis_of(
        {
            "1": ("19990301", other("1", "20050101", ("JAIL", "1", "Y"))),
            "2": ("19990301", other("2", "20190101", ("PROBATION", "3", "Y"))),  # another sentence still running
            "3": ("19990301", other("3", "20050101", ("JAIL", "X", "Y"))),  # an unknown sentence may be running
            "4": (
                "19990301",
                other("4", "20050101", ("JAIL", "X", "Y")),
                Person("4").conviction("006001001000", "459 PC-BURGLARY", "20190101", sentence=("PROBATION", "3", "Y")),
            ),
            "5": ("19990301", other("5", "NULL", ("JAIL", "1", "D"))),
        },
        sentence=("PROBATION", "1", "Y"),
    )
    facts = facts_of(tmp_path, rows)
    expected = {"1": T, "2": F, "3": U, "4": F, "5": U}
    assert ask(facts, "all_sentences_complete", True) == ids(expected)
    assert ask(facts, "all_sentences_complete", False) == ids(
        {k: (None if v is None else not v) for k, v in expected.items()}
    )


@covers("deceased")
def test_deceased(tmp_path):
    facts = facts_of(tmp_path, cannabis_of({"1": ("19990301", Person("1").deceased("20150101")), "2": ("19990301",)}))
    assert ask(facts, "deceased", True) == ids({"1": T, "2": F})
    assert ask(facts, "deceased", False) == ids({"1": F, "2": T})


@covers("data_problem", "always")
def test_data_problem_and_always(tmp_path):
    rows = [
        Person("1").conviction(CASE, CAN, "19990301"),
        Person("2").conviction("0012", CAN, "19990301"),
        Person("3").conviction(CASE, CAN, "19990000"),
        Person("4").conviction(CASE, CAN, "19990301", level="", toc=""),
        Person("5").conviction(CASE, CAN, "19990301", sentence=("JAIL", "?", "D")),
    ]
    facts = facts_of(tmp_path, rows)
    expected = {"1:" + CASE: F, "2:L0.3": T, "3:" + CASE: T, "4:" + CASE: T, "5:" + CASE: T}
    assert ask(facts, "data_problem", True) == expected
    assert ask(facts, "data_problem", False) == {k: not v for k, v in expected.items()}
    assert set(ask(facts, "always", True).values()) == {True}
    assert set(ask(facts, "always", False).values()) == {False}


@covers("case_has_charge_on")
def test_case_has_charge_on_with_a_pack_that_checks_related_charges(tmp_path):
    import shutil

    from blueprint.engine.rulepack import RULES_DIR, load_rule_pack

    # California's pack checks no same-case list; a copy of it that checks the "related" list does.
    folder = tmp_path / "pack"
    shutil.copytree(RULES_DIR / "california" / "prop64", folder)
    (folder / "pack.yaml").write_text((folder / "pack.yaml").read_text() + "\ncase_context_lists: [related]\n")
    pack = load_rule_pack(str(folder))
    assert pack.case_context_lists == ("related",)

    def charge(pid, cnt, offense, disposition="DISMISSED"):
        return Person(pid).court(cnt, offense, "19990301", disposition)

    rows = cannabis_of(
        {
            "1": ("19990301", charge("1", "001002002000", "647(F) PC-DISORDERLY CONDUCT")),  # same case, dismissed
            "2": ("19990301", charge("2", "002001001000", "647(F) PC-DISORDERLY CONDUCT", "CONVICTED")),  # other case
            "3": ("19990301", charge("3", "001002002000", "SEE COMMENT FOR CHARGE")),  # unreadable charge in the case
            "4": ("19990301",),
            "5": ("19990301", charge("5", "001002002000", "1647(F) PC-NOT THE SAME SECTION")),
        }
    )
    rows.append(Person("6").conviction("06", CAN, "19990301"))  # its court case is unknown
    facts = facts_of(tmp_path, rows, pack=pack)
    expected = {**ids({"1": T, "2": F, "3": U, "4": F, "5": F}), "6:L0.11": U}
    assert ask(facts, "case_has_charge_on", "related") == expected
    # A list the pack does not check cannot be asked about.
    with pytest.raises(ValueError, match="case_context_lists"):
        ask(facts, "case_has_charge_on", "super_strikes")
    with pytest.raises(ValueError):
        PREDICATES["case_has_charge_on"].validate("")


def test_every_predicate_has_a_test():
    assert COVERED == set(PREDICATES)


# --- arguments and descriptions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, argument",
    [
        ("felony", "yes"),
        ("deceased", 1),
        ("level_in", ["felon"]),
        ("section_in", []),
        ("section_in", {"a": 1}),
        ("conviction_before", "09/11/2016"),
        ("conviction_on_or_after", "2016-13-01"),
        ("age_on_evaluation_date", {"between": 50}),
        ("age_on_evaluation_date", {"at_least": -1}),
        ("age_on_evaluation_date", {"at_least": True}),
        ("age_at_conviction", 21),
        ("years_since_conviction", {"at_least": 10, "at_most": 20}),
        ("sentence", "maybe"),
        ("earlier_same_section_convictions", {"at_least": "2"}),
    ],
)
def test_bad_arguments_are_refused(name, argument):
    with pytest.raises(ValueError):
        PREDICATES[name].validate(argument)


def test_descriptions_show_the_values_that_decided(tmp_path):
    rows = cannabis_of(
        {
            "1": (
                "19990301",
                Person("1").conviction("002001001000", "187 PC-MURDER", "19900101"),
                Person("1").conviction("003001001000", "187 PC-MURDER", "NULL"),
            )
        }
    )
    rows[0] = Person("1", dob="19700000").conviction(CASE, CAN, "19990301")
    facts = facts_of(tmp_path, rows)
    ctx = EvalContext(np.datetime64(AS_OF, "D"))
    assert list(PREDICATES["age_on_evaluation_date"].describe(facts, ctx, None)) == ["49-50"]
    assert list(PREDICATES["prior_super_strike"].describe(facts, ctx, None)) == ["1 before, 1 with an undecidable date"]
    assert list(PREDICATES["conviction_before"].describe(facts, ctx, None)) == ["1999-03-01"]


def test_every_fact_a_predicate_reads_is_built(tmp_path):
    """Each declaration names facts that ``build_facts`` really writes (a renamed fact column fails here,
    not at a county's run)."""
    facts = facts_of(tmp_path, cannabis_of({"1": ("19990301",)}))
    for predicate in PREDICATES.values():
        for column in predicate.reads:
            if column.endswith("*"):  # one column per list of the rule pack's case_context_lists
                continue
            assert column in facts.columns, f"{predicate.name} reads '{column}', which the facts do not have"
