"""Offense parsing and offense-list matching, driven by readable example tables.

The tables live in ``tests/unit/offense_examples``:

- ``parser.csv``: one DOJ ``OFFENSE_DESCR``/``COMMENT_TEXT`` pair per row and what must be read
  from it.
- ``<list>.csv`` (one per offense list): ``offense_descr,comment_text,list,expected,same_case``;
  ``expected`` says whether the row's section is on ``list``; ``same_case`` (blank, true or false)
  says whether the row's case holds the list's same-case companion (e.g. the PC 186.22(b)(4) gang
  enhancement).

A coverage test requires, for every entry of every list in the California pack, at least one
positive example matched by that entry and one negative "near miss" example mentioning its number.
"""

from __future__ import annotations

import csv
from dataclasses import FrozenInstanceError
from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from blueprint.engine.offenses import (
    PARSED_COLUMNS,
    OffenseList,
    OffenseListError,
    comment_mentions,
    load_offense_lists,
    parse_code_sections,
)
from blueprint.intake.section_reading import load_reading_rules

ROOT = Path(__file__).resolve().parents[3]
PACK = ROOT / "blueprint" / "rules" / "california" / "prop64"
EXAMPLES = Path(__file__).parent.parent / "offense_examples"
LIST_NAMES = ("cannabis", "super_strikes", "pc290", "related", "plea_standins")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _bool(text: str) -> bool:
    assert text in ("true", "false"), f"expected true/false, got {text!r}"
    return text == "true"


PARSER_ROWS = _read_csv(EXAMPLES / "parser.csv")
MATCH_ROWS = [row for name in LIST_NAMES for row in _read_csv(EXAMPLES / f"{name}.csv")]


@pytest.fixture(scope="module")
def lists() -> dict[str, OffenseList]:
    return load_offense_lists(PACK)


def _parse(descr: list[str | None], comment: list[str | None], index=None) -> pd.DataFrame:
    return parse_code_sections(
        pd.Series(descr, index=index, dtype=object), pd.Series(comment, index=index, dtype=object)
    )


# --- parsing ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parsed_table() -> pd.DataFrame:
    """All parser examples parsed in one vectorised call, as the engine does it."""
    return _parse([r["offense_descr"] for r in PARSER_ROWS], [r["comment_text"] for r in PARSER_ROWS])


@pytest.mark.parametrize("pos", range(len(PARSER_ROWS)), ids=[r["why"] for r in PARSER_ROWS])
def test_parser_example(parsed_table: pd.DataFrame, pos: int) -> None:
    row = PARSER_ROWS[pos]
    got = parsed_table.iloc[pos]
    for column in ("code_section", "number", "subsection", "code"):
        assert got[column] == row[column], column
    for column in ("attempt", "from_comment", "readable"):
        assert bool(got[column]) is _bool(row[column]), column


def test_parser_keeps_index_and_types_with_pyarrow_strings() -> None:
    index = pd.Index([10, 3, 77])
    descr = pd.Series(["11357(B) HS-POSS", None, "SEE COMMENT FOR CHARGE"], index=index)
    comment = pd.Series([None, "x", "664/11359 HS"], index=index)
    descr = descr.astype("string[pyarrow]")
    comment = comment.astype("string[pyarrow]")
    out = parse_code_sections(descr, comment)
    assert list(out.columns) == list(PARSED_COLUMNS)
    assert out.index.equals(index)
    assert out["number"].tolist() == ["11357", "", "11359"]
    assert out["attempt"].tolist() == [False, False, True]
    assert out["from_comment"].tolist() == [False, False, True]
    assert out["readable"].tolist() == [True, False, True]
    for column in ("attempt", "from_comment", "readable"):
        assert out[column].dtype == bool


def test_parser_rejects_misaligned_columns() -> None:
    with pytest.raises(ValueError):
        parse_code_sections(pd.Series(["11357 HS"], index=[1]), pd.Series([""], index=[2]))


