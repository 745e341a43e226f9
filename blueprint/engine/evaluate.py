"""Applying a policy to the evaluated convictions: first matching rule wins, every decision explained.

For each conviction the rules are tried in order. A rule *fires* when every condition is true; the
conviction gets the rule's determination, relief, basis and reason, and ``rule_facts`` records the
fact values the rule looked at. When a rule's conditions cannot be decided from the data (an
unknown date, level or section: three-valued logic in ``blueprint.engine.predicates``), the conviction
stops there and goes to **hand review**, naming the rule and the facts that are unknown. A rule
that is definitely false passes the conviction on to the next rule.

Before any rule, two kinds of conviction go to hand review whatever the policy says, because no rule
can be applied to a section the engine does not know:

- ``CANNABIS_SECTION_UNREADABLE``: the conviction's own charge names a cannabis section in a form the
  reader could not resolve (``HS 11359-POSS``, ``11357 PC-...``); it is evaluated so that it is seen,
  never silently dropped;
- ``CANNABIS_TWO_SECTIONS``: the charge names two cannabis sections on one line (``11357/11360 HS``);
  which one the person was convicted of decides the relief, so a person reads the court record.

The currently-serving or completed-sentence track (in California HS 11361.8(a)-(b) and (e)-(f)) is
marked on every conviction, and a rule whose basis is ``by_track`` records the rule pack's basis for
that track (``track_bases`` in its ``pack.yaml``, ``blueprint.engine.pack_texts``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..base.year import DAYS_PER_YEAR
from . import dates
from . import fact_names as F
from .filing_rules import Outcome
from .policy import BY_TRACK, Condition, Policy, Rule
from .predicates import PREDICATES, EvalContext

HAND_REVIEW = "Hand Review"
TRACK_SERVING = "currently serving"
TRACK_COMPLETED = "completed sentence"


#: The checks made before the policy's rules: (fact column, reason code, rule id, reason).
SECTION_REVIEWS: tuple[tuple[str, str, str, str], ...] = (
    (
        F.SECTION_UNRESOLVED,
        "CANNABIS_SECTION_UNREADABLE",
        "section-unreadable",
        "Cannabis section could not be read from the offense text; read the charge and decide by hand",
    ),
    (
        F.EVALUATED_SECTIONS,
        "CANNABIS_TWO_SECTIONS",
        "two-cannabis-sections",
        "The charge names two cannabis sections on one line; check which one the conviction is for",
    ),
    (
        F.SUBDIVISION_UNKNOWN,
        "CANNABIS_SUBDIVISION_UNKNOWN",
        "subdivision-unknown",
        "The recorded subdivision does not exist in the section's text at the time of the offense; read the "
        "court record to know the offense",
    ),
)

PRIOR_COLUMNS = ("prior_section", "prior_date", "prior_court", "prior_case_numbers")


def _section_reviews(facts: pd.DataFrame) -> list[tuple[np.ndarray, str, str, str]]:
    """The rows each pre-rule check sends to hand review (a row goes to the first check that holds)."""
    n = len(facts)
    unresolved = (
        facts[F.SECTION_UNRESOLVED].to_numpy(dtype=bool) if F.SECTION_UNRESOLVED in facts else np.zeros(n, bool)
    )
    two = (facts[F.EVALUATED_SECTIONS].to_numpy() >= 2) if F.EVALUATED_SECTIONS in facts else np.zeros(n, bool)
    unknown_sub = (
        facts[F.SUBDIVISION_UNKNOWN].to_numpy(dtype=bool) if F.SUBDIVISION_UNKNOWN in facts else np.zeros(n, bool)
    )
    masks = {
        F.SECTION_UNRESOLVED: unresolved,
        F.EVALUATED_SECTIONS: two & ~unresolved,
        F.SUBDIVISION_UNKNOWN: unknown_sub & ~two & ~unresolved,
    }
    return [(masks[column], code, rule, reason) for column, code, rule, reason in SECTION_REVIEWS]


def _condition_values(facts: pd.DataFrame, ctx: EvalContext, cond) -> pd.arrays.BooleanArray:
    if isinstance(cond, tuple):  # an "any" group: true if one member is true (Kleene OR)
        result = pd.array(np.zeros(len(facts), dtype=bool), dtype="boolean")
        for member in cond:
            result = result | _condition_values(facts, ctx, member)
        return result
    return PREDICATES[cond.predicate].test(facts, ctx, cond.argument)


class _Rows:
    """Some rows of the facts, each column taken only when a description reads it.

    A rule's description reads the few columns its conditions name; taking all ninety-odd fact
    columns for its rows (``facts.iloc[rows]``) cost more than the descriptions themselves (about
    20 ms per shard of 250,000 input rows). It offers what a description may use of a frame
    (:attr:`blueprint.engine.predicates.Predicate.describe`): ``rows[column]`` (a Series, indexed as
    in ``facts``), ``column in rows`` and ``len(rows)``.
    """

    def __init__(self, facts: pd.DataFrame, rows: np.ndarray):
        self._facts = facts
        self._rows = rows

    def __getitem__(self, column: str) -> pd.Series:
        return self._facts[column].iloc[self._rows]

    def __contains__(self, column: object) -> bool:
        return column in self._facts

    def __len__(self) -> int:
        return len(self._rows)


def _describe(
    facts: pd.DataFrame,
    ctx: EvalContext,
    rule: Rule,
    rows: np.ndarray,
    only_unknown: list[pd.arrays.BooleanArray] | None = None,
) -> np.ndarray:
    """``label=value; …`` for the rule's conditions, on the selected rows (each fact once)."""
    sub = _Rows(facts, rows)
    flat: list[Condition] = []
    for cond in rule.conditions:
        flat.extend(cond if isinstance(cond, tuple) else (cond,))
    result = np.full(len(rows), "", dtype=object)
    seen: set[str] = set()
    for i, cond in enumerate(flat):
        label = PREDICATES[cond.predicate].label
        if not label or label in seen:
            continue
        seen.add(label)
        values = np.asarray(PREDICATES[cond.predicate].describe(sub, ctx, cond.argument), dtype=object).astype(str)
        text = (label + "=" + pd.Series(values, dtype=object)).to_numpy(dtype=object)
        if only_unknown is not None:
            unknown = np.asarray(only_unknown[i][rows].isna(), dtype=bool)
            text = np.where(unknown, text, "")
        has_text = text != ""
        has_result = result != ""
        result = np.where(has_result & has_text, result + "; " + text, np.where(has_text, text, result))
    return result


