"""The synthetic DOJ file generator: format, reproducibility, and that every quirk really occurs.

The checks read the generated file back with Python's csv module and recompute what they need from
the rows themselves (the engine's definitions in docs/reference/input.md), rather than
trusting the generator's own bookkeeping.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter, defaultdict
from datetime import date, timedelta

import pytest

from blueprint.intake.columns import DOJ_COLUMNS
from blueprint.synthetic.doj_file import MALFORMED_KINDS, generate, generate_people

C = {name: i for i, name in enumerate(DOJ_COLUMNS)}
COUNTY = "SACRAMENTO"
SAMPLE_ROWS = 40_000

# The code section is the text before the '-' that ends "<number...> <code>"; for forms without a
# code (664.11359-...) it is the text before the first '-'. See the domain note.
_SECTION = re.compile(r"^\s*(.*?\s(?:HS|PC|VC|BP))\s*-")
# HS 11357-11360, optionally attempted (664 prefix), also as the second of two sections joined by a
# slash (11364/11357 HS) or with the code written first (HS 11359-...: the domain note's "cannot be
# resolved" case, still a cannabis conviction); 11357.5 is a different section.
_CANNABIS = re.compile(r"^(?:HS\s+)?(?:\d+(?:\([A-Z0-9]+\))*/)?(?:664[/.\-]?)?(?P<n>1135[789]|11360)(?![\d.])")
_SUPER_STRIKE = re.compile(r"^(?:664/)?(?:187|191\.5|207|220|261\(A\)\(2\)|288\(A\)|288\.5|269)\b")
_REGISTRABLE = re.compile(r"^(?:243\.4|311\.11|647\.6|314\.1|288\(C\)|261\(A\)\(2\)|288\(A\)|288\.5|269)")


def _section(row: list[str]) -> str:
    text = row[C["OFFENSE_DESCR"]].strip()
    if text in ("", "SEE COMMENT FOR CHARGE"):
        text = row[C["COMMENT_TEXT"]].strip()
    match = _SECTION.match(text)
    return match.group(1) if match else text.split("-")[0].strip()


def _day(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _read(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="ascii") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


class Record:
    """The sample file, digested the way the engine reads it (well-formed rows only)."""

    def __init__(self, rows: list[list[str]]):
        self.rows = rows
        self.by_person: dict[str, list[list[str]]] = defaultdict(list)
        for row in rows:
            self.by_person[row[C["SUBJECT_ID"]]].append(row)
        # Convictions: the first row of each distinct CNT_ORDER whose disposition starts CONVICTED.
        self.convictions: dict[str, list[list[str]]] = defaultdict(list)
        seen = set()
        for row in rows:
            key = (row[C["SUBJECT_ID"]], row[C["CNT_ORDER"]])
            if key in seen:
                continue
            seen.add(key)
            if row[C["DISP_DESCR"]].startswith("CONVICTED"):
                self.convictions[row[C["SUBJECT_ID"]]].append(row)

    def cannabis_in_county(self, person: str, county: str = COUNTY) -> list[list[str]]:
        return [
            r for r in self.convictions[person] if _CANNABIS.match(_section(r)) and r[C["STP_ORI_CNTY_NAME"]] == county
        ]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "sample.csv"
    stats = generate(path, rows=SAMPLE_ROWS, county=COUNTY, seed=1)
    header, rows = _read(path)
    return path, stats, header, rows, Record(rows)


# ---------------------------------------------------------------------------------------------
# Format and reproducibility
# ---------------------------------------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    generate(a, rows=3000, seed=7, malformed_rate=0.01)
    generate(b, rows=3000, seed=7, malformed_rate=0.01)
    generate(c, rows=3000, seed=8, malformed_rate=0.01)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_header_and_exactly_95_fields_per_row(sample):
    path, stats, header, rows, _ = sample
    assert tuple(header) == DOJ_COLUMNS
    assert Counter(len(r) for r in rows) == Counter({95: len(rows)})
    assert stats.rows == len(rows)
    assert SAMPLE_ROWS <= stats.rows < SAMPLE_ROWS + 1500  # stops at a person boundary


def test_default_line_ending_is_crlf(sample):
    path = sample[0]
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    assert data.count(b"\n") == data.count(b"\r\n") == sample[1].rows + 1


def test_no_header_and_lf_line_endings(tmp_path):
    path = tmp_path / "plain.dat"
    stats = generate(path, rows=500, header=False, line_ending="\n")
    data = path.read_bytes()
    assert b"\r" not in data
    lines = data.decode("ascii").split("\n")
    assert lines[-1] == "" and len(lines) - 1 == stats.rows
    assert not lines[0].startswith("RECORD_ID")
    assert all(len(r) == 95 for r in csv.reader(lines[:-1]))


def test_header_can_carry_one_trailing_empty_field(tmp_path):
    path = tmp_path / "trailing.csv"
    generate(path, rows=200, header_trailing_field=True)
    header, rows = _read(path)
    assert len(header) == 96 and header[-1] == "" and tuple(header[:95]) == DOJ_COLUMNS
    assert all(len(r) == 95 for r in rows)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="county"):
        generate(tmp_path / "x.csv", rows=10, county="GOTHAM")
    with pytest.raises(ValueError, match="line_ending"):
        generate(tmp_path / "x.csv", rows=10, line_ending="\r")
    with pytest.raises(ValueError, match="rows"):
        generate(tmp_path / "x.csv", rows=0)
    with pytest.raises(ValueError, match="malformed_rate"):
        next(generate_people(malformed_rate=1.5))


def test_stats_match_an_independent_count_of_the_file(sample):
    _, stats, _, rows, record = sample
    assert stats.people == len(record.by_person)
    assert stats.convictions == sum(len(v) for v in record.convictions.values())
    cannabis = {p: record.cannabis_in_county(p) for p in record.by_person}
    assert stats.cannabis_convictions_in_county == sum(len(v) for v in cannabis.values())
    assert stats.cannabis_attempts_in_county == sum(_section(r).startswith("664") for v in cannabis.values() for r in v)
    assert stats.people_with_cannabis_in_county == stats.people
    # Every person is in the file because of 1-3 cannabis convictions in the run's county.
    assert {len(v) for v in cannabis.values()} <= {1, 2, 3}
    assert Counter(len(v) for v in cannabis.values())[1] > stats.people / 2


def test_average_person_has_many_rows(sample):
    stats = sample[1]
    assert 60 <= stats.rows / stats.people <= 130


def test_other_county_is_honoured(tmp_path):
    path = tmp_path / "la.csv"
    stats = generate(path, rows=3000, county="los angeles", seed=3)
    _, rows = _read(path)
    record = Record(rows)
    assert stats.county == "LOS ANGELES"
    found = sum(len(record.cannabis_in_county(p, "LOS ANGELES")) for p in record.by_person)
    assert found == stats.cannabis_convictions_in_county > 0
    assert all(record.cannabis_in_county(p, "LOS ANGELES") for p in record.by_person)


# ---------------------------------------------------------------------------------------------
# The fields the engine reads follow the documented formats
# ---------------------------------------------------------------------------------------------


def test_identifiers_and_names(sample):
    path, _, _, rows, record = sample
    assert all(r[C["SUBJECT_ID"]].isdigit() for r in rows)
    assert all(r[C["CII_NUMBER"]].isdigit() and 8 <= len(r[C["CII_NUMBER"]]) <= 10 for r in rows)
    # One CII number per person, different people different numbers.
    ciis = {p: {r[C["CII_NUMBER"]] for r in v} for p, v in record.by_person.items()}
    assert all(len(v) == 1 for v in ciis.values())
    assert len({next(iter(v)) for v in ciis.values()}) == len(ciis)
    names = [r[C["PRI_NAME"]] for r in rows]
    assert all(re.fullmatch(r"[A-Z' -]+,[A-Z]+( [A-Z])?", n) for n in names)
    raw = path.read_text(encoding="ascii")
    assert f',"{names[0]}",' in raw  # quoted because of the comma


def test_count_order_and_segment_separators(sample):
    rows = sample[3]
    assert all(re.fullmatch(r"\d{12}", r[C["CNT_ORDER"]]) for r in rows)
    assert all(r[C["CNT_ORDER"]][:3] == f"{int(r[C['CYC_ORDER']]):03d}" for r in rows)
    assert all(r[C["CNT_ORDER"]][3:6] == f"{int(r[C['STP_ORDER']]):03d}" for r in rows)
    for name in DOJ_COLUMNS:
        if name.endswith("_SEG_SEP"):
            assert {r[C[name]] for r in rows} == {"#"}, name


def test_coded_values(sample):
    rows = sample[3]

    def values(name):
        return {r[C[name]] for r in rows}

    assert values("STP_TYPE_DESCR") == {
        "ARREST/DETAINED/CITED",
        "COURT ACTION",
        "REGISTRATION",
        "DECEASED",
        "PROBATION",
        "CUSTODY",
    }
    assert values("CONV_STAT_DESCR") == {"", "FELONY", "MISDEMEANOR", "INFRACTION"}
    assert values("OFFENSE_TOC") <= {"", "F", "M", "I"} and {"F", "M", "I"} <= values("OFFENSE_TOC")
    assert values("SENT_LOC_DESCR") == {"", "JAIL", "PRISON", "PROBATION", "FINE"}
    assert values("SENT_TIME_CODE") == {"", "D", "M", "Y"}
    assert all(v == "" or v.isdigit() for v in values("SENT_LENGTH"))
    assert all(v.isdigit() for v in values("CYC_AGE"))
    assert {"CONVICTED", "CONVICTED-PROBATION", "CONVICTED-JAIL", "DISMISSED", "PROS REL-DETENTION ONLY"} <= values(
        "DISP_DESCR"
    )
    counties = values("STP_ORI_CNTY_NAME")
    assert all(c == c.upper() and c.strip() == c for c in counties) and len(counties) > 10


def test_agencies_name_courts_and_police(sample):
    rows = sample[3]
    by_type = defaultdict(set)
    for r in rows:
        by_type[r[C["STP_TYPE_DESCR"]]].add(r[C["STP_ORI_DESCR"]].split(" ")[0])
    assert by_type["COURT ACTION"] == {"CASC", "CAMC"}
    assert by_type["ARREST/DETAINED/CITED"] == {"CAPD", "CASO", "CAHP"}
    assert any(r[C["STP_ORI_DESCR"]] == "CASC SACRAMENTO" for r in rows)
    # The agency's county is the county column.
    for r in rows:
        if r[C["STP_ORI_DESCR"]].startswith(("CASC ", "CASO ")):
            assert r[C["STP_ORI_DESCR"]][5:] == r[C["STP_ORI_CNTY_NAME"]]


def test_conviction_rows_carry_sentences_and_levels(sample):
    rows, record = sample[3], sample[4]
    parts = Counter((r[C["SUBJECT_ID"]], r[C["CNT_ORDER"]]) for r in rows if r[C["DISP_DESCR"]].startswith("CONVICTED"))
    assert set(parts.values()) == {1, 2, 3}  # 1-3 sentence rows per convicted count
    for r in rows:
        if r[C["DISP_DESCR"]].startswith("CONVICTED"):
            assert r[C["SENT_ORDER"]].isdigit() and r[C["SENT_LOC_DESCR"]]
            assert r[C["STP_TYPE_DESCR"]] == "COURT ACTION"
        else:
            assert r[C["SENT_LOC_DESCR"]] == "" and r[C["CONV_STAT_DESCR"]] == ""
    # A multi-part sentence repeats the count with different parts.
    multi = [k for k, n in parts.items() if n > 1]
    subject, order = multi[0]
    repeated = [r for r in record.by_person[subject] if r[C["CNT_ORDER"]] == order]
    assert len({r[C["SENT_ORDER"]] for r in repeated}) == len(repeated)
    assert len({r[C["OFFENSE_DESCR"]].strip() for r in repeated}) == 1


# ---------------------------------------------------------------------------------------------
# Every situation the rules must handle occurs in a moderately sized sample
# ---------------------------------------------------------------------------------------------


def test_all_three_levels_and_blank_levels_decided_by_toc(sample):
    record = sample[4]
    convictions = [r for v in record.convictions.values() for r in v]
    assert {r[C["CONV_STAT_DESCR"]] for r in convictions} == {"FELONY", "MISDEMEANOR", "INFRACTION", ""}
    blank = [r for r in convictions if r[C["CONV_STAT_DESCR"]] == ""]
    assert {r[C["OFFENSE_TOC"]] for r in blank} >= {"F", "M"}
    assert all(r[C["CONV_STAT_CODE"]] == "" for r in blank)


def test_cannabis_sections_with_subsections_and_attempts(sample):
    record = sample[4]
    sections = Counter(_section(r) for p in record.by_person for r in record.cannabis_in_county(p))
    for expected in ("11357(B) HS", "11357(C) HS", "11358 HS", "11359 HS", "11360(A) HS"):
        assert sections[expected] > 0, expected
    attempts = [s for s in sections if s.startswith("664")]
    assert attempts, "attempts (664/...) must occur"
    forms = {re.match(r"664([/.\-]?)", s).group(1) for s in attempts}
    assert len(forms) >= 3  # 664/11359 HS, 66411359 HS, 664.11359, 664-11359 HS


def test_other_offenses_including_traps(sample):
    rows = sample[3]
    sections = {_section(r) for r in rows}
    for expected in ("459 PC", "23152(A) VC", "11350(A) HS", "647(F) PC", "602 PC", "11364 HS", "148(A)(1) PC"):
        assert expected in sections, expected
    # 11357.5 (synthetic cannabinoids) is present and is not a cannabis section.
    assert any(s.startswith("11357.5") for s in sections)
    assert not any(_CANNABIS.match(s) for s in sections if s.startswith("11357.5"))


def test_see_comment_and_blank_offense_put_the_charge_in_the_comment(sample):
    rows, record = sample[3], sample[4]
    see = [r for r in rows if r[C["OFFENSE_DESCR"]].strip() == "SEE COMMENT FOR CHARGE"]
    blank = [r for r in rows if r[C["OFFENSE_DESCR"]] == "" and r[C["STP_TYPE_DESCR"]] == "COURT ACTION"]
    assert see and blank
    assert all(_SECTION.match(r[C["COMMENT_TEXT"]]) or "-" in r[C["COMMENT_TEXT"]] for r in see + blank)
    cannabis_see = [
        r
        for p in record.by_person
        for r in record.cannabis_in_county(p)
        if r[C["OFFENSE_DESCR"]].strip() == "SEE COMMENT FOR CHARGE"
    ]
    assert cannabis_see, "a cannabis conviction recorded as SEE COMMENT FOR CHARGE"


def test_comments_hint_at_another_cannabis_section(sample):
    record = sample[4]
    hinted = []
    for p in record.by_person:
        for r in record.cannabis_in_county(p):
            comment = r[C["COMMENT_TEXT"]]
            mentioned = re.findall(r"1135[789]|11360", comment)
            if mentioned and r[C["OFFENSE_DESCR"]].strip() not in ("", "SEE COMMENT FOR CHARGE"):
                own = re.search(r"1135[789]|11360", _section(r)).group(0)
                if any(m != own for m in mentioned):
                    hinted.append(r)
    assert hinted


def test_deceased_and_registration_steps(sample):
    rows = sample[3]
    deceased = [r for r in rows if r[C["STP_TYPE_DESCR"]] == "DECEASED"]
    assert deceased and all(r[C["DISP_DESCR"]] == "" for r in deceased)
    registrations = [r for r in rows if r[C["STP_TYPE_DESCR"]] == "REGISTRATION"]
    sections = {_section(r) for r in registrations}
    assert any(s.startswith("290") for s in sections)
    assert "11590 HS" in sections  # a registration that is not PC 290
    assert any(r[C["STP_EVENT_DATE"]] == "00000000" for r in registrations)  # registration without a date


def _conviction_day(row):
    return _day(row[C["STP_EVENT_DATE"]])


@pytest.mark.parametrize("pattern, label", [(_SUPER_STRIKE, "super strike"), (_REGISTRABLE, "registrable sex offense")])
def test_serious_offenses_before_after_and_in_the_same_case(sample, pattern, label):
    record = sample[4]
    before = after = same_case = 0
    for person, convictions in record.convictions.items():
        cannabis = record.cannabis_in_county(person)
        cannabis_days = [d for d in map(_conviction_day, cannabis) if d]
        cases = {r[C["CNT_ORDER"]][:6] for r in cannabis}
        for r in convictions:
            if not pattern.match(_section(r)):
                continue
            day = _conviction_day(r)
            if r[C["CNT_ORDER"]][:6] in cases:
                same_case += 1
            elif day and cannabis_days and day < min(cannabis_days):
                before += 1
            elif day and cannabis_days and day > max(cannabis_days):
                after += 1
    assert before and after and same_case, (label, before, after, same_case)


def test_repeat_offenders_have_two_earlier_convictions_of_the_same_section(sample):
    record = sample[4]
    repeaters = 0
    for person in record.by_person:
        convictions = record.convictions[person]
        for r in record.cannabis_in_county(person):
            base = _CANNABIS.match(_section(r)).group("n")
            day = _conviction_day(r)
            earlier = [
                o
                for o in convictions
                if o is not r
                and _CANNABIS.match(_section(o))
                and _CANNABIS.match(_section(o)).group("n") == base
                and _conviction_day(o)
                and day
                and _conviction_day(o) < day
            ]
            if len(earlier) >= 2:
                repeaters += 1
                break
    assert repeaters >= 3


def _sentence_end(rows_of_count):
    first = rows_of_count[0]
    start = _day(first[C["STP_EVENT_DATE"]])
    if not start:
        return None
    days = 0
    for r in rows_of_count:
        length, unit = r[C["SENT_LENGTH"]], r[C["SENT_TIME_CODE"]]
        if length:
            days += int(length) * {"D": 1, "M": 30.44, "Y": 365.25}[unit]
    return start + timedelta(days=days)


def test_people_still_serving_and_convictions_after_prop_64(sample):
    rows, record = sample[3], sample[4]
    by_count = defaultdict(list)
    for r in rows:
        if r[C["DISP_DESCR"]].startswith("CONVICTED"):
            by_count[(r[C["SUBJECT_ID"]], r[C["CNT_ORDER"]])].append(r)
    serving = {k[0] for k, v in by_count.items() if (_sentence_end(v) or date.min) > date(2026, 1, 1)}
    assert len(serving) >= 5
    late = [
        r
        for p in record.by_person
        for r in record.cannabis_in_county(p)
        if (_conviction_day(r) or date.min) > date(2016, 11, 9)
    ]
    assert late
    years = [d.year for p in record.by_person for d in map(_conviction_day, record.cannabis_in_county(p)) if d]
    assert min(years) < 1980 and max(years) >= 2020


def test_minors_under_21_and_people_over_50(sample):
    rows, record = sample[3], sample[4]
    assert any(int(r[C["CYC_AGE"]]) < 18 for r in rows)
    ages = [int(r[C["CYC_AGE"]]) for p in record.by_person for r in record.cannabis_in_county(p)]
    assert any(a < 18 for a in ages), "a cannabis conviction of a minor"
    assert sum(18 <= a < 21 for a in ages) >= 10
    born = [_day(v[0][C["PRI_DOB"]]) for v in record.by_person.values()]
    assert sum(1 for d in born if d and d <= date(1970, 7, 1)) >= 20  # 50 or older in 2020


def test_partial_and_invalid_dates_at_a_low_rate(sample):
    rows = sample[3]
    dates = [r[C[name]] for r in rows for name in ("CYC_DATE", "STP_EVENT_DATE", "DISP_DATE", "PRI_DOB")]
    dates = [d for d in dates if d]
    partial_year = [d for d in dates if d.endswith("0000") and d != "00000000"]
    partial_month = [d for d in dates if d[6:] == "00" and d[4:6] != "00"]
    zero = [d for d in dates if d == "00000000"]
    invalid = [d for d in dates if d != "00000000" and d[4:6] != "00" and d[6:] != "00" and _day(d) is None]
    assert partial_year and partial_month and zero and invalid
    assert len(partial_year + partial_month + zero + invalid) < 0.02 * len(dates)


def test_case_numbers_null_blank_and_padded(sample):
    rows = sample[3]
    court = [r for r in rows if r[C["STP_TYPE_DESCR"]] == "COURT ACTION"]
    for name in ("OFN", "FE_NUM_CRT_CASE"):
        values = [r[C[name]] for r in court]
        assert "NULL" in values and "" in values, name
        assert any(v != v.rstrip() for v in values), name
        assert sum(v not in ("", "NULL") for v in values) > 0.8 * len(values)
    # All counts of one court case share the case number (usually).
    cases = defaultdict(set)
    for r in court:
        cases[(r[C["SUBJECT_ID"]], r[C["CNT_ORDER"]][:6])].add(r[C["OFN"]])
    assert sum(len(v) == 1 for v in cases.values()) == len(cases)


def test_padding_and_literal_nulls(sample):
    path, _, _, rows, _ = sample
    assert any(r[C["OFFENSE_DESCR"]] != r[C["OFFENSE_DESCR"]].rstrip() and r[C["OFFENSE_DESCR"]].strip() for r in rows)
    assert any(r[C["OFFENSE_DESCR"]].startswith("11359 HS-POSSESS MARIJUANA FOR SALE ") for r in rows)
    assert ",NULL," in path.read_text(encoding="ascii")
    assert any(r[C["COMMENT_TEXT"]] == "NULL" for r in rows)


def test_out_of_county_events_and_arrests_without_conviction(sample):
    record = sample[4]
    elsewhere_convictions = sum(
        1 for v in record.convictions.values() for r in v if r[C["STP_ORI_CNTY_NAME"]] != COUNTY
    )
    assert elsewhere_convictions > 100
    cannabis_elsewhere = sum(
        1
        for v in record.convictions.values()
        for r in v
        if _CANNABIS.match(_section(r)) and r[C["STP_ORI_CNTY_NAME"]] != COUNTY
    )
    assert cannabis_elsewhere > 0
    # Arrest chains without any court step.
    cycles = defaultdict(set)
    for r in record.rows:
        cycles[(r[C["SUBJECT_ID"]], r[C["CYC_ORDER"]])].add(r[C["STP_TYPE_DESCR"]])
    assert sum(v == {"ARREST/DETAINED/CITED"} for v in cycles.values()) > 100
    # Cannabis counts that are NOT convictions (dismissed, or on custody/probation steps).
    assert any(
        _CANNABIS.match(_section(r))
        and not r[C["DISP_DESCR"]].startswith("CONVICTED")
        and r[C["STP_TYPE_DESCR"]] == "COURT ACTION"
        for r in record.rows
    )


def test_some_people_are_split_in_two_places(sample):
    _, stats, _, rows, _ = sample
    runs = Counter(subject for subject, _ in itertools.groupby(r[C["SUBJECT_ID"]] for r in rows))
    split = [s for s, n in runs.items() if n > 1]
    assert split and len(split) == stats.non_adjacent_people
    assert all(runs[s] == 2 for s in split)
    assert len(split) < 0.1 * stats.people  # usually adjacent


def test_demographics_are_roughly_those_of_california_prosecutions(sample):
    record = sample[4]
    first_rows = [v[0] for v in record.by_person.values()]
    n = len(first_rows)
    sex = Counter(r[C["GENDER"]] for r in first_rows)
    race = Counter(r[C["RACE_DESCR"]] for r in first_rows)
    assert 0.75 < sex["M"] / n < 0.93 and sex["M"] + sex["F"] == n
    assert 0.30 < race["HISPANIC"] / n < 0.50
    assert 0.20 < race["WHITE"] / n < 0.40
    assert 0.12 < race["BLACK"] / n < 0.28
    assert len(race) >= 6


# ---------------------------------------------------------------------------------------------
# Malformed rows for the reader's tests
# ---------------------------------------------------------------------------------------------


def test_malformed_rows_of_each_kind_are_injected_and_counted(tmp_path):
    path = tmp_path / "broken.csv"
    stats = generate(path, rows=10_000, seed=5, malformed_rate=0.01)
    _, rows = _read(path)
    found = Counter()
    for r in rows:
        if len(r) != 95:
            found["field_count"] += 1
        elif r[C["SUBJECT_ID"]] == "":
            found["missing_subject_id"] += 1
        elif len(r[C["CNT_ORDER"]]) < 12:
            found["short_cnt_order"] += 1
        elif r[C["CONV_STAT_DESCR"]] == "FELONYISH":
            found["unknown_level"] += 1
    assert set(found) == set(MALFORMED_KINDS)
    assert dict(found) == stats.malformed_rows
    assert 30 < sum(found.values()) < 200  # about 1% of 10,000 rows


def test_malformed_rows_leave_the_people_unchanged(tmp_path):
    clean, broken = tmp_path / "clean.csv", tmp_path / "broken.csv"
    generate(clean, rows=5000, seed=9, header=False)
    generate(broken, rows=5000, seed=9, header=False, malformed_rate=0.02)
    clean_lines = clean.read_text(encoding="ascii").splitlines()
    broken_lines = broken.read_text(encoding="ascii").splitlines()
    broken_kept = []
    for line in broken_lines:
        r = next(csv.reader([line]))
        malformed = (
            len(r) != 95
            or r[C["SUBJECT_ID"]] == ""
            or len(r[C["CNT_ORDER"]]) < 12
            or r[C["CONV_STAT_DESCR"]] == "FELONYISH"
        )
        if malformed:
            continue
        broken_kept.append(line)
    n = min(len(clean_lines), len(broken_kept)) - 500  # the tails differ where each file stops
    assert n > 3000 and broken_kept[:n] == clean_lines[:n]
    assert len(broken_lines) > len(broken_kept)


def test_default_has_no_malformed_rows(sample):
    assert sum(sample[1].malformed_rows.values()) == 0


# ---------------------------------------------------------------------------------------------
# The person-level building block
# ---------------------------------------------------------------------------------------------


def test_generate_people_yields_complete_people(tmp_path):
    people = list(itertools.islice(generate_people(county="FRESNO", seed=2), 40))
    assert len({p.subject_id for p in people}) == 40
    record_ids = []
    for person in people:
        rows = list(csv.reader(person.rows))
        assert all(len(r) == 95 and r[C["SUBJECT_ID"]] == person.subject_id for r in rows)
        record_ids.extend(int(r[C["RECORD_ID"]]) for r in rows)
        record = Record(rows)
        assert len(record.cannabis_in_county(person.subject_id, "FRESNO")) == person.cannabis_convictions_in_county
        assert 1 <= person.cannabis_convictions_in_county <= 3
    assert record_ids == list(range(1, len(record_ids) + 1))
    # Same seed, same people.
    again = list(itertools.islice(generate_people(county="FRESNO", seed=2), 40))
    assert [p.rows for p in again] == [p.rows for p in people]
