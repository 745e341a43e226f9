"""Evaluating a large local run on every core: whole people split into shards, one process each.

The engine is single-threaded once the file is read. On a machine with several cores a large run
is split into shards of whole people (a hash of ``SUBJECT_ID``, so every row of a person is in one
shard; the reader does the split while it reads, see ``blueprint.runtime.partition.shard_numbers``), each
shard is evaluated by the same :func:`blueprint.engine.decide.evaluate_rows` in a forked worker process,
and the decisions, outcomes and record-level issues are concatenated.
A person's decisions never depend on another person's rows, so the result is the same as a
single-process run (tested). If the platform cannot fork, or a worker fails, the run falls back to
one process; ``CLEARANCE_WORKERS=1`` turns the parallel path off.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..runtime.forked import quiet_worker, stop_pool
from ..intake.issues import IssueLog

if TYPE_CHECKING:
    import pandas as pd

# pandas and the engine are imported inside the functions: the local run asks ``workers_for``
# how to split its rows before it starts reading, long before it needs the engine.

#: Below this many rows the cost of starting workers outweighs the gain.
MIN_ROWS = 300_000

# The shards and the run's context, inherited by forked workers (never pickled).
_WORK: dict[str, Any] = {}


def workers_for(rows: int) -> int:
    """How many worker processes a run of ``rows`` rows should use on this machine."""
    configured = os.environ.get("CLEARANCE_WORKERS")
    if configured:
        return max(1, int(configured))
    if rows < MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _evaluate_shard(index: int) -> tuple[pd.DataFrame, pd.DataFrame, list[pd.DataFrame]]:
    from ..engine.decide import evaluate_rows
    from ..engine.outcomes import person_outcomes

    rows = _WORK["shards"][index]
    names, pack, policy, county, as_of = _WORK["context"]
    issues = IssueLog()
    evaluation = evaluate_rows(rows, names, issues, pack, policy, county, as_of)
    return evaluation.decisions, person_outcomes(evaluation, pack), issues.parts


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
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """Decisions and outcomes of ``rows`` evaluated in ``workers`` processes, or None to run serially.

    ``parts``, when the reader already split the rows into ``workers`` tables of whole people
    (``ReadResult.parts``), are used as they are; otherwise the rows are split here.
    Record-level issues are added to ``issues``. Returns None (and changes nothing) when the
    parallel path cannot be used, so the caller runs the ordinary single-process evaluation.
    """
    import pandas as pd

    from ..intake.reader import split_people

    shards = list(parts) if parts is not None and len(parts) == workers else split_people(rows, workers, prune=False)
    _WORK["shards"] = shards
    _WORK["context"] = (names, pack, policy, county, as_of)
    pool = None
    try:
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=quiet_worker
        )
        results = list(pool.map(_evaluate_shard, range(workers)))
    except Exception:  # a worker died or the pool could not start: the serial path is always there
        if pool is not None:
            stop_pool(pool)
        return None
    except BaseException:  # an interrupt: the workers stop now, not when their shard is done
        if pool is not None:
            stop_pool(pool)
        raise
    finally:
        _WORK.clear()
    pool.shutdown()
    decisions = pd.concat([r[0] for r in results], ignore_index=True)
    outcomes = pd.concat([r[1] for r in results], ignore_index=True)
    for r in results:
        issues.parts.extend(r[2])
    return decisions, outcomes  # in shard order; write_outputs puts them in person order