def track(facts: pd.DataFrame, as_of: np.datetime64) -> np.ndarray:
    """Which HS 11361.8 track the conviction is on, from its sentence end on the evaluation date."""
    lo = facts[F.SENTENCE_END_LO].to_numpy("datetime64[D]")
    hi = facts[F.SENTENCE_END_HI].to_numpy("datetime64[D]")
    unknown = np.isnat(lo)
    out = np.full(len(facts), "unknown", dtype=object)
    out[~unknown & (lo > as_of)] = TRACK_SERVING
    out[~unknown & (hi <= as_of)] = TRACK_COMPLETED
    return out


def evaluate(facts: pd.DataFrame, policy: Policy, as_of: np.datetime64 | str) -> pd.DataFrame:
    """Decide every evaluated conviction; returns the facts with the decision columns added."""
    day = np.datetime64(as_of, "D")  # type: ignore[call-overload]  # numpy's stubs lack datetime64(datetime64, unit)
    ctx = EvalContext(as_of=day)
    n = len(facts)
    out = facts.copy()
    determination = np.full(n, "", dtype=object)
    relief = np.full(n, "", dtype=object)
    basis = np.full(n, "", dtype=object)
    reason_code = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    rule_id = np.full(n, "", dtype=object)
    rule_facts = np.full(n, "", dtype=object)
    outcome = np.full(n, Outcome.HAND_REVIEW.value, dtype=object)
    prior_kind = np.full(n, "", dtype=object)
    prior_source = np.full(n, "", dtype=object)
    tracks = track(facts, day)
    undecided = np.ones(n, dtype=bool)
    for mask, code, rule_name, why in _section_reviews(facts):
        rows = np.flatnonzero(mask & undecided)
        if len(rows) == 0:
            continue
        determination[rows] = HAND_REVIEW
        reason_code[rows] = code
        reason[rows] = why
        rule_id[rows] = rule_name
        offense = facts[F.OFFENSE].astype(str).to_numpy(dtype=object)[rows]
        rule_facts[rows] = "offense text=" + pd.Series(offense, dtype=object).str.strip().to_numpy(dtype=object)
        undecided[rows] = False

    for rule in policy.rules:
        if not undecided.any():
            break
        flat_values: list[pd.arrays.BooleanArray] = []
        result = pd.array(np.ones(n, dtype=bool), dtype="boolean")
        for cond in rule.conditions:
            values = _condition_values(facts, ctx, cond)
            result = result & values
            members = cond if isinstance(cond, tuple) else (cond,)
            for m in members:
                flat_values.append(
                    PREDICATES[m.predicate].test(facts, ctx, m.argument) if isinstance(cond, tuple) else values
                )
        fires = undecided & np.asarray(result.fillna(False), dtype=bool)
        unknown = undecided & np.asarray(result.isna(), dtype=bool)
        if fires.any():
            rows = np.flatnonzero(fires)
            determination[rows] = rule.determination
            relief[rows] = rule.relief or ""
            if rule.basis == BY_TRACK and policy.track_bases is not None:
                bases = policy.track_bases
                basis[rows] = np.where(
                    tracks[rows] == TRACK_SERVING,
                    bases.serving,
                    np.where(tracks[rows] == TRACK_COMPLETED, bases.completed, bases.unknown),
                )
            else:
                basis[rows] = rule.basis
            reason_code[rows] = rule.reason_code
            reason[rows] = rule.reason
            rule_id[rows] = rule.id
            outcome[rows] = Outcome(rule.outcome).value
            rule_facts[rows] = _describe(facts, ctx, rule, rows)
        if (fires | unknown).any():
            _name_priors(facts, ctx, rule, fires | unknown, prior_kind, prior_source)
        if unknown.any():
            rows = np.flatnonzero(unknown)
            determination[rows] = HAND_REVIEW
            reason_code[rows] = "UNDECIDABLE"
            reason[rows] = f"The data cannot decide rule '{rule.id}' ({rule.reason}); review by hand"
            rule_id[rows] = rule.id
            rule_facts[rows] = _describe(facts, ctx, rule, rows, only_unknown=flat_values)
        undecided &= ~(fires | unknown)

    out["determination"] = determination
    out["relief"] = relief
    out["relief_label"] = [policy.relief_label(r) for r in relief]
    out["basis"] = basis
    out["track"] = tracks
    out["reason_code"] = reason_code
    out["reason"] = reason
    out["rule_id"] = rule_id
    out["rule_facts"] = rule_facts
    out["outcome"] = outcome
    out["prior_kind"] = prior_kind
    out["prior_source"] = prior_source  # filled in by the engine (blueprint.engine.decide), which knows the priors
    set_prior_columns(out, np.full(n, "", dtype=object))
    out["flags"] = _flags(facts)
    _add_display_facts(out, day)
    return out


