"""Audit trail: a CloudTrail trail that records every read and write of the upload and results
buckets, and every use of the county key.

Who opened which criminal-history file, and when, is answered from this trail: S3 data events (reads
and writes) of the two data buckets, and management events, read and write, in every region. KMS
records each use of a key (Decrypt, GenerateDataKey: "read" management events) as a management
event; CloudTrail cannot select management events by key, so all read events are kept, which
includes every use of the county key. Log-file integrity
validation is on, the files are encrypted with the county's key, kept in their own bucket (access
logged, retained) and also delivered to an encrypted CloudWatch Logs group for searching. Counties
whose AWS organisation already runs a trail with S3 data events switch this construct off with
``clearance:auditTrail=false``.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .processing import log_retention
from .settings import DeploymentSettings
from .storage import protected_bucket


class AuditTrail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        key: kms.Key,
        buckets: list[s3.IBucket],
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        trail_arn = f"arn:{stack.partition}:cloudtrail:{stack.region}:{stack.account}:trail/*"
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailToEncryptLogFiles",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arn},
                    "StringEquals": {"aws:SourceAccount": stack.account},
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudTrailToDescribeKey",
                principals=[iam.ServicePrincipal("cloudtrail.amazonaws.com")],
                actions=["kms:DescribeKey"],
                resources=["*"],
            )
        )

        self.bucket = protected_bucket(
            self,
            "TrailFiles",
            key=key,
            access_logs=access_logs,
            log_prefix="trail/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-trail-files",
                    expiration=Duration.days(settings.access_log_retention_days),
                    noncurrent_version_expiration=Duration.days(settings.noncurrent_version_days),
                )
            ],
        )
        self.log_group = logs.LogGroup(
            self,
            "TrailLogs",
            retention=log_retention(settings.access_log_retention_days),
            encryption_key=key,
        )
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            bucket=self.bucket,
            encryption_key=key,
            enable_file_validation=True,
            send_to_cloud_watch_logs=True,
            cloud_watch_log_group=self.log_group,
            include_global_service_events=True,
            # A trail in one region misses activity elsewhere (someone using the county's
            # credentials from another region, global services).
            is_multi_region_trail=True,
        )
        # Advanced event selectors (CDK's Trail writes only basic ones): management events, read and
        # write (KMS key use is a read event), and S3 data events of the two data buckets.
        trail = self.trail.node.default_child
        trail.add_property_override(
            "AdvancedEventSelectors",
            [
                {
                    "Name": "Management events, read and write, including every use of the county key",
                    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
                },
                {
                    "Name": "Reads and writes of objects in the upload and results buckets",
                    "FieldSelectors": [
                        {"Field": "eventCategory", "Equals": ["Data"]},
                        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        {"Field": "resources.ARN", "StartsWith": [bucket.arn_for_objects("") for bucket in buckets]},
                    ],
                },
            ],
        )
        trail.add_property_deletion_override("EventSelectors")
