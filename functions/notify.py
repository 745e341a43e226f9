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

import json
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError

from . import layout, registry
from .common import MetricUnit, client, env, exists, handler as lambda_handler, logger, metrics, publish, put_json

#: What the office or IT should do after a failure, by the error Step Functions recorded.
FAILURE_HINTS = {
    "InputRejected": "The upload is not a usable DOJ research file; the data-issues report says why.",
    "InputTooLarge": "The upload is larger than one run can hold; see docs/deployment.md, 'Scale'.",
    "States.Timeout": "No review arrived before the review time limit; upload the DOJ file again to start over.",
    "ProfileError": "The office profile is missing or is for another county; see docs/deployment.md.",
}
DEFAULT_HINT = "See docs/operations.md, 'Recovering a failed run'."

#: Errors that are the upload's, not the pipeline's: counted as rejections, not as failed runs.
REJECTIONS = ("InputRejected", "InputTooLarge")


def review_counts(run_id: str) -> dict:
    """The counts of the run's review outputs, from its manifest.json ({} if there is none)."""
    try:
        body = client("s3").get_object(Bucket=env("RESULTS_BUCKET"), Key=layout.manifest_key(run_id))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return {}
        raise
    return json.loads(body).get("counts", {})


def _status(run: dict, status: str, **details: Any) -> dict:
    document = {
        "run_id": run["run_id"],
        "status": status,
        "county": run.get("county"),
        "evaluation_date": run.get("evaluation_date"),
        "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **details,
    }
    put_json(env("RESULTS_BUCKET"), layout.status_key(run["run_id"]), document)
    return document


def review_ready(event: dict) -> dict:
    run = event["run"]
    run_id = run["run_id"]
    attempt = event.get("review_attempt") or {}
    rejected = bool(attempt.get("Error"))
    # The execution that waits (a re-filed run's differs from the first), for resume_review's checks.
    extra = {"execution_arn": event["execution"]} if event.get("execution") else {}
    registry.set_status(run_id, registry.WAITING_FOR_REVIEW, task_token=event["task_token"], **extra)
    results, uploads = env("RESULTS_BUCKET"), env("UPLOAD_BUCKET")
    counts = review_counts(run_id)
    upload_to = f"s3://{uploads}/{layout.REVIEWS}{run_id}/"
    details = {
        "results": f"s3://{results}/{layout.run_prefix(run_id)}",
        "counts": counts,
        "review_upload_folder": upload_to,
    }
    if rejected:
        details["review_problems"] = f"s3://{results}/{layout.review_problems_key(run_id)}"
    _status(run, registry.WAITING_FOR_REVIEW, **details)
    lines = [
        f"Run {run_id} ({run['county']}, evaluated as of {run['evaluation_date']}).",
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
    publish(f"{'Review not accepted' if rejected else 'Review ready'}: run {run_id}", "\n".join(lines))
    logger.info("waiting for review", extra={"run_id": run_id, "rejected_before": rejected})
    return {"run_id": run_id, "status": registry.WAITING_FOR_REVIEW}


def filings_ready(event: dict) -> dict:
    run, filings = event["run"], event.get("filings") or {}
    run_id = run["run_id"]
    results = env("RESULTS_BUCKET")
    location = f"s3://{results}/{layout.filings_prefix(run_id)}"
    registry.set_status(run_id, registry.FILINGS_READY, clear_token=True)
    _status(run, registry.FILINGS_READY, filings=location, counts=filings.get("counts", {}), files=filings.get("files"))
    counts = filings.get("counts", {})
    publish(
        f"Filings ready: run {run_id}",
        "\n".join([
            f"Run {run_id} ({run['county']}): the filing set is complete.",
            f"  {location}",
            f"Files: {filings.get('files', 0)} (index.json and SHA256SUMS list each with its SHA-256).",
            f"Convictions granted relief: {counts.get('granted_convictions', 0)}; "
            f"challenged: {counts.get('challenged_convictions', 0)}; pending hand review: {counts.get('pending_convictions', 0)}.",
        ]),
    )
    metrics.add_metric(name="RunsCompleted", unit=MetricUnit.Count, value=1)
    return {"run_id": run_id, "status": registry.FILINGS_READY}


def failed(event: dict) -> dict:
    run = event["run"]
    run_id = run["run_id"]
    error = str((event.get("error") or {}).get("Error") or "Unknown")
    results = env("RESULTS_BUCKET")
    details: dict[str, Any] = {"error": error, "what_to_do": FAILURE_HINTS.get(error, DEFAULT_HINT)}
    if exists(results, layout.data_issues_key(run_id)):
        details["data_issues"] = f"s3://{results}/{layout.data_issues_key(run_id)}"
    registry.set_status(run_id, registry.FAILED, clear_token=True, failure=error)
    _status(run, registry.FAILED, **details)
    lines = [f"Run {run_id} ({run['county']}) failed (error: {error}). Nothing of it was marked complete.",
             details["what_to_do"]]
    if "data_issues" in details:
        lines.append(f"Data-issues report: {details['data_issues']}")
    publish(f"Run failed: {run_id}", "\n".join(lines))
    logger.warning("run failed", extra={"run_id": run_id, "error": error})
    metrics.add_metric(name="InputsRejected" if error in REJECTIONS else "RunsFailed", unit=MetricUnit.Count, value=1)
    return {"run_id": run_id, "status": registry.FAILED, "error": error}


KINDS = {"review_ready": review_ready, "filings_ready": filings_ready, "failed": failed}


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    kind = event.get("kind")
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind!r}")
    return KINDS[kind](event)
