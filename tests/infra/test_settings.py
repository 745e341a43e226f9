"""The county's deployment settings: defaults from cdk.json, command-line strings, refusals."""

import pytest
from cdk.app import default_context
from cdk.settings import PREFIX, DeploymentSettings, SettingsError


def settings_from(**values):
    context = {**default_context(), **{PREFIX + k: v for k, v in values.items()}}
    return DeploymentSettings.from_context(context.get)


def test_cdk_json_defaults_are_a_complete_valid_configuration():
    settings = settings_from()
    assert settings.county == "SACRAMENTO"
    assert settings.policy == "california"
    assert settings.audit_trail is True
    assert settings.retention_days == 365
    assert settings.per_case_documents is False
    assert settings.lambda_bundling == "pip"
    # every setting has a default in cdk.json, so a county sees all its choices in one place
    keys = {k.removeprefix(PREFIX) for k in default_context() if k.startswith(PREFIX)}
    assert keys == {f.alias or name for name, f in DeploymentSettings.model_fields.items()}


def test_command_line_strings_are_converted():
    settings = settings_from(
        county="LOS ANGELES",
        notificationEmails="a@da.lacounty.gov, b@da.lacounty.gov",
        auditTrail="false",
        perCaseDocuments="true",
        retentionDays="90",
        rowsPerShard="100000",
    )
    assert settings.notification_emails == ("a@da.lacounty.gov", "b@da.lacounty.gov")
    assert settings.audit_trail is False and settings.per_case_documents is True
    assert settings.retention_days == 90 and settings.rows_per_shard == 100_000
    assert settings.slug == "los-angeles"


@pytest.mark.parametrize(
    "key, value, fragment",
    [
        ("county", "Los Angeles", "upper case"),
        ("county", "", "upper case"),
        ("notificationEmails", "not-an-address", "invalid address"),
        ("reviewTimeoutDays", "400", "at most 360"),
        ("rowsPerShard", "0", "clearance:rowsPerShard must be at least 1"),
        ("evaluationDate", "07/01/2020", "YYYY-MM-DD"),
        ("policy", "policies/missing.yaml", "clearance:policy names a file that does not exist"),
        ("lambdaBundling", "docker", "lambdaBundling"),
    ],
)
def test_bad_values_are_refused_naming_the_key(key, value, fragment):
    with pytest.raises(SettingsError) as raised:
        settings_from(**{key: value})
    assert fragment in str(raised.value)


def test_retention_zero_means_keep_and_is_allowed():
    assert settings_from(retentionDays=0).retention_days == 0


def test_a_policy_file_is_packaged_and_a_preset_is_not(tmp_path):
    assert settings_from(policy="los-angeles-2020").policy_file is None
    policy = "blueprint/rules/california/prop64/presets/los-angeles-2020.yaml"  # a valid policy file
    settings = settings_from(policy=policy)
    assert settings.policy_file is not None and settings.policy_file.name == "los-angeles-2020.yaml"
    with pytest.raises(SettingsError, match=r"^clearance:policy pyproject.toml is not a valid policy: "):
        settings_from(policy="pyproject.toml")  # a file, but not a policy


def test_an_office_profile_for_another_county_is_refused_at_synthesis():
    import yaml
    from synth_support import synthesize

    from cdk.settings import REPO_ROOT

    profile = yaml.safe_load((REPO_ROOT / "templates" / "office-profile.example.yaml").read_text())
    assert profile["county"] != "SACRAMENTO"
    relative = "templates/office-profile.example.yaml"
    with pytest.raises(ValueError, match="is for county"):
        synthesize(officeProfile=relative)


def test_a_missing_office_profile_is_a_synthesis_warning(synthesized):
    import json

    # CDK writes a stack's annotations to <stack>.metadata.json in the cloud assembly.
    metadata = json.loads((synthesized.outdir / f"{synthesized.stack.stack_name}.metadata.json").read_text())
    warnings = [
        entry["data"] for entries in metadata.values() for entry in entries if entry["type"] == "aws:cdk:warning"
    ]
    assert any("clearance:officeProfile" in str(w) for w in warnings)


# -- what a county meets when it synthesizes: one line per problem, no traceback ---------------------


def cdk_synth(*settings: str, env: dict | None = None):
    """``python cdk/app.py key=value ...`` as ``make synth`` runs it (cdk.json's context, then these)."""
    import os
    import subprocess
    import sys
    import tempfile

    from cdk.settings import REPO_ROOT

    with tempfile.TemporaryDirectory() as outdir:
        result = subprocess.run(
            [sys.executable, "cdk/app.py", *settings],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "CDK_OUTDIR": outdir, **(env or {})},
        )
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert "Traceback" not in result.stderr, result.stderr
    return result, errors


