"""The review workbook (``review.xlsx``): what the office reads, decides in, and sends back.

One row per evaluated conviction on the **Convictions** sheet with everything a deputy DA needs to
follow the decision (the rule, the facts that made it fire, the statute) and four columns for the
office's own decision. The ``Prosecutor decision`` column has a dropdown and is pre-filled from the
recommendation, so "approve everything recommended" is simply sending the workbook back unchanged.
The dropdown offers the decisions of the run's rule pack (no public-safety challenge for a pack whose
statute has no such ground) and follows each row's track: the public-safety challenge is offered only
where the person is still serving the sentence (``blueprint.engine.filing_rules``). Its prompt and
error message are the pack's words (``review_prompts`` in its ``pack.yaml``). One list validation covers
every row, its list chosen per row by a formula on the row's ``Track`` cell, so a large county's sheet
costs nothing more to write; ``finalize`` refuses the ground on any other row as well.
The layout is a stable interface (docs/reference/results.md), defined once in
``blueprint.review.layout``: ``blueprint.review.reader`` reads it back.

Made for an office working in Excel or LibreOffice: the Convictions sheet is protected (no
password) so that only the four decision columns can be edited, and filtering still works; every
dropdown shows a prompt and refuses a value outside its list with an explanation; rows still
"Hand review pending" are highlighted; the decision columns are wide enough for their values. The
Summary sheet is a set of small tables (``blueprint.review.summary_sheet``), the Data issues sheet ties
each issue to its person, conviction and source line, and the Run sheet lists every input file with
its status.

Written with XlsxWriter in constant-memory mode (rows are streamed to disk), with dates as real Excel
dates, a frozen header, filters and sensible widths.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import xlsxwriter

from ..engine import filing_rules
from ..engine.pack_spec import pack_texts
from ..engine.policy import Policy
from ..runtime.xlsx_rows import Column, column_letter, replace_rows, text_column
from .layout import (
    CONVICTION_COLUMNS,
    CONVICTIONS_SHEET,
    DECISION_COLUMN,
    DECISION_LABELS,
    DECISIONS_NOT_SERVING,
    LIST_NOT_SERVING,
    LIST_SERVING,
    LISTS_SHEET,
    NOTES_COLUMN,
    OVERRIDE_COLUMN,
    PERSON_ID_HEADER,
    RELIEF_COLUMN,
    RELIEF_LABELS,
    RUN_SHEET,
    Decision,
    labelled,
    pack_decision_labels,
    pack_conviction_columns,
    pack_decisions,
    pack_person_id_label,
    recommended_decisions,
)
from .summary_sheet import write_summary_sheet

#: The office's columns and their widths in characters: the two dropdowns fit their longest value.
OFFICE_COLUMNS: tuple[tuple[str, int], ...] = (
    (DECISION_COLUMN, max(len(d) for d in DECISION_LABELS.values()) + 3),
    (RELIEF_COLUMN, 20),  # widened to the rule pack's longest relief label (_convictions_sheet)
    (NOTES_COLUMN, 40),
    (OVERRIDE_COLUMN, 12),
)
#: Environment variable with a password for the Convictions sheet's protection (none by default).
PASSWORD_ENV = "CLEARANCE_WORKBOOK_PASSWORD"
#: Fill of the rows whose decision is still "Hand review pending".
HAND_REVIEW_FILL = "#F8CBAD"

EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
EXCEL_MAX_ROWS = 1_048_576


def _excel_serial(values: pd.Series) -> np.ndarray:
    days = pd.Series(values).to_numpy("datetime64[D]")
    serial = (days - EXCEL_EPOCH).astype("timedelta64[D]").astype(float)
    serial[np.isnat(days)] = np.nan
    return serial


def write_review_workbook(
    path: Path,
    decisions: pd.DataFrame,
    *,
    policy: Policy,
    run: dict,
    summary: dict | None = None,
    issues: pd.DataFrame | None = None,
    people: pd.DataFrame | None = None,
    inputs: Iterable[dict] = (),
    census: pd.DataFrame | None = None,
) -> Path:
    """Write ``review.xlsx``. ``run`` holds the Run sheet's keys (run_id, inputs_sha256, …);
    ``summary`` is ``summary.json``'s content; ``inputs`` the per-file reports of the manifest.

    ``census`` (``blueprint.intake.census``) adds the "Offense texts" sheet, after the others.
    """
    path = Path(path)
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    header = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True, "valign": "top"})
    office = wb.add_format({"bold": True, "bg_color": "#FCE9B6", "border": 1, "text_wrap": True, "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 12})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    input_fmt = wb.add_format({"bg_color": "#FFF8E1", "locked": False})
    pending_fmt = wb.add_format({"bg_color": HAND_REVIEW_FILL})

    bulk: dict[int, tuple[int, list[Column]]] = {}
    labels = pack_decision_labels(policy.rule_pack)
    bulk[1] = (
        2,
        _convictions_sheet(
            wb,
            decisions,
            header,
            office,
            date_fmt,
            input_fmt,
            policy.relief_labels,
            pending_fmt,
            labels,
            decision_text(policy.rule_pack),
            pack_conviction_columns(policy.rule_pack),
        ),
    )
    person_id_label = pack_person_id_label(policy.rule_pack)
    bulk[2] = (2, _people_sheet(wb, decisions if people is None else people, header, person_id_label))
    write_summary_sheet(wb, summary or {}, header, title)
    issue_rows = _issues_sheet(wb, issues, header)
    if issue_rows:
        bulk[4] = (2, issue_rows)
    _policy_sheet(wb, policy, header)
    run_sheet = _key_value_sheet(wb, RUN_SHEET, list(run.items()), header)
    _inputs_table(run_sheet, list(inputs), len(run) + 2, header)
    run_sheet.protect()  # the Run sheet identifies the run; finalisation compares it
    _lists_sheet(wb, labels, pack_decisions(policy.rule_pack))
    if census is not None:
        from ..intake.census import add_offense_texts_sheet

        added = add_offense_texts_sheet(wb, census, header, EXCEL_MAX_ROWS)
        if added:
            bulk[added[0]] = (2, added[1])
    wb.close()
    replace_rows(path, {k: v for k, v in bulk.items() if v[1]})
    return path


#: Prompt and error text of the decision dropdown for a pack without ``review_prompts`` (a pack
#: that loads has them: ``blueprint.engine.pack_texts``).
DECISION_TEXT = (
    "The office's position. 'No challenge' asks for the recommended relief; "
    "'Hand review pending' leaves the conviction out of this filing.",
    "Choose a decision from this row's list (click the arrow at the right of the cell).",
)
#: Prompt and error text of the other dropdowns (Excel shows at most 255 characters of each).
DROPDOWN_TEXT = {
    RELIEF_COLUMN: (
        "Read only when the decision is 'No challenge - different relief': the relief the office asks "
        "for instead of the recommended one. Leave it empty otherwise.",
        "Choose a relief from the list, or leave the cell empty.",
    ),
    OVERRIDE_COLUMN: (
        "Put Y to ask for relief on a conviction the rules found not eligible. Every override is "
        "listed in the filing summary.",
        "Only Y, or an empty cell, is allowed here.",
    ),
}


def decision_text(rule_pack: str | None) -> tuple[str, str]:
    """The prompt and error message of the decision dropdown: the rule pack's ``review_prompts``."""
    prompts = pack_texts(rule_pack).review_prompts if rule_pack else None
    return (prompts.decision_prompt, prompts.decision_error) if prompts is not None else DECISION_TEXT


