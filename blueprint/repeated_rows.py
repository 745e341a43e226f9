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
with or without a header, repeats the original; a row that differs in any byte (even a field that
the engine does not read, such as a sentence order number) is another row and is kept. Comparing
whole rows rather than a key of a few columns means two genuinely different rows (two equal
sentence parts of one count, which differ only in ``SENT_ORDER``) are never merged.

How, and what it costs: each row's text is reduced to a 64-bit fingerprint (Python's keyed
SipHash of the bytes, computed in C per line: 20-30 ms per 16 MB chunk); the fingerprints of
the files read so far are kept as one sorted numpy array (8 bytes per row, 14 with the file and
line of each), and each chunk of a later file is looked up in it with a binary search. Two different rows share
a fingerprint with odds of about one in 10^8 for a run of a million rows; even then nothing is
lost silently, because the skipped row is in the data-issues report with both places named. A run
of one file has nothing to compare with and pays nothing. Rows repeated *within* one file are
left alone: DOJ writes a count with a several-part sentence on several rows, and whether two
identical rows of one file are one event or two is not something the file can tell.
"""

from __future__ import annotations

import operator

import numpy as np

from .issues import SKIPPED, IssueLog

BOM = b"\xef\xbb\xbf"
_STRIP_CR = operator.methodcaller("rstrip", b"\r")


class RowFingerprints:
    """The fingerprints of every row already used in this run, to recognise a row seen before.

    The rows of the file being read are held apart (:meth:`add`) until the file is accepted
    (:meth:`commit`): a file that fails half-way, or repeats an earlier file whole, leaves nothing
    behind (:meth:`discard`).
    """

    def __init__(self) -> None:
        self._keys = np.empty(0, dtype=np.int64)  # sorted
        self._files = np.empty(0, dtype=np.int16)  # as the reader numbers files (``_file``)
        self._lines = np.empty(0, dtype=np.int32)  # 14 bytes a row in all
        self._names: dict[int, str] = {}
        self._pending: list[tuple[np.ndarray, int, np.ndarray]] = []

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Which ``keys`` were seen in an earlier file: a mask, and the file index and line first seen."""
        keys = np.asarray(keys, dtype=np.int64)
        if len(self._keys) == 0 or len(keys) == 0:
            return np.zeros(len(keys), dtype=bool), np.empty(0, np.int16), np.empty(0, np.int32)
        at = np.searchsorted(self._keys, keys)  # the leftmost equal key: the earliest row of that text
        at_clipped = np.minimum(at, len(self._keys) - 1)
        hit = self._keys[at_clipped] == keys
        return hit, self._files[at_clipped[hit]], self._lines[at_clipped[hit]]

    def name(self, file_index: int) -> str:
        return self._names.get(int(file_index), f"file {int(file_index) + 1}")

    def add(self, keys: np.ndarray, file_index: int, lines: np.ndarray) -> None:
        """Hold the fingerprints of rows of the file being read (committed with the file)."""
        if len(keys):
            self._pending.append((np.asarray(keys, dtype=np.int64), file_index, np.asarray(lines, dtype=np.int32)))

    def commit(self, file_index: int, name: str) -> None:
        """The file being read was accepted: its rows are now 'seen before' for the later files."""
        self._names[int(file_index)] = name
        if not self._pending:
            return
        keys = np.concatenate([self._keys] + [p[0] for p in self._pending])
        files = np.concatenate([self._files] + [np.full(len(p[0]), p[1], dtype=np.int16) for p in self._pending])
        lines = np.concatenate([self._lines] + [p[2] for p in self._pending])
        order = np.argsort(keys, kind="stable")  # equal keys stay in reading order: the first is leftmost
        self._keys, self._files, self._lines = keys[order], files[order], lines[order]
        self._pending = []

    def discard(self) -> None:
        """The file being read was rejected: forget its rows."""
        self._pending = []


def fingerprints(lines: list[bytes], field_count: int) -> np.ndarray:
    """The 64-bit fingerprint of each row text (line ending already removed)."""
    if field_count > 95:  # the optional 96th empty field: its comma is not part of the row
        lines = [line[:-1] if line.endswith(b",") else line for line in lines]
    return np.fromiter(map(hash, lines), dtype=np.int64, count=len(lines))


def physical_lines(data) -> list[bytes]:
    """The chunk's physical lines without their line endings (CRLF, LF, or a mix of both)."""
    text = bytes(data)
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if b"\r" in text:  # CRLF: one C call per line drops the CR (splitting on CRLF itself is slower)
        lines = list(map(_STRIP_CR, lines))
    if lines and lines[0].startswith(BOM):
        lines[0] = lines[0][len(BOM):]
    return lines


def record_texts(lines: list[bytes], first_line: int, starts: np.ndarray, all_starts: np.ndarray) -> list[bytes]:
    """The text of each record that starts on a line of ``starts`` (a quoted value may span lines).

    ``lines`` are the chunk's physical lines, the first of them numbered ``first_line``;
    ``all_starts`` are the first lines of every record of the chunk (well-formed or not), sorted,
    so a record runs up to the line before the next record starts.
    """
    ends = np.searchsorted(all_starts, starts, side="right")
    stop = np.where(ends < len(all_starts), all_starts[np.minimum(ends, len(all_starts) - 1)], first_line + len(lines))
    return [b"\n".join(lines[s - first_line:e - first_line]) for s, e in zip(starts.tolist(), stop.tolist())]


def drop_repeated(keys: np.ndarray, lines: np.ndarray, file_index: int, file_name: str, seen: RowFingerprints,
                  issues: IssueLog) -> np.ndarray:
    """Report the rows (``keys``, ``lines``) that repeat a row of an earlier file; return the mask to keep.

    The rows kept are held in ``seen`` for the files after this one.
    """
    hit, first_file, first_line = seen.find(keys)
    if hit.any():
        names = np.array([seen.name(f) for f in range(int(first_file.max()) + 1)], dtype=object)
        problems = ("row is identical to line " + first_line.astype(str).astype(object) + " of "
                    + names[first_file] + ", read earlier in this run; it is used once, from there")
        issues.add(file_name, lines[hit], "(row)", "DUPLICATE_ROW", problems, SKIPPED)
    keep = ~hit
    seen.add(keys[keep], file_index, lines[keep])
    return keep


__all__ = ["RowFingerprints", "drop_repeated", "fingerprints", "physical_lines", "record_texts"]
