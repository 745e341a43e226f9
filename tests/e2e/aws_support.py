"""Mocked AWS (moto) for the handler and end-to-end tests: the county's resources, the environment
the functions see, S3 event records in the shape S3 sends them, and a reader for notifications.

Nothing here talks to AWS: every call goes to moto inside ``mock_aws``.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from urllib.parse import quote_plus

import boto3

REGION = "us-west-2"
ACCOUNT = "123456789012"
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Names of the mocked resources, as the functions see them in their environment.
NAMES = {
    "UPLOAD_BUCKET": "clearance-test-uploads",
    "RESULTS_BUCKET": "clearance-test-results",
    "TABLE_NAME": "clearance-test-registry",
}


def base_environment(**overrides: str) -> dict[str, str]:
    """The functions' environment variables (cdk/processing.py) for the mocked resources."""
    return {
        **NAMES,
        "COUNTY": "SACRAMENTO",
        "POLICY": "california",
        "OFFICE_PROFILE": "",
        "EVALUATION_DATE": "",
        "TIME_ZONE": "America/Los_Angeles",
        "COMPAT": "false",
        "PER_CASE_DOCUMENTS": "false",
        "ROWS_PER_SHARD": "250000",
        "CLEARANCE_TEMPLATES": str(REPO_ROOT / "templates"),
        "POWERTOOLS_METRICS_NAMESPACE": "ClearanceKit",
        "POWERTOOLS_SERVICE_NAME": "clearance-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        **overrides,
    }


@dataclass
class FakeContext:
    """The parts of a Lambda context the handlers and Powertools use."""

    function_name: str = "clearance-test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:clearance-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def s3_event(
    bucket: str,
    key: str,
    *,
    version_id: str | None,
    size: int,
    etag: str = "0123456789abcdef",
    event_time: str | None = None,
    event_name: str = "ObjectCreated:Put",
) -> dict:
    """An S3 notification event as S3 delivers it to Lambda: the key URL-encoded (spaces as '+')."""
    obj = {"key": quote_plus(key, safe="/"), "size": size, "eTag": etag, "sequencer": "0061A1B2C3D4E5F6A7"}
    if version_id:
        obj["versionId"] = version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": event_time or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "eventName": event_name,
                "userIdentity": {"principalId": "AWS:AROAEXAMPLE:staff"},
                "requestParameters": {"sourceIPAddress": "192.0.2.10"},
                "responseElements": {
                    "x-amz-request-id": "C3D13FE58DE4C810",
                    "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "clearance-upload",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": obj,
                },
            }
        ]
    }


class MockedCounty:
    """The county's buckets, registry, topic (with a queue that captures its messages)."""

    def __init__(self) -> None:
        self.s3 = boto3.client("s3", region_name=REGION)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        for bucket in (NAMES["UPLOAD_BUCKET"], NAMES["RESULTS_BUCKET"]):
            self.s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
            self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        self.ddb.create_table(
            TableName=NAMES["TABLE_NAME"],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.topic_arn = self.sns.create_topic(Name="clearance-test")["TopicArn"]
        self.queue_url = self.sqs.create_queue(QueueName="office-inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)
        self._messages: list[dict] = []

    @property
    def environment(self) -> dict[str, str]:
        return {"TOPIC_ARN": self.topic_arn}

    def upload(self, key: str, body: bytes) -> dict:
        """Put an object into the upload bucket; return its S3 notification event."""
        put = self.s3.put_object(Bucket=NAMES["UPLOAD_BUCKET"], Key=key, Body=body)
        return s3_event(
            NAMES["UPLOAD_BUCKET"], key, version_id=put["VersionId"], size=len(body), etag=put["ETag"].strip('"')
        )

    def messages(self) -> list[dict]:
        """Every notification published so far: ``{"subject", "message"}``."""
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                break
            for message in batch:
                envelope = json.loads(message["Body"])
                self._messages.append({"subject": envelope.get("Subject", ""), "message": envelope["Message"]})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return list(self._messages)

    def run_item(self, run_id: str) -> dict | None:
        item = self.ddb.get_item(TableName=NAMES["TABLE_NAME"], Key={"id": {"S": f"run#{run_id}"}}).get("Item")
        return {k: next(iter(v.values())) for k, v in item.items()} if item else None

    def result_keys(self, prefix: str = "") -> list[str]:
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=NAMES["RESULTS_BUCKET"], Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def result_json(self, key: str):
        return json.loads(self.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=key)["Body"].read())

    def wait_for_execution(
        self, execution_arn: str, *, until=("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"), timeout: float = 120
    ) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] in until:
                return described
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution still {described['status']} after {timeout}s")
            time.sleep(0.05)
