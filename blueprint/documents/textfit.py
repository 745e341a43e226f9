"""Measuring and wrapping text in the PDF's standard fonts.

Both the pleading text and the large tables need line breaking. Widths come from the metrics of the
standard PDF fonts (Times, Helvetica) that every PDF reader has, so nothing is embedded and no system
font library is needed (a Lambda function has none).
"""

from __future__ import annotations

import re
from functools import lru_cache

from reportlab.pdfbase.pdfmetrics import getFont
from reportlab.pdfbase.pdfmetrics import stringWidth as _reportlab_width

from .model import Run

SERIF = {
    (False, False): "Times-Roman",
    (True, False): "Times-Bold",
    (False, True): "Times-Italic",
    (True, True): "Times-BoldItalic",
}
_TOKENS = re.compile(r"\S+|\s+")


def font_for(run: Run) -> str:
    """The standard font for a run's emphasis."""
    return SERIF[(run.bold, run.italic)]


@lru_cache(maxsize=16)
def widest_glyph(font: str) -> float:
    """The widest glyph of a font, per point of size: an upper bound for quick fit checks."""
    widths = getFont(font).widths
    return max(w for w in widths if w) / 1000.0


@lru_cache(maxsize=16)
def _glyph_widths(font: str) -> dict[str, int]:
    """Character -> width in 1/1000 em for a standard font (its WinAnsi encoding)."""
    widths = getFont(font).widths
    table = {}
    for code in range(256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        table[char] = widths[code]
    return table


def stringWidth(text: str, font: str, size: float) -> float:  # noqa: N802 - reportlab's name
    """The width of ``text`` in points: a table lookup per character (reportlab's own
    measurement, used for anything outside the font's encoding, is several times slower)."""
    table = _glyph_widths(font)
    try:
        return sum(map(table.__getitem__, text)) * size / 1000.0
    except KeyError:
        return _reportlab_width(text, font, size)


def width(text: str, font: str, size: float) -> float:
    """The width of ``text`` in points."""
    return stringWidth(text, font, size)


def wrap_plain(text: str, font: str, size: float, available: float) -> list[str]:
    """Break one plain string into lines no wider than ``available`` points.

    Breaks at spaces; a single word wider than the line (a long list of case numbers without
    spaces) is broken between characters, so nothing is ever cut off.
    """
    if not text:
        return [""]
    if len(text) * widest_glyph(font) * size <= available:  # fast path: surely fits
        return [text]
    if "\n" in text:
        lines: list[str] = []
        for part in text.split("\n"):
            lines.extend(wrap_plain(part, font, size, available))
        return lines
    if stringWidth(text, font, size) <= available:
        return [text]
    lines = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= available:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while stringWidth(word, font, size) > available and len(word) > 1:
            cut = _longest_prefix(word, font, size, available)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    lines.append(current)
    return lines


def _longest_prefix(word: str, font: str, size: float, available: float) -> int:
    cut = 1
    while cut < len(word) and stringWidth(word[: cut + 1], font, size) <= available:
        cut += 1
    return cut


Segment = tuple[float, str, str, bool]
"""A piece of a wrapped line: (x offset from the line start, text, font, underlined)."""


def wrap_runs(runs: tuple[Run, ...], size: float, available: float, first_indent: float = 0.0) -> list[list[Segment]]:
    """Break a paragraph's runs into lines of segments, keeping each run's font.

    ``first_indent`` narrows the first line (a paragraph's first-line indent).
    """
    lines: list[list[Segment]] = []
    line: list[list] = []  # [x, text, font, underline] being built
    x = 0.0
    limit = available - first_indent
    pending_space: tuple[str, str, bool] | None = None

    def close() -> None:
        nonlocal line, x, limit, pending_space
        lines.append([(s[0], s[1], s[2], s[3]) for s in line])
        line, x, limit, pending_space = [], 0.0, available, None

    def place(text: str, font: str, underline: bool, w: float) -> None:
        nonlocal x
        if line and line[-1][2] == font and line[-1][3] == underline:
            line[-1][1] += text
        else:
            line.append([x, text, font, underline])
        x += w

    for run in runs:
        font = font_for(run)
        for token in _TOKENS.findall(run.text):
            if token.isspace():
                pending_space = (" ", font, run.underline)
                continue
            w = stringWidth(token, font, size)
            space_w = stringWidth(" ", pending_space[1], size) if pending_space and line else 0.0
            if line and x + space_w + w > limit:
                close()
                space_w = 0.0
            if pending_space and line:
                place(" ", pending_space[1], pending_space[2], space_w)
            pending_space = None
            while w > limit and len(token) > 1:  # a word longer than the whole line
                cut = _longest_prefix(token, font, size, limit - x)
                place(token[:cut], font, run.underline, stringWidth(token[:cut], font, size))
                close()
                token = token[cut:]
                w = stringWidth(token, font, size)
            place(token, font, run.underline, w)
    if line or not lines:
        close()
    return lines
