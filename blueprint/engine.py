"""The engine in one call: rows of whole people in, explained decisions out.

The local run, each cloud shard and the tests all go through ``evaluate_rows``, so there is one
code path from DOJ rows to decisions whatever the front door.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from .evaluate import evaluate
from .facts import build_facts
from .issues import IssueLog
from .policy import Policy
from .records import Records, build_records
from .rulepack import RulePack


@dataclass
class Evaluation:
    """Records of the people evaluated, and one decided row per evaluated conviction."""

    records: Records
    decisions: pd.DataFrame
    as_of: np.datetime64
    county: str


def evaluate_rows(rows: pa.Table, file_names: list[str], issues: IssueLog, pack: RulePack, policy: Policy,
                  county: str, as_of: str | np.datetime64) -> Evaluation:
    """Build records from ``rows`` (whole people only), derive facts, and apply ``policy``."""
    as_of = np.datetime64(as_of, "D")
    records = build_records(rows, file_names, issues, pack.lists, getattr(pack, "case_context_lists", ()),
                            reading=pack.reading, evaluated=pack.evaluated_list)
    facts = build_facts(records, pack, county)
    decisions = evaluate(facts, policy, as_of)
    decisions["source_file_index"] = decisions["source_file"].astype("int64")
    decisions["source_file"] = [file_names[int(i)] for i in decisions["source_file"]] if len(decisions) else []
    return Evaluation(records=records, decisions=decisions, as_of=as_of, county=county.strip().upper())
