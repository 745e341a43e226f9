"""Split into shards: read the run's file(s) once and write shards of whole people for the Distributed Map.

Calls ``blueprint.run.cloud_steps.split_into_shards`` (every row of a person lands in the same shard),
uploads the shards to ``work/<run id>/split/`` and writes ``work/<run id>/shards.json``, the list of
items the "Evaluate shards" map reads. If no row of the file could be read, the run's data-issues
report is published and the step returns an ``InputRejected`` rejection.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from blueprint.intake.issues import IssueLog
from blueprint.run.cloud_steps import READ_ISSUES, SPLIT_MANIFEST, split_into_shards

from . import layout
from .aws import s3
from .common import MetricUnit, Rejected, logger, metrics, step, workspace
from .contracts import ShardItem, SourceEvent, SplitOutput
from .engine_steps import InputRejected, download_sources, publish_rejection, require_space
from .environment import ResultsEnvironment
from .limits import SHARD_SPACE_FACTOR


@step(ResultsEnvironment, SourceEvent)
def handler(event: SourceEvent, env: ResultsEnvironment, context: Any) -> SplitOutput:
    run, source = event.run, event.source
    logger.append_keys(run_id=run.run_id, step="split")
    with workspace("split", env.scratch) as folder:
        require_space(folder, int(source.size * SHARD_SPACE_FACTOR))
        inputs = download_sources(source, folder / "input")
        out = folder / "split"
        try:
            split = split_into_shards(inputs, out, rows_per_shard=event.options.rows_per_shard)
        except InputRejected:
            manifest = json.loads((out / SPLIT_MANIFEST).read_text())
            issues = IssueLog()
            read_issues = out / READ_ISSUES
            if read_issues.is_file():
                issues.parts.append(pd.read_parquet(read_issues))
            reason = "; ".join(f.get("error") or f.get("status", "") for f in manifest["files"])
            publish_rejection(
                env.results_bucket,
                run.run_id,
                ", ".join(p.name for p in inputs),
                reason or "no row could be read",
                folder,
                issues,
            )
            raise Rejected.because(
                InputRejected, "no row of the upload could be read; see the run's data_issues.csv"
            ) from None
        s3.upload_dir(out, env.results_bucket, layout.split_prefix(run.run_id))
    items = [ShardItem(shard=name, file_names=split["file_names"]) for name in split["shards"]]
    s3.put_json(env.results_bucket, layout.shards_list_key(run.run_id), [item.dump() for item in items])
    metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=split["rows_read"])
    logger.info(
        "split",
        extra={"shards": split["shard_count"], "rows_read": split["rows_read"], "read_issues": split["issues_count"]},
    )
    return SplitOutput(
        items_key=layout.shards_list_key(run.run_id),
        shard_count=split["shard_count"],
        rows_read=split["rows_read"],
        issues_count=split["issues_count"],
    )
