"""From DOJ rows to people and convictions, with the facts the rules read.

The derived facts follow the DOJ file's own structure (docs/reference/input.md), with the
earlier tool's known defects fixed:

- A conviction is one count: the first row of each distinct ``CNT_ORDER`` (within a person) whose
  disposition starts with ``CONVICTED``. Later rows of the *same* count are extra sentence parts. A
  sentence part is attached by the count's own key, never by row position.
- A row whose ``CNT_ORDER`` is missing or malformed is still a conviction, but its case is unknown,
  so it is sent to hand review rather than merged with a neighbour.
- Felony: level ``FELONY``, or a blank level with type of charge ``F``. Any other level is unknown.
- Case numbers come from the court rows of the same court case (first 6 digits of ``CNT_ORDER``).
- Dates are ranges (``blueprint.engine.dates``); a partial or invalid date never looks older than it is.
- A record that contradicts itself (dates of birth that differ between a person's rows, conviction
  rows of one court step with different dates, a misdemeanor or infraction with a state-prison term)
  is reported and the doubtful value made uncertain (``blueprint.engine.contradictions``).
- Deceased: a ``DECEASED`` step. Sex-offender registration: a ``REGISTRATION`` step whose offense
  starts with ``290``; its date matters, and an unknown date makes "before this conviction" unknown
  rather than true.

Everything here is vectorised (pyarrow and pandas); nothing loops over rows in Python except over the
few thousand rows that carry a problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..base.year import DAYS_PER_YEAR
from . import dates
from .contradictions import arrest_after_conviction, birth_dates, prison_on_lesser_level, step_dates_differ
from .current_law import CurrentLaw
from ..intake.issues import IssueLog
from .offenses import OffenseList, parse_code_sections
from ..intake.section_reading import ReadingRules, named_sections

NAT = dates.NAT
CNT_ORDER_DIGITS = 12

#: Sentence units in the DOJ file and their length in days. A month is the average Gregorian month
#: so that twelve months equal one year; the earlier tool's results agree to the day for whole years.
UNIT_DAYS = {"D": 1.0, "M": DAYS_PER_YEAR / 12, "Y": DAYS_PER_YEAR}


@dataclass
class Records:
    """People and their convictions, ready for the rules.

    ``people``: one row per person (``person_id`` index). ``convictions``: one row per convicted
    count of every person (context included), with parsed sections and date ranges.
    """

    people: pd.DataFrame
    convictions: pd.DataFrame
    court_rows: pa.Table  # SUBJECT_ID, CNT_ORDER and case numbers of court steps (Arrow)
    registrations: pd.DataFrame  # person_id, date ranges of PC 290 registration steps
    #: Per court case (``case_key`` index): whether any charge of the case, whatever its
    #: disposition, is on each context list (``on_<list>``), and whether any charge's section is
    #: unreadable (``unreadable``). Only for a rule pack's ``case_context_lists``; else empty.
    case_charges: pd.DataFrame | None = None
    #: Per court case (``case_key`` index) whose counts include a companion that hints a felony stays
    #: a felony (HS 11361 in a cannabis case): ``hints`` (ids) and ``labels`` (words). None if none.
    hint_cases: pd.DataFrame | None = None


def _trim_upper(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_upper(pc.utf8_trim_whitespace(col))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(split_blocks=True, self_destruct=False)


def _strip(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip()


def join_by_key(keys, values, sep: str = "; ", distinct: bool = True) -> pd.Series:
    """Join the non-empty ``values`` of each key, in input order, de-duplicated: ``{key: "a; b"}``.

    With ``distinct=False`` every value is kept (two equal sentence parts are two parts). Keys come
    out in the order they first appear, and so do the values within a key.

    Done with Arrow dictionary codes and one stable numpy sort, then an Arrow list join: a pandas
    groupby with a Python join costs seconds on a few hundred thousand rows, and Arrow's own
    ``group_by`` loads its query engine (pyarrow.acero) into every evaluation process for this one call.
    """
    k, v = _arrow_text(keys), _arrow_text(values)
    if isinstance(k, pa.ChunkedArray):
        k = k.combine_chunks()
    if isinstance(v, pa.ChunkedArray):
        v = v.combine_chunks()
    present = pc.fill_null(pc.not_equal(v, ""), False)
    k, v = k.filter(present), v.filter(present)
    if len(v) == 0:
        return pd.Series(dtype=object)
    # Codes in order of first appearance (Arrow numbers dictionary entries as it meets them).
    key_enc = pc.dictionary_encode(k, null_encoding="encode")
    key_code = key_enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    keep = np.arange(len(v))
    if distinct:  # each (key, value) pair at its first row only
        value_code = pc.dictionary_encode(v).indices.to_numpy(zero_copy_only=False).astype(np.int64)
        pair = key_code * (int(value_code.max()) + 1) + value_code
        keep = np.sort(np.unique(pair, return_index=True)[1])
    joined = _join_per_group(v, key_code, len(key_enc.dictionary), keep, sep)
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=key_enc.dictionary.to_numpy(zero_copy_only=False))


def _join_per_group(values: pa.Array, group: np.ndarray, groups: int, rows: np.ndarray, sep: str = "; ") -> pa.Array:
    """Per group (0 to ``groups - 1``), the ``values`` at ``rows`` of that group joined with ``sep``.

    ``group`` is each row's group number and ``rows`` the row positions to use, in file order; a
    group keeps that order, and a group with none of them is empty. One stable sort and an Arrow
    list join: no Python string per row.
    """
    rows = rows[np.argsort(group[rows], kind="stable")]
    offsets = np.zeros(groups + 1, dtype=np.int32)
    np.cumsum(np.bincount(group[rows], minlength=groups), out=offsets[1:])
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(rows))), sep)


def _arrow_text(values) -> pa.Array | pa.ChunkedArray:
    """Strings as Arrow: Arrow columns as they are, anything else converted once."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    return pa.array(np.asarray(values, dtype=object), pa.string())


