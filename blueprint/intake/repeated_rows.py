"""Rows repeated across the files of one run: used once, reported once.

An office may be given a DOJ extract in several files, and the same rows can turn up in two of
them (an overlapping re-export, a file split by hand with a line copied to both halves). A row
read twice would count twice: its sentence would be added twice to the count's sentence, and a
conviction would count twice among "earlier convictions of the same section". So a row that
repeats a row of an *earlier file of the same run* is skipped and reported as ``DUPLICATE_ROW``,
naming the file and line it repeats; the first one read is used.

What "the same row" means: the row's own text as written in the file, every one of its 95 fields
byte for byte (padding, quoting and ``NULL`` included), without its line ending, without the
optional 96th empty field and without a byte-order mark. So a CRLF copy of an LF file, or a copy
with or without a header, repeats the original; a row that differs in any byte (even in a field
the engine does not read, such as a sentence order number) is another row and is kept. Comparing
whole rows rather than a key of a few columns means two genuinely different rows (two equal
sentence parts of one count, which differ only in ``SENT_ORDER``) are never merged.

How, and what it costs (nothing at all for a run of one file):

1. Each row gets a 64-bit *sample key*, computed with numpy straight from the chunk's bytes: its
   length and ten eight-byte words read at fixed places of the row (its first 24 and last 16
   bytes, and five places in between, in proportion to its length). No Python object is made per
   row; the reader does this in its reading thread, while the previous chunk is parsed.
2. The keys of the files already read are kept sorted (with each row's file, line, byte offset and
   length: 26 bytes a row); each chunk of a later file is looked up in them with a binary search.
   The last file's rows are not kept: no file comes after it.
3. A row whose key is found is compared, byte for byte, with each earlier row of that key (read
   back from the earlier file, memory-mapped). Only an exact match is a repeat: two different
   rows can share a key (the key does not see every byte), never a verdict.

Measured on a million rows in two files: about 0.45 s of CPU in all (0.17 s of it for the keys,
in the reading thread; 0.1 s for the look-ups, in the parsing thread).

Rows repeated *within* one file are left alone: DOJ writes a count with a several-part sentence on
several rows, and whether two identical rows of one file are one event or two is not something the
file can tell.
"""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np

from .issues import SKIPPED, IssueLog

