"""The end-to-end harness's own pieces: template references are resolved exactly, and a handler's
exception reaches Step Functions as a Lambda function error named after the exception."""

import json

import pytest

from tests.e2e.access_check import PhysicalIds, UnresolvedReference
from tests.e2e.cloud_harness import _invoke_in_process

TEMPLATE = {
    "Resources": {
        "Bucket1": {"Type": "AWS::S3::Bucket"},
        "Topic1": {"Type": "AWS::SNS::Topic"},
        "Fn1": {"Type": "AWS::Lambda::Function"},
        "Machine1": {"Type": "AWS::StepFunctions::StateMachine"},
    }
}


def physical():
    ids = PhysicalIds(TEMPLATE, "us-west-2", "123456789012")
    ids.set("Bucket1", ref="results-bucket")
    ids.set("Topic1", ref="arn:aws:sns:us-west-2:123456789012:t")
    ids.set("Fn1", Arn="arn:aws:lambda:us-west-2:123456789012:function:Fn1")
    return ids


def test_resolve_replaces_refs_getatts_joins_and_pseudo_parameters():
    value = {
        "Fn::Join": [
            "",
            [
                '{"Resource":"',
                {"Fn::GetAtt": ["Fn1", "Arn"]},
                '","Bucket":"',
                {"Ref": "Bucket1"},
                '","P":"arn:',
                {"Ref": "AWS::Partition"},
                ':states:::s3:getObject"}',
            ],
        ]
    }
    assert json.loads(physical().resolve(value)) == {
        "Resource": "arn:aws:lambda:us-west-2:123456789012:function:Fn1",
        "Bucket": "results-bucket",
        "P": "arn:aws:states:::s3:getObject",
    }
    assert physical().resolve({"A": [{"Ref": "Topic1"}, 3]}) == {"A": ["arn:aws:sns:us-west-2:123456789012:t", 3]}


def test_resolve_selects_from_a_split_arn_as_cdk_writes_execution_arns():
    machine = physical().resolve({"Ref": "Machine1"})
    assert machine == "arn:aws:states:us-west-2:123456789012:stateMachine:machine1"
    value = {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":states:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                ":execution:",
                {"Fn::Select": [6, {"Fn::Split": [":", {"Ref": "Machine1"}]}]},
                ":*",
            ],
        ]
    }
    assert physical().resolve(value) == "arn:aws:states:us-west-2:123456789012:execution:machine1:*"


@pytest.mark.parametrize("value", [{"Ref": "Missing"}, {"Fn::GetAtt": ["Fn1", "Name"]}, {"Fn::Sub": "x"}])
def test_resolve_refuses_unknown_references(value):
    with pytest.raises(UnresolvedReference):
        physical().resolve(value)


class Boom(Exception):
    pass


def boom_handler(event, context):
    raise Boom("shard failed")


def echo_handler(event, context):
    return {"seen": event, "function": context.function_name}


class FakeFunction:
    function_name = "PipelineEvaluate"

    def __init__(self, handler):
        self.handler = handler


def test_a_handler_runs_in_process_and_its_exception_is_a_function_error():
    headers = {}
    ok = _invoke_in_process(FakeFunction("tests.e2e.test_cloud_harness.echo_handler"), '{"a": 1}', {}, headers)
    assert json.loads(ok) == {"seen": {"a": 1}, "function": "PipelineEvaluate"} and headers == {}
    failed = _invoke_in_process(FakeFunction("tests.e2e.test_cloud_harness.boom_handler"), "{}", {}, headers)
    assert json.loads(failed) == {"errorType": "Boom", "errorMessage": "shard failed"}
    assert headers["x-amz-function-error"] == "Unhandled"