def _name_priors(
    facts: pd.DataFrame, ctx: EvalContext, rule: Rule, decided: np.ndarray, kind: np.ndarray, source: np.ndarray
) -> None:
    """For the rows a rule decided (or stopped at), the kind of prior it tested and where the priors
    behind the answer are: the first prior condition of the rule that holds, or cannot be ruled out,
    on the row (``source``: ``kind/basis`` entries joined by ``;``, for the engine to name them)."""
    flat = [c for cond in rule.conditions for c in (cond if isinstance(cond, tuple) else (cond,))]
    for cond in flat:
        prior = PREDICATES[cond.predicate].prior
        if prior is None:
            continue
        holds = np.asarray(PREDICATES[cond.predicate].test(facts, ctx, cond.argument).fillna(True), dtype=bool)
        rows = np.flatnonzero(decided & holds & (kind == ""))
        kind[rows] = prior.kind
        source[rows] = ";".join(f"{k}/{b}" for k, b in prior.sources)


def set_prior_columns(out: pd.DataFrame, detail: np.ndarray) -> None:
    """Split each ``section\x1fdate\x1fcourt\x1fcase numbers`` into the run's ``prior_*`` columns."""
    parts = np.full((len(detail), len(PRIOR_COLUMNS)), "", dtype=object)
    rows = np.flatnonzero(np.asarray(detail, dtype=object) != "")
    for i in rows:
        values = str(detail[i]).split("\x1f")
        parts[i, : len(values)] = values[: len(PRIOR_COLUMNS)]
    for k, column in enumerate(PRIOR_COLUMNS):
        out[column] = parts[:, k]


