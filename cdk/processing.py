"""The processing pipeline: the Lambda functions, the S3 triggers and the Step Functions state machine.

```
incoming/<file> --S3 event--> ingest --StartExecution(name = run id from the object version)-->
  Start -> Validate input -> Split into shards -> Evaluate shards (Distributed Map) -> Combine results
  -> Wait for review (notify "review ready", task token) <-- resume-review <--S3 event-- reviews/<run>/
  -> Apply review (plan document batches) -> Render documents (Distributed Map) -> Assemble filings
  -> Notify filings ready
any failure -> Notify failure (run marked failed, STATUS.json says so) -> Run failed
Start -> Apply review, when IT re-files a run that failed after its review (restart_at=apply_review)
```

Every function is a thin handler in `functions/` over one `blueprint` call; what each one may touch
is granted here, one statement per need, so a reviewer can read each role's reach in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import ArnFormat, Aws, Duration, Size, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from functions.layout import DATA_ISSUES_FILE, MANIFEST_FILE, REVIEW_PROBLEMS_FILE, STATUS_FILE
from functions.limits import largest_input

from .packaging import RUNTIME, FunctionCode
from .settings import DeploymentSettings
from .storage import INCOMING_PREFIX, REVIEWS_PREFIX, RUNS_PREFIX, WORK_PREFIX, Storage

#: The CloudWatch namespace of the functions' own metrics (rows read, convictions evaluated, ...).
METRICS_NAMESPACE = "ClearanceKit"

#: Errors a task is retried on, beyond the Lambda service errors CDK retries by default.
TRANSIENT_ERRORS = ["Lambda.TooManyRequestsException", "TransientError"]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: its handler module, code group, size and time limit."""

    name: str
    description: str
    group: str  # control | engine | documents (see packaging.py)
    memory_mb: int
    timeout_minutes: int
    ephemeral_mb: int = 512

    @property
    def handler(self) -> str:
        return f"functions.{self.name}.handler"


#: Memory and disk per function, from the measurements in docs/deployment.md ("Scale"): peak
#: resident memory of each step run on its own on synthetic DOJ files of 1 and 4 million rows,
#: extrapolated to a 20-million-row statewide file. Lambda gives CPU in proportion to memory
#: (one full vCPU at 1,769 MB), so the CPU-bound steps get at least that.
FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec("ingest", "Records a new DOJ upload and starts its run", "control", 256, 1),
    FunctionSpec("resume_review", "Resumes a run when the office uploads its review", "control", 256, 1),
    FunctionSpec("notify", "Records a run's status and notifies the office", "control", 256, 1),
    # streams the upload through SHA-256; needs disk for the whole file (8.1 GB at 20 million rows)
    FunctionSpec("validate", "Checks the uploaded file and fingerprints it", "engine", 2048, 15, 10240),
    # peak 670-690 MB whatever the file size (it reads in bounded blocks); shards are ~4% of the input
    FunctionSpec("split", "Splits the input into shards on person boundaries", "engine", 3008, 15, 10240),
    # peak 345-385 MB for a 250,000-row shard, about 1 s of CPU
    FunctionSpec("evaluate", "Evaluates one shard against the policy", "engine", 1769, 15, 2048),
    # peak 1.1 GB at 61,000 convictions, growing ~15 KB per conviction: ~4.6 GB at 300,000
    FunctionSpec("combine", "Combines the shards into the run's review outputs", "engine", 8192, 15, 4096),
    # peak 380 MB at 61,000 convictions
    FunctionSpec(
        "plan_documents", "Applies the office's review and plans document batches", "documents", 3008, 15, 4096
    ),
    # the bulk batch (Attachment A for every granted conviction): 912 MB at 61,000 convictions
    FunctionSpec("render_batch", "Renders one batch of documents", "documents", 6144, 15, 4096),
    # downloads, indexes and publishes the set: 420 MB, 142 MB of files at 61,000 convictions
    FunctionSpec("assemble", "Assembles the filing set and the court and DOJ exports", "documents", 3008, 15, 10240),
)

