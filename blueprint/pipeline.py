"""A run from start to finish, on a laptop or as the cloud's steps.

Local run (``clearance run``): read every file -> evaluate (large runs: whole people split over one
process per core, ``blueprint.parallel``) -> write the outputs.

Cloud run (the Step Functions state machine, one Lambda per step):

1. :func:`check_input` - is the upload a DOJ file at all, and its SHA-256 (ingest);
2. :func:`split_into_shards` - read the file(s) once in bounded chunks and write shards such that all
   rows of a person are in the same shard (a stable hash of ``SUBJECT_ID``), plus the read-level data
   issues and the per-file row accounts; a row repeated across files is written once
   (``blueprint.repeated_rows``), as in the local run;
3. :func:`evaluate_shard` - the same engine as the local run, on one shard (Distributed Map);
4. :func:`combine` - concatenate the shards' decisions and write the same outputs as the local run.

Both paths end in :func:`blueprint.outputs.write_outputs`, so the results are the same files.
Everything here works on local paths; the Lambda handlers move files between S3 and ``/tmp``.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pyarrow as pa
from pydantic import BaseModel, field_validator

from .errors import UsageError
from .run_folder import MANIFEST_FILE, earlier_run, record_outputs
from .progress import SILENT, Phases
from .census import TextCounter, census_table, count_rows
from .reader import (EMPTY_SCHEMA, BackgroundRead, FileRejected, FileReport, estimate_rows, iter_file,
                     reject_repeat, sniff, split_people)
from .staging import merge_into, staged_folder
from .repeated_rows import RowFingerprints

if TYPE_CHECKING:
    import pandas as pd

# pandas and the engine are imported inside the functions below, not here: the local run starts
# reading its input first and imports them while Arrow parses (about half a second saved), and
# a Lambda step loads only what it uses.


class RunSettings(BaseModel):
    """What a run needs besides its input: JSON-serialisable, passed along the state machine."""

    county: str
    policy: str = "california"
    evaluation_date: date
    run_id: str = ""
    compat: bool = False

    @field_validator("county")
    @classmethod
    def _county(cls, value: str) -> str:
        value = value.strip().upper()
        if not value:
            raise ValueError("county is required (as written in STP_ORI_CNTY_NAME, e.g. SACRAMENTO)")
        return value


class InputRejected(Exception):
    """An input file is not usable at all. The message names the file and the reason, nothing else."""


@dataclass
class InputCheck:
    file: str
    sha256: str
    bytes: int
    has_header: bool


def check_input(path: Path) -> InputCheck:
    """File-level checks (is it a DOJ research file?) and the file's SHA-256, before a run starts."""
    import hashlib

    path = Path(path)
    try:
        sn = sniff(path)
    except FileRejected as exc:
        raise InputRejected(str(exc)) from None
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(8 << 20):
            digest.update(chunk)
            size += len(chunk)
    return InputCheck(file=path.name, sha256=digest.hexdigest(), bytes=size, has_header=sn.has_header)


@dataclass
class RunResult:
    out_dir: Path
    manifest: dict
    files: list[FileReport]
    failed: bool = False
    compat_files: dict = field(default_factory=dict)
    #: Files in the output folder the office had changed, kept under a new name: (file, new name).
    kept: list[tuple[str, str]] = field(default_factory=list)


