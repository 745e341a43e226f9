"""Notify: record a run's stage in the registry and in ``runs/<run id>/STATUS.json``, and tell the office.

Called by the state machine at three points:

* ``review_ready`` (with the review task token): the review outputs are complete. The token is
  stored first, then the office is told, so a review uploaded right after the e-mail always finds the
  run waiting. Also used again, with the problems noted, when an uploaded review was not accepted.
  The counts come from the run's ``manifest.json``, so that every path into the wait (a re-filed
  run included) gives the same notice.
* ``filings_ready``: the filing set is complete under ``runs/<run id>/filings/``.
* ``failed``: a step failed, or rejected the upload (``InputRejected``, ``InputTooLarge``). The run is
  marked failed and nothing of it is marked complete.

Messages carry the run id, counts and S3 locations only; an e-mail leaves the county's account.
"""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any, Callable

from . import layout, registry
from .aws import s3, sns
from .common import InputTooLarge, MetricUnit, logger, metrics, step
from .contracts import Failed, FilingsOutput, FilingsReady, Notification, NotifyOutput, ReviewReady, Run
from .environment import NotifyEnvironment

#: What the office or IT should do after a failure, by the error Step Functions recorded.
FAILURE_HINTS = {
    "InputRejected": "The upload is not a usable DOJ research file; the data-issues report says why.",
    "InputTooLarge": "The upload is larger than one run can hold; see docs/deployment.md, 'Scale'.",
    "States.Timeout": "No review arrived before the review time limit; upload the DOJ file again to start over.",
    "ProfileError": "The office profile is missing or is for another county; see docs/deployment.md.",
}
DEFAULT_HINT = "See docs/operations.md, 'Recovering a failed run'."

#: Errors that are the upload's, not the pipeline's: counted as rejections, not as failed runs.
REJECTIONS = ("InputRejected", InputTooLarge.__name__)


def review_counts(env: NotifyEnvironment, run_id: str) -> dict:
    """The counts of the run's review outputs, from its manifest.json ({} if there is none)."""
    manifest = s3.get_json(env.results_bucket, layout.manifest_key(run_id))
    return (manifest or {}).get("counts", {})


def _status(env: NotifyEnvironment, run: Run, status: str, **details: Any) -> dict:
    document = {
        "run_id": run.run_id,
        "status": status,
        "county": run.county,
        "evaluation_date": run.evaluation_date.isoformat(),
        "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **details,
    }
    s3.put_json(env.results_bucket, layout.status_key(run.run_id), document)
    return document


def review_ready(event: ReviewReady, env: NotifyEnvironment) -> NotifyOutput:
    run = event.run
    run_id = run.run_id
    rejected = event.review_attempt.rejected
    # The execution that waits (a re-filed run's differs from the first), for resume_review's checks.
    extra = {"execution_arn": event.execution} if event.execution else {}
    registry.set_status(run_id, registry.WAITING_FOR_REVIEW, task_token=event.task_token, **extra)  # type: ignore[arg-type]  # extra is execution_arn only
    results, uploads = env.results_bucket, env.upload_bucket
    counts = review_counts(env, run_id)
    upload_to = f"s3://{uploads}/{layout.REVIEWS}{run_id}/"
    details = {
        "results": f"s3://{results}/{layout.run_prefix(run_id)}",
        "counts": counts,
        "review_upload_folder": upload_to,
    }
    if rejected:
        details["review_problems"] = f"s3://{results}/{layout.review_problems_key(run_id)}"
    _status(env, run, registry.WAITING_FOR_REVIEW, **details)
    lines = [
        f"Run {run_id} ({run.county}, evaluated as of {run.evaluation_date.isoformat()}).",
        "",
    ]
    if rejected:
        lines += [
            "The uploaded review was NOT accepted and nothing was filed. The problems are listed in",
            f"  {details['review_problems']}",
            "Correct the workbook and upload it again.",
            "",
        ]
    else:
        lines += [
            "The review outputs are ready:",
            f"  {details['results']}  (review.xlsx, summary.html, convictions.csv, data_issues.csv, manifest.json)",
            f"People: {counts.get('people', 0)}. Convictions evaluated: {counts.get('convictions_evaluated', 0)}. "
            f"Data issues: {counts.get('data_issues', 0)}.",
            "",
        ]
    lines += [
        "To file, upload the reviewed workbook (review.xlsx with the office's decisions) to",
        f"  {upload_to}",
        f"or an empty file named {layout.APPROVE_ALL} there to accept every recommendation.",
    ]
    sns.publish(
        env.topic_arn, f"{'Review not accepted' if rejected else 'Review ready'}: run {run_id}", "\n".join(lines)
    )
    logger.info("waiting for review", extra={"run_id": run_id, "rejected_before": rejected})
    return NotifyOutput(run_id=run_id, status=registry.WAITING_FOR_REVIEW)


