"""The run summary: counts only, as ``summary.json`` and as an offline HTML report.

``summarize`` turns the decisions (one row per evaluated conviction) and the people's outcomes
(``blueprint.engine.outcomes.person_outcomes``) into a small JSON-safe dictionary of counts: what was
decided, what relief, which sections, how many people are helped and what is left on their records
under the policy and under two what-ifs, and aggregate demographics. It holds no names, dates of
birth, CII or case numbers, and no per-person rows, so it can be shared and published.

It reads only columns that both the engine's decisions and the written result tables carry, so the
cloud can compute it from the concatenated per-shard results without the raw DOJ rows. Conviction
dates: with the engine's date ranges, the earliest (latest) conviction is the earliest (latest)
possible day, so a partial date such as ``19750000`` counts from 1975-01-01; a result table has only
full dates, and its partial dates count as unknown.

``write_summary_html`` renders the same dictionary with ``templates/report/summary.html.j2`` into
one self-contained page (inline CSS and SVG charts, no scripts, no external resources) that opens
offline in any browser.

The state's words are the rule pack's: the summary carries the pack's ``report`` texts (what the
template explains), each section as the pack cites it (``labels.section``: ``HS 11357``,
``720 ILCS 550/4``) and the pack's statutory exclusions by their labels, so that neither this module
nor the template names any state's law.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

import blueprint

from ..engine import filing_rules
from ..engine.outcomes import AGE_BANDS, AGE_UNKNOWN, OUTCOME_MEASURES, SCENARIOS
from ..engine.policy import Policy
from ..engine.rulepack import load_rule_pack

SUMMARY_VERSION = 1
NO_RELIEF = "none"
LEVELS = ("felony", "misdemeanor", "infraction", "unknown")
TRACKS = ("completed sentence", "currently serving", "juvenile", "unknown")
#: The typed outcomes in display order, with their words (``blueprint.engine.filing_rules``): an out-of-scope
#: conviction (conduct after 9 November 2016) is neither eligible nor challenged.
OUTCOME_LABELS = {
    filing_rules.ELIGIBLE: "Eligible (relief, no challenge)",
    filing_rules.NOT_ELIGIBLE: "Not eligible (challenge)",
    filing_rules.HAND_REVIEW: "Hand review",
    filing_rules.OUT_OF_SCOPE: "Out of scope (neither relief nor challenge)",
}
UNDECIDABLE = "UNDECIDABLE"
#: Reason codes of the engine's section checks (``blueprint.engine.evaluate.SECTION_REVIEWS``).
SECTION_UNREADABLE = "CANNABIS_SECTION_UNREADABLE"
TWO_SECTIONS = "CANNABIS_TWO_SECTIONS"
UNDECIDABLE_LABEL = "The data cannot decide a rule (an unknown date, level or section); review by hand"

#: File facts copied into the summary. Paths and error texts stay out: they can carry local details.
#: The note of a repeated file names only the run's own earlier file.
FILE_KEYS = ("file", "status", "note", "sha256", "bytes", "rows_read", "rows_used", "rows_skipped")

TEMPLATE = "report/summary.html.j2"
TEMPLATES_ENV = "CLEARANCE_TEMPLATES"


def _text(frame: pd.DataFrame, column: str, default: str = "") -> pd.Series:
    """A text column with blanks for missing values (parquet may give None, CSV may give NaN)."""
    if column not in frame:
        return pd.Series(default, index=frame.index, dtype=object)
    return frame[column].fillna("").astype(str).str.strip()


def _counts(values: pd.Series, order: tuple[str, ...] | None = None, blank: str | None = None) -> dict[str, int]:
    """``{value: count}``: in ``order`` (every listed value, zeros included) or most frequent first."""
    if blank is not None:
        values = values.where(values != "", blank)
    counted = values.value_counts(sort=False)
    if order is not None:
        extra = sorted(k for k in counted.index if k not in order)
        return {k: int(counted.get(k, 0)) for k in (*order, *extra)}
    pairs = sorted(counted.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return {str(k): int(v) for k, v in pairs}


def _conviction_dates(decisions: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Earliest and latest possible day of each conviction.

    The engine's decisions carry date ranges (``conv_lo``/``conv_hi``: a partial date such as
    ``19840000`` spans its year); a result table carries only full dates (``conviction_date``).
    """
    if "conv_lo" in decisions and "conv_hi" in decisions:
        return (
            pd.to_datetime(decisions["conv_lo"], errors="coerce"),
            pd.to_datetime(decisions["conv_hi"], errors="coerce"),
        )
    if "conviction_date" in decisions:
        exact = pd.to_datetime(decisions["conviction_date"], errors="coerce")
        return exact, exact
    unknown = pd.Series(pd.NaT, index=decisions.index, dtype="datetime64[s]")
    return unknown, unknown


