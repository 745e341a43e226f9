"""The statute's words a rule pack gives the run and the filings, read from its ``pack.yaml``.

The engine knows tracks (a person currently serving, a completed sentence, an offense committed
under 18) but not what a state's statute calls them: the pack says which basis a rule with
``basis: by_track`` records (``track_bases``), which basis the filings cite for a relief the office
grants (``filing_bases``) and the grounds of a challenge (``challenge_grounds``). A pack that sets
none of the first two has no by-track rules and keeps its rules' own basis in the filings
(docs/forking.md).

The words the run's own outputs print are the pack's too: the review workbook's decision prompt and the
reader's refusals (``review_prompts``) and the HTML report's explanations (``report``), so that a
state's run shows no other state's law.

Every key is checked when the pack is loaded; a mistake is reported as ``pack.yaml:<line>: <key>: ...``,
and so is a top-level key the kit does not read (:data:`ALL_KEYS`), because a misspelt key would
otherwise be ignored without a word.
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


#: Excel shows at most this many characters of a data validation's prompt or error message, and
#: cuts the rest without a word: a longer text is refused when the pack loads.
EXCEL_VALIDATION_TEXT = 255


class ReviewPrompts(_Strict):
    """The review workbook's words for the office's decision, and the reader's words for a refusal."""

    #: The prompt Excel shows on a "Prosecutor decision" cell: the statute's positions, in a few words.
    decision_prompt: str = Field(min_length=1, max_length=EXCEL_VALIDATION_TEXT)
    #: What Excel says when a value outside the row's list is typed into that cell.
    decision_error: str = Field(min_length=1, max_length=EXCEL_VALIDATION_TEXT)
    #: What the statute does not reach, in the reader's refusals about an out-of-scope conviction
    #: ("the rules found this conviction out of scope (<this>)").
    out_of_scope: str = Field(default="conduct the statute does not reach", min_length=1)


class ReportTerm(_Strict):
    """One term of the report's explanations: printed emphasised, followed by its text."""

    term: str = _TEXT
    text: str = _TEXT


class ReportTexts(_Strict):
    """The state's words in the run's HTML report (``templates/report/summary.html.j2``): the template
    itself names no statute, no initiative and no agency."""

    #: The page's heading, before ": summary" (the program and its statutes).
    heading: str = _TEXT
    #: Where the convictions come from, as "the kit found in <source>".
    source: str = _TEXT
    #: The evaluated offenses, as "convictions in <county> County under <offenses>".
    offenses: str = _TEXT
    #: What each determination means (section 1), in the order printed.
    determinations: tuple[ReportTerm, ...] = Field(min_length=1)
    #: What each relief does (section 2), in the order printed.
    reliefs: tuple[ReportTerm, ...] = Field(min_length=1)
    #: What the code sections are (section 3): one or two sentences.
    sections: str = _TEXT
    #: What the track is (section 4), as "The level of each conviction as recorded, and <tracks>".
    tracks: str = _TEXT


class PackTexts(_Strict):
    track_bases: TrackBases | None = None
    filing_bases: FilingBases | None = None
    #: Every pack states them: a run's not-eligible convictions are challenged in its words.
    challenge_grounds: ChallengeGrounds | None = None
    #: Every pack states them: the review workbook and its reader speak of the pack's statute.
    review_prompts: ReviewPrompts | None = None
    #: Every pack states them: the run's HTML report explains the pack's statute.
    report: ReportTexts | None = None


#: The ``pack.yaml`` keys this module reads.
KEYS = tuple(PackTexts.model_fields)

#: The keys every pack must state (a missing one is refused, naming the file).
REQUIRED_KEYS = {
    "challenge_grounds": "the grounds a notice of challenge states",
    "review_prompts": "the review workbook's decision prompt and error",
    "report": "the words of the run's HTML report",
}

#: The ``pack.yaml`` keys the rest of the kit reads (``blueprint.engine.rulepack``, ``.policy``,
#: ``.exclusions``): with :data:`KEYS`, every key a pack may have (docs/forking.md lists them all).
OTHER_KEYS = (
    "name",
    "state",
    "title",
    "statutes",
    "evaluated_list",
    "related_list",
    "default_preset",
    "review_criteria_heading",
    "time_zone",
    "input_format",
    "input_mapping",
    "templates",
    "juvenile_track",
    "case_context_lists",
    "reliefs",
    "statutory_exclusions",
)
#: Every top-level key of a ``pack.yaml``; any other is refused with its line.
ALL_KEYS = (*OTHER_KEYS, *KEYS)


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
    for key in meta:
        if key not in ALL_KEYS:
            problems.add((key,), f"{key}: not a key of pack.yaml (docs/forking.md lists them)")
    given = {key: meta[key] for key in KEYS if meta.get(key) is not None}
    try:
        texts = PackTexts.model_validate(given)
    except ValidationError as exc:
        problems.add_validation(exc)
        texts = PackTexts()
    if not problems:
        for key, what in REQUIRED_KEYS.items():
            if key not in given:
                # A missing key has no line of its own (line 0: the message names the file only).
                problems.add((), f"{key}: missing ({what}, docs/forking.md)", line=0)
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
