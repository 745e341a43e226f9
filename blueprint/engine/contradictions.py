"""Records that contradict themselves: each contradiction is reported, and nothing is decided on it.

A DOJ record sometimes says two incompatible things. The engine never picks one reading silently:
the contradiction goes into the data-issues report with its file, line and column, and the value it
casts doubt on becomes doubtful in the facts, so that a rule which depends on it cannot fire on a
guess (three-valued logic, ``blueprint.engine.predicates``). Per case, what a deputy district attorney
would expect:

``DOB_CONFLICT``
    The rows of one person carry dates of birth that cannot all be true (no single day agrees with
    every one of them, or one of them is not a date at all). The person's date of birth becomes the
    span of every recorded date (unknown if one of them is invalid), status ``conflicting``: an age
    rule decides only when every recorded date gives the same answer, otherwise the conviction goes
    to hand review; court filings print no date of birth for the person. Each row that differs from
    the person's first row is reported, naming that first row. Dates that differ only in precision
    (``19700000`` on one row, ``19700315`` on another) do not contradict: the first row's value stands
    and a partial date on a later row is reported as ``PARTIAL_DATE`` like one on the first row.
    An empty or ``NULL`` date of birth on a row is no recorded value and contradicts nothing.

``STEP_DATE_CONFLICT``
    The conviction rows of one court step (the same person and the same first six digits of
    ``CNT_ORDER``: cycle and step) carry different event dates. Such a "step" may in truth be two
    court cases, and a conviction dated years before another is then a real prior of it, which the
    same-case rule (People v. Smit: a disqualifying offense must come before the cannabis offense,
    not with it) would hide. So the other convictions of that step count as *possible* priors (when
    their date allows it): a rule on priors cannot be decided and sends the conviction to hand
    review, while rules that do not depend on priors decide as usual. A step whose rows agree keeps
    the same-case rule. Each row whose date differs from the step's first dated row is reported.

``LEVEL_CONFLICT``
    A conviction recorded as a misdemeanor or an infraction carries a state-prison sentence part
    (``SENT_LOC_DESCR`` naming PRISON). State prison is a felony sentence, so either the level or the
    sentence is wrong. The level becomes ``unknown``: a rule that depends on the level (felony or
    not, the relief that follows from it) cannot fire and the conviction goes to hand review, while
    a rule that does not (a conviction after 9 November 2016 is not eligible whatever its level; a
    sentence still running is on the recall-and-resentence track whatever its level) decides as
    usual. The reviewer sees a flag; the prison row is reported.

``ARREST_AFTER_CONVICTION``
    A conviction whose cycle (arrest) date, ``CYC_DATE``, is after its conviction date. The arrest is
    the evidence of the offense date (the 9 November 2016 line, priors, age at the offense), and an
    offense cannot follow its own conviction, so one of the two dates is wrong. The arrest date is
    treated as unknown: the conviction date alone bounds the offense date, and a rule that the bound
    cannot decide goes to hand review.

Only the few rows involved are turned into Python values; the checks themselves are Arrow and numpy
passes over the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import dates
from ..intake.issues import IssueLog

DOB_ACTION = (
    "date of birth treated as uncertain (the span of the recorded dates, unknown if one is invalid): "
    "a rule that needs the age goes to hand review unless every recorded date gives the same answer; "
    "filings print no date of birth"
)
STEP_ACTION = (
    "the step may be two court cases: its other convictions count as possible earlier convictions "
    "(when their date allows it), so a rule on earlier convictions goes to hand review"
)
LEVEL_ACTION = "level treated as unknown; a rule that depends on the level sends the conviction to hand review"


def _blank(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Empty or NULL (trimmed text): no recorded value, as ``blueprint.engine.dates`` reads it."""
    return pc.or_(pc.equal(text, ""), pc.equal(text, "NULL"))


