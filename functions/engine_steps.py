"""Small helpers the engine and document handlers share (they import pandas; the control functions
must not import this module)."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from blueprint.intake.issues import IssueLog
from blueprint.run.cloud_steps import InputRejected
from blueprint.run.local import RunSettings

from . import layout
from .aws import s3
from .common import InputTooLarge
from .contracts import Run, Source

__all__ = ["InputRejected", "InputTooLarge", "download_sources", "publish_rejection", "require_space", "settings"]


def settings(run: Run) -> RunSettings:
    """The engine's settings of the run (``blueprint.run.local.RunSettings``) from the execution's."""
    return RunSettings.model_validate(run.model_dump())


def download_sources(source: Source, folder: Path) -> list[Path]:
    """Download every file of the source, at its exact version, under distinct local names."""
    return [
        s3.download(
            source.bucket,
            item.key,
            folder / f"{index:04d}" / PurePosixPath(item.key).name,
            version_id=item.version_id or None,
        )
        for index, item in enumerate(source.file_list())
    ]


def require_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise InputTooLarge(f"the step needs about {needed:,} bytes of /tmp and has {free:,}")


def publish_rejection(
    results_bucket: str, run_id: str, file_name: str, reason: str, folder: Path, issues: IssueLog | None = None
) -> str:
    """Write the run's data-issues report for an upload that cannot be processed; return its key."""
    log = issues if issues is not None else IssueLog()
    log.add(file_name, 0, "", "FILE_REJECTED", reason, "file not processed")
    path = folder / layout.DATA_ISSUES_FILE
    log.frame().to_csv(path, index=False)
    return s3.upload_file(path, results_bucket, layout.data_issues_key(run_id))
