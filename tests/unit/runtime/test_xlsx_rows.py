"""Bulk rows generated into an XlsxWriter workbook read back exactly (openpyxl)."""

import math

import numpy as np
import pytest
import xlsxwriter
from openpyxl import load_workbook

from blueprint.runtime.xlsx_rows import Column, column_letter, replace_rows


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 27, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AB",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]


def test_rows_keep_text_numbers_styles_and_escape_what_xml_forbids(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    fill = wb.add_format({"bg_color": "#FFF8E1"})
    ws.write_string(0, 0, "Text")
    ws.write_string(0, 1, "Date")
    ws.write_string(0, 2, "Input")
    ws.write_blank(1, 1, None, date)  # the probe row carries each column's format
    ws.write_blank(1, 2, None, fill)
    wb.close()
    texts = np.array(["A & B <c>", "  padded", "", "bell\x07gone", "tab\tkept"], dtype=object)
    serials = np.array([45000.0, math.nan, 36526.0, 1.5, 0.0])
    replace_rows(
        path,
        {
            1: (
                2,
                [
                    Column(texts),
                    Column(serials, "number"),
                    Column(np.array(["x", "", "", "", ""], dtype=object), keep_empty=True),
                ],
            )
        },
    )

    sheet = load_workbook(path)["Sheet"]
    assert [sheet.cell(r, 1).value for r in range(2, 7)] == ["A & B <c>", "  padded", None, "bellgone", "tab\tkept"]
    assert sheet.cell(2, 2).value.date().isoformat() == "2023-03-15"  # Excel serial 45000 with the date format
    assert sheet.cell(3, 2).value is None
    assert sheet.cell(4, 2).number_format == "yyyy-mm-dd"
    # Empty input cells keep the input colour, so staff see where to type.
    assert [sheet.cell(r, 3).fill.fgColor.rgb for r in (2, 5)] == ["FFFFF8E1", "FFFFF8E1"]
    assert sheet.max_row == 6
    # As XlsxWriter does, only text with leading or trailing white space is marked to keep it.
    import zipfile

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert '<t xml:space="preserve">  padded</t>' in xml
    assert "<t>A &amp; B &lt;c&gt;</t>" in xml and "<t>tab\tkept</t>" in xml
    assert xml.count("xml:space") == 1


def test_text_columns_reach_arrow_as_str_would_write_them():
    import pandas as pd

    from blueprint.runtime.xlsx_rows import text_column

    python_strings = pd.Series(["a", None, "c"], dtype=object)
    arrow_backed = pd.Series(["a", None, "c"], dtype="str")
    mixed = pd.Series(["a", 7, float("nan"), 2.5], dtype=object)
    assert text_column(python_strings).to_pylist() == ["a", "", "c"]
    assert text_column(arrow_backed).to_pylist() == ["a", "", "c"]
    assert text_column(mixed).to_pylist() == ["a", "7", "", "2.5"]


def test_the_rewritten_archive_keeps_every_member_in_order_and_refuses_a_missing_sheet(tmp_path):
    import zipfile

    path = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("One", "Two", "Three"):
        ws = wb.add_worksheet(name)
        ws.write_string(0, 0, "Header")
    wb.close()
    before = zipfile.ZipFile(path).namelist()

    replace_rows(path, {1: (2, [Column(np.array(["a", "b"], dtype=object))]), 3: (2, [Column(np.array(["c"]))])})
    assert zipfile.ZipFile(path).namelist() == before
    book = load_workbook(path)
    assert [book["One"].cell(r, 1).value for r in (1, 2, 3)] == ["Header", "a", "b"]
    assert [book["Three"].cell(r, 1).value for r in (1, 2)] == ["Header", "c"]
    assert book["Two"].max_row == 1

    with pytest.raises(KeyError, match="no sheet xl/worksheets/sheet4.xml"):
        replace_rows(path, {4: (2, [Column(np.array(["d"]))])})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]  # nothing half-written left behind


def _one_sheet(path):
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Sheet")
    ws.write_string(0, 0, "Text")
    ws.write_string(0, 1, "Number")
    wb.close()


def test_a_sheet_made_in_blocks_is_the_sheet_made_at_once(tmp_path, monkeypatch):
    """The rows are made and compressed a block at a time; the sheet must not show where blocks meet."""
    import zipfile

    import blueprint.runtime.xlsx_rows as xlsx_rows

    texts = np.array([f"row {i} & more" for i in range(7)], dtype=object)
    numbers = np.arange(7, dtype=float)
    sheets = {}
    for block_rows in (3, 1000):
        monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", block_rows)
        path = tmp_path / f"blocks-{block_rows}.xlsx"
        _one_sheet(path)
        replace_rows(path, {1: (2, [Column(texts), Column(numbers, "number")])})
        with zipfile.ZipFile(path) as book:
            info = book.getinfo("xl/worksheets/sheet1.xml")
            sheets[block_rows] = (book.read(info.filename), info.CRC, info.compress_size)
    assert sheets[3] == sheets[1000]  # the same XML, and the same compressed bytes
    sheet = load_workbook(tmp_path / "blocks-3.xlsx")["Sheet"]
    assert [sheet.cell(r, 1).value for r in range(2, 9)] == list(texts)
    assert [sheet.cell(r, 2).value for r in range(2, 9)] == list(range(7))
    assert b'<dimension ref="A1:B8"/>' in sheets[3][0]


def test_a_failure_in_a_later_block_leaves_the_workbook_as_it_was(tmp_path, monkeypatch):
    import blueprint.runtime.xlsx_rows as xlsx_rows

    monkeypatch.setattr(xlsx_rows, "BLOCK_ROWS", 2)
    path = tmp_path / "t.xlsx"
    _one_sheet(path)
    before = path.read_bytes()
    numbers = np.array(["1", "2", "3", "not a number"], dtype=object)  # the second block cannot be made
    with pytest.raises(ValueError, match="could not convert"):
        replace_rows(path, {1: (2, [Column(np.array(["a", "b", "c", "d"], dtype=object)), Column(numbers, "number")])})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]
