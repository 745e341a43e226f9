"""Offense lists kept as data, and matching parsed code sections against them.

1. **Parsing** lives in ``blueprint.intake.section_reading`` and is re-exported here:
   :func:`parse_code_sections` reads the section(s) of each ``OFFENSE_DESCR`` (falling back to
   ``COMMENT_TEXT`` when the description is blank or reads ``SEE COMMENT FOR CHARGE``), with each
   code's facts (known codes, lettered sections, the attempt form) from the rule pack's
   ``sections.yaml``. :func:`comment_mentions` finds the sections a free-text comment mentions.

2. **Matching.** The lists of offenses the rules need (the Prop 64 cannabis sections, the PC
   667(e)(2)(C)(iv) "super strikes", the PC 290(c) registrable sex offenses, the "related" charges
   some counties dismissed, the plea-bargain stand-ins) are data in a rule pack's ``offenses.yaml``.
   :func:`load_offense_lists` reads and validates that file into frozen :class:`OffenseList` objects
   whose :meth:`OffenseList.matches` says, row by row, whether a parsed section is on the list.

Matching is always *anchored*: a section matches an entry only when its whole number is the entry's
number. ``1602 PC`` is not ``602 PC``, ``11357.5 HS`` is not ``11357 HS``, ``2459 PC`` is not
``245 PC``, and ``245(A)(1) PC`` is not the super strike ``245(D)(3) PC``. (Unanchored matching was a
known defect of the earlier tools.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..intake.section_reading import PARSED_COLUMNS, comment_mentions, default_reading, parse_code_sections
from ..base.yaml_files import Problems, SyntaxProblem, read_located

__all__ = [
    "PARSED_COLUMNS",
    "OffenseEntry",
    "OffenseList",
    "OffenseListError",
    "SectionPattern",
    "comment_mentions",
    "load_offense_lists",
    "parse_code_sections",
]

# --------------------------------------------------------------------------------------------------
# Offense lists as data
# --------------------------------------------------------------------------------------------------


class OffenseListError(ValueError):
    """A rule pack's offense list file is missing or invalid. The message says where and why."""


_PLAIN_NUMBER_RE = re.compile(r"^\d+(?:\.\d+)?$")


def section_order(number: str) -> float:
    """Where a plain section number sorts among the code's sections (NaN for any other number).

    California numbers sections as decimals: 190.03 comes before 190.1, which comes before 190.2.
    """
    text = str(number).strip()
    return float(text) if _PLAIN_NUMBER_RE.match(text) else float("nan")


_NUMBER_RE = re.compile(r"^(?:\d{1,2}-\d{1,3}(?:\.\d+)?|\d+(?:\.\d+)?)[A-Z]{0,2}$")
_SUBSECTION_RE = re.compile(r"^(?:\([A-Z0-9]{1,4}\))+$")
_CODE_RE = re.compile(r"^[A-Z]{2,4}$")


def _normalise_subsection(value: str) -> str:
    return re.sub(r"\s+", "", str(value)).upper()


