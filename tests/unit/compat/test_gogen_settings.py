"""The earlier desktop tool's settings file, imported with its exact decision order and labels.

Expected determinations and reasons follow the table of what a settings file becomes, in
docs/policy-reference.md ("Importing the earlier desktop tool's settings"). County SACRAMENTO,
evaluation date 2020-07-01.
"""

from __future__ import annotations

import json

import pytest

from blueprint.compat.gogen.settings import policy_from_settings, policy_from_settings_file
from blueprint.engine.policy import PolicyError
from blueprint.run.policies import load_policy
from doj_builder import Person, decide

C = "001002001000"
ALL_ON = {
    "baselineEligibility": {"dismiss": ["11357"], "reduce": ["11359", "11360"]},
    "additionalRelief": {
        "subjectUnder21AtConviction": True,
        "subjectAgeThreshold": 50,
        "yearsSinceConvictionThreshold": 10,
        "yearsCrimeFreeThreshold": 5,
        "subjectHasOnlyProp64Charges": True,
        "subjectIsDeceased": True,
    },
}


def person(
    pid, date, offense="11359 HS-POSSESS FOR SALE", level="FELONY", dob="19800101", extra=(), county="SACRAMENTO"
):
    p = Person(pid, dob=dob)
    return [p.conviction(C, offense, date, level=level, county=county)] + [e(p) for e in extra]


def later_burglary(p):
    return p.conviction("009001001000", "459 PC-BURGLARY", "20190101", county="FRESNO")


def dead(p):
    return p.deceased("20200101")


PEOPLE = {
    # 1: not a felony, although every other rule would hold too.
    "r1": person("r1", "19790101", level="MISDEMEANOR", dob="19600101"),
    # 2: a dismissed section; an attempt written without a slash still begins with 664 then 11357.
    "r2": person("r2", "19790101", offense="11357(C) HS-POSS", dob="19600101"),
    "r2b": person("r2b", "19790101", offense="66411357(A) HS-ATTEMPT POSS", dob="19600101"),
    # 3: 19 when convicted; also 54 now, and the conviction is old: rule 3 comes first.
    "r3": person("r3", "19850101", dob="19660101"),
    # 4: 60 now, 30 when convicted; the conviction is also old: rule 4 comes first.
    "r4": person("r4", "19900101", dob="19600101"),
    # 5: 40 now, convicted 2005 (15 years ago); also crime-free and only cannabis.
    "r5": person("r5", "20050101"),
    # 6: convicted 2012, under 10 years ago; nothing since, so crime-free 5 years; also only cannabis.
    "r6": person("r6", "20120101"),
    # 7: convicted 2015; another cannabis conviction (elsewhere) in 2019, so not crime-free; deceased too.
    "r7": person(
        "r7",
        "20150101",
        extra=[lambda p: p.conviction("008001001000", "11358 HS-CULTIVATE", "20190101", county="FRESNO"), dead],
    ),
    # 8: a burglary in 2019: not crime-free, not only cannabis; deceased.
    "r8": person("r8", "20150101", extra=[later_burglary, dead]),
    # 9: a reduced section and nothing else holds.
    "r9": person("r9", "20150101", extra=[later_burglary]),
    # 10: a section in neither list and nothing else holds.
    "r10": person("r10", "20150101", offense="11358 HS-CULTIVATE", extra=[later_burglary]),
    # Super strikes, PC 290 and the Proposition 64 date are informational only in this mode.
    "ss": person(
        "ss",
        "20150101",
        extra=[later_burglary, lambda p: p.conviction("007001001000", "187 PC-MURDER", "19900101", county="FRESNO")],
    ),
    "reg": person("reg", "20150101", extra=[later_burglary, lambda p: p.registration("19900101")]),
    "late": person("late", "20180101", extra=[later_burglary]),
    # Another county's conviction is context, never evaluated.
    "fresno": person("fresno", "20150101", county="FRESNO"),
}

