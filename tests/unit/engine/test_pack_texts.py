"""The statute's words a rule pack states in its pack.yaml: checked when the pack loads, errors naming
the file, the line and the key (issue 14, item 3: the state is data)."""

from __future__ import annotations

import shutil

import pytest

from blueprint.base.errors import PolicyError
from blueprint.engine.policy import RULES_DIR, pack_reliefs
from blueprint.engine.rulepack import load_rule_pack
from blueprint.run.policies import load_policy


@pytest.fixture
def pack(tmp_path):
    """A copy of the California pack whose pack.yaml a test edits."""
    folder = tmp_path / "ca" / "prop64"
    shutil.copytree(RULES_DIR / "california" / "prop64", folder)
    return folder


def _edit(folder, old: str, new: str) -> int:
    """Replace ``old`` in pack.yaml; return the line where it was (1-based)."""
    path = folder / "pack.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return text[: text.index(old)].count("\n") + 1


def test_california_states_its_bases_and_grounds_as_hs_11361_8_has_them():
    texts = load_rule_pack("california/prop64").texts
    # HS 11361.8(b): a person currently serving petitions for recall or dismissal; (e)-(f): a completed
    # sentence applies for dismissal and sealing or redesignation; (m): offenses committed under 18.
    assert (texts.track_bases.serving, texts.track_bases.completed) == ("HS 11361.8(b)", "HS 11361.8(f)")
    assert (texts.filing_bases.serving, texts.filing_bases.completed, texts.filing_bases.juvenile) == (
        "HS 11361.8(b)",
        "HS 11361.8(e)-(f)",
        "HS 11361.8(e)-(f), (m)",
    )
    # HS 11361.9 is the process that brings the bases to court.
    assert texts.filing_bases.via == "HS 11361.9"
    # The public-safety ground is HS 11361.8(b)'s: only against a person still serving.
    assert "(HS 11361.8(b))" in texts.challenge_grounds.public_safety
    assert pack_reliefs("california/prop64")["dismiss_and_seal"]["doj_disposition"] == "DISMISSED AND SEALED HS 11361.8"


def test_illinois_states_no_california_words():
    texts = load_rule_pack("illinois/crta").texts
    assert texts.track_bases is None and texts.filing_bases is None
    assert texts.challenge_grounds.public_safety is None
    assert "5.2(i)" in texts.challenge_grounds.criteria.completed


def test_an_empty_text_is_named_with_its_file_and_line(pack):
    line = _edit(pack, '  completed: "HS 11361.8(f)"', '  completed: ""')
    with pytest.raises(
        PolicyError, match=rf"prop64/pack.yaml:{line}: track_bases.completed: String should have at least 1 character"
    ):
        load_rule_pack(str(pack))


def test_an_unknown_key_is_named_with_its_line(pack):
    line = _edit(pack, '  via: "HS 11361.9"', '  through: "HS 11361.9"')
    with pytest.raises(PolicyError, match=rf"pack.yaml:{line}: filing_bases.through: Extra inputs are not permitted"):
        load_rule_pack(str(pack))


def test_a_pack_with_a_juvenile_track_needs_its_juvenile_basis(pack):
    _edit(pack, '  juvenile: "HS 11361.8(e)-(f), (m)"\n', "")
    with pytest.raises(PolicyError, match=r"filing_bases.juvenile: needed because juvenile_track is true"):
        load_rule_pack(str(pack))


def test_every_pack_states_its_challenge_grounds(pack):
    text = (pack / "pack.yaml").read_text()
    start = text.index("challenge_grounds:")
    end = text.index("# The review workbook's words")
    (pack / "pack.yaml").write_text(text[:start] + text[end:])
    with pytest.raises(
        PolicyError,
        match=r"^ca/prop64/pack.yaml:3: challenge_grounds: missing \(the grounds a notice of challenge states",
    ):
        load_rule_pack(str(pack))


def test_a_policy_with_by_track_bases_needs_the_packs_track_bases(pack, tmp_path):
    text = (pack / "pack.yaml").read_text()
    start = text.index("# The basis a rule with `basis: by_track`")
    end = text.index("# The basis the filings cite")
    (pack / "pack.yaml").write_text(text[:start] + text[end:])
    policy = tmp_path / "p.yaml"
    policy.write_text(
        f"name: p\nrule_pack: {pack}\nrules:\n  - id: all\n    when: {{always: true}}\n"
        "    determination: Eligible\n    relief: dismiss_and_seal\n    basis: by_track\n"
        "    reason_code: ALL\n    reason: all\n"
    )
    with pytest.raises(PolicyError, match=r"p.yaml:\d+: rule 1 \('all'\): basis 'by_track' needs 'track_bases'"):
        load_policy(policy)


def test_a_pack_must_declare_its_reliefs(pack, tmp_path):
    text = (pack / "pack.yaml").read_text()
    start = text.index("reliefs:")
    end = text.index("# The basis a rule with")
    (pack / "pack.yaml").write_text(text[:start] + text[end:])
    # A missing key points at the file's first key (line 3, after the comments).
    with pytest.raises(
        PolicyError, match=r"prop64/pack.yaml:3: reliefs: missing \(the relief kinds its policies name\)"
    ):
        pack_reliefs(str(pack))


