"""Passing AWS failures on every call of every handler: each becomes the TransientError the state
machine (or Lambda, for S3-triggered functions) retries, and a retry after the failure ends as if
the failure had never happened: nothing of the run is lost, nothing is done twice.

For each handler, a clean invocation records the AWS operations it calls; then each operation in
turn fails (throttled, a server error, a lost connection, in rotation) and the handler must raise
TransientError; then a clean retry must give the same result as the first invocation.
"""

import json
import time

import pytest
import yaml
from moto import mock_aws

from blueprint.synthetic.doj_file import generate
from functions import (
    assemble,
    combine,
    evaluate,
    ingest,
    notify,
    plan_documents,
    registry,
    render_batch,
    resume_review,
    split,
    validate,
)
from functions.common import TransientError
from tests.e2e.aws_support import ACCOUNT, NAMES, REPO_ROOT, FakeContext, MockedCounty, base_environment
from tests.e2e.faults import KINDS, Faults

RUN_ID = "20260301-0123456789ab"
RUN = {
    "run_id": RUN_ID,
    "county": "SACRAMENTO",
    "policy": "california",
    "evaluation_date": "2026-03-01",
    "compat": False,
}
KEY = "incoming/DOJ research file.dat"


@pytest.fixture(scope="module")
def doj_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("doj") / "doj.dat"
    generate(path, rows=300, county="SACRAMENTO", seed=3)
    return path.read_bytes()


@pytest.fixture
def county(monkeypatch, tmp_path, tmp_path_factory):
    profile = yaml.safe_load((REPO_ROOT / "templates" / "office-profile.example.yaml").read_text())
    profile["county"] = "SACRAMENTO"
    profile_file = tmp_path_factory.mktemp("profile") / "office-profile.yaml"
    profile_file.write_text(yaml.safe_dump(profile))
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        for key, value in base_environment(OFFICE_PROFILE=str(profile_file)).items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("CLEARANCE_SCRATCH", str(tmp_path))
        mocked = MockedCounty()
        monkeypatch.setenv("TOPIC_ARN", mocked.topic_arn)
        yield mocked


def step(**parts):
    return {"run": RUN, "options": {"rows_per_shard": 100, "per_case_documents": False}, **parts}


def each_call_fails_then_a_retry_succeeds(invoke, *, after_failure=None, comparable=lambda r: r):
    """Run ``invoke`` clean, then with each of its AWS operations failing, then clean again."""
    faults = Faults()
    with faults.active():
        first = invoke()
        operations = faults.operations()
        assert operations, "the handler made no AWS call"
        for index, (service, operation) in enumerate(operations):
            kind = KINDS[index % len(KINDS)]
            with faults.failing_on(service, operation, kind):
                with pytest.raises(TransientError):
                    invoke()
            assert faults.injected >= 1, (service, operation)
            if after_failure is not None:
                after_failure(service, operation)
        again = invoke()
    assert comparable(again) == comparable(first)
    return operations


def engine_run(county, content):
    """The engine steps' inputs, produced by running them once (as the state machine would)."""
    put = county.s3.put_object(Bucket=NAMES["UPLOAD_BUCKET"], Key=KEY, Body=content)
    source = {"bucket": NAMES["UPLOAD_BUCKET"], "key": KEY, "version_id": put["VersionId"], "size": len(content)}
    checked = validate.handler(step(source=source), FakeContext())
    shards = split.handler(step(source=source, input=checked), FakeContext())
    items = county.result_json(shards["items_key"])
    for item in items:
        evaluate.handler(step(shard=item), FakeContext())
    combine.handler(step(split=shards), FakeContext())
    review = {
        "bucket": NAMES["UPLOAD_BUCKET"],
        "key": f"reviews/{RUN_ID}/APPROVE_ALL",
        "version_id": None,
        "approve_all": True,
    }
    plan = plan_documents.handler(step(review=review), FakeContext())
    batches = county.result_json(plan["items_key"])
    for batch in batches:
        render_batch.handler(step(batch=batch), FakeContext())
    return {
        "source": source,
        "input": checked,
        "split": shards,
        "shard": items[0],
        "review": review,
        "plan": plan,
        "batches": batches,
    }


STEPS = {
    "validate": lambda r: validate.handler(step(source=r["source"]), FakeContext()),
    "split": lambda r: split.handler(step(source=r["source"], input=r["input"]), FakeContext()),
    "evaluate": lambda r: evaluate.handler(step(shard=r["shard"]), FakeContext()),
    "combine": lambda r: combine.handler(step(split=r["split"]), FakeContext()),
    "plan_documents": lambda r: plan_documents.handler(step(review=r["review"]), FakeContext()),
    # Every batch: a retried plan_documents clears the earlier batches' output, as a re-run would.
    "render_batch": lambda r: [render_batch.handler(step(batch=b), FakeContext()) for b in r["batches"]],
    "assemble": lambda r: assemble.handler(step(plan=r["plan"], review=r["review"]), FakeContext()),
}