BOM = b"\xef\xbb\xbf"
_WORD = 8
_HEAD = np.arange(3) * _WORD  # the first 24 bytes: record id, subject id
_TAIL = np.arange(2) * _WORD  # the last 16 bytes
_MIDDLE = np.arange(1, 6) / 6  # five places in between, in proportion to the length
_MULTIPLIERS = (np.arange(1, 11, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) | np.uint64(1)
_PRIME = np.uint64(0xFF51AFD7ED558CCD)
_BLOCK = 4096  # rows keyed at once


def line_extents(
    data, first_in_file: bool, field_count: int, breaks: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each physical line of a chunk as byte positions: (start, end of its text).

    The text excludes the line ending (LF or CRLF), a byte-order mark at the start of the file,
    and the optional 96th empty field's comma. ``breaks`` (where the LFs are) may be given when
    the caller has found them already.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    size = len(arr)
    if breaks is None:
        breaks = np.flatnonzero(arr == 10)
    if size and arr[-1] != 10:  # the file's last line, without a line ending
        breaks = np.append(breaks, size)
    starts = np.empty(len(breaks), dtype=np.int64)
    if len(breaks):
        starts[0] = 0
        starts[1:] = breaks[:-1] + 1
    ends = breaks.astype(np.int64)
    before = np.maximum(ends - 1, 0)
    ends = ends - ((ends > starts) & (arr[before] == 13))
    if field_count > 95:
        before = np.maximum(ends - 1, 0)
        ends = ends - ((ends > starts) & (arr[before] == 44))
    if first_in_file and len(starts) and bytes(arr[:3]) == BOM:
        starts[0] = min(3, int(ends[0]))
    return starts, ends


def record_extents(
    data, first_line: int, records: np.ndarray, every_record: np.ndarray, first_in_file: bool, field_count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The byte extent of each record starting on a line of ``records`` (a quoted value may span lines).

    ``first_line`` is the number of the chunk's first physical line; ``every_record`` holds the first
    line of every record of the chunk (well-formed or not, sorted), so a record runs up to the line
    before the next one starts. A record on one line is that line's text.
    """
    starts, ends = line_extents(data, first_in_file, field_count)
    first = records - first_line
    following = np.searchsorted(every_record, records, side="right")
    last = np.where(
        following < len(every_record),
        every_record[np.minimum(following, len(every_record) - 1)] - 1,
        first_line + len(starts) - 1,
    )
    return starts[first], ends[last - first_line]


def sample_keys(data, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """A 64-bit key per extent from its length and ten eight-byte words read inside it (numpy only).

    The words are read at once (one gather of rows x 10) and mixed as a polynomial with fixed odd
    multipliers, wrapping at 64 bits; an extent shorter than a word is keyed by its length alone.
    """
    arr = np.frombuffer(data, dtype=np.uint8)
    length = (ends - starts).astype(np.int64)
    key = length.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    if len(arr) < _WORD or len(starts) == 0:
        return key.view(np.int64)
    # Every eight-byte word of the buffer, whatever its alignment (a view, no copy).
    words = np.ndarray(shape=(len(arr) - _WORD + 1,), dtype="<u8", buffer=arr, offset=0, strides=(1,))
    mixed = np.empty(len(starts), dtype=np.uint64)
    for at in range(0, len(starts), _BLOCK):  # in blocks of rows, so the temporaries stay small
        block = slice(at, at + _BLOCK)
        first = starts[block, None]
        last = np.maximum(ends[block] - _WORD, starts[block])[:, None]  # the last word inside the extent
        places = np.concatenate(
            [
                np.minimum(first + _HEAD, last),
                np.maximum(last - _TAIL, first),
                np.minimum(first + (length[block, None] * _MIDDLE).astype(np.int64), last),
            ],
            axis=1,
        )
        np.minimum(places, len(words) - 1, out=places)
        sampled = words[places]
        sampled *= _MULTIPLIERS
        mixed[block] = sampled.sum(axis=1, dtype=np.uint64)
    key = key ^ np.where(length >= _WORD, mixed, np.uint64(0))
    key ^= key >> np.uint64(29)
    key *= _PRIME
    key ^= key >> np.uint64(32)
    return key.view(np.int64)


class _Rows:
    """Rows of the file being read, in a few arrays that grow by doubling.

    Kept in large arrays rather than one small array per chunk: thousands of small arrays kept
    alive among the chunks' freed temporaries would leave the process's heap fragmented.
    """

    _FIELDS = {"keys": np.int64, "files": np.int16, "lines": np.int32, "offsets": np.int64, "lengths": np.int32}

    def __init__(self) -> None:
        self._size = 0
        self._data = {name: np.empty(0, dtype=kind) for name, kind in self._FIELDS.items()}

    def __len__(self) -> int:
        return self._size

    def append(self, keys, file_index: int, lines, offsets, lengths) -> None:
        n = len(keys)
        end = self._size + n
        if end > len(self._data["keys"]):
            capacity = max(end, 2 * len(self._data["keys"]), 1 << 18)
            for name, array in self._data.items():
                grown = np.empty(capacity, dtype=array.dtype)
                grown[: self._size] = array[: self._size]
                self._data[name] = grown
        self._data["keys"][self._size : end] = keys
        self._data["files"][self._size : end] = file_index
        self._data["lines"][self._size : end] = lines
        self._data["offsets"][self._size : end] = offsets
        self._data["lengths"][self._size : end] = lengths
        self._size = end

    def arrays(self) -> dict[str, np.ndarray]:
        return {name: array[: self._size] for name, array in self._data.items()}


class RowFingerprints:
    """The rows already used in this run, to recognise a row seen in an earlier file.

    The rows of the file being read are held apart (:meth:`add`) until the file is accepted
    (:meth:`commit`): a file that fails half-way, or repeats an earlier file whole, leaves nothing
    behind (:meth:`discard`). :meth:`close` releases the earlier files' memory maps.
    """

    def __init__(self, last_file: int | None = None) -> None:
        self.last_file = last_file
        self._keys = np.empty(0, dtype=np.int64)  # sorted; equal keys in reading order
        self._files = np.empty(0, dtype=np.int16)  # as the reader numbers files (``_file``)
        self._lines = np.empty(0, dtype=np.int32)
        self._offsets = np.empty(0, dtype=np.int64)
        self._lengths = np.empty(0, dtype=np.int32)
        self._names: dict[int, str] = {}
        self._maps: dict[int, mmap.mmap] = {}
        self._pending = _Rows()

    def find(
        self, keys: np.ndarray, data, starts: np.ndarray, ends: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which rows (``data[starts:ends]``, keyed ``keys``) repeat a row of an earlier file.

        Returns a mask, and for the repeats the file index and line of the earliest identical row.
        """
        n = len(keys)
        hit = np.zeros(n, dtype=bool)
        if len(self._keys) == 0 or n == 0:
            return hit, np.empty(0, np.int16), np.empty(0, np.int32)
        low = np.searchsorted(self._keys, keys, side="left")
        seen_key = self._keys[np.minimum(low, len(self._keys) - 1)] == keys
        where = np.full(n, -1, dtype=np.int64)
        view = memoryview(data)
        for row in np.flatnonzero(seen_key).tolist():  # only rows whose key was seen: few
            text = view[starts[row] : ends[row]]
            high = int(np.searchsorted(self._keys, keys[row], side="right"))
            for at in range(int(low[row]), high):
                start = int(self._offsets[at])
                earlier = self._maps[int(self._files[at])][start : start + int(self._lengths[at])]
                if earlier == text:
                    where[row] = at
                    break
        hit = where >= 0
        return hit, self._files[where[hit]], self._lines[where[hit]]

    def name(self, file_index: int) -> str:
        return self._names.get(int(file_index), f"file {int(file_index) + 1}")

    def add(
        self, keys: np.ndarray, file_index: int, lines: np.ndarray, offsets: np.ndarray, lengths: np.ndarray
    ) -> None:
        """Hold rows of the file being read (``offsets`` in the file): committed with the file.

        Rows of the run's last file (``last_file``) are not held: no file comes after it.
        """
        if len(keys) and file_index != self.last_file:
            self._pending.append(keys, file_index, lines, offsets, lengths)

    def commit(self, file_index: int, name: str, path: str | Path | None = None) -> None:
        """The file being read was accepted: its rows are now 'seen before' for the later files."""
        self._names[int(file_index)] = name
        if not len(self._pending):
            return
        assert path is not None, "rows pending comparison need their file"
        with open(path, "rb") as fh:  # the rows are compared against the file itself, read on demand
            self._maps[int(file_index)] = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        new = self._pending.arrays()
        keys = np.concatenate([self._keys, new["keys"]])
        order = np.argsort(keys, kind="stable")  # equal keys stay in reading order: the first is leftmost
        self._keys = keys[order]
        del keys
        self._files = np.concatenate([self._files, new["files"]])[order]
        self._lines = np.concatenate([self._lines, new["lines"]])[order]
        self._offsets = np.concatenate([self._offsets, new["offsets"]])[order]
        self._lengths = np.concatenate([self._lengths, new["lengths"]])[order]
        self._pending = _Rows()

    def discard(self) -> None:
        """The file being read was rejected: forget its rows."""
        self._pending = _Rows()

    def close(self) -> None:
        for mapped in self._maps.values():
            mapped.close()
        self._maps.clear()


class RecordsSeen:
    """The records of the files already read, for a reader that holds its rows as Python values.

    The mapped-CSV reader parses every row in Python anyway; it compares whole records (tuples of
    the values as written) exactly, with a dictionary. Same life cycle as :class:`RowFingerprints`.
    """

    def __init__(self) -> None:
        self._first: dict[tuple, tuple[int, int]] = {}
        self._pending: dict[tuple, tuple[int, int]] = {}
        self._names: dict[int, str] = {}

    def find(self, record: tuple) -> tuple[int, int] | None:
        """(file index, line) where ``record`` was first read in an earlier file, or None."""
        return self._first.get(record)

    def add(self, record: tuple, file_index: int, line: int) -> None:
        self._pending.setdefault(record, (file_index, line))

    def name(self, file_index: int) -> str:
        return self._names.get(int(file_index), f"file {int(file_index) + 1}")

    def commit(self, file_index: int, name: str, path=None) -> None:
        self._names[int(file_index)] = name
        for record, first in self._pending.items():
            self._first.setdefault(record, first)
        self._pending = {}

    def discard(self) -> None:
        self._pending = {}


def report_repeats(
    issues: IssueLog, file_name: str, lines: np.ndarray, first_names: np.ndarray, first_lines: np.ndarray
) -> None:
    """One ``DUPLICATE_ROW`` issue per repeated row, naming where the row was first read."""
    if len(lines) == 0:
        return
    problems = (
        "row is identical to line "
        + np.asarray(first_lines).astype(str).astype(object)
        + " of "
        + np.asarray(first_names, dtype=object)
        + ", read earlier in this run; it is used once, from there"
    )
    issues.add(file_name, np.asarray(lines), "(row)", "DUPLICATE_ROW", problems, SKIPPED)


def drop_repeated(
    data,
    starts: np.ndarray,
    ends: np.ndarray,
    keys: np.ndarray | None,
    chunk_offset: int,
    lines: np.ndarray,
    file_index: int,
    file_name: str,
    seen: RowFingerprints,
    issues: IssueLog,
) -> np.ndarray:
    """Report the rows (``data[starts:ends]`` on ``lines``) that repeat a row of an earlier file.

    ``keys`` are the rows' sample keys (computed here when None). Returns the mask of rows to keep;
    the rows kept are held in ``seen`` for the files after this one (``chunk_offset`` is where
    ``data`` starts in the file).
    """
    if keys is None:
        keys = sample_keys(data, starts, ends)
    hit, first_file, first_line = seen.find(keys, data, starts, ends)
    if hit.any():
        names = np.array([seen.name(f) for f in range(int(first_file.max()) + 1)], dtype=object)
        report_repeats(issues, file_name, lines[hit], names[first_file.astype(np.int64)], first_line)
    keep = ~hit
    seen.add(keys[keep], file_index, lines[keep], starts[keep] + chunk_offset, (ends - starts)[keep])
    return keep


__all__ = [
    "RecordsSeen",
    "RowFingerprints",
    "drop_repeated",
    "line_extents",
    "record_extents",
    "report_repeats",
    "sample_keys",
]
