"""Run the synthesized stack's state machine locally: moto plays AWS, our handlers play Lambda.

What is real: the state machine definition (taken verbatim from the synthesized template, with the
CloudFormation references replaced by the mocked resources' names and ARNs), the handlers' code, the
functions' environment variables (from the template), the packaged data files (templates, office
profile) from each function's cloud-assembly asset folder, and the S3 notification routing (from the
template's bucket-notification resource).

What is stood in: moto's Step Functions interpreter executes the definition (including Distributed
Map with an S3 ItemReader and ``.waitForTaskToken``); when it invokes a function, moto's Lambda
``invoke`` is patched to import the function's handler (``functions.<name>.handler``) and call it in
this process instead of starting a Docker container. Everything the handlers do goes to moto.
"""

from __future__ import annotations

import importlib
import json
import os
import zipfile
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from typing import Any, Iterator
from unittest import mock

import boto3
from moto import mock_aws
from moto.awslambda.models import LambdaFunction

from tests.e2e.access_check import STATE_MACHINE, AccessChecker, PhysicalIds, acting_as
from tests.e2e.aws_support import ACCOUNT, REGION, FakeContext, MockedCounty, NAMES, s3_event


def _handler_for(spec: str):
    module, _, function = spec.rpartition(".")
    return getattr(importlib.import_module(module), function)


#: (moto function, handler, error) of every invocation that failed: the data points of Lambda's
#: Errors metric. Each deployment reads only its own functions' (a run of an earlier test may still
#: be winding down in moto's threads).
FUNCTION_ERRORS: list[tuple[str, str]] = []


def _invoke_in_process(self: LambdaFunction, body: str, request_headers: Any, response_headers: Any) -> bytes:
    """Stand-in for moto's Docker-based invoke: call the function's handler here, like Lambda would."""
    event = json.loads(body) if body else {}
    try:
        # The handler's AWS clients act with its function's role (tests/e2e/access_check.py).
        with acting_as(self.handler.split(".")[1] if self.handler.startswith("functions.") else self.handler):
            result = _handler_for(self.handler)(event, FakeContext(function_name=self.function_name))
    except Exception as exc:  # Lambda reports an unhandled error by its class name
        FUNCTION_ERRORS.append((id(self), self.handler, type(exc).__name__))  # what the Errors metric would count
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps({"errorType": type(exc).__name__, "errorMessage": str(exc)}).encode()
    return json.dumps(result).encode()


