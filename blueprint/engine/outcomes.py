"""What relief means for each person's whole record, under the policy and two what-ifs.

A conviction decision says what happens to one count; a deputy DA and the public want to know what
it means for *people*: how many are left with no felony, with no conviction at all, or with no
conviction in the last seven years. ``person_outcomes`` answers that for every person who has at
least one evaluated conviction, looking at **all** of that person's convictions (any offense, any
county), under three scenarios:

- ``policy``: the decisions as made. ``dismiss_and_seal`` removes the conviction;
  ``redesignate_misdemeanor`` and ``recall_and_resentence`` turn a felony into a misdemeanor;
  ``redesignate_infraction`` turns it into an infraction; no relief leaves it as it is. A rule pack
  that declares its own relief kinds says which of these effects each has (``effect_on_record``).
- ``dismiss_all``: what if every evaluated conviction were dismissed.
- ``dismiss_all_related``: the same, and also every conviction on the rule pack's ``related_list``
  (public intoxication, paraphernalia, ...) in the same court case as an evaluated conviction.

The answers are deliberately cautious, because they are statements about a person's record:

- a conviction of unknown level counts as a possible felony, so it keeps ``no_felony`` false
  (``had_felony`` counts only convictions known to be felonies);
- a conviction with an unknown or partial date that could fall within the seven years counts as
  recent, so it keeps ``no_conviction_7y`` false. Never claim a clean record the data cannot prove.

Everything is vectorised over convictions and reduced per person with ``numpy.bincount``; one shard
of whole people gives exactly the rows that the whole run would give for those people, so per-shard
results can simply be concatenated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates
from .decide import Evaluation
from .rulepack import RulePack

#: The scenarios in the order reports show them, with their names in words.
SCENARIOS: dict[str, str] = {
    "policy": "Under the policy",
    "dismiss_all": "What if every cannabis conviction were dismissed",
    "dismiss_all_related": "What if related charges in the same case were dismissed too",
}

#: What each scenario tells about a person, in column-suffix order.
OUTCOME_MEASURES = ("helped", "no_felony", "no_conviction", "no_conviction_7y")

#: Age bands on the evaluation date: (label, lowest age, highest age). ``unknown`` otherwise.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("under 21", 0, 20),
    ("21-29", 21, 29),
    ("30-39", 30, 39),
    ("40-49", 40, 49),
    ("50-64", 50, 64),
    ("65+", 65, 200),
)
AGE_UNKNOWN = "unknown"

#: Years before the evaluation date that count as "recent" for ``no_conviction_7y``.
RECENT_YEARS = 7

#: Relief values that turn a felony into a misdemeanor, or into an infraction.
TO_MISDEMEANOR = ("redesignate_misdemeanor", "recall_and_resentence")
TO_INFRACTION = ("redesignate_infraction",)
DISMISS = ("dismiss_and_seal",)

OUTCOME_COLUMNS = ["person_id", "gender", "race", "age_band", "had_felony"] + [
    f"{s}_{m}" for s in SCENARIOS for m in OUTCOME_MEASURES
]


def age_bands(dob_lo: np.ndarray, dob_hi: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """The age band of each person on ``as_of``; ``unknown`` when the birth date range spans two bands.

    A partial birth date such as ``19840000`` still gives a band when every possible day of birth
    falls in the same band; a missing, invalid or future birth date gives ``unknown``.
    """
    youngest = dates.years_between(np.asarray(dob_hi, dtype="datetime64[D]"), as_of)
    oldest = dates.years_between(np.asarray(dob_lo, dtype="datetime64[D]"), as_of)
    out = np.full(len(youngest), AGE_UNKNOWN, dtype=object)
    for label, low, high in AGE_BANDS:
        inside = (youngest >= low) & (oldest <= high)  # NaN compares false: unknown stays unknown
        out[inside] = label
    return out


def _label(values: pd.Series) -> np.ndarray:
    """Recorded demographic text, upper case; blank or ``NULL`` becomes ``UNKNOWN``."""
    text = values.fillna("").astype(str).str.strip().str.upper()
    return np.where((text == "") | (text == "NULL"), "UNKNOWN", text).astype(object)


def _strings(values) -> pa.Array:
    """Any column of strings as one Arrow array, for fast hash look-ups (``pyarrow.compute.index_in``)."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _position(values, among) -> np.ndarray:
    """Position of each of ``values`` in ``among`` (an array of distinct strings), -1 when absent."""
    found = pc.index_in(_strings(values), value_set=_strings(among))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _relief_effects(pack: RulePack) -> tuple[list[str], list[str]]:
    """The pack's relief codes that remove a conviction, and those that lower a felony's level."""
    kinds = getattr(pack, "reliefs", None)
    if not kinds:
        return list(DISMISS), list(TO_MISDEMEANOR + TO_INFRACTION)
    removes = [code for code, kind in kinds.items() if kind["effect_on_record"] == "removed"]
    lowers = [code for code, kind in kinds.items() if kind["effect_on_record"] in ("misdemeanor", "infraction")]
    return removes, lowers