def test_parser_handles_empty_input() -> None:
    out = _parse([], [])
    assert list(out.columns) == list(PARSED_COLUMNS) and len(out) == 0


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("ALSO CHARGED 11357 AND 11360", "11357, 11360"),
        ("11360(A) HS THEN 11357 HS", "11357, 11360"),
        ("111357 HS", ""),
        ("11357.5 HS SYNTHETIC", ""),
        ("113570", ""),
        ("664/11359 HS", "11359"),
        ("66411358 HS", "11358"),
        ("HS11359", "11359"),
        ("CASE CLOSED 11357.", "11357"),
        ("", ""),
        (None, ""),
    ],
)
def test_comment_mentions(comment: str | None, expected: str) -> None:
    out = comment_mentions(pd.Series([comment], index=[42]), ["11357", "11358", "11359", "11360"])
    assert out.index.tolist() == [42]
    assert out.iloc[0] == expected


def test_comment_mentions_of_many_comments_keep_their_rows() -> None:
    """Only comments holding a number are searched with its pattern; each result stays on its row."""
    comments = pd.Series(
        ["COURT REMARKS WITHOUT ANY SECTION " * 20, "11359 HS", None, "664.11357 AND 11360", "111357 113600"],
        index=[7, 3, 9, 1, 5],
    )
    out = comment_mentions(comments, ["11357", "11358", "11359", "11360"])
    assert out.to_dict() == {7: "", 3: "11359", 9: "", 1: "11357, 11360", 5: ""}


# --- matching ---------------------------------------------------------------------------------------


def _same_case(rows: list[dict[str, str]]) -> pd.Series | None:
    if not any(r.get("same_case") for r in rows):
        return None
    return pd.Series([r.get("same_case") == "true" for r in rows])


@pytest.fixture(scope="module")
def match_results(lists: dict[str, OffenseList]) -> dict[str, list[bool]]:
    """Each list's examples matched in one vectorised call."""
    results: dict[str, list[bool]] = {}
    for name in LIST_NAMES:
        rows = [r for r in MATCH_ROWS if r["list"] == name]
        parsed = _parse([r["offense_descr"] for r in rows], [r["comment_text"] for r in rows])
        results[name] = lists[name].matches(parsed, same_case_has=_same_case(rows)).tolist()
    return results


@pytest.mark.parametrize(
    "row",
    MATCH_ROWS,
    ids=[f"{r['list']}:{r['offense_descr'] or r['comment_text']}:{r['expected']}" for r in MATCH_ROWS],
)
def test_match_example(match_results: dict[str, list[bool]], row: dict[str, str]) -> None:
    rows = [r for r in MATCH_ROWS if r["list"] == row["list"]]
    got = match_results[row["list"]][rows.index(row)]
    assert got is _bool(row["expected"])


@pytest.mark.parametrize("name", LIST_NAMES)
def test_every_entry_has_positive_and_near_miss_examples(lists: dict[str, OffenseList], name: str) -> None:
    """Each entry: a positive example that this very entry matches, and a negative that names it."""
    offense_list = lists[name]
    rows = [r for r in MATCH_ROWS if r["list"] == name]
    parsed = _parse([r["offense_descr"] for r in rows], [r["comment_text"] for r in rows])
    labels = offense_list.matched_entry_labels(parsed, same_case_has=_same_case(rows)).tolist()
    numbers = parsed["number"].tolist()
    codes = parsed["code"].tolist()
    missing = []
    for entry in offense_list.entries:
        positive = any(
            _bool(r["expected"]) and labels[i] == entry.label and numbers[i] == entry.number for i, r in enumerate(rows)
        )
        negative = any(
            not _bool(r["expected"]) and entry.number in (r["offense_descr"] + " " + r["comment_text"]).upper()
            for r in rows
        )
        if not (positive and negative):
            missing.append(f"{entry.describe()} positive={positive} negative={negative}")
    assert not missing, "entries without examples:\n" + "\n".join(missing)
    assert codes  # the table is not empty


def test_cannabis_list_is_the_four_prop64_sections(lists: dict[str, OffenseList]) -> None:
    cannabis = lists["cannabis"]
    assert cannabis.numbers == ("11357", "11358", "11359", "11360")
    assert {e.code for e in cannabis.entries} == {"HS"}
    assert cannabis.assume_code_when_missing == "HS"
    assert "11361.8" in cannabis.statute


def test_matching_keeps_the_index(lists: dict[str, OffenseList]) -> None:
    parsed = _parse(["999 PC-X", "11359 HS-X"], ["", ""], index=[7, 3])
    out = lists["cannabis"].matches(parsed)
    assert out.index.tolist() == [7, 3]
    assert out.tolist() == [False, True]


