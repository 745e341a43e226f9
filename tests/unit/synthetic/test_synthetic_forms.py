"""The generator writes the section forms real extracts contain, and the engine reads every one.

``blueprint.synthetic.catalog`` records, next to every form it writes, the section it means
(``Reading``, built from the catalog's own hand-written parts, never from the reader). These tests
check the engine's reader against that record, form by form, and run the engine on a generated file
holding every form: every generated cannabis conviction in the county must get a decision.
(The reader's own hand-written examples are in test_offense_forms.py.)
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from blueprint.intake.columns import DOJ_COLUMNS
from blueprint.engine.offenses import parse_code_sections
from blueprint.run.local import RunSettings, run_local
from blueprint.engine.rulepack import load_rule_pack
from blueprint.intake.section_reading import named_sections
from blueprint.synthetic.doj_file import generate
from blueprint.synthetic.catalog import (
    ATTEMPT_FORMS,
    CANNABIS_AFTER_2016,
    CANNABIS_BEFORE_2016,
    CANNABIS_FORMS,
    NO_PARENTHESES_OTHER,
    OTHER_OFFENSES,
    REGISTRABLE_SEX,
    SUPER_STRIKES,
    attempt_of,
    write_form,
    written_forms,
)

C = {name: i for i, name in enumerate(DOJ_COLUMNS)}
CANNABIS = [o for o, _ in CANNABIS_BEFORE_2016 + CANNABIS_AFTER_2016]
PACK = load_rule_pack()
PARTS = ("number", "subsection", "code", "attempt", "second_number", "second_subsection", "second_code")


def _every_written_text() -> list[tuple[str, str, object, bool]]:
    """(form, text, reading, cannabis) for every text the generator can write."""
    out = []
    for offense in CANNABIS:
        out.extend((form, text, reading, True) for form, text, reading in written_forms(offense))
        for attempt in ATTEMPT_FORMS:
            a = attempt_of(offense, attempt)
            out.append(("attempt " + attempt, a.descr.strip('"'), a.reading, True))
    for offense, _ in OTHER_OFFENSES + SUPER_STRIKES + REGISTRABLE_SEX:
        out.append(("canonical", offense.descr.strip('"').replace('""', '"'), offense.reading, False))
        if offense.section in NO_PARENTHESES_OTHER:
            out.append(("no_parentheses", *write_form(offense, "no_parentheses"), False))
    return out


TEXTS = _every_written_text()


@pytest.fixture(scope="module")
def read_texts():
    texts = pd.Series([t for _, t, _, _ in TEXTS], dtype=object)
    blank = pd.Series([""] * len(TEXTS), dtype=object)
    parsed = parse_code_sections(texts, blank, PACK.reading)
    on_list = PACK.evaluated.matches(parsed)
    named = named_sections(parsed, texts, blank, PACK.evaluated.numbers)
    return parsed, on_list, named


@pytest.mark.parametrize("pos", range(len(TEXTS)), ids=[f"{f}:{t}" for f, t, _, _ in TEXTS])
def test_each_generated_text_is_read_as_the_generator_meant(read_texts, pos):
    parsed, on_list, named = read_texts
    form, text, reading, cannabis = TEXTS[pos]
    got = parsed.iloc[pos]
    if reading is None:  # written so that no reader can resolve it: it must be surfaced, not dropped
        assert not on_list.iloc[pos] and named.iloc[pos] != "", text
        return
    assert bool(got["readable"]), text
    assert tuple(got[p] for p in PARTS) == tuple(getattr(reading, p) for p in PARTS), text
    assert bool(on_list.iloc[pos]) is cannabis, text


def test_every_form_is_written_and_most_are_canonical():
    names = {form for form, _ in CANNABIS_FORMS}
    assert {form for form, _, _, _ in TEXTS} >= names
    shares = dict(CANNABIS_FORMS)
    assert shares["canonical"] / sum(shares.values()) >= 0.6  # most rows keep the usual form


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("forms")
    path = tmp / "doj.dat"
    stats = generate(path, rows=60_000, county="SACRAMENTO", seed=5)
    result = run_local([path], RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01"), tmp / "run")
    return path, stats, result


def test_a_generated_file_holds_every_form(generated):
    _, stats, _ = generated
    for form, _ in CANNABIS_FORMS:
        assert stats.cannabis_forms.get(form, 0) > 0, form
    assert stats.cannabis_forms.get("attempt", 0) > 0 and stats.cannabis_forms.get("see_comment", 0) > 0
    assert sum(stats.cannabis_forms.values()) == stats.cannabis_convictions_in_county
    assert stats.cannabis_forms["canonical"] > stats.cannabis_convictions_in_county / 2


def test_no_generated_cannabis_conviction_is_missed(generated):
    _, stats, result = generated
    decided = pd.read_csv(result.out_dir / "convictions.csv", dtype=str, keep_default_na=False)
    assert len(decided) == stats.cannabis_convictions_in_county
    assert (decided["determination"] != "").all()
    codes = decided["reason_code"].value_counts()
    assert codes.get("CANNABIS_SECTION_UNREADABLE", 0) == stats.cannabis_forms["code_first"]
    assert codes.get("CANNABIS_TWO_SECTIONS", 0) == stats.cannabis_forms["two_cannabis_sections"]


def test_every_text_in_the_generated_file_reads_as_meant(generated):
    """Each written OFFENSE_DESCR of the file, looked up in the generator's record, reads as recorded."""
    path, _, _ = generated
    meant = {text.strip(): (reading, cannabis) for _, text, reading, cannabis in TEXTS}
    with open(path, newline="", encoding="ascii") as fh:
        seen = {row[C["OFFENSE_DESCR"]].strip() for row in csv.reader(fh) if row[0] != "RECORD_ID"}
    found = sorted(t for t in seen if t in meant)
    assert len(found) > 150
    parsed = parse_code_sections(
        pd.Series(found, dtype=object), pd.Series([""] * len(found), dtype=object), PACK.reading
    )
    for i, text in enumerate(found):
        reading, _ = meant[text]
        if reading is not None:
            assert tuple(parsed.iloc[i][p] for p in PARTS) == tuple(getattr(reading, p) for p in PARTS), text
