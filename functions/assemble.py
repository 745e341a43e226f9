"""Assemble filings: check the rendered set, write its summary and index, and publish it.

Downloads everything under ``work/<run id>/filings/``, calls ``blueprint.filings.assemble_filings``
(which refuses a set with a missing document), and uploads the complete set to
``runs/<run id>/filings/`` with ``index.json`` and ``SHA256SUMS`` last.
"""

from __future__ import annotations

from typing import Any

from blueprint.filings import assemble_filings
from blueprint.filings.pipeline import INDEX_JSON, SHA256SUMS

from . import layout
from .common import download_prefix, env, handler as lambda_handler, logger, upload_dir, workspace
from .engine_steps import settings


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    run = settings(event)
    logger.append_keys(run_id=run.run_id, step="assemble")
    results = env("RESULTS_BUCKET")
    with workspace("assemble") as folder:
        download_prefix(results, layout.work_filings_prefix(run.run_id), folder)
        result = assemble_filings(folder, templates=env("CLEARANCE_TEMPLATES", "") or None)
        upload_dir(folder, results, layout.filings_prefix(run.run_id), last=(INDEX_JSON, SHA256SUMS))
    report = result.as_dict()
    logger.info("filings assembled", extra={"files": report["files"], "bytes": report["bytes"]})
    return {"prefix": layout.filings_prefix(run.run_id), "counts": report["counts"], "files": report["files"],
            "bytes": report["bytes"]}
