"""The built-in presets on hand-built people: one test per rule of each preset.

County SACRAMENTO, evaluation date 2020-07-01. Every person is built so that exactly the rule
under test is the first one that holds (the comments say why the earlier rules do not).
"""

from __future__ import annotations

import pytest

from blueprint.engine.evaluate import HAND_REVIEW
from blueprint.run.policies import load_policy
from doj_builder import Person, decide

C = "001002001000"  # the conviction under test, in every person below
POSS_SALE = "11359 HS-POSSESS MARIJUANA FOR SALE"


def rows_for(
    pid: str,
    date: str = "20050101",
    offense: str = POSS_SALE,
    level: str = "FELONY",
    dob: str = "19800101",
    sentence=("PROBATION", "1", "Y"),
    extra=(),
    cnt: str = C,
) -> list:
    p = Person(pid, dob=dob)
    return [p.conviction(cnt, offense, date, level=level, sentence=sentence)] + [e(p) for e in extra]


def murder(date, cnt="002001001000"):
    return lambda p: p.conviction(cnt, "187 PC-MURDER", date, county="FRESNO", sentence=("PRISON", "15", "Y"))


def burglary(date, sentence=("JAIL", "1", "Y"), cnt="005001001000"):
    return lambda p: p.conviction(cnt, "459 PC-BURGLARY", date, county="FRESNO", sentence=sentence)


def one(decisions, pid: str, cnt: str = C):
    return decisions.loc[f"{pid}:{cnt}"]


# --- California default ------------------------------------------------------------------------------

CALIFORNIA_PEOPLE = {
    "dp": rows_for("dp", cnt="0012"),  # CNT_ORDER unreadable
    "dpdate": rows_for("dpdate", date="20050000"),  # partial conviction date
    "dplevel": rows_for("dplevel", level="FELONYISH"),  # unknown level
    # Arrested (the cycle date) and convicted after 9 November 2016: out of scope.
    "after": rows_for("after", date="20180505", offense="11360 HS-TRANSPORT"),
    "afterm": rows_for("afterm", date="20161109", offense="11357(B) HS-POSS", level="MISDEMEANOR"),
    # Arrested on 1 June 2016, convicted on 1 March 2017: conduct before the line.
    "crossed": [
        Person("crossed", dob="19800101").conviction(
            C, POSS_SALE, "20170301", CYC_DATE="20160601", sentence=("JAIL", "30", "D")
        )
    ],
    # Born 1 January 1990, arrested and convicted in 2005 at 15: the juvenile track (HS 11361.8(m)).
    "juv": rows_for("juv", dob="19900101"),
    "ss": rows_for("ss", date="19990301", extra=[murder("19900101")]),
    "smit": rows_for(
        "smit",
        date="19990301",
        extra=[lambda p: p.conviction("001002002000", "187 PC-MURDER", "19990301", sentence=("PRISON", "1", "Y"))],
    ),
    "ss11357": rows_for("ss11357", date="19990301", offense="11357(A) HS-POSS CONC", extra=[murder("19900101")]),
    "ssmisd": rows_for("ssmisd", date="19990301", level="MISDEMEANOR", extra=[murder("19900101")]),
    "ssundated": rows_for("ssundated", date="19990301", extra=[murder("NULL")]),
    "p290": rows_for(
        "p290",
        date="19990301",
        offense="11358 HS-CULTIVATE",
        extra=[
            lambda p: p.conviction(
                "002001001000", "261(A)(3) PC-RAPE OF INTOXICATED PERSON", "19950101", county="FRESNO"
            )
        ],
    ),
    "reg": rows_for("reg", date="19990301", offense="11358 HS-CULTIVATE", extra=[lambda p: p.registration("19950101")]),
    "regundated": rows_for(
        "regundated", date="19990301", offense="11358 HS-CULTIVATE", extra=[lambda p: p.registration("")]
    ),
    # HS 11360(a)(3)(B): two prior convictions under (a)(2); an old 11360(a) sale or transport is one.
    "two": rows_for(
        "two",
        date="19990301",
        offense="11360 HS-TRANSPORT",
        cnt="003001001000",
        dob="19600101",
        extra=[
            lambda p: p.conviction("001001001000", "11360(A) HS-TRANSPORT", "19900101"),
            lambda p: p.conviction("002001001000", "11360(A) HS-TRANSPORT", "19950101"),
        ],
    ),
    # HS 11360(a)(3)(C): sale to a minor stays a felony; the description says so.
    "hint": rows_for("hint", offense="11360(A) HS-SELL/FURNISH MARIJUANA TO MINOR"),
    "serving": rows_for("serving", date="20160101", sentence=("PROBATION", "5", "Y")),
    "misd": rows_for("misd", date="20100101", offense="11357(B) HS-POSS", level="MISDEMEANOR"),
    "infr": rows_for("infr", date="20120101", offense="11357(B) HS-POSS", level="INFRACTION", sentence=None),
    "fd": rows_for("fd", offense="11357(A) HS-POSS CONC"),
    "fr": rows_for("fr"),
}


