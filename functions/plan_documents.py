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

from blueprint.filings import ReviewRejected as EngineReviewRejected
from blueprint.filings import plan_document_batches

from . import layout
from .common import Rejected, delete_prefix, download, env, handler as lambda_handler, logger, put_json, upload_dir, upload_file, workspace
from .engine_steps import settings

#: The files of a run that the filings read (docs/reference/results.md).
RUN_FILES = ("manifest.json", "convictions.parquet")


class ReviewRejected(Rejected):
    """The uploaded review was not accepted. The state machine waits again; the problems are in the
    run's review-problems.csv, never in this message."""


def profile_path(options: dict) -> str | None:
    return options.get("office_profile") or env("OFFICE_PROFILE", "") or None


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    run, review, options = settings(event), event["review"], event.get("options") or {}
    logger.append_keys(run_id=run.run_id, step="apply_review")
    results = env("RESULTS_BUCKET")
    with workspace("plan") as folder:
        run_dir = folder / "run"
        for name in RUN_FILES:
            download(results, layout.run_prefix(run.run_id) + name, run_dir / name)
        workbook = None
        if not review.get("approve_all"):
            workbook = download(review["bucket"], review["key"], folder / "review" / PurePosixPath(review["key"]).name,
                                version_id=review.get("version_id"))
        out = folder / "filings"
        try:
            batches = plan_document_batches(
                run_dir, out, review=workbook, approve_all=bool(review.get("approve_all")),
                profile=profile_path(options), per_case=bool(options.get("per_case_documents")),
            )
        except EngineReviewRejected as exc:
            report = folder / layout.REVIEW_PROBLEMS_FILE
            with report.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["sheet", "row", "column", "problem"])
                for problem in exc.problems:
                    writer.writerow([problem.sheet, problem.row or "", problem.column or "", problem.message])
            upload_file(report, results, layout.review_problems_key(run.run_id))
            logger.warning("review not accepted", extra={"problems": len(exc.problems)})
            raise ReviewRejected(f"{len(exc.problems)} problem(s); see the run's review-problems.csv") from None
        # Documents of an earlier attempt (a run filed again) must not mix with this plan's.
        delete_prefix(results, layout.work_filings_prefix(run.run_id))
        upload_dir(out, results, layout.work_filings_prefix(run.run_id))
    put_json(results, layout.batches_list_key(run.run_id), batches)
    logger.info("review applied", extra={"batches": len(batches), "approve_all": bool(review.get("approve_all"))})
    return {"items_key": layout.batches_list_key(run.run_id), "batches": len(batches)}