def person_outcomes(evaluation: Evaluation, pack: RulePack) -> pd.DataFrame:
    """One row per person with an evaluated conviction: demographics and the three scenarios' outcomes.

    Columns: ``person_id``, ``gender``, ``race``, ``age_band``, ``had_felony``, and for each scenario
    in ``SCENARIOS`` the booleans ``<scenario>_helped``, ``_no_felony``, ``_no_conviction`` and
    ``_no_conviction_7y`` (see the module docstring for their exact meaning).
    """
    decisions = evaluation.decisions
    conv = evaluation.records.convictions
    people = evaluation.records.people

    person_ids = pd.unique(np.asarray(decisions["person_id"].to_numpy(), dtype=object))
    n_people = len(person_ids)

    # Every conviction of those people (context included), tied to its person's row number.
    who = _position(conv["person_id"], person_ids)
    mine = who >= 0
    who = who[mine]
    level = conv["level"].to_numpy(dtype=object)[mine]
    felony = level == "felony"
    possibly_felony = felony | (level == "unknown")

    # The policy's relief on each conviction (empty for context convictions).
    decision_row = _position(conv["conviction_id"], decisions["conviction_id"])[mine]
    evaluated = decision_row >= 0
    relief_of_decision = decisions["relief"].fillna("").astype(str).to_numpy(dtype=object)
    relief = np.where(evaluated, relief_of_decision[np.where(evaluated, decision_row, 0)] if len(decisions) else "", "")

    # Related charges in the same court case as an evaluated conviction.
    related_column = f"on_{pack.related_list}" if pack.related_list else None
    if related_column and related_column in conv and evaluated.any():
        case_key = conv["case_key"][mine]
        evaluated_cases = pd.unique(np.asarray(case_key[evaluated].to_numpy(), dtype=object))
        related = conv[related_column].to_numpy(dtype=bool)[mine] & (_position(case_key, evaluated_cases) >= 0)
    else:
        related = np.zeros(len(who), dtype=bool)

    # A conviction is recent when any day it could be dated is on or after the cut-off (or unknown).
    cutoff = dates.add_years(evaluation.as_of, -RECENT_YEARS)
    latest = conv["conv_hi"].to_numpy("datetime64[D]")[mine]
    recent = np.isnat(latest) | (latest >= cutoff)

    def any_per_person(mask: np.ndarray) -> np.ndarray:
        return np.bincount(who[mask], minlength=n_people) > 0

    def outcome(removed: np.ndarray, still_possibly_felony: np.ndarray, helped: np.ndarray) -> dict[str, np.ndarray]:
        kept = ~removed
        return {
            "helped": any_per_person(helped),
            "no_felony": ~any_per_person(kept & still_possibly_felony),
            "no_conviction": ~any_per_person(kept),
            "no_conviction_7y": ~any_per_person(kept & recent),
        }

    removes, lowers = _relief_effects(pack)
    reduced = np.isin(relief, lowers)
    scenarios = {
        "policy": outcome(np.isin(relief, removes), possibly_felony & ~reduced, relief != ""),
        "dismiss_all": outcome(evaluated, possibly_felony, evaluated),
        "dismiss_all_related": outcome(evaluated | related, possibly_felony, evaluated | related),
    }

    info = people.reindex(pd.Index(person_ids, dtype=people.index.dtype))
    out = pd.DataFrame(
        {
            "person_id": person_ids,
            "gender": _label(info["gender"]),
            "race": _label(info["race"]),
            "age_band": age_bands(
                info["dob_lo"].to_numpy("datetime64[D]"), info["dob_hi"].to_numpy("datetime64[D]"), evaluation.as_of
            ),
            "had_felony": any_per_person(felony),
        }
    )
    for name, values in scenarios.items():
        for measure in OUTCOME_MEASURES:
            out[f"{name}_{measure}"] = values[measure]
    return out[OUTCOME_COLUMNS]
