"""Handlers that steer a run (ingest, resume-review, notify), with real S3 event shapes, against
moto. The state machines here are small stand-ins; the real definition runs in tests/e2e."""

import json
from datetime import date

import pytest
from moto import mock_aws

from functions import ingest, notify, registry, resume_review
from tests.e2e.aws_support import ACCOUNT, NAMES, REGION, FakeContext, MockedCounty, base_environment, s3_event

DOJ_KEY = "incoming/Sacramento DOJ extract (2019) #2.dat"
PASS_MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}


@pytest.fixture
def county(monkeypatch):
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        for key, value in base_environment().items():
            monkeypatch.setenv(key, value)
        mocked = MockedCounty()
        monkeypatch.setenv("TOPIC_ARN", mocked.topic_arn)
        machine = mocked.sfn.create_state_machine(
            name="clearance-test",
            definition=json.dumps(PASS_MACHINE),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/clearance-test",
        )
        monkeypatch.setenv("STATE_MACHINE_ARN", machine["stateMachineArn"])
        mocked.machine_arn = machine["stateMachineArn"]
        yield mocked


def executions(county):
    return county.sfn.list_executions(stateMachineArn=county.machine_arn)["executions"]


# -- ingest ---------------------------------------------------------------------------------------------


def test_an_upload_starts_one_run_named_after_the_object_version(county, capsys, caplog):
    event = county.upload(DOJ_KEY, b"RECORD_ID,SUBJECT_STATUS\n")
    # 06:30 UTC on 2 March is 22:30 on 1 March in California: the evaluation date is California's.
    event["Records"][0]["eventTime"] = "2026-03-02T06:30:00.000Z"
    assert "Sacramento+DOJ+extract+%282019%29+%232.dat" in event["Records"][0]["s3"]["object"]["key"]

    result = ingest.handler(event, FakeContext())

    (run,) = result["runs"]
    version = event["Records"][0]["s3"]["object"]["versionId"]
    assert run["started"] is True
    assert run["run_id"] == ingest.run_id_for(NAMES["UPLOAD_BUCKET"], DOJ_KEY, version, date(2026, 3, 1))
    (execution,) = executions(county)
    assert execution["name"] == run["run_id"]
    started = json.loads(county.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started["run"] == {
        "run_id": run["run_id"],
        "county": "SACRAMENTO",
        "policy": "california",
        "evaluation_date": "2026-03-01",
        "compat": False,
    }
    assert started["source"] == {
        "bucket": NAMES["UPLOAD_BUCKET"],
        "key": DOJ_KEY,
        "version_id": version,
        "size": 25,
        "files": [{"key": DOJ_KEY, "version_id": version, "size": 25}],
    }
    assert started["options"] == {"rows_per_shard": 250000, "per_case_documents": False, "office_profile": ""}
    item = county.run_item(run["run_id"])
    assert item["status"] == registry.STARTED and item["source_key"] == DOJ_KEY
    assert item["execution_arn"] == execution["executionArn"]
    # the file name is never logged, only the run id
    logged = capsys.readouterr().out + " ".join(str(r.__dict__) for r in caplog.records)
    assert run["run_id"] in logged and "Sacramento DOJ extract" not in logged and "%282019%29" not in logged


def test_the_same_event_twice_starts_one_run(county):
    event = county.upload(DOJ_KEY, b"x" * 10)
    first = ingest.handler(event, FakeContext())
    second = ingest.handler(event, FakeContext())
    assert second == first
    assert len(executions(county)) == 1


def test_a_redelivered_event_without_its_idempotency_record_still_starts_nothing(county):
    event = county.upload(DOJ_KEY, b"x" * 10)
    (run,) = ingest.handler(event, FakeContext())["runs"]
    county.wait_for_execution(executions(county)[0]["executionArn"])
    # Idempotency records expire after a week; the execution name still belongs to the first run.
    for item in county.ddb.scan(TableName=NAMES["TABLE_NAME"])["Items"]:
        if not item["id"]["S"].startswith("run#"):
            county.ddb.delete_item(TableName=NAMES["TABLE_NAME"], Key={"id": item["id"]})
    again = ingest.handler(event, FakeContext())
    assert again == {"runs": [{"run_id": run["run_id"], "started": False}]}
    assert len(executions(county)) == 1


def test_a_new_version_of_the_same_file_is_a_new_run(county):
    first = ingest.handler(county.upload(DOJ_KEY, b"first"), FakeContext())["runs"][0]
    second = ingest.handler(county.upload(DOJ_KEY, b"second"), FakeContext())["runs"][0]
    assert first["run_id"] != second["run_id"]
    assert len(executions(county)) == 2


def test_a_delivery_folder_becomes_one_run_when_its_ready_marker_arrives(county):
    # Two files of one delivery (a person may be in both) wait for the marker; then one run reads both.
    first = county.upload("incoming/2019-delivery/part 1.dat", b"RECORD_ID,A\n")
    second = county.upload("incoming/2019-delivery/part 2.dat", b"RECORD_ID,AB\n")
    county.upload("incoming/2019-delivery/part 1.dat", b"RECORD_ID,ABC\n")  # a corrected part 1 replaces it
    assert ingest.handler(first, FakeContext()) == {"runs": []}
    assert ingest.handler(second, FakeContext()) == {"runs": []}
    assert executions(county) == []

    ready = county.upload("incoming/2019-delivery/READY", b"")
    (run,) = ingest.handler(ready, FakeContext())["runs"]
    assert run["started"] is True
    (execution,) = executions(county)
    source = json.loads(county.sfn.describe_execution(executionArn=execution["executionArn"])["input"])["source"]
    versions = {
        v["Key"]: v["VersionId"]
        for v in county.s3.list_object_versions(Bucket=NAMES["UPLOAD_BUCKET"], Prefix="incoming/2019-delivery/")[
            "Versions"
        ]
        if v["IsLatest"]
    }
    assert source["key"] == "incoming/2019-delivery/READY"
    assert source["files"] == [
        {
            "key": "incoming/2019-delivery/part 1.dat",
            "version_id": versions["incoming/2019-delivery/part 1.dat"],
            "size": 14,
        },
        {
            "key": "incoming/2019-delivery/part 2.dat",
            "version_id": versions["incoming/2019-delivery/part 2.dat"],
            "size": 13,
        },
    ]
    assert source["size"] == 27
    # The same marker event again starts nothing (the same run id answers); a new marker (a
    # corrected delivery) is a new run.
    assert ingest.handler(ready, FakeContext())["runs"][0]["run_id"] == run["run_id"]
    assert len(executions(county)) == 1
    again = county.upload("incoming/2019-delivery/READY", b"")
    assert ingest.handler(again, FakeContext())["runs"][0]["started"] is True
    assert len(executions(county)) == 2


def test_folder_markers_and_other_prefixes_start_nothing(county):
    marker = s3_event(NAMES["UPLOAD_BUCKET"], "incoming/", version_id="v1", size=0)
    elsewhere = s3_event(NAMES["UPLOAD_BUCKET"], "reviews/x/review.xlsx", version_id="v1", size=10)
    assert ingest.handler(marker, FakeContext()) == {"runs": []}
    assert ingest.handler(elsewhere, FakeContext()) == {"runs": []}
    assert executions(county) == []


def test_a_fixed_evaluation_date_overrides_the_upload_date(county, monkeypatch):
    monkeypatch.setenv("EVALUATION_DATE", "2020-07-01")
    (run,) = ingest.handler(county.upload(DOJ_KEY, b"x"), FakeContext())["runs"]
    assert run["run_id"].startswith("20200701-")
    started = json.loads(county.sfn.describe_execution(executionArn=executions(county)[0]["executionArn"])["input"])
    assert started["run"]["evaluation_date"] == "2020-07-01"


# -- resume-review -------------------------------------------------------------------------------------

TOKEN_MACHINE = {
    "StartAt": "Wait for review",
    "States": {
        "Wait for review": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "QUEUE", "MessageBody": {"token.$": "$$.Task.Token"}},
            "End": True,
        }
    },
}


