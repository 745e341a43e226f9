"""Storage and keys: the KMS key, the buckets and the run registry, as synthesized."""

from synth_support import render


def bucket_ids(synth):
    s = synth.stack.storage
    return {
        "uploads": synth.logical_id(s.uploads),
        "results": synth.logical_id(s.results),
        "access_logs": synth.logical_id(s.access_logs),
        "trail": synth.logical_id(synth.stack.audit_trail.bucket),
    }


def test_customer_managed_key_rotates_and_is_retained(synthesized):
    ((key_id, key),) = synthesized.resources("AWS::KMS::Key").items()
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key["DeletionPolicy"] == "Retain" and key["UpdateReplacePolicy"] == "Retain"
    aliases = synthesized.resources("AWS::KMS::Alias")
    assert [a["Properties"]["AliasName"] for a in aliases.values()] == ["alias/clearance-sacramento"]
    services = {
        render(s["Principal"].get("Service", ""))
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if isinstance(s["Principal"], dict) and "Service" in s["Principal"]
    }
    assert services == {"logs.<AWS::Region>.amazonaws.com", "cloudwatch.amazonaws.com", "cloudtrail.amazonaws.com"}


def test_every_bucket_is_private_tls_only_versioned_owner_enforced_and_retained(synthesized):
    buckets = synthesized.resources("AWS::S3::Bucket")
    assert set(buckets) == set(bucket_ids(synthesized).values())
    policies = {render(p["Properties"]["Bucket"]): p for p in synthesized.resources("AWS::S3::BucketPolicy").values()}
    for logical_id, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        assert bucket["DeletionPolicy"] == "Retain"
        tls = [
            s
            for s in policies[f"<{logical_id}>"]["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert tls and tls[0]["Action"] == "s3:*"


def test_data_buckets_use_the_county_key_and_log_access(synthesized):
    ids = bucket_ids(synthesized)
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    buckets = synthesized.resources("AWS::S3::Bucket")
    for name in ("uploads", "results", "trail"):
        props = buckets[ids[name]]["Properties"]
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"] == {
            "SSEAlgorithm": "aws:kms",
            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
        }
        assert rule["BucketKeyEnabled"] is True
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": ids["access_logs"]}
    # S3 cannot deliver server-access logs into a KMS-encrypted bucket: the log bucket uses SSE-S3.
    (rule,) = buckets[ids["access_logs"]]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def lifecycle(synth, name):
    ids = (
        bucket_ids(synth)
        if synth.stack.audit_trail
        else {
            "uploads": synth.logical_id(synth.stack.storage.uploads),
            "results": synth.logical_id(synth.stack.storage.results),
        }
    )
    rules = synth.resources("AWS::S3::Bucket")[ids[name]]["Properties"]["LifecycleConfiguration"]["Rules"]
    return {r["Id"]: r for r in rules}


def test_lifecycle_rules_expire_old_versions_retention_and_intermediate_files(synthesized, synthesized_without_trail):
    for name in ("uploads", "results"):
        rules = lifecycle(synthesized, name)
        assert rules["expire-old-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
        assert rules["expire-old-versions"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
        assert rules["expire-after-retention"]["ExpirationInDays"] == 365
        assert "Prefix" not in rules["expire-after-retention"]
        assert lifecycle(synthesized_without_trail, name)["expire-after-retention"]["ExpirationInDays"] == 90
    work = lifecycle(synthesized, "results")["expire-intermediate-files"]
    assert work["Prefix"] == "work/" and work["ExpirationInDays"] == 30
    assert "expire-intermediate-files" not in lifecycle(synthesized, "uploads")


def test_registry_table_is_encrypted_recoverable_and_expires_records(synthesized):
    (key_id,) = synthesized.resources("AWS::KMS::Key")
    (table,) = synthesized.resources("AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["DeletionProtectionEnabled"] is True and table["DeletionPolicy"] == "Retain"
