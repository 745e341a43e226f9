"""Writing a document as DOCX (WordprocessingML), for the office to edit in Word or LibreOffice.

A .docx file is a zip of XML parts. This writer produces those parts directly as text instead of
going through python-docx: Attachment A can have 66,000 rows, and building that through an object
library takes minutes, while writing the XML takes seconds. Only a few features are needed:
styled paragraphs, tables with a header row that repeats on every page, a footer with
"Page N of M" (Word's PAGE and NUMPAGES fields), and pleading paper.

Pleading paper is drawn in the page header, which Word repeats on every page: a text box in the
left margin with the line numbers 1 to 28 at the same exact 24-point pitch as the body text, and
three vertical rules (a double rule left of the text, a single one to its right). Body paragraphs
use an exact 24-point line height so they sit on the numbered lines.

The output is deterministic (fixed zip timestamps), so the same filing always has the same SHA-256.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from typing import BinaryIO
from xml.sax.saxutils import escape

from .textfit import wrap_plain
from .model import Caption, Document, PageBreak, Paragraph, Run, Signature, Space, Table, TableData, table_rows

# Page geometry in twentieths of a point ("twips"): letter paper.
PAGE_W, PAGE_H = 12240, 15840
TOP = 1440  # 1 inch: the first pleading line starts here
LINE_TWIPS = 480  # 24 points, one pleading line
BOTTOM = PAGE_H - TOP - 28 * LINE_TWIPS  # exactly 28 lines of body per page
LEFT, RIGHT = 1728, 1600
LAND_MARGIN = 480

_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:v="urn:schemas-microsoft-com:vml" '
    'xmlns:o="urn:schemas-microsoft-com:office:office" '
    'xmlns:w10="urn:schemas-microsoft-com:office:word"'
)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)


def _x(text: str) -> str:
    """Text made safe for an XML text node."""
    return escape(_INVALID_XML.sub("", text))


def _run(run: Run) -> str:
    props = ""
    if run.bold or run.italic or run.underline:
        props = "<w:rPr>" + ("<w:b/>" if run.bold else "") + ("<w:i/>" if run.italic else "")
        props += ('<w:u w:val="single"/>' if run.underline else "") + "</w:rPr>"
    return f'<w:r>{props}<w:t xml:space="preserve">{_x(run.text)}</w:t></w:r>'


def _para(style: str, content: str, extra_ppr: str = "") -> str:
    return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{extra_ppr}</w:pPr>{content}</w:p>'


def _plain(style: str, text: str, extra_ppr: str = "", bold: bool = False) -> str:
    return _para(style, _run(Run(text, bold=bold)) if text else "", extra_ppr)


_STYLE_OF = {
    "body": "Body",
    "plain": "BodyPlain",
    "single": "Single",
    "center": "BodyCenter",
    "right": "BodyRight",
    "heading": "PleadingHeading",
    "item": "Item",
}


class _Writer:
    def __init__(self, doc: Document, data: TableData | None):
        self.doc = doc
        self.data = data
        self.pleading = doc.pleading and not doc.landscape
        if doc.landscape:
            self.text_width = PAGE_H - 2 * LAND_MARGIN
        else:
            self.text_width = PAGE_W - LEFT - RIGHT
        self.parts: list[str] = []

    def body(self) -> str:
        out = self.parts
        for block in self.doc.blocks:
            if isinstance(block, Paragraph):
                out.append(self.paragraph(block))
            elif isinstance(block, Caption):
                out.append(self.caption(block))
            elif isinstance(block, Signature):
                out.append(self.signature(block))
            elif isinstance(block, Table):
                self.table(block)
            elif isinstance(block, PageBreak):
                out.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
            elif isinstance(block, Space):
                out.extend(_para("BodyPlain", "") for _ in range(block.lines))
        out.append(self.section())
        return "".join(out)

    def paragraph(self, p: Paragraph) -> str:
        style = _STYLE_OF[p.style]
        runs = "".join(_run(r) for r in p.runs)
        extra = "<w:keepNext/>" if p.keep_with_next else ""
        if p.style == "item" and p.number:
            runs = _run(Run(p.number)) + "<w:r><w:tab/></w:r>" + runs
        return _para(style, runs, extra)

    def caption(self, c: Caption) -> str:
        """The caption, single spaced. Each single-spaced group is padded to an even number of lines
        so that the body text after it sits on the pleading line numbers (two half lines = one line)."""

        def even(lines: list[str], extra: int = 0) -> list[str]:
            return lines + [""] * ((len(lines) + extra) % 2)

        parts = [_plain("Single", line) for line in even(list(c.counsel))]
        parts.append(_plain("BodyPlain", ""))
        court = list(c.court) + [""]
        parts.extend(_plain("CourtName", line) if line else _plain("Single", "") for line in even(court))
        left_w = int(self.text_width * 0.59)
        right_w = self.text_width - left_w
        # The row is as tall as its longer cell once wrapped; estimate the wrapping with the Times
        # metrics the PDF uses (Word's Times New Roman has the same widths) and pad to an even count.
        left_lines = sum(len(wrap_plain(line, "Times-Roman", 12, (left_w - 144) / 20)) for line in c.parties)
        right_lines = sum(len(wrap_plain(line, "Times-Bold", 12, (right_w - 216 - 144) / 20)) for line in c.case)
        rows = max(left_lines, right_lines, 1)
        parties = list(c.parties) + [""] * (rows + rows % 2 - left_lines)
        case = list(c.case) + [""] * (rows + rows % 2 - right_lines)
        left = "".join(_plain("Single", line) for line in parties)
        right = "".join(_plain("Single", line, bold=True) for line in case)
        parts.append(
            f'<w:tbl><w:tblPr><w:tblW w:w="{self.text_width}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="144" w:type="dxa"/></w:tblCellMar>'
            f'</w:tblPr><w:tblGrid><w:gridCol w:w="{left_w}"/><w:gridCol w:w="{right_w}"/></w:tblGrid>'
            f'<w:tr><w:tc><w:tcPr><w:tcW w:w="{left_w}" w:type="dxa"/><w:tcBorders>'
            '<w:right w:val="single" w:sz="6" w:space="0" w:color="000000"/>'
            f'<w:bottom w:val="single" w:sz="6" w:space="0" w:color="000000"/></w:tcBorders></w:tcPr>{left}</w:tc>'
            f'<w:tc><w:tcPr><w:tcW w:w="{right_w}" w:type="dxa"/><w:tcMar><w:left w:w="216" w:type="dxa"/></w:tcMar>'
            f"</w:tcPr>{right}</w:tc></w:tr></w:tbl>"
        )
        parts.append(_plain("BodyPlain", ""))
        return "".join(parts)

    def signature(self, s: Signature) -> str:
        half = self.text_width // 2
        parts = [_plain("BodyPlain", s.date_line, "<w:keepNext/>"), _plain("BodyPlain", "", "<w:keepNext/>")]
        border = '<w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="000000"/></w:pBdr>'
        for i, line in enumerate(s.lines):
            extra = ("<w:keepNext/>" if i < len(s.lines) - 1 else "") + (border if i == 0 else "")
            parts.append(_plain("Single", line, f'{extra}<w:ind w:left="{half}"/>'))
        return "".join(parts)

    def table(self, t: Table) -> None:
        out = self.parts
        if t.title:
            out.append(_plain("Single", t.title, "<w:keepNext/>", bold=True))
        total = sum(c.width for c in t.columns)
        widths = [int(self.text_width * c.width / total) for c in t.columns]
        half_points = int(round(t.font_size * 2))
        out.append(
            f'<w:tbl><w:tblPr><w:tblStyle w:val="DataTable"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
            '<w:tblLayout w:type="fixed"/></w:tblPr><w:tblGrid>'
            + "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
            + "</w:tblGrid>"
        )
        size = f'<w:rPr><w:b/><w:sz w:val="{half_points}"/></w:rPr>'
        out.append(
            "<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>"
            + "".join(
                f'<w:tc><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:shd w:val="clear" w:color="auto" w:fill="E7E6E6"/>'
                f'</w:tcPr><w:p><w:pPr><w:pStyle w:val="Cell"/></w:pPr><w:r>{size}<w:t xml:space="preserve">{_x(c.label)}</w:t></w:r></w:p></w:tc>'
                for c, w in zip(t.columns, widths)
            )
            + "</w:tr>"
        )
        # Data rows: the bulk of a large table; kept as short as WordprocessingML allows.
        cell_open = '<w:tc><w:p><w:pPr><w:pStyle w:val="Cell"/></w:pPr><w:r><w:t xml:space="preserve">'
        cell_close = "</w:t></w:r></w:p></w:tc>"
        joiner = cell_close + cell_open
        row_open = "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + cell_open
        row_close = cell_close + "</w:tr>"
        if t.font_size != 8.0:
            cell_open = cell_open.replace("</w:pPr><w:r>", f'</w:pPr><w:r><w:rPr><w:sz w:val="{half_points}"/></w:rPr>')
            joiner = cell_close + cell_open
            row_open = "<w:tr><w:trPr><w:cantSplit/></w:trPr>" + cell_open
        bad = _INVALID_XML
        for row in table_rows(t, self.data):
            cells = [escape(bad.sub("", v)) if v else "" for v in (("" if v is None else str(v)) for v in row)]
            out.append(row_open + joiner.join(cells) + row_close)
        out.append("</w:tbl>")
        out.append(_plain("BodyPlain", ""))

    def section(self) -> str:
        refs = '<w:headerReference w:type="default" r:id="rIdHeader"/><w:footerReference w:type="default" r:id="rIdFooter"/>'
        if self.doc.landscape:
            size = f'<w:pgSz w:w="{PAGE_H}" w:h="{PAGE_W}" w:orient="landscape"/>'
            m = LAND_MARGIN
            margins = f'<w:pgMar w:top="{m + 200}" w:right="{m}" w:bottom="{m + 200}" w:left="{m}" w:header="{m // 2}" w:footer="{m // 2}" w:gutter="0"/>'
        else:
            size = f'<w:pgSz w:w="{PAGE_W}" w:h="{PAGE_H}"/>'
            margins = (
                f'<w:pgMar w:top="{TOP}" w:right="{RIGHT}" w:bottom="{BOTTOM}" w:left="{LEFT}" '
                'w:header="360" w:footer="200" w:gutter="0"/>'
            )
        return f"<w:sectPr>{refs}{size}{margins}</w:sectPr>"


def _header(doc: Document, pleading: bool) -> str:
    """The page header: the running title line, and on pleading paper the numbers and rules."""
    content = ""
    if pleading:
        numbers = "".join(
            '<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="480" w:lineRule="exact"/><w:jc w:val="right"/>'
            f"</w:pPr><w:r><w:t>{n}</w:t></w:r></w:p>"
            for n in range(1, 29)
        )
        rules = [
            f'<v:line id="PleadingRule{i}" from="{x}pt,0" to="{x}pt,792pt" strokeweight=".6pt" '
            'style="position:absolute;z-index:-251650000;mso-position-horizontal-relative:page;'
            'mso-position-vertical-relative:page"/>'
            for i, x in enumerate((67, 70, 542))
        ]
        box = (
            '<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
            '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
            '<v:shape id="PleadingLineNumbers" type="#_x0000_t202" filled="f" stroked="f" '
            'style="position:absolute;margin-left:22pt;margin-top:72pt;width:38pt;height:672pt;z-index:-251651000;'
            'mso-position-horizontal-relative:page;mso-position-vertical-relative:page">'
            f'<v:textbox inset="0,0,0,0"><w:txbxContent>{numbers}</w:txbxContent></v:textbox></v:shape>'
        )
        # One drawing per run: LibreOffice reads only one shape from a <w:pict> holding several.
        content += f"<w:r><w:pict>{box}</w:pict></w:r>" + "".join(
            f"<w:r><w:pict>{rule}</w:pict></w:r>" for rule in rules
        )
    if doc.header:
        content += f'<w:r><w:rPr><w:b/><w:sz w:val="18"/></w:rPr><w:t xml:space="preserve">{_x(doc.header)}</w:t></w:r>'
    return f'<w:hdr {_NS}><w:p><w:pPr><w:pStyle w:val="HeaderLine"/></w:pPr>{content}</w:p></w:hdr>'


def _footer(doc: Document) -> str:
    """The footer: a rule, "Page N of M" (live Word fields), and the short title."""
    page = (
        '<w:p><w:pPr><w:pStyle w:val="FooterLine"/><w:pBdr><w:top w:val="single" w:sz="6" w:space="1" w:color="000000"/></w:pBdr></w:pPr>'
        '<w:r><w:t xml:space="preserve">Page </w:t></w:r>'
        '<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
        '<w:r><w:t xml:space="preserve"> of </w:t></w:r>'
        '<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'
    )
    title = f'<w:p><w:pPr><w:pStyle w:val="FooterLine"/></w:pPr><w:r><w:t xml:space="preserve">{_x(doc.footer)}</w:t></w:r></w:p>'
    return f"<w:ftr {_NS}>{page}{title if doc.footer else ''}</w:ftr>"


def _spacing(line: int) -> str:
    return f'<w:spacing w:before="0" w:after="0" w:line="{line}" w:lineRule="exact"/>'


def _styles() -> str:
    def pstyle(sid: str, name: str, ppr: str, rpr: str = "") -> str:
        return (
            f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{sid}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="Normal"/><w:qFormat/><w:pPr>{ppr}</w:pPr><w:rPr>{rpr}</w:rPr></w:style>'
        )

    body = _spacing(LINE_TWIPS)
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles {_NS}>'
        '<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" '
        'w:cs="Times New Roman" w:eastAsia="Times New Roman"/><w:sz w:val="24"/><w:szCs w:val="24"/>'
        '<w:lang w:val="en-US"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr>'
        '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>'
        + pstyle("Body", "Pleading Body", body + '<w:ind w:firstLine="720"/>')
        + pstyle("BodyPlain", "Pleading Plain", body)
        + pstyle("BodyCenter", "Pleading Centered", body + '<w:jc w:val="center"/>')
        + pstyle("BodyRight", "Pleading Right", body + '<w:jc w:val="right"/>')
        + pstyle("PleadingHeading", "Pleading Heading", "<w:keepNext/>" + body + '<w:jc w:val="center"/>', "<w:b/>")
        + pstyle(
            "Item",
            "Pleading Numbered",
            '<w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs>' + body + '<w:ind w:left="720" w:hanging="360"/>',
        )
        + pstyle("Single", "Pleading Single", _spacing(240))
        + pstyle("CourtName", "Court Name", _spacing(240) + '<w:jc w:val="center"/>', "<w:b/>")
        + pstyle("HeaderLine", "Running Header", '<w:jc w:val="center"/>')
        + pstyle("FooterLine", "Page Footer", '<w:jc w:val="center"/>', '<w:sz w:val="18"/>')
        + pstyle(
            "Cell",
            "Table Cell",
            '<w:spacing w:before="0" w:after="0" w:line="240" w:lineRule="auto"/>',
            '<w:rFonts w:ascii="Arial" w:hAnsi="Arial" w:cs="Arial"/><w:sz w:val="16"/><w:szCs w:val="16"/>',
        )
        + '<w:style w:type="table" w:customStyle="1" w:styleId="DataTable"><w:name w:val="Data Table"/>'
        "<w:tblPr><w:tblBorders>"
        + "".join(
            f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
            for side in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        + '</w:tblBorders><w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
        "</w:styles>"
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
    '<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    '<Relationship Id="rIdSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/>'
    '<Relationship Id="rIdHeader" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>'
    '<Relationship Id="rIdFooter" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>'
    "</Relationships>"
)
_SETTINGS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:settings {_NS}>'
    '<w:defaultTabStop w:val="720"/><w:compat>'
    '<w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/>'
    "</w:compat></w:settings>"
)


def _core(title: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{_x(title)}</dc:title><dc:creator>clearance-kit</dc:creator></cp:coreProperties>"
    )


_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>clearance-kit</Application></Properties>"
)


def render_docx(doc: Document, out: str | os.PathLike[str] | BinaryIO, data: TableData | None = None) -> None:
    """Write ``doc`` as a .docx file into ``out`` (a path or a binary file)."""
    writer = _Writer(doc, data)
    body = writer.body()
    document = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_NS}><w:body>{body}</w:body></w:document>'
    )
    parts = [
        ("[Content_Types].xml", _CONTENT_TYPES),
        ("_rels/.rels", _ROOT_RELS),
        ("docProps/core.xml", _core(doc.title)),
        ("docProps/app.xml", _APP),
        ("word/_rels/document.xml.rels", _DOC_RELS),
        ("word/document.xml", document),
        ("word/styles.xml", _styles()),
        ("word/settings.xml", _SETTINGS),
        ("word/header1.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + _header(doc, writer.pleading)),
        ("word/footer1.xml", '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + _footer(doc)),
    ]
    target = out if hasattr(out, "write") else os.fspath(out)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"), compresslevel=6)


def render_docx_bytes(doc: Document, data: TableData | None = None) -> bytes:
    """Write ``doc`` as .docx and return the bytes."""
    buffer = io.BytesIO()
    render_docx(doc, buffer, data)
    return buffer.getvalue()


__all__ = ["render_docx", "render_docx_bytes"]
