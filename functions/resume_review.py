"""Resume review: the office's upload under ``reviews/<run id>/`` resumes the waiting run.

Triggered by S3 (ObjectCreated, prefix ``reviews/``). A reviewed workbook (``.xlsx``) or an
``APPROVE_ALL`` marker for a run that waits for its review sends the task token back to Step
Functions with the upload's location; the "Apply review" step then reads it. Anything else is
reported to the office, never silently ignored: an unknown run, a run that is not waiting (already
resumed, finished or failed), or a file that is neither a workbook nor the marker.

The task token is removed from the registry only once Step Functions has accepted it. If sending it
fails for a passing reason (throttling, a 5xx, a lost connection), the run is put back to waiting and
the function fails with ``TransientError``: Lambda retries the S3 event (and keeps it in the
dead-letter queue after its retries), and each retry finds the run waiting as before.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from . import layout, registry
from .common import (MetricUnit, TransientError, client, handler as lambda_handler, logger, metrics, publish, safe_id,
                     transient_cause)


def _still_running(execution_arn: str | None) -> bool:
    """Whether the run's execution is still running (so a token Step Functions no longer knows was
    already delivered), as far as can be told."""
    if not execution_arn:
        return False
    return client("stepfunctions").describe_execution(executionArn=execution_arn)["status"] == "RUNNING"


def _report(run_id: str, outcome: str, explanation: str) -> dict[str, Any]:
    logger.warning("review upload not used", extra={"run_id": run_id, "outcome": outcome})
    metrics.add_metric(name="ReviewUploadsNotUsed", unit=MetricUnit.Count, value=1)
    publish(
        f"Review upload not used: run {run_id}",
        f"An upload under reviews/{run_id}/ was not used: {explanation}\n\n"
        "Nothing was changed. See docs/operations.md, 'Review uploads that are not used'.",
    )
    return {"run_id": run_id, "outcome": outcome}


def resume(bucket: str, key: str, version_id: str | None) -> dict[str, Any]:
    run_id = layout.review_run_id(key)
    if run_id is None:
        return {"run_id": None, "outcome": "ignored"}  # a folder marker or a file outside a run folder
    shown = safe_id(run_id)
    approve_all = layout.is_approve_all(key)
    if not approve_all and not layout.is_workbook(key):
        return _report(shown, "not_a_review", "it is neither a reviewed workbook (.xlsx) nor an APPROVE_ALL marker.")
    run = registry.get_run(run_id)
    if run is None:
        return _report(shown, "unknown_run", "no run has this id. Check the folder name against the run id in the "
                                             "'review ready' notification.")
    token = registry.claim_review(run_id, key, version_id)
    if token is None:
        return _report(shown, "not_waiting", f"the run is not waiting for a review (its status is {run['status']}).")
    output = {"bucket": bucket, "key": key, "version_id": version_id, "approve_all": approve_all}
    sfn = client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps(output))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.TaskDoesNotExist, sfn.exceptions.InvalidToken):
        if _still_running(run.get("execution_arn")):
            # An earlier attempt of this upload delivered the token and its answer was lost.
            registry.review_delivered(run_id, token)
            logger.info("review had already been received", extra={"run_id": run_id})
            return {"run_id": run_id, "outcome": "resumed", "approve_all": approve_all}
        registry.set_status(run_id, registry.FAILED, clear_token=True, failure="review wait ended before the upload")
        return _report(shown, "wait_ended", "the run had stopped waiting (its review time limit passed or it was stopped).")
    except Exception as exc:
        registry.release_review(run_id, token)
        if transient_cause(exc) is None:
            raise
        raise TransientError(f"{transient_cause(exc)} while resuming run {shown}; retry later") from None
    try:
        registry.review_delivered(run_id, token)
    except Exception:  # the run resumed; a leftover token is cleared when the run ends
        logger.warning("could not clear the delivered token", extra={"run_id": run_id})
    logger.info("review received", extra={"run_id": run_id, "approve_all": approve_all})
    metrics.add_metric(name="ReviewsReceived", unit=MetricUnit.Count, value=1)
    return {"run_id": run_id, "outcome": "resumed", "approve_all": approve_all}


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    results = []
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)
        results.append(resume(record.s3.bucket.name, key, record.s3.get_object.version_id))
    return {"reviews": results}
