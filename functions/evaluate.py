"""Evaluate shard: one item of the "Evaluate shards" Distributed Map.

Downloads one shard of whole people, calls ``blueprint.run.cloud_steps.evaluate_shard`` (the same engine as
a local run) and uploads the shard's decisions, outcomes and record-level issues to
``work/<run id>/evaluated/<shard>/``. The result stays in S3; the map passes nothing large along.
"""

from __future__ import annotations

from typing import Any

from blueprint.run.cloud_steps import evaluate_shard

from . import layout
from .aws import s3
from .common import MetricUnit, logger, metrics, step, workspace
from .contracts import EvaluateEvent, EvaluateOutput
from .engine_steps import settings
from .environment import ResultsEnvironment


@step(ResultsEnvironment, EvaluateEvent)
def handler(event: EvaluateEvent, env: ResultsEnvironment, context: Any) -> EvaluateOutput:
    run, shard = event.run, event.shard.shard
    logger.append_keys(run_id=run.run_id, step="evaluate", shard=shard)
    with workspace("evaluate", env.scratch) as folder:
        local = folder / shard
        s3.download_prefix(env.results_bucket, f"{layout.split_prefix(run.run_id)}{shard}/", local)
        out = folder / "evaluated"
        report = evaluate_shard(local, settings(run), out, file_names=event.shard.file_names)
        s3.upload_dir(out, env.results_bucket, f"{layout.evaluated_prefix(run.run_id)}{shard}/")
    metrics.add_metric(name="ConvictionsEvaluated", unit=MetricUnit.Count, value=report["convictions_evaluated"])
    logger.info("shard evaluated", extra={k: report[k] for k in ("rows", "people", "convictions_evaluated", "issues")})
    return EvaluateOutput.model_validate(
        {k: report[k] for k in ("shard", "rows", "people", "convictions_evaluated", "issues")}
    )