EXPECTED = {
    "r1": ("Eligible for Dismissal", "Misdemeanor or Infraction"),
    "r2": ("Eligible for Dismissal", "Dismiss all HS 11357 convictions"),
    "r2b": ("Eligible for Dismissal", "Dismiss all HS 11357 convictions"),
    "r3": ("Eligible for Dismissal", "21 years or younger"),
    "r4": ("Eligible for Dismissal", "50 years or older"),
    "r5": ("Eligible for Dismissal", "Conviction occurred 10 or more years ago"),
    "r6": ("Eligible for Dismissal", "No convictions in the past 5 years"),
    "r7": ("Eligible for Dismissal", "Only has 11357-60 charges"),
    "r8": ("Eligible for Dismissal", "Individual is deceased"),
    "r9": ("Eligible for Reduction", "Reduce all HS 11359 convictions"),
    "r10": ("", ""),
    "ss": ("Eligible for Reduction", "Reduce all HS 11359 convictions"),
    "reg": ("Eligible for Reduction", "Reduce all HS 11359 convictions"),
    "late": ("Eligible for Reduction", "Reduce all HS 11359 convictions"),
}


@pytest.fixture(scope="module")
def all_on(tmp_path_factory):
    rows = [r for rows in PEOPLE.values() for r in rows]
    return decide(tmp_path_factory.mktemp("gogen"), rows, policy_from_settings(ALL_ON))


@pytest.mark.parametrize("pid", list(EXPECTED))
def test_decision_order_of_the_settings_file(all_on, pid):
    d = all_on.loc[f"{pid}:{C}"]
    assert (d["determination"], d["reason"]) == EXPECTED[pid]


def test_only_the_run_county_is_evaluated(all_on):
    assert f"fresno:{C}" not in all_on.index
    assert sorted(all_on["person_id"].unique()) == sorted(EXPECTED)


def test_relief_follows_the_determination(all_on):
    assert all_on.loc[f"r9:{C}", "relief"] == "redesignate_misdemeanor"
    assert all_on.loc[f"r4:{C}", "relief"] == "dismiss_and_seal"
    assert all_on.loc[f"r10:{C}", "relief"] == ""


def test_the_rule_order_is_the_table_order():
    policy = policy_from_settings(
        {**ALL_ON, "baselineEligibility": {"dismiss": ["11357", "11358"], "reduce": ["11359", "11360"]}}
    )
    assert [r.id for r in policy.rules] == [
        "not-felony",
        "dismiss-11357",
        "dismiss-11358",
        "under-21-at-conviction",
        "age-threshold",
        "years-since-conviction",
        "crime-free",
        "only-cannabis",
        "deceased",
        "reduce-11359",
        "reduce-11360",
    ]
    assert not any(
        "prior" in name or "conviction_before" in name or "conviction_on_or_after" in name
        for r in policy.rules
        for name in r.predicate_names()
    )


@pytest.mark.parametrize(
    "option, pid, falls_to",
    [
        ("subjectUnder21AtConviction", "r3", ("Eligible for Dismissal", "50 years or older")),
        ("subjectAgeThreshold", "r4", ("Eligible for Dismissal", "Conviction occurred 10 or more years ago")),
        ("yearsSinceConvictionThreshold", "r5", ("Eligible for Dismissal", "No convictions in the past 5 years")),
        ("yearsCrimeFreeThreshold", "r6", ("Eligible for Dismissal", "Only has 11357-60 charges")),
        ("subjectHasOnlyProp64Charges", "r7", ("Eligible for Dismissal", "Individual is deceased")),
        ("subjectIsDeceased", "r8", ("Eligible for Reduction", "Reduce all HS 11359 convictions")),
    ],
)
def test_a_missing_option_is_off_and_the_next_rule_decides(tmp_path, option, pid, falls_to):
    settings = json.loads(json.dumps(ALL_ON))
    del settings["additionalRelief"][option]
    d = decide(tmp_path, PEOPLE[pid], policy_from_settings(settings)).loc[f"{pid}:{C}"]
    assert (d["determination"], d["reason"]) == falls_to