def run_local(inputs: list[Path], settings: RunSettings, out_dir: Path, *,
              progress: Callable[[int], None] | None = None, force: bool = False,
              phases: Phases = SILENT) -> RunResult:
    """Read, evaluate and write every output for one run on this machine.

    The DOJ files are read in a background thread from the first moment, while pandas, the engine
    and the policy load; if the policy's rule pack reads another format, that read is cancelled.

    The outputs are written into a temporary folder beside ``out_dir`` and moved into place at the
    end (``blueprint.staging``): an interrupted or failed run leaves ``out_dir`` as it was. A folder
    that holds an earlier run (or anything else) is refused unless ``force``; see
    :func:`blueprint.outputs.earlier_run`. A run whose every input file failed, or whose input has
    no row in the county, stops with a :class:`~blueprint.errors.UsageError` before writing anything.
    """
    from .arrow_memory import use_jemalloc_if_available
    from .parallel import workers_for

    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    earlier = earlier_run(out_dir, force=force)
    use_jemalloc_if_available()
    # A large run is evaluated on every core, in parts of whole people; the reader makes the parts
    # as it reads (sized from the files' length), so they cost no extra pass over the rows.
    estimated = estimate_rows(inputs)
    planned = 1 if settings.compat else workers_for(estimated)  # compat needs the records in hand
    # The offense-text census counts every row as it is read, before the rows are pruned.
    texts = TextCounter()
    with phases.phase("reading", total=estimated, unit=" rows") as advance:
        progress = progress or (advance if phases.enabled else None)
        reading = BackgroundRead(inputs, progress, prune=True, parts=planned, observe=texts.add)
        try:
            from .engine import evaluate_rows
            from .outcomes import person_outcomes
            from .outputs import write_outputs
            from .parallel import evaluate_in_parallel
            from .policy import load_policy
            from .rulepack import load_rule_pack

            policy = load_policy(settings.policy)
            pack = load_rule_pack(policy.rule_pack)
        except BaseException:
            reading.cancel()
            raise
        if pack.input_format == "doj-research-file":
            try:
                read = reading.result()
            except BaseException:  # an interrupt while waiting: stop the reading thread too
                reading.cancel()
                raise
            counts = texts.frame(i for i, f in enumerate(read.files) if f.status == "ok")
        else:  # another state's extract, read through the pack's input mapping (docs/forking.md)
            from .mapped_reader import read_inputs

            reading.cancel()
            read = read_inputs(pack, inputs, progress)
            counts = count_rows(read.rows)
    _check_usable(read, settings.county)
    census = census_table(counts, pack)
    t1 = time.perf_counter()
    names = [f.file for f in read.files]
    evaluation = None
    workers = 1 if settings.compat else workers_for(read.rows.num_rows)  # compat needs the records in hand
    with phases.phase(f"evaluating ({workers} processes)" if workers > 1 else "evaluating"):
        parallel = evaluate_in_parallel(read.rows, names, read.issues, pack, policy, settings.county,
                                        settings.evaluation_date, workers, parts=read.parts or None) if workers > 1 else None
        if parallel is not None:
            decisions, outcomes = parallel
        else:
            evaluation = evaluate_rows(read.rows, names, read.issues, pack, policy, settings.county,
                                       settings.evaluation_date)
            decisions, outcomes = evaluation.decisions, person_outcomes(evaluation, pack)
    t2 = time.perf_counter()
    files = [f.as_dict() for f in read.files]
    rows_read = sum(f.rows_read for f in read.files)
    timings = {"read": round(t1 - t0, 3), "evaluate": round(t2 - t1, 3)}
    issues = with_person_ids(read.issues.frame(), read.rows, names)
    with staged_folder(out_dir) as stage:
        with phases.phase("writing the review workbook and tables"):
            manifest = write_outputs(stage, decisions=decisions, outcomes=outcomes, issues=issues,
                                     files=files, policy=policy, county=settings.county,
                                     as_of=str(settings.evaluation_date), run_id=settings.run_id or None,
                                     timings=timings, census=census)
        compat = {}
        if settings.compat:
            from .compat_gogen import write_gogen_files

            with phases.phase("writing the earlier tool's result files"):
                compat = write_gogen_files(read, evaluation, stage / "compat", policy=policy, county=settings.county,
                                           as_of=settings.evaluation_date, processing_seconds=time.perf_counter() - t0,
                                           pack=pack, outcomes=outcomes)
        total = round(time.perf_counter() - t0, 3)
        manifest["timings_seconds"]["total"] = total
        manifest["evaluation_processes"] = workers if parallel is not None else 1
        if rows_read and total:
            manifest["timings_seconds"]["rows_per_second"] = round(rows_read / total)
        if compat:
            record_outputs(stage, manifest)
        (stage / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))
        merged = merge_into(stage, out_dir, marker=MANIFEST_FILE, earlier=earlier)
    compat = {name: out_dir / Path(path).relative_to(stage) if Path(path).is_relative_to(stage) else path
              for name, path in compat.items()}
    return RunResult(out_dir=out_dir, manifest=manifest, files=read.files, failed=bool(read.failed),
                     compat_files=compat, kept=merged.kept)


def _check_usable(read, county: str) -> None:
    """Stop before evaluating when there is nothing to evaluate: every input failed, or no row is in
    the county (a typing slip); each with one line per reason."""
    from .counties import check_county

    if read.files and all(f.status != "ok" for f in read.files):
        if len(read.files) == 1:
            f = read.files[0]
            raise UsageError(f"{f.file}: {f.error} (nothing was written)")
        lines = "\n".join(f"  {f.file}: {f.error}" for f in read.files)
        raise UsageError(f"none of the {len(read.files)} input files can be used (nothing was written):\n{lines}")
    check_county(read.rows, county)


