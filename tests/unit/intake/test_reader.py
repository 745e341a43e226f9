"""The reader on small hand-built DOJ files: layout variants, row-level problems, file-level failures.

Each data row built here carries the physical line it will land on in ``CYC_AGE`` (an engine
column with no meaning to the reader), so a test can check that the reader's ``_line`` is exact
whatever the layout, the chunking or the problems around the row.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from blueprint.intake.columns import DOJ_COLUMNS, ENGINE_COLUMNS
from blueprint.intake.issues import IssueLog
from blueprint.intake.reader import (
    BackgroundRead,
    FileRejected,
    FileReport,
    ReadCancelled,
    iter_file,
    read_doj_files,
    sniff,
)
from blueprint.engine.records import build_records
from blueprint.engine.rulepack import load_rule_pack
from doj_builder import Person, csv_line, write_doj

P = Person("100", dob="19700101")
Q = Person("200", dob="19800101")


def conv(line: int, person: Person = P, cnt: str | None = None, **extra) -> list[str]:
    """A conviction row that knows the physical line it will be written on."""
    return person.conviction(
        cnt or f"{line:03d}001001000", "11357 HS-POSSESS MARIJUANA", "20100101", CYC_AGE=str(line), **extra
    )


def lines_ok(table: pa.Table) -> None:
    """Every row's ``_line`` is the line the builder meant it for."""
    assert table["_line"].to_pylist() == [int(v) for v in table["CYC_AGE"].to_pylist()]


def issues_of(result) -> list[tuple[int, str, str]]:
    f = result.issues.frame()
    return list(zip(f["line"].tolist(), f["column"].tolist(), f["code"].tolist()))


def read_chunked(path: Path, chunk_bytes: int) -> tuple[pa.Table, FileReport, IssueLog]:
    issues = IssueLog()
    report = FileReport(file=path.name, path=str(path))
    tables = list(iter_file(path, 0, issues, report, chunk_bytes=chunk_bytes))
    return pa.concat_tables(tables), report, issues


# --- layout ------------------------------------------------------------------------------------------


def test_header_is_optional_and_lines_count_it(tmp_path):
    with_header = read_doj_files([write_doj(tmp_path / "h.dat", [conv(2), conv(3, Q)])])
    without = read_doj_files([write_doj(tmp_path / "n.dat", [conv(1), conv(2, Q)], header=False)])
    assert with_header.files[0].has_header and not without.files[0].has_header
    for result in (with_header, without):
        assert result.rows["SUBJECT_ID"].to_pylist() == ["100", "200"]
        lines_ok(result.rows)
        assert len(result.issues) == 0
        assert (result.files[0].rows_read, result.files[0].rows_used, result.files[0].rows_skipped) == (2, 2, 0)


def test_header_with_one_trailing_empty_field_is_tolerated(tmp_path):
    path = write_doj(tmp_path / "t.dat", [conv(2), conv(3, Q)], trailing_header_field=True)
    assert path.read_text().splitlines()[0].count(",") == len(DOJ_COLUMNS)  # 96 fields
    result = read_doj_files([path])
    assert result.files[0].status == "ok" and result.files[0].has_header
    assert result.rows["SUBJECT_ID"].to_pylist() == ["100", "200"]
    lines_ok(result.rows)
    assert len(result.issues) == 0


@pytest.mark.parametrize("final_newline", [True, False])
def test_crlf_and_lf_read_the_same_values(tmp_path, final_newline):
    rows = [conv(2, comment="LAST FIELD BEFORE END"), conv(3, Q)]
    crlf = read_doj_files([write_doj(tmp_path / "crlf.dat", rows, final_newline=final_newline)])
    lf = read_doj_files([write_doj(tmp_path / "lf.dat", rows, line_ending="\n", final_newline=final_newline)])
    assert crlf.rows.select(list(ENGINE_COLUMNS) + ["_line"]).equals(lf.rows.select(list(ENGINE_COLUMNS) + ["_line"]))
    assert "\r" not in "".join(crlf.rows["COMMENT_TEXT"].to_pylist())
    assert crlf.files[0].rows_read == lf.files[0].rows_read == 2