def test_matched_labels_give_the_section_as_convicted(lists: dict[str, OffenseList]) -> None:
    parsed = _parse(["664/11359 HS-ATT", "11364 HS-PARAPH", "11357(B)-POSS"], ["", "", ""])
    assert lists["cannabis"].matched_labels(parsed).tolist() == ["664/11359 HS", "", "11357(B)"]
    assert lists["cannabis"].matched_entry_labels(parsed).tolist() == [
        "possession of cannabis for sale",
        "",
        "possession of cannabis",
    ]


def test_repeated_rows_parse_and_match_like_single_rows(lists: dict[str, OffenseList]) -> None:
    """Vectorised parsing over many repeated rows gives each row the same answer as alone.

    (Speed is measured by the benchmark scripts, not asserted in unit tests.)
    """
    base = [
        "11357(B) HS-POSSESS MARIJUANA",
        "664/187 PC-ATTEMPTED MURDER",
        "245(A)(1) PC-ASSAULT",
        "SEE COMMENT FOR CHARGE",
        "23152(A) VC-DUI",
    ]
    descr = pd.Series(base * 2_000).astype("str")
    comment = pd.Series(["", "", "", "11360 HS", ""] * 2_000).astype("str")
    parsed = parse_code_sections(descr, comment)
    assert parsed["readable"].sum() == 10_000
    assert lists["cannabis"].matches(parsed).sum() == 4_000
    alone = parse_code_sections(pd.Series(base).astype("str"), pd.Series(["", "", "", "11360 HS", ""]).astype("str"))
    for i in range(5):
        assert (parsed.iloc[i::5].reset_index(drop=True) == alone.iloc[[i] * 2_000].reset_index(drop=True)).all().all()


# --- loading and validation ---------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "offenses.yaml"
    path.write_text(text, encoding="utf-8")
    return tmp_path


def test_lists_are_frozen(lists: dict[str, OffenseList]) -> None:
    with pytest.raises(FrozenInstanceError):
        lists["cannabis"].name = "x"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        lists["cannabis"].entries[0].number = "1"  # type: ignore[misc]


def test_load_records_source_and_statute(lists: dict[str, OffenseList]) -> None:
    assert set(LIST_NAMES) <= set(lists)
    for offense_list in lists.values():
        assert offense_list.source.endswith("offenses.yaml")
        assert offense_list.statute


def test_a_fork_can_bring_its_own_list(tmp_path: Path) -> None:
    pack = _write(
        tmp_path,
        """
version: 1
lists:
  marijuana:
    statute: "Example Stat. 1.2"
    entries:
      - {code: ES, number: "453.336", subsections: ["(a)"], label: possession}
""",
    )
    # The fork names its code in its own sections.yaml: only codes a pack declares are read as codes,
    # so XX (like a description word) is not one.
    (pack / "sections.yaml").write_text("version: 1\ncodes:\n  ES: {name: Example Statutes}\n", encoding="utf-8")
    lists = load_offense_lists(pack)
    reading = load_reading_rules(pack)
    descr = ["453.336(A)(2) ES-POSS", "453.336(B) ES-POSS", "453.336(A) XX-POSS"]
    parsed = parse_code_sections(pd.Series(descr), pd.Series([""] * 3), reading)
    assert parsed["code"].tolist() == ["ES", "ES", ""]
    assert lists["marijuana"].matches(parsed).tolist() == [True, False, False]
    # California's rules do not know the fork's code: read with them, ES is no code either.
    assert _parse(descr, [""] * 3)["code"].tolist() == ["", "", ""]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: 191.5, label: x}\n", "quote it"),
        (
            "lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: '18x7', label: x}\n",
            "section number",
        ),
        ("lists:\n  a:\n    statute: s\n    entries:\n      - {code: P, number: '187', label: x}\n", "code must be"),
        (
            "lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: '245', subsections: ['D3'], label: x}\n",
            "subsection",
        ),
        (
            "lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: '187', label: x, colour: red}\n",
            "colour",
        ),
        ("lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: '187'}\n", "label"),
        ("lists:\n  a:\n    entries:\n      - {code: PC, number: '187', label: x}\n", "statute"),
        ("lists:\n  a:\n    statute: s\n    entries: []\n", "entries"),
        (
            "lists:\n  Bad-Name:\n    statute: s\n    entries:\n      - {code: PC, number: '187', label: x}\n",
            "lower_case",
        ),
        (
            "lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: '187', label: x}\n      - {code: PC, number: '187', label: y}\n",
            "repeats 187 PC",
        ),
        (
            "lists:\n  a:\n    statute: s\n    entries:\n      - {code: PC, number: '1', label: x, requires_same_case: 'banana'}\n",
            "requires_same_case",
        ),
        (
            "lists:\n  a:\n    statute: s\n    entries:\n"
            "      - {code: PC, number: '1', label: x, requires_same_case: '186.22(B)(4) PC'}\n"
            "      - {code: PC, number: '2', label: y, requires_same_case: '12022.53 PC'}\n",
            "more than one same-case companion",
        ),
        ("lists: [\n", "not valid YAML"),
    ],
)
def test_invalid_files_get_clear_errors(tmp_path: Path, body: str, message: str) -> None:
    pack = _write(tmp_path, body)
    with pytest.raises(OffenseListError) as info:
        load_offense_lists(pack)
    assert message in str(info.value)
    assert "offenses.yaml" in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OffenseListError, match="not found"):
        load_offense_lists(tmp_path)


