"""What a cannabis conviction would be under current law: a rule pack's ``current_law.yaml``.

Three questions of the cannabis sections need more than the section number (the California pack's
file says each in words, with the statute beside it):

- **Does the recorded subdivision exist?** Subdivision letters changed when Proposition 64 took
  effect, so each section lists the subdivisions of the text in force *before* its effective day and
  *after* it. A conviction recorded under a subdivision that does not exist in the text of its
  offense date (``11357(Z)``, ``11360(C)``, a definition) is a data problem for a person to read.
- **Does an old conviction count toward the two-priors rule?** HS 11358(d)(2), 11359(c)(2) and
  11360(a)(3)(B) count only prior convictions under one subdivision, weighed by what each old
  conviction would be today: ``counts``, ``not``, or ``possible`` (the record cannot tell).
- **Does anything hint that a felony stays a felony** for a reason other than priors (a minor,
  import or export, environmental harm)? Words of the conviction's own text, or a companion count
  in the same court case.

Everything is answered per *distinct* value (a few hundred distinct sections and texts per million
rows) and spread back with numpy; :func:`combine` merges the answers over every reading the dates
allow (offense before or after the line, committed under 18 or not), three-valued.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..base.errors import PolicyError
from .offenses import OffenseEntry, OffenseList
from ..base.yaml_files import Located, Problems, load_yaml_model

CURRENT_LAW_FILE = "current_law.yaml"

#: Two-priors classes of a prior conviction, ordered so that a mix of two readings is ``POSSIBLE``.
NOT, POSSIBLE, COUNTS = 0, 1, 2
_CLASS = {"not": NOT, "possible": POSSIBLE, "counts": COUNTS}

#: The era of an offense: the text in force before the line, after it, or unknown (either).
BEFORE, AFTER, EITHER = 0, 1, 2

_SUB_RE = re.compile(r"^(?:\([A-Z0-9]{1,4}\))*$")


class CurrentLawError(PolicyError):
    """A rule pack's ``current_law.yaml`` is invalid. The message says where and why."""


class _Subdivision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    two_priors: str | None = None
    under_18: str | None = None

    @field_validator("two_priors", "under_18")
    @classmethod
    def _cls(cls, value: str | None) -> str | None:
        if value is not None and value not in _CLASS:
            raise ValueError(f"must be one of {', '.join(_CLASS)}, got {value!r}")
        return value


