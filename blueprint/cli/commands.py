"""The ``clearance`` command's commands, each a function of its parsed arguments returning an exit code.

Kept apart from the parser (``blueprint.cli.main``) so that the demo, which runs the ``run`` and
``finalize`` commands in turn, does not import the module that dispatches to it.
"""

from __future__ import annotations

import json
import os
import sys

from .exit_codes import EXIT_FILE_FAILED, EXIT_OK
from ..intake.file_status import FAILED, REPEAT


def _phases(args):
    """Progress of each long phase on a terminal; nothing when quiet, piped, or asked for JSON."""
    from ..base.progress import Phases

    return Phases.for_terminal(quiet=args.quiet or args.json)


def _say(args, text: str) -> None:
    if not (args.quiet or args.json):
        print(text)


def _inputs(args) -> list:
    """``--input`` with a path given more than once (``doj/*.dat doj/a.dat``) read once, said in a note."""
    from ..intake.reader import distinct_paths

    paths, again = distinct_paths(args.input)
    for path, first in again:
        same = "was given more than once" if path == first else f"is {first} again"
        print(f"note: {path} {same}; it is read once", file=sys.stderr)
    return paths


def _report_inputs(files: list) -> list:
    """One line on standard error per input file that failed (an error) or repeats another (a note);
    returns the failed ones. Each is a file report or its manifest entry."""
    failed = []
    for f in files:
        f = f if isinstance(f, dict) else f.as_dict()
        if f["status"] == FAILED:
            failed.append(f)
            print(f"error: {f['file']}: {f['error']}", file=sys.stderr)
        elif f["status"] == REPEAT:
            print(f"note: {f['file']}: {f['note']}", file=sys.stderr)
    return failed


def cmd_run(args) -> int:
    from ..runtime.file_digest import cancel_early, start_early

    # First of all: the input files' SHA-256 is computed on the core that is idle while the
    # libraries below load (blueprint.runtime.file_digest).
    start_early(args.input)
    try:
        return _run(args)
    finally:
        cancel_early()


def _run(args) -> int:
    from ..run.local import RunSettings, run_local
    from .preflight import check_as_of, check_output_folder

    check_output_folder(args.out)
    check_as_of(args.as_of, force=args.force)
    inputs = _inputs(args)
    settings = _settings(
        RunSettings,
        county=args.county,
        policy=args.policy,
        evaluation_date=args.as_of,
        run_id=args.run_id,
        compat=args.compat == "gogen",
    )
    result = run_local(inputs, settings, args.out, force=args.force, phases=_phases(args))
    m = result.manifest
    failed = _report_inputs(m["inputs"])
    for old, kept in result.kept:
        print(
            f"note: {args.out / old} had been changed since the earlier run; it was kept as {args.out / kept}",
            file=sys.stderr,
        )
    if args.json:
        print(
            json.dumps(
                {
                    "out": str(args.out),
                    "run_id": m["run_id"],
                    "counts": m["counts"],
                    "reconciliation": m["reconciliation"],
                    "timings_seconds": m["timings_seconds"],
                    "failed_files": [f["file"] for f in failed],
                    "repeated_files": [f["file"] for f in m["inputs"] if f["status"] == REPEAT],
                    "kept": [{"file": old, "kept_as": new} for old, new in result.kept],
                }
            )
        )
    else:
        c, r, t = m["counts"], m["reconciliation"], m["timings_seconds"]
        _say(
            args,
            f"Run {m['run_id']}: {c['convictions_evaluated']} convictions of {c['people']} people evaluated "
            f"({r['rows_read']} rows read, {r['rows_skipped']} skipped, {c['data_issues']} data issues) "
            f"in {t.get('total', 0):.1f} s.",
        )
        _say(args, f"Review workbook: {args.out / 'review.xlsx'}   Report: {args.out / 'summary.html'}")
        if failed:
            _say(
                args,
                f"{len(failed)} input file(s) failed (listed above): correct them and run again; "
                "`clearance finalize` refuses this run unless given --allow-failed-inputs.",
            )
    return EXIT_FILE_FAILED if failed else EXIT_OK


