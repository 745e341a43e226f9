"""Progress of a command's long phases, shown on a terminal only.

A large county's run takes seconds and its filing set minutes; staff should see that something is
happening and what. Each phase (reading, evaluating, writing the outputs, the earlier tool's files;
checking the review, the bulk documents, the notices of challenge, the per-case orders, the index)
shows a line on standard error while it lasts, with a bar where the amount of work is known.
Nothing is shown when standard error is not a terminal (a pipe, a log file, a scheduled job) or the
command was asked for ``--quiet`` or ``--json``: the line is for people, not for logs.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator


def _nothing(_n: int = 1) -> None:
    return None


class Phases:
    """Shows one phase at a time with tqdm (loaded only when shown)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    @classmethod
    def for_terminal(cls, *, quiet: bool = False) -> "Phases":
        return cls(not quiet and sys.stderr.isatty())

    @contextmanager
    def phase(self, name: str, total: int | None = None, unit: str = "") -> Iterator[Callable[[int], None]]:
        """A phase called ``name``; yields the function that advances its bar (by rows, files, ...).

        With no ``total`` the line just names the phase while it runs.
        """
        if not self.enabled:
            yield _nothing
            return
        from tqdm import tqdm

        if total is None and not unit:
            bar = tqdm(total=None, desc=name, file=sys.stderr, leave=False, bar_format="{desc} ...")
        else:
            bar = tqdm(
                total=total or None,
                desc=name,
                unit=unit,
                unit_scale=unit == " rows",
                file=sys.stderr,
                leave=False,
                dynamic_ncols=True,
            )
        try:
            yield bar.update
        finally:
            bar.close()


#: Phases that show nothing (library calls, tests, the cloud's steps).
SILENT = Phases(False)

__all__ = ["Phases", "SILENT"]
