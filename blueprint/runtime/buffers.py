"""Reading a large text file fast: pieces that end on a line, read buffers in rotation, a prefetch thread.

A DOJ file of millions of rows is read in pieces of a few megabytes, each ending on a line break,
so a piece can be parsed on its own. This module holds the part of that which knows nothing of
DOJ files or the law (``blueprint.intake.reader`` uses it):

- how large a piece is, and how Arrow is asked to parse one (:data:`CHUNK_BYTES`,
  :data:`PARSE_IN_THREADS`, :data:`BLOCK_SIZE`);
- the read buffers: a few buffers used in rotation, so a file of any size is read into the same
  memory (:func:`line_chunks`);
- counting and finding one byte value with numpy instead of Python (:class:`ByteCounter`), and
  telling a plain-ASCII piece from others (:func:`is_ascii`);
- the prefetch thread, which reads the next piece while the caller works on this one
  (:func:`prefetch`).
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Iterator

import numpy as np

#: A chunk (about this many bytes of the file) is what is in memory at once.
CHUNK_BYTES = 16 << 20
#: Whether Arrow parses a chunk on several threads of its own. The read already runs as a pipeline
#: of threads (read and hash, parse, prune), which keeps two cores busy; there, Arrow's own
#: threads only add their hand-over cost (a million wide rows took 1.6 s of processor time to
#: parse on threads against 1.0 s on one, and left more freed memory behind). With four cores or
#: more the parse is the pipeline's longest step, and its threads shorten it.
PARSE_IN_THREADS = (os.cpu_count() or 1) >= 4
#: Arrow parses a chunk in blocks of this size (one per thread at a time, or one after the other).
#: On one thread, 2 MB blocks stay in the processor's cache better than 4 MB blocks (a sixth less
#: parse time) and still make few enough column pieces for the steps after.
BLOCK_SIZE = (4 if PARSE_IN_THREADS else 2) << 20


class ByteCounter:
    """Counts one byte value in a buffer with numpy, into a reused scratch array.

    ``bytes.count`` holds Python's global lock and looks at one byte at a time; numpy compares
    16 or 32 bytes per instruction and lets the other threads run meanwhile (a quarter of the time
    on a 16 MB piece). The scratch array is allocated once, so no fresh memory is mapped per piece.
    """

    def __init__(self) -> None:
        self._scratch = np.empty(0, dtype=bool)

    def count(self, buf, value: int, end: int) -> int:
        return int(np.count_nonzero(self._equal(buf, value, end)))

    def positions(self, buf, value: int, end: int) -> np.ndarray:
        """Where the byte value is, in the same pass a count takes."""
        return np.flatnonzero(self._equal(buf, value, end))

    def _equal(self, buf, value: int, end: int) -> np.ndarray:
        if end <= 0:
            return self._scratch[:0]
        if len(self._scratch) < end:
            # Room to spare: pieces differ in length by the carried-over line, and an array sized
            # to each new longest piece was freed and mapped afresh a dozen times per file.
            self._scratch = np.empty(end + (end >> 3), dtype=bool)
        return np.equal(np.frombuffer(buf, dtype=np.uint8, count=end), value, out=self._scratch[:end])


#: Read buffers in rotation: one being parsed, one waiting in the prefetch queue, one being filled.
READ_BUFFERS = 3
#: Room in each buffer for the unfinished last line carried over from the previous piece.
CARRY_HEADROOM = 1 << 20


def line_chunks(fh, size: int, counter: ByteCounter) -> Iterator[memoryview]:
    """Read a file in pieces of about ``size`` bytes that end on a line boundary.

    The pieces are views of a few read buffers used in rotation, so a file of any size is read
    into the same memory: no fresh copy of the file, and no fresh pages for the operating system to
    map on every piece (on a virtual machine that mapping cost more than Arrow's parse).

    A piece stays valid until its consumer asks for the next one. That holds because
    :func:`prefetch` keeps at most ``READ_BUFFERS - 2`` pieces queued: with one buffer being
    filled and one queued, the third is the consumer's.
    """
    pool: list[bytearray | None] = [None] * READ_BUFFERS
    carry = memoryview(b"")
    turn = 0
    while True:
        slot = turn % READ_BUFFERS
        turn += 1
        kept = len(carry)
        buf = pool[slot]
        if buf is None or len(buf) < kept + size:  # first use, or a carry longer than the headroom
            buf = pool[slot] = bytearray(kept + size + CARRY_HEADROOM)
        view = memoryview(buf)
        view[:kept] = carry  # the rest of the previous piece's last line (a different buffer)
        end = kept
        while end < kept + size:
            got = fh.readinto(view[end : kept + size])
            if not got:
                break
            end += got
        if end == kept:  # end of file
            if kept:
                yield view[:kept]
            return
        cut = buf.rfind(b"\n", 0, end)
        # A line break inside a quoted value is not a row boundary: step back to a line break with
        # balanced quotes (an even count before it). If there is none, read on (the value may end in
        # the next block), up to twice the chunk size; then keep the plain line cut (stray quote).
        quotes = counter.count(buf, ord('"'), cut) if cut != -1 else 0
        balanced = cut
        while balanced != -1 and quotes % 2:
            previous = buf.rfind(b"\n", 0, balanced)
            quotes -= buf.count(b'"', previous + 1, balanced)
            balanced = previous
        if balanced != -1 or end < 2 * size:
            cut = balanced
        if cut == -1:  # no usable line break yet (a very long line): read more into this slot
            carry = memoryview(bytes(view[:end]))
            turn -= 1
            continue
        carry = view[cut + 1 : end]
        yield view[: cut + 1]


def is_ascii(data) -> bool:
    """Whether every byte of ``data`` is below 128, eight bytes at a time (a few ms per 16 MB)."""
    raw = np.frombuffer(data, dtype=np.uint8)
    whole = len(raw) // 8 * 8
    high = int(np.bitwise_or.reduce(raw[:whole].view(np.uint64))) if whole else 0
    return not (high & 0x8080808080808080 or int(raw[whole:].max(initial=0)) & 0x80)


def prefetch(items: Iterator, depth: int = 1) -> Iterator:
    """Produce the next item in a background thread while the caller works on the current one.

    Reading, hashing and counting the next chunk overlaps Arrow's parse of this one (both release
    the GIL). Exceptions from the producer are re-raised in the caller; if the caller stops early
    (a rejected file), the producer is told to stop and the thread ends.
    """
    done = object()
    stop = threading.Event()
    q: queue.Queue = queue.Queue(maxsize=depth)

    def put(item) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer
            put(exc)
            return
        put(done)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


__all__ = [
    "BLOCK_SIZE",
    "CARRY_HEADROOM",
    "CHUNK_BYTES",
    "PARSE_IN_THREADS",
    "READ_BUFFERS",
    "ByteCounter",
    "is_ascii",
    "line_chunks",
    "prefetch",
]
