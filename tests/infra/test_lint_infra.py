"""The rules of make lint-infra (lint/lint_infra.py): cfn-lint errors always fail, every other
finding must be accepted with a reason, and an acceptance that matches nothing fails too."""

import sys

from cdk.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "lint"))
from lint_infra import Finding, judge, load_accepted  # noqa: E402

ACCEPTED = [
    {"tool": "checkov", "check": "CKV_AWS_117", "resources": ["FnA", "FnB"], "reason": "no VPC, see docs"},
    {"tool": "cfn-lint", "check": "W3005", "resources": "*", "reason": "CDK's DependsOn"},
]


def finding(tool, check, resource, level="Failed"):
    return Finding(tool, check, resource, level, "message")


def test_accepted_findings_pass_and_others_fail():
    findings = [
        finding("checkov", "CKV_AWS_117", "FnA"),
        finding("checkov", "CKV_AWS_117", "FnB"),
        finding("cfn-lint", "W3005", "Anything", "Warning"),
        finding("checkov", "CKV_AWS_117", "FnC"),
        finding("checkov", "CKV_AWS_18", "FnA"),
    ]
    failing, stale = judge(findings, ACCEPTED)
    assert failing == [findings[3], findings[4]] and stale == []


def test_a_cfn_lint_error_is_never_accepted():
    error = finding("cfn-lint", "W3005", "Fn", "Error")
    assert judge([error, finding("checkov", "CKV_AWS_117", "FnA"), finding("checkov", "CKV_AWS_117", "FnB")], ACCEPTED)[
        0
    ] == [error]


def test_an_acceptance_that_matches_nothing_is_stale():
    failing, stale = judge([finding("checkov", "CKV_AWS_117", "FnA")], ACCEPTED)
    assert failing == []
    assert stale == ["checkov CKV_AWS_117: FnB has no such finding", "cfn-lint W3005: matches no finding"]


def test_the_repositorys_list_gives_a_reason_for_every_entry():
    entries = load_accepted()
    assert entries and all(len(e["reason"]) > 60 for e in entries)
    assert {e["tool"] for e in entries} == {"cfn-lint", "checkov"}
