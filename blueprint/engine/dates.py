"""DOJ dates (``YYYYMMDD``) as honest ranges, never as guesses.

DOJ records carry partial dates such as ``19840000`` (month and day unknown) or ``19840300`` (day
unknown), and invalid ones such as ``19841345`` or ``00000000``. The earlier tool turned such values
into "year 1", which made people look very old and convictions look ancient. Here every date is a
range ``[earliest, latest]``:

- a full valid date: earliest == latest;
- a partial date: the whole year or month it could be;
- missing or invalid: both ends unknown (NaT).

Rules compare ranges with three-valued logic (see ``blueprint.engine.predicates``): a comparison is true or
false only when every date in the range agrees, otherwise it is unknown and the conviction goes to
hand review. So a date problem can never make anyone look older than the data says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

NAT = np.datetime64("NaT", "D")

#: Years outside this window are treated as invalid: DOJ records start in the early 20th century
#: and nothing is dated in the future of the extract.
MIN_YEAR = 1900
MAX_YEAR = 2100


@dataclass(frozen=True)
class DateRanges:
    """Parsed dates of one column: earliest and latest possible day, and what was wrong."""

    earliest: np.ndarray  # datetime64[D], NaT when unknown
    latest: np.ndarray  # datetime64[D], NaT when unknown
    status: np.ndarray  # object array: "ok", "partial", "invalid" or "missing"

    @property
    def exact(self) -> np.ndarray:
        """The day itself where it is fully known, NaT elsewhere."""
        return np.where(self.status == "ok", self.earliest, NAT)


def parse_dates(values: pd.Series | np.ndarray | list | pa.Array | pa.ChunkedArray) -> DateRanges:
    """Parse ``YYYYMMDD`` strings (space padding and the literal ``NULL`` tolerated) into ranges.

    Dates repeat a great deal (a few thousand distinct days per hundred thousand convictions), so
    each distinct text is parsed once and the ranges are spread back to the rows.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(np.asarray(pd.Series(values, dtype="object").fillna(""), dtype=object), pa.string())
    encoded = pc.dictionary_encode(pc.fill_null(values, ""))
    distinct = _parse_distinct(encoded.dictionary)
    rows = encoded.indices.to_numpy(zero_copy_only=False)
    return DateRanges(earliest=distinct.earliest[rows], latest=distinct.latest[rows], status=distinct.status[rows])


def _parse_distinct(text: pa.Array) -> DateRanges:
    """The ranges of each text (the work of :func:`parse_dates`, once per distinct text)."""
    text = pc.utf8_trim_whitespace(text)
    n = len(text)
    status = np.full(n, "invalid", dtype=object)
    missing = pc.or_(pc.equal(text, ""), pc.equal(text, "NULL")).to_numpy(zero_copy_only=False)
    status[missing] = "missing"

    well_formed = pc.match_substring_regex(text, r"^[0-9]{8}$").to_numpy(zero_copy_only=False)
    digits = pc.cast(pc.if_else(pa.array(well_formed), text, "0"), pa.int64()).to_numpy()
    year = digits // 10000
    month = (digits // 100) % 100
    day = digits % 100

    good_year = well_formed & (year >= MIN_YEAR) & (year <= MAX_YEAR)
    month_known = good_year & (month >= 1) & (month <= 12)
    month_unknown = good_year & (month == 0) & (day == 0)
    # A day without a month ("19840012") is not a partial date we can bound honestly: invalid.

    earliest = np.full(n, NAT)
    latest = np.full(n, NAT)

    years = (year - 1970).astype("datetime64[Y]")
    # Whole year unknown month and day.
    earliest[month_unknown] = years[month_unknown].astype("datetime64[D]")
    latest[month_unknown] = (years[month_unknown] + 1).astype("datetime64[D]") - 1
    status[month_unknown] = "partial"

    months = years.astype("datetime64[M]") + np.where(month_known, month - 1, 0)
    month_start = months.astype("datetime64[D]")
    month_end = (months + 1).astype("datetime64[D]") - 1
    days_in_month = (month_end - month_start).astype(np.int64) + 1

    day_unknown = month_known & (day == 0)
    earliest[day_unknown] = month_start[day_unknown]
    latest[day_unknown] = month_end[day_unknown]
    status[day_unknown] = "partial"

    full = month_known & (day >= 1) & (day <= days_in_month)
    exact = month_start + np.where(full, day - 1, 0)
    earliest[full] = exact[full]
    latest[full] = exact[full]
    status[full] = "ok"

    return DateRanges(earliest=earliest, latest=latest, status=status)


def years_between(start: np.ndarray, end: np.datetime64 | np.ndarray) -> np.ndarray:
    """Whole years from ``start`` to ``end`` (an age), NaN where ``start`` is unknown.

    Birthdays count on the day itself; 29 February birthdays count on 1 March in other years.
    """
    start = np.asarray(start, dtype="datetime64[D]")
    end = np.broadcast_to(np.asarray(end, dtype="datetime64[D]"), start.shape)
    out = np.full(start.shape, np.nan)
    known = ~np.isnat(start) & ~np.isnat(end)
    if not known.any():
        return out
    s = pd.DatetimeIndex(start[known])
    e = pd.DatetimeIndex(end[known])
    before_birthday = (e.month < s.month) | ((e.month == s.month) & (e.day < s.day))
    out[known] = (e.year - s.year - before_birthday.astype(int)).to_numpy(dtype=float)
    return out


def add_years(day: np.datetime64 | str, years: int) -> np.datetime64:
    """The same calendar day ``years`` later (28 Feb for 29 Feb in a non-leap year)."""
    ts = pd.Timestamp(day)
    try:
        moved = ts.replace(year=ts.year + years)
    except ValueError:  # 29 February
        moved = ts.replace(year=ts.year + years, day=28)
    return np.datetime64(moved.date(), "D")


def known_part(values) -> list[str]:
    """What is known of each date, for a document: ``1984-03-15``, ``1984-03`` or ``1984``; else empty.

    A full date in ISO form; a partial date as its known year or year and month (ISO 8601's reduced
    precision, so it is never mistaken for a full date); an invalid or missing date as nothing: a
    value such as ``00000000`` or ``19880332`` is never printed as if it were a date.
    """
    parsed = parse_dates(values)
    out = []
    for lo, hi, status in zip(parsed.earliest, parsed.latest, parsed.status):
        if status == "ok":
            out.append(str(lo))
        elif status == "partial":
            whole_year = (hi - lo).astype(int) > 31
            out.append(str(lo)[:4] if whole_year else str(lo)[:7])
        else:
            out.append("")
    return out


def to_iso(values: np.ndarray) -> list[str]:
    """ISO dates for output tables, empty where unknown."""
    return ["" if np.isnat(v) else str(v) for v in np.asarray(values, dtype="datetime64[D]")]
