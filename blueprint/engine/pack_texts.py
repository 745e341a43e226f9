"""The statute's words a rule pack gives the run and the filings, read from its ``pack.yaml``.

The engine knows tracks (a person currently serving, a completed sentence, an offense committed
under 18) but not what a state's statute calls them: the pack says which basis a rule with
``basis: by_track`` records (``track_bases``), which basis the filings cite for a relief the office
grants (``filing_bases``) and the grounds of a challenge (``challenge_grounds``). A pack that sets
none of them has no by-track rules and keeps its rules' own basis in the filings (docs/forking.md).

Every key is checked when the pack is loaded; a mistake is reported as ``pack.yaml:<line>: <key>: ...``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..base.errors import PolicyError
from ..base.yaml_files import Problems, SyntaxProblem, read_located

_TEXT = Field(min_length=1)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrackBases(_Strict):
    """The basis a rule with ``basis: by_track`` records, by the conviction's track."""

    serving: str = _TEXT
    completed: str = _TEXT
    #: When the record does not say whether the sentence has ended.
    unknown: str = _TEXT


class FilingBases(_Strict):
    """The basis the filings cite for a granted relief, by track."""

    #: A basis the run recorded that starts with this text is the pack's own and follows the track;
    #: any other basis (a county rule's, say) is printed as the run recorded it.
    follows_track: str = _TEXT
    serving: str = _TEXT
    completed: str = _TEXT
    #: An offense committed under 18 (a pack with ``juvenile_track: true``).
    juvenile: str | None = Field(default=None, min_length=1)
    #: The process statute the filings name after the pack's own basis ("<basis> via <via>"); none if empty.
    via: str = ""


class CriteriaGrounds(_Strict):
    serving: str = _TEXT
    completed: str = _TEXT
    juvenile: str | None = Field(default=None, min_length=1)
    #: When the record does not say the track.
    unknown: str = _TEXT


class ChallengeGrounds(_Strict):
    """The grounds a notice of challenge states: the person does not meet the criteria (by track), or,
    where the statute allows it, relief would be a risk to public safety."""

    criteria: CriteriaGrounds
    public_safety: str | None = Field(default=None, min_length=1)


class PackTexts(_Strict):
    track_bases: TrackBases | None = None
    filing_bases: FilingBases | None = None
    #: Every pack states them: a run's not-eligible convictions are challenged in its words.
    challenge_grounds: ChallengeGrounds | None = None


#: The ``pack.yaml`` keys this module reads.
KEYS = tuple(PackTexts.model_fields)


_RULES_DIR = Path(__file__).parent.parent / "rules"


def pack_texts(rule_pack: str) -> PackTexts:
    """The texts of a rule pack named by its folder under ``blueprint/rules`` (or an absolute path);
    none for a pack without a ``pack.yaml`` (its loader reports that)."""
    folder = Path(rule_pack) if Path(rule_pack).is_absolute() else _RULES_DIR / rule_pack
    meta_path = folder / "pack.yaml"
    return load_pack_texts(meta_path) if meta_path.is_file() else PackTexts()


def pack_file_name(meta_path: Path) -> str:
    """How messages name a pack's ``pack.yaml``: ``<state>/<program>/pack.yaml`` under blueprint/rules."""
    parts = meta_path.parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else str(meta_path)


@lru_cache(maxsize=16)
def load_pack_texts(meta_path: Path) -> PackTexts:
    """The texts of the pack whose ``pack.yaml`` is ``meta_path``, checked (``PolicyError`` naming file:line)."""
    try:
        located = read_located(meta_path, kind="yaml")
    except SyntaxProblem as exc:
        where = f"{pack_file_name(meta_path)}:{exc.line}" if exc.line else pack_file_name(meta_path)
        raise PolicyError(f"{where}: {exc}") from None
    meta = located.data if isinstance(located.data, dict) else {}
    problems = Problems(pack_file_name(meta_path), located)
    given = {key: meta[key] for key in KEYS if meta.get(key) is not None}
    try:
        texts = PackTexts.model_validate(given)
    except ValidationError as exc:
        problems.add_validation(exc)
        texts = PackTexts()
    if "challenge_grounds" not in given and not problems:
        # A missing key has no line of its own (line 0: the message names the file only).
        problems.add(
            (), "challenge_grounds: missing (the grounds a notice of challenge states, docs/forking.md)", line=0
        )
    if meta.get("juvenile_track"):
        if texts.filing_bases is not None and texts.filing_bases.juvenile is None:
            problems.add(("filing_bases",), "filing_bases.juvenile: needed because juvenile_track is true")
        if texts.challenge_grounds is not None and texts.challenge_grounds.criteria.juvenile is None:
            problems.add(
                ("challenge_grounds", "criteria"),
                "challenge_grounds.criteria.juvenile: needed because juvenile_track is true",
            )
    problems.raise_if_any(PolicyError)
    return texts
