"""The access check of the end-to-end run (tests/e2e/access_check.py) itself: it sees every
principal's calls, it refuses a call whose grant is removed and names the function, action and
resource, and it covers the calls AWS makes with the roles outside the handlers' code (logs,
traces, dead letters, Distributed Map child runs), which moto cannot show."""

import copy
import time

import pytest

from blueprint.intake.columns import DOJ_COLUMNS
from functions import engine_steps, split
from tests.e2e.access_check import STATE_MACHINE, AccessChecker, Denial, PhysicalIds, acting_as
from tests.e2e.aws_support import ACCOUNT, NAMES, REGION, FakeContext
from tests.e2e.cloud_harness import deployed

pytestmark = pytest.mark.e2e

DOJ_KEY = "incoming/DOJ research file.dat"


@pytest.fixture(scope="module")
def doj_file(tmp_path_factory):
    from blueprint.synthetic.doj_file import generate

    path = tmp_path_factory.mktemp("doj") / "doj.dat"
    generate(path, rows=900, county="SACRAMENTO", seed=5)
    return path.read_bytes()


def role_of(template, handler_module):
    (function,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"] == f"functions.{handler_module}.handler"
    ]
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def without_statement(template, role_logical_id, action):
    """A copy of the template whose role loses the statement(s) granting ``action``."""
    changed = copy.deepcopy(template)
    removed = 0
    for resource in changed["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy" or {"Ref": role_logical_id} not in resource["Properties"]["Roles"]:
            continue
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        kept = [
            s for s in statements if action not in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        ]
        removed += len(statements) - len(kept)
        resource["Properties"]["PolicyDocument"]["Statement"] = kept
    assert removed == 1, f"expected one statement granting {action}, found {removed}"
    return changed


def test_a_removed_grant_is_refused_and_named(synthesized_stack, doj_file, monkeypatch, tmp_path):
    """Without evaluate's s3:ListBucket (the first gap the check found), the run cannot evaluate."""
    from tests.e2e.aws_support import base_environment

    for key, value in base_environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CLEARANCE_SCRATCH", str(tmp_path))
    template = without_statement(
        synthesized_stack.template, role_of(synthesized_stack.template, "evaluate"), "s3:ListBucket"
    )
    with deployed(template, synthesized_stack.outdir) as stack:
        (ingested,) = stack.put_and_notify(DOJ_KEY, doj_file).values()
        run_id = ingested["runs"][0]["run_id"]
        # Let the run come to rest (it stops failed, or, as moto's Distributed Map may carry on past
        # failed items, at the review wait) so that nothing of it runs on into the next test.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            stack.access.denials and stack.county.result_keys(f"runs/{run_id}/STATUS.json")
        ):
            time.sleep(0.1)
        (execution,) = stack.county.sfn.list_executions(stateMachineArn=stack.state_machine_arn)["executions"]
        if stack.county.sfn.describe_execution(executionArn=execution["executionArn"])["status"] == "RUNNING":
            stack.county.sfn.stop_execution(executionArn=execution["executionArn"])
        denials = set(stack.access.denials)
    assert denials == {Denial("evaluate", "s3:ListBucket", f"arn:aws:s3:::{NAMES['RESULTS_BUCKET']}", "implicit deny")}
    assert "evaluate: s3:ListBucket on arn:aws:s3:::clearance-test-results denied" in stack.access.report()


