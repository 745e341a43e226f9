"""Benchmark: `clearance run` on seeded synthetic DOJ files, as a whole process.

Reports, for 250,000 and 1,000,000 rows: wall time, input rows per second, people per minute and
peak memory (the largest resident set of any process of the run), and the growth from the smaller
to the larger file (linear growth means time and memory per row stay flat). Each size runs three
times (``--repeat``), alternating with the baseline; the median is reported with the range, because
a shared machine's speed drifts from one minute to the next.

Baseline in the same run: Python's own csv module reading every row of the same file and doing
nothing else. Any engine that handles rows one by one in Python pays at least that; the ratio says
how far below that floor the columnar engine runs. The earlier desktop tool's published figures
(about 25,000 rows/s and 4.9 KB per row) are printed for context only: they were not measured here.

The state of the machine, in the same run: before each run of the engine, the same short loop of
plain Python runs in one process alone and then in two processes at once; the medians of both
are reported, and the work the two got done in units of the one (``core_scaling``: 2.0 when both
cores are free). The project's test machine is a shared virtual machine; in its busy hours that
figure has fallen to about 1.15, and a run that keeps both cores busy then takes far longer while
the one-core csv baseline slows less, so even the ratio moves. A time is comparable with another
only where these figures are too.

    make bench                      # or: python tests/bench/bench_engine.py --rows 1000000
    make bench-wide                 # the same on wide rows (about 800 bytes a row, see widen())

``--wide`` runs a second kind of file: the same people, written the way many real extracts are,
with every descriptive field space-padded to a fixed width and long free-text comments on court
rows, about 800 bytes a row instead of about 400. Reading cost grows with bytes, not rows, so this
is the closer figure for a real county's extract.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench-output"


def ensure_file(rows: int, seed: int) -> Path:
    """Generate (once) the seeded synthetic file for this size."""
    from blueprint.synthetic.doj_file import generate

    path = OUT / f"doj-{rows}-seed{seed}.dat"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        generate(path, rows=rows, county="SACRAMENTO", seed=seed)
    return path


#: Fixed widths real extracts pad descriptive fields to (trailing spaces), for the wide file.
WIDE_PADDING = {
    "PRI_NAME": 30,
    "RACE_DESCR": 25,
    "EYE_COLOR_DESCR": 15,
    "HAIR_COLOR_DESCR": 15,
    "POB_NAME": 30,
    "CITIZENSHIP_LIST": 20,
    "STP_TYPE_DESCR": 25,
    "STP_ORI_TYPE_DESCR": 30,
    "STP_ORI_DESCR": 40,
    "STP_ORI_CNTY_NAME": 25,
    "OFFENSE_DESCR": 70,
    "DISP_DESCR": 40,
    "CONV_STAT_DESCR": 15,
    "SENT_LOC_DESCR": 20,
    "SENT_TIME_DESCR": 10,
    "OFN": 20,
    "FE_NUM_CRT_CASE": 20,
}
#: Court-room remarks appended to comments in the wide file: long free text without code sections,
#: so that every decision stays the same as on the narrow file.
WIDE_REMARKS = (
    "DEFT PRESENT IN CUSTODY WITH COUNSEL. ADVISED OF RIGHTS. WAIVES TIME FOR SENTENCING. PROBATION "
    "REPORT WAIVED. COURT ORDERS DEFT TO REPORT TO PROBATION WITHIN 48 HOURS OF RELEASE",
    "MINUTE ORDER: MATTER CALLED FOR PRELIMINARY HEARING. PEOPLE MOVE TO AMEND COMPLAINT BY INTERLINEATION. "
    "NO OBJECTION. DEFT ENTERS PLEA AS STATED ON THE RECORD; REMAINING COUNTS DISMISSED IN THE INTEREST OF JUSTICE",
    "FINE AND FEES STAYED PENDING ABILITY TO PAY HEARING; CREDIT FOR TIME SERVED; SEARCH AND SEIZURE "
    "CONDITIONS IMPOSED; STAY AWAY ORDER ISSUED; RESTITUTION RESERVED",
)


def widen(source: Path, target: Path) -> None:
    """Write ``source`` again with padded fields and long comments (once; about 800 bytes a row)."""
    from blueprint.intake.columns import DOJ_COLUMNS

    pad = [(DOJ_COLUMNS.index(c), w) for c, w in WIDE_PADDING.items()]
    comment = DOJ_COLUMNS.index("COMMENT_TEXT")
    step = DOJ_COLUMNS.index("STP_TYPE_DESCR")
    with (
        open(source, newline="", encoding="latin-1") as src,
        open(target.with_suffix(".partial"), "w", newline="", encoding="latin-1") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\r\n")
        writer.writerow(next(reader))
        for n, row in enumerate(reader):
            for i, width in pad:
                row[i] = row[i].ljust(width)
            if row[step].startswith("COURT ACTION") or n % 5 == 0:
                remark = WIDE_REMARKS[n % len(WIDE_REMARKS)]
                row[comment] = f"{row[comment]} {remark}".strip() if row[comment] else remark
            writer.writerow(row)
    target.with_suffix(".partial").rename(target)


def ensure_wide_file(rows: int, seed: int) -> Path:
    path = OUT / f"doj-{rows}-seed{seed}-wide.dat"
    if not path.exists():
        widen(ensure_file(rows, seed), path)
    return path


def csv_baseline(path: Path) -> float:
    """Seconds for Python's csv module to read every row (the per-row Python floor)."""
    start = time.perf_counter()
    n = 0
    with open(path, newline="", encoding="latin-1") as fh:
        for _ in csv.reader(fh):
            n += 1
    return time.perf_counter() - start