@pytest.mark.parametrize("header", [True, False])
def test_utf8_byte_order_mark_with_and_without_header(tmp_path, header):
    first = 2 if header else 1
    path = write_doj(tmp_path / "bom.dat", [conv(first), conv(first + 1, Q)], header=header, bom=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = read_doj_files([path])
    report = result.files[0]
    assert report.status == "ok" and report.has_header is header
    assert result.rows["SUBJECT_ID"].to_pylist() == ["100", "200"]
    lines_ok(result.rows)
    assert len(result.issues) == 0
    # The fingerprint is of the file as delivered, byte-order mark included.
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert report.bytes == path.stat().st_size


def test_latin1_bytes_are_accepted_and_values_kept(tmp_path):
    accented = Person("300", name="MU\u00d1OZ,JOS\u00c9")
    path = write_doj(tmp_path / "latin.dat", [conv(2, accented, comment="NI\u00d1O"), conv(3, Q)], encoding="latin-1")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    result = read_doj_files([path])
    assert result.files[0].status == "ok" and result.files[0].encoding == "latin-1"
    assert result.rows["PRI_NAME"].to_pylist() == ["MU\u00d1OZ,JOS\u00c9", Q.name]
    assert result.rows["COMMENT_TEXT"].to_pylist()[0] == "NI\u00d1O"
    lines_ok(result.rows)


def test_latin1_bytes_only_in_a_later_chunk(tmp_path):
    rows = [conv(line) for line in range(2, 30)] + [conv(30, Person("300", name="PE\u00d1A,ANA"))]
    path = write_doj(tmp_path / "late.dat", rows, encoding="latin-1")
    table, report, issues = read_chunked(path, chunk_bytes=700)
    assert report.encoding == "latin-1" and report.rows_read == 29 and report.balanced
    assert table["PRI_NAME"].to_pylist()[-1] == "PE\u00d1A,ANA"
    lines_ok(table)
    assert len(issues) == 0


def test_ascii_chunks_around_latin1_and_utf8_ones_read_the_same(tmp_path):
    """Plain-ASCII chunks skip Arrow's UTF-8 check; the chunks around them must still read exactly."""
    accented = Person("300", name="PE\u00d1A,ANA")
    rows = (
        [conv(line) for line in range(2, 12)]
        + [conv(12, accented, comment="A\u00d1O")]
        + [conv(line) for line in range(13, 30)]
    )
    for encoding in ("latin-1", "utf-8"):
        path = write_doj(tmp_path / f"{encoding}.dat", rows, encoding=encoding)
        for chunk_bytes in (700, 1 << 20):  # ASCII chunks before and after the accented one; one chunk
            table, report, issues = read_chunked(path, chunk_bytes=chunk_bytes)
            assert report.encoding == encoding and report.balanced and len(issues) == 0
            names = table["PRI_NAME"].to_pylist()
            assert names[10] == "PE\u00d1A,ANA" and names[:10] == [P.name] * 10 and names[11:] == [P.name] * 17
            assert table["COMMENT_TEXT"].to_pylist()[10] == "A\u00d1O"
            lines_ok(table)


def test_bytes_that_are_neither_ascii_nor_utf8_are_still_read_as_latin1(tmp_path):
    """A chunk with a byte above 127 is checked as UTF-8 as before, and read as Latin-1 when it is not."""
    path = write_doj(tmp_path / "x.dat", [conv(2, Person("300", name="GAR\u00c7ON,LUC"))], encoding="latin-1")
    assert b"\xc7" in path.read_bytes()
    result = read_doj_files([path], prune=True)
    assert result.files[0].encoding == "latin-1"
    assert result.rows["PRI_NAME"].to_pylist() == ["GAR\u00c7ON,LUC"]


def test_kept_rows_arrive_without_their_padding(tmp_path):
    """Pruned rows (what the engine reads) lose the spaces around their values; nothing else changes."""
    padded = {
        "OFFENSE_DESCR": "  11357 HS-POSSESS MARIJUANA" + " " * 30,
        "DISP_DESCR": "CONVICTED" + " " * 31,
        "STP_ORI_DESCR": "CASC SACRAMENTO" + " " * 25,
        "COMMENT_TEXT": " CONCURRENT WITH 002 ",
    }
    plain = {k: v.strip() for k, v in padded.items()}
    rows = [
        P.row(
            CNT_ORDER="002001001000",
            STP_TYPE_DESCR="COURT ACTION".ljust(25),
            STP_EVENT_DATE="20100101",
            STP_ORI_CNTY_NAME="SACRAMENTO".ljust(25),
            CONV_STAT_DESCR="FELONY".ljust(15),
            CYC_AGE="2",
            **padded,
        )
    ]
    path = write_doj(tmp_path / "pad.dat", rows)
    as_written = read_doj_files([path]).rows
    assert as_written["DISP_DESCR"].to_pylist() == [padded["DISP_DESCR"]]  # an unpruned read keeps every byte
    for parts in (1, 2):
        kept = read_doj_files([path], prune=True, parts=parts).rows
        for column, value in plain.items():
            assert kept[column].to_pylist() == [value], column
        assert kept["STP_TYPE_DESCR"].to_pylist() == ["COURT ACTION"]
        assert kept["STP_ORI_CNTY_NAME"].to_pylist() == ["SACRAMENTO"]
        assert kept["CONV_STAT_DESCR"].to_pylist() == ["FELONY"]
        assert kept["PRI_NAME"].to_pylist() == [P.name] and kept["_line"].to_pylist() == [2]


def test_a_name_padded_differently_is_not_another_name(tmp_path):
    """Pruning compares names trimmed: padding alone starts no new run of rows, a new name does."""
    a = Person("300", name="SMITH,JOHN")
    rows = [
        a.arrest("001001001000", "11357 HS-POSSESS MARIJUANA", "20100101"),
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="SMITH,JOHN   "),  # padding only: pruned
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="SMITH,JON"),  # another name: kept
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="  SMITH,JON"),  # the same again: pruned
        a.conviction("003001001000", "11357 HS-POSSESS MARIJUANA", "20120101"),
    ]
    path = write_doj(tmp_path / "names.dat", rows)
    read = read_doj_files([path], prune=True)
    assert read.rows["_line"].to_pylist() == [2, 4, 6]
    people = build_records(read.rows, ["names.dat"], read.issues, load_rule_pack().lists).people
    assert people.loc["300", "other_names"] == "SMITH,JON"