@pytest.fixture(scope="module")
def california(tmp_path_factory):
    rows = [r for person in CALIFORNIA_PEOPLE.values() for r in person]
    return decide(tmp_path_factory.mktemp("california"), rows, "california")


def assert_rule(d, rule_id, determination, reason_code, relief="", basis=None):
    assert (d["rule_id"], d["determination"], d["reason_code"], d["relief"]) == (
        rule_id,
        determination,
        reason_code,
        relief,
    )
    if basis is not None:
        assert d["basis"] == basis


@pytest.mark.parametrize("pid, cnt", [("dp", "L0.2"), ("dpdate", C), ("dplevel", C)])
def test_california_data_problem(california, pid, cnt):
    d = california.loc[f"{pid}:{cnt}"]
    assert_rule(d, "data-problem", HAND_REVIEW, "DATA_PROBLEM")


@pytest.mark.parametrize("pid, cnt", [("after", C), ("afterm", C)])
def test_california_after_the_line_is_out_of_scope(california, pid, cnt):
    # HS 11361.8(a), (e): conduct on or after 9 November 2016 is out of scope, not "Not eligible";
    # also a misdemeanor: the date rule comes before the misdemeanor rule.
    d = one(california, pid, cnt)
    assert_rule(d, "after-line", "Out of scope", "OUT_OF_SCOPE_AFTER_LINE")
    assert (d["outcome"], d["statutory_exclusion"]) == ("out_of_scope", "after_line")


def test_california_arrested_before_convicted_after(california):
    # HS 11361.8(a), (e) look at the conduct: arrested before the line, convicted after it.
    d = one(california, "crossed")
    assert_rule(d, "arrested-before-convicted-after", HAND_REVIEW, "ARRESTED_BEFORE_CONVICTED_AFTER")
    assert (d["outcome"], d["statutory_exclusion"], str(d["arrest_date"])[:10]) == ("hand_review", "", "2016-06-01")


def test_california_juvenile(california):
    # HS 11361.8(m): an offense committed under 18; relief never an adult misdemeanor.
    d = one(california, "juv")
    assert_rule(
        d, "juvenile-dismiss", "Eligible for Dismissal", "JUVENILE", "dismiss_and_seal", "HS 11361.8(e)-(f), (m)"
    )
    assert (d["track"], d["juvenile"], d["outcome"]) == ("juvenile", "yes", "eligible")


def test_california_prior_super_strike(california):
    d = one(california, "ss")
    assert_rule(d, "prior-super-strike", "Not eligible", "PRIOR_SUPER_STRIKE")
    assert d["superstrike_sections"] == "187 PC"
    assert (d["prior_kind"], d["prior_section"], d["prior_date"], d["prior_court"]) == (
        "super_strike",
        "187 PC",
        "1990-01-01",
        "CASC FRESNO",
    )
    assert (d["outcome"], d["statutory_exclusion"]) == ("not_eligible", "disqualifying_prior")


