"""docs/filings.md documents every export column and every template the kit renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blueprint.filings.exports import ATTACHMENT_A_COLUMNS, CHALLENGE_COLUMNS, CMS_COLUMNS, DOJ_COLUMNS

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "filings.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = DOC.index(title)
    end = DOC.find("\n### ", start + len(title))
    return DOC[start : end if end != -1 else None]


@pytest.mark.parametrize(
    "title, columns",
    [
        ("### `02-attachment-a.csv`", [name for name, _, _ in ATTACHMENT_A_COLUMNS]),
        ("### `exports/court-cms-update.csv`", [name for name, _ in CMS_COLUMNS]),
        ("### `exports/doj-disposition-update.csv`", [name for name, _ in DOJ_COLUMNS]),
        ("### `04-public-defender-list.csv`", [name for name, _ in CHALLENGE_COLUMNS]),
    ],
)
def test_every_export_column_is_documented_in_order(title, columns):
    text = section(title)
    documented = re.findall(r"`([a-z0-9_]+)`", text)
    positions = [documented.index(c) for c in columns]  # ValueError names an undocumented column
    assert positions == sorted(positions), "the documented order differs from the file's"


def test_every_template_is_named_in_the_docs():
    for template in sorted((REPO / "templates" / "filings").glob("*.xml.j2")):
        assert f"`{template.name}`" in DOC, template.name
