"""Joining the run's convictions with the office's decisions: what each filing will say.

The result is the "decided" table, one row per evaluated conviction: the run's columns (names, case
numbers, court, ... exactly as the run recorded them) plus the office's position, the relief that will
be requested, its statutory basis, and for a challenge its ground and the facts behind it. Every
document and export is drawn from this one table, so the notice, Attachment A, the order and the
court's CMS file cannot disagree.

Which list a conviction is filed in:

- relief not challenged, adult track: **Attachment A** (items 1 to N);
- relief not challenged, juvenile track (offense committed under 18): the **juvenile list**, its own
  items, filed in the juvenile court (HS 11361.8(m); reading for county counsel);
- challenged: a notice of challenge per person (and per court: adult or juvenile);
- out of scope (conduct after 9 November 2016): listed in the filing summary only, never challenged;
- hand review pending: not filed.

In a supplemental filing set (``--supplement-to``) the convictions an earlier set already filed keep
their earlier item and are marked ``filed_earlier``; no document lists them again.
"""

from __future__ import annotations

from itertools import zip_longest

import pandas as pd

from ..engine import dates
from ..engine import filing_rules
from ..engine.pack_spec import pack_reliefs, pack_texts
from ..engine.pack_texts import ChallengeGrounds
from ..review.layout import Decision, pack_person_id_label
from ..review.reader import ReviewResult
from ..report.finished_run import RunData

ATTACHMENT_A_LIST = "attachment_a"
JUVENILE_LIST = "juvenile_list"
NO_CASE_NUMBER = "NONE RECORDED - see note"
#: The clerk's note on a conviction without a case number; ``{person_id}`` is the rule pack's ``person_id_label``.
CASE_NOTE = "No case number in the record: clerk to identify the case (court, name, {person_id}, date, section)."
DOB_INVALID_NOTE = "Date of birth in the record is not a valid date: left blank."
DOB_MISSING_NOTE = "No date of birth in the record."

DECIDED_COLUMNS = (
    "decision",
    "decision_label",
    "filed_relief",
    "filed_relief_label",
    "filed_basis",
    "relief_effect",
    "level_after",
    "ground_statement",
    "ground_facts",
    "ground",
    "notes",
    "override",
    "review_row",
    "item",
    "filed_in",
    "filed_earlier",
    "notice_key",
    "case_numbers_shown",
    "case_note",
    "dob_note",
    "clerk_note",
)


def _section_of(code_section: str, section: str) -> str:
    if section:
        return section
    digits = "".join(ch for ch in code_section.split(" ")[0].split("/")[-1] if ch.isdigit())
    return digits[:5]


def prior_facts(
    kind: str,
    sections: str,
    dates: str,
    courts: str,
    cases: str,
    section: str,
    level: str,
    grounds: ChallengeGrounds,
) -> str:
    """The disqualifying prior as a notice of challenge states it: what it is (the pack's words,
    ``challenge_grounds.priors``), and each conviction's section, court, case and date as the record
    shows them (the People carry the burden); for a felony, the subdivision under which it may stay
    one (``challenge_grounds.felony_with_prior``)."""
    entries = []
    for sec, date, court, case in zip_longest(
        *(v.split("; ") if v else [] for v in (sections, dates, courts, cases)), fillvalue=""
    ):
        parts = [sec or "section not recorded"]
        parts.append(court or "court not recorded")
        parts.append(f"case {case}" if case else "case number not recorded")
        parts.append(f"convicted {date}" if date else "conviction date not recorded")
        entries.append(", ".join(parts))
    # A kind the pack does not word prints as its code.
    text = f"{grounds.priors.get(kind, kind)}: " + ("; ".join(entries) if entries else "details not recorded") + "."
    stays: dict[tuple[str, str], str] = {(i.prior, i.section): i.subdivision for i in grounds.felony_with_prior}
    subdivision = stays.get((kind, section))
    if subdivision and level == "felony":
        text += f" Under {subdivision} the offense may still be punished as a felony for a person with such a prior."
    return text[0].upper() + text[1:]


def data_problems(flags: str) -> list[str]:
    """The data problems the run flagged on a conviction ("data problem: ..." in ``flags``)."""
    return [part.split(":", 1)[1].strip() for part in flags.split("; ") if part.startswith("data problem:")]