def with_person_ids(issues: "pd.DataFrame", rows: pa.Table, names: list[str]) -> "pd.DataFrame":
    """The data issues with the ``person_id`` (SUBJECT_ID) of the row each one is about, where the row
    belongs to a person (a skipped row without SUBJECT_ID has none). Only the issues' own lines are
    looked up, so the cost follows the number of issues, not of rows."""
    import pandas as pd
    import pyarrow.compute as pc

    issues = issues.copy()
    issues["person_id"] = ""
    if not len(issues) or not rows.num_rows:
        return issues
    wanted = pa.array(pd.unique(issues["line"].to_numpy()), pa.int64())
    hit = rows.filter(pc.is_in(rows["_line"], value_set=wanted)).select(["_file", "_line", "SUBJECT_ID"]).to_pandas()
    if not len(hit):
        return issues
    hit["file"] = [names[int(i)] if 0 <= int(i) < len(names) else "" for i in hit["_file"]]
    lookup = hit.drop_duplicates(["file", "_line"]).set_index(["file", "_line"])["SUBJECT_ID"]
    keys = pd.MultiIndex.from_arrays([issues["file"], issues["line"]])
    issues["person_id"] = lookup.reindex(keys).fillna("").astype(str).to_numpy()
    return issues


# --- the cloud's steps -------------------------------------------------------------------------------

SPLIT_MANIFEST = "split.json"
READ_ISSUES = "read_issues.parquet"
#: The offense-text counts of the split files (``blueprint.census``), read by :func:`combine`.
TEXT_COUNTS = "offense_text_counts.parquet"


def split_into_shards(inputs: list[Path], out_dir: Path, *, rows_per_shard: int = 250_000) -> dict:
    """Read the input once, in bounded chunks, and write shards of whole people.

    A shard is a folder ``shard-NNNNN/`` holding one Parquet part per input file, so every row of a
    person lands in the same shard whichever file it came from. A file that fails half-way has its
    parts removed: nothing half-read is evaluated. Returns (and writes as ``split.json``) the shard
    folders, the per-file reports and the count of read-level issues. If every file fails,
    :class:`InputRejected` is raised after ``split.json`` is written.
    """
    import pyarrow.parquet as pq

    from .issues import IssueLog

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shards = max(1, math.ceil(estimate_rows(inputs) / max(rows_per_shard, 1)))
    names = [f"shard-{i:05d}" for i in range(shards)]
    issues = IssueLog()
    texts = TextCounter()
    reports: list[FileReport] = []
    seen = RowFingerprints(last_file=len(inputs) - 1) if len(inputs) > 1 else None  # repeated rows: used once
    for index, path in enumerate(map(Path, inputs)):
        report = FileReport(file=path.name, path=path.name)
        file_issues = IssueLog()
        writers: dict[int, pq.ParquetWriter] = {}
        part = f"part-{index:04d}.parquet"
        try:
            for table in iter_file(path, index, file_issues, report, seen=seen):
                texts.add(index, table)
                for shard, piece in enumerate(split_people(table, shards, prune=True)):
                    if piece.num_rows == 0:
                        continue
                    if shard not in writers:
                        (out_dir / names[shard]).mkdir(exist_ok=True)
                        writers[shard] = pq.ParquetWriter(out_dir / names[shard] / part, piece.schema)
                    writers[shard].write_table(piece)
        except FileRejected as exc:
            report.status, report.error, report.rows_used = "failed", exc.reason, 0
        if report.status == "ok":
            reject_repeat(report, reports)
        if seen is not None and report.status == "ok":
            seen.commit(index, path.name, path)
        elif seen is not None:
            seen.discard()
        for shard, writer in writers.items():
            writer.close()
            if report.status != "ok":  # a failed or repeated file: nothing of it is evaluated
                (out_dir / names[shard] / part).unlink(missing_ok=True)
        if report.status == "ok":
            issues.extend(file_issues)
        reports.append(report)
    if seen is not None:
        seen.close()
    written = [n for n in names if (out_dir / n).is_dir() and any((out_dir / n).iterdir())]
    issues.frame().to_parquet(out_dir / READ_ISSUES, index=False)
    texts.frame(i for i, r in enumerate(reports) if r.status == "ok").to_parquet(out_dir / TEXT_COUNTS, index=False)
    split = {
        "shards": written,
        "shard_count": len(written),
        "file_names": [r.file for r in reports],
        "files": [r.as_dict() for r in reports],
        "read_issues": READ_ISSUES,
        "text_counts": TEXT_COUNTS,
        "issues_count": len(issues),
        "rows_read": sum(r.rows_read for r in reports),
    }
    (out_dir / SPLIT_MANIFEST).write_text(json.dumps(split, indent=2))
    if all(r.status != "ok" for r in reports):
        raise InputRejected("; ".join(f"{r.file}: {r.error}" for r in reports))
    return split


