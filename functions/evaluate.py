"""Evaluate shard: one item of the "Evaluate shards" Distributed Map.

Downloads one shard of whole people, calls ``blueprint.pipeline.evaluate_shard`` (the same engine as
a local run) and uploads the shard's decisions, outcomes and record-level issues to
``work/<run id>/evaluated/<shard>/``. The result stays in S3; the map passes nothing large along.
"""

from __future__ import annotations

from typing import Any

from blueprint.run.cloud_steps import evaluate_shard

from . import layout
from .common import MetricUnit, download_prefix, env, handler as lambda_handler, logger, metrics, upload_dir, workspace
from .engine_steps import settings


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    run, item = settings(event), event["shard"]
    shard = item["shard"]
    logger.append_keys(run_id=run.run_id, step="evaluate", shard=shard)
    results = env("RESULTS_BUCKET")
    with workspace("evaluate") as folder:
        local = folder / shard
        download_prefix(results, f"{layout.split_prefix(run.run_id)}{shard}/", local)
        out = folder / "evaluated"
        report = evaluate_shard(local, run, out, file_names=item["file_names"])
        upload_dir(out, results, f"{layout.evaluated_prefix(run.run_id)}{shard}/")
    metrics.add_metric(name="ConvictionsEvaluated", unit=MetricUnit.Count, value=report["convictions_evaluated"])
    logger.info("shard evaluated", extra={k: report[k] for k in ("rows", "people", "convictions_evaluated", "issues")})
    return {k: report[k] for k in ("shard", "rows", "people", "convictions_evaluated", "issues")}
