"""The filing set: from the office's review to court-ready filings.

Entry points (all on local folders, no AWS):

- ``finalize(run_dir, out_dir, review=..., approve_all=..., profile=..., per_case=...)``: everything.
- ``plan_document_batches`` / ``render_document_batch`` / ``assemble_filings``: the same work split
  into batches for a parallel runner (the cloud pipeline's Distributed Map).

See ``docs/filings.md`` for what each filing is and how an office files it.
"""

from ..review.reader import ReviewProblem, ReviewRejected
from .pipeline import (
    WORK_FILES,
    FilingError,
    FilingResult,
    assemble_filings,
    finalize,
    plan_document_batches,
    render_document_batch,
)
from .profile import OfficeProfile, ProfileError, load_profile
from ..report.finished_run import RunData, RunError, load_run

__all__ = [
    "WORK_FILES",
    "FilingError",
    "FilingResult",
    "OfficeProfile",
    "ProfileError",
    "ReviewProblem",
    "ReviewRejected",
    "RunData",
    "RunError",
    "assemble_filings",
    "finalize",
    "load_profile",
    "load_run",
    "plan_document_batches",
    "render_document_batch",
]
