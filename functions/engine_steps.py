"""Small helpers the engine and document handlers share (they import pandas; the control functions
must not import this module)."""

from __future__ import annotations

import shutil
from pathlib import Path

from blueprint.issues import IssueLog
from blueprint.pipeline import RunSettings

from .common import env, upload_file
from . import layout


class InputRejected(Exception):
    """The upload cannot be processed at all. Step Functions catches this name; the reason is in the
    run's data-issues report, never in this message."""


class InputTooLarge(Exception):
    """The upload does not fit the function's /tmp storage next to its shards."""


def settings(event: dict) -> RunSettings:
    return RunSettings.model_validate(event["run"])


def require_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise InputTooLarge(f"the step needs about {needed:,} bytes of /tmp and has {free:,}")


def publish_rejection(run_id: str, file_name: str, reason: str, folder: Path, issues: IssueLog | None = None) -> str:
    """Write the run's data-issues report for an upload that cannot be processed; return its key."""
    log = issues if issues is not None else IssueLog()
    log.add(file_name, 0, "", "FILE_REJECTED", reason, "file not processed")
    path = folder / layout.DATA_ISSUES_FILE
    log.frame().to_csv(path, index=False)
    return upload_file(path, env("RESULTS_BUCKET"), layout.data_issues_key(run_id))
