"""The review workbook's layout, defined once: sheets, columns, allowed values, the pre-filled decision.

``review.xlsx`` is a stable interface between the kit and the office (docs/reference/results.md):
the writer (``blueprint.review.writer``) lays it out, the reader (``blueprint.review.reader``) reads
the office's decisions back, the sample run of the tests (``tests/unit/sample_run.py``) writes the
same layout, and the tests check against it. All of them take the layout from here.

- **Columns.** The Convictions sheet has the run's columns (:data:`CONVICTION_COLUMNS`: header, result
  column, width, kind) and then the office's four (:data:`OFFICE_HEADERS`). The identifying columns
  (:data:`IDENTIFYING_COLUMNS`) key each row to its conviction: the reader refuses a change to any.
  The person's state identification number is headed by the rule pack's ``person_id_label``
  (:func:`pack_conviction_columns`): "CII", California's name for it, unless the pack says otherwise
  (Illinois: "SID"). The reader finds that column by the pack's label or by "CII" (:data:`PERSON_ID_HEADER`).
- **Allowed values.** The office's position on a conviction is a :class:`Decision`, shown by its label
  (:func:`decision_labels`). HS 11361.9 allows two positions: not to challenge the relief, or to
  challenge it on one of two grounds (the person does not meet the criteria; an unreasonable risk to
  public safety, only against a person still serving, HS 11361.8(b)). The label of the criteria ground
  names the rule pack's criteria (``review_criteria_heading`` in ``pack.yaml``), and the public-safety
  ground is offered only by a pack that states one (``challenge_grounds.public_safety``,
  :func:`pack_decisions`). Reliefs are shown by the rule pack's relief labels (:func:`pack_relief_labels`;
  :data:`RELIEF_LABELS` for California): the "Relief if different" dropdown offers them and the reader
  accepts only them.
- **The pre-filled decision** follows the rules' typed outcome (:func:`recommended_decisions`), never
  a display label.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

from ..engine import filing_rules
from ..engine.pack_spec import pack_person_id_label as _pack_person_id_label
from ..engine.pack_spec import pack_relief_labels as _pack_relief_labels
from ..engine.pack_spec import pack_texts
from ..engine.policy import DEFAULT_PACK, RELIEF_LABELS
from ..engine.rulepack import review_criteria_heading

__all__ = ["RELIEF_LABELS"]  # the relief labels are the engine's (one definition); re-exported here

CONVICTIONS_SHEET = "Convictions"
RUN_SHEET = "Run"
#: The hidden sheet holding the decision dropdown's two lists, and their workbook-level names.
LISTS_SHEET = "Lists"
LIST_SERVING, LIST_NOT_SERVING = "DecisionsServing", "DecisionsNotServing"


class Decision(str, Enum):
    """The office's position on one conviction (HS 11361.9), in the dropdown's order."""

    NO_CHALLENGE = "no_challenge"
    NO_CHALLENGE_DIFFERENT_RELIEF = "no_challenge_different_relief"
    CHALLENGE_CRITERIA = "challenge_criteria"
    CHALLENGE_PUBLIC_SAFETY = "challenge_public_safety"
    OUT_OF_SCOPE = "out_of_scope"
    HAND_REVIEW_PENDING = "hand_review_pending"

    @property
    def label(self) -> str:
        """The label in the default (California) rule pack's workbook."""
        return DECISION_LABELS[self]

    @property
    def grants_relief(self) -> bool:
        """Not challenged: the court is asked to grant relief (HS 11361.9)."""
        return self in (Decision.NO_CHALLENGE, Decision.NO_CHALLENGE_DIFFERENT_RELIEF)

    @property
    def is_challenge(self) -> bool:
        return self in (Decision.CHALLENGE_CRITERIA, Decision.CHALLENGE_PUBLIC_SAFETY)


def decision_labels(criteria_heading: str) -> dict[Decision, str]:
    """The exact dropdown values of "Prosecutor decision", for a rule pack whose criteria are called
    ``criteria_heading`` (``review_criteria_heading`` in its ``pack.yaml``)."""
    return {
        Decision.NO_CHALLENGE: "No challenge",
        Decision.NO_CHALLENGE_DIFFERENT_RELIEF: "No challenge - different relief",
        Decision.CHALLENGE_CRITERIA: f"Challenge - does not meet {criteria_heading}",
        Decision.CHALLENGE_PUBLIC_SAFETY: "Challenge - unreasonable risk to public safety",
        Decision.OUT_OF_SCOPE: "Out of scope - not filed",
        Decision.HAND_REVIEW_PENDING: "Hand review pending",
    }