def build_records(
    rows: pa.Table,
    file_names: list[str],
    issues: IssueLog,
    lists: dict[str, OffenseList],
    context_lists: tuple[str, ...] = (),
    *,
    reading: ReadingRules | None = None,
    evaluated: str | None = None,
    current_law: CurrentLaw | None = None,
) -> Records:
    """Derive people and convictions from the rows of one run (or one shard of whole people).

    ``context_lists`` names offense lists to check against every charge of each court case (any
    disposition, not only convictions), for rules such as "not associated with a violent crime".
    ``reading`` is the rule pack's section reading rules (California's when omitted). ``evaluated``
    names the list whose convictions are decided (the pack's ``evaluated_list``); given, every
    conviction whose own charge names one of its sections in a form that cannot be resolved is
    marked ``section_unresolved`` and reported, never dropped (see :func:`_evaluated_sections`).
    ``current_law`` (the pack's ``current_law.yaml``) supplies the companion counts that hint a felony
    stays a felony; without it there are none.
    """
    step = _trim_upper(rows["STP_TYPE_DESCR"])
    disp = _trim_upper(rows["DISP_DESCR"])
    is_conviction = pc.starts_with(disp, "CONVICTED")
    is_deceased = pc.equal(step, "DECEASED")
    is_registration = pc.and_(
        pc.equal(step, "REGISTRATION"),
        pc.starts_with(pc.utf8_trim_whitespace(rows["OFFENSE_DESCR"]), "290"),
    )
    is_court = pc.or_(pc.equal(step, "COURT ACTION"), is_conviction)

    people = _people(rows, file_names, issues)
    deceased_ids = set(_text(pc.unique(rows["SUBJECT_ID"].filter(is_deceased))))
    people["deceased"] = people.index.isin(deceased_ids)

    reg = rows.select(["SUBJECT_ID", "STP_EVENT_DATE", "STP_ORI_DESCR", "OFFENSE_DESCR", "_file", "_line"]).filter(
        is_registration
    )
    reg_text = _text(pc.utf8_trim_whitespace(reg["STP_EVENT_DATE"]))
    reg_dates = dates.parse_dates(reg_text)
    registrations = pd.DataFrame(
        {
            "person_id": _text(reg["SUBJECT_ID"]),
            "lo": reg_dates.earliest,
            "hi": reg_dates.latest,
            "section": [t.split("-")[0].strip() for t in _text(pc.utf8_trim_whitespace(reg["OFFENSE_DESCR"]))],
            "court": _text(pc.utf8_trim_whitespace(reg["STP_ORI_DESCR"])),
        }
    )
    _report_dates(
        issues,
        file_names,
        reg["_file"].to_numpy(),
        reg["_line"].to_numpy(),
        reg_text,
        reg_dates,
        "STP_EVENT_DATE",
        "registration date",
        "registration kept with an unknown date; convictions it could precede go to hand review",
    )
    people["pc290_registration"] = people.index.isin(set(registrations["person_id"]))

    court_rows = rows.select(["SUBJECT_ID", "CNT_ORDER", "OFN", "FE_NUM_CRT_CASE"]).filter(is_court)

    # Every conviction row is read for its sentence part and date; the rest of a count (offense,
    # comment, court, level) only on its first row, taken from ``rows`` for those rows alone.
    conv_rows = rows.select(CONVICTION_ROW_COLUMNS).filter(is_conviction)
    at = np.flatnonzero(is_conviction.to_numpy(zero_copy_only=False))
    convictions = _convictions(conv_rows, rows.select(COUNT_COLUMNS), at, file_names, issues, lists, reading, evaluated)
    hint_cases = _companion_cases(rows, is_court, current_law, reading) if current_law is not None else None
    case_charges = None
    if context_lists:
        charges = _to_pandas(rows.select(["SUBJECT_ID", "CNT_ORDER", "OFFENSE_DESCR", "COMMENT_TEXT"]).filter(is_court))
        case_charges = _case_charges(charges, {name: lists[name] for name in context_lists}, reading)
    return Records(
        people=people,
        convictions=convictions,
        court_rows=court_rows,
        registrations=registrations,
        case_charges=case_charges,
        hint_cases=hint_cases,
    )


def _companion_cases(rows: pa.Table, is_court, law: CurrentLaw, reading: ReadingRules | None) -> pd.DataFrame | None:
    """Per court case, the felony hints its companion counts give (any disposition): ``hints``
    (ids, ``;``-joined) and ``labels`` (words), indexed by ``case_key``.

    Each distinct offense text and comment is searched once for a companion's number; only the few
    court rows that name one are then read.
    """
    if law.companions is None or rows.num_rows == 0:
        return None
    numbers = "|".join(re.escape(n) for n in law.companions.numbers)
    pattern = rf"(?:^|[^0-9.])(?:{numbers})(?:[^0-9]|$)"

    def names_one(column) -> pa.Array:
        # Texts repeat a great deal: each distinct text is searched once.
        encoded = pc.dictionary_encode(_flat_text(column))
        hit = pc.fill_null(pc.match_substring_regex(encoded.dictionary, pattern), False)
        return pc.fill_null(pc.take(hit, encoded.indices), False)

    # A comment holds the charge only where the description is blank or reads SEE COMMENT (as
    # blueprint.intake.section_reading reads it): only those comments are searched.
    descr = pc.utf8_upper(pc.utf8_trim_whitespace(rows["OFFENSE_DESCR"]))
    see_comment = pc.or_(pc.equal(descr, ""), pc.starts_with(descr, "SEE COMMENT"))
    in_comment = pc.and_(see_comment, is_court)
    named = pc.and_(names_one(rows["OFFENSE_DESCR"]), is_court)
    if pc.any(in_comment).as_py():
        comments = rows["COMMENT_TEXT"].filter(in_comment)
        hit = np.zeros(rows.num_rows, dtype=bool)
        hit[np.flatnonzero(in_comment.to_numpy(zero_copy_only=False))] = names_one(comments).to_numpy(
            zero_copy_only=False
        )
        named = pc.or_(named, pa.array(hit))
    if not pc.any(named).as_py():
        return None
    few = rows.select(["SUBJECT_ID", "CNT_ORDER", "OFFENSE_DESCR", "COMMENT_TEXT"]).filter(named)
    cnt = pc.utf8_trim_whitespace(few["CNT_ORDER"])
    wanted = pc.match_substring_regex(cnt, f"^[0-9]{{{CNT_ORDER_DIGITS}}}$")
    few = few.filter(wanted)
    if few.num_rows == 0:
        return None
    parsed = parse_code_sections(
        pd.Series(_text(few["OFFENSE_DESCR"]), dtype=object),
        pd.Series(_text(few["COMMENT_TEXT"]), dtype=object),
        reading,
    )
    labels = law.companions.matched_entry_labels(parsed).to_numpy(dtype=object)
    hit = labels != ""
    if not hit.any():
        return None
    keys = _text(pc.binary_join_element_wise(few["SUBJECT_ID"], pc.utf8_slice_codeunits(cnt.filter(wanted), 0, 6), ":"))
    frame = pd.DataFrame(
        {"case_key": keys[hit], "label": labels[hit], "hint": [law.companion_hints[label] for label in labels[hit]]}
    )
    grouped = frame.drop_duplicates().groupby("case_key", sort=False)
    return pd.DataFrame(
        {
            "hints": grouped["hint"].agg(lambda v: ";".join(dict.fromkeys(v))),
            "labels": grouped["label"].agg(lambda v: "; ".join(dict.fromkeys(v))),
        }
    )


