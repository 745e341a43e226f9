"""The rule pack's reading of current law (``current_law.yaml``): subdivisions by era, the two-priors
classes, the felony hints; and a pack's statutory exclusions checked like a policy."""

from __future__ import annotations

import numpy as np
import pytest

from blueprint.engine.current_law import (
    AFTER,
    BEFORE,
    COUNTS,
    EITHER,
    NOT,
    POSSIBLE,
    CurrentLawError,
    combine,
    load_current_law,
)
from blueprint.base.errors import PolicyError
from blueprint.engine.exclusions import load_exclusions
from blueprint.engine.pack_spec import Exclusion
from blueprint.engine.rulepack import load_rule_pack

LAW = load_current_law(load_rule_pack().folder)


@pytest.mark.parametrize(
    "number, sub, exists_before, exists_after",
    [
        ("11357", "(E)", True, False),  # school grounds, under 18: (e) before 2016, (d) since
        ("11357", "(B)(2)", True, True),  # old (b) had no paragraphs listed; since 2016 (b)(2) is 18 or older
        ("11357", "(A)(3)", True, False),  # since 2016 (a) has paragraphs (1) and (2) only
        ("11357", "(Z)", False, False),
        ("11358", "(C)", False, True),  # the old 11358 had no subdivisions
        ("11359", "(D)", False, True),
        ("11360", "(C)", False, False),  # (c) defines "transport": no conviction is under it
        ("11360", "(A)(2)(B)", True, True),
        ("11357", "", True, True),
    ],
)
def test_which_subdivisions_exist_before_and_after_9_november_2016(number, sub, exists_before, exists_after):
    r = LAW.readings(np.array([number], dtype=object), np.array([sub], dtype=object))
    assert (bool(r["exists_before"][0]), bool(r["exists_after"][0])) == (exists_before, exists_after)


@pytest.mark.parametrize(
    "number, sub, before_adult, before_minor, after_adult",
    [
        # HS 11360(a)(3)(B): priors "under paragraph (2)" of subdivision (a).
        ("11360", "(A)", COUNTS, NOT, POSSIBLE),
        ("11360", "(B)", NOT, NOT, NOT),
        ("11360", "", POSSIBLE, NOT, POSSIBLE),
        ("11360", "(A)(2)", COUNTS, NOT, COUNTS),
        ("11360", "(A)(1)", COUNTS, NOT, NOT),  # no (a)(1) before 2016: read as its prefix (a)
        # HS 11359(c)(2): priors "under subdivision (b)".
        ("11359", "", COUNTS, NOT, POSSIBLE),
        ("11359", "(B)", POSSIBLE, POSSIBLE, COUNTS),  # (b) did not exist before 2016: may be anything
        ("11359", "(A)", POSSIBLE, POSSIBLE, NOT),
        # HS 11358(d)(2): priors "under subdivision (c)", more than six plants.
        ("11358", "", POSSIBLE, NOT, POSSIBLE),
        ("11358", "(C)", POSSIBLE, POSSIBLE, COUNTS),
        ("11358", "(B)", POSSIBLE, POSSIBLE, NOT),
        # No two-priors rule for possession.
        ("11357", "(C)", NOT, NOT, NOT),
    ],
)
def test_two_priors_classes_under_current_law(number, sub, before_adult, before_minor, after_adult):
    r = LAW.readings(np.array([number], dtype=object), np.array([sub], dtype=object))
    assert (int(r["class_before_adult"][0]), int(r["class_before_minor"][0]), int(r["class_after_adult"][0])) == (
        before_adult,
        before_minor,
        after_adult,
    )


def test_combining_readings_is_possible_unless_all_agree():
    values = [np.array([COUNTS, COUNTS, NOT], np.int8), np.array([COUNTS, NOT, NOT], np.int8)]
    both = [np.array([True, True, True]), np.array([True, True, True])]
    assert combine(values, both).tolist() == [COUNTS, POSSIBLE, NOT]
    first_only = [np.array([True, True, True]), np.array([False, False, False])]
    assert combine(values, first_only).tolist() == [COUNTS, COUNTS, NOT]


def test_eras_from_the_offense_and_the_conviction():
    """Convicted before 9 November 2016: the old text; arrested on or after it: the new; arrested
    before and convicted after: either (a case not yet final takes the new, lesser text: In re Estrada)."""
    arrested = np.array(["2015-01-01", "2017-01-01", "2016-06-01", "NaT", "NaT"], dtype="datetime64[D]")
    convicted = np.array(["2015-03-01", "2017-03-01", "2017-02-01", "2015-05-05", "2017-05-05"], dtype="datetime64[D]")
    assert LAW.eras(arrested, convicted).tolist() == [BEFORE, AFTER, EITHER, BEFORE, EITHER]


