"""The end-to-end harness's own pieces: template references are resolved exactly, and a handler's
exception reaches Step Functions as a Lambda function error named after the exception."""

import json

import pytest

from tests.e2e.cloud_harness import _invoke_in_process, resolve

REFS = {"Bucket1": "results-bucket", "Topic1": "arn:aws:sns:us-west-2:123456789012:t"}
ATTRS = {("Fn1", "Arn"): "arn:aws:lambda:us-west-2:123456789012:function:Fn1"}


def test_resolve_replaces_refs_getatts_joins_and_pseudo_parameters():
    value = {"Fn::Join": ["", ['{"Resource":"', {"Fn::GetAtt": ["Fn1", "Arn"]}, '","Bucket":"', {"Ref": "Bucket1"},
                                '","P":"arn:', {"Ref": "AWS::Partition"}, ':states:::s3:getObject"}']]}
    assert json.loads(resolve(value, REFS, ATTRS)) == {
        "Resource": "arn:aws:lambda:us-west-2:123456789012:function:Fn1",
        "Bucket": "results-bucket",
        "P": "arn:aws:states:::s3:getObject",
    }
    assert resolve({"A": [{"Ref": "Topic1"}, 3]}, REFS, ATTRS) == {"A": [REFS["Topic1"], 3]}


@pytest.mark.parametrize("value", [{"Ref": "Missing"}, {"Fn::GetAtt": ["Fn1", "Name"]}])
def test_resolve_refuses_unknown_references(value):
    with pytest.raises(KeyError):
        resolve(value, REFS, ATTRS)


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