def _dropdown(
    ws,
    row: int,
    last: int,
    col: int,
    name: str,
    values: list[str] | str,
    *,
    blank_ok: bool,
    text: tuple[str, str] | None = None,
) -> None:
    """A list validation with its prompt and error text (``text``, else the column's in
    :data:`DROPDOWN_TEXT`); ``values`` is the list, or a formula giving it."""
    prompt, error = text or DROPDOWN_TEXT[name]
    ws.data_validation(
        row,
        col,
        last,
        col,
        {
            "validate": "list",
            "source": values,
            "ignore_blank": blank_ok,
            "input_title": name[:32],
            "input_message": prompt[:255],
            "error_type": "stop",
            "error_title": name[:32],
            "error_message": error[:255],
        },
    )


def _convictions_sheet(
    wb,
    d: pd.DataFrame,
    header,
    office,
    date_fmt,
    input_fmt,
    relief_labels: dict[str, str] = RELIEF_LABELS,
    pending_fmt=None,
    labels: dict[Decision, str] = DECISION_LABELS,
    decision_prompts: tuple[str, str] = DECISION_TEXT,
    conviction_columns: tuple[tuple[str, str, int, str], ...] = CONVICTION_COLUMNS,
) -> list[Column]:
    """The Convictions sheet: the run's ``conviction_columns`` (as the rule pack heads them), then the
    office's, whose dropdowns offer the pack's decisions (``labels``) and reliefs (``relief_labels``)."""
    ws = wb.add_worksheet(CONVICTIONS_SHEET)
    n = len(d)
    ncols = len(conviction_columns) + len(OFFICE_COLUMNS)
    for c, (title, _, width, _) in enumerate(conviction_columns):
        ws.set_column(c, c, width)
        ws.write_string(0, c, title, header)
    first_office = len(conviction_columns)
    for i, (title, width) in enumerate(OFFICE_COLUMNS):
        c = first_office + i
        if title == DECISION_COLUMN:
            width = max(width, max(len(v) for v in labels.values()) + 3)
        if title == RELIEF_COLUMN:
            width = max(width, max((len(v) for v in relief_labels.values()), default=0) + 3)
        ws.set_column(c, c, width)
        ws.write_string(0, c, title, office)
    ws.freeze_panes(1, 3)
    ws.set_row(0, 30)
    ws.autofilter(0, 0, max(n, 1), ncols - 1)
    # Only the decision columns can be edited (their cells are unlocked). By default without a
    # password, so an office can lift the protection on purpose (Review > Unprotect Sheet); a county
    # that wants one sets CLEARANCE_WORKBOOK_PASSWORD (a deterrent: Excel's sheet passwords are weak).
    ws.protect(
        os.environ.get(PASSWORD_ENV, ""),
        {
            "autofilter": True,
            "sort": False,
            "format_columns": True,
            "format_rows": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )
    if n:
        track = column_letter(next(c for c, (_, col, _, _) in enumerate(conviction_columns) if col == "track"))
        # Relative to the first data row, so each row's list follows its own Track cell.
        _dropdown(
            ws,
            1,
            n,
            first_office,
            DECISION_COLUMN,
            f'=IF(${track}2="{filing_rules.TRACK_SERVING}",{LIST_SERVING},{LIST_NOT_SERVING})',
            blank_ok=False,
            text=decision_prompts,
        )
        _dropdown(ws, 1, n, first_office + 1, RELIEF_COLUMN, list(relief_labels.values()), blank_ok=True)
        _dropdown(ws, 1, n, first_office + 3, OVERRIDE_COLUMN, ["Y"], blank_ok=True)
        if pending_fmt is not None:
            decision = column_letter(first_office)
            ws.conditional_format(
                1,
                0,
                n,
                ncols - 1,
                {
                    "type": "formula",
                    "format": pending_fmt,
                    "criteria": f'=${decision}2="{labels[Decision.HAND_REVIEW_PENDING]}"',
                },
            )

    # One probe row carries each column's format; the rows themselves are generated in bulk
    # (blueprint.runtime.xlsx_rows) because per-cell writes cost seconds on a large county.
    for c, (_, _, _, kind) in enumerate(conviction_columns):
        if kind == "date":
            ws.write_blank(1, c, None, date_fmt)
    for extra in range(len(OFFICE_COLUMNS)):
        ws.write_blank(1, len(conviction_columns) + extra, None, input_fmt)
    if n == 0:
        return []
    columns = []
    for _, col, _, kind in conviction_columns:
        if kind == "date":
            columns.append(Column(_excel_serial(d[col]), "number"))
        else:
            columns.append(Column(text_column(d[col])))
    columns.append(Column(labelled(recommended_decisions(d), labels), keep_empty=True))
    blank = np.full(n, "", dtype=object)
    columns.extend(Column(blank, keep_empty=True) for _ in range(len(OFFICE_COLUMNS) - 1))
    return columns


def _lists_sheet(wb, labels: dict[Decision, str], offered: tuple[Decision, ...] = tuple(Decision)) -> None:
    """The hidden sheet with the decision dropdown's two lists, named for the per-row formula: the
    decisions the rule pack ``offered``, and those of them open to a person not serving a sentence."""
    ws = wb.add_worksheet(LISTS_SHEET)
    lists = ([labels[d] for d in offered], [labels[d] for d in offered if d in DECISIONS_NOT_SERVING])
    for r in range(max(map(len, lists))):  # row by row: the workbook streams rows (constant memory)
        for c, values in enumerate(lists):
            if r < len(values):
                ws.write_string(r, c, values[r])
    wb.define_name(LIST_SERVING, f"={LISTS_SHEET}!$A$1:$A${len(lists[0])}")
    wb.define_name(LIST_NOT_SERVING, f"={LISTS_SHEET}!$B$1:$B${len(lists[1])}")
    ws.protect()
    ws.hide()


def _people_sheet(wb, d: pd.DataFrame, header, person_id_label: str = PERSON_ID_HEADER) -> list[Column]:
    ws = wb.add_worksheet("People")
    titles = [
        "Person ID",
        "Name",
        person_id_label,
        "Other names",
        "Evaluated convictions",
        "With relief recommended",
        "Hand review",
        "Not eligible",
        "Out of scope",
    ]
    widths = [11, 24, 11, 24, 11, 11, 11, 11, 11]
    for c, (t, w) in enumerate(zip(titles, widths)):
        ws.set_column(c, c, w)
        ws.write_string(0, c, t, header)
    ws.freeze_panes(1, 1)
    if len(d) == 0:
        return []
    # Counted by the typed outcome, never by the label (an out-of-scope conviction is not "not eligible").
    outcome = filing_rules.outcomes(d)
    g = d.assign(
        _relief=d["relief"].astype(str) != "",
        _hand=outcome == filing_rules.HAND_REVIEW,
        _not=outcome == filing_rules.NOT_ELIGIBLE,
        _out=outcome == filing_rules.OUT_OF_SCOPE,
    ).groupby("person_id", sort=False)
    people = pd.DataFrame(
        {
            "name": g["name"].first(),
            "cii": g["cii_number"].first(),
            "other": g["other_names"].first(),
            "n": g.size(),
            "relief": g["_relief"].sum(),
            "hand": g["_hand"].sum(),
            "not_eligible": g["_not"].sum(),
            "out_of_scope": g["_out"].sum(),
        }
    )
    ws.autofilter(0, 0, len(people), len(titles) - 1)
    return [
        Column(people.index.astype(str).to_numpy(dtype=object)),
        Column(people["name"].astype(str).to_numpy(dtype=object)),
        Column(people["cii"].astype(str).to_numpy(dtype=object)),
        Column(people["other"].fillna("").astype(str).to_numpy(dtype=object)),
        Column(people["n"].to_numpy(dtype=float), "number"),
        Column(people["relief"].to_numpy(dtype=float), "number"),
        Column(people["hand"].to_numpy(dtype=float), "number"),
        Column(people["not_eligible"].to_numpy(dtype=float), "number"),
        Column(people["out_of_scope"].to_numpy(dtype=float), "number"),
    ]


def _key_value_sheet(wb, name: str, rows: list[tuple[str, object]], header):
    ws = wb.add_worksheet(name)
    ws.set_column(0, 0, 48)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, "Item", header)
    ws.write_string(0, 1, "Value", header)
    for r, (k, v) in enumerate(rows, start=1):
        ws.write_string(r, 0, str(k))
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, 1, v)
        else:
            ws.write_string(r, 1, "" if v is None else str(v))
    return ws


