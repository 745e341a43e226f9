"""Rows repeated across the files of one run are used once and reported (``blueprint.intake.repeated_rows``).

A row read twice would count twice: its sentence part would be added twice, a conviction would
count twice among earlier convictions. The tests build the files by hand (and, for scale, cut one
synthetic file into two overlapping files) and follow the repeated row to the decision, the data
issues and the row accounts, in the local run and in the cloud's split step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from blueprint.engine.decide import evaluate_rows
from blueprint.run.local import RunSettings, run_local
from blueprint.run.cloud_steps import combine, evaluate_shard, split_into_shards
from blueprint.run.policies import load_policy
from blueprint.intake.reader import read_doj_files
from blueprint.intake.issues import IssueLog
from blueprint.intake.repeated_rows import RowFingerprints, drop_repeated, line_extents, sample_keys
from blueprint.engine.rulepack import load_rule_pack
from doj_builder import AS_OF, COUNTY, Person, csv_line, write_doj

YEAR = 365.2425
CAN = "11359 HS-POSSESS MARIJUANA FOR SALE"
CNT = "001002001000"
P = Person("1", dob="19600101")
Q = Person("2", dob="19700101")
SETTINGS = RunSettings(county=COUNTY, evaluation_date=AS_OF)


def conviction(order: str = "001") -> list[str]:
    return P.conviction(CNT, CAN, "19990301", sentence=("PROBATION", "3", "Y"), SENT_ORDER=order)


def jail(order: str) -> list[str]:
    """A further sentence part of the same count: 90 days in jail, sentence part number ``order``."""
    return P.sentence_part(CNT, CAN, "19990301", ("JAIL", "90", "D"), SENT_ORDER=order)


def evaluate(paths, **read_options):
    read = read_doj_files(paths, **read_options)
    pack = load_rule_pack()
    ev = evaluate_rows(
        read.rows, [f.file for f in read.files], read.issues, pack, load_policy("california"), COUNTY, AS_OF
    )
    return read, ev.decisions.set_index("conviction_id"), read.issues.frame()


def repeated(issues: pd.DataFrame) -> list[tuple[str, int, str]]:
    rows = issues[issues["code"] == "DUPLICATE_ROW"]
    return list(zip(rows["file"], rows["line"], rows["problem"]))


def test_a_sentence_part_repeated_in_a_second_file_counts_once(tmp_path):
    # a.dat: the conviction (line 2) and its first jail part (line 3).
    # b.dat: the same first jail part again (line 2), a second, different jail part (line 3), another person.
    a = write_doj(tmp_path / "a.dat", [conviction(), jail("002")])
    b = write_doj(tmp_path / "b.dat", [jail("002"), jail("003"), Q.conviction(CNT, CAN, "19990301")])
    read, decisions, issues = evaluate([a, b])
    # Three parts: 3 years of probation and two different 90-day jail terms; the repeated one once.
    assert decisions.loc["1:" + CNT, "sentence"] == "3Y PROBATION; 90D JAIL; 90D JAIL"
    assert decisions.loc["1:" + CNT, "sentence_days"] == pytest.approx(3 * YEAR + 180)
    assert repeated(issues) == [
        ("b.dat", 2, "row is identical to line 3 of a.dat, read earlier in this run; it is used once, from there")
    ]
    dup = issues[issues["code"] == "DUPLICATE_ROW"].iloc[0]
    assert (dup["column"], dup["action"], dup["value"]) == ("(row)", "row skipped", "")  # no personal values
    first, second = read.files
    assert (first.rows_read, first.rows_used, first.rows_skipped) == (2, 2, 0)
    assert (second.rows_read, second.rows_used, second.rows_skipped) == (3, 2, 1)
    assert first.balanced and second.balanced and first.status == second.status == "ok"


def test_the_same_row_in_another_layout_is_the_same_row(tmp_path):
    """Line endings, a header, a byte-order mark and the optional 96th empty field are not the row."""
    rows = [conviction(), jail("002")]
    a = write_doj(tmp_path / "a.dat", rows)  # CRLF, header
    variants = {
        "lf.dat": dict(line_ending="\n", header=False),
        "bom.dat": dict(bom=True, header=False, final_newline=False),
        "trailing.dat": dict(trailing_header_field=True),
    }
    for name, layout in variants.items():
        if name == "trailing.dat":  # every row carries one more, empty, field
            path = write_doj(tmp_path / name, [r + [""] for r in rows], **layout)
        else:
            path = write_doj(tmp_path / name, rows, **layout)
        read, decisions, issues = evaluate([a, path])
        first_line = 2 if layout.get("header", True) else 1
        assert [(f, line) for f, line, _ in repeated(issues)] == [(name, first_line), (name, first_line + 1)], name
        assert read.files[1].rows_used == 0 and read.files[1].balanced
        assert decisions.loc["1:" + CNT, "sentence_days"] == pytest.approx(3 * YEAR + 90), name


def test_a_row_that_differs_in_any_byte_is_another_row(tmp_path):
    a = write_doj(tmp_path / "a.dat", [conviction(), jail("002")])
    # The same jail part with another sentence order number (a column the engine does not read), and
    # with a padded value: both are rows of their own.
    b = write_doj(
        tmp_path / "b.dat", [jail("003"), P.sentence_part(CNT, CAN, "19990301", ("JAIL", "90 ", "D"), SENT_ORDER="002")]
    )
    read, decisions, issues = evaluate([a, b])
    assert repeated(issues) == []
    assert read.files[1].rows_used == 2
    assert decisions.loc["1:" + CNT, "sentence_days"] == pytest.approx(3 * YEAR + 270)


def test_identical_rows_inside_one_file_are_each_used(tmp_path):
    """Within one file, whether two identical rows are one event or two cannot be told: both are used."""
    a = write_doj(tmp_path / "a.dat", [conviction(), jail("002"), jail("002")])
    read, decisions, issues = evaluate([a])
    assert repeated(issues) == [] and read.files[0].rows_used == 3
    assert decisions.loc["1:" + CNT, "sentence_days"] == pytest.approx(3 * YEAR + 180)
    # A second file repeating that row: both of its copies in the first file stand, the third is skipped.
    b = write_doj(tmp_path / "b.dat", [jail("002")])
    read, decisions, issues = evaluate([a, b])
    assert [(f, line) for f, line, _ in repeated(issues)] == [("b.dat", 2)]
    assert "line 3 of a.dat" in repeated(issues)[0][2]  # the first of the two copies
    assert decisions.loc["1:" + CNT, "sentence_days"] == pytest.approx(3 * YEAR + 180)


def test_a_third_file_names_the_file_where_the_row_was_first_read(tmp_path):
    a = write_doj(tmp_path / "a.dat", [Q.conviction(CNT, CAN, "19990301")])
    b = write_doj(tmp_path / "b.dat", [conviction()])
    c = write_doj(tmp_path / "c.dat", [conviction(), Q.conviction(CNT, CAN, "19990301")], header=False)
    _, _, issues = evaluate([a, b, c])
    assert [(f, line, p.split(",")[0]) for f, line, p in repeated(issues)] == [
        ("c.dat", 1, "row is identical to line 2 of b.dat"),
        ("c.dat", 2, "row is identical to line 2 of a.dat"),
    ]


def rows_of(path: Path, index: int, seen: RowFingerprints, issues: IssueLog) -> np.ndarray:
    """Offer every line of a small file to ``seen``; the mask of lines kept."""
    data = path.read_bytes()
    starts, ends = line_extents(data, True, 95)
    lines = np.arange(1, len(starts) + 1)
    return drop_repeated(data, starts, ends, None, 0, lines, index, path.name, seen, issues)


def test_a_rejected_file_leaves_no_rows_behind(tmp_path):
    """Rows of a file that fails (or repeats an earlier file whole) are not 'read before' for later files."""
    seen, issues = RowFingerprints(), IssueLog()
    rows = [csv_line(r).encode() for r in (conviction("001"), jail("002"), jail("003"), jail("004"))]
    files = {name: tmp_path / name for name in ("a.dat", "b.dat", "c.dat", "d.dat")}
    files["a.dat"].write_bytes(rows[0] + b"\n" + rows[1] + b"\n")
    files["b.dat"].write_bytes(rows[2] + b"\n")
    files["c.dat"].write_bytes(rows[3] + b"\r\n")
    files["d.dat"].write_bytes(b"\n".join([rows[3], rows[2], rows[1]]))
    assert rows_of(files["a.dat"], 0, seen, issues).all()
    seen.commit(0, "a.dat", files["a.dat"])
    assert rows_of(files["b.dat"], 1, seen, issues).all()
    seen.discard()  # b.dat failed
    assert rows_of(files["c.dat"], 2, seen, issues).all()
    seen.commit(2, "c.dat", files["c.dat"])
    assert rows_of(files["d.dat"], 3, seen, issues).tolist() == [False, True, False]
    seen.close()
    assert [(f, line, p.split(",")[0]) for f, line, p in repeated(issues.frame())] == [
        ("d.dat", 1, "row is identical to line 1 of c.dat"),
        ("d.dat", 3, "row is identical to line 2 of a.dat"),
    ]


def test_rows_that_share_a_sample_key_are_compared_byte_for_byte(tmp_path):
    """The key reads only part of a row: two rows that differ where it does not look are still two rows."""
    long_comment = "A" * 300
    one = csv_line(P.conviction(CNT, CAN, "19990301", comment=long_comment)).encode()
    other = one.replace(b"A" * 150, b"A" * 149 + b"B", 1)  # one byte in the middle of the comment
    assert one != other and len(one) == len(other)
    both = one + b"\n" + other
    starts, ends = line_extents(both, True, 95)
    keys = sample_keys(both, starts, ends)
    assert keys[0] == keys[1]  # the change is between the places the key reads
    a, b = tmp_path / "a.dat", tmp_path / "b.dat"
    a.write_bytes(one + b"\n")
    b.write_bytes(other + b"\n" + one + b"\n")
    seen, issues = RowFingerprints(), IssueLog()
    rows_of(a, 0, seen, issues)
    seen.commit(0, "a.dat", a)
    assert rows_of(b, 1, seen, issues).tolist() == [True, False]  # only the identical row repeats
    seen.close()


def test_a_whole_repeated_file_is_set_aside_without_a_report_per_row(tmp_path):
    a = write_doj(tmp_path / "a.dat", [conviction(), jail("002")])
    again = tmp_path / "again.dat"
    again.write_bytes(a.read_bytes())
    read = read_doj_files([a, again])
    assert read.files[1].status == "repeat" and read.files[1].note.startswith("repeats a.dat (identical content")
    assert repeated(read.issues.frame()) == []


@pytest.mark.parametrize("chunk_bytes", [600, 1500, 1 << 20])
def test_lines_stay_exact_with_quoted_line_breaks_malformed_rows_and_small_chunks(tmp_path, chunk_bytes):
    spanning = P.conviction("002001001000", CAN, "20010101", comment="FIRST LINE\nSECOND LINE")
    a = write_doj(tmp_path / "a.dat", [conviction(), spanning, jail("002")], line_ending="\n")
    # b.dat: line 2 short row, lines 3-4 the spanning row again, line 5 new, line 6 a repeat, line 7 short.
    b = write_doj(tmp_path / "b.dat", ["short,row", spanning, jail("003"), jail("002"), "x,y"])
    read = read_doj_files([a, b], chunk_bytes=chunk_bytes)
    issues = read.issues.frame()
    assert [(f, line) for f, line, _ in repeated(issues)] == [("b.dat", 3), ("b.dat", 6)]
    assert [p.split(",")[0] for _, _, p in repeated(issues)] == [
        "row is identical to line 3 of a.dat",
        "row is identical to line 5 of a.dat",
    ]
    b_rows = read.rows.filter(np.asarray(read.rows["_file"]) == 1)
    assert b_rows["_line"].to_pylist() == [5]
    second = read.files[1]
    assert (second.rows_read, second.rows_used, second.rows_skipped) == (5, 1, 4) and second.balanced


def overlapping_files(tmp_path: Path, original: Path) -> tuple[Path, Path, int, int]:
    """Cut one file into two that overlap: A = header + data lines 1..k, B = data lines j..n (LF, no header)."""
    lines = original.read_bytes().split(b"\r\n")
    header, data = lines[0], [line for line in lines[1:] if line]
    k, j = len(data) * 3 // 5, len(data) * 2 // 5
    a = tmp_path / "part-a.dat"
    a.write_bytes(b"\r\n".join([header] + data[:k]) + b"\r\n")
    b = tmp_path / "part-b.dat"
    b.write_bytes(b"\n".join(data[j:]) + b"\n")
    return a, b, j, k


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    from blueprint.synthetic.doj_file import generate

    tmp = tmp_path_factory.mktemp("cut")
    original = tmp / "original.dat"
    generate(original, rows=6000, county=COUNTY, seed=23, malformed_rate=0.004)
    a, b, j, k = overlapping_files(tmp, original)
    whole = run_local([original], SETTINGS, tmp / "whole")
    parts = run_local([a, b], SETTINGS, tmp / "parts")
    return tmp, original, a, b, j, k, whole, parts


KEY = ["conviction_id", "determination", "reason_code", "relief", "sentence", "rule_facts", "flags", "case_numbers"]


def results(out_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out_dir / name, dtype=str, keep_default_na=False)


def expected_repeats(whole_issues: pd.DataFrame, j: int, k: int) -> list[int]:
    """B's lines of the overlap whose original row was used (a skipped row is skipped in both files)."""
    skipped = set(whole_issues.loc[whole_issues["action"] == "row skipped", "line"].astype(int))
    # Original data line i (1-based) is on physical line i + 1; in B it is line i - j.
    return [i - j for i in range(j + 1, k + 1) if i + 1 not in skipped]


