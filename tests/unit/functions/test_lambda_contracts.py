"""The Lambda functions' typed contracts (functions/environment.py, functions/contracts.py) and the
time zone that dates a cloud run (rule pack, deployment settings, ingest)."""

import json
from datetime import date

import pytest

from functions import notify, validate
from functions.contracts import EventRefused, ExecutionInput, Notification, Rejection, SourceEvent, StepError, parse
from functions.environment import EnvironmentProblem, IngestEnvironment, NotifyEnvironment, ValidateEnvironment
from functions.run_start import Upload, evaluation_date, execution_input, upload_date
from tests.e2e.aws_support import FakeContext

INGEST_ENV = {
    "TABLE_NAME": "clearance-runs",
    "STATE_MACHINE_ARN": "arn:aws:states:us-west-2:1:stateMachine:m",
    "COUNTY": "SACRAMENTO",
    "POLICY": "california",
    "TIME_ZONE": "America/Los_Angeles",
}
RUN = {
    "run_id": "20260301-0123456789ab",
    "county": "SACRAMENTO",
    "policy": "california",
    "evaluation_date": "2026-03-01",
    "compat": False,
}
SOURCE = {"bucket": "clearance-uploads", "key": "incoming/Garcia, Maria 1980-04-02.dat", "version_id": "v1", "size": 10}


# -- environments ------------------------------------------------------------------------------------


def test_a_missing_variable_is_named_and_the_others_are_not_blamed():
    env = dict(INGEST_ENV)
    del env["STATE_MACHINE_ARN"]
    with pytest.raises(EnvironmentProblem) as refused:
        IngestEnvironment.load(env)
    assert str(refused.value).startswith("IngestEnvironment: environment variable STATE_MACHINE_ARN is not set")
    assert "TABLE_NAME" not in str(refused.value)


def test_an_empty_variable_counts_as_missing():
    with pytest.raises(EnvironmentProblem, match="environment variable TOPIC_ARN is not set"):
        NotifyEnvironment.load(
            {"TABLE_NAME": "runs", "TOPIC_ARN": "", "RESULTS_BUCKET": "results", "UPLOAD_BUCKET": "uploads"}
        )


def test_a_malformed_variable_is_named_without_its_value():
    secret = "arn-looking-secret-value-123"
    env = {**INGEST_ENV, "STATE_MACHINE_ARN": secret, "ROWS_PER_SHARD": "many", "TIME_ZONE": "Pacific/Nowhere"}
    with pytest.raises(EnvironmentProblem) as refused:
        IngestEnvironment.load(env)
    message = str(refused.value)
    for name in ("STATE_MACHINE_ARN", "ROWS_PER_SHARD", "TIME_ZONE"):
        assert f"environment variable {name}:" in message
    assert secret not in message and "many" not in message and "Nowhere" not in message


def test_settings_are_typed_with_the_stacks_defaults():
    env = IngestEnvironment.load({**INGEST_ENV, "EVALUATION_DATE": "", "COMPAT": "true", "ROWS_PER_SHARD": "400"})
    assert env.evaluation_date is None and env.compat is True and env.rows_per_shard == 400
    assert env.per_case_documents is False and env.office_profile == ""
    assert ValidateEnvironment.load({"RESULTS_BUCKET": "results"}).max_input_bytes > 0


def test_a_handler_stops_before_any_work_when_its_environment_is_incomplete(monkeypatch):
    monkeypatch.delenv("RESULTS_BUCKET", raising=False)
    event = {"run": RUN, "options": {}, "source": SOURCE}
    with pytest.raises(EnvironmentProblem, match="RESULTS_BUCKET is not set"):
        validate.handler(event, FakeContext())


# -- the execution input and the events ----------------------------------------------------------------


def test_a_bad_execution_input_is_refused_naming_the_fields_and_no_personal_data():
    bad = {
        "run": {**RUN, "evaluation_date": "Maria Garcia", "run_id": "../x"},
        "options": {"rows_per_shard": 0},
        "source": {**SOURCE, "size": "1980-04-02"},
    }
    with pytest.raises(EventRefused) as refused:
        parse(ExecutionInput, bad, "execution input")
    message = str(refused.value)
    assert message.startswith("execution input refused: ")
    for field in ("run.evaluation_date", "run.run_id", "options.rows_per_shard", "source.size"):
        assert field in message
    assert "Maria" not in message and "Garcia" not in message and "1980-04-02" not in message


