"""Render batch: one item of the "Render documents" Distributed Map.

Downloads the filing plan from ``work/<run id>/filings/`` (plan, decided table, office profile),
calls ``blueprint.filings.render_document_batch`` for its batch, and uploads the documents it wrote
back next to the plan. Assembly checks that every planned document arrived.
"""

from __future__ import annotations

from typing import Any

from blueprint.filings import render_document_batch
from blueprint.filings.pipeline import DECIDED_FILE, PLAN_FILE, PROFILE_COPY

from . import layout
from .aws import s3
from .common import MetricUnit, logger, metrics, step, workspace
from .contracts import BatchEvent, RenderOutput
from .environment import DocumentsEnvironment


@step(DocumentsEnvironment, BatchEvent)
def handler(event: BatchEvent, env: DocumentsEnvironment, context: Any) -> RenderOutput:
    run, batch = event.run, event.batch
    logger.append_keys(run_id=run.run_id, step="render", batch=batch.get("id"))
    prefix = layout.work_filings_prefix(run.run_id)
    with workspace("render", env.scratch) as folder:
        for name in (PLAN_FILE, DECIDED_FILE, PROFILE_COPY):
            s3.download(env.results_bucket, prefix + name, folder / name)
        written = render_document_batch(folder, batch, templates=env.templates)
        s3.upload_files([(folder / relative, prefix + relative) for relative in written], env.results_bucket)
    documents = sum(1 for path in written if path.endswith(".pdf"))
    metrics.add_metric(name="DocumentsRendered", unit=MetricUnit.Count, value=documents)
    logger.info("batch rendered", extra={"files": len(written), "documents": documents})
    return RenderOutput(batch=batch.get("id"), files=len(written), documents=documents)
