"""The review workbook's layout is defined once (``blueprint.review.layout``): the pre-filled decision
follows the rules' typed outcome, never a label, and the criteria ground is named by the rule pack."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from blueprint.engine.policy import RULES_DIR, PolicyError
from blueprint.engine.rulepack import CRITERIA_HEADING, load_rule_pack, review_criteria_heading
from blueprint.review.layout import (
    CONVICTION_COLUMNS,
    DECISION_LABELS,
    HEADERS,
    IDENTIFYING_COLUMNS,
    RELIEF_LABELS,
    Decision,
    decision_labels,
    identifying_columns,
    labelled,
    pack_conviction_columns,
    pack_decision_labels,
    pack_relief_labels,
    recommended_decisions,
)
from blueprint.review.writer import OFFICE_COLUMNS


def _rows(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["outcome", "relief", "determination"])


def test_prefill_follows_the_typed_outcome_not_the_determination_label():
    # HS 11361.9: the office either does not challenge (relief is asked) or challenges; the workbook
    # pre-fills "No challenge" for what the rules found eligible, the criteria challenge for what they
    # found not eligible. The labels below deliberately contradict the outcomes: only the outcome counts.
    frame = _rows(
        ("eligible", "dismiss_and_seal", "Not eligible"),
        ("not_eligible", "", "Eligible for Dismissal"),
        ("out_of_scope", "", "Hand Review"),
        ("hand_review", "", "Out of scope"),
    )
    assert list(recommended_decisions(frame)) == [
        Decision.NO_CHALLENGE,
        Decision.CHALLENGE_CRITERIA,
        Decision.OUT_OF_SCOPE,
        Decision.HAND_REVIEW_PENDING,
    ]


def test_an_eligible_outcome_without_a_relief_is_left_to_hand_review():
    # Nothing to ask the court for: "No challenge" would accept a relief the rules did not name.
    frame = _rows(("eligible", "", "Eligible"), ("eligible", "redesignate_misdemeanor", "Eligible"))
    assert list(recommended_decisions(frame)) == [Decision.HAND_REVIEW_PENDING, Decision.NO_CHALLENGE]


def test_labels_of_prefilled_decisions():
    decisions = recommended_decisions(_rows(("not_eligible", "", ""), ("eligible", "dismiss_and_seal", "")))
    assert list(labelled(decisions, DECISION_LABELS)) == [
        "Challenge - does not meet HS 11361.8 criteria",
        "No challenge",
    ]


def test_california_criteria_heading_comes_from_its_rule_pack():
    # HS 11361.9(b)(1): a challenge may rest on the person not meeting the criteria of HS 11361.8.
    assert load_rule_pack("california/prop64").review_criteria_heading == "HS 11361.8 criteria"
    assert DECISION_LABELS[Decision.CHALLENGE_CRITERIA] == "Challenge - does not meet HS 11361.8 criteria"


def test_another_packs_labels_carry_no_california_text():
    labels = pack_decision_labels("illinois/crta")
    assert labels[Decision.CHALLENGE_CRITERIA] == "Challenge - does not meet 20 ILCS 2630/5.2(i) criteria"
    assert not any("11361" in label for label in labels.values())


def _pack_with_heading(tmp_path, heading: str | None):
    """A copy of the Illinois pack whose review_criteria_heading is ``heading`` (the line left out if None)."""
    folder = tmp_path / "pack"
    shutil.copytree(RULES_DIR / "illinois" / "crta", folder)
    path = folder / "pack.yaml"
    old = 'review_criteria_heading: "20 ILCS 2630/5.2(i) criteria"\n'
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, "" if heading is None else f"review_criteria_heading: {heading}\n"))
    return str(folder)


def test_a_pack_without_a_heading_gets_the_plain_words(tmp_path):
    assert review_criteria_heading(_pack_with_heading(tmp_path, None)) == CRITERIA_HEADING
    assert decision_labels(CRITERIA_HEADING)[Decision.CHALLENGE_CRITERIA] == "Challenge - does not meet the criteria"


@pytest.mark.parametrize("bad", ["''", "[HS 11361.8]", '"two\\nlines"', "'" + "x" * 61 + "'"])
def test_a_malformed_heading_is_refused_naming_the_key(tmp_path, bad):
    with pytest.raises(PolicyError, match=r"pack/pack.yaml:\d+: review_criteria_heading: "):
        review_criteria_heading(_pack_with_heading(tmp_path, bad))


def test_one_header_list_for_writer_reader_and_sample():
    # The office's columns follow the run's, in the documented order (docs/reference/results.md).
    assert HEADERS[-4:] == tuple(title for title, _ in OFFICE_COLUMNS)
    assert set(IDENTIFYING_COLUMNS) <= set(HEADERS)
    assert len(set(HEADERS)) == len(HEADERS)


def test_the_persons_number_is_headed_by_the_packs_label_and_californias_layout_is_unchanged():
    # California's workbook keeps its documented headers (docs/reference/results.md).
    assert pack_conviction_columns("california/prop64") == CONVICTION_COLUMNS
    assert [h for h, c, _, _ in CONVICTION_COLUMNS if c == "cii_number"] == ["CII"]
    assert identifying_columns() == IDENTIFYING_COLUMNS
    # Illinois' differs only in that one header, and its identifying columns name it so.
    illinois = pack_conviction_columns("illinois/crta")
    changed = [(a, b) for a, b in zip(CONVICTION_COLUMNS, illinois) if a != b]
    assert changed == [(("CII", "cii_number", 11, "text"), ("SID", "cii_number", 11, "text"))]
    assert list(identifying_columns("SID")) == ["SID" if h == "CII" else h for h in IDENTIFYING_COLUMNS]


def test_the_reliefs_offered_are_the_packs():
    assert pack_relief_labels("california/prop64") == RELIEF_LABELS
    assert pack_relief_labels(None) == RELIEF_LABELS
    assert pack_relief_labels("illinois/crta") == {"vacate_and_expunge": "Vacate and expunge"}