def test_an_execution_input_needs_its_source_or_a_review_to_refile():
    with pytest.raises(EventRefused, match="source"):
        parse(ExecutionInput, {"run": RUN, "options": {}}, "execution input")
    with pytest.raises(EventRefused, match="review"):
        parse(ExecutionInput, {"run": RUN, "options": {}, "restart_at": "apply_review"}, "execution input")
    refile = parse(
        ExecutionInput,
        {
            "run": RUN,
            "options": {},
            "restart_at": "apply_review",
            "review": {
                "bucket": "clearance-uploads",
                "key": "reviews/r/APPROVE_ALL",
                "version_id": "",
                "approve_all": True,
            },
        },
        "execution input",
    )
    assert refile.review.approve_all and refile.source is None


def test_an_unknown_field_of_the_execution_input_is_refused():
    with pytest.raises(EventRefused, match="restart_from"):
        parse(ExecutionInput, {"run": RUN, "options": {}, "source": SOURCE, "restart_from": "x"}, "execution input")


def test_a_step_reads_its_fields_and_ignores_the_rest_of_the_state():
    event = parse(SourceEvent, {"run": RUN, "options": {}, "source": SOURCE, "input": {"bytes": 3}}, "event")
    assert event.run.evaluation_date == date(2026, 3, 1) and event.options.rows_per_shard == 250_000
    assert [f.key for f in event.source.file_list()] == [SOURCE["key"]]  # a hand-written input names one file


def test_a_bad_event_reaches_step_functions_without_its_values(monkeypatch):
    monkeypatch.setenv("RESULTS_BUCKET", "results")
    with pytest.raises(EventRefused) as refused:
        validate.handler({"run": RUN, "options": {}, "source": {**SOURCE, "bucket": ""}}, FakeContext())
    assert "source.bucket" in str(refused.value) and "Garcia" not in str(refused.value)


def test_notifications_are_told_apart_by_kind():
    failed = parse(
        Notification, {"kind": "failed", "run": RUN, "error": {"Error": "InputRejected", "Cause": "x"}}, "notification"
    )
    assert type(failed) is notify.Failed and failed.error.error == "InputRejected"
    with pytest.raises(EventRefused, match="unknown notification kind"):
        parse(Notification, {"kind": "party", "run": RUN}, "notification")


def test_a_rejection_keeps_the_shape_the_state_machine_routes_on():
    assert Rejection(rejected=StepError(Error="InputRejected", Cause="see data_issues.csv")).dump() == {
        "rejected": {"Error": "InputRejected", "Cause": "see data_issues.csv"}
    }


# -- the time zone that dates a run -------------------------------------------------------------------


def test_an_upload_is_dated_by_the_time_zone_of_the_setting():
    late_evening_in_california = "2026-03-02T06:30:00.000Z"
    assert upload_date(late_evening_in_california, IngestEnvironment.load(INGEST_ENV).zone) == date(2026, 3, 1)
    chicago = IngestEnvironment.load({**INGEST_ENV, "TIME_ZONE": "America/Chicago"})
    assert evaluation_date(chicago, late_evening_in_california) == date(2026, 3, 2)  # 00:30 in Chicago
    fixed = IngestEnvironment.load({**INGEST_ENV, "EVALUATION_DATE": "2020-07-01"})
    assert evaluation_date(fixed, late_evening_in_california) == date(2020, 7, 1)


def test_the_execution_input_is_the_json_the_state_machine_reads():
    upload = Upload(
        **SOURCE, files=[{"key": SOURCE["key"], "version_id": "v1", "size": 10}], event_time="2026-03-01T18:00:00Z"
    )
    started = json.loads(execution_input(IngestEnvironment.load(INGEST_ENV), upload).model_dump_json(exclude_none=True))
    assert set(started) == {"run", "options", "source"}
    assert started["run"]["evaluation_date"] == "2026-03-01" and started["run"]["county"] == "SACRAMENTO"
    assert started["source"] == {**SOURCE, "files": [{"key": SOURCE["key"], "version_id": "v1", "size": 10}]}


def test_each_rule_pack_declares_its_time_zone_and_the_loader_checks_it(tmp_path):
    import shutil

    from blueprint.base.errors import PolicyError
    from blueprint.engine.policy import RULES_DIR
    from blueprint.engine.rulepack import load_rule_pack

    assert load_rule_pack("california/prop64").time_zone == "America/Los_Angeles"
    assert load_rule_pack("illinois/crta").time_zone == "America/Chicago"
    pack = tmp_path / "pack"
    shutil.copytree(RULES_DIR / "california" / "prop64", pack)
    meta = pack / "pack.yaml"
    meta.write_text(meta.read_text().replace("time_zone: America/Los_Angeles", "time_zone: California/Pacific"))
    with pytest.raises(PolicyError, match=r"pack.yaml:\d+: time_zone: 'California/Pacific' is not an IANA time zone"):
        load_rule_pack(str(pack))
