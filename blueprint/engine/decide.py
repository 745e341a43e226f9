"""The engine in one call: rows of whole people in, explained decisions out.

The local run, each cloud shard and the tests all go through ``evaluate_rows``, so there is one
code path from DOJ rows to decisions whatever the front door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from . import filing_rules
from .evaluate import evaluate, set_prior_columns
from .exclusions import statutory_exclusions
from .facts import PriorIndex, build_facts_and_priors
from ..intake.issues import IssueLog
from .policy import Policy
from .records import Records, build_records
from .rulepack import RulePack


@dataclass
class Evaluation:
    """Records of the people evaluated, and one decided row per evaluated conviction."""

    records: Records
    decisions: pd.DataFrame
    as_of: np.datetime64
    county: str


def evaluate_rows(
    rows: pa.Table,
    file_names: list[str],
    issues: IssueLog,
    pack: RulePack,
    policy: Policy,
    county: str,
    as_of: str | date,
) -> Evaluation:
    """Build records from ``rows`` (whole people only), derive facts, and apply ``policy``."""
    day = np.datetime64(as_of, "D")
    records = build_records(
        rows,
        file_names,
        issues,
        pack.lists,
        getattr(pack, "case_context_lists", ()),
        reading=pack.reading,
        evaluated=pack.evaluated_list,
        current_law=pack.current_law,
    )
    facts, prior_index = build_facts_and_priors(records, pack, county)
    decisions = evaluate(facts, policy, day)
    _statute_marks(decisions, facts, pack, day)
    _name_the_priors(decisions, prior_index)
    decisions["source_file_index"] = decisions["source_file"].astype("int64")
    decisions["source_file"] = [file_names[int(i)] for i in decisions["source_file"]] if len(decisions) else []
    return Evaluation(records=records, decisions=decisions, as_of=day, county=county.strip().upper())


#: Where the prior behind a ``disqualifying_prior`` exclusion is looked for when no rule of the policy
#: named one (the statute's reading, in the order of HS 11358(d)(1)-(2)).
_EXCLUSION_SOURCE = "super_strike/offense;pc290/offense;two_priors/offense;registration/offense"


def _statute_marks(decisions: pd.DataFrame, facts: pd.DataFrame, pack: RulePack, as_of: np.datetime64) -> None:
    """What the statute says whatever the policy: the exclusion of each conviction (``statutory_exclusion``),
    where to find the prior behind a ``disqualifying_prior`` one that no rule named, and the juvenile track."""
    exclusion = statutory_exclusions(facts, pack.statutory_exclusions, as_of)
    decisions["statutory_exclusion"] = exclusion
    unnamed = (exclusion == "disqualifying_prior") & (decisions["prior_source"].to_numpy(dtype=object) == "")
    decisions["prior_source"] = np.where(unnamed, _EXCLUSION_SOURCE, decisions["prior_source"].to_numpy(dtype=object))
    if pack.juvenile_track and len(decisions):
        young = decisions["juvenile"].to_numpy(dtype=object) == "yes"
        track = decisions["track"].to_numpy(dtype=object)
        decisions["track"] = np.where(young, filing_rules.TRACK_JUVENILE, track)
        bases = pack.texts.filing_bases
        if bases is not None and bases.juvenile:
            basis = decisions["basis"].astype(str).to_numpy(dtype=object)
            own = np.array([b.startswith(bases.follows_track) for b in basis], dtype=bool)
            decisions["basis"] = np.where(young & own, bases.juvenile, basis)


def _name_the_priors(decisions: pd.DataFrame, index: PriorIndex) -> None:
    """The ``prior_*`` columns of the decisions that name a prior: the first source that has one.

    First which rows each (kind, basis) names, then the case numbers of every prior to be named at
    once, then the texts: only the decisions that name a prior pay for it.
    """
    source = decisions.pop("prior_source").to_numpy(dtype=object)
    kind = decisions["prior_kind"].to_numpy(dtype=object).copy()
    taken = np.zeros(len(decisions), dtype=bool)
    plan: dict[tuple[str, str], list[np.ndarray]] = {}
    keys = []
    for text in pd.unique(source[source != ""]):
        rows = np.flatnonzero(source == text)
        for entry in text.split(";"):
            name, basis = entry.split("/")
            open_rows = rows[~taken[rows]]
            if len(open_rows) == 0:
                break
            has, case_keys = index.covered(name, basis, open_rows)
            taken[open_rows[has]] = True
            plan.setdefault((name, basis), []).append(open_rows[has])
            keys.append(case_keys)
            # The kind is the rule's, except where the source list itself chooses (a registration
            # behind the earlier tools' "PC 290 or registration", the prior behind an exclusion).
            if text == _EXCLUSION_SOURCE or name == "registration":
                kind[open_rows[has]] = name
    if keys:
        index.prefetch(np.concatenate(keys))
    detail = np.full(len(decisions), "", dtype=object)
    for (name, basis), parts in plan.items():
        rows = np.concatenate(parts)
        if len(rows):
            detail[rows] = index.details(name, basis, rows)
    decisions["prior_kind"] = kind
    set_prior_columns(decisions, detail)