def _case_charges(
    charges: pd.DataFrame, lists: dict[str, OffenseList], reading: ReadingRules | None = None
) -> pd.DataFrame:
    """Per court case: any charge on each list, and any charge whose section cannot be read."""
    cnt = _strip(charges["CNT_ORDER"]).to_numpy(dtype=object)
    well_formed = np.array([len(c) == CNT_ORDER_DIGITS and c.isdigit() for c in cnt], dtype=bool)
    charges = charges[well_formed]
    case_key = (
        charges["SUBJECT_ID"].to_numpy().astype(object)
        + ":"
        + np.array([c[:6] for c in cnt[well_formed]], dtype=object)
    )
    pair = charges["OFFENSE_DESCR"].astype(str) + "\x1f" + charges["COMMENT_TEXT"].astype(str)
    codes, _ = pd.factorize(pair.to_numpy(dtype=object))
    _, first_pos = np.unique(codes, return_index=True)
    parsed = parse_code_sections(
        charges["OFFENSE_DESCR"].iloc[first_pos].reset_index(drop=True),
        charges["COMMENT_TEXT"].iloc[first_pos].reset_index(drop=True),
        reading,
    )
    flags = {
        f"on_{name}": offense_list.matches(parsed).to_numpy(dtype=bool)[codes] for name, offense_list in lists.items()
    }
    flags["unreadable"] = ~parsed["readable"].to_numpy(dtype=bool)[codes]
    frame = pd.DataFrame(flags)
    frame["case_key"] = case_key
    return frame.groupby("case_key", sort=False).any()


def _flat_text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A string column as one Arrow array (list building wants one)."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _group_rows(keys: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Group rows by key in one hash pass: each row's group number, and each group's first row.

    Groups are numbered in order of first appearance, so the first rows come out in file order.
    """
    encoded = pc.dictionary_encode(_flat_text(keys))
    return _by_first_appearance(
        encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), len(encoded.dictionary)
    )


def _by_first_appearance(codes: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Group numbers renumbered by first appearance, and each group's first row."""
    if len(codes) == 0:
        return codes, codes
    # Arrow numbers a dictionary's values as it meets them: a row is a group's first exactly when its
    # number exceeds every number before it. Checked, with a sort as the fallback.
    is_first = np.empty(len(codes), dtype=bool)
    is_first[0] = True
    is_first[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
    first = np.flatnonzero(is_first)
    if len(first) == groups and np.array_equal(codes[first], np.arange(groups)):
        return codes, first
    _, first = np.unique(codes, return_index=True)
    order = np.argsort(first, kind="stable")
    renumber = np.empty(groups, dtype=np.int64)
    renumber[order] = np.arange(groups)
    return renumber[codes], first[order]


def _frame(columns: dict, index=None) -> pd.DataFrame:
    """A DataFrame that keeps numpy object columns as they are.

    pandas 3 would turn every object column of Python strings into an Arrow-backed string column,
    only for the rules to turn it back into Python strings; that round trip cost ~0.5 s per million
    rows. The frames here are internal: the string columns the rules read stay plain object arrays,
    and each column keeps its own array (no copy into one block per type: a quarter of the time).
    Text that is only shown (offense, court, sentence...) is passed as Arrow strings and becomes
    pandas' Arrow-backed ``str`` column: no Python string is made for it until an output needs one,
    and only the evaluated convictions ever reach an output.
    """
    return pd.DataFrame({k: _column(v, index) for k, v in columns.items()}, index=index, copy=False)


def _column(values, index) -> pd.Series:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):  # display text: stays in Arrow, no Python strings
        return pd.Series(pd.array(values, dtype="str"), index=index, copy=False)
    if isinstance(values, np.ndarray) and values.dtype == object:
        return pd.Series(values, dtype=object, index=index, copy=False)
    return pd.Series(values, index=index, copy=False)


def _rows_at(column: pa.ChunkedArray, positions: np.ndarray) -> np.ndarray:
    """The values at ``positions`` (distinct) of a text column, in the order given, as Python strings.

    Picked with a filter, which copies piece by piece: a take on a column of many pieces first
    joins them all, a copy of every comment of a shard to pick out a few thousand.
    """
    keep = np.zeros(len(column), dtype=bool)
    keep[positions] = True
    out = np.empty(len(positions), dtype=object)
    out[np.argsort(positions, kind="stable")] = _text(column.filter(pa.array(keep)))
    return out


def _text(col) -> np.ndarray:
    """An Arrow string column as a numpy object array (one conversion, at the end of the Arrow work)."""
    return np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)


def _people(rows: pa.Table, file_names: list[str], issues: IssueLog) -> pd.DataFrame:
    """One row per person: the first row of a subject is authoritative for identity and demographics."""
    subject = rows["SUBJECT_ID"]
    first_idx = _group_rows(subject)[1]
    first = rows.select(
        ["SUBJECT_ID", "CII_NUMBER", "PRI_NAME", "GENDER", "PRI_DOB", "RACE_DESCR", "_file", "_line"]
    ).take(first_idx)
    # Other names used on the record (for court documents: "and other names used").
    names = pc.utf8_trim_whitespace(rows["PRI_NAME"])
    first_names = pc.utf8_trim_whitespace(first["PRI_NAME"])
    owner = pc.index_in(subject, value_set=first["SUBJECT_ID"])
    differs = pc.and_(pc.not_equal(names, pc.take(first_names, owner)), pc.not_equal(names, ""))
    other = join_by_key(subject.filter(differs), names.filter(differs))
    dob_text = _text(pc.utf8_trim_whitespace(first["PRI_DOB"]))
    dob = dates.parse_dates(dob_text)
    first_files, first_lines = first["_file"].to_numpy(), first["_line"].to_numpy()
    _report_dates(
        issues,
        file_names,
        first_files,
        first_lines,
        dob_text,
        dob,
        "PRI_DOB",
        "date of birth",
        "age treated as unknown; rules that need it send the conviction to hand review",
    )
    # The first row is authoritative, but another row may contradict it (blueprint.engine.contradictions).
    born = birth_dates(rows, owner, first["PRI_DOB"], dob_text, dob, first_files, first_lines, file_names, issues)
    ids = _text(first["SUBJECT_ID"])
    people = _frame(
        {
            "cii_number": _text(pc.utf8_trim_whitespace(first["CII_NUMBER"])),
            "name": _text(first_names),
            "gender": _text(_trim_upper(first["GENDER"])),
            "race": _text(_trim_upper(first["RACE_DESCR"])),
            "date_of_birth_recorded": dob_text,
            "dob_lo": born.earliest,
            "dob_hi": born.latest,
            "dob_status": born.status,
        },
        index=pd.Index(ids, name="person_id", dtype=object),
    )
    people["other_names"] = other.reindex(people.index).fillna("").to_numpy()
    return people


