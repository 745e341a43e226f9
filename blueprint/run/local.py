"""The local run (``clearance run``), from the input files to every output.

Read every file -> evaluate (large runs: whole people split over one process per core,
``blueprint.run.parallel``) -> write the outputs. The cloud runs the same work as separate steps
(``blueprint.run.cloud_steps``); both paths end in :func:`blueprint.run.outputs.write_outputs`, so the
results are the same files.
"""

from __future__ import annotations

import functools
import gc
import json
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, ParamSpec

from pydantic import BaseModel, field_validator

from ..report.run_folder import MANIFEST_FILE, earlier_run, record_outputs
from ..base.progress import SILENT, Phases
from ..intake.census import TextCounter, census_table, count_rows
from ..intake.reader import BackgroundRead, FileReport, estimate_rows, refuse_if_none_usable
from ..base.staging import merge_into, staged_folder
from ..intake.file_status import OK
from .person_ids import with_person_ids

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


@dataclass
class RunResult:
    out_dir: Path
    manifest: dict
    files: list[FileReport]
    failed: bool = False
    compat_files: dict = field(default_factory=dict)
    #: Files in the output folder the office had changed, kept under a new name: (file, new name).
    kept: list[tuple[str, str]] = field(default_factory=list)


_P = ParamSpec("_P")


def _restores_cycle_collector(run: Callable[_P, RunResult]) -> Callable[_P, RunResult]:
    """Leave Python's cycle collector as the caller had it when ``run`` ends, however it ends.

    A run pauses the collector while it reads and freezes what it holds from the evaluation on
    (see :func:`run_local`); both last one run only, so a process that runs the kit again still
    frees what this run made.
    """

    @functools.wraps(run)
    def restoring(*args: _P.args, **kwargs: _P.kwargs) -> RunResult:
        collecting = gc.isenabled()
        try:
            return run(*args, **kwargs)
        finally:
            gc.unfreeze()
            (gc.enable if collecting else gc.disable)()

    return restoring


