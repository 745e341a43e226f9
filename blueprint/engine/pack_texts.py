"""The statute's words a rule pack gives the run and the filings, read from its ``pack.yaml``.

The engine knows tracks (a person currently serving, a completed sentence, an offense committed
under 18) but not what a state's statute calls them: the pack says which basis a rule with
``basis: by_track`` records (``track_bases``), which basis the filings cite for a relief the office
grants (``filing_bases``) and the grounds of a challenge (``challenge_grounds``). A pack that sets
none of the first two has no by-track rules and keeps its rules' own basis in the filings
(docs/forking.md).

These are models only: ``blueprint.engine.pack_spec`` reads the whole ``pack.yaml`` once, these keys
with the others, and reports every mistake as ``pack.yaml:<line>: <key>: ...``; its ``pack_texts``
gives a pack's texts as :class:`PackTexts`.

The words the run's own outputs print are the pack's too: the review workbook's decision prompt and the
reader's refusals (``review_prompts``) and the HTML report's explanations (``report``), so that a
state's run shows no other state's law.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

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


class FelonyWithPrior(_Strict):
    """One subdivision under which an offense of ``section`` stays a felony for a person with a ``prior``."""

    prior: Literal["super_strike", "pc290", "two_priors", "registration"]
    #: The evaluated offense's section number, as the run records it ("11358").
    section: str = _TEXT
    #: What the notice cites ("HS 11358(d)(1)").
    subdivision: str = _TEXT


class ChallengeGrounds(_Strict):
    """The grounds a notice of challenge states: the person does not meet the criteria (by track), or,
    where the statute allows it, relief would be a risk to public safety."""

    criteria: CriteriaGrounds
    public_safety: str | None = Field(default=None, min_length=1)
    #: What a notice says a disqualifying prior is, by the kind of prior the run records
    #: (:data:`PRIOR_KINDS`); a kind the pack does not word is printed as its code.
    priors: dict[str, str] = Field(default_factory=dict)
    #: The subdivisions under which the offense may still be punished as a felony for a person with such
    #: a prior, which a notice cites for a felony conviction.
    felony_with_prior: tuple[FelonyWithPrior, ...] = ()

    @field_validator("priors")
    @classmethod
    def _kinds(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(PRIOR_KINDS))
        if unknown:
            known = ", ".join(PRIOR_KINDS)
            raise PydanticCustomError("pack_value", f"unknown kind(s) of prior {', '.join(unknown)}; known: {known}")
        if any(not text.strip() for text in value.values()):
            raise PydanticCustomError("pack_value", "each kind of prior needs its words")
        return value


#: The kinds of disqualifying prior the engine records on a conviction (``prior_kind``).
PRIOR_KINDS = ("super_strike", "pc290", "two_priors", "registration")


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