def test_padded_subject_id_is_trimmed_to_the_same_person(tmp_path):
    padded = Person(" 100 ")
    result = read_doj_files([write_doj(tmp_path / "pad.dat", [conv(2), conv(3, padded)])])
    assert result.rows["SUBJECT_ID"].to_pylist() == ["100", "100"]


# --- row-level problems ------------------------------------------------------------------------------


def messy_rows() -> list:
    """Good rows (lines 2, 3, 6, 8, 10) around a short row, a blank line, a long row, a row without SUBJECT_ID."""
    long_row = csv_line(conv(7)) + ",EXTRA"
    no_subject = Person("1").conviction("005001001000", "11357 HS-POSS", "20100101")
    no_subject[DOJ_COLUMNS.index("SUBJECT_ID")] = "   "
    return [conv(2), conv(3, Q), "1,2,3", "", conv(6), long_row, conv(8), no_subject, conv(10)]


def test_row_problems_are_skipped_with_exact_lines_and_one_issue_each(tmp_path):
    result = read_doj_files([write_doj(tmp_path / "messy.dat", messy_rows())])
    report = result.files[0]
    assert report.status == "ok"
    assert (report.rows_read, report.rows_used, report.rows_skipped) == (9, 5, 4)
    assert report.balanced
    lines_ok(result.rows)
    assert issues_of(result) == [
        (4, "(row)", "FIELD_COUNT"),
        (5, "(row)", "BLANK_LINE"),
        (7, "(row)", "FIELD_COUNT"),
        (9, "SUBJECT_ID", "MISSING_SUBJECT_ID"),
    ]
    frame = result.issues.frame()
    assert set(frame["action"]) == {"row skipped"} and set(frame["file"]) == {"messy.dat"}
    assert frame.loc[frame["line"] == 4, "problem"].item() == "row has 3 fields, expected 95"
    assert frame.loc[frame["line"] == 7, "problem"].item() == "row has 96 fields, expected 95"


