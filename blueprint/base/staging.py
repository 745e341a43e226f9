"""All or nothing: outputs are written into a temporary sibling and moved into place at the end.

A run, a filing set or a synthetic file takes seconds to minutes to write. If the command stops
half-way (Ctrl-C, a full disk, a bug), the office must not find a mix of new and old files that
looks complete. So every command writes into a hidden folder (or file) beside its target, named
``.<target>.partial-<random>``, and only when everything is written moves it into place:

- a target that does not exist yet (or is an empty folder) is replaced by one rename, which is
  atomic on the same file system;
- a folder that holds an earlier result is *merged*: :func:`merge_into` replaces only the files the
  earlier result wrote and nobody changed since; a file the office changed is kept under a new name,
  and a file the office added stays as it is. The marker file (a run's ``manifest.json``, a filing
  set's ``index.json``) is removed first and moved in last, so the folder is never marked complete
  while it holds a mix.

The merge runs as a critical section: an interrupt that arrives during it is held back until it
is done (see :func:`critical_section`). A staged folder that is not committed is deleted; the
``clearance`` command also deletes any left behind when it is interrupted (:func:`discard_all`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from .errors import Interrupted

PARTIAL = ".partial-"

#: Staged folders and files not yet committed or discarded, by path.
_LIVE: set[Path] = set()
#: Targets committed by this process (the interrupt message says whether anything was written).
COMMITTED: list[Path] = []

_critical = 0
_held: list[str] = []


def staging_path(target: Path, *, folder: bool) -> Path:
    """A new, empty temporary folder (or a free file name) beside ``target``, registered as live."""
    target = Path(target)
    parent = existing_ancestor(target.parent)  # the target's folder may not exist yet: made at the commit
    prefix = f".{target.name}{PARTIAL}"
    with critical_section():  # made and registered together: an interrupt in between would leave it behind
        if folder:
            path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        else:
            handle, name = tempfile.mkstemp(prefix=prefix, suffix=target.suffix, dir=parent)
            os.close(handle)
            path = Path(name)
        _LIVE.add(path)
    # mkdtemp/mkstemp make private entries (0700/0600); once moved into place the output should have
    # the permissions any new folder or file gets here, as it would without staging.
    os.chmod(path, (0o777 if folder else 0o666) & ~_umask())
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def existing_ancestor(path: Path) -> Path:
    """``path`` itself if it exists, else the nearest folder above it that does."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def discard(path: Path) -> None:
    """Delete a staged folder or file (nothing happens if it is already gone)."""
    path = Path(path)
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    _LIVE.discard(path)


def discard_all() -> None:
    """Delete every staged folder or file of this process that was not committed."""
    for path in list(_LIVE):
        discard(path)


@contextmanager
def critical_section() -> Iterator[None]:
    """Run a short block (the final moves) to its end even if an interrupt arrives meanwhile.

    The ``clearance`` command's signal handler asks :func:`in_critical_section` and, inside one,
    calls :func:`hold` instead of raising; the interrupt is raised here once the block is done.
    """
    global _critical
    _critical += 1
    try:
        yield
    finally:
        _critical -= 1
        if not _critical and _held:
            name = _held[0]
            _held.clear()
            raise Interrupted(name)


def in_critical_section() -> bool:
    return _critical > 0


def hold(signal_name: str) -> None:
    """Remember an interrupt that arrived inside a critical section."""
    _held.append(signal_name)


@contextmanager
def staged_file(target: Path) -> Iterator[Path]:
    """A temporary file beside ``target``; it replaces ``target`` when the block ends without error."""
    target = Path(target)
    path = staging_path(target, folder=False)
    try:
        yield path
        with critical_section():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, target)
            _LIVE.discard(path)
            COMMITTED.append(target)
    finally:
        if path in _LIVE:
            discard(path)