def filings_ready(event: FilingsReady, env: NotifyEnvironment) -> NotifyOutput:
    run, filings = event.run, event.filings or FilingsOutput()
    run_id = run.run_id
    location = f"s3://{env.results_bucket}/{layout.filings_prefix(run_id)}"
    registry.set_status(run_id, registry.FILINGS_READY, clear_token=True)
    _status(env, run, registry.FILINGS_READY, filings=location, counts=filings.counts, files=filings.files)
    counts = filings.counts
    sns.publish(
        env.topic_arn,
        f"Filings ready: run {run_id}",
        "\n".join(
            [
                f"Run {run_id} ({run.county}): the filing set is complete.",
                f"  {location}",
                f"Files: {filings.files} (index.json and SHA256SUMS list each with its SHA-256).",
                f"Convictions granted relief: {counts.get('granted_convictions', 0)}; "
                f"challenged: {counts.get('challenged_convictions', 0)}; pending hand review: {counts.get('pending_convictions', 0)}.",
            ]
        ),
    )
    metrics.add_metric(name="RunsCompleted", unit=MetricUnit.Count, value=1)
    return NotifyOutput(run_id=run_id, status=registry.FILINGS_READY)


def failed(event: Failed, env: NotifyEnvironment) -> NotifyOutput:
    run = event.run
    run_id = run.run_id
    error = event.error.error or "Unknown"
    results = env.results_bucket
    details: dict[str, Any] = {"error": error, "what_to_do": FAILURE_HINTS.get(error, DEFAULT_HINT)}
    if s3.exists(results, layout.data_issues_key(run_id)):
        details["data_issues"] = f"s3://{results}/{layout.data_issues_key(run_id)}"
    registry.set_status(run_id, registry.FAILED, clear_token=True, failure=error)
    _status(env, run, registry.FAILED, **details)
    lines = [
        f"Run {run_id} ({run.county}) failed (error: {error}). Nothing of it was marked complete.",
        details["what_to_do"],
    ]
    if "data_issues" in details:
        lines.append(f"Data-issues report: {details['data_issues']}")
    sns.publish(env.topic_arn, f"Run failed: {run_id}", "\n".join(lines))
    logger.warning("run failed", extra={"run_id": run_id, "error": error})
    metrics.add_metric(name="InputsRejected" if error in REJECTIONS else "RunsFailed", unit=MetricUnit.Count, value=1)
    return NotifyOutput(run_id=run_id, status=registry.FAILED, error=error)


KINDS: dict[type, Callable[[Any, NotifyEnvironment], NotifyOutput]] = {
    ReviewReady: review_ready,
    FilingsReady: filings_ready,
    Failed: failed,
}


@step(NotifyEnvironment, Notification, what="notification")
def handler(event: ReviewReady | FilingsReady | Failed, env: NotifyEnvironment, context: Any) -> NotifyOutput:
    return KINDS[type(event)](event, env)
