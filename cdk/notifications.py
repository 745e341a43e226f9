"""Notifications: the office's SNS topic (encrypted, TLS only) with e-mail subscriptions.

Run notifications ("review ready", "filings ready", "run failed", "review for an unknown run") and
CloudWatch alarms go to this one topic. Messages carry run ids, counts and S3 locations only, never
personal data: an e-mail leaves the county's account.

The topic's policy lets CloudWatch publish for this stack's alarms only (this account, alarm names
``clearance-<county>-*``); the county key's policy lets CloudWatch use the key for the encrypted
topic (cdk/storage.py). Without both, alarms change state and nobody is told.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from .monitoring import alarm_arn_pattern
from .settings import DeploymentSettings


class Notifications(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "Topic",
            display_name=f"Clearance kit {settings.county}",
            master_key=key,
            enforce_ssl=True,
        )
        stack = Stack.of(self)
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowAlarmsOfThisStackToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {"aws:SourceArn": alarm_arn_pattern(self, settings)},
                },
            )
        )
        for address in settings.notification_emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(address))
