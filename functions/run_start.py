"""Starting a run: its id, its evaluation date, its execution input, its registry record and its
execution. ingest calls :func:`start_run` once per upload that starts a run.

The run id is the execution's name, so a repeated or duplicated upload event finds the name taken
and starts nothing new. The evaluation date is the county's fixed date if it has one, else the
calendar date of the upload in the county's time zone (``TIME_ZONE``: the rule pack's ``time_zone``
or the county's setting, cdk/settings.py), so a file uploaded late in the evening is not dated the
next day.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pydantic import Field

from . import registry
from .aws import stepfunctions
from .common import MetricUnit, logger, metrics
from .contracts import ExecutionInput, Options, Run, RunStarted, Source
from .environment import IngestEnvironment


class Upload(Source):
    """An upload that starts a run: the source of its run, and when S3 says it was written."""

    event_time: str = Field(min_length=1)

    def source(self) -> Source:
        return Source.model_validate(self.model_dump(exclude={"event_time"}))


def run_id_for(bucket: str, key: str, version_id: str, uploaded: date) -> str:
    """``<upload date>-<12 hex>``: stable for one object version, different for every new upload."""
    digest = hashlib.sha256(f"{bucket}\n{key}\n{version_id}".encode()).hexdigest()[:12]
    return f"{uploaded:%Y%m%d}-{digest}"


def evaluation_date(env: IngestEnvironment, event_time: str) -> date:
    """The configured evaluation date, or the upload's date in the county's time zone."""
    if env.evaluation_date is not None:
        return env.evaluation_date
    return upload_date(event_time, env.zone)


def upload_date(event_time: str, zone: ZoneInfo) -> date:
    """The calendar date in ``zone`` of an S3 event time (ISO 8601, UTC)."""
    return datetime.fromisoformat(event_time.replace("Z", "+00:00")).astimezone(zone).date()


def execution_input(env: IngestEnvironment, upload: Upload) -> ExecutionInput:
    """What the run's execution starts with: the run, its options (the county's settings) and its source."""
    as_of = evaluation_date(env, upload.event_time)
    return ExecutionInput(
        run=Run(
            run_id=run_id_for(upload.bucket, upload.key, upload.version_id or "", as_of),
            county=env.county,
            policy=env.policy,
            evaluation_date=as_of,
            compat=env.compat,
        ),
        options=Options(
            rows_per_shard=env.rows_per_shard,
            per_case_documents=env.per_case_documents,
            office_profile=env.office_profile,
        ),
        source=upload.source(),
    )


def start_run(env: IngestEnvironment, upload: Upload) -> RunStarted:
    """Record the run and start its execution (ingest wraps each call in Powertools idempotency)."""
    started_with = execution_input(env, upload)
    run_id = started_with.run.run_id
    new = registry.record_run(run_id, execution_name=run_id, source=upload.model_dump())
    execution_arn = stepfunctions.start_execution(env.state_machine_arn, run_id, started_with)
    if execution_arn is None:
        # The name is taken: this object version already has its run. Nothing else to do.
        logger.info("run already started", extra={"run_id": run_id})
        metrics.add_metric(name="DuplicateUploadEvents", unit=MetricUnit.Count, value=1)
        return RunStarted(run_id=run_id, started=False)
    registry.set_status(run_id, registry.STARTED, execution_arn=execution_arn)
    logger.info(
        "run started",
        extra={"run_id": run_id, "bytes": upload.size, "files": len(upload.file_list()), "new_record": new},
    )
    metrics.add_metric(name="RunsStarted", unit=MetricUnit.Count, value=1)
    return RunStarted(run_id=run_id, started=True)


__all__ = ["Upload", "evaluation_date", "execution_input", "run_id_for", "start_run", "upload_date"]