@_restores_cycle_collector
def run_local(
    inputs: list[Path],
    settings: RunSettings,
    out_dir: Path,
    *,
    progress: Callable[[int], None] | None = None,
    force: bool = False,
    phases: Phases = SILENT,
) -> RunResult:
    """Read, evaluate and write every output for one run on this machine.

    The DOJ files are read in a background thread from the first moment, while pandas, the engine
    and the policy load; if the policy's rule pack reads another format, that read is cancelled.

    The outputs are written into a temporary folder beside ``out_dir`` and moved into place at the
    end (``blueprint.base.staging``): an interrupted or failed run leaves ``out_dir`` as it was. A folder
    that holds an earlier run (or anything else) is refused unless ``force``; see
    :func:`blueprint.report.run_folder.earlier_run`. A run whose every input file failed, or whose input has
    no row in the county, stops with a :class:`~blueprint.base.errors.UsageError` before writing anything.

    While the files are read, Python's cycle collector is paused: what is made then is modules,
    the policy and Arrow's rows, which all live to the end of the run, and the collector's passes
    over them (one of 30 ms while pandas loads) held the lock that the reading threads need
    between Arrow calls. The collector is restored when the run ends (:func:`_restores_cycle_collector`).
    """
    gc.disable()
    from ..runtime.arrow_memory import use_jemalloc_if_available
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
            from ..engine.decide import evaluate_rows
            from ..engine.outcomes import person_outcomes
            from .outputs import write_outputs
            from .parallel import evaluate_in_parallel
            from .policies import load_policy
            from ..engine.rulepack import load_rule_pack

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
            counts = texts.frame(i for i, f in enumerate(read.files) if f.status == OK)
        else:  # another state's extract, read through the pack's input mapping (docs/forking.md)
            from ..intake.mapped_reader import read_inputs

            reading.cancel()
            read = read_inputs(pack, inputs, progress)
            counts = count_rows(read.rows)
    _check_usable(read, settings.county)
    # The census needs nothing of the evaluation: a parallel run makes it while its workers
    # evaluate (this process would only wait), a serial run after it. Made once either way, and
    # timed with the evaluation either way.
    census_of_texts = functools.cache(lambda: census_table(counts, pack))
    t1 = time.perf_counter()
    names = [f.file for f in read.files]
    # Everything this process holds now (modules, the rows, the policy) lives to the end of the
    # run: frozen, Python's cycle collector no longer walks it in each full pass. One such pass
    # in the outputs walked it all, holding the lock the workbook's writing needed (65 ms). The
    # freeze ends with the run (run_local), so a process that runs the kit again frees this one.
    gc.freeze()
    gc.enable()
    evaluation = None
    workers = 1 if settings.compat else workers_for(read.rows.num_rows)  # compat needs the records in hand
    with phases.phase(f"evaluating ({workers} processes)" if workers > 1 else "evaluating"):
        parallel = (
            evaluate_in_parallel(
                read.rows,
                names,
                read.issues,
                pack,
                policy,
                settings.county,
                settings.evaluation_date,
                workers,
                parts=read.parts or None,
                meanwhile=census_of_texts,
            )
            if workers > 1
            else None
        )
        if parallel is not None:
            decisions, outcomes = parallel
        else:
            evaluation = evaluate_rows(
                read.rows, names, read.issues, pack, policy, settings.county, settings.evaluation_date
            )
            decisions, outcomes = evaluation.decisions, person_outcomes(evaluation, pack)
    census = census_of_texts()
    t2 = time.perf_counter()
    issues = with_person_ids(read.issues.frame(), read.rows, names)

    # Asked for as late as possible: the files' SHA-256 may still be being computed
    # (blueprint.runtime.file_digest), and write_outputs starts the result tables meanwhile.
    def files() -> list[dict]:
        return [f.as_dict() for f in read.files]

    rows_read = sum(f.rows_read for f in read.files)
    timings = {"read": round(t1 - t0, 3), "evaluate": round(t2 - t1, 3)}
    with staged_folder(out_dir) as stage:
        with phases.phase("writing the review workbook and tables"):
            manifest = write_outputs(
                stage,
                decisions=decisions,
                outcomes=outcomes,
                issues=issues,
                files=files,
                policy=policy,
                county=settings.county,
                as_of=str(settings.evaluation_date),
                run_id=settings.run_id or None,
                timings=timings,
                census=census,
            )
        compat = {}
        if settings.compat:
            from ..compat.gogen.files import write_gogen_files

            assert evaluation is not None, "the compat files are written on one process (above)"
            with phases.phase("writing the earlier tool's result files"):
                compat = write_gogen_files(
                    read,
                    evaluation,
                    stage / "compat",
                    policy=policy,
                    county=settings.county,
                    as_of=settings.evaluation_date,
                    processing_seconds=time.perf_counter() - t0,
                    pack=pack,
                    outcomes=outcomes,
                )
        total = round(time.perf_counter() - t0, 3)
        manifest["timings_seconds"]["total"] = total
        manifest["evaluation_processes"] = workers if parallel is not None else 1
        if rows_read and total:
            manifest["timings_seconds"]["rows_per_second"] = round(rows_read / total)
        if compat:
            record_outputs(stage, manifest)
        (stage / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, default=str))
        merged = merge_into(stage, out_dir, marker=MANIFEST_FILE, earlier=earlier)
    compat = {
        name: out_dir / Path(path).relative_to(stage) if Path(path).is_relative_to(stage) else path
        for name, path in compat.items()
    }
    return RunResult(
        out_dir=out_dir,
        manifest=manifest,
        files=read.files,
        failed=bool(read.failed),
        compat_files=compat,
        kept=merged.kept,
    )


def _check_usable(read, county: str) -> None:
    """Stop before evaluating when there is nothing to evaluate: every input failed, or no row is in
    the county (a typing slip); each with one line per reason."""
    from ..intake.counties import check_county

    refuse_if_none_usable(read.files)
    check_county(read.rows, county)


__all__ = ["RunSettings", "RunResult", "run_local"]