def test_zero_thresholds_and_missing_sections_are_off(tmp_path):
    settings = {
        "additionalRelief": {"subjectAgeThreshold": 0, "yearsSinceConvictionThreshold": 0, "yearsCrimeFreeThreshold": 0}
    }
    policy = policy_from_settings(settings)
    assert [r.id for r in policy.rules] == ["not-felony"]
    d = decide(tmp_path, PEOPLE["r4"] + PEOPLE["r1"], policy)
    assert tuple(d.loc[f"r4:{C}", ["determination", "reason"]]) == ("", "")
    assert tuple(d.loc[f"r1:{C}", ["determination", "reason"]]) == (
        "Eligible for Dismissal",
        "Misdemeanor or Infraction",
    )


def test_thresholds_appear_in_the_labels(tmp_path):
    settings = {
        "baselineEligibility": {"reduce": ["11359"]},
        "additionalRelief": {"subjectAgeThreshold": 57, "yearsCrimeFreeThreshold": 7},
    }
    rows = person("a", "19900101", dob="19630101") + person("b", "20120101")
    d = decide(tmp_path, rows, policy_from_settings(settings))
    assert d.loc[f"a:{C}", "reason"] == "57 years or older"
    assert d.loc[f"b:{C}", "reason"] == "No convictions in the past 7 years"


def test_bad_data_goes_to_hand_review_instead_of_a_guess(tmp_path):
    # An unknown level; and a person born some day of 1972, 47 or 48 on the evaluation date, against 48.
    rows = person("lvl", "20150101", level="") + person("dob", "19900101", dob="19720000")
    settings = {"baselineEligibility": {"reduce": ["11359"]}, "additionalRelief": {"subjectAgeThreshold": 48}}
    d = decide(tmp_path, rows, policy_from_settings(settings))
    assert tuple(d.loc[f"lvl:{C}", ["determination", "rule_id"]]) == ("Hand Review", "not-felony")
    assert tuple(d.loc[f"dob:{C}", ["determination", "rule_id"]]) == ("Hand Review", "age-threshold")


# --- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, value, allowed",
    [
        ("subjectAgeThreshold", 39, "0 (off) or 40-65"),
        ("subjectAgeThreshold", 66, "0 (off) or 40-65"),
        ("subjectAgeThreshold", -1, "0 (off) or 40-65"),
        ("subjectAgeThreshold", "50", "0 (off) or 40-65"),
        ("subjectAgeThreshold", 50.5, "0 (off) or 40-65"),
        ("subjectAgeThreshold", True, "0 (off) or 40-65"),
        ("yearsSinceConvictionThreshold", 16, "0 (off) or 1-15"),
        ("yearsSinceConvictionThreshold", -2, "0 (off) or 1-15"),
        ("yearsCrimeFreeThreshold", 16, "0 (off) or 1-15"),
        ("yearsCrimeFreeThreshold", None, "0 (off) or 1-15"),
        ("subjectUnder21AtConviction", "yes", "true or false"),
        ("subjectUnder21AtConviction", 1, "true or false"),
        ("subjectHasOnlyProp64Charges", "true", "true or false"),
        ("subjectIsDeceased", 0, "true or false"),
    ],
)
def test_bad_values_name_key_value_and_allowed_range(key, value, allowed):
    with pytest.raises(PolicyError) as info:
        policy_from_settings({"additionalRelief": {key: value}})
    assert str(info.value) == f"additionalRelief.{key} = {value!r}: allowed values are {allowed}"


@pytest.mark.parametrize(
    "key, value",
    [
        ("subjectAgeThreshold", 40),
        ("subjectAgeThreshold", 65),
        ("yearsSinceConvictionThreshold", 1),
        ("yearsSinceConvictionThreshold", 15),
        ("yearsCrimeFreeThreshold", 15),
        ("subjectIsDeceased", False),
    ],
)
def test_boundary_values_are_accepted(key, value):
    assert policy_from_settings({"additionalRelief": {key: value}}).settings[key] == value