class SectionPattern(BaseModel):
    """A code section to look for: a code, a number and optionally subsection prefixes.

    ``subsections`` are prefixes: ``(A)(2)`` matches a conviction under ``(A)(2)`` or ``(A)(2)(B)``
    but not ``(A)(21)`` or ``(A)``. With no subsections listed, any subsection (or none) matches.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    number: str
    subsections: tuple[str, ...] = ()

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, value: Any) -> str:
        text = str(value).strip().upper()
        if not _CODE_RE.match(text):
            raise ValueError(f"code must be 2-4 letters such as PC or HS, got {value!r}")
        return text

    @field_validator("number", mode="before")
    @classmethod
    def _number(cls, value: Any) -> str:
        if isinstance(value, float):
            raise ValueError(
                f"section number {value!r} was read as a decimal number: quote it in the YAML "
                '(e.g. "191.5") so that trailing zeros and dots are kept'
            )
        text = str(value).strip().upper()
        if not _NUMBER_RE.match(text):
            raise ValueError(f"section number must look like 11357, 191.5, 273AB or 12-3.05, got {value!r}")
        return text

    @field_validator("subsections", mode="before")
    @classmethod
    def _subsections(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        out = tuple(_normalise_subsection(v) for v in value)
        for sub in out:
            if not _SUBSECTION_RE.match(sub):
                raise ValueError(f"subsection must look like (A) or (A)(2), got {sub!r}")
        return out

    def describe(self) -> str:
        """The pattern as a person would write it, e.g. ``245(D)(3) PC`` or ``261(A)(2)/(A)(6) PC``."""
        subs = "/".join(self.subsections)
        return f"{self.number}{subs} {self.code}"


class OffenseEntry(SectionPattern):
    """One offense on a list.

    - ``label``: a few words for people, e.g. ``murder``.
    - ``attempts_count``: whether a PC 664 attempt of this offense is on the list too.
    - ``requires_same_case``: another section (e.g. ``186.22(B)(4) PC``, the gang enhancement) that
      must appear in the *same case* for this entry to count; ``None`` for most entries.
    - ``note``: optional remark for the reviewer (why this subsection, what to verify).
    - ``through``: the last section number of a range that starts at ``number``, both included
      (``number: "187", through: "191.5"``: every section from 187 to 191.5, as PC 667(e)(2)(C)(iv)(IV)
      names "any homicide offense ... defined in Sections 187 to 191.5, inclusive"). Section numbers
      are compared as the Legislature orders them (187 < 189.5 < 190 < 190.03 < 190.1 < 191.5);
      only plain numbers, never lettered ones, fall in a range.
    """

    label: str = Field(min_length=1)
    attempts_count: bool = False
    requires_same_case: SectionPattern | None = None
    note: str = ""
    through: str | None = None

    @field_validator("through", mode="before")
    @classmethod
    def _through(cls, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise ValueError(f"section number {value!r} was read as a decimal number: quote it in the YAML")
        text = str(value).strip().upper()
        if not _PLAIN_NUMBER_RE.match(text):
            raise ValueError(f"through must be a plain section number such as 191.5, got {value!r}")
        return text

    @model_validator(mode="after")
    def _range(self) -> "OffenseEntry":
        if self.through is not None:
            if not _PLAIN_NUMBER_RE.match(self.number):
                raise ValueError(f"a range starts at a plain section number, got {self.number!r}")
            if section_order(self.through) <= section_order(self.number):
                raise ValueError(f"through {self.through} must come after number {self.number}")
            if self.subsections:
                raise ValueError("a range of sections takes no subsections")
        return self

    def covers(self, numbers: np.ndarray) -> np.ndarray:
        """Which section numbers this entry names: its own number, or any number of its range."""
        numbers = np.asarray(numbers, dtype=object)
        if self.through is None:
            return numbers == self.number
        # Plain numbers parse as decimals; lettered ones (288A) and article numbers (12-3.05) do not.
        order = pd.to_numeric(pd.Series(numbers, dtype=object), errors="coerce").to_numpy(dtype=float)
        return (order >= section_order(self.number)) & (order <= section_order(self.through))

    def describe(self) -> str:
        if self.through is not None:
            return f"{self.number}-{self.through} {self.code}"
        return super().describe()

    @field_validator("requires_same_case", mode="before")
    @classmethod
    def _companion(cls, value: Any) -> Any:
        if value is None or isinstance(value, (dict, SectionPattern)):
            return value
        text = str(value).strip().upper()
        read = dict(
            zip(
                ("code_section", "number", "subsection", "code", "attempt", "second_number"),
                default_reading().read_description(text),
            )
        )
        if not read["code_section"] or not read["code"] or read["attempt"] or read["second_number"]:
            raise ValueError(
                f"requires_same_case must be a section with its code, e.g. '186.22(B)(4) PC', got {value!r}"
            )
        subs = (read["subsection"],) if read["subsection"] else ()
        return {"code": read["code"], "number": read["number"], "subsections": subs}


class _ListSpec(BaseModel):
    """One list as written in ``offenses.yaml`` (validated before it becomes an OffenseList)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    statute: str = Field(min_length=1)
    description: str = ""
    assume_code_when_missing: str | None = None
    attempts_count: bool = False
    entries: list[dict[str, Any]] = Field(min_length=1)


