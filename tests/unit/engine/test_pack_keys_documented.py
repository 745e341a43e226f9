"""docs/forking.md's table of pack.yaml keys and the loader list the same keys (issue 14, item 3).

The loader refuses a key it does not know (blueprint.engine.pack_texts.ALL_KEYS), so a key missing from
the table is one a fork cannot learn about, and a key only in the table is one the loader refuses.
"""

from __future__ import annotations

import re
from pathlib import Path

from blueprint.engine.pack_texts import ALL_KEYS, KEYS, REQUIRED_KEYS, PackTexts

FORKING = Path(__file__).resolve().parents[3] / "docs" / "forking.md"
ROW = re.compile(r"^\| `(?P<key>[a-z_]+)` \| (?P<required>required|optional) \| (?P<what>.+) \|$", re.M)


def _table() -> dict[str, str]:
    text = FORKING.read_text()
    section = text[text.index("### Every key of `pack.yaml`") :]
    section = section[: section.index("\n\n", section.index("| Key |"))]
    rows = {m["key"]: m["required"] for m in ROW.finditer(section)}
    assert len(rows) == section.count("\n| `"), "a row of the table is not in the form | `key` | required | ... |"
    return rows


def test_the_table_lists_every_key_the_loader_knows_and_no_other():
    assert sorted(_table()) == sorted(ALL_KEYS)
    assert len(ALL_KEYS) == len(set(ALL_KEYS))


def test_the_statutes_words_are_the_models_fields():
    assert KEYS == tuple(PackTexts.model_fields)
    assert set(KEYS) <= set(_table())


def test_the_keys_the_loader_requires_are_required_in_the_table():
    table = _table()
    for key in (*REQUIRED_KEYS, "reliefs"):
        assert table[key] == "required", key
    for key in KEYS:
        if key not in REQUIRED_KEYS:
            assert table[key] == "optional", key
