"""Prior convictions (and registrations) of each evaluated conviction: which count, and which they are.

A prior is another event on the person's record dated before the evaluated conviction's **offense**
(HS 11358(d), 11359(c), 11360(a)(3) as People v. Smit reads them: the disqualifying conviction must
exist when the cannabis offense is committed; one entered between the arrest and the conviction is
not a prior). The offense date is the arrest (cycle) date; when it is unknown, only the conviction
date bounds it from above, so an earlier event is a *possible* prior and a rule on priors cannot be
decided (hand review). The earlier tools compared with the conviction date instead; that reading
(``before_conviction``) is kept for the presets that reproduce them.

A conviction in the same court case is never a prior, unless the rows of that court step disagree on
the date (``STEP_DATE_CONFLICT``, ``blueprint.engine.contradictions``): the "case" may then be two, and an
event of it that may be earlier is a *possible* prior.

Each event also has a class: it *counts* (a super strike), or only *possibly* counts (a section whose
listing depends on a subdivision the record does not give; an old conviction that may or may not be
under the subdivision the two-priors rule counts). A pair is a definite prior only when both its
date and its class are definite.

Everything is vectorised: one merge of the evaluated convictions with the events of the same
people, then numpy comparisons and bincounts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Time answers and classes, three-valued and ordered.
NO, MAYBE, YES = 0, 1, 2


def before(other_lo: np.ndarray, other_hi: np.ndarray, this_lo: np.ndarray, this_hi: np.ndarray) -> np.ndarray:
    """Is an *other* dated event strictly before *this* date range? YES, MAYBE or NO per pair.

    NaT at either end of a range is unbounded on that side (an offense with an unknown arrest date
    is known only to come no later than its conviction: ``this_lo`` NaT, ``this_hi`` the conviction).
    """
    definitely = ~np.isnat(other_hi) & ~np.isnat(this_lo) & (other_hi < this_lo)
    definitely_not = ~np.isnat(other_lo) & ~np.isnat(this_hi) & (other_lo >= this_hi)
    return np.where(definitely, YES, np.where(definitely_not, NO, MAYBE)).astype(np.int8)


@dataclass
class Pairs:
    """Each (evaluated conviction, event of the same person) pair that may be a prior.

    ``cand`` is the evaluated conviction's position, ``event`` the event's position in the events
    frame; ``offense`` and ``conviction`` say (YES/MAYBE/NO) whether the event is before the offense
    and before the conviction; ``cls`` the event's class.
    """

    cand: np.ndarray
    event: np.ndarray
    offense: np.ndarray
    conviction: np.ndarray
    cls: np.ndarray
    n: int

    def weights(self, basis: str) -> tuple[np.ndarray, np.ndarray]:
        """Per pair: a definite prior, and a possible one (not definite), on ``basis``."""
        when = self.offense if basis == "offense" else self.conviction
        definite = (when == YES) & (self.cls == YES)
        possible = ~definite & (when >= MAYBE) & (self.cls >= MAYBE)
        return definite, possible

    def counts(self, basis: str) -> tuple[np.ndarray, np.ndarray]:
        """Per evaluated conviction: how many definite priors, and how many possible ones."""
        definite, possible = self.weights(basis)
        return (
            np.bincount(self.cand, weights=definite, minlength=self.n).astype(int),
            np.bincount(self.cand, weights=possible, minlength=self.n).astype(int),
        )


def pairs(candidates: pd.DataFrame, events: pd.DataFrame, same_key: str | None = None) -> Pairs:
    """All pairs of ``candidates`` (evaluated convictions: ``conviction_id``, ``person_id``,
    ``case_key``, ``step_dates_differ``, ``conv_lo``/``conv_hi``, ``offense_lo``/``offense_hi``) and
    ``events`` of the same person (``person_id``, ``lo``, ``hi``, ``cls``, optionally
    ``conviction_id`` and ``case_key``); with ``same_key``, only events sharing that column's value.
    The evaluated conviction itself and events of its own court case are left out (see the module).
    """
    n = len(candidates)
    empty = np.zeros(0, dtype=np.int64)
    if len(events) == 0 or n == 0:
        return Pairs(empty, empty, empty.astype(np.int8), empty.astype(np.int8), empty.astype(np.int8), n)
    cols = [
        "conviction_id",
        "person_id",
        "conv_lo",
        "conv_hi",
        "offense_lo",
        "offense_hi",
        "case_key",
        "step_dates_differ",
    ] + ([same_key] if same_key else [])
    left = candidates[cols].reset_index(drop=True)
    left["cand"] = np.arange(n)
    right = events.reset_index(drop=True)
    right = right.assign(event=np.arange(len(right)))
    on = ["person_id"] + ([same_key] if same_key else [])
    p = left.merge(right, on=on, how="inner", suffixes=("", "_event"))
    keep = np.ones(len(p), dtype=bool)
    if "conviction_id_event" in p:
        keep &= (p["conviction_id_event"] != p["conviction_id"]).to_numpy(dtype=bool)
    doubtful = np.zeros(len(p), dtype=bool)
    if "case_key_event" in p:
        same = (p["case_key_event"] == p["case_key"]).to_numpy(dtype=bool)
        doubtful = same & p["step_dates_differ"].to_numpy(dtype=bool)
        keep &= ~same | doubtful
    p = p[keep]
    doubtful = doubtful[keep]
    lo, hi = p["lo"].to_numpy("datetime64[D]"), p["hi"].to_numpy("datetime64[D]")
    offense = before(lo, hi, p["offense_lo"].to_numpy("datetime64[D]"), p["offense_hi"].to_numpy("datetime64[D]"))
    conviction = before(lo, hi, p["conv_lo"].to_numpy("datetime64[D]"), p["conv_hi"].to_numpy("datetime64[D]"))
    # An event of a court step whose rows disagree on the date is at most a possible prior.
    offense = np.where(doubtful, np.minimum(offense, MAYBE), offense).astype(np.int8)
    conviction = np.where(doubtful, np.minimum(conviction, MAYBE), conviction).astype(np.int8)
    return Pairs(
        p["cand"].to_numpy(dtype=np.int64),
        p["event"].to_numpy(dtype=np.int64),
        offense,
        conviction,
        p["cls"].to_numpy(dtype=np.int8),
        n,
    )


def _day_text(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A date as far as it is known: ``1999-03-01``, ``1999-03``, ``1999``, or ``unknown date``
    (only the few priors a decision names go through here)."""
    out = []
    for a, b in zip(np.asarray(lo, dtype="datetime64[D]"), np.asarray(hi, dtype="datetime64[D]")):
        if np.isnat(a) or np.isnat(b):
            out.append("unknown date")
            continue
        x, y = str(a), str(b)
        out.append(x if x == y else (x[:7] if x[:7] == y[:7] else x[:4]))
    return np.array(out, dtype=object)