def test_unknown_keys_presets_and_bad_values_stop_synthesis_one_line_each():
    result, errors = cdk_synth(
        "clearance:lambdaBundling=source",
        "clearance:notificationEmail=da-clearance@example.gov",  # the real key is plural
        "clearance:Policy=california",
        "clearance:policy=californa",
        "clearance:retentionDays=a year",
        "clearance:auditTrail=maybe",
        "clearance:lambdaBundling=docker",
    )
    assert result.returncode == 1
    assert errors == [
        "error: clearance:Policy is not a setting of the kit, so its value would be ignored; did you mean "
        "clearance:policy?",
        "error: clearance:notificationEmail is not a setting of the kit, so its value would be ignored; did you mean "
        "clearance:notificationEmails?",
        "error: clearance:policy 'californa' is not a built-in preset (allowed: california, los-angeles-2020) nor a "
        "path to a policy file; did you mean california?",
        "error: clearance:retentionDays must be a whole number, got 'a year'",
        "error: clearance:auditTrail must be true or false, got 'maybe'",
        "error: clearance:lambdaBundling input should be 'pip' or 'source', got 'docker'",
    ]
    assert "Nothing was synthesized" in result.stderr


def test_a_deployable_build_needs_addresses_and_a_profile_unless_waived():
    """What `cdk deploy` builds (lambdaBundling pip) stops before any packaging when nobody would be told of a
    run and no office profile is set."""
    result, errors = cdk_synth("clearance:lambdaBundling=pip")
    assert result.returncode == 1
    assert [e.split(" ")[1] for e in errors] == ["clearance:notificationEmails", "clearance:officeProfile"]
    assert "set clearance:allowNoNotifications=true to deploy without notifications on purpose" in errors[0]
    assert "set clearance:allowNoOfficeProfile=true to deploy without one for now" in errors[1]

    deployable = dict(lambdaBundling="pip")
    with pytest.raises(SettingsError) as refused:
        DeploymentSettings.from_context(
            {**default_context(), **{PREFIX + k: v for k, v in deployable.items()}}.get, deployable=True
        )
    assert len(refused.value.problems) == 2
    waived = {**default_context(), PREFIX + "allowNoNotifications": "true", PREFIX + "allowNoOfficeProfile": "true"}
    settings = DeploymentSettings.from_context(waived.get, waived, deployable=True)
    assert settings.allow_no_notifications and settings.allow_no_office_profile
    named = {
        **default_context(),
        PREFIX + "notificationEmails": "da@example.gov",
        PREFIX + "county": "EXAMPLE",
        PREFIX + "officeProfile": "templates/office-profile.example.yaml",
    }
    assert DeploymentSettings.from_context(named.get, named, deployable=True).notification_emails == ("da@example.gov",)


def test_a_source_build_for_offline_checks_only_warns():
    """`make synth` (lambdaBundling source, never deployed) still synthesizes without addresses or profile."""
    context = {**default_context(), PREFIX + "lambdaBundling": "source"}
    settings = DeploymentSettings.from_context(context.get, context, deployable=True)
    assert settings.notification_emails == () and settings.office_profile == ""


def test_fips_endpoints_are_opt_in_and_reach_every_function():
    from synth_support import synthesize

    assert settings_from().fips_endpoints is False
    assert settings_from(fipsEndpoints="true").fips_endpoints is True
    synth = synthesize(fipsEndpoints="true", region="us-gov-west-1", account="111122223333")
    assert synth.error is None, synth.error
    functions = [
        f
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].startswith("functions.")
    ]
    assert len(functions) == 10
    assert {f["Properties"]["Environment"]["Variables"].get("AWS_USE_FIPS_ENDPOINT") for f in functions} == {"true"}


def test_the_fips_variable_makes_boto3_use_fips_endpoints(monkeypatch):
    import boto3

    # (In GovCloud, SNS's and Step Functions' standard endpoints are the FIPS ones; S3's is not.)
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    for region, service in (
        ("us-west-2", "s3"),
        ("us-west-2", "dynamodb"),
        ("us-west-2", "sns"),
        ("us-west-2", "stepfunctions"),
        ("us-gov-west-1", "s3"),
        ("us-gov-west-1", "dynamodb"),
    ):
        endpoint = boto3.client(
            service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x"
        ).meta.endpoint_url
        assert "-fips." in endpoint, (service, endpoint)


def test_functions_use_standard_endpoints_unless_fips_is_chosen(synthesized):
    functions = [
        f
        for f in synthesized.resources("AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].startswith("functions.")
    ]
    assert all("AWS_USE_FIPS_ENDPOINT" not in f["Properties"]["Environment"]["Variables"] for f in functions)


def test_the_time_zone_comes_from_the_rule_pack_unless_the_county_sets_one():
    assert settings_from().run_time_zone == "America/Los_Angeles"  # the California pack's time_zone
    assert settings_from(timeZone="America/Chicago").run_time_zone == "America/Chicago"
    with pytest.raises(SettingsError, match="clearance:timeZone 'Pacific/Nowhere' is not an IANA time zone"):
        settings_from(timeZone="Pacific/Nowhere")
