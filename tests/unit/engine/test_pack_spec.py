"""A rule pack's pack.yaml is one checked model, read once: every mistake is reported at once, one
line each, as ``<file>:<line>: <key>: <message>`` (issue 14 item 2, issue 10 item 7)."""

from __future__ import annotations

import re
import shutil

import pytest

from blueprint.base.errors import PolicyError
from blueprint.engine.pack_spec import PackSpec, load_pack_spec
from blueprint.engine.pack_texts import PackTexts
from blueprint.engine.policy import RULES_DIR
from blueprint.engine.rulepack import load_rule_pack

#: (text in California's pack.yaml, what replaces it, what the message says about it). Each line of
#: a replacement that names a key is where its problem is reported (its first line unless noted).
MISTAKES = (
    ("state: California\n", "", "state: missing (the state whose law the pack applies)"),
    ("evaluated_list: cannabis", "evaluated_list: cannabiz", "evaluated_list: 'cannabiz' is not one of the pack's offense lists"),
    ("default_preset: california", "default_preset: nowhere", "default_preset: 'nowhere' is not a preset of the pack"),
    ("time_zone: America/Los_Angeles", "time_zone: California/Pacific", "time_zone: 'California/Pacific' is not an IANA time zone name"),
    ("input_format: doj-research-file", "input_format: doj-research-file\ninput_mapping: gone.yaml", "input_mapping: file 'gone.yaml' is not in the pack's folder"),
    ("juvenile_track: true", "juvenile_track: maybe", "juvenile_track: Input should be a valid boolean"),
    ("    effect_on_record: removed\n", "    effect_on_record: erased\n", "reliefs.dismiss_and_seal.effect_on_record: Input should be 'removed', 'misdemeanor' or 'infraction'"),
    ('  completed: "HS 11361.8(f)"', "  completed: 3", "track_bases.completed: Input should be a valid string"),
    ('  via: "HS 11361.9"', '  through: "HS 11361.9"', "filing_bases.through: Extra inputs are not permitted"),
    ('review_criteria_heading: "HS 11361.8 criteria"', "review_criteria_heading: [a, list]", "review_criteria_heading: Input should be a valid string"),
    ("related_list: related", "related_list: related\ncolour: blue", "colour: not a pack.yaml key"),
)  # fmt: skip


@pytest.fixture
def pack(tmp_path):
    folder = tmp_path / "ca" / "prop64"
    shutil.copytree(RULES_DIR / "california" / "prop64", folder)
    return folder


def test_every_mistake_in_a_pack_yaml_is_reported_at_once_each_with_its_key_and_line(pack):
    path = pack / "pack.yaml"
    text = path.read_text()
    for old, new, _ in MISTAKES:
        assert text.count(old) >= 1, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    lines = text.splitlines()

    def line_of(replacement: str, message: str) -> int:
        """The line of the replacement's line whose key the message names (the first line for a removal)."""
        key = message.split(":")[0].split(".")[-1]
        if not replacement:
            return 3  # a missing top-level key: the file's first key
        wanted = [part for part in replacement.splitlines() if part.strip().startswith(key)] or replacement.splitlines()
        return next(i for i, line in enumerate(lines, 1) if line == wanted[0])

    with pytest.raises(PolicyError) as info:
        load_rule_pack(str(pack))
    message = str(info.value)
    assert message.startswith(f"ca/prop64/pack.yaml has {len(MISTAKES)} problems:\n"), message
    reported = message.splitlines()[1:]
    assert len(reported) == len(MISTAKES), message
    for _, new, said in MISTAKES:
        expected = f"ca/prop64/pack.yaml:{line_of(new, said)}: {said}"
        assert any(line.startswith(expected) for line in reported), f"{expected!r} not in\n{message}"
    # In file order, one line each, every one in the form <file>:<line>: <key>: <message>.
    numbers = [int(re.match(r"ca/prop64/pack.yaml:(\d+): [a-z_.\[\]0-9]+: ", line).group(1)) for line in reported]
    assert numbers == sorted(numbers)


def test_a_juvenile_track_without_its_texts_and_a_broken_exclusion_are_reported_together(pack):
    path = pack / "pack.yaml"
    text = path.read_text()
    text = text.replace('  juvenile: "HS 11361.8(e)-(f), (m)"\n', "", 1)
    text = text.replace("      felony_hint: true\n", "      felony_hint: true\n  - statute: no code nor condition\n")
    path.write_text(text)
    with pytest.raises(PolicyError) as info:
        load_pack_spec(str(pack))
    message = str(info.value)
    assert "filing_bases.juvenile: needed because juvenile_track is true" in message
    last = len(text.splitlines())
    assert f"pack.yaml:{last}: statutory_exclusions[3].code: missing" in message
    assert f"pack.yaml:{last}: statutory_exclusions[3].when: missing" in message


def test_an_exclusions_unknown_condition_is_named_with_its_line_in_pack_yaml(pack):
    path = pack / "pack.yaml"
    text = path.read_text()
    old = '    when: {offense_on_or_after: "2016-11-09"}'
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, '    when: {offense_after: "2016-11-09"}'))
    with pytest.raises(
        PolicyError,
        match=rf"prop64/pack.yaml:{line}: statutory_exclusions\[0\] \('after_line'\): unknown condition 'offense_after'",
    ):
        load_rule_pack(str(pack))


def test_a_syntax_error_is_named_with_its_line(pack):
    path = pack / "pack.yaml"
    path.write_text("name: x\nstate: [unclosed\n")
    with pytest.raises(PolicyError, match=r"prop64/pack.yaml:\d+: not valid YAML"):
        load_pack_spec(str(pack))


def test_the_spec_is_read_once_and_again_when_the_file_changes(pack):
    first = load_pack_spec(str(pack))
    assert load_pack_spec(str(pack)) is first
    path = pack / "pack.yaml"
    path.write_text(
        path.read_text().replace('review_criteria_heading: "HS 11361.8 criteria"', "review_criteria_heading: Criteria")
    )
    assert load_pack_spec(str(pack)).review_criteria_heading == "Criteria"


def test_every_text_key_of_pack_texts_is_a_key_of_the_spec():
    """A key added to the statute's words is read and checked with the rest of the file."""
    assert set(PackTexts.model_fields) <= set(PackSpec.model_fields)
    spec = load_pack_spec("california/prop64")
    assert spec.texts == load_rule_pack("california/prop64").texts
    assert spec.texts.challenge_grounds == spec.challenge_grounds


def test_both_packs_of_the_kit_are_valid():
    for name in ("california/prop64", "illinois/crta"):
        spec = load_pack_spec(name)
        assert spec.name == name and spec.reliefs and spec.time_zone


def test_the_person_id_label_is_californias_cii_unless_the_pack_names_its_own(pack):
    assert load_pack_spec("california/prop64").person_id_label == "CII"
    assert load_pack_spec("illinois/crta").person_id_label == "SID"
    path = pack / "pack.yaml"
    text = path.read_text()
    path.write_text(text.replace("related_list: related\n", "related_list: related\nperson_id_label: ' SID '\n", 1))
    assert load_pack_spec(str(pack)).person_id_label == "SID"
    # A label too long for the narrow column it heads is refused with its line.
    path.write_text(
        text.replace("related_list: related\n", "related_list: related\nperson_id_label: a state number\n", 1)
    )
    line = path.read_text().splitlines().index("person_id_label: a state number") + 1
    with pytest.raises(PolicyError) as info:
        load_pack_spec(str(pack))
    assert f"ca/prop64/pack.yaml:{line}: person_id_label: must be a short label" in str(info.value)