SPLIT = next(spec for spec in FUNCTIONS if spec.name == "split")

_LOG_RETENTION = tuple(
    zip(
        (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653),
        (
            logs.RetentionDays.ONE_DAY,
            logs.RetentionDays.THREE_DAYS,
            logs.RetentionDays.FIVE_DAYS,
            logs.RetentionDays.ONE_WEEK,
            logs.RetentionDays.TWO_WEEKS,
            logs.RetentionDays.ONE_MONTH,
            logs.RetentionDays.TWO_MONTHS,
            logs.RetentionDays.THREE_MONTHS,
            logs.RetentionDays.FOUR_MONTHS,
            logs.RetentionDays.FIVE_MONTHS,
            logs.RetentionDays.SIX_MONTHS,
            logs.RetentionDays.ONE_YEAR,
            logs.RetentionDays.THIRTEEN_MONTHS,
            logs.RetentionDays.EIGHTEEN_MONTHS,
            logs.RetentionDays.TWO_YEARS,
            logs.RetentionDays.THREE_YEARS,
            logs.RetentionDays.FIVE_YEARS,
            logs.RetentionDays.SIX_YEARS,
            logs.RetentionDays.SEVEN_YEARS,
            logs.RetentionDays.EIGHT_YEARS,
            logs.RetentionDays.NINE_YEARS,
            logs.RetentionDays.TEN_YEARS,
        ),
    )
)


def log_retention(days: int) -> logs.RetentionDays:
    """The shortest CloudWatch retention period that keeps logs at least ``days`` days."""
    for allowed, member in _LOG_RETENTION:
        if allowed >= days:
            return member
    return _LOG_RETENTION[-1][1]