def pack_decision_labels(rule_pack: str | None) -> dict[Decision, str]:
    """The decision labels of a rule pack's workbook (the default pack's when none is named)."""
    return decision_labels(review_criteria_heading(rule_pack or DEFAULT_PACK))


def pack_decisions(rule_pack: str | None) -> tuple[Decision, ...]:
    """The decisions a rule pack's workbook offers, in the dropdown's order: every one, less the
    public-safety challenge when the pack's statute has no such ground (no
    ``challenge_grounds.public_safety`` in its ``pack.yaml``, as Illinois')."""
    grounds = pack_texts(rule_pack or DEFAULT_PACK).challenge_grounds
    if grounds is not None and grounds.public_safety:
        return tuple(Decision)
    return tuple(d for d in Decision if d is not Decision.CHALLENGE_PUBLIC_SAFETY)


#: The decision labels of the default (California) rule pack.
DECISION_LABELS: dict[Decision, str] = pack_decision_labels(DEFAULT_PACK)

#: The decisions a row whose person is not currently serving may take: no public-safety ground for a
#: completed sentence, a juvenile-track or an unknown track (HS 11361.8(b), (e)-(f)).
DECISIONS_NOT_SERVING = tuple(d for d in Decision if d is not Decision.CHALLENGE_PUBLIC_SAFETY)

#: The header of the person's state identification number in the default (California) pack's workbook,
#: and in a workbook written before a rule pack could name it: the reader accepts it for every pack.
PERSON_ID_HEADER = "CII"
#: The result column that header shows (its name stays ``cii_number`` for every state: the run's contract).
PERSON_ID_COLUMN = "cii_number"

#: (header, result column, width, kind) of the run's columns, in the documented order, as the default
#: (California) pack's workbook heads them (:func:`pack_conviction_columns` for another pack's).
#: kind: text or date.
CONVICTION_COLUMNS: tuple[tuple[str, str, int, str], ...] = (
    ("Conviction ID", "conviction_id", 20, "text"),
    ("Person ID", "person_id", 11, "text"),
    ("Name", "name", 24, "text"),
    (PERSON_ID_HEADER, PERSON_ID_COLUMN, 11, "text"),
    ("Date of birth", "date_of_birth", 11, "date"),
    ("Case numbers", "case_numbers", 16, "text"),
    ("Court", "court", 18, "text"),
    ("Count", "count", 6, "text"),
    ("Conviction date", "conviction_date", 11, "date"),
    ("Code section", "code_section", 14, "text"),
    ("Level", "level", 11, "text"),
    ("Sentence", "sentence", 18, "text"),
    ("Sentence status", "sentence_status", 9, "text"),
    ("Track", "track", 17, "text"),
    ("Determination", "determination", 22, "text"),
    ("Relief", "relief_label", 22, "text"),
    ("Basis", "basis", 14, "text"),
    ("Reason", "reason", 40, "text"),
    ("Rule", "rule_id", 18, "text"),
    ("Facts", "rule_facts", 40, "text"),
    ("Flags", "flags", 30, "text"),
)
DECISION_COLUMN = "Prosecutor decision"
RELIEF_COLUMN = "Relief if different"
NOTES_COLUMN = "Ground / notes"
OVERRIDE_COLUMN = "Override out-of-scope"
#: The office's columns, after the run's.
OFFICE_HEADERS = (DECISION_COLUMN, RELIEF_COLUMN, NOTES_COLUMN, OVERRIDE_COLUMN)
#: Every header of the Convictions sheet, in order.
HEADERS = tuple(h for h, _, _, _ in CONVICTION_COLUMNS) + OFFICE_HEADERS

#: The run columns of the identifying columns (see :func:`identifying_columns`).
_IDENTIFYING = (
    "conviction_id",
    "person_id",
    "name",
    PERSON_ID_COLUMN,
    "case_numbers",
    "code_section",
    "conviction_date",
)