@pytest.mark.parametrize("chunk_bytes", [300, 1000, 2500, 1 << 20])
def test_line_numbers_stay_exact_across_chunk_boundaries(tmp_path, chunk_bytes):
    rows, bad_lines, blank_lines = [], [], []
    line = 2
    for i in range(60):
        rows.append(conv(line))
        line += 1
        if i % 7 == 3:
            rows.append("short,row")
            bad_lines.append(line)
            line += 1
        if i % 11 == 5:
            rows.append("")
            blank_lines.append(line)
            line += 1
    path = write_doj(tmp_path / "many.dat", rows)
    assert path.stat().st_size > 4 * chunk_bytes or chunk_bytes == 1 << 20  # several chunks
    table, report, issues = read_chunked(path, chunk_bytes)
    lines_ok(table)
    assert table.num_rows == 60
    frame = issues.frame()
    assert frame.loc[frame["code"] == "FIELD_COUNT", "line"].tolist() == bad_lines
    assert frame.loc[frame["code"] == "BLANK_LINE", "line"].tolist() == blank_lines
    assert report.rows_read == 60 + len(bad_lines) + len(blank_lines)
    assert report.rows_skipped == len(frame) and report.balanced


def test_quoted_value_with_a_line_break_is_one_row(tmp_path):
    # The comment spans lines 3-4, so the rows after it are on lines 5 and 6 (the short one).
    rows = [conv(2), conv(3, Q, comment="FIRST LINE\nSECOND LINE"), conv(5), "x,y"]
    result = read_doj_files([write_doj(tmp_path / "nl.dat", rows)])
    assert result.rows["COMMENT_TEXT"].to_pylist() == ["", "FIRST LINE\nSECOND LINE", ""]
    lines_ok(result.rows)
    assert issues_of(result) == [(6, "(row)", "FIELD_COUNT")]
    assert (result.files[0].rows_read, result.files[0].rows_skipped) == (4, 1)


def test_quoted_line_break_at_any_chunk_boundary(tmp_path):
    rows, line = [], 2
    for i in range(6):
        rows.append(conv(line, comment="A\nB" if i % 2 else ""))
        line += 2 if i % 2 else 1
    path = write_doj(tmp_path / "nlchunks.dat", rows, line_ending="\n")
    whole, whole_report, _ = read_chunked(path, 1 << 20)
    lines_ok(whole)
    assert whole_report.rows_read == 6
    data = path.read_bytes()
    breaks = [i for i in range(len(data)) if data[i : i + 3] == b"A\nB"]
    # Chunk sizes that put a chunk's end right around each line break inside quotes.
    for b in breaks[:2]:
        for size in range(b - 2, b + 4):
            table, report, issues = read_chunked(path, size)
            assert (
                table.select(list(ENGINE_COLUMNS) + ["_line"]).to_pylist()
                == whole.select(list(ENGINE_COLUMNS) + ["_line"]).to_pylist()
            ), size
            assert (report.rows_read, report.rows_skipped, len(issues)) == (6, 0, 0), size


# --- file-level failures ------------------------------------------------------------------------------


def test_file_level_failures_name_the_file_and_reason_and_others_are_read(tmp_path):
    write_doj(tmp_path / "good.dat", [conv(2), conv(3, Q)])
    (tmp_path / "empty.dat").write_bytes(b"")
    (tmp_path / "blank.dat").write_bytes(b"\r\n\r\n")
    write_doj(tmp_path / "header_only.dat", [])
    (tmp_path / "other.csv").write_text("name,dob\nDOE,JANE,19800101\nROE,RICHARD,19700101\n")
    wrong = list(DOJ_COLUMNS)
    wrong[12] = "FULL_NAME"
    (tmp_path / "wrong_header.dat").write_text(",".join(wrong) + "\r\n" + csv_line(conv(2)) + "\r\n")
    (tmp_path / "short_header.dat").write_text(",".join(DOJ_COLUMNS[:90]) + "\r\n" + csv_line(conv(2)) + "\r\n")
    (tmp_path / "folder.dat").mkdir()
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["RECORD_ID", "SUBJECT_ID"])
    book.save(tmp_path / "export.xlsx")  # a DOJ file opened in Excel and saved as a workbook
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << >> endobj\n")
    (tmp_path / "random.bin").write_bytes(bytes(range(256)) * 4)
    inputs = [
        "empty.dat",
        "blank.dat",
        "header_only.dat",
        "other.csv",
        "wrong_header.dat",
        "short_header.dat",
        "missing.dat",
        "folder.dat",
        "export.xlsx",
        "scan.pdf",
        "random.bin",
        "good.dat",
    ]
    result = read_doj_files([tmp_path / n for n in inputs])
    by_name = {f.file: f for f in result.files}
    assert [f.file for f in result.files] == inputs
    expected = {
        "empty.dat": "is empty: it has no data rows",
        "blank.dat": "is empty: it has no data rows",
        "header_only.dat": "is empty: it has a header but no data rows",
        "other.csv": "is not a DOJ research file: none of its first 3 rows has 95 fields (found 2, 3)",
        "wrong_header.dat": "is not a DOJ research file: header column 13 is 'FULL_NAME', expected 'PRI_NAME'",
        "short_header.dat": "is not a DOJ research file: its header has 90 columns, expected 95",
        "missing.dat": "does not exist (check the name and the folder)",
        "folder.dat": "is a folder, not a file: give the DOJ file(s) inside it",
        "export.xlsx": "is an Excel workbook or another zip archive, not a DOJ research file (a text file of "
        "comma-separated values); use the file as DOJ delivered it",
        "scan.pdf": "is a PDF document, not a DOJ research file (a text file of comma-separated values); use the file "
        "as DOJ delivered it",
        "random.bin": "is a binary file, not a DOJ research file (a text file of comma-separated values); use the file "
        "as DOJ delivered it",
    }
    for name, reason in expected.items():
        report = by_name[name]
        assert (report.status, report.error) == ("failed", reason), name
        assert report.rows_used == 0 and report.balanced
    assert by_name["good.dat"].status == "ok"
    assert result.rows["SUBJECT_ID"].to_pylist() == ["100", "200"]
    assert set(result.rows["_file"].to_pylist()) == {inputs.index("good.dat")}
    assert [f.file for f in result.failed] == inputs[:-1]
    # No data of the rejected file leaks into the reasons.
    assert not any("DOE" in f.error or "1980" in f.error for f in result.files)


