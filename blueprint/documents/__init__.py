"""The rendering layer: templates -> document markup -> PDF (to file) and DOCX (to edit).

Nothing here knows about convictions or the law; ``blueprint.filings`` decides what each filing says
and hands this layer a template name, the data for it, and the large tables.
"""

from .docx import render_docx, render_docx_bytes
from .markup import MarkupError, parse
from .model import Document
from .pdf import render_pdf, render_pdf_bytes
from .templates import TEMPLATES_ENV_VAR, render_document, render_markup, templates_dir

__all__ = [
    "Document",
    "MarkupError",
    "TEMPLATES_ENV_VAR",
    "parse",
    "render_document",
    "render_docx",
    "render_docx_bytes",
    "render_markup",
    "render_pdf",
    "render_pdf_bytes",
    "templates_dir",
]
