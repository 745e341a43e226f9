"""From DOJ rows to people and convictions, with the facts the rules read.

The derived facts follow the DOJ file's own structure (shared/domain/doj-research-file.md), with the
earlier tool's known defects fixed:

- A conviction is one count: the first row of each distinct ``CNT_ORDER`` (within a person) whose
  disposition starts with ``CONVICTED``. Later rows of the *same* count are extra sentence parts. A
  sentence part is attached by the count's own key, never by row position.
- A row whose ``CNT_ORDER`` is missing or malformed is still a conviction, but its case is unknown,
  so it is sent to hand review rather than merged with a neighbour.
- Felony: level ``FELONY``, or a blank level with type of charge ``F``. Any other level is unknown.
- Case numbers come from the court rows of the same court case (first 6 digits of ``CNT_ORDER``).
- Dates are ranges (``blueprint.dates``); a partial or invalid date never looks older than it is.
- Deceased: a ``DECEASED`` step. Sex-offender registration: a ``REGISTRATION`` step whose offense
  starts with ``290``; its date matters, and an unknown date makes "before this conviction" unknown
  rather than true.

Everything here is vectorised (pyarrow and pandas); nothing loops over rows in Python except over the
few thousand rows that carry a problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates
from .issues import IssueLog
from .offenses import OffenseList, parse_code_sections

NAT = dates.NAT
CNT_ORDER_DIGITS = 12

#: Sentence units in the DOJ file and their length in days. A month is the average Gregorian month
#: so that twelve months equal one year; the earlier tool's results agree to the day for whole years.
UNIT_DAYS = {"D": 1.0, "M": 365.2425 / 12, "Y": 365.2425}


@dataclass
class Records:
    """People and their convictions, ready for the rules.

    ``people``: one row per person (``person_id`` index). ``convictions``: one row per convicted
    count of every person (context included), with parsed sections and date ranges.
    """

    people: pd.DataFrame
    convictions: pd.DataFrame
    court_rows: pd.DataFrame  # case_key, case number values of court steps
    registrations: pd.DataFrame  # person_id, date ranges of PC 290 registration steps
    #: Per court case (``case_key`` index): whether any charge of the case, whatever its
    #: disposition, is on each context list (``on_<list>``), and whether any charge's section is
    #: unreadable (``unreadable``). Only for a rule pack's ``case_context_lists``; else empty.
    case_charges: pd.DataFrame | None = None


def _trim_upper(col: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.utf8_upper(pc.utf8_trim_whitespace(col))


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(split_blocks=True, self_destruct=False)


def _strip(s: pd.Series) -> pd.Series:
    return s.astype("str").str.strip()


def join_by_key(keys, values, sep: str = "; ") -> pd.Series:
    """Join the non-empty ``values`` of each key, in input order, de-duplicated: ``{key: "a; b"}``.

    Done in Arrow (hash aggregation into lists, then a list join) because a pandas groupby with a
    Python join costs seconds on a few hundred thousand rows.
    """
    table = pa.table({"k": pa.array(np.asarray(keys, dtype=object), pa.string()),
                      "v": pa.array(np.asarray(values, dtype=object), pa.string())})
    table = table.filter(pc.not_equal(table["v"], ""))
    if table.num_rows == 0:
        return pd.Series(dtype=object)
    grouped = table.group_by("k", use_threads=False).aggregate([("v", "distinct", pc.CountOptions(mode="only_valid"))])
    joined = pc.binary_join(grouped["v_distinct"], sep)
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=grouped["k"].to_numpy(zero_copy_only=False))


def build_records(rows: pa.Table, file_names: list[str], issues: IssueLog, lists: dict[str, OffenseList],
                  context_lists: tuple[str, ...] = ()) -> Records:
    """Derive people and convictions from the rows of one run (or one shard of whole people).

    ``context_lists`` names offense lists to check against every charge of each court case (any
    disposition, not only convictions), for rules such as "not associated with a violent crime".
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
    deceased_ids = set(pc.unique(rows["SUBJECT_ID"].filter(is_deceased)).to_pylist())
    people["deceased"] = people.index.isin(deceased_ids)

    reg = _to_pandas(rows.select(["SUBJECT_ID", "STP_EVENT_DATE", "_file", "_line"]).filter(is_registration))
    reg_dates = dates.parse_dates(reg["STP_EVENT_DATE"])
    registrations = pd.DataFrame(
        {"person_id": reg["SUBJECT_ID"].to_numpy(), "lo": reg_dates.earliest, "hi": reg_dates.latest}
    )
    _report_dates(issues, file_names, reg, reg_dates, "STP_EVENT_DATE", "registration date",
                  "registration kept with an unknown date; convictions it could precede go to hand review")
    people["pc290_registration"] = people.index.isin(set(registrations["person_id"]))

    court = rows.select(["SUBJECT_ID", "CNT_ORDER", "OFN", "FE_NUM_CRT_CASE"]).filter(is_court)
    court_rows = _to_pandas(court)

    conv_rows = _to_pandas(
        rows.select(
            [
                "SUBJECT_ID", "CNT_ORDER", "STP_EVENT_DATE", "STP_ORI_DESCR", "STP_ORI_CNTY_NAME",
                "OFFENSE_DESCR", "OFFENSE_TOC", "CONV_STAT_DESCR", "SENT_LOC_DESCR", "SENT_LENGTH",
                "SENT_TIME_CODE", "COMMENT_TEXT", "CYC_AGE", "_file", "_line",
            ]
        ).filter(is_conviction)
    )
    convictions = _convictions(conv_rows, file_names, issues, lists)
    case_charges = None
    if context_lists:
        charges = _to_pandas(rows.select(["SUBJECT_ID", "CNT_ORDER", "OFFENSE_DESCR", "COMMENT_TEXT"]).filter(is_court))
        case_charges = _case_charges(charges, {name: lists[name] for name in context_lists})
    return Records(people=people, convictions=convictions, court_rows=court_rows, registrations=registrations,
                   case_charges=case_charges)


