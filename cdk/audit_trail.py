"""Audit trail: a CloudTrail trail that records every read and write of the upload and results buckets.

Who opened which criminal-history file, and when, is answered from this trail. Log-file integrity
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
            is_multi_region_trail=False,
            management_events=cloudtrail.ReadWriteType.WRITE_ONLY,
        )
        self.trail.add_s3_event_selector(
            [cloudtrail.S3EventSelector(bucket=bucket) for bucket in buckets],
            read_write_type=cloudtrail.ReadWriteType.ALL,
            include_management_events=False,  # management events: the selector above (writes only)
        )