def test_same_case_companion_flow(lists: dict[str, OffenseList]) -> None:
    """The documented engine recipe: find the companion, spread it over its case, then match."""
    ss = lists["super_strikes"]
    assert ss.companion is not None and ss.companion.describe() == "186.22(B)(4) PC"
    parsed = _parse(
        [
            "136.1(A)(1) PC-DISSUADE WITNESS",  # case A, which has the gang enhancement
            "186.22(B)(4) PC-GANG ENHANCEMENT",  # case A
            "136.1(A)(1) PC-DISSUADE WITNESS",  # case B, no enhancement
            "186.22(B)(1) PC-OTHER GANG ENHANCEMENT",  # case B: not the companion
            "187(A) PC-MURDER",  # case B: needs no companion
        ],
        ["", "", "", "", ""],
        index=[11, 12, 13, 14, 15],
    )
    case_key = pd.Series(["A", "A", "B", "B", "B"], index=parsed.index)
    companion = ss.companion_matches(parsed)
    assert companion.tolist() == [False, True, False, False, False]
    case_has = companion.groupby(case_key).transform("any")
    assert ss.matches(parsed, same_case_has=case_has).tolist() == [True, False, False, False, True]
    assert ss.matches(parsed).tolist() == [False, False, False, False, True]
    assert ss.needs_companion(parsed).tolist() == [True, False, True, False, False]
    labels = ss.matched_labels(parsed, same_case_has=case_has).tolist()
    assert labels == ["136.1(A)(1) PC", "", "", "", "187(A) PC"]


def test_same_case_has_must_share_the_index(lists: dict[str, OffenseList]) -> None:
    parsed = _parse(["136.1 PC-X"], [""], index=[5])
    with pytest.raises(ValueError, match="same index"):
        lists["super_strikes"].matches(parsed, same_case_has=pd.Series([True], index=[6]))


def test_lists_without_a_companion(lists: dict[str, OffenseList]) -> None:
    parsed = _parse(["186.22(B)(4) PC-GANG", "11357 HS-POSS"], ["", ""])
    assert lists["cannabis"].companion is None
    assert lists["cannabis"].companion_matches(parsed).tolist() == [False, False]
    assert lists["cannabis"].needs_companion(parsed).tolist() == [False, False]


def test_only_the_cannabis_list_assumes_a_missing_code(lists: dict[str, OffenseList]) -> None:
    parsed = _parse(["11359-POSS FOR SALE", "187(A)-MURDER", "288(A)-LEWD ACT", "602-TRESPASS"], [""] * 4)
    assert lists["cannabis"].matches(parsed).tolist() == [True, False, False, False]
    for name in ("super_strikes", "pc290", "related", "plea_standins"):
        assert not lists[name].matches(parsed).any(), name


# --- possible matches: a subdivision the record does not give ------------------------------------


POSSIBLE_ROWS = [r for r in MATCH_ROWS if r.get("possible")]