def _case_charges(charges: pd.DataFrame, lists: dict[str, OffenseList]) -> pd.DataFrame:
    """Per court case: any charge on each list, and any charge whose section cannot be read."""
    cnt = _strip(charges["CNT_ORDER"]).to_numpy(dtype=object)
    well_formed = np.array([len(c) == CNT_ORDER_DIGITS and c.isdigit() for c in cnt], dtype=bool)
    charges = charges[well_formed]
    case_key = charges["SUBJECT_ID"].to_numpy().astype(object) + ":" + np.array([c[:6] for c in cnt[well_formed]], dtype=object)
    pair = charges["OFFENSE_DESCR"].astype(str) + "\x1f" + charges["COMMENT_TEXT"].astype(str)
    codes, _ = pd.factorize(pair.to_numpy(dtype=object))
    _, first_pos = np.unique(codes, return_index=True)
    parsed = parse_code_sections(charges["OFFENSE_DESCR"].iloc[first_pos].reset_index(drop=True),
                                 charges["COMMENT_TEXT"].iloc[first_pos].reset_index(drop=True))
    flags = {f"on_{name}": offense_list.matches(parsed).to_numpy(dtype=bool)[codes] for name, offense_list in lists.items()}
    flags["unreadable"] = ~parsed["readable"].to_numpy(dtype=bool)[codes]
    frame = pd.DataFrame(flags)
    frame["case_key"] = case_key
    return frame.groupby("case_key", sort=False).any()


