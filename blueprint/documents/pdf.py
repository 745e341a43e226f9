"""Drawing a document as PDF with reportlab's canvas, on California pleading paper when asked.

Why the canvas and not reportlab's story/table layout engine: Attachment A can hold tens of thousands
of rows, and a layout-engine table of that size takes minutes. Here the layout is a simple two-pass
affair: first every block is placed on pages (so the total page count is known for "Page N of M"),
then the pages are drawn. Fonts are the standard PDF fonts, so nothing needs embedding and no
system library is used: this runs unchanged in a Lambda function.

Pleading paper (California Rules of Court, rule 2.108): 28 numbered lines down the left margin at a
fixed 24-point pitch, a double rule to the left of the text and a single rule to its right. Body text
is double spaced onto those lines; captions, signature blocks and tables are single spaced.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import BinaryIO

from reportlab import rl_config
from reportlab.lib.pagesizes import letter, landscape
from reportlab.pdfgen.canvas import Canvas

from .model import Caption, Document, PageBreak, Paragraph, Run, Signature, Space, Table, TableData, table_rows
from .textfit import width, wrap_plain, wrap_runs

# Compressed page streams are written as binary, not ASCII85 text: smaller and faster to write.
rl_config.useA85 = 0

BODY_SIZE = 12.0
LINE = 24.0  # one pleading line
HALF = 12.0  # single spacing
PLEADING_LINES = 28

# Portrait pleading page geometry, in points (1 inch = 72 points).
P_WIDTH, P_HEIGHT = letter
P_FIRST_BASELINE = 714.0
P_LAST_BASELINE = P_FIRST_BASELINE - (PLEADING_LINES - 1) * LINE  # 66
P_NUMBER_RIGHT = 60.0
P_RULE_LEFT = (67.0, 70.0)
P_RULE_RIGHT = 542.0
P_TEXT_LEFT = 86.0
P_TEXT_RIGHT = 532.0
INDENT = 36.0


@dataclass
class _Frame:
    """Where text may go on a page of a given document type."""

    width: float
    height: float
    left: float
    right: float
    top: float  # first baseline
    bottom: float  # lowest allowed baseline
    pleading: bool


def _frame(doc: Document) -> _Frame:
    if doc.pleading and not doc.landscape:
        return _Frame(P_WIDTH, P_HEIGHT, P_TEXT_LEFT, P_TEXT_RIGHT, P_FIRST_BASELINE, P_LAST_BASELINE, True)
    w, h = landscape(letter) if doc.landscape else letter
    top = h - 36.0 - (14.0 if doc.header else 0.0)
    return _Frame(w, h, 24.0, w - 24.0, top - 10.0, 60.0, False)


@dataclass
class _TableGeometry:
    xs: list[float]  # left edge of each column, then the right edge of the table
    font_size: float
    leading: float
    pad: float = 2.0


@dataclass
class _Page:
    texts: list[tuple] = field(default_factory=list)  # (x, y, font, size, text)
    lines: list[tuple] = field(default_factory=list)  # (x1, y1, x2, y2, width)
    rows: list[tuple] = field(default_factory=list)  # (geometry, y_top, height, cells, font)


class _Layout:
    """Places the blocks of one document onto pages."""

    def __init__(self, doc: Document, data: TableData | None):
        self.doc = doc
        self.data = data
        self.f = _frame(doc)
        self.pages: list[_Page] = []
        self.new_page()

    # -- page handling ------------------------------------------------------------------------
    def new_page(self) -> None:
        self.page = _Page()
        self.pages.append(self.page)
        self.y = self.f.top

    def room(self) -> float:
        """Vertical room left above the bottom limit, from the current baseline."""
        return self.y - self.f.bottom

    def snap(self) -> None:
        """Move down to the next whole pleading line (after single-spaced material)."""
        if not self.f.pleading:
            return
        steps = (self.f.top - self.y) / LINE
        whole = int(steps) if abs(steps - round(steps)) > 1e-6 else int(round(steps))
        if abs(steps - whole) > 1e-6:
            whole += 1
        self.y = self.f.top - whole * LINE
        if self.y < self.f.bottom - 1e-6:
            self.new_page()

    def text(self, x: float, y: float, font: str, size: float, text: str) -> None:
        if text:
            self.page.texts.append((x, y, font, size, text))

    # -- blocks -------------------------------------------------------------------------------
    def place(self, blocks: list) -> None:
        for i, block in enumerate(blocks):
            if not (isinstance(block, Paragraph) and block.style == "single"):
                self.snap()  # back onto the pleading grid after single-spaced lines
            if isinstance(block, Paragraph):
                following = blocks[i + 1] if i + 1 < len(blocks) else None
                self.paragraph(block, following)
            elif isinstance(block, Caption):
                self.caption(block)
            elif isinstance(block, Signature):
                self.signature(block)
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, PageBreak):
                self.new_page()
            elif isinstance(block, Space):
                for _ in range(block.lines):
                    self.advance(self.pitch())

    def lines_left(self, pitch: float) -> int:
        """How many lines of this pitch still fit on the page, counting the current one."""
        return int((self.y - self.f.bottom) / pitch + 1e-6) + 1

    def pitch(self) -> float:
        return LINE if self.f.pleading else 14.0

    def advance(self, step: float) -> None:
        self.y -= step
        if self.y < self.f.bottom - 1e-6:
            self.new_page()

    def paragraph(self, p: Paragraph, following=None) -> None:
        f = self.f
        pitch = HALF if p.style == "single" else self.pitch()
        left = f.left
        first_indent = 0.0
        if p.style == "body":
            first_indent = INDENT
        elif p.style == "item":
            left = f.left + INDENT
        available = f.right - left
        runs = p.runs
        if p.style == "heading":  # headings are bold throughout
            runs = tuple(Run(r.text, True, r.italic, r.underline) for r in runs)
        lines = wrap_runs(runs, BODY_SIZE, available, first_indent)
        # Orphan control: start on a new page unless two lines fit here (plus two lines of the
        # next block for a heading), but let long paragraphs flow across pages.
        need_lines = min(len(lines), 2) + (2 if p.keep_with_next and following is not None else 0)
        if self.lines_left(pitch) < need_lines and self.y < f.top - 1e-6:
            self.new_page()
        for n, segments in enumerate(lines):
            line_width = segments[-1][0] + width(segments[-1][1], segments[-1][2], BODY_SIZE) if segments else 0
            if p.style in ("center", "heading"):
                x0 = left + (available - line_width) / 2
            elif p.style == "right":
                x0 = f.right - line_width
            else:
                x0 = left + (first_indent if n == 0 else 0.0)
            if n == 0 and p.style == "item" and p.number:
                self.text(
                    f.left + INDENT - 6 - width(p.number, "Times-Roman", BODY_SIZE),
                    self.y,
                    "Times-Roman",
                    BODY_SIZE,
                    p.number,
                )
            for dx, text, font, underline in segments:
                self.text(x0 + dx, self.y, font, BODY_SIZE, text)
                if underline:
                    w = width(text, font, BODY_SIZE)
                    self.page.lines.append((x0 + dx, self.y - 1.5, x0 + dx + w, self.y - 1.5, 0.6))
            self.advance(pitch)

    def caption(self, c: Caption) -> None:
        f = self.f
        for line in c.counsel:
            self.text(f.left, self.y, "Times-Roman", BODY_SIZE, line)
            self.advance(HALF)
        self.snap()
        self.advance(LINE if f.pleading else HALF)
        for line in c.court:
            self.text(
                f.left + (f.right - f.left - width(line, "Times-Bold", BODY_SIZE)) / 2,
                self.y,
                "Times-Bold",
                BODY_SIZE,
                line,
            )
            self.advance(HALF)
        self.snap()
        self.advance(HALF)
        middle = f.left + (f.right - f.left) * 0.59  # "THE PEOPLE OF THE STATE OF CALIFORNIA," fits on one line
        left_lines = [s for line in c.parties for s in wrap_plain(line, "Times-Roman", BODY_SIZE, middle - f.left - 8)]
        right_lines = [s for line in c.case for s in wrap_plain(line, "Times-Bold", BODY_SIZE, f.right - middle - 10)]
        rows = max(len(left_lines), len(right_lines)) + 1
        for i in range(rows):
            if i < len(left_lines):
                self.text(f.left, self.y, "Times-Roman", BODY_SIZE, left_lines[i])
            if i < len(right_lines):
                self.text(middle + 10, self.y, "Times-Bold", BODY_SIZE, right_lines[i])
            self.text(middle - 2, self.y, "Times-Roman", BODY_SIZE, ")")
            self.y -= HALF
        bottom = self.y + HALF - 3
        self.page.lines.append((f.left, bottom, middle, bottom, 0.6))
        self.snap()
        self.advance(self.pitch())

    def signature(self, s: Signature) -> None:
        f = self.f
        need = HALF * (len(s.lines) + 4) + LINE
        if self.room() < need:
            self.new_page()
        if s.date_line:
            self.text(f.left, self.y, "Times-Roman", BODY_SIZE, s.date_line)
        self.advance(self.pitch())
        x = f.left + (f.right - f.left) * 0.5
        self.advance(HALF)
        self.page.lines.append((x, self.y + 2, f.right, self.y + 2, 0.6))
        self.y -= HALF
        for line in s.lines:
            for part in wrap_plain(line, "Times-Roman", BODY_SIZE, f.right - x):
                self.text(x, self.y, "Times-Roman", BODY_SIZE, part)
                self.y -= HALF
        self.snap()

    def table(self, t: Table) -> None:
        f = self.f
        size = t.font_size
        leading = size * 1.2
        pad = 2.0
        total = sum(c.width for c in t.columns)
        xs = [f.left]
        for c in t.columns:
            xs.append(xs[-1] + (f.right - f.left) * c.width / total)
        geo = _TableGeometry(xs, size, leading, pad)
        avail = [xs[i + 1] - xs[i] - 2 * pad for i in range(len(t.columns))]
        header = [wrap_plain(c.label, "Helvetica-Bold", size, avail[i]) for i, c in enumerate(t.columns)]
        header_h = max(len(h) for h in header) * leading + 2 * pad
        rows = table_rows(t, self.data)

        if t.title:
            self.text(f.left, self.y, "Times-Bold", BODY_SIZE, t.title)
            self.y -= HALF
        # The table's top edge sits just under the current baseline's line box.
        top = self.y + BODY_SIZE * 0.8
        floor = f.bottom - 8.0

        def start_segment(top: float) -> float:
            self.page.rows.append((geo, top, header_h, header, "Helvetica-Bold"))
            return top - header_h

        if top - header_h - leading - 2 * pad < floor:
            self.new_page()
            top = self.y + BODY_SIZE * 0.8
        y = start_segment(top)
        fast = wrap_plain
        font = "Helvetica"
        for row in rows:
            cells = [fast(str(v) if v is not None else "", font, size, avail[i]) for i, v in enumerate(row)]
            h = max(len(c) for c in cells) * leading + 2 * pad
            if y - h < floor:
                self.new_page()
                y = start_segment(self.y + BODY_SIZE * 0.8)
            self.page.rows.append((geo, y, h, cells, font))
            y -= h
        # Continue below the table (on the pleading grid, or after a small gap).
        self.y = y - (BODY_SIZE if f.pleading else 2 * BODY_SIZE)
        if self.y < f.bottom:
            self.new_page()
        else:
            self.snap()


def render_pdf(doc: Document, out: str | os.PathLike[str] | BinaryIO, data: TableData | None = None) -> int:
    """Draw ``doc`` as a PDF into ``out`` (a path or a binary file); return the page count."""
    layout = _Layout(doc, data)
    layout.place(doc.blocks)
    pages = layout.pages
    # A block that ends exactly at the foot of a page opens the next page in advance; when nothing
    # follows, that page would be blank ("Page 5 of 5" with no rows), so it is not a page.
    while len(pages) > 1 and not (pages[-1].texts or pages[-1].lines or pages[-1].rows):
        pages.pop()
    f = layout.f
    target = out if hasattr(out, "write") else os.fspath(out)
    canvas = Canvas(target, pagesize=(f.width, f.height), invariant=1, pageCompression=1)
    canvas.setTitle(doc.title)
    canvas.setCreator("clearance-kit")
    if f.pleading:
        _pleading_form(canvas)
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        if f.pleading:
            canvas.doForm("pleading")
        _draw_page(canvas, page)
        _draw_furniture(canvas, doc, f, number, total)
        canvas.showPage()
    canvas.save()
    return total


def render_pdf_bytes(doc: Document, data: TableData | None = None) -> bytes:
    """Draw ``doc`` as PDF and return the bytes."""
    buffer = io.BytesIO()
    render_pdf(doc, buffer, data)
    return buffer.getvalue()


def _pleading_form(canvas: Canvas) -> None:
    """The pleading paper background, drawn once and reused on every page."""
    canvas.beginForm("pleading")
    canvas.setLineWidth(0.6)
    for x in P_RULE_LEFT:
        canvas.line(x, 0, x, P_HEIGHT)
    canvas.line(P_RULE_RIGHT, 0, P_RULE_RIGHT, P_HEIGHT)
    text = canvas.beginText()
    text.setFont("Times-Roman", BODY_SIZE)
    for n in range(1, PLEADING_LINES + 1):
        label = str(n)
        text.setTextOrigin(P_NUMBER_RIGHT - width(label, "Times-Roman", BODY_SIZE), P_FIRST_BASELINE - (n - 1) * LINE)
        text.textOut(label)
    canvas.drawText(text)
    canvas.endForm()


_PDF_ESCAPES = str.maketrans({"\\": "\\\\", "(": "\\(", ")": "\\)"})


def _pdf_string(text: str) -> str:
    """Text as the inside of a PDF literal string in the standard fonts' WinAnsi encoding.

    Plain printable ASCII (nearly all DOJ data) only needs its three special characters escaped;
    anything else is encoded to cp1252 (unknown characters become '?') and written as octal escapes.
    """
    if text.isascii() and text.isprintable():
        return text.translate(_PDF_ESCAPES)
    out = []
    for code in text.encode("cp1252", "replace"):
        if 32 <= code < 127 and code not in (40, 41, 92):
            out.append(chr(code))
        else:
            out.append(f"\\{code:03o}")
    return "".join(out)


def _draw_page(canvas: Canvas, page: _Page) -> None:
    """Draw one page's text, table rows and rules.

    This is the hot path of a 66,000-row Attachment A, so it writes the PDF text and path operators
    itself (one ``Tm``/``Tj`` pair per line of text) instead of going through reportlab's text object,
    whose per-call number formatting dominates the cost. The operators are the standard ones of the
    PDF specification (ISO 32000: BT/ET, Tf, Tm, Tj, m, l, w, S).
    """
    fonts: dict[str, str] = {}

    def font_ref(name: str) -> str:
        if name not in fonts:
            fonts[name] = canvas._doc.getInternalFontName(name)  # registers the font with the document
        return fonts[name]

    ops = ["BT"]
    current = None
    for x, y, font, size, s in page.texts:
        if (font, size) != current:
            ops.append(f"{font_ref(font)} {size:g} Tf")
            current = (font, size)
        ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm ({_pdf_string(s)}) Tj")
    rules = []
    for geo, top, h, cells, font in page.rows:
        size, leading, pad, xs = geo.font_size, geo.leading, geo.pad, geo.xs
        if (font, size) != current:
            ops.append(f"{font_ref(font)} {size:g} Tf")
            current = (font, size)
        first = top - pad - size
        for i, lines in enumerate(cells):
            x = xs[i] + pad
            y = first
            for s in lines:
                if s:
                    ops.append(f"1 0 0 1 {x:.2f} {y:.2f} Tm ({_pdf_string(s)}) Tj")
                y -= leading
        bottom = top - h
        rules.append(
            f"{xs[0]:.2f} {top:.2f} m {xs[-1]:.2f} {top:.2f} l {xs[0]:.2f} {bottom:.2f} m {xs[-1]:.2f} {bottom:.2f} l"
        )
        rules.extend(f"{x:.2f} {top:.2f} m {x:.2f} {bottom:.2f} l" for x in xs)
    ops.append("ET")
    if rules:
        ops.append("q 0.4 w")
        ops.extend(rules)
        ops.append("S Q")
    canvas.addLiteral("\n".join(ops))
    for x1, y1, x2, y2, w in page.lines:
        canvas.setLineWidth(w)
        canvas.line(x1, y1, x2, y2)


def _draw_furniture(canvas: Canvas, doc: Document, f: _Frame, number: int, total: int) -> None:
    """The running header and the footer: a rule, "Page N of M" and the short title."""
    mid = (f.left + f.right) / 2
    if doc.header:
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(mid, f.height - 36.0, doc.header)
    footer_rule = 50.0 if f.pleading else 44.0
    canvas.setLineWidth(0.6)
    canvas.line(f.left, footer_rule, f.right, footer_rule)
    canvas.setFont("Times-Roman", 10)
    canvas.drawCentredString(mid, footer_rule - 12, f"Page {number} of {total}")
    if doc.footer:
        canvas.setFont("Times-Roman", 9)
        canvas.drawCentredString(mid, footer_rule - 23, doc.footer)
