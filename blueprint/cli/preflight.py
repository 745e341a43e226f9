"""Checks made before a command reads or writes anything, each failing with one line that says what to do.

Day-one mistakes: an output path that is a file or cannot be created, an evaluation date typed
with the wrong year, a reviewed workbook that is not where the command was told, a folder that
already holds the office's work. Each is a :class:`~blueprint.base.errors.UsageError` (exit code 2).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from ..base.errors import UsageError
from ..base.staging import existing_ancestor

#: The earliest evaluation date accepted without ``--force``. HS 11361.8 took effect on
#: 9 November 2016; a date decades earlier is almost certainly a typing slip.
EARLIEST_AS_OF = dt.date(1990, 1, 1)


def check_output_folder(out: Path, option: str = "--out") -> None:
    """``out`` must be a folder, or a path where one can be created."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option} {out} is a file, not a folder: give a folder for the outputs")
    _check_creatable(out, option)


def check_output_file(out: Path, option: str = "--out", *, force: bool = False) -> None:
    """``out`` must be a new file (or an existing one with ``force``) in a folder that can be written."""
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"{option} {out} is a folder: give a file name, e.g. {out / 'synthetic-doj.dat'}")
    if out.exists() and not force:
        raise UsageError(f"{option} {out} already exists; choose a new file name, or add --force to replace it")
    _check_creatable(out.parent, option, shown=out)


def _check_creatable(folder: Path, option: str, shown: Path | None = None) -> None:
    ancestor = existing_ancestor(folder)
    shown = shown or folder
    if not ancestor.is_dir():
        raise UsageError(f"{option} {shown} cannot be created: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {shown} cannot be created: no permission to write in {ancestor}")
    try:  # the real test (a read-only file system, an access list): the outputs are staged right here
        tempfile.TemporaryDirectory(prefix=".clearance-check-", dir=ancestor).cleanup()
    except OSError as exc:
        raise UsageError(
            f"{option} {shown} cannot be created: {exc.strerror or type(exc).__name__} in {ancestor}"
        ) from None


def check_as_of(as_of: dt.date, *, force: bool, today: dt.date | None = None) -> None:
    """An evaluation date in the future or before 1990 is refused unless ``force`` is given."""
    today = today or dt.date.today()
    if force:
        return
    if as_of > today:
        raise UsageError(
            f"--as-of {as_of} is in the future (today is {today}); relief is decided on a date that "
            "has come, usually today: correct it, or add --force if the date is intended"
        )
    if as_of < EARLIEST_AS_OF:
        raise UsageError(
            f"--as-of {as_of} is before {EARLIEST_AS_OF.year}, long before HS 11361.8 took effect "
            "(2016-11-09): correct it, or add --force if the date is intended"
        )


def check_existing_file(path: Path, option: str, what: str) -> None:
    """``path`` must be an existing file (a workbook, a profile)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{option} {path} is a folder: give the {what} file itself")
    if not path.exists():
        raise UsageError(f"{option} {path} does not exist: check the name and the folder of the {what}")


def check_generate(rows: int, malformed_rate: float) -> None:
    if rows < 1:
        raise UsageError(f"--rows must be at least 1, got {rows}")
    if not 0.0 <= malformed_rate <= 1.0:
        raise UsageError(
            f"--malformed-rate is a share of rows between 0 and 1 (0.001 is one row in a thousand), "
            f"got {malformed_rate:g}"
        )


__all__ = [
    "EARLIEST_AS_OF",
    "check_as_of",
    "check_existing_file",
    "check_generate",
    "check_output_file",
    "check_output_folder",
]
