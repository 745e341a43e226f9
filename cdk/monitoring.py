"""Monitoring: alarms that e-mail the office's topic, and one dashboard for the county's pipeline.

Alarms (each sends to the topic when it fires and when it clears):
* a run failed, timed out or was aborted (the state machine's execution metrics);
* any function reported an error or was throttled;
* a message reached the dead-letter queue (an S3-triggered invocation failed all its retries).

They count only what IT must look at: an upload that is not a DOJ file, or a review the office must
correct, is an expected outcome. The functions return it as a result (functions/common.py
``Rejected``) and the office is notified of it, so it is neither a Lambda error nor a failed
execution. Every alarm is named ``clearance-<county>-...``: the topic's policy lets CloudWatch
publish only for alarms of this account with that name (cdk/notifications.py).

The dashboard shows runs, the functions' errors, duration and throttles, the pipeline's own metrics
(rows read, convictions evaluated, documents rendered, data issues found) and the dead-letter queue.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .settings import DeploymentSettings


def alarm_prefix(settings: DeploymentSettings) -> str:
    """The start of every alarm name of a county's stack."""
    return f"clearance-{settings.slug}-"


def alarm_arn_pattern(scope, settings: DeploymentSettings) -> str:
    """ARNs of this stack's alarms, for the topic and key policies that let CloudWatch publish."""
    stack = Stack.of(scope)
    return f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:{alarm_prefix(settings)}*"


#: The pipeline's own metrics, as the handlers emit them (functions/common.py).
PIPELINE_METRICS = ("RowsRead", "ConvictionsEvaluated", "DocumentsRendered", "DataIssuesFound")


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        topic: sns.ITopic,
        state_machine: sfn.StateMachine,
        functions: dict[str, lambda_.Function],
        dead_letters: sqs.Queue,
        metrics_namespace: str,
    ) -> None:
        super().__init__(scope, construct_id)
        notify = actions.SnsAction(topic)
        five_minutes = Duration.minutes(5)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(construct_id: str, metric: cloudwatch.IMetric, description: str) -> cloudwatch.Alarm:
            created = cloudwatch.Alarm(
                self,
                construct_id,
                alarm_name=alarm_prefix(settings) + construct_id,
                metric=metric,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=description + " See docs/operations.md.",
            )
            created.add_alarm_action(notify)
            created.add_ok_action(notify)
            self.alarms.append(created)
            return created

        alarm("RunsFailed", state_machine.metric_failed(period=five_minutes, statistic="Sum"), "A run failed.")
        alarm("RunsTimedOut", state_machine.metric_timed_out(period=five_minutes, statistic="Sum"), "A run timed out.")
        alarm(
            "RunsAborted",
            state_machine.metric_aborted(period=five_minutes, statistic="Sum"),
            "A run was stopped by hand.",
        )
        for name, function in functions.items():
            camel = "".join(part.capitalize() for part in name.split("_"))
            alarm(
                f"{camel}Errors",
                function.metric_errors(period=five_minutes, statistic="Sum"),
                f"The {name} function failed.",
            )
            alarm(
                f"{camel}Throttles",
                function.metric_throttles(period=five_minutes, statistic="Sum"),
                f"The {name} function was throttled (raise the account's Lambda concurrency or lower maxConcurrency).",
            )
        alarm(
            "DeadLetters",
            dead_letters.metric_approximate_number_of_messages_visible(period=five_minutes, statistic="Maximum"),
            "An upload or review event could not be processed and is in the dead-letter queue.",
        )

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"clearance-{settings.slug}")
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Runs",
                left=[
                    state_machine.metric_started(period=five_minutes, statistic="Sum"),
                    state_machine.metric_succeeded(period=five_minutes, statistic="Sum"),
                    state_machine.metric_failed(period=five_minutes, statistic="Sum"),
                    state_machine.metric_timed_out(period=five_minutes, statistic="Sum"),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Pipeline figures",
                left=[
                    cloudwatch.Metric(
                        namespace=metrics_namespace,
                        metric_name=name,
                        dimensions_map={"service": "clearance"},
                        statistic="Sum",
                        period=Duration.hours(1),
                    )
                    for name in PIPELINE_METRICS
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[f.metric_errors(period=five_minutes, statistic="Sum", label=n) for n, f in functions.items()],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Function duration (max)",
                left=[
                    f.metric_duration(period=five_minutes, statistic="Maximum", label=n) for n, f in functions.items()
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Throttles and dead letters",
                left=[f.metric_throttles(period=five_minutes, statistic="Sum", label=n) for n, f in functions.items()],
                right=[dead_letters.metric_approximate_number_of_messages_visible(period=five_minutes)],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )
