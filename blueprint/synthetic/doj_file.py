"""Seeded synthetic DOJ research files: the only data this project ever sees.

Real DOJ extracts are confidential, so every test, demo and benchmark runs on files made here. The
generator reproduces the shape of the real file as ``docs/reference/input.md`` describes it, quirks
included, because the reader and the rules must cope with them:

- 95 comma-separated columns, RFC 4180 quoting (names are ``"LAST,FIRST M"``), an optional header,
  CRLF or LF line endings, ``#`` in the ``*_SEG_SEP`` columns, the literal ``NULL``, space padding.
- One row per count per step per cycle per person; a count with a multi-part sentence repeats on
  one row per sentence part. ``CNT_ORDER`` is cycle(3) + step(3) + count(3) + sub-count(3).
- People (``SUBJECT_ID``) with 1-3 cannabis convictions (HS 11357-11360) in the run's county and,
  around them, the rest of their record: arrests without conviction, court actions with several
  counts, convictions for other offenses in and out of the county, probation and custody steps,
  ``REGISTRATION`` and ``DECEASED`` steps, prior and later "super strikes" (PC 667(e)(2)(C)(iv))
  and registrable sex offenses (PC 290(c)), repeat convictions of one section, people still
  serving a sentence, convictions after 9 November 2016 (Proposition 64), minors, people under 21
  or over 50, partial and invalid dates, ``NULL`` case numbers, attempts (``664/11359 HS`` and
  friends), ``SEE COMMENT FOR CHARGE`` with the charge in ``COMMENT_TEXT``, comments hinting at
  another cannabis charge, and a small share of people whose rows are split in two places.
- The section forms real extracts use (``blueprint.synthetic.catalog.CANNABIS_FORMS``): about three in ten
  cannabis charges are written without parentheses (``11357B2 HS``), without a code
  (``11360(B) SELL/FURNISH...``), with a glued or spaced code, in lower case, padded, as two
  sections on one line (``11359/11360 HS``, ``11364/11357 HS``) or with the code first
  (``HS 11359-...``, which no reader can resolve and which must reach hand review); a few other
  charges as ``647F PC``; gang super strikes with the enhancement on the same line
  (``246/186.22(B)(4) PC``). ``GenerateStats.cannabis_forms`` counts them.
- Optionally (``malformed_rate``) broken rows for the reader's tests: a wrong number of fields, a
  missing ``SUBJECT_ID``, a short ``CNT_ORDER``, an unknown level ``FELONYISH``. They are extra
  copies of non-conviction rows, so the well-formed record of every person stays intact.

Everything is drawn from one seed: the same arguments give the same bytes. Turning on malformed
rows or changing ``rows`` does not change the people themselves (separate random streams).

Speed and memory: a person is built as a list of ready CSV lines from pre-joined segments (person,
cycle, step, count, sentence), and people are streamed to the file in large chunks, so memory does
not grow with the file and a million rows take seconds.

The tables the data is drawn from (offenses, counties, names, labels) live in
``blueprint.synthetic.catalog``.
"""

from __future__ import annotations

import csv
import io
import math
import random
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Sequence, TypeVar

from ..base.year import DAYS_PER_YEAR
from ..intake.columns import DOJ_COLUMNS
from .catalog import (
    AGENCY_KINDS,
    ARREST_ONLY,
    ARREST_RELEASES,
    ATTEMPT_FORMS,
    BIRTH_PLACES,
    CANNABIS_AFTER_2016,
    CANNABIS_BEFORE_2016,
    CANNABIS_FORMS,
    CANNABIS_HINTS,
    COUNTIES,
    COUNTY_NAMES,
    COURT_COMMENTS,
    DISP_CODES,
    EYE_COLORS,
    FAIL_TO_REGISTER,
    FIRST_NAMES_FEMALE,
    FIRST_NAMES_MALE,
    HAIR_COLORS,
    HINT_SECTIONS,
    INFRACTION_FROM_2011,
    LEVEL_CODES,
    MALE_SHARE,
    NO_PARENTHESES_OTHER,
    NOT_CONVICTED,
    OTHER_OFFENSES,
    PRISONS,
    RACE_NAME_GROUP,
    RACES,
    REGISTRABLE_SEX,
    REGISTRATION_11590,
    REGISTRATION_290_VARIANTS,
    REGISTRATION_457,
    RELATED_TO_CANNABIS,
    SENTENCE_PLACES,
    SENTENCE_UNITS,
    SHARE_NO_PARENTHESES_OTHER,
    STEP_TYPES,
    SUPER_STRIKES,
    SURNAMES_BY_RACE,
    Offense,
    attempt_of,
    csv_field,
    write_form,
)

__all__ = [
    "EXTRACT_DATE",
    "MALFORMED_KINDS",
    "GenerateStats",
    "SyntheticPerson",
    "generate",
    "generate_people",
]

# --------------------------------------------------------------------------------------------------
# Dates and proportions. Each proportion is a share of people, convictions or values, as noted.
# Rare situations (super strikes, sex offenses, deaths, split people, ...) are deliberately more
# common than in real files, so that even a small test file of a few hundred people shows each one.
# --------------------------------------------------------------------------------------------------

#: The day the synthetic extract was "made": no event is dated after it.
EXTRACT_DATE = date(2024, 6, 30)
#: Proposition 64 took effect on 9 November 2016 (HS 11361.8 relief concerns earlier conduct).
PROP64_DATE = date(2016, 11, 9)
#: "Currently serving" people get a sentence that runs at least until this day, so they are still
#: serving on any evaluation date up to it (the earlier desktop tool always evaluated on 2020-07-01).
SERVING_UNTIL = date(2027, 1, 1)

_EXTRACT = EXTRACT_DATE.toordinal()
_PROP64 = PROP64_DATE.toordinal()
_SERVING_UNTIL = SERVING_UNTIL.toordinal()

CANNABIS_CONVICTIONS_PER_PERSON = ((1, 72.0), (2, 20.0), (3, 8.0))  # in the run's county
SHARE_SUPER_STRIKE = 0.06  # people with a super strike conviction
SHARE_SEX_OFFENSE = 0.06  # people with a registrable sex-offense conviction
SHARE_REGISTERED_AFTER_SEX_OFFENSE = 0.85  # of those: a PC 290 REGISTRATION step follows
SHARE_290_WITHOUT_OFFENSE = 0.004  # people registered under PC 290 for an offense not in the file
SHARE_11590_REGISTRATION = 0.04  # people with a narcotics-offender (HS 11590) registration
SHARE_457_REGISTRATION = 0.003  # people with an arson (PC 457.1) registration
SHARE_DECEASED = 0.03
SHARE_REPEAT = 0.06  # people with 2+ earlier convictions of the same cannabis section
SHARE_SERVING = 0.05  # people with a sentence running past SERVING_UNTIL
SHARE_CANNABIS_ELSEWHERE = 0.10  # people with another cannabis conviction in another county
SHARE_OTHER_IN_COUNTY = 0.70  # other cycles that happen in the run's county
MEAN_OTHER_CYCLES = 15.0  # arrest chains besides the cannabis cases (tuned for ~90 rows a person)
MAX_OTHER_CYCLES = 60

SHARE_ATTEMPT = 0.07  # cannabis convictions recorded as an attempt (PC 664)
SHARE_SEE_COMMENT_CANNABIS = 0.04  # cannabis convictions recorded as SEE COMMENT FOR CHARGE
SHARE_SEE_COMMENT_OTHER = 0.008  # other court counts recorded that way
SHARE_BLANK_OFFENSE = 0.004  # counts with a blank OFFENSE_DESCR and the charge in the comment
SHARE_HINT = 0.06  # cannabis convictions whose comment names another cannabis section
SHARE_HINT_OTHER_DRUG = 0.03  # other drug convictions whose comment names a cannabis section
SHARE_BLANK_LEVEL = 0.08  # convictions with a blank CONV_STAT_DESCR (OFFENSE_TOC decides)
SHARE_REDUCED_17B = 0.2  # convictions of a "wobbler" recorded as misdemeanors (PC 17(b))
SHARE_PARTIAL_DATE = 0.004  # date values written as 19840000 or 19840300
SHARE_INVALID_DATE = 0.0015  # date values written as 00000000, 19841345, ...
SHARE_DOB_QUIRK = 0.006  # people whose date of birth is partial or invalid
SHARE_PADDED_OFFENSE = 0.05  # OFFENSE_DESCR values with trailing spaces
SHARE_PADDED_CASE = 0.03  # case numbers with trailing spaces
SHARE_NULL_CASE = 0.02  # court case numbers written as NULL (each of OFN, FE_NUM_CRT_CASE)
SHARE_BLANK_CASE = 0.03  # court case numbers left blank (each of OFN, FE_NUM_CRT_CASE)
SHARE_UNDATED_REGISTRATION = 0.15  # REGISTRATION steps dated 00000000
SHARE_NON_ADJACENT = 0.03  # people whose rows are split in two places of the file

#: The kinds of broken rows ``malformed_rate`` injects.
MALFORMED_KINDS: tuple[str, ...] = ("field_count", "missing_subject_id", "short_cnt_order", "unknown_level")

T = TypeVar("T")


class _Picker:
    """Weighted random choice from a fixed table, fast (one ``random()`` and a bisection)."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]):
        self.items = [item for item, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random):
        return self.items[bisect(self.cum, rng.random() * self.total)]


# --------------------------------------------------------------------------------------------------
# Row layout: the 95 columns cut into the segments that change together.
# --------------------------------------------------------------------------------------------------


def _span(first: str, last: str) -> tuple[str, ...]:
    return DOJ_COLUMNS[DOJ_COLUMNS.index(first) : DOJ_COLUMNS.index(last) + 1]


_PERSON_COLS = _span("SUBJECT_STATUS", "CITIZENSHIP_LIST")  # one value per person
_CYCLE_COLS = _span("CYC_SEG_SEP", "CYC_DATE")  # per arrest chain
_STEP_COLS = _span("STP_SEG_SEP", "STP_ORI_CNTY_NAME")  # per event
_COUNT_COLS = _span("CNT_SEG_SEP", "CONV_STAT_DESCR")  # per charge
_SENT_COLS = _span("SENT_SEG_SEP", "SENT_TIME_DESCR")  # per sentence part
_TAIL_COLS = _span("CYC_AGE", "CII_TYPE_ALPHA")  # age at the cycle, then per person
assert (
    ("RECORD_ID",)
    + _PERSON_COLS
    + _CYCLE_COLS
    + _STEP_COLS
    + _COUNT_COLS
    + _SENT_COLS
    + _TAIL_COLS
    + ("COMMENT_TEXT", "END_OF_REC")
) == DOJ_COLUMNS, "segments must cover the 95 DOJ columns in order"

_COUNT_AT = {name: i for i, name in enumerate(_COUNT_COLS)}
_COUNT_BLANK = ["#" if name.endswith("_SEG_SEP") else "" for name in _COUNT_COLS]
_C_ORDER = _COUNT_AT["CNT_ORDER"]
_C_DISP_DATE = _COUNT_AT["DISP_DATE"]
_C_OFN = _COUNT_AT["OFN"]
_C_OFF_CODE = _COUNT_AT["OFFENSE_CODE"]
_C_OFF_DESCR = _COUNT_AT["OFFENSE_DESCR"]
_C_TOC = _COUNT_AT["OFFENSE_TOC"]
_C_FE_ORDER = _COUNT_AT["FE_NUM_ORDER"]
_C_ARR_AGY = _COUNT_AT["FE_NUM_ARR_AGY"]
_C_BOOKING = _COUNT_AT["FE_NUM_BOOKING"]
_C_CRT_CASE = _COUNT_AT["FE_NUM_CRT_CASE"]
_C_WARRANT = _COUNT_AT["FE_NUM_WARRANT"]
_C_DISP_ORDER = _COUNT_AT["DISP_ORDER"]
_C_DISP_CODE = _COUNT_AT["DISP_CODE"]
_C_DISP = _COUNT_AT["DISP_DESCR"]
_C_LEVEL_CODE = _COUNT_AT["CONV_STAT_CODE"]
_C_LEVEL = _COUNT_AT["CONV_STAT_DESCR"]

#: A row without a sentence part.
_NO_SENTENCE = ",".join("#" if name.endswith("_SEG_SEP") else "" for name in _SENT_COLS)
_END_OF_REC = "#"

_COL = {name: i for i, name in enumerate(DOJ_COLUMNS)}


def _pad(value: str, spaces: int) -> str:
    """Add trailing spaces to a CSV-ready value (inside the quotes when it is quoted)."""
    if value.endswith('"'):
        return value[:-1] + " " * spaces + '"'
    return value + " " * spaces


# --------------------------------------------------------------------------------------------------
# Agencies of one county, pre-rendered as the STP_ORI_* part of a step.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _County:
    name: str
    code: str
    agencies: dict[str, str]  # kind -> "ORI_TYPE,ORI_TYPE_DESCR,ORI_CODE,ORI_DESCR,CNTY_CODE,CNTY_NAME"


def _county(index: int) -> _County:
    name, city, _ = COUNTIES[index]
    code = f"{index + 1:02d}"

    def ori(kind: str, ori_code: str, where: str, cnty_code: str = code, cnty_name: str = name) -> str:
        ori_type, type_descr, prefix = AGENCY_KINDS[kind]
        return ",".join((ori_type, type_descr, ori_code, csv_field(f"{prefix} {where}"), cnty_code, cnty_name))

    agencies = {
        "police": ori("police", f"CA0{code}0100", city),
        "sheriff": ori("sheriff", f"CA0{code}0000", name),
        "highway": ori("highway", f"CA0{code}9100", city),
        "court": ori("court", f"CA0{code}015J", name),
        "municipal": ori("municipal", f"CA0{code}025J", city),
        "probation": ori("probation", f"CA0{code}013G", name),
        "coroner": ori("coroner", f"CA0{code}017C", name),
    }
    return _County(name, code, agencies)


_COUNTY_TABLE = [_county(i) for i in range(len(COUNTIES))]
_COUNTY_BY_NAME = {c.name: c for c in _COUNTY_TABLE}
_PRISON_AGENCIES = []
for _i, (_prison, _where) in enumerate(PRISONS):
    _c = _COUNTY_BY_NAME[_where]
    _type, _descr, _prefix = AGENCY_KINDS["corrections"]
    _PRISON_AGENCIES.append(
        ",".join((_type, _descr, f"CA0{_c.code}{_i:02d}1C", csv_field(f"{_prefix} {_prison}"), _c.code, _c.name))
    )


# --------------------------------------------------------------------------------------------------
# Public results
# --------------------------------------------------------------------------------------------------


@dataclass
class SyntheticPerson:
    """One generated person: their rows (ready CSV lines, grouped by cycle) and what they contain.

    ``convictions`` counts the convicted counts (any offense, any county);
    ``cannabis_convictions_in_county`` those for HS 11357-11360 (attempts included) whose court is
    in the run's county: exactly what the engine should select. ``features`` names the situations
    this person was built to show (``"super_strike_before"``, ``"deceased"``, ...), so tests can find
    examples; the rows themselves are the evidence. Malformed rows are not counted as convictions.
    """

    subject_id: str
    cycles: list[list[str]]
    convictions: int = 0
    cannabis_convictions_in_county: int = 0
    cannabis_attempts_in_county: int = 0
    features: set[str] = field(default_factory=set)
    malformed: dict[str, int] = field(default_factory=dict)
    #: How this person's cannabis convictions in the county are written (``CANNABIS_FORMS``,
    #: ``attempt``, ``see_comment``, ``blank``): form -> count.
    cannabis_forms: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> list[str]:
        return [row for cycle in self.cycles for row in cycle]

    @property
    def row_count(self) -> int:
        return sum(len(cycle) for cycle in self.cycles)


@dataclass(frozen=True)
class GenerateStats:
    """What :func:`generate` wrote. Counts only; no personal data.

    ``rows`` is the number of data rows (header excluded, malformed rows included). ``convictions``
    and ``cannabis_convictions_in_county`` count well-formed convicted counts (see
    :class:`SyntheticPerson`); ``malformed_rows`` counts the injected broken rows by kind.
    """

    path: str
    rows: int
    people: int
    convictions: int
    cannabis_convictions_in_county: int
    cannabis_attempts_in_county: int
    people_with_cannabis_in_county: int
    non_adjacent_people: int
    malformed_rows: dict[str, int]
    #: How the cannabis convictions in the county are written: form -> count (see SyntheticPerson).
    cannabis_forms: dict[str, int]
    county: str
    seed: int
    header: bool


# --------------------------------------------------------------------------------------------------
# Building one person
# --------------------------------------------------------------------------------------------------

_RACE = _Picker([((code, descr), w) for code, descr, w in RACES])
_EYE = _Picker([((c, d), w) for c, d, w in EYE_COLORS])
_HAIR = _Picker([((c, d), w) for c, d, w in HAIR_COLORS])
_BIRTHPLACE = _Picker([((a, b, c, d), w) for a, b, c, d, w in BIRTH_PLACES])
_CANNABIS_OLD = _Picker(CANNABIS_BEFORE_2016)
_CANNABIS_NEW = _Picker(CANNABIS_AFTER_2016)
_CANNABIS_ARREST = _Picker(CANNABIS_BEFORE_2016)
_OTHER = _Picker(OTHER_OFFENSES)
_RELATED = _Picker(RELATED_TO_CANNABIS)
_STRIKE = _Picker(SUPER_STRIKES)
_SEX = _Picker(REGISTRABLE_SEX + tuple((o, w) for o, w in SUPER_STRIKES if o.registrable))
_RELEASE = _Picker(ARREST_RELEASES)
_NOT_CONVICTED = _Picker(NOT_CONVICTED)
_COMMENT = _Picker(COURT_COMMENTS)
_N_CANNABIS = _Picker(CANNABIS_CONVICTIONS_PER_PERSON)
_CANNABIS_FORM = _Picker(CANNABIS_FORMS)
_OTHER_COUNTY = _Picker([(i, w) for i, (_, _, w) in enumerate(COUNTIES)])
_SEE_COMMENT = "SEE COMMENT FOR CHARGE"
_DRUG_SECTIONS = ("11350", "11377", "11364", "11550", "11378", "11366", "4060")

# Year of a cannabis conviction: mostly the 1980s-2010s, a few in the 1970s and after Prop 64.
_ERA = _Picker(
    [((1972, 1980), 7), ((1980, 1990), 17), ((1990, 2000), 25), ((2000, 2010), 28), ((2010, 2016), 19), (None, 4)]
)
# Age at the (first drawn) cannabis conviction: some minors, some under 21, some 50 or older.
_AGE_BAND = _Picker([((14, 18), 3), ((18, 21), 16), ((21, 30), 44), ((30, 40), 20), ((40, 50), 10), ((50, 66), 7)])


class _Life(NamedTuple):
    """A person's span in time, as day ordinals: birth, the anchor conviction, first and last events."""

    dob: int
    anchor: int
    start: int
    end: int


_YEAR_1972 = date(1972, 1, 1).toordinal()
_YEAR_2015 = date(2015, 1, 1).toordinal()
_YEAR_2016 = date(2016, 1, 1).toordinal()


class CycleKind(Enum):
    """The kinds of arrest cycle a person's record is planned from; each has one renderer
    (``_Cycles.RENDERERS``)."""

    CANNABIS = "cannabis"  # a cannabis conviction (in the run's county unless a county is given)
    CANNABIS_ARREST = "cannabis_arrest"  # a cannabis arrest or charge that was not a conviction
    OTHER = "other"  # any other arrest chain
    SERIOUS = "serious"  # a super strike or registrable sex offense conviction
    REGISTRATION = "registration"  # a REGISTRATION step
    DECEASED = "deceased"  # a DECEASED step


class _Plan(NamedTuple):
    """One planned cycle: its date, the order it was drawn in (the tie-break), its kind and the
    keyword options its renderer takes."""

    day: int
    order: int
    kind: CycleKind
    options: dict


class _Draws:
    """Small drawing helpers shared by the planner and the renderers: dates, counties, offenses.

    Every drawing part of one person's builder takes the same ``random.Random``, so the stream of
    draws (and so the file's bytes for a seed) does not depend on how the work is divided.
    """

    def __init__(self, rng: random.Random, county: _County):
        self.rng = rng
        self.county = county
        self._dates: dict[int, str] = {}

    def _ymd(self, day: int) -> str:
        text = self._dates.get(day)
        if text is None:
            d = date.fromordinal(day)
            text = self._dates[day] = f"{d.year:04d}{d.month:02d}{d.day:02d}"
        return text

    def _date_field(self, day: int, partial: float = SHARE_PARTIAL_DATE, invalid: float = SHARE_INVALID_DATE) -> str:
        """A date as written in the file: usually exact, sometimes partial or invalid."""
        text = self._ymd(day)
        r = self.rng.random()
        if r >= partial + invalid:
            return text
        if r < partial:
            return text[:4] + "0000" if r < partial / 2 else text[:6] + "00"
        return self.rng.choice(("00000000", text[:4] + "1345", text[:6] + "32", text[:4] + "0231"))

    def _other_county(self) -> _County:
        while True:
            c = _COUNTY_TABLE[_OTHER_COUNTY(self.rng)]
            if c.name != self.county.name:
                return c

    def _event_county(self, in_county_share: float = SHARE_OTHER_IN_COUNTY) -> _County:
        return self.county if self.rng.random() < in_county_share else self._other_county()

    def _between(self, lo: int, hi: int) -> int:
        return lo if hi <= lo else self.rng.randint(lo, hi)

    def _cannabis_offense(self, day: int) -> Offense:
        if day >= _PROP64:
            return _CANNABIS_NEW(self.rng)
        return _CANNABIS_OLD(self.rng)


class _Planner(_Draws):
    """Plans one person's record: their span in time, then every cycle as a ``_Plan``, in date order.

    Planning comes before rendering so that cycles can be numbered in date order.
    """

    def plan(self, person: SyntheticPerson) -> tuple[_Life, list[_Plan]]:
        """The person's life and their cycles sorted by date (a death, when drawn, comes last)."""
        life = self._life()
        plans: list[_Plan] = []
        first_cannabis, last_cannabis = self._plan_cannabis(plans, life, person)
        self._plan_serious(plans, life, person, first_cannabis, last_cannabis)
        self._plan_registrations(plans, life, person, first_cannabis)
        self._plan_rest(plans, life)
        plans.sort(key=lambda p: (p.day, p.order))
        if self.rng.random() < SHARE_DECEASED:
            last_day = max(p.day for p in plans)
            death = min(self._between(last_day + 200, max(last_day + 200, _EXTRACT)), _EXTRACT)
            plans.append(_Plan(death, len(plans), CycleKind.DECEASED, {}))
            person.features.add("deceased")
        return life, plans

    def _life(self) -> _Life:
        """Anchor the person in time: one cannabis conviction date and their age on it."""
        rng = self.rng
        era = _ERA(rng)
        if era is None:
            anchor = rng.randint(_PROP64, _EXTRACT - 60)
        else:
            anchor = rng.randint(date(era[0], 1, 1).toordinal(), date(era[1], 1, 1).toordinal() - 1)
            anchor = min(anchor, _PROP64 - 1)
        lo_age, hi_age = _AGE_BAND(rng)
        dob = anchor - int(rng.uniform(lo_age, hi_age) * DAYS_PER_YEAR)
        start = min(dob + int(rng.uniform(13, 24) * DAYS_PER_YEAR), anchor - 30)
        end = min(_EXTRACT, dob + int(78 * DAYS_PER_YEAR))
        return _Life(dob, anchor, start, end)

    @staticmethod
    def _plan(plans: list[_Plan], day: int, kind: CycleKind, **options) -> None:
        plans.append(_Plan(min(day, _EXTRACT), len(plans), kind, options))

    def _plan_cannabis(self, plans: list[_Plan], life: _Life, person: SyntheticPerson) -> tuple[int, int]:
        """Plan the 1-3 cannabis convictions in the run's county, and cannabis priors elsewhere.

        Returns the first and last in-county cannabis conviction days. The first planned cycle is
        always the first in-county cannabis case (same-case serious offenses attach to it).
        """
        rng = self.rng
        n_cannabis = _N_CANNABIS(rng)
        serving = rng.random() < SHARE_SERVING
        repeat = rng.random() < SHARE_REPEAT
        days = [life.anchor]
        for _ in range(n_cannabis - 1):
            if rng.random() < 0.93:
                days.append(self._between(max(life.start, _YEAR_1972), min(life.end, _PROP64 - 1)))
            else:
                days.append(self._between(max(life.start, _PROP64), life.end))
        days.sort()
        serving_by_cannabis = serving and rng.random() < 0.5
        if serving_by_cannabis:
            days[-1] = max(days[-1], self._between(max(life.start, _YEAR_2015), _EXTRACT - 60))
            days.sort()
        repeat_offense = self._cannabis_offense(days[-1]) if repeat else None
        for k, day in enumerate(days):
            offense = repeat_offense or self._cannabis_offense(day)
            self._plan(
                plans, day, CycleKind.CANNABIS, offense=offense, serving=serving_by_cannabis and k == len(days) - 1
            )
        if repeat:
            person.features.add("repeat_offender")
            # Two or more earlier convictions of the same section; elsewhere in the state when the
            # person's in-county count is already used up.
            needed = max(0, 2 - (len(days) - 1)) + rng.randint(0, 1)
            for _ in range(needed):
                day = self._between(life.start, days[-1] - 90)
                self._plan(plans, day, CycleKind.CANNABIS, offense=repeat_offense, county=self._other_county())
        if rng.random() < SHARE_CANNABIS_ELSEWHERE:
            day = self._between(life.start, life.end)
            self._plan(plans, day, CycleKind.CANNABIS, offense=self._cannabis_offense(day), county=self._other_county())
            person.features.add("cannabis_out_of_county")
        if serving:
            person.features.add("serving")
            if not serving_by_cannabis:
                day = self._between(max(life.start, _YEAR_2016), _EXTRACT - 60)
                self._plan(plans, day, CycleKind.OTHER, serving=True, convict=True, county=self._event_county())
        return days[0], days[-1]

    def _plan_serious(
        self, plans: list[_Plan], life: _Life, person: SyntheticPerson, first_cannabis: int, last_cannabis: int
    ) -> None:
        """Plan super strikes and registrable sex offenses: before, after or in the same case.

        The distinction matters: only a *prior* super strike or PC 290 offense keeps a felony
        (HS 11361.8 via PC 667(e)(2)(C)(iv) and PC 290; same case does not count, People v. Smit).
        """
        rng = self.rng
        for share, picker, tag in (
            (SHARE_SUPER_STRIKE, _STRIKE, "super_strike"),
            (SHARE_SEX_OFFENSE, _SEX, "sex_offense"),
        ):
            if rng.random() >= share:
                continue
            offense = picker(rng)
            where = rng.random()
            if where < 0.45 and first_cannabis - life.start > 120:
                day = self._between(life.start, first_cannabis - 90)
                self._plan(plans, day, CycleKind.SERIOUS, offense=offense)
                person.features.add(f"{tag}_before")
            elif where < 0.8 and life.end - last_cannabis > 120:
                day = self._between(last_cannabis + 90, life.end)
                self._plan(plans, day, CycleKind.SERIOUS, offense=offense)
                person.features.add(f"{tag}_after")
            else:
                plans[0].options.setdefault("same_case", []).append(offense)
                person.features.add(f"{tag}_same_case")
                day = first_cannabis
            if offense.registrable:
                person.features.add("registrable")
                if rng.random() < SHARE_REGISTERED_AFTER_SEX_OFFENSE:
                    for _ in range(rng.randint(1, 3)):
                        when = self._between(day + 30, max(day + 30, life.end))
                        self._plan(plans, when, CycleKind.REGISTRATION, offense=rng.choice(REGISTRATION_290_VARIANTS))
                    person.features.add("registration_290")
                    if rng.random() < 0.3:
                        when = self._between(day + 400, max(day + 400, life.end))
                        self._plan(plans, when, CycleKind.OTHER, offense=FAIL_TO_REGISTER, convict=True)

    def _plan_registrations(
        self, plans: list[_Plan], life: _Life, person: SyntheticPerson, first_cannabis: int
    ) -> None:
        """Registrations not tied to a sex offense in the file: PC 290, HS 11590, PC 457.1."""
        rng = self.rng
        if rng.random() < SHARE_290_WITHOUT_OFFENSE:
            self._plan(
                plans, self._between(life.start, life.end), CycleKind.REGISTRATION, offense=REGISTRATION_290_VARIANTS[0]
            )
            person.features.add("registration_290")
        if rng.random() < SHARE_11590_REGISTRATION:
            when = self._between(first_cannabis + 20, max(first_cannabis + 20, life.end))
            self._plan(plans, when, CycleKind.REGISTRATION, offense=REGISTRATION_11590)
            person.features.add("registration_11590")
        if rng.random() < SHARE_457_REGISTRATION:
            self._plan(plans, self._between(life.start, life.end), CycleKind.REGISTRATION, offense=REGISTRATION_457)
            person.features.add("registration_457")

    def _plan_rest(self, plans: list[_Plan], life: _Life) -> None:
        """Cannabis arrests that never became convictions, and the rest of the record."""
        rng = self.rng
        for _ in range(rng.randint(0, 2) if rng.random() < 0.35 else 0):
            self._plan(plans, self._between(life.start, life.end), CycleKind.CANNABIS_ARREST)
        n_other = 1 + min(int(rng.expovariate(1.0 / MEAN_OTHER_CYCLES)), MAX_OTHER_CYCLES)
        for _ in range(n_other):
            self._plan(plans, self._between(life.start, life.end), CycleKind.OTHER)