@pytest.mark.parametrize(
    "text, number, hints",
    [
        ("11360 HS-SELL MARIJUANA TO MINORS", "11360", "minor"),
        ("11359 HS-POSS FOR SALE/EMPLOY JUVENILE", "11359", "minor"),
        ("11360 HS-IMPORT/EXPORT MARIJUANA", "11360", "import_export"),
        ("11360 HS-TRANSPORT MARIJUANA", "11360", ""),
        ("11358 HS-CULTIVATE/POLLUTION OF STREAM", "11358", "environmental_harm"),
        ("11357 HS-POSSESS MARIJUANA MINOR", "11357", ""),  # possession never stays a felony
        ("11360 HS-SELL MINORITY SHARE", "11360", "minor"),  # word starts count: a hint only, for a person to read
    ],
)
def test_felony_hint_words(text, number, hints):
    assert LAW.hints_in_text(np.array([text], dtype=object), np.array([number], dtype=object)).tolist() == [hints]


def test_an_invalid_current_law_file_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "current_law.yaml"
    path.write_text(
        'version: 1\nline: "2016-11-09"\nsections:\n  "11359":\n'
        '    two_priors: {counts: "(B)", statute: "HS 11359(c)(2)"}\n'
        '    before:\n      "": {two_priors: maybe}\n    after:\n      "(B)": {two_priors: counts}\n'
    )
    with pytest.raises(CurrentLawError) as info:
        load_current_law(tmp_path)
    assert "current_law.yaml" in str(info.value) and "line 7" in str(info.value)
    assert "must be one of not, possible, counts, got 'maybe'" in str(info.value)
    assert load_current_law(tmp_path / "nowhere") is None  # a pack without one (another state's)


def test_a_packs_statutory_exclusions_are_checked_like_a_policy(tmp_path):
    # Their shape (a code and a condition) is checked with the rest of pack.yaml (test_pack_spec.py).
    with pytest.raises(PolicyError) as info:
        load_exclusions([Exclusion(code="after_line", when={"offense_after": "2016-11-09"})], tmp_path)
    assert "statutory_exclusions[0] ('after_line'): unknown condition 'offense_after'" in str(info.value)
    assert load_exclusions(None, tmp_path) is None


def test_every_mistake_in_a_current_law_file_is_named_at_once_with_its_line(tmp_path):
    """Mistakes that span keys (a subdivision's class against its section's two-priors rule, a
    companion's hint, the line's date, a malformed subdivision) are all reported together, each with
    its line; they used to stop at the first."""
    (tmp_path / "current_law.yaml").write_text(
        "version: 1\n"  # 1
        'line: "2016-13-09"\n'  # 2 no such month
        "sections:\n"  # 3
        '  "11357":\n'  # 4
        "    before:\n"  # 5
        '      "A": {}\n'  # 6 not (A)
        "    after:\n"  # 7
        '      "(A)": {two_priors: counts}\n'  # 8 no two_priors rule
        '  "11359":\n'  # 9
        '    two_priors: {counts: "(B)", statute: "HS 11359(c)(2)"}\n'  # 10
        "    before:\n"  # 11
        '      "": {}\n'  # 12 needs two_priors
        "    after:\n"  # 13
        '      "(B)": {two_priors: counts}\n'  # 14
        "felony_hints:\n"  # 15
        '  - {id: minor, label: a minor, sections: ["11359"], statute: s, words: [MINOR]}\n'  # 16
        "companions:\n"  # 17
        '  - {code: HS, number: "11361", hint: minors, label: x}\n'  # 18 hint 'minors' unknown
    )
    with pytest.raises(CurrentLawError) as info:
        load_current_law(tmp_path)
    lines = str(info.value).splitlines()
    assert lines[0] == "current-law readings current_law.yaml is not valid:"
    assert len(lines) == 6
    assert lines[1].startswith("line 2: line must be a date") and "2016-13-09" in lines[1]
    assert lines[2].startswith("line 6: sections.11357.before.A: subdivision must look like (A)")
    assert lines[3] == "line 8: sections.11357.after.(A): gives two_priors but the section has no two_priors rule"
    assert lines[4] == "line 12: sections.11359.before.(none): needs two_priors: counts, not or possible"
    assert lines[5].startswith("line 18: companions[0]: companion HS 11361 names hint 'minors'")
