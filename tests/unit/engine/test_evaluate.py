"""First-match evaluation with three-valued conditions, explanations, tracks, flags and display facts."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from blueprint.engine.evaluate import HAND_REVIEW
from blueprint.run.policies import load_policy
from doj_builder import Person, decide

C = "001002001000"
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"


def policy(tmp_path, rules: str, name="test-policy"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nrules:\n" + textwrap.indent(textwrap.dedent(rules), "  "))
    return load_policy(path)


KLEENE = """
- id: felony-with-strike
  when: {felony: true, prior_super_strike: true}
  determination: Not eligible
  outcome: not_eligible
  reason_code: STRIKE
  reason: strike
- id: dead-or-registered
  when: {any: [{deceased: true}, {prior_registration: true}]}
  determination: Any
  outcome: hand_review
  reason_code: ANY
  reason: any
- id: rest
  when: {always: true}
  determination: Rest
  outcome: hand_review
  reason_code: REST
  reason: rest
"""


@pytest.fixture(scope="module")
def kleene(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kleene")

    def strike(date):
        return lambda p: p.conviction("002001001000", "187 PC-MURDER", date, county="FRESNO")

    people = {
        "a": ("MISDEMEANOR", [strike("NULL")]),
        "b": ("FELONY", [strike("NULL")]),
        "c": ("FELONY", [strike("19900101")]),
        "d": ("MISDEMEANOR", [lambda p: p.deceased(), lambda p: p.registration("")]),
        "e": ("MISDEMEANOR", [lambda p: p.registration("")]),
    }
    rows = []
    for pid, (level, extra) in people.items():
        p = Person(pid)
        rows.append(p.conviction(C, CAN, "19990301", level=level))
        rows.extend(e(p) for e in extra)
    return decide(tmp, rows, policy(tmp, KLEENE))


def test_false_and_unknown_is_false_and_passes_on(kleene):
    assert tuple(kleene.loc[f"a:{C}", ["rule_id", "determination"]]) == ("rest", "Rest")


def test_true_and_unknown_is_unknown_and_stops_at_hand_review(kleene):
    d = kleene.loc[f"b:{C}"]
    assert (d["rule_id"], d["determination"], d["reason_code"]) == ("felony-with-strike", HAND_REVIEW, "UNDECIDABLE")
    assert d["reason"] == "The data cannot decide rule 'felony-with-strike' (strike); review by hand"
    # Only the fact that could not be decided is listed.
    assert d["rule_facts"] == "prior super strikes=0 before, 1 with an undecidable date"
    assert (d["relief"], d["basis"]) == ("", "")


def test_a_fired_rule_lists_every_fact_it_read(kleene):
    d = kleene.loc[f"c:{C}"]
    assert (d["rule_id"], d["determination"], d["reason"]) == ("felony-with-strike", "Not eligible", "strike")
    assert d["rule_facts"] == "level=felony; prior super strikes=1 before"


def test_any_group_is_true_when_one_member_is_true(kleene):
    assert tuple(kleene.loc[f"d:{C}", ["rule_id", "determination"]]) == ("dead-or-registered", "Any")


def test_any_group_of_false_and_unknown_is_unknown(kleene):
    d = kleene.loc[f"e:{C}"]
    assert (d["rule_id"], d["determination"]) == ("dead-or-registered", HAND_REVIEW)
    assert d["rule_facts"] == "prior PC 290 registrations=0 before, 1 with an undecidable date"


def test_no_rule_decides_leaves_the_determination_empty(tmp_path):
    only_felonies = policy(
        tmp_path,
        """
        - id: felonies
          when: {felony: true}
          determination: Eligible for Reduction
          relief: redesignate_misdemeanor
          reason_code: F
          reason: felony
        """,
    )
    rows = [
        Person("1").conviction(C, CAN, "19990301", level="MISDEMEANOR"),
        Person("2").conviction(C, CAN, "19990301", level="FELONY"),
    ]
    d = decide(tmp_path, rows, only_felonies)
    assert tuple(d.loc[f"1:{C}", ["determination", "rule_id", "reason", "relief"]]) == ("", "", "", "")
    assert tuple(d.loc[f"2:{C}", ["determination", "relief", "relief_label"]]) == (
        "Eligible for Reduction",
        "redesignate_misdemeanor",
        "Redesignate as misdemeanor",
    )


def test_basis_by_track(tmp_path):
    by_track = policy(
        tmp_path,
        """
        - id: all
          when: {always: true}
          determination: Eligible for Dismissal
          relief: dismiss_and_seal
          basis: by_track
          reason_code: ALL
          reason: all
        """,
    )
    rows = [
        Person("serving").conviction(C, CAN, "20190101", sentence=("PROBATION", "3", "Y")),
        Person("done").conviction(C, CAN, "20100101", sentence=("JAIL", "1", "Y")),
        Person("unknown").conviction(C, CAN, "20100101", sentence=("JAIL", "?", "Y")),
    ]
    d = decide(tmp_path, rows, by_track)
    got = {
        pid: tuple(d.loc[f"{pid}:{C}", ["track", "basis", "sentence_status"]]) for pid in ("serving", "done", "unknown")
    }
    assert got == {
        "serving": ("currently serving", "HS 11361.8(b)", "serving"),
        "done": ("completed sentence", "HS 11361.8(f)", "complete"),
        "unknown": ("unknown", "HS 11361.8 (track unknown)", "unknown"),
    }


def test_flags_for_the_reviewer(tmp_path):
    p = Person("1", dob="19700000")
    rows = [
        p.conviction(C, "664/11359 HS-ATTEMPT POSS FOR SALE", "19990301", comment="ALSO 11360 HS TRANSPORT"),
        p.conviction("002001001000", "187 PC-MURDER", "19900101", county="FRESNO"),
        p.registration("19950101"),
        p.deceased("20190101"),
        Person("2").conviction(C, CAN, "19990301"),
    ]
    d = decide(tmp_path, rows, "california")
    assert d.loc[f"1:{C}", "flags"] == (
        "possible other cannabis charge in comments: HS 11360; attempt (PC 664); "
        "deceased; PC 290 registration on record; super strike on record: 187 PC; "
        "date of birth partial"
    )
    assert d.loc[f"2:{C}", "flags"] == ""


def test_a_pc290_offense_on_the_record_is_flagged_even_when_it_decides_nothing(tmp_path):
    # A misdemeanor is dismissed whatever the record holds, but the reviewer still sees the offense.
    p = Person("1")
    rows = [
        p.conviction(C, "11357(B) HS-POSSESS MARIJUANA", "19990301", level="MISDEMEANOR"),
        p.conviction("002001001000", "243.4(A) PC-SEXUAL BATTERY", "19900101", county="FRESNO"),
    ]
    d = decide(tmp_path, rows, "california")
    assert d.loc[f"1:{C}", "determination"] == "Eligible for Dismissal"
    assert d.loc[f"1:{C}", "flags"] == "PC 290 offense on record: 243.4(A) PC"  # registrable, not a super strike


def test_display_facts(tmp_path):
    rows = [
        Person("1", dob="19780615").conviction(C, CAN, "19990301", sentence=("PROBATION", "1", "Y")),
        Person("2", dob="19780000").conviction(C, CAN, "19990000"),
    ]
    d = decide(tmp_path, rows, "california")
    one, two = d.loc[f"1:{C}"], d.loc[f"2:{C}"]
    assert pd.Timestamp(one["conviction_date"]) == pd.Timestamp("1999-03-01")
    assert pd.Timestamp(one["date_of_birth"]) == pd.Timestamp("1978-06-15")
    assert (one["age_at_conviction"], one["age_on_evaluation_date"]) == (20, 42)
    assert one["years_since_conviction"] == 21.3  # 1999-03-01 to 2020-07-01: 21 years and 4 months
    assert pd.Timestamp(one["sentence_end"]) == pd.Timestamp("2000-03-01")
    # Partial dates are never shown as if they were exact.
    assert pd.isna(two["conviction_date"]) and pd.isna(two["date_of_birth"])
    assert np.isnan(two["age_at_conviction"]) and np.isnan(two["years_since_conviction"])
    assert pd.isna(two["sentence_end"])
    assert (one["source_file"], one["source_line"], one["source_file_index"]) == ("doj.dat", 2, 0)


def test_nothing_to_evaluate(tmp_path):
    rows = [
        Person("1").conviction(C, CAN, "19990301", county="FRESNO"),
        Person("2").conviction(C, "459 PC-BURGLARY", "19990301"),
    ]
    d = decide(tmp_path, rows, "california")
    assert len(d) == 0
    for column in ("determination", "relief", "reason", "rule_id", "rule_facts", "flags", "track", "conviction_date"):
        assert column in d.columns