def test_california_prior_super_strike_needs_an_earlier_case_a_felony_and_11358_to_11360(california):
    # People v. Smit: the murder is in the same case, so it is not a prior.
    assert_rule(
        one(california, "smit"),
        "felony-reduce",
        "Eligible for Reduction",
        "FELONY_SECTION_REDUCE",
        "redesignate_misdemeanor",
    )
    assert one(california, "smit")["statutory_exclusion"] == ""
    assert_rule(
        one(california, "ss11357"),
        "felony-dismiss",
        "Eligible for Dismissal",
        "FELONY_SECTION_DISMISS",
        "dismiss_and_seal",
    )
    assert_rule(
        one(california, "ssmisd"),
        "misdemeanor-or-infraction",
        "Eligible for Dismissal",
        "MISDEMEANOR_OR_INFRACTION",
        "dismiss_and_seal",
    )


def test_california_undecidable_rule_goes_to_hand_review_naming_it(california):
    d = one(california, "ssundated")
    assert_rule(d, "prior-super-strike", HAND_REVIEW, "UNDECIDABLE")
    assert "prior-super-strike" in d["reason"]
    assert d["rule_facts"] == "prior super strikes=0 before, 1 with an undecidable date"
    d = one(california, "regundated")
    # never "Not eligible" on an undated registration
    assert_rule(d, "registration-without-conviction", HAND_REVIEW, "UNDECIDABLE")


def test_california_prior_pc290(california):
    # HS 11358(d)(1): a conviction of a PC 290(c) offense (261) before this offense.
    d = one(california, "p290")
    assert_rule(d, "prior-pc290", "Not eligible", "PRIOR_PC290")
    assert (d["prior_kind"], d["prior_section"]) == ("pc290", "261(A)(3) PC")


def test_california_registration_without_conviction(california):
    # A PC 290 registration step is a hint of a registrable conviction, not proof: hand review.
    d = one(california, "reg")
    assert_rule(d, "registration-without-conviction", HAND_REVIEW, "REGISTRATION_WITHOUT_CONVICTION")
    assert (d["prior_kind"], d["prior_date"], d["statutory_exclusion"]) == (
        "registration",
        "1995-01-01",
        "disqualifying_prior",
    )


def test_california_two_priors(california):
    d = one(california, "two", "003001001000")
    assert_rule(d, "two-priors", "Not eligible", "TWO_PRIORS_SAME_SECTION")
    assert (d["prior_kind"], d["prior_section"], d["prior_date"]) == (
        "two_priors",
        "11360(A) HS; 11360(A) HS",
        "1990-01-01; 1995-01-01",
    )
    for cnt in ("001001001000", "002001001000"):  # the earlier ones have fewer than two priors
        assert one(california, "two", cnt)["rule_id"] == "felony-reduce"


def test_california_felony_hint(california):
    d = one(california, "hint")
    assert_rule(d, "felony-hint", HAND_REVIEW, "FELONY_HINT")
    assert (d["felony_hint"], d["statutory_exclusion"]) == ("sale to or use of a minor", "stays_felony_hint")


def test_california_currently_serving(california):
    d = one(california, "serving")
    assert_rule(
        d,
        "currently-serving",
        "Eligible (currently serving)",
        "CURRENTLY_SERVING",
        "recall_and_resentence",
        "HS 11361.8(b)",
    )
    assert d["track"] == "currently serving" and d["sentence_status"] == "serving"


@pytest.mark.parametrize("pid", ["misd", "infr"])
def test_california_misdemeanor_or_infraction(california, pid):
    d = one(california, pid)
    assert_rule(
        d,
        "misdemeanor-or-infraction",
        "Eligible for Dismissal",
        "MISDEMEANOR_OR_INFRACTION",
        "dismiss_and_seal",
        "HS 11361.8(f)",
    )
    assert d["relief_label"] == "Dismiss and seal" and d["track"] == "completed sentence"


def test_california_felony_dismiss(california):
    assert_rule(
        one(california, "fd"),
        "felony-dismiss",
        "Eligible for Dismissal",
        "FELONY_SECTION_DISMISS",
        "dismiss_and_seal",
        "HS 11361.8(f)",
    )


