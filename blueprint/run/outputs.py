"""Writing a run's results: tables, data issues, review workbook, summary report and manifest.

The local run and the cloud's "combine" step both call :func:`write_outputs`, so a county gets the
same files from a laptop and from its AWS account. The manifest is written last: its presence means
every other file of the run is complete.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .. import __version__
from ..runtime.forked import InChild, InProcess, Later
from ..intake.issues import with_conviction_ids
from ..engine.policy import Policy
from ..report.run_folder import MANIFEST_FILE, REVIEW_FILE, record_outputs
from ..base.staging import sha256_of
from ..review.writer import write_review_workbook
from ..intake.file_status import FAILED, REPEAT

#: From this many evaluated convictions on, the tables and report are written in a forked child
#: process alongside the workbook (below it, starting the child costs more than it saves).
PARALLEL_OUTPUT_ROWS = 5_000

#: The result columns of ``convictions.csv`` / ``.parquet``, in order (docs/reference/results.md).
RESULT_COLUMNS = [
    "conviction_id",
    "person_id",
    "cii_number",
    "name",
    "other_names",
    "date_of_birth",
    "date_of_birth_recorded",
    "date_of_birth_status",
    "gender",
    "race",
    "county",
    "court",
    "case_numbers",
    "case_key",
    "count",
    "cnt_order",
    "conviction_date",
    "conviction_date_recorded",
    "conviction_date_status",
    "offense",
    "code_section",
    "number",
    "attempt",
    "level",
    "sentence",
    "sentence_end",
    "sentence_status",
    "determination",
    "relief",
    "relief_label",
    "basis",
    "track",
    "reason_code",
    "reason",
    "rule_id",
    "rule_facts",
    "flags",
    "superstrike_sections",
    "pc290_sections",
    "pc290_registration",
    "deceased",
    "age_at_conviction",
    "age_on_evaluation_date",
    "years_since_conviction",
    "source_file",
    "source_line",
    # the run-to-filings contract (docs/reference/results.md): the typed outcome, the juvenile track,
    # the offense date, the disqualifying prior and the statute's exclusions
    "outcome",
    "juvenile",
    "arrest_date",
    "prior_kind",
    "prior_section",
    "prior_date",
    "prior_court",
    "prior_case_numbers",
    "statutory_exclusion",
    "felony_hint",
]
DATE_COLUMNS = ("date_of_birth", "conviction_date", "sentence_end", "arrest_date")
#: The offense-text census of the run (``blueprint.intake.census``).
CENSUS_FILE = "offense_texts.csv"


def result_table(decisions: pd.DataFrame) -> pd.DataFrame:
    """The documented result columns, with dates as ``date`` values and ``number`` named ``section``."""
    out = decisions.reindex(columns=RESULT_COLUMNS).copy()
    for col in DATE_COLUMNS:
        out[col] = pd.to_datetime(out[col]).dt.date
    for col in ("age_at_conviction", "age_on_evaluation_date"):
        out[col] = pd.array(out[col].round(), dtype="Int64")
    return out.rename(columns={"number": "section"})


def inputs_fingerprint(files: list[dict]) -> str:
    """One SHA-256 over the inputs' own SHA-256s, in order: identifies the run's input."""
    return hashlib.sha256("\n".join(f.get("sha256", "") for f in files).encode()).hexdigest()


def run_identity(files: list[dict], policy: Policy, county: str, as_of: str) -> str:
    """A run id derived from what the run read and how, so the same inputs give the same id."""
    text = "|".join([inputs_fingerprint(files), policy.sha256, county.upper(), str(as_of)])
    return "run-" + hashlib.sha256(text.encode()).hexdigest()[:16]


def write_outputs(
    out_dir: Path,
    *,
    decisions: pd.DataFrame,
    outcomes: pd.DataFrame,
    issues: pd.DataFrame,
    files: list[dict] | Callable[[], list[dict]],
    policy: Policy,
    county: str,
    as_of: str,
    run_id: str | None = None,
    timings: dict | None = None,
    workbook: bool = True,
    census: pd.DataFrame | None = None,
) -> dict:
    """Write every result file of a run into ``out_dir``; return the manifest (also written).

    ``files`` are the input files' reports (``FileReport.as_dict``), or a function that gives them:
    the local run's SHA-256 of its inputs may still be being computed when the evaluation ends
    (``blueprint.runtime.file_digest``), and the result tables, which do not name the inputs, are
    started before it is asked for. An error it raises stops the writing (nothing is kept).
    ``census`` (``blueprint.intake.census``, the run's offense texts and how they were read) is written as
    ``offense_texts.csv``, counted in the summary and added to the workbook as "Offense texts".
    """
    from ..report.summary import summarize_results, with_processing

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    timings = dict(timings or {})
    started = time.perf_counter()
    if len(decisions):
        decisions = decisions.sort_values(["person_id", "conviction_id"], kind="stable").reset_index(drop=True)
    issues = with_conviction_ids(issues, decisions)

    # The summary: its results are made by each process that writes from it (a forked child cannot
    # share this one's: the same function of the same values, made in parallel), once per process;
    # its processing part names the input files, so it is added when they are known.
    results = functools.cache(
        functools.partial(
            summarize_results,
            decisions,
            outcomes,
            county=county,
            as_of=as_of,
            policy=policy,
            issues_count=len(issues),
            census=census,
        )
    )

    def summary_of(inputs: list[dict]) -> dict:
        return with_processing(results(), inputs, timings)

    # A large run writes its tables and report in a forked child while this process writes the
    # workbook (the largest file), so both cores work; a small one writes them one after the other.
    # The child starts on the tables at once, and is given the input files for its report when
    # they are known: on a large extract their SHA-256 is often still being computed now.
    side = InChild if len(decisions) >= PARALLEL_OUTPUT_ROWS else InProcess
    inputs_later = Later()
    tables = side(_write_tables_and_report, out_dir, decisions, issues, summary_of, inputs_later)
    inputs_later.attach(tables)
    try:
        # What needs no fingerprint is made while they may still be being computed.
        results()
        if census is not None:
            from ..intake.census import write_census_csv

            write_census_csv(census, out_dir / CENSUS_FILE)
        files = files() if callable(files) else files
    except BaseException:  # no fingerprint (a file changed), an error or an interrupt: stop the child too
        tables.cancel()
        raise
    inputs_later.give(files)
    run_id = run_id or run_identity(files, policy, county, as_of)
    summary = summary_of(files)
    run_sheet = {
        "run_id": run_id,
        "inputs_sha256": inputs_fingerprint(files),
        "policy_name": policy.name,
        "policy_sha256": policy.sha256,
        "evaluation_date": str(as_of),
        "county": county.upper(),
        "software_version": __version__,
    }
    if workbook:
        try:
            write_review_workbook(
                out_dir / REVIEW_FILE,
                decisions,
                policy=policy,
                run=run_sheet,
                summary=summary,
                issues=issues,
                inputs=files,
                census=census,
            )
        except BaseException:  # an error or an interrupt: the child writing the tables stops too
            tables.cancel()
            raise
    hashes = tables.wait()  # the child hashed its own files while this process wrote the workbook

    reconciliation = {
        "rows_read": int(sum(f.get("rows_read", 0) for f in files)),
        "rows_used": int(sum(f.get("rows_used", 0) for f in files)),
        "rows_skipped": int(sum(f.get("rows_skipped", 0) for f in files)),
    }
    reconciliation["balanced"] = (
        reconciliation["rows_read"] == reconciliation["rows_used"] + reconciliation["rows_skipped"]
    )
    skipped_reported = int((issues["action"] == "row skipped").sum()) if len(issues) else 0
    reconciliation["rows_skipped_reported"] = skipped_reported
    reconciliation["every_skipped_row_reported"] = skipped_reported == reconciliation["rows_skipped"]
    timings["outputs"] = round(time.perf_counter() - started, 3)

    manifest = {
        **{k: v for k, v in run_sheet.items() if k not in ("policy_name", "policy_sha256")},
        "policy": {
            "name": policy.name,
            "sha256": policy.sha256,
            "source": policy.source,
            "rule_pack": policy.rule_pack,
            "document": policy.document,
        },
        "inputs": files,
        "reconciliation": reconciliation,
        "counts": {
            "people": int(decisions["person_id"].nunique()) if len(decisions) else 0,
            "convictions_evaluated": int(len(decisions)),
            "data_issues": int(len(issues)),
            "files_failed": int(sum(1 for f in files if f.get("status") == FAILED)),
            "files_repeated": int(sum(1 for f in files if f.get("status") == REPEAT)),
        },
        "timings_seconds": timings,
    }
    manifest["output_sha256"] = hashes
    record_outputs(out_dir, manifest)
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=_json_default))
    return manifest


def _write_tables_and_report(
    out_dir: Path,
    decisions: pd.DataFrame,
    issues: pd.DataFrame,
    summary_of: Callable[[list[dict]], dict],
    inputs: Later,
) -> dict[str, str]:
    """``convictions.csv``/``.parquet``, ``data_issues.csv``, ``summary.json`` and ``summary.html``;
    returns each file's SHA-256 (computed here, beside the workbook's writing, for the manifest).

    The tables come first: they need nothing of the inputs. The report then waits for the input
    files' reports (``inputs``, given by the process that started this call once it has them).
    """
    from ..report.summary import write_summary_html

    results = result_table(decisions)
    # One Arrow table serves both files; Arrow's CSV writer is C++ (pandas' took 0.5 s per 17,000 rows).
    table = _plain_strings(pa.Table.from_pandas(results, preserve_index=False))
    pq.write_table(table, out_dir / "convictions.parquet")
    pacsv.write_csv(table, out_dir / "convictions.csv", pacsv.WriteOptions(quoting_style="needed"))
    pacsv.write_csv(
        pa.Table.from_pandas(issues, preserve_index=False),
        out_dir / "data_issues.csv",
        pacsv.WriteOptions(quoting_style="needed"),
    )
    summary = summary_of(inputs.get())
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    write_summary_html(summary, out_dir / "summary.html")
    names = ("convictions.parquet", "convictions.csv", "data_issues.csv", "summary.json", "summary.html")
    return {name: sha256_of(out_dir / name) for name in names}


def _plain_strings(table: pa.Table) -> pa.Table:
    """Text columns as Arrow ``string`` whatever pandas held them as (its Arrow-backed text is
    ``large_string``), so the Parquet file's column types do not depend on how a column was built."""
    fields = [f.with_type(pa.string()) if pa.types.is_large_string(f.type) else f for f in table.schema]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _json_default(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)
