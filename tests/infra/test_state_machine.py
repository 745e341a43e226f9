"""The Step Functions state machine: order of the steps, Distributed Maps, the review wait, retries
and the failure path, read from the synthesized definition."""

import json

import pytest
from synth_support import render

from cdk.processing import TRANSIENT_ERRORS


@pytest.fixture(scope="module")
def machine(synthesized):
    (resource,) = synthesized.resources("AWS::StepFunctions::StateMachine").values()
    return resource


@pytest.fixture(scope="module")
def definition(machine, synthesized):
    names = {synthesized.logical_id(f): name for name, f in synthesized.stack.pipeline.functions.items()}
    names[synthesized.logical_id(synthesized.stack.storage.results)] = "results"
    return json.loads(render(machine["Properties"]["DefinitionString"], names))


def function_of(state):
    resource = state.get("Resource", "")
    if resource.endswith(":states:::lambda:invoke.waitForTaskToken"):
        return state["Parameters"]["FunctionName"].strip("<>").split(".")[0]
    return resource.strip("<>").split(".")[0]


def happy_path(definition):
    """The states an upload passes through when nothing is rejected (each Choice's Default)."""
    order, name = [], definition["StartAt"]
    while name:
        order.append(name)
        state = definition["States"][name]
        name = state.get("Default") or state.get("Next")
    return order