class _TwoPriors(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: str = Field(min_length=3)
    statute: str = Field(min_length=1)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    two_priors: _TwoPriors | None = None
    before: dict[str, _Subdivision] = Field(min_length=1)
    after: dict[str, _Subdivision] = Field(min_length=1)

    @field_validator("before", "after", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        """Subdivision keys as written, upper case and without spaces (checked in :func:`_check`)."""
        if isinstance(value, dict):
            return {_subdivision_key(key): (sub if sub is not None else {}) for key, sub in value.items()}
        return value


def _subdivision_key(key: Any) -> str:
    return re.sub(r"\s+", "", str(key or "")).upper()


class _Hint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    sections: tuple[str, ...] = Field(min_length=1)
    statute: str = Field(min_length=1)
    words: tuple[str, ...] = Field(min_length=1)


class _Companion(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    number: str
    hint: str
    label: str = Field(min_length=1)


class _CurrentLawFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    line: str
    sections: dict[str, _Section] = Field(min_length=1)
    felony_hints: tuple[_Hint, ...] = ()
    companions: tuple[_Companion, ...] = ()


def _check(spec: _CurrentLawFile, located: Located, problems: Problems) -> None:
    """The checks that span keys, each mistake reported with its own line: subdivision keys, each
    subdivision's class against its section's two-priors rule, companions' hints, the line's date."""
    raw_sections = {str(k): v for k, v in ((located.data or {}).get("sections") or {}).items()}
    for number, section in spec.sections.items():
        for era in ("before", "after"):
            raw_keys = list(((raw_sections.get(number) or {}).get(era) or {}).keys())
            for raw_key in raw_keys:
                key = _subdivision_key(raw_key)
                where = ("sections", number, era, raw_key)
                name = f"sections.{number}.{era}.{key or '(none)'}"
                if not _SUB_RE.match(key):
                    problems.add(
                        where, f"{name}: subdivision must look like (A) or (A)(2), or be empty, got {raw_key!r}"
                    )
                    continue
                sub = getattr(section, era)[key]
                if section.two_priors is None and (sub.two_priors or sub.under_18):
                    problems.add(where, f"{name}: gives two_priors but the section has no two_priors rule")
                if section.two_priors is not None and sub.two_priors is None:
                    problems.add(where, f"{name}: needs two_priors: counts, not or possible")
    ids = {h.id for h in spec.felony_hints}
    for position, c in enumerate(spec.companions):
        if c.hint not in ids:
            problems.add(
                ("companions", position, "hint"),
                f"companions[{position}]: companion {c.code} {c.number} names hint '{c.hint}', "
                f"which is not one of {sorted(ids)}",
            )
    try:
        np.datetime64(spec.line, "D")
    except ValueError:
        problems.add(("line",), f"line must be a date YYYY-MM-DD, got {spec.line!r}")


@dataclass(frozen=True)
class Hint:
    id: str
    label: str
    sections: frozenset[str]
    statute: str
    pattern: re.Pattern


@dataclass(frozen=True)
class CurrentLaw:
    """A rule pack's reading of current law (see the module docstring). Built by :func:`load_current_law`."""

    line: np.datetime64
    sections: dict[str, _Section]
    hints: tuple[Hint, ...]
    companions: OffenseList | None
    companion_hints: dict[str, str]  # companion entry label -> hint id
    source: str

    # -- subdivisions and the two-priors rule -------------------------------------------------------

    def _lookup(self, number: str, subsection: str, era: int) -> tuple[bool, _Subdivision | None]:
        """Whether the recorded subdivision exists in one era's text, and its listed entry."""
        section = self.sections.get(number)
        if section is None:
            return True, None
        listed = section.before if era == BEFORE else section.after
        sub = re.sub(r"\s+", "", subsection or "").upper()
        groups = re.findall(r"\([A-Z0-9]{1,4}\)", sub)
        for k in range(len(groups), -1, -1):
            prefix = "".join(groups[:k])
            if prefix in listed:
                longer = k < len(groups)
                # A subdivision of a section listed without any, or a paragraph the listing
                # enumerates, does not exist unless it is listed itself.
                if longer and (prefix == "" or any(key != prefix and key.startswith(prefix) for key in listed)):
                    return False, None
                return True, listed[prefix]
        return False, None

    def readings(self, numbers: np.ndarray, subsections: np.ndarray) -> dict[str, np.ndarray]:
        """Per row of (number, subsection): existence in each era, and the two-priors class in each
        era for an offense committed at 18 or over and under 18 (``exists_before``, ``exists_after``,
        ``class_<era>_<adult|minor>``; NOT, POSSIBLE or COUNTS). Worked out once per distinct pair."""
        codes, uniques = _pairs(numbers, subsections)
        out = {
            name: np.zeros(len(uniques), dtype=np.int8)
            for name in (
                "exists_before",
                "exists_after",
                "class_before_adult",
                "class_before_minor",
                "class_after_adult",
                "class_after_minor",
            )
        }
        for i, (number, sub) in enumerate(uniques):
            for era, name in ((BEFORE, "before"), (AFTER, "after")):
                exists, entry = self._lookup(str(number), str(sub), era)
                out[f"exists_{name}"][i] = exists
                if entry is None or entry.two_priors is None:
                    # Unknown to the listing (or a subdivision that does not exist): it may count.
                    section = self.sections.get(str(number))
                    adult = minor = POSSIBLE if section is not None and section.two_priors is not None else NOT
                else:
                    adult = _CLASS[entry.two_priors]
                    minor = _CLASS[entry.under_18] if entry.under_18 else adult
                out[f"class_{name}_adult"][i] = adult
                out[f"class_{name}_minor"][i] = minor
        return {name: values[codes] if len(codes) else values[:0] for name, values in out.items()}

    def eras(self, offense_lo: np.ndarray, conviction_hi: np.ndarray) -> np.ndarray:
        """Which text a conviction was recorded under: BEFORE when it was convicted before the line
        (the old text certainly), AFTER when the offense came on or after it, EITHER otherwise: an
        offense before the line convicted after it may have been charged under the new, lesser text,
        which applies to cases not yet final (In re Estrada; reading). NaT ends are unbounded."""
        lo = np.asarray(offense_lo, dtype="datetime64[D]")
        hi = np.asarray(conviction_hi, dtype="datetime64[D]")
        out = np.full(len(lo), EITHER, dtype=np.int8)
        out[~np.isnat(hi) & (hi < self.line)] = BEFORE
        out[~np.isnat(lo) & (lo >= self.line)] = AFTER
        return out

    # -- hints that a felony stays a felony -------------------------------------------------------

    def hints_in_text(self, texts: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """The hint ids (``"minor;import_export"``) each text names for its section, or ``""``."""
        codes, uniques = _pairs(texts, numbers)
        found = np.array(
            [
                ";".join(h.id for h in self.hints if str(n) in h.sections and h.pattern.search(str(t) or ""))
                for t, n in uniques
            ],
            dtype=object,
        )
        return found[codes] if len(codes) else np.array([], dtype=object)

    def hint_labels(self, ids: np.ndarray) -> np.ndarray:
        """``"minor;import_export"`` in words: ``"sale to or use of a minor; import or export"``."""
        labels = {h.id: h.label for h in self.hints}
        codes, uniques = pd.factorize(np.asarray(ids, dtype=object))
        worded = np.array(["; ".join(labels.get(i, i) for i in str(u).split(";") if i) for u in uniques], dtype=object)
        return worded[codes] if len(codes) else np.array([], dtype=object)

    def hint_sections(self, hint_id: str) -> frozenset[str]:
        for h in self.hints:
            if h.id == hint_id:
                return h.sections
        return frozenset()


def _pairs(first, second) -> tuple[np.ndarray, list[tuple]]:
    """Each row's number among the distinct (first, second) pairs, and those pairs (factorizing each
    column once is much cheaper than hashing tuples)."""
    a_codes, a_values = pd.factorize(np.asarray(first, dtype=object))
    b_codes, b_values = pd.factorize(np.asarray(second, dtype=object))
    joint = a_codes.astype(np.int64) * max(len(b_values), 1) + b_codes
    distinct, codes = np.unique(joint, return_inverse=True)
    width = max(len(b_values), 1)
    uniques = [(a_values[j // width], b_values[j % width]) for j in distinct]
    return codes.reshape(-1), uniques


def combine(values: list[np.ndarray], allowed: list[np.ndarray]) -> np.ndarray:
    """The class over every allowed reading: the common value when all agree, else POSSIBLE.

    ``values[k]`` is the class under reading k, ``allowed[k]`` whether the dates allow reading k.
    """
    stacked = np.stack([np.asarray(v, dtype=np.int8) for v in values])
    ok = np.stack([np.asarray(a, dtype=bool) for a in allowed])
    lo = np.where(ok, stacked, 9).min(axis=0)
    hi = np.where(ok, stacked, -1).max(axis=0)
    return np.where(lo == hi, lo, POSSIBLE).astype(np.int8)


def _word_pattern(words: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(w.strip().upper()) for w in words if w.strip())
    return re.compile(rf"(?<![A-Z0-9])(?:{alternatives})")


def load_current_law(pack_dir: str | Path) -> CurrentLaw | None:
    """A rule pack's ``current_law.yaml``, or None when the pack has none (another state's pack)."""
    path = Path(pack_dir)
    if path.is_dir():
        path = path / CURRENT_LAW_FILE
    if not path.is_file():
        return None
    spec = load_yaml_model(
        path, _CurrentLawFile, what="current-law readings", error=CurrentLawError, invalid="is not valid", check=_check
    )
    hints = tuple(
        Hint(h.id, h.label, frozenset(str(s) for s in h.sections), h.statute, _word_pattern(h.words))
        for h in spec.felony_hints
    )
    companions = None
    companion_hints: dict[str, str] = {}
    if spec.companions:
        entries = []
        for c in spec.companions:
            entries.append(OffenseEntry(code=c.code, number=c.number, label=c.label))
            companion_hints[c.label] = c.hint
        companions = OffenseList(
            name="felony_hint_companions",
            entries=tuple(entries),
            source=str(path),
            statute="; ".join(h.statute for h in hints),
        )
    return CurrentLaw(
        line=np.datetime64(spec.line, "D"),
        sections=dict(spec.sections),
        hints=hints,
        companions=companions,
        companion_hints=companion_hints,
        source=str(path),
    )


__all__ = [
    "AFTER",
    "BEFORE",
    "COUNTS",
    "EITHER",
    "NOT",
    "POSSIBLE",
    "CurrentLaw",
    "CurrentLawError",
    "combine",
    "load_current_law",
]