#: A loop of plain Python of about a quarter of a second; prints its own duration.
SPIN = "import time\nt = time.perf_counter()\nx = 0\nfor i in range(5_000_000):\n    x += i\nprint(time.perf_counter() - t)"


def core_times() -> tuple[float, float]:
    """How long the loop of :data:`SPIN` takes in one process alone, then in two processes at once
    (the longer of the two), each timed by the process itself (its start-up left out)."""

    def spin(count: int) -> list[float]:
        procs = [
            subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True) for _ in range(count)
        ]
        return [float(p.communicate()[0]) for p in procs]

    return spin(1)[0], max(spin(2))


def machine_state(times: list[tuple[float, float]]) -> dict:
    """From :func:`core_times` taken between the runs: the medians of both loop times, and the work
    two processes running at once got done, in units of one process running alone.

    2.0: the two cores were free; less: something else shared them (other machines' work on the
    same host, or two virtual cores that are one physical core's two threads).
    """
    alone = statistics.median(t[0] for t in times)
    together = statistics.median(t[1] for t in times)
    return {
        "core_scaling": round(2 * alone / together, 2),
        "spin_seconds_alone_and_two_at_once": [round(alone, 3), round(together, 3)],
    }


def compile_bytecode(tree: Path = ROOT) -> None:
    """Compile the kit's modules under ``tree`` (only those changed since), as ``pip install`` does.

    The runs are timed as an installed kit runs. Without this, an edited module (or, where
    PYTHONDONTWRITEBYTECODE is set, every module) is compiled from source at each run's start.
    """
    import compileall

    compileall.compile_dir(tree / "blueprint", quiet=1, workers=0)


