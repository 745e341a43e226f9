"""The ``clearance`` command: the whole job on one machine, no cloud account needed.

    clearance demo                       # synthetic DOJ file -> decisions -> review -> filings
    clearance generate --rows 100000 --county SACRAMENTO --seed 1 --out doj.dat
    clearance inspect --input doj.dat --out census.csv   # every offense text and how it is read
    clearance run --input doj.dat --county SACRAMENTO --policy california --as-of 2026-11-21 --out run/
    clearance finalize --run run/ --review run/review.xlsx --out filings/
    clearance policies                   # the built-in presets
    clearance check-policy my-county.yaml

Exit codes: 0 success; 1 the run finished but an input file failed (the others completed);
2 a usage or configuration error (nothing was run); 3 the reviewed workbook was refused.
Messages name files, lines and settings, never a person's data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FILE_FAILED, EXIT_USAGE, EXIT_REVIEW_REFUSED = 0, 1, 2, 3


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in the form YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="clearance", description="Automatic cannabis record clearance (HS 11361.9).")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="evaluate DOJ file(s) and write the review outputs")
    run.add_argument("--input", action="append", required=True, type=Path, help="a DOJ file (repeat for several)")
    run.add_argument("--county", required=True, help="the county as written in the DOJ data, e.g. SACRAMENTO")
    run.add_argument("--policy", default="california", help="preset name, a policy .yaml, or a desktop-tool settings .json")
    run.add_argument("--as-of", type=_date, required=True, help="evaluation date YYYY-MM-DD (never the wall clock)")
    run.add_argument("--out", type=Path, required=True, help="output folder")
    run.add_argument("--compat", choices=["gogen"], help="also write the earlier desktop tool's result files")
    run.add_argument("--run-id", default="", help="run id to record (default: derived from inputs and policy)")
    _output_flags(run)

    ins = sub.add_parser("inspect", help="list every distinct offense text of DOJ file(s) and how it is read (CSV)")
    ins.add_argument("--input", action="append", required=True, type=Path, help="a DOJ file (repeat for several)")
    ins.add_argument("--out", type=Path, help="CSV file to write (default: standard output)")
    ins.add_argument("--policy", default="california", help="the policy whose rule pack reads the texts")

    gen = sub.add_parser("generate", help="write a realistic synthetic DOJ file (never real data)")
    gen.add_argument("--rows", type=int, default=100_000)
    gen.add_argument("--county", default="SACRAMENTO")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--malformed-rate", type=float, default=0.0, help="share of deliberately malformed rows")

    fin = sub.add_parser("finalize", help="read the office's review back and produce the filing set")
    fin.add_argument("--run", type=Path, required=True, help="the run's output folder")
    src = fin.add_mutually_exclusive_group(required=True)
    src.add_argument("--review", type=Path, help="the reviewed workbook")
    src.add_argument("--approve-all", action="store_true", help="accept every recommendation as is")
    fin.add_argument("--out", type=Path, required=True, help="folder for the filings")
    fin.add_argument("--profile", type=Path,
                     help="office profile YAML (required unless CLEARANCE_OFFICE_PROFILE is set; "
                          "see templates/office-profile.example.yaml)")
    fin.add_argument("--per-case", action="store_true", help="also write one order per court case")
    fin.add_argument("--filing-date", type=_date,
                     help="date printed on the filings (default: a blank 'Dated:' line to fill in when signing)")
    _output_flags(fin)

    demo = sub.add_parser("demo", help="generate synthetic data and run everything on it")
    demo.add_argument("--out", type=Path, default=Path("demo-output"))
    demo.add_argument("--rows", type=int, default=60_000)
    demo.add_argument("--county", default="SACRAMENTO")
    demo.add_argument("--seed", type=int, default=2016)
    demo.add_argument("--as-of", type=_date, default=dt.date(2026, 11, 21))
    _output_flags(demo)

    sub.add_parser("policies", help="list the built-in policy presets")
    chk = sub.add_parser("check-policy", help="validate a policy YAML or a desktop-tool settings JSON")
    chk.add_argument("policy")
    return p


def _output_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bar or human-readable summary")
    p.add_argument("--json", action="store_true", help="print one JSON result object on standard output")


def _progress(args, inputs):
    """A progress bar on a terminal; nothing when quiet, piped, or asked for JSON."""
    if args.quiet or args.json or not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    from .reader import estimate_rows

    bar = tqdm(total=estimate_rows(inputs) or None, unit=" rows", unit_scale=True, file=sys.stderr,
               desc="reading", leave=False)
    return bar, bar.update


def _say(args, text: str) -> None:
    if not (args.quiet or args.json):
        print(text)


def cmd_run(args) -> int:
    from .pipeline import RunSettings, run_local

    settings = RunSettings(county=args.county, policy=args.policy, evaluation_date=args.as_of,
                           run_id=args.run_id, compat=args.compat == "gogen")
    bar, update = _progress(args, args.input)
    try:
        result = run_local(args.input, settings, args.out, progress=update)
    finally:
        if bar is not None:
            bar.close()
    m = result.manifest
    for f in m["inputs"]:
        if f["status"] != "ok":
            print(f"error: {f['file']}: {f['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps({"out": str(args.out), "run_id": m["run_id"], "counts": m["counts"],
                          "reconciliation": m["reconciliation"], "timings_seconds": m["timings_seconds"],
                          "failed_files": [f["file"] for f in m["inputs"] if f["status"] != "ok"]}))
    else:
        c, r, t = m["counts"], m["reconciliation"], m["timings_seconds"]
        _say(args, f"Run {m['run_id']}: {c['convictions_evaluated']} convictions of {c['people']} people evaluated "
                   f"({r['rows_read']} rows read, {r['rows_skipped']} skipped, {c['data_issues']} data issues) "
                   f"in {t.get('total', 0):.1f} s.")
        _say(args, f"Review workbook: {args.out / 'review.xlsx'}   Report: {args.out / 'summary.html'}")
    return EXIT_FILE_FAILED if result.failed else EXIT_OK


def cmd_generate(args) -> int:
    from .synthetic import generate

    stats = generate(args.out, rows=args.rows, county=args.county.upper(), seed=args.seed,
                     malformed_rate=args.malformed_rate)
    print(f"Wrote {stats.rows} synthetic rows for {stats.people} people to {args.out} (seed {args.seed}).")
    return EXIT_OK


def cmd_inspect(args) -> int:
    from .census import UNRESOLVED, census_counts, census_of_files, write_census_csv
    from .policy import load_policy
    from .rulepack import load_rule_pack

    census, reports = census_of_files(args.input, load_rule_pack(load_policy(args.policy).rule_pack))
    for report in reports:
        if report.status != "ok":
            print(f"error: {report.file}: {report.error}", file=sys.stderr)
    if args.out:
        write_census_csv(census, args.out)
    else:
        try:
            write_census_csv(census, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    c = census_counts(census)
    print(f"{c['distinct']} distinct offense texts in {sum(r.rows_used for r in reports)} rows; "
          f"{c['unresolved_cannabis']} name a cannabis section that cannot be resolved ({c['unresolved_cannabis_rows']} rows), "
          f"{c['unreadable'] - c['unresolved_cannabis']} others cannot be read. Rows with status '{UNRESOLVED}' come "
          f"first{f'; written to {args.out}' if args.out else ''}.", file=sys.stdout if args.out else sys.stderr)
    return EXIT_FILE_FAILED if any(r.status != "ok" for r in reports) else EXIT_OK


def cmd_finalize(args) -> int:
    from .filings import finalize

    result = finalize(args.run, args.out, review=args.review, approve_all=args.approve_all,
                      profile=args.profile, per_case=args.per_case, filing_date=args.filing_date)
    summary = getattr(result, "as_dict", lambda: {"out": str(args.out)})()
    if args.json:
        print(json.dumps(summary, default=str))
    else:
        _say(args, f"Filings written to {args.out} (index: {args.out / 'index.json'}).")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(args)


def cmd_policies(args) -> int:
    from .policy import list_presets, load_policy

    for name in list_presets():
        policy = load_policy(name)
        print(f"{name:20s} {policy.title}")
    return EXIT_OK


def cmd_check_policy(args) -> int:
    from .policy import load_policy

    policy = load_policy(args.policy)
    print(f"{args.policy}: valid policy '{policy.name}' with {len(policy.rules)} active rules (sha256 {policy.sha256[:12]}).")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "inspect": cmd_inspect, "generate": cmd_generate, "finalize": cmd_finalize, "demo": cmd_demo,
            "policies": cmd_policies, "check-policy": cmd_check_policy}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pydantic import ValidationError

    from .errors import PolicyError

    usage_errors: tuple = (PolicyError, FileNotFoundError)
    review_errors: tuple = ()
    if args.command in ("finalize", "demo"):
        # Only these commands load the filings code (and with it the PDF and DOCX writers).
        from .filings import FilingError, ProfileError, RunError
        from .review import ReviewRejected

        usage_errors += (FilingError, ProfileError, RunError)
        review_errors = (ReviewRejected,)

    try:
        return COMMANDS[args.command](args)
    except review_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REVIEW_REFUSED
    except ValidationError as exc:  # run settings (e.g. an empty --county); the values are not echoed
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"error: {problems}", file=sys.stderr)
        return EXIT_USAGE
    except usage_errors as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def entry() -> None:
    """The installed ``clearance`` command: :func:`main`, then a prompt exit.

    A finished run leaves a large heap behind (Arrow buffers, pandas frames, a hundred modules).
    Python's own shutdown frees it object by object, about 0.2 s after a million-row run; the
    operating system reclaims a process's memory at once. Every output file is written and closed
    before :func:`main` returns, so only the standard streams need flushing first. Errors that
    escape :func:`main` (and ``--help``) end the ordinary way.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):  # a reader that closed the pipe, or a closed stream
        pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