def test_two_overlapping_files_decide_exactly_as_the_one_file(cut):
    tmp, original, a, b, j, k, whole, parts = cut
    assert (
        parts.manifest["reconciliation"]["balanced"] and parts.manifest["reconciliation"]["every_skipped_row_reported"]
    )
    one = results(whole.out_dir, "convictions.csv")[KEY].sort_values("conviction_id").values.tolist()
    two = results(parts.out_dir, "convictions.csv")[KEY].sort_values("conviction_id").values.tolist()
    assert len(one) > 50 and one == two
    issues = results(parts.out_dir, "data_issues.csv")
    dups = issues[issues["code"] == "DUPLICATE_ROW"]
    assert len(dups) > 1000 and set(dups["file"]) == {"part-b.dat"}
    assert dups["line"].astype(int).tolist() == expected_repeats(results(whole.out_dir, "data_issues.csv"), j, k)
    # Each names the line of part A it repeats: the same original line, one further down in A (its header).
    first = dups.iloc[0]
    assert first["problem"].startswith(f"row is identical to line {int(first['line']) + j + 1} of part-a.dat")
    files = {f["file"]: f for f in parts.manifest["inputs"]}
    assert files["part-b.dat"]["rows_skipped"] >= len(dups)
    assert sum(f["rows_used"] for f in files.values()) == whole.manifest["reconciliation"]["rows_used"]


