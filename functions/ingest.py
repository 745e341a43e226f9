"""Ingest: each new DOJ upload under ``incoming/`` becomes exactly one run.

Triggered by S3 (ObjectCreated, prefix ``incoming/``). Two kinds of upload start a run:

- a file directly under ``incoming/``: a run over that file;
- a ``READY`` marker in a delivery folder ``incoming/<delivery>/``: one run over every file of the
  folder at its current version, because DOJ may deliver a county's extract in several files and a
  person whose rows are in two of them must be evaluated as one person. Files uploaded into a
  delivery folder wait for the marker and start nothing themselves.

For each starting upload it derives the run id from the bucket, key and version id, records the run
in the registry, and starts the state machine with the run id as the execution name. A repeated or
duplicated event finds the idempotency record (or the existing execution, whose name is taken) and
starts nothing new. The files themselves are checked by the state machine's first step.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote_plus
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from . import layout, registry
from .common import MetricUnit, client, env, handler as lambda_handler, logger, metrics

CALIFORNIA = ZoneInfo("America/Los_Angeles")


def run_id_for(bucket: str, key: str, version_id: str, uploaded: date) -> str:
    """``<upload date>-<12 hex>``: stable for one object version, different for every new upload."""
    digest = hashlib.sha256(f"{bucket}\n{key}\n{version_id}".encode()).hexdigest()[:12]
    return f"{uploaded:%Y%m%d}-{digest}"


def evaluation_date(event_time: str) -> date:
    """The configured evaluation date, or the upload's date in California."""
    fixed = env("EVALUATION_DATE", "")
    if fixed:
        return date.fromisoformat(fixed)
    return datetime.fromisoformat(event_time.replace("Z", "+00:00")).astimezone(CALIFORNIA).date()


def _flag(name: str) -> bool:
    return env(name, "false").strip().lower() == "true"


def start_run(upload: dict[str, Any]) -> dict[str, Any]:
    """Record the run and start its execution (wrapped per call in Powertools idempotency)."""
    as_of = evaluation_date(upload["event_time"])
    run_id = run_id_for(upload["bucket"], upload["key"], upload["version_id"], as_of)
    execution_input = {
        "run": {
            "run_id": run_id,
            "county": env("COUNTY"),
            "policy": env("POLICY"),
            "evaluation_date": as_of.isoformat(),
            "compat": _flag("COMPAT"),
        },
        "options": {
            "rows_per_shard": int(env("ROWS_PER_SHARD", "250000")),
            "per_case_documents": _flag("PER_CASE_DOCUMENTS"),
            "office_profile": env("OFFICE_PROFILE", ""),
        },
        "source": {k: upload[k] for k in ("bucket", "key", "version_id", "size", "files")},
    }
    new = registry.record_run(run_id, execution_name=run_id, source=upload)
    sfn = client("stepfunctions")
    try:
        execution = sfn.start_execution(
            stateMachineArn=env("STATE_MACHINE_ARN"), name=run_id, input=json.dumps(execution_input)
        )
        execution_arn = execution["executionArn"]
    except sfn.exceptions.ExecutionAlreadyExists:
        # The name is taken: this object version already has its run. Nothing else to do.
        logger.info("run already started", extra={"run_id": run_id})
        metrics.add_metric(name="DuplicateUploadEvents", unit=MetricUnit.Count, value=1)
        return {"run_id": run_id, "started": False}
    registry.set_status(run_id, registry.STARTED, execution_arn=execution_arn)
    logger.info("run started", extra={"run_id": run_id, "bytes": upload["size"], "files": len(upload["files"]),
                                      "new_record": new})
    metrics.add_metric(name="RunsStarted", unit=MetricUnit.Count, value=1)
    return {"run_id": run_id, "started": True}


def delivery_files(bucket: str, folder: str) -> list[dict[str, Any]]:
    """The current version of every file in a delivery folder (the READY marker excluded), by key."""
    files = []
    pages = client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=folder)
    for page in pages:
        for version in page.get("Versions", []):
            key = version["Key"]
            if version.get("IsLatest") and not key.endswith("/") and key != folder + layout.READY:
                files.append({"key": key, "version_id": version.get("VersionId") or "", "size": version.get("Size", 0)})
    return sorted(files, key=lambda f: f["key"])


def uploads(event: dict) -> list[dict[str, Any]]:
    """The uploads in an S3 event that start a run, keys URL-decoded, each with its ``files``.

    Folder markers, uploads outside ``incoming/`` and files waiting in a delivery folder are skipped.
    """
    found = []
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)
        if not key.startswith(layout.INCOMING) or key.endswith("/"):
            continue
        obj = record.s3.get_object
        upload = {
            "bucket": record.s3.bucket.name,
            "key": key,
            # A versioned bucket always sends the version id; eTag and sequencer identify the write otherwise.
            "version_id": obj.version_id or f"{obj.etag}-{obj.get('sequencer', '')}",
            "size": obj.size,
            "event_time": record.event_time,
        }
        folder = layout.delivery_folder(key)
        if folder is None:
            upload["files"] = [{k: upload[k] for k in ("key", "version_id", "size")}]
        elif key == folder + layout.READY:
            upload["files"] = delivery_files(upload["bucket"], folder)
            upload["size"] = sum(int(f["size"] or 0) for f in upload["files"])
        else:
            continue  # a file of a delivery: it waits for the folder's READY marker
        found.append(upload)
    return found


@lambda_handler
def handler(event: dict, context: Any) -> dict:
    persistence = DynamoDBPersistenceLayer(table_name=env("TABLE_NAME"))
    config = IdempotencyConfig(event_key_jmespath="[bucket, key, version_id]", expires_after_seconds=7 * 24 * 3600)
    config.register_lambda_context(context)
    once = idempotent_function(data_keyword_argument="upload", persistence_store=persistence, config=config)(start_run)
    runs = [once(upload=upload) for upload in uploads(event)]
    if not runs:
        logger.info("no upload under incoming/ in the event")
    return {"runs": runs}