def _people(rows: pa.Table, file_names: list[str], issues: IssueLog) -> pd.DataFrame:
    """One row per person: the first row of a subject is authoritative for identity and demographics."""
    ident = _to_pandas(
        rows.select(["SUBJECT_ID", "CII_NUMBER", "PRI_NAME", "GENDER", "PRI_DOB", "RACE_DESCR", "_file", "_line"])
    )
    first_mask = ~ident["SUBJECT_ID"].duplicated(keep="first")
    first = ident[first_mask]
    # Other names used on the record (for court documents: "and other names used").
    names = ident["PRI_NAME"].str.strip()
    first_name = names[first_mask].set_axis(first["SUBJECT_ID"].to_numpy())
    differs = names.to_numpy() != first_name.reindex(ident["SUBJECT_ID"].to_numpy()).to_numpy()
    differs &= names.to_numpy() != ""
    other = join_by_key(ident["SUBJECT_ID"].to_numpy()[differs], names.to_numpy()[differs])
    dob = dates.parse_dates(first["PRI_DOB"])
    _report_dates(issues, file_names, first, dob, "PRI_DOB", "date of birth",
                  "age treated as unknown; rules that need it send the conviction to hand review")
    people = pd.DataFrame(
        {
            "cii_number": _strip(first["CII_NUMBER"]).to_numpy(),
            "name": names[first_mask].to_numpy(),
            "gender": _strip(first["GENDER"]).str.upper().to_numpy(),
            "race": _strip(first["RACE_DESCR"]).str.upper().to_numpy(),
            "date_of_birth_recorded": _strip(first["PRI_DOB"]).to_numpy(),
            "dob_lo": dob.earliest,
            "dob_hi": dob.latest,
            "dob_status": dob.status,
        },
        index=pd.Index(first["SUBJECT_ID"].to_numpy(), name="person_id"),
    )
    people["other_names"] = other.reindex(people.index).fillna("").to_numpy()
    return people


def _report_dates(issues: IssueLog, file_names, frame: pd.DataFrame, parsed: dates.DateRanges,
                  column: str, what: str, action: str) -> None:
    """Report partial and invalid dates of the rows the rules read, once per row."""
    if len(frame) == 0:
        return
    files = frame["_file"].to_numpy()
    lines = frame["_line"].to_numpy()
    values = frame[column].to_numpy()
    for status, code, problem, act in (
        ("partial", "PARTIAL_DATE", f"{what} is partial (month or day unknown)",
         "kept as a range of possible dates; a rule that the range cannot decide goes to hand review"),
        ("invalid", "INVALID_DATE", f"{what} is not a valid YYYYMMDD date", action),
        ("missing", "MISSING_DATE", f"{what} is empty", action),
    ):
        hit = parsed.status == status
        if not hit.any():
            continue
        for f in np.unique(files[hit]):
            sel = hit & (files == f)
            issues.add(file_names[int(f)], lines[sel], column, code, problem, act, values[sel])


