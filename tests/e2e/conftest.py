"""The end-to-end tests synthesize the county stack once per session (as `cdk synth` would, with an
office profile for the county) and deploy it into a fresh moto account for each test."""

import os
from pathlib import Path

import pytest
import yaml

from tests.e2e.aws_support import REPO_ROOT, base_environment
from tests.e2e.cloud_harness import deployed
from tests.infra.synth_support import synthesize

COUNTY = "SACRAMENTO"


@pytest.fixture(scope="session")
def office_profile_file(tmp_path_factory) -> Path:
    profile = yaml.safe_load((REPO_ROOT / "templates" / "office-profile.example.yaml").read_text())
    profile["county"] = COUNTY
    path = tmp_path_factory.mktemp("profile") / "office-profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


@pytest.fixture(scope="session")
def synthesized_stack(office_profile_file):
    # Small shards, so that a 1,500-row file gives the Distributed Map several items.
    synth = synthesize(county=COUNTY, officeProfile=str(office_profile_file), maxConcurrency="4", rowsPerShard="400")
    assert synth.error is None, synth.error
    return synth


@pytest.fixture
def stack(synthesized_stack, monkeypatch, tmp_path):
    for key, value in base_environment().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("CLEARANCE_SCRATCH", str(tmp_path))
    with deployed(synthesized_stack.template, synthesized_stack.outdir) as deployed_stack:
        deployed_stack.access.enforce = os.environ.get("CLEARANCE_ACCESS_RECORD_ONLY") != "1"
        yield deployed_stack
    # Every AWS call of the run was checked against the template's IAM policies: none may be denied.
    access = deployed_stack.access
    assert not access.denials and not access.problems, "calls IAM would refuse:\n" + access.report()
