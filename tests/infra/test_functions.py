"""The Lambda functions: packaging, runtime settings, logs, dead letters, triggers, and least privilege."""

import pytest
from synth_support import render, role_permissions

from cdk.processing import FUNCTIONS

NAMES = [spec.name for spec in FUNCTIONS]


def friendly_names(synth):
    """Logical id -> short name, so permissions read like `<uploads.Arn>/incoming/*`."""
    stack, storage, pipeline = synth.stack, synth.stack.storage, synth.stack.pipeline
    names = {
        synth.logical_id(storage.uploads): "uploads",
        synth.logical_id(storage.results): "results",
        synth.logical_id(storage.table): "table",
        synth.logical_id(storage.key): "key",
        synth.logical_id(stack.notifications.topic): "topic",
        synth.logical_id(pipeline.state_machine): "machine",
        synth.logical_id(pipeline.dead_letters): "dlq",
    }
    for name in NAMES:
        names[synth.logical_id(pipeline.log_groups[name])] = "logs"
    return names


def functions_by_name(synth):
    pipeline = synth.stack.pipeline
    resources = synth.resources("AWS::Lambda::Function")
    return {name: resources[synth.logical_id(pipeline.functions[name])] for name in NAMES}


def test_every_handler_module_has_a_function(synthesized):
    functions = functions_by_name(synthesized)
    assert set(NAMES) == {
        "ingest",
        "resume_review",
        "notify",
        "validate",
        "split",
        "evaluate",
        "combine",
        "plan_documents",
        "render_batch",
        "assemble",
    }
    for name, function in functions.items():
        assert function["Properties"]["Handler"] == f"functions.{name}.handler"


