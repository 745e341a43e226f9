"""Measure the cloud pipeline's engine steps one process at a time: time, peak memory, disk.

    .venv/bin/python tests/bench/bench_steps.py [--rows 1000000] [--rows-per-shard 250000] [--documents]

Each step (split, evaluate one shard, combine; with --documents also plan, render each batch and
assemble) runs in its own process, as in Lambda, so its peak
resident memory is its own. The figures feed docs/deployment.md ("Scale"): Lambda memory per
function, the shard size, and the wall time and cost per county size. Uses (or creates) the
synthetic file of `make bench` in bench-output/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

STEP = r"""
import json, sys, time, resource
from datetime import date
from pathlib import Path
from blueprint.run.cloud_steps import combine, evaluate_shard, split_into_shards
from blueprint.run.local import RunSettings
args = json.loads(sys.argv[1])
settings = RunSettings(county="SACRAMENTO", evaluation_date=date(2026, 3, 1), run_id="bench")
work = Path(args["work"])
t = time.perf_counter()
if args["step"] == "split":
    out = split_into_shards([Path(args["input"])], work / "split", rows_per_shard=args["rows_per_shard"])
    result = {"shards": out["shard_count"], "rows_read": out["rows_read"]}
elif args["step"] == "evaluate":
    split = json.loads((work / "split" / "split.json").read_text())
    out = evaluate_shard(work / "split" / args["shard"], settings, work / "evaluated" / args["shard"],
                         file_names=split["file_names"])
    result = {k: out[k] for k in ("rows", "people", "convictions_evaluated")}
elif args["step"] == "plan":
    from blueprint.filings import plan_document_batches
    batches = plan_document_batches(work / "run", work / "filings", approve_all=True, profile=args["profile"])
    (work / "batches.json").write_text(json.dumps(batches))
    result = {"batches": len(batches)}
elif args["step"] == "render":
    from blueprint.filings import render_document_batch
    result = {"files": len(render_document_batch(work / "filings", args["batch"]))}
elif args["step"] == "assemble":
    from blueprint.filings import assemble_filings
    result = {"files": len(assemble_filings(work / "filings").files)}
else:
    split = json.loads((work / "split" / "split.json").read_text())
    manifest = combine([work / "evaluated" / s for s in split["shards"]], split, work / "split", settings, work / "run")
    result = manifest["counts"]
result["seconds"] = round(time.perf_counter() - t, 2)
result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print(json.dumps(result))
"""


def run_step(**args) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", STEP, json.dumps(args)], check=True, capture_output=True, text=True, cwd=REPO
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rows-per-shard", type=int, default=250_000)
    parser.add_argument(
        "--documents", action="store_true", help="also plan, render and assemble the filings (approve all)"
    )
    args = parser.parse_args()
    source = REPO / "bench-output" / f"doj-{args.rows}-seed7.dat"
    if not source.exists():
        from blueprint.synthetic.doj_file import generate

        source.parent.mkdir(exist_ok=True)
        generate(source, rows=args.rows, county="SACRAMENTO", seed=7)
    report: dict = {"input_rows_requested": args.rows, "input_mb": round(source.stat().st_size / 1e6, 1)}
    with tempfile.TemporaryDirectory(prefix="clearance-bench-") as tmp:
        work = Path(tmp)
        report["split"] = run_step(step="split", input=str(source), work=str(work), rows_per_shard=args.rows_per_shard)
        report["shards_mb"] = round(folder_bytes(work / "split") / 1e6, 1)
        split = json.loads((work / "split" / "split.json").read_text())
        report["evaluate"] = [run_step(step="evaluate", work=str(work), shard=s) for s in split["shards"]]
        report["combine"] = run_step(step="combine", work=str(work))
        report["run_mb"] = round(folder_bytes(work / "run") / 1e6, 1)
        if args.documents:
            import yaml

            profile = yaml.safe_load((REPO / "templates" / "office-profile.example.yaml").read_text())
            profile["county"] = "SACRAMENTO"
            (work / "profile.yaml").write_text(yaml.safe_dump(profile))
            report["plan"] = run_step(step="plan", work=str(work), profile=str(work / "profile.yaml"))
            batches = json.loads((work / "batches.json").read_text())
            report["render"] = [run_step(step="render", work=str(work), batch=b) | {"batch": b["id"]} for b in batches]
            report["assemble"] = run_step(step="assemble", work=str(work))
            report["filings_mb"] = round(folder_bytes(work / "filings") / 1e6, 1)
    report["bytes_per_row"] = round(source.stat().st_size / report["split"]["rows_read"])
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
