"""Combine results: the evaluated shards become the run's review outputs under ``runs/<run id>/``.

Calls ``blueprint.run.cloud_steps.combine``, which writes the same files as a local run (review workbook,
result tables, summary report, data issues, manifest). They are uploaded with ``manifest.json``
last; the run is only presented as ready for review once "Wait for review" writes ``STATUS.json``.
"""

from __future__ import annotations

import json
from typing import Any

from blueprint.run.cloud_steps import SPLIT_MANIFEST, combine

from . import layout
from .aws import s3
from .common import MetricUnit, logger, metrics, step, workspace
from .contracts import CombineOutput, StepEvent
from .engine_steps import settings
from .environment import ResultsEnvironment


@step(ResultsEnvironment, StepEvent)
def handler(event: StepEvent, env: ResultsEnvironment, context: Any) -> CombineOutput:
    run = event.run
    logger.append_keys(run_id=run.run_id, step="combine")
    results = env.results_bucket
    with workspace("combine", env.scratch) as folder:
        split_dir = folder / "split"
        split_prefix = layout.split_prefix(run.run_id)
        s3.download(results, split_prefix + SPLIT_MANIFEST, split_dir / SPLIT_MANIFEST)
        split = json.loads((split_dir / SPLIT_MANIFEST).read_text())
        s3.download(results, split_prefix + split["read_issues"], split_dir / split["read_issues"])
        if split.get("text_counts"):  # the offense-text census (blueprint.intake.census)
            s3.download(results, split_prefix + split["text_counts"], split_dir / split["text_counts"])
        evaluated = folder / "evaluated"
        s3.download_prefix(results, layout.evaluated_prefix(run.run_id), evaluated)
        shard_dirs = [evaluated / name for name in split["shards"]]
        out = folder / "run"
        manifest = combine(shard_dirs, split, split_dir, settings(run), out)
        files = s3.upload_dir(out, results, layout.run_prefix(run.run_id), last=(layout.MANIFEST_FILE,))
    counts = manifest["counts"]
    metrics.add_metric(name="DataIssuesFound", unit=MetricUnit.Count, value=counts.get("data_issues", 0))
    logger.info("combined", extra={"counts": counts, "files": len(files)})
    return CombineOutput(
        run_prefix=layout.run_prefix(run.run_id),
        counts=counts,
        balanced=manifest.get("reconciliation", {}).get("balanced"),
    )
