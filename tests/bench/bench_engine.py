"""Benchmark: `clearance run` on seeded synthetic DOJ files, as a whole process.

Reports, for 250,000 and 1,000,000 rows: wall time, input rows per second, people per minute and
peak memory (the child process's maximum resident set size), and the growth from the smaller to
the larger file (linear growth means time and memory per row stay flat).

Baseline in the same run: Python's own csv module reading every row of the same file and doing
nothing else. Any engine that handles rows one by one in Python pays at least that; the ratio says
how far below that floor the columnar engine runs. The earlier desktop tool's published figures
(about 25,000 rows/s and 4.9 KB per row) are printed for context only: they were not measured here.

    make bench                      # or: python tests/bench/bench_engine.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "bench-output"


def ensure_file(rows: int, seed: int) -> Path:
    """Generate (once) the seeded synthetic file for this size."""
    from blueprint.synthetic import generate

    path = OUT / f"doj-{rows}-seed{seed}.dat"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        generate(path, rows=rows, county="SACRAMENTO", seed=seed)
    return path


def csv_baseline(path: Path) -> float:
    """Seconds for Python's csv module to read every row (the per-row Python floor)."""
    start = time.perf_counter()
    n = 0
    with open(path, newline="", encoding="latin-1") as fh:
        for _ in csv.reader(fh):
            n += 1
    return time.perf_counter() - start


def run_engine(path: Path, out: Path, workbook: bool = True) -> dict:
    """Run `clearance run` in a child process; wall time and the child's peak memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cmd = [sys.executable, "-m", "blueprint.cli", "run", "--input", str(path), "--county", "SACRAMENTO",
           "--policy", "california", "--as-of", "2020-07-01", "--out", str(out), "--json"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"clearance run failed ({done.returncode}): {done.stderr[-2000:]}")
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {"wall": wall, "peak_mb": peak_kb / 1024 if peak_kb > before else float("nan"), "result": result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="*", default=[250_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    rows_list = sorted(args.rows)
    report = []
    for rows in rows_list:
        path = ensure_file(rows, args.seed)
        baseline = csv_baseline(path)
        # Peak memory of children is a high-water mark across children: run the sizes in
        # increasing order so each figure is that size's own peak.
        run = run_engine(path, OUT / f"run-{rows}")
        res = run["result"]
        read = res["reconciliation"]["rows_read"]
        people = res["counts"]["people"]
        entry = {
            "rows": read,
            "people": people,
            "convictions_evaluated": res["counts"]["convictions_evaluated"],
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "wall_seconds": round(run["wall"], 2),
            "rows_per_second": round(read / run["wall"]),
            "people_per_minute": round(people / run["wall"] * 60),
            "peak_memory_mb": round(run["peak_mb"], 0),
            "memory_bytes_per_row": round(run["peak_mb"] * 1024 * 1024 / read),
            "csv_baseline_seconds": round(baseline, 2),
            "ratio_vs_csv_baseline": round(run["wall"] / baseline, 2),
            "stage_seconds": res["timings_seconds"],
        }
        report.append(entry)
        print(f"{read:>9,} rows  {run['wall']:6.2f} s  {entry['rows_per_second']:>9,} rows/s  "
              f"{entry['people_per_minute']:>8,} people/min  peak {entry['peak_memory_mb']:>6,.0f} MB  "
              f"| csv-module baseline {baseline:5.2f} s, ratio {entry['ratio_vs_csv_baseline']:.2f}")
        print(f"           stages: {res['timings_seconds']}")
    if len(report) >= 2:
        small, large = report[0], report[-1]
        scale = large["rows"] / small["rows"]
        print(f"growth x{scale:.1f} rows: time x{large['wall_seconds'] / small['wall_seconds']:.2f}, "
              f"memory x{large['peak_memory_mb'] / small['peak_memory_mb']:.2f}")
    print("context (not measured here): the earlier desktop tool, about 25,000 rows/s and 4.9 KB per row")
    OUT.mkdir(exist_ok=True)
    (OUT / "bench-engine.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
