"""Validate input: is the upload a DOJ research file at all, and what is its SHA-256?

First step of the state machine. Downloads the exact object version that started the run and calls
``blueprint.pipeline.check_input``. A file that is not usable ends the run: its reason goes into
``runs/<run id>/data_issues.csv`` and the step fails with ``InputRejected``, which the state machine
turns into a failure notification.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from blueprint.pipeline import InputRejected as EngineRejected
from blueprint.pipeline import check_input

from .common import download, handler as lambda_handler, logger, workspace
from .engine_steps import InputRejected, publish_rejection, require_space, settings


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    run, source = settings(event), event["source"]
    logger.append_keys(run_id=run.run_id, step="validate")
    with workspace("validate") as folder:
        require_space(folder, int(source.get("size") or 0))
        local = download(source["bucket"], source["key"], folder / PurePosixPath(source["key"]).name,
                         version_id=source.get("version_id"))
        try:
            checked = check_input(local)
        except EngineRejected as exc:
            publish_rejection(run.run_id, local.name, str(exc), folder)
            logger.warning("upload rejected", extra={"bytes": local.stat().st_size})
            raise InputRejected("the upload is not a usable DOJ file; see the run's data_issues.csv") from None
    logger.info("upload accepted", extra={"bytes": checked.bytes, "has_header": checked.has_header})
    return {"sha256": checked.sha256, "bytes": checked.bytes, "has_header": checked.has_header}