#: The Data issues sheet: (header, report column) in order (``blueprint.intake.issues.REPORT_COLUMNS``).
ISSUE_SHEET_COLUMNS = (
    ("Source file", "file"),
    ("Source line", "line"),
    ("Person ID", "person_id"),
    ("Conviction ID", "conviction_id"),
    ("Column", "column"),
    ("Code", "code"),
    ("Problem", "problem"),
    ("What the engine did", "action"),
    ("Value", "value"),
)


def _issues_sheet(wb, issues: pd.DataFrame | None, header) -> list[Column]:
    ws = wb.add_worksheet("Data issues")
    titles = [t for t, _ in ISSUE_SHEET_COLUMNS]
    widths = [18, 8, 11, 20, 16, 18, 50, 50, 16]
    for c, (t, w) in enumerate(zip(titles, widths)):
        ws.set_column(c, c, w)
        ws.write_string(0, c, t, header)
    ws.freeze_panes(1, 0)
    if issues is None or len(issues) == 0:
        ws.write_string(1, 0, "No data issues were found.")
        return []
    limit = min(len(issues), EXCEL_MAX_ROWS - 2)
    ws.autofilter(0, 0, limit, len(titles) - 1)
    if limit < len(issues):
        ws.write_string(0, len(titles), f"{len(issues) - limit} more issues are listed in data_issues.csv")
    head = issues.iloc[:limit]
    blank = pd.Series("", index=head.index, dtype=object)
    return [
        Column(head.get(c, blank).fillna("").astype(str).to_numpy(dtype=object))
        if c != "line"
        else Column(head["line"].to_numpy(dtype=float), "number")
        for _, c in ISSUE_SHEET_COLUMNS
    ]


