"""A census of offense texts: every distinct text of the input, how often it occurs, how it was read.

Before an office trusts a run on its real extract, it should see how the kit reads the charges in
it: a form the reader does not know would otherwise only show up as a conviction nobody reviewed.
``clearance inspect`` writes this table as CSV, and every ``clearance run`` adds it to the review
workbook (sheet "Offense texts") and writes it as ``offense_texts.csv``.

One row per distinct charge text: the ``OFFENSE_DESCR`` value (padding removed), and the
``COMMENT_TEXT`` when the charge is read from the comment (description blank, ``NULL`` or
``SEE COMMENT FOR CHARGE``). Columns: how many rows carry it and how many of them are convictions;
how it was read (code, section, subdivisions, attempt, second section); which of the rule pack's
lists it is on; and a status, with texts naming a cannabis section that cannot be resolved first,
then texts that cannot be read at all, then rows with no text, then the rest by frequency. Only offense texts and counts:
no names, dates of birth, CII or case numbers.

Counting is streamed and columnar: :class:`TextCounter` takes each chunk the reader yields,
dictionary-encodes the description (a few thousand distinct values per million rows) and counts
with ``numpy.bincount``; only the few rows whose charge is in the comment are grouped with their
comment. The reading (``blueprint.intake.section_reading``) is then done once per distinct text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandas as pd

# pandas and the section reader are imported inside the functions that need them: the local run
# counts offense texts while it reads, before pandas has loaded (blueprint.run).

#: The census columns, in order (docs/reference/results.md).
CENSUS_COLUMNS: tuple[str, ...] = (
    "status",
    "offense_text",
    "comment_text",
    "rows",
    "conviction_rows",
    "read_from",
    "code_section",
    "code",
    "section",
    "subsection",
    "attempt",
    "second_code",
    "second_section",
    "second_subsection",
    "lists",
    "note",
)
#: Status values, in the order the census lists them.
UNRESOLVED = "cannabis section unresolved"
UNREADABLE = "unreadable"
BLANK = "no text"  # neither a description nor a comment (DECEASED steps, for example)
READ = "read"
_STATUS_ORDER = {UNRESOLVED: 0, UNREADABLE: 1, BLANK: 2, READ: 3}
#: A comment that carries the charge is cut to this length in the census (it is free text).
COMMENT_CHARS = 200
_RAW_COLUMNS = ["offense_text", "comment_text", "rows", "conviction_rows"]


def _charge_in_comment(description: str) -> bool:
    text = description.strip().upper()
    return text in ("", "NULL") or (text.startswith("SEE") and text.split()[:2] == ["SEE", "COMMENT"])


@dataclass
class TextCounter:
    """Counts distinct charge texts chunk by chunk, per input file (so a rejected file can be left out).

    :meth:`add` takes a chunk of reader rows (``OFFENSE_DESCR``, ``COMMENT_TEXT``, ``DISP_DESCR``) and
    uses only Arrow and numpy, so the local run can count while it reads, before pandas is loaded;
    :meth:`frame` returns the counts of the files asked for.
    """

    _parts: dict[int, list[tuple]] = field(default_factory=dict)

    def add(self, file_index: int, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        offense = _encoded(table["OFFENSE_DESCR"])
        disp = _encoded(table["DISP_DESCR"])
        texts = np.asarray(offense.dictionary.to_pylist(), dtype=object)
        idx = offense.indices.to_numpy(zero_copy_only=False)
        # Conviction or not, decided once per distinct disposition (as the engine does: trimmed, upper case).
        convicted = np.array(
            [str(v).strip().upper().startswith("CONVICTED") for v in disp.dictionary.to_pylist()], dtype=bool
        )[disp.indices.to_numpy(zero_copy_only=False)]
        in_comment = np.array([_charge_in_comment(str(t)) for t in texts], dtype=bool)
        rows = np.bincount(idx, minlength=len(texts))
        convictions = np.bincount(idx[convicted], minlength=len(texts))
        keep = np.flatnonzero((rows > 0) & ~in_comment)
        chunk: tuple = (texts[keep], rows[keep], convictions[keep], None, None, None)
        if in_comment.any():
            at = np.flatnonzero(in_comment[idx])
            comments = np.asarray(_plain(table["COMMENT_TEXT"]).take(pa.array(at)).to_pylist(), dtype=object)
            chunk = chunk[:3] + (texts[idx[at]], comments, convicted[at])
        self._parts.setdefault(file_index, []).append(chunk)

    def frame(self, files: Iterable[int] | None = None):
        """Counts per distinct (offense text, comment) of the given files (all when None), padding removed.

        A pandas DataFrame with ``offense_text``, ``comment_text``, ``rows``, ``conviction_rows``.
        """
        import pandas as pd

        wanted = self._parts if files is None else {i: self._parts[i] for i in files if i in self._parts}
        offense, comment, rows, convictions = [], [], [], []
        for texts, n, conv, c_offense, c_comment, c_convicted in (c for cs in wanted.values() for c in cs):
            offense.append(texts)
            comment.append(np.full(len(texts), "", dtype=object))
            rows.append(n)
            convictions.append(conv)
            if c_offense is not None:
                offense.append(c_offense)
                comment.append(c_comment)
                rows.append(np.ones(len(c_offense), dtype=np.int64))
                convictions.append(c_convicted.astype(np.int64))
        if not offense:
            return pd.DataFrame({c: pd.Series(dtype=object if "text" in c else np.int64) for c in _RAW_COLUMNS})
        raw = pd.DataFrame(
            {
                "offense_text": pd.Series(np.concatenate(offense), dtype=object),
                "comment_text": pd.Series(np.concatenate(comment), dtype=object),
                "rows": np.concatenate(rows).astype(np.int64),
                "conviction_rows": np.concatenate(convictions).astype(np.int64),
            }
        )
        raw["offense_text"] = raw["offense_text"].fillna("").astype(str).str.strip()
        raw["comment_text"] = raw["comment_text"].fillna("").astype(str).str.strip().str.slice(0, COMMENT_CHARS)
        out = raw.groupby(["offense_text", "comment_text"], sort=False, as_index=False)[
            ["rows", "conviction_rows"]
        ].sum()
        return out[_RAW_COLUMNS]


def _plain(column) -> pa.Array:
    """One Arrow array, nulls as empty text. A column of one chunk (each chunk the reader hands over)
    is used as it is: combining one chunk would copy it."""
    if isinstance(column, pa.ChunkedArray):
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    else:
        array = column
    return array.fill_null("") if array.null_count else array


def _encoded(column) -> pa.DictionaryArray:
    return pc.dictionary_encode(_plain(column))


def count_rows(rows: pa.Table) -> "pd.DataFrame":
    """The census counts of rows already in memory (another state's mapped extract, tests)."""
    counter = TextCounter()
    counter.add(0, rows)
    return counter.frame()


def census_table(counts: "pd.DataFrame", pack) -> "pd.DataFrame":
    """How each counted text is read under ``pack`` (a ``RulePack``): the census, in its order."""
    import pandas as pd

    from .section_reading import named_sections, parse_code_sections

    counts = counts.reset_index(drop=True)
    if len(counts) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CENSUS_COLUMNS})
    offense, comment = counts["offense_text"].astype(object), counts["comment_text"].astype(object)
    parsed = parse_code_sections(offense, comment, pack.reading)
    on_lists: list[np.ndarray] = []
    for name, offense_list in pack.lists.items():
        # A companion written on the same line (246/186.22(B)(4) PC) is in the same case by definition.
        own_line = offense_list.companion_matches(parsed)
        hit = offense_list.matches(parsed, same_case_has=own_line).to_numpy(dtype=bool)
        needs = offense_list.needs_companion(parsed).to_numpy(dtype=bool) & ~hit
        label = np.where(
            hit,
            name,
            np.where(
                needs,
                f"{name} (with {offense_list.companion.describe()} in the case)" if offense_list.companion else "",
                "",
            ),
        )
        on_lists.append(label.astype(object))
    lists = (
        pd.Series(["; ".join(v for v in values if v) for values in zip(*on_lists)], dtype=object)
        if on_lists
        else pd.Series("", index=counts.index, dtype=object)
    )
    evaluated = pack.evaluated
    first, second = evaluated.section_hits(parsed)
    named = named_sections(parsed, offense, comment, evaluated.numbers).to_numpy(dtype=object)
    readable = parsed["readable"].to_numpy(dtype=bool)
    unresolved = ~(first | second) & (named != "")
    blank = (offense.to_numpy(dtype=object) == "") & (comment.to_numpy(dtype=object) == "")
    status = np.where(unresolved, UNRESOLVED, np.where(readable, READ, np.where(blank, BLANK, UNREADABLE)))
    note = np.full(len(counts), "", dtype=object)
    note[unresolved] = [
        f"names {evaluated.name} section {n} but it cannot be resolved: such convictions go to hand review"
        for n in named[unresolved]
    ]
    note[first & second] = f"two {evaluated.name} sections on one line: such convictions go to hand review"
    in_comment = np.array([_charge_in_comment(t) for t in offense], dtype=bool)
    out = pd.DataFrame(
        {
            "status": status,
            "offense_text": offense.to_numpy(),
            "comment_text": np.where(in_comment, comment.to_numpy(), ""),
            "rows": counts["rows"].astype(np.int64).to_numpy(),
            "conviction_rows": counts["conviction_rows"].astype(np.int64).to_numpy(),
            "read_from": np.where(readable, np.where(in_comment, "COMMENT_TEXT", "OFFENSE_DESCR"), ""),
            "code_section": parsed["code_section"].to_numpy(),
            "code": parsed["code"].to_numpy(),
            "section": parsed["number"].to_numpy(),
            "subsection": parsed["subsection"].to_numpy(),
            "attempt": np.where(parsed["attempt"].to_numpy(dtype=bool), "yes", ""),
            "second_code": np.where(parsed["second_number"].to_numpy() != "", parsed["second_code"].to_numpy(), ""),
            "second_section": parsed["second_number"].to_numpy(),
            "second_subsection": parsed["second_subsection"].to_numpy(),
            "lists": lists.to_numpy(),
            "note": note,
        }
    )
    order = np.lexsort(
        (out["offense_text"].to_numpy(dtype=str), -out["rows"].to_numpy(), np.array([_STATUS_ORDER[s] for s in status]))
    )
    return out.iloc[order].reset_index(drop=True)[list(CENSUS_COLUMNS)]


