"""Reading the code section(s) out of an offense text, with each code's facts kept as rule-pack data.

The DOJ research file writes a charge as ``<section> <code>-<description>`` in ``OFFENSE_DESCR``
(``11357(B) HS-POSSESS MARIJUANA``), but real extracts write one section many ways, and a reader
built on one regular-expression shape misreads some of them: it takes ``11357A`` for a section of its
own, or the word ``SELL`` for a code, and the conviction is silently never evaluated. This reader is
grounded in the codes instead. A rule pack's ``sections.yaml`` (:func:`load_reading_rules`) says

- which code abbreviations exist, so that only those are read as a code (a description word never is);
- which sections of a code really carry letters (PC ``288A``, ``273AB``, ``653F``), so that a letter
  after any other number is a subdivision written without parentheses (``11357B2`` is 11357(b)(2),
  ``647F`` is 647(f), ``647.6B`` is 647.6(b));
- what reads as an attempt (PC 664 before a section: ``664/11359``, ``664-11357(C)``, ``66411359``,
  ``664.11359``) and which characters join two sections on one line (``246/186.22(B)(4) PC``,
  ``186.22(B)(4)-136.1 PC``, ``11357/11360 HS``). Both sections of such a line are read.

Forms read, in ``OFFENSE_DESCR`` (the section at the start, padding and case ignored):

========================================  =================================================
``11357(B) HS-POSSESS MARIJUANA``          11357, (B), HS
``11357B2 HS-...``, ``11360A2 HS-...``     11357 (B)(2); 11360 (A)(2) (no parentheses)
``11360(B) SELL/FURNISH/ETC MARIJUANA``    11360, (B), no code (SELL is not a code)
``11358 -CULTIVATE``                       11358, no code
``11357(B)HS``, ``11357HS``                code glued on
``11357 (B) HS``                           spaces between number, subdivision and code
``664/11359 HS``, ``664-11357(C) HS``...   attempts (PC 664)
``246/186.22(B)(4) PC``                    two sections, both PC
``SEE COMMENT FOR CHARGE`` or blank        the first section in ``COMMENT_TEXT`` that is
                                           followed by a known code
========================================  =================================================

A text whose tail cannot be read as subdivisions (``11357POSSESS``) is unreadable rather than
guessed; :func:`named_sections` then tells whether it names a section the run must not miss, so the
engine can send it to hand review instead of dropping it.

Parsing is per *distinct* text (a few thousand per million rows): each distinct description and
each distinct comment is read once, in Python, and the results are spread back with numpy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base.errors import PolicyError
from ..base.yaml_files import load_yaml_model

__all__ = [
    "PARSED_COLUMNS",
    "ReadingRules",
    "SectionReadingError",
    "clean_text",
    "comment_mentions",
    "default_reading",
    "load_reading_rules",
    "named_sections",
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
    "second_number",
    "second_subsection",
    "second_code",
    "second_attempt",
)

SECTIONS_FILE = "sections.yaml"
_DEFAULT_PACK_DIR = Path(__file__).parent.parent / "rules" / "california" / "prop64"
_SEE_COMMENT_RE = r"^SEE\s+COMMENT"
_JOINER_CHOICES = ("/", "-", "+")


class SectionReadingError(PolicyError):
    """A rule pack's ``sections.yaml`` is missing or invalid. The message says where and why."""


# --------------------------------------------------------------------------------------------------
# The rules, as data
# --------------------------------------------------------------------------------------------------