def _inputs_table(ws, inputs: list[dict], row: int, header) -> None:
    """Every input file of the run with its status, below the Run sheet's keys: why a failed file
    failed, or which earlier file a repeated one repeats (its rows were used once, from that file)."""
    if not inputs:
        return
    titles = ["Input file", "Status", "Rows read", "Rows used", "Rows skipped", "Problem or note"]
    ws.set_column(2, 4, 12)
    ws.set_column(5, 5, 60)
    for c, t in enumerate(titles):
        ws.write_string(row, c, t, header)
    for r, f in enumerate(inputs, start=row + 1):
        ws.write_string(r, 0, str(f.get("file", "")))
        ws.write_string(r, 1, str(f.get("status", "")))
        for c, key in enumerate(("rows_read", "rows_used", "rows_skipped"), start=2):
            ws.write_number(r, c, int(f.get(key) or 0))
        ws.write_string(r, 5, str(f.get("error") or f.get("note") or ""))


def _policy_sheet(wb, policy: Policy, header) -> None:
    ws = wb.add_worksheet("Policy")
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 50)
    ws.set_column(3, 6, 22)
    ws.set_column(7, 7, 50)
    ws.set_column(8, 8, 40)
    ws.write_string(0, 0, f"Policy: {policy.title} ({policy.name}), sha256 {policy.sha256}", header)
    titles = [
        "Order",
        "Rule",
        "When (all must hold)",
        "Determination",
        "Relief",
        "Basis",
        "Reason code",
        "Reason",
        "Law",
    ]
    for c, t in enumerate(titles):
        ws.write_string(2, c, t, header)
    for r, (doc, rule) in enumerate(zip(policy.document["rules"], policy.rules), start=3):
        ws.write_number(r, 0, r - 2)
        ws.write_string(r, 1, rule.id)
        ws.write_string(r, 2, "; ".join(_condition_text(c) for c in doc["when"]))
        ws.write_string(r, 3, rule.determination)
        ws.write_string(r, 4, rule.relief_label)
        ws.write_string(r, 5, rule.basis)
        ws.write_string(r, 6, rule.reason_code)
        ws.write_string(r, 7, rule.reason)
        ws.write_string(r, 8, rule.law)
    r = len(policy.rules) + 4
    ws.write_string(r, 0, "Settings", header)
    for i, (k, v) in enumerate(policy.settings.items(), start=r + 1):
        ws.write_string(i, 1, str(k))
        ws.write_string(i, 2, str(v))


def _condition_text(cond: dict) -> str:
    ((name, arg),) = cond.items()
    if name == "any":
        return "any of (" + ", ".join(_condition_text(c) for c in arg) + ")"
    if isinstance(arg, dict):
        ((op, n),) = arg.items()
        return f"{name.replace('_', ' ')} {op.replace('_', ' ')} {n:g}" if isinstance(n, float) else f"{name} {op} {n}"
    if isinstance(arg, list):
        return f"{name.replace('_', ' ')}: {', '.join(map(str, arg))}"
    return f"{name.replace('_', ' ')}: {arg}"
