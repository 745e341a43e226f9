"""Joining the run's convictions with the office's decisions: what each filing will say.

The result is the "decided" table, one row per evaluated conviction: the run's columns (names, case
numbers, court, ... exactly as the run recorded them) plus the office's position, the relief that will
be requested, its statutory basis, and for a challenge its ground. Every document and export is drawn
from this one table, so the notice, Attachment A, the order and the court's CMS file cannot disagree.
"""

from __future__ import annotations

import pandas as pd

from .. import dates
from ..review import DECISION_LABELS, RELIEF_LABELS, Decision, ReviewResult
from .run import RunData

#: Statutory basis of each relief when the office changed it (HS 11361.8): the currently-serving
#: track (petition to recall or dismiss and resentence) is subdivision (b); the completed-sentence
#: track (application to dismiss and seal, or redesignate) is subdivision (f).
BASIS_SERVING = "HS 11361.8(b)"
BASIS_COMPLETED = "HS 11361.8(f)"

#: What the court's order does for each relief, in the words the order and the exports use.
RELIEF_EFFECT = {
    "dismiss_and_seal": "Dismissed and sealed",
    "redesignate_misdemeanor": "Redesignated as a misdemeanor",
    "redesignate_infraction": "Redesignated as an infraction",
    "recall_and_resentence": "Sentence recalled; resentenced",
}
#: The level of the conviction once the relief is granted (exports): "dismissed" has no level.
LEVEL_AFTER = {
    "dismiss_and_seal": "dismissed",
    "redesignate_misdemeanor": "misdemeanor",
    "redesignate_infraction": "infraction",
    "recall_and_resentence": "as resentenced by the court",
}
#: The ground stated when the office challenges without writing its own.
DEFAULT_PUBLIC_SAFETY_GROUND = "Granting relief would present an unreasonable risk of danger to public safety (HS 11361.8(b))."

DECIDED_COLUMNS = (
    "decision",
    "decision_label",
    "filed_relief",
    "filed_relief_label",
    "filed_basis",
    "relief_effect",
    "level_after",
    "ground",
    "notes",
    "override",
    "review_row",
    "item",
)


def _basis(relief: str, recommended_relief: str, recommended_basis: str, track: str) -> str:
    if relief == recommended_relief and recommended_basis:
        return recommended_basis
    if relief == "recall_and_resentence" or track.strip().lower() == "currently serving":
        return BASIS_SERVING
    return BASIS_COMPLETED


def decided_table(run: RunData, review: ReviewResult) -> pd.DataFrame:
    """The run's convictions with the office's decisions applied (all text columns).

    Non-challenged convictions are numbered 1..N in ``item`` in the order Attachment A lists them:
    by court, then case number, then person and count, so a clerk working through a court's cases
    finds them together.
    """
    frame = run.convictions.copy()
    decisions = [review.decisions[cid] for cid in frame["conviction_id"]]
    frame["decision"] = [d.decision.value for d in decisions]
    frame["decision_label"] = [DECISION_LABELS[d.decision] for d in decisions]
    frame["filed_relief"] = [d.relief if d.decision.grants_relief else "" for d in decisions]
    # Another state's rule pack declares its own relief kinds: the run recorded their labels.
    frame["filed_relief_label"] = [
        RELIEF_LABELS.get(r) or (label if r == rec else "")
        for r, rec, label in zip(frame["filed_relief"], frame["relief"], frame["relief_label"])
    ]
    frame["filed_basis"] = [
        _basis(r, rec, basis, track) if r else ""
        for r, rec, basis, track in zip(frame["filed_relief"], frame["relief"], frame["basis"], frame["track"])
    ]
    frame["relief_effect"] = [RELIEF_EFFECT.get(r, "") for r in frame["filed_relief"]]
    frame["level_after"] = [LEVEL_AFTER.get(r, "") for r in frame["filed_relief"]]
    grounds = []
    for d, reason in zip(decisions, frame["reason"]):
        if d.decision is Decision.CHALLENGE_CRITERIA:
            if d.notes:
                grounds.append(d.notes)
            elif reason:
                grounds.append(reason)
            else:
                grounds.append("Does not meet the criteria of HS 11361.8.")
        elif d.decision is Decision.CHALLENGE_PUBLIC_SAFETY:
            grounds.append(d.notes or DEFAULT_PUBLIC_SAFETY_GROUND)
        else:
            grounds.append("")
    frame["ground"] = grounds
    frame["notes"] = [d.notes for d in decisions]
    frame["override"] = ["Y" if d.override else "" for d in decisions]
    frame["review_row"] = ["" if d.row is None else str(d.row) for d in decisions]

    # A partial date prints what is known of it ("1984", "1984-03"); an invalid, missing or
    # contradicted date prints nothing: a recorded value such as 00000000 or 19880332 is never
    # shown as if it were a date. (A run without the status columns prints full dates only.)
    for column in ("date_of_birth", "conviction_date"):
        recorded, status = f"{column}_recorded", f"{column}_status"
        if recorded in frame.columns and status in frame.columns:
            partial = (frame[status] == "partial").to_numpy()
            if partial.any():
                frame.loc[partial, column] = dates.known_part(frame.loc[partial, recorded].to_numpy(dtype=object))

    count_number = pd.to_numeric(frame["count"], errors="coerce").fillna(0)
    frame = frame.assign(_count=count_number).sort_values(
        ["court", "case_numbers", "person_id", "_count", "conviction_id"], kind="stable"
    )
    frame = frame.drop(columns="_count").reset_index(drop=True)
    granted = frame["filed_relief"] != ""
    frame["item"] = ""
    frame.loc[granted, "item"] = [str(n) for n in range(1, int(granted.sum()) + 1)]
    return frame


def granted(frame: pd.DataFrame) -> pd.DataFrame:
    """The non-challenged convictions (Attachment A), in item order."""
    return frame[frame["filed_relief"] != ""].reset_index(drop=True)


def challenged(frame: pd.DataFrame) -> pd.DataFrame:
    """The challenged convictions, by person."""
    mask = frame["decision"].isin([Decision.CHALLENGE_CRITERIA.value, Decision.CHALLENGE_PUBLIC_SAFETY.value])
    return frame[mask].sort_values(["person_id", "court", "case_numbers"], kind="stable").reset_index(drop=True)


def pending(frame: pd.DataFrame) -> pd.DataFrame:
    """Convictions still waiting for hand review: not in this filing."""
    return frame[frame["decision"] == Decision.HAND_REVIEW_PENDING.value].reset_index(drop=True)