class ProcessingPipeline(Construct):
    """The functions, their triggers and the state machine that runs a county's file end to end."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DeploymentSettings,
        storage: Storage,
        topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.settings = settings
        self.storage = storage
        self.topic = topic
        key = storage.key

        self.dead_letters = sqs.Queue(
            self,
            "DeadLetters",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )

        code = FunctionCode(settings)
        self.functions: dict[str, lambda_.Function] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        environment = {
            "UPLOAD_BUCKET": storage.uploads.bucket_name,
            "RESULTS_BUCKET": storage.results.bucket_name,
            "TABLE_NAME": storage.table.table_name,
            "TOPIC_ARN": topic.topic_arn,
            "COUNTY": settings.county,
            "POLICY": code.policy_in_package,
            "OFFICE_PROFILE": code.profile_in_package,
            "EVALUATION_DATE": settings.evaluation_date,
            # The calendar that dates an upload when no evaluation date is fixed (functions/run_start.py).
            "TIME_ZONE": settings.run_time_zone,
            "COMPAT": "true" if settings.compat else "false",
            "PER_CASE_DOCUMENTS": "true" if settings.per_case_documents else "false",
            "ROWS_PER_SHARD": str(settings.rows_per_shard),
            # The largest upload a run accepts: what "Split into shards" can hold (functions/limits.py).
            "MAX_INPUT_BYTES": str(largest_input(SPLIT.ephemeral_mb)),
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": "INFO",
        }
        if settings.fips_endpoints:
            # boto3 then resolves every client to the service's FIPS endpoint (and fails where none exists).
            environment["AWS_USE_FIPS_ENDPOINT"] = "true"
        for spec in FUNCTIONS:
            self._function(spec, code, environment)

        self.state_machine = self._state_machine()
        self._grant()
        self._triggers()

    # -- functions ---------------------------------------------------------------------------------

    def _function(self, spec: FunctionSpec, code: FunctionCode, environment: dict[str, str]) -> None:
        log_group = logs.LogGroup(
            self,
            f"{_camel(spec.name)}Logs",
            retention=log_retention(self.settings.log_retention_days),
            encryption_key=self.storage.key,
        )
        role = iam.Role(
            self,
            f"{_camel(spec.name)}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Clearance kit {spec.name} function (least privilege, see cdk/processing.py)",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="SendTraces",
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                resources=["*"],
            )
        )
        # The dead-letter queue (Lambda sends failed events to it with this role) and the environment
        # variables are encrypted with the county key: through SQS and Lambda only.
        for service in ("sqs", "lambda"):
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[self.storage.key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}},
                )
            )
        function = lambda_.Function(
            self,
            _camel(spec.name),
            description=spec.description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.X86_64,
            handler=spec.handler,
            code=code.code(spec.group),
            memory_size=spec.memory_mb,
            timeout=Duration.minutes(spec.timeout_minutes),
            ephemeral_storage_size=Size.mebibytes(spec.ephemeral_mb),
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            dead_letter_queue=self.dead_letters,
            environment={**environment, "POWERTOOLS_SERVICE_NAME": f"clearance-{spec.name.replace('_', '-')}"},
            environment_encryption=self.storage.key,
            retry_attempts=2,
        )
        self.functions[spec.name] = function
        self.log_groups[spec.name] = log_group

    # -- permissions -------------------------------------------------------------------------------

    def _grant(self) -> None:
        """Each function's reach, one grant per need. Every grant is exercised by the access-checked
        end-to-end run (tests/e2e/access_check.py), which refuses any call these do not allow."""
        st, f = self.storage, self.functions
        uploads, results = st.uploads, st.results
        data_issues = RUNS_PREFIX + "*/" + DATA_ISSUES_FILE  # the report of a rejected upload
        review_problems = RUNS_PREFIX + "*/" + REVIEW_PROBLEMS_FILE
        status = RUNS_PREFIX + "*/" + STATUS_FILE
        manifest = RUNS_PREFIX + "*/" + MANIFEST_FILE

        read(f["validate"], uploads, INCOMING_PREFIX + "*")
        write(f["validate"], results, data_issues)
        read(f["split"], uploads, INCOMING_PREFIX + "*")
        write(f["split"], results, WORK_PREFIX + "*")
        write(f["split"], results, data_issues)  # no row of the upload could be read
        for name in ("evaluate", "combine"):
            read(f[name], results, WORK_PREFIX + "*")
            list_prefix(f[name], results, WORK_PREFIX)
        write(f["evaluate"], results, WORK_PREFIX + "*")
        write(f["combine"], results, RUNS_PREFIX + "*")
        read(f["plan_documents"], results, RUNS_PREFIX + "*")
        read(f["plan_documents"], uploads, REVIEWS_PREFIX + "*")
        write(f["plan_documents"], results, review_problems)
        write(f["plan_documents"], results, WORK_PREFIX + "*")
        list_prefix(f["plan_documents"], results, WORK_PREFIX)
        f["plan_documents"].add_to_role_policy(
            iam.PolicyStatement(
                sid="ClearAnEarlierFilingPlan",
                actions=["s3:DeleteObject"],
                resources=[results.arn_for_objects(WORK_PREFIX + "*")],
            )
        )
        read(f["render_batch"], results, WORK_PREFIX + "*")
        write(f["render_batch"], results, WORK_PREFIX + "*")
        read(f["assemble"], results, WORK_PREFIX + "*")
        list_prefix(f["assemble"], results, WORK_PREFIX)
        write(f["assemble"], results, RUNS_PREFIX + "*")
        write(f["notify"], results, status)
        read(f["notify"], results, data_issues)  # is there a report to point the office to?
        read(f["notify"], results, manifest)  # the counts of the review outputs

        for name in ("ingest", "notify", "resume_review"):
            use_table(f[name], st.table, st.key)
        for name in ("notify", "resume_review"):
            publish(f[name], self.topic, st.key)

        f["ingest"].add_to_role_policy(
            iam.PolicyStatement(
                sid="StartRuns",
                actions=["states:StartExecution"],
                resources=[self.state_machine.state_machine_arn],
            )
        )
        f["ingest"].add_environment("STATE_MACHINE_ARN", self.state_machine.state_machine_arn)
        # A READY marker starts one run over its delivery folder: ingest lists the folder's current
        # versions (names, versions and sizes only; it never reads a file).
        f["ingest"].add_to_role_policy(
            iam.PolicyStatement(
                sid="ListDeliveryFolders",
                actions=["s3:ListBucketVersions"],
                resources=[uploads.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [INCOMING_PREFIX + "*"]}},
            )
        )
        # When Step Functions no longer knows a token, resume_review asks whether the run still runs
        # (then an earlier attempt delivered the review) before it reports the wait as ended.
        f["resume_review"].add_to_role_policy(
            iam.PolicyStatement(
                sid="CheckWaitingRuns",
                actions=["states:DescribeExecution"],
                resources=[
                    Stack.of(self).format_arn(
                        service="states",
                        resource="execution",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        resource_name=f"{self.state_machine.state_machine_name}:*",
                    )
                ],
            )
        )
        f["resume_review"].add_to_role_policy(
            iam.PolicyStatement(
                sid="ResumeWaitingRuns",
                # Task-token actions have no resource type in IAM: the token itself is the credential.
                actions=["states:SendTaskSuccess"],
                resources=["*"],
            )
        )
        # The state machine reads the shard and batch lists (ItemReader) from the results bucket,
        # encrypted with the county key: Decrypt through S3 only.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[st.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{Aws.REGION}.amazonaws.com"}},
            )
        )

    def _triggers(self) -> None:
        self.storage.uploads.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.functions["ingest"]),
            s3.NotificationKeyFilter(prefix=INCOMING_PREFIX),
        )
        self.storage.uploads.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3n.LambdaDestination(self.functions["resume_review"]),
            s3.NotificationKeyFilter(prefix=REVIEWS_PREFIX),
        )

    # -- state machine -----------------------------------------------------------------------------

    def _task(self, state_name: str, function: str, payload: dict, result_path: str | None) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            state_name,
            state_name=state_name,
            lambda_function=self.functions[function],
            payload=sfn.TaskInput.from_object(payload),
            payload_response_only=True,
            result_path=result_path if result_path is not None else sfn.JsonPath.DISCARD,
        )
        add_transient_retry(task)
        return task

    def _distributed_map(
        self, state_name: str, items_key_path: str, item: str, task_name: str, function: str
    ) -> sfn.DistributedMap:
        """A Distributed Map over the JSON list at ``items_key_path`` in the results bucket; each item,
        under the name ``item``, goes with the run's settings to one ``function`` task."""
        common = {"run.$": "$.run", "options.$": "$.options"}
        mapped = sfn.DistributedMap(
            self,
            state_name,
            state_name=state_name,
            item_reader=sfn.S3JsonItemReader(bucket=self.storage.results, key=sfn.JsonPath.string_at(items_key_path)),
            item_selector={**common, f"{item}.$": "$$.Map.Item.Value"},
            max_concurrency=self.settings.max_concurrency,
            map_execution_type=sfn.StateMachineType.STANDARD,
            tolerated_failure_count=0,
            result_path=sfn.JsonPath.DISCARD,
        )
        mapped.item_processor(self._task(task_name, function, {**common, f"{item}.$": f"$.{item}"}, None))
        return mapped

    def _state_machine(self) -> sfn.StateMachine:
        run = {"run.$": "$.run", "options.$": "$.options"}

        notify_failure = self._task(
            "Notify failure",
            "notify",
            {"kind": "failed", **run, "error.$": "$.error"},
            result_path=None,
        )
        run_failed = sfn.Fail(self, "Run failed", error="RunFailed", cause="The run failed; the office was notified.")
        notify_failure.add_catch(run_failed, errors=["States.ALL"], result_path="$.notify_error")
        notify_failure.next(run_failed)

        # An upload that is not usable is an expected outcome, not a failure of the pipeline: the
        # office is told why (the data-issues report) and the run ends at "Input rejected" without
        # an error, so that the failure alarms count only what IT must look at.
        notify_rejection = self._task(
            "Notify input rejected",
            "notify",
            {"kind": "failed", **run, "error.$": "$.rejection"},
            result_path=None,
        )
        notify_rejection.next(sfn.Succeed(self, "Input rejected", comment="The office was told why (data_issues.csv)."))

        def on_failure(state) -> None:
            state.add_catch(notify_failure, errors=["States.ALL"], result_path="$.error")

        on_failure(notify_rejection)

        def unless_rejected(question: str, rejected_name: str, result: str, then) -> sfn.Choice:
            """After a step that may reject its input: on to ``then``, or to the rejection notice."""
            keep = sfn.Pass(self, rejected_name, input_path=f"{result}.rejected", result_path="$.rejection")
            keep.next(notify_rejection)
            return sfn.Choice(self, question).when(sfn.Condition.is_present(f"{result}.rejected"), keep).otherwise(then)

        validate = self._task("Validate input", "validate", {**run, "source.$": "$.source"}, "$.input")
        split = self._task(
            "Split into shards", "split", {**run, "source.$": "$.source", "input.$": "$.input"}, "$.split"
        )
        evaluate_map = self._distributed_map(
            "Evaluate shards", "$.split.items_key", "shard", "Evaluate shard", "evaluate"
        )
        combine = self._task("Combine results", "combine", {**run, "split.$": "$.split"}, "$.outputs")

        first_review = sfn.Pass(
            self,
            "Ready for review",
            result=sfn.Result.from_object({"rejected": False}),
            result_path="$.review_attempt",
        )
        wait_for_review = tasks.LambdaInvoke(
            self,
            "Wait for review",
            state_name="Wait for review",
            comment="Notifies the office that the review outputs are ready, records the task token, and waits "
            "until resume-review returns the uploaded review (or the review timeout passes).",
            lambda_function=self.functions["notify"],
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            # Only what every path into this state has: a re-filed run comes here without the
            # combine step's outputs, so notify reads the counts from the run's manifest.json.
            payload=sfn.TaskInput.from_object(
                {
                    "kind": "review_ready",
                    **run,
                    "review_attempt.$": "$.review_attempt",
                    "execution.$": "$$.Execution.Id",
                    "task_token": sfn.JsonPath.task_token,
                }
            ),
            task_timeout=sfn.Timeout.duration(Duration.days(self.settings.review_timeout_days)),
            result_path="$.review",
        )
        add_transient_retry(wait_for_review)

        plan = self._task("Apply review", "plan_documents", {**run, "review.$": "$.review"}, "$.plan")
        render_map = self._distributed_map(
            "Render documents", "$.plan.items_key", "batch", "Render batch", "render_batch"
        )
        assemble = self._task(
            "Assemble filings", "assemble", {**run, "plan.$": "$.plan", "review.$": "$.review"}, "$.filings"
        )
        notify_done = self._task(
            "Notify filings ready", "notify", {"kind": "filings_ready", **run, "filings.$": "$.filings"}, None
        )
        done = sfn.Succeed(self, "Filings ready")

        # A review the office must correct sends the run back to waiting, with the problems reported.
        review_rejected = sfn.Pass(
            self, "Review not accepted", input_path="$.plan.rejected", result_path="$.review_attempt"
        )
        review_rejected.next(wait_for_review)
        review_accepted = (
            sfn.Choice(self, "Review accepted?", state_name="Review accepted?")
            .when(sfn.Condition.is_present("$.plan.rejected"), review_rejected)
            .otherwise(render_map)
        )
        for state in (validate, split, evaluate_map, combine, wait_for_review, plan, render_map, assemble, notify_done):
            on_failure(state)

        validate.next(unless_rejected("Input usable?", "Input not usable", "$.input", split))
        split.next(unless_rejected("Input readable?", "Input not readable", "$.split", evaluate_map))
        evaluate_map.next(combine).next(first_review).next(wait_for_review)
        plan.next(review_accepted)
        render_map.next(assemble).next(notify_done).next(done)
        wait_for_review.next(plan)
        # A run that failed after the office's review can be filed again without repeating the
        # review: IT starts an execution whose input names the review and restart_at=apply_review
        # (docs/operations.md, "Recovering a failed run"). Every other execution starts at the top.
        # tests/infra/test_state_machine.py walks every path from both kinds of input and checks
        # that each state finds the fields it reads.
        definition = (
            sfn.Choice(self, "Start", state_name="Start")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present("$.restart_at"),
                    sfn.Condition.string_equals("$.restart_at", "apply_review"),
                ),
                plan,
            )
            .otherwise(validate)
        )

        # Under /aws/vendedlogs/: CloudWatch Logs then needs one resource policy for every state
        # machine's delivery, instead of one per log group (which hits the policy size limit).
        log_group = logs.LogGroup(
            self,
            "StateMachineLogs",
            log_group_name=f"/aws/vendedlogs/states/clearance-{self.settings.slug}",
            retention=log_retention(self.settings.log_retention_days),
            encryption_key=self.storage.key,
        )
        self.state_machine_log_group = log_group
        return sfn.StateMachine(
            self,
            "StateMachine",
            comment=f"Clearance kit run for {self.settings.county}: DOJ file to review to filings",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            state_machine_type=sfn.StateMachineType.STANDARD,
            # Execution data holds ids and S3 keys only; it is still left out of the logs.
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
            tracing_enabled=True,
            timeout=Duration.days(365),
        )


