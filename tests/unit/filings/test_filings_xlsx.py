"""The minimal XLSX writer behind Attachment A's spreadsheet: read back with two independent readers."""

from __future__ import annotations

import hashlib

import openpyxl
import python_calamine

from blueprint.filings.xlsx import column_letter, write_text_table


def test_column_letters():
    assert [column_letter(i) for i in (0, 1, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "B",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_text_cells_read_back_exactly_with_frozen_header_and_filter(tmp_path):
    path = tmp_path / "a.xlsx"
    rows = [("1", "O'NEIL & <SONS>", "0012345", "", "BAD\x01CHAR"), ("2", "DOE,JANE", "001", None, "x")]
    write_text_table(path, "Attachment A", ["Item", "Name", "Case", "Empty", "Notes"], rows, [6, 30, 12, 8, 8])
    sheet = openpyxl.load_workbook(path)["Attachment A"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Item", "Name", "Case", "Empty", "Notes"],
        ["1", "O'NEIL & <SONS>", "0012345", None, "BADCHAR"],  # text stays text: no lost leading zeros
        ["2", "DOE,JANE", "001", None, "x"],
    ]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:E3"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.column_dimensions["B"].width == 30
    calamine = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Attachment A").to_python()
    assert calamine[1][:3] == ["1", "O'NEIL & <SONS>", "0012345"]


def test_the_file_is_reproducible(tmp_path):
    rows = [(str(i), f"NAME{i}") for i in range(100)]
    write_text_table(tmp_path / "a.xlsx", "S", ["Item", "Name"], rows)
    write_text_table(tmp_path / "b.xlsx", "S", ["Item", "Name"], rows)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(tmp_path / "a.xlsx") == digest(tmp_path / "b.xlsx")
