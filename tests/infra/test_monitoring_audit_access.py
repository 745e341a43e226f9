"""Notifications, alarms, dashboard, audit trail and the office's staff policy, as synthesized."""

from synth_support import render


def test_topic_is_encrypted_tls_only_with_the_configured_subscriptions(synthesized, synthesized_without_trail):
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    ((topic_id, topic),) = synthesized.resources("AWS::SNS::Topic").items()
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    subscriptions = synthesized.resources("AWS::SNS::Subscription").values()
    assert sorted(s["Properties"]["Endpoint"] for s in subscriptions) == [
        "da-clearance@example.gov",
        "records-it@example.gov",
    ]
    assert {s["Properties"]["Protocol"] for s in subscriptions} == {"email"}
    (policy,) = synthesized.resources("AWS::SNS::TopicPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )
    assert synthesized_without_trail.resources("AWS::SNS::Subscription") == {}


def alarms_by_metric(synth):
    out = {}
    for alarm in synth.resources("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        dimensions = {d["Name"]: render(d["Value"]) for d in props.get("Dimensions", [])}
        out.setdefault((props["Namespace"], props["MetricName"]), []).append((dimensions, props))
    return out


def test_alarms_cover_failed_runs_function_errors_throttles_and_dead_letters(synthesized):
    alarms = alarms_by_metric(synthesized)
    machine = synthesized.logical_id(synthesized.stack.pipeline.state_machine)
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"):
        ((dimensions, _),) = alarms[("AWS/States", metric)]
        assert dimensions == {"StateMachineArn": f"<{machine}>"}
    functions = {f"<{synthesized.logical_id(f)}>" for f in synthesized.stack.pipeline.functions.values()}
    for metric in ("Errors", "Throttles"):
        assert {d["FunctionName"] for d, _ in alarms[("AWS/Lambda", metric)]} == functions
    ((dimensions, _),) = alarms[("AWS/SQS", "ApproximateNumberOfMessagesVisible")]
    assert dimensions == {"QueueName": f"<{synthesized.logical_id(synthesized.stack.pipeline.dead_letters)}.QueueName>"}
    topic = {"Ref": synthesized.logical_id(synthesized.stack.notifications.topic)}
    for entries in alarms.values():
        for _, props in entries:
            assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic]
            assert props["Threshold"] == 1 and props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
            assert props["TreatMissingData"] == "notBreaching"
            assert "docs/operations.md" in props["AlarmDescription"]


def test_dashboard_shows_runs_pipeline_figures_and_alarms(synthesized):
    (dashboard,) = synthesized.resources("AWS::CloudWatch::Dashboard").values()
    body = render(dashboard["Properties"]["DashboardBody"])
    assert dashboard["Properties"]["DashboardName"] == "clearance-sacramento"
    for text in (
        '"title":"Runs"',
        "ExecutionsFailed",
        "ClearanceKit",
        "RowsRead",
        "ConvictionsEvaluated",
        "DocumentsRendered",
        "DataIssuesFound",
        "ApproximateNumberOfMessagesVisible",
        '"type":"alarm"',
    ):
        assert text in body, text


def test_audit_trail_records_data_events_on_both_buckets_and_key_use_in_every_region(synthesized):
    (trail,) = synthesized.resources("AWS::CloudTrail::Trail").values()
    props = trail["Properties"]
    storage = synthesized.stack.storage
    assert props["EnableLogFileValidation"] is True and props["IsLogging"] is True
    assert props["KMSKeyId"] == {"Fn::GetAtt": [synthesized.logical_id(storage.key), "Arn"]}
    assert props["S3BucketName"] == {"Ref": synthesized.logical_id(synthesized.stack.audit_trail.bucket)}
    assert "CloudWatchLogsLogGroupArn" in props
    # every region, and global services (a trail in one region misses activity elsewhere)
    assert props["IsMultiRegionTrail"] is True and props["IncludeGlobalServiceEvents"] is True
    assert "EventSelectors" not in props  # a trail has basic or advanced selectors, never both
    management, data = props["AdvancedEventSelectors"]
    # All management events, read ones included: KMS logs each Decrypt/GenerateDataKey of the county
    # key as a read management event (before, the trail kept write events only).
    assert management["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    fields = {f["Field"]: f for f in data["FieldSelectors"]}
    assert fields["eventCategory"] == {"Field": "eventCategory", "Equals": ["Data"]}
    assert fields["resources.type"] == {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
    assert "readOnly" not in fields  # reads and writes
    assert sorted(render(v) for v in fields["resources.ARN"]["StartsWith"]) == sorted(
        f"<{synthesized.logical_id(b)}.Arn>/" for b in (storage.uploads, storage.results)
    )


def test_audit_trail_can_be_switched_off(synthesized_without_trail):
    assert synthesized_without_trail.resources("AWS::CloudTrail::Trail") == {}
    assert len(synthesized_without_trail.resources("AWS::S3::Bucket")) == 3
    assert synthesized_without_trail.stack.stack_name == "ClearanceKit-los-angeles"


def test_staff_policy_allows_uploads_and_reading_results_only(synthesized):
    storage = synthesized.stack.storage
    names = {
        synthesized.logical_id(storage.uploads): "uploads",
        synthesized.logical_id(storage.results): "results",
        synthesized.logical_id(storage.key): "key",
    }
    policy_id = synthesized.logical_id(synthesized.stack.access.policy)
    (policy,) = [p for k, p in synthesized.resources("AWS::IAM::ManagedPolicy").items() if k == policy_id]
    granted = set()
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        granted |= {
            (statement["Effect"], a, render(r, names), repr(statement.get("Condition")))
            for a in actions
            for r in resources
        }
    assert {(e, a, r) for e, a, r, _ in granted} == {
        ("Allow", "s3:PutObject", "<uploads.Arn>/incoming/*"),
        ("Allow", "s3:PutObject", "<uploads.Arn>/reviews/*"),
        ("Allow", "s3:ListBucket", "<results.Arn>"),
        ("Allow", "s3:GetObject", "<results.Arn>/runs/*"),
        ("Allow", "s3:GetObjectVersion", "<results.Arn>/runs/*"),
        ("Allow", "kms:GenerateDataKey", "<key.Arn>"),
        ("Allow", "kms:Decrypt", "<key.Arn>"),
    }
    conditions = {a: c for _, a, _, c in granted}
    assert "runs/*" in conditions["s3:ListBucket"]
    assert (
        "kms:ViaService" in conditions["kms:Decrypt"] and "'s3.', {'Ref': 'AWS::Region'}" in conditions["kms:Decrypt"]
    )
    # not attached to anyone by the stack: the county attaches it to the office's staff role
    for key in ("Roles", "Users", "Groups"):
        assert key not in policy["Properties"]


def test_outputs_tell_it_what_to_hand_to_the_office(synthesized):
    outputs = synthesized.template["Outputs"]
    for name in (
        "UploadBucket",
        "ResultsBucket",
        "StaffPolicyArn",
        "StateMachineArn",
        "NotificationTopicArn",
        "DashboardName",
    ):
        assert name in outputs


def alarm_publish_requests(synth, *, account="111122223333", region="us-west-2"):
    """For every alarm action: (alarm, decision to publish to the topic, decisions to use its key)."""
    from tests.e2e.access_check import PhysicalIds, TemplatePolicies

    physical = PhysicalIds(synth.template, region, account)
    policies = TemplatePolicies(synth.template, physical)
    out = []
    for logical_id, alarm in synth.resources("AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        alarm_arn = physical.attributes[(logical_id, "Arn")]
        context = {"aws:SourceAccount": account, "aws:SourceArn": alarm_arn, "aws:SecureTransport": "true"}
        for action in props["AlarmActions"] + props["OKActions"]:
            topic = physical.resolve(action)
            key = policies.topic_keys[topic]
            publish = policies.decide("service:cloudwatch.amazonaws.com", "sns:Publish", topic, context, [])
            keys = [
                policies.decide("service:cloudwatch.amazonaws.com", a, key, context, [])
                for a in ("kms:GenerateDataKey", "kms:Decrypt")
            ]
            out.append((props["AlarmName"], topic, publish, keys))
    return out


def test_every_alarm_can_publish_to_the_encrypted_topic(synthesized, synthesized_without_trail):
    """The topic policy lets CloudWatch publish for this stack's alarms, and the key policy lets it
    use the county key for the encrypted topic; without both, an alarm e-mails nobody."""
    for synth in (synthesized, synthesized_without_trail):
        requests = alarm_publish_requests(synth)
        assert len(requests) == 2 * len(synth.resources("AWS::CloudWatch::Alarm")) > 0
        for name, _, publish, keys in requests:
            assert name.startswith(f"clearance-{synth.stack.settings.slug}-")
            assert publish.allowed, (name, publish.reason)
            assert all(k.allowed for k in keys), (name, [k.reason for k in keys])


def test_only_this_accounts_alarms_of_this_stack_may_publish(synthesized):
    from tests.e2e.access_check import PhysicalIds, TemplatePolicies

    physical = PhysicalIds(synthesized.template, "us-west-2", "111122223333")
    policies = TemplatePolicies(synthesized.template, physical)
    (topic_id,) = synthesized.resources("AWS::SNS::Topic")
    topic = physical.refs[topic_id]
    others = [
        ("111122223333", "arn:aws:cloudwatch:us-west-2:111122223333:alarm:someone-elses-alarm"),
        ("999999999999", "arn:aws:cloudwatch:us-west-2:999999999999:alarm:clearance-sacramento-RunsFailed"),
    ]
    for account, alarm in others:
        context = {"aws:SourceAccount": account, "aws:SourceArn": alarm, "aws:SecureTransport": "true"}
        assert not policies.decide("service:cloudwatch.amazonaws.com", "sns:Publish", topic, context, []).allowed, alarm