def test_california_felony_reduce(california):
    d = one(california, "fr")
    assert_rule(
        d,
        "felony-reduce",
        "Eligible for Reduction",
        "FELONY_SECTION_REDUCE",
        "redesignate_misdemeanor",
        "HS 11361.8(f)",
    )
    assert d["relief_label"] == "Redesignate as misdemeanor"
    assert d["rule_facts"] == "level=felony; section=11359 HS"


def test_california_every_rule_of_the_default_decides_someone(california):
    enabled = {r.id for r in load_policy("california").rules}
    # covered below with other settings
    assert enabled - set(california["rule_id"]) == {"otherwise", "juvenile-infraction"}


@pytest.mark.parametrize(
    "setting, person, rule, code, reason",
    [
        (
            "dismiss_if_age_at_least: 50",
            dict(dob="19600101", extra=[burglary("20150101")]),
            "dismiss-by-age",
            "ADDITIONAL_AGE",
            "50 years or older (county policy)",
        ),
        (
            "dismiss_if_under_21_at_conviction: true",
            dict(dob="19850101", date="20030101", extra=[burglary("20150101")]),
            "dismiss-under-21",
            "ADDITIONAL_UNDER_21",
            "Under 21 when convicted (county policy)",
        ),
        (
            "dismiss_if_years_since_conviction: 10",
            dict(extra=[burglary("20150101")]),
            "dismiss-old-conviction",
            "ADDITIONAL_YEARS_SINCE",
            "Conviction 10 or more years ago (county policy)",
        ),
        (
            "dismiss_if_years_crime_free: 10",
            dict(extra=[burglary("20080101")]),
            "dismiss-crime-free",
            "ADDITIONAL_CRIME_FREE",
            "No convictions in the past 10 years (county policy)",
        ),
        (
            "dismiss_if_only_cannabis_and_complete: true",
            dict(date="20120101"),
            "dismiss-only-cannabis",
            "ADDITIONAL_ONLY_CANNABIS",
            "Only cannabis convictions and every sentence complete (county policy)",
        ),
        (
            "dismiss_if_deceased: true",
            dict(extra=[burglary("20150101"), lambda p: p.deceased("20190101")]),
            "dismiss-deceased",
            "ADDITIONAL_DECEASED",
            "Individual is deceased (county policy)",
        ),
    ],
)
def test_california_additional_dismissal_grounds(tmp_path, setting, person, rule, code, reason):
    rows = rows_for("1", **person)
    county = tmp_path / "county.yaml"
    county.write_text(f"name: county\nextends: california\nsettings:\n  {setting}\n")
    on = one(decide(tmp_path, rows, load_policy(county)), "1")
    assert_rule(on, rule, "Eligible for Dismissal", code, "dismiss_and_seal", "HS 11361.8(f)")
    assert on["reason"] == reason
    off = one(decide(tmp_path, rows, "california", name="off.dat"), "1")
    assert off["rule_id"] == "felony-reduce"


def test_california_juvenile_infraction_and_review_setting(tmp_path):
    county = tmp_path / "county.yaml"
    county.write_text(
        "name: county\nextends: california\nsettings:\n  juvenile_dismiss: false\n"
        "  review_arrested_before_convicted_after: false\n"
    )
    rows = CALIFORNIA_PEOPLE["juv"] + CALIFORNIA_PEOPLE["crossed"]
    d = decide(tmp_path, rows, load_policy(county))
    # HS 11361.8(m): a minor's cannabis offense is an infraction today (HS 11359(a)).
    assert_rule(one(d, "juv"), "juvenile-infraction", "Eligible for Reduction", "JUVENILE", "redesignate_infraction")
    # The county lets the rules decide a conviction arrested before the line like any other.
    assert_rule(
        one(d, "crossed"), "felony-reduce", "Eligible for Reduction", "FELONY_SECTION_REDUCE", "redesignate_misdemeanor"
    )


def test_california_otherwise(tmp_path):
    county = tmp_path / "county.yaml"
    county.write_text('name: county\nextends: california\nsettings:\n  reduce_sections: ["11359", "11360"]\n')
    d = one(decide(tmp_path, rows_for("1", offense="11358 HS-CULTIVATE"), load_policy(county)), "1")
    assert_rule(d, "otherwise", HAND_REVIEW, "NO_RULE")