def evaluate_shard(shard: Path, settings: RunSettings, out_dir: Path, *, file_names: list[str]) -> dict:
    """Evaluate every person of one shard; write its decisions, outcomes and record-level issues."""
    import pyarrow.parquet as pq

    from .engine import evaluate_rows
    from .issues import IssueLog
    from .outcomes import person_outcomes
    from .policy import load_policy
    from .rulepack import load_rule_pack

    shard = Path(shard)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    policy = load_policy(settings.policy)
    pack = load_rule_pack(policy.rule_pack)
    parts = sorted(shard.glob("part-*.parquet")) if shard.is_dir() else [shard]
    rows = pa.concat_tables([pq.read_table(p) for p in parts]) if parts else EMPTY_SCHEMA.empty_table()
    issues = IssueLog()
    evaluation = evaluate_rows(rows, file_names, issues, pack, policy, settings.county, settings.evaluation_date)
    outcomes = person_outcomes(evaluation, pack)
    stem = shard.name.removesuffix(".parquet")
    paths = {
        "decisions": out_dir / f"{stem}.decisions.parquet",
        "outcomes": out_dir / f"{stem}.outcomes.parquet",
        "issues": out_dir / f"{stem}.issues.parquet",
    }
    _decisions_for_parquet(evaluation.decisions).to_parquet(paths["decisions"], index=False)
    outcomes.to_parquet(paths["outcomes"], index=False)
    with_person_ids(issues.frame(), rows, file_names).to_parquet(paths["issues"], index=False)
    return {
        "shard": shard.name,
        "rows": rows.num_rows,
        "people": len(rows["SUBJECT_ID"].unique()) if rows.num_rows else 0,
        "convictions_evaluated": int(len(evaluation.decisions)),
        "issues": int(len(issues)),
        "outputs": {k: v.name for k, v in paths.items()},
    }


def _decisions_for_parquet(decisions: pd.DataFrame) -> pd.DataFrame:
    out = decisions.copy()
    for col in out.columns:
        if out[col].dtype == object:
            sample = out[col].dropna()
            if len(sample) and not isinstance(sample.iloc[0], str):
                out[col] = out[col].astype(str)
    return out


def combine(evaluated_dirs: list[Path], split: dict, split_dir: Path, settings: RunSettings, out_dir: Path) -> dict:
    """Concatenate evaluated shards and write the run's outputs (the same files as a local run).

    ``evaluated_dirs`` are folders holding the ``*.decisions.parquet``, ``*.outcomes.parquet`` and
    ``*.issues.parquet`` files that :func:`evaluate_shard` wrote.
    """
    import pandas as pd

    from .issues import REPORT_COLUMNS
    from .outputs import run_identity, write_outputs
    from .policy import load_policy

    policy = load_policy(settings.policy)
    census = None
    counts_path = Path(split_dir) / split.get("text_counts", TEXT_COUNTS)
    if counts_path.is_file():  # a split made before the census existed has none
        from .rulepack import load_rule_pack

        census = census_table(pd.read_parquet(counts_path), load_rule_pack(policy.rule_pack))
    frames: dict[str, list[pd.DataFrame]] = {"decisions": [], "outcomes": [], "issues": []}
    for folder in map(Path, evaluated_dirs):
        for kind in frames:
            for path in sorted(folder.glob(f"*.{kind}.parquet")):
                frames[kind].append(pd.read_parquet(path))
    decisions = pd.concat(frames["decisions"], ignore_index=True) if frames["decisions"] else pd.DataFrame()
    outcomes = pd.concat(frames["outcomes"], ignore_index=True) if frames["outcomes"] else pd.DataFrame()
    read_issues = pd.read_parquet(Path(split_dir) / split["read_issues"])
    issues = pd.concat([read_issues] + frames["issues"], ignore_index=True)
    issues = issues.reindex(columns=REPORT_COLUMNS).sort_values(["file", "line", "column"], kind="stable").reset_index(drop=True)
    as_of = str(settings.evaluation_date)
    return write_outputs(Path(out_dir), decisions=decisions, outcomes=outcomes, issues=issues, files=split["files"],
                         policy=policy, county=settings.county, as_of=as_of,
                         run_id=settings.run_id or run_identity(split["files"], policy, settings.county, as_of),
                         census=census)


__all__ = ["RunSettings", "InputRejected", "InputCheck", "check_input", "run_local", "split_into_shards",
           "evaluate_shard", "combine", "EMPTY_SCHEMA", "TEXT_COUNTS"]