def census_counts(census: "pd.DataFrame") -> dict[str, int]:
    """The census in four numbers, for the run summary."""
    status = census["status"].to_numpy() if len(census) else np.array([], dtype=object)
    rows = census["rows"].to_numpy() if len(census) else np.array([], dtype=np.int64)
    return {
        "distinct": int(len(census)),
        "unreadable": int(np.isin(status, (UNREADABLE, UNRESOLVED)).sum()),
        "unreadable_rows": int(rows[np.isin(status, (UNREADABLE, UNRESOLVED))].sum()),
        "unresolved_cannabis": int((status == UNRESOLVED).sum()),
        "unresolved_cannabis_rows": int(rows[status == UNRESOLVED].sum()),
    }


def write_census_csv(census: "pd.DataFrame", path) -> None:
    """The census as CSV (UTF-8, a header row, quoting where needed); ``path`` may be an open text file."""
    census.to_csv(path, index=False, columns=list(CENSUS_COLUMNS))


def census_of_files(
    paths: Iterable[Path], pack, progress: Callable[[int], None] | None = None
) -> tuple["pd.DataFrame", list]:
    """Stream DOJ files (or, for a mapped-csv pack, read them) and return (census, file reports)."""
    paths = [Path(p) for p in paths]
    if pack.input_format != "doj-research-file":
        from .mapped_reader import read_inputs

        read = read_inputs(pack, paths, progress)
        return census_table(count_rows(read.rows), pack), read.files
    from .issues import IssueLog
    from .file_status import FAILED, OK
    from .reader import FileRejected, FileReport, iter_file, mark_repeat

    counter = TextCounter()
    reports: list = []
    for index, path in enumerate(paths):
        report = FileReport(file=path.name, path=str(path))
        try:
            for table in iter_file(path, index, IssueLog(), report, progress):
                counter.add(index, table)
        except FileRejected as exc:
            report.status, report.error, report.rows_used = FAILED, exc.reason, 0
        if report.status == OK:
            mark_repeat(report, reports)
        reports.append(report)
    used = [i for i, r in enumerate(reports) if r.status == OK]
    return census_table(counter.frame(used), pack), reports


