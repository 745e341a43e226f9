"""Fast bulk rows for XlsxWriter workbooks.

XlsxWriter builds everything a reviewer relies on in the workbook (styles, dropdowns, filters,
frozen panes, protection), but it spends about 20 microseconds on every cell: 8 seconds for the
400,000 cells of a large county's review sheet. So the workbook is written in two steps:

1. XlsxWriter writes each sheet's header and one *probe* row whose cells carry the column's format;
2. :func:`replace_rows` rewrites that sheet's rows from the probe row on, generating the cell XML
   column by column, a block of rows at a time (each block is compressed while the next is made),
   and reuses the style numbers XlsxWriter gave the probe cells.

The result is the same OOXML XlsxWriter would write (inline strings, numbers, styles by index); only
the row data is produced here. Excel, LibreOffice and openpyxl read it as usual (tested).
"""

from __future__ import annotations

import re
import shutil
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd

#: Characters XML 1.0 does not allow (control characters other than tab, newline, carriage return).
_CONTROL_RE = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]"
#: Any character that must be removed or escaped in cell text (searched in a column's raw bytes).
_NEEDS_ESCAPE = re.compile(rb"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Column:
    """One column of bulk rows: ``kind`` is ``text`` or ``number``; NaN/empty cells are left out
    unless ``keep_empty`` (then they keep the column's style, e.g. an input cell's colour)."""

    values: Sequence | np.ndarray
    kind: str = "text"
    keep_empty: bool = False


def _cells(letter: str, col: Column, rows: pa.Array, style: str | None) -> pa.Array:
    """The cell XML of one column for every row, built in Arrow (no Python work per cell)."""
    s = f' s="{style}"' if style else ""
    if col.kind == "number":
        values = pa.array(np.asarray(col.values, dtype=float), pa.float64())
        missing = pc.is_nan(values)
        text = pc.cast(values, pa.string())
        cell = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'"{s}><v>', text, "</v></c>", "")
    else:
        values = _text_values(col.values)
        missing = pc.equal(values, "")
        text = values
        if _NEEDS_ESCAPE.search(_back_to_back(values)):  # most columns have nothing to escape
            text = pc.replace_substring_regex(text, _CONTROL_RE, "")
            for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
                text = pc.replace_substring(text, raw, escaped)
        # Like XlsxWriter, mark only text with leading or trailing white space to be kept as is
        # (a fifth of a large sheet's bytes otherwise).
        opening = pc.if_else(pc.match_substring_regex(text, r"^\s|\s$"), '<t xml:space="preserve">', "<t>")
        cell = pc.binary_join_element_wise(
            f'<c r="{letter}', rows, f'"{s} t="inlineStr"><is>', opening, text, "</t></is></c>", ""
        )
    if col.keep_empty and style:
        empty = pc.binary_join_element_wise(f'<c r="{letter}', rows, f'"{s}/>', "")
    else:
        empty = pa.scalar("")
    return pc.if_else(missing, empty, cell)