def challenge_text(
    decision: Decision,
    track: str,
    outcome: str,
    reason: str,
    notes: str,
    flags: str,
    prior: tuple[str, str, str, str, str],
    section: str,
    level: str,
    grounds: ChallengeGrounds | None,
) -> tuple[str, str]:
    """The ground of a challenge and the facts behind it.

    The ground follows the track (``blueprint.engine.filing_rules``), in the rule pack's words
    (``challenge_grounds`` in its ``pack.yaml``). The facts are the disqualifying prior
    (court, case, date, section), or the data problem, or the rules' finding; the office's note
    follows them (for a public-safety challenge the note is the facts)."""
    facts: list[str] = []
    if grounds is None:
        raise ValueError("the rule pack's pack.yaml states no challenge_grounds: a challenge cannot be filed")
    if decision is Decision.CHALLENGE_PUBLIC_SAFETY:
        if not grounds.public_safety:
            raise ValueError(
                "the rule pack's pack.yaml states no challenge_grounds.public_safety: this state's "
                "statute has no public-safety challenge"
            )
        statement = grounds.public_safety
        if notes:
            facts.append(notes)
        return statement, " ".join(facts)
    statement = criteria_ground(grounds, track)
    kind = prior[0]
    if kind:
        facts.append(prior_facts(kind, *prior[1:], section=section, level=level, grounds=grounds))
    problems = data_problems(flags)
    if problems:
        facts.append("The record has a data problem: " + "; ".join(problems) + ".")
    if not kind and not problems and outcome == filing_rules.NOT_ELIGIBLE and reason:
        facts.append(f"The rules found: {reason.rstrip('.')}.")
    if notes:
        facts.append(f"Office's note: {notes}")
    return statement, " ".join(facts)


def criteria_ground(grounds: ChallengeGrounds, track: str) -> str:
    """The criteria ground of the conviction's track (the unknown-track ground when the record does not say)."""
    criteria = grounds.criteria
    by_track = {
        filing_rules.TRACK_SERVING: criteria.serving,
        filing_rules.TRACK_COMPLETED: criteria.completed,
        filing_rules.TRACK_JUVENILE: criteria.juvenile,
    }
    return by_track.get(track.strip().casefold()) or criteria.unknown


def decided_table(run: RunData, review: ReviewResult, *, earlier=None) -> pd.DataFrame:
    """The run's convictions with the office's decisions applied (all text columns).

    Non-challenged convictions are numbered in ``item`` in the order their list prints them: by
    court, then case number, then person and count, so a clerk working through a court's cases finds
    them together. Attachment A and the juvenile list are numbered separately, each from 1, or, in a
    supplemental set (``earlier``, a ``blueprint.filings.supplement.EarlierSet``), from the item after
    the earlier set's last.
    """
    frame = run.convictions.copy()
    texts = pack_texts(run.rule_pack)
    decisions = [review.decisions[cid] for cid in frame["conviction_id"]]
    frame["decision"] = [d.decision.value for d in decisions]
    frame["decision_label"] = [review.labels[d.decision] for d in decisions]  # the run's rule pack's labels
    frame["filed_relief"] = [d.relief if d.decision.grants_relief else "" for d in decisions]
    # The relief kinds, their labels, what the order does and the level after it are the run's rule
    # pack's (``reliefs`` in its pack.yaml).
    kinds = pack_reliefs(run.rule_pack)
    relief_labels = {code: kind["label"] for code, kind in kinds.items()}
    frame["filed_relief_label"] = [
        relief_labels.get(r) or (label if r == rec else "")
        for r, rec, label in zip(frame["filed_relief"], frame["relief"], frame["relief_label"])
    ]
    frame["filed_basis"] = [
        filing_rules.filed_basis(r, track, basis, rec, texts.filing_bases) if r else ""
        for r, rec, basis, track in zip(frame["filed_relief"], frame["relief"], frame["basis"], frame["track"])
    ]
    frame["relief_effect"] = [kinds[r]["order_effect"] if r in kinds else "" for r in frame["filed_relief"]]
    frame["level_after"] = [kinds[r]["level_after"] if r in kinds else "" for r in frame["filed_relief"]]
    statements, facts = [], []
    prior_columns = zip(
        frame["prior_kind"],
        frame["prior_section"],
        frame["prior_date"],
        frame["prior_court"],
        frame["prior_case_numbers"],
    )
    for d, track, outcome, reason, flags, prior, section, code, level in zip(
        decisions,
        frame["track"],
        frame["outcome"],
        frame["reason"],
        frame["flags"],
        prior_columns,
        frame.get("section", frame["code_section"]),
        frame["code_section"],
        frame["level"],
    ):
        if d.decision.is_challenge:
            statement, fact = challenge_text(
                d.decision,
                track,
                outcome,
                reason,
                d.notes,
                flags,
                prior,
                _section_of(code, section),
                level,
                texts.challenge_grounds,
            )
        else:
            statement, fact = "", ""
        statements.append(statement)
        facts.append(fact)
    frame["ground_statement"] = statements
    frame["ground_facts"] = facts
    frame["ground"] = [f"{s} {f}".strip() for s, f in zip(statements, facts)]
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
    # A date of birth that is not a full valid date leaves its place blank (or shows its known part),
    # with a note for the clerk; so does a row without a case number.
    dob_recorded = (
        frame["date_of_birth_recorded"] if "date_of_birth_recorded" in frame.columns else frame["date_of_birth"]
    )
    frame["dob_note"] = [
        "" if dob else (DOB_INVALID_NOTE if raw else DOB_MISSING_NOTE)
        for dob, raw in zip(frame["date_of_birth"], dob_recorded)
    ]
    case_note = CASE_NOTE.format(person_id=pack_person_id_label(run.rule_pack))
    frame["case_note"] = [case_note if not c else "" for c in frame["case_numbers"]]
    frame["case_numbers_shown"] = frame["case_numbers"].where(frame["case_numbers"] != "", NO_CASE_NUMBER)
    frame["clerk_note"] = [" ".join(n for n in pair if n) for pair in zip(frame["case_note"], frame["dob_note"])]

    juvenile = frame["track"].str.strip().str.casefold() == filing_rules.TRACK_JUVENILE
    frame["notice_key"] = frame["person_id"].where(~juvenile, frame["person_id"] + "-juvenile")
    count_number = pd.to_numeric(frame["count"], errors="coerce").fillna(0)
    frame = frame.assign(_count=count_number).sort_values(
        ["court", "case_numbers", "person_id", "_count", "conviction_id"], kind="stable"
    )
    frame = frame.drop(columns="_count").reset_index(drop=True)
    juvenile = frame["track"].str.strip().str.casefold() == filing_rules.TRACK_JUVENILE
    granted_rows = frame["filed_relief"] != ""
    frame["filed_in"] = ""
    frame.loc[granted_rows & ~juvenile, "filed_in"] = ATTACHMENT_A_LIST
    frame.loc[granted_rows & juvenile, "filed_in"] = JUVENILE_LIST
    frame["filed_earlier"] = ""
    frame["item"] = ""
    first = {ATTACHMENT_A_LIST: 1, JUVENILE_LIST: 1}
    if earlier is not None:
        frame = earlier.mark(frame)  # earlier-filed rows: filed_earlier "Y" and their earlier item
        first = {
            ATTACHMENT_A_LIST: earlier.last_item(ATTACHMENT_A_LIST) + 1,
            JUVENILE_LIST: earlier.last_item(JUVENILE_LIST) + 1,
        }
    new = frame["filed_earlier"] == ""
    for name, start in first.items():
        rows = new & (frame["filed_in"] == name)
        frame.loc[rows, "item"] = [str(n) for n in range(start, start + int(rows.sum()))]
    return frame


