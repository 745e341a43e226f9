"""What every handler shares: Powertools (set up once), AWS clients, S3 transfers, a private /tmp
workspace, and the error that tells Step Functions to retry.

Privacy: log and metric only run ids, step names, counts and sizes. Never log an event, an object key
under ``incoming/`` (it may carry a file name), a row, a name, a date of birth or a case number.
Exceptions raised to Step Functions carry the same kind of text, because Step Functions records it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

#: Set up once per process. In Lambda the environment (cdk/processing.py) names the service per
#: function; the defaults keep the same names when a handler runs elsewhere (tests, a laptop).
METRICS_NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "ClearanceKit")
logger = Logger(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "clearance"))
#: X-Ray traces each invocation but patches no library: the X-Ray SDK's botocore and http.client
#: patches record every S3 call's object key (and so the office's file names) in the trace. The
#: handlers' responses stay out of traces too (``capture_response=False`` below).
TRACED_MODULES: tuple[str, ...] = ()
tracer = Tracer(service="clearance", patch_modules=TRACED_MODULES)
#: One "service" dimension for every function, so the dashboard sums each figure over the pipeline.
metrics = Metrics(namespace=METRICS_NAMESPACE, service="clearance")

_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=120)

#: Error codes that mean "try again later", not "this will never work".
_TRANSIENT_CODES = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "SlowDown",
    "TooManyRequestsException", "ProvisionedThroughputExceededException", "RequestTimeout",
    "RequestTimeoutException", "InternalError", "InternalFailure", "ServiceUnavailable",
}


class TransientError(Exception):
    """An AWS call kept failing for a reason that usually passes (throttling, a 5xx, a lost connection).

    The state machine retries this error with backoff (see cdk/processing.py TRANSIENT_ERRORS); an
    S3-triggered function raising it is retried by Lambda and then kept in the dead-letter queue.
    """


class Rejected(Exception):
    """An expected outcome that ends a step without an error of the pipeline: an upload that is not
    a usable DOJ file, a review that cannot be accepted. The handler returns it as
    ``{"rejected": {"Error": <class name>, "Cause": <message>}}`` and the state machine routes it
    (cdk/processing.py), so Lambda's error metrics and alarms count only unexpected failures.
    The message is recorded by Step Functions: ids and counts only, never a file name."""


def rejection(exc: Rejected) -> dict:
    return {"rejected": {"Error": type(exc).__name__, "Cause": str(exc)}}


def env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"environment variable {name} is not set (see cdk/processing.py)")
    return value


_local = threading.local()


def client(service: str):
    """A boto3 client for this invocation (created on first use, reused within the invocation)."""
    cache = getattr(_local, "clients", None)
    if cache is None:
        cache = _local.clients = {}
    if service not in cache:
        cache[service] = boto3.client(service, config=_BOTO_CONFIG)
    return cache[service]


def _reset_clients() -> None:
    _local.clients = {}


def transient_cause(exc: BaseException) -> str | None:
    """Why ``exc`` is worth retrying, or None. Looks through the chain of causes, because boto3's
    transfers wrap the AWS error (``S3UploadFailedError`` from ``upload_file``, s3transfer's
    ``RetriesExceededError``) and Powertools wraps DynamoDB's (idempotency errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ClientError):
            code = current.response.get("Error", {}).get("Code", "")
            status = current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            if code in _TRANSIENT_CODES or status >= 500:
                return f"AWS error {code or status}"
        elif isinstance(current, BotoCoreError):  # connection resets, timeouts, endpoint unreachable
            return f"AWS connection problem: {type(current).__name__}"
        elif type(current).__name__ == "RetriesExceededError":  # s3transfer: a download kept failing
            return "S3 download kept failing"
        elif type(current).__name__ == "IdempotencyAlreadyInProgressError":  # an earlier attempt still runs
            return "an earlier attempt is still in progress"
        current = current.__cause__ or current.__context__
    return None


@contextmanager
def transient_errors() -> Iterator[None]:
    """Turn throttling, server-side and connection errors of AWS, however wrapped, into :class:`TransientError`."""
    try:
        yield
    except (TransientError, Rejected):
        raise
    except Exception as exc:
        cause = transient_cause(exc)
        if cause is not None:
            raise TransientError(f"{cause}; retry later") from None
        raise