def test_a_relief_key_the_kit_does_not_know_is_refused(pack):
    line = 1 + _edit(
        pack,
        "    doj_disposition: DISMISSED AND SEALED HS 11361.8\n",
        "    doj_disposition: DISMISSED AND SEALED HS 11361.8\n    court_text: x\n",
    )
    with pytest.raises(
        PolicyError, match=rf"pack.yaml:{line}: reliefs.dismiss_and_seal.court_text: Extra inputs are not permitted"
    ):
        pack_reliefs(str(pack))


def test_a_decision_prompt_longer_than_excel_shows_is_refused_with_its_line(pack):
    # Excel cuts a data validation's prompt at 255 characters without a word: refused when the pack loads.
    line = _edit(pack, "  decision_error: >-\n", "  decision_error: >-\n    " + "x" * 100 + "\n")
    with pytest.raises(
        PolicyError, match=rf"prop64/pack.yaml:{line}: review_prompts.decision_error: String should have at most 255"
    ):
        load_rule_pack(str(pack))


def test_californias_prompts_fit_in_excel():
    prompts = load_rule_pack("california/prop64").texts.review_prompts
    assert 40 < len(prompts.decision_prompt) <= 255 and 40 < len(prompts.decision_error) <= 255


def test_an_unknown_top_level_key_is_refused_with_its_line(pack):
    line = _edit(pack, "time_zone: America/Los_Angeles\n", "time_zone: America/Los_Angeles\ntimezone: UTC\n") + 1
    with pytest.raises(PolicyError, match=rf"prop64/pack.yaml:{line}: timezone: not a pack.yaml key; known: "):
        load_rule_pack(str(pack))


@pytest.mark.parametrize("key", ["review_prompts", "report"])
def test_every_pack_states_its_review_prompts_and_report_words(pack, key):
    text = (pack / "pack.yaml").read_text()
    start = text.index(f"\n{key}:\n") + 1
    following = {"review_prompts": "# The run's HTML report", "report": "# The statute's exclusions"}[key]
    (pack / "pack.yaml").write_text(text[:start] + text[text.index(following) :])
    with pytest.raises(PolicyError, match=rf"ca/prop64/pack.yaml:\d+: {key}: missing"):
        load_rule_pack(str(pack))


def test_a_report_term_without_its_text_is_named_with_its_line(pack):
    line = _edit(pack, "      text: removes the conviction from the record\n", "")
    with pytest.raises(PolicyError, match=rf"prop64/pack.yaml:{line - 1}: report.reliefs\[0\].text: missing"):
        load_rule_pack(str(pack))


def test_a_citation_form_needs_its_number(pack):
    from blueprint.intake.section_reading import SectionReadingError, load_reading_rules

    sections = pack / "sections.yaml"
    sections.write_text(sections.read_text().replace('cite: "HS {number}"', 'cite: "HS {section}"'))
    with pytest.raises(SectionReadingError, match=r"codes.HS.cite: .*\{number\}"):
        load_reading_rules(pack)


def test_sections_are_cited_as_each_pack_cites_them():
    california, illinois = load_rule_pack("california/prop64"), load_rule_pack("illinois/crta")
    assert california.section_citation("11359") == "HS 11359"
    assert illinois.section_citation("5") == "720 ILCS 550/5"
    # What is not a section of the evaluated list is printed as it is.
    assert california.section_citation("unreadable") == "unreadable"
    assert illinois.section_citation("unknown") == "unknown"


def test_the_exclusions_are_named_by_their_labels():
    assert load_rule_pack("california/prop64").exclusion_labels == {
        "after_line": "Conduct on or after 9 November 2016",
        "disqualifying_prior": "Felony with a disqualifying prior",
        "stays_felony_hint": "Felony that may stay a felony (hint)",
    }
    assert load_rule_pack("illinois/crta").exclusion_labels == {}


def test_california_words_each_disqualifying_prior_and_where_a_felony_stays_one():
    # HS 11361.8(e) excepts a person with a prior super strike (PC 667(e)(2)(C)(iv)) or PC 290(c)
    # offense; HS 11358(d), 11359(c) and 11360(a)(3) keep the felony for such a person, (d)(2), (c)(2) and
    # (a)(3)(B) for two priors of the same offense. The notices print these words from the pack.
    grounds = load_rule_pack("california/prop64").texts.challenge_grounds
    assert set(grounds.priors) == {"super_strike", "pc290", "two_priors", "registration"}
    assert "667(e)(2)(C)(iv)" in grounds.priors["super_strike"]
    assert "290(c)" in grounds.priors["pc290"]
    stays = {(i.prior, i.section): i.subdivision for i in grounds.felony_with_prior}
    assert stays[("two_priors", "11360")] == "HS 11360(a)(3)(B)"
    assert stays[("pc290", "11359")] == "HS 11359(c)(1)"
    assert ("two_priors", "11357") not in stays  # possession has no felony-with-priors subdivision


def test_an_unknown_kind_of_prior_is_refused_with_its_line(pack):
    _edit(pack, '    two_priors: "two or more', '    two_prior: "two or more')
    text = (pack / "pack.yaml").read_text()
    line = text[: text.index("  priors:\n")].count("\n") + 1  # the problem is the mapping's, at its key
    with pytest.raises(
        PolicyError, match=rf"prop64/pack.yaml:{line}: challenge_grounds.priors: unknown kind\(s\) of prior two_prior;"
    ):
        load_rule_pack(str(pack))
