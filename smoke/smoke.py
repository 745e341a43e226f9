"""Smoke run of a deployed county stack: one synthetic DOJ file from upload to checked filings.

    make smoke PROFILE=county-test                 # uses the deployed stack of cdk.json's county
    make smoke PROFILE=county-test DEPLOY=1        # deploys first (npx cdk deploy), then runs
    python -m smoke.smoke --profile county-test --stack ClearanceKit-sacramento --rows 2000

What it does, as the office and IT would (docs/deployment.md, "First deployment"):

1. reads the stack's outputs (buckets, state machine);
2. generates a synthetic DOJ research file for the county (no real person) and uploads it under
   ``incoming/``;
3. finds the run the upload started, and waits until its STATUS.json says the review outputs are
   ready (the "review ready" e-mail goes out at the same moment);
4. uploads ``reviews/<run id>/APPROVE_ALL``, and waits until STATUS.json says the filings are ready;
5. checks the filing set: every file in index.json is there with its SHA-256, SHA256SUMS agrees, the
   documents of the bulk filing and the court and DOJ exports exist, and the convictions evaluated
   and filed on equal those the generator wrote;
6. prints a report and exits 0 only if every check passed.

It needs credentials that may read the stack's outputs, list and describe the state machine's
executions, put objects under incoming/ and reviews/, and read runs/ (an IT administrator's). It
leaves its upload, its run and its results in place, like any run (retention removes them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from typing import Callable

#: Files every bulk filing set holds (docs/filings.md), besides index.json and SHA256SUMS.
EXPECTED_FILES = ("exports/court-cms-update.csv", "exports/doj-disposition-update.csv")
EXPECTED_DOCUMENTS = ("notice-of-non-challenge", "attachment-a", "proposed-order")


@dataclass(frozen=True)
class Stack:
    """What the smoke run needs from the stack's outputs (cdk/stack.py)."""

    upload_bucket: str
    results_bucket: str
    state_machine_arn: str


@dataclass
class Report:
    run_id: str = ""
    stages: list[tuple[str, float]] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        return bool(ok)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(ok for _, ok, _ in self.checks)

    def text(self) -> str:
        lines = [f"Smoke run {self.run_id or '(no run)'}: {'PASSED' if self.passed else 'FAILED'}"]
        lines += [f"  {name:<28} {seconds:7.1f} s" for name, seconds in self.stages]
        lines += [
            f"  [{'ok' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}" for name, ok, detail in self.checks
        ]
        return "\n".join(lines)


class SmokeFailure(Exception):
    pass


