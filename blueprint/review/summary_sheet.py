"""The review workbook's Summary sheet: the run's counts as small readable tables.

The same facts as ``summary.json`` and the HTML report (``blueprint.report.summary.summarize``), laid out
for a person reading the workbook: a heading per table, the labels in words (not codes), counts as
numbers Excel can add up, and no JSON in any cell. Counts only: no person appears on this sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.outcomes import OUTCOME_MEASURES
from ..report.summary import MEASURE_LABELS


@dataclass
class Table:
    """One table of the sheet: a title, column headings, and rows of text and numbers."""

    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


def _counted(
    title: str,
    counts: dict[str, int],
    labels: dict[str, str] | None = None,
    *,
    what: str = "Convictions",
    keep_zero: bool = True,
) -> Table:
    rows = [[(labels or {}).get(k, k), v] for k, v in counts.items() if keep_zero or v]
    return Table(title, ["", what], rows)


def summary_tables(summary: dict) -> list[Table]:
    """The Summary sheet's tables, in reading order."""
    conv = summary.get("convictions") or {}
    people = summary.get("people") or {}
    labels = summary.get("labels") or {}
    relief_labels = labels.get("relief") or {}
    policy = summary.get("policy") or {}
    processing = summary.get("processing") or {}

    tables = [
        Table(
            "This run",
            ["", ""],
            [
                ["County", summary.get("county", "")],
                ["Evaluation date", summary.get("evaluation_date", "")],
                ["Policy", f"{policy.get('title', '')} ({policy.get('name', '')})".strip()],
                ["Convictions evaluated", conv.get("evaluated", 0)],
                ["People evaluated", people.get("evaluated", 0)],
                ["People with relief recommended on at least one conviction", people.get("helped", 0)],
                ["People with a felony among the evaluated convictions", people.get("had_felony", 0)],
                ["Data issues (sheet 'Data issues')", summary.get("data_issues", 0)],
                ["Earliest conviction date", conv.get("earliest_conviction_date") or "unknown"],
                ["Latest conviction date", conv.get("latest_conviction_date") or "unknown"],
                ["Convictions with an unknown date", conv.get("unknown_conviction_dates", 0)],
            ],
        )
    ]
    tables.append(_counted("Convictions by determination", conv.get("by_determination") or {}))
    tables.append(
        _counted(
            "Convictions by outcome (out of scope: neither relief nor challenge)",
            conv.get("by_outcome") or {},
            labels.get("outcome") or {},
        )
    )
    tables.append(
        _counted(
            "Convictions the statute may exclude (relief needs the reviewer's override)",
            conv.get("by_statutory_exclusion") or {},
            labels.get("statutory_exclusion") or {},
        )
    )
    tables.append(_counted("Convictions by recommended relief", conv.get("by_relief") or {}, relief_labels))
    tables.append(_counted("Convictions by level", conv.get("by_level") or {}))
    tables.append(_counted("Convictions by sentence", conv.get("by_track") or {}))

    by_section = conv.get("by_section_and_relief") or {}
    reliefs = [code for code in relief_labels if any(code in counts for counts in by_section.values())]
    section_rows = []
    cited = labels.get("section") or {}  # each section as the rule pack cites it (HS 11357)
    for section, counts in by_section.items():
        name = cited.get(section, section)
        section_rows.append([name, *(counts.get(code, 0) for code in reliefs), sum(counts.values())])
    tables.append(
        Table(
            "Convictions by code section and recommended relief",
            ["Code section", *(relief_labels.get(code, code) for code in reliefs), "Total"],
            section_rows,
        )
    )

    reason_labels = labels.get("reason_code") or {}
    tables.append(
        Table(
            "Convictions by reason",
            ["Reason", "Convictions", "Reason code"],
            [[reason_labels.get(code, code), n, code] for code, n in (conv.get("by_reason_code") or {}).items()],
        )
    )

    scenarios = summary.get("scenarios") or []
    tables.append(
        Table(
            "People: what relief changes on their records",
            ["", *(s.get("label", "") for s in scenarios)],
            [[MEASURE_LABELS.get(m, m), *(s.get(m, 0) for s in scenarios)] for m in OUTCOME_MEASURES],
        )
    )

    names = {"race": "race", "sex": "sex", "age_band": "age on the evaluation date"}
    for key, rows in (summary.get("demographics") or {}).items():
        tables.append(
            Table(
                f"People by {names.get(key, key)}",
                ["", "People", "Helped under the policy"],
                [[r.get("group", ""), r.get("people", 0), r.get("helped", 0)] for r in rows],
            )
        )

    tables.append(
        Table(
            "Input files",
            ["File", "Status", "Rows read", "Rows used", "Rows skipped", "SHA-256"],
            [
                [
                    f.get("file", ""),
                    f.get("status", ""),
                    f.get("rows_read", 0),
                    f.get("rows_used", 0),
                    f.get("rows_skipped", 0),
                    f.get("sha256", ""),
                ]
                for f in processing.get("files") or []
            ],
        )
    )
    seconds = processing.get("timings_seconds") or {}
    if seconds:
        tables.append(Table("Processing time", ["Step", "Seconds"], [[k, v] for k, v in seconds.items()]))
    return tables


def write_summary_sheet(wb, summary: dict, header, title) -> None:
    """Add the Summary sheet to an XlsxWriter workbook (small: cells are written one by one)."""
    ws = wb.add_worksheet("Summary")
    ws.set_column(0, 0, 58)
    ws.set_column(1, 6, 18)
    row = 0
    for table in summary_tables(summary):
        ws.write_string(row, 0, table.title, title)
        row += 1
        if any(table.columns):
            for c, name in enumerate(table.columns):
                ws.write_string(row, c, name, header)
            row += 1
        for values in table.rows:
            for c, value in enumerate(values):
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(row, c, value)
                else:
                    ws.write_string(row, c, "" if value is None else str(value))
            row += 1
        row += 1  # a blank row between tables


__all__ = ["Table", "summary_tables", "write_summary_sheet"]
