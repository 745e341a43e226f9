"""Split into shards: read the run's file(s) once and write shards of whole people for the Distributed Map.

Calls ``blueprint.pipeline.split_into_shards`` (every row of a person lands in the same shard),
uploads the shards to ``work/<run id>/split/`` and writes ``work/<run id>/shards.json``, the list of
items the "Evaluate shards" map reads. If no row of the file could be read, the run's data-issues
report is published and the step fails with ``InputRejected``.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
from blueprint.intake.issues import IssueLog
from blueprint.run.cloud_steps import READ_ISSUES, SPLIT_MANIFEST
from blueprint.run.cloud_steps import InputRejected as EngineRejected
from blueprint.run.cloud_steps import split_into_shards

from . import layout
from .common import MetricUnit, env, handler as lambda_handler, logger, metrics, put_json, upload_dir, workspace
from .engine_steps import InputRejected, download_sources, publish_rejection, require_space, settings
from .limits import SHARD_SPACE_FACTOR



@lambda_handler
def handler(event: dict, context: Any) -> dict:
    run, source, options = settings(event), event["source"], event.get("options") or {}
    logger.append_keys(run_id=run.run_id, step="split")
    results = env("RESULTS_BUCKET")
    with workspace("split") as folder:
        require_space(folder, int(int(source.get("size") or 0) * SHARD_SPACE_FACTOR))
        inputs = download_sources(source, folder / "input")
        out = folder / "split"
        try:
            split = split_into_shards(inputs, out, rows_per_shard=int(options.get("rows_per_shard") or 250_000))
        except EngineRejected:
            manifest = json.loads((out / SPLIT_MANIFEST).read_text())
            issues = IssueLog()
            read_issues = out / READ_ISSUES
            if read_issues.is_file():
                issues.parts.append(pd.read_parquet(read_issues))
            reason = "; ".join(f.get("error") or f.get("status", "") for f in manifest["files"])
            publish_rejection(run.run_id, ", ".join(p.name for p in inputs), reason or "no row could be read",
                              folder, issues)
            raise InputRejected("no row of the upload could be read; see the run's data_issues.csv") from None
        upload_dir(out, results, layout.split_prefix(run.run_id))
    items = [{"shard": name, "file_names": split["file_names"]} for name in split["shards"]]
    put_json(results, layout.shards_list_key(run.run_id), items)
    metrics.add_metric(name="RowsRead", unit=MetricUnit.Count, value=split["rows_read"])
    logger.info("split", extra={"shards": split["shard_count"], "rows_read": split["rows_read"],
                                "read_issues": split["issues_count"]})
    return {
        "items_key": layout.shards_list_key(run.run_id),
        "shard_count": split["shard_count"],
        "rows_read": split["rows_read"],
        "issues_count": split["issues_count"],
    }