def stack_outputs(cloudformation, stack_name: str) -> Stack:
    (described,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    missing = {"UploadBucket", "ResultsBucket", "StateMachineArn"} - set(outputs)
    if missing:
        raise SmokeFailure(f"stack {stack_name} has no output {', '.join(sorted(missing))}: is it the clearance kit's?")
    return Stack(outputs["UploadBucket"], outputs["ResultsBucket"], outputs["StateMachineArn"])


def wait(what: str, probe: Callable[[], object], *, timeout: float, interval: float) -> object:
    """Call ``probe`` until it returns something truthy; SmokeFailure after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def find_run(sfn, state_machine_arn: str, key: str, version_id: str) -> str | None:
    """The run id (execution name) of the execution started for this object version, if any yet."""
    executions = sfn.list_executions(stateMachineArn=state_machine_arn, maxResults=50)["executions"]
    for execution in executions:
        started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"] or "{}")
        source = started.get("source", {})
        if source.get("key") == key and (source.get("version_id") or "") == (version_id or ""):
            return execution["name"]
    return None


def read_status(s3, bucket: str, run_id: str) -> dict | None:
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=f"runs/{run_id}/STATUS.json")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def wait_for_status(s3, bucket: str, run_id: str, wanted: str, *, timeout: float, interval: float) -> dict:
    def probe():
        status = read_status(s3, bucket, run_id)
        if status and status["status"] == "failed":
            raise SmokeFailure(f"the run failed ({status.get('error')}): {status.get('what_to_do', '')}")
        return status if status and status["status"] == wanted else None

    return wait(f"STATUS.json to say {wanted}", probe, timeout=timeout, interval=interval)


def check_filings(s3, bucket: str, run_id: str, report: Report) -> None:
    prefix = f"runs/{run_id}/filings/"
    keys = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys |= {o["Key"][len(prefix) :] for o in page.get("Contents", [])}
    report.check("index.json and SHA256SUMS published", {"index.json", "SHA256SUMS"} <= keys)
    if "index.json" not in keys:
        return
    index = json.loads(s3.get_object(Bucket=bucket, Key=prefix + "index.json")["Body"].read())
    report.check("index is for this run", index.get("run_id") == run_id, str(index.get("run_id")))
    listed = {entry["path"]: entry["sha256"] for entry in index.get("files", [])}
    report.check("every indexed file is published", set(listed) <= keys, ", ".join(sorted(set(listed) - keys))[:200])
    report.check(
        "nothing unindexed is published",
        keys - set(listed) == {"index.json", "SHA256SUMS"},
        ", ".join(sorted(keys - set(listed) - {"index.json", "SHA256SUMS"}))[:200],
    )
    wrong = [
        path
        for path, digest in listed.items()
        if path in keys
        and hashlib.sha256(s3.get_object(Bucket=bucket, Key=prefix + path)["Body"].read()).hexdigest() != digest
    ]
    report.check("every file has its indexed SHA-256", not wrong, ", ".join(wrong)[:200])
    sums = s3.get_object(Bucket=bucket, Key=prefix + "SHA256SUMS")["Body"].read().decode()
    in_sums = {
        line.split(None, 1)[1].strip().lstrip("*"): line.split(None, 1)[0] for line in sums.splitlines() if line.strip()
    }
    report.check("SHA256SUMS agrees with the index", in_sums == listed)
    for name in EXPECTED_FILES:
        report.check(f"{name} present", name in keys)
    for document in EXPECTED_DOCUMENTS:
        report.check(f"{document} present", any(document in path for path in keys))


def run(
    session,
    stack: Stack,
    *,
    county: str,
    rows: int,
    report: Report,
    timeout: float = 1800,
    interval: float = 10,
    upload: Callable[[str, bytes], str] | None = None,
) -> Report:
    """The smoke run against ``stack`` with boto3 ``session``. ``upload(key, body) -> version id``
    puts a staff upload (default: S3 PutObject; S3's event then starts the pipeline)."""
    from blueprint.synthetic.doj_file import generate

    s3, sfn = session.client("s3"), session.client("stepfunctions")

    def put(key: str, body: bytes) -> str:
        return s3.put_object(Bucket=stack.upload_bucket, Key=key, Body=body).get("VersionId", "")

    upload = upload or put
    started = time.monotonic()

    def stage(name: str) -> None:
        report.stages.append((name, time.monotonic() - started))

    with tempfile.TemporaryDirectory(prefix="clearance-smoke-") as folder:
        path = Path(folder) / "smoke.dat"
        stats = generate(path, rows=rows, county=county, seed=int(time.time()) % 100_000)
        key = f"incoming/smoke-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dat"
        version = upload(key, path.read_bytes())
    stage("uploaded")
    report.run_id = wait(
        "the run to start",
        lambda: find_run(sfn, stack.state_machine_arn, key, version),
        timeout=min(timeout, 300),
        interval=interval,
    )
    ready = wait_for_status(
        s3, stack.results_bucket, report.run_id, "waiting_for_review", timeout=timeout, interval=interval
    )
    stage("review outputs ready")
    report.check(
        "review outputs counted every generated conviction",
        ready.get("counts", {}).get("convictions_evaluated") == stats.cannabis_convictions_in_county,
        f"{ready.get('counts', {}).get('convictions_evaluated')} of {stats.cannabis_convictions_in_county}",
    )
    upload(f"reviews/{report.run_id}/APPROVE_ALL", b"")
    stage("review uploaded")
    done = wait_for_status(s3, stack.results_bucket, report.run_id, "filings_ready", timeout=timeout, interval=interval)
    stage("filings ready")
    evaluated = done.get("counts", {}).get("evaluated_convictions")
    report.check(
        "every generated conviction filed on",
        evaluated == stats.cannabis_convictions_in_county,
        f"{evaluated} of {stats.cannabis_convictions_in_county}",
    )
    check_filings(s3, stack.results_bucket, report.run_id, report)
    return report


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", help="AWS profile of the test account (credentials of IT)")
    parser.add_argument("--region")
    parser.add_argument("--stack", help="stack name (default: ClearanceKit-<county slug> from cdk.json)")
    parser.add_argument("--rows", type=int, default=2000, help="rows of the synthetic DOJ file")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for each stage")
    options = parser.parse_args(arguments)

    import boto3

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from cdk.app import default_context
    from cdk.settings import DeploymentSettings

    settings = DeploymentSettings.from_context(default_context().get)
    session = boto3.Session(profile_name=options.profile, region_name=options.region)
    report = Report()
    try:
        stack = stack_outputs(session.client("cloudformation"), options.stack or f"ClearanceKit-{settings.slug}")
        run(session, stack, county=settings.county, rows=options.rows, report=report, timeout=options.timeout)
    except SmokeFailure as exc:
        report.check("smoke run completed", False, str(exc))
    print(report.text())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
