"""Small helpers the engine and document handlers share (they import pandas; the control functions
must not import this module)."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from blueprint.intake.issues import IssueLog
from blueprint.run.local import RunSettings

from .common import Rejected, download, env, upload_file
from . import layout
from .limits import largest_input


class InputRejected(Rejected):
    """The upload cannot be processed at all. The reason is in the run's data-issues report, never
    in this message (Step Functions records it)."""


class InputTooLarge(Rejected):
    """The upload is larger than one run accepts (functions/limits.py), or does not fit this
    function's /tmp."""


def max_input_bytes() -> int:
    """The largest upload a run accepts: MAX_INPUT_BYTES from the stack, or the default split size."""
    return int(env("MAX_INPUT_BYTES", str(largest_input(10240))))


def settings(event: dict) -> RunSettings:
    return RunSettings.model_validate(event["run"])


def source_files(source: dict) -> list[dict]:
    """The files of a run's source: a delivery's files, or the one uploaded file."""
    files = source.get("files")
    if files is None:  # an execution input written by hand (re-filing) may name one file only
        files = [{k: source.get(k) for k in ("key", "version_id", "size")}]
    return files


def download_sources(source: dict, folder: Path) -> list[Path]:
    """Download every file of the source, at its exact version, under distinct local names."""
    paths = []
    for index, item in enumerate(source_files(source)):
        name = PurePosixPath(item["key"]).name
        paths.append(download(source["bucket"], item["key"], folder / f"{index:04d}" / name,
                              version_id=item.get("version_id") or None))
    return paths


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
