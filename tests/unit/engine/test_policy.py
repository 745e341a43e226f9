"""Loading policies: presets, county files that extend them, and clear errors for every mistake."""

from __future__ import annotations

import textwrap

import pytest

from blueprint.engine.policy import PolicyError, list_presets
from blueprint.run.policies import load_policy

RULE = """
  - id: {id}
    when: {when}
    determination: Eligible for Dismissal
    relief: {relief}
    reason_code: CODE
    reason: "{reason}"
"""


def policy_file(tmp_path, body: str, name: str = "county.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def rules_file(tmp_path, *rules: dict, header: str = "name: county\n"):
    text = (
        header
        + "rules:\n"
        + "".join(
            RULE.format(**{"id": "r", "when": "{always: true}", "relief": "dismiss_and_seal", "reason": "because", **r})
            for r in rules
        )
    )
    return policy_file(tmp_path, text)


def error_of(path) -> str:
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    return str(info.value)


@pytest.mark.parametrize("name", ["california", "los-angeles-2020"])
def test_each_preset_loads(name):
    assert name in list_presets()
    policy = load_policy(name)
    assert policy.name == name and policy.source == f"preset:{name}"
    assert policy.rules and policy.rules[-1].predicate_names() == ["always"]  # everything is decided
    assert len({r.id for r in policy.rules}) == len(policy.rules)
    assert len(policy.sha256) == 64 and policy.sha256 == load_policy(name).sha256


def test_every_preset_of_the_pack_loads():
    for name in list_presets():
        assert load_policy(name).rules


def test_unknown_policy_names_the_presets():
    message = str(pytest.raises(PolicyError, load_policy, "no-such-policy").value)
    assert "no-such-policy" in message and "california" in message and "los-angeles-2020" in message


def test_unknown_predicate_names_rule_and_condition(tmp_path):
    message = error_of(rules_file(tmp_path, {"id": "first"}, {"id": "second", "when": "{felon: true}"}))
    # file:line of the condition's key (rule 2 is on lines 11-16 of the file rules_file writes)
    assert message.startswith("county.yaml:12: rule 2 ('second'): unknown condition 'felon'")
    assert "felony" in message  # the known conditions are listed


@pytest.mark.parametrize(
    "when, problem",
    [
        ("{felony: 'yes'}", "condition 'felony' expects true or false"),
        ("{age_on_evaluation_date: {between: 50}}", "condition 'age_on_evaluation_date' unknown comparison 'between'"),
        ("{age_on_evaluation_date: {at_least: -3}}", "'at_least' expects a non-negative number, got -3"),
        ("{conviction_before: 'last year'}", "condition 'conviction_before' expects a date YYYY-MM-DD"),
        ("{level_in: [felony, wobbler]}", "unknown level 'wobbler'"),
        ("{sentence: maybe}", "condition 'sentence' expects 'running' or 'complete'"),
        ("{section_in: []}", "condition 'section_in' expects a list of code sections"),
    ],
)
def test_bad_argument_names_rule_and_problem(tmp_path, when, problem):
    message = error_of(rules_file(tmp_path, {"id": "bad-one", "when": when}))
    assert "rule 1 ('bad-one'): " in message and problem in message


def test_duplicate_rule_id(tmp_path):
    message = error_of(rules_file(tmp_path, {"id": "same"}, {"id": "same"}))
    assert "rule 2 ('same'): duplicate rule id" in message


def test_unknown_relief_names_rule_and_the_allowed_reliefs(tmp_path):
    message = error_of(rules_file(tmp_path, {"id": "r1", "relief": "pardon"}))
    assert "rule 1 ('r1')" in message and "unknown relief 'pardon'" in message
    assert "dismiss_and_seal" in message and "redesignate_misdemeanor" in message


def test_structural_errors_name_the_rule(tmp_path):
    path = policy_file(
        tmp_path,
        """
        name: county
        rules:
          - id: fine
            when: {always: true}
            determination: Hand Review
            reason_code: OK
            reason: ok
          - id: broken
            when: {always: true}
            determination: Hand Review
            reason_code: not-upper-case
            reason: ok
            whenn: {felony: true}
        """,
    )
    message = error_of(path)
    assert "rule 2 ('broken')" in message
    assert "reason_code" in message and "whenn" in message


def test_unknown_references_to_settings(tmp_path):
    header = "name: county\nsettings:\n  age: 50\n  flag: false\n"
    message = error_of(
        rules_file(tmp_path, {"id": "r1", "when": "{age_on_evaluation_date: {at_least: $agee}}"}, header=header)
    )
    assert "rule 1 ('r1'): refers to unknown setting 'agee'" in message
    message = error_of(rules_file(tmp_path, {"id": "r1", "reason": "{years} years"}, header=header))
    assert "rule 1 ('r1'): reason refers to unknown setting" in message and "years" in message
    path = policy_file(
        tmp_path,
        header
        + "rules:\n"
        + RULE.format(id="r1", when="{always: true}", relief="dismiss_and_seal", reason="x")
        + "    enabled_if: missing\n",
    )
    assert "rule 1 ('r1'): enabled_if names unknown setting 'missing'" in error_of(path)


def test_not_yaml_and_not_a_mapping(tmp_path):
    assert "not valid YAML" in error_of(policy_file(tmp_path, "name: [unclosed\n"))
    assert "a policy file is a mapping" in error_of(policy_file(tmp_path, "- just\n- a list\n"))
    assert "needs at least one rule" in error_of(policy_file(tmp_path, "name: empty\nrules: []\n"))


# --- extending a preset --------------------------------------------------------------------------------


def test_extends_with_settings(tmp_path):
    path = policy_file(
        tmp_path,
        """
        name: my-county
        extends: california
        settings:
          dismiss_if_age_at_least: 50
          reduce_sections: ["11359", "11360"]
          dismiss_sections: ["11357", "11358"]
        """,
    )
    policy = load_policy(path)
    base = load_policy("california")
    assert policy.name == "my-county" and policy.source == str(path)
    assert policy.settings["dismiss_if_age_at_least"] == 50
    assert policy.settings["dismiss_if_deceased"] is False  # inherited
    rules = {r.id: r for r in policy.rules}
    # The age rule, off in the preset, is on here, with the setting substituted and the reason filled in.
    assert "dismiss-by-age" not in {r.id for r in base.rules}
    age = rules["dismiss-by-age"]
    assert [(c.predicate, c.argument) for c in age.conditions] == [
        ("felony", True),
        ("age_on_evaluation_date", ("at_least", 50.0)),
    ]
    assert age.reason == "50 years or older (county policy)"
    assert dict((c.predicate, c.argument) for c in rules["felony-dismiss"].conditions)["section_in"] == (
        "11357",
        "11358",
    )
    assert [r.id for r in policy.rules if r.id in {r.id for r in base.rules}] == [r.id for r in base.rules]


def test_extends_with_an_unknown_setting_or_preset(tmp_path):
    message = error_of(policy_file(tmp_path, "name: c\nextends: california\nsettings:\n  dismis_sections: [11357]\n"))
    assert "unknown setting 'dismis_sections' for preset 'california'" in message
    assert "dismiss_sections" in message  # the known ones are listed
    message = error_of(policy_file(tmp_path, "name: c\nextends: oregon\n"))
    assert "extends 'oregon', which is not a preset" in message


def test_extends_with_a_badly_typed_setting_names_the_rule(tmp_path):
    message = error_of(
        policy_file(tmp_path, "name: c\nextends: california\nsettings:\n  dismiss_if_age_at_least: fifty\n")
    )
    assert "('dismiss-by-age')" in message and "'at_least' expects a non-negative number, got 'fifty'" in message


@pytest.mark.parametrize(
    "setting, rule",
    [
        ("dismiss_if_age_at_least: 50", "dismiss-by-age"),
        ("dismiss_if_under_21_at_conviction: true", "dismiss-under-21"),
        ("dismiss_if_years_since_conviction: 10", "dismiss-old-conviction"),
        ("dismiss_if_years_crime_free: 10", "dismiss-crime-free"),
        ("dismiss_if_only_cannabis_and_complete: true", "dismiss-only-cannabis"),
        ("dismiss_if_deceased: true", "dismiss-deceased"),
    ],
)
def test_enabled_if_off_skips_the_rule(tmp_path, setting, rule):
    assert rule not in {r.id for r in load_policy("california").rules}
    policy = load_policy(policy_file(tmp_path, f"name: c\nextends: california\nsettings:\n  {setting}\n"))
    assert rule in {r.id for r in policy.rules}


def test_empty_section_lists_switch_their_rules_off(tmp_path):
    policy = load_policy(policy_file(tmp_path, "name: c\nextends: california\nsettings:\n  dismiss_sections: []\n"))
    assert "felony-dismiss" not in {r.id for r in policy.rules} and "felony-reduce" in {r.id for r in policy.rules}


def test_policy_hash_follows_the_settings(tmp_path):
    def sha(settings: str, name="c.yaml") -> str:
        return load_policy(policy_file(tmp_path, f"name: c\nextends: california\nsettings:\n{settings}", name)).sha256

    a = sha("  dismiss_if_age_at_least: 50\n")
    assert a == sha("  dismiss_if_age_at_least: 50\n", "other-file.yaml")  # content, not the file, decides
    assert a != sha("  dismiss_if_age_at_least: 55\n")
    assert sha("  dismiss_if_deceased: false\n") != sha("  dismiss_if_deceased: true\n")
    assert sha("  dismiss_if_deceased: false\n") != load_policy("california").sha256  # the name differs
    assert "dismiss_if_age_at_least" in str(load_policy("california").document["settings"])