@pytest.mark.parametrize(
    "row", POSSIBLE_ROWS, ids=[f"{r['list']}:{r['offense_descr']}:possible={r['possible']}" for r in POSSIBLE_ROWS]
)
def test_possible_match_example(lists: dict[str, OffenseList], row: dict[str, str]) -> None:
    """A bare section whose listing depends on a subdivision it does not give (PC 667(e)(2)(C)(iv):
    245(d)(3) only, 217.1(b) only, 653f(b) only; PC 290(c): 314(1)-(2), 236.1(b)-(c)) is a *possible*
    match, never a match and never a plain miss; one naming another subdivision is a plain miss."""
    rows = [r for r in MATCH_ROWS if r["list"] == row["list"]]
    parsed = _parse([r["offense_descr"] for r in rows], [r["comment_text"] for r in rows])
    possible = lists[row["list"]].possible_matches(parsed, same_case_has=_same_case(rows)).tolist()
    assert possible[rows.index(row)] is _bool(row["possible"])


def test_homicide_range_is_187_to_191_5_inclusive_with_attempts(lists: dict[str, OffenseList]) -> None:
    """PC 667(e)(2)(C)(iv)(IV): "any homicide offense, including any attempted homicide offense, defined
    in Sections 187 to 191.5, inclusive"; manslaughter (192) lies outside."""
    texts = [
        "187 PC-X",
        "189.5 PC-X",
        "190 PC-X",
        "190.03 PC-X",
        "190.25 PC-X",
        "191.5(B) PC-X",
        "664/190.2 PC-X",
        "186 PC-X",
        "191.55 PC-X",
        "192(B) PC-X",
        "664/192 PC-X",
        "187 HS-X",
    ]
    got = lists["super_strikes"].matches(_parse(texts, [""] * len(texts))).tolist()
    assert got == [True] * 7 + [False] * 5


def test_section_266_letters_name_its_lettered_sections() -> None:
    """PC 266 has no subdivisions, so a letter after it names 266c, 266h, 266j... however written;
    288(A) stays 288(a), a subdivision, because 288 has subdivisions."""
    texts = ["266(C) PC-X", "266 C PC-X", "266 (J) PC-X", "266(H)(B) PC-X", "266 PC-X", "288(A) PC-X", "11357 B HS-X"]
    parsed = _parse(texts, [""] * len(texts))
    assert parsed["number"].tolist() == ["266C", "266C", "266J", "266H", "266", "288", "11357"]
    assert parsed["subsection"].tolist() == ["", "", "", "(B)", "", "(A)", "(B)"]
    assert parsed["code"].tolist() == ["PC"] * 6 + ["HS"]


def test_every_mistake_in_an_offense_list_file_is_named_at_once_with_its_line(tmp_path: Path) -> None:
    """A file with four mistakes on four lines gets one message per mistake, each ``file:line:``,
    in one error (fix them in one pass, not one per run)."""
    body = (
        "lists:\n"  # 1
        "  a:\n"  # 2
        "    statute: s\n"  # 3
        "    entries:\n"  # 4
        "      - {code: PC, number: 191.5, label: x}\n"  # 5 unquoted decimal
        "      - {code: PC, number: '187', label: y}\n"  # 6
        "      - {code: PC, number: '187', label: z}\n"  # 7 repeats line 6
        "  b:\n"  # 8
        "    statute: s\n"  # 9
        "    entries:\n"  # 10
        "      - {code: P, number: '187', label: x}\n"  # 11 code too short
        "      - {code: PC, number: '245', subsections: ['D3'], label: w}\n"  # 12 bad subsection
    )
    pack = _write(tmp_path, body)
    with pytest.raises(OffenseListError) as info:
        load_offense_lists(pack)
    text = str(info.value)
    file = str(pack / "offenses.yaml")
    assert f"{file} has 4 problems" in text
    lines = text.splitlines()[1:]
    assert len(lines) == 4
    assert lines[0].startswith(f"{file}:5: lists.a.entries[0].number") and "quote it" in lines[0]
    assert lines[1].startswith(f"{file}:7: lists.a.entries[2] repeats 187 PC")
    assert lines[2].startswith(f"{file}:11: lists.b.entries[0].code") and "code must be" in lines[2]
    assert lines[3].startswith(f"{file}:12: lists.b.entries[1].subsections") and "subsection" in lines[3]