def test_the_parallel_and_pruned_read_drop_the_same_rows(cut):
    tmp, original, a, b, j, k, whole, parts = cut
    plain = read_doj_files([a, b])
    for options in (dict(prune=True), dict(parts=2), dict(parts=3, prune=True, chunk_bytes=64 << 10)):
        read = read_doj_files([a, b], **options)
        assert read.issues.frame().equals(plain.issues.frame()), options
        assert [f.as_dict() for f in read.files] == [f.as_dict() for f in plain.files], options
        kept = set(zip(read.rows["_file"].to_pylist(), read.rows["_line"].to_pylist()))
        assert kept <= set(zip(plain.rows["_file"].to_pylist(), plain.rows["_line"].to_pylist())), options
        if not options.get("prune"):
            assert len(kept) == plain.rows.num_rows, options


def test_the_cloud_split_writes_a_repeated_row_once(cut):
    tmp, original, a, b, j, k, whole, parts = cut
    split_dir, evaluated = tmp / "split", tmp / "evaluated"
    split = split_into_shards([a, b], split_dir, rows_per_shard=1500)
    assert split["shard_count"] >= 2
    read_issues = pd.read_parquet(split_dir / split["read_issues"])
    local_issues = results(parts.out_dir, "data_issues.csv")
    assert (
        read_issues.loc[read_issues["code"] == "DUPLICATE_ROW", "line"].tolist()
        == local_issues.loc[local_issues["code"] == "DUPLICATE_ROW", "line"].astype(int).tolist()
    )
    assert split["files"] == [f.as_dict() | {"file": f.file} for f in parts.files]
    for shard in split["shards"]:
        evaluate_shard(split_dir / shard, SETTINGS, evaluated, file_names=split["file_names"])
    manifest = combine([evaluated], split, split_dir, SETTINGS, tmp / "combined")
    assert manifest["reconciliation"] == parts.manifest["reconciliation"]
    cloud = results(tmp / "combined", "convictions.csv")[KEY].sort_values("conviction_id").values.tolist()
    local = results(whole.out_dir, "convictions.csv")[KEY].sort_values("conviction_id").values.tolist()
    assert cloud == local


