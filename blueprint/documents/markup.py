"""The document markup: the small XML language the templates in ``templates/`` write.

A county edits wording in the templates; the templates produce this markup; ``parse`` turns it into
the document model that both the PDF and the DOCX writer draw. The whole language:

```xml
<document title="..." footer="short title for the page foot" pleading="yes" orientation="portrait"
          header="optional line printed at the top of every page">
  <caption>
    <counsel><line>JANE DOE (SBN 123456)</line> ...</counsel>
    <court><line>SUPERIOR COURT OF THE STATE OF CALIFORNIA</line> ...</court>
    <parties><line>THE PEOPLE OF THE STATE OF CALIFORNIA,</line> ...</parties>
    <case><line>Case No.: See Attachment A</line> ...</case>
  </caption>
  <heading>INTRODUCTION</heading>
  <p>Running text, with <b>bold</b>, <i>italic</i> and <u>underlined</u> parts.</p>
  <p style="plain|single|center|right|body">...</p>
  <item n="1.">A numbered paragraph.</item>
  <space lines="1"/>
  <signature date="Dated: ________"><line>JANE DOE</line><line>Deputy District Attorney</line></signature>
  <table data="attachment_a" font-size="7" title="optional">
    <col key="court" label="Court" width="1.2"/> ...
    <row><cell>inline cell</cell> ...</row>      (inline rows for small tables)
  </table>
  <pagebreak/>
</document>
```

Whitespace inside text is collapsed the way HTML does, so templates can be indented freely.
Templates are rendered with Jinja2 autoescaping, so data such as a name with ``&`` or ``<`` can
never break the markup.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .model import (
    Block,
    Caption,
    Column,
    Document,
    PageBreak,
    Paragraph,
    Run,
    Signature,
    Space,
    Table,
)

PARAGRAPH_STYLES = {"body", "plain", "single", "center", "right", "heading", "item"}
_SPACES = re.compile(r"\s+")


class MarkupError(ValueError):
    """The template produced markup this module does not understand (a template bug)."""


def parse(markup: str) -> Document:
    """Read document markup into a ``Document``."""
    try:
        root = ET.fromstring(markup)
    except ET.ParseError as exc:  # the message carries a position, never document content
        raise MarkupError(f"document markup is not well-formed XML: {exc}") from None
    if root.tag != "document":
        raise MarkupError(f"the root element must be <document>, not <{root.tag}>")
    blocks: list[Block] = []
    for element in root:
        blocks.append(_block(element))
    return Document(
        title=_collapse(root.get("title", "")),
        footer=_collapse(root.get("footer", root.get("title", ""))),
        blocks=blocks,
        pleading=_yes(root.get("pleading", "yes")),
        landscape=root.get("orientation", "portrait") == "landscape",
        header=_collapse(root.get("header", "")),
    )


def _block(element: ET.Element) -> Block:
    tag = element.tag
    if tag == "p":
        style = element.get("style", "body")
        if style not in PARAGRAPH_STYLES:
            raise MarkupError(f"unknown paragraph style {style!r}")
        return Paragraph(_runs(element), style=style, keep_with_next=_yes(element.get("keep", "no")))
    if tag == "heading":
        return Paragraph(_runs(element), style="heading", keep_with_next=True)
    if tag == "item":
        return Paragraph(_runs(element), style="item", number=_collapse(element.get("n", "")))
    if tag == "caption":
        parts = {name: tuple(_lines(element.find(name))) for name in ("counsel", "court", "parties", "case")}
        return Caption(**parts)
    if tag == "signature":
        return Signature(date_line=_collapse(element.get("date", "")), lines=tuple(_lines(element)))
    if tag == "table":
        return _table(element)
    if tag == "pagebreak":
        return PageBreak()
    if tag == "space":
        return Space(int(element.get("lines", "1")))
    raise MarkupError(f"unknown element <{tag}>")


def _table(element: ET.Element) -> Table:
    columns = tuple(
        Column(key=c.get("key", f"c{i}"), label=_collapse(c.get("label", "")), width=float(c.get("width", "1")))
        for i, c in enumerate(element.findall("col"))
    )
    if not columns:
        raise MarkupError("a <table> needs at least one <col>")
    rows = []
    for row in element.findall("row"):
        cells = tuple(_text(cell) for cell in row.findall("cell"))
        if len(cells) != len(columns):
            raise MarkupError(f"a table row has {len(cells)} cells for {len(columns)} columns")
        rows.append(cells)
    return Table(
        columns=columns,
        rows=rows,
        data=element.get("data", ""),
        font_size=float(element.get("font-size", "8")),
        title=_collapse(element.get("title", "")),
    )


def _runs(element: ET.Element) -> tuple[Run, ...]:
    """The text runs of a paragraph, with bold/italic/underline from nested <b>, <i>, <u>."""
    runs: list[Run] = []

    def walk(node: ET.Element, bold: bool, italic: bool, underline: bool) -> None:
        if node.text:
            runs.append(Run(node.text, bold, italic, underline))
        for child in node:
            if child.tag not in ("b", "i", "u"):
                raise MarkupError(f"unknown inline element <{child.tag}>")
            walk(child, bold or child.tag == "b", italic or child.tag == "i", underline or child.tag == "u")
            if child.tail:
                runs.append(Run(child.tail, bold, italic, underline))

    walk(element, False, False, False)
    # Collapse whitespace across run boundaries the way HTML does.
    out: list[Run] = []
    previous_space = True
    for run in runs:
        text = _SPACES.sub(" ", run.text)
        if previous_space:
            text = text.lstrip(" ")
        if not text:
            continue
        previous_space = text.endswith(" ")
        out.append(Run(text, run.bold, run.italic, run.underline))
    if out:
        last = out[-1]
        stripped = last.text.rstrip(" ")
        out[-1] = Run(stripped, last.bold, last.italic, last.underline)
        if not stripped:
            out.pop()
    return tuple(out)


def _lines(element: ET.Element | None) -> list[str]:
    if element is None:
        return []
    return [_text(line) for line in element.findall("line")]


def _text(element: ET.Element) -> str:
    return _collapse("".join(element.itertext()))


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _yes(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1", "y")
