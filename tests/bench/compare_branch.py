"""Compare this working tree with another commit (default: where this branch left ``main``) on the bench files.

    .venv/bin/python tests/bench/compare_branch.py                 # standard and wide, 3 runs each
    .venv/bin/python tests/bench/compare_branch.py --files wide --ref main --repeat 5

For a performance change, two questions: is it faster, and does it still give the same results?
This script answers both on the million-row files of ``make bench`` and ``make bench-wide``:

- Speed and memory. The other commit is exported (``git archive``) to a temporary folder and run
  with the same interpreter and libraries, alternating with this tree and with the csv-module
  baseline of ``bench_engine.py``, so that a shared machine's drift hits all three alike. Reported
  per file and tree: median wall time with its range, peak memory (largest resident set of the
  run's processes), and the median ratio to the baseline measured just before each run.
- Sameness. The run folders of the last run of each tree are compared file by file, byte for byte
  (the workbook member by member). Only the measured timings and the workbook's creation time
  differ between two runs of the same code: ``timings_seconds`` in ``summary.json`` and
  ``manifest.json`` (and so the manifest's checksums of the files that show them), the
  "Processing time" line of ``summary.html``, the "Processing time" rows of the workbook and its
  ``docProps/core.xml`` time stamps. Those are blanked out before comparing; everything else
  must be equal.

Nothing here is a test: the unit suite never times anything (see ``bench_engine.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import zipfile
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_engine import (  # noqa: E402
    OUT,
    ROOT,
    compile_bytecode,
    csv_baseline,
    ensure_file,
    ensure_wide_file,
    run_engine,
)

#: JSON files whose content includes the run's own timings; compared without them.
TIMED_JSON = {"summary.json", "manifest.json"}
#: Files (or workbook members) that show the timings or the time of the run: what is blanked out.
TIMED_TEXT = [
    (re.compile(rb'<p class="note">Processing time:[^<]*</p>'), b""),
    (re.compile(rb"<dcterms:(created|modified) [^>]*>[^<]*<"), b""),
    (
        re.compile(
            rb'<row r="\d+"><c r="A\d+" t="inlineStr"><is><t>(read|evaluate|outputs|total)</t></is></c>'
            rb'<c r="B\d+"><v>[^<]*</v></c></row>'
        ),
        b"",
    ),
]


def export(ref: str, into: Path) -> Path:
    """The tree of ``ref`` (as committed) in ``into``, to run as a module from there."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _untimed(path: Path) -> object:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("timings_seconds", None)
    data.get("processing", {}).pop("timings_seconds", None)
    data.get("processing", {}).pop("rows_per_second", None)
    for name in ("summary.json", "summary.html", "review.xlsx"):
        data.get("output_sha256", {}).pop(name, None)
    return data


def _untimed_bytes(data: bytes) -> bytes:
    for pattern, blank in TIMED_TEXT:
        data = pattern.sub(blank, data)
    return data


def _content(path: Path) -> object:
    """What is compared of one output file (see the module's docstring)."""
    if path.name in TIMED_JSON:
        return _untimed(path)
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as book:
            return {name: _untimed_bytes(book.read(name)) for name in book.namelist()}
    data = path.read_bytes()
    return _untimed_bytes(data) if path.suffix == ".html" else data


def differences(a: Path, b: Path) -> list[str]:
    """Names of the files that differ between two run folders (or are in only one)."""
    names_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out = [f"only in one run: {n}" for n in sorted(names_a ^ names_b)]
    for name in sorted(names_a & names_b):
        if _content(a / name) != _content(b / name):
            out.append(str(name))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--ref",
        help="the commit to compare with (default: git merge-base HEAD main, the code before this branch's changes)",
    )
    parser.add_argument("--files", nargs="*", default=["standard", "wide"], choices=["standard", "wide"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    ref = (
        args.ref
        or subprocess.run(
            ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"], check=True, capture_output=True, text=True
        ).stdout.strip()
    )
    report, same = [], True
    with tempfile.TemporaryDirectory(prefix="compare-") as tmp:
        base = export(ref, Path(tmp) / "ref")
        trees = {ref[:10]: base, "this tree": ROOT}
        for tree in trees.values():  # both run as installed, with their bytecode compiled
            compile_bytecode(tree)
        for kind in args.files:
            path = ensure_wide_file(args.rows, args.seed) if kind == "wide" else ensure_file(args.rows, args.seed)
            runs = {name: [] for name in trees}
            for _ in range(max(args.repeat, 1)):
                for name, tree in trees.items():
                    baseline = csv_baseline(path)
                    run = run_engine(path, OUT / f"compare-{kind}-{'ref' if tree == base else 'tree'}", cwd=tree)
                    runs[name].append({**run, "baseline": baseline})
            for name, rs in runs.items():
                walls = [r["wall"] for r in rs]
                entry = {
                    "file": kind,
                    "tree": name,
                    "runs": len(rs),
                    "wall_seconds": round(statistics.median(walls), 2),
                    "wall_seconds_range": [round(min(walls), 2), round(max(walls), 2)],
                    "peak_memory_mb": round(max(r["peak_mb"] for r in rs)),
                    "csv_baseline_seconds": round(statistics.median(r["baseline"] for r in rs), 2),
                    "ratio_vs_csv_baseline": round(statistics.median(r["wall"] / r["baseline"] for r in rs), 3),
                    "stage_seconds_median_run": sorted(rs, key=lambda r: r["wall"])[len(rs) // 2]["result"][
                        "timings_seconds"
                    ],
                }
                report.append(entry)
                print(
                    f"{kind:>8} {name:>10}: {entry['wall_seconds']:5.2f} s "
                    f"({entry['wall_seconds_range'][0]:.2f}-{entry['wall_seconds_range'][1]:.2f}), "
                    f"peak {entry['peak_memory_mb']:>4} MB, csv baseline {entry['csv_baseline_seconds']:.2f} s, "
                    f"ratio {entry['ratio_vs_csv_baseline']:.3f}  stages {entry['stage_seconds_median_run']}"
                )
            diff = differences(OUT / f"compare-{kind}-ref", OUT / f"compare-{kind}-tree")
            same = same and not diff
            print(f"{kind:>8} outputs: " + ("identical (timings aside)" if not diff else f"DIFFER: {diff}"))
    (OUT / "compare-branch.json").write_text(json.dumps(report, indent=2))
    if not same:
        raise SystemExit("the outputs differ from the other commit's")


if __name__ == "__main__":
    main()