@pytest.fixture
def waiting_run(county):
    """A run whose execution waits on a task token, recorded in the registry as waiting."""
    queue = county.sqs.create_queue(QueueName="tokens")["QueueUrl"]
    definition = json.loads(json.dumps(TOKEN_MACHINE).replace("QUEUE", queue))
    machine = county.sfn.create_state_machine(
        name="waits", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/clearance-test"
    )
    run_id = "20260301-0123456789ab"
    execution = county.sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=run_id, input="{}")
    token = None
    for _ in range(200):
        received = county.sqs.receive_message(QueueUrl=queue).get("Messages", [])
        if received:
            token = json.loads(received[0]["Body"])["token"]
            break
        __import__("time").sleep(0.05)
    assert token
    assert registry.record_run(
        run_id, execution_name=run_id, source={"bucket": "b", "key": "k", "version_id": "v", "size": 1}
    )
    registry.set_status(run_id, registry.WAITING_FOR_REVIEW, task_token=token)
    return {"run_id": run_id, "execution_arn": execution["executionArn"]}


def review_event(county, key, body=b"PK\x03\x04 workbook bytes"):
    return county.upload(key, body)


def test_a_reviewed_workbook_resumes_the_waiting_run(county, waiting_run):
    key = f"reviews/{waiting_run['run_id']}/review (final) v2.xlsx"
    event = review_event(county, key)
    assert "review+%28final%29+v2.xlsx" in event["Records"][0]["s3"]["object"]["key"]

    result = resume_review.handler(event, FakeContext())

    assert result == {"reviews": [{"run_id": waiting_run["run_id"], "outcome": "resumed", "approve_all": False}]}
    done = county.wait_for_execution(waiting_run["execution_arn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {
        "bucket": NAMES["UPLOAD_BUCKET"],
        "key": key,
        "version_id": event["Records"][0]["s3"]["object"]["versionId"],
        "approve_all": False,
    }
    item = county.run_item(waiting_run["run_id"])
    assert item["status"] == registry.REVIEW_RECEIVED and "task_token" not in item and item["review_key"] == key
    assert item["review_version"] == event["Records"][0]["s3"]["object"]["versionId"]
    assert county.messages() == []


def test_an_approve_all_marker_resumes_with_approve_all(county, waiting_run):
    event = review_event(county, f"reviews/{waiting_run['run_id']}/APPROVE_ALL", b"")
    (result,) = resume_review.handler(event, FakeContext())["reviews"]
    assert result["outcome"] == "resumed" and result["approve_all"] is True
    assert json.loads(county.wait_for_execution(waiting_run["execution_arn"])["output"])["approve_all"] is True


def test_a_second_upload_after_resuming_is_reported_not_used(county, waiting_run):
    resume_review.handler(review_event(county, f"reviews/{waiting_run['run_id']}/APPROVE_ALL", b""), FakeContext())
    (again,) = resume_review.handler(
        review_event(county, f"reviews/{waiting_run['run_id']}/review.xlsx"), FakeContext()
    )["reviews"]
    assert again["outcome"] == "not_waiting"
    (message,) = county.messages()
    assert message["subject"] == f"Review upload not used: run {waiting_run['run_id']}"
    assert "review_received" in message["message"]


def test_a_review_for_an_unknown_run_is_reported(county):
    (result,) = resume_review.handler(review_event(county, "reviews/20990101-ffffffffffff/review.xlsx"), FakeContext())[
        "reviews"
    ]
    assert result == {"run_id": "20990101-ffffffffffff", "outcome": "unknown_run"}
    (message,) = county.messages()
    assert message["subject"] == "Review upload not used: run 20990101-ffffffffffff"
    assert "no run has this id" in message["message"]


def test_a_file_that_is_not_a_review_is_reported(county, waiting_run):
    (result,) = resume_review.handler(
        review_event(county, f"reviews/{waiting_run['run_id']}/notes.pdf"), FakeContext()
    )["reviews"]
    assert result["outcome"] == "not_a_review"
    assert county.run_item(waiting_run["run_id"])["status"] == registry.WAITING_FOR_REVIEW
    assert "neither a reviewed workbook" in county.messages()[0]["message"]


def test_an_odd_run_folder_name_is_echoed_safely(county):
    (result,) = resume_review.handler(review_event(county, "reviews/<script> x/review.xlsx"), FakeContext())["reviews"]
    assert result["run_id"] == "_script_x" and result["outcome"] == "unknown_run"


def test_a_folder_marker_under_reviews_is_not_a_review(county):
    event = s3_event(NAMES["UPLOAD_BUCKET"], "reviews/20260301-0123456789ab/", version_id="v1", size=0)
    assert resume_review.handler(event, FakeContext()) == {"reviews": [{"run_id": None, "outcome": "ignored"}]}
    assert county.messages() == []


# -- notify ------------------------------------------------------------------------------------------------

RUN = {
    "run_id": "20260301-0123456789ab",
    "county": "SACRAMENTO",
    "policy": "california",
    "evaluation_date": "2026-03-01",
    "compat": False,
}


@pytest.fixture
def recorded(county):
    registry.record_run(
        RUN["run_id"],
        execution_name=RUN["run_id"],
        source={"bucket": NAMES["UPLOAD_BUCKET"], "key": DOJ_KEY, "version_id": "v1", "size": 9},
    )
    return county


def status(county):
    return county.result_json(f"runs/{RUN['run_id']}/STATUS.json")


def test_review_ready_records_the_token_then_tells_the_office(recorded):
    # The counts come from the run's manifest.json: a re-filed run reaches the wait without combine's outputs.
    manifest = {"counts": {"people": 28, "convictions_evaluated": 38, "data_issues": 2}}
    recorded.s3.put_object(
        Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN['run_id']}/manifest.json", Body=json.dumps(manifest).encode()
    )
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:clearance:{RUN['run_id']}"
    event = {
        "kind": "review_ready",
        "run": RUN,
        "options": {},
        "execution": execution,
        "review_attempt": {"rejected": False},
        "task_token": "token-123",
    }
    assert notify.handler(event, FakeContext()) == {"run_id": RUN["run_id"], "status": "waiting_for_review"}
    item = recorded.run_item(RUN["run_id"])
    assert item["status"] == "waiting_for_review" and item["task_token"] == "token-123"
    assert item["execution_arn"] == execution
    assert status(recorded)["status"] == "waiting_for_review"
    assert status(recorded)["counts"]["convictions_evaluated"] == 38
    (message,) = recorded.messages()
    assert message["subject"] == f"Review ready: run {RUN['run_id']}"
    assert "Convictions evaluated: 38" in message["message"]
    assert f"s3://{NAMES['UPLOAD_BUCKET']}/reviews/{RUN['run_id']}/" in message["message"]
    assert "Sacramento DOJ extract" not in message["message"]  # the upload's file name stays out of e-mail


