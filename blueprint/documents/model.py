"""The document model: what a filing says, independent of PDF or Word.

A template in ``templates/`` renders to a small XML markup (see ``markup.py``); the markup is read
into these plain objects; the PDF and DOCX writers each draw the same objects. Keeping one model
means the PDF a court receives and the DOCX the office edits always say the same thing.

Only a handful of building blocks are needed for pleadings: a caption, headings, paragraphs
(plain or numbered), a signature block, tables (small inline ones, or large ones fed from data
such as Attachment A's tens of thousands of rows), and page breaks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence


@dataclass(frozen=True)
class Run:
    """A piece of text with its emphasis."""

    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of running text.

    ``style`` is one of:
    - ``body``: double spaced on pleading paper, first line indented (the default);
    - ``plain``: double spaced, no indent;
    - ``single``: single spaced, no indent (addresses, lists);
    - ``center`` / ``right``: double spaced, aligned;
    - ``heading``: centred, bold, double spaced;
    - ``item``: a numbered paragraph with a hanging number (``number`` holds the label).
    """

    runs: tuple[Run, ...]
    style: str = "body"
    number: str = ""
    keep_with_next: bool = False

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Caption:
    """The pleading caption on the first page.

    ``counsel`` is the block at the top left (attorney, State Bar number, office address,
    "Attorney for the People"); ``court`` the centred court name lines; ``parties`` the left
    box ("THE PEOPLE OF THE STATE OF CALIFORNIA, Plaintiff, v. ..."); ``case`` the right box
    (case number and the document's title).
    """

    counsel: tuple[str, ...]
    court: tuple[str, ...]
    parties: tuple[str, ...]
    case: tuple[str, ...]


@dataclass(frozen=True)
class Signature:
    """A signature block: a dated line, a blank line to sign on, then the signer's lines."""

    date_line: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    """A table column: the data key it shows, its header label, its relative width."""

    key: str
    label: str
    width: float = 1.0


@dataclass
class Table:
    """A table with a header row repeated on every page.

    Small tables carry their ``rows`` inline (from the template). Large tables name a ``data``
    source supplied by the caller at render time (a sequence of row tuples in column order), so a
    66,000-row Attachment A never passes through the template engine.
    """

    columns: tuple[Column, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    data: str = ""
    font_size: float = 8.0
    title: str = ""


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


@dataclass(frozen=True)
class Space:
    """Leave ``lines`` blank lines (pleading lines on pleading paper)."""

    lines: int = 1


Block = Paragraph | Caption | Signature | Table | PageBreak | Space


@dataclass
class Document:
    """A whole document: page setup plus the blocks in reading order.

    ``pleading`` turns on California pleading paper (28 numbered lines, double rule on the left,
    single rule on the right). ``footer`` is the short title printed at the foot of every page next
    to "Page N of M".
    """

    title: str
    footer: str
    blocks: list[Block]
    pleading: bool = True
    landscape: bool = False
    header: str = ""

    def text_blocks(self) -> Iterable[str]:
        """Every piece of text in the document, for tests and searching."""
        for block in self.blocks:
            if isinstance(block, Paragraph):
                yield block.text
            elif isinstance(block, Caption):
                yield from block.counsel + block.court + block.parties + block.case
            elif isinstance(block, Signature):
                yield block.date_line
                yield from block.lines
            elif isinstance(block, Table):
                yield from (c.label for c in block.columns)
                for row in block.rows:
                    yield from row


#: Data for tables named by ``Table.data``: a source name mapped to its columns (column key ->
#: sequence of strings, e.g. a dict of lists or a pandas DataFrame of strings). The template
#: chooses which keys to show, in which order, under which labels.
TableData = Mapping[str, Mapping[str, Sequence[Any]]]


def table_rows(table: Table, data: TableData | None) -> list[tuple[str, ...]]:
    """The rows of a table, inline or from its named data source, as tuples of strings."""
    if not table.data:
        return table.rows
    if data is None or table.data not in data:
        raise KeyError(f"table data source {table.data!r} was not supplied to the renderer")
    source = data[table.data]
    columns = []
    for column in table.columns:
        if column.key not in source:
            raise KeyError(f"table data source {table.data!r} has no column {column.key!r}")
        values = source[column.key]
        columns.append(values.tolist() if hasattr(values, "tolist") else list(values))
    if not columns:
        return []
    return list(zip(*columns))
