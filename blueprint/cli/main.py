"""The ``clearance`` command: the whole job on one machine, no cloud account needed.

    clearance demo                       # synthetic DOJ file -> decisions -> review -> filings
    clearance generate --rows 100000 --county SACRAMENTO --seed 1 --out doj.dat
    clearance inspect --input doj.dat --out census.csv   # every offense text and how it is read
    clearance run --input doj.dat --county SACRAMENTO --policy california --as-of 2026-11-21 --out run/
    clearance finalize --run run/ --review run/review.xlsx --out filings/
    clearance finalize --run run/ --review run/review.xlsx --out filings-2/ --supplement-to filings/
    clearance policies                   # the built-in presets
    clearance check-policy my-county.yaml

Exit codes: 0 success; 1 ``run`` or ``inspect`` finished but an input file failed (the others completed);
2 a usage, input or configuration error (nothing was written); 3 the reviewed workbook was
refused (nothing was filed); 4 an unexpected error (nothing was written; ``--debug`` shows the
traceback); 130 interrupted by Ctrl-C or SIGTERM (nothing was written). See
``blueprint.cli.exit_codes``. Messages name files, lines and settings, never a person's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from .exit_codes import (
    EXIT_FILE_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REVIEW_REFUSED,
    EXIT_UNEXPECTED,
    EXIT_USAGE,
    USAGE_ERRORS,
    guarded,
    install_signal_handlers,
    restore_signal_handlers,
)
from .commands import cmd_check_policy, cmd_finalize, cmd_generate, cmd_inspect, cmd_policies, cmd_run

__all__ = [
    "EXIT_FILE_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REVIEW_REFUSED",
    "EXIT_UNEXPECTED",
    "EXIT_USAGE",
    "main",
    "entry",
]


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake reported on one line (and where to find the options) instead of the
    usage block: ``error: clearance run: argument --as-of: ... (see clearance run --help)``."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(
            f"is a share of rows between 0 and 1 (0.001 is one row in a thousand), got {text}"
        )
    return value


def _parser() -> argparse.ArgumentParser:
    from .. import __version__

    p = _Parser(prog="clearance", description="Automatic cannabis record clearance (HS 11361.9).")
    p.add_argument("--version", action="version", version=f"clearance {__version__}")
    p.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="evaluate DOJ file(s) and write the review outputs")
    _input_flag(run)
    run.add_argument("--county", required=True, help="the county as written in the DOJ data, e.g. SACRAMENTO")
    run.add_argument(
        "--policy", default="california", help="preset name, a policy .yaml, or a desktop-tool settings .json"
    )
    run.add_argument("--as-of", type=_date, required=True, help="evaluation date YYYY-MM-DD (never the wall clock)")
    run.add_argument("--out", type=Path, required=True, help="output folder (new or empty)")
    run.add_argument("--compat", choices=["gogen"], help="also write the earlier desktop tool's result files")
    run.add_argument("--run-id", default="", help="run id to record (default: derived from inputs and policy)")
    run.add_argument(
        "--force",
        action="store_true",
        help="replace an earlier run in --out (an edited review.xlsx is kept, renamed), and accept an "
        "--as-of before 1990 or in the future",
    )
    _output_flags(run)

    ins = sub.add_parser("inspect", help="list every distinct offense text of DOJ file(s) and how it is read (CSV)")
    _input_flag(ins)
    ins.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")
    ins.add_argument("--policy", default="california", help="the policy whose rule pack reads the texts")

    gen = sub.add_parser("generate", help="write a realistic synthetic DOJ file (never real data)")
    gen.add_argument("--rows", type=_at_least_one, default=100_000)
    gen.add_argument("--county", default="SACRAMENTO")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, required=True, help="the file to write (a new file)")
    gen.add_argument("--malformed-rate", type=_share, default=0.0, help="share of deliberately malformed rows (0-1)")
    gen.add_argument("--force", action="store_true", help="replace an existing file")
    _debug_flag(gen)

    fin = sub.add_parser("finalize", help="read the office's review back and produce the filing set")
    fin.add_argument("--run", type=Path, required=True, help="the run's output folder")
    src = fin.add_mutually_exclusive_group(required=True)
    src.add_argument("--review", type=Path, help="the reviewed workbook")
    src.add_argument("--approve-all", action="store_true", help="accept every recommendation as is")
    fin.add_argument(
        "--out", type=Path, required=True, help="folder for the filings (new, empty, or holding an earlier filing set)"
    )
    fin.add_argument(
        "--profile",
        type=Path,
        help="office profile YAML (required unless CLEARANCE_OFFICE_PROFILE is set; "
        "see templates/office-profile.example.yaml)",
    )
    fin.add_argument("--per-case", action="store_true", help="also write one order per court case")
    fin.add_argument(
        "--filing-date",
        type=_date,
        help="date printed on the filings (default: a blank 'Dated:' line to fill in when signing)",
    )
    fin.add_argument(
        "--supplement-to",
        type=Path,
        metavar="EARLIER_FILINGS",
        help="an earlier filing set: file only the convictions decided since, numbered on from it",
    )
    fin.add_argument(
        "--allow-failed-inputs",
        action="store_true",
        help="file even though an input file of the run failed (its convictions are not in the run)",
    )
    _output_flags(fin)

    demo = sub.add_parser("demo", help="generate synthetic data and run everything on it")
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    demo.add_argument("--rows", type=_at_least_one, default=60_000)
    demo.add_argument("--county", default="SACRAMENTO")
    demo.add_argument("--seed", type=int, default=2016)
    demo.add_argument("--as-of", type=_date, default=dt.date(2026, 11, 21))
    _output_flags(demo)

    pol = sub.add_parser("policies", help="list the built-in policy presets")
    _debug_flag(pol)
    chk = sub.add_parser("check-policy", help="validate a policy YAML or a desktop-tool settings JSON")
    chk.add_argument("policy")
    _debug_flag(chk)
    return p


def _input_flag(p: argparse.ArgumentParser) -> None:
    """``--input``, the same for every command that reads DOJ files: several files after one flag (so
    a shell pattern works), or the flag repeated; a path given twice is read once."""
    p.add_argument(
        "--input",
        action="extend",
        nargs="+",
        required=True,
        type=Path,
        metavar="FILE",
        help="DOJ file(s): several after one --input (a shell pattern such as doj/*.dat works), or --input repeated",
    )


def _debug_flag(p: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the command (``clearance --debug run``) it is not reset here.
    p.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of an error"
    )


def _output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bar or human-readable summary")
    p.add_argument("--json", action="store_true", help="print one JSON result object on standard output")
    _debug_flag(p)


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args)


COMMANDS = {
    "run": cmd_run,
    "inspect": cmd_inspect,
    "generate": cmd_generate,
    "finalize": cmd_finalize,
    "demo": cmd_demo,
    "policies": cmd_policies,
    "check-policy": cmd_check_policy,
}


def _known_errors(command: str) -> dict[type, int]:
    """The errors that carry a message for the user, with their exit codes (subclasses first)."""
    known: dict[type, int] = {}
    if command in ("finalize", "demo"):
        # Only these commands load the filings code (and with it the PDF and DOCX writers).
        from ..filings import FilingError, ProfileError, RunError
        from ..review.reader import ReviewRejected

        known[ReviewRejected] = EXIT_REVIEW_REFUSED
        known.update(dict.fromkeys((FilingError, ProfileError, RunError), EXIT_USAGE))
    known.update(dict.fromkeys(USAGE_ERRORS, EXIT_USAGE))
    return known


def main(argv: list[str] | None = None) -> int:
    previous = install_signal_handlers()  # before anything slow: an early Ctrl-C ends in one line too
    try:
        try:
            args = _parser().parse_args(argv)
        except KeyboardInterrupt:
            print("interrupted: nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        return guarded(lambda: COMMANDS[args.command](args), debug=args.debug, known=_known_errors(args.command))
    finally:
        restore_signal_handlers(previous)


def one_blas_thread() -> None:
    """Ask numpy's linear-algebra library (OpenBLAS) for one thread, unless the machine says otherwise.

    Imported with its defaults, OpenBLAS starts a thread per core, and each spins for about a tenth
    of a second waiting for work. The kit does no linear algebra, so that spin only takes a core
    from the run, just when the other core's work (hashing the input files) could use it. Set
    before numpy loads; an ``OPENBLAS_NUM_THREADS`` already set is kept.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def entry() -> None:
    """The installed ``clearance`` command: :func:`main`, then a prompt exit.

    A finished run leaves a large heap behind (Arrow buffers, pandas frames, a hundred modules).
    Python's own shutdown frees it object by object, about 0.2 s after a million-row run; the
    operating system reclaims a process's memory at once. Every output file is written and closed
    before :func:`main` returns, so only the standard streams need flushing first. Errors that
    escape :func:`main` (and ``--help``) end the ordinary way.
    """
    one_blas_thread()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader that closed the pipe, or a closed stream
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