def _pick(values, mask: np.ndarray) -> np.ndarray:
    """The values where ``mask`` holds, as Python strings (from numpy or Arrow)."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return _text(values.filter(pa.array(mask)))
    return values[mask]


def _report_dates(
    issues: IssueLog,
    file_names,
    files: np.ndarray,
    lines: np.ndarray,
    values: np.ndarray,
    parsed: dates.DateRanges,
    column: str,
    what: str,
    action: str,
) -> None:
    """Report partial and invalid dates of the rows the rules read, once per row."""
    if len(files) == 0:
        return
    for status, code, problem, act in (
        (
            "partial",
            "PARTIAL_DATE",
            f"{what} is partial (month or day unknown)",
            "kept as a range of possible dates; a rule that the range cannot decide goes to hand review",
        ),
        ("invalid", "INVALID_DATE", f"{what} is not a valid YYYYMMDD date", action),
        ("missing", "MISSING_DATE", f"{what} is empty", action),
    ):
        hit = parsed.status == status
        if hit.any():
            _report_rows(issues, file_names, files, lines, hit, column, code, problem, act, _pick(values, hit))


def _report_rows(
    issues: IssueLog,
    file_names,
    files: np.ndarray,
    lines: np.ndarray,
    flagged: np.ndarray,
    column: str,
    code: str,
    problem: str,
    action: str,
    shown: np.ndarray,
) -> None:
    """One data issue per input file for the ``flagged`` rows (a boolean per row of ``files``).

    ``shown`` holds the value to show for each flagged row only, in row order: it is worked out for
    the few rows with a problem, never for all of them.
    """
    flagged_files, flagged_lines = files[flagged], lines[flagged]
    shown = np.asarray(shown, dtype=object)
    for f in np.unique(flagged_files):
        sel = flagged_files == f
        issues.add(file_names[int(f)], flagged_lines[sel], column, code, problem, action, shown[sel])


#: The columns of every conviction row the engine reads (sentence parts, dates, case steps).
CONVICTION_ROW_COLUMNS = [
    "SUBJECT_ID",
    "CNT_ORDER",
    "STP_EVENT_DATE",
    "SENT_LOC_DESCR",
    "SENT_LENGTH",
    "SENT_TIME_CODE",
    "_file",
    "_line",
]
#: The columns read from the first row of each convicted count only.
COUNT_COLUMNS = [
    "SUBJECT_ID",
    "STP_EVENT_DATE",
    "STP_ORI_DESCR",
    "STP_ORI_CNTY_NAME",
    "OFFENSE_DESCR",
    "OFFENSE_TOC",
    "CONV_STAT_DESCR",
    "COMMENT_TEXT",
    "CYC_AGE",
    "CYC_DATE",
    "_file",
    "_line",
]


@dataclass
class _Origin:
    """Where each of a set of rows came from (input file number and line), to report their problems."""

    file_names: list[str]
    issues: IssueLog
    files: np.ndarray
    lines: np.ndarray

    @classmethod
    def of(cls, table: pa.Table, file_names, issues: IssueLog) -> _Origin:
        return cls(file_names, issues, table["_file"].to_numpy(), table["_line"].to_numpy())

    def report(self, flagged: np.ndarray, column: str, code: str, problem: str, action: str, shown) -> None:
        """One data issue per input file for the ``flagged`` rows (see :func:`_report_rows`)."""
        _report_rows(
            self.issues, self.file_names, self.files, self.lines, flagged, column, code, problem, action, shown
        )

    def report_dates(self, values, parsed: dates.DateRanges, column: str, what: str, action: str) -> None:
        _report_dates(self.issues, self.file_names, self.files, self.lines, values, parsed, column, what, action)


def _convictions(
    conv: pa.Table,
    count_rows: pa.Table,
    at: np.ndarray,
    file_names,
    issues: IssueLog,
    lists: dict[str, OffenseList],
    reading: ReadingRules | None = None,
    evaluated: str | None = None,
) -> pd.DataFrame:
    """One row per convicted count, with the sum of its sentence parts.

    ``conv`` holds the :data:`CONVICTION_ROW_COLUMNS` of every row with a CONVICTED disposition
    (Arrow); row ``i`` of ``conv`` is row ``at[i]`` of ``count_rows``, which holds the
    :data:`COUNT_COLUMNS` of every row. Those are read for the first row of each count only, so
    the long text (offense, comment) is copied once per count, not once per sentence part (and by
    a filter, which copies piece by piece, where a take would first join the pieces of the whole
    column). The string work is done in Arrow; only the first row of each count is turned into
    Python values.

    The steps: which count each row belongs to (:func:`_count_keys`), the sentence of each count
    (:func:`_sentences`), the first row of each count (:func:`_first_rows`), its charge, read once
    per distinct text (:func:`_charges`), its dates (:func:`_count_dates`), its level
    (:func:`_levels`), its court case and count number (:func:`_cases`), and whether it is on each
    offense list (:func:`_add_list_flags`).
    """
    rows = _Origin.of(conv, file_names, issues)
    cnt, well_formed, row_key = _count_keys(conv, rows)
    # One hash pass groups the rows into counts; sums, flags and texts per count are then numpy
    # and Arrow array work (three separate hash aggregations cost a third of a second per million rows).
    count_of, first_idx = _group_rows(row_key)
    days, sentence = _sentences(conv, count_of, len(first_idx), rows)
    first = _first_rows(count_rows, at, first_idx)
    counts = _Origin.of(first, file_names, issues)
    key = _text(row_key.take(first_idx))
    wf_first = well_formed[first_idx]
    charge = _charges(first, counts, lists, reading, evaluated)
    when = _count_dates(first, counts)
    level, level_conflict, unknown_level = _levels(first, conv, count_of, counts, rows)
    case_key, count, step_doubt = _cases(first, cnt.take(first_idx), wf_first, key, conv, count_of, rows)
    problems = np.where(wf_first, "", "BAD_CNT_ORDER").astype(object)
    for flag, code in (
        (unknown_level, "UNKNOWN_LEVEL"),
        (np.isnan(days), "BAD_SENTENCE"),
        (when.conviction.status != "ok", "CONVICTION_DATE"),
        (charge.unresolved, UNRESOLVED_CODE),
    ):
        at_flag = np.flatnonzero(flag)
        problems[at_flag] = [f"{p} {code}" if p else code for p in problems[at_flag]]

    out = _frame(
        {
            "conviction_id": key,
            "person_id": _text(first["SUBJECT_ID"]),
            "cnt_order": cnt.take(first_idx),
            "case_key": case_key,
            "count": count,
            "county": _text(_trim_upper(first["STP_ORI_CNTY_NAME"])),
            "court": pc.utf8_trim_whitespace(first["STP_ORI_DESCR"]),
            "offense": charge.offense,
            "comment": charge.comment,
            "code_section": charge.per_count("code_section"),
            "number": charge.per_count("number"),
            "subsection": charge.per_count("subsection"),
            "code": charge.per_count("code"),
            "attempt": charge.per_count("attempt", bool),
            "second_number": charge.per_count("second_number"),
            "second_subsection": charge.per_count("second_subsection"),
            "section_readable": charge.per_count("readable", bool),
            "evaluated_sections": charge.evaluated_sections,
            "section_unresolved": charge.unresolved,
            "named_sections": charge.named,
            "level": level,
            "level_conflict": level_conflict,
            "conv_lo": when.conviction.earliest,
            "conv_hi": when.conviction.latest,
            "conviction_date_status": when.conviction.status,
            "conviction_date_recorded": when.conviction_text,
            "arrest_lo": when.arrest_lo,
            "arrest_hi": when.arrest_hi,
            "arrest_date_status": when.arrest_status,
            "cycle_age": pc.utf8_trim_whitespace(first["CYC_AGE"]),
            "step_dates_differ": step_doubt,
            "sentence_days": days,
            "sentence": sentence,
            "data_problems": problems,
            "source_file": counts.files,
            "source_line": counts.lines,
        }
    )
    _add_list_flags(out, lists, charge.unique_parsed, charge.codes, case_key)
    return out


def _count_keys(conv: pa.Table, rows: _Origin) -> tuple[pa.ChunkedArray, np.ndarray, pa.ChunkedArray]:
    """Each conviction row's trimmed ``CNT_ORDER``, whether it is well formed, and its count's key.

    A count's key is its person and ``CNT_ORDER``; a row whose ``CNT_ORDER`` is malformed is reported
    and made its own count (keyed by its file and line), never merged with a neighbour.
    """
    cnt = pc.utf8_trim_whitespace(conv["CNT_ORDER"])
    well_formed = pc.match_substring_regex(cnt, f"^[0-9]{{{CNT_ORDER_DIGITS}}}$")
    bad = ~well_formed.to_numpy(zero_copy_only=False)
    if bad.any():
        rows.report(
            bad,
            "CNT_ORDER",
            "BAD_CNT_ORDER",
            f"CNT_ORDER is not {CNT_ORDER_DIGITS} digits, so the count and its court case are unknown",
            "conviction kept on its own, without case numbers; sent to hand review",
            _text(cnt.filter(pa.array(bad))),
        )
    row_ref = pc.binary_join_element_wise(
        pa.scalar("L"), pc.cast(conv["_file"], pa.string()), pa.scalar("."), pc.cast(conv["_line"], pa.string()), ""
    )
    row_key = pc.binary_join_element_wise(conv["SUBJECT_ID"], pc.if_else(well_formed, cnt, row_ref), ":")
    return cnt, ~bad, row_key


def _sentences(conv: pa.Table, count_of: np.ndarray, n_counts: int, rows: _Origin) -> tuple[np.ndarray, pa.Array]:
    """Per count: its sentence in days (NaN when a part is unreadable) and its parts as written.

    Every row of a count contributes one part (length and unit, D/M/Y, and the place). The parts
    are summed, and joined in file order ("3Y PRISON; 90D JAIL").
    """
    length_text = pc.utf8_trim_whitespace(conv["SENT_LENGTH"])
    unit = _trim_upper(conv["SENT_TIME_CODE"])
    length_ok = pc.match_substring_regex(length_text, r"^[0-9]+$")
    length = pc.cast(pc.if_else(length_ok, length_text, "0"), pa.float64()).to_numpy()
    unit_pos = pc.index_in(unit, value_set=pa.array(list(UNIT_DAYS))).to_numpy(zero_copy_only=False)
    unit_days = np.where(
        np.isnan(unit_pos),
        np.nan,
        np.array(list(UNIT_DAYS.values()) + [np.nan])[np.nan_to_num(unit_pos, nan=3).astype(int)],
    )
    no_part = pc.and_(pc.equal(length_text, ""), pc.equal(unit, "")).to_numpy(zero_copy_only=False)
    length_ok_np = length_ok.to_numpy(zero_copy_only=False)
    part_days = np.where(no_part, 0.0, np.where(length_ok_np, length * unit_days, np.nan))
    bad_part = ~no_part & np.isnan(part_days)
    if bad_part.any():
        rows.report(
            bad_part,
            "SENT_LENGTH",
            "BAD_SENTENCE",
            "sentence length or unit is not readable (expected digits and D, M or Y)",
            "sentence treated as unknown; whether it is still running goes to hand review",
            _text(pc.binary_join_element_wise(length_text, unit, " ").filter(pa.array(bad_part))),
        )
    loc = pc.utf8_trim_whitespace(conv["SENT_LOC_DESCR"])
    part_text = pc.utf8_trim_whitespace(
        pc.binary_join_element_wise(pc.binary_join_element_wise(length_text, unit, ""), loc, " ")
    )
    days = np.bincount(count_of, weights=np.nan_to_num(part_days), minlength=n_counts)
    days[np.bincount(count_of, weights=bad_part, minlength=n_counts) > 0] = np.nan
    # Every part that is summed, in file order, joined per count.
    with_text = np.flatnonzero(pc.not_equal(part_text, "").to_numpy(zero_copy_only=False))
    return days, _join_per_group(_flat_text(part_text), count_of, n_counts, with_text)


def _first_rows(count_rows: pa.Table, at: np.ndarray, first_idx: np.ndarray) -> pa.Table:
    """The :data:`COUNT_COLUMNS` of the first row of each count, in count order.

    The first rows are in file order (groups are numbered by first appearance), so a filter keeps
    them in the order of ``first_idx``.
    """
    is_first = np.zeros(count_rows.num_rows, dtype=bool)
    is_first[at[first_idx]] = True
    return count_rows.filter(pa.array(is_first))


@dataclass
class _Charges:
    """What each count's charge says, read once per distinct (offense, comment) text."""

    offense: pa.ChunkedArray  # trimmed, per count
    comment: pa.ChunkedArray
    unique_parsed: pd.DataFrame  # parse_code_sections of each distinct text
    codes: np.ndarray  # each count's row of unique_parsed
    evaluated_sections: np.ndarray  # per count: 0, 1 or 2 sections on the evaluated list
    unresolved: np.ndarray  # per count: names an evaluated section that cannot be read
    named: np.ndarray  # per count: the evaluated numbers an unresolved charge names

    def per_count(self, column: str, dtype=object) -> np.ndarray:
        """One column of ``unique_parsed`` spread back to the counts.

        Taken column by column, as numpy arrays: the distinct texts' values are made once and each
        count points at its text's (a DataFrame take of every column made them again per count).
        """
        return self.unique_parsed[column].to_numpy(dtype=dtype)[self.codes]


