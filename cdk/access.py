"""Access for the District Attorney's office: one managed policy for the staff who run the process.

Attach it to the staff's IAM Identity Center permission set, group or role. It allows exactly:
* putting files under ``incoming/`` (the DOJ file) and ``reviews/`` (reviewed workbooks, APPROVE_ALL);
* listing and reading what the pipeline publishes under ``runs/`` in the results bucket;
* using the county's key only through S3, for those objects.

Nothing else: no deleting, no reading the uploads back, no intermediate files, no changing the stack.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from .settings import DeploymentSettings
from .storage import INCOMING_PREFIX, REVIEWS_PREFIX, RUNS_PREFIX


class OfficeAccess(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        uploads: s3.IBucket,
        results: s3.IBucket,
        key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        region = Stack.of(self).region
        self.policy = iam.ManagedPolicy(
            self,
            "StaffPolicy",
            description=f"Clearance kit {settings.county}: upload DOJ files and reviews, read published results",
            statements=[
                iam.PolicyStatement(
                    sid="UploadDojFilesAndReviews",
                    actions=["s3:PutObject"],
                    resources=[
                        uploads.arn_for_objects(INCOMING_PREFIX + "*"),
                        uploads.arn_for_objects(REVIEWS_PREFIX + "*"),
                    ],
                ),
                iam.PolicyStatement(
                    sid="ListPublishedResults",
                    actions=["s3:ListBucket"],
                    resources=[results.bucket_arn],
                    conditions={"StringLike": {"s3:prefix": ["", RUNS_PREFIX, RUNS_PREFIX + "*"]}},
                ),
                iam.PolicyStatement(
                    sid="ReadPublishedResults",
                    actions=["s3:GetObject", "s3:GetObjectVersion"],
                    resources=[results.arn_for_objects(RUNS_PREFIX + "*")],
                ),
                iam.PolicyStatement(
                    sid="UseTheCountyKeyThroughS3Only",
                    actions=["kms:GenerateDataKey", "kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
                ),
            ],
        )
