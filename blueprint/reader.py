"""Reading DOJ research files: fast, streaming, and without losing a row.

What the reader guarantees (see shared/domain/doj-research-file.md for the format):

- One or more files make one run; a person's rows may be spread over several files.
- A header is optional (first field ``RECORD_ID``), may carry one trailing empty field, and may be
  preceded by a UTF-8 byte-order mark; CRLF and LF line endings both work.
- The file is parsed in blocks by Apache Arrow's CSV reader, keeping only the columns the engine
  reads, as Arrow strings: memory grows with a compact columnar copy of those columns, never with a
  Python object per value.
- Row-level problems never fail a file. A row with the wrong number of fields, a blank line or a row
  without ``SUBJECT_ID`` is skipped and reported with its file, line and column; everything else is
  kept and checked later, where the value matters (``blueprint.records``).
- File-level failures (not a DOJ file, empty, unreadable) stop only that file, with a message naming
  the file and the reason. The other files of the run still complete.
- Every data row is accounted for: ``rows_read == rows_used + rows_skipped`` per file.
"""

from __future__ import annotations

import csv
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .columns import DOJ_COLUMNS, ENGINE_COLUMNS
from .issues import SKIPPED, IssueLog

#: How many lines at the start of a file are inspected to decide whether it is a DOJ file at all.
SNIFF_LINES = 50
BLOCK_SIZE = 16 << 20


class FileRejected(Exception):
    """A whole input file cannot be used. The message names the file and the reason only."""

    def __init__(self, file: str, reason: str):
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass
class FileReport:
    """What happened to one input file: its fingerprint and how every row was accounted for."""

    file: str
    path: str
    status: str = "ok"  # "ok" or "failed"
    error: str = ""
    sha256: str = ""
    bytes: int = 0
    has_header: bool = False
    encoding: str = "utf-8"
    rows_read: int = 0
    rows_used: int = 0
    rows_skipped: int = 0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + self.rows_skipped

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "error": self.error,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "has_header": self.has_header,
            "encoding": self.encoding,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_skipped": self.rows_skipped,
            "balanced": self.balanced,
        }


@dataclass
class ReadResult:
    """The rows of every readable file (engine columns plus ``_file`` and ``_line``), and the accounts."""

    rows: pa.Table
    files: list[FileReport]
    issues: IssueLog = field(default_factory=IssueLog)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.status != "ok"]


@dataclass(frozen=True)
class Sniff:
    has_header: bool
    field_count: int  # 95, or 96 when every row carries a trailing empty field
    first_data_line: int  # 1-based physical line of the first data row
    approx_row_bytes: float


