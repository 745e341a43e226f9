"""One synthesis per configuration for the whole test session (synthesis takes seconds)."""

import pytest
from synth_support import synthesize


@pytest.fixture(scope="session")
def synthesized():
    """The stack with cdk.json's defaults (audit trail on), two notification addresses."""
    return synthesize()


@pytest.fixture(scope="session")
def synthesized_without_trail():
    """A county that already has an organisation trail, keeps data 90 days, fixes its evaluation date,
    and synthesizes with credentials (a concrete account and region, as `cdk deploy` does)."""
    return synthesize(
        account="111122223333",
        region="us-west-2",
        county="LOS ANGELES",
        auditTrail="false",
        retentionDays="90",
        evaluationDate="2020-07-01",
        notificationEmails="",
    )
