"""One county's stack: storage and keys, notifications, the processing pipeline, monitoring, the
audit trail and the office's access policy, wired together. Outputs tell the county's IT team what
to hand to the office (bucket names, the staff policy) and where to look (dashboard, state machine).
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from .access import OfficeAccess
from .audit_trail import AuditTrail
from .monitoring import Monitoring
from .nag import suppress_reviewed_findings
from .notifications import Notifications
from .processing import METRICS_NAMESPACE, ProcessingPipeline
from .settings import DeploymentSettings
from .storage import Storage


class CountyStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: DeploymentSettings, **kwargs) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"Clearance kit (HS 11361.9) for {settings.county}: DOJ file to review to court filings",
            **kwargs,
        )
        self.settings = settings
        Tags.of(self).add("project", "clearance-kit")
        Tags.of(self).add("county", settings.slug)

        self.storage = Storage(self, "Storage", settings=settings)
        self.notifications = Notifications(self, "Notifications", settings=settings, key=self.storage.key)
        self.pipeline = ProcessingPipeline(
            self, "Pipeline", settings=settings, storage=self.storage, topic=self.notifications.topic
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            settings=settings,
            topic=self.notifications.topic,
            state_machine=self.pipeline.state_machine,
            functions=self.pipeline.functions,
            dead_letters=self.pipeline.dead_letters,
            metrics_namespace=METRICS_NAMESPACE,
        )
        self.audit_trail = (
            AuditTrail(
                self,
                "AuditTrail",
                settings=settings,
                key=self.storage.key,
                buckets=[self.storage.uploads, self.storage.results],
                access_logs=self.storage.access_logs,
            )
            if settings.audit_trail
            else None
        )
        self.access = OfficeAccess(
            self,
            "OfficeAccess",
            settings=settings,
            uploads=self.storage.uploads,
            results=self.storage.results,
            key=self.storage.key,
        )

        CfnOutput(self, "UploadBucket", value=self.storage.uploads.bucket_name,
                  description="Staff put DOJ files under incoming/ and reviews under reviews/<run id>/")
        CfnOutput(self, "ResultsBucket", value=self.storage.results.bucket_name,
                  description="Results are published under runs/<run id>/")
        CfnOutput(self, "StaffPolicyArn", value=self.access.policy.managed_policy_arn,
                  description="Attach to the office staff's role or permission set")
        CfnOutput(self, "StateMachineArn", value=self.pipeline.state_machine.state_machine_arn)
        CfnOutput(self, "NotificationTopicArn", value=self.notifications.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name)

        suppress_reviewed_findings(self)
