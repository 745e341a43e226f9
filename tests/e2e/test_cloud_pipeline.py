"""End to end: the synthesized state machine, executed by moto, from a staff upload to filings."""

import io
import json

import pytest
from openpyxl import load_workbook

from blueprint.synthetic.doj_file import generate
from tests.e2e.access_check import STATE_MACHINE
from tests.e2e.aws_support import NAMES

pytestmark = pytest.mark.e2e

DOJ_KEY = "incoming/Sacramento DOJ research file (2019).dat"


@pytest.fixture(scope="module")
def doj_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("doj") / "doj.dat"
    stats = generate(path, rows=1500, county="SACRAMENTO", seed=7)
    return path.read_bytes(), stats


def only_execution(stack):
    (execution,) = stack.county.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
    return execution


def wait_for_message(stack, subject, timeout=120):
    """The notification with this subject (the token is stored before the e-mail goes out)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in stack.county.messages():
            if message["subject"] == subject:
                return message
        time.sleep(0.1)
    raise TimeoutError(f"no notification {subject!r}")


def test_upload_to_review_to_filings(stack, doj_file):
    content, stats = doj_file
    county = stack.county

    (ingested,) = stack.put_and_notify(DOJ_KEY, content).values()
    (run,) = ingested["runs"]
    run_id = run["run_id"]
    assert run["started"] is True

    # -- review outputs, then the run waits for the office --------------------------------------
    ready = wait_for_message(stack, f"Review ready: run {run_id}")
    assert county.run_item(run_id)["status"] == "waiting_for_review"
    published = county.result_keys(f"runs/{run_id}/")
    for name in (
        "review.xlsx",
        "convictions.csv",
        "convictions.parquet",
        "summary.json",
        "summary.html",
        "data_issues.csv",
        "manifest.json",
        "STATUS.json",
    ):
        assert f"runs/{run_id}/{name}" in published
    status = county.result_json(f"runs/{run_id}/STATUS.json")
    assert status["status"] == "waiting_for_review"
    assert status["counts"]["convictions_evaluated"] == stats.cannabis_convictions_in_county
    manifest = county.result_json(f"runs/{run_id}/manifest.json")
    assert manifest["reconciliation"]["rows_read"] == stats.rows and manifest["reconciliation"]["balanced"]
    shards = county.result_json(f"work/{run_id}/shards.json")
    assert len(shards) > 1  # the Distributed Map had several items (rowsPerShard is small here)
    for item in shards:
        assert any(
            k.endswith(".decisions.parquet") for k in county.result_keys(f"work/{run_id}/evaluated/{item['shard']}/")
        )
    assert "Sacramento DOJ research file" not in ready["message"]

    workbook = county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{run_id}/review.xlsx")["Body"].read()

    # -- a workbook that belongs to another run is sent back; the run keeps waiting ---------------
    book = load_workbook(io.BytesIO(workbook))
    for row in book["Run"].iter_rows():
        if row[0].value == "run_id":
            row[1].value = "20990101-ffffffffffff"
    wrong = io.BytesIO()
    book.save(wrong)
    stack.put_and_notify(f"reviews/{run_id}/review from the wrong run.xlsx", wrong.getvalue())
    rejected = wait_for_message(stack, f"Review not accepted: run {run_id}")
    assert "review-problems.csv" in rejected["message"]
    assert county.run_item(run_id)["status"] == "waiting_for_review"
    assert f"runs/{run_id}/review-problems.csv" in county.result_keys(f"runs/{run_id}/")

    # -- the office's reviewed workbook resumes the run and the filings are published ------------
    stack.put_and_notify(f"reviews/{run_id}/review (final).xlsx", workbook)
    done = stack.county.wait_for_execution(only_execution(stack)["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    filings = county.result_keys(f"runs/{run_id}/filings/")
    for name in (
        "01-notice-of-non-challenge.pdf",
        "02-attachment-a.csv",
        "03-proposed-order.pdf",
        "exports/court-cms-update.csv",
        "exports/doj-disposition-update.csv",
        "index.json",
        "SHA256SUMS",
    ):
        assert f"runs/{run_id}/filings/{name}" in filings
    index = county.result_json(f"runs/{run_id}/filings/index.json")
    assert index["run_id"] == run_id and len(index["files"]) + 2 == len(filings)
    status = county.result_json(f"runs/{run_id}/STATUS.json")
    assert status["status"] == "filings_ready"
    assert county.run_item(run_id)["status"] == "filings_ready"
    wait_for_message(stack, f"Filings ready: run {run_id}")

    # Every function and the state machine acted, and each of their calls was checked against the
    # template's IAM policies (the fixture fails the test on any denial).
    checked = stack.access.checked
    assert {principal for principal, _, _ in checked} == set(stack.roles)
    machine = {action for principal, action, _ in checked if principal == STATE_MACHINE}
    assert {"lambda:InvokeFunction", "s3:GetObject", "kms:Decrypt"} <= machine  # invokes, reads the item lists
    assert ("evaluate", "s3:ListBucket", f"arn:aws:s3:::{NAMES['RESULTS_BUCKET']}") in checked
    # The rejected review was an expected outcome: no function failed, so no Errors alarm fired.
    assert stack.function_errors == []


def test_the_same_object_event_twice_starts_one_run(stack, doj_file):
    results = stack.put_and_notify(DOJ_KEY, doj_file[0], repeat=2)
    (ingested,) = results.values()
    run_id = ingested["runs"][0]["run_id"]
    execution = only_execution(stack)
    assert execution["name"] == run_id
    wait_for_message(stack, f"Review ready: run {run_id}")
    assert len(stack.county.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]) == 1
    stack.county.sfn.stop_execution(executionArn=execution["executionArn"])


def last_state(stack, execution_arn):
    events = sorted(stack.county.sfn.get_execution_history(executionArn=execution_arn)["events"], key=lambda e: e["id"])
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e][-1]


def test_a_corrupt_file_is_rejected_with_a_data_issues_report_and_nothing_marked_complete(stack):
    corrupt = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    (ingested,) = stack.put_and_notify("incoming/scan of the DOJ letter.png", corrupt).values()
    run_id = ingested["runs"][0]["run_id"]
    execution = only_execution(stack)["executionArn"]
    done = stack.county.wait_for_execution(execution)
    # A rejected upload is an expected outcome: the office is told, the execution ends without an
    # error (so the "runs failed" alarm counts only failures of the pipeline). Before, it ended FAILED.
    assert done["status"] == "SUCCEEDED" and last_state(stack, execution) == "Input rejected"
    assert stack.function_errors == []  # nor is it a Lambda error: the Errors alarms stay quiet
    county = stack.county
    published = county.result_keys(f"runs/{run_id}/")
    assert published == [f"runs/{run_id}/STATUS.json", f"runs/{run_id}/data_issues.csv"]
    status = county.result_json(f"runs/{run_id}/STATUS.json")
    assert status["status"] == "failed" and status["error"] == "InputRejected"
    assert status["data_issues"].endswith(f"runs/{run_id}/data_issues.csv")
    assert county.run_item(run_id)["status"] == "failed"
    (message,) = county.messages()
    assert message["subject"] == f"Run failed: {run_id}"
    assert "data_issues.csv" in message["message"] and "scan of the DOJ letter" not in message["message"]


def test_a_review_for_an_unknown_run_is_reported(stack):
    results = stack.put_and_notify("reviews/20990101-ffffffffffff/review.xlsx", b"PK\x03\x04")
    (result,) = results.values()
    assert result == {"reviews": [{"run_id": "20990101-ffffffffffff", "outcome": "unknown_run"}]}
    (message,) = stack.county.messages()
    assert message["subject"] == "Review upload not used: run 20990101-ffffffffffff"
    assert stack.county.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"] == []


def test_a_failing_shard_fails_the_run_and_notifies(stack, doj_file, monkeypatch):
    # A policy the engine cannot load makes every "Evaluate shard" item fail inside the Distributed Map.
    monkeypatch.setenv("POLICY", "no-such-policy")
    (ingested,) = stack.put_and_notify(DOJ_KEY, doj_file[0]).values()
    run_id = ingested["runs"][0]["run_id"]
    done = stack.county.wait_for_execution(only_execution(stack)["executionArn"])
    assert done["status"] == "FAILED"
    county = stack.county
    assert county.result_keys(f"runs/{run_id}/") == [f"runs/{run_id}/STATUS.json"]  # no review outputs
    status = county.result_json(f"runs/{run_id}/STATUS.json")
    assert status["status"] == "failed" and "docs/operations.md" in status["what_to_do"]
    assert county.run_item(run_id)["status"] == "failed"
    assert wait_for_message(stack, f"Run failed: {run_id}")


def test_a_run_that_failed_after_its_review_is_filed_again_without_a_new_review(stack, doj_file):
    import os
    from unittest import mock

    county = stack.county
    (ingested,) = stack.put_and_notify(DOJ_KEY, doj_file[0]).values()
    run_id = ingested["runs"][0]["run_id"]
    wait_for_message(stack, f"Review ready: run {run_id}")
    # The documents cannot be rendered (their templates are missing): the run fails after the review.
    with mock.patch.dict(os.environ, {"CLEARANCE_TEMPLATES": "/nonexistent/templates"}):
        stack.put_and_notify(f"reviews/{run_id}/APPROVE_ALL", b"")
        first = county.wait_for_execution(only_execution(stack)["executionArn"])
    assert first["status"] == "FAILED"
    wait_for_message(stack, f"Run failed: {run_id}")
    assert county.result_json(f"runs/{run_id}/STATUS.json")["status"] == "failed"
    assert county.result_keys(f"runs/{run_id}/filings/") == []

    # IT fixes the cause and re-files, as docs/operations.md describes: the original input, the
    # review the registry recorded, and restart_at=apply_review.
    item = county.run_item(run_id)
    restart = json.loads(first["input"]) | {
        "review": {
            "bucket": NAMES["UPLOAD_BUCKET"],
            "key": item["review_key"],
            "version_id": item["review_version"] or None,
            "approve_all": item["review_key"].endswith("APPROVE_ALL"),
        },
        "restart_at": "apply_review",
    }
    again = county.sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=f"{run_id}-refile-1", input=json.dumps(restart)
    )
    done = county.wait_for_execution(again["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    assert f"runs/{run_id}/filings/index.json" in county.result_keys(f"runs/{run_id}/filings/")
    assert county.result_json(f"runs/{run_id}/STATUS.json")["status"] == "filings_ready"
    assert county.run_item(run_id)["status"] == "filings_ready"


def test_a_refiled_run_whose_review_is_not_accepted_waits_again_and_then_files(stack, doj_file):
    """The re-file input has no combine outputs: the rejected-review loop must still reach the wait
    (it used to need $.outputs, a runtime error no Catch can handle) and resume with a new review."""
    import os
    from unittest import mock

    county = stack.county
    (ingested,) = stack.put_and_notify(DOJ_KEY, doj_file[0]).values()
    run_id = ingested["runs"][0]["run_id"]
    wait_for_message(stack, f"Review ready: run {run_id}")
    workbook = county.s3.get_object(Bucket=NAMES["RESULTS_BUCKET"], Key=f"runs/{run_id}/review.xlsx")["Body"].read()
    with mock.patch.dict(os.environ, {"CLEARANCE_TEMPLATES": "/nonexistent/templates"}):
        stack.put_and_notify(f"reviews/{run_id}/APPROVE_ALL", b"")
        first = county.wait_for_execution(only_execution(stack)["executionArn"])
    assert first["status"] == "FAILED"

    # IT re-files naming a workbook that belongs to another run: "Apply review" does not accept it.
    book = load_workbook(io.BytesIO(workbook))
    for row in book["Run"].iter_rows():
        if row[0].value == "run_id":
            row[1].value = "20990101-ffffffffffff"
    wrong = io.BytesIO()
    book.save(wrong)
    put = county.s3.put_object(
        Bucket=NAMES["UPLOAD_BUCKET"], Key=f"reviews/{run_id}/other run.xlsx", Body=wrong.getvalue()
    )
    restart = json.loads(first["input"]) | {
        "review": {
            "bucket": NAMES["UPLOAD_BUCKET"],
            "key": f"reviews/{run_id}/other run.xlsx",
            "version_id": put["VersionId"],
            "approve_all": False,
        },
        "restart_at": "apply_review",
    }
    again = county.sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=f"{run_id}-refile-1", input=json.dumps(restart)
    )
    rejected = wait_for_message(stack, f"Review not accepted: run {run_id}")
    assert "review-problems.csv" in rejected["message"]
    assert county.sfn.describe_execution(executionArn=again["executionArn"])["status"] == "RUNNING"
    item = county.run_item(run_id)
    assert item["status"] == "waiting_for_review" and item["execution_arn"] == again["executionArn"]

    stack.put_and_notify(f"reviews/{run_id}/APPROVE_ALL", b"")
    done = county.wait_for_execution(again["executionArn"])
    assert done["status"] == "SUCCEEDED", done
    assert county.result_json(f"runs/{run_id}/STATUS.json")["status"] == "filings_ready"
    assert "task_token" not in county.run_item(run_id)
