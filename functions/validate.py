"""Validate input: is each uploaded file a DOJ research file at all, and what is its SHA-256?

First step of the state machine. Downloads the exact object version of every file of the run (one
upload, or every file of a delivery folder) and calls ``blueprint.run.cloud_steps.check_input`` on each. A
file that is not usable ends the run: its reason goes into ``runs/<run id>/data_issues.csv`` and the
step returns an ``InputRejected`` rejection, which the state machine routes to the failure
notification (a rejection, not an error of the pipeline).

A run larger than the pipeline accepts (functions/limits.py) is refused the same way
(``InputTooLarge``), before any byte is downloaded, so that "Split into shards" never meets an
upload it has no room for.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from blueprint.run.cloud_steps import check_input

from .common import InputTooLarge, Rejected, logger, step, workspace
from .contracts import FileChecked, SourceEvent, ValidateOutput
from .engine_steps import InputRejected, download_sources, publish_rejection, require_space
from .environment import ValidateEnvironment


@step(ValidateEnvironment, SourceEvent)
def handler(event: SourceEvent, env: ValidateEnvironment, context: Any) -> ValidateOutput:
    run, source = event.run, event.source
    logger.append_keys(run_id=run.run_id, step="validate")
    checked = []
    with workspace("validate", env.scratch) as folder:
        size, limit = source.size, env.max_input_bytes
        if size > limit:
            publish_rejection(
                env.results_bucket,
                run.run_id,
                PurePosixPath(source.key).name,
                f"the upload is {size:,} bytes; one run accepts at most {limit:,} bytes (docs/deployment.md, 'Scale')",
                folder,
            )
            raise InputTooLarge(f"the upload is {size:,} bytes, over the {limit:,} one run accepts")
        require_space(folder, size)
        locals_ = download_sources(source, folder)
        if not locals_:
            publish_rejection(
                env.results_bucket,
                run.run_id,
                PurePosixPath(source.key).parent.name,
                "the delivery folder has no file",
                folder,
            )
            raise Rejected.because(InputRejected, "the delivery has no DOJ file; see the run's data_issues.csv")
        for local in locals_:
            try:
                checked.append(check_input(local))
            except InputRejected as exc:
                publish_rejection(env.results_bucket, run.run_id, local.name, str(exc), folder)
                logger.warning("upload rejected", extra={"bytes": local.stat().st_size, "files": len(locals_)})
                raise Rejected.because(
                    InputRejected, "an upload is not a usable DOJ file; see the run's data_issues.csv"
                ) from None
    logger.info("upload accepted", extra={"files": len(checked), "bytes": sum(c.bytes for c in checked)})
    return ValidateOutput(
        files=[FileChecked(sha256=c.sha256, bytes=c.bytes, has_header=c.has_header) for c in checked],
        bytes=sum(c.bytes for c in checked),
    )