def test_file_rejected_message_is_file_and_reason(tmp_path):
    (tmp_path / "x.dat").write_bytes(b"")
    with pytest.raises(FileRejected) as info:
        sniff(tmp_path / "x.dat")
    assert str(info.value) == "x.dat: is empty: it has no data rows"
    assert (info.value.file, info.value.reason) == ("x.dat", "is empty: it has no data rows")
    result = read_doj_files([tmp_path / "x.dat"])
    (report,) = result.files
    assert result.rows.num_rows == 0
    assert report.status == "failed" and report.error == "is empty: it has no data rows"


def test_a_person_spread_over_two_files_is_one_person(tmp_path):
    first = write_doj(tmp_path / "part1.dat", [conv(2, cnt="001001001000"), conv(3, Q)])
    second = write_doj(tmp_path / "part2.dat", [conv(2, cnt="002001001000")], header=False)
    result = read_doj_files([first, second])
    names = [f.file for f in result.files]
    records = build_records(result.rows, names, result.issues, load_rule_pack().lists)
    assert sorted(records.people.index) == ["100", "200"]
    mine = records.convictions[records.convictions["person_id"] == "100"].sort_values("conviction_id")
    assert mine["conviction_id"].tolist() == ["100:001001001000", "100:002001001000"]
    assert [names[i] for i in mine["source_file"]] == ["part1.dat", "part2.dat"]
    assert mine["source_line"].tolist() == [2, 1]


# --- reconciliation ------------------------------------------------------------------------------------


def test_reconciliation_over_several_files(tmp_path):
    a = write_doj(tmp_path / "a.dat", messy_rows())
    b = write_doj(tmp_path / "b.dat", [conv(1), "", conv(3)], header=False)
    result = read_doj_files([a, b])
    frame = result.issues.frame()
    for report in result.files:
        assert report.rows_read == report.rows_used + report.rows_skipped
        skipped = frame[(frame["file"] == report.file) & (frame["action"] == "row skipped")]
        assert len(skipped) == report.rows_skipped
        assert skipped["line"].is_unique  # exactly one issue per skipped row
    assert sum(f.rows_used for f in result.files) == result.rows.num_rows == 7


def test_reconciliation_on_a_synthetic_file_with_malformed_rows(tmp_path):
    from blueprint.synthetic.doj_file import generate

    path = tmp_path / "synthetic.dat"
    stats = generate(path, rows=5000, county="SACRAMENTO", seed=7, malformed_rate=0.01)
    table, report, issues = read_chunked(path, chunk_bytes=256 << 10)
    frame = issues.frame()
    skipped = frame[frame["action"] == "row skipped"]
    physical_lines = path.read_bytes().count(b"\n")
    assert report.rows_read == stats.rows  # every data line was read once (no value spans lines here)
    assert physical_lines == stats.rows + 1
    assert report.balanced and report.rows_skipped == len(skipped) > 0
    assert skipped["line"].is_unique
    assert report.rows_used == table.num_rows
    assert set(table["_line"].to_pylist()).isdisjoint(skipped["line"].tolist())
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- reading in the background (the local run reads while the engine loads) ---------------------------