def conviction_columns(person_id_label: str = PERSON_ID_HEADER) -> tuple[tuple[str, str, int, str], ...]:
    """The run's columns of the Convictions sheet, the person's state identification number headed
    ``person_id_label`` (a rule pack's ``person_id_label``)."""
    return tuple(
        (person_id_label if column == PERSON_ID_COLUMN else header, column, width, kind)
        for header, column, width, kind in CONVICTION_COLUMNS
    )


def identifying_columns(person_id_label: str = PERSON_ID_HEADER) -> dict[str, str]:
    """Identifying columns: workbook header -> run column. A change to any of them stops finalisation,
    because it means a row no longer describes the conviction it is keyed to."""
    return {header: column for header, column, _, _ in conviction_columns(person_id_label) if column in _IDENTIFYING}


def pack_person_id_label(rule_pack: str | None) -> str:
    """What a rule pack's workbook and filings call a person's state identification number
    (``person_id_label`` in its ``pack.yaml``; the default pack's when none is named)."""
    return _pack_person_id_label(rule_pack or DEFAULT_PACK)


def pack_conviction_columns(rule_pack: str | None) -> tuple[tuple[str, str, int, str], ...]:
    """The run's columns of a rule pack's Convictions sheet (its ``person_id_label`` heads the number)."""
    return conviction_columns(pack_person_id_label(rule_pack))


def pack_relief_labels(rule_pack: str | None) -> dict[str, str]:
    """The reliefs a rule pack's workbook offers in "Relief if different", by code (its ``reliefs``)."""
    return _pack_relief_labels(rule_pack or DEFAULT_PACK)


#: The identifying columns of the default (California) pack's workbook.
IDENTIFYING_COLUMNS: dict[str, str] = identifying_columns()
#: The rules' recommendation columns: shown for reading, not read back. Editing them is reported,
#: because an office that types a new relief there would otherwise be ignored without knowing it.
#: The Relief cell may show the run's label or its code.
RECOMMENDATION_COLUMNS: dict[str, tuple[str, ...]] = {
    "Determination": ("determination",),
    "Relief": ("relief_label", "relief"),
}
REQUIRED_HEADERS = (*IDENTIFYING_COLUMNS, *OFFICE_HEADERS)

#: The Run sheet's keys that must equal the run's manifest (a review of another run is refused).
RUN_KEYS = ("run_id", "inputs_sha256", "policy_name", "policy_sha256")

#: The decision pre-filled for each typed outcome of the rules (docs/reference/results.md).
PREFILL: dict[str, Decision] = {
    filing_rules.ELIGIBLE: Decision.NO_CHALLENGE,
    filing_rules.NOT_ELIGIBLE: Decision.CHALLENGE_CRITERIA,
    filing_rules.OUT_OF_SCOPE: Decision.OUT_OF_SCOPE,
    filing_rules.HAND_REVIEW: Decision.HAND_REVIEW_PENDING,
}


def recommended_decisions(convictions: pd.DataFrame) -> np.ndarray:
    """The pre-filled decision of every conviction (an array of :class:`Decision`), from its typed outcome.

    One case rule besides :data:`PREFILL`: an eligible outcome without a relief (nothing to ask for)
    is left to hand review. Worked on whole columns: a few comparisons, however many rows.
    """
    outcome = filing_rules.outcomes(convictions)
    relief = (
        convictions["relief"].fillna("").astype(str).to_numpy()
        if "relief" in convictions
        else np.full(len(convictions), "")
    )
    out = np.full(len(convictions), Decision.HAND_REVIEW_PENDING, dtype=object)
    for code, decision in PREFILL.items():
        out[outcome == code] = decision
    out[(outcome == filing_rules.ELIGIBLE) & (relief == "")] = Decision.HAND_REVIEW_PENDING
    return out


def labelled(decisions: np.ndarray, labels: dict[Decision, str]) -> np.ndarray:
    """The labels of an array of decisions (looked up once per distinct decision, not per row)."""
    codes, uniques = pd.factorize(pd.Series(decisions, dtype=object), sort=False)
    if len(decisions) == 0:
        return np.array([], dtype=object)
    return np.array([labels[Decision(u)] for u in uniques], dtype=object)[codes]