class _CodeSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    lettered_sections: tuple[str, ...] = ()
    undivided_sections: tuple[str, ...] = ()
    #: How people cite a section of this code, with ``{number}`` for its number (``HS {number}``,
    #: ``720 ILCS 550/{number}``): the summary, the report and the workbook print sections this way.
    cite: str | None = None

    @field_validator("cite")
    @classmethod
    def _cite(cls, value: str | None) -> str | None:
        if value is None:
            return None
        fields = re.findall(r"\{[^{}]*\}", value)
        if fields != ["{number}"] or value.count("{") != 1 or value.count("}") != 1:
            raise ValueError('must hold "{number}" once and no other braces, such as "HS {number}"')
        return value

    @field_validator("undivided_sections", mode="before")
    @classmethod
    def _undivided(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise ValueError('must be a list of section numbers such as ["266"]')
        out = []
        for item in value:
            if isinstance(item, float):
                raise ValueError(f"section number {item!r} was read as a decimal number: quote it")
            text = str(item).strip().upper()
            if not re.fullmatch(r"\d+(?:\.\d+)?", text):
                raise ValueError(f"an undivided section is a plain number (e.g. 266), got {item!r}")
            out.append(text)
        return tuple(out)

    @field_validator("lettered_sections", mode="before")
    @classmethod
    def _lettered(cls, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise ValueError('must be a list of section numbers such as ["288A", "273AB"]')
        out = []
        for item in value:
            text = str(item).strip().upper()
            if not re.fullmatch(r"\d+(?:\.\d+)?[A-Z]{1,2}", text):
                raise ValueError(f"a lettered section is digits then one or two letters (e.g. 288A), got {item!r}")
            out.append(text)
        return tuple(out)


class _AttemptSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: str = Field(pattern=r"^\d+$")
    code: str = Field(pattern=r"^[A-Z]{2,4}$")


class _ReadingFile(BaseModel):
    """``sections.yaml`` as written (see the California pack's file for every key in words)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    codes: dict[str, _CodeSpec] = Field(min_length=1)
    attempt: _AttemptSpec | None = None
    joiners: tuple[str, ...] = ("/", "+")
    article_sections: bool = False

    @field_validator("codes", mode="before")
    @classmethod
    def _code_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                if not re.fullmatch(r"[A-Z]{2,4}", str(key)):
                    raise ValueError(f"code {key!r} must be 2-4 capital letters such as HS or PC")
        return value

    @field_validator("joiners", mode="before")
    @classmethod
    def _joiners(cls, value: Any) -> Any:
        for item in value or ():
            if item not in _JOINER_CHOICES:
                raise ValueError(f"joiner {item!r} is not one of {' '.join(_JOINER_CHOICES)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "_ReadingFile":
        if self.article_sections and "-" in self.joiners:
            raise ValueError(
                "article_sections numbers contain a dash (12-3.05), so '-' cannot also join "
                "two sections: remove it from joiners"
            )
        if self.attempt is not None and self.attempt.code not in self.codes:
            raise ValueError(f"attempt.code {self.attempt.code} is not one of the codes")
        return self


@dataclass(frozen=True)
class ReadingRules:
    """How one rule pack reads sections: its codes, lettered sections, attempt form and joiners.

    Built by :func:`load_reading_rules`; compiled patterns and a cache of texts already read are kept
    on the object, so reading the same text twice costs a dictionary lookup.
    """

    codes: tuple[str, ...]
    lettered: dict[str, frozenset[str]]
    #: Per code, the sections that have no subdivisions of their own, so that a letter after them,
    #: even in parentheses, names a lettered section: PC ``266(C)`` and ``266 C`` are 266c.
    undivided: dict[str, frozenset[str]]
    attempt_number: str | None
    attempt_code: str | None
    joiners: tuple[str, ...]
    article_sections: bool
    source: str
    #: How a section of each code is cited (``cite`` in ``sections.yaml``), for the codes that say.
    cites: dict[str, str] = field(default_factory=dict, compare=False)
    _compiled: "_Reader" = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", _Reader(self))

    def lettered_sections(self, code: str) -> frozenset[str]:
        """The lettered sections of ``code``; for no code (``""``), those of every code."""
        if code:
            return self.lettered.get(code, frozenset())
        return frozenset().union(*self.lettered.values()) if self.lettered else frozenset()

    def undivided_sections(self, code: str) -> frozenset[str]:
        """The sections of ``code`` without subdivisions; for no code (``""``), those of every code."""
        if code:
            return self.undivided.get(code, frozenset())
        return frozenset().union(*self.undivided.values()) if self.undivided else frozenset()

    def cite(self, code: str, number: str) -> str:
        """Section ``number`` of ``code`` as people cite it (``HS 11357``); the number alone when the
        code gives no ``cite``."""
        form = self.cites.get(code)
        return form.replace("{number}", number) if form else number

    def read_description(self, text: str) -> tuple:
        """One cleaned ``OFFENSE_DESCR`` read as a tuple in :data:`_RESULT` order."""
        return self._compiled.description(text)

    def read_comment(self, text: str) -> tuple:
        """One cleaned ``COMMENT_TEXT`` read as a tuple in :data:`_RESULT` order."""
        return self._compiled.comment(text)


def load_reading_rules(pack_dir: str | Path) -> ReadingRules:
    """Read and validate a rule pack's ``sections.yaml`` (``pack_dir`` is the pack folder or the file).

    Raises :class:`SectionReadingError` naming the file and every problem (key and reason).
    """
    path = Path(pack_dir)
    if path.is_dir():
        path = path / SECTIONS_FILE
    if not path.is_file():
        raise SectionReadingError(
            f"section reading rules not found: {path} (a rule pack needs a {SECTIONS_FILE}; see docs/forking.md)"
        )
    spec = load_yaml_model(
        path, _ReadingFile, what="section reading rules", error=SectionReadingError, invalid="is not valid"
    )
    return ReadingRules(
        codes=tuple(spec.codes),
        lettered={code: frozenset(c.lettered_sections) for code, c in spec.codes.items() if c.lettered_sections},
        undivided={code: frozenset(c.undivided_sections) for code, c in spec.codes.items() if c.undivided_sections},
        attempt_number=spec.attempt.number if spec.attempt else None,
        attempt_code=spec.attempt.code if spec.attempt else None,
        joiners=tuple(spec.joiners),
        article_sections=spec.article_sections,
        source=str(path),
        cites={code: c.cite for code, c in spec.codes.items() if c.cite},
    )


@lru_cache(maxsize=1)
def default_reading() -> ReadingRules:
    """California's reading rules: what :func:`parse_code_sections` uses when given none."""
    return load_reading_rules(_DEFAULT_PACK_DIR)


# --------------------------------------------------------------------------------------------------
# Reading one text
# --------------------------------------------------------------------------------------------------

#: What reading one text gives, in order (the last entry says whether anything was read).
_RESULT = (
    "code_section",
    "number",
    "subsection",
    "code",
    "attempt",
    "second_number",
    "second_subsection",
    "second_code",
    "second_attempt",
    "readable",
)
_UNREAD = ("", "", "", "", False, "", "", "", False, False)
_PARTS = re.compile(r"[A-Z]+|\d+")


class _Reader:
    """The compiled patterns of one :class:`ReadingRules`, and the reading of one text."""

    def __init__(self, rules: ReadingRules):
        self.rules = rules
        codes = sorted(rules.codes, key=len, reverse=True)
        self.codes_longest_first = tuple(codes)
        codes_alt = "|".join(codes)
        if rules.attempt_number:
            n, c = re.escape(rules.attempt_number), re.escape(rules.attempt_code or "")
            joiners = "".join(re.escape(j) for j in _JOINER_CHOICES)
            # 664/11359, 664-11357(C), 664 PC/187, 664+11359: any joiner after the attempt number;
            # 664.11359, 664 11359 and 66411359 need three more digits (664.1 is a section).
            self.attempt: re.Pattern[str] | None = re.compile(
                rf"{n}\s*(?:{c}\s*)?[{joiners}]\s*(?=\d)|{n}\.(?=\d{{3}})|{n}\s+(?=\d{{3}})|{n}(?=\d{{3}})"
            )
        else:
            self.attempt = None
        number = r"\d+(?:\.\d+)?"
        if rules.article_sections:
            number = r"\d{1,2}-\d{1,3}(?!\d)(?:\.\d+)?|" + number
        self.section = re.compile(
            rf"(?P<number>{number})(?P<tail>[A-Z0-9]*)(?P<subs>(?:\s*\(\s*[A-Z0-9]{{1,4}}\s*\))*)"
        )
        self.code = re.compile(rf"\s*(?P<code>{codes_alt})(?![A-Z])") if codes_alt else None
        joiners = "".join(re.escape(j) for j in rules.joiners)
        self.joiner = re.compile(rf"\s*(?P<j>[{joiners}])\s*(?=\d)") if joiners else None
        # A subdivision letter written apart from the number, then a known code: 266 C PC, 11357 B HS.
        self.spaced = (
            re.compile(
                rf"\s+(?P<tail>[A-Z]{{1,2}}\d{{0,3}})(?P<subs>(?:\s*\(\s*[A-Z0-9]{{1,4}}\s*\))*)(?=\s*(?:{codes_alt})(?![A-Z]))"
            )
            if codes_alt
            else None
        )
        self.starts = re.compile(r"(?<![\w.])\d")
        self._descriptions: dict[str, tuple] = {}
        self._comments: dict[str, tuple] = {}

    # -- one section --------------------------------------------------------------------------------

    def _one(self, text: str, pos: int) -> tuple[int, dict] | None:
        """Read one section at ``pos``: (end position, parts) or None when nothing is there."""
        attempt = False
        if self.attempt is not None:
            m = self.attempt.match(text, pos)
            if m:
                attempt, pos = True, m.end()
        m = self.section.match(text, pos)
        if not m:
            return None
        number, tail, subs = m.group("number"), m.group("tail"), m.group("subs")
        end = m.end()
        if not tail and not subs and self.spaced is not None:
            sm = self.spaced.match(text, end)
            if sm and sm.group("tail").rstrip("0123456789") not in self.rules.codes:
                tail, subs, end = sm.group("tail"), sm.group("subs"), sm.end()
        code = ""
        if tail:
            # A code glued to the number (11357HS, 11357B2HS) ends the tail.
            for c in self.codes_longest_first:
                rest = tail[: -len(c)]
                if tail.endswith(c) and (rest == "" or _looks_like_subdivisions(rest)):
                    code, tail = c, rest
                    break
            if code and subs:
                return None  # 11357HS(B): a code before the subdivisions is not a form DOJ writes
        if not code and self.code is not None:
            cm = self.code.match(text, end)
            if cm:
                code, end = cm.group("code"), cm.end()
        return end, {"number": number, "tail": tail, "subs": re.sub(r"\s+", "", subs), "code": code, "attempt": attempt}

    def _finish(self, part: dict, code: str) -> tuple[str, str] | None:
        """The section number and subdivisions of one part, its tail resolved with ``code``'s facts."""
        number, tail = part["number"], part["tail"]
        if tail:
            lettered = self.rules.lettered_sections(code)
            lead = re.match(r"[A-Z]*", tail).group(0)  # type: ignore[union-attr]  # [A-Z]* matches any text
            for k in range(min(len(lead), 2), 0, -1):
                if number + lead[:k] in lettered:
                    number, tail = number + lead[:k], tail[k:]
                    break
        if tail and not _looks_like_subdivisions(tail):
            return None
        subs = "".join(f"({p})" for p in _PARTS.findall(tail)) + part["subs"]
        if subs and number in self.rules.undivided_sections(code):
            # A section without subdivisions: its "subdivision" letter is a lettered section's
            # (PC 266(C) is 266c, 266(H)(B) is 266h(b)).
            m = re.match(r"\(([A-Z]{1,2})\)", subs)
            if m and number + m.group(1) in self.rules.lettered_sections(code):
                number, subs = number + m.group(1), subs[m.end() :]
        return number, subs

    # -- a whole text -------------------------------------------------------------------------------

    def read_at(self, text: str, pos: int) -> tuple:
        """Read the section(s) starting at ``pos`` of a cleaned text; :data:`_UNREAD` if none."""
        return self._read_at(text, pos)[0]

    def _read_at(self, text: str, pos: int) -> tuple[tuple, int]:
        """:meth:`read_at`, and the position where the section text ends."""
        first = self._one(text, pos)
        if first is None:
            return _UNREAD, pos
        end, a = first
        b = None
        if self.joiner is not None:
            jm = self.joiner.match(text, end)
            # After a written code a dash is the description dash (11357(B) HS-28.5 GRAMS).
            if jm and not (jm.group("j") == "-" and a["code"]):
                second = self._one(text, jm.end())
                if second is not None:
                    end, b = second
        code_a = a["code"] or (b["code"] if b else "")
        done_a = self._finish(a, code_a)
        if done_a is None:
            return _UNREAD, pos
        second_parts = ("", "", "", False)
        if b is not None:
            code_b = b["code"] or code_a
            done_b = self._finish(b, code_b)
            if done_b is None:
                return _UNREAD, pos
            second_parts = (done_b[0], done_b[1], code_b, b["attempt"])
        whole = re.sub(r"\s+", " ", text[pos:end].strip())
        return (whole, done_a[0], done_a[1], code_a, a["attempt"], *second_parts, True), end

    def description(self, text: str) -> tuple:
        found = self._descriptions.get(text)
        if found is None:
            found = self._descriptions[text] = self.read_at(text, 0)
        return found

    def comment(self, text: str) -> tuple:
        """The charge in a comment: written like a description, or the first section with a known code.

        A comment that starts the way ``OFFENSE_DESCR`` does (a section, then a known code or the
        description dash and a word: ``664.11359-ATTEMPT POSSESS``) is read like one; a date such as
        ``12-15-2010`` is not. Otherwise, because a
        comment is free text (``BAIL 5000 OR RELEASE``), a number only counts as a section when a
        known code follows it.
        """
        found = self._comments.get(text)
        if found is not None:
            return found
        found = _UNREAD
        at_start, end = self._read_at(text, 0)
        rest = text[end:].lstrip()
        if at_start[-1] and (at_start[3] or at_start[7] or re.match(r"-\s*[A-Z]", rest)):
            self._comments[text] = at_start
            return at_start
        for m in self.starts.finditer(text):
            candidate = self.read_at(text, m.start())
            if candidate[-1] and (candidate[3] or candidate[7]):
                found = candidate
                break
        self._comments[text] = found
        return found


def _looks_like_subdivisions(tail: str) -> bool:
    """Letters and digits that read as subdivisions: runs of at most two letters or three digits."""
    parts = _PARTS.findall(tail)
    return "".join(parts) == tail and all(len(p) <= (2 if p.isalpha() else 3) for p in parts)


# --------------------------------------------------------------------------------------------------
# Reading columns
# --------------------------------------------------------------------------------------------------


def clean_text(text: pd.Series) -> pd.Series:
    """Upper-case, strip, and turn missing values and the literal ``NULL`` into empty strings."""
    out = text.astype(object).where(text.notna(), "").astype(str).str.strip().str.upper()
    return out.where(out != "NULL", "")


def _read_distinct(values: np.ndarray, read) -> np.ndarray:
    """Read each distinct value once; an object array of result tuples, one per value."""
    codes, uniques = pd.factorize(values)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [read(u) for u in uniques]
    return results[codes] if len(codes) else np.empty(0, dtype=object)


def parse_code_sections(
    offense_descr: pd.Series, comment_text: pd.Series, reading: ReadingRules | None = None
) -> pd.DataFrame:
    """Read the code section(s) of every row.

    Parameters are the ``OFFENSE_DESCR`` and ``COMMENT_TEXT`` columns (same index; any string dtype,
    including pandas' pyarrow-backed ``str``; missing values allowed) and the rule pack's reading
    rules (California's when omitted). Returns a DataFrame with the input's index and the columns of
    :data:`PARSED_COLUMNS`:

    - ``code_section`` (str): the section(s) as written, upper case, spaces collapsed, e.g.
      ``11357(B) HS``, ``664/11359 HS``, ``11357B2 HS``, ``246/186.22(B)(4) PC``; empty when unreadable.
    - ``number`` (str): the section number alone: ``11357``, ``191.5``, ``273AB``, ``11418``.
    - ``subsection`` (str): the subdivisions, upper case, parenthesised, without spaces: ``(B)``,
      ``(A)(2)`` (also for ``11360A2``); or ``""``.
    - ``code`` (str): one of the rules' codes (``HS``, ``PC``...); ``""`` when none is written.
    - ``attempt`` (bool): the charge carries the attempt prefix (``664/11359``, ``66411359``,
      ``664.11359``, ``664-11357(C)``). ``664 PC`` alone is the section 664, not an attempt.
    - ``from_comment`` (bool): the section was read from ``COMMENT_TEXT``.
    - ``readable`` (bool): a section was read from one of the two columns.
    - ``second_number``, ``second_subsection``, ``second_code``, ``second_attempt``: the second
      section of a line naming two (``246/186.22(B)(4) PC``); empty (False) otherwise.

    When ``OFFENSE_DESCR`` is blank, ``NULL`` or starts with ``SEE COMMENT``, the section is the first
    one in ``COMMENT_TEXT`` followed by a known code. A non-blank description that cannot be read is
    *not* replaced by the comment (the comment may be about something else): the row is unreadable.
    """
    if not offense_descr.index.equals(comment_text.index):
        raise ValueError("offense_descr and comment_text must share the same index")
    reading = reading or default_reading()
    descr = clean_text(offense_descr).to_numpy(dtype=object)
    comment = clean_text(comment_text).to_numpy(dtype=object)
    n = len(descr)
    use_comment = (descr == "") | pd.Series(descr, dtype=object).str.contains(_SEE_COMMENT_RE, regex=True).to_numpy(
        bool
    )
    results = np.empty(n, dtype=object)
    if (~use_comment).any():
        results[~use_comment] = _read_distinct(descr[~use_comment], reading.read_description)
    if use_comment.any():
        results[use_comment] = _read_distinct(comment[use_comment], reading.read_comment)
    columns = dict(zip(_RESULT, zip(*results))) if n else {name: () for name in _RESULT}
    readable = np.asarray(columns["readable"], dtype=bool)
    index = offense_descr.index
    # One frame built at once, text kept as plain Python strings (no per-column inference).
    values = {
        name: pd.Series(
            np.asarray(columns[name], dtype=bool if name in ("attempt", "second_attempt") else object),
            index=index,
            copy=False,
        )
        for name in PARSED_COLUMNS
        if name not in ("from_comment", "readable")
    }
    values["from_comment"] = pd.Series(use_comment & readable, index=index)
    values["readable"] = pd.Series(readable, index=index)
    return pd.DataFrame({name: values[name] for name in PARSED_COLUMNS}, index=index, copy=False)


# --------------------------------------------------------------------------------------------------
# Mentions of sections in free text
# --------------------------------------------------------------------------------------------------


def _mention_pattern(number: str) -> str:
    """An anchored pattern for one section number inside free text.

    Anchored on both sides: ``111357`` and ``11357.5`` do not mention ``11357``. A glued or dotted
    attempt prefix (``66411357``, ``664.11357``) still counts as a mention.
    """
    n = re.escape(number.strip().upper())
    return rf"(?:(?<![\d.])|(?<=(?<![\d.])664)|(?<=(?<![\d.])664\.)){n}(?!\d|\.\d)"


def comment_mentions(comment_text: pd.Series, numbers: list[str] | tuple[str, ...]) -> pd.Series:
    """Which of ``numbers`` each comment mentions, for "possible other cannabis charge" hints.

    Returns a str Series (same index) holding the mentioned numbers in the order of ``numbers``,
    joined by ``", "`` (e.g. ``"11359, 11360"``), or ``""``. Typical call:
    ``comment_mentions(df["COMMENT_TEXT"], lists["cannabis"].numbers)``.
    Matching is anchored (see :func:`_mention_pattern`); any code letters after the number are
    ignored, because comments are free text.
    """
    comment = clean_text(comment_text)
    result = pd.Series("", index=comment.index, dtype=object)
    for number in dict.fromkeys(numbers):  # distinct, order kept
        # The pattern cannot match where the number itself is absent, and Python's regular
        # expressions scan slowly for one that begins with look-behinds (court remarks run to
        # hundreds of characters): only comments holding the plain number are searched with it.
        holds = comment.str.contains(number.strip().upper(), regex=False).to_numpy(dtype=bool)
        hit = np.zeros(len(comment), dtype=bool)
        if holds.any():
            hit[holds] = comment[holds].str.contains(_mention_pattern(number), regex=True).to_numpy(dtype=bool)
        if not hit.any():
            continue
        cur = result.to_numpy(dtype=object)
        result = pd.Series(
            np.where(hit, np.where(cur == "", number, cur + ", " + number), cur),
            index=comment.index,
            dtype=object,
        )
    return result.astype(str)


def named_sections(
    parsed: pd.DataFrame, offense_descr: pd.Series, comment_text: pd.Series, numbers: tuple[str, ...]
) -> pd.Series:
    """Which of ``numbers`` the row's own charge names, wherever the reader could or could not read it.

    The charge is the section text read (``code_section``, both sections of a line) when it was read
    from the description, and the whole description and comment otherwise: an unreadable
    ``HS 11359-POSS``, or ``SEE COMMENT FOR CHARGE`` with a comment naming 11357 anywhere in it (the
    comment *is* the charge then), still names a cannabis section. The comment of a charge read from
    the description is *not* looked at here: there a mention is only a hint about another charge
    (``comment_mentions``). Returns a str Series like :func:`comment_mentions`.
    """
    own = parsed["readable"].to_numpy(dtype=bool) & ~parsed["from_comment"].to_numpy(dtype=bool)
    area = parsed["code_section"].to_numpy(dtype=object).copy()
    if (~own).any():
        area[~own] = (clean_text(offense_descr[~own]) + " " + clean_text(comment_text[~own])).to_numpy(dtype=object)
    # Few distinct texts (the sections read repeat a great deal): each is searched once.
    codes, distinct = pd.factorize(area)
    found = comment_mentions(pd.Series(distinct, dtype=object), numbers).to_numpy(dtype=object)
    return pd.Series(found[codes] if len(codes) else np.empty(0, dtype=object), index=parsed.index, dtype=object)
