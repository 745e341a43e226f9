"""The earlier county tool's result files (``--compat gogen``), written from the kit's own decisions.

Offices that ran the 2019-2020 review with the earlier desktop tool kept its result files and built
spreadsheet habits on them. With ``--compat gogen`` a run also writes, in ``OUT/compat/``:

- ``All_Results.csv``: every input row, its 95 DOJ columns exactly as read (the raw bytes of the input
  line, original quoting kept), then the 18 eligibility columns;
- ``All_Results_Condensed.csv``: every input row, the 20 condensed columns (values as read), then the
  18 eligibility columns;
- ``Prop64_Results.csv``: only the evaluated convictions (cannabis convictions in the run's county),
  95 columns as read, then the 18 eligibility columns;
- ``summary.json``: the earlier tool's summary keys (``blueprint.compat.gogen.summary``) plus the
  errors of each input file.

How rows appear (one output row per input record, in input order, files one after another):

- The header is the 95 DOJ column names and the 18 eligibility column names; input headers (with or
  without a trailing empty field) are not repeated.
- A well-formed row (the file's field count) is written as its raw text. When the file carries one
  trailing empty field on every row, that field's comma is dropped so the 95 columns line up.
- A row the reader skipped for its shape (wrong field count, blank line) is still an input row: it is
  written as read, byte for byte, followed by 18 empty eligibility fields; its condensed columns are
  empty (the position of its values is unknown). The data-issues report says why it was skipped.
- The eligibility columns are filled on the row of each evaluated conviction (matched by input file
  and line) and empty on every other row.
- Each row keeps its input file's encoding; the line terminator is ``\\n`` (as the earlier tool wrote).

The earlier tool's known defects are not reproduced: an unknown or partial date leaves its date and
years fields empty (the earlier tool wrote year 1 and ``-1.0``), and "Occurred after 11/9/2016" is
empty when the date range cannot decide it.

Everything streams: inputs are re-read record by record and the outputs written as they go, so a
file of millions of rows never sits in memory; only the evaluated convictions' columns are held.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from ...base.year import DAYS_PER_YEAR
from ...intake.columns import CONDENSED_COLUMNS, DOJ_COLUMNS
from .summary import build_summary, write_summary
from ...engine.decide import Evaluation
from ...intake.reader import FileRejected, ReadResult, sniff
from ...engine.rulepack import RulePack
from ...intake.file_status import OK

#: The earlier tool's eligibility columns, in its order.
ELIGIBILITY_COLUMNS: tuple[str, ...] = (
    "Case Number",
    "# of convictions on record",
    "Possible Other P64 Charges",
    "Occurred after 11/9/2016",
    "Superstrike Code Section(s)",
    "PC290 Code Section(s)",
    "PC290 Registration",
    "Date of Conviction",
    "Years Since This Conviction",
    "Years Since Any Conviction",
    "# of Prop 64 convictions",
    "# of HS 11357 convictions",
    "# of HS 11358 convictions",
    "# of HS 11359 convictions",
    "# of HS 11360 convictions",
    "Deceased",
    "Eligibility Determination",
    "Eligibility Reason",
)

ALL_RESULTS = "All_Results.csv"
CONDENSED = "All_Results_Condensed.csv"
PROP64_RESULTS = "Prop64_Results.csv"
SUMMARY = "summary.json"

#: Prop 64 took effect the day after the election; the earlier tool's column says "after 11/9/2016".
PROP64_DATE = np.datetime64("2016-11-09", "D")
NONE_MARK = "-"
NEWLINE = "\n"
_CONDENSED_INDEX = tuple(DOJ_COLUMNS.index(c) for c in CONDENSED_COLUMNS)
_EMPTY_ELIGIBILITY = [""] * len(ELIGIBILITY_COLUMNS)
_EMPTY_CONDENSED = [""] * len(CONDENSED_COLUMNS)


class CompatError(RuntimeError):
    """The result files cannot be written faithfully. The message names files and counts only."""


# --------------------------------------------------------------------------------------- values


def _day(values) -> np.ndarray:
    return np.asarray(pd.Series(values).to_numpy("datetime64[D]"), dtype="datetime64[D]")


def _mmddyyyy(day: np.datetime64) -> str:
    if np.isnat(day):
        return ""
    y, m, d = str(day).split("-")
    return f"{m}/{d}/{y}"


def _years_since(day: np.datetime64, as_of: np.datetime64) -> str:
    """Years from ``day`` to the evaluation date with one decimal (days / ``DAYS_PER_YEAR``), empty if unknown."""
    if np.isnat(day):
        return ""
    days = int((as_of - day).astype("timedelta64[D]").astype(np.int64))
    text = f"{days / DAYS_PER_YEAR:.1f}"
    return "0.0" if text == "-0.0" else text  # a date after the evaluation date can be negative


def _after_prop64(lo: np.datetime64, hi: np.datetime64) -> str:
    """``Y`` when the conviction is after 9 Nov 2016, ``N`` when on or before, empty when undecidable."""
    if np.isnat(lo) or np.isnat(hi):
        return ""
    if lo > PROP64_DATE:
        return "Y"
    if hi <= PROP64_DATE:
        return "N"
    return ""


def eligibility_values(decisions: pd.DataFrame, as_of) -> list[list[str]]:
    """The 18 eligibility fields of each decision row, as text in the earlier tool's formats."""
    as_of = np.datetime64(as_of, "D")
    n = len(decisions)
    if n == 0:
        return []
    conv_exact = _day(decisions["conviction_date"])
    conv_lo, conv_hi = _day(decisions["conv_lo"]), _day(decisions["conv_hi"])
    last_lo, last_hi = _day(decisions["person_last_conv_lo"]), _day(decisions["person_last_conv_hi"])

    def text(col: str) -> list[str]:
        return decisions[col].fillna("").astype(str).str.strip().tolist()

    def count(col: str) -> list[str]:
        return [str(int(v)) for v in decisions[col].fillna(0).to_numpy()]

    def or_none(col: str) -> list[str]:
        return [v if v else NONE_MARK for v in text(col)]

    case_numbers = text("case_numbers")
    on_record = count("convictions_on_record")
    other = text("possible_other_cannabis")
    superstrikes = or_none("superstrike_sections")
    pc290 = or_none("pc290_sections")
    registration = ["Yes" if bool(v) else NONE_MARK for v in decisions["pc290_registration"].to_numpy()]
    deceased = ["Deceased" if bool(v) else NONE_MARK for v in decisions["deceased"].to_numpy()]
    cannabis = count("cannabis_on_record")
    per_section = [count(f"count_{s}") for s in ("11357", "11358", "11359", "11360")]
    determination = text("determination")
    reason = text("reason")

    rows = []
    for i in range(n):
        last = last_lo[i] if (not np.isnat(last_lo[i]) and last_lo[i] == last_hi[i]) else np.datetime64("NaT", "D")
        rows.append(
            [
                case_numbers[i],
                on_record[i],
                other[i],
                _after_prop64(conv_lo[i], conv_hi[i]),
                superstrikes[i],
                pc290[i],
                registration[i],
                _mmddyyyy(conv_exact[i]),
                _years_since(conv_exact[i], as_of),
                _years_since(last, as_of),
                cannabis[i],
                *(col[i] for col in per_section),
                deceased[i],
                determination[i],
                reason[i],
            ]
        )
    return rows


