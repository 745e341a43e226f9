"""Rule packs: the law of one state (or one program) as data.

A rule pack is a folder under ``blueprint/rules/<state>/<program>/`` with:

- ``pack.yaml``: checked whole by ``blueprint.engine.pack_spec``; what the pack is, the statutes, which offense list is evaluated and which list holds
  the "related charges" of the what-if report;
- ``offenses.yaml``: the offense lists (``blueprint.engine.offenses``);
- ``sections.yaml``: how a section is read out of an offense text: the codes, their lettered
  sections, the attempt form, the joiners of two sections (``blueprint.intake.section_reading``);
- ``presets/*.yaml``: built-in policies (``blueprint.engine.policy``);
- ``reliefs`` (the relief kinds its policies name); ``challenge_grounds``, ``review_prompts`` and
  ``report`` and optionally ``track_bases`` and ``filing_bases`` (the statute's words,
  ``blueprint.engine.pack_texts``; ``blueprint.engine.pack_spec`` refuses a key it does not know), ``case_context_lists`` (lists checked
  against every charge of the same court case), ``statutory_exclusions`` (conditions marking the
  convictions the statute excludes, whatever the policy) and, for ``input_format: mapped-csv``, an
  ``input_mapping`` file (``blueprint.intake.mapped_reader``);
- optionally ``current_law.yaml``: what a conviction would be under current law
  (``blueprint.engine.current_law``).

A fork for another state adds a folder like this; the engine does not change (docs/forking.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .current_law import CurrentLaw, load_current_law
from .exclusions import exclusion_labels, load_exclusions
from .offenses import OffenseList, load_offense_lists
from .pack_spec import RULES_DIR as RULES_DIR  # where callers have long found it
from .pack_spec import load_pack_spec, pack_folder, pack_reliefs
from .pack_texts import PackTexts
from .policy import DEFAULT_PACK, Policy
from ..intake.section_reading import ReadingRules, load_reading_rules


@dataclass(frozen=True)
class RulePack:
    name: str
    state: str
    title: str
    statutes: dict
    evaluated_list: str
    related_list: str | None
    default_preset: str
    input_format: str
    lists: dict[str, OffenseList]
    folder: Path
    #: Relief kinds: ``{code: {label, effect_on_record}}`` (``reliefs`` in ``pack.yaml``).
    reliefs: dict = field(default_factory=dict)
    #: Offense lists checked against every charge of the same court case, any disposition
    #: (predicate ``case_has_charge_on``); none for California.
    case_context_lists: tuple[str, ...] = ()
    #: Where the input mapping of a ``mapped-csv`` pack lives (``blueprint.intake.mapped_reader``).
    input_mapping: Path | None = None
    #: How sections are read out of offense texts (``sections.yaml``); California's when not given.
    reading: ReadingRules | None = None
    #: What a conviction would be under current law (``current_law.yaml``): subdivisions by era, the
    #: two-priors rule, felony hints. None for a pack without one.
    current_law: CurrentLaw | None = None
    #: The statute's exclusions, ``[{code, when}]`` in the policy language (``pack.yaml``), checked as
    #: a policy (``blueprint.engine.exclusions``): the engine marks each conviction with the first that holds
    #: or cannot be ruled out, whatever the policy, so that ``finalize`` refuses relief the statute
    #: excludes without an override. None for a pack without any.
    statutory_exclusions: Policy | None = None
    #: What the summary and the review reader call each exclusion, by code (``label`` of each entry of
    #: ``statutory_exclusions``), in the pack's order; empty for a pack without any.
    exclusion_labels: dict[str, str] = field(default_factory=dict)
    #: Whether an offense committed under 18 follows its own track (``track = juvenile``), as
    #: HS 11361.8(m) has it in California.
    juvenile_track: bool = False
    #: The IANA time zone whose calendar dates a cloud run (``time_zone`` in ``pack.yaml``); None if not given.
    time_zone: str | None = None
    #: What the review workbook calls the statute's eligibility criteria, in the challenge decision
    #: "Challenge - does not meet <heading>" (``review_criteria_heading`` in ``pack.yaml``; for
    #: California "HS 11361.8 criteria"). A pack that gives none gets the plain :data:`CRITERIA_HEADING`.
    review_criteria_heading: str = ""
    #: The statute's words for the run and the filings: bases by track, filing bases, challenge grounds
    #: (``blueprint.engine.pack_texts``).
    texts: PackTexts = field(default_factory=PackTexts)

    @property
    def evaluated(self) -> OffenseList:
        return self.lists[self.evaluated_list]

    def section_citation(self, number: str) -> str:
        """A section number of the evaluated list as people cite it, by its code's ``cite`` in
        ``sections.yaml`` (``HS 11357``, ``720 ILCS 550/4``); anything else (``unreadable``, a number
        of no entry, a code without ``cite``) as it is."""
        code = next((e.code for e in self.evaluated.entries if e.number == number), "")
        return self.reading.cite(code, number) if self.reading is not None and code else number


@lru_cache(maxsize=8)
def load_rule_pack(name: str = DEFAULT_PACK) -> RulePack:
    """Load and check a rule pack by its folder name under ``blueprint/rules`` (or an absolute path).

    Its ``pack.yaml`` is checked whole first (``blueprint.engine.pack_spec``: every mistake at once, with
    its line), then the files it names: the offense lists, the section reading, current law, and the
    statutory exclusions as policy rules.
    """
    spec = load_pack_spec(name)
    folder = pack_folder(name)
    lists = load_offense_lists(folder)
    return RulePack(
        name=spec.name,
        state=spec.state,
        title=spec.title,
        statutes=dict(spec.statutes),
        evaluated_list=spec.evaluated_list,
        related_list=spec.related_list,
        default_preset=spec.default_preset,
        input_format=spec.input_format,
        lists=lists,
        folder=folder,
        reliefs=pack_reliefs(name),
        case_context_lists=spec.case_context_lists,
        input_mapping=(folder / spec.input_mapping) if spec.input_mapping else None,
        reading=load_reading_rules(folder),
        current_law=load_current_law(folder),
        statutory_exclusions=load_exclusions(spec.statutory_exclusions, folder),
        exclusion_labels=exclusion_labels(spec.statutory_exclusions),
        juvenile_track=spec.juvenile_track,
        time_zone=spec.time_zone,
        review_criteria_heading=spec.review_criteria_heading or CRITERIA_HEADING,
        texts=spec.texts,
    )


#: The criteria heading of a pack that declares no ``review_criteria_heading``.
CRITERIA_HEADING = "the criteria"


def review_criteria_heading(name: str = DEFAULT_PACK) -> str:
    """A rule pack's ``review_criteria_heading`` (checked with its ``pack.yaml``); :data:`CRITERIA_HEADING`
    when the pack declares none.

    Read from ``pack.yaml`` alone (not the whole pack), because the review workbook's layout needs it
    when the reader of a finished run knows only the pack's name.
    """
    return load_pack_spec(str(name)).review_criteria_heading or CRITERIA_HEADING