def _new(frame: pd.DataFrame) -> pd.Series:
    """Rows not filed by an earlier filing set (every row outside a supplemental set)."""
    if "filed_earlier" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame["filed_earlier"] == ""


def _in_list(frame: pd.DataFrame, name: str) -> pd.Series:
    if "filed_in" in frame.columns:
        return frame["filed_in"] == name
    # a decided table written before the juvenile list existed: everything granted is Attachment A
    return (frame["filed_relief"] != "") if name == ATTACHMENT_A_LIST else pd.Series(False, index=frame.index)


def granted(frame: pd.DataFrame) -> pd.DataFrame:
    """The non-challenged adult convictions of this filing (Attachment A), in item order."""
    return frame[_in_list(frame, ATTACHMENT_A_LIST) & _new(frame)].reset_index(drop=True)


def granted_juvenile(frame: pd.DataFrame) -> pd.DataFrame:
    """The non-challenged convictions of offenses committed under 18 (the juvenile list), in item order."""
    return frame[_in_list(frame, JUVENILE_LIST) & _new(frame)].reset_index(drop=True)


def challenged(frame: pd.DataFrame) -> pd.DataFrame:
    """The challenged convictions of this filing, by person."""
    mask = frame["decision"].isin([Decision.CHALLENGE_CRITERIA.value, Decision.CHALLENGE_PUBLIC_SAFETY.value]) & _new(
        frame
    )
    return frame[mask].sort_values(["person_id", "court", "case_numbers"], kind="stable").reset_index(drop=True)


def pending(frame: pd.DataFrame) -> pd.DataFrame:
    """Convictions still waiting for hand review: not in this filing."""
    return frame[frame["decision"] == Decision.HAND_REVIEW_PENDING.value].reset_index(drop=True)


def out_of_scope(frame: pd.DataFrame) -> pd.DataFrame:
    """Convictions listed as out of scope: the statute does not reach them; nothing is filed."""
    return frame[frame["decision"] == Decision.OUT_OF_SCOPE.value].reset_index(drop=True)


def filed_earlier(frame: pd.DataFrame) -> pd.DataFrame:
    """Convictions an earlier filing set already filed (a supplemental set skips them)."""
    return frame[~_new(frame)].reset_index(drop=True)