# ---------------------------------------------------------------------------------- raw records


@dataclass(frozen=True)
class RawRecord:
    """One input record: its first physical line, its text without the terminator, and its fields."""

    line: int
    text: str
    fields: list[str]


def _strip_terminator(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n") or text.endswith("\r"):
        return text[:-1]
    return text


def raw_records(path: Path, encoding: str, has_header: bool) -> Iterator[RawRecord]:
    """Stream the data records of a DOJ file with their raw text, numbered like the reader numbers them.

    A quoted value may span lines: the record's text is then every physical line it covers. The
    header record (and a leading byte-order mark) is not yielded.
    """
    consumed: list[str] = []
    with open(path, encoding=encoding, newline="") as fh:
        if fh.read(1) != "\ufeff":
            fh.seek(0)

        def lines() -> Iterator[str]:
            for physical in fh:
                consumed.append(physical)
                yield physical

        reader = csv.reader(lines())
        line_start = 1
        for fields in reader:
            text = "".join(consumed)
            consumed.clear()
            if not (has_header and line_start == 1):
                yield RawRecord(line_start, _strip_terminator(text), fields)
            line_start = reader.line_num + 1


# -------------------------------------------------------------------------------------- writing


class _Line:
    """Format rows with the csv module's minimal quoting into a reusable string."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._writer = csv.writer(self, lineterminator=NEWLINE)

    def write(self, text: str) -> None:
        self._parts.append(text)

    def __call__(self, fields: list[str]) -> str:
        self._writer.writerow(fields)
        out = "".join(self._parts)
        self._parts.clear()
        return out


def _header(columns) -> bytes:
    return (",".join(columns) + NEWLINE).encode("ascii")


def _decisions_by_file(evaluation: Evaluation) -> dict[int, dict[int, list[str]]]:
    d = evaluation.decisions
    values = eligibility_values(d, evaluation.as_of)
    out: dict[int, dict[int, list[str]]] = {}
    if not values:
        return out
    for f, line, v in zip(d["source_file_index"].to_numpy(), d["source_line"].to_numpy(), values):
        out.setdefault(int(f), {})[int(line)] = v
    return out


def write_gogen_files(
    read: ReadResult,
    evaluation: Evaluation,
    out_dir: Path,
    *,
    policy,
    processing_seconds: float,
    county: str | None = None,
    as_of=None,
    pack: RulePack | None = None,
    outcomes: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write the earlier tool's four result files into ``out_dir``; return their paths by file name.

    ``read`` and ``evaluation`` are the run's reader result and engine result (decisions carry
    ``source_file_index`` and ``source_line``). ``county`` and ``as_of`` default to the
    evaluation's; ``pack`` (for the summary's people outcomes) defaults to the policy's rule
    pack; ``outcomes`` (``blueprint.engine.outcomes.person_outcomes`` of this evaluation) is reused when
    the caller already has it. Files that the reader rejected have no rows here; they appear in
    ``summary.json`` under ``errors``. Raises ``CompatError`` when an input no longer matches what
    was read (the outputs would not be faithful).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    as_of = np.datetime64(as_of if as_of is not None else evaluation.as_of, "D")  # type: ignore[call-overload]  # numpy's stubs lack datetime64(datetime64, unit)
    by_file = _decisions_by_file(evaluation)
    fmt = _Line()
    paths = {name: out_dir / name for name in (ALL_RESULTS, CONDENSED, PROP64_RESULTS, SUMMARY)}
    temps = {name: p.with_name(p.name + ".partial") for name, p in paths.items()}
    files_out = {}
    try:
        files_out = {
            name: open(temps[name], "wb", buffering=1 << 18) for name in (ALL_RESULTS, CONDENSED, PROP64_RESULTS)
        }
        full_header = _header(DOJ_COLUMNS + ELIGIBILITY_COLUMNS)
        files_out[ALL_RESULTS].write(full_header)
        files_out[PROP64_RESULTS].write(full_header)
        files_out[CONDENSED].write(_header(CONDENSED_COLUMNS + ELIGIBILITY_COLUMNS))
        empty_suffix = "," * len(ELIGIBILITY_COLUMNS)
        for index, report in enumerate(read.files):
            if report.status != OK:
                continue
            wanted = by_file.get(index, {})
            try:
                field_count = sniff(Path(report.path)).field_count
            except FileRejected:
                raise CompatError(f"input file {index + 1} ({report.file}) can no longer be read as it was") from None
            enc = report.encoding or "utf-8"
            records = matched = 0
            for rec in raw_records(Path(report.path), enc, report.has_header):
                records += 1
                text = rec.text
                n = len(rec.fields)
                well_formed = n == field_count
                if well_formed and n == len(DOJ_COLUMNS) + 1 and rec.fields[-1] == "":
                    text = text[:-3] if text.endswith(',""') else text[:-1]
                values = wanted.get(rec.line) if well_formed else None
                if values is None:
                    suffix = empty_suffix
                    eligibility = _EMPTY_ELIGIBILITY
                else:
                    matched += 1
                    eligibility = values
                    suffix = "," + fmt(values)[: -len(NEWLINE)]
                row = (text + suffix + NEWLINE).encode(enc, errors="replace")
                files_out[ALL_RESULTS].write(row)
                if values is not None:
                    files_out[PROP64_RESULTS].write(row)
                condensed = [rec.fields[i] for i in _CONDENSED_INDEX] if well_formed else _EMPTY_CONDENSED
                files_out[CONDENSED].write(fmt(condensed + eligibility).encode(enc, errors="replace"))
            if records != report.rows_read or matched != len(wanted):
                raise CompatError(
                    f"input file {index + 1} ({report.file}) does not match what was read: "
                    f"{records} rows now, {report.rows_read} read; {matched} of {len(wanted)} evaluated convictions found"
                )
        for fh in files_out.values():
            fh.close()
        summary = build_summary(
            read,
            evaluation,
            policy=policy,
            processing_seconds=processing_seconds,
            county=county,
            as_of=as_of,
            pack=pack,
            outcomes=outcomes,
        )
        write_summary(summary, temps[SUMMARY])
        for name in paths:
            os.replace(temps[name], paths[name])
    finally:
        for fh in files_out.values():
            if not fh.closed:
                fh.close()
        for t in temps.values():
            if t.exists():
                t.unlink()
    return paths


__all__ = ["ELIGIBILITY_COLUMNS", "CompatError", "RawRecord", "eligibility_values", "raw_records", "write_gogen_files"]