def _charges(
    first: pa.Table, counts: _Origin, lists: dict[str, OffenseList], reading: ReadingRules | None, evaluated: str | None
) -> _Charges:
    """Parse each count's charge, and report those naming an evaluated section that cannot be read.

    Offense texts repeat a great deal (a few thousand distinct values per million rows): each
    distinct (offense, comment) pair is parsed and matched once, and the results spread back.
    """
    offense = pc.utf8_trim_whitespace(first["OFFENSE_DESCR"])
    comment = pc.utf8_trim_whitespace(first["COMMENT_TEXT"])
    pair = pc.dictionary_encode(pc.binary_join_element_wise(offense, comment, "\x1f")).combine_chunks()
    codes = pair.indices.to_numpy(zero_copy_only=False)
    _, first_pos = np.unique(codes, return_index=True)
    unique_offense = pd.Series(_rows_at(offense, first_pos), dtype=object)
    unique_comment = pd.Series(_rows_at(comment, first_pos), dtype=object)
    unique_parsed = parse_code_sections(unique_offense, unique_comment, reading)
    info = _evaluated_sections(
        unique_parsed, unique_offense, unique_comment, lists.get(evaluated) if evaluated else None
    )
    # np.unique sorts by code, so unique_parsed row i describes dictionary entry i.
    unresolved = info["unresolved"].to_numpy(dtype=bool)[codes]
    named = info["named"].to_numpy(dtype=object)[codes]
    _report_unresolved(
        counts.issues, counts.file_names, counts.files, counts.lines, unresolved, named, offense, comment
    )
    return _Charges(
        offense=offense,
        comment=comment,
        unique_parsed=unique_parsed,
        codes=codes,
        evaluated_sections=info["sections"].to_numpy(dtype=np.int8)[codes],
        unresolved=unresolved,
        named=named,
    )