class _Rows(_Draws):
    """Assembles one person's rows from pre-joined segments: person, cycle, step, count, sentence.

    ``start_person`` sets the person's part of every row; each cycle's rows collect in ``_rows``.
    """

    _rows: list[str]  # the current cycle's rows
    _cycle: int  # the current cycle's number (CYC_ORDER)

    def start_person(self, person: SyntheticPerson, index: int, who: _Identity, dob: int, first_record_id: int) -> None:
        """Begin a person: their columns (drawn here), date of birth and first ``RECORD_ID``."""
        self._person = person
        self._head = self._person_columns(index, person.subject_id, who.name, who.sex, who.race_code, who.race, dob)
        self._tail = "A,ADULT"  # CII_TYPE, CII_TYPE_ALPHA (placeholders)
        self._dob = dob
        self.record_id = first_record_id

    def _person_columns(
        self, index: int, subject_id: str, name: str, sex: str, race_code: str, race: str, dob: int
    ) -> str:
        """The person's part of every row (``SUBJECT_STATUS`` to ``CITIZENSHIP_LIST``), joined once.

        CII numbers are 8-10 digits and unique per person (the index is scrambled by a multiplier
        that is coprime with 10, so different people never share a number of the same length).
        """
        rng = self.rng
        cii_digits = rng.choice((8, 9, 9, 10))
        scrambled = (index * 7_919_467 + 1_234_567) % 10 ** (cii_digits - 1)
        cii = f"{rng.randint(1, 9)}{scrambled:0{cii_digits - 1}d}"
        dob_text = self._date_field(dob, SHARE_DOB_QUIRK * 0.6, SHARE_DOB_QUIRK * 0.4)
        eye = _EYE(rng)
        hair = _HAIR(rng)
        place = _BIRTHPLACE(rng)
        feet = rng.randint(5, 6) if sex == "M" else rng.randint(4, 5)
        height = f"{feet}{rng.randint(0, 11):02d}"
        values = {
            "SUBJECT_STATUS": "A",
            "SUBJECT_ID": subject_id,
            "CII_NUMBER": cii,
            "PRI_NAME": csv_field(name),
            "GENDER": sex,
            "PRI_DOB": dob_text,
            "PRI_SSN": "NULL" if rng.random() < 0.3 else "",
            "PRI_CDL": f"{chr(65 + rng.randrange(26))}{rng.randrange(10**7):07d}" if rng.random() < 0.6 else "",
            "PRI_IDN": "",
            "PRI_INN": "NULL" if rng.random() < 0.2 else "",
            "FBI_NUMBER": (
                f"{rng.randrange(10**6):06d}{chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
                f"{rng.randrange(10)}"
            )
            if rng.random() < 0.5
            else "",
            "RACE_CODE": race_code,
            "RACE_DESCR": race,
            "EYE_COLOR_CODE": eye[0],
            "EYE_COLOR_DESCR": eye[1],
            "HAIR_COLOR_CODE": hair[0],
            "HAIR_COLOR_DESCR": hair[1],
            "HEIGHT": height,
            "WEIGHT": str(rng.randint(110, 290) if sex == "M" else rng.randint(95, 230)),
            "SINGLE_SOURCE": "Y" if rng.random() < 0.8 else "N",
            "MULTI_SOURCE": "N" if rng.random() < 0.8 else "Y",
            "POB_CODE": place[0],
            "POB_NAME": place[1],
            "POB_TYPE": place[2],
            "CITIZENSHIP_LIST": place[3],
        }
        return ",".join(values.get(n, "#" if n.endswith("_SEG_SEP") else "") for n in _PERSON_COLS)

    def age(self, day: int) -> int:
        """Age in whole years on ``day`` (from the true date of birth, even when it is written badly)."""
        return int((day - self._dob) / DAYS_PER_YEAR)

    def _begin_cycle(self, cycle_day: int) -> None:
        """Start the cycle's rows: CYC_* and the age at the cycle."""
        self._cyc = f"#,{self._cycle},{self._date_field(cycle_day)}"
        self._age_tail = f"{self.age(cycle_day)},{self._tail}"

    def _step(self, number: int, day: int, step_type: str, agency: str, date_text: str | None = None) -> str:
        """The row prefix up to the count segment: person, cycle and step parts."""
        when = self._date_field(day) if date_text is None else date_text
        return f"{self._head},{self._cyc},#,{number},{when},{STEP_TYPES[step_type]},{step_type},{agency}"

    def _emit(self, prefix: str, count: str, sentences: Sequence[str], comment: str) -> None:
        """Append the rows of one count: one per sentence part (a single row when there is none)."""
        suffix = f"{self._age_tail},{comment},{_END_OF_REC}"
        rows = self._rows
        for sentence in sentences:
            rows.append(f"{self.record_id},{prefix},{count},{sentence},{suffix}")
            self.record_id += 1

    def _count(
        self, cnt_order: str, offense: Offense | None, disp: str, level: str = "", written: str | None = None
    ) -> list[str]:
        """The count segment of one charge, as a list (callers fill dates and case numbers).

        ``written`` replaces the recorded ``OFFENSE_DESCR`` (``SEE COMMENT FOR CHARGE`` or blank).
        """
        vals = _COUNT_BLANK.copy()
        vals[_C_ORDER] = cnt_order
        self._form = "see_comment" if written else ("blank" if written is not None else "canonical")
        if offense is not None:
            vals[_C_OFF_CODE] = offense.code if written is None else ""
            descr = self._written(offense) if written is None else written
            if descr and self.rng.random() < SHARE_PADDED_OFFENSE:
                descr = _pad(descr, self.rng.randint(1, 6))
            vals[_C_OFF_DESCR] = descr
            vals[_C_TOC] = offense.toc
        vals[_C_FE_ORDER] = "1"
        vals[_C_DISP_ORDER] = "1" if disp else ""
        vals[_C_DISP_CODE] = DISP_CODES.get(disp, "CV")
        vals[_C_DISP] = disp
        vals[_C_LEVEL_CODE] = LEVEL_CODES[level]
        vals[_C_LEVEL] = level
        return vals

    def _written(self, offense: Offense) -> str:
        """How one charge is written: a cannabis charge in one of the forms real extracts use
        (``CANNABIS_FORMS``), a few others now and then without parentheses (``647F PC``)."""
        if offense.cannabis:
            if offense.attempt:
                self._form = "attempt"
                return offense.descr
            form = _CANNABIS_FORM(self.rng)
            text = write_form(offense, form)[0]
            # A form that does not apply to this offense (no subdivision to unparenthesise) is canonical.
            self._form = form if text != write_form(offense, "canonical")[0] else "canonical"
            return offense.descr if self._form == "canonical" else csv_field(text)
        if offense.section in NO_PARENTHESES_OTHER and self.rng.random() < SHARE_NO_PARENTHESES_OTHER:
            return csv_field(write_form(offense, "no_parentheses")[0])
        return offense.descr


