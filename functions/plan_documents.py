"""Apply review: check the office's review against the run and plan the document batches.

Downloads the run's ``manifest.json`` and ``convictions.parquet`` and the uploaded review (the exact
object version), and calls ``blueprint.filings.plan_document_batches``. The plan (decided table,
office profile, plan) goes to ``work/<run id>/filings/`` and the batch list to
``work/<run id>/batches.json`` for the "Render documents" map.

A workbook that cannot be accepted is not an error of the run: its problems are written to
``runs/<run id>/review-problems.csv`` and the step returns a ``ReviewRejected`` rejection, which the
state machine sends back to waiting for a corrected review.
"""

from __future__ import annotations

import csv
from pathlib import PurePosixPath
from typing import Any

from blueprint.filings import ReviewRejected, plan_document_batches

from . import layout
from .aws import s3
from .common import Rejected, logger, step, workspace
from .contracts import PlanOutput, ReviewEvent
from .environment import PlanEnvironment

#: The files of a run that the filings read (docs/reference/results.md).
RUN_FILES = (layout.MANIFEST_FILE, "convictions.parquet")


def profile_path(event: ReviewEvent, env: PlanEnvironment) -> str | None:
    """The office profile: the run's own (a re-filed run may name one), else the deployment's."""
    return event.options.office_profile or env.office_profile or None


@step(PlanEnvironment, ReviewEvent)
def handler(event: ReviewEvent, env: PlanEnvironment, context: Any) -> PlanOutput:
    run, review = event.run, event.review
    logger.append_keys(run_id=run.run_id, step="apply_review")
    results = env.results_bucket
    with workspace("plan", env.scratch) as folder:
        run_dir = folder / "run"
        for name in RUN_FILES:
            s3.download(results, layout.run_prefix(run.run_id) + name, run_dir / name)
        workbook = None
        if not review.approve_all:
            workbook = s3.download(
                review.bucket,
                review.key,
                folder / "review" / PurePosixPath(review.key).name,
                version_id=review.version_id,
            )
        out = folder / "filings"
        try:
            batches = plan_document_batches(
                run_dir,
                out,
                review=workbook,
                approve_all=review.approve_all,
                profile=profile_path(event, env),
                per_case=event.options.per_case_documents,
            )
        except ReviewRejected as exc:
            report = folder / layout.REVIEW_PROBLEMS_FILE
            with report.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["sheet", "row", "column", "problem"])
                for problem in exc.problems:
                    writer.writerow([problem.sheet, problem.row or "", problem.column or "", problem.message])
            s3.upload_file(report, results, layout.review_problems_key(run.run_id))
            logger.warning("review not accepted", extra={"problems": len(exc.problems)})
            raise Rejected.because(
                ReviewRejected, f"{len(exc.problems)} problem(s); see the run's review-problems.csv"
            ) from None
        # Documents of an earlier attempt (a run filed again) must not mix with this plan's.
        s3.delete_prefix(results, layout.work_filings_prefix(run.run_id))
        s3.upload_dir(out, results, layout.work_filings_prefix(run.run_id))
    s3.put_json(results, layout.batches_list_key(run.run_id), batches)
    logger.info("review applied", extra={"batches": len(batches), "approve_all": review.approve_all})
    return PlanOutput(items_key=layout.batches_list_key(run.run_id), batches=len(batches))
