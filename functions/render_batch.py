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
from .common import MetricUnit, download, env, handler as lambda_handler, logger, metrics, upload_files, workspace
from .engine_steps import settings


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    run, batch = settings(event), event["batch"]
    logger.append_keys(run_id=run.run_id, step="render", batch=batch.get("id"))
    results = env("RESULTS_BUCKET")
    prefix = layout.work_filings_prefix(run.run_id)
    with workspace("render") as folder:
        for name in (PLAN_FILE, DECIDED_FILE, PROFILE_COPY):
            download(results, prefix + name, folder / name)
        written = render_document_batch(folder, batch, templates=env("CLEARANCE_TEMPLATES", "") or None)
        upload_files([(folder / relative, prefix + relative) for relative in written], results)
    documents = sum(1 for path in written if path.endswith(".pdf"))
    metrics.add_metric(name="DocumentsRendered", unit=MetricUnit.Count, value=documents)
    logger.info("batch rendered", extra={"files": len(written), "documents": documents})
    return {"batch": batch.get("id"), "files": len(written), "documents": documents}