def test_standard_workflow_with_logging_and_tracing(machine, synthesized):
    props = machine["Properties"]
    assert props["StateMachineType"] == "STANDARD"
    assert props["TracingConfiguration"] == {"Enabled": True}
    logging = props["LoggingConfiguration"]
    assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is False
    group = synthesized.logical_id(synthesized.stack.pipeline.state_machine_log_group)
    assert logging["Destinations"] == [{"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [group, "Arn"]}}}]
    # Under /aws/vendedlogs/: one CloudWatch Logs resource policy serves every vended-log delivery
    # (a group elsewhere adds a policy per group, until the account's policy size limit is reached).
    name = synthesized.resources("AWS::Logs::LogGroup")[group]["Properties"]["LogGroupName"]
    assert name == "/aws/vendedlogs/states/clearance-sacramento"


def test_steps_run_in_the_documented_order(definition):
    assert happy_path(definition) == [
        "Start",
        "Validate input",
        "Input usable?",
        "Split into shards",
        "Input readable?",
        "Evaluate shards",
        "Combine results",
        "Ready for review",
        "Wait for review",
        "Apply review",
        "Review accepted?",
        "Render documents",
        "Assemble filings",
        "Notify filings ready",
        "Filings ready",
    ]
    states = definition["States"]
    assert [
        function_of(states[s])
        for s in (
            "Validate input",
            "Split into shards",
            "Combine results",
            "Wait for review",
            "Apply review",
            "Assemble filings",
            "Notify filings ready",
        )
    ] == [
        "validate",
        "split",
        "combine",
        "notify",
        "plan_documents",
        "assemble",
        "notify",
    ]
    assert states["Filings ready"]["Type"] == "Succeed"


@pytest.mark.parametrize(
    "state_name, items_key, worker, function",
    [
        ("Evaluate shards", "$.split.items_key", "Evaluate shard", "evaluate"),
        ("Render documents", "$.plan.items_key", "Render batch", "render_batch"),
    ],
)
def test_distributed_maps_read_their_items_from_the_results_bucket(definition, state_name, items_key, worker, function):
    state = definition["States"][state_name]
    assert state["Type"] == "Map"
    assert state["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert state["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    assert state["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
    assert state["ItemReader"]["Parameters"] == {"Bucket": "<results>", "Key.$": items_key}
    assert state["MaxConcurrency"] == 40
    # no tolerated failures (Step Functions' default when absent): one failed shard fails the run
    assert state.get("ToleratedFailureCount", 0) == 0 and "ToleratedFailurePercentage" not in state
    assert state["ResultPath"] is None  # results stay in S3; nothing large passes through the state
    inner = state["ItemProcessor"]["States"][worker]
    assert function_of(inner) == function and inner["End"] is True


def test_review_wait_uses_a_task_token_with_the_configured_timeout(definition):
    wait = definition["States"]["Wait for review"]
    assert wait["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert wait["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert wait["Parameters"]["Payload"]["kind"] == "review_ready"
    assert wait["TimeoutSeconds"] == 120 * 24 * 3600
    assert wait["ResultPath"] == "$.review"


def test_only_an_explicit_restart_skips_to_applying_the_review(definition):
    start = definition["States"][definition["StartAt"]]
    assert start["Type"] == "Choice" and start["Default"] == "Validate input"
    (choice,) = start["Choices"]
    assert choice == {
        "And": [
            {"Variable": "$.restart_at", "IsPresent": True},
            {"Variable": "$.restart_at", "StringEquals": "apply_review"},
        ],
        "Next": "Apply review",
    }


def test_a_rejected_review_goes_back_to_waiting_and_other_errors_fail_the_run(definition):
    states = definition["States"]
    # A review that cannot be accepted is a result of "Apply review", not a Lambda error.
    assert states["Apply review"]["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify failure"}
    ]
    choice = states["Review accepted?"]
    assert choice["Choices"] == [{"Variable": "$.plan.rejected", "IsPresent": True, "Next": "Review not accepted"}]
    assert choice["Default"] == "Render documents"
    back = states["Review not accepted"]
    assert back == {
        "Type": "Pass",
        "InputPath": "$.plan.rejected",
        "ResultPath": "$.review_attempt",
        "Next": "Wait for review",
    }


@pytest.mark.parametrize(
    "step, result, question, rejected",
    [
        ("Validate input", "$.input", "Input usable?", "Input not usable"),
        ("Split into shards", "$.split", "Input readable?", "Input not readable"),
    ],
)
def test_a_rejected_upload_is_notified_and_ends_without_an_error(definition, step, result, question, rejected):
    states = definition["States"]
    assert states[step]["Next"] == question
    (choice,) = states[question]["Choices"]
    assert choice == {"Variable": f"{result}.rejected", "IsPresent": True, "Next": rejected}
    assert states[rejected] == {
        "Type": "Pass",
        "InputPath": f"{result}.rejected",
        "ResultPath": "$.rejection",
        "Next": "Notify input rejected",
    }
    notice = states["Notify input rejected"]
    assert function_of(notice) == "notify" and notice["Parameters"]["kind"] == "failed"
    assert notice["Parameters"]["error.$"] == "$.rejection"
    assert states[notice["Next"]] == {"Type": "Succeed", "Comment": "The office was told why (data_issues.csv)."}


UPLOAD_INPUT = {"run", "options", "source"}  # what ingest starts a run with
REFILE_INPUT = {"run", "options", "source", "review", "restart_at"}  # docs/operations.md, "Recovering a failed run"


def referenced_fields(value):
    """Top-level fields of the state input that JSONPath parameters (``"x.$": "$.a.b"``) read."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str) and item.startswith("$."):
                yield item[2:].split(".")[0].split("[")[0]
            else:
                yield from referenced_fields(item)
    elif isinstance(value, list):
        for item in value:
            yield from referenced_fields(item)


def choice_may_hold(rule, fields, problems, state):
    """Whether a Choice rule can be true for an input with ``fields`` (IsPresent is decided, other
    comparisons may go either way, and comparing a field that is absent is itself a problem)."""
    if "And" in rule:
        for part in rule["And"]:  # evaluated in order: an IsPresent guard protects what follows
            if not choice_may_hold(part, fields, problems, state):
                return False
        return True
    if "Or" in rule:
        return any(choice_may_hold(part, fields, problems, state) for part in rule["Or"])
    if "Not" in rule:
        return True
    field = rule["Variable"][2:].split(".")[0]
    if "IsPresent" in rule:
        return (
            (field in fields) == rule["IsPresent"] if rule["Variable"].count(".") == 1 or field not in fields else True
        )
    if field not in fields:
        problems.append((state, field))
    return True


def walk(definition, present):
    """Follow every transition from the start with the set of top-level fields the state input has,
    and return (state, missing field) for every state that would read a field that is not there:
    a runtime error Step Functions cannot catch, which leaves a run failed without any notice."""
    states, problems, seen = definition["States"], [], set()
    pending = [(definition["StartAt"], frozenset(present))]
    while pending:
        name, fields = pending.pop()
        if (name, fields) in seen:
            continue
        seen.add((name, fields))
        state = states[name]
        reads = list(referenced_fields(state.get("Parameters", {})))
        reads += list(referenced_fields(state.get("ItemReader", {}).get("Parameters", {})))
        for path_key in ("InputPath",):
            if isinstance(state.get(path_key), str) and state[path_key].startswith("$."):
                reads.append(state[path_key][2:].split(".")[0])
        problems += [(name, field) for field in reads if field not in fields]
        after = set(fields)
        result_path = state.get("ResultPath", "$" if state["Type"] in ("Task", "Pass") else None)
        if isinstance(result_path, str) and result_path.startswith("$."):
            after.add(result_path[2:].split(".")[0])
        for catch in state.get("Catch", []):
            caught = set(fields) | ({catch["ResultPath"][2:].split(".")[0]} if catch.get("ResultPath") else set())
            pending.append((catch["Next"], frozenset(caught)))
        for choice in state.get("Choices", []):
            if choice_may_hold(choice, fields, problems, name):
                pending.append((choice["Next"], frozenset(after)))
        for key in ("Next", "Default"):
            if key in state:
                pending.append((state[key], frozenset(after)))
    return problems


@pytest.mark.parametrize("present", [UPLOAD_INPUT, REFILE_INPUT], ids=["upload", "re-file"])
def test_every_state_reachable_from_either_input_finds_the_fields_it_reads(definition, present):
    assert walk(definition, present) == []


def test_the_path_walk_finds_a_missing_field():
    """The walk above would have caught the old re-file loop into a wait that read $.outputs."""
    loop = {
        "StartAt": "Apply review",
        "States": {
            "Apply review": {
                "Type": "Task",
                "Resource": "x",
                "Parameters": {"review.$": "$.review"},
                "ResultPath": "$.plan",
                "Catch": [{"ErrorEquals": ["ReviewRejected"], "ResultPath": "$.review_attempt", "Next": "Wait"}],
                "End": True,
            },
            "Wait": {"Type": "Task", "Resource": "x", "Parameters": {"outputs.$": "$.outputs"}, "Next": "Apply review"},
        },
    }
    assert walk(loop, REFILE_INPUT) == [("Wait", "outputs")]


def all_work_states(definition):
    for name, state in definition["States"].items():
        if state["Type"] in ("Task", "Map"):
            yield name, state
        if state["Type"] == "Map":
            yield from state["ItemProcessor"]["States"].items()


def test_every_task_retries_transient_errors_with_backoff(definition):
    for name, state in all_work_states(definition):
        if state["Type"] != "Task":
            continue
        retries = {tuple(r["ErrorEquals"]): r for r in state["Retry"]}
        lambda_errors = (
            "Lambda.ClientExecutionTimeoutException",
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
        )
        assert retries[lambda_errors]["BackoffRate"] == 2, name
        transient = retries[tuple(TRANSIENT_ERRORS)]
        assert transient["BackoffRate"] == 2 and transient["JitterStrategy"] == "FULL", name
        assert transient["MaxAttempts"] == 6 and transient["MaxDelaySeconds"] == 120, name


def test_every_failure_path_notifies_and_ends_failed(definition):
    states = definition["States"]
    top_level_work = [n for n, s in states.items() if s["Type"] in ("Task", "Map")]
    for name in top_level_work:
        if name == "Notify failure":
            continue
        last = states[name]["Catch"][-1]
        assert last == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Notify failure"}, name
    failure = states["Notify failure"]
    assert function_of(failure) == "notify" and failure["Parameters"]["kind"] == "failed"
    assert failure["Next"] == "Run failed"
    assert failure["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.notify_error", "Next": "Run failed"}]
    assert states["Run failed"]["Type"] == "Fail"


def test_state_machine_role_can_read_the_item_lists_encrypted_with_the_key(synthesized):
    machine_role = synthesized.logical_id(synthesized.stack.pipeline.state_machine.role)
    key = synthesized.logical_id(synthesized.stack.storage.key)
    statements = [
        s
        for p in synthesized.resources("AWS::IAM::Policy").values()
        if {"Ref": machine_role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (decrypt,) = [s for s in statements if s["Action"] == "kms:Decrypt"]
    assert decrypt["Resource"] == {"Fn::GetAtt": [key, "Arn"]}
    assert render(decrypt["Condition"]["StringEquals"]["kms:ViaService"]) == "s3.<AWS::Region>.amazonaws.com"
    assert any(s["Action"] == "s3:GetObject" for s in statements)