@dataclass
class _CountDates:
    conviction: dates.DateRanges
    conviction_text: pa.ChunkedArray  # as recorded (trimmed)
    arrest_lo: np.ndarray  # unknown (NaT) when the arrest is recorded after the conviction
    arrest_hi: np.ndarray
    arrest_status: np.ndarray


def _count_dates(first: pa.Table, counts: _Origin) -> _CountDates:
    """Each count's conviction date and arrest (cycle) date, as ranges, with their problems reported.

    The cycle (arrest) date is the evidence of the offense date (HS 11361.8 looks at the conduct);
    one recorded after the conviction is reported and made unknown (``blueprint.engine.contradictions``).
    """
    date_text = pc.utf8_trim_whitespace(first["STP_EVENT_DATE"])
    conv_date = dates.parse_dates(date_text)
    counts.report_dates(
        date_text,
        conv_date,
        "STP_EVENT_DATE",
        "conviction date",
        "conviction kept with an unknown date; rules that need it send it to hand review",
    )
    arrest_text = pc.utf8_trim_whitespace(first["CYC_DATE"])
    arrest = dates.parse_dates(arrest_text)
    counts.report_dates(
        arrest_text,
        arrest,
        "CYC_DATE",
        "arrest (cycle) date",
        "offense date unknown: only the conviction date bounds it, so a rule that needs the offense "
        "date goes to hand review unless the conviction date decides it",
    )
    arrest_lo, arrest_hi = arrest.earliest.copy(), arrest.latest.copy()
    late = arrest_after_conviction(
        arrest_lo, conv_date.latest, arrest_text, counts.files, counts.lines, counts.file_names, counts.issues
    )
    arrest_lo[late] = NAT
    arrest_hi[late] = NAT
    return _CountDates(
        conviction=conv_date,
        conviction_text=date_text,
        arrest_lo=arrest_lo,
        arrest_hi=arrest_hi,
        arrest_status=np.where(late, "after conviction", arrest.status).astype(object),
    )


