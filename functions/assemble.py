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
from .aws import s3
from .common import logger, step, workspace
from .contracts import FilingsOutput, StepEvent
from .environment import DocumentsEnvironment


@step(DocumentsEnvironment, StepEvent)
def handler(event: StepEvent, env: DocumentsEnvironment, context: Any) -> FilingsOutput:
    run = event.run
    logger.append_keys(run_id=run.run_id, step="assemble")
    with workspace("assemble", env.scratch) as folder:
        s3.download_prefix(env.results_bucket, layout.work_filings_prefix(run.run_id), folder)
        result = assemble_filings(folder, templates=env.templates)
        s3.upload_dir(folder, env.results_bucket, layout.filings_prefix(run.run_id), last=(INDEX_JSON, SHA256SUMS))
    report = result.as_dict()
    logger.info("filings assembled", extra={"files": report["files"], "bytes": report["bytes"]})
    return FilingsOutput(
        prefix=layout.filings_prefix(run.run_id), counts=report["counts"], files=report["files"], bytes=report["bytes"]
    )
