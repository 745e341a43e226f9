"""One county's stack: storage and keys, notifications, the processing pipeline, monitoring, the
audit trail and the office's access policy, wired together. Outputs tell the county's IT team what
to hand to the office (bucket names, the staff policy) and where to look (dashboard, state machine).
"""

from __future__ import annotations

from aws_cdk import Annotations, CfnOutput, Stack, Tags
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

        CfnOutput(
            self,
            "UploadBucket",
            value=self.storage.uploads.bucket_name,
            description="Staff put DOJ files under incoming/ and reviews under reviews/<run id>/",
        )
        CfnOutput(
            self,
            "ResultsBucket",
            value=self.storage.results.bucket_name,
            description="Results are published under runs/<run id>/",
        )
        CfnOutput(
            self,
            "StaffPolicyArn",
            value=self.access.policy.managed_policy_arn,
            description="Attach to the office staff's role or permission set",
        )
        CfnOutput(self, "StateMachineArn", value=self.pipeline.state_machine.state_machine_arn)
        CfnOutput(self, "NotificationTopicArn", value=self.notifications.topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.monitoring.dashboard.dashboard_name)

        self._check_office_profile(settings)
        suppress_reviewed_findings(self)

    def _check_office_profile(self, settings: DeploymentSettings) -> None:
        """The filings need the office's profile for this county: say so at synthesis, not at filing time."""
        if settings.office_profile_file is None:
            Annotations.of(self).add_warning_v2(
                "clearance:officeProfile",
                "No office profile is configured (clearance:officeProfile): runs will stop at 'Apply review' "
                "until one is set. Copy templates/office-profile.example.yaml and fill it in.",
            )
            return
        from blueprint.filings.profile import load_profile

        profile = load_profile(settings.office_profile_file)
        if profile.county.strip().upper() != settings.county:
            raise ValueError(
                f"clearance:officeProfile is for county {profile.county!r} but clearance:county is {settings.county!r}"
            )