@contextmanager
def staged_folder(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target``; discarded unless :func:`merge_into` committed it."""
    path = staging_path(target, folder=True)
    try:
        yield path
    finally:
        if path in _LIVE:
            discard(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def files_under(folder: Path) -> list[str]:
    """Every file under ``folder``, as sorted POSIX paths relative to it."""
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


@dataclass
class Earlier:
    """What an earlier result in the target folder wrote: relative path -> SHA-256 ("" if unknown).

    ``label`` names that result in the names of kept files (a run id). ``keep_unknown`` lists the
    files kept even when their SHA-256 was not recorded (written by an older version): for those,
    whether the office changed them cannot be told, so they are treated as changed.
    """

    files: dict[str, str] = field(default_factory=dict)
    label: str = "earlier"
    keep_unknown: frozenset[str] = frozenset()


@dataclass
class MergeReport:
    """What :func:`merge_into` did besides moving the new files in."""

    kept: list[tuple[str, str]] = field(default_factory=list)  # (file, new name): changed by the office
    removed: list[str] = field(default_factory=list)  # the earlier result's files it no longer writes


def kept_name(rel: str, label: str, when: dt.datetime) -> str:
    """``review.xlsx`` -> ``review-<label>-20261121-101500.xlsx`` (same folder)."""
    path = Path(rel)
    return (path.parent / f"{path.stem}-{label}-{when:%Y%m%d-%H%M%S}{path.suffix}").as_posix()


def _still_ours(path: Path, rel: str, earlier: Earlier, sizes: dict[str, int]) -> bool:
    """Whether a file in the target is the earlier result's, as it wrote it (so it may be replaced)."""
    if rel not in earlier.files:
        return False  # the office's own file
    recorded = earlier.files[rel]
    if not recorded:  # written by a version that recorded no SHA-256
        return rel not in earlier.keep_unknown
    if rel in sizes and path.stat().st_size != sizes[rel]:
        return False
    return sha256_of(path) == recorded


def merge_into(
    stage: Path,
    target: Path,
    *,
    marker: str,
    earlier: Earlier | None = None,
    sizes: dict[str, int] | None = None,
    now: Callable[[], dt.datetime] = dt.datetime.now,
) -> MergeReport:
    """Move the staged folder's files into ``target``: the commit of :func:`staged_folder`.

    ``target`` either does not exist, is an empty folder, or holds the ``earlier`` result (the
    caller has checked that). ``marker`` is the file whose presence means "complete": it goes last.
    """
    stage, target = Path(stage), Path(target)
    report = MergeReport()
    with critical_section():
        if not target.exists() or (target.is_dir() and not any(target.iterdir())):
            if target.exists():
                target.rmdir()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(stage, target)
            _LIVE.discard(stage)
            COMMITTED.append(target)
            return report
        earlier = earlier or Earlier()
        new = files_under(stage)
        when = now()
        if marker in earlier.files:  # incomplete from here until the new marker is in
            (target / marker).unlink(missing_ok=True)
        for rel in sorted(set(new) | set(earlier.files)):
            old = target / rel
            if not old.is_file():
                continue
            ours = _still_ours(old, rel, earlier, sizes or {})
            if ours:
                if rel not in new:
                    old.unlink()
                    report.removed.append(rel)
            elif rel in new:  # the office's file (or its edit of ours) where a new file goes: keep it
                aside = kept_name(rel, earlier.label, when)
                number = 1
                while (target / aside).exists():  # never over another kept file
                    number += 1
                    stem, dot, suffix = kept_name(rel, earlier.label, when).rpartition(".")
                    aside = f"{stem}-{number}{dot}{suffix}" if dot else f"{suffix}-{number}"
                os.rename(old, target / aside)
                report.kept.append((rel, aside))
        for rel in [r for r in new if r != marker] + ([marker] if marker in new else []):
            destination = target / rel
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage / rel, destination)
        for folder in sorted({(target / r).parent for r in report.removed}, key=lambda p: -len(p.parts)):
            if folder != target and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        discard(stage)
        COMMITTED.append(target)
    return report


__all__ = [
    "COMMITTED",
    "Earlier",
    "MergeReport",
    "critical_section",
    "discard",
    "discard_all",
    "existing_ancestor",
    "files_under",
    "hold",
    "in_critical_section",
    "kept_name",
    "merge_into",
    "sha256_of",
    "staged_file",
    "staged_folder",
    "staging_path",
]
