"""The execution plan of a workload: the calls its execution role makes at task start, with the
policies that govern each (`scanner.iam.requests` derives it). Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final, Literal

from scanner.iam.account_policies import RolePolicies, Unknown
from scanner.iam.policy_set import PolicySet
from scanner.iam.request import ContextValue, Request, RequestContext

if TYPE_CHECKING:
    from scanner.iam.trust import TrustAnswer
from scanner.inventory.iam import Role
from scanner.inventory.network import VpcEndpoint
from scanner.inventory.workloads import Workload

ResourceKind = Literal[
    "token",
    "repository",
    "log_stream",
    "log_group",
    "secret",
    "parameter",
    "key",
    "layer_bucket",
    "environment_file",
    "environment_bucket",
]

LAYER_ACTIONS: Final = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
TOKEN_ACTION: Final = "ecr:GetAuthorizationToken"
PULL_THROUGH_ACTION: Final = "ecr:BatchImportUpstreamImage"
CREATE_REPOSITORY_ACTION: Final = "ecr:CreateRepository"
LOG_ACTIONS: Final = ("logs:CreateLogStream", "logs:PutLogEvents")
CREATE_GROUP_ACTION: Final = "logs:CreateLogGroup"
SECRET_ACTION: Final = "secretsmanager:GetSecretValue"
PARAMETER_ACTION: Final = "ssm:GetParameters"
DECRYPT_ACTION: Final = "kms:Decrypt"
LAYER_DOWNLOAD_ACTION: Final = "s3:GetObject"
ENVIRONMENT_FILE_ACTION: Final = "s3:GetObject"
BUCKET_LOCATION_ACTION: Final = "s3:GetBucketLocation"
# Two shapes of ECS task id (32 hex digits): a policy that allows one and not the other restricts the
# task id part of the log stream name, which is unknown before the task runs.
TASK_IDS: Final = ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210")
PLACEHOLDER_SUFFIX: Final = "AbCdEf"
"""Stands for the random six characters Secrets Manager appends to a secret name in its ARN."""
RCP_SERVICES: Final = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-idp", "logs"})
"""The services whose resources resource control policies govern (AWS Organizations user guide, "List
of AWS services that support RCPs": S3, STS, KMS, SQS and Secrets Manager at launch; ECR and OpenSearch
Serverless, then Cognito and CloudWatch Logs since). SSM parameters, for one, are not."""
AWS_OWNED: Final = "aws-owned"
"""Stands for the AWS-owned account and organization of ECR's layer downloads: any value of the
customer's own compares unequal to it, which is what AWS sees."""


@dataclass(frozen=True, slots=True)
class DerivedRequest:
    """One call, the policies of the role's side and resource side, and how it travels."""

    request: Request
    policies: PolicySet | None
    """None when the identity side cannot be known (see `unknown`)."""
    purpose: str
    """What needs it: `container app pulls IMAGE`, `container app reads secret DB_PASSWORD`."""
    kind: ResourceKind
    grant_resource: str
    """The Resource to write in a statement that grants it (`...:log-group:G:*` for log streams)."""
    endpoint_service: str | None
    """The VPC endpoint service (`ecr.dkr`, `logs`, ...) whose endpoint in the task's VPC the call goes
    through, None when it never does (KMS calls made by Secrets Manager or SSM, other regions)."""
    alternates: tuple[str, ...] = ()
    """Other resources that must give the same answer (log streams of other task ids)."""
    alternates_reason: str = ""
    """What the alternates stand for, when they do not all give the same answer."""
    unknown: Unknown | None = None
    """Why the role's side cannot be decided (a secret not collected, a key policy unreadable)."""
    resource_resolved: bool = True
    """False when the resource ARN itself is unknown (a secret that was not described): a bare name
    cannot be evaluated at all; an ARN is tried as written and with a random suffix (`alternates`)."""
    resource_owner: str | None = None
    resource_policy_document: object | None = None
    """The resource side's raw policy document (for fixes that extend it)."""

    @property
    def action(self) -> str:
        return self.request.action

    @property
    def resource(self) -> str:
        return self.request.resource

    def through(self, endpoint: VpcEndpoint) -> Request:
        """The request as it reaches `endpoint`: `aws:SourceVpce` and `aws:SourceVpc` are its own."""
        return with_endpoint(self.request, endpoint)


@dataclass(frozen=True, slots=True)
class DerivationProblem:
    """A definite finding of the derivation itself (the task would fail whatever the policies say)."""

    code: Literal[
        "missing_role",
        "no_execution_role",
        "secret_missing",
        "parameter_missing",
        "default_key_cross_account",
        "key_disabled",
        "key_pending_deletion",
        "key_unusable",
    ]
    vars: dict[str, str]


@dataclass
class ExecutionPlan:
    """Everything VPCE007 and VPCE008 need about one workload's execution role."""

    workload: Workload
    reference: str | None
    """`executionRoleArn` as written (an ARN or a bare name), None when the task definition has none."""
    role: Role | None
    principal_arn: str | None
    """The role ARN: resolved, else as referenced (for endpoint policies), None without a role."""
    needs_role: bool
    role_policies: RolePolicies | None = None
    requests: list[DerivedRequest] = field(default_factory=list)
    layer_downloads: list[DerivedRequest] = field(default_factory=list)
    problems: list[DerivationProblem] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    """Reasons the whole role side cannot be decided (role not collected, policy not collected)."""
    notes: list[str] = field(default_factory=list)
    """Evidence worth showing on a decided result (SCPs not evaluated)."""
    trust: TrustAnswer | Unknown | None = None
    """Whether ECS may assume the role (its trust policy); None when the role or its trust policy is not
    in the inventory (a note says so for the latter)."""

    @property
    def role_name(self) -> str:
        if self.role is not None:
            return self.role.role_name
        if self.reference:
            return self.reference.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        return (
            f"{self.workload.task_definition.family if self.workload.task_definition else self.workload.name}-execution"
        )

    def through(self, service: str) -> list[DerivedRequest]:
        """The requests that go through the task VPC's endpoint of `service` (whether it exists or not)."""
        found = [r for r in self.requests if r.endpoint_service == service]
        return found + [r for r in self.layer_downloads if r.endpoint_service == service]


def with_endpoint(request: Request, endpoint: VpcEndpoint) -> Request:
    """`request` with the network keys of a call that arrives through `endpoint`."""
    values: dict[str, ContextValue] = dict(request.context.values)
    values["aws:sourcevpce"] = endpoint.vpc_endpoint_id
    values["aws:sourcevpc"] = endpoint.vpc_id
    absent = (request.context.absent - {"aws:sourcevpce", "aws:sourcevpc"}) | {"aws:sourceip"}
    absent -= values.keys()
    return replace(request, context=RequestContext(values, absent))
