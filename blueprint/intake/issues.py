"""The data-issues report: every problem found in the input, where it is, and what the engine did.

Nothing is lost: a row the engine cannot use is *skipped* and appears here; a row it can use with
one value treated as unknown is *kept* and appears here too, and the conviction it belongs to goes
to hand review. The run manifest reconciles, per file, rows read = rows used + rows skipped.

Values of personal columns (name, date of birth, CII, case numbers) are never copied into the report:
the file and line are enough for staff to find the row, and the report may travel further than the
DOJ file itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Columns whose values are personal data and are withheld from the report.
PERSONAL_COLUMNS = frozenset(
    {"PRI_NAME", "PRI_DOB", "CII_NUMBER", "OFN", "FE_NUM_CRT_CASE", "REQ_NAME", "REQ_DOB", "PRI_SSN"}
)

ISSUE_COLUMNS = ["file", "line", "column", "code", "problem", "action", "value"]
#: The columns of the written report (``data_issues.csv``, the workbook's Data issues sheet): each
#: issue with the person (SUBJECT_ID) and the conviction its row belongs to, where it belongs to one.
REPORT_COLUMNS = [*ISSUE_COLUMNS, "person_id", "conviction_id"]

SKIPPED = "row skipped"


@dataclass
class IssueLog:
    """Collects issues as small DataFrames (vectorised checks add thousands at once)."""

    parts: list[pd.DataFrame] = field(default_factory=list)

    def add(self, file: str, line, column: str, code: str, problem: str, action: str, value=None) -> None:
        """Record one issue, or many when ``line`` (and optionally ``problem`` and ``value``) are sequences."""
        import pandas as pd  # here, so that reading a file does not wait for pandas to load

        lines = pd.Series(line if hasattr(line, "__len__") and not isinstance(line, str) else [line])
        if len(lines) == 0:
            return
        if column in PERSONAL_COLUMNS or value is None:
            values = [""] * len(lines)
        else:
            values = (
                pd.Series(value, dtype="object").fillna("").astype(str).str.strip().tolist()
                if hasattr(value, "__len__") and not isinstance(value, str)
                else [str(value).strip()] * len(lines)
            )
        self.parts.append(
            pd.DataFrame(
                {
                    "file": file,
                    "line": lines.to_numpy(dtype="int64"),
                    "column": column,
                    "code": code,
                    "problem": problem,
                    "action": action,
                    "value": values,
                }
            )
        )

    def extend(self, other: "IssueLog") -> None:
        self.parts.extend(other.parts)

    def frame(self) -> pd.DataFrame:
        """All issues, ordered by file and line."""
        import pandas as pd

        if not self.parts:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "line" else "object") for c in ISSUE_COLUMNS})
        df = pd.concat(self.parts, ignore_index=True)
        return df.sort_values(["file", "line", "column"], kind="stable").reset_index(drop=True)

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts)


def with_conviction_ids(issues: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The issues in :data:`REPORT_COLUMNS`, with the ``conviction_id`` of the evaluated conviction
    whose own row (``source_file``, ``source_line``) each issue is on. ``person_id`` is kept as the
    reader's step filled it (empty where the row has no person)."""
    import pandas as pd

    out = issues.reindex(columns=REPORT_COLUMNS)
    out["person_id"] = out["person_id"].fillna("").astype(str)
    out["conviction_id"] = ""
    if not len(out) or not len(decisions) or "source_line" not in decisions:
        return out
    lines = pd.to_numeric(decisions["source_line"], errors="coerce")
    near = decisions.loc[
        lines.isin(set(out["line"].tolist())), ["source_file", "source_line", "conviction_id", "person_id"]
    ]
    if not len(near):
        return out
    near = near.assign(source_line=pd.to_numeric(near["source_line"]).astype("int64")).drop_duplicates(
        ["source_file", "source_line"]
    )
    found = near.set_index(["source_file", "source_line"])
    keys = pd.MultiIndex.from_arrays([out["file"].astype(str), out["line"].astype("int64")])
    out["conviction_id"] = found["conviction_id"].reindex(keys).fillna("").astype(str).to_numpy()
    person = found["person_id"].reindex(keys).fillna("").astype(str).to_numpy()
    out["person_id"] = out["person_id"].where(out["person_id"] != "", person)
    return out
