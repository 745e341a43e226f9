"""Reading a simple CSV court extract through a declarative input mapping.

A state whose data is not California's DOJ research file describes its own extract in a small YAML
file in its rule pack (``input-mapping.yaml``, named by ``input_mapping`` in ``pack.yaml``, with
``input_format: mapped-csv``). The reader turns such files into exactly the rows table the DOJ reader
produces (``blueprint.intake.reader``: the engine columns, ``_file`` and ``_line``), so the engine, the review
workbook and the documents do not know where the rows came from.

The mapping, one entry per engine column (every engine column not named is empty)::

    version: 1
    delimiter: ","
    person: defendant_id                 # source column that identifies a person (SUBJECT_ID)
    case: case_number                    # source column of the court case ...
    count: charge_seq                    # ... and of the charge's count within it (1-999)
    columns:
      PRI_NAME: {join: [last_name, first_name], separator: ","}
      PRI_DOB: {from: date_of_birth, date: "%m/%d/%Y"}        # written as YYYYMMDD
      STP_TYPE_DESCR: {value: COURT ACTION}                   # a constant
      OFFENSE_TOC: {from: offense_class, map: {"4": F, A: M}, unmapped: blank}
      DISP_DESCR: {from: disposition, map: {GUILTY: CONVICTED}, unmapped: report}
      OFFENSE_DESCR: {from: statute, rewrite: [{match: '^720 ILCS 550/(?P<s>\\d+)', to: '{s} CCA'}],
                      append: charge_description}

A value spec takes its text from ``from`` (one column), ``join`` (several, with ``separator``) or
``value`` (a constant), then optionally: ``rewrite`` (regular expressions tried in order, the first
match's named groups fill ``to``; upper-cased before matching), ``map`` (exact values, compared upper
case and stripped), ``date`` (a ``strptime`` format; written as ``YYYYMMDD``), ``append`` (a column
added after a dash, as DOJ writes ``<section> <code>-<description>``), ``upper`` (default true).
``unmapped`` says what happens to a value that ``map`` or ``rewrite`` does not cover: ``keep`` it,
``blank`` it, or ``report`` it (kept, and listed in the data issues with its file, line and source
column). ``CNT_ORDER`` is generated from ``case`` and ``count`` in the DOJ layout (six digits for the
case within the person, three for the count, three zeros), so court cases group as they do in DOJ data.

What the reader guarantees, as the DOJ reader does: per file ``rows_read == rows_used +
rows_skipped``; a row with the wrong number of fields, a blank row or a row without a person is
skipped and reported with its file and line; a row repeating a row of an earlier file of the run
is skipped and reported as ``DUPLICATE_ROW``; a file that is empty, unreadable or lacks a mapped
column fails alone with a message naming the file and the reason; values of personal columns never
appear in the issues.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .columns import ENGINE_COLUMNS
from .issues import SKIPPED, IssueLog
from .reader import EMPTY_SCHEMA, FileRejected, FileReport, ReadResult, read_doj_files, mark_repeat
from .repeated_rows import RecordsSeen, report_repeats
from ..base.yaml_files import load_yaml_model
from .file_status import FAILED

#: Input formats a rule pack can name in ``input_format``.
INPUT_FORMATS = ("doj-research-file", "mapped-csv")

#: Source columns whose values are personal and never copied into the issues report.
_PERSONAL_TARGETS = frozenset({"SUBJECT_ID", "PRI_NAME", "PRI_DOB", "CII_NUMBER", "OFN", "FE_NUM_CRT_CASE"})


class MappingError(ValueError):
    """The input mapping file is missing or wrong; the message names the file and the problem."""


class Rewrite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str
    to: str

    @field_validator("match")
    @classmethod
    def _regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression ({exc})") from None
        return value


class ValueSpec(BaseModel):
    """How one engine column is filled from the source row."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str | None = Field(default=None, alias="from")
    join: list[str] | None = None
    separator: str = " "
    value: str | None = None
    rewrite: list[Rewrite] = Field(default_factory=list)
    map: dict[str, str] | None = None
    date: str | None = None
    append: str | None = None
    upper: bool = True
    unmapped: Literal["keep", "blank", "report"] = "keep"

    @field_validator("map", mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(k).strip().upper(): "" if v is None else str(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "ValueSpec":
        given = [x for x in (self.from_, self.join, self.value) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'from', 'join' or 'value'")
        return self

    def columns(self) -> list[str]:
        names = [self.from_] if self.from_ else list(self.join or [])
        return names + ([self.append] if self.append else [])


class InputMapping(BaseModel):
    """The whole mapping file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = 1
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    person: str = Field(min_length=1)
    case: str = Field(min_length=1)
    count: str = Field(min_length=1)
    columns: dict[str, ValueSpec]

    @field_validator("columns")
    @classmethod
    def _engine_columns(cls, value: dict[str, ValueSpec]) -> dict[str, ValueSpec]:
        unknown = [k for k in value if k not in ENGINE_COLUMNS]
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not an engine column (blueprint.intake.columns.ENGINE_COLUMNS)")
        for generated in ("SUBJECT_ID", "CNT_ORDER"):
            if generated in value:
                raise ValueError(f"{generated} is generated from 'person', 'case' and 'count'; do not map it")
        return value

    def source_columns(self) -> list[str]:
        names = [self.person, self.case, self.count]
        for spec in self.columns.values():
            names += spec.columns()
        return list(dict.fromkeys(names))


@lru_cache(maxsize=8)
def _load_mapping(path: str) -> InputMapping:
    return load_yaml_model(path, InputMapping, what="input mapping", error=MappingError)


def load_mapping(path: str | Path) -> InputMapping:
    """Read and validate an input mapping file."""
    return _load_mapping(str(Path(path).resolve()))


# --- applying a value spec ----------------------------------------------------------------------


class _Converter:
    """One engine column's spec compiled once; ``__call__`` maps a source row's text."""

    def __init__(self, target: str, spec: ValueSpec):
        self.target = target
        self.spec = spec
        self.rewrites = [(re.compile(r.match), r.to) for r in spec.rewrite]
        self.column = spec.from_ or (spec.join[0] if spec.join else "")

    def __call__(self, row: dict[str, str]) -> tuple[str, str | None]:
        """The engine value, and a problem text when the value was not covered (else None)."""
        spec = self.spec
        if spec.value is not None:
            text = spec.value
        elif spec.join:
            text = spec.separator.join(row[c].strip() for c in spec.join if row[c].strip())
        else:
            text = row[self.column].strip()  # spec.from_: neither a value nor a join
        if spec.upper:
            text = text.upper()
        problem = None
        if text and self.rewrites:
            for pattern, template in self.rewrites:
                found = pattern.search(text)
                if found:
                    text = template.format(**{k: v or "" for k, v in found.groupdict().items()})
                    break
            else:
                problem = "no rewrite rule of the input mapping matches the value"
        if text and spec.map is not None:
            key = text.strip().upper()
            if key in spec.map:
                text = spec.map[key]
            else:
                problem = "the value is not in the input mapping's value map"
        if problem is not None and spec.unmapped == "blank":
            text = ""
        if text and spec.date:
            try:
                text = datetime.strptime(text, spec.date).strftime("%Y%m%d")
            except ValueError:
                pass  # kept as written: the engine reports it as an invalid date of this column
        if spec.append:
            extra = row[spec.append].strip()
            extra = extra.upper() if spec.upper else extra
            if extra:
                text = f"{text}-{extra}" if text else extra
        return text, (problem if spec.unmapped == "report" else None)


# --- reading files ------------------------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_mapped_file(
    path: Path,
    file_index: int,
    mapping: InputMapping,
    issues: IssueLog,
    case_numbers: dict[tuple[str, str], int],
    progress: Callable[[int], None] | None = None,
    earlier: Iterable[FileReport] = (),
    seen: RecordsSeen | None = None,
) -> tuple[pa.Table | None, FileReport]:
    """Read one mapped CSV file. Returns its rows (None when the file is rejected) and its report.

    ``case_numbers`` numbers each (person, case) pair across the run's files, so that a person's
    cases keep distinct, stable case keys whichever file they come from. A file with the same
    content as one of the ``earlier`` files is a repeat (:func:`blueprint.intake.reader.mark_repeat`);
    with ``seen``, a single row repeating a row of an earlier file is skipped and reported as
    ``DUPLICATE_ROW`` (``blueprint.intake.repeated_rows``; here "the same row" means the same value, as
    written, in every column of the file, matched by column name, so two files may order their
    columns differently).
    """
    path = Path(path)
    report = FileReport(file=path.name, path=str(path))
    file_issues = IssueLog()
    try:
        table = _read(path, file_index, mapping, file_issues, report, case_numbers, seen)
    except FileRejected as exc:
        report.status, report.error, report.rows_used = FAILED, exc.reason, 0
        if seen is not None:
            seen.discard()
        return None, report
    if mark_repeat(report, earlier):
        if seen is not None:
            seen.discard()
        return None, report
    if seen is not None:
        seen.commit(file_index, path.name)
    issues.extend(file_issues)
    if progress:
        progress(report.rows_read)
    return table, report


def _read(
    path: Path,
    file_index: int,
    mapping: InputMapping,
    issues: IssueLog,
    report: FileReport,
    case_numbers: dict[tuple[str, str], int],
    seen: RecordsSeen | None = None,
) -> pa.Table:
    name = path.name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileRejected(name, f"could not be read ({exc.strerror or exc.__class__.__name__})") from None
    report.sha256 = hashlib.sha256(data).hexdigest()
    report.bytes = len(data)
    text, report.encoding = _decode(data)
    if not text.strip():
        raise FileRejected(name, "is empty: it has no data rows")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    header = [h.strip() for h in next(reader, [])]
    report.has_header = True
    missing = [c for c in mapping.source_columns() if c not in header]
    if missing:
        raise FileRejected(
            name,
            f"is not the mapped extract: its header lacks the column '{missing[0]}'"
            f"{f' and {len(missing) - 1} more' if len(missing) > 1 else ''}",
        )
    position = {c: header.index(c) for c in mapping.source_columns()}
    by_name = sorted(range(len(header)), key=header.__getitem__)  # a row's values in column-name order
    repeats: list[tuple[int, int, int]] = []  # (line, file first read in, line there)
    converters = [_Converter(target, spec) for target, spec in mapping.columns.items()]
    out: dict[str, list[str]] = {c: [] for c in ENGINE_COLUMNS}
    lines: list[int] = []
    problems: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    line = reader.line_num + 1
    for record in reader:
        start, line = line, reader.line_num + 1
        report.rows_read += 1
        if not any(v.strip() for v in record):
            issues.add(name, start, "(row)", "BLANK_LINE", "blank line", SKIPPED)
            report.rows_skipped += 1
            continue
        if len(record) != len(header):
            issues.add(
                name, start, "(row)", "FIELD_COUNT", f"row has {len(record)} fields, expected {len(header)}", SKIPPED
            )
            report.rows_skipped += 1
            continue
        row = {c: record[i] for c, i in position.items()}
        person = row[mapping.person].strip()
        if not person:
            issues.add(
                name,
                start,
                mapping.person,
                "MISSING_PERSON",
                "the person identifier is empty, so the row cannot be attached to a person",
                SKIPPED,
            )
            report.rows_skipped += 1
            continue
        if seen is not None:
            values = tuple(record[i] for i in by_name)
            first = seen.find(values)
            if first is not None:
                repeats.append((start, *first))
                report.rows_skipped += 1
                continue
            seen.add(values, file_index, start)
        case = row[mapping.case].strip().upper()
        count = row[mapping.count].strip()
        cnt_order = ""
        if case and count.isdigit() and 1 <= int(count) <= 999:
            number = case_numbers.get((person, case))
            if number is None:  # the person's next case number; (person, "") holds the last one given
                number = case_numbers[(person, "")] = case_numbers.get((person, ""), 0) + 1
                case_numbers[(person, case)] = number
            cnt_order = f"{number:06d}{int(count):03d}000"
        else:
            which = mapping.case if not case else mapping.count
            problems.setdefault(
                (which, "BAD_CASE_OR_COUNT", "the court case is empty or the count is not a number from 1 to 999"), []
            ).append((start, "" if which == mapping.case else count))
        out["SUBJECT_ID"].append(person)
        out["CNT_ORDER"].append(cnt_order)
        for conv in converters:
            value, problem = conv(row)
            out[conv.target].append(value)
            if problem:
                shown = "" if conv.target in _PERSONAL_TARGETS else row[conv.column].strip()
                problems.setdefault((conv.column, "UNMAPPED_VALUE", problem), []).append((start, shown))
        for target in ENGINE_COLUMNS:
            if len(out[target]) < len(out["SUBJECT_ID"]):
                out[target].append("")
        lines.append(start)
    if report.rows_read == 0:
        raise FileRejected(name, "is empty: it has a header but no data rows")
    if repeats:
        assert seen is not None, "repeats are found only across files"
        report_repeats(
            issues,
            name,
            np.array([r[0] for r in repeats]),
            np.array([seen.name(r[1]) for r in repeats], dtype=object),
            np.array([r[2] for r in repeats]),
        )
    for (column, code, problem), hits in problems.items():
        action = (
            "row kept with the value as written; a conviction it decides goes to hand review or is not evaluated"
            if code == "UNMAPPED_VALUE"
            else "row kept without a court case; a conviction on it goes to hand review"
        )
        issues.add(name, [h[0] for h in hits], column, code, problem, action, [h[1] for h in hits])
    columns = {c: pa.array(out[c], pa.string()) for c in ENGINE_COLUMNS}
    columns["_file"] = pa.array([file_index] * len(lines), pa.int16())
    columns["_line"] = pa.array(lines, pa.int64())
    report.rows_used = len(lines)
    return pa.table(columns, schema=EMPTY_SCHEMA)


def read_mapped_files(
    paths: Iterable[Path | str], mapping: InputMapping | str | Path, progress: Callable[[int], None] | None = None
) -> ReadResult:
    """Read every mapped CSV file of a run into one rows table, with the same accounts as the DOJ reader."""
    if not isinstance(mapping, InputMapping):
        mapping = load_mapping(mapping)
    issues = IssueLog()
    tables: list[pa.Table] = []
    reports: list[FileReport] = []
    case_numbers: dict[tuple[str, str], int] = {}
    paths = list(paths)
    seen = RecordsSeen() if len(paths) > 1 else None  # rows repeated across files are used once
    for index, path in enumerate(paths):
        table, report = read_mapped_file(
            Path(path), index, mapping, issues, case_numbers, progress, earlier=reports, seen=seen
        )
        reports.append(report)
        if table is not None:
            tables.append(table)
    rows = pa.concat_tables(tables) if tables else EMPTY_SCHEMA.empty_table()
    return ReadResult(rows=rows, files=reports, issues=issues)


def read_inputs(pack, paths: Iterable[Path | str], progress: Callable[[int], None] | None = None) -> ReadResult:
    """Read a run's input files with the reader the rule pack's ``input_format`` names."""
    fmt = getattr(pack, "input_format", "doj-research-file")
    if fmt == "doj-research-file":
        return read_doj_files(paths, progress)
    if fmt == "mapped-csv":
        if getattr(pack, "input_mapping", None) is None:
            raise MappingError(f"rule pack '{pack.name}' has input_format mapped-csv but no input_mapping")
        return read_mapped_files(paths, pack.input_mapping, progress)
    raise MappingError(f"rule pack '{pack.name}': unknown input_format '{fmt}'; known: {', '.join(INPUT_FORMATS)}")


__all__ = [
    "INPUT_FORMATS",
    "InputMapping",
    "MappingError",
    "load_mapping",
    "read_inputs",
    "read_mapped_file",
    "read_mapped_files",
]
