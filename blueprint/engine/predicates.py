"""The library of conditions a county policy is written in.

Each predicate is a small, frozen object with a plain-English statement of what it tests, the law
or practice it serves, and a vectorised test over the facts of every evaluated conviction
(``blueprint.engine.facts``). A test answers with three values:

- ``True``: every reading of the data satisfies the condition;
- ``False``: no reading does;
- ``<NA>``: the data cannot decide (an unknown or partial date, an unknown level, an unreadable
  section). A policy rule whose conditions are unknown sends the conviction to hand review, so a data
  problem is never guessed away.

Each predicate also describes, per conviction, the fact values it looked at ("age on 2026-11-21 =
54"), so every decision carries the values that made its rule fire.

The evaluation date comes from the run (``EvalContext.as_of``); nothing reads the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..base.year import DAYS_PER_YEAR
from . import dates

NAT = dates.NAT


@dataclass(frozen=True)
class EvalContext:
    """What every predicate may know besides the facts: the evaluation date."""

    as_of: np.datetime64


def _tv(definitely_true: np.ndarray, definitely_false: np.ndarray) -> pd.arrays.BooleanArray:
    """Three-valued result from two disjoint masks; what is in neither is unknown."""
    out = pd.array(np.full(len(definitely_true), pd.NA), dtype="boolean")
    out[np.asarray(definitely_true, dtype=bool)] = True
    out[np.asarray(definitely_false, dtype=bool)] = False
    return out


def _d(facts: pd.DataFrame, col: str) -> np.ndarray:
    return facts[col].to_numpy("datetime64[D]")


def _iso(values: np.ndarray) -> np.ndarray:
    return np.array(dates.to_iso(values), dtype=object)


def _range_text(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    lo_s, hi_s = _iso(lo), _iso(hi)
    return np.where(lo_s == "", "unknown", np.where(lo_s == hi_s, lo_s, lo_s + ".." + hi_s))


def _compare_range(lo: np.ndarray, hi: np.ndarray, op: str, n: float) -> pd.arrays.BooleanArray:
    """Three-valued ``value <op> n`` where the value lies in [lo, hi] (NaN = unknown)."""
    unknown = np.isnan(lo) | np.isnan(hi)
    lo = np.where(unknown, 0, lo)
    hi = np.where(unknown, 0, hi)
    if op == "at_least":
        t, f = lo >= n, hi < n
    elif op == "at_most":
        t, f = hi <= n, lo > n
    elif op == "under":
        t, f = hi < n, lo >= n
    elif op == "over":
        t, f = lo > n, hi <= n
    else:  # pragma: no cover - validated in the policy loader
        raise ValueError(op)
    return _tv(~unknown & t, ~unknown & f)


COMPARISONS = ("at_least", "at_most", "under", "over")


@dataclass(frozen=True)
class Predicate:
    """One condition a policy rule can name in its ``when`` block."""

    name: str
    statement: str  # plain English, shown in the policy reference and the workbook's Policy sheet
    argument: str  # what the policy writes after the name
    test: Callable[[pd.DataFrame, EvalContext, Any], pd.arrays.BooleanArray]
    describe: Callable[[pd.DataFrame, EvalContext, Any], np.ndarray]
    validate: Callable[[Any], Any] = lambda v: v


def _bool_arg(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expects true or false")
    return value


def _date_arg(value: Any) -> np.datetime64:
    try:
        day = np.datetime64(str(value), "D")
    except ValueError:
        raise ValueError(f"expects a date YYYY-MM-DD, got {value!r}") from None
    if np.isnat(day):
        raise ValueError(f"expects a date YYYY-MM-DD, got {value!r}")
    return day


def _sections_arg(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError("expects a list of code sections such as [11357, 11358]")
    return tuple(str(v).strip().upper() for v in value)


def _comparison_arg(value: Any) -> tuple[str, float]:
    if not isinstance(value, dict) or len(value) != 1:
        raise ValueError(f"expects one comparison, e.g. {{at_least: 50}}; allowed: {', '.join(COMPARISONS)}")
    (op, n), = value.items()
    if op not in COMPARISONS:
        raise ValueError(f"unknown comparison '{op}'; allowed: {', '.join(COMPARISONS)}")
    if isinstance(n, bool) or not isinstance(n, (int, float)) or n < 0:
        raise ValueError(f"'{op}' expects a non-negative number, got {n!r}")
    return op, float(n)


def _as_bool(arr: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.array(np.asarray(arr, dtype=bool), dtype="boolean")


def _yes_no(values) -> np.ndarray:
    return np.where(np.asarray(values, dtype=bool), "yes", "no")


def _tv_text(values: pd.arrays.BooleanArray) -> np.ndarray:
    arr = np.asarray(values.astype(object))
    return np.array(["unknown" if v is pd.NA else ("yes" if v else "no") for v in arr], dtype=object)


# --- individual predicates --------------------------------------------------------------------------


def _felony(f, ctx, want):
    level = f["level"].to_numpy(dtype=object)
    known = level != "unknown"
    is_f = level == "felony"
    return _tv(known & (is_f == want), known & (is_f != want))


def _level_in(f, ctx, levels):
    level = f["level"].to_numpy(dtype=object)
    known = level != "unknown"
    hit = np.isin(level, list(levels))
    return _tv(known & hit, known & ~hit)


def _levels_arg(value):
    allowed = {"felony", "misdemeanor", "infraction"}
    values = _sections_arg(value)
    lowered = tuple(v.lower() for v in values)
    bad = [v for v in lowered if v not in allowed]
    if bad:
        raise ValueError(f"unknown level {bad[0]!r}; allowed: felony, misdemeanor, infraction")
    return lowered


def _section_in(f, ctx, numbers):
    return _as_bool(f["number"].isin(list(numbers)).to_numpy(dtype=bool))


def _section_matches(f, ctx, patterns):
    """Number and subsection prefix, e.g. ``11357(A)`` matches ``11357(A)`` and ``11357(A)(1)``."""
    number = f["number"].astype(str).to_numpy(dtype=object)
    sub = f["subsection"].astype(str).str.upper().to_numpy(dtype=object)
    hit = np.zeros(len(f), dtype=bool)
    for p in patterns:
        n, _, rest = p.partition("(")
        want_sub = ("(" + rest) if rest else ""
        hit |= (number == n) & np.array([s.startswith(want_sub) for s in sub], dtype=bool)
    return _as_bool(hit)


def _conviction_before(f, ctx, day):
    lo, hi = _d(f, "conv_lo"), _d(f, "conv_hi")
    unknown = np.isnat(lo)
    return _tv(~unknown & (hi < day), ~unknown & (lo >= day))


def _conviction_on_or_after(f, ctx, day):
    before = _conviction_before(f, ctx, day)
    return ~before


def _offense_before(f, ctx, day):
    """The offense (arrest) date range is before ``day``; unknown arrest: only the conviction bounds it."""
    lo, hi = _d(f, "offense_lo"), _d(f, "offense_hi")
    return _tv(~np.isnat(hi) & (hi < day), ~np.isnat(lo) & (lo >= day))


def _offense_on_or_after(f, ctx, day):
    return ~_offense_before(f, ctx, day)


def _offense_text(f, ctx, a):
    lo, hi = _d(f, "offense_lo"), _d(f, "offense_hi")
    known = _range_text(lo, hi)
    open_below = np.isnat(lo) & ~np.isnat(hi)
    return np.where(open_below, "no arrest date, on or before " + _iso(hi).astype(object), known)


def _juvenile(f, ctx, want):
    values = f["juvenile"].astype("boolean").array
    return values if want else ~values


def _felony_hint(f, ctx, want):
    hint = f["felony_hint"].astype(str).to_numpy() != "" if "felony_hint" in f else np.zeros(len(f), bool)
    return _as_bool(hint == want)


def _prior(prefix):
    def test(f, ctx, want):
        definite = f[f"{prefix}_definite"].to_numpy() > 0
        possible = f[f"{prefix}_possible"].to_numpy() > 0
        has_t, has_f = definite, ~definite & ~possible
        return _tv(has_t if want else has_f, has_f if want else has_t)

    def describe(f, ctx, want):
        d = f[f"{prefix}_definite"].to_numpy()
        p = f[f"{prefix}_possible"].to_numpy()
        return np.where(p > 0, d.astype(str) + " before, " + p.astype(str) + " with an undecidable date", d.astype(str) + " before")

    return test, describe


def _earlier_same_section(f, ctx, arg):
    op, n = arg
    definite = f["earlier_same_section_definite"].to_numpy().astype(float)
    possible = f["earlier_same_section_possible"].to_numpy().astype(float)
    return _compare_range(definite, definite + possible, op, n)


def _age_on_eval(f, ctx, arg):
    op, n = arg
    youngest = dates.years_between(_d(f, "dob_hi"), ctx.as_of)
    oldest = dates.years_between(_d(f, "dob_lo"), ctx.as_of)
    return _compare_range(youngest, oldest, op, n)


def _age_at_conviction(f, ctx, arg):
    op, n = arg
    youngest = dates.years_between(_d(f, "dob_hi"), _d(f, "conv_lo"))
    oldest = dates.years_between(_d(f, "dob_lo"), _d(f, "conv_hi"))
    return _compare_range(youngest, oldest, op, n)


def _years_since(lo, hi, as_of):
    """Whole-and-fractional years from a date range to the evaluation date: (fewest, most)."""
    fewest = (as_of - hi).astype("timedelta64[D]").astype(float) / DAYS_PER_YEAR
    most = (as_of - lo).astype("timedelta64[D]").astype(float) / DAYS_PER_YEAR
    unknown = np.isnat(lo) | np.isnat(hi)
    fewest[unknown] = np.nan
    most[unknown] = np.nan
    return fewest, most


def _years_since_conviction(f, ctx, arg):
    """On or before the evaluation date minus N years (the earlier tool's reading)."""
    op, n = arg
    lo, hi = _d(f, "conv_lo"), _d(f, "conv_hi")
    cutoff = dates.add_years(ctx.as_of, -int(n)) if float(n).is_integer() else ctx.as_of - np.timedelta64(int(n * DAYS_PER_YEAR), "D")
    unknown = np.isnat(lo)
    if op == "at_least":
        return _tv(~unknown & (hi <= cutoff), ~unknown & (lo > cutoff))
    fewest, most = _years_since(lo, hi, ctx.as_of)
    return _compare_range(fewest, most, op, n)


def _years_without_conviction(f, ctx, arg):
    """The person's most recent conviction, any offense and county, is before the evaluation date minus N years."""
    op, n = arg
    lo, hi = _d(f, "person_last_conv_lo"), _d(f, "person_last_conv_hi")
    cutoff = dates.add_years(ctx.as_of, -int(n))
    if op == "at_least":
        # Every conviction before the cutoff: decided when the latest possible date is known.
        t = ~np.isnat(hi) & (hi < cutoff)
        fl = ~np.isnat(lo) & (lo >= cutoff)
        return _tv(t, fl)
    fewest, most = _years_since(lo, hi, ctx.as_of)
    return _compare_range(fewest, most, op, n)


def _only_cannabis(f, ctx, want):
    only = f["only_cannabis"].array
    return only if want else ~only


def _sentence(f, ctx, which):
    lo, hi = _d(f, "sentence_end_lo"), _d(f, "sentence_end_hi")
    unknown = np.isnat(lo)
    running_t = ~unknown & (lo > ctx.as_of)
    running_f = ~unknown & (hi <= ctx.as_of)
    return _tv(running_t, running_f) if which == "running" else _tv(running_f, running_t)


def _sentence_arg(value):
    if value not in ("running", "complete"):
        raise ValueError("expects 'running' or 'complete'")
    return value


def _all_sentences_complete(f, ctx, want):
    lo, hi = _d(f, "person_latest_end_lo"), _d(f, "person_latest_end_hi")
    t = ~np.isnat(hi) & (hi <= ctx.as_of)
    fl = ~np.isnat(lo) & (lo > ctx.as_of)
    return _tv(t, fl) if want else _tv(fl, t)


def _deceased(f, ctx, want):
    d = f["deceased"].to_numpy(dtype=bool)
    return _as_bool(d == want)


def _data_problem(f, ctx, want):
    p = f["data_problems"].astype(str).to_numpy() != ""
    return _as_bool(p == want)


def _case_charge_column(f, name):
    column = f"case_charge_{name}"
    if column not in f:
        raise ValueError(f"condition 'case_has_charge_on: {name}' needs '{name}' in the rule pack's case_context_lists")
    return f[column].astype("boolean").array


def _case_has_charge_on(f, ctx, name):
    return _case_charge_column(f, name)


def _list_name_arg(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expects the name of one of the rule pack's offense lists, e.g. violent")
    return value.strip()


def _always(f, ctx, want):
    return _as_bool(np.full(len(f), bool(want)))


def _fmt_days(lo_col, hi_col):
    return lambda f, ctx, a: _range_text(_d(f, lo_col), _d(f, hi_col))


def _age_text(f, ctx, a, at):
    end_lo = ctx.as_of if at == "eval" else _d(f, "conv_lo")
    end_hi = ctx.as_of if at == "eval" else _d(f, "conv_hi")
    youngest = dates.years_between(_d(f, "dob_hi"), end_lo)
    oldest = dates.years_between(_d(f, "dob_lo"), end_hi)
    return np.array(
        ["unknown" if np.isnan(y) or np.isnan(o) else (str(int(y)) if y == o else f"{int(y)}-{int(o)}")
         for y, o in zip(youngest, oldest)],
        dtype=object,
    )


_ss_test, _ss_desc = _prior("prior_super_strike")
_290_test, _290_desc = _prior("prior_pc290")
_reg_test, _reg_desc = _prior("prior_registration")
_ss_conv_test, _ss_conv_desc = _prior("ss_before_conviction")
_290_conv_test, _290_conv_desc = _prior("pc290_or_registration_before_conviction")


def _counted_priors(f, ctx, arg):
    op, n = arg
    definite = f["counted_priors_definite"].to_numpy().astype(float)
    possible = f["counted_priors_possible"].to_numpy().astype(float)
    return _compare_range(definite, definite + possible, op, n)


def _counted_text(f, ctx, a):
    d = f["counted_priors_definite"].to_numpy()
    p = f["counted_priors_possible"].to_numpy()
    return np.where(p > 0, d.astype(str) + " counted, " + p.astype(str) + " possibly", d.astype(str) + " counted")

PREDICATES: dict[str, Predicate] = {
    p.name: p
    for p in [
        Predicate("felony", "The conviction is a felony (level FELONY, or a blank level with type of charge F).",
                  "true | false", _felony, lambda f, c, a: f["level"].to_numpy(dtype=object), _bool_arg),
        Predicate("level_in", "The conviction's level is one of the listed levels.", "[felony, misdemeanor, infraction]",
                  _level_in, lambda f, c, a: f["level"].to_numpy(dtype=object), _levels_arg),
        Predicate("section_in", "The cannabis section convicted is one of the listed sections (anchored: 11357.5 is not 11357).",
                  "[11357, 11358, 11359, 11360]", _section_in, lambda f, c, a: f["code_section"].to_numpy(dtype=object), _sections_arg),
        Predicate("section_matches", "The section and subsection as recorded start with one of the patterns, e.g. 11357(A).",
                  "['11357(A)', '11357(B)']", _section_matches, lambda f, c, a: f["code_section"].to_numpy(dtype=object), _sections_arg),
        Predicate("conviction_before", "The conviction date is before the given date.", "YYYY-MM-DD",
                  _conviction_before, _fmt_days("conv_lo", "conv_hi"), _date_arg),
        Predicate("conviction_on_or_after", "The conviction date is on or after the given date.", "YYYY-MM-DD",
                  _conviction_on_or_after, _fmt_days("conv_lo", "conv_hi"), _date_arg),
        Predicate("offense_before",
                  "The offense, dated by the arrest (cycle) date, is before the given date; with no arrest date, "
                  "only the conviction date bounds it.",
                  "YYYY-MM-DD", _offense_before, _offense_text, _date_arg),
        Predicate("offense_on_or_after",
                  "The offense, dated by the arrest (cycle) date, is on or after the given date (HS 11361.8 looks at "
                  "the conduct: 'had that act been in effect at the time of the offense').",
                  "YYYY-MM-DD", _offense_on_or_after, _offense_text, _date_arg),
        Predicate("juvenile",
                  "The offense was committed under 18 (date of birth against the arrest date; the cycle's age when "
                  "those cannot decide).",
                  "true | false", _juvenile, lambda f, c, a: _tv_text(f["juvenile"].astype("boolean").array), _bool_arg),
        Predicate("prior_super_strike",
                  "The record has a super strike (PC 667(e)(2)(C)(iv)) conviction dated before this offense (the "
                  "arrest), in another case; a section listed only in a subdivision the record does not give "
                  "(245 PC) is a possible one unless the PC 290(c) list decides it.",
                  "true | false", _ss_test, _ss_desc, _bool_arg),
        Predicate("prior_pc290",
                  "The record has a conviction of a PC 290(c) registrable offense dated before this offense (the "
                  "arrest), in another case (a registration step alone is prior_registration).",
                  "true | false", _290_test, _290_desc, _bool_arg),
        Predicate("prior_registration",
                  "The record has a PC 290 REGISTRATION step dated before this offense: a hint of a registrable "
                  "conviction, not proof of one.",
                  "true | false", _reg_test, _reg_desc, _bool_arg),
        Predicate("counted_priors",
                  "The number of prior convictions (before this offense, in other cases) that the section's two-priors "
                  "rule counts: HS 11358(d)(2) under (c), 11359(c)(2) under (b), 11360(a)(3)(B) under (a)(2); each "
                  "old conviction weighed by what it would be under current law (the rule pack's current_law.yaml).",
                  "{at_least: 2}", _counted_priors, _counted_text, _comparison_arg),
        Predicate("felony_hint",
                  "The conviction's text, or a companion count in its court case (HS 11361...), hints that the felony "
                  "stays a felony under current law (a minor, import or export, environmental harm).",
                  "true | false", _felony_hint,
                  lambda f, c, a: np.where(f["felony_hint"].astype(str).to_numpy() == "", "none",
                                           f["felony_hint"].astype(str).to_numpy()) if "felony_hint" in f
                  else np.full(len(f), "none", dtype=object), _bool_arg),
        Predicate("super_strike_before_conviction",
                  "The earlier tools' reading: a super strike conviction dated before this conviction, in another case.",
                  "true | false", _ss_conv_test, _ss_conv_desc, _bool_arg),
        Predicate("pc290_or_registration_before_conviction",
                  "The earlier tools' reading: a PC 290(c) offense conviction or a PC 290 registration dated before "
                  "this conviction.",
                  "true | false", _290_conv_test, _290_conv_desc, _bool_arg),
        Predicate("earlier_same_section_convictions",
                  "The earlier tools' reading: the number of the person's convictions of the same cannabis section "
                  "(any subdivision) dated before this conviction.",
                  "{at_least: 2}", _earlier_same_section,
                  lambda f, c, a: f["earlier_same_section_definite"].astype(str).to_numpy(dtype=object), _comparison_arg),
        Predicate("age_on_evaluation_date", "The person's age in whole years on the run's evaluation date.",
                  "{at_least: 50} | {at_most: 21} | {under: 21}", _age_on_eval,
                  lambda f, c, a: _age_text(f, c, a, "eval"), _comparison_arg),
        Predicate("age_at_conviction", "The person's age in whole years on the conviction date.",
                  "{under: 21}", _age_at_conviction, lambda f, c, a: _age_text(f, c, a, "conv"), _comparison_arg),
        Predicate("years_since_conviction",
                  "Years from this conviction to the evaluation date (at_least N: on or before the evaluation date minus N years).",
                  "{at_least: 10}", _years_since_conviction, _fmt_days("conv_lo", "conv_hi"), _comparison_arg),
        Predicate("years_without_conviction",
                  "Years since the person's most recent conviction of any offense in any county (at_least N: none in the N years before the evaluation date).",
                  "{at_least: 10}", _years_without_conviction,
                  _fmt_days("person_last_conv_lo", "person_last_conv_hi"), _comparison_arg),
        Predicate("only_cannabis_convictions", "Every conviction on the record, any county, is HS 11357-11360.",
                  "true | false", _only_cannabis, lambda f, c, a: _tv_text(f["only_cannabis"].array), _bool_arg),
        Predicate("sentence", "This conviction's sentence (conviction date plus every sentence part) is still running, or complete, on the evaluation date.",
                  "running | complete", _sentence, _fmt_days("sentence_end_lo", "sentence_end_hi"), _sentence_arg),
        Predicate("all_sentences_complete", "Every sentence on the record has ended by the evaluation date.",
                  "true | false", _all_sentences_complete, _fmt_days("person_latest_end_lo", "person_latest_end_hi"), _bool_arg),
        Predicate("deceased", "The record has a DECEASED step.", "true | false", _deceased,
                  lambda f, c, a: _yes_no(f["deceased"].to_numpy(dtype=bool)), _bool_arg),
        Predicate("data_problem", "The conviction's own row has a data problem (unreadable CNT_ORDER, level, sentence or conviction date).",
                  "true | false", _data_problem, lambda f, c, a: np.where(f["data_problems"].astype(str).to_numpy() == "", "none", f["data_problems"].astype(str).to_numpy()), _bool_arg),
        Predicate("case_has_charge_on",
                  "A charge of the same court case, whatever its disposition, is on the named offense list of the rule pack "
                  "(one of its case_context_lists); unknown when a charge of the case cannot be read.",
                  "violent", _case_has_charge_on, lambda f, c, a: _tv_text(_case_charge_column(f, a)), _list_name_arg),
        Predicate("always", "Always true: the last rule of a policy, for everything no earlier rule decided.",
                  "true", _always, lambda f, c, a: np.full(len(f), "", dtype=object), _bool_arg),
    ]
}

#: Plain labels of the facts each predicate describes (for the "values that made the rule fire").
FACT_LABELS = {
    "felony": "level",
    "level_in": "level",
    "section_in": "section",
    "section_matches": "section",
    "conviction_before": "conviction date",
    "conviction_on_or_after": "conviction date",
    "offense_before": "offense date",
    "offense_on_or_after": "offense date",
    "juvenile": "under 18 at the offense",
    "prior_super_strike": "prior super strikes",
    "prior_pc290": "prior PC 290(c) offenses",
    "prior_registration": "prior PC 290 registrations",
    "counted_priors": "prior convictions the two-priors rule counts",
    "felony_hint": "felony hint",
    "super_strike_before_conviction": "super strikes before the conviction",
    "pc290_or_registration_before_conviction": "PC 290 offenses or registrations before the conviction",
    "earlier_same_section_convictions": "earlier convictions of the same section",
    "age_on_evaluation_date": "age on evaluation date",
    "age_at_conviction": "age at conviction",
    "years_since_conviction": "conviction date",
    "years_without_conviction": "most recent conviction",
    "only_cannabis_convictions": "only cannabis convictions",
    "sentence": "sentence ends",
    "all_sentences_complete": "last sentence ends",
    "deceased": "deceased",
    "data_problem": "data problems",
    "case_has_charge_on": "charge on the list in the same case",
    "always": "",
}