@pytest.mark.parametrize("name", NAMES)
def test_function_runtime_tracing_logs_and_dead_letters(synthesized, name):
    props = functions_by_name(synthesized)[name]["Properties"]
    pipeline = synthesized.stack.pipeline
    spec = next(s for s in FUNCTIONS if s.name == name)
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["x86_64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_minutes * 60
    assert props["EphemeralStorage"] == {"Size": spec.ephemeral_mb}
    assert props["DeadLetterConfig"]["TargetArn"] == {
        "Fn::GetAtt": [synthesized.logical_id(pipeline.dead_letters), "Arn"]
    }
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": synthesized.logical_id(pipeline.log_groups[name])}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["KmsKeyArn"] == {"Fn::GetAtt": [synthesized.logical_id(synthesized.stack.storage.key), "Arn"]}
    env = props["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == "clearance-" + name.replace("_", "-")
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "ClearanceKit"
    # No templates folder is imposed: the filings use the run's rule pack's own templates (Illinois's
    # cite Illinois law), else the kit's, which the package carries where the code finds them.
    assert "CLEARANCE_TEMPLATES" not in env
    assert env["COUNTY"] == "SACRAMENTO"
    assert env["POLICY"] == "california"


def test_log_groups_have_retention_and_the_county_key(synthesized):
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    groups = synthesized.resources("AWS::Logs::LogGroup")
    assert len(groups) == len(NAMES) + 2  # functions, state machine, trail
    for group in groups.values():
        assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
        assert group["Properties"]["RetentionInDays"] in (365, 731)


def test_dead_letter_queue_is_encrypted_and_tls_only(synthesized):
    (queue,) = synthesized.resources("AWS::SQS::Queue").values()
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    assert queue["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
    (policy,) = synthesized.resources("AWS::SQS::QueuePolicy").values()
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_uploads_trigger_ingest_and_reviews_trigger_resume(synthesized):
    (notifications,) = synthesized.resources("Custom::S3BucketNotifications").values()
    props = notifications["Properties"]
    assert props["BucketName"] == {"Ref": synthesized.logical_id(synthesized.stack.storage.uploads)}
    routes = {
        c["Filter"]["Key"]["FilterRules"][0]["Value"]: c["LambdaFunctionArn"]["Fn::GetAtt"][0]
        for c in props["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    }
    functions = synthesized.stack.pipeline.functions
    assert routes == {
        "incoming/": synthesized.logical_id(functions["ingest"]),
        "reviews/": synthesized.logical_id(functions["resume_review"]),
    }
    for config in props["NotificationConfiguration"]["LambdaFunctionConfigurations"]:
        assert config["Events"] == ["s3:ObjectCreated:*"]
    # asynchronous invocations are retried twice, then go to the dead-letter queue
    configs = synthesized.resources("AWS::Lambda::EventInvokeConfig").values()
    assert {c["Properties"]["MaximumRetryAttempts"] for c in configs} == {2}


COMMON = {
    ("Allow", "logs:CreateLogStream", "<logs.Arn>"),
    ("Allow", "logs:CreateLogStream", "<logs.Arn>:*"),
    ("Allow", "logs:PutLogEvents", "<logs.Arn>"),
    ("Allow", "logs:PutLogEvents", "<logs.Arn>:*"),
    ("Allow", "xray:PutTraceSegments", "*"),
    ("Allow", "xray:PutTelemetryRecords", "*"),
    ("Allow", "sqs:SendMessage", "<dlq.Arn>"),
    ("Allow", "kms:Decrypt", "<key.Arn>"),  # environment variables and the dead-letter queue
    ("Allow", "kms:GenerateDataKey", "<key.Arn>"),
}


def reads(bucket, pattern):
    return {
        ("Allow", "s3:GetObject", f"<{bucket}.Arn>/{pattern}"),
        ("Allow", "s3:GetObjectVersion", f"<{bucket}.Arn>/{pattern}"),
    }


def writes(bucket, pattern):
    return {("Allow", "s3:PutObject", f"<{bucket}.Arn>/{pattern}"), ("Allow", "kms:GenerateDataKey", "<key.Arn>")}


LISTS = {("Allow", "s3:ListBucket", "<results.Arn>")}
TABLE = {
    ("Allow", a, "<table.Arn>")
    for a in ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
} | {("Allow", "kms:DescribeKey", "<key.Arn>"), ("Allow", "kms:Encrypt", "<key.Arn>")}
PUBLISH = {("Allow", "sns:Publish", "<topic>"), ("Allow", "kms:GenerateDataKey", "<key.Arn>")}

#: Exactly what each function may do beyond logging, tracing and its dead-letter queue. Each grant is
#: one the access-checked end-to-end run (tests/e2e/access_check.py) needs; the earlier sets lacked
#: evaluate's listing of its shard and split's data-issues report, and gave render_batch, combine and
#: assemble reads, lists and writes they never make.
EXPECTED = {
    "ingest": TABLE
    | {("Allow", "states:StartExecution", "<machine>"), ("Allow", "s3:ListBucketVersions", "<uploads.Arn>")},
    "resume_review": TABLE
    | PUBLISH
    | {
        ("Allow", "states:SendTaskSuccess", "*"),
        (
            "Allow",
            "states:DescribeExecution",
            "arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<machine.Name>:*",
        ),
    },
    "notify": TABLE
    | PUBLISH
    | reads("results", "runs/*/data_issues.csv")
    | reads("results", "runs/*/manifest.json")
    | writes("results", "runs/*/STATUS.json"),
    "validate": reads("uploads", "incoming/*") | writes("results", "runs/*/data_issues.csv"),
    "split": reads("uploads", "incoming/*") | writes("results", "work/*") | writes("results", "runs/*/data_issues.csv"),
    "evaluate": reads("results", "work/*") | LISTS | writes("results", "work/*"),
    "combine": reads("results", "work/*") | LISTS | writes("results", "runs/*"),
    "plan_documents": reads("results", "runs/*")
    | reads("uploads", "reviews/*")
    | writes("results", "runs/*/review-problems.csv")
    | writes("results", "work/*")
    | LISTS
    | {("Allow", "s3:DeleteObject", "<results.Arn>/work/*")},
    "render_batch": reads("results", "work/*") | writes("results", "work/*"),
    "assemble": reads("results", "work/*") | LISTS | writes("results", "runs/*"),
}


def role_statements(synth, name):
    role = synth.logical_id(synth.stack.pipeline.functions[name].role)
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


@pytest.mark.parametrize("name", NAMES)
def test_the_county_key_is_used_only_through_the_services_that_need_it(synthesized, name):
    """No function may call KMS directly: each key grant names the service (kms:ViaService)."""
    kms = [
        s
        for s in role_statements(synthesized, name)
        if any(a.startswith("kms:") for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]]))
    ]
    assert kms
    services = set()
    for statement in kms:
        (via,) = statement["Condition"]["StringEquals"].values()
        services.add(render(via).split(".")[0])
    expected = (
        {"sqs", "lambda"}
        | ({"s3"} if name not in ("ingest", "resume_review") else set())
        | ({"dynamodb"} if name in ("ingest", "notify", "resume_review") else set())
        | ({"sns"} if name in ("notify", "resume_review") else set())
    )
    assert services == expected


@pytest.mark.parametrize("name", NAMES)
def test_each_function_role_is_least_privilege(synthesized, name):
    role = synthesized.stack.pipeline.functions[name].role
    granted = role_permissions(synthesized, synthesized.logical_id(role), friendly_names(synthesized))
    assert granted == COMMON | EXPECTED[name]
    roles = synthesized.resources("AWS::IAM::Role")
    assert roles[synthesized.logical_id(role)]["Properties"].get("ManagedPolicyArns") is None


def test_listing_is_limited_to_intermediate_files(synthesized):
    for name in ("evaluate", "combine", "plan_documents", "assemble"):
        role = synthesized.logical_id(synthesized.stack.pipeline.functions[name].role)
        statements = [
            s
            for p in synthesized.resources("AWS::IAM::Policy").values()
            if {"Ref": role} in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
            if s["Action"] == "s3:ListBucket"
        ]
        assert [s["Condition"] for s in statements] == [{"StringLike": {"s3:prefix": ["work/*"]}}]


def test_ingest_lists_only_delivery_folders_and_reads_no_file(synthesized):
    role = synthesized.logical_id(synthesized.stack.pipeline.functions["ingest"].role)
    statements = [
        s
        for p in synthesized.resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if str(s["Action"]).startswith("s3:")
    ]
    assert [(s["Action"], s["Condition"]) for s in statements] == [
        ("s3:ListBucketVersions", {"StringLike": {"s3:prefix": ["incoming/*"]}})
    ]


def test_ingest_knows_the_state_machine_and_nothing_reads_uploads_back_to_staff(synthesized):
    functions = functions_by_name(synthesized)
    env = functions["ingest"]["Properties"]["Environment"]["Variables"]
    assert env["STATE_MACHINE_ARN"] == {"Ref": synthesized.logical_id(synthesized.stack.pipeline.state_machine)}
    assert render(env["UPLOAD_BUCKET"]) == f"<{synthesized.logical_id(synthesized.stack.storage.uploads)}>"