# --------------------------------------------------------------------------------------------------
# The workbook sheet
# --------------------------------------------------------------------------------------------------

#: (header, census column, width) of the "Offense texts" sheet.
SHEET_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("Status", "status", 16),
    ("Offense text", "offense_text", 44),
    ("Comment (when the charge is there)", "comment_text", 30),
    ("Rows", "rows", 9),
    ("Conviction rows", "conviction_rows", 10),
    ("Read from", "read_from", 14),
    ("Read as", "code_section", 20),
    ("Code", "code", 6),
    ("Section", "section", 9),
    ("Subdivision", "subsection", 11),
    ("Attempt", "attempt", 7),
    ("Second code", "second_code", 6),
    ("Second section", "second_section", 9),
    ("Second subdivision", "second_subsection", 11),
    ("Lists", "lists", 30),
    ("Note", "note", 50),
)
SHEET_NAME = "Offense texts"


def add_offense_texts_sheet(wb, census: "pd.DataFrame", header, max_rows: int) -> tuple[int, list] | None:
    """Add the "Offense texts" sheet to an XlsxWriter workbook; return (sheet number, bulk columns).

    The rows are written in bulk afterwards (``blueprint.runtime.xlsx_rows.replace_rows``), like the other
    large sheets; None when the census is empty (the sheet then says so).
    """
    from ..runtime.xlsx_rows import Column

    ws = wb.add_worksheet(SHEET_NAME)
    number = len(wb.worksheets())
    for c, (title, _, width) in enumerate(SHEET_COLUMNS):
        ws.set_column(c, c, width)
        ws.write_string(0, c, title, header)
    ws.freeze_panes(1, 2)
    if census is None or len(census) == 0:
        ws.write_string(1, 0, "No offense texts were read.")
        return None
    limit = min(len(census), max_rows - 2)
    ws.autofilter(0, 0, limit, len(SHEET_COLUMNS) - 1)
    head = census.iloc[:limit]
    columns = [
        Column(head[col].to_numpy(dtype=float), "number")
        if col in ("rows", "conviction_rows")
        else Column(head[col].astype(str).to_numpy(dtype=object))
        for _, col, _ in SHEET_COLUMNS
    ]
    return number, columns