# --- Los Angeles 2019-2020 pilot -----------------------------------------------------------------------

LA_PEOPLE = {
    "misd": rows_for("misd", offense="11357(B) HS-POSS", level="MISDEMEANOR"),
    "after": rows_for("after", date="20170101"),
    "possab": rows_for("possab", offense="11357(A) HS-POSS CONC"),
    "possb": rows_for("possb", offense="11357(B)(1) HS-POSS"),
    "poss": rows_for("poss", offense="11357(C) HS-POSS OVER 28.5 G"),
    "possnosub": rows_for("possnosub", offense="11357 HS-POSS"),
    "ss": rows_for("ss", date="19990301", dob="19600101", extra=[murder("19900101")]),
    "p290": rows_for("p290", date="19990301", dob="19600101", extra=[lambda p: p.registration("19950101")]),
    "two": rows_for(
        "two",
        date="19990301",
        dob="19600101",
        cnt="003001001000",
        extra=[
            lambda p: p.conviction("001001001000", POSS_SALE, "19900101", county="FRESNO"),
            lambda p: p.conviction("002001001000", POSS_SALE, "19950101", county="FRESNO"),
        ],
    ),
    "age": rows_for("age", dob="19700701", extra=[burglary("20190101", ("PROBATION", "3", "Y"))]),
    "young": rows_for("young", dob="19990701", date="20160101", extra=[burglary("20190101", ("PROBATION", "3", "Y"))]),
    "only": rows_for("only", date="20150101"),
    "crimefree": rows_for("crimefree", extra=[burglary("20080101")]),
    "serving": rows_for("serving", extra=[burglary("20190101", ("PROBATION", "3", "Y"))]),
    "deceased": rows_for("deceased", extra=[burglary("20150101"), lambda p: p.deceased("20190101")]),
    "none": rows_for("none", extra=[burglary("20150101")]),
    "agepartial": rows_for("agepartial", dob="19700000", extra=[burglary("20190101", ("PROBATION", "3", "Y"))]),
    "levelunknown": rows_for("levelunknown", level=""),
}


@pytest.fixture(scope="module")
def los_angeles(tmp_path_factory):
    rows = [r for person in LA_PEOPLE.values() for r in person]
    return decide(tmp_path_factory.mktemp("la"), rows, "los-angeles-2020")


def la(decisions, pid, cnt=C):
    d = one(decisions, pid, cnt)
    return d["rule_id"], d["determination"], d["reason"]


def test_la_misdemeanor_goes_to_the_city_attorneys(los_angeles):
    assert la(los_angeles, "misd") == (
        "misdemeanor-city-attorney",
        "To be reviewed by City Attorneys",
        "Misdemeanor or Infraction",
    )


def test_la_after_prop64(los_angeles):
    # The pilot's label and reason; typed out of scope, so no challenge is filed against it.
    assert la(los_angeles, "after") == ("after-prop64", "Not eligible", "Occurred after 11/09/2016")
    assert one(los_angeles, "after")["outcome"] == "out_of_scope"


@pytest.mark.parametrize("pid", ["possab", "possb"])
def test_la_possession_a_or_b(los_angeles, pid):
    assert la(los_angeles, pid) == ("possession-a-or-b", "Eligible for Dismissal", "11357(a) or 11357(b)")
    d = one(los_angeles, pid)
    assert (d["relief"], d["basis"]) == ("dismiss_and_seal", "HS 11361.8(f)")


@pytest.mark.parametrize("pid", ["poss", "possnosub"])
def test_la_other_11357(los_angeles, pid):
    assert la(los_angeles, pid) == ("other-11357", HAND_REVIEW, "Other 11357")


def test_la_prior_super_strike(los_angeles):
    # 60 years old, so only the order of the rules keeps the age rule from firing.
    assert la(los_angeles, "ss") == ("prior-super-strike", "Not eligible", "PC 667(e)(2)(c)(iv)")


def test_la_prior_pc290(los_angeles):
    assert la(los_angeles, "p290") == ("prior-pc290", "Not eligible", "PC 290")