class DeployedStack:
    """The synthesized county stack "deployed" into moto."""

    def __init__(self, template: dict, assembly_dir: Path, county: MockedCounty) -> None:
        self.template = template
        self.assembly_dir = assembly_dir
        self.county = county
        resources = template["Resources"]
        self.functions = {
            k: v
            for k, v in resources.items()
            if v["Type"] == "AWS::Lambda::Function" and v["Properties"]["Handler"].startswith("functions.")
        }
        physical = PhysicalIds(template, REGION, ACCOUNT)
        for logical_id, resource in resources.items():
            kind = resource["Type"]
            if kind == "AWS::S3::Bucket":
                name = self._bucket_name(logical_id)
                physical.set(logical_id, ref=name, Arn=f"arn:aws:s3:::{name}")
            elif kind == "AWS::DynamoDB::Table":
                physical.set(
                    logical_id,
                    ref=NAMES["TABLE_NAME"],
                    Arn=f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{NAMES['TABLE_NAME']}",
                )
            elif kind == "AWS::SNS::Topic":
                physical.set(logical_id, ref=county.topic_arn, TopicName=county.topic_arn.rsplit(":", 1)[1])
        self.physical = physical

        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(
            RoleName="clearance-e2e",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        package = BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("README.txt", "handlers run in-process (tests/e2e/cloud_harness.py)")
        self.function_names: dict[str, str] = {}
        #: Who acts with which role of the template: each handler module, and the state machine.
        self.roles: dict[str, str] = {}
        for logical_id, resource in self.functions.items():
            props = resource["Properties"]
            created = lam.create_function(
                FunctionName=logical_id,
                Runtime=props["Runtime"],
                Role=role,
                Handler=props["Handler"],
                Code={"ZipFile": package.getvalue()},
            )
            physical.set(logical_id, ref=logical_id, Arn=created["FunctionArn"])
            module = props["Handler"].split(".")[1]
            self.function_names[module] = logical_id
            self.roles[module] = props["Role"]["Fn::GetAtt"][0]

        from moto.awslambda.models import lambda_backends

        backend = lambda_backends[ACCOUNT][REGION]
        self._moto_functions = {id(backend.get_function(name)) for name in self.function_names.values()}

        ((self.machine_id, machine),) = [
            (k, v) for k, v in resources.items() if v["Type"] == "AWS::StepFunctions::StateMachine"
        ]
        self.roles[STATE_MACHINE] = machine["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        self.definition = json.loads(physical.resolve(machine["Properties"]["DefinitionString"]))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        self.state_machine_arn = sfn.create_state_machine(
            name="clearance-e2e",
            definition=json.dumps(self.definition),
            roleArn=role,
            type=machine["Properties"].get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        physical.set(self.machine_id, ref=self.state_machine_arn, Name="clearance-e2e")
        self.access = AccessChecker(template, physical, REGION, ACCOUNT, self.roles)

    def _bucket_name(self, logical_id: str) -> str:
        if logical_id.startswith("StorageUploads"):
            return NAMES["UPLOAD_BUCKET"]
        if logical_id.startswith("StorageResults"):
            return NAMES["RESULTS_BUCKET"]
        return f"clearance-e2e-{logical_id.lower()}"[:63]

    @property
    def function_errors(self) -> list[tuple[str, str]]:
        return [(handler, error) for function, handler, error in FUNCTION_ERRORS if function in self._moto_functions]

    def package_dir(self, logical_id: str) -> Path:
        """The function's packaged code in the cloud assembly (what Lambda would see as /var/task),
        found through the asset manifest from the function's S3 key (``<asset hash>.zip``)."""
        asset_hash = self.functions[logical_id]["Properties"]["Code"]["S3Key"].removesuffix(".zip")
        (manifest,) = self.assembly_dir.glob("*.assets.json")
        source = json.loads(manifest.read_text())["files"][asset_hash]["source"]
        return self.assembly_dir / source["path"]

    def environment(self) -> dict[str, str]:
        """The functions' environment variables from the template, resolved. All functions share
        the same values (checked), so they can be set once for this process; /var/task paths point
        into the function's packaged code."""
        merged: dict[str, str] = {}
        for logical_id, resource in self.functions.items():
            variables = self.physical.resolve(resource["Properties"]["Environment"]["Variables"])
            task = str(self.package_dir(logical_id)) + "/"
            for name, value in variables.items():
                if name == "POWERTOOLS_SERVICE_NAME":
                    continue
                value = value.replace("/var/task/", task) if isinstance(value, str) else value
                if name in merged and merged[name] != value and not value.startswith(str(self.assembly_dir)):
                    raise AssertionError(f"functions disagree on {name}")
                merged.setdefault(name, value)
        return merged

    def notification_targets(self, bucket: str, key: str) -> list[str]:
        """Which functions the template's S3 notifications send an ObjectCreated event for ``key`` to."""
        targets = []
        for resource in self.template["Resources"].values():
            if resource["Type"] != "Custom::S3BucketNotifications":
                continue
            if self.physical.resolve(resource["Properties"]["BucketName"]) != bucket:
                continue
            for config in resource["Properties"]["NotificationConfiguration"].get("LambdaFunctionConfigurations", []):
                rules = {r["Name"]: r["Value"] for r in config.get("Filter", {}).get("Key", {}).get("FilterRules", [])}
                if key.startswith(rules.get("prefix", "")) and key.endswith(rules.get("suffix", "")):
                    targets.append(config["LambdaFunctionArn"]["Fn::GetAtt"][0])
        return targets

    def put_and_notify(self, key: str, body: bytes, *, repeat: int = 1) -> dict:
        """A staff upload: put the object, then deliver S3's event (``repeat`` times, as S3 may)
        to each function the bucket's notification configuration names. Returns the last results."""
        put = self.county.s3.put_object(Bucket=NAMES["UPLOAD_BUCKET"], Key=key, Body=body)
        event = s3_event(
            NAMES["UPLOAD_BUCKET"], key, version_id=put["VersionId"], size=len(body), etag=put["ETag"].strip('"')
        )
        return self.deliver(event, repeat=repeat)

    def deliver(self, event: dict, *, repeat: int = 1) -> dict:
        record = event["Records"][0]
        from urllib.parse import unquote_plus

        key = unquote_plus(record["s3"]["object"]["key"])
        lam = boto3.client("lambda", region_name=REGION)
        results = {}
        for _ in range(repeat):
            for target in self.notification_targets(record["s3"]["bucket"]["name"], key):
                response = lam.invoke(FunctionName=target, Payload=json.dumps(event).encode())
                payload = json.loads(response["Payload"].read())
                if response.get("FunctionError"):
                    raise AssertionError(f"{target} failed: {payload}")
                results[target] = payload
        return results


@contextmanager
def deployed(template: dict, assembly_dir: Path) -> Iterator[DeployedStack]:
    """Mock AWS, create the county's resources from the template, patch Lambda, set the environment."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        county = MockedCounty()
        stack = DeployedStack(template, assembly_dir, county)
        with (
            mock.patch.object(LambdaFunction, "invoke", _invoke_in_process),
            mock.patch.dict(os.environ, stack.environment()),
            stack.access.installed(),
        ):
            yield stack
