"""Which person each data issue is about: the ``person_id`` column of the data-issues report.

A data issue names its file and line. The report also names the person (SUBJECT_ID) of that line,
so an office can find every issue of one person. The local run, its evaluation processes
(``blueprint.run.parallel``) and a cloud shard (``blueprint.run.cloud_steps``) all name persons the
same way, with the function below; it lives in its own module so that none of them has to import
another for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd


def with_person_ids(issues: "pd.DataFrame", rows: pa.Table, names: list[str]) -> "pd.DataFrame":
    """The data issues with the ``person_id`` (SUBJECT_ID) of the row each one is about, where the row
    belongs to a person (a skipped row without SUBJECT_ID has none). Only the issues' own lines are
    looked up, so the cost follows the number of issues, not of rows.

    Issues that already name their person keep it: an evaluation process (``blueprint.run.parallel``)
    or a cloud shard looks its own issues up in its own rows, where they are, and only the issues
    without a ``person_id`` value (those of the read) are looked up here.
    """
    import pandas as pd
    import pyarrow.compute as pc

    issues = issues.copy()
    todo = issues["person_id"].isna().to_numpy() if "person_id" in issues else np.ones(len(issues), dtype=bool)
    issues["person_id"] = issues["person_id"].fillna("").astype(str) if "person_id" in issues else ""
    if not todo.any() or not rows.num_rows:
        return issues
    asked = issues[todo]
    wanted = pa.array(pd.unique(asked["line"].to_numpy()), pa.int64())
    hit = rows.filter(pc.is_in(rows["_line"], value_set=wanted)).select(["_file", "_line", "SUBJECT_ID"]).to_pandas()
    if not len(hit):
        return issues
    hit["file"] = [names[int(i)] if 0 <= int(i) < len(names) else "" for i in hit["_file"]]
    lookup = hit.drop_duplicates(["file", "_line"]).set_index(["file", "_line"])["SUBJECT_ID"]
    keys = pd.MultiIndex.from_arrays([asked["file"], asked["line"]])
    issues.loc[todo, "person_id"] = lookup.reindex(keys).fillna("").astype(str).to_numpy()
    return issues


__all__ = ["with_person_ids"]