def _flags(f: pd.DataFrame) -> np.ndarray:
    """Things a reviewer should see even when they did not decide the outcome ("a; b; c").

    Built column by column in Arrow (a flag is a null where it does not apply, and the join skips
    nulls), not row by row in Python.
    """
    if len(f) == 0:
        return np.array([], dtype=object)
    absent = pa.scalar(None, pa.string())

    def text(column: str) -> tuple[pa.Array, np.ndarray]:
        values = f[column].astype(str).to_numpy(dtype=object)
        return pa.array(values, pa.string()), values

    def flag(show: np.ndarray, label: str) -> pa.Array:
        return pc.if_else(pa.array(np.asarray(show, dtype=bool)), label, absent)

    def labelled(show: np.ndarray, label: str, values: pa.Array) -> pa.Array:
        return pc.if_else(
            pa.array(np.asarray(show, dtype=bool)), pc.binary_join_element_wise(label, values, ""), absent
        )

    hint, hint_np = text("possible_other_cannabis")
    ss, ss_np = text("superstrike_sections")
    p290, p290_np = text("pc290_sections")
    problems, problems_np = text("data_problems")
    dob, dob_np = text("dob_status")
    if "felony_hint" in f:
        felony_text, felony_np = text("felony_hint")
    else:
        felony_np = np.full(len(f), "", dtype=object)
        felony_text = pa.array(felony_np, pa.string())
    columns = [
        labelled(hint_np != "", "possible other cannabis charge in comments: HS ", hint),
        flag(f["attempt"].to_numpy(dtype=bool), "attempt (PC 664)"),
        flag(f["deceased"].to_numpy(dtype=bool), "deceased"),
        flag(f["pc290_registration"].to_numpy(dtype=bool), "PC 290 registration on record"),
        labelled(ss_np != "", "super strike on record: ", ss),
        labelled(p290_np != "", "PC 290 offense on record: ", p290),
        labelled(problems_np != "", "data problem: ", problems),
        labelled(dob_np != "ok", "date of birth ", dob),
        flag(
            f["level_conflict"].to_numpy(dtype=bool),
            "level doubtful: a state-prison term on a conviction recorded as a misdemeanor or infraction",
        ),
        flag(
            f["step_dates_differ"].to_numpy(dtype=bool),
            "rows of this court step carry different dates: its other convictions may be earlier cases",
        ),
        flag(_flag_column(f, "crossed_line"), "arrested before 9 November 2016 and convicted on or after it"),
        labelled(felony_np != "", "felony may stay a felony: ", felony_text),
        flag(
            np.asarray(f["juvenile"].astype("boolean").fillna(False), dtype=bool)
            if "juvenile" in f
            else np.zeros(len(f), bool),
            "offense committed under 18",
        ),
    ]
    # A leading empty column keeps every row in the result (pyarrow 26 drops rows whose values are
    # all null when nulls are skipped); its separator is trimmed off again (every flag starts with
    # a letter).
    lead = pa.array(np.full(len(f), "", dtype=object), pa.string())
    joined = pc.binary_join_element_wise(lead, *columns, "; ", null_handling="skip")
    return np.asarray(pc.utf8_ltrim(joined, characters="; ").to_numpy(zero_copy_only=False), dtype=object)


def _flag_column(f: pd.DataFrame, name: str) -> np.ndarray:
    return f[name].to_numpy(dtype=bool) if name in f else np.zeros(len(f), dtype=bool)


def _add_display_facts(out: pd.DataFrame, as_of: np.datetime64) -> None:
    conv_exact = np.where(
        out["conviction_date_status"].to_numpy() == "ok", out["conv_lo"].to_numpy("datetime64[D]"), dates.NAT
    )
    dob_exact = np.where(out["dob_status"].to_numpy() == "ok", out["dob_lo"].to_numpy("datetime64[D]"), dates.NAT)
    out["conviction_date"] = conv_exact
    out["date_of_birth"] = dob_exact
    out["date_of_birth_status"] = out["dob_status"]
    out["age_at_conviction"] = dates.years_between(dob_exact, conv_exact)
    out["age_on_evaluation_date"] = dates.years_between(dob_exact, as_of)
    days = (as_of - conv_exact).astype("timedelta64[D]").astype(float)
    days[np.isnat(conv_exact)] = np.nan
    out["years_since_conviction"] = np.round(days / DAYS_PER_YEAR, 1)
    end = out["sentence_end_lo"].to_numpy("datetime64[D]")
    out["sentence_end"] = np.where(
        out["sentence_end_lo"].to_numpy("datetime64[D]") == out["sentence_end_hi"].to_numpy("datetime64[D]"),
        end,
        dates.NAT,
    )
    arrest_exact = (
        np.where(
            out["arrest_date_status"].to_numpy(dtype=object) == "ok",
            out["arrest_lo"].to_numpy("datetime64[D]"),
            dates.NAT,
        )
        if "arrest_lo" in out
        else np.full(len(out), dates.NAT)
    )
    out["arrest_date"] = arrest_exact
    juvenile = (
        out["juvenile"].astype("boolean") if "juvenile" in out else pd.Series(pd.NA, index=out.index, dtype="boolean")
    )
    out["juvenile"] = np.where(
        juvenile.isna().to_numpy(), "unknown", np.where(juvenile.fillna(False).to_numpy(dtype=bool), "yes", "no")
    ).astype(object)
    if "felony_hint" not in out:
        out["felony_hint"] = ""
    status = out["track"].to_numpy()
    out["sentence_status"] = np.where(
        status == TRACK_SERVING, "serving", np.where(status == TRACK_COMPLETED, "complete", "unknown")
    )
