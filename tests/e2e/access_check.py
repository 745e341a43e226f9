"""Check every AWS call of the mocked end-to-end run against the synthesized template's IAM policies.

moto answers every call whatever the caller's permissions, so this module stands in for IAM:

* ``PhysicalIds`` gives every resource of the template the name and ARN it has in the mocked
  account (the moto resources' own names where the harness created one), so ``Ref``,
  ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Select`` and ``Fn::Split`` in policies resolve to real ARNs.
* ``TemplatePolicies`` collects, from the template, the identity policies of each role and the
  resource policies of buckets, the KMS key, the topic and the queue.
* ``required_permissions`` maps one boto3 call (service, operation, parameters) to the IAM
  requests AWS evaluates for it, including the implicit ones: KMS ``Decrypt`` to read an object
  encrypted with the county key, ``GenerateDataKey`` to write one, and so on.
* ``AccessChecker.installed`` hooks botocore: every client created while a handler runs (or by
  moto's Step Functions interpreter, which plays the state machine's role) checks each call before
  it is sent. A denied call raises ``AccessDenied`` as AWS would and is recorded, naming the
  function, the action and the resource.
"""

from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Iterator

import botocore.session
from botocore.exceptions import ClientError

from tests.e2e.iam_policy import Decision, Request, evaluate

PARTITION = "aws"


class UnresolvedReference(KeyError):
    pass


