"""Evaluating a large local run on every core: whole people split into shards, one process each.

The engine is single-threaded once the file is read. On a machine with several cores a large run
is split into shards of whole people (a hash of ``SUBJECT_ID``, so every row of a person is in one
shard; the reader does the split while it reads, see ``blueprint.runtime.partition.shard_numbers``), each
shard is evaluated by the same :func:`blueprint.engine.decide.evaluate_rows` in a forked worker process
(``blueprint.runtime.forked.in_children``, which the workers inherit the shards through, unpickled),
and the decisions, outcomes and record-level issues are concatenated.
A person's decisions never depend on another person's rows, so the result is the same as a
single-process run (tested). If the platform cannot fork, or a worker fails, the run falls back to
one process; ``CLEARANCE_WORKERS=1`` turns the parallel path off.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
from typing import TYPE_CHECKING, Callable

import pyarrow as pa

from ..runtime.forked import in_children
from ..intake.issues import IssueLog

if TYPE_CHECKING:
    import pandas as pd

# pandas and the engine are imported inside the functions: the local run asks ``workers_for``
# how to split its rows before it starts reading, long before it needs the engine.

#: Below this many rows the cost of starting workers outweighs the gain.
MIN_ROWS = 300_000


def workers_for(rows: int) -> int:
    """How many worker processes a run of ``rows`` rows should use on this machine."""
    configured = os.environ.get("CLEARANCE_WORKERS")
    if configured:
        return max(1, int(configured))
    if rows < MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _evaluate_shard(
    shards: list[pa.Table], context: tuple, index: int
) -> tuple[pd.DataFrame, pd.DataFrame, list[pd.DataFrame]]:
    """One shard's decisions, outcomes and issues (in a forked worker, which inherits the shards).

    Python's cycle collector is turned off in the worker. A shard's evaluation leaves a few hundred
    objects in reference cycles (114 on a shard of the wide million-row bench file), and the worker
    ends when its shard is done, so the collector would free nothing that matters; meanwhile its
    full passes walked every object inherited from the parent, writing to them and so copying
    their memory pages (about 0.07 s of the worker's 1.25 s, measured).
    """
    gc.disable()
    from ..engine.decide import evaluate_rows
    from ..engine.outcomes import person_outcomes
    from .person_ids import with_person_ids

    rows = shards[index]
    names, pack, policy, county, as_of = context
    issues = IssueLog()
    evaluation = evaluate_rows(rows, names, issues, pack, policy, county, as_of)
    # The shard's issues are about its own rows: each names its person here, beside the other
    # shard's work, instead of in the parent afterwards (as a cloud shard does).
    named = [with_person_ids(issues.frame(), rows, names)] if issues.parts else []
    return evaluation.decisions, person_outcomes(evaluation, pack), named


def evaluate_in_parallel(
    rows: pa.Table,
    names: list[str],
    issues: IssueLog,
    pack,
    policy,
    county: str,
    as_of,
    workers: int,
    parts: list[pa.Table] | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Decisions and outcomes of ``rows`` evaluated in ``workers`` processes, or None to run serially.

    ``parts``, when the reader already split the rows into ``workers`` tables of whole people
    (``ReadResult.parts``), are used as they are; otherwise the rows are split here.
    Record-level issues are added to ``issues``. Returns None (and changes nothing) when the
    parallel path cannot be used, so the caller runs the ordinary single-process evaluation.
    ``meanwhile`` is called in this process while the workers evaluate (see
    :func:`blueprint.runtime.forked.in_children`); if it fails, None is returned as for a failed
    worker, and the caller meets the same error when it makes that call itself.
    """
    import pandas as pd

    from ..intake.reader import split_people

    shards = list(parts) if parts is not None and len(parts) == workers else split_people(rows, workers, prune=False)
    context = (names, pack, policy, county, as_of)
    try:
        # An interrupt stops the workers now, not when their shard is done, and is raised here.
        results = in_children(functools.partial(_evaluate_shard, shards, context), workers, meanwhile=meanwhile)
    except Exception:  # a worker died or the pool could not start: the serial path is always there
        return None
    decisions = pd.concat([r[0] for r in results], ignore_index=True)
    outcomes = pd.concat([r[1] for r in results], ignore_index=True)
    for r in results:
        issues.parts.extend(r[2])
    return decisions, outcomes  # in shard order; write_outputs puts them in person order
