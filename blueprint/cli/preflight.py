"""Checks made before a command reads or writes anything, each failing with one line that says what to do.

Day-one mistakes: an output path that is a file or cannot be created, an evaluation date typed
with the wrong year, a reviewed workbook that is not where the command was told or is not an
Excel workbook at all, a folder that already holds the office's work. Each is a :class:`~blueprint.base.errors.UsageError` (exit code 2).
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
    _check_creatable(out, option, "output folder")


def check_output_file(out: Path, option: str = "--out", *, force: bool = False) -> None:
    """``out`` must be a new file (or an existing one with ``force``) in a folder that can be written."""
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"{option} {out} is a folder: give a file name, e.g. {out / 'synthetic-doj.dat'}")
    if out.exists() and not force:
        raise UsageError(f"{option} {out} already exists; choose a new file name, or add --force to replace it")
    _check_creatable(out.parent, option, "output file", shown=out)


def _check_creatable(folder: Path, option: str, what: str, shown: Path | None = None) -> None:
    """Where ``folder`` would be created (its nearest existing ancestor) must be a folder this user
    can write in. The message says what could not be created, where, and why:
    ``cannot create the output folder /proc/nope (--out): nothing can be created in /proc (...)``."""
    ancestor = existing_ancestor(folder)
    shown = shown or folder
    cannot = f"cannot create the {what} {shown} ({option}):"
    if not ancestor.is_dir():
        raise UsageError(f"{cannot} {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"{cannot} no permission to write in {ancestor}")
    try:  # the real test (a read-only file system, an access list): the outputs are staged right here
        tempfile.TemporaryDirectory(prefix=".clearance-check-", dir=ancestor).cleanup()
    except OSError as exc:
        # The system's own reason in brackets: /proc answers "No such file or directory", a
        # read-only disk "Read-only file system".
        reason = exc.strerror or type(exc).__name__
        raise UsageError(
            f"{cannot} nothing can be created in {ancestor} ({reason}); choose a folder you can write to"
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


#: How an .xls workbook (Excel 97-2003) and the other old Office files begin.
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS_XLSX = "open it in Excel and save it as an Excel Workbook (.xlsx)"


def check_workbook(path: Path, option: str = "--review") -> None:
    """``path`` must be an Excel workbook (.xlsx) file, checked before anything is read or written.

    A text file renamed .xlsx, a folder, an old .xls, an .ods or a broken archive gets one line that
    says what the file is and what to do, with the exit code of a bad input (2). A workbook whose
    sheets are not the run's review is the review reader's to refuse (exit 3).
    """
    path = Path(path)
    if path.is_dir():
        raise UsageError(
            f"{option} {path} is a folder, not an Excel workbook (.xlsx): give the reviewed workbook file itself"
        )
    check_existing_file(path, option, "reviewed workbook")
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError as exc:
        raise UsageError(f"{option} {path} cannot be read ({exc.strerror or type(exc).__name__})") from None
    reason = _not_a_workbook(path, head)
    if reason:
        raise UsageError(f"{option} {path} is not an Excel workbook (.xlsx): {reason}")


def _not_a_workbook(path: Path, head: bytes) -> str:
    """Why the file that begins with ``head`` is not an .xlsx workbook, or "" if it looks like one.

    An .xlsx file is a zip archive holding ``xl/workbook.xml``; only the archive's list of names is
    read here, never a cell.
    """
    import zipfile

    if not head:
        return "the file is empty (0 bytes)"
    if head.startswith(_OLE_SIGNATURE):
        return f"it is in the older Excel 97-2003 format (.xls) or another old Office format; {_SAVE_AS_XLSX}"
    if not head.startswith(b"PK"):
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return "its content is not the zip archive every .xlsx file is; give the review.xlsx of the run"
        return (
            "it is a text file; give the review.xlsx of the run as the office saved it in Excel (a "
            "workbook saved as CSV or text loses its Run sheet)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return (
            "its zip archive is damaged or incomplete (copied before it was fully saved?); copy the "
            "workbook again from where the office saved it"
        )
    if "xl/workbook.xml" in names:
        return ""
    if "content.xml" in names and "mimetype" in names:
        return f"it is an OpenDocument spreadsheet (.ods); {_SAVE_AS_XLSX}"
    if "word/document.xml" in names:
        return "it is a Word document (.docx); give the review.xlsx of the run"
    return "it is a zip archive without a workbook in it; give the review.xlsx of the run"


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
    "check_workbook",
]
