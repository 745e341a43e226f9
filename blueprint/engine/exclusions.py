"""The statute's exclusions, marked on every evaluated conviction whatever the policy.

A policy may grant relief the statute does not allow: the earlier desktop tool's settings file, for
one, reproduces a decision order that ignores the 9 November 2016 line and the disqualifying priors
(``blueprint.compat.gogen.settings``). So, independently of the policy, each evaluated conviction is marked
with the first of the rule pack's ``statutory_exclusions`` (``pack.yaml``) that holds **or cannot be
ruled out** on the data; ``finalize`` then refuses relief on such a row unless the office's reviewer
overrides it on that row (docs/filings.md). The exclusions are written in the policy language, with
the predicates of ``blueprint.engine.predicates``, so a fork for another state writes its own as data.

California's (HS 11361.8; readings for county counsel in docs/policy-reference.md):

- ``after_line``: conduct on or after 9 November 2016 (the arrest date as the offense date);
- ``disqualifying_prior``: a felony of HS 11358-11360, offense at 18 or older, with a prior super
  strike, a prior PC 290(c) offense, two priors the section's rule counts, or a PC 290 registration;
- ``stays_felony_hint``: such a felony whose record hints it stays a felony (a minor, import or
  export, environmental harm).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ..base.yaml_files import Problems, SyntaxProblem, read_located
from .filing_rules import Outcome
from .pack_spec import Exclusion, pack_file_name
from .policy import Policy, PolicySpec, RuleSpec, build_policy
from .predicates import PREDICATES, EvalContext


def load_exclusions(declared: Sequence[Exclusion] | None, folder: Path) -> Policy | None:
    """A pack's ``statutory_exclusions`` (their shape checked with its ``pack.yaml``,
    ``blueprint.engine.pack_spec``) checked like a policy's rules: every unknown condition or wrong
    value at once, each with its line in ``pack.yaml``."""
    if not declared:
        return None
    rules = [
        RuleSpec(
            id=item.code.replace("_", "-"),
            when=item.when,
            determination=item.code,
            reason_code=item.code.upper(),
            reason=item.statute or item.code,
            outcome=Outcome.HAND_REVIEW,
        )
        for item in declared
    ]
    meta_path = folder / "pack.yaml"
    try:
        located = read_located(meta_path, kind="yaml")
    except (OSError, SyntaxProblem):
        located = None  # a pack built in code (a test's); the messages then name the key only
    problems = Problems(pack_file_name(meta_path), located)
    return build_policy(
        PolicySpec(name="statutory-exclusions", rule_pack=str(folder), rules=rules),
        source=str(folder),
        problems=problems,
        placed=lambda i: ("statutory_exclusions", i),
        labels={i: f"statutory_exclusions[{i}] ('{item.code}')" for i, item in enumerate(declared)},
    )


def exclusion_labels(declared: Sequence[Exclusion] | None) -> dict[str, str]:
    """What the summary and the review reader call each of a pack's exclusions, by code, in the pack's
    order: its ``label``, or the code itself."""
    return {item.code: item.label or item.code for item in declared or ()}


def _values(facts: pd.DataFrame, ctx: EvalContext, cond) -> pd.arrays.BooleanArray:
    if isinstance(cond, tuple):  # "any": Kleene OR
        result = pd.array(np.zeros(len(facts), dtype=bool), dtype="boolean")
        for member in cond:
            result = result | _values(facts, ctx, member)
        return result
    return PREDICATES[cond.predicate].test(facts, ctx, cond.argument)


def statutory_exclusions(facts: pd.DataFrame, exclusions: Policy | None, as_of: np.datetime64) -> np.ndarray:
    """Per evaluated conviction, the code of the first exclusion that holds or cannot be ruled out, or ``""``."""
    out = np.full(len(facts), "", dtype=object)
    if exclusions is None or len(facts) == 0:
        return out
    ctx = EvalContext(as_of=np.datetime64(as_of, "D"))  # type: ignore[call-overload]  # numpy's stubs lack datetime64(datetime64, unit)
    for rule in exclusions.rules:
        result = pd.array(np.ones(len(facts), dtype=bool), dtype="boolean")
        for cond in rule.conditions:
            result = result & _values(facts, ctx, cond)
        applies = np.asarray(result.fillna(True), dtype=bool) & (out == "")
        out[applies] = rule.determination
    return out


__all__ = ["load_exclusions", "statutory_exclusions"]
