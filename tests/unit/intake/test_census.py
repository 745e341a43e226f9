"""The offense-text census: ``clearance inspect``, and the same table in every run.

Built from hand-made DOJ rows in the forms the domain note lists, so what the census must say is
known independently of the reader: how many rows and convictions carry each text, how it is read,
which lists it is on, and that unresolved cannabis texts come first. The census holds offense texts
and counts only, never a person's name, CII or case number.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from blueprint.intake.census import CENSUS_COLUMNS, UNREADABLE, UNRESOLVED, TextCounter, census_table
from blueprint.cli.main import main as clearance
from blueprint.run.local import RunSettings, run_local
from blueprint.run.cloud_steps import combine, evaluate_shard, split_into_shards
from blueprint.intake.reader import read_doj_files
from blueprint.engine.rulepack import load_rule_pack
from doj_builder import Person, write_doj

SETTINGS = RunSettings(county="SACRAMENTO", evaluation_date="2020-07-01")
NAME = "CENSUSPERSON,SECRET"


def _rows() -> list[list[str]]:
    a, b, c = Person("1", name=NAME, cii="A99999999"), Person("2"), Person("3")
    return [
        a.arrest("001001001000", "11357B2 HS-POSSESS MARIJUANA", "20050101"),
        a.conviction("001002001000", "11357B2 HS-POSSESS MARIJUANA", "20050301", level="MISDEMEANOR", ofn="CASE-777"),
        a.conviction("001002002000", "  11357B2 HS-POSSESS MARIJUANA  ", "20050301", level="MISDEMEANOR"),  # padding
        b.conviction("001001001000", "HS 11359-POSSESS MARIJUANA FOR SALE", "20060301"),
        b.conviction("002001001000", "246/186.22(B)(4) PC-SHOOT AT INHABITED DWELLING", "19990301"),
        b.conviction("003001001000", "136.1(A)(1) PC-DISSUADE WITNESS", "19990301"),
        c.conviction("001001001000", "SEE COMMENT FOR CHARGE", "20070301", comment="11360(A) HS SELL MARIJUANA"),
        c.arrest("002001001000", "FAILURE TO APPEAR", "20080101"),
        c.arrest("003001001000", "647F PC-DISORDERLY CONDUCT", "20080101", COMMENT_TEXT="COMMENT NOT SHOWN"),
    ]


@pytest.fixture()
def doj(tmp_path):
    return write_doj(tmp_path / "doj.dat", _rows())


def _census(out) -> pd.DataFrame:
    return pd.read_csv(out, dtype=str, keep_default_na=False)


def test_inspect_lists_every_text_with_counts_and_reading(doj, tmp_path, capsys):
    out = tmp_path / "census.csv"
    assert clearance(["inspect", "--input", str(doj), "--out", str(out)]) == 0
    census = _census(out)
    assert list(census.columns) == list(CENSUS_COLUMNS)
    by_text = census.set_index(["offense_text", "comment_text"])
    # Unresolved cannabis texts first, then unreadable ones, then the rest by frequency.
    assert census["status"].tolist()[:2] == [UNRESOLVED, UNREADABLE]
    assert census.iloc[0]["offense_text"] == "HS 11359-POSSESS MARIJUANA FOR SALE"
    assert "11359" in census.iloc[0]["note"]
    assert census.iloc[1]["offense_text"] == "FAILURE TO APPEAR"
    row = by_text.loc[("11357B2 HS-POSSESS MARIJUANA", "")]  # the padded copy is the same text
    assert (row["rows"], row["conviction_rows"]) == ("3", "2")
    assert (row["code"], row["section"], row["subsection"], row["lists"]) == ("HS", "11357", "(B)(2)", "cannabis")
    gang = by_text.loc[("246/186.22(B)(4) PC-SHOOT AT INHABITED DWELLING", "")]
    assert (gang["section"], gang["second_section"], gang["second_subsection"]) == ("246", "186.22", "(B)(4)")
    assert gang["lists"] == "super_strikes"  # the enhancement is on the same line
    alone = by_text.loc[("136.1(A)(1) PC-DISSUADE WITNESS", "")]
    assert alone["lists"] == "super_strikes (with 186.22(B)(4) PC in the case)"
    see = by_text.loc[("SEE COMMENT FOR CHARGE", "11360(A) HS SELL MARIJUANA")]
    assert (see["read_from"], see["section"], see["lists"]) == ("COMMENT_TEXT", "11360", "cannabis")
    # A comment is shown only where it carries the charge.
    assert "COMMENT NOT SHOWN" not in out.read_text()
    assert "1 name a cannabis section that cannot be resolved" in capsys.readouterr().out


def test_the_census_holds_no_personal_data(doj, tmp_path):
    out = tmp_path / "census.csv"
    clearance(["inspect", "--input", str(doj), "--out", str(out)])
    text = out.read_text()
    for secret in ("CENSUSPERSON", "SECRET", "A99999999", "CASE-777", "19700101"):
        assert secret not in text


def test_inspect_writes_to_standard_output_and_reports_a_bad_file(doj, tmp_path, capsys):
    empty = tmp_path / "empty.dat"
    empty.write_text("")
    assert clearance(["inspect", "--input", str(doj), "--input", str(empty)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("status,offense_text,")
    assert "empty.dat" in captured.err and "distinct offense texts" in captured.err


def test_a_failed_or_repeated_file_is_not_counted(doj, tmp_path):
    import shutil

    again = tmp_path / "again.dat"
    shutil.copy(doj, again)
    out = tmp_path / "census.csv"
    # A repeat is no failure (exit 0, a note): its rows are counted once, from the first file.
    assert clearance(["inspect", "--input", str(doj), "--input", str(again), "--out", str(out)]) == 0
    once = tmp_path / "once.csv"
    clearance(["inspect", "--input", str(doj), "--out", str(once)])
    assert out.read_text() == once.read_text()


def test_counting_per_chunk_adds_up_to_counting_at_once(doj):
    """The reader yields chunks; counts added chunk by chunk equal the counts of all rows together."""
    rows = read_doj_files([doj]).rows
    pack = load_rule_pack()
    whole, pieces = TextCounter(), TextCounter()
    whole.add(0, rows)
    for start in range(0, rows.num_rows, 3):
        pieces.add(0, rows.slice(start, 3))
    key = ["offense_text", "comment_text"]
    a = census_table(whole.frame(), pack).sort_values(key).reset_index(drop=True)
    b = census_table(pieces.frame(), pack).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert int(a["rows"].sum()) == rows.num_rows


def test_every_run_writes_the_census_and_counts_it_in_the_summary(doj, tmp_path):
    out = tmp_path / "run"
    result = run_local([doj], SETTINGS, out)
    census = _census(out / "offense_texts.csv")
    inspected = tmp_path / "inspect.csv"
    clearance(["inspect", "--input", str(doj), "--out", str(inspected)])
    assert census.values.tolist() == _census(inspected).values.tolist()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["offense_texts"] == {
        "distinct": len(census),
        "unreadable": 2,
        "unreadable_rows": 2,
        "unresolved_cannabis": 1,
        "unresolved_cannabis_rows": 1,
    }
    assert summary["convictions"]["section_unreadable"] == 1
    assert summary["convictions"]["by_section"]["unreadable"] == 1
    assert "offense_texts.csv" in result.manifest["outputs"]
    html = (out / "summary.html").read_text()
    assert "could not read" in html and "distinct offense texts" in html
    decided = pd.read_csv(out / "convictions.csv", dtype=str, keep_default_na=False)
    unreadable = decided[decided["reason_code"] == "CANNABIS_SECTION_UNREADABLE"]
    assert unreadable[["person_id", "determination", "code_section"]].values.tolist() == [["2", "Hand Review", ""]]


def test_the_cloud_steps_give_the_same_census(doj, tmp_path):
    local = run_local([doj], SETTINGS, tmp_path / "local")
    split = split_into_shards([doj], tmp_path / "split", rows_per_shard=2)
    evaluated = tmp_path / "evaluated"
    for shard in split["shards"]:
        evaluate_shard(tmp_path / "split" / shard, SETTINGS, evaluated, file_names=split["file_names"])
    combine([evaluated], split, tmp_path / "split", SETTINGS, tmp_path / "combined")
    assert (tmp_path / "combined" / "offense_texts.csv").read_text() == (
        local.out_dir / "offense_texts.csv"
    ).read_text()
    combined = json.loads((tmp_path / "combined" / "summary.json").read_text())
    assert combined["offense_texts"] == json.loads((local.out_dir / "summary.json").read_text())["offense_texts"]


def test_inspect_reads_another_states_extract_with_its_own_rules(tmp_path):
    """The Illinois pack's clerk extract, through its input mapping and its sections.yaml."""
    from pathlib import Path

    example = Path(__file__).resolve().parents[3] / "blueprint" / "rules" / "illinois" / "crta" / "example"
    out = tmp_path / "census.csv"
    assert (
        clearance(
            [
                "inspect",
                "--input",
                str(example / "circuit-clerk-extract.csv"),
                "--policy",
                "illinois/crta:default",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    census = _census(out).set_index("offense_text")
    assert census.iloc[0]["status"] == UNREADABLE  # the city ordinance no rewrite rule covers
    row = census.loc["12-3.05(A)(1) CRIM-AGGRAVATED BATTERY"]
    assert (row["code"], row["section"], row["subsection"], row["lists"]) == ("CRIM", "12-3.05", "(A)(1)", "violent")
    assert census.loc["4(B) CCA-POSSESSION OF CANNABIS 2.5-10 GRAMS", "lists"] == "cannabis; minor_cannabis"