class _Steps(_Rows):
    """The steps of a cycle as the file records them: an arrest, a court action (its counts,
    sentences and case numbers) and the probation or custody steps after it."""

    def _arrest(self, step_no: int, day: int, county: _County, offenses: Sequence[Offense], released: bool) -> None:
        """An arrest step, one row per charge. ``released``: nothing followed (a PROS REL-... disposition)."""
        rng = self.rng
        kind = "police" if rng.random() < 0.55 else ("sheriff" if rng.random() < 0.8 else "highway")
        prefix = self._step(step_no, day, "ARREST/DETAINED/CITED", county.agencies[kind])
        booking = str(rng.randrange(10**6, 10**8))
        arrest_no = f"{chr(65 + rng.randrange(26))}{rng.randrange(10**6):06d}"
        disp = _RELEASE(rng) if released else ""
        disp_date = self._ymd(min(day + rng.randint(1, 20), _EXTRACT)) if disp else ""
        for k, offense in enumerate(offenses, start=1):
            vals = self._count(f"{self._cycle:03d}{step_no:03d}{k:03d}000", offense, disp)
            vals[_C_BOOKING] = booking
            vals[_C_ARR_AGY] = arrest_no
            vals[_C_DISP_DATE] = disp_date
            if rng.random() < 0.1:
                vals[_C_WARRANT] = "NULL"
            self._emit(prefix, ",".join(vals), (_NO_SENTENCE,), "")

    def _case_number(self, day: int, felony: bool, county: _County) -> str:
        """A court case number in a style of its time and place (e.g. ``04F01234``, ``BA123456``)."""
        year = date.fromordinal(day).year
        rng = self.rng
        if year < 1990:
            return str(rng.randrange(10**5, 10**7))
        if county.name == "LOS ANGELES" and felony:
            return f"{rng.choice(('BA', 'LA', 'VA', 'GA'))}{rng.randrange(10**6):06d}"
        return f"{year % 100:02d}{'F' if felony else 'M'}{rng.randrange(10**5):05d}"

    def _case_values(self, case: str) -> tuple[str, str]:
        """OFN and FE_NUM_CRT_CASE of one court case: usually both, sometimes NULL, blank or padded."""
        rng = self.rng
        pair = []
        for _ in range(2):
            r = rng.random()
            if r < SHARE_NULL_CASE:
                pair.append("NULL")
            elif r < SHARE_NULL_CASE + SHARE_BLANK_CASE:
                pair.append("")
            elif r < SHARE_NULL_CASE + SHARE_BLANK_CASE + SHARE_PADDED_CASE:
                pair.append(_pad(case, rng.randint(1, 4)))
            else:
                pair.append(case)
        return pair[0], pair[1]

    def _sentence(self, level: str, conv_day: int, serving: bool) -> tuple[str, list[tuple[str, str, str]]]:
        """The disposition label and the sentence parts ``(place, length, unit)`` of a conviction.

        A sentence still running on SERVING_UNTIL when ``serving``; otherwise drawn by the level
        (``_PARTS_BY_LEVEL``; a few convictions with a blank level got only a fine).
        """
        rng = self.rng
        if serving:
            return "CONVICTED", self._serving_parts(conv_day)
        r = rng.random()
        draw = (
            _Steps._fine_parts if (level == "" and r < 0.03) else self._PARTS_BY_LEVEL.get(level, _Steps._lesser_parts)
        )
        parts = draw(self, r)
        label = "CONVICTED"
        if rng.random() < 0.55:
            label = {"PROBATION": "CONVICTED-PROBATION", "JAIL": "CONVICTED-JAIL"}.get(parts[0][0], "CONVICTED")
        return label, parts

    def _serving_parts(self, conv_day: int) -> list[tuple[str, str, str]]:
        """Prison (sometimes in two parts, sometimes with probation) running past SERVING_UNTIL."""
        rng = self.rng
        years = math.ceil((_SERVING_UNTIL - conv_day) / DAYS_PER_YEAR) + rng.randint(0, 3)
        if rng.random() < 0.5:
            first = rng.randint(1, max(1, years - 1))
            parts = [("PRISON", str(first), "Y"), ("PRISON", str(years - first), "Y")]
            parts = [p for p in parts if p[1] != "0"]
        else:
            parts = [("PRISON", str(years), "Y")]
        if rng.random() < 0.3:
            parts.append(("PROBATION", str(rng.choice((36, 60))), "M"))
        return parts

    def _fine_parts(self, r: float) -> list[tuple[str, str, str]]:
        return [("FINE", "", "")]

    def _felony_parts(self, r: float) -> list[tuple[str, str, str]]:
        """Prison, probation with jail, or a jail term in months (``r`` picks which)."""
        rng = self.rng
        if r < 0.35:
            length = rng.choice(("16", "2", "3", "4", "5", "6", "8"))
            parts = [("PRISON", length, "M" if length == "16" else "Y")]
            if rng.random() < 0.2:
                parts.append(("PRISON", str(rng.choice((8, 12))), "M"))
        elif r < 0.9:
            parts = [("PROBATION", str(rng.choice((36, 36, 60))), "M"), ("JAIL", str(rng.randint(30, 365)), "D")]
            if rng.random() < 0.15:
                parts.append(("JAIL", str(rng.randint(5, 60)), "D"))
        else:
            parts = [("JAIL", rng.choice(("16", "24", "36")), "M")]
        return parts

    def _lesser_parts(self, r: float) -> list[tuple[str, str, str]]:
        """A misdemeanor's (or blank level's): probation with jail, jail, probation or a fine."""
        rng = self.rng
        if r < 0.5:
            parts = [("PROBATION", str(rng.choice((12, 24, 36))), "M"), ("JAIL", str(rng.randint(1, 180)), "D")]
            if rng.random() < 0.15:
                parts.append(("JAIL", str(rng.randint(2, 30)), "D"))
        elif r < 0.8:
            parts = [("JAIL", str(rng.randint(1, 365)), "D")]
        elif r < 0.95:
            parts = [("PROBATION", str(rng.choice((12, 24, 36))), "M")]
        else:
            parts = [("FINE", "", "")]
        return parts

    #: How a sentence is drawn for each conviction level (any other level: ``_lesser_parts``).
    _PARTS_BY_LEVEL: dict[str, Callable[..., list[tuple[str, str, str]]]] = {
        "INFRACTION": _fine_parts,
        "FELONY": _felony_parts,
    }

    def _court(
        self,
        step_no: int,
        day: int,
        county: _County,
        counts: Sequence[tuple[Offense, bool, dict]],
    ) -> list[tuple[Offense, list[tuple[str, str, str]]]]:
        """One court action: its counts, convicted or not, with sentences. Returns the convictions.

        Each entry of ``counts`` is ``(offense, convicted, options)``; options may set ``serving``
        (a sentence still running on SERVING_UNTIL), ``written`` and ``comment`` (how the charge is
        recorded). Every conviction is added to the person's counts; cannabis ones (by the offense's
        flag) separately when the court is in the run's county, which is what the engine selects.
        All counts share the case number; now and then a consolidated case gives later counts a
        second number in ``FE_NUM_CRT_CASE``.
        """
        rng = self.rng
        felony_case = any(o.toc == "F" for o, _, _ in counts)
        year = date.fromordinal(day).year
        court_kind = "municipal" if (year < 1999 and not felony_case and rng.random() < 0.6) else "court"
        prefix = self._step(step_no, day, "COURT ACTION", county.agencies[court_kind])
        case = self._case_number(day, felony_case, county)
        ofn, crt_case = self._case_values(case)
        second_case = self._case_number(day, felony_case, county) if rng.random() < 0.02 else None
        disp_date = self._date_field(day)
        convictions = []
        person = self._person
        in_county = county is self.county
        for k, (offense, convicted, options) in enumerate(counts, start=1):
            cnt_order = f"{self._cycle:03d}{step_no:03d}{k:03d}000"
            comment = options.get("comment")
            written = options.get("written")
            if written is None and comment is None:
                r = rng.random()
                if r < SHARE_SEE_COMMENT_OTHER:
                    written, comment = _SEE_COMMENT, offense.descr
                elif r < SHARE_SEE_COMMENT_OTHER + SHARE_BLANK_OFFENSE:
                    written, comment = "", offense.descr
            if comment is None:
                comment = _COMMENT(rng)
                if convicted and rng.random() < SHARE_HINT_OTHER_DRUG and offense.section.startswith(_DRUG_SECTIONS):
                    comment = csv_field(rng.choice(CANNABIS_HINTS).format(s=rng.choice(HINT_SECTIONS)))
                    person.features.add("comment_hint_on_other_offense")
            if convicted:
                level = offense.level
                if offense.section in INFRACTION_FROM_2011 and year >= 2011:
                    level = "INFRACTION"
                elif offense.wobbler and not options.get("serving") and rng.random() < SHARE_REDUCED_17B:
                    level = "MISDEMEANOR"
                if rng.random() < SHARE_BLANK_LEVEL:
                    level = ""
                    person.features.add("blank_level")
                label, parts = self._sentence(level, day, bool(options.get("serving")))
                vals = self._count(cnt_order, offense, label, level, written)
                sentences = [
                    f"#,{n},{SENTENCE_PLACES[place]},{place},{length},{unit},{SENTENCE_UNITS.get(unit, '')}"
                    for n, (place, length, unit) in enumerate(parts, start=1)
                ]
                convictions.append((offense, parts))
                person.convictions += 1
                if offense.cannabis and in_county:
                    person.cannabis_convictions_in_county += 1
                    person.cannabis_attempts_in_county += offense.attempt
                    person.cannabis_forms[self._form] = person.cannabis_forms.get(self._form, 0) + 1
            else:
                vals = self._count(cnt_order, offense, _NOT_CONVICTED(rng), "", written)
                sentences = [_NO_SENTENCE]
            vals[_C_DISP_DATE] = disp_date
            vals[_C_OFN] = ofn
            vals[_C_CRT_CASE] = second_case if (second_case and k > 1) else crt_case
            self._emit(prefix, ",".join(vals), sentences, comment)
        return convictions

    def _after_court(self, step_no: int, day: int, county: _County, convictions) -> None:
        """Probation and custody steps that follow some convictions (no disposition: not convictions)."""
        rng = self.rng
        places = {place for _, parts in convictions for place, _, _ in parts}
        if "PRISON" in places and rng.random() < 0.5:
            agency = rng.choice(_PRISON_AGENCIES)
            step_type = "CUSTODY"
        elif "PROBATION" in places and rng.random() < 0.12:
            agency = county.agencies["probation"]
            step_type = "PROBATION"
        else:
            return
        when = min(day + rng.randint(20, 120), _EXTRACT)
        prefix = self._step(step_no, when, step_type, agency)
        for k, (offense, _) in enumerate(convictions, start=1):
            vals = self._count(f"{self._cycle:03d}{step_no:03d}{k:03d}000", offense, "")
            vals[_C_DISP_CODE] = ""
            self._emit(prefix, ",".join(vals), (_NO_SENTENCE,), "")


