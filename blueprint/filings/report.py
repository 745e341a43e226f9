"""What ``clearance finalize`` prints at the end: the counts and the next step.

The same facts the cloud's "Filings ready" notification carries (``functions/notify.py``): where
the filing set is, how many files (each listed with its SHA-256 in ``index.json`` and
``SHA256SUMS``), and how many convictions are filed for relief, challenged, and left for hand
review; plus the convictions the rules found out of scope. Then what the office does next
(docs/filings.md, "How to file"). Counts and file names only: no person's data.
"""

from __future__ import annotations

from pathlib import Path

from .pipeline import CASE_ORDERS_DIR, CHALLENGES_DIR, NOTICE, ORDER, PD_LIST, PENDING_FILE, ATTACHMENT_A, FilingResult


def _n(value: int, one: str, many: str | None = None) -> str:
    return f"{value:,} {one if value == 1 else (many or one + 's')}"


def finalize_report(result: FilingResult, out: Path) -> str:
    c = result.counts
    granted, challenged = c.get("granted_convictions", 0), c.get("challenged_convictions", 0)
    pending, out_of_scope = c.get("pending_convictions", 0), c.get("out_of_scope_convictions", 0)
    overridden = c.get("overridden_convictions", 0)
    lines = [
        f"Filing set written to {out}: {_n(len(result.files), 'file')} (index.json and SHA256SUMS list each with its SHA-256).",
        f"  Filed for relief (not challenged): {_n(granted, 'conviction')} of {_n(c.get('granted_people', 0), 'person', 'people')}",
        f"  Challenged:                        {_n(challenged, 'conviction')} of {_n(c.get('challenged_people', 0), 'person', 'people')}",
        f"  Left for hand review (not filed):  {_n(pending, 'conviction')}",
        f"  Out of scope (rules: not eligible): {_n(out_of_scope, 'conviction')}"
        + (f", {overridden:,} of them filed for relief by override" if overridden else ""),
        "Next:",
        f"  1. The signing attorney reads and signs {NOTICE}.pdf; file it with {ATTACHMENT_A}.pdf and lodge {ORDER}.pdf;",
        f"     give the clerk {ATTACHMENT_A}.csv and exports/court-cms-update.csv.",
    ]
    if challenged:
        lines.append(f"  2. File and serve each notice in {CHALLENGES_DIR}/ with {PD_LIST}.pdf on the public defender.")
    if any(f["path"].startswith(CASE_ORDERS_DIR + "/") for f in result.files):
        lines.append(f"  -  The per-case orders are in {CASE_ORDERS_DIR}/ for a court that wants them.")
    if pending:
        lines.append(f"  -  Decide the {_n(pending, 'conviction')} left for hand review ({PENDING_FILE}) in the workbook "
                     "and finalize again.")
    lines.append("  See docs/filings.md, 'How to file'.")
    return "\n".join(lines)


__all__ = ["finalize_report"]