def test_a_rejected_review_asks_for_a_corrected_one(recorded):
    event = {
        "kind": "review_ready",
        "run": RUN,
        "options": {},
        "review_attempt": {"Error": "ReviewRejected", "Cause": "{}"},
        "task_token": "token-456",
    }
    notify.handler(event, FakeContext())
    (message,) = recorded.messages()
    assert message["subject"].startswith("Review not accepted")
    assert "review-problems.csv" in message["message"]
    assert status(recorded)["review_problems"].endswith(f"runs/{RUN['run_id']}/review-problems.csv")


def test_a_failure_marks_the_run_failed_and_points_to_the_data_issues(recorded):
    recorded.s3.put_object(
        Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{RUN['run_id']}/data_issues.csv", Body=b"file,line\n"
    )
    registry.set_status(RUN["run_id"], registry.WAITING_FOR_REVIEW, task_token="t")
    event = {
        "kind": "failed",
        "run": RUN,
        "options": {},
        "error": {"Error": "InputRejected", "Cause": '{"errorMessage": "the upload is not a usable DOJ file"}'},
    }
    assert notify.handler(event, FakeContext())["status"] == "failed"
    item = recorded.run_item(RUN["run_id"])
    assert item["status"] == "failed" and item["failure"] == "InputRejected" and "task_token" not in item
    assert status(recorded)["status"] == "failed"
    assert status(recorded)["data_issues"] == f"s3://{NAMES['RESULTS_BUCKET']}/runs/{RUN['run_id']}/data_issues.csv"
    (message,) = recorded.messages()
    assert message["subject"] == f"Run failed: {RUN['run_id']}"
    assert "not a usable DOJ research file" in message["message"] and "data_issues.csv" in message["message"]


