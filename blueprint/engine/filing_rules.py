"""What the statute lets the office file for each conviction: outcomes, tracks, grounds and reliefs.

The run records, for every evaluated conviction, a typed ``outcome`` (``eligible``, ``not_eligible``,
``hand_review``, ``out_of_scope``) and the ``track`` the law puts the person on. The review workbook,
the check of the office's review and the filings all apply the same few rules, kept here beside the
statute they come from:

- **Tracks** (HS 11361.8): a person *currently serving* a sentence petitions for recall or dismissal
  of the sentence and resentencing (subdivisions (a)-(b)); a person who has *completed* the sentence
  applies for dismissal and sealing, or redesignation (subdivisions (e)-(f)); an offense committed
  under 18 follows the *juvenile* track (subdivision (m)), filed in the juvenile court.
- **Challenge grounds follow the track.** "Unreasonable risk of danger to public safety" is a ground
  only against a person still serving (HS 11361.8(b)); for a completed sentence (HS 11361.8(e)-(f))
  the only ground is that the person does not meet the criteria. Reading for county counsel: the
  juvenile track and an unknown track are treated like a completed sentence (no public-safety ground).
- **Juvenile relief** is dismissal and sealing, or redesignation as an infraction, never an adult
  misdemeanor or a recall (under current law the cannabis offenses of a person under 18 are
  infractions: HS 11357(a)(1), 11358(a), 11359(a), 11360(a)(1)). Reading for county counsel.
- **Out of scope** (conduct after 9 November 2016): the statute never reaches the conviction, so the
  office neither asks relief for it nor files a challenge against it; it is listed as out of scope.

The words of the bases and grounds the filings print are the rule pack's (``filing_bases`` and
``challenge_grounds`` in its ``pack.yaml``; California's are quoted above).

Everything here works on whole columns (numpy), never row by row over a large run.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import numpy as np
import pandas as pd

from .pack_texts import FilingBases

TRACK_SERVING = "currently serving"
TRACK_COMPLETED = "completed sentence"
TRACK_JUVENILE = "juvenile"
TRACK_UNKNOWN = "unknown"


class Outcome(StrEnum):
    """A decision's typed outcome, recorded beside the words the office sees (its determination).

    Code decides on this, never on the words: the workbook's pre-fill, the summary's counts and the
    filings follow it. Its value is what the run's ``outcome`` column holds.
    """

    ELIGIBLE = "eligible"  # relief is asked (the rule names one)
    NOT_ELIGIBLE = "not_eligible"  # the office challenges the conviction's relief
    HAND_REVIEW = "hand_review"  # a person decides (the data or the policy cannot)
    OUT_OF_SCOPE = "out_of_scope"  # the statute does not reach it: neither relief nor a challenge


#: The outcome values as plain text (what the run's ``outcome`` column holds), in the order above.
ELIGIBLE = Outcome.ELIGIBLE.value
NOT_ELIGIBLE = Outcome.NOT_ELIGIBLE.value
HAND_REVIEW = Outcome.HAND_REVIEW.value
OUT_OF_SCOPE = Outcome.OUT_OF_SCOPE.value
OUTCOMES = tuple(o.value for o in Outcome)

#: The reliefs a juvenile-track conviction may receive (HS 11361.8(m); reading).
JUVENILE_RELIEFS = ("dismiss_and_seal", "redesignate_infraction")

#: HS 11590 (narcotics-offender registration) was repealed effective this day (AB 1261, 2019;
#: reading for county counsel to verify). A filing made on or after it asks no release from it.
HS11590_REPEALED = dt.date(2020, 1, 1)

#: Columns the contract between the run and the filings adds to the decision table, with the value
#: an older run folder (written before them) is given on load: empty. Not ``outcome``: a run without
#: it is refused (:func:`outcomes`), because an outcome is never guessed.
CONTRACT_COLUMNS = (
    "juvenile",
    "arrest_date",
    "prior_kind",
    "prior_section",
    "prior_date",
    "prior_court",
    "prior_case_numbers",
    "statutory_exclusion",
    "felony_hint",
)


class OutcomeMissing(ValueError):
    """A decision table without the typed outcome of every conviction (a run written before the
    ``outcome`` column existed, or a table assembled by hand): it is refused, never guessed from
    the determination's words."""


def outcomes(frame: pd.DataFrame) -> np.ndarray:
    """Each conviction's typed outcome: the run's ``outcome`` column, checked.

    The outcome is recorded by the rule that decided the conviction (its policy declares it); the
    determination is words for people and is never read to find it. A table without the column, or
    with a blank or unknown value in it, raises :class:`OutcomeMissing`. The check is done per
    distinct value, never per row.
    """
    if "outcome" not in frame.columns:
        raise OutcomeMissing(
            "the conviction table has no 'outcome' column: it was written before runs recorded each "
            "conviction's typed outcome; evaluate the input again with this version of the kit"
        )
    codes, uniques = pd.factorize(frame["outcome"].fillna("").astype(str).str.strip(), sort=False)
    unknown = sorted(set(uniques) - set(OUTCOMES))
    if unknown:
        shown = ", ".join(repr(u) for u in unknown)
        raise OutcomeMissing(
            f"the conviction table's 'outcome' column holds {shown}; each row must be one of {', '.join(OUTCOMES)}"
        )
    return np.asarray(uniques, dtype=object)[codes] if len(frame) else np.array([], dtype=object)


def public_safety_allowed(track: str) -> bool:
    """The public-safety ground applies only against a person still serving (HS 11361.8(b))."""
    return str(track).strip().casefold() == TRACK_SERVING


def is_juvenile(track: str) -> bool:
    return str(track).strip().casefold() == TRACK_JUVENILE


def filed_basis(
    relief: str, track: str, recorded_basis: str, recommended_relief: str, bases: FilingBases | None
) -> str:
    """The statutory basis printed for a relief the office asks for.

    The pack's own bases (``filing_bases`` in its ``pack.yaml``: those starting with ``follows_track``)
    follow the track: a person currently serving, or any recall and resentence, the serving basis; a
    juvenile-track offense the juvenile basis; a completed sentence the completed basis. For an unknown
    track the run's own basis is kept when the relief is the recommended one, else the completed basis.
    Any other basis, or every basis of a pack without ``filing_bases``, is kept as the run recorded it.
    """
    if bases is None or (recorded_basis and not recorded_basis.startswith(bases.follows_track)):
        return recorded_basis
    track = str(track).strip().casefold()
    if track == TRACK_JUVENILE and bases.juvenile:
        return bases.juvenile
    if relief == "recall_and_resentence" or track == TRACK_SERVING:
        return bases.serving
    if track == TRACK_COMPLETED:
        return bases.completed
    if relief == recommended_relief and recorded_basis:
        return recorded_basis
    return bases.completed


def basis_with_process(basis: str, bases: FilingBases | None) -> str:
    """The basis as the filings print it: the pack's own bases name the process statute after them
    (``<basis> via <via>``, California's HS 11361.9); another basis stands alone."""
    if bases is None or not bases.via or not basis.startswith(bases.follows_track):
        return basis
    return f"{basis} via {bases.via}"


def hs11590_release_applies(filing_day: dt.date) -> bool:
    """Whether a filing made on ``filing_day`` may ask release from HS 11590 registration as a
    current duty: only before that requirement's repeal (1 January 2020; reading to verify)."""
    return filing_day < HS11590_REPEALED