def handler(function: Callable[[dict, Any], dict]) -> Callable[[dict, Any], dict]:
    """Decorate a Lambda handler: Powertools context, tracing, metrics, fresh clients, transient errors."""

    @functools.wraps(function)
    def run(event: dict, context: Any) -> dict:
        _reset_clients()
        try:
            with transient_errors():
                return function(event, context)
        except Rejected as exc:
            logger.warning("step rejected its input", extra={"rejection": type(exc).__name__})
            metrics.add_metric(name="Rejections", unit=MetricUnit.Count, value=1)
            return rejection(exc)

    traced = tracer.capture_lambda_handler(run, capture_response=False)
    with_metrics = metrics.log_metrics(traced)
    return logger.inject_lambda_context(with_metrics, clear_state=True, log_event=False)


@contextmanager
def workspace(step: str) -> Iterator[Path]:
    """A private folder under /tmp for one invocation, removed afterwards (Lambda reuses /tmp)."""
    root = Path(os.environ.get("CLEARANCE_SCRATCH", tempfile.gettempdir()))
    folder = root / f"clearance-{step}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_id(text: str, limit: int = 80) -> str:
    """A run id from outside (an upload's key) made safe to echo in a log or a message."""
    return _SAFE.sub("_", text)[:limit] or "_"


# -- S3 transfers -------------------------------------------------------------------------------------


def download(bucket: str, key: str, path: Path, *, version_id: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {"VersionId": version_id} if version_id else None
    client("s3").download_file(bucket, key, str(path), ExtraArgs=extra)
    return path


#: Parallel transfers: a filing set has tens of thousands of small files (two per challenged person),
#: and one request at a time would spend minutes waiting on the network.
TRANSFER_THREADS = 32


def _in_parallel(work: Callable[[Any], Any], items: list) -> list:
    if len(items) <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=TRANSFER_THREADS) as pool:
        return list(pool.map(work, items))


def download_prefix(bucket: str, prefix: str, folder: Path) -> list[Path]:
    """Every object under ``prefix`` into ``folder``, keeping the relative paths."""
    s3 = client("s3")
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", []) if not item["Key"].endswith("/")]

    def fetch(key: str) -> Path:
        path = folder / key[len(prefix):]
        path.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(path))
        return path

    return _in_parallel(fetch, [k for k in keys if k != prefix])


def delete_prefix(bucket: str, prefix: str) -> int:
    """Delete every object under ``prefix`` (an earlier attempt's intermediate files); return the count."""
    s3 = client("s3")
    deleted = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            deleted += len(keys)
    return deleted


def upload_file(path: Path, bucket: str, key: str) -> str:
    client("s3").upload_file(str(path), bucket, key)
    return key


def upload_files(files: list[tuple[Path, str]], bucket: str) -> list[str]:
    """Upload (path, key) pairs in parallel."""
    s3 = client("s3")

    def send(pair: tuple[Path, str]) -> str:
        s3.upload_file(str(pair[0]), bucket, pair[1])
        return pair[1]

    return _in_parallel(send, files)


def upload_dir(folder: Path, bucket: str, prefix: str, *, last: tuple[str, ...] = ()) -> list[str]:
    """Upload every file under ``folder`` to ``prefix``; the names in ``last`` go after all others.

    Uploading the manifest or index last means a reader who sees it also sees everything it lists.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    first = [(p, prefix + p.relative_to(folder).as_posix()) for p in files if p.relative_to(folder).as_posix() not in last]
    final = [(folder / name, prefix + name) for name in last if (folder / name).is_file()]
    return upload_files(first, bucket) + [upload_file(p, bucket, k) for p, k in final]


def put_json(bucket: str, key: str, value: Any) -> None:
    client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(value, indent=2, default=str).encode(),
                            ContentType="application/json")


def read_json(bucket: str, key: str) -> Any:
    return json.loads(client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def exists(bucket: str, key: str) -> bool:
    try:
        client("s3").head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403"):
            return False
        raise


def publish(subject: str, message: str) -> None:
    """Send a notification to the office's topic (ids, counts and locations only)."""
    client("sns").publish(TopicArn=env("TOPIC_ARN"), Subject=subject[:100], Message=message)
