"""People's outcomes under the policy and the two what-ifs, on small hand-made DOJ files.

Every person below is built for one question, and the expected answers were worked out by hand for
the California default policy, county SACRAMENTO, evaluation date 2020-07-01 (seven-year cut-off
2013-07-01).
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from blueprint.intake.columns import DOJ_COLUMNS
from blueprint.engine.decide import Evaluation, evaluate_rows
from blueprint.engine.outcomes import OUTCOME_COLUMNS, age_bands, person_outcomes
from blueprint.run.policies import load_policy
from blueprint.intake.reader import read_doj_files
from blueprint.engine.rulepack import load_rule_pack

AS_OF = "2020-07-01"
COUNTY = "SACRAMENTO"
COL = {c: i for i, c in enumerate(DOJ_COLUMNS)}


def _row(person: dict, **values: str) -> list[str]:
    fields = [""] * len(DOJ_COLUMNS)
    for key, value in {**person, **values}.items():
        fields[COL[key]] = value
    return fields


def _person(pid: str, dob: str, race: str = "WHITE", gender: str = "M") -> dict:
    return {
        "SUBJECT_ID": pid,
        "CII_NUMBER": f"A{pid}9999",
        "PRI_NAME": f"PERSON,NUMBER {pid}",
        "GENDER": gender,
        "PRI_DOB": dob,
        "RACE_DESCR": race,
    }


def _conviction(
    person: dict,
    cnt: str,
    offense: str,
    date: str,
    level: str,
    county: str = COUNTY,
    toc: str = "",
    sentence: tuple[str, str, str] = ("PROBATION", "1", "Y"),
) -> list[str]:
    # Every row of a DOJ cycle carries the cycle's (arrest) date: here the day of the conviction.
    return _row(
        person,
        STP_TYPE_DESCR="COURT ACTION",
        CNT_ORDER=cnt,
        OFFENSE_DESCR=offense,
        STP_EVENT_DATE=date,
        CYC_DATE=date,
        STP_ORI_CNTY_NAME=county,
        STP_ORI_DESCR=f"CASC {county}",
        DISP_DESCR="CONVICTED",
        CONV_STAT_DESCR=level,
        OFFENSE_TOC=toc,
        OFN=f"CASE{cnt[:6]}",
        SENT_LOC_DESCR=sentence[0],
        SENT_LENGTH=sentence[1],
        SENT_TIME_CODE=sentence[2],
    )


def people_rows() -> dict[str, list[list[str]]]:
    """Rows per person id; the comments say what each person is for."""
    p: dict[str, list[list[str]]] = {}
    # 1: one felony 11359, reduced; nothing else on the record.
    a = _person("1", "19600101")
    p["1"] = [_conviction(a, "001001001000", "11359 HS-POSSESS FOR SALE", "20050301", "FELONY")]
    # 2: misdemeanor 11357 dismissed, with a related 647(F) PC in the same case.
    b = _person("2", "19840000", race="BLACK", gender="F")
    p["2"] = [
        _conviction(b, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(b, "001001002000", "647(F) PC-DISORDERLY CONDUCT", "20100505", "MISDEMEANOR"),
    ]
    # 3: the same, but the 647(F) PC is in another case: never dismissed with the cannabis charge.
    c = _person("3", "19840000", race="BLACK", gender="F")
    p["3"] = [
        _conviction(c, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(c, "002001001000", "647(F) PC-DISORDERLY CONDUCT", "20100505", "MISDEMEANOR"),
    ]
    # 4: a dismissed 11357 and an old burglary whose date is unknown: it may be recent.
    d = _person("4", "19700615", race="HISPANIC")
    p["4"] = [
        _conviction(d, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(d, "002001001000", "459 PC-BURGLARY", "NULL", "MISDEMEANOR"),
    ]
    # 5: a dismissed 11357 and a conviction of unknown level (a possible felony).
    e = _person("5", "19700615", race="HISPANIC")
    p["5"] = [
        _conviction(e, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(e, "002001001000", "594 PC-VANDALISM", "20050101", "", toc=""),
    ]
    # 6: a felony 11360 after Proposition 64: not eligible, no relief; within the last seven years.
    f = _person("6", "20000701")
    p["6"] = [_conviction(f, "001001001000", "11360 HS-TRANSPORT", "20180505", "FELONY")]
    # 7: a dismissed 11357 here, and a felony 11359 in another county (context, never evaluated).
    g = _person("7", "19990000")
    p["7"] = [
        _conviction(g, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(g, "002001001000", "11359 HS-POSSESS FOR SALE", "20080101", "FELONY", county="FRESNO"),
    ]
    # 8: only an out-of-county cannabis conviction: not evaluated, not in the outcomes.
    h = _person("8", "19700101")
    p["8"] = [
        _conviction(h, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR", county="FRESNO")
    ]
    # 9: still serving a felony 11359 (10 years from 2016-01-01): recall and resentence.
    i = _person("9", "19800101")
    p["9"] = [
        _conviction(
            i, "001001001000", "11359 HS-POSSESS FOR SALE", "20160101", "FELONY", sentence=("PRISON", "10", "Y")
        )
    ]
    # 10: a dismissed 11357, a partial-date conviction that may fall after the cut-off (2013-07-01),
    # and one just before it: the partial one keeps "no conviction in 7 years" false.
    j = _person("10", "1970XXXX")
    p["10"] = [
        _conviction(j, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(j, "002001001000", "459 PC-BURGLARY", "20130000", "MISDEMEANOR"),
        _conviction(j, "003001001000", "459 PC-BURGLARY", "20130630", "MISDEMEANOR"),
    ]
    # 11: like 10 but only the conviction dated the day before the cut-off: no recent conviction.
    k = _person("11", "19700101")
    p["11"] = [
        _conviction(k, "001001001000", "11357(C) HS-POSSESS MARIJUANA", "20100505", "MISDEMEANOR"),
        _conviction(k, "003001001000", "459 PC-BURGLARY", "20130630", "MISDEMEANOR"),
    ]
    return p


def write_doj(path: Path, person_ids: list[str] | None = None) -> Path:
    rows = people_rows()
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(DOJ_COLUMNS)
        for pid, person in rows.items():
            if person_ids is None or pid in person_ids:
                w.writerows(person)
    return path


def evaluate_file(path: Path) -> Evaluation:
    read = read_doj_files([path])
    return evaluate_rows(
        read.rows, [f.file for f in read.files], read.issues, load_rule_pack(), load_policy("california"), COUNTY, AS_OF
    )


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory) -> Evaluation:
    return evaluate_file(write_doj(tmp_path_factory.mktemp("doj") / "people.dat"))


@pytest.fixture(scope="module")
def outcomes(evaluation) -> pd.DataFrame:
    return person_outcomes(evaluation, load_rule_pack()).set_index("person_id")


def test_one_row_per_person_with_an_evaluated_conviction(outcomes, evaluation):
    assert list(outcomes.reset_index().columns) == OUTCOME_COLUMNS
    assert sorted(outcomes.index) == sorted(set(evaluation.decisions["person_id"]))
    assert "8" not in outcomes.index  # only an out-of-county cannabis conviction
    assert len(outcomes) == 10


def test_reduced_felony_leaves_a_misdemeanor(outcomes, evaluation):
    relief = evaluation.decisions.set_index("person_id").loc["1", "relief"]
    assert relief == "redesignate_misdemeanor"
    one = outcomes.loc["1"]
    assert one["had_felony"] and one["policy_helped"]
    assert one["policy_no_felony"] and not one["policy_no_conviction"]
    assert one["policy_no_conviction_7y"]  # 2005 is before the cut-off
    assert one["dismiss_all_no_conviction"] and one["dismiss_all_related_no_conviction"]


def test_related_charge_cleared_only_when_in_the_same_case(outcomes):
    same_case, other_case = outcomes.loc["2"], outcomes.loc["3"]
    for person in (same_case, other_case):
        assert person["policy_helped"] and not person["had_felony"]
        assert not person["policy_no_conviction"] and not person["dismiss_all_no_conviction"]
    assert same_case["dismiss_all_related_no_conviction"]
    assert not other_case["dismiss_all_related_no_conviction"]


def test_unknown_date_counts_as_recent(outcomes):
    four = outcomes.loc["4"]
    assert not four["policy_no_conviction_7y"] and not four["dismiss_all_related_no_conviction_7y"]
    assert four["policy_no_felony"]  # the burglary is a misdemeanor


def test_partial_date_that_may_be_recent_counts_as_recent(outcomes):
    assert not outcomes.loc["10", "policy_no_conviction_7y"]
    assert outcomes.loc["11", "policy_no_conviction_7y"]  # 2013-06-30 is before 2013-07-01
    assert not outcomes.loc["11", "policy_no_conviction"]


def test_unknown_level_is_a_possible_felony(outcomes):
    five = outcomes.loc["5"]
    assert not five["had_felony"]  # not known to be a felony ...
    assert not five["policy_no_felony"] and not five["dismiss_all_no_felony"]  # ... nor known not to be


def test_not_eligible_conviction_is_only_cleared_by_the_what_ifs(outcomes):
    six = outcomes.loc["6"]
    assert six["had_felony"] and not six["policy_helped"]
    assert not six["policy_no_felony"] and not six["policy_no_conviction_7y"]  # 2018 is recent
    assert six["dismiss_all_helped"] and six["dismiss_all_no_felony"] and six["dismiss_all_no_conviction_7y"]


def test_out_of_county_conviction_stays_in_every_scenario(outcomes):
    seven = outcomes.loc["7"]
    assert seven["had_felony"] and seven["policy_helped"]
    for scenario in ("policy", "dismiss_all", "dismiss_all_related"):
        assert not seven[f"{scenario}_no_felony"] and not seven[f"{scenario}_no_conviction"]
        assert seven[f"{scenario}_no_conviction_7y"]


def test_recall_and_resentence_makes_the_felony_a_misdemeanor(outcomes, evaluation):
    assert evaluation.decisions.set_index("person_id").loc["9", "relief"] == "recall_and_resentence"
    nine = outcomes.loc["9"]
    assert nine["policy_helped"] and nine["policy_no_felony"] and not nine["policy_no_conviction"]


def test_redesignate_infraction_and_no_relief_from_the_decisions(evaluation):
    decisions = evaluation.decisions.copy()
    decisions.loc[decisions["person_id"] == "1", "relief"] = "redesignate_infraction"
    decisions.loc[decisions["person_id"] == "9", "relief"] = ""
    changed = person_outcomes(dataclasses.replace(evaluation, decisions=decisions), load_rule_pack()).set_index(
        "person_id"
    )
    assert changed.loc["1", "policy_no_felony"] and changed.loc["1", "policy_helped"]
    assert not changed.loc["9", "policy_no_felony"] and not changed.loc["9", "policy_helped"]


def test_demographics_and_age_bands(outcomes):
    assert outcomes.loc["1", "age_band"] == "50-64"  # born 1960-01-01
    assert outcomes.loc["2", "age_band"] == "30-39"  # born some day in 1984: 35 or 36
    assert outcomes.loc["6", "age_band"] == "under 21"  # born 2000-07-01: 20 that day
    assert outcomes.loc["7", "age_band"] == "unknown"  # born in 1999: 20 or 21, two bands
    assert outcomes.loc["10", "age_band"] == "unknown"  # invalid date of birth
    assert outcomes.loc["2", "race"] == "BLACK" and outcomes.loc["2", "gender"] == "F"


def test_age_band_edges():
    as_of = np.datetime64("2020-07-01")
    dob = np.array(["1999-07-01", "1999-07-02", "1955-07-01", "1955-07-02", "2021-01-01", "NaT"], dtype="datetime64[D]")
    assert list(age_bands(dob, dob, as_of)) == ["21-29", "under 21", "65+", "50-64", "unknown", "unknown"]


def test_shards_of_whole_people_give_the_same_rows(tmp_path, outcomes):
    ids = list(people_rows())
    parts = []
    for n, chunk in enumerate((ids[:4], ids[4:])):
        ev = evaluate_file(write_doj(tmp_path / f"shard{n}.dat", chunk))
        parts.append(person_outcomes(ev, load_rule_pack()))
    combined = pd.concat(parts, ignore_index=True).set_index("person_id").sort_index()
    pd.testing.assert_frame_equal(combined, outcomes.sort_index(), check_dtype=False)


def test_no_evaluated_conviction_gives_no_rows(tmp_path):
    ev = evaluate_file(write_doj(tmp_path / "none.dat", ["8"]))
    out = person_outcomes(ev, load_rule_pack())
    assert len(out) == 0 and list(out.columns) == OUTCOME_COLUMNS
