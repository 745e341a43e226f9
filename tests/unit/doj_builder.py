"""A tiny builder of DOJ research-file rows and files for the engine's tests.

A row is a list of 95 strings in the order of ``blueprint.intake.columns.DOJ_COLUMNS``. A :class:`Person`
stamps its identity on every row it builds, so a test reads like the record it describes::

    p = Person("1", dob="19600101")
    rows = [p.arrest("001001001000", "11359 HS-POSSESS FOR SALE", "19990101"),
            p.conviction("001002001000", "11359 HS-POSSESS FOR SALE", "19990301", level="FELONY",
                         sentence=("PROBATION", "3", "Y")),
            p.sentence_part("001002001000", "11359 HS-POSSESS FOR SALE", "19990301", ("JAIL", "90", "D"))]
    path = write_doj(tmp_path / "doj.dat", rows)

Everything here is synthetic: names, numbers and dates are made up for the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from blueprint.intake.columns import DOJ_COLUMNS

COL = {c: i for i, c in enumerate(DOJ_COLUMNS)}
COUNTY = "SACRAMENTO"
AS_OF = "2020-07-01"


def row(**values: str) -> list[str]:
    """One row of 95 fields; unnamed fields are empty."""
    fields = [""] * len(DOJ_COLUMNS)
    for key, value in values.items():
        fields[COL[key]] = value
    return fields


@dataclass
class Person:
    """A subject; every row it builds carries its identity columns."""

    subject_id: str
    dob: str = "19700101"
    name: str = ""
    cii: str = ""
    gender: str = "MALE"
    race: str = "WHITE"

    def __post_init__(self):
        self.name = self.name or f"TESTPERSON,NUMBER {self.subject_id}"
        self.cii = self.cii or "T" + self.subject_id.zfill(8)

    def row(self, **values: str) -> list[str]:
        ident = {
            "SUBJECT_ID": self.subject_id,
            "CII_NUMBER": self.cii,
            "PRI_NAME": self.name,
            "GENDER": self.gender,
            "PRI_DOB": self.dob,
            "RACE_DESCR": self.race,
            "RECORD_ID": "1",
            "PDR_SEG_SEP": "#",
            "CYC_SEG_SEP": "#",
            "STP_SEG_SEP": "#",
            "CNT_SEG_SEP": "#",
            "SENT_SEG_SEP": "#",
            "END_OF_REC": "X",
        }
        return row(**{**ident, **values})

    def arrest(self, cnt: str, offense: str, date: str, county: str = COUNTY, **extra: str) -> list[str]:
        return self.row(
            STP_TYPE_DESCR="ARREST/DETAINED/CITED",
            CNT_ORDER=cnt,
            OFFENSE_DESCR=offense,
            STP_EVENT_DATE=date,
            CYC_DATE=date,
            STP_ORI_CNTY_NAME=county,
            STP_ORI_DESCR=f"SO {county}",
            **extra,
        )

    def court(
        self, cnt: str, offense: str, date: str, disposition: str, county: str = COUNTY, ofn: str = "", **extra: str
    ) -> list[str]:
        """A court-action row with any disposition (``DISMISSED``, ``CONVICTED``...)."""
        values = dict(
            STP_TYPE_DESCR="COURT ACTION",
            CNT_ORDER=cnt,
            OFFENSE_DESCR=offense,
            STP_EVENT_DATE=date,
            STP_ORI_CNTY_NAME=county,
            STP_ORI_DESCR=f"CASC {county}",
            DISP_DESCR=disposition,
            OFN=ofn,
        )
        return self.row(**{**values, **extra})

    def conviction(
        self,
        cnt: str,
        offense: str,
        date: str,
        level: str = "FELONY",
        county: str = COUNTY,
        toc: str = "",
        sentence: Sequence[str] | None = ("PROBATION", "1", "Y"),
        ofn: str | None = None,
        disposition: str = "CONVICTED",
        comment: str = "",
        **extra: str,
    ) -> list[str]:
        """The first row of a convicted count; ``sentence`` is (where, length, unit) or None.

        Every row of a DOJ cycle carries the cycle's (arrest) date, ``CYC_DATE``: by default the
        conviction date itself here (arrested and convicted the same day); pass ``CYC_DATE=...`` to
        set the arrest date, or ``CYC_DATE=""`` for a row without one."""
        extra.setdefault("CYC_DATE", date)
        where, length, unit = sentence if sentence else ("", "", "")
        return self.court(
            cnt,
            offense,
            date,
            disposition,
            county=county,
            ofn=f"C{cnt[:6]}" if ofn is None else ofn,
            CONV_STAT_DESCR=level,
            OFFENSE_TOC=toc,
            SENT_LOC_DESCR=where,
            SENT_LENGTH=length,
            SENT_TIME_CODE=unit,
            COMMENT_TEXT=comment,
            **extra,
        )

    def sentence_part(
        self,
        cnt: str,
        offense: str,
        date: str,
        sentence: Sequence[str],
        level: str = "FELONY",
        county: str = COUNTY,
        **extra: str,
    ) -> list[str]:
        """A later row of the same count carrying one more sentence part."""
        return self.conviction(cnt, offense, date, level=level, county=county, sentence=sentence, **extra)

    def registration(self, date: str, offense: str = "290 PC-REGISTRATION OF SEX OFFENDER") -> list[str]:
        return self.row(
            STP_TYPE_DESCR="REGISTRATION",
            CNT_ORDER="009001001000",
            OFFENSE_DESCR=offense,
            STP_EVENT_DATE=date,
            STP_ORI_CNTY_NAME=COUNTY,
            STP_ORI_DESCR="SO REGISTRATION",
        )

    def deceased(self, date: str = "20190101") -> list[str]:
        return self.row(
            STP_TYPE_DESCR="DECEASED",
            CNT_ORDER="099001001000",
            STP_EVENT_DATE=date,
            STP_ORI_CNTY_NAME=COUNTY,
            STP_ORI_DESCR="CORONER",
        )


def csv_line(fields: Sequence[str]) -> str:
    """RFC 4180 quoting only where needed (a comma, a quote or a line break in the value)."""
    out = []
    for f in fields:
        if any(ch in f for ch in ',"\r\n'):
            f = '"' + f.replace('"', '""') + '"'
        out.append(f)
    return ",".join(out)


def doj_text(
    rows: Iterable[Sequence[str]],
    *,
    header: bool = True,
    line_ending: str = "\r\n",
    trailing_header_field: bool = False,
    final_newline: bool = True,
) -> str:
    lines = []
    if header:
        lines.append(",".join(DOJ_COLUMNS) + ("," if trailing_header_field else ""))
    lines.extend(r if isinstance(r, str) else csv_line(r) for r in rows)
    text = line_ending.join(lines)
    return text + line_ending if final_newline else text


def write_doj(
    path: Path,
    rows: Iterable[Sequence[str] | str],
    *,
    header: bool = True,
    line_ending: str = "\r\n",
    bom: bool = False,
    trailing_header_field: bool = False,
    encoding: str = "ascii",
    final_newline: bool = True,
) -> Path:
    """Write a DOJ file. A row given as a ``str`` is written as is (for malformed lines)."""
    path = Path(path)
    text = doj_text(
        rows,
        header=header,
        line_ending=line_ending,
        trailing_header_field=trailing_header_field,
        final_newline=final_newline,
    )
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


# --- running the engine on built rows --------------------------------------------------------------


def read(paths, **kw):
    from blueprint.intake.reader import read_doj_files

    return read_doj_files([Path(p) for p in paths], **kw)


def records_of(tmp_path: Path, rows, name: str = "doj.dat", pack=None):
    """(records, issues frame) of one file built from ``rows`` (California's rule pack by default)."""
    from blueprint.engine.records import build_records
    from blueprint.engine.rulepack import load_rule_pack

    pack = pack or load_rule_pack()
    result = read([write_doj(tmp_path / name, rows)])
    assert not result.failed, result.failed
    records = build_records(
        result.rows,
        [f.file for f in result.files],
        result.issues,
        pack.lists,
        pack.case_context_lists,
        reading=pack.reading,
        evaluated=pack.evaluated_list,
        current_law=pack.current_law,
    )
    return records, result.issues.frame()


def facts_of(tmp_path: Path, rows, county: str = COUNTY, pack=None) -> pd.DataFrame:
    """The evaluated convictions' facts (indexed by conviction_id) of one file built from ``rows``."""
    from blueprint.engine.facts import build_facts
    from blueprint.engine.rulepack import load_rule_pack

    pack = pack or load_rule_pack()
    records, _ = records_of(tmp_path, rows, pack=pack)
    return build_facts(records, pack, county).set_index("conviction_id", drop=False)


def decide(
    tmp_path: Path, rows, policy="california", county: str = COUNTY, as_of: str = AS_OF, name: str = "doj.dat"
) -> pd.DataFrame:
    """Decisions (indexed by conviction_id) of one file built from ``rows`` under ``policy``."""
    from blueprint.engine.decide import evaluate_rows
    from blueprint.engine.policy import Policy
    from blueprint.run.policies import load_policy
    from blueprint.engine.rulepack import load_rule_pack

    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    result = read([write_doj(tmp_path / name, rows)])
    assert not result.failed, result.failed
    ev = evaluate_rows(
        result.rows, [f.file for f in result.files], result.issues, load_rule_pack(pol.rule_pack), pol, county, as_of
    )
    return ev.decisions.set_index("conviction_id", drop=False)


def three(values) -> list:
    """A three-valued result as a list of True / False / None."""
    return [None if v is pd.NA else bool(v) for v in np.asarray(pd.array(values, dtype="boolean").astype(object))]
