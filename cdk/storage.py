"""Storage and keys: the customer-managed KMS key, the three buckets and the run registry table.

* **Upload bucket**: staff put the DOJ file under ``incoming/`` and the reviewed workbook (or an
  ``APPROVE_ALL`` marker) under ``reviews/<run id>/``. The pipeline only ever reads from it.
* **Results bucket**: ``runs/<run id>/`` holds what the office reads (review outputs, then filings,
  and ``STATUS.json``); ``work/<run id>/`` holds the pipeline's intermediate files (shards, batches).
* **Access-log bucket**: S3 server-access logs of the two data buckets (and of the trail bucket).

All three block public access, refuse plain HTTP, are versioned, enforce bucket-owner object
ownership and are kept when the stack is deleted (they hold criminal-history data and its audit
record: deleting them is a decision for people, not for `cdk destroy`). The data buckets are
encrypted with the county's key. The access-log bucket uses S3-managed keys because S3 cannot
deliver server-access logs to a bucket whose default encryption is KMS.

The DynamoDB table (encrypted with the key, point-in-time recovery on) holds the run registry
(``run#<id>`` items: status, execution, review task token), and Powertools idempotency records of
the ingest function; expired records go by TTL on ``expiration``.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .settings import DeploymentSettings

INCOMING_PREFIX = "incoming/"
REVIEWS_PREFIX = "reviews/"
RUNS_PREFIX = "runs/"
WORK_PREFIX = "work/"


class Storage(Construct):
    """The county's key, buckets and run registry."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.key = kms.Key(
            self,
            "Key",
            description=f"Clearance kit ({settings.county}): encrypts criminal-history data, logs, queue and topic",
            enable_key_rotation=True,
            alias=f"alias/clearance-{settings.slug}",
            removal_policy=RemovalPolicy.RETAIN,
        )
        # CloudWatch Logs encrypts the functions' and the state machine's log groups with the key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchLogsOfThisAccount",
                principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{stack.partition}:logs:{stack.region}:{stack.account}:*"
                    }
                },
            )
        )
        # CloudWatch alarms publish to the encrypted topic.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToUseTheTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            )
        )

        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(settings.access_log_retention_days),
                    noncurrent_version_expiration=Duration.days(settings.noncurrent_version_days),
                    abort_incomplete_multipart_upload_after=Duration.days(7),
                )
            ],
        )

        self.uploads = self._data_bucket("Uploads", settings, log_prefix="uploads/", extra_rules=[])
        self.results = self._data_bucket(
            "Results",
            settings,
            log_prefix="results/",
            extra_rules=[
                s3.LifecycleRule(
                    id="expire-intermediate-files",
                    prefix=WORK_PREFIX,
                    expiration=Duration.days(settings.work_retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                )
            ],
        )

        self.table = dynamodb.Table(
            self,
            "Registry",
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute="expiration",
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _data_bucket(
        self, construct_id: str, settings: DeploymentSettings, *, log_prefix: str, extra_rules: list
    ) -> s3.Bucket:
        rules = [
            s3.LifecycleRule(
                id="expire-old-versions",
                noncurrent_version_expiration=Duration.days(settings.noncurrent_version_days),
                abort_incomplete_multipart_upload_after=Duration.days(7),
                expired_object_delete_marker=True,
            ),
            *extra_rules,
        ]
        if settings.retention_days:
            rules.append(
                s3.LifecycleRule(id="expire-after-retention", expiration=Duration.days(settings.retention_days))
            )
        return protected_bucket(
            self, construct_id, key=self.key, access_logs=self.access_logs, log_prefix=log_prefix, lifecycle_rules=rules
        )


def protected_bucket(
    scope: Construct,
    construct_id: str,
    *,
    key: kms.IKey,
    access_logs: s3.IBucket,
    log_prefix: str,
    lifecycle_rules: list,
) -> s3.Bucket:
    """A bucket that holds criminal-history data or its audit trail, with every protection the kit
    requires: encrypted with the county's key, no public access, TLS only, versioned, owner-enforced
    objects, server access logs, retained when the stack is deleted."""
    return s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.RETAIN,
        server_access_logs_bucket=access_logs,
        server_access_logs_prefix=log_prefix,
        lifecycle_rules=lifecycle_rules,
    )
