"""Reading code sections out of DOJ offense text, and matching them against offense lists kept as data.

Two jobs live here, both vectorised over pandas Series (the engine handles about 100,000 conviction
rows per million input rows, so nothing here loops over rows in Python):

1. **Parsing.** The DOJ research file writes a charge as ``<section> <code>-<description>`` in
   ``OFFENSE_DESCR``, e.g. ``11357(B) HS-POSSESS MARIJUANA``. :func:`parse_code_sections` turns that
   text into its parts (number, subsection, code, attempt), falling back to ``COMMENT_TEXT`` when the
   description is blank or reads ``SEE COMMENT FOR CHARGE``. :func:`comment_mentions` finds the
   cannabis sections a free-text comment mentions, so a reviewer can be told about a possible other
   cannabis charge.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .yaml_files import safe_load

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

#: Columns of the frame returned by :func:`parse_code_sections`, in order.
PARSED_COLUMNS: tuple[str, ...] = (
    "code_section",
    "number",
    "subsection",
    "code",
    "attempt",
    "from_comment",
    "readable",
)

#: Abbreviations of California codes as DOJ writes them (HS Health and Safety, PC Penal, VC Vehicle,
#: BP Business and Professions, WI Welfare and Institutions, MV Military and Veterans, FG Fish and
#: Game, FA Food and Agricultural, GC Government, HN Harbors and Navigation, PR Public Resources, RT
#: Revenue and Taxation, UI Unemployment Insurance, LC Labor, EC Education, CC Civil, CCP Code of
#: Civil Procedure, MC municipal code). Used in two places only: a letter suffix on a section number
#: (``273AB``) is never one of these (so ``11357HS`` reads as 11357 + HS), and in free-text comments a
#: number only counts as a section when one of these codes follows it (so ``BAIL 5000 OR`` is not a
#: section). In ``OFFENSE_DESCR`` itself any 2-4 letter code is accepted.
KNOWN_CODES: tuple[str, ...] = (
    "HS", "PC", "VC", "BP", "WI", "MV", "FG", "FA", "GC", "HN", "PR", "RT", "UI", "LC", "EC", "CC",
    "CCP", "MC",
)
_CODES_ALT = "|".join(sorted(KNOWN_CODES, key=len, reverse=True))

# A PC 664 ("attempt") prefix, in the forms DOJ writes it: 664/11359, 664-11357(C), 664 PC/187,
# 664.11359, 664 11359 and 66411359. The glued and dotted forms need at least three more digits, so
# PC 664 on its own and a section such as 664.1 are never read as an attempt.
_ATTEMPT = (
    r"(?P<attempt>664\s*(?:PC\s*)?[/\-]\s*(?=\d)"
    r"|664\.(?=\d{3})"
    r"|664\s+(?=\d{3})"
    r"|664(?=\d{3}))?"
)
# The section number: digits, an optional decimal part (191.5, 11357.5, 186.22) and an optional
# one- or two-letter suffix (273AB, 288A, 653F, 266H) that is not itself a code abbreviation. For
# other states' codes, a short article-section number is read whole (Illinois' Criminal Code 12-3.05,
# 9-1; its Vehicle Code 11-501): one or two digits, a dash, one to three digits. A 664 attempt dash is read first, so it is never
# taken for one of these.
_NUMBER = (
    r"(?P<number>(?:\d{1,2}-\d{1,3}(?![\d])(?:\.\d+)?|\d+(?:\.\d+)?)"
    rf"(?:(?!(?:{_CODES_ALT})(?![A-Z]))[A-Z]{{1,2}}(?![A-Z]))?)"
)
# Any run of parenthesised subdivisions, spaces allowed between and inside: (B), (A)(2), (D) (3).
_SUBSECTION = r"(?P<subsection>(?:\s*\(\s*[A-Z0-9]{1,4}\s*\))*)"

# OFFENSE_DESCR: the section sits at the start. It is read as a prefix rather than by splitting at
# the first dash, so 664-11357(C) HS-... keeps its attempt dash.
_DESCR_RE = (
    rf"^(?P<whole>{_ATTEMPT}{_NUMBER}{_SUBSECTION}(?:\s*(?P<code>[A-Z]{{2,4}})(?![A-Z]))?)"
)
# COMMENT_TEXT: free text, so the first token that looks like a section *and* names a known code.
_COMMENT_RE = (
    rf"(?<![\w.])(?P<whole>{_ATTEMPT}{_NUMBER}{_SUBSECTION}\s*(?P<code>{_CODES_ALT})(?![A-Z]))"
)
_SEE_COMMENT_RE = r"^SEE\s+COMMENT"


def _clean(text: pd.Series) -> pd.Series:
    """Upper-case, strip, and turn missing values and the literal ``NULL`` into empty strings."""
    out = text.astype(object).where(text.notna(), "").astype(str).str.strip().str.upper()
    return out.where(out != "NULL", "")


def _read_sections(text: pd.Series, pattern: str) -> pd.DataFrame:
    """Extract the section parts from each string; unreadable rows get empty strings."""
    found = text.str.extract(pattern)
    readable = found["number"].notna()
    out = pd.DataFrame(index=text.index)
    out["code_section"] = found["whole"].fillna("").str.strip().str.replace(r"\s+", " ", regex=True)
    out["number"] = found["number"].fillna("")
    out["subsection"] = found["subsection"].fillna("").str.replace(r"\s+", "", regex=True)
    out["code"] = found["code"].fillna("")
    out["attempt"] = found["attempt"].notna() & readable
    out["readable"] = readable
    return out


def parse_code_sections(offense_descr: pd.Series, comment_text: pd.Series) -> pd.DataFrame:
    """Read the code section of every row.

    Parameters are the ``OFFENSE_DESCR`` and ``COMMENT_TEXT`` columns (same index; any string dtype,
    including pandas' pyarrow-backed ``str``; missing values allowed). Returns a DataFrame with the
    input's index and the columns of :data:`PARSED_COLUMNS`:

    - ``code_section`` (str): the section as convicted, upper case, spaces collapsed, e.g.
      ``11357(B) HS``, ``664/11359 HS``; empty when unreadable.
    - ``number`` (str): the section number alone: ``11357``, ``191.5``, ``273AB``, ``11418``.
    - ``subsection`` (str): the subdivisions, upper case without spaces: ``(B)``, ``(A)(2)``; or ``""``.
    - ``code`` (str): ``HS``, ``PC``, ``VC``, ``BP``, ``WI``, ``MV``...; ``""`` when none is written.
    - ``attempt`` (bool): the charge carries a PC 664 attempt prefix (``664/11359``, ``66411359``,
      ``664.11359``, ``664-11357(C)``). ``664 PC`` alone is the section 664, not an attempt.
    - ``from_comment`` (bool): the section was read from ``COMMENT_TEXT``.
    - ``readable`` (bool): a section was read from one of the two columns.

    Rules: the section is the text at the start of ``OFFENSE_DESCR``, before the description dash (a
    ``664-`` attempt dash is not that dash); values may be space padded and in any case. When
    ``OFFENSE_DESCR`` is blank, ``NULL`` or starts with ``SEE COMMENT``, the section is the first
    token of ``COMMENT_TEXT`` that looks like a section followed by a known code abbreviation
    (:data:`KNOWN_CODES`). A non-blank description that cannot be read is *not* replaced by the
    comment (the comment may be about something else): the row is simply unreadable.
    """
    if not offense_descr.index.equals(comment_text.index):
        raise ValueError("offense_descr and comment_text must share the same index")
    descr = _clean(offense_descr)
    comment = _clean(comment_text)
    use_comment = (descr == "") | descr.str.contains(_SEE_COMMENT_RE, regex=True)

    out = _read_sections(descr, _DESCR_RE)
    if use_comment.any():
        from_comment = _read_sections(comment[use_comment], _COMMENT_RE)
        out.loc[use_comment, from_comment.columns] = from_comment
        # A "SEE COMMENT" description is never itself a section, whatever the regex made of it.
    out["from_comment"] = use_comment & out["readable"]
    out["attempt"] = out["attempt"].astype(bool)
    out["readable"] = out["readable"].astype(bool)
    for name in ("code_section", "number", "subsection", "code"):
        out[name] = out[name].astype(str)
    return out[list(PARSED_COLUMNS)]


def _mention_pattern(number: str) -> str:
    """An anchored pattern for one section number inside free text.

    Anchored on both sides: ``111357`` and ``11357.5`` do not mention ``11357``. A glued attempt
    prefix (``66411357``) still counts as a mention.
    """
    n = re.escape(number.strip().upper())
    return rf"(?:(?<![\d.])|(?<=(?<![\d.])664)){n}(?!\d|\.\d)"


def comment_mentions(comment_text: pd.Series, numbers: list[str] | tuple[str, ...]) -> pd.Series:
    """Which of ``numbers`` each comment mentions, for "possible other cannabis charge" hints.

    Returns a str Series (same index) holding the mentioned numbers in the order of ``numbers``,
    joined by ``", "`` (e.g. ``"11359, 11360"``), or ``""``. Typical call:
    ``comment_mentions(df["COMMENT_TEXT"], lists["cannabis"].numbers)``.
    Matching is anchored (see :func:`_mention_pattern`); any code letters after the number are
    ignored, because comments are free text.
    """
    comment = _clean(comment_text)
    result = pd.Series("", index=comment.index, dtype=object)
    for number in dict.fromkeys(numbers):  # distinct, order kept
        hit = comment.str.contains(_mention_pattern(number), regex=True).to_numpy(dtype=bool)
        if not hit.any():
            continue
        cur = result.to_numpy(dtype=object)
        result = pd.Series(
            np.where(hit, np.where(cur == "", number, cur + ", " + number), cur),
            index=comment.index,
            dtype=object,
        )
    return result.astype(str)


# --------------------------------------------------------------------------------------------------
# Offense lists as data
# --------------------------------------------------------------------------------------------------


class OffenseListError(ValueError):
    """A rule pack's offense list file is missing or invalid. The message says where and why."""


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
    """

    label: str = Field(min_length=1)
    attempts_count: bool = False
    requires_same_case: SectionPattern | None = None
    note: str = ""

    @field_validator("requires_same_case", mode="before")
    @classmethod
    def _companion(cls, value: Any) -> Any:
        if value is None or isinstance(value, (dict, SectionPattern)):
            return value
        parsed = parse_code_sections(pd.Series([str(value)]), pd.Series([""])).iloc[0]
        if not parsed["readable"] or not parsed["code"] or parsed["attempt"]:
            raise ValueError(
                f"requires_same_case must be a section with its code, e.g. '186.22(B)(4) PC', "
                f"got {value!r}"
            )
        subs = (parsed["subsection"],) if parsed["subsection"] else ()
        return {"code": parsed["code"], "number": parsed["number"], "subsections": subs}


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
    _numbers: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_numbers", frozenset(e.number for e in self.entries))

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
        """Position in ``entries`` of the first entry each row matches, or -1 (a numpy int array)."""
        entries = self.entries if entries is None else entries
        result = np.full(len(parsed), -1, dtype=np.int64)
        if len(parsed) == 0:
            return result
        numbers = parsed["number"].to_numpy(dtype=object)
        wanted = frozenset(e.number for e in entries)
        candidates = np.flatnonzero(np.fromiter((n in wanted for n in numbers), bool, len(numbers)))
        if candidates.size == 0:
            return result
        cand = parsed.iloc[candidates]
        num = cand["number"].to_numpy(dtype=object)
        code = cand["code"].to_numpy(dtype=object)
        if self.assume_code_when_missing:
            code = np.where(code == "", self.assume_code_when_missing, code)
        attempt = cand["attempt"].to_numpy(dtype=bool)
        subsection = cand["subsection"].astype(str)
        companion_ok = None
        if same_case_has is not None:
            if not same_case_has.index.equals(parsed.index):
                raise ValueError("same_case_has must have the same index as parsed")
            companion_ok = same_case_has.to_numpy(dtype=bool)[candidates]
        found = np.full(len(candidates), -1, dtype=np.int64)
        for pos, entry in enumerate(entries):
            hit = (num == entry.number) & (code == entry.code) & (found == -1)
            if not hit.any():
                continue
            if entry.subsections:
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

    def needs_companion(self, parsed: pd.DataFrame) -> pd.Series:
        """Boolean Series: the row would match an entry that counts only with a same-case companion.

        Lets the engine (or a reviewer's hint) see such rows without deciding them.
        """
        idx = self._first_entry(parsed, None, ignore_companions=True)
        needs = np.array(
            [e.requires_same_case is not None for e in self.entries] + [False], dtype=bool
        )
        return pd.Series(needs[idx], index=parsed.index)  # idx -1 picks the trailing False

    def companion_matches(self, parsed: pd.DataFrame) -> pd.Series:
        """Boolean Series: the row is this list's :attr:`companion` section (all False if none)."""
        companion = self.companion
        if companion is None:
            return pd.Series(False, index=parsed.index)
        return pd.Series(
            self._first_entry(parsed, None, entries=(companion,)) >= 0, index=parsed.index
        )

    def matched_labels(
        self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None
    ) -> pd.Series:
        """Str Series: the matched code section as convicted (e.g. ``664/187 PC``), or ``""``.

        This is what the review workbook shows in "Superstrike Code Section(s)"; join the values per
        person to fill the cell. Same arguments and rules as :meth:`matches`.
        """
        hit = self._first_entry(parsed, same_case_has) >= 0
        sections = parsed["code_section"].to_numpy(dtype=object)
        return pd.Series(np.where(hit, sections, ""), index=parsed.index, dtype=object).astype(str)

    def matched_entry_labels(
        self, parsed: pd.DataFrame, same_case_has: pd.Series | None = None
    ) -> pd.Series:
        """Str Series: the ``label`` of the first entry the row matches (e.g. ``murder``), or ``""``."""
        idx = self._first_entry(parsed, same_case_has)
        labels = np.array([e.label for e in self.entries] + [""], dtype=object)
        return pd.Series(labels[idx], index=parsed.index, dtype=object).astype(str)


def _format_validation_error(where: str, error: ValidationError) -> str:
    lines = [f"{where} is not a valid offense list file:"]
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"]) or "(top level)"
        lines.append(f"  - {loc}: {item['msg']}")
    return "\n".join(lines)


def load_offense_lists(pack_dir: str | Path) -> dict[str, OffenseList]:
    """Read and validate a rule pack's offense lists.

    ``pack_dir`` is the rule pack folder (e.g. ``blueprint/rules/california/prop64``) holding
    ``offenses.yaml``, or the path of such a YAML file itself. Returns ``{list name: OffenseList}``;
    the California pack provides ``cannabis``, ``super_strikes``, ``pc290``, ``related`` and
    ``plea_standins``. Raises :class:`OffenseListError` with the file, list, entry position and
    reason when anything is wrong (unknown keys, unquoted decimal section numbers, malformed
    subsections, duplicate entries, more than one same-case companion in a list).

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
        raw = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise OffenseListError(f"{path} is not valid YAML: {exc}") from None
    try:
        spec = _OffensesFile.model_validate(raw)
    except ValidationError as exc:
        raise OffenseListError(_format_validation_error(str(path), exc)) from None

    lists: dict[str, OffenseList] = {}
    for name, list_spec in spec.lists.items():
        entries: list[OffenseEntry] = []
        for pos, raw_entry in enumerate(list_spec.entries):
            data = {"attempts_count": list_spec.attempts_count, **raw_entry}
            try:
                entries.append(OffenseEntry.model_validate(data))
            except ValidationError as exc:
                where = f"{path}: lists.{name}.entries[{pos}]"
                raise OffenseListError(_format_validation_error(where, exc)) from None
        seen: set[tuple[str, str, tuple[str, ...]]] = set()
        for pos, entry in enumerate(entries):
            key = (entry.code, entry.number, entry.subsections)
            if key in seen:
                raise OffenseListError(
                    f"{path}: lists.{name}.entries[{pos}] repeats {entry.describe()}"
                )
            seen.add(key)
        companions = {e.requires_same_case for e in entries if e.requires_same_case is not None}
        if len(companions) > 1:
            names = ", ".join(sorted(c.describe() for c in companions))
            raise OffenseListError(
                f"{path}: list {name} names more than one same-case companion ({names}); "
                "one list may use only one"
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
    return lists