# -- small, named grants (one statement each) -------------------------------------------------------
#
# ``pattern`` is an object key pattern under one fixed prefix ("work/*", "runs/*/STATUS.json"). The
# county key may be used only through the service that needs it (kms:ViaService), never directly.


def read(function: lambda_.Function, bucket: s3.IBucket, pattern: str) -> None:
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["s3:GetObject", "s3:GetObjectVersion"],
            resources=[bucket.arn_for_objects(pattern)],
        )
    )
    _key_use(function, bucket.encryption_key, "s3", ["kms:Decrypt"])


def write(function: lambda_.Function, bucket: s3.IBucket, pattern: str) -> None:
    function.add_to_role_policy(
        iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects(pattern)])
    )
    # Multipart uploads (large files) need Decrypt as well as GenerateDataKey.
    _key_use(function, bucket.encryption_key, "s3", ["kms:GenerateDataKey", "kms:Decrypt"])


def list_prefix(function: lambda_.Function, bucket: s3.IBucket, prefix: str) -> None:
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [prefix + "*"]}},
        )
    )


def use_table(function: lambda_.Function, table, key: kms.IKey) -> None:
    function.add_to_role_policy(
        iam.PolicyStatement(
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            resources=[table.table_arn],
        )
    )
    _key_use(function, key, "dynamodb", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"])


def publish(function: lambda_.Function, topic: sns.ITopic, key: kms.IKey) -> None:
    function.add_to_role_policy(iam.PolicyStatement(actions=["sns:Publish"], resources=[topic.topic_arn]))
    _key_use(function, key, "sns", ["kms:Decrypt", "kms:GenerateDataKey"])


def _key_use(function: lambda_.Function, key: kms.IKey | None, service: str, actions: list[str]) -> None:
    """Use of the county key by ``function`` only through ``service`` (S3, DynamoDB, SNS, ...)."""
    if key is not None:
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=actions,
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"{service}.{Aws.REGION}.amazonaws.com"}},
            )
        )


def add_transient_retry(task: sfn.TaskStateBase) -> None:
    """Throttling and errors the handlers report as transient are retried with backoff and jitter."""
    task.add_retry(
        errors=TRANSIENT_ERRORS,
        interval=Duration.seconds(5),
        max_attempts=6,
        backoff_rate=2,
        max_delay=Duration.minutes(2),
        jitter_strategy=sfn.JitterType.FULL,
    )


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