def test_split_publishes_the_report_of_an_unreadable_upload_with_its_own_role(stack):
    """The split rejection path, which "Validate input" normally pre-empts, run under split's role."""
    put = stack.county.s3.put_object(
        Bucket=NAMES["UPLOAD_BUCKET"], Key=DOJ_KEY, Body=(",".join(DOJ_COLUMNS) + "\r\n").encode()
    )
    source = {"bucket": NAMES["UPLOAD_BUCKET"], "key": DOJ_KEY, "version_id": put["VersionId"], "size": 100}
    run = {
        "run_id": "20260301-0123456789ab",
        "county": "SACRAMENTO",
        "policy": "california",
        "evaluation_date": "2026-03-01",
        "compat": False,
    }
    with acting_as("split"):
        result = split.handler({"run": run, "options": {}, "source": source, "input": {}}, FakeContext())
    assert result["rejected"]["Error"] == engine_steps.InputRejected.__name__
    assert stack.county.result_keys("runs/") == ["runs/20260301-0123456789ab/data_issues.csv"]
    assert (
        "split",
        "s3:PutObject",
        f"arn:aws:s3:::{NAMES['RESULTS_BUCKET']}/runs/20260301-0123456789ab/data_issues.csv",
    ) in stack.access.checked


# -- calls AWS makes with the roles outside the handlers' code ---------------------------------------


@pytest.fixture(scope="module")
def checker(synthesized_stack):
    template = synthesized_stack.template
    roles = {
        r["Properties"]["Handler"].split(".")[1]: r["Properties"]["Role"]["Fn::GetAtt"][0]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"]["Handler"].startswith("functions.")
    }
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    roles[STATE_MACHINE] = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    return AccessChecker(template, PhysicalIds(template, REGION, ACCOUNT), REGION, ACCOUNT, roles)


def decide(checker, principal, action, resource, **context):
    role = checker.roles[principal]
    full = {"aws:SecureTransport": "true", "aws:PrincipalAccount": ACCOUNT, **context}
    return checker.policies.decide(
        checker.policies.role_arn(role), action, resource, full, checker.policies.identity(role)
    )


def test_every_function_role_can_log_trace_and_send_dead_letters(checker, synthesized_stack):
    """What the Lambda service does with the function's role: its log streams, X-Ray segments, the
    dead-letter queue (encrypted with the county key) and the encrypted environment."""
    physical = checker.policies.physical
    resources = synthesized_stack.template["Resources"]
    key = physical.attributes[(next(k for k, r in resources.items() if r["Type"] == "AWS::KMS::Key"), "Arn")]
    for function in resources.values():
        props = function["Properties"] if function["Type"] == "AWS::Lambda::Function" else {}
        if not props.get("Handler", "").startswith("functions."):
            continue
        name = props["Handler"].split(".")[1]
        group = physical.resolve(props["LoggingConfig"]["LogGroup"])
        stream = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{group}:log-stream:2026/03/01/[$LATEST]abc"
        queue = physical.resolve(props["DeadLetterConfig"]["TargetArn"])
        needed = [
            ("logs:CreateLogStream", stream, {}),
            ("logs:PutLogEvents", stream, {}),
            ("xray:PutTraceSegments", "*", {}),
            ("xray:PutTelemetryRecords", "*", {}),
            ("sqs:SendMessage", queue, {}),
            ("kms:GenerateDataKey", key, {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}),
            ("kms:Decrypt", key, {"kms:ViaService": f"sqs.{REGION}.amazonaws.com"}),
            ("kms:Decrypt", key, {"kms:ViaService": f"lambda.{REGION}.amazonaws.com"}),
        ]
        for action, resource, context in needed:
            assert decide(checker, name, action, resource, **context).allowed, (name, action, resource)
        # ... and never the key directly
        assert not decide(checker, name, "kms:Decrypt", key).allowed, name


def test_the_state_machine_role_can_log_trace_and_run_its_distributed_maps(checker, synthesized_stack):
    physical = checker.policies.physical
    (machine_id,) = [
        k for k, r in synthesized_stack.template["Resources"].items() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    machine_arn = physical.resolve({"Ref": machine_id})
    name = machine_arn.rsplit(":", 1)[1]
    needed = [
        (a, "*")
        for a in (
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        )
    ]
    needed += [
        ("states:StartExecution", machine_arn),  # a Distributed Map starts child runs of its own machine
        ("states:DescribeExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:run-1"),
        ("states:StopExecution", f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:run-1"),
    ]
    for action, resource in needed:
        assert decide(checker, STATE_MACHINE, action, resource).allowed, (action, resource)
