"""The run registry in DynamoDB: one item per run (``id = run#<run id>``), so the office's review
upload can find the waiting execution, and so IT can see every run's state in one table.

Statuses, in order: ``started`` -> ``waiting_for_review`` -> ``review_received`` -> ``filings_ready``;
any step can end in ``failed``. The review task token is stored only while the run waits for it.
"""

from __future__ import annotations

from datetime import datetime, UTC
from typing import Any

from botocore.exceptions import ClientError

from .aws.clients import client
from .environment import RegistryEnvironment

STARTED = "started"
WAITING_FOR_REVIEW = "waiting_for_review"
REVIEW_RECEIVED = "review_received"
FILINGS_READY = "filings_ready"
FAILED = "failed"


def _table() -> str:
    return RegistryEnvironment.load().table_name


def _key(run_id: str) -> dict:
    return {"id": {"S": f"run#{run_id}"}}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def record_run(run_id: str, *, execution_name: str, source: dict[str, Any]) -> bool:
    """Record a new run; False when it was already recorded (a repeated upload event)."""
    item = {
        **_key(run_id),
        "run_id": {"S": run_id},
        "status": {"S": STARTED},
        "execution_name": {"S": execution_name},
        "source_bucket": {"S": source["bucket"]},
        "source_key": {"S": source["key"]},
        "source_version": {"S": source.get("version_id") or ""},
        "source_bytes": {"N": str(source.get("size") or 0)},
        "created_at": {"S": _now()},
        "updated_at": {"S": _now()},
    }
    try:
        client("dynamodb").put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(id)")
        return True
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def get_run(run_id: str) -> dict[str, str] | None:
    """The run's item as plain strings, or None for an unknown run."""
    response = client("dynamodb").get_item(TableName=_table(), Key=_key(run_id), ConsistentRead=True)
    item = response.get("Item")
    if not item:
        return None
    return {k: next(iter(v.values())) for k, v in item.items()}


def set_status(
    run_id: str, status: str, *, task_token: str | None = None, clear_token: bool = False, **fields: str
) -> bool:
    """Set the run's status (and optional fields); False when the registry has no such run
    (an execution started by hand from the console, for instance)."""
    names = {"#status": "status", "#updated": "updated_at"}
    values: dict[str, Any] = {":status": {"S": status}, ":updated": {"S": _now()}}
    sets = ["#status = :status", "#updated = :updated"]
    if task_token is not None:
        names["#token"] = "task_token"
        values[":token"] = {"S": task_token}
        sets.append("#token = :token")
    for index, (name, value) in enumerate(sorted(fields.items())):
        names[f"#f{index}"] = name
        values[f":f{index}"] = {"S": str(value)}
        sets.append(f"#f{index} = :f{index}")
    expression = "SET " + ", ".join(sets)
    if clear_token:
        names["#token"] = "task_token"
        expression += " REMOVE #token"
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key=_key(run_id),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(id)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def claim_review(run_id: str, review_key: str, review_version: str | None = None) -> str | None:
    """Atomically move a waiting run to ``review_received`` and return its task token.

    None when the run is not waiting (unknown, already resumed, finished or failed): two uploads can
    never resume the same wait twice. The token stays recorded until Step Functions has accepted it
    (:func:`review_delivered`); if sending it fails, :func:`release_review` puts the run back to
    waiting, so a retry of the same upload finds it again and the wait is never lost. A retry of the
    upload that holds the claim (same key and version) gets the token again even if releasing failed.
    """
    try:
        response = client("dynamodb").update_item(
            TableName=_table(),
            Key=_key(run_id),
            UpdateExpression="SET #status = :received, #updated = :now, #review = :review, #version = :version",
            ConditionExpression="attribute_exists(#token) AND (#status = :waiting OR "
            "(#status = :received AND #review = :review AND #version = :version))",
            ExpressionAttributeNames={
                "#status": "status",
                "#updated": "updated_at",
                "#review": "review_key",
                "#token": "task_token",
                "#version": "review_version",
            },
            ExpressionAttributeValues={
                ":received": {"S": REVIEW_RECEIVED},
                ":waiting": {"S": WAITING_FOR_REVIEW},
                ":now": {"S": _now()},
                ":review": {"S": review_key},
                ":version": {"S": review_version or ""},
            },
            ReturnValues="ALL_OLD",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return response["Attributes"]["task_token"]["S"]


def _while_claimed(run_id: str, token: str, update: str, values: dict) -> bool:
    """Apply ``update`` only if the run still holds this claim (``review_received`` with ``token``)."""
    try:
        client("dynamodb").update_item(
            TableName=_table(),
            Key=_key(run_id),
            UpdateExpression=update,
            ConditionExpression="#status = :received AND #token = :token",
            ExpressionAttributeNames={"#status": "status", "#token": "task_token", "#updated": "updated_at"},
            ExpressionAttributeValues={
                ":received": {"S": REVIEW_RECEIVED},
                ":token": {"S": token},
                ":now": {"S": _now()},
                **values,
            },
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def review_delivered(run_id: str, token: str) -> bool:
    """Step Functions accepted the review: the token is of no further use and is removed."""
    return _while_claimed(run_id, token, "SET #updated = :now REMOVE #token", {})


def release_review(run_id: str, token: str) -> bool:
    """Sending the review failed: the run waits again, with its token, for a retry of the upload."""
    return _while_claimed(
        run_id, token, "SET #status = :waiting, #updated = :now", {":waiting": {"S": WAITING_FOR_REVIEW}}
    )