class _Cycles(_Steps):
    """Renders a person's planned cycles, one renderer per ``CycleKind`` (``RENDERERS``)."""

    def render(self, plans: Sequence[_Plan]) -> None:
        """Render every planned cycle, numbered 1, 2, ... in the order given (date order)."""
        person = self._person
        for number, plan in enumerate(plans, start=1):
            self._rows = []
            self._cycle = number
            self.RENDERERS[plan.kind](self, plan.day, **plan.options)
            person.cycles.append(self._rows)

    def _cycle_cannabis(
        self,
        conv_day: int,
        offense: Offense,
        county: _County | None = None,
        serving: bool = False,
        same_case: Sequence[Offense] = (),
    ) -> None:
        """A cannabis case: an arrest (usually), then a court action convicting the cannabis count.

        Other counts of the same case: a second cannabis charge (dismissed), related charges, and
        possibly a super strike or sex offense in the same case (which does not disqualify: People
        v. Smit; the rules must see it is not *prior*).
        """
        rng = self.rng
        county = county or self.county
        person = self._person
        cycle_day = max(conv_day - rng.randint(5, 300), self._dob + 3000)
        self._begin_cycle(cycle_day)
        options: dict = {"serving": serving}
        # Repeat offenders keep the plain section, so their priors are "of the same section".
        if rng.random() < SHARE_ATTEMPT and offense.toc == "F" and "repeat_offender" not in person.features:
            offense = attempt_of(offense, rng.choice(ATTEMPT_FORMS))
            person.features.add("attempt")
        r = rng.random()
        if r < SHARE_SEE_COMMENT_CANNABIS:
            options["written"] = _SEE_COMMENT if rng.random() < 0.85 else ""
            options["comment"] = offense.descr
            person.features.add("see_comment")
        elif r < SHARE_SEE_COMMENT_CANNABIS + SHARE_HINT:
            other = rng.choice([s for s in HINT_SECTIONS if s.split(" ")[0] not in offense.section])
            options["comment"] = csv_field(rng.choice(CANNABIS_HINTS).format(s=other))
            person.features.add("comment_hint")
        second = self._cannabis_offense(conv_day) if rng.random() < 0.3 else None
        related = [_RELATED(rng) for _ in range(rng.choice((0, 1, 1, 2, 3)))]

        step_no = 1
        if rng.random() < 0.92:
            charged = [offense] + ([second] if second else []) + related
            self._arrest(step_no, cycle_day, county, charged, released=False)
            step_no += 1
        counts: list[tuple[Offense, bool, dict]] = [(offense, True, options)]
        if second:
            counts.append((second, False, {}))
        counts.extend((o, rng.random() < 0.3, {}) for o in related)
        counts.extend((o, True, {}) for o in same_case)
        convictions = self._court(step_no, conv_day, county, counts)
        self._after_court(step_no + 1, conv_day, county, convictions)
        if county is self.county and conv_day >= _PROP64:
            person.features.add("post_2016")

    def _cycle_cannabis_arrest(self, day: int) -> None:
        """A cannabis arrest that went nowhere, or a cannabis charge dismissed in court."""
        rng = self.rng
        county = self._event_county()
        self._begin_cycle(day)
        offenses = [_CANNABIS_ARREST(rng)] + [_RELATED(rng) for _ in range(rng.randint(0, 2))]
        if rng.random() < 0.6:
            self._arrest(1, day, county, offenses, released=True)
        else:
            self._arrest(1, day, county, offenses, released=False)
            court_day = min(day + rng.randint(10, 200), _EXTRACT)
            self._court(2, court_day, county, [(o, False, {}) for o in offenses])

    def _cycle_other(
        self,
        day: int,
        county: _County | None = None,
        offense: Offense | None = None,
        convict: bool = False,
        serving: bool = False,
        court_day: int | None = None,
    ) -> None:
        """Any other arrest chain: arrest only, arrest and court, or a citation straight to court.

        ``convict`` forces a conviction of the first charge (``offense`` when given) on
        ``court_day`` when given; ``serving`` gives it a sentence still running.
        """
        rng = self.rng
        county = county or self._event_county()
        self._begin_cycle(day)
        main = offense or _OTHER(rng)
        while serving and (main.toc != "F" or main.section in ARREST_ONLY):
            main = _OTHER(rng)
        offenses = [main] + [_OTHER(rng) for _ in range(min(int(rng.expovariate(0.45)), 8))]
        r = rng.random()
        if r < 0.32 and not convict:
            self._arrest(1, day, county, offenses, released=True)
            return
        step_no = 1
        if r < 0.93 or convict:
            self._arrest(1, day, county, offenses, released=False)
            step_no = 2
        offenses = [o for o in offenses if o.section not in ARREST_ONLY]
        if not offenses:
            return
        if court_day is None:
            court_day = min(day + rng.randint(7, 240), _EXTRACT)
        counts = [
            (
                o,
                (k == 0 and (convict or rng.random() < 0.75)) or (k > 0 and rng.random() < 0.35),
                {"serving": serving} if k == 0 else {},
            )
            for k, o in enumerate(offenses)
        ]
        convictions = self._court(step_no, court_day, county, counts)
        if convictions:
            self._after_court(step_no + 1, court_day, county, convictions)

    def _cycle_serious(self, day: int, offense: Offense) -> None:
        """A super strike or registrable sex offense conviction (in any county), convicted on ``day``."""
        arrested = max(day - self.rng.randint(7, 240), self._dob + 3000)
        self._cycle_other(arrested, county=self._event_county(0.6), offense=offense, convict=True, court_day=day)

    def _cycle_registration(self, day: int, offense: Offense) -> None:
        """A REGISTRATION step. Some carry no usable date (must not disqualify everything)."""
        rng = self.rng
        self._begin_cycle(day)
        county = self._event_county(0.8)
        date_text = "00000000" if rng.random() < SHARE_UNDATED_REGISTRATION else None
        agency = county.agencies["sheriff" if rng.random() < 0.6 else "police"]
        prefix = self._step(1, day, "REGISTRATION", agency, date_text)
        vals = self._count(f"{self._cycle:03d}001001000", offense, "")
        vals[_C_OFF_CODE] = offense.code
        self._emit(prefix, ",".join(vals), (_NO_SENTENCE,), "")

    def _cycle_deceased(self, day: int) -> None:
        """A DECEASED step, its own cycle; the date of death is sometimes partial or invalid."""
        self._begin_cycle(day)
        county = self._event_county(0.8)
        date_text = self._date_field(day, 0.15, 0.1)
        prefix = self._step(1, day, "DECEASED", county.agencies["coroner"], date_text)
        vals = self._count(f"{self._cycle:03d}001001000", None, "")
        self._emit(prefix, ",".join(vals), (_NO_SENTENCE,), "")

    #: The renderer of each kind of cycle: ``renderer(builder, day, **plan options)``.
    RENDERERS: dict[CycleKind, Callable[..., None]] = {
        CycleKind.CANNABIS: _cycle_cannabis,
        CycleKind.CANNABIS_ARREST: _cycle_cannabis_arrest,
        CycleKind.OTHER: _cycle_other,
        CycleKind.SERIOUS: _cycle_serious,
        CycleKind.REGISTRATION: _cycle_registration,
        CycleKind.DECEASED: _cycle_deceased,
    }


class _Identity(NamedTuple):
    """Who a person is on paper: sex, race (code and label) and name as the file writes it."""

    sex: str
    race_code: str
    race: str
    name: str


def _draw_identity(rng: random.Random) -> _Identity:
    sex = "M" if rng.random() < MALE_SHARE else "F"
    race_code, race = _RACE(rng)
    surname = rng.choice(SURNAMES_BY_RACE[RACE_NAME_GROUP.get(race, "OTHER")])
    first = rng.choice(FIRST_NAMES_MALE if sex == "M" else FIRST_NAMES_FEMALE)
    name = f"{surname},{first} {chr(65 + rng.randrange(26))}" if rng.random() < 0.7 else f"{surname},{first}"
    return _Identity(sex, race_code, race, name)


class _PersonBuilder:
    """Draws one person's whole record and renders it as CSV lines, in four named steps: who they
    are (``_draw_identity``), their record planned as dated cycles (``_Planner``), the person's
    columns, and the cycles rendered in date order (``_Cycles``). All steps draw from one stream.
    """

    def __init__(self, rng: random.Random, county: _County):
        self.rng = rng
        self.planner = _Planner(rng, county)
        self.cycles = _Cycles(rng, county)

    @property
    def next_record_id(self) -> int:
        """The ``RECORD_ID`` the next person's first row takes."""
        return self.cycles.record_id

    def build(self, index: int, first_record_id: int) -> SyntheticPerson:
        """Draw one whole person and render their rows; ``RECORD_ID`` numbering starts at ``first_record_id``."""
        who = _draw_identity(self.rng)
        person = SyntheticPerson(subject_id=str(100_000_000 + (index * 48_271 + 12_345) % 100_000_000), cycles=[])
        life, plans = self.planner.plan(person)
        self.cycles.start_person(person, index, who, life.dob, first_record_id)
        self.cycles.render(plans)
        self._tag_ages(person, plans)
        return person

    def _tag_ages(self, person: SyntheticPerson, plans: Sequence[_Plan]) -> None:
        """Features for the ages that matter to the rules: at an in-county cannabis conviction, and now."""
        age = self.cycles.age
        ages = [age(p.day) for p in plans if p.kind is CycleKind.CANNABIS and "county" not in p.options]
        if any(a < 18 for a in ages):
            person.features.add("minor_at_cannabis")
        if any(a < 21 for a in ages):
            person.features.add("under_21_at_cannabis")
        if age(_EXTRACT) >= 50:
            person.features.add("age_50_plus")


