"""A run's output folder: which files a run wrote, and whether a new run may be written there.

Kept apart from ``blueprint.run.outputs`` (which loads pandas and the workbook writer) because the local
run checks its output folder before it starts reading, and the read must start at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..base.errors import UsageError
from ..base.staging import Earlier, files_under, sha256_of

MANIFEST_FILE = "manifest.json"
REVIEW_FILE = "review.xlsx"


def record_outputs(out_dir: Path, manifest: dict) -> None:
    """List the run's files in its manifest, each with its SHA-256 (``output_sha256``).

    The checksums let ``finalize`` refuse a run folder whose tables do not belong to its manifest
    (a mix of two runs), and let a later run into the same folder tell the files it may replace
    from the ones the office changed (an edited ``review.xlsx`` is kept).
    """
    known = manifest.get("output_sha256") or {}
    files = [rel for rel in files_under(out_dir) if rel != MANIFEST_FILE]
    manifest["outputs"] = [rel for rel in files if "/" not in rel]
    manifest["output_sha256"] = {rel: known.get(rel) or sha256_of(out_dir / rel) for rel in files}


def earlier_run(out_dir: Path, *, force: bool) -> Earlier | None:
    """What an earlier run in ``out_dir`` wrote, when a new run may be written there.

    A missing or empty folder: None. A folder holding a run, or anything else, is refused unless
    ``force``; with it, the new run replaces only the earlier run's own unchanged files (see
    ``blueprint.base.staging.merge_into``): an edited ``review.xlsx`` is kept under a name with the earlier
    run's id and the time, and files the office added stay.
    """
    out_dir = Path(out_dir)
    if not out_dir.is_dir() or not any(out_dir.iterdir()):
        return None
    try:
        manifest = json.loads((out_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
        run_id = str(manifest["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        manifest, run_id = None, ""
    if manifest is None:
        if not force:
            raise UsageError(
                f"--out {out_dir} is not empty and holds no finished run (no manifest.json): choose a new "
                "or empty folder, or add --force to write the run beside the files there (none is changed)"
            )
        return Earlier(label="earlier")
    if not force:
        raise UsageError(
            f"--out {out_dir} holds an earlier run ({run_id}): choose a new folder, or add --force to "
            f"replace it (an edited {REVIEW_FILE} is kept, renamed with that run's id and the time)"
        )
    files = dict(manifest.get("output_sha256") or {name: "" for name in manifest.get("outputs") or []})
    files[MANIFEST_FILE] = ""
    return Earlier(files, label=run_id, keep_unknown=frozenset({REVIEW_FILE}))


__all__ = ["MANIFEST_FILE", "REVIEW_FILE", "earlier_run", "record_outputs"]
