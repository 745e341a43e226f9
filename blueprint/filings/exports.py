"""The machine-readable files: Attachment A as CSV and XLSX, the court's case-management (CMS) update,
the DOJ disposition update, the public defender's list and the pending list.

Courts asked for a machine-readable list so their clerks update case-management systems without
retyping. The column names and their order below are a stable, documented interface
(``docs/filings.md``): add columns at the end, never rename or reorder.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

#: Attachment A as data: (CSV column, XLSX header, decided-table column), as the default (California)
#: rule pack heads it: :func:`attachment_a_columns` heads the state identification number by the pack's
#: ``person_id_label``. The CSV column names are the same for every state.
ATTACHMENT_A_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("item", "Item", "item"),
    ("court", "Court", "court"),
    ("county", "County", "county"),
    ("case_numbers", "Case number(s)", "case_numbers"),
    ("count", "Count", "count"),
    ("name", "Name", "name"),
    ("other_names", "Other names", "other_names"),
    ("date_of_birth", "Date of birth", "date_of_birth"),
    ("cii_number", "CII", "cii_number"),
    ("conviction_date", "Conviction date", "conviction_date"),
    ("code_section", "Section as convicted", "code_section"),
    ("level", "Level", "level"),
    ("relief", "Relief code", "filed_relief"),
    ("relief_requested", "Relief requested", "filed_relief_label"),
    ("statutory_basis", "Statutory basis", "filed_basis_full"),
    ("conviction_id", "Conviction ID", "conviction_id"),
    ("person_id", "Person ID", "person_id"),
    ("clerk_note", "Note for the clerk", "clerk_note"),
)


def attachment_a_columns(person_id_label: str) -> tuple[tuple[str, str, str], ...]:
    """:data:`ATTACHMENT_A_COLUMNS` with the XLSX header of ``cii_number`` the rule pack's ``person_id_label``."""
    return tuple(
        (name, person_id_label if name == "cii_number" else header, source)
        for name, header, source in ATTACHMENT_A_COLUMNS
    )


#: The court CMS update: one row per conviction and the relief the order grants.
CMS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("item", "item"),
    ("court", "court"),
    ("county", "county"),
    ("case_numbers", "case_numbers"),
    ("count", "count"),
    ("cnt_order", "cnt_order"),
    ("name", "name"),
    ("date_of_birth", "date_of_birth"),
    ("cii_number", "cii_number"),
    ("conviction_date", "conviction_date"),
    ("code_section", "code_section"),
    ("level", "level"),
    ("relief", "filed_relief"),
    ("relief_requested", "filed_relief_label"),
    ("statutory_basis", "filed_basis_full"),
    ("disposition", "relief_effect"),
    ("level_after_relief", "level_after"),
    ("seal_record", "seal_record"),
    ("hs11590_registration_relief", "registration_relief"),
    ("prosecutor_position", "decision_label"),
    ("override", "override"),
    ("conviction_id", "conviction_id"),
    ("person_id", "person_id"),
)

#: The DOJ disposition update, sent after the court rules: the last two columns are left empty for
#: the clerk to fill from the signed order (date, and GRANTED or DENIED).
DOJ_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("cii_number", "cii_number"),
    ("person_id", "person_id"),
    ("name", "name"),
    ("date_of_birth", "date_of_birth"),
    ("court", "court"),
    ("case_numbers", "case_numbers"),
    ("cnt_order", "cnt_order"),
    ("conviction_date", "conviction_date"),
    ("code_section", "code_section"),
    ("level", "level"),
    ("relief", "filed_relief"),
    ("disposition", "doj_disposition"),
    ("level_after_relief", "level_after"),
    ("statutory_basis", "filed_basis_full"),
    ("attachment_a_item", "item"),
    ("conviction_id", "conviction_id"),
    ("court_order_date", None),
    ("court_ruling", None),
)

#: The public defender's list of challenged convictions.
CHALLENGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("person_id", "person_id"),
    ("name", "name"),
    ("other_names", "other_names"),
    ("date_of_birth", "date_of_birth"),
    ("cii_number", "cii_number"),
    ("court", "court"),
    ("case_numbers", "case_numbers"),
    ("count", "count"),
    ("conviction_date", "conviction_date"),
    ("code_section", "code_section"),
    ("level", "level"),
    ("challenge", "decision_label"),
    ("ground", "ground"),
    ("conviction_id", "conviction_id"),
    ("track", "track"),
)

#: The convictions listed as out of scope (conduct after 9 November 2016): nothing is filed for them.
OUT_OF_SCOPE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("conviction_id", "conviction_id"),
    ("person_id", "person_id"),
    ("workbook_row", "review_row"),
    ("reason", "reason"),
)


def _select(frame: pd.DataFrame, columns) -> pd.DataFrame:
    data = {}
    for out_name, source in columns:
        data[out_name] = frame[source] if source else pd.Series([""] * len(frame), index=frame.index, dtype=object)
    return pd.DataFrame(data)


def write_csv(frame: pd.DataFrame, columns, path: Path) -> Path:
    """Write the chosen columns as RFC 4180 CSV (UTF-8, CRLF), every value as text."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _select(frame, columns).to_csv(path, index=False, lineterminator="\r\n", encoding="utf-8")
    return path


def with_export_columns(
    granted: pd.DataFrame, *, reliefs: dict[str, dict[str, str]], hs11590_release: bool = False
) -> pd.DataFrame:
    """Add the derived columns the CMS and DOJ files carry.

    ``doj_disposition`` is what the DOJ record should say once the court grants the relief: the
    ``doj_disposition`` of the relief in the rule pack's ``reliefs`` (``pack.yaml``; blank if none).

    ``registration_relief`` is ``Y`` only when the filing asks release from HS 11590 registration,
    which it does only when made before that requirement's repeal (``blueprint.engine.filing_rules``)."""
    out = granted.copy()
    out["seal_record"] = ["Y" if r == "dismiss_and_seal" else "N" for r in out["filed_relief"]]
    out["registration_relief"] = "Y" if hs11590_release else "N"
    disposition = {code: kind.get("doj_disposition", "") for code, kind in reliefs.items()}
    out["doj_disposition"] = [disposition.get(r, "") for r in out["filed_relief"]]
    return out


def write_xlsx(frame: pd.DataFrame, columns: tuple[tuple[str, str, str], ...], path: Path, sheet: str) -> Path:
    """Write a table as XLSX with human headers, a frozen header row and filters (all cells text)."""
    from .xlsx import write_text_table

    path.parent.mkdir(parents=True, exist_ok=True)
    wide = ("Name", "Other names", "Relief requested", "Court", "Case number(s)", "Statutory basis")
    widths = [28 if header in wide else 14 for _, header, _ in columns]
    values = [frame[source].tolist() for _, _, source in columns]
    write_text_table(path, sheet, [header for _, header, _ in columns], zip(*values), widths)
    return path