def _convictions(conv_rows: pd.DataFrame, file_names, issues: IssueLog, lists: dict[str, OffenseList]) -> pd.DataFrame:
    """One row per convicted count, with the sum of its sentence parts."""
    person = conv_rows["SUBJECT_ID"].to_numpy()
    cnt = _strip(conv_rows["CNT_ORDER"]).to_numpy(dtype=object)
    well_formed = np.array([len(c) == CNT_ORDER_DIGITS and c.isdigit() for c in cnt], dtype=bool)
    files = conv_rows["_file"].to_numpy()
    lines = conv_rows["_line"].to_numpy()
    bad = ~well_formed
    if bad.any():
        for f in np.unique(files[bad]):
            sel = bad & (files == f)
            issues.add(file_names[int(f)], lines[sel], "CNT_ORDER", "BAD_CNT_ORDER",
                       f"CNT_ORDER is not {CNT_ORDER_DIGITS} digits, so the count and its court case are unknown",
                       "conviction kept on its own, without case numbers; sent to hand review",
                       cnt[sel])
    row_key = np.where(
        well_formed,
        person.astype(object) + ":" + cnt,
        person.astype(object) + ":L" + files.astype(str).astype(object) + "." + lines.astype(str).astype(object),
    )
    conv_rows = conv_rows.assign(_key=row_key)

    # Sentence parts: every row of a count contributes one part.
    length_text = _strip(conv_rows["SENT_LENGTH"]).to_numpy(dtype=object)
    unit = _strip(conv_rows["SENT_TIME_CODE"]).str.upper().to_numpy(dtype=object)
    length = pd.to_numeric(pd.Series(length_text), errors="coerce").to_numpy()
    unit_days = pd.Series(unit).map(UNIT_DAYS).to_numpy(dtype=float)
    no_part = (length_text == "") & (unit == "")
    part_days = np.where(no_part, 0.0, length * unit_days)  # NaN when either is unreadable
    bad_part = ~no_part & np.isnan(part_days)
    if bad_part.any():
        for f in np.unique(files[bad_part]):
            sel = bad_part & (files == f)
            issues.add(file_names[int(f)], lines[sel], "SENT_LENGTH", "BAD_SENTENCE",
                       "sentence length or unit is not readable (expected digits and D, M or Y)",
                       "sentence treated as unknown; whether it is still running goes to hand review",
                       (pd.Series(length_text[sel]) + " " + pd.Series(unit[sel])).to_numpy())
    sentence_days = pd.Series(part_days).groupby(row_key, sort=False).sum(min_count=1)
    has_bad_part = pd.Series(bad_part).groupby(row_key, sort=False).any()
    sentence_days[has_bad_part.reindex(sentence_days.index).to_numpy()] = np.nan

    first_mask = ~pd.Series(row_key).duplicated(keep="first").to_numpy()
    first = conv_rows[first_mask].reset_index(drop=True)
    key = first["_key"].to_numpy()
    cnt_first = cnt[first_mask]
    wf_first = well_formed[first_mask]

    # Offense texts repeat a great deal (a few thousand distinct values per million rows): parse and
    # match each distinct (offense, comment) pair once, then spread the results back to the rows.
    pair = first["OFFENSE_DESCR"].astype(str) + "\x1f" + first["COMMENT_TEXT"].astype(str)
    codes, uniques = pd.factorize(pair.to_numpy(dtype=object))
    _, first_pos = np.unique(codes, return_index=True)
    unique_parsed = parse_code_sections(
        first["OFFENSE_DESCR"].iloc[first_pos].reset_index(drop=True),
        first["COMMENT_TEXT"].iloc[first_pos].reset_index(drop=True),
    )
    parsed = unique_parsed.iloc[codes].reset_index(drop=True)
    conv_date = dates.parse_dates(first["STP_EVENT_DATE"])
    _report_dates(issues, file_names, first, conv_date, "STP_EVENT_DATE", "conviction date",
                  "conviction kept with an unknown date; rules that need it send it to hand review")

    level_text = _strip(first["CONV_STAT_DESCR"]).str.upper().to_numpy(dtype=object)
    toc = _strip(first["OFFENSE_TOC"]).str.upper().to_numpy(dtype=object)
    level = np.full(len(first), "unknown", dtype=object)
    for word, name in (("FELONY", "felony"), ("MISDEMEANOR", "misdemeanor"), ("INFRACTION", "infraction")):
        level[level_text == word] = name
    for letter, name in (("F", "felony"), ("M", "misdemeanor"), ("I", "infraction")):
        level[(level_text == "") & (toc == letter)] = name
    unknown_level = level == "unknown"
    if unknown_level.any():
        ffirst = first["_file"].to_numpy()
        lfirst = first["_line"].to_numpy()
        for f in np.unique(ffirst[unknown_level]):
            sel = unknown_level & (ffirst == f)
            issues.add(file_names[int(f)], lfirst[sel], "CONV_STAT_DESCR", "UNKNOWN_LEVEL",
                       "level of the conviction is not FELONY, MISDEMEANOR or INFRACTION, and OFFENSE_TOC does not decide it",
                       "level treated as unknown; the conviction goes to hand review",
                       (pd.Series(level_text[sel]) + " / TOC " + pd.Series(toc[sel])).to_numpy())

    days = sentence_days.reindex(key).to_numpy()
    sent_text = join_by_key(row_key, _sentence_part_text(length_text, unit, conv_rows["SENT_LOC_DESCR"]))
    problems = np.where(wf_first, "", "BAD_CNT_ORDER")
    problems = np.where(unknown_level, np.char.add(problems.astype(str), " UNKNOWN_LEVEL"), problems)
    problems = np.where(np.isnan(days), np.char.add(problems.astype(str), " BAD_SENTENCE"), problems)
    problems = np.where(conv_date.status != "ok", np.char.add(problems.astype(str), " CONVICTION_DATE"), problems)

    out = pd.DataFrame(
        {
            "conviction_id": key,
            "person_id": first["SUBJECT_ID"].to_numpy(),
            "cnt_order": cnt_first,
            "case_key": np.where(
                wf_first,
                first["SUBJECT_ID"].to_numpy().astype(object) + ":" + np.array([c[:6] for c in cnt_first], dtype=object),
                key,
            ),
            "count": np.where(wf_first, np.array([c[6:9].lstrip("0") or "0" for c in cnt_first], dtype=object), ""),
            "county": _strip(first["STP_ORI_CNTY_NAME"]).str.upper().to_numpy(),
            "court": _strip(first["STP_ORI_DESCR"]).to_numpy(),
            "offense": _strip(first["OFFENSE_DESCR"]).to_numpy(),
            "comment": _strip(first["COMMENT_TEXT"]).to_numpy(),
            "code_section": parsed["code_section"].to_numpy(),
            "number": parsed["number"].to_numpy(),
            "subsection": parsed["subsection"].to_numpy(),
            "code": parsed["code"].to_numpy(),
            "attempt": parsed["attempt"].to_numpy(dtype=bool),
            "section_readable": parsed["readable"].to_numpy(dtype=bool),
            "level": level,
            "conv_lo": conv_date.earliest,
            "conv_hi": conv_date.latest,
            "conviction_date_status": conv_date.status,
            "conviction_date_recorded": _strip(first["STP_EVENT_DATE"]).to_numpy(),
            "sentence_days": days,
            "sentence": sent_text.reindex(key).fillna("").to_numpy(),
            "data_problems": pd.Series(problems).str.strip().to_numpy(),
            "source_file": first["_file"].to_numpy(),
            "source_line": first["_line"].to_numpy(),
        }
    )
    # Which offense lists each conviction is on (cannabis, super strikes, PC 290, related charges).
    # Entries that count only with a companion section in the same court case (PC 136.1 with a
    # PC 186.22(b)(4) gang enhancement) are decided per case here, where the case key is known.
    for name, offense_list in lists.items():
        if offense_list.companion is not None:
            companion = offense_list.companion_matches(unique_parsed).to_numpy(dtype=bool)[codes]
            same_case = pd.Series(companion).groupby(out["case_key"].to_numpy()).transform("any")
            out[f"on_{name}"] = offense_list.matches(parsed, same_case_has=same_case).to_numpy(dtype=bool)
        else:
            out[f"on_{name}"] = offense_list.matches(unique_parsed).to_numpy(dtype=bool)[codes]
    return out


