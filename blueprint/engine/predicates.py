"""The library of conditions a county policy is written in.

Each predicate is declared once, with the ``@predicate`` decorator on its test: the facts it reads
(column names from ``blueprint.engine.fact_names``), the label its values carry in a decision, how
its argument is checked, and its row of the reference table in docs/policy-reference.md (true when,
false when, unknown when). The test is vectorised over the facts of every evaluated conviction
(``blueprint.engine.facts``) and answers with three values:

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
from . import fact_names as F

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
class PriorSource:
    """For a condition about a kind of prior: the kind it names (a decision's ``prior_kind``) and
    where the priors behind its answer are (``(kind, basis)`` of ``blueprint.engine.facts.PriorIndex``,
    first found first used), so a decision can name the prior that made its rule fire."""

    kind: str
    sources: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Predicate:
    """One condition a policy rule can name in its ``when`` block, declared once with :func:`predicate`."""

    name: str
    test: Callable[[pd.DataFrame, EvalContext, Any], pd.arrays.BooleanArray]
    reads: tuple[str, ...]  # the fact columns it reads (``blueprint.engine.fact_names``)
    label: str  # the label of its values in a decision's ``rule_facts`` ("" shows nothing)
    # The values it looked at, per row. It is given the rows to describe as a frame, or as a view
    # that takes a column when it is read (blueprint.engine.evaluate): it may use ``f[column]``,
    # ``column in f`` and ``len(f)``, nothing else of a DataFrame.
    describe: Callable[[pd.DataFrame, EvalContext, Any], np.ndarray]
    validate: Callable[[Any], Any]  # checks and converts the argument a policy writes; ValueError if wrong
    # Its row of the table in docs/policy-reference.md:
    argument: str
    true_when: str
    false_when: str
    unknown_when: str
    prior: PriorSource | None = None  # set for a condition about a kind of prior


#: Every condition, by name, in the order of the reference table.
PREDICATES: dict[str, Predicate] = {}


def predicate(
    name: str,
    *,
    reads: tuple[str, ...],
    label: str,
    parse: Callable[[Any], Any],
    describe: Callable[[pd.DataFrame, EvalContext, Any], np.ndarray],
    argument: str,
    true_when: str,
    false_when: str,
    unknown_when: str,
    prior: PriorSource | None = None,
):
    """Declare the decorated function as the test of condition ``name`` (see :class:`Predicate`)."""

    def declare(test):
        if name in PREDICATES:
            raise ValueError(f"condition '{name}' is declared twice")
        PREDICATES[name] = Predicate(
            name=name,
            test=test,
            reads=tuple(reads),
            label=label,
            describe=describe,
            validate=parse,
            argument=argument,
            true_when=true_when,
            false_when=false_when,
            unknown_when=unknown_when,
            prior=prior,
        )
        return test

    return declare


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
    ((op, n),) = value.items()
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


def _column_text(column: str):
    return lambda f, ctx, a: f[column].to_numpy(dtype=object)


def _fmt_days(lo_col: str, hi_col: str):
    return lambda f, ctx, a: _range_text(_d(f, lo_col), _d(f, hi_col))


# --- the declarations -------------------------------------------------------------------------------
#
# Each condition is declared once, here: the function that answers it (decorated), the facts it reads
# (``blueprint.engine.fact_names``), the label its values carry in a decision's ``rule_facts``, how
# its values are described, how its argument is checked, and the four cells of its row in the table
# of docs/policy-reference.md (``tests/unit/test_docs.py`` checks that the table says exactly this).


@predicate(
    "felony",
    reads=(F.LEVEL,),
    label="level",
    parse=_bool_arg,
    describe=_column_text(F.LEVEL),
    argument="`true` or `false`",
    true_when="the conviction's level matches the argument (`true`: it is a felony: level `FELONY`, or blank level with type of charge `F`)",
    false_when="the level is known and does not match",
    unknown_when="the level is unknown (blank level and no usable type of charge)",
)
def _felony(f, ctx, want):
    level = f[F.LEVEL].to_numpy(dtype=object)
    known = level != "unknown"
    is_f = level == "felony"
    return _tv(known & (is_f == want), known & (is_f != want))


def _levels_arg(value):
    allowed = {"felony", "misdemeanor", "infraction"}
    values = _sections_arg(value)
    lowered = tuple(v.lower() for v in values)
    bad = [v for v in lowered if v not in allowed]
    if bad:
        raise ValueError(f"unknown level {bad[0]!r}; allowed: felony, misdemeanor, infraction")
    return lowered


@predicate(
    "level_in",
    reads=(F.LEVEL,),
    label="level",
    parse=_levels_arg,
    describe=_column_text(F.LEVEL),
    argument="a list of levels: `[felony, misdemeanor, infraction]`",
    true_when="the level is one of the list",
    false_when="the level is known and not in the list",
    unknown_when="the level is unknown",
)
def _level_in(f, ctx, levels):
    level = f[F.LEVEL].to_numpy(dtype=object)
    known = level != "unknown"
    hit = np.isin(level, list(levels))
    return _tv(known & hit, known & ~hit)


@predicate(
    "section_in",
    reads=(F.NUMBER,),
    label="section",
    parse=_sections_arg,
    describe=_column_text(F.CODE_SECTION),
    argument="a list of sections, e.g. `[11358, 11359, 11360]`",
    true_when="the cannabis section convicted is in the list; matching is anchored (`11357.5` is not `11357`)",
    false_when="otherwise",
    unknown_when="never",
)
def _section_in(f, ctx, numbers):
    return _as_bool(f[F.NUMBER].isin(list(numbers)).to_numpy(dtype=bool))


@predicate(
    "section_matches",
    reads=(F.NUMBER, F.SUBSECTION),
    label="section",
    parse=_sections_arg,
    describe=_column_text(F.CODE_SECTION),
    argument="a list of patterns, e.g. `['11357(A)', '11357(B)']`",
    true_when="the section and subsection as recorded start with a pattern (`11357(A)` matches `11357(A)` and `11357(A)(1)`)",
    false_when="otherwise",
    unknown_when="never",
)
def _section_matches(f, ctx, patterns):
    """Number and subsection prefix, e.g. ``11357(A)`` matches ``11357(A)`` and ``11357(A)(1)``."""
    number = f[F.NUMBER].astype(str).to_numpy(dtype=object)
    sub = f[F.SUBSECTION].astype(str).str.upper().to_numpy(dtype=object)
    hit = np.zeros(len(f), dtype=bool)
    for p in patterns:
        n, _, rest = p.partition("(")
        want_sub = ("(" + rest) if rest else ""
        hit |= (number == n) & np.array([s.startswith(want_sub) for s in sub], dtype=bool)
    return _as_bool(hit)


@predicate(
    "conviction_before",
    reads=(F.CONV_LO, F.CONV_HI),
    label="conviction date",
    parse=_date_arg,
    describe=_fmt_days(F.CONV_LO, F.CONV_HI),
    argument="a date `YYYY-MM-DD`",
    true_when="every possible conviction date is before the date",
    false_when="every possible date is on or after it",
    unknown_when="the conviction date is missing or invalid, or a partial date straddles the given date",
)
def _conviction_before(f, ctx, day):
    lo, hi = _d(f, F.CONV_LO), _d(f, F.CONV_HI)
    unknown = np.isnat(lo)
    return _tv(~unknown & (hi < day), ~unknown & (lo >= day))


@predicate(
    "conviction_on_or_after",
    reads=(F.CONV_LO, F.CONV_HI),
    label="conviction date",
    parse=_date_arg,
    describe=_fmt_days(F.CONV_LO, F.CONV_HI),
    argument="a date `YYYY-MM-DD`",
    true_when="the opposite of `conviction_before`",
    false_when="the opposite of `conviction_before`",
    unknown_when="as `conviction_before`",
)
def _conviction_on_or_after(f, ctx, day):
    return ~_conviction_before(f, ctx, day)


def _offense_text(f, ctx, a):
    lo, hi = _d(f, F.OFFENSE_LO), _d(f, F.OFFENSE_HI)
    known = _range_text(lo, hi)
    open_below = np.isnat(lo) & ~np.isnat(hi)
    return np.where(open_below, "no arrest date, on or before " + _iso(hi).astype(object), known)


@predicate(
    "offense_before",
    reads=(F.OFFENSE_LO, F.OFFENSE_HI),
    label="offense date",
    parse=_date_arg,
    describe=_offense_text,
    argument="a date `YYYY-MM-DD`",
    true_when="the offense, dated by the arrest (`CYC_DATE`, the cycle date), is before the date; with no usable arrest date, the conviction date before it decides too (the offense came no later than its conviction)",
    false_when="the arrest date is on or after it",
    unknown_when="the arrest date is partial and straddles it, or is unknown and the conviction is on or after it",
)
def _offense_before(f, ctx, day):
    """The offense (arrest) date range is before ``day``; unknown arrest: only the conviction bounds it."""
    lo, hi = _d(f, F.OFFENSE_LO), _d(f, F.OFFENSE_HI)
    return _tv(~np.isnat(hi) & (hi < day), ~np.isnat(lo) & (lo >= day))


# HS 11361.8 looks at the conduct: "had that act been in effect at the time of the offense".
@predicate(
    "offense_on_or_after",
    reads=(F.OFFENSE_LO, F.OFFENSE_HI),
    label="offense date",
    parse=_date_arg,
    describe=_offense_text,
    argument="a date `YYYY-MM-DD`",
    true_when="the opposite of `offense_before`",
    false_when="the opposite of `offense_before`",
    unknown_when="as `offense_before`",
)
def _offense_on_or_after(f, ctx, day):
    return ~_offense_before(f, ctx, day)


@predicate(
    "juvenile",
    reads=(F.JUVENILE,),
    label="under 18 at the offense",
    parse=_bool_arg,
    describe=lambda f, c, a: _tv_text(f[F.JUVENILE].astype("boolean").array),
    argument="`true` or `false`",
    true_when="(`true`) the offense was committed under 18: the oldest the person can have been on the arrest date is under 18",
    false_when="the youngest they can have been is 18 or more",
    unknown_when="the date of birth or the arrest date cannot decide, and DOJ's age at the cycle (`CYC_AGE`) is not a plain number either",
)
def _juvenile(f, ctx, want):
    values = f[F.JUVENILE].astype("boolean").array
    return values if want else ~values


def _prior_count(count: str, label: str, *, kind: str, sources: tuple[tuple[str, str], ...]):
    """The declaration of a true/false prior condition over a prior count (``F.definite``/``F.possible``):
    true when a prior is sure, false when none may be, unknown otherwise."""

    def test(f, ctx, want):
        definite = f[F.definite(count)].to_numpy() > 0
        possible = f[F.possible(count)].to_numpy() > 0
        has_t, has_f = definite, ~definite & ~possible
        return _tv(has_t if want else has_f, has_f if want else has_t)

    def describe(f, ctx, want):
        d = f[F.definite(count)].to_numpy()
        p = f[F.possible(count)].to_numpy()
        return np.where(
            p > 0, d.astype(str) + " before, " + p.astype(str) + " with an undecidable date", d.astype(str) + " before"
        )

    return test, dict(
        reads=(F.definite(count), F.possible(count)),
        label=label,
        parse=_bool_arg,
        describe=describe,
        prior=PriorSource(kind, sources),
    )


def _counted_range(count: str):
    def test(f, ctx, arg):
        op, n = arg
        definite = f[F.definite(count)].to_numpy().astype(float)
        possible = f[F.possible(count)].to_numpy().astype(float)
        return _compare_range(definite, definite + possible, op, n)

    return test


_test, _spec = _prior_count(
    F.PRIOR_SUPER_STRIKE, "prior super strikes", kind="super_strike", sources=(("super_strike", "offense"),)
)
predicate(
    "prior_super_strike",
    **_spec,
    argument="`true` or `false`",
    true_when="(`true`) the record has a super strike conviction (PC 667(e)(2)(C)(iv)) dated before this **offense** (the arrest), in another court case",
    false_when="(`true`) none, and none that may be one",
    unknown_when="a super strike conviction's date cannot be placed before or after the offense; or a section the list names only in some subdivisions is recorded without one (`245 PC` for 245(d)(3), `217.1 PC`, `653F PC`) and the PC 290(c) list does not decide it",
)(_test)

_test, _spec = _prior_count(F.PRIOR_PC290, "prior PC 290(c) offenses", kind="pc290", sources=(("pc290", "offense"),))
predicate(
    "prior_pc290",
    **_spec,
    argument="`true` or `false`",
    true_when="(`true`) the record has a conviction of a PC 290(c) registrable offense dated before this offense, in another case",
    false_when="(`true`) none, and none that may be one",
    unknown_when="such a conviction's date cannot be placed, or a section listed only in some subdivisions is recorded without one (`314 PC`) and the super-strike list does not decide it",
)(_test)

_test, _spec = _prior_count(
    F.PRIOR_REGISTRATION, "prior PC 290 registrations", kind="registration", sources=(("registration", "offense"),)
)
predicate(
    "prior_registration",
    **_spec,
    argument="`true` or `false`",
    true_when="(`true`) the record has a PC 290 `REGISTRATION` step dated before this offense (a hint of a registrable conviction, not proof)",
    false_when="none",
    unknown_when="a registration step's date cannot be placed",
)(_test)


def _counted_text(f, ctx, a):
    d = f[F.definite(F.COUNTED_PRIORS)].to_numpy()
    p = f[F.possible(F.COUNTED_PRIORS)].to_numpy()
    return np.where(p > 0, d.astype(str) + " counted, " + p.astype(str) + " possibly", d.astype(str) + " counted")


predicate(
    "counted_priors",
    reads=(F.definite(F.COUNTED_PRIORS), F.possible(F.COUNTED_PRIORS)),
    label="prior convictions the two-priors rule counts",
    parse=_comparison_arg,
    describe=_counted_text,
    prior=PriorSource("two_priors", (("two_priors", "offense"),)),
    argument="one comparison, e.g. `{at_least: 2}`",
    true_when="the number of prior convictions (before this offense, in other cases) that the section's two-priors rule counts satisfies the comparison: HS 11358(d)(2) counts priors under (c), 11359(c)(2) under (b), 11360(a)(3)(B) under (a)(2), each old conviction weighed by what it would be under current law ([readings](#readings-for-county-counsel-to-confirm))",
    false_when="it fails even counting every possible prior",
    unknown_when="the answer depends on priors whose date, subdivision or age at the offense cannot be placed",
)(_counted_range(F.COUNTED_PRIORS))


def _felony_hint_text(f, ctx, a):
    if F.FELONY_HINT not in f:
        return np.full(len(f), "none", dtype=object)
    hint = f[F.FELONY_HINT].astype(str).to_numpy()
    return np.where(hint == "", "none", hint)


@predicate(
    "felony_hint",
    reads=(F.FELONY_HINT,),
    label="felony hint",
    parse=_bool_arg,
    describe=_felony_hint_text,
    argument="`true` or `false`",
    true_when="(`true`) the conviction's description or comment, or a companion count in its court case (any disposition), hints that the felony stays a felony under current law: a minor (HS 11359(c)(3), (d), 11360(a)(3)(C)), import or export (HS 11360(a)(3)(D)), environmental harm (HS 11358(d)(3)); the hints are data in the rule pack's `current_law.yaml`",
    false_when="none",
    unknown_when="never",
)
def _felony_hint(f, ctx, want):
    hint = f[F.FELONY_HINT].astype(str).to_numpy() != "" if F.FELONY_HINT in f else np.zeros(len(f), bool)
    return _as_bool(hint == want)


_test, _spec = _prior_count(
    F.SS_BEFORE_CONVICTION,
    "super strikes before the conviction",
    kind="super_strike",
    sources=(("super_strike", "conviction"),),
)
predicate(
    "super_strike_before_conviction",
    **_spec,
    argument="`true` or `false`",
    true_when="the earlier tools' reading: a super strike conviction dated before this **conviction**, in another case",
    false_when="none",
    unknown_when="such a conviction's date cannot be placed",
)(_test)

_test, _spec = _prior_count(
    F.PC290_OR_REGISTRATION_BEFORE_CONVICTION,
    "PC 290 offenses or registrations before the conviction",
    kind="pc290",
    sources=(("pc290", "conviction"), ("registration", "conviction")),
)
predicate(
    "pc290_or_registration_before_conviction",
    **_spec,
    argument="`true` or `false`",
    true_when="the earlier tools' reading: a PC 290(c) offense conviction or a PC 290 registration dated before this conviction",
    false_when="none",
    unknown_when="such a date cannot be placed",
)(_test)

predicate(
    "earlier_same_section_convictions",
    reads=(F.definite(F.EARLIER_SAME_SECTION), F.possible(F.EARLIER_SAME_SECTION)),
    label="earlier convictions of the same section",
    parse=_comparison_arg,
    describe=lambda f, c, a: f[F.definite(F.EARLIER_SAME_SECTION)].astype(str).to_numpy(dtype=object),
    prior=PriorSource("two_priors", (("two_priors", "conviction"),)),
    argument="one comparison, e.g. `{at_least: 2}`",
    true_when="the earlier tools' reading: the number of the person's convictions of the same cannabis section, any subdivision, dated before this **conviction** satisfies the comparison, counting the undecidable ones either way",
    false_when="the comparison fails either way",
    unknown_when="the answer depends on convictions whose dates cannot be placed",
)(_counted_range(F.EARLIER_SAME_SECTION))


def _age_text(at: str):
    def describe(f, ctx, a):
        end_lo = ctx.as_of if at == "eval" else _d(f, F.CONV_LO)
        end_hi = ctx.as_of if at == "eval" else _d(f, F.CONV_HI)
        youngest = dates.years_between(_d(f, F.DOB_HI), end_lo)
        oldest = dates.years_between(_d(f, F.DOB_LO), end_hi)
        return np.array(
            [
                "unknown" if np.isnan(y) or np.isnan(o) else (str(int(y)) if y == o else f"{int(y)}-{int(o)}")
                for y, o in zip(youngest, oldest)
            ],
            dtype=object,
        )

    return describe


@predicate(
    "age_on_evaluation_date",
    reads=(F.DOB_LO, F.DOB_HI),
    label="age on evaluation date",
    parse=_comparison_arg,
    describe=_age_text("eval"),
    argument="one comparison, e.g. `{at_least: 50}`, `{at_most: 21}`",
    true_when="the person's age in whole years on the evaluation date satisfies it",
    false_when="it does not",
    unknown_when="the date of birth is missing, invalid, or too partial to decide",
)
def _age_on_eval(f, ctx, arg):
    op, n = arg
    youngest = dates.years_between(_d(f, F.DOB_HI), ctx.as_of)
    oldest = dates.years_between(_d(f, F.DOB_LO), ctx.as_of)
    return _compare_range(youngest, oldest, op, n)


@predicate(
    "age_at_conviction",
    reads=(F.DOB_LO, F.DOB_HI, F.CONV_LO, F.CONV_HI),
    label="age at conviction",
    parse=_comparison_arg,
    describe=_age_text("conv"),
    argument="one comparison, e.g. `{under: 21}`",
    true_when="the age in whole years on the conviction date satisfies it",
    false_when="it does not",
    unknown_when="the date of birth or the conviction date cannot decide",
)
def _age_at_conviction(f, ctx, arg):
    op, n = arg
    youngest = dates.years_between(_d(f, F.DOB_HI), _d(f, F.CONV_LO))
    oldest = dates.years_between(_d(f, F.DOB_LO), _d(f, F.CONV_HI))
    return _compare_range(youngest, oldest, op, n)


def _years_since(lo, hi, as_of):
    """Whole-and-fractional years from a date range to the evaluation date: (fewest, most)."""
    fewest = (as_of - hi).astype("timedelta64[D]").astype(float) / DAYS_PER_YEAR
    most = (as_of - lo).astype("timedelta64[D]").astype(float) / DAYS_PER_YEAR
    unknown = np.isnat(lo) | np.isnat(hi)
    fewest[unknown] = np.nan
    most[unknown] = np.nan
    return fewest, most


@predicate(
    "years_since_conviction",
    reads=(F.CONV_LO, F.CONV_HI),
    label="conviction date",
    parse=_comparison_arg,
    describe=_fmt_days(F.CONV_LO, F.CONV_HI),
    argument="one comparison, e.g. `{at_least: 10}`",
    true_when="with `at_least N`: the conviction is on or before the evaluation date minus N years (the earlier tool's reading); other comparisons use fractional years",
    false_when="it is not",
    unknown_when="the conviction date cannot decide",
)
def _years_since_conviction(f, ctx, arg):
    """On or before the evaluation date minus N years (the earlier tool's reading)."""
    op, n = arg
    lo, hi = _d(f, F.CONV_LO), _d(f, F.CONV_HI)
    cutoff = (
        dates.add_years(ctx.as_of, -int(n))
        if float(n).is_integer()
        else ctx.as_of - np.timedelta64(int(n * DAYS_PER_YEAR), "D")
    )
    unknown = np.isnat(lo)
    if op == "at_least":
        return _tv(~unknown & (hi <= cutoff), ~unknown & (lo > cutoff))
    fewest, most = _years_since(lo, hi, ctx.as_of)
    return _compare_range(fewest, most, op, n)


@predicate(
    "years_without_conviction",
    reads=(F.PERSON_LAST_CONV_LO, F.PERSON_LAST_CONV_HI),
    label="most recent conviction",
    parse=_comparison_arg,
    describe=_fmt_days(F.PERSON_LAST_CONV_LO, F.PERSON_LAST_CONV_HI),
    argument="one comparison, e.g. `{at_least: 10}`",
    true_when="with `at_least N`: the person's most recent conviction of any offense, in any county, is before the evaluation date minus N years",
    false_when="a conviction falls on or after that cutoff",
    unknown_when="the latest conviction's date cannot decide",
)
def _years_without_conviction(f, ctx, arg):
    """The person's most recent conviction, any offense and county, is before the evaluation date minus N years."""
    op, n = arg
    lo, hi = _d(f, F.PERSON_LAST_CONV_LO), _d(f, F.PERSON_LAST_CONV_HI)
    cutoff = dates.add_years(ctx.as_of, -int(n))
    if op == "at_least":
        # Every conviction before the cutoff: decided when the latest possible date is known.
        t = ~np.isnat(hi) & (hi < cutoff)
        fl = ~np.isnat(lo) & (lo >= cutoff)
        return _tv(t, fl)
    fewest, most = _years_since(lo, hi, ctx.as_of)
    return _compare_range(fewest, most, op, n)


@predicate(
    "only_cannabis_convictions",
    reads=(F.ONLY_CANNABIS,),
    label="only cannabis convictions",
    parse=_bool_arg,
    describe=lambda f, c, a: _tv_text(f[F.ONLY_CANNABIS].array),
    argument="`true` or `false`",
    true_when="every conviction on the record, any county, is HS 11357-11360 (for `true`)",
    false_when="some conviction is of another offense",
    unknown_when="a conviction's charge cannot be read",
)
def _only_cannabis(f, ctx, want):
    only = f[F.ONLY_CANNABIS].array
    return only if want else ~only


def _sentence_arg(value):
    if value not in ("running", "complete"):
        raise ValueError("expects 'running' or 'complete'")
    return value


@predicate(
    "sentence",
    reads=(F.SENTENCE_END_LO, F.SENTENCE_END_HI),
    label="sentence ends",
    parse=_sentence_arg,
    describe=_fmt_days(F.SENTENCE_END_LO, F.SENTENCE_END_HI),
    argument="`running` or `complete`",
    true_when="this conviction's sentence (conviction date plus every sentence part) has not ended / has ended on the evaluation date",
    false_when="the opposite",
    unknown_when="the sentence end cannot be computed (unknown date or unreadable sentence)",
)
def _sentence(f, ctx, which):
    lo, hi = _d(f, F.SENTENCE_END_LO), _d(f, F.SENTENCE_END_HI)
    unknown = np.isnat(lo)
    running_t = ~unknown & (lo > ctx.as_of)
    running_f = ~unknown & (hi <= ctx.as_of)
    return _tv(running_t, running_f) if which == "running" else _tv(running_f, running_t)


@predicate(
    "all_sentences_complete",
    reads=(F.PERSON_LATEST_END_LO, F.PERSON_LATEST_END_HI),
    label="last sentence ends",
    parse=_bool_arg,
    describe=_fmt_days(F.PERSON_LATEST_END_LO, F.PERSON_LATEST_END_HI),
    argument="`true` or `false`",
    true_when="every sentence on the record has ended by the evaluation date (for `true`)",
    false_when="some sentence is still running",
    unknown_when="the latest sentence end cannot be computed",
)
def _all_sentences_complete(f, ctx, want):
    lo, hi = _d(f, F.PERSON_LATEST_END_LO), _d(f, F.PERSON_LATEST_END_HI)
    t = ~np.isnat(hi) & (hi <= ctx.as_of)
    fl = ~np.isnat(lo) & (lo > ctx.as_of)
    return _tv(t, fl) if want else _tv(fl, t)


@predicate(
    "deceased",
    reads=(F.DECEASED,),
    label="deceased",
    parse=_bool_arg,
    describe=lambda f, c, a: _yes_no(f[F.DECEASED].to_numpy(dtype=bool)),
    argument="`true` or `false`",
    true_when="the record has (`true`) or has no (`false`) `DECEASED` step",
    false_when="otherwise",
    unknown_when="never",
)
def _deceased(f, ctx, want):
    d = f[F.DECEASED].to_numpy(dtype=bool)
    return _as_bool(d == want)


def _data_problem_text(f, ctx, a):
    problems = f[F.DATA_PROBLEMS].astype(str).to_numpy()
    return np.where(problems == "", "none", problems)


@predicate(
    "data_problem",
    reads=(F.DATA_PROBLEMS,),
    label="data problems",
    parse=_bool_arg,
    describe=_data_problem_text,
    argument="`true` or `false`",
    true_when="the conviction's own row has a data problem (unreadable `CNT_ORDER`, level, sentence or conviction date) (for `true`)",
    false_when="otherwise",
    unknown_when="never",
)
def _data_problem(f, ctx, want):
    p = f[F.DATA_PROBLEMS].astype(str).to_numpy() != ""
    return _as_bool(p == want)


def _case_charge_column(f, name):
    column = F.case_charge(name)
    if column not in f:
        raise ValueError(f"condition 'case_has_charge_on: {name}' needs '{name}' in the rule pack's case_context_lists")
    return f[column].astype("boolean").array


def _list_name_arg(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expects the name of one of the rule pack's offense lists, e.g. violent")
    return value.strip()


# Reads F.case_charge(<list>): one column per list of the rule pack's case_context_lists.
@predicate(
    "case_has_charge_on",
    reads=(F.CASE_CHARGE_PREFIX + "*",),
    label="charge on the list in the same case",
    parse=_list_name_arg,
    describe=lambda f, c, a: _tv_text(_case_charge_column(f, a)),
    argument="the name of an offense list of the rule pack",
    true_when="a charge of the same court case, whatever its disposition, is on the named list",
    false_when="no charge of the case is on it",
    unknown_when="a charge of the case cannot be read",
)
def _case_has_charge_on(f, ctx, name):
    return _case_charge_column(f, name)


@predicate(
    "always",
    reads=(),
    label="",
    parse=_bool_arg,
    describe=lambda f, c, a: np.full(len(f), "", dtype=object),
    argument="`true`",
    true_when="always (use it as the last rule, for everything no earlier rule decided)",
    false_when="never",
    unknown_when="never",
)
def _always(f, ctx, want):
    return _as_bool(np.full(len(f), bool(want)))


del _test, _spec

#: Plain labels of the facts each predicate describes (for the "values that made the rule fire").
FACT_LABELS: dict[str, str] = {name: p.label for name, p in PREDICATES.items()}


def reference_table() -> str:
    """The table of conditions in docs/policy-reference.md, as the declarations above say it."""
    lines = ["| condition | argument | true when | false when | unknown when |", "|---|---|---|---|---|"]
    for p in PREDICATES.values():
        lines.append(f"| `{p.name}` | {p.argument} | {p.true_when} | {p.false_when} | {p.unknown_when} |")
    return "\n".join(lines)


if __name__ == "__main__":  # print the table, to paste into docs/policy-reference.md
    print(reference_table())