def test_background_read_gives_exactly_what_a_direct_read_gives(tmp_path):
    good = write_doj(tmp_path / "a.dat", [conv(2), conv(3, Q), ["only", "three", "fields"], conv(5)])
    bad = tmp_path / "b.dat"
    bad.write_text("not,a,doj,file\n")
    direct = read_doj_files([good, bad], prune=True)
    background = BackgroundRead([good, bad], prune=True).result()
    assert background.rows.equals(direct.rows)
    assert [f.as_dict() for f in background.files] == [f.as_dict() for f in direct.files]
    assert background.issues.frame().equals(direct.issues.frame())
    assert [f.status for f in background.files] == ["ok", "failed"]


def test_a_cancelled_read_stops_and_keeps_nothing(tmp_path):
    path = write_doj(tmp_path / "a.dat", [conv(line) for line in range(2, 40)])
    stop = threading.Event()
    stop.set()
    with pytest.raises(ReadCancelled):
        read_doj_files([path], cancel=stop)
    reading = BackgroundRead([path])
    reading.cancel()
    assert not reading._thread.is_alive()


def test_parsing_a_clean_file_does_not_wait_for_pandas(tmp_path):
    """The local run parses its first chunks while its main thread loads pandas; a parse that
    needed pandas (pyarrow loads it on its first ``pa.array`` or ``to_numpy``) would wait for that
    load instead. A fresh interpreter is used: this one has pandas loaded already."""
    path = write_doj(tmp_path / "a.dat", [conv(2), conv(3, Q), conv(4)])
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from blueprint.intake.issues import IssueLog\n"
        "from blueprint.intake.reader import FileReport, iter_file\n"
        f"path = Path({str(path)!r})\n"
        "rows = list(iter_file(path, 0, IssueLog(), FileReport(file=path.name, path=str(path))))\n"
        "assert sum(t.num_rows for t in rows) == 3, rows\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_chunk_without_a_subject_id_is_still_reported_and_kept_apart(tmp_path):
    """The same chunk, with one row lacking SUBJECT_ID: the slower path that finds it gives the
    same row numbers and the same columns as the fast one."""
    path = write_doj(tmp_path / "a.dat", [conv(2), conv(3, SUBJECT_ID=""), conv(4)])
    table, report, issues = read_chunked(path, 1 << 20)
    lines_ok(table)
    assert table["_line"].to_pylist() == [2, 4]
    assert table.schema.field("_line").type == pa.int64() and table.schema.field("_file").type == pa.int16()
    assert issues.frame()["code"].tolist() == ["MISSING_SUBJECT_ID"]
    assert report.rows_skipped == 1


def test_background_read_hands_its_error_to_the_caller(tmp_path, monkeypatch):
    import blueprint.intake.reader as reader

    def broken(*args, **kwargs):
        raise MemoryError("out of memory")

    monkeypatch.setattr(reader, "iter_file", broken)
    with pytest.raises(MemoryError):
        BackgroundRead([tmp_path / "a.dat"]).result()


# --- keeping only the rows the engine reads, and splitting people into parts -------------------------