def test_a_conviction_row_repeated_across_files_does_not_lengthen_its_sentence(tmp_path):
    """A repeated conviction row has its count's CNT_ORDER: read twice, it would be a second sentence part."""
    felony = [
        P.conviction("001002001000", CAN, "19900301"),
        P.conviction("002002001000", CAN, "19950301"),
        P.conviction("003002001000", CAN, "19990301"),
    ]
    a = write_doj(tmp_path / "a.dat", felony[:2])
    b = write_doj(tmp_path / "b.dat", felony[1:])  # the 1995 conviction again, then the 1999 one
    _, decisions, issues = evaluate([a, b])
    assert decisions.loc["1:002002001000", "sentence"] == "1Y PROBATION"
    assert decisions.loc["1:002002001000", "sentence_days"] == pytest.approx(YEAR)
    assert decisions.loc["1:003002001000", "earlier_same_section_definite"] == 2
    assert len(decisions) == 3 and [(f, line) for f, line, _ in repeated(issues)] == [("b.dat", 2)]


def test_a_row_is_a_line_of_95_fields_as_written(tmp_path):
    """Quoting is part of what was written: an unneeded pair of quotes makes another row (kept, not lost)."""
    row = conviction()
    a = write_doj(tmp_path / "a.dat", [row])
    quoted = csv_line(row).replace(",11359 HS-POSSESS", ',"11359 HS-POSSESS', 1).replace("FOR SALE,", 'FOR SALE",', 1)
    b = write_doj(tmp_path / "b.dat", [quoted])
    read = read_doj_files([a, b])
    assert read.files[1].rows_used == 1 and repeated(read.issues.frame()) == []