def test_a_failure_of_an_unregistered_execution_is_still_reported(county):
    event = {"kind": "failed", "run": RUN, "options": {}, "error": {"Error": "States.TaskFailed"}}
    assert notify.handler(event, FakeContext())["status"] == "failed"
    assert "Recovering a failed run" in county.messages()[0]["message"]


def test_filings_ready_marks_the_run_complete(recorded):
    event = {
        "kind": "filings_ready",
        "run": RUN,
        "options": {},
        "filings": {
            "prefix": f"runs/{RUN['run_id']}/filings/",
            "files": 26,
            "counts": {"granted_convictions": 35, "challenged_convictions": 3, "pending_convictions": 0},
        },
    }
    notify.handler(event, FakeContext())
    assert recorded.run_item(RUN["run_id"])["status"] == "filings_ready"
    assert status(recorded)["status"] == "filings_ready"
    (message,) = recorded.messages()
    assert "granted relief: 35" in message["message"] and "Files: 26" in message["message"]


def test_an_unknown_notification_kind_is_an_error(county):
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify.handler({"kind": "party", "run": RUN}, FakeContext())


def test_control_functions_import_without_the_engine_libraries():
    """ingest, resume_review and notify are packaged without pandas/pyarrow (cdk/packaging.py)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "for name in ('pandas', 'pyarrow', 'numpy', 'openpyxl', 'reportlab', 'blueprint'):\n"
        "    sys.modules[name] = None  # any import of these now fails\n"
        "import functions.ingest, functions.resume_review, functions.notify\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    assert done.returncode == 0, done.stderr


# -- shared plumbing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, run_id, approve_all, workbook",
    [
        ("reviews/20260301-0123456789ab/review.xlsx", "20260301-0123456789ab", False, True),
        ("reviews/20260301-0123456789ab/Review (final).XLSX", "20260301-0123456789ab", False, True),
        ("reviews/20260301-0123456789ab/APPROVE_ALL", "20260301-0123456789ab", True, False),
        ("reviews/20260301-0123456789ab/approve_all.txt", "20260301-0123456789ab", True, False),
        ("reviews/20260301-0123456789ab/APPROVE_ALL_BUT_ONE.xlsx", "20260301-0123456789ab", False, True),
        ("reviews/20260301-0123456789ab/", None, False, False),
        ("reviews/a/b/review.xlsx", None, False, True),
        ("incoming/review.xlsx", None, False, True),
    ],
)
def test_review_keys_are_read_by_folder_and_name(key, run_id, approve_all, workbook):
    from functions import layout

    assert layout.review_run_id(key) == run_id
    assert layout.is_approve_all(key) is approve_all
    assert layout.is_workbook(key) is workbook


def test_throttling_and_server_errors_become_transient_and_others_do_not():
    from botocore.exceptions import ClientError, EndpointConnectionError

    from functions.common import TransientError, transient_errors

    def client_error(code, status):
        return ClientError(
            {"Error": {"Code": code, "Message": "x"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
        )

    for error in (
        client_error("SlowDown", 503),
        client_error("ThrottlingException", 400),
        client_error("InternalError", 500),
        EndpointConnectionError(endpoint_url="https://s3"),
    ):
        with pytest.raises(TransientError):
            with transient_errors():
                raise error
    with pytest.raises(ClientError):
        with transient_errors():
            raise client_error("AccessDenied", 403)
