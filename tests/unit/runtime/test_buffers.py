"""The read buffers, the byte counter and the prefetch thread (blueprint.runtime.buffers).

The reader's own tests read whole DOJ files through these; here each piece is checked on its own,
on inputs chosen to reach its edges: a quoted line break at a cut, a line longer than a piece, a
consumer that holds a piece while the reading thread runs ahead.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

from blueprint.runtime.buffers import READ_BUFFERS, ByteCounter, is_ascii, line_chunks, prefetch


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [bytes(piece) for piece in line_chunks(io.BytesIO(data), size, ByteCounter())]


@pytest.mark.parametrize("size", [7, 16, 64, 1 << 20])
def test_pieces_end_on_a_line_and_rejoin_to_the_file(size):
    data = b"".join(b"%d,row,%s\n" % (n, b"x" * (n % 13)) for n in range(500)) + b"last,without,break"
    pieces = _pieces(data, size)
    assert b"".join(pieces) == data
    assert all(piece.endswith(b"\n") for piece in pieces[:-1])
    if size < len(data):
        assert len(pieces) > 1


def test_a_quoted_line_break_is_never_a_cut():
    row = b'1,"two\nlines",3\n'
    data = row * 200
    for size in range(len(row), 60):  # a whole row always fits in twice the piece size
        pieces = _pieces(data, size)
        assert b"".join(pieces) == data
        for piece in pieces:
            assert piece.count(b'"') % 2 == 0, (size, piece)


def test_a_stray_quote_falls_back_to_a_plain_line_cut():
    data = b'1,"never closed\n' + b"2,plain\n" * 100
    pieces = _pieces(data, 32)
    assert b"".join(pieces) == data
    assert len(pieces) > 1 and all(piece.endswith(b"\n") for piece in pieces)


def test_a_line_longer_than_a_piece_is_read_whole():
    data = b"short\n" + b"y" * 5000 + b"\nshort again\n"
    pieces = _pieces(data, 16)
    assert b"".join(pieces) == data
    assert b"y" * 5000 + b"\n" in pieces[1]


def test_a_piece_held_by_the_consumer_is_not_overwritten_while_the_reader_runs_ahead():
    data = b"".join(b"%08d\n" % n for n in range(20_000))
    seen = []
    for piece in prefetch(line_chunks(io.BytesIO(data), 4096, ByteCounter()), depth=READ_BUFFERS - 2):
        before = bytes(piece)
        time.sleep(0.001)  # the reading thread fills the next buffers meanwhile
        assert bytes(piece) == before
        seen.append(before)
    assert b"".join(seen) == data


def test_the_byte_counter_agrees_with_python():
    counter = ByteCounter()
    buf = bytearray(b'a,"b",c\n' * 1000)
    for end in (0, 1, 9, len(buf) // 2, len(buf)):
        assert counter.count(buf, ord('"'), end) == bytes(buf[:end]).count(b'"')
        assert counter.positions(buf, ord("\n"), end).tolist() == [i for i in range(end) if buf[i] == ord("\n")]
    assert counter.count(bytearray(b"\n\n"), ord("\n"), 2) == 2  # the scratch array shrinks nothing


def test_pieces_a_little_longer_than_the_last_reuse_the_counters_memory():
    """Pieces differ by the line carried over; each new longest one must not map fresh memory."""
    counter = ByteCounter()
    size = 1 << 20
    counter.count(bytearray(size), ord("\n"), size)
    scratch = counter._scratch
    for longer in (size + 100, size + 70_000, size + size // 10):
        assert counter.count(bytearray(longer), ord("\n"), longer) == 0
        assert counter._scratch is scratch


@pytest.mark.parametrize("at", [0, 7, 8, 100, 1022, 1023])
def test_one_high_byte_anywhere_makes_a_piece_not_ascii(at):
    plain = bytearray(b"abcdefgh" * 128)  # 1024 bytes: every position of the 8-byte words and the tail
    assert is_ascii(plain[:1023]) and is_ascii(plain) and is_ascii(b"")
    plain[at] = 0xE9
    assert not is_ascii(plain)
    assert not is_ascii(plain[: at + 1])


def test_prefetch_keeps_the_order_and_hands_on_the_producers_error():
    def produce():
        yield from range(5)
        raise ValueError("disk went away")

    got = []
    with pytest.raises(ValueError, match="disk went away"):
        for item in prefetch(produce(), depth=2):
            got.append(item)
    assert got == [0, 1, 2, 3, 4]


def test_a_consumer_that_stops_early_stops_the_producer():
    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield n
            n += 1

    before = threading.active_count()
    items = prefetch(endless(), depth=1)
    assert next(items) == 0
    items.close()  # the consumer gives up (a rejected file)
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count  # nothing more is read
    assert threading.active_count() == before
