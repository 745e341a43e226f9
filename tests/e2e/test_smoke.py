"""The smoke run (smoke/smoke.py, `make smoke`) against the mocked deployment: the same code that
checks a county's first real deployment, run here from upload to checked filings."""

import boto3
import pytest
from botocore.stub import Stubber

from smoke import smoke
from tests.e2e.aws_support import NAMES, REGION, s3_event

pytestmark = pytest.mark.e2e


def staff_upload(stack):
    """A staff upload as S3 delivers it: the object, then its event to the functions it triggers."""

    def upload(key: str, body: bytes) -> str:
        put = stack.county.s3.put_object(Bucket=NAMES["UPLOAD_BUCKET"], Key=key, Body=body)
        stack.deliver(
            s3_event(
                NAMES["UPLOAD_BUCKET"], key, version_id=put["VersionId"], size=len(body), etag=put["ETag"].strip('"')
            )
        )
        return put["VersionId"]

    return upload


def deployed_outputs(stack):
    return smoke.Stack(NAMES["UPLOAD_BUCKET"], NAMES["RESULTS_BUCKET"], stack.state_machine_arn)


def test_the_smoke_run_passes_on_a_working_deployment(stack):
    report = smoke.run(
        boto3.Session(region_name=REGION),
        deployed_outputs(stack),
        county="SACRAMENTO",
        rows=600,
        report=smoke.Report(),
        timeout=120,
        interval=0.1,
        upload=staff_upload(stack),
    )
    assert report.passed, report.text()
    names = [name for name, _, _ in report.checks]
    assert "every file has its indexed SHA-256" in names and "every generated conviction filed on" in names
    assert [name for name, _ in report.stages] == [
        "uploaded",
        "review outputs ready",
        "review uploaded",
        "filings ready",
    ]
    assert report.text().startswith(f"Smoke run {report.run_id}: PASSED")


def test_the_smoke_run_reports_a_failed_run(stack, monkeypatch):
    monkeypatch.setenv("POLICY", "no-such-policy")  # every shard fails: the run fails before review
    report = smoke.Report()
    with pytest.raises(smoke.SmokeFailure, match="the run failed"):
        smoke.run(
            boto3.Session(region_name=REGION),
            deployed_outputs(stack),
            county="SACRAMENTO",
            rows=300,
            report=report,
            timeout=120,
            interval=0.1,
            upload=staff_upload(stack),
        )
    assert report.run_id and not report.passed


def test_a_tampered_file_fails_the_filing_checks(stack):
    report = smoke.run(
        boto3.Session(region_name=REGION),
        deployed_outputs(stack),
        county="SACRAMENTO",
        rows=300,
        report=smoke.Report(),
        timeout=120,
        interval=0.1,
        upload=staff_upload(stack),
    )
    assert report.passed, report.text()
    prefix = f"runs/{report.run_id}/filings/"
    index = stack.county.result_json(prefix + "index.json")
    stack.county.s3.put_object(Bucket=NAMES["RESULTS_BUCKET"], Key=prefix + index["files"][0]["path"], Body=b"altered")
    again = smoke.Report(run_id=report.run_id)
    smoke.check_filings(stack.county.s3, NAMES["RESULTS_BUCKET"], report.run_id, again)
    failed = {name for name, ok, _ in again.checks if not ok}
    assert failed == {"every file has its indexed SHA-256"}


def test_stack_outputs_are_read_and_a_foreign_stack_is_refused():
    cloudformation = boto3.client(
        "cloudformation", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    outputs = [
        {"OutputKey": "UploadBucket", "OutputValue": "u"},
        {"OutputKey": "ResultsBucket", "OutputValue": "r"},
        {"OutputKey": "StateMachineArn", "OutputValue": "arn:aws:states:us-west-2:1:stateMachine:m"},
    ]
    stack = {
        "StackName": "ClearanceKit-sacramento",
        "CreationTime": "2026-01-01T00:00:00Z",
        "StackStatus": "CREATE_COMPLETE",
    }
    with Stubber(cloudformation) as stub:
        stub.add_response(
            "describe_stacks", {"Stacks": [{**stack, "Outputs": outputs}]}, {"StackName": "ClearanceKit-sacramento"}
        )
        stub.add_response("describe_stacks", {"Stacks": [{**stack, "Outputs": outputs[:1]}]}, {"StackName": "Other"})
        assert smoke.stack_outputs(cloudformation, "ClearanceKit-sacramento") == smoke.Stack(
            "u", "r", "arn:aws:states:us-west-2:1:stateMachine:m"
        )
        with pytest.raises(smoke.SmokeFailure, match="ResultsBucket, StateMachineArn"):
            smoke.stack_outputs(cloudformation, "Other")