def test_every_call_of_every_engine_step_is_retried_and_a_retry_loses_nothing(county, doj_file):
    run = engine_run(county, doj_file)
    seen = {}
    for name, invoke in STEPS.items():
        seen[name] = each_call_fails_then_a_retry_succeeds(lambda: invoke(run))  # noqa: B023 (called now)
    # uploads of results and reports, downloads, listings: all of them were made to fail
    assert ("s3", "PutObject") in seen["split"] and ("s3", "GetObject") in seen["validate"]
    assert ("s3", "ListObjectsV2") in seen["evaluate"] and ("s3", "DeleteObjects") in seen["plan_documents"]
    # the filing set is complete after all those failures and retries
    index = county.result_json(f"runs/{RUN_ID}/filings/index.json")
    assert index["run_id"] == RUN_ID and index["files"]


def test_an_upload_error_from_boto3_transfers_is_transient():
    """boto3's upload_file wraps the AWS error in S3UploadFailedError; its cause decides."""
    from boto3.exceptions import S3UploadFailedError
    from botocore.exceptions import ClientError

    from functions.common import transient_errors

    def upload_failed(code, status):
        try:
            raise ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")
        except ClientError as exc:
            try:
                raise S3UploadFailedError(f"Failed to upload x to b/k: {exc}")
            except S3UploadFailedError as wrapped:
                return wrapped

    with pytest.raises(TransientError):
        with transient_errors():
            raise upload_failed("SlowDown", 503)
    with pytest.raises(S3UploadFailedError):  # refused: retrying cannot help, the run must fail
        with transient_errors():
            raise upload_failed("AccessDenied", 403)


def test_every_call_of_notify_is_retried_and_the_office_is_told_once_it_succeeds(county):
    county.s3.put_object(
        Bucket=NAMES["RESULTS_BUCKET"],
        Key=f"runs/{RUN_ID}/manifest.json",
        Body=json.dumps({"counts": {"people": 3, "convictions_evaluated": 4}}).encode(),
    )
    county.s3.put_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN_ID}/data_issues.csv", Body=b"file\n")
    registry.record_run(RUN_ID, execution_name=RUN_ID, source={"bucket": "b", "key": "k", "version_id": "v", "size": 1})
    events = [
        {"kind": "review_ready", "run": RUN, "options": {}, "review_attempt": {"rejected": False}, "task_token": "t-1"},
        {"kind": "filings_ready", "run": RUN, "options": {}, "filings": {"files": 3, "counts": {}}},
        {"kind": "failed", "run": RUN, "options": {}, "error": {"Error": "States.TaskFailed"}},
    ]
    for event in events:
        county.messages()
        each_call_fails_then_a_retry_succeeds(lambda: notify.handler(event, FakeContext()))  # noqa: B023 (called now)
        status = county.result_json(f"runs/{RUN_ID}/STATUS.json")["status"]
        assert (
            status
            == {"review_ready": "waiting_for_review", "filings_ready": "filings_ready", "failed": "failed"}[
                event["kind"]
            ]
        )


def test_every_call_of_ingest_is_retried_and_the_upload_starts_exactly_one_run(county, monkeypatch):
    machine = county.sfn.create_state_machine(
        name="clearance-test",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/clearance-test",
    )
    monkeypatch.setenv("STATE_MACHINE_ARN", machine["stateMachineArn"])

    class ShortLived(FakeContext):
        # Powertools keeps a failed attempt's record "in progress" until the invocation's time is up;
        # Lambda retries an S3 event after a minute, past that time. The context plays that here.
        def get_remaining_time_in_millis(self):
            return 1

    def deliver(event):
        result = ingest.handler(event, ShortLived())
        time.sleep(0.01)
        return result

    faults = Faults()
    with faults.active():
        deliver(county.upload(KEY, b"first upload"))
        operations = faults.operations()
        assert ("stepfunctions", "StartExecution") in operations and ("dynamodb", "PutItem") in operations
        # Each operation fails on the first delivery of a new upload; S3 (or Lambda) delivers it again.
        for index, (service, operation) in enumerate(operations):
            event = county.upload(KEY, f"upload {index}".encode())
            with faults.failing_on(service, operation, KINDS[index % len(KINDS)]):
                with pytest.raises(TransientError):
                    deliver(event)
            time.sleep(0.01)
            (run,) = deliver(event)["runs"]
            (run_again,) = deliver(event)["runs"]  # and once more, as S3 may
            assert run_again["run_id"] == run["run_id"]
            started = [
                e
                for e in county.sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]
                if e["name"] == run["run_id"]
            ]
            assert len(started) == 1, (service, operation)
            assert county.run_item(run["run_id"])["status"] == registry.STARTED, (service, operation)
    assert (
        len(county.sfn.list_executions(stateMachineArn=machine["stateMachineArn"])["executions"]) == len(operations) + 1
    )


