"""Reading DOJ research files: fast, streaming, and without losing a row.

What the reader guarantees (see docs/reference/input.md for the format):

- One or more files make one run; a person's rows may be spread over several files. A file that
  repeats an earlier file of the run whole (the same bytes) is a ``repeat``: nothing is read from it,
  the earlier file's rows stand, and it is not a failure; a single row that repeats a row of an
  earlier file is skipped and reported as ``DUPLICATE_ROW`` (``blueprint.intake.repeated_rows``): every
  row is used once.
- A header is optional (first field ``RECORD_ID``), may carry one trailing empty field, and may be
  preceded by a UTF-8 byte-order mark; CRLF and LF line endings both work.
- The file is parsed in blocks by Apache Arrow's CSV reader, keeping only the columns the engine
  reads, as Arrow strings: memory grows with a compact columnar copy of those columns, never with a
  Python object per value.
- Row-level problems never fail a file. A row with the wrong number of fields, a blank line or a row
  without ``SUBJECT_ID`` is skipped and reported with its file, line and column; everything else is
  kept and checked later, where the value matters (``blueprint.engine.records``).
- File-level failures (not a DOJ file, empty, unreadable) stop only that file, with a message naming
  the file and the reason. The other files of the run still complete.
- Every data row is accounted for: ``rows_read == rows_used + rows_skipped`` per file.

The machinery that makes the read fast without knowing what a DOJ file is lives in
``blueprint.runtime``: the read buffers, the prefetch thread and the byte counting in
``blueprint.runtime.buffers``, the hash that splits people into parts in
``blueprint.runtime.partition``.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import io
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..runtime.buffers import (
    BLOCK_SIZE,
    CHUNK_BYTES,
    PARSE_IN_THREADS,
    READ_BUFFERS,
    ByteCounter,
    is_ascii,
    line_chunks,
    prefetch,
)
from ..runtime.file_digest import CHANGED, FileDigest, digest_for, file_identity
from ..runtime.partition import shard_numbers
from .columns import DOJ_COLUMNS, ENGINE_COLUMNS
from .issues import SKIPPED, IssueLog
from .repeated_rows import RowFingerprints, drop_repeated, line_extents, record_extents, sample_keys
from .file_status import FAILED, OK, REPEAT

#: How many lines at the start of a file are inspected to decide whether it is a DOJ file at all.
SNIFF_LINES = 50

#: A function that sees each chunk of rows as it is read: ``observe(file_index, rows)``.
Observer = Callable[[int, pa.Table], None]


class ReadCancelled(Exception):
    """A background read was cancelled by its owner (the rows read so far are discarded)."""


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
    status: str = OK  # OK, FAILED (``error`` says why) or REPEAT (``note`` names the earlier file): ``file_status``
    error: str = ""
    note: str = ""
    bytes: int = 0
    has_header: bool = False
    encoding: str = "utf-8"
    rows_read: int = 0
    rows_used: int = 0
    rows_skipped: int = 0
    #: The file's SHA-256 while a background thread still computes it (see :attr:`sha256`).
    digest: FileDigest | None = field(default=None, repr=False, compare=False)
    _sha256: str = field(default="", repr=False)

    @property
    def sha256(self) -> str:
        """The file's SHA-256 (hex); empty for a file that failed before it was read to the end.

        Computed beside the read (``blueprint.runtime.file_digest``): the first call waits for it if it
        is not done yet, and raises :class:`~blueprint.runtime.file_digest.FileChanged` if the file
        changed between the parser's read and the hashing thread's.
        """
        if self.digest is not None:
            self._sha256 = self.digest.hexdigest()
            self.digest = None
        return self._sha256

    @sha256.setter
    def sha256(self, value: str) -> None:
        self.digest = None
        self._sha256 = value

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_used + self.rows_skipped

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "error": self.error,
            "note": self.note,
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
    """The rows of every readable file (engine columns plus ``_file`` and ``_line``), and the accounts.

    When the read was asked to split people into parts, ``parts`` holds them (every row of a
    person in one part, file order kept within a part) and ``rows`` is the parts one after the
    other, without a copy.
    """

    rows: pa.Table
    files: list[FileReport]
    issues: IssueLog = field(default_factory=IssueLog)
    parts: list[pa.Table] = field(default_factory=list)

    @property
    def failed(self) -> list[FileReport]:
        """The files that could not be read (not the repeats, whose rows are in the run once)."""
        return [f for f in self.files if f.status == FAILED]


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
    if path.is_dir():
        raise FileRejected(name, "is a folder, not a file: give the DOJ file(s) inside it")
    if not path.exists():
        raise FileRejected(name, "does not exist (check the name and the folder)")
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
    except OSError as exc:
        raise FileRejected(name, f"could not be read ({exc.strerror or exc.__class__.__name__})") from None
    if not head.strip(b"\xef\xbb\xbf \r\n\t"):
        raise FileRejected(name, "is empty: it has no data rows")
    kind = _binary_kind(head)
    if kind:
        raise FileRejected(
            name,
            f"is {kind}, not a DOJ research file (a text file of comma-separated values); "
            "use the file as DOJ delivered it",
        )
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
    return Sniff(
        has_header=has_header,
        field_count=field_count,
        first_data_line=2 if has_header else 1,
        approx_row_bytes=max(approx, 1.0),
    )


#: Signatures of files people pick by mistake instead of the DOJ text file.
_BINARY_KINDS = (
    (b"PK\x03\x04", "an Excel workbook or another zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel or Word document"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"PAR1", "a Parquet file"),
)


def _binary_kind(head: bytes) -> str:
    """What a binary file is, from its first bytes ("" for text)."""
    for magic, kind in _BINARY_KINDS:
        if head.startswith(magic):
            return kind
    if b"\x00" in head[:4096]:
        return "a binary file"
    return ""


def _column_names(field_count: int) -> list[str]:
    names = list(DOJ_COLUMNS)
    if field_count == len(DOJ_COLUMNS) + 1:
        names.append("_TRAILING_EMPTY")
    return names


def _counted_chunks(
    fh, size: int, line_keys_for: int | None = None
) -> Iterator[tuple[memoryview, int, tuple | None, bool]]:
    """Chunks with their physical line count.

    Each chunk also says whether it is plain ASCII (``blueprint.runtime.buffers.is_ascii``): ASCII is
    valid UTF-8, so such a chunk is parsed without Arrow's UTF-8 check (a tenth of the parse), in
    this thread's time.

    With ``line_keys_for`` (the file's field count), each chunk also comes with every physical
    line's byte extent and sample key (``blueprint.intake.repeated_rows``), computed here, in the reading
    thread, while the previous chunk is parsed.
    """
    counter = ByteCounter()
    first = True
    for data in line_chunks(fh, size, counter):
        lines = None
        if line_keys_for is None:
            lines_here = counter.count(data.obj, ord("\n"), len(data))  # every piece starts at its buffer's start
        else:
            breaks = counter.positions(data.obj, ord("\n"), len(data))
            lines_here = len(breaks)
            starts, ends = line_extents(data, first, line_keys_for, breaks)
            lines = (starts, ends, sample_keys(data, starts, ends))
        if data[-1:] != b"\n":  # type: ignore[comparison-overlap]  # a memoryview equals bytes of its content
            lines_here += 1
        first = False
        yield data, lines_here, lines, is_ascii(data)


def _parse_chunk(
    data: bytes, sn: Sniff, encoding: str, skip_header: bool, newlines_in_values: bool, ascii_only: bool = False
) -> tuple[pa.Table, int]:
    """Parse one chunk with Arrow; return engine columns and the malformed-row count.

    A chunk is first parsed with no handler for malformed rows, which lets Arrow run at full speed
    (a Python row handler roughly halves it); only a chunk that turns out to contain a row
    with the wrong number of fields is parsed again with the handler that skips and counts them.
    A chunk known to be plain ASCII is parsed as UTF-8 without Arrow's UTF-8 check: ASCII is
    valid UTF-8, and reads the same in Latin-1.
    """
    if ascii_only:
        encoding = "utf-8"
    try:
        return _read_chunk(data, sn, encoding, skip_header, newlines_in_values, None, not ascii_only), 0
    except pa.ArrowInvalid as exc:
        if "columns" not in str(exc):
            raise
    malformed = 0

    def on_invalid(_row) -> str:
        nonlocal malformed
        malformed += 1
        return "skip"

    return _read_chunk(data, sn, encoding, skip_header, newlines_in_values, on_invalid, not ascii_only), malformed


def _read_chunk(
    data, sn: Sniff, encoding: str, skip_header: bool, newlines_in_values: bool, on_invalid, check_utf8: bool = True
) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pacsv.ReadOptions(
            column_names=_column_names(sn.field_count),
            skip_rows=1 if skip_header else 0,
            block_size=BLOCK_SIZE,
            encoding=encoding,
            use_threads=PARSE_IN_THREADS,
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
            check_utf8=check_utf8,
        ),
    )


def _locate_records(
    data: bytes, sn: Sniff, encoding: str, skip_header: bool, first_line: int
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Exact pass for a chunk that has malformed rows: the physical line of every record in it.

    Returns the lines of well-formed records (in order) and (line, field count) of malformed ones.
    It runs only on chunks with problems, so clean files stay on the fast path.
    """
    text = bytes(data).decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    good: list[int] = []
    bad: list[tuple[int, int]] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for record in reader:
        if not (skip_header and start == 1):
            count = len(record)
            line = first_line + start - 1
            if count == sn.field_count or count == 0:
                good.append(line)
            else:
                bad.append((line, count))
        start = reader.line_num + 1
    return np.asarray(good, dtype=np.int64), bad


@contextlib.contextmanager
def _fingerprinted(path: Path, fh, report: FileReport) -> Iterator[None]:
    """Around one read of a file: its SHA-256 computed beside it, given to ``report`` if the read ends well.

    The hashing thread (``blueprint.runtime.file_digest``) reads the file a second time on idle processor
    time. Both reads must see the version of the file identified when it was opened: a file changed
    during this read is refused here, and one changed during the hashing thread's read is refused
    when its fingerprint is asked for. A read that fails or is abandoned stops the hashing thread,
    and its file has no fingerprint.
    """
    identity = file_identity(fh)
    digest = digest_for(path, identity, path.name)
    try:
        yield
        if file_identity(fh) != identity:
            raise FileRejected(path.name, CHANGED)
    except BaseException:
        digest.cancel()
        raise
    report.digest = digest


def iter_file(
    path: Path,
    file_index: int,
    issues: IssueLog,
    report: FileReport,
    progress: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    cancel: threading.Event | None = None,
    seen: RowFingerprints | None = None,
) -> Iterator[pa.Table]:
    """Yield the usable rows of one DOJ file chunk by chunk (engine columns, ``_file``, ``_line``).

    Fills ``report`` as it goes (fingerprint, row accounts). Raises :class:`FileRejected` for a
    file-level failure; rows already yielded must then be discarded by the caller.

    With ``seen`` (the rows of the run's earlier files, ``blueprint.intake.repeated_rows``), a row that
    repeats one of them is skipped and reported as ``DUPLICATE_ROW``; the rows kept are added to
    ``seen``, for the caller to commit once the file is accepted.
    """
    sn = sniff(path)
    report.has_header = sn.has_header
    encoding = "utf-8"
    next_line = 1  # physical line number of the first line of the next chunk
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise FileRejected(path.name, f"could not be read ({exc.strerror or exc.__class__.__name__})") from None
    with fh, _fingerprinted(path, fh, report):
        first = True
        chunks = _counted_chunks(fh, chunk_bytes, None if seen is None else sn.field_count)
        for data, lines_here, physical, ascii_only in prefetch(chunks, depth=READ_BUFFERS - 2):
            if cancel is not None and cancel.is_set():
                raise ReadCancelled(path.name)
            chunk_offset = report.bytes  # where this chunk starts in the file
            report.bytes += len(data)
            skip_header = first and sn.has_header
            data_lines = lines_here - (1 if skip_header else 0)
            first_data_line = next_line + (1 if skip_header else 0)
            try:
                table, malformed = _parse_chunk(data, sn, encoding, skip_header, False, ascii_only)
            except pa.ArrowInvalid as exc:
                if "UTF8" not in str(exc).upper():
                    raise FileRejected(path.name, "could not be parsed as comma-separated text") from None
                # Not UTF-8: Latin-1 maps every byte to one character, so nothing is altered.
                encoding = "latin-1"
                table, malformed = _parse_chunk(data, sn, encoding, skip_header, False)
            report.encoding = encoding
            bad: list[tuple[int, int]] = []
            if malformed == 0 and table.num_rows == data_lines:
                lines = np.arange(table.num_rows, dtype=np.int64) + first_data_line
            else:
                # Malformed rows (or a quoted value spanning lines): locate every record exactly and
                # parse again with the same record rules the exact pass uses.
                lines, bad = _locate_records(data, sn, encoding, skip_header, next_line)
                table, malformed = _parse_chunk(data, sn, encoding, skip_header, True, ascii_only)
                if len(lines) != table.num_rows or len(bad) != malformed:
                    raise FileRejected(
                        path.name,
                        f"rows near line {next_line} could not be reconciled with "
                        "their lines (irregular quoting); fix the file and rerun",
                    )
                for line, count in bad:
                    issues.add(
                        path.name,
                        line,
                        "(row)",
                        "FIELD_COUNT",
                        f"row has {count} fields, expected {sn.field_count}",
                        SKIPPED,
                    )
            extents = (
                None if seen is None else _record_extents(data, physical, next_line, first, skip_header, sn, lines, bad)
            )
            next_line += lines_here
            first = False
            report.rows_read += table.num_rows + malformed
            report.rows_skipped += malformed
            table = _drop_unattachable(table, lines, path.name, file_index, issues, report)
            if seen is not None:
                assert extents is not None, "the extents are found whenever seen is given"
                table = _drop_repeated(
                    table, data, chunk_offset, lines, extents, path.name, file_index, seen, issues, report
                )
            report.rows_used += table.num_rows
            if progress:
                progress(table.num_rows + malformed)
            yield table
    if report.rows_read == 0:
        raise FileRejected(path.name, "is empty: it has no data rows")


def _record_extents(
    data,
    physical: tuple,
    first_line: int,
    first_in_file: bool,
    skip_header: bool,
    sn: Sniff,
    lines: np.ndarray,
    bad: list[tuple[int, int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each record of ``lines`` is in the chunk's bytes, and its sample key (``blueprint.intake.repeated_rows``).

    ``physical`` holds every physical line's extent and key, computed while the chunk was read; a
    record on one line is that line. Only a chunk whose records span lines (a quoted line break)
    or include malformed rows has its extents and keys worked out again here.
    """
    starts, ends, keys = physical
    skip = 1 if skip_header else 0
    if not bad and len(starts) - skip == len(lines) and (len(lines) == 0 or lines[-1] - lines[0] == len(lines) - 1):
        return starts[skip:], ends[skip:], keys[skip:]  # one record per line
    every = np.sort(np.concatenate([lines, np.array([b[0] for b in bad], dtype=np.int64)]))
    starts, ends = record_extents(data, first_line, lines, every, first_in_file, sn.field_count)
    return starts, ends, sample_keys(data, starts, ends)


def _drop_repeated(
    table: pa.Table,
    data,
    chunk_offset: int,
    lines: np.ndarray,
    extents: tuple[np.ndarray, np.ndarray, np.ndarray],
    name: str,
    file_index: int,
    seen: RowFingerprints,
    issues: IssueLog,
    report: FileReport,
) -> pa.Table:
    """Skip (and report) the rows of a chunk that repeat a row of an earlier file of the run."""
    if table.num_rows == 0:
        return table
    kept_lines = table["_line"].to_numpy()
    at = np.searchsorted(lines, kept_lines)
    starts, ends, keys = (part[at] for part in extents)
    keep = drop_repeated(data, starts, ends, keys, chunk_offset, kept_lines, file_index, name, seen, issues)
    if keep.all():
        return table
    report.rows_skipped += int((~keep).sum())
    return table.filter(pa.array(keep))


def _drop_unattachable(
    table: pa.Table, lines: np.ndarray, name: str, file_index: int, issues: IssueLog, report: FileReport
) -> pa.Table:
    """Skip blank lines and rows without SUBJECT_ID (they cannot be attached to a person).

    A chunk where every row has a SUBJECT_ID (nearly all of them) is handled without calling
    anything of pyarrow that loads pandas (see :func:`_numpy_column`): the first chunks are parsed
    while the local run's main thread loads pandas, and this thread would otherwise wait for that.
    """
    subject = pc.utf8_trim_whitespace(table["SUBJECT_ID"])
    if table.num_rows and pc.min(pc.binary_length(subject)).as_py() == 0:
        no_subject = pc.equal(subject, "")
        no_subject_np = no_subject.to_numpy(zero_copy_only=False)
        # Only now (rarely) look at the other columns: a row with none of them is a blank line.
        blank = no_subject
        for column in ("CNT_ORDER", "OFFENSE_DESCR", "PRI_NAME", "DISP_DESCR"):
            blank = pc.and_(blank, pc.equal(pc.utf8_trim_whitespace(table[column]), ""))
        blank_np = blank.to_numpy(zero_copy_only=False)
        if blank_np.any():
            issues.add(name, lines[blank_np], "(row)", "BLANK_LINE", "blank line", SKIPPED)
        missing = no_subject_np & ~blank_np
        if missing.any():
            issues.add(
                name,
                lines[missing],
                "SUBJECT_ID",
                "MISSING_SUBJECT_ID",
                "SUBJECT_ID is empty, so the row cannot be attached to a person",
                SKIPPED,
            )
        report.rows_skipped += int(no_subject_np.sum())
        keep = ~no_subject_np
        table = table.filter(pa.array(keep))
        lines = lines[keep]
        subject = subject.filter(pa.array(keep))
    table = table.set_column(table.schema.get_field_index("SUBJECT_ID"), "SUBJECT_ID", subject)
    table = table.append_column("_file", _numpy_column(np.full(table.num_rows, file_index, dtype=np.int16)))
    return table.append_column("_line", _numpy_column(lines.astype(np.int64, copy=False)))


def _numpy_column(values: np.ndarray) -> pa.Array:
    """A numpy array of numbers as an Arrow array (no nulls), sharing its memory.

    The same array as ``pa.array(values)``, made without that call: pyarrow's ``pa.array`` (like its
    scalars and ``to_numpy``) loads pandas on first use, and the reading thread must not wait for it.
    """
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


EMPTY_SCHEMA = pa.schema([(c, pa.string()) for c in ENGINE_COLUMNS] + [("_file", pa.int16()), ("_line", pa.int64())])


#: Step types the engine reads besides convictions (court rows carry case numbers).
CONTEXT_STEPS = ("COURT ACTION", "REGISTRATION", "DECEASED")


@functools.cache
def _context_step_values() -> pa.Array:
    # Made on first use, not at import: pyarrow loads pandas on its first pa.array(), and the local
    # run imports this module before it starts reading (pandas then loads while Arrow parses).
    return pa.array(CONTEXT_STEPS)


def engine_rows(table: pa.Table) -> pa.Table:
    """Only the rows the engine derives facts from, so memory holds no more than it needs."""
    return _kept(table, np.flatnonzero(_engine_row_mask(table))) if table.num_rows else table


def _kept(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """The given rows of a chunk (in that order) as the engine keeps them: without their padding.

    Many extracts pad every descriptive field with spaces to a fixed width (a 40-character
    ``DISP_DESCR`` holding ``CONVICTED``). Every reader of a value trims it anyway (Arrow's
    ``utf8_trim_whitespace``, Python's ``str.strip``; the few comparisons "as written" are only quick
    first passes before a trimmed comparison), so the spaces carry nothing, yet kept as read they
    were a third of the rows in memory and of the work of every later step on a padded file.
    Here each text column whose values start or end with ASCII whitespace is trimmed of it (a
    subset of what those readers trim, so what they see is unchanged). Whether a column is padded
    is judged on a sample of the chunk (:data:`PADDING_SAMPLE` rows): padding is a property of
    the extract, and a column judged wrongly is only kept as read, which stays correct.
    """
    taken = table.take(pa.array(rows))
    if taken.num_rows == 0:
        return taken
    columns = [
        _unpadded(taken[name]) if taken.schema.field(name).type == pa.string() else taken[name]
        for name in taken.column_names
    ]
    return pa.Table.from_arrays(columns, schema=taken.schema)


#: Rows of a chunk looked at to decide whether a column is padded (see :func:`_kept`).
PADDING_SAMPLE = 256


def _unpadded(column: pa.ChunkedArray) -> pa.ChunkedArray:
    sample = column.slice(0, PADDING_SAMPLE)
    padded = pc.or_(pc.ends_with(sample, " "), pc.starts_with(sample, " "))
    return pc.ascii_trim_whitespace(column) if pc.any(padded).as_py() else column


def _engine_row_mask(table: pa.Table) -> np.ndarray:
    """Which rows :func:`engine_rows` keeps (a numpy boolean per row).

    Kept: convictions, court, registration and deceased steps, and every row that starts a run of
    rows of one person under one name and one date of birth: the person's first row (identity and
    demographics), the first row of each other name the person is recorded under (other names
    used), and the first row of each other date of birth (a date of birth that contradicts the
    first row's is reported, ``blueprint.engine.contradictions``).
    Every other row (e.g. an arrest that led nowhere) has been read, checked and counted already;
    it simply adds no fact. Comparing each row with the one before it keeps every (person, name,
    date of birth) first row in file order, which is all the engine reads from those rows, without
    a hash table per chunk.

    Done cheaply, because it runs over every row of the file: the step type and the disposition
    (a handful of distinct values, however padded) are trimmed and upper-cased once per distinct
    value of the chunk, not once per row; names are compared as written, and trimmed only on the
    few rows where the name as written changes within one person and one date of birth.
    """
    step = _per_distinct(
        table["STP_TYPE_DESCR"],
        lambda v: pc.is_in(pc.utf8_upper(pc.utf8_trim_whitespace(v)), value_set=_context_step_values()),
    )
    convicted = _per_distinct(
        table["DISP_DESCR"], lambda v: pc.starts_with(pc.utf8_upper(pc.utf8_trim_whitespace(v)), "CONVICTED")
    )
    n = table.num_rows
    if n == 0:
        return np.zeros(0, dtype=bool)

    def changes(column) -> np.ndarray:
        return pc.not_equal(column.slice(1), column.slice(0, n - 1)).to_numpy(zero_copy_only=False)

    names = table["PRI_NAME"]
    # SUBJECT_ID is trimmed already (_drop_unattachable); the date of birth is compared as written
    # (a padded copy of the same date keeps one more row, harmless).
    changed = changes(table["SUBJECT_ID"]) | changes(table["PRI_DOB"])
    renamed = np.flatnonzero(changes(names) & ~changed)  # the name as written changes: trimmed too?
    if len(renamed):
        later = pc.utf8_trim_whitespace(names.take(pa.array(renamed + 1)))
        earlier = pc.utf8_trim_whitespace(names.take(pa.array(renamed)))
        changed[renamed[pc.not_equal(later, earlier).to_numpy(zero_copy_only=False)]] = True
    return step | convicted | np.concatenate([[True], changed])


def _per_distinct(column: pa.ChunkedArray, test: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """``test`` (a boolean Arrow function of text) per row, computed once per distinct value."""
    out = []
    for chunk in column.chunks:
        encoded = pc.dictionary_encode(chunk)
        out.append(
            np.asarray(test(encoded.dictionary).to_numpy(zero_copy_only=False), dtype=bool)[
                encoded.indices.to_numpy(zero_copy_only=False)
            ]
        )
    return np.concatenate(out) if out else np.zeros(0, dtype=bool)


def _read_file_parts(
    path: Path,
    file_index: int,
    issues: IssueLog,
    progress,
    *,
    prune: bool,
    parts: int,
    chunk_bytes: int | None,
    cancel: threading.Event | None,
    earlier: Iterable[FileReport] = (),
    observe: Observer | None = None,
    seen: RowFingerprints | None = None,
) -> tuple[list[pa.Table] | None, FileReport]:
    """Read one file into ``parts`` tables of whole people (see ``blueprint.runtime.partition.shard_numbers``).

    A file with the same content as one of the ``earlier`` files of the run is set aside once read
    (see :func:`mark_repeat`): its rows would otherwise count twice. With ``seen``, a single row
    repeating a row of an earlier file is skipped and reported (``blueprint.intake.repeated_rows``).
    ``observe`` sees every chunk before it is pruned (``observe(file_index, rows)``), repeated rows
    already left out.
    """
    report = FileReport(file=path.name, path=str(path))
    file_issues = IssueLog()
    pieces: list[list[pa.Table]] = [[] for _ in range(parts)]
    # Parsing (a thread of its own, see ``blueprint.runtime.buffers.prefetch``) overlaps the pruning
    # and splitting of the previous chunk here: both are Arrow work that runs outside Python's
    # global lock.
    chunks = iter_file(
        path,
        file_index,
        file_issues,
        report,
        progress,
        chunk_bytes=chunk_bytes or CHUNK_BYTES,
        cancel=cancel,
        seen=seen,
    )
    try:
        # One parsed chunk waits at most. A deeper queue lets the parse run further ahead while the
        # local run's main thread loads pandas (which the pruning needs), but the waiting chunks
        # hold memory (12 MB each on a padded file): with four, some runs peaked 45 MB higher,
        # for no gain in time measured.
        for table in prefetch(chunks, depth=1):
            if observe is not None:
                observe(file_index, table)
            if parts == 1:
                pieces[0].append(engine_rows(table) if prune else table)
                continue
            for part, piece in enumerate(split_people(table, parts, prune)):
                pieces[part].append(piece)
    except FileRejected as exc:
        report.status = FAILED
        report.error = exc.reason
        report.rows_used = 0
        if seen is not None:
            seen.discard()
        return None, report
    except BaseException:
        if seen is not None:
            seen.discard()
        raise
    if mark_repeat(report, earlier):
        if seen is not None:
            seen.discard()
        return None, report
    if seen is not None:
        seen.commit(file_index, path.name, path)
    issues.extend(file_issues)
    return [pa.concat_tables(p) if p else EMPTY_SCHEMA.empty_table() for p in pieces], report


def mark_repeat(report: FileReport, earlier: Iterable[FileReport]) -> bool:
    """Set aside a file whose content (SHA-256) repeats an earlier file of the run; True if it does.

    The same extract uploaded twice, or copied under a second name, would otherwise double every
    sentence and every count of earlier convictions. The repeat keeps its fingerprint, gets the
    status ``repeat`` (not a failure: none of the run's convictions is missing) and a note naming
    the earlier file; nothing is read from it and the earlier file's rows stand.
    """
    # Only a file of the same size can repeat this one: the fingerprints are compared (and waited
    # for, see FileReport.sha256) for those alone.
    original = next(
        (e for e in earlier if e.status == OK and e.bytes == report.bytes and e.sha256 and e.sha256 == report.sha256),
        None,
    )
    if original is None:
        return False
    report.status = REPEAT
    report.error = ""
    report.note = repeat_note(original.file)
    report.rows_read = report.rows_used = report.rows_skipped = 0
    return True


def repeat_note(original: str) -> str:
    """What a repeated file's report says, in the manifest, the Run sheet and the filing summary."""
    return f"repeats {original} (identical content, SHA-256); its rows were used once, from {original}"


def refuse_if_none_usable(files: list[FileReport]) -> None:
    """Stop with a :class:`~blueprint.base.errors.UsageError` when no input file could be read.

    One file: one line naming it and the reason. Several: a line, then one line per file. The
    command then writes nothing (``clearance run`` and ``clearance inspect`` alike).
    """
    from ..base.errors import UsageError

    if not files or any(f.status != FAILED for f in files):
        return
    if len(files) == 1:
        raise UsageError(f"{files[0].file}: {files[0].error} (nothing was written)")
    lines = "\n".join(f"  {f.file}: {f.error}" for f in files)
    raise UsageError(f"none of the {len(files)} input files can be used (nothing was written):\n{lines}")


def distinct_paths(paths: Iterable[Path | str]) -> tuple[list[Path], list[tuple[Path, Path]]]:
    """The input paths with a path given again left out, and each one left out with the path it repeats.

    ``--input doj.dat doj.dat`` (or ``doj.dat ../here/doj.dat``, or a link to it) names one file: it
    is read once, so that it is not taken for a second file with the same content.
    """
    kept: dict[Path, Path] = {}
    again: list[tuple[Path, Path]] = []
    for p in map(Path, paths):
        key = p.resolve()
        if key in kept:
            again.append((p, kept[key]))
        else:
            kept[key] = p
    return list(kept.values()), again


def split_people(table: pa.Table, parts: int, prune: bool) -> list[pa.Table]:
    """The (kept) rows of one chunk in ``parts`` tables of whole people, with one copy.

    The rows are taken once in part order (file order kept within a part) and the parts are
    zero-copy slices of that one table. The local run splits for its processes this way, and the
    cloud's split step for its shards.
    """
    which = shard_numbers(table["SUBJECT_ID"], parts)
    rows = np.arange(table.num_rows)
    if prune and table.num_rows:
        rows = np.flatnonzero(_engine_row_mask(table))
    mine = which[rows]
    order = rows[np.argsort(mine, kind="stable")]
    taken = _kept(table, order) if prune else table.take(pa.array(order))
    sizes = np.bincount(mine, minlength=parts)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return [taken.slice(int(start), int(size)) for start, size in zip(starts, sizes)]


def read_doj_files(
    paths: Iterable[Path | str],
    progress: Callable[[int], None] | None = None,
    *,
    prune: bool = False,
    chunk_bytes: int | None = None,
    cancel: threading.Event | None = None,
    parts: int = 1,
    observe: Observer | None = None,
) -> ReadResult:
    """Read every file of a run into one table of rows (engine columns, ``_file``, ``_line``).

    ``cancel``, when set by another thread, stops the read at the next chunk (:class:`ReadCancelled`).
    With several files, a row repeating a row of an earlier file is skipped and reported
    (``blueprint.intake.repeated_rows``).
    ``parts`` > 1 also splits the rows into that many tables of whole people as they are read
    (``ReadResult.parts``), which costs nothing extra: each chunk is copied once either way.
    ``observe(file_index, rows)`` sees every chunk of every file before it is pruned (the offense-text
    census of ``blueprint.intake.census`` counts all rows this way, in the same pass).
    """
    issues = IssueLog()
    split: list[list[pa.Table]] = [[] for _ in range(max(parts, 1))]
    reports: list[FileReport] = []
    paths = list(paths)
    seen = RowFingerprints(last_file=len(paths) - 1) if len(paths) > 1 else None  # rows repeated across files
    try:
        for index, path in enumerate(paths):
            tables, report = _read_file_parts(
                Path(path),
                index,
                issues,
                progress,
                prune=prune,
                parts=max(parts, 1),
                chunk_bytes=chunk_bytes,
                cancel=cancel,
                earlier=reports,
                seen=seen,
                observe=observe,
            )
            reports.append(report)
            if tables is not None:
                for part, table in enumerate(tables):
                    split[part].append(table)
    finally:
        if seen is not None:
            seen.close()
    joined = [pa.concat_tables(t) if t else EMPTY_SCHEMA.empty_table() for t in split]
    rows = joined[0] if len(joined) == 1 else pa.concat_tables(joined)
    return ReadResult(rows=rows, files=reports, issues=issues, parts=joined if len(joined) > 1 else [])


class BackgroundRead:
    """:func:`read_doj_files` in a thread of its own, started at once; :meth:`result` waits for it.

    The local run starts reading before it loads pandas, the engine and the policy. Arrow's parse
    and the file reads run outside Python's global lock, so that half second of
    loading and the first chunks of the read happen at the same time instead of one after the
    other. The result is exactly what :func:`read_doj_files` returns.
    """

    def __init__(
        self,
        paths: Iterable[Path | str],
        progress: Callable[[int], None] | None = None,
        *,
        prune: bool = False,
        parts: int = 1,
        observe: Observer | None = None,
    ):
        self._cancel = threading.Event()
        self._result: ReadResult | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._read, args=(list(paths), progress, prune, parts, observe), name="doj-reader", daemon=True
        )
        self._thread.start()

    def _read(self, paths: list, progress, prune: bool, parts: int, observe: Observer | None) -> None:
        try:
            self._result = read_doj_files(
                paths, progress, prune=prune, cancel=self._cancel, parts=parts, observe=observe
            )
        except BaseException as exc:  # handed to result()
            self._error = exc

    def result(self) -> ReadResult:
        """Wait for the read; return its result or raise what it raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        """Stop the read at its next chunk and wait for the thread to end; the rows are discarded."""
        self._cancel.set()
        self._thread.join()


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


__all__ = [
    "BackgroundRead",
    "FileRejected",
    "FileReport",
    "ReadCancelled",
    "ReadResult",
    "read_doj_files",
    "FAILED",
    "REPEAT",
    "distinct_paths",
    "mark_repeat",
    "refuse_if_none_usable",
    "repeat_note",
    "split_people",
    "sniff",
    "estimate_rows",
]