def _sentence_part_text(length: np.ndarray, unit: np.ndarray, where: pd.Series) -> np.ndarray:
    loc = _strip(where).to_numpy(dtype=object)
    text = pd.Series(length) + pd.Series(unit) + " " + pd.Series(loc)
    empty = (length == "") & (unit == "") & (loc == "")
    return np.where(empty, "", text.str.strip().to_numpy(dtype=object))


def case_numbers(court_rows: pd.DataFrame, case_keys: pd.Series) -> pd.Series:
    """Court case number(s) of each case key, from its court rows (``OFN`` then ``FE_NUM_CRT_CASE``)."""
    if len(court_rows) == 0 or len(case_keys) == 0:
        return pd.Series("", index=case_keys.index)
    cnt = _strip(court_rows["CNT_ORDER"])
    keys = court_rows["SUBJECT_ID"].astype(str) + ":" + cnt.str.slice(0, 6)
    wanted = keys.isin(set(case_keys))
    if not wanted.any():
        return pd.Series("", index=case_keys.index)
    sub = court_rows[wanted.to_numpy()]
    k = keys[wanted].to_numpy()
    vals = pd.concat(
        [
            pd.DataFrame({"k": k, "v": _strip(sub["OFN"]).to_numpy(), "o": 0}),
            pd.DataFrame({"k": k, "v": _strip(sub["FE_NUM_CRT_CASE"]).to_numpy(), "o": 1}),
        ],
        ignore_index=True,
    )
    vals = vals[vals["v"].str.upper() != "NULL"]
    joined = join_by_key(vals["k"].to_numpy(), vals["v"].to_numpy())
    return pd.Series(joined.reindex(case_keys.to_numpy()).fillna("").to_numpy(), index=case_keys.index)