TOKEN_MACHINE = {
    "StartAt": "Wait",
    "States": {
        "Wait": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "QUEUE", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


def test_a_failed_resume_keeps_the_run_waiting_with_its_token_until_a_retry_resumes_it(county):
    queue = county.sqs.create_queue(QueueName="tokens")["QueueUrl"]
    machine = county.sfn.create_state_machine(
        name="waits",
        definition=json.dumps(TOKEN_MACHINE).replace("QUEUE", queue),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/clearance-test",
    )
    execution = county.sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=RUN_ID, input="{}")
    token = None
    for _ in range(200):
        received = county.sqs.receive_message(QueueUrl=queue).get("Messages", [])
        if received:
            token = json.loads(received[0]["Body"])["token"]
            break
        time.sleep(0.05)
    registry.record_run(RUN_ID, execution_name=RUN_ID, source={"bucket": "b", "key": "k", "version_id": "v", "size": 1})
    registry.set_status(RUN_ID, registry.WAITING_FOR_REVIEW, task_token=token, execution_arn=execution["executionArn"])
    event = county.upload(f"reviews/{RUN_ID}/APPROVE_ALL", b"")
    faults = Faults()
    with faults.active():
        # The operations of a resume: read the run, claim the review, send the token, clear it.
        operations = [("dynamodb", "GetItem"), ("dynamodb", "UpdateItem"), ("stepfunctions", "SendTaskSuccess")]
        for index, (service, operation) in enumerate(operations):
            with faults.failing_on(service, operation, KINDS[index % len(KINDS)]):
                with pytest.raises(TransientError):
                    resume_review.handler(event, FakeContext())
            item = county.run_item(RUN_ID)
            assert item["status"] == registry.WAITING_FOR_REVIEW and item["task_token"] == token, operation
            assert county.sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING"
        result = resume_review.handler(event, FakeContext())
    assert result["reviews"][0]["outcome"] == "resumed"
    assert county.wait_for_execution(execution["executionArn"])["status"] == "SUCCEEDED"
    item = county.run_item(RUN_ID)
    assert item["status"] == registry.REVIEW_RECEIVED and "task_token" not in item
    assert county.messages() == []  # the office was never told its upload was not used


def test_a_retry_of_an_already_delivered_review_is_recognised_not_reported(county):
    """SendTaskSuccess succeeded but its answer was lost: the retry finds Step Functions no longer
    knows the token while the run still runs, and treats the review as received."""
    queue = county.sqs.create_queue(QueueName="tokens")["QueueUrl"]
    machine = county.sfn.create_state_machine(
        name="waits",
        definition=json.dumps(TOKEN_MACHINE).replace("QUEUE", queue),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/clearance-test",
    )
    execution = county.sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=RUN_ID, input="{}")
    registry.record_run(RUN_ID, execution_name=RUN_ID, source={"bucket": "b", "key": "k", "version_id": "v", "size": 1})
    key = f"reviews/{RUN_ID}/APPROVE_ALL"
    event = county.upload(key, b"")
    version = event["Records"][0]["s3"]["object"]["versionId"]
    # The state after the lost answer: claimed by this upload, token still recorded, unknown to Step Functions.
    registry.set_status(
        RUN_ID,
        registry.REVIEW_RECEIVED,
        task_token="no-longer-known",
        execution_arn=execution["executionArn"],
        review_key=key,
        review_version=version,
    )
    faults = Faults()
    with faults.active():
        # asking Step Functions whether the run still runs may itself fail: retried, nothing lost
        with faults.failing_on("stepfunctions", "DescribeExecution", "throttled"):
            with pytest.raises(TransientError):
                resume_review.handler(event, FakeContext())
        assert faults.injected == 1
        item = county.run_item(RUN_ID)
        assert item["status"] == registry.REVIEW_RECEIVED and item["task_token"] == "no-longer-known"
        (result,) = resume_review.handler(event, FakeContext())["reviews"]
    assert result["outcome"] == "resumed"
    assert "task_token" not in county.run_item(RUN_ID) and county.messages() == []
    county.sfn.stop_execution(executionArn=execution["executionArn"])