def test_pruned_rows_keep_every_other_name_and_first_row_when_people_interleave(tmp_path):
    a = Person("300", name="SMITH,JOHN")
    b = Person("400", name="JONES,ANN")
    rows = [
        a.arrest("001001001000", "11357 HS-POSSESS MARIJUANA", "20100101"),
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="SMITH,JON"),  # same person, new name
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="SMITH,JON"),
        b.arrest("001001001000", "11357 HS-POSSESS MARIJUANA", "20100101"),
        b.arrest("002001001000", "11357 HS-POSSESS MARIJUANA", "20110101"),
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="DOE,JOHN"),
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED"),
        a.row(STP_TYPE_DESCR="ARREST/DETAINED/CITED", PRI_NAME="SMITH,JON"),
        a.conviction("003001001000", "11357 HS-POSSESS MARIJUANA", "20120101"),
    ]
    path = write_doj(tmp_path / "doj.dat", rows)
    people = {}
    for prune in (False, True):
        for chunk_bytes in (300, 1 << 20):  # one row per piece, and the whole file in one piece
            read = read_doj_files([path], prune=prune, chunk_bytes=chunk_bytes)
            records = build_records(read.rows, ["doj.dat"], read.issues, load_rule_pack().lists)
            people[prune, chunk_bytes] = records.people[["name", "other_names", "date_of_birth_recorded"]]
            if prune:
                assert read.rows.num_rows < len(rows)  # the repeated arrest rows were dropped
    for frame in people.values():
        assert frame.loc["300", "name"] == "SMITH,JOHN"
        assert frame.loc["300", "other_names"] == "SMITH,JON; DOE,JOHN"
        assert frame.loc["400", "other_names"] == ""
        assert frame.equals(people[False, 1 << 20])


def test_a_split_read_puts_each_person_in_one_part_and_loses_no_row(tmp_path):
    from blueprint.synthetic.doj_file import generate

    first, second = tmp_path / "a.dat", tmp_path / "b.dat"
    generate(first, rows=3000, county="SACRAMENTO", seed=5, malformed_rate=0.01)
    generate(second, rows=2000, county="SACRAMENTO", seed=6, malformed_rate=0.01)
    whole = read_doj_files([first, second], prune=True, chunk_bytes=64 << 10)
    split = read_doj_files([first, second], prune=True, chunk_bytes=64 << 10, parts=3)
    assert len(split.parts) == 3 and whole.parts == []
    owners = [set(part["SUBJECT_ID"].to_pylist()) for part in split.parts]
    assert all(owners) and not (owners[0] & owners[1] or owners[0] & owners[2] or owners[1] & owners[2])

    def located(table):
        return sorted(zip(table["_file"].to_pylist(), table["_line"].to_pylist()))

    assert located(split.rows) == located(whole.rows)
    assert sum(part.num_rows for part in split.parts) == split.rows.num_rows
    for part in split.parts:  # file order is kept inside a part
        assert located(part) == list(zip(part["_file"].to_pylist(), part["_line"].to_pylist()))
    assert [f.as_dict() for f in split.files] == [f.as_dict() for f in whole.files]
    assert split.issues.frame().equals(whole.issues.frame())
    every_row = read_doj_files([first, second], parts=2)  # without pruning: every used row, in two parts
    assert located(every_row.rows) == located(read_doj_files([first, second]).rows)
    assert sum(f.rows_used for f in every_row.files) == every_row.rows.num_rows


def test_a_file_repeating_an_earlier_one_is_a_repeat_and_its_rows_count_once(tmp_path):
    """The same extract given twice would double every sentence: the repeat is set aside (a repeat, not
    a failure), the original stands."""
    import shutil

    from blueprint.synthetic.doj_file import generate

    original = tmp_path / "doj.dat"
    generate(original, rows=2000, county="SACRAMENTO", seed=4, malformed_rate=0.01)
    again = tmp_path / "doj-again.dat"
    shutil.copy(original, again)
    once = read_doj_files([original], prune=True)
    for parts in (1, 2):
        twice = read_doj_files([original, again, original], prune=True, parts=parts)
        first, repeat, same_path = twice.files
        assert first.as_dict() == once.files[0].as_dict()
        for report in (repeat, same_path):
            assert report.status == "repeat" and report.balanced and report.error == ""
            assert report.note == (
                "repeats doj.dat (identical content, SHA-256); its rows were used once, from doj.dat"
            )
            assert (report.rows_read, report.rows_used, report.rows_skipped) == (0, 0, 0)
            assert report.sha256 == first.sha256  # the fingerprint still identifies what was given
        assert sorted(twice.rows["_line"].to_pylist()) == sorted(once.rows["_line"].to_pylist())
        assert set(twice.rows["_file"].to_pylist()) == {0}
        assert twice.issues.frame().equals(once.issues.frame())
        assert twice.failed == []  # a repeat is not a failed file
    # A file that differs by one byte is another file.
    changed = tmp_path / "changed.dat"
    changed.write_bytes(original.read_bytes().replace(b"SACRAMENTO", b"SACRAMENTo", 1))
    assert [f.status for f in read_doj_files([original, changed]).files] == ["ok", "ok"]