def chosen(pp: Pairs, basis: str, wanted: np.ndarray, need: int) -> np.ndarray:
    """Which pairs a decision names (see :func:`details`)."""
    definite, possible = pp.weights(basis)
    d_count = np.bincount(pp.cand, weights=definite, minlength=pp.n)
    return wanted[pp.cand] & (definite | (possible & (d_count[pp.cand] < need)))


def used_events(pp: Pairs, basis: str, wanted: np.ndarray, need: int) -> np.ndarray:
    """The positions of the events :func:`details` names (so their case numbers are looked up only)."""
    if not wanted.any() or len(pp.cand) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.unique(pp.event[chosen(pp, basis, wanted, need)])


def details(pp: Pairs, events: pd.DataFrame, basis: str, wanted: np.ndarray, need: int) -> np.ndarray:
    """For each evaluated conviction in ``wanted`` (a bool mask), the priors behind its answer:
    ``section\\x1fdate\\x1fcourt\\x1fcase numbers`` (each part ``; ``-joined, in date order), or ``""``.

    The definite priors are named when there are at least ``need`` of them; otherwise the definite
    and the possible ones together (what a person must look at). ``events`` needs ``section``,
    ``court`` and ``case_numbers`` beside ``lo``/``hi``.
    """
    out = np.full(pp.n, "", dtype=object)
    if not wanted.any() or len(pp.cand) == 0:
        return out
    use = chosen(pp, basis, wanted, need)
    if not use.any():
        return out
    ev = events.reset_index(drop=True).iloc[pp.event[use]]
    lo = ev["lo"].to_numpy("datetime64[D]")
    cand = pp.cand[use]
    order = np.lexsort((np.where(np.isnat(lo), np.datetime64("9999-12-31", "D"), lo), cand))
    parts = [
        ev["section"].astype(str).to_numpy(dtype=object),
        _day_text(lo, ev["hi"].to_numpy("datetime64[D]")),
        ev["court"].astype(str).to_numpy(dtype=object),
        # one prior's own case numbers are joined by ", ": "; " separates the priors
        ev["case_numbers"].astype(str).str.replace("; ", ", ", regex=False).to_numpy(dtype=object),
    ]
    # Only the priors of the few decisions that name them come here: a plain loop over them.
    grouped: dict[int, list[list[str]]] = {}
    for i in order:
        grouped.setdefault(int(cand[i]), [[], [], [], []])
        for k in range(4):
            grouped[int(cand[i])][k].append(parts[k][i])
    for c, lists in grouped.items():
        out[c] = "\x1f".join("; ".join(values) for values in lists)
    return out


__all__ = ["MAYBE", "NO", "YES", "Pairs", "before", "chosen", "details", "pairs", "used_events"]
