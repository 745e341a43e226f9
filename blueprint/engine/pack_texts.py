"""The statute's words a rule pack gives the run and the filings, read from its ``pack.yaml``.

The engine knows tracks (a person currently serving, a completed sentence, an offense committed
under 18) but not what a state's statute calls them: the pack says which basis a rule with
``basis: by_track`` records (``track_bases``), which basis the filings cite for a relief the office
grants (``filing_bases``) and the grounds of a challenge (``challenge_grounds``). A pack that sets
none of them has no by-track rules and keeps its rules' own basis in the filings (docs/forking.md).

These are models only: ``blueprint.engine.pack_spec`` reads the whole ``pack.yaml`` once, these keys
with the others, and reports every mistake as ``pack.yaml:<line>: <key>: ...``; its ``pack_texts``
gives a pack's texts as :class:`PackTexts`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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