def test_la_two_priors(los_angeles):
    assert la(los_angeles, "two", "003001001000") == ("two-priors", "Not eligible", "Two priors")


def test_la_age_threshold(los_angeles):
    # 50 on the evaluation date exactly; a sentence still running elsewhere does not matter first.
    assert la(los_angeles, "age") == ("age-threshold", "Eligible for Dismissal", "50 years or older")


def test_la_twenty_one_or_younger(los_angeles):
    assert la(los_angeles, "young") == ("twenty-one-or-younger", "Eligible for Dismissal", "21 years or younger")


def test_la_only_cannabis_and_completed_sentence(los_angeles):
    assert la(los_angeles, "only") == (
        "only-cannabis-complete",
        "Eligible for Dismissal",
        "Only has 11357-60 charges and completed sentence",
    )


def test_la_crime_free(los_angeles):
    assert la(los_angeles, "crimefree") == ("crime-free", "Eligible for Dismissal", "No convictions in past 10 years")


def test_la_currently_serving(los_angeles):
    assert la(los_angeles, "serving") == ("currently-serving", HAND_REVIEW, "Currently serving sentence")


def test_la_deceased(los_angeles):
    assert la(los_angeles, "deceased") == ("deceased", "Eligible for Dismissal", "Deceased")


def test_la_otherwise(los_angeles):
    assert la(los_angeles, "none") == ("otherwise", HAND_REVIEW, "No applicable eligibility criteria")


def test_la_undecidable_rules_go_to_hand_review_naming_the_rule(los_angeles):
    d = one(los_angeles, "agepartial")  # born some day of 1970: 49 or 50 on the evaluation date
    assert (d["rule_id"], d["determination"], d["reason_code"]) == ("age-threshold", HAND_REVIEW, "UNDECIDABLE")
    assert d["rule_facts"] == "age on evaluation date=49-50"
    d = one(los_angeles, "levelunknown")
    assert (d["rule_id"], d["determination"], d["reason_code"]) == (
        "misdemeanor-city-attorney",
        HAND_REVIEW,
        "UNDECIDABLE",
    )


def test_la_every_rule_decides_someone(los_angeles):
    assert {r.id for r in load_policy("los-angeles-2020").rules} == set(los_angeles["rule_id"])


def test_la_settings_change_the_thresholds(tmp_path):
    county = tmp_path / "la.yaml"
    county.write_text(
        "name: la-55\nextends: los-angeles-2020\nsettings:\n  age_threshold: 55\n  crime_free_years: 15\n"
    )
    rows = (
        LA_PEOPLE["age"]
        + rows_for("old", dob="19650101", extra=[burglary("20190101", ("PROBATION", "3", "Y"))])
        + rows_for("cf", extra=[burglary("20040101")])
        + LA_PEOPLE["crimefree"]
    )
    d = decide(tmp_path, rows, load_policy(county))
    assert la(d, "old") == ("age-threshold", "Eligible for Dismissal", "55 years or older")
    assert la(d, "age")[0] == "currently-serving"  # 50 is no longer enough
    assert la(d, "cf") == ("crime-free", "Eligible for Dismissal", "No convictions in past 15 years")
    assert la(d, "crimefree")[0] == "otherwise"  # 2008 is within 15 years


def test_every_shipped_rule_declares_its_typed_outcome():
    """The shipped presets say each rule's outcome (eligible, not eligible, hand review, out of scope)
    in so many words, so no shipped decision depends on reading its determination's wording; an
    eligible rule names a relief and no other outcome does."""
    from pathlib import Path

    import yaml

    from blueprint.engine.filing_rules import Outcome

    import blueprint.rules

    presets = sorted(Path(blueprint.rules.__file__).parent.glob("*/*/presets/*.yaml"))
    assert len(presets) >= 3
    for path in presets:
        for rule in yaml.safe_load(path.read_text()).get("rules") or []:
            assert rule.get("outcome") in tuple(Outcome), f"{path.name}: rule {rule['id']} declares no outcome"
            assert (rule["outcome"] == Outcome.ELIGIBLE) == bool(rule.get("relief")), f"{path.name}: {rule['id']}"
