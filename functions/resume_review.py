"""Resume review: the office's upload under ``reviews/<run id>/`` resumes the waiting run.

Triggered by S3 (ObjectCreated, prefix ``reviews/``). A reviewed workbook (``.xlsx``) or an
``APPROVE_ALL`` marker for a run that waits for its review sends the task token back to Step
Functions with the upload's location (:class:`~functions.contracts.ReviewUpload`); the "Apply review"
step then reads it. Anything else is reported to the office, never silently ignored: an unknown run,
a run that is not waiting (already resumed, finished or failed), or a file that is neither a workbook
nor the marker.

The task token is removed from the registry only once Step Functions has accepted it. If sending it
fails for a passing reason (throttling, a 5xx, a lost connection), the run is put back to waiting and
the function fails with ``TransientError``: Lambda retries the S3 event (and keeps it in the
dead-letter queue after its retries), and each retry finds the run waiting as before.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event

from . import layout, registry
from .aws import sns, stepfunctions
from .common import MetricUnit, TransientError, logger, metrics, safe_id, step
from .aws.errors import transient_cause
from .contracts import ResumeOutput, ReviewOutcome, ReviewUpload
from .environment import ResumeEnvironment


def _report(env: ResumeEnvironment, run_id: str, outcome: str, explanation: str) -> ReviewOutcome:
    logger.warning("review upload not used", extra={"run_id": run_id, "outcome": outcome})
    metrics.add_metric(name="ReviewUploadsNotUsed", unit=MetricUnit.Count, value=1)
    sns.publish(
        env.topic_arn,
        f"Review upload not used: run {run_id}",
        f"An upload under reviews/{run_id}/ was not used: {explanation}\n\n"
        "Nothing was changed. See docs/operations.md, 'Review uploads that are not used'.",
    )
    return ReviewOutcome(run_id=run_id, outcome=outcome)


def resume(env: ResumeEnvironment, bucket: str, key: str, version_id: str | None) -> ReviewOutcome:
    run_id = layout.review_run_id(key)
    if run_id is None:
        return ReviewOutcome(run_id=None, outcome="ignored")  # a folder marker or a file outside a run folder
    shown = safe_id(run_id)
    approve_all = layout.is_approve_all(key)
    if not approve_all and not layout.is_workbook(key):
        return _report(
            env, shown, "not_a_review", "it is neither a reviewed workbook (.xlsx) nor an APPROVE_ALL marker."
        )
    run = registry.get_run(run_id)
    if run is None:
        return _report(
            env,
            shown,
            "unknown_run",
            "no run has this id. Check the folder name against the run id in the 'review ready' notification.",
        )
    token = registry.claim_review(run_id, key, version_id)
    if token is None:
        return _report(
            env, shown, "not_waiting", f"the run is not waiting for a review (its status is {run['status']})."
        )
    upload = ReviewUpload(bucket=bucket, key=key, version_id=version_id, approve_all=approve_all)
    try:
        delivered = stepfunctions.send_task_success(token, upload)
    except Exception as exc:
        registry.release_review(run_id, token)
        if transient_cause(exc) is None:
            raise
        raise TransientError(f"{transient_cause(exc)} while resuming run {shown}; retry later") from None
    if not delivered:
        if stepfunctions.is_running(run.get("execution_arn")):
            # An earlier attempt of this upload delivered the token and its answer was lost.
            registry.review_delivered(run_id, token)
            logger.info("review had already been received", extra={"run_id": run_id})
            return ReviewOutcome(run_id=run_id, outcome="resumed", approve_all=approve_all)
        registry.set_status(run_id, registry.FAILED, clear_token=True, failure="review wait ended before the upload")
        return _report(
            env, shown, "wait_ended", "the run had stopped waiting (its review time limit passed or it was stopped)."
        )
    try:
        registry.review_delivered(run_id, token)
    except Exception:  # the run resumed; a leftover token is cleared when the run ends
        logger.warning("could not clear the delivered token", extra={"run_id": run_id})
    logger.info("review received", extra={"run_id": run_id, "approve_all": approve_all})
    metrics.add_metric(name="ReviewsReceived", unit=MetricUnit.Count, value=1)
    return ReviewOutcome(run_id=run_id, outcome="resumed", approve_all=approve_all)


@step(ResumeEnvironment, dict)
def handler(event: dict, env: ResumeEnvironment, context: Any) -> ResumeOutput:
    results = []
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)
        results.append(resume(env, record.s3.bucket.name, key, record.s3.get_object.version_id))
    return ResumeOutput(reviews=results)
