"""From DOJ rows to people and convictions (``blueprint.engine.records``), on small hand-built files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from doj_builder import Person, facts_of, records_of

YEAR = 365.2425
MONTH = YEAR / 12
OFFENSE = "11359 HS-POSSESS MARIJUANA FOR SALE"


def by_id(records):
    return records.convictions.set_index("conviction_id")


def test_a_conviction_is_the_first_convicted_row_of_each_count(tmp_path):
    p = Person("1")
    rows = [
        p.arrest("001001001000", OFFENSE, "19990101"),
        p.court(
            "001002001000",
            OFFENSE,
            "19990301",
            "CONVICTED-PROBATION",
            CONV_STAT_DESCR="FELONY",
            STP_ORI_DESCR="CASC FIRST ROW",
            SENT_LOC_DESCR="PROBATION",
            SENT_LENGTH="3",
            SENT_TIME_CODE="Y",
        ),
        p.court(
            "001002001000",
            OFFENSE,
            "19990301",
            "CONVICTED",
            CONV_STAT_DESCR="FELONY",
            STP_ORI_DESCR="CASC SECOND ROW",
            SENT_LOC_DESCR="JAIL",
            SENT_LENGTH="90",
            SENT_TIME_CODE="D",
        ),
        p.court("001002002000", "11360 HS-TRANSPORT MARIJUANA", "19990301", "DISMISSED"),
        p.court("001002003000", "11358 HS-CULTIVATE MARIJUANA", "19990301", "NOT CONVICTED"),
        p.court(
            "001002004000", "11357 HS-POSSESS MARIJUANA", "19990301", "  convicted-jail ", CONV_STAT_DESCR="MISDEMEANOR"
        ),
    ]
    records, _ = records_of(tmp_path, rows)
    conv = by_id(records)
    assert sorted(conv.index) == ["1:001002001000", "1:001002004000"]
    first = conv.loc["1:001002001000"]
    assert first["court"] == "CASC FIRST ROW"
    assert first["count"] == "1" and first["case_key"] == "1:001002"
    assert first["sentence_days"] == pytest.approx(3 * YEAR + 90)
    assert first["sentence"] == "3Y PROBATION; 90D JAIL"
    assert (first["source_line"], first["code_section"], first["number"]) == (3, "11359 HS", "11359")
    assert conv.loc["1:001002004000", "count"] == "4"


def test_sentence_parts_add_up_within_their_own_count_only(tmp_path):
    p = Person("1")
    rows = [
        p.conviction("001002001000", OFFENSE, "19990301", sentence=("PROBATION", "3", "Y")),
        p.sentence_part("001002001000", OFFENSE, "19990301", ("JAIL", "90", "D")),
        # The neighbouring count of the same case has its own single part.
        p.conviction("001002002000", "11360 HS-TRANSPORT", "19990301", sentence=("JAIL", "1", "Y")),
        # A later part of the first count, after the neighbour's row: it still belongs to the first count.
        p.sentence_part("001002001000", OFFENSE, "19990301", ("JAIL", "6", "M")),
        # A count with no sentence at all.
        p.conviction("002001001000", OFFENSE, "20010301", sentence=None),
    ]
    conv = by_id(records_of(tmp_path, rows)[0])
    assert conv.loc["1:001002001000", "sentence_days"] == pytest.approx(3 * YEAR + 90 + 6 * MONTH)
    assert conv.loc["1:001002001000", "sentence"] == "3Y PROBATION; 90D JAIL; 6M JAIL"
    assert conv.loc["1:001002002000", "sentence_days"] == pytest.approx(YEAR)
    assert conv.loc["1:001002002000", "sentence"] == "1Y JAIL"
    assert conv.loc["1:002001001000", "sentence_days"] == 0
    assert conv.loc["1:002001001000", "sentence"] == ""
    assert (conv["data_problems"] == "").all()


def test_the_same_cnt_order_of_two_people_is_two_counts(tmp_path):
    a, b = Person("1"), Person("2")
    rows = [
        a.conviction("001002001000", OFFENSE, "19990301", sentence=("JAIL", "10", "D")),
        b.conviction("001002001000", OFFENSE, "19990301", sentence=("JAIL", "20", "D")),
    ]
    conv = by_id(records_of(tmp_path, rows)[0])
    assert conv.loc["1:001002001000", "sentence_days"] == 10
    assert conv.loc["2:001002001000", "sentence_days"] == 20


def test_an_unreadable_sentence_part_makes_the_sentence_unknown(tmp_path):
    p = Person("1")
    rows = [
        p.conviction("001002001000", OFFENSE, "19990301", sentence=("JAIL", "ABC", "D")),
        p.conviction("001002002000", OFFENSE, "19990301", sentence=("JAIL", "3", "W")),
        p.conviction("001002003000", OFFENSE, "19990301", sentence=("JAIL", "3", "D")),
    ]
    conv, issues = records_of(tmp_path, rows)
    conv = by_id(conv)
    assert np.isnan(conv.loc["1:001002001000", "sentence_days"])
    assert np.isnan(conv.loc["1:001002002000", "sentence_days"])
    assert conv.loc["1:001002003000", "sentence_days"] == 3
    assert conv.loc["1:001002001000", "data_problems"] == "BAD_SENTENCE"
    bad = issues[issues["code"] == "BAD_SENTENCE"]
    assert bad["line"].tolist() == [2, 3] and set(bad["column"]) == {"SENT_LENGTH"}
    assert set(bad["action"]) != {"row skipped"}  # kept, not skipped


@pytest.mark.parametrize("cnt", ["0030", "", "NULL", "00100200100A", "0010020010001"])
def test_a_malformed_cnt_order_is_kept_alone_and_flagged(tmp_path, cnt):
    p = Person("1")
    rows = [
        p.conviction("001002001000", OFFENSE, "19990301", sentence=("JAIL", "10", "D")),
        p.conviction(cnt, "11358 HS-CULTIVATE", "19990301", sentence=("JAIL", "20", "D"), ofn="X1"),
        p.conviction(cnt, "11358 HS-CULTIVATE", "19990301", sentence=("JAIL", "40", "D"), ofn="X2"),
    ]
    records, issues = records_of(tmp_path, rows)
    conv = by_id(records)
    # Each malformed row is its own conviction, keyed by file and line, with nothing merged into it.
    assert sorted(conv.index) == ["1:001002001000", "1:L0.3", "1:L0.4"]
    assert conv.loc["1:L0.3", "sentence_days"] == 20 and conv.loc["1:L0.4", "sentence_days"] == 40
    assert conv.loc["1:001002001000", "sentence_days"] == 10
    for key in ("1:L0.3", "1:L0.4"):
        assert conv.loc[key, "data_problems"] == "BAD_CNT_ORDER"
        assert conv.loc[key, "case_key"] == key and conv.loc[key, "count"] == ""
    flagged = issues[issues["code"] == "BAD_CNT_ORDER"]
    assert flagged["line"].tolist() == [3, 4] and set(flagged["column"]) == {"CNT_ORDER"}
    facts = facts_of(tmp_path, rows)
    assert facts.loc["1:L0.3", "case_numbers"] == ""  # its court case is unknown


@pytest.mark.parametrize(
    "level, toc, expected",
    [
        ("FELONY", "", "felony"),
        ("FELONY", "M", "felony"),
        (" felony ", "", "felony"),
        ("MISDEMEANOR", "F", "misdemeanor"),
        ("INFRACTION", "", "infraction"),
        ("", "F", "felony"),
        ("", " f ", "felony"),
        ("", "M", "misdemeanor"),
        ("", "I", "infraction"),
        ("", "", "unknown"),
        ("", "X", "unknown"),
        ("WOBBLER", "F", "unknown"),
    ],
)
def test_level_from_conviction_status_or_type_of_charge(tmp_path, level, toc, expected):
    p = Person("1")
    records, issues = records_of(tmp_path, [p.conviction("001002001000", OFFENSE, "19990301", level=level, toc=toc)])
    row = records.convictions.iloc[0]
    assert row["level"] == expected
    flagged = issues[issues["code"] == "UNKNOWN_LEVEL"]
    if expected == "unknown":
        assert flagged["line"].tolist() == [2] and "UNKNOWN_LEVEL" in row["data_problems"]
    else:
        assert flagged.empty and row["data_problems"] == ""


def test_case_numbers_come_from_the_court_rows_of_the_same_case(tmp_path):
    p = Person("1")
    rows = [
        p.arrest("001001001000", OFFENSE, "19990101", OFN="ARREST1"),
        p.conviction("001002001000", OFFENSE, "19990301", ofn="99F111"),
        p.court("001002002000", "11360 HS-TRANSPORT", "19990301", "DISMISSED", ofn=" 99F112 ", FE_NUM_CRT_CASE="NULL"),
        p.court("001002003000", "11360 HS-TRANSPORT", "19990301", "DISMISSED", ofn="NULL", FE_NUM_CRT_CASE="CRT-7"),
        p.court("001002004000", "11360 HS-TRANSPORT", "19990301", "DISMISSED", ofn="99F111"),  # repeated once
        p.conviction("002001001000", "11357 HS-POSSESS", "20050301", ofn="NULL"),
        p.court("003001001000", "459 PC-BURGLARY", "20060301", "CONVICTED", ofn="OTHER"),
    ]
    facts = facts_of(tmp_path, rows)
    assert facts.loc["1:001002001000", "case_numbers"] == "99F111; 99F112; CRT-7"
    assert facts.loc["1:002001001000", "case_numbers"] == ""  # NULL is no case number


def test_the_first_row_of_a_person_is_authoritative(tmp_path):
    first = Person("1", dob="19700101", name="FIRST,NAME", gender="FEMALE", race="BLACK")
    # (A different date of birth on a later row is a contradiction, not a detail the first row
    # overrides: see test_contradictions.py.)
    later = Person("1", dob="19700101", name="OTHER,NAME", gender="MALE", race="WHITE")
    rows = [
        first.arrest("001001001000", OFFENSE, "19990101"),
        later.conviction("001002001000", OFFENSE, "19990301"),
        first.conviction("001002002000", OFFENSE, "19990301"),
    ]
    records, _ = records_of(tmp_path, rows)
    person = records.people.loc["1"]
    assert (person["name"], person["gender"], person["race"]) == ("FIRST,NAME", "FEMALE", "BLACK")
    assert person["dob_lo"] == np.datetime64("1970-01-01") and person["dob_status"] == "ok"
    assert person["other_names"] == "OTHER,NAME"


def test_date_problems_are_reported_without_personal_values(tmp_path):
    p = Person("1", dob="19700000")
    q = Person("2", dob="19701345")
    rows = [p.conviction("001002001000", OFFENSE, "19990000"), q.conviction("001002001000", OFFENSE, "NULL")]
    records, issues = records_of(tmp_path, rows)
    dob = issues[issues["column"] == "PRI_DOB"]
    assert dob[["line", "code"]].values.tolist() == [[2, "PARTIAL_DATE"], [3, "INVALID_DATE"]]
    assert set(dob["value"]) == {""}  # a date of birth is personal: never copied into the report
    conv = issues[issues["column"] == "STP_EVENT_DATE"]
    assert conv[["line", "code", "value"]].values.tolist() == [
        [2, "PARTIAL_DATE", "19990000"],
        [3, "MISSING_DATE", "NULL"],
    ]
    people = records.people
    assert people.loc["1", "dob_status"] == "partial" and people.loc["2", "dob_status"] == "invalid"
    assert pd.isna(people.loc["2", "dob_lo"])
    assert (records.convictions["data_problems"] == "CONVICTION_DATE").all()


def test_deceased_and_pc290_registration(tmp_path):
    dead, registered, undated, other = Person("1"), Person("2"), Person("3"), Person("4")
    rows = [
        dead.conviction("001002001000", OFFENSE, "19990301"),
        dead.deceased("20190101"),
        registered.conviction("001002001000", OFFENSE, "19990301"),
        registered.registration("19950505"),
        undated.conviction("001002001000", OFFENSE, "19990301"),
        undated.registration(""),
        # A narcotics registration (HS 11590) is not a PC 290 registration; a DECEASED word elsewhere is not death.
        other.conviction("001002001000", OFFENSE, "19990301", comment="DECEASED"),
        other.registration("19950505", offense="11590 HS-NARCOTICS REGISTRATION"),
    ]
    records, issues = records_of(tmp_path, rows)
    people = records.people
    assert people["deceased"].to_dict() == {"1": True, "2": False, "3": False, "4": False}
    assert people["pc290_registration"].to_dict() == {"1": False, "2": True, "3": True, "4": False}
    reg = records.registrations.set_index("person_id")
    assert sorted(reg.index) == ["2", "3"]
    assert reg.loc["2", "lo"] == reg.loc["2", "hi"] == np.datetime64("1995-05-05")
    assert pd.isna(reg.loc["3", "lo"]) and pd.isna(reg.loc["3", "hi"])
    missing = issues[(issues["code"] == "MISSING_DATE") & (issues["line"] == 7)]
    assert missing["problem"].str.contains("registration").all() and len(missing) == 1


def test_attempt_and_comment_sections(tmp_path):
    p = Person("1")
    rows = [
        p.conviction("001002001000", "664/11360 HS-ATTEMPT TRANSPORT", "19990301"),
        p.conviction("001002002000", "SEE COMMENT FOR CHARGE", "19990301", comment="11358 HS-CULTIVATE"),
        p.conviction("001002003000", "11357.5 HS-SYNTHETIC CANNABINOIDS", "19990301"),
    ]
    conv = by_id(records_of(tmp_path, rows)[0])
    assert conv.loc["1:001002001000", ["number", "attempt", "on_cannabis"]].tolist() == ["11360", True, True]
    assert conv.loc["1:001002002000", ["number", "on_cannabis"]].tolist() == ["11358", True]
    assert conv.loc["1:001002003000", ["number", "on_cannabis"]].tolist() == ["11357.5", False]


def test_a_court_row_with_a_malformed_cnt_order_gives_no_case_number(tmp_path):
    # Its court case is unknown, so its numbers must not be attached to a case that merely shares a prefix.
    p = Person("1")
    rows = [
        p.conviction("001002001000", OFFENSE, "19990301", ofn="99F111"),
        p.court("00100200200X", "11360 HS-TRANSPORT", "19990301", "DISMISSED", ofn="WRONG1"),
        p.court("001002", "11360 HS-TRANSPORT", "19990301", "DISMISSED", ofn="WRONG2"),
        p.court(" 001002003000 ", "11360 HS-TRANSPORT", "19990301", "DISMISSED", ofn="PADDED"),
    ]
    facts = facts_of(tmp_path, rows)
    assert facts.loc["1:001002001000", "case_numbers"] == "99F111; PADDED"


def test_two_equal_sentence_parts_are_both_shown_and_summed(tmp_path):
    p = Person("1")
    rows = [
        p.conviction("001002001000", OFFENSE, "19990301", sentence=("JAIL", "90", "D")),
        p.sentence_part("001002001000", OFFENSE, "19990301", ("PROBATION", "3", "Y")),
        p.sentence_part("001002001000", OFFENSE, "19990301", ("JAIL", "90", "D")),
    ]
    conv = by_id(records_of(tmp_path, rows)[0])
    assert conv.loc["1:001002001000", "sentence_days"] == pytest.approx(180 + 3 * YEAR)
    assert conv.loc["1:001002001000", "sentence"] == "90D JAIL; 3Y PROBATION; 90D JAIL"


def test_rows_grouped_by_key_in_order_of_first_appearance():
    import numpy as np
    import pyarrow as pa

    from blueprint.engine.records import _by_first_appearance, _group_rows

    keys = ["b", "a", "b", "c", "a", "d", "c"]
    for column in (pa.array(keys), pa.chunked_array([pa.array(keys[:3]), pa.array(keys[3:])])):
        group, first = _group_rows(column)
        assert group.tolist() == [0, 1, 0, 2, 1, 3, 2]
        assert first.tolist() == [0, 1, 3, 5]
    # Numbers not given in order of appearance (the sort fallback) come out the same way.
    group, first = _by_first_appearance(np.array([2, 0, 2, 1, 0]), 3)
    assert group.tolist() == [0, 1, 0, 2, 1] and first.tolist() == [0, 1, 3]
    empty_group, empty_first = _group_rows(pa.array([], pa.string()))
    assert len(empty_group) == len(empty_first) == 0


def test_join_by_key_keeps_first_appearance_order_of_keys_and_values():
    """Other names and case numbers are listed in the order the file gives them, each once.

    A value met again later under the same key is not repeated; blanks and missing values are
    left out; the same value under two keys is kept for each.
    """
    from blueprint.engine.records import join_by_key

    keys = ["p2", "p1", "p2", "p2", "p1", "p2", "p3", "p2", "p1"]
    values = ["Z", "B", "", "A", "B", "Z", "A", None, "C"]
    joined = join_by_key(keys, values)
    assert list(joined.index) == ["p2", "p1", "p3"]
    assert list(joined) == ["Z; A", "B; C", "A"]
    # Arrow's hash "distinct" aggregation, used before, gave "y; z" here: its order of values is
    # an internal detail, not the file's (a random comparison found this smallest case).
    joined = join_by_key(["eee", "c", "a", "a"], ["Ω", "y", "z", "y"])
    assert joined.to_dict() == {"eee": "Ω", "c": "y", "a": "z; y"}


def test_join_by_key_without_distinct_keeps_every_value():
    from blueprint.engine.records import join_by_key

    joined = join_by_key(["k", "k", "j", "k"], ["2 years", "2 years", "x", "1 year"], distinct=False)
    assert joined.to_dict() == {"k": "2 years; 2 years; 1 year", "j": "x"}
    assert join_by_key(["k"], [""]).empty
