"""The rendering layer: markup, templates, PDF and DOCX, checked by reading the files back."""

from __future__ import annotations

import io
import re
import zipfile

import docx
import pytest
from pypdf import PdfReader

from blueprint.documents import (
    TEMPLATES_ENV_VAR,
    MarkupError,
    parse,
    render_document,
    render_docx_bytes,
    render_pdf_bytes,
    templates_dir,
)
from blueprint.documents.model import Paragraph

CAPTION = """
<caption>
  <counsel><line>PAT EXAMPLE (State Bar No. 123456)</line><line>1 Court Way</line></counsel>
  <court><line>SUPERIOR COURT OF THE STATE OF CALIFORNIA</line><line>FOR THE COUNTY OF EXAMPLE</line></court>
  <parties><line>THE PEOPLE OF THE STATE OF CALIFORNIA,</line><line>Plaintiff,</line><line>v.</line><line>DOE,JANE,</line></parties>
  <case><line>Case No.: XY123456</line><line>TEST NOTICE</line></case>
</caption>"""


def pleading(body: str, **attrs) -> str:
    extra = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return f'<document title="Test notice" footer="TEST NOTICE FOOTER" {extra}>{CAPTION}{body}</document>'


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def table_source(n: int) -> dict[str, list[str]]:
    return {
        "item": [str(i) for i in range(1, n + 1)],
        "name": [f"PERSON{i:05d},TEST" for i in range(1, n + 1)],
        "case": [f"CASE{i:06d}" for i in range(1, n + 1)],
    }


BIG_TABLE = """<table data="rows" font-size="7">
  <col key="item" label="Item" width="0.5"/><col key="name" label="Name" width="2"/><col key="case" label="Case number" width="1"/>
</table>"""


# -- markup ---------------------------------------------------------------------------------------


def test_markup_reads_blocks_runs_and_collapses_whitespace():
    doc = parse(
        pleading(
            """<heading>HEADING</heading>
            <p>Some   text,
               <b>bold</b> and <i>italic</i>.</p>
            <item n="3.">Numbered</item>
            <signature date="Dated: today"><line>PAT EXAMPLE</line></signature>
            <table><col key="a" label="A"/><col key="b" label="B"/><row><cell>1</cell><cell> 2 </cell></row></table>
            <pagebreak/><space lines="2"/>"""
        )
    )
    assert doc.title == "Test notice" and doc.footer == "TEST NOTICE FOOTER" and doc.pleading
    paragraph = doc.blocks[2]
    assert isinstance(paragraph, Paragraph)
    assert paragraph.text == "Some text, bold and italic."
    assert [(r.bold, r.italic) for r in paragraph.runs] == [
        (False, False),
        (True, False),
        (False, False),
        (False, True),
        (False, False),
    ]
    assert doc.blocks[3].number == "3."
    assert doc.blocks[5].rows == [("1", "2")]
    assert "DOE,JANE," in list(doc.text_blocks())


@pytest.mark.parametrize(
    "markup, message",
    [
        ("<document><p>unclosed</document>", "not well-formed"),
        ("<doc/>", "root element"),
        ("<document><blink/></document>", "unknown element"),
        ('<document><p style="fancy">x</p></document>', "unknown paragraph style"),
        ("<document><table><row><cell>1</cell></row></table></document>", "at least one <col>"),
    ],
)
def test_bad_markup_is_a_clear_error(markup, message):
    with pytest.raises(MarkupError, match=message):
        parse(markup)


def test_templates_autoescape_data_and_can_be_relocated(tmp_path, monkeypatch):
    folder = tmp_path / "my-templates"
    folder.mkdir()
    (folder / "t.xml.j2").write_text('<document title="T"><p>Name: {{ name }}</p></document>')
    doc = render_document("t.xml.j2", {"name": 'O\'NEIL & <SONS> "X"'}, folder)
    assert doc.blocks[0].text == 'Name: O\'NEIL & <SONS> "X"'
    monkeypatch.setenv(TEMPLATES_ENV_VAR, str(folder))
    assert templates_dir() == folder
    assert render_document("t.xml.j2", {"name": "A"}).blocks[0].text == "Name: A"
    with pytest.raises(Exception, match="name"):  # a field the template needs but was not given
        render_document("t.xml.j2", {}, folder)


def test_the_repository_templates_folder_is_found_by_default(monkeypatch):
    monkeypatch.delenv(TEMPLATES_ENV_VAR, raising=False)
    assert (templates_dir() / "filings" / "notice-of-non-challenge.xml.j2").is_file()


# -- PDF ------------------------------------------------------------------------------------------


def test_pleading_pdf_has_numbered_lines_caption_and_page_n_of_m():
    body = "".join(
        f"<p>Paragraph number {i} says something long enough to wrap onto a second line of pleading paper.</p>"
        for i in range(30)
    )
    pages = pdf_pages(render_pdf_bytes(parse(pleading(body))))
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        lines = text.splitlines()
        for n in range(1, 29):
            assert str(n) in lines, f"line number {n} missing on page {number}"
        assert f"Page {number} of {len(pages)}" in text
        assert "TEST NOTICE FOOTER" in text
    first = pages[0]
    for expected in (
        "PAT EXAMPLE (State Bar No. 123456)",
        "SUPERIOR COURT OF THE STATE OF CALIFORNIA",
        "DOE,JANE,",
        "Case No.: XY123456",
    ):
        assert expected in first
    joined = " ".join(pages)
    assert all(f"Paragraph number {i} says" in joined for i in range(30))