@pytest.mark.parametrize(
    "baseline, message",
    [
        (
            {"dismiss": ["11361"]},
            "baselineEligibility.dismiss has section '11361'; allowed: 11357, 11358, 11359, 11360",
        ),
        ({"reduce": ["11357.5"]}, "baselineEligibility.reduce has section '11357.5'"),
        ({"dismiss": "11357"}, "baselineEligibility.dismiss must be a list of sections"),
        ({"dismis": ["11357"]}, "baselineEligibility.dismis is not a known key; allowed: dismiss, reduce"),
        ({"dismiss": ["11359"], "reduce": ["11359"]}, "section 11359 is in both"),
    ],
)
def test_bad_sections_are_rejected(baseline, message):
    with pytest.raises(PolicyError) as info:
        policy_from_settings({"baselineEligibility": baseline})
    assert message in str(info.value)


def test_sections_may_be_numbers():
    assert policy_from_settings({"baselineEligibility": {"dismiss": [11357]}}).settings["dismiss"] == ["11357"]


def test_unknown_extra_keys_are_ignored():
    with_extras = json.loads(json.dumps(ALL_ON))
    with_extras["additionalRelief"].update({"dismissOlderThanAgeThreshold": True, "someFutureOption": [1, 2]})
    with_extras["desktopVersion"] = "1.2"
    assert policy_from_settings(with_extras).sha256 == policy_from_settings(ALL_ON).sha256


def test_settings_file_through_load_policy(tmp_path):
    path = tmp_path / "office-settings.json"
    path.write_text(json.dumps(ALL_ON))
    policy = load_policy(path)
    assert policy.name == "office-settings" and policy.source == str(path)
    assert policy.sha256 == policy_from_settings(ALL_ON, name="office-settings").sha256
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"additionalRelief": {"subjectAgeThreshold": 70}}))
    with pytest.raises(PolicyError) as info:
        load_policy(bad)
    assert (
        str(info.value) == "bad.json:1: additionalRelief.subjectAgeThreshold = 70: allowed values are 0 (off) or 40-65"
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"baselineEligibility": ')
    with pytest.raises(PolicyError, match=r"^broken\.json:1: not valid JSON \("):
        policy_from_settings_file(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(PolicyError, match="must be a JSON object"):
        load_policy(listed)


def test_boundaries_of_each_threshold(tmp_path):
    """Each threshold on the day it starts to hold, and the day before (evaluation date 2020-07-01)."""
    settings = {"baselineEligibility": {"reduce": ["11359"]}}

    def decided(option, value, rows):
        policy = policy_from_settings({**settings, "additionalRelief": {option: value}})
        d = decide(tmp_path, rows, policy, name=f"{option}.dat")
        return {pid: d.loc[f"{pid}:{C}", "reason"] for pid in d["person_id"]}

    # Under 21 on the conviction date: the 21st birthday itself is no longer under 21.
    rows = person("on", "20010301", dob="19800301") + person("before", "20010228", dob="19800301")
    assert decided("subjectUnder21AtConviction", True, rows) == {
        "on": "Reduce all HS 11359 convictions",
        "before": "21 years or younger",
    }
    # N or older on the evaluation date: the 50th birthday itself counts.
    rows = person("on", "20150101", dob="19700701") + person("after", "20150101", dob="19700702")
    assert decided("subjectAgeThreshold", 50, rows) == {
        "on": "50 years or older",
        "after": "Reduce all HS 11359 convictions",
    }
    # On or before the evaluation date minus N years.
    rows = person("on", "20100701") + person("after", "20100702")
    assert decided("yearsSinceConvictionThreshold", 10, rows) == {
        "on": "Conviction occurred 10 or more years ago",
        "after": "Reduce all HS 11359 convictions",
    }
    # The most recent conviction strictly before the evaluation date minus N years.
    rows = person("on", "20100701") + person("before", "20100630")
    assert decided("yearsCrimeFreeThreshold", 10, rows) == {
        "on": "Reduce all HS 11359 convictions",
        "before": "No convictions in the past 10 years",
    }
