"""X-Ray traces must not carry S3 object keys: a key under incoming/ is the office's file name.

The X-Ray SDK's botocore patch records each S3 call's ``Key`` in the trace (its parameter
whitelist), and its http.client patch records URLs, which hold the key too. functions/common.py
therefore traces the handlers without patching any library. This test runs an S3 call inside a
traced segment, with the functions' tracer set up as in Lambda, and reads what the SDK would send;
the control run patches botocore as an unconfigured Tracer would, to show that the check sees keys.
"""

import json
import subprocess
import sys

from tests.e2e.aws_support import REPO_ROOT

SCRIPT = r"""
import json, os, sys
os.environ.update({"POWERTOOLS_TRACE_DISABLED": "false", "AWS_XRAY_SDK_ENABLED": "true", "AWS_DEFAULT_REGION": "us-west-2",
                   "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"})
sys.path.insert(0, os.environ["REPO"])
import boto3
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.context import Context
from moto import mock_aws

import functions.common as common  # sets up the tracer exactly as the Lambda functions do

if sys.argv[1] == "control":
    from aws_xray_sdk.core import patch
    patch(["botocore"])

sent = []
class Capture:
    def send_entity(self, entity):
        sent.append(entity.serialize())
    def set_daemon_address(self, address):
        pass
xray_recorder.configure(emitter=Capture(), context=Context(), sampling=False)
with mock_aws():
    s3 = boto3.client("s3", region_name="us-west-2")
    s3.create_bucket(Bucket="uploads", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    xray_recorder.begin_segment("clearance-ingest")
    s3.put_object(Bucket="uploads", Key="incoming/Doe, Jane 1970-01-01.dat", Body=b"x")
    s3.head_object(Bucket="uploads", Key="incoming/Doe, Jane 1970-01-01.dat")
    xray_recorder.end_segment()
print(json.dumps({"patched": sorted(__import__("aws_xray_sdk.core.patcher", fromlist=["x"])._PATCHED_MODULES),
                  "modules": list(common.TRACED_MODULES), "sent": sent}))
"""


def traced(mode):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        capture_output=True,
        text=True,
        check=True,
        env={"REPO": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        cwd=REPO_ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_traces_carry_no_object_key_and_no_library_is_patched():
    result = traced("functions")
    assert result["modules"] == [] and result["patched"] == []
    assert result["sent"], "the segment was emitted"
    assert not any("Doe, Jane" in entity or "incoming/" in entity for entity in result["sent"])


def test_the_check_sees_a_key_when_botocore_is_patched():
    result = traced("control")
    assert "botocore" in result["patched"]
    assert any("Doe, Jane" in entity for entity in result["sent"])