def _split_fields(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def sniff(path: Path) -> Sniff:
    """Decide from the first lines whether ``path`` is a DOJ research file, and how it is laid out."""
    name = path.name
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        raise FileRejected(name, f"could not be read ({exc.strerror or exc.__class__.__name__})") from None
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise FileRejected(name, "is empty: it has no data rows")
    text = head.decode("latin-1")
    if text.startswith("\ufeff") or text.startswith("\xef\xbb\xbf"):
        text = text[3:] if text.startswith("\xef\xbb\xbf") else text[1:]
    lines = text.splitlines()
    if len(head) == (1 << 20) and lines:
        lines = lines[:-1]  # the last line may be cut by the read size
    lines = lines[:SNIFF_LINES]
    first = _split_fields(lines[0]) if lines else []
    has_header = bool(first) and first[0].strip().upper() == "RECORD_ID"
    if has_header:
        names = [f.strip().upper() for f in first]
        if names and names[-1] == "" and len(names) == len(DOJ_COLUMNS) + 1:
            names = names[:-1]
        if tuple(names) != DOJ_COLUMNS:
            if len(names) != len(DOJ_COLUMNS):
                raise FileRejected(
                    name,
                    f"is not a DOJ research file: its header has {len(names)} columns, expected {len(DOJ_COLUMNS)}",
                )
            wrong = next(i for i, (a, b) in enumerate(zip(names, DOJ_COLUMNS)) if a != b)
            raise FileRejected(
                name,
                f"is not a DOJ research file: header column {wrong + 1} is '{names[wrong]}', "
                f"expected '{DOJ_COLUMNS[wrong]}'",
            )
    data_lines = lines[1:] if has_header else lines
    counts = [len(_split_fields(line)) for line in data_lines if line.strip()]
    if not counts:
        if has_header:
            raise FileRejected(name, "is empty: it has a header but no data rows")
        raise FileRejected(name, "is empty: it has no data rows")
    n = len(DOJ_COLUMNS)
    if n in counts:
        field_count = n
    elif n + 1 in counts:
        field_count = n + 1
    else:
        seen = sorted(set(counts))
        raise FileRejected(
            name,
            f"is not a DOJ research file: none of its first {len(counts)} rows has {n} fields "
            f"(found {', '.join(map(str, seen[:5]))})",
        )
    approx = len("\n".join(data_lines)) / max(len(data_lines), 1)
    return Sniff(has_header=has_header, field_count=field_count, first_data_line=2 if has_header else 1,
                 approx_row_bytes=max(approx, 1.0))


class _Fingerprint(threading.Thread):
    """SHA-256 and physical line count of a file, computed beside the parser (hashlib releases the GIL)."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.sha256 = ""
        self.bytes = 0
        self.newlines = 0
        self.ends_with_newline = True
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            digest = hashlib.sha256()
            last = b"\n"
            with open(self.path, "rb") as fh:
                while chunk := fh.read(8 << 20):
                    digest.update(chunk)
                    self.newlines += chunk.count(b"\n")
                    self.bytes += len(chunk)
                    last = chunk[-1:]
            self.sha256 = digest.hexdigest()
            self.ends_with_newline = last == b"\n" or self.bytes == 0
        except OSError as exc:  # reported by the caller
            self.error = exc


def _column_names(field_count: int) -> list[str]:
    names = list(DOJ_COLUMNS)
    if field_count == len(DOJ_COLUMNS) + 1:
        names.append("_TRAILING_EMPTY")
    return names


def _parse(path: Path, sn: Sniff, encoding: str, newlines_in_values: bool,
           progress: Callable[[int], None] | None) -> tuple[pa.Table, int]:
    """Parse with Arrow; return the engine columns of well-formed rows and the count of malformed rows."""
    malformed = 0

    def on_invalid(_row) -> str:
        nonlocal malformed
        malformed += 1
        return "skip"

    names = _column_names(sn.field_count)
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=1 if sn.has_header else 0,
            block_size=BLOCK_SIZE,
            encoding=encoding,
        ),
        parse_options=pacsv.ParseOptions(
            invalid_row_handler=on_invalid,
            ignore_empty_lines=False,
            newlines_in_values=newlines_in_values,
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=list(ENGINE_COLUMNS),
            column_types={c: pa.string() for c in ENGINE_COLUMNS},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            null_values=[],
        ),
    )
    batches = []
    for batch in reader:
        batches.append(batch)
        if progress:
            progress(batch.num_rows)
    schema = pa.schema([(c, pa.string()) for c in ENGINE_COLUMNS])
    table = pa.Table.from_batches(batches, schema=schema) if batches else schema.empty_table()
    return table, malformed


def _locate_rows(path: Path, sn: Sniff, encoding: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Slow, exact pass for files with malformed rows: the physical line of every record.

    Returns the line numbers of well-formed records in order, and (line, field count) of malformed
    ones. Used only when a file has problems, so the common case stays fast.
    """
    good: list[int] = []
    bad: list[tuple[int, int]] = []
    with open(path, "r", encoding=encoding, newline="") as fh:
        if fh.read(1) != "\ufeff":
            fh.seek(0)
        reader = csv.reader(fh)
        line_start = 1
        for record in reader:
            if not (sn.has_header and line_start == 1):
                count = len(record)
                if count == sn.field_count or count == 0:
                    good.append(line_start)
                else:
                    bad.append((line_start, count))
            line_start = reader.line_num + 1
    return np.asarray(good, dtype=np.int64), bad


def read_file(path: Path, file_index: int, issues: IssueLog,
              progress: Callable[[int], None] | None = None) -> tuple[pa.Table | None, FileReport]:
    """Read one DOJ file. Returns its rows (or None when the file is rejected) and its report."""
    path = Path(path)
    report = FileReport(file=path.name, path=str(path))
    fingerprint = _Fingerprint(path)
    try:
        sn = sniff(path)
        report.has_header = sn.has_header
        fingerprint.start()
        encoding = "utf-8"
        try:
            table, malformed = _parse(path, sn, encoding, False, progress)
        except pa.ArrowInvalid as exc:
            if "UTF8" not in str(exc).upper():
                raise FileRejected(path.name, "could not be parsed as comma-separated text") from None
            # Not UTF-8: Latin-1 maps every byte to one character, so nothing is altered.
            encoding = "latin-1"
            table, malformed = _parse(path, sn, encoding, False, progress)
        report.encoding = encoding
        fingerprint.join()
        if fingerprint.error:
            raise FileRejected(path.name, f"could not be read ({fingerprint.error.__class__.__name__})")
    except FileRejected as exc:
        if fingerprint.is_alive():
            fingerprint.join()
        report.status = "failed"
        report.error = exc.reason
        report.sha256 = fingerprint.sha256
        report.bytes = fingerprint.bytes
        return None, report

    report.sha256 = fingerprint.sha256
    report.bytes = fingerprint.bytes
    physical_lines = fingerprint.newlines + (0 if fingerprint.ends_with_newline else 1)
    data_lines = physical_lines - (1 if sn.has_header else 0)

    if malformed == 0 and table.num_rows == data_lines:
        lines = np.arange(table.num_rows, dtype=np.int64) + sn.first_data_line
    else:
        # Some rows are malformed (or a quoted value spans lines): find every record's line exactly,
        # and re-parse with the same record rules the exact pass uses.
        lines, bad = _locate_rows(path, sn, encoding)
        table, malformed = _parse(path, sn, encoding, True, None)
        if len(lines) != table.num_rows or len(bad) != malformed:
            report.status = "failed"
            report.error = "its rows could not be reconciled with its lines (irregular quoting); fix the file and rerun"
            return None, report
        for line, count in bad:
            issues.add(path.name, line, "(row)", "FIELD_COUNT",
                       f"row has {count} fields, expected {sn.field_count}", SKIPPED)

    report.rows_read = table.num_rows + malformed

    # Blank lines and rows without a person key cannot be attached to anyone.
    subject = pc.utf8_trim_whitespace(table["SUBJECT_ID"])
    no_subject = pc.equal(subject, "")
    blank = no_subject
    for name in ("CNT_ORDER", "OFFENSE_DESCR", "PRI_NAME", "DISP_DESCR"):
        blank = pc.and_(blank, pc.equal(pc.utf8_trim_whitespace(table[name]), ""))
    no_subject_np = no_subject.to_numpy(zero_copy_only=False)
    blank_np = blank.to_numpy(zero_copy_only=False)
    if blank_np.any():
        issues.add(path.name, lines[blank_np], "(row)", "BLANK_LINE", "blank line", SKIPPED)
    missing = no_subject_np & ~blank_np
    if missing.any():
        issues.add(path.name, lines[missing], "SUBJECT_ID", "MISSING_SUBJECT_ID",
                   "SUBJECT_ID is empty, so the row cannot be attached to a person", SKIPPED)
    keep = ~no_subject_np
    skipped_here = int((~keep).sum())
    report.rows_skipped = malformed + skipped_here
    report.rows_used = report.rows_read - report.rows_skipped

    table = table.filter(pa.array(keep)) if skipped_here else table
    lines = lines[keep] if skipped_here else lines
    table = table.set_column(table.schema.get_field_index("SUBJECT_ID"), "SUBJECT_ID",
                             pc.utf8_trim_whitespace(table["SUBJECT_ID"]))
    table = table.append_column("_file", pa.array(np.full(table.num_rows, file_index, dtype=np.int16)))
    table = table.append_column("_line", pa.array(lines))
    return table, report


def read_doj_files(paths: Iterable[Path | str], progress: Callable[[int], None] | None = None) -> ReadResult:
    """Read every file of a run into one table of rows (engine columns, ``_file``, ``_line``)."""
    issues = IssueLog()
    tables: list[pa.Table] = []
    reports: list[FileReport] = []
    for index, path in enumerate(paths):
        table, report = read_file(Path(path), index, issues, progress)
        reports.append(report)
        if table is not None:
            tables.append(table)
    if tables:
        rows = pa.concat_tables(tables)
    else:
        rows = pa.schema(
            [(c, pa.string()) for c in ENGINE_COLUMNS] + [("_file", pa.int16()), ("_line", pa.int64())]
        ).empty_table()
    return ReadResult(rows=rows, files=reports, issues=issues)


def estimate_rows(paths: Iterable[Path | str]) -> int:
    """A rough row count for progress bars (file size over the average size of the first lines)."""
    total = 0
    for p in paths:
        try:
            sn = sniff(Path(p))
            total += int(Path(p).stat().st_size / sn.approx_row_bytes)
        except (FileRejected, OSError):
            continue
    return total


__all__ = ["FileRejected", "FileReport", "ReadResult", "read_doj_files", "read_file", "sniff", "estimate_rows"]