class _OffensesFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    lists: dict[str, _ListSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> "_OffensesFile":
        for name in self.lists:
            if not re.match(r"^[a-z][a-z0-9_]*$", name):
                raise ValueError(f"list name {name!r} must be lower_case_with_underscores")
        return self


@dataclass(frozen=True)
class OffenseList:
    """A named list of offenses, loaded from a rule pack, that can be matched against parsed rows.

    Attributes: ``name`` (e.g. ``super_strikes``), ``entries`` (tuple of :class:`OffenseEntry`),
    ``source`` (the file it was loaded from), ``statute`` (what the list rests on, e.g.
    ``PC 667(e)(2)(C)(iv)``), ``description``, and ``assume_code_when_missing``.

    **Codes.** An entry's code must equal the parsed code. A parsed section with *no code written*
    matches only on a list that sets ``assume_code_when_missing`` (the California pack sets ``HS`` on
    the cannabis list only): a bare ``11357`` in a drug-charge field is read as the Health and Safety
    section, but a bare ``187`` is not assumed to be the Penal Code murder section, because a false
    super-strike or sex-offense match would wrongly take relief away.

    **Same-case companions.** Some entries count only when another section appears in the same case
    (PC 136.1 is a super strike only with a PC 186.22(b)(4) gang enhancement). One row cannot decide
    that, so the engine does it in two steps::

        ss = lists["super_strikes"]
        companion = ss.companion_matches(parsed)                   # rows that are 186.22(b)(4) PC
        case_has = companion.groupby(case_key).transform("any")    # per case, back on every row
        hits = ss.matches(parsed, same_case_has=case_has)

    Without ``same_case_has`` such entries never match. A list may name at most one companion
    section (checked when loading), so one boolean Series is enough.
    """

    name: str
    entries: tuple[OffenseEntry, ...]
    source: str
    statute: str
    description: str = ""
    assume_code_when_missing: str | None = None

    @property
    def numbers(self) -> tuple[str, ...]:
        """The distinct section numbers on the list, in list order (for :func:`comment_mentions`)."""
        return tuple(dict.fromkeys(e.number for e in self.entries))

    @property
    def companion(self) -> SectionPattern | None:
        """The section some entries need in the same case (e.g. ``186.22(B)(4) PC``), if any."""
        for entry in self.entries:
            if entry.requires_same_case is not None:
                return entry.requires_same_case
        return None

    # -- matching ----------------------------------------------------------------------------------

    def _first_entry(
        self,
        parsed: pd.DataFrame,
        same_case_has: pd.Series | None,
        *,
        ignore_companions: bool = False,
        entries: tuple[SectionPattern, ...] | None = None,
    ) -> np.ndarray:
        """Position in ``entries`` of the first entry each row matches, or -1 (a numpy int array).

        A row naming two sections (``246/186.22(B)(4) PC``) matches by its first section, else by
        its second.
        """
        first = self._entry_of(parsed, "", same_case_has, ignore_companions, entries)
        second = self._entry_of(parsed, "second_", same_case_has, ignore_companions, entries)
        return np.where(first >= 0, first, second)

    def section_hits(
        self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Whether each row's first section, and its second section, is on the list (two bool arrays)."""
        first = self._entry_of(parsed, "", same_case_has, False, None)
        second = self._entry_of(parsed, "second_", same_case_has, False, None)
        return first >= 0, second >= 0

    def _entry_of(
        self,
        parsed: pd.DataFrame,
        prefix: str,
        same_case_has: pd.Series | None,
        ignore_companions: bool,
        entries: tuple[SectionPattern, ...] | None,
    ) -> np.ndarray:
        """Position of the first entry matching one section of each row (columns ``<prefix>number``...)."""
        return self._entry_found(parsed, prefix, same_case_has, ignore_companions, entries, possible=False)

    def _entry_found(
        self,
        parsed: pd.DataFrame,
        prefix: str,
        same_case_has: pd.Series | None,
        ignore_companions: bool,
        entries: tuple[SectionPattern, ...] | None,
        *,
        possible: bool,
    ) -> np.ndarray:
        """:meth:`_entry_of`; with ``possible``, the first entry the row *may* be, its subdivision
        missing or cut short (see :meth:`possible_matches`)."""
        entries = self.entries if entries is None else entries
        result = np.full(len(parsed), -1, dtype=np.int64)
        if len(parsed) == 0 or f"{prefix}number" not in parsed:
            return result
        numbers = parsed[f"{prefix}number"].to_numpy(dtype=object)
        wanted = frozenset(e.number for e in entries)
        ranges = [e for e in entries if getattr(e, "through", None) is not None]
        in_list = np.fromiter((n in wanted for n in numbers), bool, len(numbers))
        for entry in ranges:
            in_list |= entry.covers(numbers)  # type: ignore[attr-defined]  # an entry with a range is an OffenseEntry
        candidates = np.flatnonzero(in_list)
        if candidates.size == 0:
            return result
        # The four columns read here, for the candidate rows only (not the whole frame's rows).
        num = numbers[candidates]
        code = parsed[f"{prefix}code"].to_numpy(dtype=object)[candidates]
        if self.assume_code_when_missing:
            code = np.where(code == "", self.assume_code_when_missing, code)
        attempt = parsed[f"{prefix}attempt"].to_numpy(dtype=bool)[candidates]
        subsection = parsed[f"{prefix}subsection"].iloc[candidates].astype(str)
        companion_ok = None
        if same_case_has is not None:
            if not same_case_has.index.equals(parsed.index):
                raise ValueError("same_case_has must have the same index as parsed")
            companion_ok = same_case_has.to_numpy(dtype=bool)[candidates]
        found = np.full(len(candidates), -1, dtype=np.int64)
        sub_text = subsection.to_numpy(dtype=object)
        # Only entries naming a number some row has (or a range) can match: a list has hundreds of
        # entries, the rows a few numbers, and each entry costs several array operations.
        present = set(num)
        for pos, entry in enumerate(entries):
            if entry.number not in present and getattr(entry, "through", None) is None:
                continue
            names = entry.covers(num) if isinstance(entry, OffenseEntry) else (num == entry.number)
            hit = names & (code == entry.code) & (found == -1)
            if not hit.any():
                continue
            if possible:
                # Only an entry limited to some subdivisions can be "possibly" matched: by a row whose
                # subdivision is missing or stops short of the listed one (245 or 261(A) for 245(D)(3)
                # or 261(A)(2)), never by one that names another subdivision.
                if not entry.subsections:
                    continue
                # The proper prefixes of the listed subdivisions, in whole groups: "" and "(A)" for "(A)(2)".
                prefixes = {
                    "".join(re.findall(r"\([A-Z0-9]+\)", listed)[:k])
                    for listed in entry.subsections
                    for k in range(len(re.findall(r"\([A-Z0-9]+\)", listed)))
                }
                hit &= pd.Series(sub_text, dtype=object).isin(prefixes).to_numpy(dtype=bool)
            elif entry.subsections:
                hit &= subsection.str.startswith(entry.subsections).to_numpy(dtype=bool)
            if isinstance(entry, OffenseEntry):
                if not entry.attempts_count:
                    hit &= ~attempt
                if entry.requires_same_case is not None and not ignore_companions:
                    hit &= companion_ok if companion_ok is not None else False
            else:  # a bare SectionPattern (the companion): attempts never count
                hit &= ~attempt
            found[hit] = pos
        result[candidates] = found
        return result

    def matches(self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None) -> pd.Series:
        """Boolean Series (index of ``parsed``): the row's section is on this list.

        ``parsed`` is the frame from :func:`parse_code_sections`. ``same_case_has`` is an optional
        boolean Series with the same index, True where the row's case contains this list's
        :attr:`companion` section; entries with ``requires_same_case`` match only where it is True
        (and never when it is not given). Attempts match only entries with ``attempts_count``.
        """
        return pd.Series(self._first_entry(parsed, same_case_has) >= 0, index=parsed.index)

    def possible_matches(
        self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None, matched: np.ndarray | None = None
    ) -> pd.Series:
        """Boolean Series: the row is not on the list, but would be with the subdivision it lacks.

        An entry limited to some subdivisions (``245(D)(3)``, ``217.1(B)``, ``261(A)(2)``) cannot
        decide a row that gives no subdivision (``245 PC``) or stops short of the listed one
        (``261(A) PC``): the conviction *may* be the listed offense. Such a row is never a match and
        never a plain miss; the engine treats it as a possible one (hand review) unless another list
        decides the question. Attempts and same-case companions are required as for :meth:`matches`.
        """
        if matched is None:  # the rows this list matches, when the caller has not worked them out
            matched = self._first_entry(parsed, same_case_has) >= 0
        first = self._entry_found(parsed, "", same_case_has, False, None, possible=True)
        second = self._entry_found(parsed, "second_", same_case_has, False, None, possible=True)
        return pd.Series(~matched & ((first >= 0) | (second >= 0)), index=parsed.index)

    def needs_companion(self, parsed: pd.DataFrame) -> pd.Series:
        """Boolean Series: the row would match an entry that counts only with a same-case companion.

        Lets the engine (or a reviewer's hint) see such rows without deciding them.
        """
        idx = self._first_entry(parsed, None, ignore_companions=True)
        needs = np.array([e.requires_same_case is not None for e in self.entries] + [False], dtype=bool)
        return pd.Series(needs[idx], index=parsed.index)  # idx -1 picks the trailing False

    def companion_matches(self, parsed: pd.DataFrame) -> pd.Series:
        """Boolean Series: the row is this list's :attr:`companion` section (all False if none)."""
        companion = self.companion
        if companion is None:
            return pd.Series(False, index=parsed.index)
        return pd.Series(self._first_entry(parsed, None, entries=(companion,)) >= 0, index=parsed.index)

    def matched_labels(self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None) -> pd.Series:
        """Str Series: the matched code section as convicted (e.g. ``664/187 PC``), or ``""``.

        This is what the review workbook shows in "Superstrike Code Section(s)"; join the values per
        person to fill the cell. Same arguments and rules as :meth:`matches`.
        """
        hit = self._first_entry(parsed, same_case_has) >= 0
        sections = parsed["code_section"].to_numpy(dtype=object)
        return pd.Series(np.where(hit, sections, ""), index=parsed.index, dtype=object).astype(str)

    def matched_entry_labels(self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None) -> pd.Series:
        """Str Series: the ``label`` of the first entry the row matches (e.g. ``murder``), or ``""``."""
        idx = self._first_entry(parsed, same_case_has)
        labels = np.array([e.label for e in self.entries] + [""], dtype=object)
        return pd.Series(labels[idx], index=parsed.index, dtype=object).astype(str)


def _where_under(prefix: tuple, loc: tuple) -> str:
    """:func:`_where` of a place given relative to ``prefix`` (a pydantic error inside one entry)."""
    return _where(prefix + loc)


def _where(loc: tuple) -> str:
    """A place in the file as ``lists.cannabis.entries[3].number`` (``(top level)`` for the file itself)."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def load_offense_lists(pack_dir: str | Path) -> dict[str, OffenseList]:
    """Read and validate a rule pack's offense lists.

    ``pack_dir`` is the rule pack folder (e.g. ``blueprint/rules/california/prop64``) holding
    ``offenses.yaml``, or the path of such a YAML file itself. Returns ``{list name: OffenseList}``;
    the California pack provides ``cannabis``, ``super_strikes``, ``pc290``, ``related`` and
    ``plea_standins``. Raises :class:`OffenseListError` naming every mistake at once, each with the
    file, its line, the list, the entry position and the reason (unknown keys, unquoted decimal
    section numbers, malformed subsections, duplicate entries, more than one same-case companion in
    a list), in the ``file:line: message`` form of ``blueprint.base.yaml_files``.

    File layout::

        version: 1
        lists:
          <name>:
            statute: "PC 667(e)(2)(C)(iv)"
            description: "..."
            assume_code_when_missing: HS     # optional; see OffenseList
            attempts_count: false            # default for the list's entries
            entries:
              - {code: PC, number: "187", label: murder, attempts_count: true}
              - {code: PC, number: "245", subsections: ["(D)(3)"], label: "..."}
              - {code: PC, number: "136.1", requires_same_case: "186.22(B)(4) PC", label: "..."}
    """
    path = Path(pack_dir)
    if path.is_dir():
        path = path / "offenses.yaml"
    if not path.is_file():
        raise OffenseListError(f"offense list file not found: {path}")
    try:
        located = read_located(path, kind="yaml")
    except SyntaxProblem as exc:
        raise OffenseListError(f"{path}:{exc.line or '?'}: {exc}") from None
    problems = Problems(str(path), located)
    try:
        spec = _OffensesFile.model_validate(located.data)
    except ValidationError as exc:
        problems.add_validation(exc, name=_where)
        problems.raise_if_any(OffenseListError)
        raise  # pragma: no cover - a validation error always adds a problem

    lists: dict[str, OffenseList] = {}
    for name, list_spec in spec.lists.items():
        entries: list[OffenseEntry] = []
        positions: list[int] = []
        for pos, raw_entry in enumerate(list_spec.entries):
            data = {"attempts_count": list_spec.attempts_count, **raw_entry}
            here = ("lists", name, "entries", pos)
            try:
                entries.append(OffenseEntry.model_validate(data))
                positions.append(pos)
            except ValidationError as exc:
                problems.add_validation(exc, prefix=here, name=partial(_where_under, here))
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for pos, entry in zip(positions, entries):
            key = (entry.code, entry.number, entry.subsections)
            if key in seen:
                problems.add(("lists", name, "entries", pos), f"lists.{name}.entries[{pos}] repeats {entry.describe()}")
            seen.add(key)
        companions = {e.requires_same_case for e in entries if e.requires_same_case is not None}
        if len(companions) > 1:
            names = ", ".join(sorted(c.describe() for c in companions))
            problems.add(
                ("lists", name),
                f"list {name} names more than one same-case companion ({names}); one list may use only one",
            )
        assume = list_spec.assume_code_when_missing
        lists[name] = OffenseList(
            name=name,
            entries=tuple(entries),
            source=str(path),
            statute=list_spec.statute,
            description=list_spec.description,
            assume_code_when_missing=assume.strip().upper() if assume else None,
        )
    problems.raise_if_any(OffenseListError)
    return lists