def _settings(model, **values):
    """Run settings, with a problem reported as one line naming the option (values are not echoed)."""
    from pydantic import ValidationError

    from ..base.errors import UsageError

    try:
        return model(**values)
    except ValidationError as exc:
        options = {"county": "--county", "evaluation_date": "--as-of", "policy": "--policy", "run_id": "--run-id"}
        problems = "; ".join(
            f"{options.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else 'settings'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise UsageError(problems) from None


def cmd_generate(args) -> int:
    from .preflight import check_output_file
    from ..base.staging import staged_file
    from ..synthetic.doj_file import generate

    check_output_file(args.out, force=args.force)
    county = _synthetic_county(args.county)
    with staged_file(args.out) as partial:
        stats = generate(partial, rows=args.rows, county=county, seed=args.seed, malformed_rate=args.malformed_rate)
    print(f"Wrote {stats.rows} synthetic rows for {stats.people} people to {args.out} (seed {args.seed}).")
    return EXIT_OK


def _synthetic_county(county: str) -> str:
    """A county the synthetic generator knows (California's 58), or a usage error with the closest name."""
    from ..intake.counties import closest_county
    from ..base.errors import UsageError
    from ..synthetic.catalog import COUNTY_NAMES

    names = list(COUNTY_NAMES)
    wanted = county.strip().upper()
    if wanted in names:
        return wanted
    guess = closest_county(wanted, names)
    raise UsageError(
        f"--county {county}: not a California county the generator knows"
        + (f"; did you mean {guess}?" if guess else f" (one of {', '.join(names[:5])}, ...)")
    )


def cmd_inspect(args) -> int:
    from ..intake.census import UNRESOLVED, census_counts, census_of_files, write_census_csv
    from ..run.policies import load_policy
    from ..engine.rulepack import load_rule_pack

    from ..intake.reader import refuse_if_none_usable

    census, reports = census_of_files(_inputs(args), load_rule_pack(load_policy(args.policy).rule_pack))
    refuse_if_none_usable(reports)  # as `run` does: one line, exit 2, no empty CSV
    failed = _report_inputs(reports)
    if args.out:
        write_census_csv(census, args.out)
    else:
        try:
            write_census_csv(census, sys.stdout)
            sys.stdout.flush()
        except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    c = census_counts(census)
    print(
        f"{c['distinct']} distinct offense texts in {sum(r.rows_used for r in reports)} rows; "
        f"{c['unresolved_cannabis']} name a cannabis section that cannot be resolved ({c['unresolved_cannabis_rows']} rows), "
        f"{c['unreadable'] - c['unresolved_cannabis']} others cannot be read. Rows with status '{UNRESOLVED}' come "
        f"first{f'; written to {args.out}' if args.out else ''}.",
        file=sys.stdout if args.out else sys.stderr,
    )
    return EXIT_FILE_FAILED if failed else EXIT_OK


def cmd_finalize(args) -> int:
    from ..filings import finalize
    from .preflight import check_existing_file, check_output_folder, check_workbook

    check_output_folder(args.out)
    if args.review is not None:
        check_workbook(args.review, "--review")
    if args.profile is not None:
        check_existing_file(args.profile, "--profile", "office profile")
    supplement_to = getattr(args, "supplement_to", None)
    result = finalize(
        args.run,
        args.out,
        review=args.review,
        approve_all=args.approve_all,
        profile=args.profile,
        per_case=args.per_case,
        filing_date=args.filing_date,
        allow_failed_inputs=args.allow_failed_inputs,
        supplement_to=supplement_to,
        phases=_phases(args),
    )
    for old, kept in result.kept:
        print(
            f"note: {args.out / old} had been changed since the earlier filing set; it was kept as {args.out / kept}",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps(result.as_dict(), default=str))
    elif not args.quiet:
        from ..filings.report import finalize_report

        print(finalize_report(result, args.out))
    return EXIT_OK


def cmd_policies(args) -> int:
    from ..engine.policy import list_presets
    from ..run.policies import load_policy

    for name in list_presets():
        policy = load_policy(name)
        print(f"{name:20s} {policy.title}")
    return EXIT_OK


def cmd_check_policy(args) -> int:
    from ..run.policies import load_policy

    policy = load_policy(args.policy)
    print(
        f"{args.policy}: valid policy '{policy.name}' with {len(policy.rules)} active rules (sha256 {policy.sha256[:12]})."
    )
    return EXIT_OK
