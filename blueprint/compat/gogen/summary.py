"""The earlier tool's ``summary.json``, computed from the kit's records and decisions.

Key names are the earlier tool's (confirmed against its published source), so a county's existing
dashboards keep working:

``county``, ``earliestConviction`` (``YYYY-MM-DDT00:00:00Z``; ``null`` when no evaluated conviction
has a known date), ``lineCount`` (data rows of the readable files), ``processingTimeInSeconds``,
``reliefWithCurrentEligibilityChoices`` and ``reliefWithDismissAllProp64`` (each with
``CountSubjectsNoFelony``, ``CountSubjectsNoConvictionLast7Years``, ``CountSubjectsNoConviction``),
``prop64ConvictionsCountInCountyByCodeSection`` (only sections that occur),
``subjectsWithProp64ConvictionCountInCounty``, ``prop64FelonyConvictionsCountInCounty``,
``prop64NonFelonyConvictionsCountInCounty``, ``subjectsWithSomeReliefCount``,
``convictionDismissalCountByCodeSection``, ``convictionReductionCountByCodeSection``,
``convictionDismissalCountByAdditionalRelief``.

Added by the kit (the earlier tool had no such keys):

- ``prop64UnknownLevelConvictionsCountInCounty``: convictions whose level the data cannot tell. The
  earlier tool counted them as non-felonies; here they are neither.
- ``unreadable`` in ``prop64ConvictionsCountInCountyByCodeSection``: convictions whose charge names a
  cannabis section the kit could not read (in hand review; the earlier tool left them out).
- ``evaluationDate``: the date every "years since" and "last 7 years" figure is measured from (the
  earlier tool used the wall clock for "last 7 years").
- ``errors``: input files that failed, by file name, as ``{"errorType": "PARSING" | "OTHER",
  "errorMessage": ...}`` (the earlier tool's error shape). ``PARSING`` means the file's content could
  not be parsed as a DOJ file; ``OTHER`` is anything else (unreadable, empty).

The people counts come from ``blueprint.engine.outcomes.person_outcomes`` (every conviction on the record,
any county; the policy's decisions, and "dismiss every evaluated conviction"), counted the earlier
tool's way:

- no felony: people with at least one felony conviction and none left that may be a felony (a
  reduction counts; a conviction of unknown level may still be a felony);
- no conviction: people whose every conviction would be dismissed;
- no conviction in the last 7 years: people with at least one conviction that may fall in the 7 years
  before the evaluation date (an unknown date may), every one of which would be dismissed.

``subjectsWithSomeReliefCount`` is the people the policy grants any relief on at least one conviction.

Per-section dismissal and reduction counts follow the earlier tool when the policy came from its
settings file (one entry per section listed in ``dismiss`` / ``reduce``, counting the convictions that
rule decided). For the kit's own policies, which have no such lists, they count every dismissal and
every reduction by section.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...engine import dates
from ...engine.decide import Evaluation
from ...engine.outcomes import RECENT_YEARS, person_outcomes
from ...engine.policy import DEFAULT_PACK
from ...intake.reader import ReadResult
from ...engine.rulepack import RulePack, load_rule_pack
from ...intake.file_status import FAILED, OK

#: The reliefs the earlier tool counted as a dismissal, and as a reduction (by relief code, never by
#: the determination's words: a policy words its determinations as it likes).
DISMISSAL = ("dismiss_and_seal",)
REDUCTION = ("redesignate_misdemeanor", "redesignate_infraction")
SECTIONS = ("11357", "11358", "11359", "11360")
#: Dismissals that are not "additional relief": the baseline section rule and the non-felony rule.
BASELINE_REASON_PREFIXES = ("Dismiss all HS", "Misdemeanor or Infraction")
BASELINE_REASON_CODES = ("BASELINE_DISMISS", "MISDEMEANOR_OR_INFRACTION", "FELONY_SECTION_DISMISS")
#: Reasons of a rejected file that mean its content is not a parseable DOJ file.
PARSING_MARKERS = ("not a DOJ research file", "could not be parsed", "irregular quoting")


def _day(values) -> np.ndarray:
    return np.asarray(pd.Series(values).to_numpy("datetime64[D]"), dtype="datetime64[D]")


def _with_recent_conviction(evaluation: Evaluation, person_ids: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """Whether each person has a conviction (any offense, any county) that may fall in the last 7 years."""
    conv = evaluation.records.convictions
    cutoff = dates.add_years(as_of, -RECENT_YEARS)
    latest = _day(conv["conv_hi"])
    recent = np.isnat(latest) | (latest >= cutoff)
    return np.isin(np.asarray(person_ids, dtype=object), conv.loc[recent, "person_id"].to_numpy(dtype=object))


def people_relief_counts(
    evaluation: Evaluation, pack: RulePack, as_of, outcomes: pd.DataFrame | None = None
) -> dict[str, dict[str, int]]:
    """People left with no felony / no conviction / no recent conviction, per scenario.

    Built on ``blueprint.engine.outcomes.person_outcomes`` (the kit's cautious per-person outcomes), counted
    the earlier tool's way: a person counts only if they had what is removed (a felony, a conviction
    in the last 7 years) to begin with.
    """
    if outcomes is None:
        outcomes = person_outcomes(evaluation, pack)
    recent = _with_recent_conviction(evaluation, outcomes["person_id"].to_numpy(), np.datetime64(as_of, "D"))
    had_felony = outcomes["had_felony"].to_numpy(dtype=bool)
    out: dict[str, Any] = {}
    for key, scenario in (
        ("reliefWithCurrentEligibilityChoices", "policy"),
        ("reliefWithDismissAllProp64", "dismiss_all"),
    ):
        out[key] = {
            "CountSubjectsNoFelony": int((had_felony & outcomes[f"{scenario}_no_felony"].to_numpy(dtype=bool)).sum()),
            "CountSubjectsNoConvictionLast7Years": int(
                (recent & outcomes[f"{scenario}_no_conviction_7y"].to_numpy(dtype=bool)).sum()
            ),
            "CountSubjectsNoConviction": int(outcomes[f"{scenario}_no_conviction"].sum()),
        }
    out["subjectsWithSomeReliefCount"] = int(outcomes["policy_helped"].sum())
    return out


def _by_section(decisions: pd.DataFrame, mask: np.ndarray) -> dict[str, int]:
    numbers = decisions["number"].astype(str).to_numpy()
    if "reason_code" in decisions:  # a cannabis section that could not be read is not counted under a number
        numbers = np.where(
            decisions["reason_code"].astype(str).to_numpy() == "CANNABIS_SECTION_UNREADABLE", "unreadable", numbers
        )
    numbers = numbers[mask]
    values, counts = np.unique(numbers, return_counts=True)
    return {str(v): int(c) for v, c in zip(values, counts)}


def _with_relief(decisions: pd.DataFrame, reliefs: tuple[str, ...]) -> np.ndarray:
    return decisions["relief"].fillna("").astype(str).isin(reliefs).to_numpy()


def _section_relief(
    decisions: pd.DataFrame, settings: dict, key: str, reliefs: tuple[str, ...], label: str
) -> dict[str, int]:
    granted = _with_relief(decisions, reliefs)
    if isinstance(settings.get(key), list):
        reasons = decisions["reason"].to_numpy()
        return {s: int((granted & (reasons == f"{label} all HS {s} convictions")).sum()) for s in settings[key]}
    return _by_section(decisions, granted)


def _additional_relief(decisions: pd.DataFrame) -> dict[str, int]:
    d = decisions[_with_relief(decisions, DISMISSAL)]
    keep = ~d["reason"].astype(str).str.startswith(BASELINE_REASON_PREFIXES) & ~d["reason_code"].isin(
        BASELINE_REASON_CODES
    )
    counts = d.loc[keep.to_numpy(), "reason"].value_counts()
    return {str(k): int(v) for k, v in counts.sort_index().items()}


def file_errors(read: ReadResult) -> dict[str, dict[str, str]]:
    """Failed input files by name, in the earlier tool's error shape (no personal data: reasons only)."""
    out = {}
    for f in read.files:
        if f.status != FAILED:  # a repeat of an earlier file is no error: its rows were used once
            continue
        kind = "PARSING" if any(m in f.error for m in PARSING_MARKERS) else "OTHER"
        out[f.file] = {"errorType": kind, "errorMessage": f.error}
    return out