class PhysicalIds:
    """Names and ARNs of the template's resources in the mocked account."""

    def __init__(
        self,
        template: dict,
        region: str,
        account: str,
        *,
        refs: dict[str, str] | None = None,
        attributes: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.template, self.region, self.account = template, region, account
        self.refs: dict[str, str] = {}
        self.attributes: dict[tuple[str, str], str] = {}
        for logical_id, resource in template["Resources"].items():
            self._default(logical_id, resource)
        self.refs.update(refs or {})
        self.attributes.update(attributes or {})
        self.pseudo = {
            "AWS::Partition": PARTITION,
            "AWS::Region": region,
            "AWS::AccountId": account,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "clearance-e2e",
        }

    def _arn(self, service: str, rest: str, *, region: bool = True, account: bool = True) -> str:
        return f"arn:{PARTITION}:{service}:{self.region if region else ''}:{self.account if account else ''}:{rest}"

    def _default(self, logical_id: str, resource: dict) -> None:
        kind, props = resource["Type"], resource.get("Properties", {})
        name = logical_id.lower()
        ref, arn = name, None
        if kind == "AWS::S3::Bucket":
            arn = f"arn:{PARTITION}:s3:::{name}"
        elif kind == "AWS::KMS::Key":
            ref = str(uuid.uuid5(uuid.NAMESPACE_URL, logical_id))
            arn = self._arn("kms", f"key/{ref}")
        elif kind == "AWS::Logs::LogGroup":
            ref = props.get("LogGroupName") if isinstance(props.get("LogGroupName"), str) else name
            arn = self._arn("logs", f"log-group:{ref}:*")  # CloudFormation's Arn of a log group ends in :*
        elif kind == "AWS::SQS::Queue":
            ref = f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
            arn = self._arn("sqs", name)
            self.attributes[(logical_id, "QueueName")] = name
        elif kind == "AWS::SNS::Topic":
            ref = arn = self._arn("sns", name)
            self.attributes[(logical_id, "TopicName")] = name
        elif kind == "AWS::DynamoDB::Table":
            arn = self._arn("dynamodb", f"table/{name}")
        elif kind == "AWS::Lambda::Function":
            arn = self._arn("lambda", f"function:{name}")
        elif kind == "AWS::StepFunctions::StateMachine":
            ref = arn = self._arn("states", f"stateMachine:{name}")
            self.attributes[(logical_id, "Name")] = name
        elif kind == "AWS::IAM::Role":
            arn = f"arn:{PARTITION}:iam::{self.account}:role/{name}"
        elif kind == "AWS::IAM::ManagedPolicy":
            ref = f"arn:{PARTITION}:iam::{self.account}:policy/{name}"
        elif kind == "AWS::CloudWatch::Alarm":
            ref = props.get("AlarmName") if isinstance(props.get("AlarmName"), str) else name
            arn = self._arn("cloudwatch", f"alarm:{ref}")
        elif kind == "AWS::CloudTrail::Trail":
            arn = self._arn("cloudtrail", f"trail/{name}")
        self.refs[logical_id] = ref
        if arn is not None:
            self.attributes[(logical_id, "Arn")] = arn

    def set(self, logical_id: str, *, ref: str | None = None, **attributes: str) -> None:
        if ref is not None:
            self.refs[logical_id] = ref
        for name, value in attributes.items():
            self.attributes[(logical_id, name)] = value

    def resolve(self, value: Any) -> Any:
        """A template value with every intrinsic function replaced by its value here."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((function, argument),) = value.items()
            if function == "Ref":
                if argument in self.pseudo:
                    return self.pseudo[argument]
                if argument not in self.refs:
                    raise UnresolvedReference(f"no value for Ref {argument}")
                return self.refs[argument]
            if function == "Fn::GetAtt":
                logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
                if (logical_id, attribute) not in self.attributes:
                    raise UnresolvedReference(f"no value for GetAtt {logical_id}.{attribute}")
                return self.attributes[(logical_id, attribute)]
            if function == "Fn::Join":
                separator, parts = argument
                return separator.join(str(self.resolve(p)) for p in parts)
            if function == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(self.resolve(index))]
            if function == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if function.startswith("Fn::"):
                raise UnresolvedReference(f"intrinsic function {function} is not supported")
        return {k: self.resolve(v) for k, v in value.items()}


class TemplatePolicies:
    """The template's identity policies per role and resource policies per resource, resolved."""

    def __init__(self, template: dict, physical: PhysicalIds) -> None:
        self.template, self.physical = template, physical
        resources = template["Resources"]
        self._identity: dict[str, list[dict]] = {}
        self._managed: set[str] = set()
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            props = resource.get("Properties", {})
            self._identity[logical_id] = [
                s for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]
            ]
            if props.get("ManagedPolicyArns"):
                # AWS managed policies are not in the template; only CDK's deploy-time helper uses one.
                self._managed.add(logical_id)
        for resource in resources.values():
            if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                for role in resource["Properties"].get("Roles", []):
                    self._identity[role["Ref"]] += resource["Properties"]["PolicyDocument"]["Statement"]
        self._resolved: dict[str, list[dict]] = {}

        self.bucket_policies: dict[str, list[dict]] = {}
        self.topic_policies: dict[str, list[dict]] = {}
        self.queue_policies: dict[str, list[dict]] = {}
        self.key_policies: dict[str, list[dict]] = {}
        self.bucket_keys: dict[str, str] = {}
        self.topic_keys: dict[str, str] = {}
        self.table_keys: dict[str, str] = {}
        for logical_id, resource in resources.items():
            kind, props = resource["Type"], resource.get("Properties", {})
            if kind == "AWS::S3::BucketPolicy":
                bucket = physical.resolve(props["Bucket"])
                self.bucket_policies[bucket] = physical.resolve(props["PolicyDocument"]["Statement"])
            elif kind == "AWS::SNS::TopicPolicy":
                for topic in props["Topics"]:
                    self.topic_policies[physical.resolve(topic)] = physical.resolve(
                        props["PolicyDocument"]["Statement"]
                    )
            elif kind == "AWS::SQS::QueuePolicy":
                for queue in props["Queues"]:
                    self.queue_policies[physical.resolve(queue)] = physical.resolve(
                        props["PolicyDocument"]["Statement"]
                    )
            elif kind == "AWS::KMS::Key":
                arn = physical.attributes[(logical_id, "Arn")]
                self.key_policies[arn] = physical.resolve(props["KeyPolicy"]["Statement"])
            elif kind == "AWS::S3::Bucket":
                for rule in props.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", []):
                    key = rule["ServerSideEncryptionByDefault"].get("KMSMasterKeyID")
                    if key is not None:
                        self.bucket_keys[physical.refs[logical_id]] = physical.resolve(key)
            elif kind == "AWS::SNS::Topic" and "KmsMasterKeyId" in props:
                self.topic_keys[physical.refs[logical_id]] = physical.resolve(props["KmsMasterKeyId"])
            elif kind == "AWS::DynamoDB::Table" and props.get("SSESpecification", {}).get("KMSMasterKeyId"):
                self.table_keys[physical.refs[logical_id]] = physical.resolve(
                    props["SSESpecification"]["KMSMasterKeyId"]
                )

    def identity(self, role_logical_id: str) -> list[dict]:
        if role_logical_id not in self._resolved:
            statements = self._identity[role_logical_id]
            if role_logical_id in self._managed:
                raise ValueError(f"role {role_logical_id} uses AWS managed policies this check cannot read")
            self._resolved[role_logical_id] = self.physical.resolve(statements)
        return self._resolved[role_logical_id]

    def role_arn(self, role_logical_id: str) -> str:
        return self.physical.attributes[(role_logical_id, "Arn")]

    def resource_policy(self, resource_arn: str) -> tuple[list[dict], bool]:
        """The policy of the resource a request is for, and whether it is a KMS key policy."""
        if resource_arn in self.key_policies:
            return self.key_policies[resource_arn], True
        if resource_arn.startswith(f"arn:{PARTITION}:s3:::"):
            bucket = resource_arn.split(":::", 1)[1].split("/", 1)[0]
            return self.bucket_policies.get(bucket, []), False
        if resource_arn in self.topic_policies:
            return self.topic_policies[resource_arn], False
        for queue_url, statements in self.queue_policies.items():
            if resource_arn.endswith(":" + queue_url.rsplit("/", 1)[-1]):
                return statements, False
        return [], False

    def decide(
        self, principal_arn: str, request_action: str, resource: str, context: dict, identity: list[dict]
    ) -> Decision:
        statements, is_key = self.resource_policy(resource)
        request = Request(principal_arn, request_action, resource, context)
        return evaluate(request, identity, statements, key_policy=is_key)


