"""What ``clearance finalize`` prints at the end: the counts and the next step.

The same facts the cloud's "Filings ready" notification carries (``functions/notify.py``): where
the filing set is, how many files (each listed with its SHA-256 in ``index.json`` and
``SHA256SUMS``), and how many convictions are filed for relief, challenged, and left for hand
review; plus the convictions listed as out of scope, those of offenses committed under 18 (filed
in the juvenile court), and for a supplemental set those already filed. Then what the office does next
(docs/filings.md, "How to file"). Counts and file names only: no person's data.
"""

from __future__ import annotations

from pathlib import Path

from .pipeline import (
    ATTACHMENT_A,
    ATTACHMENT_A_PUBLIC,
    CASE_ORDERS_DIR,
    CHALLENGES_DIR,
    JUVENILE_NOTICE,
    NOTICE,
    ORDER,
    OUT_OF_SCOPE_FILE,
    PD_LIST,
    PENDING_FILE,
    FilingResult,
)


def _n(value: int, one: str, many: str | None = None) -> str:
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def finalize_report(result: FilingResult, out: Path) -> str:
    c = result.counts
    granted, challenged = c.get("granted_convictions", 0), c.get("challenged_convictions", 0)
    pending, out_of_scope = c.get("pending_convictions", 0), c.get("out_of_scope_convictions", 0)
    overridden = c.get("overridden_convictions", 0)
    juvenile, earlier = c.get("juvenile_convictions", 0), c.get("earlier_filed_convictions", 0)
    supplement = result.supplement
    lines = [
        f"{'Supplemental filing set' if supplement else 'Filing set'} written to {out}: {_n(len(result.files), 'file')} "
        "(index.json and SHA256SUMS list each with its SHA-256).",
    ]
    if supplement:
        lines.append(
            f"  Supplement to {supplement['folder']}: {_n(earlier, 'conviction')} filed there skipped (never filed twice); "
            f"Attachment A continues at item {supplement['last_item'] + 1:,}."
        )
    lines += [
        f"  Filed for relief (not challenged): {_n(granted, 'conviction')} of {_n(c.get('granted_people', 0), 'person', 'people')}"
        + (f", {overridden:,} of them by override of the rules' finding" if overridden else ""),
    ]
    if juvenile:
        lines.append(
            f"  Offenses committed under 18:       {_n(juvenile, 'conviction')} of "
            f"{_n(c.get('juvenile_people', 0), 'person', 'people')} (their own notice, to the juvenile court)"
        )
    lines += [
        f"  Challenged:                        {_n(challenged, 'conviction')} of {_n(c.get('challenged_people', 0), 'person', 'people')}",
        f"  Left for hand review (not filed):  {_n(pending, 'conviction')}",
        f"  Out of scope (not filed, listed):  {_n(out_of_scope, 'conviction')}",
        "Next:",
        f"  1. The signing attorney reads and signs {NOTICE}.pdf; file it with {ATTACHMENT_A}.pdf and lodge {ORDER}.pdf;",
        f"     give the clerk {ATTACHMENT_A}.csv and exports/court-cms-update.csv.",
    ]
    if any(f["path"] == f"{ATTACHMENT_A_PUBLIC}.pdf" for f in result.files):
        lines.append(
            f"     Attachment A is to be lodged conditionally under seal with the office's application to seal; "
            f"file {ATTACHMENT_A_PUBLIC}.pdf publicly."
        )
    if challenged:
        lines.append(
            f"  2. File and serve each notice in {CHALLENGES_DIR}/ with {PD_LIST}.pdf on the public defender; the "
            "server completes and signs each notice's proof of service."
        )
    if juvenile:
        lines.append(f"  -  File {JUVENILE_NOTICE}.pdf in the juvenile court.")
    if any(f["path"].startswith(CASE_ORDERS_DIR + "/") for f in result.files):
        lines.append(f"  -  The per-case orders are in {CASE_ORDERS_DIR}/ for a court that wants them.")
    if pending:
        lines.append(
            f"  -  Decide the {_n(pending, 'conviction')} left for hand review ({PENDING_FILE}) in the workbook, "
            f"then file them with finalize --supplement-to {out}."
        )
    if out_of_scope:
        lines.append(f"  -  The convictions out of scope are listed in {OUT_OF_SCOPE_FILE} and the filing summary.")
    lines.append("  See docs/filings.md, 'How to file'.")
    return "\n".join(lines)


__all__ = ["finalize_report"]
