"""Ingest: each new DOJ upload under ``incoming/`` becomes exactly one run.

Triggered by S3 (ObjectCreated, prefix ``incoming/``). Two kinds of upload start a run:

- a file directly under ``incoming/``: a run over that file;
- a ``READY`` marker in a delivery folder ``incoming/<delivery>/``: one run over every file of the
  folder at its current version, because DOJ may deliver a county's extract in several files and a
  person whose rows are in two of them must be evaluated as one person. Files uploaded into a
  delivery folder wait for the marker and start nothing themselves.

For each starting upload, :func:`functions.run_start.start_run` records the run and starts its
execution, once: a repeated or duplicated event finds the idempotency record (or the existing
execution, whose name is taken) and starts nothing new. The files themselves are checked by the
state machine's first step.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from . import layout
from .aws import s3
from .common import logger, step
from .contracts import IngestOutput, RunStarted, SourceFile
from .environment import IngestEnvironment
from . import run_start
from .run_start import Upload, run_id_for

__all__ = ["handler", "run_id_for", "uploads"]

#: How long a repeated S3 event is recognised by its idempotency record (then by the execution name).
IDEMPOTENCY_SECONDS = 7 * 24 * 3600


def delivery_files(bucket: str, folder: str) -> list[SourceFile]:
    """The current version of every file in a delivery folder (the READY marker excluded), by key."""
    return [
        SourceFile(key=v.key, version_id=v.version_id, size=v.size)
        for v in s3.current_versions(bucket, folder)
        if v.key != folder + layout.READY
    ]


def uploads(event: dict) -> list[Upload]:
    """The uploads in an S3 event that start a run, keys URL-decoded, each with its ``files``.

    Folder markers, uploads outside ``incoming/`` and files waiting in a delivery folder are skipped.
    """
    found = []
    for record in S3Event(event).records:
        key = unquote_plus(record.s3.get_object.key)
        if not key.startswith(layout.INCOMING) or key.endswith("/"):
            continue
        obj = record.s3.get_object
        bucket = record.s3.bucket.name
        # A versioned bucket always sends the version id; eTag and sequencer identify the write otherwise.
        version_id = obj.version_id or f"{obj.etag}-{obj.get('sequencer', '')}"
        folder = layout.delivery_folder(key)
        if folder is None:
            files = [SourceFile(key=key, version_id=version_id, size=obj.size)]
            size = obj.size
        elif key == folder + layout.READY:
            files = delivery_files(bucket, folder)
            size = sum(f.size for f in files)
        else:
            continue  # a file of a delivery: it waits for the folder's READY marker
        found.append(
            Upload(bucket=bucket, key=key, version_id=version_id, size=size, files=files, event_time=record.event_time)
        )
    return found


@step(IngestEnvironment, dict)
def handler(event: dict, env: IngestEnvironment, context: Any) -> IngestOutput:
    persistence = DynamoDBPersistenceLayer(table_name=env.table_name)
    config = IdempotencyConfig(
        event_key_jmespath="[bucket, key, version_id]", expires_after_seconds=IDEMPOTENCY_SECONDS
    )
    config.register_lambda_context(context)

    def start_run(upload: dict) -> dict:
        return run_start.start_run(env, Upload.model_validate(upload)).dump()

    once = idempotent_function(data_keyword_argument="upload", persistence_store=persistence, config=config)(start_run)
    runs = [RunStarted.model_validate(once(upload=upload.model_dump(mode="json"))) for upload in uploads(event)]
    if not runs:
        logger.info("no upload under incoming/ in the event")
    return IngestOutput(runs=runs)