# --------------------------------------------------------------------------------------------------
# Malformed rows (for the reader's tests)
# --------------------------------------------------------------------------------------------------


def _to_fields(line: str) -> list[str]:
    return next(csv.reader([line]))


def _to_line(fields: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()


def _wrong_field_count(fields: list[str], rng: random.Random) -> None:
    if rng.random() < 0.5:
        del fields[rng.randrange(40, 94)]
    else:
        fields.insert(rng.randrange(40, 94), "X")


def _missing_subject_id(fields: list[str], rng: random.Random) -> None:
    fields[_COL["SUBJECT_ID"]] = ""


def _short_cnt_order(fields: list[str], rng: random.Random) -> None:
    fields[_COL["CNT_ORDER"]] = fields[_COL["CNT_ORDER"]][: rng.randint(3, 9)]


def _unknown_level(fields: list[str], rng: random.Random) -> None:
    """A made-up conviction level on a non-cannabis charge, with a count number of its own."""
    order = fields[_COL["CNT_ORDER"]]
    fields[_COL["CNT_ORDER"]] = order[:6] + f"{rng.randint(900, 999):03d}000"
    fields[_COL["OFFENSE_DESCR"]] = "23152(A) VC-DUI ALCOHOL/DRUGS"
    fields[_COL["OFFENSE_TOC"]] = "M"
    fields[_COL["DISP_DESCR"]] = "CONVICTED"
    fields[_COL["CONV_STAT_CODE"]] = "X"
    fields[_COL["CONV_STAT_DESCR"]] = "FELONYISH"
    fields[_COL["COMMENT_TEXT"]] = ""


#: How each kind in ``MALFORMED_KINDS`` breaks a row's fields (in place).
_BREAK: dict[str, Callable[[list[str], random.Random], None]] = {
    "field_count": _wrong_field_count,
    "missing_subject_id": _missing_subject_id,
    "short_cnt_order": _short_cnt_order,
    "unknown_level": _unknown_level,
}
assert set(_BREAK) == set(MALFORMED_KINDS)


def _malformed_copy(line: str, kind: str, rng: random.Random) -> str:
    """A broken copy of a (non-conviction) row, broken in the way ``kind`` says."""
    fields = _to_fields(line)
    _BREAK[kind](fields, rng)
    return _to_line(fields)


def _inject_malformed(person: SyntheticPerson, rate: float, rng: random.Random) -> None:
    """Insert broken copies of non-conviction rows after their originals, at ``rate`` per row."""
    _disp = _COL["DISP_DESCR"]
    for cycle in person.cycles:
        out: list[str] = []
        for line in cycle:
            out.append(line)
            if rng.random() < rate:
                fields = _to_fields(line)
                if fields[_disp].startswith("CONVICTED"):
                    continue
                kind = rng.choice(MALFORMED_KINDS)
                out.append(_malformed_copy(line, kind, rng))
                person.malformed[kind] = person.malformed.get(kind, 0) + 1
        cycle[:] = out


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def _county_named(county: str) -> _County:
    name = " ".join(county.split()).upper()
    if name not in _COUNTY_BY_NAME:
        raise ValueError(f"unknown California county {county!r}; expected one of {', '.join(COUNTY_NAMES)}")
    return _COUNTY_BY_NAME[name]


def generate_people(
    *, county: str = "SACRAMENTO", seed: int = 1, malformed_rate: float = 0.0
) -> Iterator[SyntheticPerson]:
    """An endless, reproducible stream of synthetic people with cannabis convictions in ``county``.

    Each person's rows are complete 95-column CSV lines (``RECORD_ID`` numbers run on from person
    to person). Take as many as needed (``itertools.islice``). ``malformed_rate`` (0-1, per row)
    adds broken copies of rows; it draws from its own random stream, so the people are the same
    whatever the rate.
    """
    if not 0.0 <= malformed_rate <= 1.0:
        raise ValueError("malformed_rate must be between 0 and 1")
    builder = _PersonBuilder(random.Random(f"people:{seed}"), _county_named(county))
    broken = random.Random(f"malformed:{seed}")
    record_id = 1
    index = 0
    while True:
        person = builder.build(index, record_id)
        record_id = builder.next_record_id
        index += 1
        if malformed_rate > 0:
            _inject_malformed(person, malformed_rate, broken)
        yield person


def generate(
    path: str | Path,
    *,
    rows: int,
    county: str = "SACRAMENTO",
    seed: int = 1,
    header: bool = True,
    line_ending: str = "\r\n",
    malformed_rate: float = 0.0,
    header_trailing_field: bool = False,
) -> GenerateStats:
    """Write a synthetic DOJ research file of about ``rows`` data rows to ``path``.

    Whole people are written until at least ``rows`` rows are out (people whose rows were split
    are completed after that), so the exact count is in the returned stats. ``header`` writes the
    95 column names first; ``header_trailing_field`` adds the one empty trailing header field some
    real files carry. ``line_ending`` is ``"\\r\\n"`` (as DOJ delivers) or ``"\\n"``.
    ``malformed_rate`` adds broken rows for reader tests (default none).
    """
    if rows < 1:
        raise ValueError("rows must be at least 1")
    if line_ending not in ("\r\n", "\n"):
        raise ValueError("line_ending must be '\\r\\n' or '\\n'")
    county_name = _county_named(county).name
    layout = random.Random(f"layout:{seed}")
    people = generate_people(county=county_name, seed=seed, malformed_rate=malformed_rate)

    written = n_people = convictions = cannabis = attempts = with_cannabis = split = 0
    malformed = dict.fromkeys(MALFORMED_KINDS, 0)
    forms: dict[str, int] = {}
    pending: list[tuple[int, list[str]]] = []  # (write after this many people, the held-back rows)
    chunk: list[str] = []
    path = Path(path)
    with open(path, "w", encoding="ascii", newline="") as fh:
        if header:
            fh.write(",".join(DOJ_COLUMNS) + ("," if header_trailing_field else "") + line_ending)

        def out(lines: list[str]) -> None:
            nonlocal written
            chunk.extend(lines)
            written += len(lines)
            if len(chunk) >= 20_000:
                fh.write(line_ending.join(chunk))
                fh.write(line_ending)
                chunk.clear()

        for person in people:
            n_people += 1
            convictions += person.convictions
            cannabis += person.cannabis_convictions_in_county
            attempts += person.cannabis_attempts_in_county
            with_cannabis += person.cannabis_convictions_in_county > 0
            for kind, n in person.malformed.items():
                malformed[kind] += n
            for form, n in person.cannabis_forms.items():
                forms[form] = forms.get(form, 0) + n
            cycles = person.cycles
            held_back = sum(len(held) for _, held in pending)
            # Never split the last person: with nobody after them, their halves would meet again.
            last = written + held_back + person.row_count >= rows
            if len(cycles) >= 2 and layout.random() < SHARE_NON_ADJACENT and not last:
                # Rows split in two places: later cycles come after one to four other people.
                cut = layout.randint(1, len(cycles) - 1)
                out([row for cycle in cycles[:cut] for row in cycle])
                pending.append((n_people + layout.randint(1, 4), [row for cycle in cycles[cut:] for row in cycle]))
                split += 1
            else:
                out([row for cycle in cycles for row in cycle])
            if pending and min(p[0] for p in pending) <= n_people:
                due = [p for p in pending if p[0] <= n_people]
                pending = [p for p in pending if p[0] > n_people]
                for _, held in due:
                    out(held)
            if last:
                break
        for _, held in pending:
            out(held)
        if chunk:
            fh.write(line_ending.join(chunk))
            fh.write(line_ending)

    return GenerateStats(
        path=str(path),
        rows=written,
        people=n_people,
        convictions=convictions,
        cannabis_convictions_in_county=cannabis,
        cannabis_attempts_in_county=attempts,
        people_with_cannabis_in_county=with_cannabis,
        non_adjacent_people=split,
        malformed_rows=malformed,
        cannabis_forms=dict(sorted(forms.items())),
        county=county_name,
        seed=seed,
        header=header,
    )
