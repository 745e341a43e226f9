"""A small synthetic run directory and review workbook, for tests, the benchmark and trying the filings.

Everything here is invented: names are drawn from short lists of common words, numbers are sequential.
The files follow the documented interface (``docs/reference/results.md``): ``manifest.json``,
``convictions.parquet`` with the result columns, and ``review.xlsx`` with the **Convictions** and **Run**
sheets in the layout of ``blueprint.review.layout``. The real engine writes the same files for real runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
from pathlib import Path

import pandas as pd

from blueprint.review.layout import (
    CONVICTION_COLUMNS,
    CONVICTIONS_SHEET,
    DECISION_COLUMN,
    DECISION_LABELS,
    HEADERS,
    RELIEF_LABELS,
    RUN_SHEET,
    labelled,
    recommended_decisions,
)
from blueprint.report.run_folder import record_outputs

_LAST = ["RIVER", "STONE", "MEADOW", "BROOK", "FIELD", "HILL", "LAKE", "FOREST", "MARSH", "VALE", "GLEN", "CLIFF"]
_FIRST = ["ALEX", "SAM", "JORDAN", "TAYLOR", "CASEY", "MORGAN", "RILEY", "JAMIE", "AVERY", "QUINN", "DREW", "ROBIN"]
_COURTS = ["CASC EXAMPLE CENTRAL", "CASC EXAMPLE NORTH", "CAMC EXAMPLE METRO"]
_SECTIONS = {
    "11357": "POSSESS MARIJUANA",
    "11358": "CULTIVATE MARIJUANA",
    "11359": "POSSESS MARIJUANA FOR SALE",
    "11360": "SELL/TRANSPORT MARIJUANA",
}


def sample_convictions(
    eligible: int,
    not_eligible: int = 0,
    hand_review: int = 0,
    *,
    seed: int = 7,
    county: str = "EXAMPLE",
    out_of_scope: int = 0,
    juvenile: int = 0,
) -> pd.DataFrame:
    """A result table of invented convictions: ``eligible`` with a recommended relief, ``not_eligible``
    found not eligible by the rules (a prior super strike, recorded in the ``prior_*`` columns),
    ``hand_review`` left to a person, ``out_of_scope`` for conduct after 9 November 2016, and
    ``juvenile`` eligible convictions of offenses committed under 18. People have 1 to 3 convictions.
    About one eligible conviction in 25 is of a person still serving (recall and resentence)."""
    rng = random.Random(seed)
    kinds = (
        ["eligible"] * eligible
        + ["not_eligible"] * not_eligible
        + ["hand_review"] * hand_review
        + ["out_of_scope"] * out_of_scope
        + ["juvenile"] * juvenile
    )
    rows: list[dict[str, object]] = []
    person = 0
    i = 0
    while i < len(kinds):
        person += 1
        pid = f"{900000 + person}"
        last, first = rng.choice(_LAST), rng.choice(_FIRST)
        name = f"{last},{first} {chr(65 + person % 26)}"
        other = f"{last},{rng.choice(_FIRST)}" if person % 4 == 0 else ""
        dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
        cii = f"A{person:08d}"
        n = min(len(kinds) - i, rng.choice([1, 1, 1, 2, 3]))
        court = rng.choice(_COURTS)
        case_no = f"{'BA' if 'CASC' in court else 'M'}{rng.randrange(100000, 999999)}"
        for k in range(n):
            kind = kinds[i]
            i += 1
            section = rng.choice(list(_SECTIONS))
            level = "misdemeanor" if section == "11357" or rng.random() < 0.2 else "felony"
            conv_date = dt.date(1975, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
            cnt_order = f"{(k // 2) + 1:03d}001{k + 1:03d}"
            relief = ""
            determination = "Hand Review"
            outcome = "hand_review"
            reason, reason_code, rule = "Sentence status unknown", "SENTENCE_UNKNOWN", "hand_review"
            prior = {}
            exclusion = ""
            track = "completed sentence"
            if kind in ("eligible", "juvenile"):
                outcome = "eligible"
                relief = (
                    "dismiss_and_seal"
                    if level != "felony" or section in ("11357", "11358")
                    else "redesignate_misdemeanor"
                )
                if rng.random() < 0.03 or (kind == "eligible" and len(rows) % 25 == 7):
                    relief = "recall_and_resentence"
                determination = "Eligible for Dismissal" if relief == "dismiss_and_seal" else "Eligible for Reduction"
                reason, reason_code, rule = (
                    ("Misdemeanor or infraction", "MISDEMEANOR_OR_INFRACTION", "misdemeanor")
                    if level != "felony"
                    else (f"Policy: HS {section} felonies", "POLICY_SECTION", f"policy_{section}")
                )
                if relief == "recall_and_resentence":
                    track = "currently serving"
            elif kind == "not_eligible":
                outcome = "not_eligible"
                determination = "Not eligible"
                reason, reason_code, rule = (
                    "Prior super strike (PC 667(e)(2)(C)(iv))",
                    "PRIOR_SUPERSTRIKE",
                    "superstrike",
                )
                prior = {
                    "prior_kind": "super_strike",
                    "prior_section": "187 PC",
                    "prior_date": (conv_date - dt.timedelta(days=2000)).isoformat(),
                    "prior_court": court,
                    "prior_case_numbers": f"P{rng.randrange(100000, 999999)}",
                }
                exclusion = "disqualifying_prior"
            elif kind == "out_of_scope":
                outcome = "out_of_scope"
                determination = "Out of scope"
                conv_date = dt.date(2017, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 5))
                reason, reason_code, rule = "Conduct after 9 November 2016", "OUT_OF_SCOPE_AFTER_LINE", "after_line"
                exclusion = "after_line"
            arrest = conv_date - dt.timedelta(days=45)
            young = "no"
            if kind == "juvenile":
                arrest = dob + dt.timedelta(days=365 * 16 + 100)
                conv_date = arrest + dt.timedelta(days=45)
                track, young = "juvenile", "yes"
                relief = "dismiss_and_seal" if relief != "redesignate_misdemeanor" else "redesignate_infraction"
                determination = "Eligible for Dismissal" if relief == "dismiss_and_seal" else "Eligible for Reduction"
                reason, reason_code = "Offense committed under 18", "JUVENILE"
            basis = "" if not relief else ("HS 11361.8(b)" if track == "currently serving" else "HS 11361.8(f)")
            rows.append(
                {
                    "conviction_id": f"{pid}:{cnt_order}",
                    "person_id": pid,
                    "cii_number": cii,
                    "name": name,
                    "other_names": other,
                    "date_of_birth": dob,
                    "date_of_birth_recorded": dob.strftime("%Y%m%d"),
                    "date_of_birth_status": "ok",
                    "gender": "MALE" if person % 2 else "FEMALE",
                    "race": "OTHER",
                    "county": county,
                    "court": court,
                    "case_numbers": case_no,
                    "case_key": f"{pid}:{cnt_order[:6]}",
                    "count": cnt_order[6:],
                    "cnt_order": cnt_order,
                    "conviction_date": conv_date,
                    "conviction_date_recorded": conv_date.strftime("%Y%m%d"),
                    "conviction_date_status": "ok",
                    "offense": _SECTIONS[section],
                    "code_section": f"{section} HS",
                    "section": section,
                    "attempt": False,
                    "level": level,
                    "sentence": "3Y PROBATION",
                    "sentence_end": conv_date + dt.timedelta(days=3 * 365),
                    "sentence_status": "serving" if track == "currently serving" else "complete",
                    "determination": determination,
                    "relief": relief,
                    "relief_label": RELIEF_LABELS.get(relief, ""),
                    "basis": basis,
                    "track": track,
                    "reason_code": reason_code,
                    "reason": reason,
                    "rule_id": rule,
                    "rule_facts": f"level={level}; section={section}",
                    "flags": "",
                    "source_file": "sample.dat",
                    "source_line": len(rows) + 2,
                    "outcome": outcome,
                    "juvenile": young,
                    "arrest_date": arrest,
                    "prior_kind": prior.get("prior_kind", ""),
                    "prior_section": prior.get("prior_section", ""),
                    "prior_date": prior.get("prior_date", ""),
                    "prior_court": prior.get("prior_court", ""),
                    "prior_case_numbers": prior.get("prior_case_numbers", ""),
                    "statutory_exclusion": exclusion,
                    "felony_hint": "",
                }
            )
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


#: The result table's columns (docs/reference/results.md), also for a run with no convictions.
RESULT_COLUMNS = (
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
    "section",
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
    "source_file",
    "source_line",
    # the run-to-filings contract (outcome, juvenile track, the disqualifying prior, the statute's exclusions)
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
)


def write_sample_run(
    run_dir: str | os.PathLike[str],
    eligible: int,
    not_eligible: int = 0,
    hand_review: int = 0,
    *,
    seed: int = 7,
    county: str = "EXAMPLE",
    review: bool = True,
    out_of_scope: int = 0,
    juvenile: int = 0,
) -> Path:
    """Write a sample run directory (manifest, convictions.parquet/.csv, and review.xlsx)."""
    frame = sample_convictions(
        eligible, not_eligible, hand_review, seed=seed, county=county, out_of_scope=out_of_scope, juvenile=juvenile
    )
    return write_run(run_dir, frame, seed=seed, county=county, review=review)


def write_run(
    run_dir: str | os.PathLike[str], frame: pd.DataFrame, *, seed: int = 7, county: str = "EXAMPLE", review: bool = True
) -> Path:
    """Write a run directory from a result table (for example one edited by hand in a test)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(run_dir / "convictions.parquet", index=False)
    inputs_sha = hashlib.sha256(f"inputs-{seed}-{len(frame)}".encode()).hexdigest()
    manifest = {
        "run_id": f"sample-{seed}-{len(frame)}",
        "software_version": "0.1.0",
        "county": county,
        "evaluation_date": "2026-11-21",
        "policy": {
            "name": "california",
            "sha256": hashlib.sha256(b"policy").hexdigest(),
            "source": "preset:california",
        },
        "inputs": [
            {
                "file": "sample.dat",
                "sha256": inputs_sha,
                "bytes": 0,
                "rows_read": len(frame),
                "rows_used": len(frame),
                "rows_skipped": 0,
                "status": "ok",
            }
        ],
        "inputs_sha256": inputs_sha,
        "reconciliation": {"rows_read": len(frame), "rows_used": len(frame), "rows_skipped": 0, "balanced": True},
        "counts": {
            "people": int(frame["person_id"].nunique()) if len(frame) else 0,
            "convictions_evaluated": len(frame),
            "data_issues": 0,
        },
    }
    if review:
        write_review_workbook(run_dir / "review.xlsx", frame, manifest)
    record_outputs(run_dir, manifest)  # every file with its SHA-256, as a finished run records them
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return run_dir