def _levels(
    first: pa.Table, conv: pa.Table, count_of: np.ndarray, counts: _Origin, rows: _Origin
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each count's level (felony, misdemeanor, infraction or unknown), whether it conflicts with a
    state-prison term, and whether the record left it unknown.

    Level ``FELONY``/``MISDEMEANOR``/``INFRACTION``, or for a blank level the type of charge
    (``OFFENSE_TOC`` F, M or I). A misdemeanor or infraction with a state-prison term has a
    doubtful level (``blueprint.engine.contradictions``): it is reported and made unknown.
    """
    level_text = _text(_trim_upper(first["CONV_STAT_DESCR"]))
    toc = _text(_trim_upper(first["OFFENSE_TOC"]))
    level = np.full(first.num_rows, "unknown", dtype=object)
    for word, name in (("FELONY", "felony"), ("MISDEMEANOR", "misdemeanor"), ("INFRACTION", "infraction")):
        level[level_text == word] = name
    for letter, name in (("F", "felony"), ("M", "misdemeanor"), ("I", "infraction")):
        level[(level_text == "") & (toc == letter)] = name
    unknown_level = level == "unknown"
    if unknown_level.any():
        counts.report(
            unknown_level,
            "CONV_STAT_DESCR",
            "UNKNOWN_LEVEL",
            "level of the conviction is not FELONY, MISDEMEANOR or INFRACTION, and OFFENSE_TOC does not decide it",
            "level treated as unknown; the conviction goes to hand review",
            (
                pd.Series(level_text[unknown_level], dtype=object)
                + " / TOC "
                + pd.Series(toc[unknown_level], dtype=object)
            ).to_numpy(),
        )
    level_conflict = prison_on_lesser_level(
        level, count_of, conv["SENT_LOC_DESCR"], level_text, rows.files, rows.lines, rows.file_names, rows.issues
    )
    level[level_conflict] = "unknown"
    return level, level_conflict, unknown_level


def _cases(
    first: pa.Table,
    cnt_first: pa.ChunkedArray,
    wf_first: np.ndarray,
    key: np.ndarray,
    conv: pa.Table,
    count_of: np.ndarray,
    rows: _Origin,
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Each count's court case key, its count number, and whether its court step's dates differ.

    The case is the person and the first six digits of ``CNT_ORDER``; a count with a malformed
    ``CNT_ORDER`` is its own case (its key). The count number drops leading zeros ("001" -> "1",
    "000" -> "0") and is blank when malformed. A court step whose conviction rows disagree on the
    date may be two cases (``blueprint.engine.contradictions``).
    """
    step_key = pc.dictionary_encode(
        _flat_text(pc.binary_join_element_wise(first["SUBJECT_ID"], pc.utf8_slice_codeunits(cnt_first, 0, 6), ":"))
    )
    case_key = np.where(wf_first, _text(step_key.dictionary.take(step_key.indices)), key)
    step_of_count = np.where(wf_first, step_key.indices.to_numpy(zero_copy_only=False), -1)
    step_doubt = step_dates_differ(
        step_of_count, count_of, conv["STP_EVENT_DATE"], rows.files, rows.lines, rows.file_names, rows.issues
    )
    count_digits = pc.utf8_slice_codeunits(cnt_first, 6, 9)
    count_text = pc.utf8_ltrim(count_digits, characters="0")
    count_text = pc.if_else(pc.and_(pc.equal(count_text, ""), pc.not_equal(count_digits, "")), "0", count_text)
    return case_key, pc.if_else(pa.array(wf_first), count_text, ""), step_doubt


def _add_list_flags(
    out: pd.DataFrame,
    lists: dict[str, OffenseList],
    unique_parsed: pd.DataFrame,
    codes: np.ndarray,
    case_key: np.ndarray,
) -> None:
    """Add ``on_<list>`` (and for :data:`POSSIBLE_LISTS` ``maybe_<list>``) to the convictions.

    Entries that count only with a companion section in the same court case (PC 136.1 with a
    PC 186.22(b)(4) gang enhancement) are decided per case here, where the case key is known.
    Each distinct offense text is matched twice: without the companion (entries that need one never
    match) and as if the case had it. A row is on the list if the first holds, or the second holds
    and its case really has the companion.

    The lists look only at how a charge's sections were read, and the few thousand distinct texts of
    a large run (their comments differ) read as a few hundred distinct sections: each distinct
    reading is matched once (:func:`_distinct_readings`).
    """
    unique_parsed, reading_of = _distinct_readings(unique_parsed)
    codes = reading_of[codes]
    for name, offense_list in lists.items():
        unique_on = offense_list.matches(unique_parsed).to_numpy(dtype=bool)
        on_list = unique_on[codes]
        if offense_list.companion is not None:
            companion = offense_list.companion_matches(unique_parsed).to_numpy(dtype=bool)[codes]
            if companion.any():
                cases_with_companion = pd.unique(case_key[companion])
                same_case = pd.Series(case_key).isin(cases_with_companion).to_numpy()
                present = pd.Series(True, index=unique_parsed.index)
                with_companion = offense_list.matches(unique_parsed, same_case_has=present).to_numpy(dtype=bool)[codes]
                on_list = on_list | (same_case & with_companion)
        out[f"on_{name}"] = on_list
        # A section the list names only in some subdivisions, recorded without one (245 PC for
        # 245(d)(3)): possibly on the list (companions as above).
        if name not in POSSIBLE_LISTS:
            continue
        maybe = offense_list.possible_matches(unique_parsed, matched=unique_on).to_numpy(dtype=bool)[codes]
        if offense_list.companion is not None and offense_list.companion_matches(unique_parsed).any():
            present = pd.Series(True, index=unique_parsed.index)
            with_companion = offense_list.possible_matches(unique_parsed, same_case_has=present).to_numpy(dtype=bool)[
                codes
            ]
            cases_with_companion = pd.unique(
                case_key[offense_list.companion_matches(unique_parsed).to_numpy(dtype=bool)[codes]]
            )
            maybe = maybe | (pd.Series(case_key).isin(cases_with_companion).to_numpy() & with_companion)
        out[f"maybe_{name}"] = maybe & ~on_list


def _distinct_readings(parsed: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct rows of ``parsed`` (section readings), in order of first appearance, and for each
    row of ``parsed`` the position of its distinct row."""
    if len(parsed) == 0:
        return parsed.reset_index(drop=True), np.zeros(0, dtype=np.int64)
    keys = pd.Series(list(zip(*(parsed[c].to_numpy(dtype=object) for c in parsed.columns))), dtype=object)
    reading_of, _ = pd.factorize(keys)
    _, first = np.unique(reading_of, return_index=True)  # factorize numbers them by first appearance
    return parsed.iloc[first].reset_index(drop=True), reading_of


#: The lists whose *possible* matches (a section recorded without the subdivision the list needs)
#: the rules weigh: the priors of HS 11358(d)(1), 11359(c)(1), 11360(a)(3)(A).
POSSIBLE_LISTS = ("super_strikes", "pc290")

#: Data-issue and data-problem code of a conviction whose charge names an evaluated (cannabis)
#: section that cannot be read.
UNRESOLVED_CODE = "CANNABIS_SECTION_UNREADABLE"


def _evaluated_sections(
    parsed: pd.DataFrame, offense: pd.Series, comment: pd.Series, evaluated: OffenseList | None
) -> pd.DataFrame:
    """Per distinct charge: how many of its sections are on the evaluated list, and whether it names
    an evaluated section the reader could not resolve.

    A line naming the evaluated section second (``11364/11357 HS``) gets its two sections swapped in
    ``parsed`` (in place), so the conviction's ``number`` is the evaluated one; the line stays one
    conviction. A charge is *unresolved* when none of its sections is on the list but the charge
    itself names one of the list's numbers (``HS 11359-POSS``, ``11357 PC-...``, ``11357POSSESS``,
    an unreadable description whose comment names 11357): it must be reviewed, not dropped.
    Columns: ``sections`` (0, 1 or 2), ``unresolved`` (bool), ``named`` (the numbers named, str).
    """
    n = len(parsed)
    if evaluated is None or n == 0:
        return pd.DataFrame(
            {"sections": np.zeros(n, np.int8), "unresolved": np.zeros(n, bool), "named": np.full(n, "", dtype=object)},
            index=parsed.index,
        )
    first, second = evaluated.section_hits(parsed)
    swap = second & ~first
    if swap.any():
        pairs = (
            ("number", "second_number"),
            ("subsection", "second_subsection"),
            ("code", "second_code"),
            ("attempt", "second_attempt"),
        )
        for a, b in pairs:
            left, right = parsed[a].to_numpy().copy(), parsed[b].to_numpy().copy()
            parsed[a] = np.where(swap, right, left)
            parsed[b] = np.where(swap, left, right)
    named = named_sections(parsed, offense, comment, evaluated.numbers).to_numpy(dtype=object)
    on_list = first | second
    return pd.DataFrame(
        {
            "sections": first.astype(np.int8) + second.astype(np.int8),
            "unresolved": ~on_list & (named != ""),
            "named": np.where(on_list, "", named),
        },
        index=parsed.index,
    )


def _report_unresolved(
    issues: IssueLog,
    file_names,
    files: np.ndarray,
    lines: np.ndarray,
    unresolved: np.ndarray,
    named: np.ndarray,
    offense: pa.ChunkedArray,
    comment: pa.ChunkedArray,
) -> None:
    """One data issue per conviction whose charge names a cannabis section that cannot be read.

    The issue names the column the charge was read from (``COMMENT_TEXT`` when the description is
    blank or ``SEE COMMENT``) and shows the text; a comment that names the section next to an
    unreadable description is shown after it.
    """
    if not unresolved.any():
        return
    rows = np.flatnonzero(unresolved)
    offense_text = _rows_at(offense, rows)
    comment_text = _rows_at(comment, rows)
    in_comment = np.array([o == "" or o.upper().startswith("SEE COMMENT") for o in offense_text], dtype=bool)
    shown = np.where(
        in_comment,
        comment_text,
        np.where(comment_text == "", offense_text, offense_text + " | comment: " + comment_text),
    )
    column = np.where(in_comment, "COMMENT_TEXT", "OFFENSE_DESCR")
    named = named[rows]
    for key in pd.unique(pd.Series([f"{f}\x1f{c}\x1f{n}" for f, c, n in zip(files[rows], column, named)])):
        f, col, names = key.split("\x1f")
        pick = (files[rows] == int(f)) & (column == col) & (named == names)
        issues.add(
            file_names[int(f)],
            lines[rows][pick],
            col,
            UNRESOLVED_CODE,
            f"the charge names cannabis section {names}, but its code section could not be read",
            "kept as a possible cannabis conviction: in the run's county it is evaluated and sent to "
            "hand review; elsewhere it counts as a conviction whose section is unknown",
            shown[pick],
        )


def court_case_keys(court_rows: pa.Table) -> tuple:
    """Each court row's trimmed ``CNT_ORDER`` and its case key (``SUBJECT_ID:`` first six digits), for
    :func:`case_numbers` (worked out once per run when several look-ups follow)."""
    cnt = pc.utf8_trim_whitespace(court_rows["CNT_ORDER"])
    return cnt, pc.binary_join_element_wise(court_rows["SUBJECT_ID"], pc.utf8_slice_codeunits(cnt, 0, 6), ":")


def case_numbers(court_rows: pa.Table, case_keys: pd.Series, court_keys: tuple | None = None) -> pd.Series:
    """Court case number(s) of each case key, from its court rows (``OFN`` then ``FE_NUM_CRT_CASE``).

    Only well-formed 12-digit ``CNT_ORDER`` values name a case: a malformed one says nothing
    reliable about its case and is never sliced into one. ``NULL`` and blanks are not numbers.
    ``court_keys`` is :func:`court_case_keys` of the same rows, when already worked out.
    """
    if court_rows.num_rows == 0 or len(case_keys) == 0:
        return pd.Series("", index=case_keys.index)
    cnt, keys = court_keys if court_keys is not None else court_case_keys(court_rows)
    wanted_keys = pa.array(pd.unique(np.asarray(case_keys, dtype=object)), pa.string())
    # Rows of a wanted case first (a hash lookup), then the well-formed check on those rows only.
    in_case = pc.is_in(keys, value_set=wanted_keys)
    keys, cnt, court_rows = keys.filter(in_case), cnt.filter(in_case), court_rows.filter(in_case)
    wanted = pc.match_substring_regex(cnt, f"^[0-9]{{{CNT_ORDER_DIGITS}}}$")
    k = keys.filter(wanted)
    ofn = pc.utf8_trim_whitespace(court_rows["OFN"].filter(wanted))
    crt = pc.utf8_trim_whitespace(court_rows["FE_NUM_CRT_CASE"].filter(wanted))
    all_k = pa.concat_arrays([k.combine_chunks(), k.combine_chunks()]) if len(k) else pa.array([], pa.string())
    all_v = pa.concat_arrays([ofn.combine_chunks(), crt.combine_chunks()]) if len(k) else pa.array([], pa.string())
    real = pc.not_equal(pc.utf8_upper(all_v), "NULL")
    joined = join_by_key(all_k.filter(real), all_v.filter(real))
    return pd.Series(joined.reindex(np.asarray(case_keys, dtype=object)).fillna("").to_numpy(), index=case_keys.index)
