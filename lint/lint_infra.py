"""Independent checks of the synthesized template: cfn-lint and checkov (``make lint-infra``).

cdk-nag runs inside synthesis; these two tools read the CloudFormation template as AWS and auditors
see it, with no knowledge of CDK. Every finding must be an error-free cfn-lint run and, for the rest,
a reviewed entry of lint/accepted-findings.yaml (tool, check, resources, reason). An entry that no
longer matches a finding also fails, so the list never outlives what it accepts.

    python lint/lint_infra.py [template.json]   # default: synthesize offline into a temporary folder
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACCEPTED = Path(__file__).resolve().parent / "accepted-findings.yaml"
TOOLS = Path(os.environ.get("LINT_BIN", ROOT / ".venv-lint" / "bin"))


@dataclass(frozen=True)
class Finding:
    tool: str  # cfn-lint | checkov
    check: str  # W3005, CKV_AWS_115, ...
    resource: str  # logical id
    level: str  # Error | Warning | Informational (cfn-lint), Failed (checkov)
    message: str


def synthesize(outdir: Path) -> Path:
    """The county stack with cdk.json's defaults, synthesized offline (source packages)."""
    environment = {**os.environ, "CDK_OUTDIR": str(outdir)}
    subprocess.run(
        [sys.executable, str(ROOT / "cdk" / "app.py"), "clearance:lambdaBundling=source"],
        check=True,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    (template,) = outdir.glob("*.template.json")
    return template


def cfn_lint(template: Path) -> list[Finding]:
    result = subprocess.run(
        [str(TOOLS / "cfn-lint"), "--format", "json", str(template)], capture_output=True, text=True
    )
    if result.returncode not in (0, 2, 4, 6, 8, 10, 12, 14):  # bit flags of the levels found; 1 is a crash
        raise RuntimeError(f"cfn-lint did not run: {result.stderr[-2000:]}")
    findings = []
    for item in json.loads(result.stdout or "[]"):
        path = item["Location"]["Path"]
        resource = path[1] if len(path) > 1 and path[0] == "Resources" else "/".join(map(str, path))
        findings.append(Finding("cfn-lint", item["Rule"]["Id"], resource, item["Level"], item["Message"]))
    return findings


def checkov(template: Path) -> list[Finding]:
    result = subprocess.run(
        [
            str(TOOLS / "checkov"),
            "-f",
            str(template),
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1):
        raise RuntimeError(f"checkov did not run: {result.stderr[-2000:]}")
    reports = json.loads(result.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    findings = []
    for report in reports:
        for failed in report.get("results", {}).get("failed_checks", []):
            findings.append(
                Finding(
                    "checkov", failed["check_id"], failed["resource"].split(".", 1)[-1], "Failed", failed["check_name"]
                )
            )
    return findings


def load_accepted(path: Path = ACCEPTED) -> list[dict]:
    """Accepted findings as flat entries: tool, check, resources ("*" or a list), reason."""
    document = yaml.safe_load(path.read_text())
    entries = []
    for tool, items in document.items():
        for item in items:
            if not str(item.get("reason", "")).strip():
                raise ValueError(f"{path.name}: {tool} {item.get('rule') or item.get('check')} has no reason")
            entries.append(
                {
                    "tool": tool,
                    "check": item.get("rule") or item.get("check"),
                    "resources": item["resources"],
                    "reason": item["reason"],
                }
            )
    return entries


def judge(findings: list[Finding], accepted: list[dict]) -> tuple[list[Finding], list[str]]:
    """(findings that fail the check, accepted entries that match nothing). cfn-lint errors are
    never accepted."""

    def accepts(entry: dict, finding: Finding) -> bool:
        return (
            entry["tool"] == finding.tool
            and entry["check"] == finding.check
            and (entry["resources"] == "*" or finding.resource in entry["resources"])
        )

    failing = [
        f for f in findings if (f.tool == "cfn-lint" and f.level == "Error") or not any(accepts(e, f) for e in accepted)
    ]
    stale = []
    for entry in accepted:
        matched = {f.resource for f in findings if accepts(entry, f)}
        if not matched:
            stale.append(f"{entry['tool']} {entry['check']}: matches no finding")
        elif entry["resources"] != "*":
            stale += [
                f"{entry['tool']} {entry['check']}: {r} has no such finding"
                for r in entry["resources"]
                if r not in matched
            ]
    return failing, stale


def main(arguments: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="clearance-lint-") as folder:
        template = Path(arguments[0]) if arguments else synthesize(Path(folder))
        findings = cfn_lint(template) + checkov(template)
    failing, stale = judge(findings, load_accepted())
    for finding in failing:
        print(f"NOT ACCEPTED  {finding.tool} {finding.check} {finding.level} on {finding.resource}: {finding.message}")
    for line in stale:
        print(f"STALE ENTRY   {line} (remove it from lint/accepted-findings.yaml)")
    errors = sum(1 for f in findings if f.tool == "cfn-lint" and f.level == "Error")
    print(
        f"lint-infra: cfn-lint {errors} errors; {len(findings)} findings, {len(findings) - len(failing)} accepted, "
        f"{len(failing)} not accepted, {len(stale)} stale acceptances"
    )
    return 1 if failing or stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
