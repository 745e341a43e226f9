"""cdk-nag's AWS Solutions and NIST 800-53 rev 5 packs: no unacknowledged finding, and every
acknowledgement is specific and carries a reviewed reason."""

import json
import tempfile

import aws_cdk as cdk
from aws_cdk import aws_s3 as s3

from cdk.nag import REASONS, add_nag_checks


def test_no_unacknowledged_findings_in_either_pack(synthesized, synthesized_without_trail):
    for synth in (synthesized, synthesized_without_trail):
        assert synth.violations() == []
        assert synth.error is None


def test_the_packs_do_report_findings_on_an_insecure_resource():
    """Guards against a vacuous pass: the same checks flag a bare bucket."""
    outdir = tempfile.mkdtemp(prefix="clearance-nag-")
    app = cdk.App(outdir=outdir)
    stack = cdk.Stack(app, "Insecure")
    s3.Bucket(stack, "Bare")
    add_nag_checks(app)
    try:
        app.synth()
        raised = False
    except Exception:
        raised = True
    report = json.loads(open(f"{outdir}/validation-report.json").read())
    found = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert raised
    assert {"AwsSolutions-S1", "AwsSolutions-S10", "NIST.800.53.R5-S3BucketLoggingEnabled"} <= found
    assert {p["pluginName"] for p in report["pluginReports"]} == {"AwsSolutions", "NIST.800.53.R5"}


def acknowledgements(synth):
    for logical_id, resource in synth.template["Resources"].items():
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", []):
            yield logical_id, resource["Type"], rule["id"], rule["reason"]


def test_every_acknowledgement_is_specific_and_has_a_reviewed_reason(synthesized):
    acks = list(acknowledgements(synthesized))
    assert acks, "acknowledgements are written to the template metadata for auditors"
    for logical_id, _, rule, reason in acks:
        assert reason in REASONS.values(), (logical_id, rule)
        assert len(reason) > 80
        if rule.startswith("AwsSolutions-IAM5") or rule.startswith("AwsSolutions-IAM4"):
            assert rule.endswith("]") and "[" in rule, f"{rule} on {logical_id} must name the exact wildcard"


def test_wildcard_resources_are_accepted_only_where_iam_allows_nothing_narrower(synthesized):
    star = {
        (t, reason) for _, t, rule, reason in acknowledgements(synthesized) if rule == "AwsSolutions-IAM5[Resource::*]"
    }
    assert {reason for _, reason in star} <= {REASONS["xray"], REASONS["task-token"], REASONS["machine-xray"]}
    resume_role = synthesized.logical_id(synthesized.stack.pipeline.functions["resume_review"].role)
    resume_acks = [
        r
        for i, _, rule, r in acknowledgements(synthesized)
        if i.startswith(resume_role) and rule.endswith("[Resource::*]")
    ]
    assert resume_acks and set(resume_acks) == {REASONS["task-token"]}
