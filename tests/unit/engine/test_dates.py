"""DOJ dates as honest ranges: full, partial, invalid, missing; ages and year arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

from blueprint.engine import dates

D = np.datetime64


def one(text: str) -> tuple[str, str, str]:
    parsed = dates.parse_dates([text])
    lo, hi = parsed.earliest[0], parsed.latest[0]
    return ("NaT" if np.isnat(lo) else str(lo), "NaT" if np.isnat(hi) else str(hi), parsed.status[0])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("19840115", ("1984-01-15", "1984-01-15", "ok")),
        (" 19840115 ", ("1984-01-15", "1984-01-15", "ok")),  # space padded
        ("20000229", ("2000-02-29", "2000-02-29", "ok")),  # leap day
        ("19841231", ("1984-12-31", "1984-12-31", "ok")),
        ("19840000", ("1984-01-01", "1984-12-31", "partial")),  # month and day unknown: the whole year
        ("19840300", ("1984-03-01", "1984-03-31", "partial")),  # day unknown: the whole month
        ("19840200", ("1984-02-01", "1984-02-29", "partial")),  # February of a leap year
        ("19850200", ("1985-02-01", "1985-02-28", "partial")),
        ("19841345", ("NaT", "NaT", "invalid")),  # month 13
        ("19841300", ("NaT", "NaT", "invalid")),
        ("19840012", ("NaT", "NaT", "invalid")),  # a day without a month cannot be bounded
        ("19850229", ("NaT", "NaT", "invalid")),  # no 29 February in 1985
        ("19840431", ("NaT", "NaT", "invalid")),
        ("00000000", ("NaT", "NaT", "invalid")),
        ("00010101", ("NaT", "NaT", "invalid")),  # "year 1" is never a date here
        ("18991231", ("NaT", "NaT", "invalid")),
        ("2015023", ("NaT", "NaT", "invalid")),  # seven digits
        ("201502031", ("NaT", "NaT", "invalid")),
        ("2015-02-03", ("NaT", "NaT", "invalid")),
        ("ABCDEFGH", ("NaT", "NaT", "invalid")),
        ("NULL", ("NaT", "NaT", "missing")),
        (" NULL ", ("NaT", "NaT", "missing")),
        ("", ("NaT", "NaT", "missing")),
        ("   ", ("NaT", "NaT", "missing")),
    ],
)
def test_parse_dates(text, expected):
    assert one(text) == expected


def test_parse_dates_vectorised_with_missing_values_and_exact():
    parsed = dates.parse_dates(["19840115", None, "19840000", "19841345"])
    assert list(parsed.status) == ["ok", "missing", "partial", "invalid"]
    exact = parsed.exact
    assert exact[0] == D("1984-01-15") and all(np.isnat(exact[1:]))
    assert parsed.earliest.dtype == np.dtype("datetime64[D]")
    empty = dates.parse_dates([])
    assert len(empty.earliest) == len(empty.status) == 0


def test_no_parsed_date_is_ever_before_1900():
    texts = ["00000000", "00010101", "00000100", "10000101", "18000000", "19000000", "19840000"]
    parsed = dates.parse_dates(texts)
    known = parsed.earliest[~np.isnat(parsed.earliest)]
    assert len(known) == 2 and (known >= D("1900-01-01")).all()


@pytest.mark.parametrize(
    "born, on, age",
    [
        ("1960-07-01", "2020-07-01", 60),  # birthday itself counts
        ("1960-07-02", "2020-07-01", 59),  # day before the birthday
        ("1960-06-30", "2020-07-01", 60),
        ("2000-02-29", "2001-02-28", 0),  # 29 February: a year is complete on 1 March
        ("2000-02-29", "2001-03-01", 1),
        ("2000-02-29", "2004-02-28", 3),
        ("2000-02-29", "2004-02-29", 4),
        ("1999-12-31", "2000-01-01", 0),
        ("1984-01-01", "1984-01-01", 0),
    ],
)
def test_years_between_counts_birthdays(born, on, age):
    assert dates.years_between(np.array([born], dtype="datetime64[D]"), D(on))[0] == age


def test_years_between_unknown_is_nan_and_end_may_be_an_array():
    start = np.array(["1960-01-01", "NaT"], dtype="datetime64[D]")
    out = dates.years_between(start, np.array(["2020-01-01", "2020-01-01"], dtype="datetime64[D]"))
    assert out[0] == 60 and np.isnan(out[1])
    out = dates.years_between(np.array(["1960-01-01"], dtype="datetime64[D]"), np.array(["NaT"], dtype="datetime64[D]"))
    assert np.isnan(out[0])


@pytest.mark.parametrize(
    "day, years, expected",
    [
        ("2020-07-01", -10, "2010-07-01"),
        ("2020-07-01", 0, "2020-07-01"),
        ("2016-02-29", -1, "2015-02-28"),
        ("2016-02-29", -4, "2012-02-29"),
        ("2016-02-29", 1, "2017-02-28"),
    ],
)
def test_add_years(day, years, expected):
    assert dates.add_years(day, years) == D(expected)


def test_to_iso_leaves_unknown_empty():
    assert dates.to_iso(np.array(["2020-01-02", "NaT"], dtype="datetime64[D]")) == ["2020-01-02", ""]
