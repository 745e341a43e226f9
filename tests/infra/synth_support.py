"""Synthesize a county stack the way `cdk synth` does (cdk.json context, cdk-nag checks), offline.

Synthesis starts node through jsii and takes several seconds, so tests share one synthesized stack
per configuration (see conftest.py). Lambda code is packaged from the source folders
(``clearance:lambdaBundling=source``): no pip, no network.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


import aws_cdk as cdk  # noqa: E402

from cdk.app import build, default_context  # noqa: E402


@dataclass
class Synthesized:
    """A synthesized stack: its template as a dict, its cdk-nag report, and the construct tree."""

    stack: object
    template: dict
    report: dict
    error: str | None
    outdir: Path
    context: dict = field(default_factory=dict)

    def resources(self, resource_type: str) -> dict[str, dict]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == resource_type}

    def logical_id(self, construct) -> str:
        return self.stack.get_logical_id(construct.node.default_child)

    def violations(self) -> list[tuple[str, str, list[str]]]:
        """(pack, finding, construct paths) of every unacknowledged cdk-nag finding."""
        out = []
        for plugin in self.report.get("pluginReports", []):
            for violation in plugin["violations"]:
                paths = [c["constructPath"] for c in violation["violatingConstructs"]]
                out.append((plugin["pluginName"], violation["ruleName"], paths))
        return out


def synthesize(*, account: str | None = None, region: str | None = None, **overrides) -> Synthesized:
    """Synthesize with cdk.json's context plus ``overrides`` (context keys without the prefix).

    ``account``/``region`` play the credentials `cdk deploy` runs with (CDK_DEFAULT_ACCOUNT/REGION).
    """
    context = {
        **default_context(),
        "clearance:lambdaBundling": "source",
        "clearance:notificationEmails": "records-it@example.gov,da-clearance@example.gov",
        **{f"clearance:{k}": v for k, v in overrides.items()},
    }
    outdir = Path(tempfile.mkdtemp(prefix="clearance-synth-"))
    app = cdk.App(outdir=str(outdir), context=context)
    saved = {k: os.environ.pop(k, None) for k in ("CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION")}
    try:
        if account:
            os.environ["CDK_DEFAULT_ACCOUNT"] = account
        if region:
            os.environ["CDK_DEFAULT_REGION"] = region
        stack = build(app)
    finally:
        for k, v in saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v
    error = None
    try:
        app.synth()
    except Exception as exc:  # a failed cdk-nag validation raises after writing its report
        error = str(exc)
    template = json.loads((outdir / f"{stack.stack_name}.template.json").read_text())
    report_file = outdir / "validation-report.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    return Synthesized(stack, template, report, error, outdir, context)


def render(value, names: dict[str, str] | None = None) -> str:
    """A CloudFormation value as readable text: Ref -> <Id>, GetAtt -> <Id.Attr>, Join concatenated.

    ``names`` maps logical ids to friendly names (``{"StorageUploadsBDC5E374": "uploads"}``).
    """
    names = names or {}
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "Ref" in value:
            return f"<{names.get(value['Ref'], value['Ref'])}>"
        if "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return f"<{names.get(logical_id, logical_id)}.{attribute}>"
        if "Fn::Join" in value:
            separator, parts = value["Fn::Join"]
            return separator.join(render(p, names) for p in parts)
    return json.dumps(value, sort_keys=True)


def role_permissions(synth: Synthesized, role_logical_id: str, names: dict[str, str]) -> set[tuple[str, str, str]]:
    """Every (effect, action, resource) that the role's policies grant, rendered with ``names``."""
    granted = set()
    policies = list(synth.resources("AWS::IAM::Policy").values()) + list(
        synth.resources("AWS::IAM::ManagedPolicy").values()
    )
    for policy in policies:
        roles = policy["Properties"].get("Roles", [])
        if {"Ref": role_logical_id} not in roles:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            for action in actions:
                for resource in resources:
                    granted.add((statement["Effect"], action, render(resource, names)))
    return granted