def _file_facts(report) -> dict:
    """The shareable facts of one input file (a dict or the reader's ``FileReport``)."""
    if not isinstance(report, dict):
        report = report.as_dict()
    out: dict[str, Any] = {}
    for key in FILE_KEYS:
        if key in report:
            value = report[key]
            out[key] = value if value is None or isinstance(value, str) else int(value)
    return out


def _iso(value) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _reason_labels(codes: pd.Series, reasons: pd.Series) -> dict[str, str]:
    """Each reason code with the policy's words for it (the most common wording of that code)."""
    labels: dict[str, str] = {}
    frame = pd.DataFrame({"code": codes.to_numpy(), "reason": reasons.to_numpy()})
    frame = frame[frame["code"] != ""]
    for code, group in frame.groupby("code", sort=True):
        labels[str(code)] = UNDECIDABLE_LABEL if code == UNDECIDABLE else str(group["reason"].mode().iloc[0])
    return labels


def _demographic(outcomes: pd.DataFrame, column: str, order: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """People and people helped under the policy, per value of ``column``."""
    if len(outcomes) == 0:
        return []
    grouped = outcomes.groupby(outcomes[column].fillna("UNKNOWN").astype(str), sort=False)
    table = pd.DataFrame({"people": grouped.size(), "helped": grouped["policy_helped"].sum()})
    if order is not None:
        keys = [k for k in order if k in table.index] + sorted(k for k in table.index if k not in order)
    else:
        unknown = [k for k in table.index if k.upper() == "UNKNOWN"]
        rest = table.drop(index=unknown).sort_index().sort_values(["people", "helped"], ascending=False, kind="stable")
        keys = list(rest.index) + unknown
    return [{"group": str(k), "people": int(table.at[k, "people"]), "helped": int(table.at[k, "helped"])} for k in keys]


def summarize(decisions: pd.DataFrame, outcomes: pd.DataFrame, *, files: list[dict], timings: dict, **run) -> dict:
    """The content of ``summary.json``: counts only, JSON-safe (str, int, float, None, lists, dicts).

    :func:`summarize_results` (``run`` holds its keyword arguments) with :func:`with_processing`.
    ``files`` are the reader's per-file reports as dicts; ``timings`` maps a step name to seconds.
    """
    return with_processing(summarize_results(decisions, outcomes, **run), files, timings)


def summarize_results(
    decisions: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    county: str,
    as_of,
    policy: Policy,
    issues_count: int,
    census: pd.DataFrame | None = None,
) -> dict:
    """The summary without its ``processing`` part (input files, rows, timings): see :func:`summarize`.

    ``decisions`` are the evaluated convictions (engine decisions or the result table, possibly the
    concatenation of several shards); ``outcomes`` the matching ``person_outcomes`` rows.
    ``census`` (``blueprint.intake.census``: one row per distinct offense text) adds ``offense_texts``: how
    many distinct texts the input held, how many could not be read, and how many of those name a
    cannabis section (with their row counts).

    Almost all of the summary's work is here, and none of it needs the input files' fingerprints,
    which a local run may still be computing when its evaluation ends (``blueprint.run.outputs``).
    ``processing`` is left ``None``, in its place among the keys, for :func:`with_processing`.
    """
    pack = load_rule_pack(policy.rule_pack)
    level = _text(decisions, "level").str.lower()
    relief = _text(decisions, "relief")
    section = _text(decisions, "section") if "section" in decisions else _text(decisions, "number")
    reason_code = _text(decisions, "reason_code")
    # A conviction whose cannabis section could not be read is counted as such, not under the
    # number it happened to show (11357 PC is not HS 11357).
    section = section.where(reason_code != SECTION_UNREADABLE, "unreadable")
    earliest, latest = _conviction_dates(decisions)

    by_section_relief: dict[str, dict[str, int]] = {}
    relief_order = (*policy.relief_labels, NO_RELIEF)
    for sec, group in relief.groupby(section.where(section != "", "unknown"), sort=True):
        by_section_relief[str(sec)] = {k: v for k, v in _counts(group, relief_order, blank=NO_RELIEF).items() if v}

    convictions: dict[str, Any] = {
        "evaluated": int(len(decisions)),
        "felony": int((level == "felony").sum()),
        "not_felony": int(level.isin(["misdemeanor", "infraction"]).sum()),
        "unknown_level": int((~level.isin(["felony", "misdemeanor", "infraction"])).sum()),
        "by_level": _counts(level, LEVELS, blank="unknown"),
        "by_determination": _counts(_text(decisions, "determination"), blank="(none)"),
        "by_outcome": _counts(
            pd.Series(filing_rules.outcomes(decisions), index=decisions.index, dtype=object), tuple(OUTCOME_LABELS)
        ),
        "by_statutory_exclusion": _counts(
            _text(decisions, "statutory_exclusion"), (*pack.exclusion_labels, "none"), blank="none"
        ),
        "relief_despite_exclusion": int(((relief != "") & (_text(decisions, "statutory_exclusion") != "")).sum()),
        "by_relief": _counts(relief, relief_order, blank=NO_RELIEF),
        "by_section": _counts(section, blank="unknown"),
        "by_section_and_relief": by_section_relief,
        "by_track": _counts(_text(decisions, "track"), TRACKS, blank="unknown"),
        "by_reason_code": _counts(reason_code, blank="(none)"),
        "earliest_conviction_date": _iso(earliest.min()),
        "latest_conviction_date": _iso(latest.max()),
        "unknown_conviction_dates": int(earliest.isna().sum()),
        "section_unreadable": int((reason_code == SECTION_UNREADABLE).sum()),
        "two_cannabis_sections": int((reason_code == TWO_SECTIONS).sum()),
    }
    convictions["by_section"] = dict(sorted(convictions["by_section"].items()))

    people = {
        "evaluated": int(len(outcomes)),
        "had_felony": int(outcomes["had_felony"].sum()) if len(outcomes) else 0,
    }
    scenarios = []
    for key, label in SCENARIOS.items():
        row: dict[str, Any] = {"key": key, "label": label}
        for measure in OUTCOME_MEASURES:
            column = f"{key}_{measure}"
            row[measure] = int(outcomes[column].sum()) if len(outcomes) else 0
        scenarios.append(row)
    people["helped"] = scenarios[0]["helped"]

    summary = {
        "summary_version": SUMMARY_VERSION,
        "county": county.strip().upper(),
        "evaluation_date": str(np.datetime64(as_of, "D")),
        "policy": {"name": policy.name, "title": policy.title, "source": policy.source, "sha256": policy.sha256},
        "convictions": convictions,
        "labels": {
            "relief": {**policy.relief_labels, NO_RELIEF: "No relief"},
            "reason_code": _reason_labels(reason_code, _text(decisions, "reason")),
            "outcome": dict(OUTCOME_LABELS),
            "statutory_exclusion": {**pack.exclusion_labels, "none": "None"},
            "section": {key: pack.section_citation(key) for key in convictions["by_section"]},
        },
        "report": pack.texts.report.model_dump(mode="json") if pack.texts.report is not None else {},
        "people": people,
        "scenarios": scenarios,
        "demographics": {
            "race": _demographic(outcomes, "race"),
            "sex": _demographic(outcomes, "gender"),
            "age_band": _demographic(outcomes, "age_band", tuple(b[0] for b in AGE_BANDS) + (AGE_UNKNOWN,)),
        },
        "data_issues": int(issues_count),
        "processing": None,
    }
    if census is not None:
        from ..intake.census import census_counts

        summary["offense_texts"] = census_counts(census)
    return summary


def with_processing(results: dict, files: list[dict], timings: dict) -> dict:
    """The whole summary: :func:`summarize_results` with the input files, row counts and timings.

    Rows per second divide the rows read by ``total`` when given, else by the sum of the steps;
    keys of ``timings`` starting with ``rows`` are counts, not steps, and are left out.
    """
    files = [_file_facts(f) for f in files]
    read = sum(int(f.get("rows_read", 0) or 0) for f in files)
    used = sum(int(f.get("rows_used", 0) or 0) for f in files)
    skipped = sum(int(f.get("rows_skipped", 0) or 0) for f in files)
    # Durations only: a count passed along with them (``rows_read``, ``rows_per_second``) is not a step.
    seconds = {str(k): round(float(v), 3) for k, v in timings.items() if not str(k).startswith("rows")}
    total = seconds.get("total", sum(seconds.values()))
    processing = {
        "files": files,
        "rows_read": read,
        "rows_used": used,
        "rows_skipped": skipped,
        "timings_seconds": seconds,
        "rows_per_second": round(read / total, 1) if total > 0 else None,
    }
    return {**results, "processing": processing}  # the key keeps its place


def templates_root(templates_dir: str | Path | None = None) -> Path:
    """Where templates are read: the argument, else ``$CLEARANCE_TEMPLATES``, else the kit's own folder."""
    if templates_dir is not None:
        return Path(templates_dir)
    if os.environ.get(TEMPLATES_ENV):
        return Path(os.environ[TEMPLATES_ENV])
    return Path(blueprint.__file__).parent.parent / "templates"


def _number(value) -> str:
    """``12,345`` for counts, ``—`` for a missing value."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}"


def _percent(part, whole) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "—"


MEASURE_LABELS = {
    "helped": "People helped (some relief)",
    "no_felony": "Left with no felony",
    "no_conviction": "Left with no conviction",
    "no_conviction_7y": "No conviction in the last 7 years",
}


def _pairs(counts: dict[str, int], labels: dict[str, str] | None = None, prefix: str = "") -> list[tuple[str, int]]:
    return [(prefix + (labels or {}).get(k, k), v) for k, v in counts.items()]


def report_view(summary: dict) -> dict:
    """Chart-ready rows for the template: labels in words, in display order (geometry is the template's)."""
    conv = summary["convictions"]
    relief_labels = summary["labels"]["relief"]
    demographics = {
        name: [{"label": row["group"], "values": [row["people"], row["helped"]]} for row in rows]
        for name, rows in summary["demographics"].items()
    }
    return {
        "determination": _pairs(conv["by_determination"]),
        "outcome": _pairs(conv.get("by_outcome") or {}, summary["labels"].get("outcome")),
        "relief": _pairs(conv["by_relief"], relief_labels),
        "section": _pairs(conv["by_section"], summary["labels"].get("section")),
        "level": _pairs(conv["by_level"]),
        "track": _pairs(conv["by_track"]),
        "whatif_series": [row["label"] for row in summary["scenarios"]],
        "whatif": [
            {"label": MEASURE_LABELS[m], "values": [row[m] for row in summary["scenarios"]]} for m in OUTCOME_MEASURES
        ],
        "demographics": demographics,
    }


def render_summary_html(summary: dict, *, templates_dir: str | Path | None = None) -> str:
    """The HTML report of ``summary`` as a string (see ``write_summary_html``)."""
    root = templates_root(templates_dir)
    default = Path(blueprint.__file__).parent.parent / "templates"
    loaders = [jinja2.FileSystemLoader(str(root))]
    if root.resolve() != default.resolve():  # a county's folder may override only some templates
        loaders.append(jinja2.FileSystemLoader(str(default)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _number
    env.filters["pct"] = _percent
    return env.get_template(TEMPLATE).render(s=summary, view=report_view(summary))


def write_summary_html(summary: dict, path, *, templates_dir=None) -> Path:
    """Render ``summary`` to a self-contained HTML page at ``path`` (readable offline); returns the path."""
    path = Path(path)
    path.write_text(render_summary_html(summary, templates_dir=templates_dir), encoding="utf-8")
    return path
