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

import numpy as np
import pandas as pd

from ..base.errors import PolicyError
from .filing_rules import Outcome
from .policy import Policy, PolicySpec, RuleSpec, build_policy
from .predicates import PREDICATES, EvalContext


def load_exclusions(declared, folder: Path) -> Policy | None:
    """A pack's ``statutory_exclusions`` (``[{code, when, statute, label}]``) checked like a policy's rules."""
    if not declared:
        return None
    if not isinstance(declared, list):
        raise PolicyError(f"rule pack {folder}: statutory_exclusions is a list of {{code, when}}")
    rules = []
    for position, item in enumerate(declared):
        if (
            not isinstance(item, dict)
            or set(item) - {"code", "when", "statute", "label"}
            or "code" not in item
            or "when" not in item
        ):
            raise PolicyError(
                f"rule pack {folder}: statutory_exclusions[{position}] needs 'code' and 'when' "
                "(and optionally 'statute' and 'label')"
            )
        code = str(item["code"])
        rules.append(
            RuleSpec(
                id=code.replace("_", "-"),
                when=item["when"],
                determination=code,
                reason_code=code.upper(),
                reason=str(item.get("statute", code)),
                outcome=Outcome.HAND_REVIEW,
            )
        )
    return build_policy(
        PolicySpec(name="statutory-exclusions", rule_pack=str(folder), rules=rules),
        source=str(folder),
        where=f"{folder.name}/pack.yaml statutory_exclusions",
    )


def exclusion_labels(declared) -> dict[str, str]:
    """What the summary and the review reader call each of a pack's exclusions, by code, in the pack's
    order: its ``label``, or the code itself (``load_exclusions`` has checked the entries)."""
    if not isinstance(declared, list):
        return {}
    return {
        str(item["code"]): str(item.get("label") or item["code"])
        for item in declared
        if isinstance(item, dict) and "code" in item
    }


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