# -- what AWS authorizes for one call ----------------------------------------------------------------


@dataclass(frozen=True)
class Needed:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def _s3_object(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


def required_permissions(
    service: str, operation: str, params: dict, policies: TemplatePolicies, region: str, account: str
) -> list[Needed]:
    """The IAM requests AWS evaluates for one API call (documented per service in the Service
    Authorization Reference; the implicit KMS requests from S3's, SNS's and DynamoDB's KMS pages)."""

    def kms(key_arn: str | None, via: str, *actions: str) -> list[Needed]:
        if not key_arn:
            return []
        return [
            Needed(a, key_arn, (("kms:ViaService", f"{via}.{region}.amazonaws.com"), ("kms:CallerAccount", account)))
            for a in actions
        ]

    if service == "s3":
        bucket = params.get("Bucket", "")
        key_arn = policies.bucket_keys.get(bucket)
        versioned = bool(params.get("VersionId"))
        if operation in ("GetObject", "HeadObject"):
            action = "s3:GetObjectVersion" if versioned else "s3:GetObject"
            needed = [Needed(action, _s3_object(bucket, params["Key"]))]
            # Reading the bytes of an SSE-KMS object needs Decrypt; HEAD returns only metadata.
            return needed + (kms(key_arn, "s3", "kms:Decrypt") if operation == "GetObject" else [])
        if operation in ("PutObject", "CreateMultipartUpload"):
            return [Needed("s3:PutObject", _s3_object(bucket, params["Key"]))] + kms(
                key_arn, "s3", "kms:GenerateDataKey"
            )
        if operation in ("UploadPart", "CompleteMultipartUpload"):
            # Multipart uploads to SSE-KMS buckets also need Decrypt (S3 decrypts the data key per part).
            return [Needed("s3:PutObject", _s3_object(bucket, params["Key"]))] + kms(key_arn, "s3", "kms:Decrypt")
        if operation == "AbortMultipartUpload":
            return [Needed("s3:AbortMultipartUpload", _s3_object(bucket, params["Key"]))]
        if operation in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
            action = "s3:ListBucketVersions" if operation == "ListObjectVersions" else "s3:ListBucket"
            context = (("s3:prefix", params["Prefix"]),) if "Prefix" in params else ()
            return [Needed(action, f"arn:{PARTITION}:s3:::{bucket}", context)]
        if operation == "DeleteObject":
            action = "s3:DeleteObjectVersion" if versioned else "s3:DeleteObject"
            return [Needed(action, _s3_object(bucket, params["Key"]))]
        if operation == "DeleteObjects":
            return [
                Needed(
                    "s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", _s3_object(bucket, o["Key"])
                )
                for o in params["Delete"]["Objects"]
            ]
    if service == "dynamodb":
        table = params["TableName"]
        table_arn = f"arn:{PARTITION}:dynamodb:{region}:{account}:table/{table}"
        if operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan"):
            # A table encrypted with a customer managed key is read and written through KMS as the caller.
            return [Needed(f"dynamodb:{operation}", table_arn)] + kms(
                policies.table_keys.get(table), "dynamodb", "kms:Decrypt"
            )
    if service == "sns" and operation == "Publish":
        topic = params["TopicArn"]
        return [Needed("sns:Publish", topic)] + kms(
            policies.topic_keys.get(topic), "sns", "kms:GenerateDataKey", "kms:Decrypt"
        )
    if service == "stepfunctions" or service == "sfn":
        if operation == "StartExecution":
            return [Needed("states:StartExecution", params["stateMachineArn"])]
        if operation in ("SendTaskSuccess", "SendTaskFailure", "SendTaskHeartbeat"):
            return [Needed(f"states:{operation}", "*")]  # no resource type: the token is the credential
        if operation in ("DescribeExecution", "StopExecution"):
            return [Needed(f"states:{operation}", params["executionArn"])]
    if service == "lambda" and operation == "Invoke":
        name = params["FunctionName"]
        arn = name if name.startswith("arn:") else f"arn:{PARTITION}:lambda:{region}:{account}:function:{name}"
        return [Needed("lambda:InvokeFunction", arn)]
    raise NotImplementedError(f"no IAM mapping for {service}.{operation}; add it to tests/e2e/access_check.py")


# -- the hook -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Denial:
    principal: str  # a function's handler module name, or "state machine"
    action: str
    resource: str
    reason: str

    def __str__(self) -> str:
        return f"{self.principal}: {self.action} on {self.resource} denied ({self.reason})"


#: Who is calling, per thread: the in-process Lambda invoke pushes the function's name.
_acting = threading.local()

#: The access key moto's Step Functions interpreter creates its clients with (moto's boto_client_for).
MOTO_STATES_ACCESS_KEY = "ak"
STATE_MACHINE = "state machine"


@contextmanager
def acting_as(principal: str) -> Iterator[None]:
    stack = getattr(_acting, "stack", None)
    if stack is None:
        stack = _acting.stack = []
    stack.append(principal)
    try:
        yield
    finally:
        stack.pop()


class AccessChecker:
    """Checks the calls of the handlers and the state machine against the template's policies."""

    _active: "AccessChecker | None" = None

    def __init__(self, template: dict, physical: PhysicalIds, region: str, account: str, roles: dict[str, str]) -> None:
        """``roles`` maps each principal name (handler module name, "state machine") to its role's
        logical id in the template."""
        self.policies = TemplatePolicies(template, physical)
        self.region, self.account, self.roles = region, account, roles
        self.denials: list[Denial] = []
        self.checked: list[tuple[str, str, str]] = []  # (principal, action, resource) of allowed requests
        self.problems: list[str] = []  # calls that could not be attributed or mapped
        #: Refuse denied calls as AWS would (True), or only record them (False: lists every gap of a run).
        self.enforce = True
        self._lock = threading.Lock()

    def check_call(self, principal: str, service: str, operation: str, params: dict) -> list[Denial]:
        role = self.roles[principal]
        identity = self.policies.identity(role)
        role_arn = self.policies.role_arn(role)
        denied = []
        for needed in required_permissions(service, operation, params, self.policies, self.region, self.account):
            context = {
                "aws:SecureTransport": "true",
                "aws:PrincipalArn": role_arn,
                "aws:PrincipalAccount": self.account,
                **dict(needed.context),
            }
            decision = self.policies.decide(role_arn, needed.action, needed.resource, context, identity)
            if decision.allowed:
                with self._lock:
                    self.checked.append((principal, needed.action, needed.resource))
            else:
                denied.append(Denial(principal, needed.action, needed.resource, decision.reason))
        with self._lock:
            self.denials += denied
        return denied

    def _on_call(self, principal: str, service: str, params: dict, model, **_: Any) -> None:
        try:
            denied = self.check_call(principal, service, model.name, params)
        except NotImplementedError as exc:
            with self._lock:
                self.problems.append(f"{principal}: {exc}")
            raise
        if denied and self.enforce:
            raise ClientError(
                {
                    "Error": {"Code": "AccessDenied", "Message": str(denied[0])},
                    "ResponseMetadata": {"HTTPStatusCode": 403},
                },
                model.name,
            )

    def _principal_of_new_client(self, kwargs: dict) -> str | None:
        if kwargs.get("aws_access_key_id") == MOTO_STATES_ACCESS_KEY:
            return STATE_MACHINE
        stack = getattr(_acting, "stack", None)
        if stack:
            return stack[-1]
        if threading.current_thread() is not threading.main_thread():
            self.problems.append(f"a client created in thread {threading.current_thread().name} has no principal")
        return None

    @contextmanager
    def installed(self) -> Iterator["AccessChecker"]:
        """Check every client created from now on (handlers' and moto's Step Functions clients)."""
        original = botocore.session.Session.create_client
        checker = self

        def create_client(session, service_name, *args, **kwargs):
            client = original(session, service_name, *args, **kwargs)
            principal = checker._principal_of_new_client(kwargs)
            if principal is not None:
                service = client.meta.service_model.endpoint_prefix
                service = "stepfunctions" if service == "states" else service
                client.meta.events.register("provide-client-params", partial(checker._on_call, principal, service))
            return client

        botocore.session.Session.create_client = create_client
        AccessChecker._active = self
        try:
            yield self
        finally:
            botocore.session.Session.create_client = original
            AccessChecker._active = None

    def report(self) -> str:
        lines = [str(d) for d in self.denials] + self.problems
        return "\n".join(lines)