def write_review_workbook(path: str | os.PathLike[str], frame: pd.DataFrame, manifest: dict) -> Path:
    """Write a review workbook in the documented layout, decisions pre-filled from the recommendation."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        str(path), {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    )
    sheet = book.add_worksheet(CONVICTIONS_SHEET)
    for c, header in enumerate(HEADERS):
        sheet.write_string(0, c, header)
    decision_at = HEADERS.index(DECISION_COLUMN)
    sources = [column for _, column, _, _ in CONVICTION_COLUMNS]  # the office's columns start empty
    prefilled = labelled(recommended_decisions(frame), DECISION_LABELS)
    for r, row in enumerate(frame.to_dict("records"), start=1):
        for c, source in enumerate(sources):
            value = row.get(source, "") if source else ""
            if isinstance(value, dt.date):
                value = value.isoformat()
            if value not in ("", None):
                sheet.write_string(r, c, str(value))
        sheet.write_string(r, decision_at, prefilled[r - 1])
    run = book.add_worksheet(RUN_SHEET)
    policy = manifest.get("policy", {})
    for r, (key, value) in enumerate(
        (
            ("run_id", manifest["run_id"]),
            ("inputs_sha256", manifest["inputs_sha256"]),
            ("policy_name", policy.get("name", "")),
            ("policy_sha256", policy.get("sha256", "")),
            ("evaluation_date", manifest.get("evaluation_date", "")),
            ("county", manifest.get("county", "")),
            ("software_version", manifest.get("software_version", "")),
        )
    ):
        run.write_string(r, 0, key)
        run.write_string(r, 1, str(value))
    book.close()
    return Path(path)
