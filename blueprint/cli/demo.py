"""``clearance demo``: the whole job on synthetic data, as an office would do it.

1. generate a seeded synthetic DOJ file (with a few malformed rows, so the data-issues report has
   something to show);
2. run the California default policy on it: review workbook, report, tables, manifest;
3. play the office's part: record a few decisions in the workbook the way staff would in Excel
   (two challenges, one different relief), saved as ``review-demo.xlsx``;
4. finalize: the filing set (notice, Attachment A, proposed order, notices of challenge, exports);
5. later, a few convictions left for hand review are decided (``review-demo-later.xlsx``) and filed
   as a supplemental set (``finalize --supplement-to``), numbered on from the first.

Everything lands under one folder (default ``demo-output/``). No real data is ever involved.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from ..engine.filing_rules import TRACK_SERVING
from ..review.layout import DECISION_LABELS, Decision

DECISION_NO_CHALLENGE = DECISION_LABELS[Decision.NO_CHALLENGE]
DECISION_DIFFERENT_RELIEF = DECISION_LABELS[Decision.NO_CHALLENGE_DIFFERENT_RELIEF]
DECISION_CHALLENGE_CRITERIA = DECISION_LABELS[Decision.CHALLENGE_CRITERIA]
DECISION_CHALLENGE_SAFETY = DECISION_LABELS[Decision.CHALLENGE_PUBLIC_SAFETY]
DECISION_PENDING = DECISION_LABELS[Decision.HAND_REVIEW_PENDING]


def record_demo_decisions(workbook: Path, reviewed: Path, *, challenges: int = 2, different_relief: int = 1) -> dict:
    """Fill the office's columns of a few rows, as a deputy DA would, and save a copy.

    A public-safety challenge is recorded only against a person still serving the sentence (HS
    11361.8(b)); where the sample has no one serving, the challenge is on the criteria instead."""
    wb = load_workbook(workbook)
    ws = wb["Convictions"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in header if name}
    decided = {"challenged": 0, "different_relief": 0}
    for row in range(2, ws.max_row + 1):
        decision = ws.cell(row, col["Prosecutor decision"]).value
        relief = ws.cell(row, col["Relief"]).value
        if decision != DECISION_NO_CHALLENGE:
            continue
        serving = ws.cell(row, col["Track"]).value == TRACK_SERVING
        if decided["challenged"] < challenges and serving:
            ws.cell(row, col["Prosecutor decision"]).value = DECISION_CHALLENGE_SAFETY
            ws.cell(
                row, col["Ground / notes"]
            ).value = "Demo: a pending charge of a super strike offense (PC 1170.18(c))"
            decided["challenged"] += 1
        elif decided["different_relief"] < different_relief and relief == "Redesignate as misdemeanor":
            ws.cell(row, col["Prosecutor decision"]).value = DECISION_DIFFERENT_RELIEF
            ws.cell(row, col["Relief if different"]).value = "Dismiss and seal"
            ws.cell(row, col["Ground / notes"]).value = "Demo: office dismisses in the interest of justice"
            decided["different_relief"] += 1
    if decided["challenged"] < challenges:  # too few serving in this sample: challenge on the criteria
        for row in range(2, ws.max_row + 1):
            if decided["challenged"] >= challenges:
                break
            if ws.cell(row, col["Prosecutor decision"]).value == DECISION_NO_CHALLENGE:
                ws.cell(row, col["Prosecutor decision"]).value = DECISION_CHALLENGE_CRITERIA
                ws.cell(
                    row, col["Ground / notes"]
                ).value = "Demo: the court file shows more than six plants (HS 11358(c))"
                decided["challenged"] += 1
    wb.save(reviewed)
    return decided


def record_later_decisions(reviewed: Path, run_dir: Path, later: Path, *, count: int = 3) -> int:
    """Decide a few convictions left for hand review, as the office would weeks later, and save a copy.

    Only convictions the statute does not exclude are chosen (a reviewer overriding the statute is not
    something a demo should show); each is granted dismissal and sealing after review."""
    import pandas as pd

    frame = pd.read_parquet(run_dir / "convictions.parquet", columns=None)
    excluded = set()
    if "statutory_exclusion" in frame.columns:
        excluded = set(frame.loc[frame["statutory_exclusion"].fillna("") != "", "conviction_id"])
    wb = load_workbook(reviewed)
    ws = wb["Convictions"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) + 1 for name in header if name}
    done = 0
    for row in range(2, ws.max_row + 1):
        if done >= count:
            break
        if (
            ws.cell(row, col["Prosecutor decision"]).value == DECISION_PENDING
            and ws.cell(row, col["Conviction ID"]).value not in excluded
        ):
            ws.cell(row, col["Prosecutor decision"]).value = DECISION_DIFFERENT_RELIEF
            ws.cell(row, col["Relief if different"]).value = "Dismiss and seal"
            ws.cell(row, col["Ground / notes"]).value = "Demo: decided after hand review of the court file"
            done += 1
    wb.save(later)
    return done


def demo_profile(path: Path, county: str) -> Path:
    """The example office profile (a fictional office) pointed at the demo's county."""
    import yaml

    from ..report.summary import templates_root

    data = yaml.safe_load((templates_root() / "office-profile.example.yaml").read_text())
    data["county"] = county
    data.setdefault("court", {})["county_line"] = f"FOR THE COUNTY OF {county}"
    path.write_text(
        "# Demo only: the example profile's fictional office, for the demo county.\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    return path


def run_demo(args) -> int:
    from .exit_codes import EXIT_OK
    from .commands import cmd_finalize, cmd_run
    from ..synthetic.doj_file import generate

    from .commands import _synthetic_county
    from .preflight import check_output_folder
    from ..base.staging import staged_file

    out: Path = args.out
    check_output_folder(out)
    county = _synthetic_county(args.county)
    out.mkdir(parents=True, exist_ok=True)
    doj = out / "synthetic-doj.dat"
    with staged_file(doj) as partial:
        stats = generate(partial, rows=args.rows, county=county, seed=args.seed, malformed_rate=0.0005)
    if not (args.quiet or args.json):
        print(f"1. Generated {stats.rows} synthetic DOJ rows for {stats.people} people: {doj}")

    run_dir = out / "run"
    # The demo's own folders: a second demo replaces the first (an edited review.xlsx is kept).
    ns = _namespace(
        args,
        input=[doj],
        county=county,
        policy="california",
        as_of=args.as_of,
        out=run_dir,
        compat="gogen",
        run_id="",
        force=True,
    )
    if not (args.quiet or args.json):
        print("2. Evaluating with the California default policy (and the earlier tool's result files):")
    code = cmd_run(ns)
    if code != EXIT_OK:
        return code

    reviewed = out / "review-demo.xlsx"
    decided = record_demo_decisions(run_dir / "review.xlsx", reviewed)
    if not (args.quiet or args.json):
        print(
            f"3. Recorded the office's review in {reviewed}: {decided['challenged']} challenged, "
            f"{decided['different_relief']} with a different relief, every other recommendation accepted."
        )

    filings = out / "filings"
    profile = demo_profile(out / "office-profile.demo.yaml", county)
    ns = _namespace(
        args,
        run=run_dir,
        review=reviewed,
        approve_all=False,
        out=filings,
        profile=profile,
        per_case=True,
        filing_date=args.as_of,
        allow_failed_inputs=False,
        supplement_to=None,
    )
    if not (args.quiet or args.json):
        print("4. Producing the filing set:")
    code = cmd_finalize(ns)
    if code != EXIT_OK:
        return code

    later = out / "review-demo-later.xlsx"
    resolved = record_later_decisions(reviewed, run_dir, later)
    if resolved:
        supplemental = out / "filings-supplement-1"
        if not (args.quiet or args.json):
            print(
                f"5. Later: {resolved} convictions left for hand review decided in {later}; the supplemental filing set:"
            )
        ns = _namespace(
            args,
            run=run_dir,
            review=later,
            approve_all=False,
            out=supplemental,
            profile=profile,
            per_case=False,
            filing_date=args.as_of,
            allow_failed_inputs=False,
            supplement_to=filings,
        )
        code = cmd_finalize(ns)
    if code == EXIT_OK and not (args.quiet or args.json):
        print(f"Done. Open {run_dir / 'summary.html'}, {run_dir / 'review.xlsx'} and {filings}/.")
    return code


def _namespace(args, **values):
    import argparse

    return argparse.Namespace(quiet=args.quiet, json=args.json, **values)
