"""The names of the fact columns that the predicates and the evaluation read.

``blueprint.engine.facts`` writes these columns, one row per evaluated conviction;
``blueprint.engine.predicates`` declares which of them each condition reads, and
``blueprint.engine.evaluate`` reads a few itself (the checks before the policy's rules, the track).
Naming them once here means a renamed fact is a change in one place, and a typo is an import error
instead of a silent ``KeyError`` at run time.

Date facts are ranges (earliest, latest): the ``_LO``/``_HI`` pairs. Prior counts are pairs too:
``<kind>_definite`` (surely before) and ``<kind>_possible`` (cannot be ruled out), see
:func:`definite` and :func:`possible`.
"""

from __future__ import annotations

# --- the conviction itself -----------------------------------------------------------------------------
LEVEL = "level"  # felony / misdemeanor / infraction / unknown
NUMBER = "number"  # the cannabis section number convicted, e.g. 11357
SUBSECTION = "subsection"  # its subdivision as recorded, e.g. (A)(1)
CODE_SECTION = "code_section"  # the section as shown to people, e.g. 11357(A) HS
OFFENSE = "offense"  # the offense text as recorded
CONV_LO, CONV_HI = "conv_lo", "conv_hi"  # the conviction date range
OFFENSE_LO, OFFENSE_HI = "offense_lo", "offense_hi"  # the offense (arrest) date range
SENTENCE_END_LO, SENTENCE_END_HI = "sentence_end_lo", "sentence_end_hi"
JUVENILE = "juvenile"  # three-valued: the offense was committed under 18
FELONY_HINT = "felony_hint"  # words hinting the felony stays one under current law ("" for none)
DATA_PROBLEMS = "data_problems"  # the conviction row's own data problems ("" for none)

# --- the checks before the policy's rules --------------------------------------------------------------
SECTION_UNRESOLVED = "section_unresolved"
EVALUATED_SECTIONS = "evaluated_sections"  # how many cannabis sections the charge names
SUBDIVISION_UNKNOWN = "subdivision_unknown"

# --- the person -----------------------------------------------------------------------------------------
DOB_LO, DOB_HI = "dob_lo", "dob_hi"
DECEASED = "deceased"
ONLY_CANNABIS = "only_cannabis"  # three-valued: every conviction on the record is an evaluated one
PERSON_LAST_CONV_LO, PERSON_LAST_CONV_HI = "person_last_conv_lo", "person_last_conv_hi"
PERSON_LATEST_END_LO, PERSON_LATEST_END_HI = "person_latest_end_lo", "person_latest_end_hi"

# --- prior counts (each a ``_definite`` and a ``_possible`` column) --------------------------------------
PRIOR_SUPER_STRIKE = "prior_super_strike"
PRIOR_PC290 = "prior_pc290"
PRIOR_REGISTRATION = "prior_registration"
COUNTED_PRIORS = "counted_priors"
SS_BEFORE_CONVICTION = "ss_before_conviction"
PC290_OR_REGISTRATION_BEFORE_CONVICTION = "pc290_or_registration_before_conviction"
EARLIER_SAME_SECTION = "earlier_same_section"

# --- the same court case ------------------------------------------------------------------------------
CASE_CHARGE_PREFIX = "case_charge_"  # + the name of one of the rule pack's case_context_lists


def definite(count: str) -> str:
    """The column of a prior count's sure part."""
    return f"{count}_definite"


def possible(count: str) -> str:
    """The column of a prior count's undecidable part (dates that cannot be placed, lists that may hold)."""
    return f"{count}_possible"


def case_charge(list_name: str) -> str:
    """The column telling whether a charge of the conviction's court case is on the offense list ``list_name``."""
    return CASE_CHARGE_PREFIX + list_name
