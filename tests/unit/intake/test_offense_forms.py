"""The ways real DOJ extracts write one section, read as the domain note says they must be.

``offense_examples/forms.csv`` holds, per form family of the ``OFFENSE_DESCR`` column (subdivisions
without parentheses, PC's real lettered sections, no code, a glued code, spaces, padding and lower
case, two sections on one line, attempts, and texts naming a cannabis section that cannot be
resolved), positive and negative examples written by hand from the DOJ format, each with what the
reader must make of it:

- the parsed parts (``code_section`` ... ``second_code``);
- ``cannabis``: whether the line is on the cannabis list (HS 11357-11360, HS 11361.8);
- ``unresolved``: whether the line is not on the list yet its own charge names a cannabis section,
  so it must go to hand review rather than be dropped.

Then the same forms through the whole engine: every cannabis conviction gets a decision.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from blueprint.engine.offenses import load_offense_lists, parse_code_sections
from blueprint.run.policies import load_policy
from blueprint.intake.section_reading import SectionReadingError, load_reading_rules, named_sections

from doj_builder import Person, decide, records_of

EXAMPLES = Path(__file__).parent.parent / "offense_examples"
PACK = Path(__file__).resolve().parents[3] / "blueprint" / "rules" / "california" / "prop64"

with (EXAMPLES / "forms.csv").open(newline="", encoding="utf-8") as _fh:
    FORMS = list(csv.DictReader(_fh))


def _bool(text: str) -> bool:
    assert text in ("true", "false"), text
    return text == "true"


@pytest.fixture(scope="module")
def read_forms():
    descr = pd.Series([r["offense_descr"] for r in FORMS], dtype=object)
    comment = pd.Series([r["comment_text"] for r in FORMS], dtype=object)
    parsed = parse_code_sections(descr, comment)
    cannabis = load_offense_lists(PACK)["cannabis"]
    on_list = cannabis.matches(parsed)
    named = named_sections(parsed, descr, comment, cannabis.numbers)
    return parsed, on_list, named


@pytest.mark.parametrize("pos", range(len(FORMS)), ids=[r["why"] for r in FORMS])
def test_form_is_read_as_written_in_the_table(read_forms, pos):
    parsed, on_list, named = read_forms
    row, got = FORMS[pos], parsed.iloc[pos]
    for column in ("code_section", "number", "subsection", "code", "second_number", "second_subsection", "second_code"):
        assert got[column] == row[column], column
    assert bool(got["attempt"]) is _bool(row["attempt"])
    assert bool(got["readable"]) is (row["number"] != "")
    assert bool(on_list.iloc[pos]) is _bool(row["cannabis"])
    unresolved = not on_list.iloc[pos] and named.iloc[pos] != ""
    assert unresolved is _bool(row["unresolved"])


def test_every_form_family_has_positive_and_negative_examples():
    """A form family is only covered when the table shows both what it is and what it is not."""
    families = {
        "unparenthesised subdivision": lambda r: r["number"] and r["subsection"] and "(" not in r["code_section"],
        "lettered section": lambda r: r["number"][-1:].isalpha(),
        "no code": lambda r: r["number"] and not r["code"],
        "two sections": lambda r: r["second_number"] != "",
        "attempt": lambda r: r["attempt"] == "true",
        "unresolved": lambda r: r["unresolved"] == "true",
    }
    for name, test in families.items():
        hits = [r for r in FORMS if test(r)]
        assert hits, name
        assert len(hits) < len(FORMS), name
    # Near misses named explicitly: a lettered-looking PC section that is a subdivision, a dash that
    # is the description dash, a comment mention that is only a hint.
    assert any(r["number"] == "647" and r["subsection"] == "(F)" for r in FORMS)
    assert any(
        r["second_number"] == "" and "-" in r["offense_descr"].split(" ")[0] and r["attempt"] == "true" for r in FORMS
    )
    assert any(r["comment_text"] and r["unresolved"] == "false" and r["cannabis"] == "false" for r in FORMS)


# --- the rules as data --------------------------------------------------------------------------------


def test_reading_rules_are_the_packs_data():
    rules = load_reading_rules(PACK)
    assert {"HS", "PC", "VC", "BP"} <= set(rules.codes)
    assert {"288A", "273AB", "653F", "647A", "266H", "266C", "266J", "266I"} <= rules.lettered_sections("PC")
    assert not rules.lettered_sections("HS")  # 11357-11360: a letter is always a subdivision
    assert "647B" not in rules.lettered_sections("PC")  # prostitution is 647(b)
    assert (rules.attempt_number, rules.attempt_code) == ("664", "PC")
    assert set(rules.joiners) == {"/", "-", "+"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("version: 1\ncodes: {}\n", "codes"),
        ("version: 1\ncodes:\n  hs: {name: x}\n", "2-4 capital letters"),
        ("version: 1\ncodes:\n  PC: {name: x, lettered_sections: ['288']}\n", "one or two letters"),
        ("version: 1\ncodes:\n  PC: {name: x}\njoiners: ['&']\n", "joiner"),
        ("version: 1\ncodes:\n  PC: {name: x}\narticle_sections: true\njoiners: ['-']\n", "article_sections"),
        ("version: 1\ncodes:\n  HS: {name: x}\nattempt: {number: '664', code: PC}\n", "attempt.code PC"),
        ("version: 1\ncodes:\n  HS: {name: x, colour: red}\n", "colour"),
    ],
)
def test_invalid_reading_rules_get_clear_errors(tmp_path, body, message):
    (tmp_path / "sections.yaml").write_text(body, encoding="utf-8")
    with pytest.raises(SectionReadingError) as info:
        load_reading_rules(tmp_path)
    assert message in str(info.value)
    assert "sections.yaml" in str(info.value)


def test_a_pack_without_reading_rules_is_refused(tmp_path):
    with pytest.raises(SectionReadingError, match="sections.yaml"):
        load_reading_rules(tmp_path)


# --- through the engine ----------------------------------------------------------------------------------


def _cannabis(pid: str, offense: str, comment: str = "", level: str = "MISDEMEANOR") -> list[str]:
    return Person(pid).conviction("001001001000", offense, "20100301", level=level, comment=comment)


def test_every_cannabis_form_in_the_county_gets_a_decision(tmp_path):
    """One person per cannabis row of the table: each is decided, none silently left out.

    The table mixes the subdivisions of the text in force before 9 November 2016 (11357(E)) with those
    of Proposition 64's (11359B, 11357B2, 11358C). Each person here was arrested before the line and
    convicted after it, when either numbering may be recorded (a case not yet final takes the new,
    lesser text: In re Estrada), so every form names an existing subdivision; the county's policy lets
    the rules decide such a conviction like any other (HS 11361.8(a), (e): the conduct is before the line).
    """
    rows = [r for r in FORMS if r["cannabis"] == "true" or r["unresolved"] == "true"]
    built = [
        Person(str(100 + i)).conviction(
            "001001001000",
            r["offense_descr"],
            "20170301",
            level="MISDEMEANOR",
            comment=r["comment_text"],
            CYC_DATE="20160601",
        )
        for i, r in enumerate(rows)
    ]
    county = tmp_path / "county.yaml"
    county.write_text("name: county\nextends: california\nsettings:\n  review_arrested_before_convicted_after: false\n")
    decisions = decide(tmp_path, built, load_policy(county))
    assert len(decisions) == len(rows)
    by_person = decisions.set_index("person_id")
    for i, r in enumerate(rows):
        got = by_person.loc[str(100 + i)]
        assert got["determination"] != "", r["why"]
        if r["unresolved"] == "true":
            assert (got["determination"], got["reason_code"]) == ("Hand Review", "CANNABIS_SECTION_UNREADABLE"), r[
                "why"
            ]
        elif (
            r["second_number"]
            and r["second_number"] in ("11357", "11358", "11359", "11360")
            and r["number"] in ("11357", "11358", "11359", "11360")
        ):
            assert (got["determination"], got["reason_code"]) == ("Hand Review", "CANNABIS_TWO_SECTIONS"), r["why"]
        else:
            # A misdemeanor for conduct before November 2016 is dismissed (HS 11361.8(e)-(f)).
            assert got["reason_code"] == "MISDEMEANOR_OR_INFRACTION", r["why"]


def test_an_unreadable_cannabis_section_is_a_data_issue_and_not_another_offense(tmp_path):
    # HS 11361.9(b): the prosecution reviews every potentially eligible case; a charge it cannot read
    # is reported and reviewed, never left out.
    p = "HS 11359-POSSESS MARIJUANA FOR SALE"
    rows = [
        _cannabis("1", p),
        _cannabis("2", "11357 HS-POSSESS MARIJUANA"),
        Person("2").conviction("002001001000", "11357 PC-POSSESS", "20110301", level="MISDEMEANOR", county="FRESNO"),
    ]
    records, issues = records_of(tmp_path, rows)
    conv = records.convictions.set_index("person_id")
    assert bool(conv.loc["1", "section_unresolved"]) and conv.loc["1", "named_sections"] == "11359"
    found = issues[issues["code"] == "CANNABIS_SECTION_UNREADABLE"]
    assert sorted(found["line"]) == [2, 4]  # in the county and elsewhere: both reported
    assert set(found["column"]) == {"OFFENSE_DESCR"}
    assert "11359" in found.iloc[0]["problem"] and found.iloc[0]["value"] == p
    # Person 2's out-of-county "11357 PC" is of unknown section: "only cannabis" cannot be true.
    from doj_builder import facts_of

    facts = facts_of(tmp_path, rows)
    only = facts.set_index("person_id").loc["2", "only_cannabis"]
    assert only is pd.NA


def test_two_cannabis_sections_on_one_line_count_for_both_sections(tmp_path):
    from doj_builder import facts_of

    rows = [
        _cannabis("1", "11357/11360 HS-POSSESS/SELL MARIJUANA"),
        Person("1").conviction("002001001000", "11360 HS-SELL MARIJUANA", "20120301", level="FELONY"),
    ]
    facts = facts_of(tmp_path, rows).sort_values("conv_lo")
    assert facts["evaluated_sections"].tolist() == [2, 1]
    assert facts["count_11357"].tolist() == [1, 1] and facts["count_11360"].tolist() == [2, 2]
    # The later 11360 felony has one earlier conviction of the same section: the 11357/11360 line.
    assert facts["earlier_same_section_definite"].tolist() == [0, 1]


def test_the_cannabis_section_written_second_is_the_conviction_section(tmp_path):
    decisions = decide(tmp_path, [_cannabis("1", "11364/11358 HS-PARAPHERNALIA/CULTIVATE", level="FELONY")])
    got = decisions.iloc[0]
    assert got["number"] == "11358"
    assert got["reason_code"] == "FELONY_SECTION_REDUCE"  # 11358 is reduced under the default settings


@pytest.mark.parametrize(
    ("line", "separate", "prior"),
    [
        # PC 667(e)(2)(C)(iv)(VIII): 246 / 136.1 count as super strikes with a 186.22(b)(4) gang
        # enhancement in the same case, whether it is a count of its own or written on the same line.
        ("246/186.22(B)(4) PC-SHOOT AT INHABITED DWELLING", None, True),
        ("186.22(B)(4)-136.1 PC-DISSUADE WITNESS", None, True),
        ("246 PC-SHOOT AT INHABITED DWELLING", "186.22(B)(4) PC-GANG ENHANCEMENT", True),
        ("246 PC-SHOOT AT INHABITED DWELLING", None, False),
        ("246/186.22(B)(1) PC-SHOOT AT INHABITED DWELLING", None, False),
    ],
)
def test_a_gang_enhancement_on_the_same_line_counts_like_a_separate_count(tmp_path, line, separate, prior):
    person = Person("7")
    rows = [person.conviction("001001001000", line, "19990301", level="FELONY")]
    if separate:
        rows.append(person.conviction("001001002000", separate, "19990301", level="FELONY"))
    rows.append(person.conviction("002001001000", "11359 HS-POSSESS MARIJUANA FOR SALE", "20100301", level="FELONY"))
    got = decide(tmp_path, rows).iloc[0]
    assert (got["reason_code"] == "PRIOR_SUPER_STRIKE") is prior


def test_the_earlier_tool_compatibility_mode_surfaces_them_too(tmp_path):
    """A run with the desktop tool's settings and result files decides these convictions as well:
    Prop64_Results.csv has a row for each, in hand review, instead of leaving them out."""
    import csv as csv_module
    import json

    from blueprint.run.local import RunSettings, run_local
    from doj_builder import write_doj

    settings = tmp_path / "settings.json"
    settings.write_text(
        json.dumps(
            {
                "baselineEligibility": {"dismiss": ["11357"], "reduce": ["11358", "11359", "11360"]},
                "additionalRelief": {},
            }
        )
    )
    rows = [
        _cannabis("1", "HS 11359-POSSESS MARIJUANA FOR SALE"),
        _cannabis("2", "11357/11360 HS-POSS/SELL"),
        _cannabis("3", "11357B2 HS-POSSESS MARIJUANA"),
        _cannabis("4", "11360(B) SELL/FURNISH/ETC MARIJUANA"),
    ]
    path = write_doj(tmp_path / "doj.dat", rows)
    result = run_local(
        [path],
        RunSettings(county="SACRAMENTO", policy=str(settings), evaluation_date="2020-07-01", compat=True),
        tmp_path / "run",
    )
    with open(result.compat_files["Prop64_Results.csv"], newline="") as fh:
        found = list(csv_module.DictReader(fh))
    summary = json.loads(result.compat_files["summary.json"].read_text())
    assert summary["prop64ConvictionsCountInCountyByCodeSection"] == {"11357": 2, "11360": 1, "unreadable": 1}
    got = {r["SUBJECT_ID"]: (r["Eligibility Determination"], r["Eligibility Reason"][:20]) for r in found}
    assert got == {
        "1": ("Hand Review", "Cannabis section cou"),
        "2": ("Hand Review", "The charge names two"),
        "3": ("Eligible for Dismissal", "Misdemeanor or Infra"),
        "4": ("Eligible for Dismissal", "Misdemeanor or Infra"),
    }