def _text_values(values: Sequence | np.ndarray) -> pa.Array:
    """A column's values as an Arrow string array, with ``None`` as an empty string.

    The workbook passes Arrow text (see :func:`text_column`) or Python strings, which Arrow copies
    in one step; any other value (a number in a text column) takes the slower path through ``str``.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return pc.fill_null(values.cast(pa.string()), "")
    try:
        return pc.fill_null(pa.array(values, pa.string()), "")
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array(["" if v is None else str(v) for v in values], pa.string())


def text_column(column: pd.Series) -> pa.Array:
    """A pandas column as Arrow text for bulk rows: missing values empty, others as ``str`` writes them.

    Strings (Python or pandas' Arrow-backed ones) go straight to Arrow, without a Python string
    per cell; a column holding anything else is written through ``str``.
    """
    try:
        return pc.fill_null(pa.array(column, pa.string(), from_pandas=True), "")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array(column.fillna("").astype(str).to_numpy(dtype=object), pa.string())


#: Rows of a sheet made at a time. The writer thread compresses each block while the next one is
#: made, so a large sheet's compression (about as long as making its rows) mostly overlaps its
#: making instead of following it; per block, each column costs a few Arrow calls more.
BLOCK_ROWS = 4096


def replace_rows(xlsx: Path, sheets: dict[int, tuple[int, list[Column]]]) -> None:
    """Replace the bulk rows of several sheets: ``{sheet number: (first row, columns)}``.

    Sheet numbers are 1-based in creation order; rows are 1-based. Each sheet must contain a probe
    row at its first row, written by XlsxWriter; the style of each probe cell is reused for its
    column. The archive is rewritten once.
    """
    xlsx = Path(xlsx)
    rewritten = {f"xl/worksheets/sheet{number}.xml": rows for number, rows in sheets.items()}
    tmp = xlsx.with_name(xlsx.name + ".partial")
    # One thread writes the new archive, member after member in the original order, while this one
    # makes the rows: compressing (zlib) and making the rows (Arrow) both run outside Python's
    # global lock, so they overlap on two cores.
    with zipfile.ZipFile(xlsx) as src:
        missing = sorted(set(rewritten) - set(src.namelist()))
        if missing:
            raise KeyError(f"{xlsx.name} has no sheet {missing[0]}")
        try:
            _write_archive(src, tmp, rewritten)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    shutil.move(tmp, xlsx)


def _write_archive(src: zipfile.ZipFile, tmp: Path, rewritten: dict[str, tuple[int, list[Column]]]) -> None:
    """Copy every member of ``src`` into a new archive ``tmp``, in order, the ``rewritten`` sheets
    with their bulk rows (see :func:`replace_rows`).

    A rewritten sheet is written as a stream: its XML is made :data:`BLOCK_ROWS` rows at a time
    (:func:`_rewritten`), and each piece is compressed by the writer thread as soon as it is made.
    Every call on the new archive runs in that one thread, in the order it was asked for.
    """
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst, ThreadPoolExecutor(max_workers=1) as writer:
        written = []
        for item in src.infolist():
            if item.filename not in rewritten:
                written.append(writer.submit(dst.writestr, item, src.read(item.filename)))
                continue
            first_row, columns = rewritten[item.filename]
            # Read before the new archive's writing touches ``item``: ZipFile.open(item, "w") resets
            # its sizes, which a later read from ``src`` would then trust.
            xml = src.read(item.filename)
            _compress_fast(item)
            member = writer.submit(dst.open, item, "w")
            try:
                for piece in _rewritten(xml, item.filename, first_row, columns):
                    written.append(writer.submit(_write_piece, member, piece))
            finally:  # closed however the making ends, so that the archive itself can be closed
                written.append(writer.submit(_close_member, member))
        for step in written:
            step.result()  # a failed write is raised here


def _compress_fast(info: zipfile.ZipInfo) -> None:
    """Deflate ``info``'s member at level 1: a sheet of bulk rows is large and repetitive, and level 1
    compresses it several times faster than zlib's default for a file a few percent larger."""
    info.compress_type = zipfile.ZIP_DEFLATED
    if hasattr(info, "compress_level"):  # Python 3.13 and later name it publicly
        info.compress_level = 1
    else:
        info._compresslevel = 1  # type: ignore[attr-defined]  # what writestr(..., compresslevel=1) sets on 3.11-3.12


def _write_piece(member: Future, piece: bytes | memoryview) -> None:
    member.result().write(piece)


def _close_member(member: Future) -> None:
    member.result().close()


def _rewritten(xml: bytes, member: str, first_row: int, columns: list[Column]) -> Iterator[bytes | memoryview]:
    """The sheet's XML (UTF-8) with the bulk rows in place of the probe row, in pieces: the sheet's
    head, the rows :data:`BLOCK_ROWS` at a time, and its tail."""
    end = xml.find(b"</sheetData>")
    if end == -1:
        raise ValueError(f"{member}: no sheet data to extend")
    start = xml.find(f'<row r="{first_row}"'.encode())
    if start == -1:  # no probe row: the columns have no formats, rows go at the end
        start, styles = end, {}
    else:
        probe = xml[start : xml.find(b"</row>", start)].decode("utf-8")
        styles = dict(re.findall(r'<c r="([A-Z]+)\d+" s="(\d+)"', probe))
    n = len(columns[0].values) if columns else 0
    last_row = max(first_row + n - 1, 1)
    last_col = column_letter(max(len(columns), 1) - 1)
    # The dimension element sits in the sheet's head, before the rows: only the head is searched.
    yield re.sub(
        rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last_col}{last_row}"/>'.encode(), xml[:start], count=1
    )
    letters = [column_letter(i) for i in range(len(columns))]
    for at in range(0, n, BLOCK_ROWS):
        block = [Column(c.values[at : at + BLOCK_ROWS], c.kind, c.keep_empty) for c in columns]
        rows = pc.cast(pa.array(np.arange(first_row + at, first_row + at + len(block[0].values))), pa.string())
        cells = [_cells(letter, c, rows, styles.get(letter)) for letter, c in zip(letters, block)]
        yield _back_to_back(pc.binary_join_element_wise('<row r="', rows, '">', *cells, "</row>", ""))
    yield xml[end:]


def _back_to_back(values: pa.Array) -> memoryview:
    """Every value of a string array, one after the other, as UTF-8 bytes.

    Arrow stores a string array's values contiguously, so this is a view of its data buffer: no
    Python string per row, no joining.
    """
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if len(values) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + len(values) + 1]
    return memoryview(values.buffers()[2])[offsets[0] : offsets[-1]]