def run_engine(path: Path, out: Path, cwd: Path | None = None) -> dict:
    """Run `clearance run` in a child process: wall time, and the peak memory of its process tree.

    ``cwd``: the source tree to run (its ``blueprint`` package is imported first); by default this one.

    ``os.wait4`` gives this run's own resource usage; its ``ru_maxrss`` is the largest resident set
    of the child or of any process it waited for (the evaluation workers).
    """
    shutil.rmtree(out, ignore_errors=True)  # a fresh run each time (the command refuses an earlier run's folder)
    cmd = [
        sys.executable,
        "-m",
        "blueprint.cli.main",
        "run",
        "--input",
        str(path),
        "--county",
        "SACRAMENTO",
        "--policy",
        "california",
        "--as-of",
        "2020-07-01",
        "--out",
        str(out),
        "--json",
    ]
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=errors, cwd=cwd, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
        stdout = child.stdout.read().decode()
        child.stdout.close()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"clearance run failed ({child.returncode}): {errors.read().decode()[-2000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    return {"wall": wall, "peak_mb": usage.ru_maxrss / 1024, "result": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[250_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (median and range reported)")
    parser.add_argument("--wide", action="store_true", help="use wide rows (padded fields, long comments)")
    args = parser.parse_args()

    compile_bytecode()
    report = []
    for rows in sorted(args.rows):
        path = ensure_wide_file(rows, args.seed) if args.wide else ensure_file(rows, args.seed)
        runs, baselines, machine = [], [], []
        for _ in range(max(args.repeat, 1)):
            machine.append(core_times())
            baselines.append(csv_baseline(path))
            runs.append(run_engine(path, OUT / f"run-{rows}"))
        walls = [r["wall"] for r in runs]
        wall = statistics.median(walls)
        baseline = statistics.median(baselines)
        res = runs[walls.index(min(walls, key=lambda w: abs(w - wall)))]["result"]  # the median run's figures
        read = res["reconciliation"]["rows_read"]
        people = res["counts"]["people"]
        peak = max(r["peak_mb"] for r in runs)
        entry = {
            "rows": read,
            "people": people,
            "convictions_evaluated": res["counts"]["convictions_evaluated"],
            "file": "wide" if args.wide else "standard",
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "bytes_per_row": round(path.stat().st_size / max(read, 1)),
            "runs": len(runs),
            "wall_seconds": round(wall, 2),
            "wall_seconds_range": [round(min(walls), 2), round(max(walls), 2)],
            "rows_per_second": round(read / wall),
            "people_per_minute": round(people / wall * 60),
            "peak_memory_mb": round(peak, 0),
            "memory_bytes_per_row": round(peak * 1024 * 1024 / read),
            "csv_baseline_seconds": round(baseline, 2),
            "ratio_vs_csv_baseline": round(statistics.median(r["wall"] / b for r, b in zip(runs, baselines)), 2),
            "stage_seconds": res["timings_seconds"],
            **machine_state(machine),
        }
        report.append(entry)
        print(
            f"{read:>9,} rows  {wall:5.2f} s ({min(walls):.2f}-{max(walls):.2f}, {len(runs)} runs)  "
            f"{entry['rows_per_second']:>9,} rows/s  {entry['people_per_minute']:>8,} people/min  "
            f"peak {entry['peak_memory_mb']:>5,.0f} MB  | csv-module baseline {baseline:5.2f} s, "
            f"ratio {entry['ratio_vs_csv_baseline']:.2f}"
        )
        print(f"           stages (median run): {res['timings_seconds']}")
        alone, together = entry["spin_seconds_alone_and_two_at_once"]
        print(
            f"           machine: a loop took {alone:.3f} s alone, {together:.3f} s two at once: "
            f"{entry['core_scaling']:.2f}x the work of one (2.00: two free cores)"
        )
    if len(report) >= 2:
        small, large = report[0], report[-1]
        scale = large["rows"] / small["rows"]
        print(
            f"growth x{scale:.1f} rows: time x{large['wall_seconds'] / small['wall_seconds']:.2f}, "
            f"memory x{large['peak_memory_mb'] / small['peak_memory_mb']:.2f}"
        )
    print("context (not measured here): the earlier desktop tool, about 25,000 rows/s and 4.9 KB per row")
    OUT.mkdir(exist_ok=True)
    (OUT / ("bench-engine-wide.json" if args.wide else "bench-engine.json")).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
