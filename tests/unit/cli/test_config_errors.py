"""A configuration file with several mistakes gets one message per mistake, each with its key and line.

Files written by hand (a county policy, the earlier desktop tool's settings JSON, an office profile,
an input mapping) are checked whole: every mistake is listed at once as ``file:line: message``, so
staff fix them in one pass. The files below are written out line by line so the expected line
numbers can be read off the text.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from blueprint.cli import main as cli
from blueprint.filings import ProfileError, load_profile
from blueprint.intake.mapped_reader import MappingError, load_mapping
from blueprint.engine.policy import PolicyError
from blueprint.run.policies import load_policy
from blueprint.base.yaml_files import located_json, located_yaml

BROKEN_POLICY = """\
name: county
colour: blue
rules:
  - id: first
    when: {felony: true, felon: true}
    determination: Eligible for Dismissal
    relief: dismiss_and_seal
    reason_code: not-upper
    reason: first
  - id: second
    when:
      age_on_evaluation_date: {at_least: -3}
    determination: Eligible for Dismissal
    relief: pardon
    reason_code: SECOND
  - id: first
    when: {always: true}
    determination: Hand Review
    reason_code: LAST
    reason: "{nothing} here"
"""


def problems_of(path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    head, *lines = message.splitlines()
    assert head == f"{path.name} has {len(lines)} problems:"
    assert [p.line for p in sorted(info.value.problems, key=lambda p: p.line)] == [
        int(line.split(":")[1]) for line in lines
    ]
    return lines


def test_every_mistake_of_a_policy_file_is_listed_with_its_key_and_line(tmp_path):
    path = tmp_path / "county.yaml"
    path.write_text(BROKEN_POLICY)
    assert problems_of(path) == [
        "county.yaml:2: colour: Extra inputs are not permitted",
        "county.yaml:5: rule 1 ('first'): unknown condition 'felon'; known: "
        + ", ".join(sorted(__import__("blueprint.engine.predicates", fromlist=["PREDICATES"]).PREDICATES)),
        "county.yaml:8: rule 1 ('first'): reason_code: String should match pattern '^[A-Z0-9_]+$'",
        "county.yaml:10: rule 2 ('second'): reason: Field required",
        "county.yaml:12: rule 2 ('second'): condition 'age_on_evaluation_date' 'at_least' expects a "
        "non-negative number, got -3",
        "county.yaml:14: rule 2 ('second'): unknown relief 'pardon'; allowed: dismiss_and_seal, "
        "redesignate_misdemeanor, redesignate_infraction, recall_and_resentence",
        "county.yaml:16: rule 3 ('first'): duplicate rule id",
        "county.yaml:16: rule 3 ('first'): outcome: missing; a rule without a relief declares its outcome "
        "(not_eligible, hand_review, out_of_scope)",
        "county.yaml:20: rule 3 ('first'): reason refers to unknown setting 'nothing'",
    ]


def test_a_county_file_extending_a_preset_points_at_its_own_settings(tmp_path):
    path = tmp_path / "county.yaml"
    path.write_text(
        textwrap.dedent("""\
        name: county
        extends: california
        settings:
          dismiss_if_age_at_least: fifty
          dismis_sections: ["11357"]
          dismiss_if_years_crime_free: -1
          reduce_sectons: []
        """)
    )
    lines = problems_of(path)
    assert lines[0] == (
        "county.yaml:4: rule 13 ('dismiss-by-age'): condition 'age_on_evaluation_date' "
        "'at_least' expects a non-negative number, got 'fifty'"
    )
    assert lines[1].startswith(
        "county.yaml:5: unknown setting 'dismis_sections' for preset 'california'; "
        "known settings: dismiss_if_age_at_least, "
    )
    assert lines[2] == (
        "county.yaml:6: rule 16 ('dismiss-crime-free'): condition 'years_without_conviction' "
        "'at_least' expects a non-negative number, got -1"
    )
    assert lines[3].startswith("county.yaml:7: unknown setting 'reduce_sectons' for preset 'california'")
    assert len(lines) == 4


def test_check_policy_prints_every_problem_and_exits_2(tmp_path, capsys):
    path = tmp_path / "county.yaml"
    path.write_text(BROKEN_POLICY)
    assert cli.main(["check-policy", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "error: county.yaml has 9 problems:"
    assert [line.split(":")[1] for line in err[1:]] == ["2", "5", "8", "10", "12", "14", "16", "16", "20"]
    assert all(line.startswith("county.yaml:") for line in err[1:])


def test_a_yaml_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "county.yaml"
    path.write_text("name: county\nrules:\n  - id: x\n    when: {felony: true\n    reason: x\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert str(info.value).startswith("county.yaml:5: not valid YAML (")


SETTINGS = """\
{
  "baselineEligibility": {
    "dismiss": ["11357", "11361"],
    "reduce": ["11359",
               "11357.5"],
    "dismis": []
  },
  "additionalRelief": {
    "subjectUnder21AtConviction": "yes",
    "subjectAgeThreshold": 70,
    "yearsSinceConvictionThreshold": 10,
    "subjectIsDeceased": 1
  }
}
"""


def test_every_mistake_of_a_settings_json_is_listed_with_its_key_and_line(tmp_path):
    path = tmp_path / "office.json"
    path.write_text(SETTINGS)
    assert problems_of(path) == [
        "office.json:3: baselineEligibility.dismiss has section '11361'; allowed: 11357, 11358, 11359, 11360",
        "office.json:5: baselineEligibility.reduce has section '11357.5'; allowed: 11357, 11358, 11359, 11360",
        "office.json:6: baselineEligibility.dismis is not a known key; allowed: dismiss, reduce",
        "office.json:9: additionalRelief.subjectUnder21AtConviction = 'yes': allowed values are true or false",
        "office.json:10: additionalRelief.subjectAgeThreshold = 70: allowed values are 0 (off) or 40-65",
        "office.json:12: additionalRelief.subjectIsDeceased = 1: allowed values are true or false",
    ]
    assert cli.main(["check-policy", str(path)]) == 2


def test_json_lines_are_found_for_keys_and_items_on_any_layout():
    located = located_json('{"a": {"b": [1,\n  2, {"c":\n "x\\"y"}]},\n"d": null}')
    assert located.data == {"a": {"b": [1, 2, {"c": 'x"y'}]}, "d": None}
    assert located.line(("a", "b", 0)) == 1 and located.line(("a", "b", 1)) == 2
    assert located.line(("a", "b", 2, "c")) == 2 and located.line(("d",)) == 4
    assert located.line(("a", "missing", "deeper")) == 1  # the nearest key that is there
    assert json.loads(json.dumps(located.data)) == located.data


def test_yaml_lines_are_the_lines_of_the_keys():
    located = located_yaml("a:\n  b:\n    - x\n    - {c: 1,\n       d: 2}\n")
    assert [located.line(p) for p in (("a",), ("a", "b"), ("a", "b", 0), ("a", "b", 1, "d"))] == [1, 2, 3, 5]


def test_an_office_profile_with_several_mistakes_lists_each_with_its_line(tmp_path):
    path = tmp_path / "office.yaml"
    path.write_text(
        textwrap.dedent("""\
        county: EXAMPLE
        office:
          agency: Office of the District Attorney
          head: {name: A, title: District Attorney, bar_number: "12x"}
          address_lines: []
        signer: {name: B, title: Deputy District Attorney, bar_number: "2"}
        court: {county_line: FOR THE COUNTY OF EXAMPLE, room: 5}
        public_defender: {name: PD, address_lines: [1 Main Street]}
        service: {server: {name: C, title: Legal Secretary}, method: personal, place: Example City}
        """)
    )
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    lines = str(info.value).splitlines()
    assert lines[0] == "office profile office.yaml is incomplete or wrong:"
    assert lines[1].startswith("line 4: office.head.bar_number: Value error, a State Bar number is digits only")
    assert lines[2].startswith("line 5: office.address_lines: List should have at least 1 item")
    assert lines[3] == "line 7: court.room: Extra inputs are not permitted"
    assert len(lines) == 4


def test_an_input_mapping_with_several_mistakes_lists_each_with_its_line(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(
        textwrap.dedent("""\
        person: id
        case: case
        count: seq
        columns:
          NOT_A_COLUMN: {from: x}
        delimiter: ";;"
        colour: red
        """)
    )
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    lines = str(info.value).splitlines()
    assert lines[0] == "input mapping mapping.yaml:"
    assert lines[1].startswith("line 4: columns: Value error, 'NOT_A_COLUMN' is not an engine column")
    assert lines[2].startswith("line 6: delimiter: String should have at most 1 character")
    assert lines[3] == "line 7: colour: Extra inputs are not permitted"
