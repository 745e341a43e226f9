"""The cloud's steps (the Step Functions state machine, one Lambda per step), on local paths.

1. :func:`check_input` - is the upload a DOJ file at all, and its SHA-256 (ingest);
2. :func:`split_into_shards` - read the file(s) once in bounded chunks and write shards such that all
   rows of a person are in the same shard (a stable hash of ``SUBJECT_ID``), plus the read-level data
   issues and the per-file row accounts; a row repeated across files is written once
   (``blueprint.intake.repeated_rows``), as in the local run;
3. :func:`evaluate_shard` - the same engine as the local run, on one shard (Distributed Map);
4. :func:`combine` - concatenate the shards' decisions and write the same outputs as the local run.

Both paths end in :func:`blueprint.run.outputs.write_outputs`, so the results are the same files.
Everything here works on local paths; the Lambda handlers move files between S3 and ``/tmp``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa

from ..intake.census import TextCounter, census_table
from ..intake.reader import (
    EMPTY_SCHEMA,
    FileRejected,
    FileReport,
    estimate_rows,
    iter_file,
    mark_repeat,
    sniff,
    split_people,
)
from ..intake.repeated_rows import RowFingerprints
from .local import RunSettings
from .person_ids import with_person_ids
from ..intake.file_status import FAILED, OK

if TYPE_CHECKING:
    import pandas as pd

# pandas and the engine are imported inside the functions below, not here: a Lambda step loads only
# what it uses.


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


SPLIT_MANIFEST = "split.json"
READ_ISSUES = "read_issues.parquet"
#: The offense-text counts of the split files (``blueprint.intake.census``), read by :func:`combine`.
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

    from ..intake.issues import IssueLog

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
            report.status, report.error, report.rows_used = FAILED, exc.reason, 0
        if report.status == OK:
            mark_repeat(report, reports)
        if seen is not None and report.status == OK:
            seen.commit(index, path.name, path)
        elif seen is not None:
            seen.discard()
        for shard, writer in writers.items():
            writer.close()
            if report.status != OK:  # a failed or repeated file: nothing of it is evaluated
                (out_dir / names[shard] / part).unlink(missing_ok=True)
        if report.status == OK:
            issues.extend(file_issues)
        reports.append(report)
    if seen is not None:
        seen.close()
    written = [n for n in names if (out_dir / n).is_dir() and any((out_dir / n).iterdir())]
    issues.frame().to_parquet(out_dir / READ_ISSUES, index=False)
    texts.frame(i for i, r in enumerate(reports) if r.status == OK).to_parquet(out_dir / TEXT_COUNTS, index=False)
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
    if all(r.status != OK for r in reports):
        raise InputRejected("; ".join(f"{r.file}: {r.error}" for r in reports))
    return split


def evaluate_shard(shard: Path, settings: RunSettings, out_dir: Path, *, file_names: list[str]) -> dict:
    """Evaluate every person of one shard; write its decisions, outcomes and record-level issues."""
    import pyarrow.parquet as pq

    from ..engine.decide import evaluate_rows
    from ..intake.issues import IssueLog
    from ..engine.outcomes import person_outcomes
    from .policies import load_policy
    from ..engine.rulepack import load_rule_pack

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

    from ..intake.issues import REPORT_COLUMNS
    from .outputs import run_identity, write_outputs
    from .policies import load_policy

    policy = load_policy(settings.policy)
    census = None
    counts_path = Path(split_dir) / split.get("text_counts", TEXT_COUNTS)
    if counts_path.is_file():  # a split made before the census existed has none
        from ..engine.rulepack import load_rule_pack

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
    issues = (
        issues.reindex(columns=REPORT_COLUMNS)
        .sort_values(["file", "line", "column"], kind="stable")
        .reset_index(drop=True)
    )
    as_of = str(settings.evaluation_date)
    return write_outputs(
        Path(out_dir),
        decisions=decisions,
        outcomes=outcomes,
        issues=issues,
        files=split["files"],
        policy=policy,
        county=settings.county,
        as_of=as_of,
        run_id=settings.run_id or run_identity(split["files"], policy, settings.county, as_of),
        census=census,
    )


__all__ = [
    "InputRejected",
    "InputCheck",
    "check_input",
    "split_into_shards",
    "evaluate_shard",
    "combine",
    "EMPTY_SCHEMA",
    "SPLIT_MANIFEST",
    "READ_ISSUES",
    "TEXT_COUNTS",
]
