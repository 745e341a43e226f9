"""How the ``clearance`` command ends: one line for every mistake, an exit code for every outcome.

Exit codes (also in ``docs/local-run.md``):

==== =====================================================================================
0    success
1    the run finished, but an input file failed (the other files completed; ``run`` and ``inspect``)
2    a usage, input or configuration error: nothing was written
3    the reviewed workbook was refused: nothing was filed
4    an unexpected error (a fault in the kit or the machine): nothing was written
130  interrupted (Ctrl-C, or SIGTERM): nothing was written
==== =====================================================================================

Every error is printed as one line on standard error, starting ``error:``, naming the file,
option or setting and what to do; never a traceback, unless the command was given ``--debug``
(which adds the traceback above that line and leaves the exit code as it is without it).
An unexpected error prints only its type and where it happened in the kit's code (never its
message, which might quote a value from the data), and asks for ``--debug``.

On an interrupt the command stops its worker processes, deletes its half-written temporary
folders (``blueprint.base.staging``) and exits with 130.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Callable

from ..base import staging
from ..base.errors import Interrupted, PolicyError, UsageError

EXIT_OK, EXIT_FILE_FAILED, EXIT_USAGE, EXIT_REVIEW_REFUSED, EXIT_UNEXPECTED = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


_MAIN_PID = os.getpid()


def _on_signal(signum, _frame) -> None:
    if os.getpid() != _MAIN_PID:  # a forked worker before its own set-up (``forked.quiet_worker``)
        if signum == signal.SIGTERM:
            os._exit(128 + signum)
        return  # Ctrl-C reaches every process of the terminal; the command stops its workers itself
    name = signal.Signals(signum).name
    _received.append(name)
    if staging.in_critical_section():  # the final moves finish first, then the interrupt is raised
        staging.hold(name)
        return
    raise Interrupted(name)


#: The interrupts received. A library that catches the interrupt in the middle of its work and
#: raises an error of its own instead (a PDF writer closing its file) still ends as an interrupt.
_received: list[str] = []


def install_signal_handlers() -> dict:
    """Ctrl-C (SIGINT) and SIGTERM both become :class:`Interrupted` in the main thread.

    Returns the handlers they replace, for :func:`restore_signal_handlers`."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, _on_signal)
        except (ValueError, OSError):  # not the main thread, or a platform without the signal
            pass
    return previous


def restore_signal_handlers(previous: dict) -> None:
    """Put back the handlers :func:`install_signal_handlers` replaced (the command run in-process)."""
    for sig, handler in previous.items():
        if handler is not None:
            signal.signal(sig, handler)


def stop_children() -> None:
    """Terminate every worker process this process started (evaluation shards, the output writer)."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(timeout=5)
        if child.is_alive():
            child.kill()
            child.join(timeout=5)


def _where(exc: BaseException) -> str:
    """The innermost frame of the kit's own code in the traceback: ``blueprint/run/outputs.py:120``."""
    place = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        try:
            rel = path.resolve().relative_to(PACKAGE_ROOT)
        except ValueError:
            continue
        place = f"{PACKAGE_ROOT.name}/{rel.as_posix()}:{frame.lineno}"
    return place


def _interrupted(name: str) -> int:
    if staging.COMMITTED:
        written = ", ".join(str(p) for p in staging.COMMITTED)
        print(f"interrupted ({name}): {written} had been written in full; nothing else was written", file=sys.stderr)
    else:
        print(f"interrupted ({name}): nothing was written", file=sys.stderr)
    return EXIT_INTERRUPTED


def error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def guarded(command: Callable[[], int], *, debug: bool, known: dict[type, int]) -> int:
    """Run ``command`` and turn what it raises into one line and an exit code.

    ``known`` maps the exception types that carry a message meant for the user to their exit code
    (checked in order, so list subclasses first). With ``debug``, the full traceback is printed
    first; the line and the exit code are the same as without it, so a script that runs the
    command with ``--debug`` sees the same outcome.
    """
    staging.COMMITTED.clear()
    _received.clear()
    try:
        return command()
    except BaseException as exc:
        if isinstance(exc, SystemExit):
            raise
        stop_children()
        staging.discard_all()
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt) or _received:
            return _interrupted(exc.signal_name if isinstance(exc, Interrupted) else (_received or ["SIGINT"])[0])
        for kind, code in known.items():
            if isinstance(exc, kind):
                error(str(exc))
                return code
        if isinstance(exc, OSError) and exc.strerror:  # the machine, not the kit: a full disk, a permission
            where = f": {exc.filename}" if exc.filename else ""
            error(f"{exc.strerror}{where}; nothing was written")
            return EXIT_UNEXPECTED
        where = _where(exc)
        error(
            f"unexpected {type(exc).__name__}{' at ' + where if where else ''}; nothing was written. "
            + ("The traceback above has the details" if debug else "Run the command again with --debug for details")
        )
        return EXIT_UNEXPECTED


#: The errors every command reports as usage errors (exit 2), before any command-specific ones.
USAGE_ERRORS: tuple[type, ...] = (UsageError, PolicyError)

__all__ = [
    "EXIT_FILE_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REVIEW_REFUSED",
    "EXIT_UNEXPECTED",
    "EXIT_USAGE",
    "USAGE_ERRORS",
    "error",
    "guarded",
    "install_signal_handlers",
    "restore_signal_handlers",
    "stop_children",
]