def test_large_table_pdf_repeats_the_header_and_keeps_every_row_once():
    n = 1200
    pdf = render_pdf_bytes(
        parse(f'<document title="A" footer="ATT" pleading="no" orientation="landscape">{BIG_TABLE}</document>'),
        {"rows": table_source(n)},
    )
    pages = pdf_pages(pdf)
    assert len(pages) > 10
    found = []
    for number, text in enumerate(pages, start=1):
        assert text.count("Case number") == 1, f"header not repeated on page {number}"
        assert f"Page {number} of {len(pages)}" in text
        found += re.findall(r"CASE(\d{6})", text)
    assert sorted(int(x) for x in found) == list(range(1, n + 1))


def test_no_blank_last_page_whatever_the_row_count():
    # Find the rows that fill one landscape page exactly, then check that count and its neighbours:
    # a table ending at the foot of a page must not leave an empty "Page N of N" behind it.
    doc = parse(f'<document title="A" footer="ATT" pleading="no" orientation="landscape">{BIG_TABLE}</document>')
    per_page = pdf_pages(render_pdf_bytes(doc, {"rows": table_source(400)}))[0].count("CASE")
    for n in (per_page - 1, per_page, per_page + 1, 2 * per_page, 2 * per_page + 1):
        pages = pdf_pages(render_pdf_bytes(doc, {"rows": table_source(n)}))
        assert len(pages) == -(-n // per_page), f"{n} rows"
        assert all("Case number" in text and "CASE" in text for text in pages), f"{n} rows: a page without rows"


def test_long_cells_wrap_without_losing_text():
    long_names = "; ".join(f"ALIAS{i},NAME" for i in range(25))
    source = {"item": ["1"], "name": [long_names], "case": ["C" * 80]}
    text = " ".join(
        pdf_pages(
            render_pdf_bytes(parse(f'<document title="A" pleading="no">{BIG_TABLE}</document>'), {"rows": source})
        )
    )
    compact = text.replace("\n", "").replace(" ", "")
    assert long_names.replace(" ", "") in compact
    assert "C" * 80 in compact


def test_pdf_is_reproducible_and_survives_unusual_characters():
    markup = pleading("<p>Caf\u00e9 \u2013 M\u00fcller \u4e2d &amp; co</p>")
    first, second = render_pdf_bytes(parse(markup)), render_pdf_bytes(parse(markup))
    assert first == second
    assert "Caf\u00e9" in pdf_pages(first)[0]


def test_a_table_source_missing_a_column_is_an_error():
    with pytest.raises(KeyError, match="case"):
        render_pdf_bytes(parse(f'<document title="A">{BIG_TABLE}</document>'), {"rows": {"item": ["1"], "name": ["x"]}})


# -- DOCX -----------------------------------------------------------------------------------------


def test_docx_reads_back_with_caption_paragraphs_table_and_page_fields():
    body = '<p>First <b>bold</b> paragraph.</p><item n="1.">An item.</item>' + BIG_TABLE
    data = render_docx_bytes(parse(pleading(body)), {"rows": table_source(50)})
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert "PAT EXAMPLE (State Bar No. 123456)" in texts
    assert "SUPERIOR COURT OF THE STATE OF CALIFORNIA" in texts
    assert "First bold paragraph." in texts
    assert "1.An item." in [t.replace("\t", "") for t in texts]
    caption, table = document.tables
    assert "DOE,JANE," in caption.cell(0, 0).text and "Case No.: XY123456" in caption.cell(0, 1).text
    assert len(table.rows) == 51
    assert [c.text for c in table.rows[0].cells] == ["Item", "Name", "Case number"]
    assert [c.text for c in table.rows[50].cells] == ["50", "PERSON00050,TEST", "CASE000050"]
    assert table.rows[0]._tr.xpath("./w:trPr/w:tblHeader")  # the header repeats on every page
    footer_xml = document.sections[0].footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml and "TEST NOTICE FOOTER" in footer_xml


def test_docx_pleading_header_has_28_line_numbers_and_rules():
    data = render_docx_bytes(parse(pleading("<p>x</p>")))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        header = archive.read("word/header1.xml").decode()
        document = archive.read("word/document.xml").decode()
    numbers = re.findall(r"<w:t>(\d+)</w:t>", header)
    assert numbers == [str(n) for n in range(1, 29)]
    assert header.count("<v:line ") == 3
    assert 'w:line="480" w:lineRule="exact"' in header
    assert "<w:pgSz " in document


def test_docx_landscape_without_pleading_and_escaping():
    markup = (
        '<document title="A" pleading="no" orientation="landscape"><p>Tom &amp; Jerry &lt;x&gt; \u00e9</p></document>'
    )
    data = render_docx_bytes(parse(markup))
    document = docx.Document(io.BytesIO(data))
    assert document.paragraphs[0].text == "Tom & Jerry <x> \u00e9"
    section = document.sections[0]
    assert section.page_width > section.page_height
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "<w:txbxContent>" not in archive.read("word/header1.xml").decode()


def test_docx_drops_control_characters_and_is_reproducible():
    source = {"item": ["1"], "name": ["BAD\x01NAME\x0b"], "case": ["C1"]}
    doc = parse(f'<document title="A">{BIG_TABLE}</document>')
    first, second = render_docx_bytes(doc, {"rows": source}), render_docx_bytes(doc, {"rows": source})
    assert first == second
    table = docx.Document(io.BytesIO(first)).tables[0]
    assert table.rows[1].cells[1].text == "BADNAME"
