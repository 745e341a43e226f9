"""docs/forking.md's table of pack.yaml keys and the loader list the same keys (issue 14, item 3).

The loader refuses a key it does not know (the fields of blueprint.engine.pack_spec.PackSpec), so a key
missing from the table is one a fork cannot learn about, and a key only in the table is one the loader
refuses.
"""

from __future__ import annotations

import re
from pathlib import Path

from blueprint.engine.pack_spec import PackSpec
from blueprint.engine.pack_texts import PackTexts

FORKING = Path(__file__).resolve().parents[3] / "docs" / "forking.md"
ROW = re.compile(r"^\| `(?P<key>[a-z_]+)` \| (?P<required>required|optional) \| (?P<what>.+) \|$", re.M)


def _table() -> dict[str, str]:
    text = FORKING.read_text()
    section = text[text.index("### Every key of `pack.yaml`") :]
    section = section[: section.index("\n\n", section.index("| Key |"))]
    rows = {m["key"]: m["required"] for m in ROW.finditer(section)}
    assert len(rows) == section.count("\n| `"), "a row of the table is not in the form | `key` | required | ... |"
    return rows


FIELDS = PackSpec.model_fields


def test_the_table_lists_every_key_the_loader_knows_and_no_other():
    assert sorted(_table()) == sorted(FIELDS)


def test_the_statutes_words_are_keys_of_the_whole_file():
    assert set(PackTexts.model_fields) <= set(FIELDS)
    assert set(PackTexts.model_fields) <= set(_table())


def test_the_keys_the_loader_requires_are_required_in_the_table():
    table = _table()
    for key, field in FIELDS.items():
        assert table[key] == ("required" if field.is_required() else "optional"), key
    # The words every state's outputs print: a pack cannot leave them to another state's defaults.
    for key in ("challenge_grounds", "review_prompts", "report", "reliefs"):
        assert table[key] == "required", key
