"""Data issues name the person of the row they are about (``with_person_ids``)."""

import numpy as np
import pandas as pd
import pyarrow as pa

from blueprint.run.person_ids import with_person_ids

ROWS = pa.table(
    {
        "_file": pa.array([0, 0, 1], pa.int32()),
        "_line": pa.array([2, 3, 2], pa.int64()),
        "SUBJECT_ID": ["A1", "B2", "C3"],
    }
)
NAMES = ["one.dat", "two.dat"]


def _issues(**extra):
    return pd.DataFrame({"file": ["one.dat", "two.dat", "one.dat"], "line": [3, 2, 9], "code": ["X"] * 3, **extra})


def test_each_issue_is_given_the_person_of_its_own_file_and_line():
    named = with_person_ids(_issues(), ROWS, NAMES)
    # Line 2 is in both files: the issue of two.dat gets two.dat's person. Line 9 is no row's.
    assert named["person_id"].tolist() == ["B2", "C3", ""]


def test_an_issue_that_already_names_its_person_keeps_it_and_only_the_others_are_looked_up():
    # An evaluation process names its shard's issues; the read's issues (no value) are looked up.
    named = with_person_ids(_issues(person_id=[np.nan, "Z9", ""]), ROWS, NAMES)
    assert named["person_id"].tolist() == ["B2", "Z9", ""]
