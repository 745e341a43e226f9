"""Supplemental filings: a filing set for the convictions decided since an earlier set.

An office files its bulk notice, then resolves the convictions it had left for hand review (or a
corrected run brings more). ``clearance finalize --supplement-to EARLIER`` reads the earlier filing
set (its ``index.json``, ``plan.json`` and decided table ``decisions.parquet``, each checked against
the index) and:

- never files a conviction again: a conviction the earlier set granted or challenged is skipped,
  and counted in the filing summary; if the office's decision on it is now different, the review is
  refused, naming the row, because a supplement cannot change a position already filed;
- continues the earlier set's numbering: Attachment A (and the juvenile list) go on from the item
  after the earlier set's last, so item numbers stay unique across the filings;
- titles its documents as supplemental (the templates receive ``supplement``).

A supplement of a supplement works the same way: the decided table of every set keeps the rows filed
before it (marked ``filed_earlier``) with their items.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..base.staging import sha256_of
from ..review.layout import CONVICTIONS_SHEET, DECISION_COLUMN, DECISION_LABELS, Decision
from ..review.reader import ReviewProblem, ReviewRejected
from .decided import ATTACHMENT_A_LIST, JUVENILE_LIST

INDEX_JSON = "index.json"
PLAN_FILE = "plan.json"
DECIDED_FILE = "decisions.parquet"
PLAN_MARKER = "clearance-kit filing plan"
_FILED = {d.value for d in Decision if d.grants_relief or d.is_challenge}


class SupplementError(ValueError):
    """The earlier filing set cannot be read, or does not fit this filing."""


@dataclass
class EarlierSet:
    """What a supplement needs of an earlier filing set."""

    folder: Path
    run_id: str
    county: str
    index_sha256: str
    filing_date: str
    decided: pd.DataFrame  # conviction_id, decision, decision_label, filed_relief, item, filed_in

    @property
    def filed(self) -> pd.DataFrame:
        """The convictions the earlier set (or one before it) granted or challenged."""
        return self.decided[self.decided["decision"].isin(_FILED)]

    def last_item(self, name: str) -> int:
        """The earlier set's last item number in a list (``attachment_a`` or ``juvenile_list``)."""
        rows = self.decided[self.decided["filed_in"] == name]
        numbers = pd.to_numeric(rows["item"], errors="coerce").dropna()
        return int(numbers.max()) if len(numbers) else 0

    def as_dict(self) -> dict:
        """What the plan and the documents say about the earlier set (no personal data)."""
        return {
            "folder": self.folder.name,
            "run_id": self.run_id,
            "index_sha256": self.index_sha256,
            "filing_date": self.filing_date,
            "filed_convictions": len(self.filed),
            "last_item": self.last_item(ATTACHMENT_A_LIST),
            "last_juvenile_item": self.last_item(JUVENILE_LIST),
        }

    def mark(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Mark the rows of ``frame`` (a decided table) the earlier set filed, with their earlier item.

        Raises ``ReviewRejected`` naming each row whose decision differs from the one filed."""
        earlier = self.filed.set_index("conviction_id")
        hit = frame["conviction_id"].isin(earlier.index)
        problems: list[ReviewProblem] = []
        for i in frame.index[hit]:
            cid = frame.at[i, "conviction_id"]
            before = earlier.loc[cid]
            same = (
                frame.at[i, "decision"] == before["decision"] and frame.at[i, "filed_relief"] == before["filed_relief"]
            )
            if not same:
                row = frame.at[i, "review_row"]
                was = before.get("decision_label") or DECISION_LABELS.get(
                    Decision(before["decision"]), before["decision"]
                )
                problems.append(
                    ReviewProblem(
                        CONVICTIONS_SHEET,
                        int(row) if row else None,
                        DECISION_COLUMN,
                        f"conviction {cid} was filed in the earlier filing set ({self.folder.name}) as '{was}'"
                        + (f" ({before['filed_relief']})" if before["filed_relief"] else "")
                        + "; a supplement files only convictions not filed before and cannot change a filed position: "
                        "record the same decision again (a change of position is for the court, outside the kit)",
                    )
                )
                continue
            frame.at[i, "filed_earlier"] = "Y"
            frame.at[i, "item"] = str(before["item"])
            frame.at[i, "filed_in"] = str(before["filed_in"])
        if problems:
            raise ReviewRejected(problems)
        return frame


def read_earlier_set(folder: str | Path) -> EarlierSet:
    """Read an earlier filing set written by ``clearance finalize``; refuse anything else, one line each."""
    folder = Path(folder)
    where = f"--supplement-to {folder}"
    if not folder.is_dir():
        raise SupplementError(f"{where}: not a folder; give the folder of the earlier filing set")
    try:
        index_bytes = (folder / INDEX_JSON).read_bytes()
        index = json.loads(index_bytes)
        listed = {str(f["path"]): str(f["sha256"]) for f in index["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        raise SupplementError(f"{where}: holds no finished filing set (no readable {INDEX_JSON})") from None
    for name in (PLAN_FILE, DECIDED_FILE):
        if name not in listed or not (folder / name).is_file():
            raise SupplementError(
                f"{where}: the filing set has no {name} (it was written by an older version of the kit, "
                "or the file was removed): a supplement needs it to know what was filed"
            )
        if sha256_of(folder / name) != listed[name]:
            raise SupplementError(
                f"{where}: {name} was changed since the filing set was written (its SHA-256 differs "
                f"from {INDEX_JSON}): a supplement cannot trust it"
            )
    try:
        plan = json.loads((folder / PLAN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise SupplementError(f"{where}: {PLAN_FILE} is not readable") from None
    if not isinstance(plan, dict) or plan.get("marker") != PLAN_MARKER:
        raise SupplementError(f"{where}: {PLAN_FILE} is not a filing plan of this kit")
    decided = pd.read_parquet(folder / DECIDED_FILE)
    for column, default in (("filed_in", None), ("filed_earlier", "")):
        if column not in decided.columns:  # a set written before these columns existed
            decided[column] = (
                decided["filed_relief"].where(decided["filed_relief"] == "", ATTACHMENT_A_LIST)
                if default is None
                else default
            )
    decided = decided.astype({c: str for c in ("conviction_id", "decision", "filed_relief", "item", "filed_in")})
    run = plan.get("run") or {}
    return EarlierSet(
        folder,
        str(run.get("run_id", "")),
        str(run.get("county", "")),
        hashlib.sha256(index_bytes).hexdigest(),
        str(plan.get("filing_date", "")),
        decided,
    )