def build_summary(
    read: ReadResult,
    evaluation: Evaluation,
    *,
    policy,
    processing_seconds: float,
    county: str | None = None,
    as_of=None,
    pack: RulePack | None = None,
    outcomes: pd.DataFrame | None = None,
) -> dict:
    """The summary document (see the module docstring for every key).

    ``pack`` defaults to the policy's rule pack; ``county`` and ``as_of`` to the evaluation's;
    ``outcomes`` (``person_outcomes`` of this evaluation) is computed when not given.
    """
    d = evaluation.decisions
    as_of = np.datetime64(as_of if as_of is not None else evaluation.as_of, "D")  # type: ignore[call-overload]  # numpy's stubs lack datetime64(datetime64, unit)
    county = (county or evaluation.county).strip().upper()
    settings = dict(getattr(policy, "settings", {}) or {})
    exact = _day(d["conviction_date"]) if len(d) else np.array([], dtype="datetime64[D]")
    known = exact[~np.isnat(exact)]
    earliest = f"{known.min()}T00:00:00Z" if len(known) else None
    level = d["level"].to_numpy() if len(d) else np.array([], dtype=object)
    pack = pack or load_rule_pack(getattr(policy, "rule_pack", DEFAULT_PACK))
    people = people_relief_counts(evaluation, pack, as_of, outcomes)
    return {
        "county": county,
        "earliestConviction": earliest,
        "lineCount": int(sum(f.rows_read for f in read.files if f.status == OK)),
        "processingTimeInSeconds": float(processing_seconds),
        "reliefWithCurrentEligibilityChoices": people["reliefWithCurrentEligibilityChoices"],
        "reliefWithDismissAllProp64": people["reliefWithDismissAllProp64"],
        "prop64ConvictionsCountInCountyByCodeSection": _by_section(d, np.ones(len(d), dtype=bool)) if len(d) else {},
        "subjectsWithProp64ConvictionCountInCounty": int(d["person_id"].nunique()) if len(d) else 0,
        "prop64FelonyConvictionsCountInCounty": int((level == "felony").sum()),
        "prop64NonFelonyConvictionsCountInCounty": int(np.isin(level, ["misdemeanor", "infraction"]).sum()),
        "prop64UnknownLevelConvictionsCountInCounty": int(np.isin(level, ["unknown"]).sum()),
        "subjectsWithSomeReliefCount": people["subjectsWithSomeReliefCount"],
        "convictionDismissalCountByCodeSection": _section_relief(d, settings, "dismiss", DISMISSAL, "Dismiss")
        if len(d)
        else {},
        "convictionReductionCountByCodeSection": _section_relief(d, settings, "reduce", REDUCTION, "Reduce")
        if len(d)
        else {},
        "convictionDismissalCountByAdditionalRelief": _additional_relief(d) if len(d) else {},
        "evaluationDate": str(as_of),
        "errors": file_errors(read),
    }


def write_summary(summary: dict, path: Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return path