def _where(file_names, files: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """``line N of FILE`` for each (file index, line)."""
    names = np.array([str(n) for n in file_names], dtype=object)
    return "line " + lines.astype(str).astype(object) + " of " + names[files.astype(np.int64)]


def _add_by_file(
    issues: IssueLog,
    file_names,
    files: np.ndarray,
    lines: np.ndarray,
    column: str,
    code: str,
    problems,
    action: str,
    values=None,
) -> None:
    problems = np.broadcast_to(np.asarray(problems, dtype=object), files.shape)
    for f in np.unique(files):
        sel = files == f
        issues.add(
            file_names[int(f)],
            lines[sel],
            column,
            code,
            problems[sel],
            action,
            None if values is None else np.asarray(values, dtype=object)[sel],
        )


# --- dates of birth ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BirthDates:
    """Each person's date of birth after the rows were compared (one entry per person, first-row order)."""

    earliest: np.ndarray
    latest: np.ndarray
    status: np.ndarray


def birth_dates(
    rows: pa.Table,
    owner: pa.ChunkedArray | pa.Array,
    first_raw: pa.ChunkedArray | pa.Array,
    first_text: np.ndarray,
    first: dates.DateRanges,
    first_files: np.ndarray,
    first_lines: np.ndarray,
    file_names,
    issues: IssueLog,
) -> BirthDates:
    """Compare every row's ``PRI_DOB`` with its person's first row; report and apply contradictions.

    ``owner`` is each row's person (its position among the first rows); ``first_raw`` the first
    rows' ``PRI_DOB`` as written, ``first_text`` trimmed and ``first`` parsed. The reader keeps,
    besides the rows the engine reads, the first row of every run of rows with one date of birth
    (``blueprint.intake.reader.engine_rows``), so every value a person's rows carry is here.
    """
    lo, hi, status = first.earliest.copy(), first.latest.copy(), first.status.copy()
    if rows.num_rows == 0:
        return BirthDates(lo, hi, status)
    # Byte-equal to the first row's value: nothing to look at (the usual case, one pass).
    maybe = np.flatnonzero(pc.not_equal(rows["PRI_DOB"], pc.take(first_raw, owner)).to_numpy(zero_copy_only=False))
    if len(maybe) == 0:
        return BirthDates(lo, hi, status)
    taken = pa.array(maybe)
    text = pc.utf8_trim_whitespace(rows["PRI_DOB"].take(taken))
    who_all = np.asarray(pc.take(owner, taken).to_numpy(zero_copy_only=False), dtype=np.int64)
    mine = pa.array(first_text[who_all], pa.string())
    differs = pc.and_(pc.and_(pc.not_equal(text, mine), pc.invert(_blank(text))), pc.invert(_blank(mine)))
    keep = differs.to_numpy(zero_copy_only=False)
    if not keep.any():
        return BirthDates(lo, hi, status)
    at = maybe[keep]
    other_text = np.asarray(text.filter(differs).to_numpy(zero_copy_only=False), dtype=object)
    other = dates.parse_dates(other_text)
    who = who_all[keep]
    files = rows["_file"].take(pa.array(at)).to_numpy()
    lines = rows["_line"].take(pa.array(at)).to_numpy()
    # One pass per person over the differing rows: the latest start and the earliest end of every
    # recorded range (they agree when some day lies in all of them), the span, and invalid values.
    people = len(status)
    latest_start = first.earliest.view(np.int64).copy()
    earliest_end = first.latest.view(np.int64).copy()
    span_lo, span_hi = latest_start.copy(), earliest_end.copy()
    invalid = np.isnat(first.earliest).copy()
    o_lo, o_hi = other.earliest.view(np.int64), other.latest.view(np.int64)
    o_bad = np.isnat(other.earliest)
    invalid_rows = np.zeros(people, dtype=bool)
    np.logical_or.at(invalid_rows, who, o_bad)
    invalid |= invalid_rows
    good = ~o_bad
    np.maximum.at(latest_start, who[good], o_lo[good])
    np.minimum.at(earliest_end, who[good], o_hi[good])
    np.minimum.at(span_lo, who[good], o_lo[good])
    np.maximum.at(span_hi, who[good], o_hi[good])
    involved = np.zeros(people, dtype=bool)
    involved[who] = True
    conflict = involved & (invalid | (latest_start > earliest_end))
    span_known = conflict & ~invalid
    lo[conflict] = dates.NAT
    hi[conflict] = dates.NAT
    lo[span_known] = span_lo[span_known].view("datetime64[D]")
    hi[span_known] = span_hi[span_known].view("datetime64[D]")
    status[conflict] = "conflicting"

    clash = conflict[who]
    if clash.any():
        where = _where(file_names, first_files[who[clash]], first_lines[who[clash]])
        _add_by_file(
            issues,
            file_names,
            files[clash],
            lines[clash],
            "PRI_DOB",
            "DOB_CONFLICT",
            "date of birth differs from the one on the person's first row (" + where + ")",
            DOB_ACTION,
        )
    partial = ~clash & (other.status == "partial")
    if partial.any():
        _add_by_file(
            issues,
            file_names,
            files[partial],
            lines[partial],
            "PRI_DOB",
            "PARTIAL_DATE",
            "date of birth is partial (month or day unknown) and agrees with the person's first row",
            "the first row's date of birth is used",
        )
    return BirthDates(lo, hi, status)


# --- court steps -------------------------------------------------------------------------------------


def step_dates_differ(
    step_of_count: np.ndarray,
    count_of: np.ndarray,
    date_text: pa.ChunkedArray | pa.Array,
    files: np.ndarray,
    lines: np.ndarray,
    file_names,
    issues: IssueLog,
) -> np.ndarray:
    """For each count: do the dated conviction rows of its court step disagree on the date?

    ``step_of_count`` numbers each count's court step (the person and the first six digits of a
    well-formed ``CNT_ORDER``; -1 when the ``CNT_ORDER`` is malformed: no step), ``count_of`` each
    row's count, ``date_text`` each row's ``STP_EVENT_DATE`` as written (compared as written first,
    which settles the usual case in one pass; trimmed only when some step's values differ). Rows
    with no date (empty or ``NULL``) take no part. Each row whose date differs from its step's first
    dated row is reported as ``STEP_DATE_CONFLICT``. Numpy and Arrow over the rows, no Python loop.
    """
    counts = len(step_of_count)
    if counts == 0 or len(count_of) < 2:
        return np.zeros(counts, dtype=bool)
    if not _any_step_differs(step_of_count, count_of, date_text):
        return np.zeros(counts, dtype=bool)
    date_text = pc.utf8_trim_whitespace(date_text)
    step_of = step_of_count[count_of]
    dated = (step_of >= 0) & ~_blank(date_text).to_numpy(zero_copy_only=False)
    at = np.flatnonzero(dated)
    if len(at) < 2:
        return np.zeros(counts, dtype=bool)
    encoded = pc.dictionary_encode(date_text.combine_chunks() if isinstance(date_text, pa.ChunkedArray) else date_text)
    day_of = encoded.indices.to_numpy(zero_copy_only=False)[at]
    steps = step_of[at]
    first = np.empty(int(step_of_count.max()) + 1, dtype=np.int64)
    first[steps[::-1]] = np.arange(len(at) - 1, -1, -1)  # the last write wins: each step's first dated row
    differs = day_of != day_of[first[steps]]
    if not differs.any():
        return np.zeros(counts, dtype=bool)
    doubtful = np.zeros(len(first), dtype=bool)
    doubtful[steps[differs]] = True
    rows = at[differs]
    firsts = at[first[steps[differs]]]
    where = _where(file_names, files[firsts], lines[firsts])
    shown = np.asarray(encoded.dictionary.take(pa.array(day_of[differs])).to_numpy(zero_copy_only=False), dtype=object)
    _add_by_file(
        issues,
        file_names,
        files[rows],
        lines[rows],
        "STP_EVENT_DATE",
        "STEP_DATE_CONFLICT",
        "date differs from " + where + ", a conviction row of the same court step (CNT_ORDER digits 1-6)",
        STEP_ACTION,
        shown,
    )
    return np.where(step_of_count >= 0, doubtful[np.maximum(step_of_count, 0)], False)


def _any_step_differs(step_of_count: np.ndarray, count_of: np.ndarray, date_text) -> bool:
    """Whether any step's rows carry two different date texts, compared as written (a quick first pass)."""
    step_of = step_of_count[count_of]
    encoded = pc.dictionary_encode(date_text.combine_chunks() if isinstance(date_text, pa.ChunkedArray) else date_text)
    blank = _blank(pc.utf8_trim_whitespace(encoded.dictionary)).to_numpy(zero_copy_only=False)
    day_of = encoded.indices.to_numpy(zero_copy_only=False)
    at = np.flatnonzero((step_of >= 0) & ~blank[day_of])
    if len(at) < 2:
        return False
    steps = step_of[at]
    first = np.empty(int(step_of_count.max()) + 1, dtype=np.int64)
    first[steps[::-1]] = at[::-1]
    return bool((day_of[at] != day_of[first[steps]]).any())


# --- arrest and conviction dates ---------------------------------------------------------------------

ARREST_ACTION = (
    "arrest date treated as unknown: only the conviction date bounds the offense date, and a rule "
    "it cannot decide goes to hand review"
)


def arrest_after_conviction(
    arrest_lo: np.ndarray,
    conviction_hi: np.ndarray,
    arrest_text,
    files: np.ndarray,
    lines: np.ndarray,
    file_names,
    issues: IssueLog,
) -> np.ndarray:
    """Which convictions carry an arrest (cycle) date after their own conviction date.

    ``arrest_lo`` is each conviction's earliest possible arrest day, ``conviction_hi`` its latest
    possible conviction day, ``arrest_text`` the ``CYC_DATE`` as written. Each such conviction is
    reported once, on its first row, as ``ARREST_AFTER_CONVICTION``.
    """
    arrest_lo = np.asarray(arrest_lo, dtype="datetime64[D]")
    conviction_hi = np.asarray(conviction_hi, dtype="datetime64[D]")
    late = ~np.isnat(arrest_lo) & ~np.isnat(conviction_hi) & (arrest_lo > conviction_hi)
    if late.any():
        shown = np.asarray(
            pc.take(arrest_text, pa.array(np.flatnonzero(late))).to_numpy(zero_copy_only=False), dtype=object
        )
        _add_by_file(
            issues,
            file_names,
            files[late],
            lines[late],
            "CYC_DATE",
            "ARREST_AFTER_CONVICTION",
            "the arrest (cycle) date is after the conviction date of the same count",
            ARREST_ACTION,
            shown,
        )
    return late


# --- level and sentence ------------------------------------------------------------------------------


def prison_on_lesser_level(
    level: np.ndarray,
    count_of: np.ndarray,
    place: pa.ChunkedArray,
    level_text: np.ndarray,
    files: np.ndarray,
    lines: np.ndarray,
    file_names,
    issues: IssueLog,
) -> np.ndarray:
    """Which counts recorded as misdemeanor or infraction carry a state-prison sentence part.

    ``level`` is each count's level, ``count_of`` each row's count, ``place`` each row's
    ``SENT_LOC_DESCR``, ``level_text`` each count's recorded level. Each such count is reported once,
    on its first prison row, as ``LEVEL_CONFLICT``.
    """
    lesser_rows = np.flatnonzero(((level == "misdemeanor") | (level == "infraction"))[count_of])
    if len(lesser_rows) == 0:
        return np.zeros(len(level), dtype=bool)
    lesser_place = place.take(pa.array(lesser_rows))
    prison = pc.match_substring(pc.utf8_upper(lesser_place), "PRISON").to_numpy(zero_copy_only=False)
    if not prison.any():
        return np.zeros(len(level), dtype=bool)
    rows = lesser_rows[prison]
    counts, first = np.unique(count_of[rows], return_index=True)  # each count once, at its first prison row
    conflict = np.zeros(len(level), dtype=bool)
    conflict[counts] = True
    at = rows[first]
    shown_place = np.asarray(
        pc.utf8_trim_whitespace(place.take(pa.array(at))).to_numpy(zero_copy_only=False), dtype=object
    )
    recorded = level_text[counts]
    recorded = np.where(recorded == "", "blank level read from OFFENSE_TOC as " + level[counts], recorded)
    _add_by_file(
        issues,
        file_names,
        files[at],
        lines[at],
        "SENT_LOC_DESCR",
        "LEVEL_CONFLICT",
        "a state-prison sentence on a conviction recorded as a misdemeanor or an infraction "
        "(state prison is a felony sentence), so the level is doubtful",
        LEVEL_ACTION,
        (shown_place + " / " + recorded.astype(object)),
    )
    return conflict


__all__ = ["BirthDates", "arrest_after_conviction", "birth_dates", "prison_on_lesser_level", "step_dates_differ"]
