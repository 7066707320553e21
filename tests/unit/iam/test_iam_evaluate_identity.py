"""Whole-request decisions driven by identity policies (docs/notes/iam-evaluation.md §6, cases 1, 2, 8-13)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from iam_builders import (
    ACCOUNT,
    LOG_STREAM,
    PARAMETER,
    REGION,
    REPOSITORY,
    SECRET,
    allow,
    deny,
    identity,
    policy,
    request,
)

from scanner.iam import (
    ECS_TASK_EXECUTION_ROLE_POLICY_ARN,
    Decision,
    PolicySet,
    Request,
    ResourcePolicy,
    aws_managed_policy,
    evaluate_request,
)

ALLOWED = Decision.ALLOWED
EXPLICIT = Decision.EXPLICIT_DENY
IMPLICIT = Decision.IMPLICIT_DENY
UNDETERMINED = Decision.UNDETERMINED


@dataclass(frozen=True)
class Case:
    name: str
    policies: PolicySet
    request: Request
    expected: Decision


def run(cases: list[Case]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("case", cases, ids=[case.name for case in cases])


# §6.1 The doc's Carlos example: identity policy of user carlossalazar plus a bucket policy.
CARLOS = f"arn:aws:iam::{ACCOUNT}:user/carlossalazar"
CARLOS_POLICIES = PolicySet(
    identity_policies=[
        policy(
            allow(["s3:ListAllMyBuckets", "s3:HeadBucket"], "*", sid="AllowS3ListRead"),
            allow("s3:*", ["arn:aws:s3:::carlossalazar/*", "arn:aws:s3:::carlossalazar"], sid="AllowS3Self"),
            deny("s3:*", ["arn:aws:s3:::*log*", "arn:aws:s3:::*log*/*"], sid="DenyS3Logs"),
            name="carlos-identity",
        )
    ],
    resource_policy=ResourcePolicy(
        owner_account=ACCOUNT,
        policy=policy(allow("s3:*", "*", principal={"AWS": CARLOS}), name="carlossalazar-bucket-policy"),
    ),
)


def carlos(action: str, resource: str) -> Request:
    return request(action, resource, principal=CARLOS)


CARLOS_CASES = [
    Case(
        "carlos-put-into-logs-bucket-explicit-deny",
        CARLOS_POLICIES,
        carlos("s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f.txt"),
        EXPLICIT,
    ),
    Case(
        "carlos-put-into-own-bucket-allowed",
        CARLOS_POLICIES,
        carlos("s3:PutObject", "arn:aws:s3:::carlossalazar/f.txt"),
        ALLOWED,
    ),
    Case("carlos-list-all-buckets-allowed", CARLOS_POLICIES, carlos("s3:ListAllMyBuckets", "*"), ALLOWED),
    Case(
        "carlos-other-bucket-implicit-deny",
        PolicySet(identity_policies=CARLOS_POLICIES.identity_policies),
        carlos("s3:GetObject", "arn:aws:s3:::someone-else/f.txt"),
        IMPLICIT,
    ),
    Case(
        "carlos-bucket-policy-alone-allows-same-account",
        PolicySet(resource_policy=CARLOS_POLICIES.resource_policy),
        carlos("s3:GetObject", "arn:aws:s3:::carlossalazar/f.txt"),
        ALLOWED,
    ),
]

# §6.2 The doc's explicit-versus-implicit deny example.
IAM_READ = policy(
    allow(["iam:Get*", "iam:List*"], "*", sid="ReadIam"),
    deny("iam:*Report", "*", sid="NoReports"),
    name="iam-read",
)
IAM_READ_AND_REPORT = PolicySet(
    identity_policies=[IAM_READ, policy(allow("iam:GenerateCredentialReport", "*"), name="report")]
)
EXPLICIT_IMPLICIT_CASES = [
    Case(
        "get-role-allowed",
        PolicySet(identity_policies=[IAM_READ]),
        request("iam:GetRole", "arn:aws:iam::111122223333:role/x"),
        ALLOWED,
    ),
    Case(
        "create-policy-implicit-deny",
        PolicySet(identity_policies=[IAM_READ]),
        request("iam:CreatePolicy", "*"),
        IMPLICIT,
    ),
    Case(
        "report-explicit-deny",
        PolicySet(identity_policies=[IAM_READ]),
        request("iam:GetOrganizationsAccessReport", "*"),
        EXPLICIT,
    ),
    Case(
        "report-any-case-explicit-deny",
        PolicySet(identity_policies=[IAM_READ]),
        request("IAM:getorganizationsaccessREPORT", "*"),
        EXPLICIT,
    ),
    Case(
        "second-policy-allow-still-denied",
        IAM_READ_AND_REPORT,
        request("iam:GenerateCredentialReport", "*"),
        EXPLICIT,
    ),
]

# §6.8 NotAction (doc examples).
NOT_DELETE_BUCKET = identity(allow(not_action="s3:DeleteBucket", resource="arn:aws:s3:::*"))
NOT_IAM = identity(allow(not_action="iam:*", resource="*"))
NOT_ACTION_CASES = [
    Case(
        "notaction-get-object-allowed",
        NOT_DELETE_BUCKET,
        request("s3:GetObject", "arn:aws:s3:::bucket/key"),
        ALLOWED,
    ),
    Case(
        "notaction-delete-bucket-implicit",
        NOT_DELETE_BUCKET,
        request("s3:DeleteBucket", "arn:aws:s3:::bucket"),
        IMPLICIT,
    ),
    Case(
        "notaction-wildcard-only-action-needs-star",
        NOT_DELETE_BUCKET,
        request("s3:ListAllMyBuckets", "*"),
        IMPLICIT,
    ),
    Case(
        "notaction-other-service-resource-mismatch",
        NOT_DELETE_BUCKET,
        request("secretsmanager:GetSecretValue", SECRET),
        IMPLICIT,
    ),
    Case(
        "notaction-iam-grants-other-services",
        NOT_IAM,
        request("secretsmanager:GetSecretValue", SECRET),
        ALLOWED,
    ),
    Case(
        "notaction-iam-excludes-iam",
        NOT_IAM,
        request("iam:CreateUser", "arn:aws:iam::111122223333:user/x"),
        IMPLICIT,
    ),
]

# §6.9 Deny with NotAction and BoolIfExists on aws:MultiFactorAuthPresent (doc example).
MFA = "aws:MultiFactorAuthPresent"
MFA_POLICIES = identity(
    allow("*", "*", sid="AllowAll"),
    deny(
        not_action="iam:*",
        resource="*",
        condition={"BoolIfExists": {MFA: "false"}},
        sid="DenyAllExceptIamIfNoMFA",
    ),
)
MFA_CASES = [
    Case(
        "mfa-false-denied",
        MFA_POLICIES,
        request("s3:GetObject", "arn:aws:s3:::b/k", context={MFA: False}),
        EXPLICIT,
    ),
    Case(
        "mfa-true-allowed",
        MFA_POLICIES,
        request("s3:GetObject", "arn:aws:s3:::b/k", context={MFA: True}),
        ALLOWED,
    ),
    Case(
        "mfa-known-missing-denied",
        MFA_POLICIES,
        request("s3:GetObject", "arn:aws:s3:::b/k", absent=[MFA]),
        EXPLICIT,
    ),
    Case("mfa-unknown-undetermined", MFA_POLICIES, request("s3:GetObject", "arn:aws:s3:::b/k"), UNDETERMINED),
    Case("mfa-iam-action-untouched", MFA_POLICIES, request("iam:ListRoles", "*", context={MFA: False}), ALLOWED),
]

# §6.10 NotResource: the doc's HRPayroll Deny, and an Allow with NotResource.
PAYROLL = ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]
PAYROLL_ONLY = identity(allow("s3:*", "*"), deny("s3:*", not_resource=PAYROLL, sid="DenyAllButPayroll"))
ALL_BUT_PAYROLL = identity(allow("s3:*", not_resource=PAYROLL))
NOT_RESOURCE_CASES = [
    Case(
        "deny-notresource-payroll-allowed",
        PAYROLL_ONLY,
        request("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/2024.csv"),
        ALLOWED,
    ),
    Case(
        "deny-notresource-other-prefix-denied",
        PAYROLL_ONLY,
        request("s3:GetObject", "arn:aws:s3:::HRBucket/Other/x"),
        EXPLICIT,
    ),
    Case(
        "deny-notresource-other-bucket-denied",
        PAYROLL_ONLY,
        request("s3:GetObject", "arn:aws:s3:::bucket/x"),
        EXPLICIT,
    ),
    Case(
        "allow-notresource-excludes-payroll",
        ALL_BUT_PAYROLL,
        request("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/2024.csv"),
        IMPLICIT,
    ),
    Case(
        "allow-notresource-grants-others",
        ALL_BUT_PAYROLL,
        request("s3:GetObject", "arn:aws:s3:::bucket/x"),
        ALLOWED,
    ),
]

# §6.11 Wildcard-only actions: the request resource is "*".
TOKEN = "ecr:GetAuthorizationToken"
WILDCARD_ONLY_CASES = [
    Case("token-specific-arn-does-not-grant", identity(allow(TOKEN, REPOSITORY)), request(TOKEN), IMPLICIT),
    Case("token-star-grants", identity(allow(TOKEN, "*")), request(TOKEN), ALLOWED),
    Case("token-arn-and-star-grants", identity(allow(TOKEN, [REPOSITORY, "*"])), request(TOKEN), ALLOWED),
    Case("token-arn-glob-does-not-grant", identity(allow(TOKEN, "arn:aws:ecr:*:*:*")), request(TOKEN), IMPLICIT),
    Case(
        "token-deny-specific-arn-does-not-deny",
        identity(allow(TOKEN, "*"), deny(TOKEN, REPOSITORY)),
        request(TOKEN),
        ALLOWED,
    ),
    Case(
        "token-deny-notresource-denies",
        identity(allow(TOKEN, "*"), deny(TOKEN, not_resource=REPOSITORY)),
        request(TOKEN),
        EXPLICIT,
    ),
    Case(
        "token-allow-notresource-grants",
        identity(allow(TOKEN, not_resource=REPOSITORY)),
        request(TOKEN),
        ALLOWED,
    ),
    Case(
        "token-resource-with-unknown-variable-is-not-star",
        identity(allow(TOKEN, f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/${{aws:PrincipalTag/team}}")),
        request(TOKEN),
        IMPLICIT,
    ),
]

# §6.12 AmazonECSTaskExecutionRolePolicy, shipped as a fallback.
ecs_managed = aws_managed_policy(ECS_TASK_EXECUTION_ROLE_POLICY_ARN)
assert ecs_managed is not None
ECS_MANAGED = PolicySet(identity_policies=[ecs_managed])
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app"
ECS_CASES = [
    Case("ecs-managed-token", ECS_MANAGED, request(TOKEN), ALLOWED),
    Case(
        "ecs-managed-layer-availability",
        ECS_MANAGED,
        request("ecr:BatchCheckLayerAvailability", REPOSITORY),
        ALLOWED,
    ),
    Case("ecs-managed-download-url", ECS_MANAGED, request("ecr:GetDownloadUrlForLayer", REPOSITORY), ALLOWED),
    Case("ecs-managed-batch-get-image", ECS_MANAGED, request("ecr:BatchGetImage", REPOSITORY), ALLOWED),
    Case("ecs-managed-create-log-stream", ECS_MANAGED, request("logs:CreateLogStream", LOG_STREAM), ALLOWED),
    Case("ecs-managed-put-log-events", ECS_MANAGED, request("logs:PutLogEvents", LOG_STREAM), ALLOWED),
    Case("ecs-managed-no-create-log-group", ECS_MANAGED, request("logs:CreateLogGroup", LOG_GROUP), IMPLICIT),
    Case("ecs-managed-no-secrets", ECS_MANAGED, request("secretsmanager:GetSecretValue", SECRET), IMPLICIT),
    Case("ecs-managed-no-ssm", ECS_MANAGED, request("ssm:GetParameters", PARAMETER), IMPLICIT),
    Case(
        "ecs-managed-no-kms",
        ECS_MANAGED,
        request("kms:Decrypt", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k"),
        IMPLICIT,
    ),
    Case(
        "log-group-without-colon-star-misses-stream",
        identity(allow("logs:PutLogEvents", LOG_GROUP)),
        request("logs:PutLogEvents", LOG_STREAM),
        IMPLICIT,
    ),
    Case(
        "log-group-with-colon-star-covers-stream",
        identity(allow("logs:PutLogEvents", f"{LOG_GROUP}:*")),
        request("logs:PutLogEvents", LOG_STREAM),
        ALLOWED,
    ),
    Case(
        "ssm-parameter-arn-single-slash",
        identity(allow("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/*")),
        request("ssm:GetParameters", PARAMETER),
        ALLOWED,
    ),
    Case(
        "ssm-parameter-arn-double-slash-misses",
        identity(allow("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter//prod/*")),
        request("ssm:GetParameters", PARAMETER),
        IMPLICIT,
    ),
    Case(
        "secret-suffix-six-question-marks",
        identity(allow("secretsmanager:GetSecretValue", SECRET[:-6] + "??????")),
        request("secretsmanager:GetSecretValue", SECRET),
        ALLOWED,
    ),
    Case(
        "secret-suffix-five-question-marks",
        identity(allow("secretsmanager:GetSecretValue", SECRET[:-6] + "?????")),
        request("secretsmanager:GetSecretValue", SECRET),
        IMPLICIT,
    ),
    Case(
        "secret-name-without-suffix",
        identity(allow("secretsmanager:GetSecretValue", SECRET[:-7])),
        request("secretsmanager:GetSecretValue", SECRET),
        IMPLICIT,
    ),
]

# §6.13 Conditions: SourceVpce allow and deny, an unknown deny with nothing allowing, policy variables.
GET_SECRET = "secretsmanager:GetSecretValue"
VPCE = "aws:SourceVpce"
VPCE_ALLOW = identity(allow(GET_SECRET, SECRET, condition={"StringEquals": {VPCE: "vpce-0abc"}}))
VPCE_DENY = identity(
    allow(GET_SECRET, SECRET),
    deny(GET_SECRET, "*", condition={"StringNotEquals": {VPCE: "vpce-0abc"}}, sid="OnlyThroughEndpoint"),
)
VPCE_DENY_ONLY = identity(deny(GET_SECRET, "*", condition={"StringNotEquals": {VPCE: "vpce-0abc"}}))
TEAM_BUCKET = identity(allow("s3:GetObject", "arn:aws:s3:::team-data/${aws:PrincipalTag/team}/*"))
TEAM_OBJECT = "arn:aws:s3:::team-data/payments/report.csv"
CONDITION_CASES = [
    Case("allow-source-vpce-unknown", VPCE_ALLOW, request(GET_SECRET, SECRET), UNDETERMINED),
    Case(
        "allow-source-vpce-match",
        VPCE_ALLOW,
        request(GET_SECRET, SECRET, context={VPCE: "vpce-0abc"}),
        ALLOWED,
    ),
    Case(
        "allow-source-vpce-mismatch",
        VPCE_ALLOW,
        request(GET_SECRET, SECRET, context={VPCE: "vpce-9999"}),
        IMPLICIT,
    ),
    Case("allow-source-vpce-absent", VPCE_ALLOW, request(GET_SECRET, SECRET, absent=[VPCE]), IMPLICIT),
    Case("deny-not-equals-unknown", VPCE_DENY, request(GET_SECRET, SECRET), UNDETERMINED),
    Case("deny-not-equals-match", VPCE_DENY, request(GET_SECRET, SECRET, context={VPCE: "vpce-0abc"}), ALLOWED),
    Case(
        "deny-not-equals-mismatch",
        VPCE_DENY,
        request(GET_SECRET, SECRET, context={VPCE: "vpce-9999"}),
        EXPLICIT,
    ),
    Case("deny-not-equals-absent", VPCE_DENY, request(GET_SECRET, SECRET, absent=[VPCE]), EXPLICIT),
    Case("unknown-deny-nothing-allows-implicit", VPCE_DENY_ONLY, request(GET_SECRET, SECRET), IMPLICIT),
    Case("resource-variable-unknown", TEAM_BUCKET, request("s3:GetObject", TEAM_OBJECT), UNDETERMINED),
    Case(
        "resource-variable-resolved",
        TEAM_BUCKET,
        request("s3:GetObject", TEAM_OBJECT, context={"aws:PrincipalTag/team": "payments"}),
        ALLOWED,
    ),
    Case(
        "resource-variable-other-value",
        TEAM_BUCKET,
        request("s3:GetObject", TEAM_OBJECT, context={"aws:PrincipalTag/team": "risk"}),
        IMPLICIT,
    ),
    Case(
        "resource-variable-absent",
        TEAM_BUCKET,
        request("s3:GetObject", TEAM_OBJECT, absent=["aws:PrincipalTag/team"]),
        IMPLICIT,
    ),
    Case(
        "resource-variable-literal-without-version",
        identity(allow("s3:GetObject", "arn:aws:s3:::team-data/${aws:PrincipalTag/team}/*"), version=None),
        request(
            "s3:GetObject",
            "arn:aws:s3:::team-data/${aws:PrincipalTag/team}/x",
            context={"aws:PrincipalTag/team": "payments"},
        ),
        ALLOWED,
    ),
    Case(
        "resource-variable-not-resolved-in-2008",
        identity(allow("s3:GetObject", "arn:aws:s3:::team-data/${aws:PrincipalTag/team}/*"), version="2008-10-17"),
        request("s3:GetObject", TEAM_OBJECT, context={"aws:PrincipalTag/team": "payments"}),
        IMPLICIT,
    ),
    Case(
        "resource-variable-default-when-absent",
        identity(allow("s3:GetObject", "arn:aws:s3:::team-data/${aws:PrincipalTag/team, 'payments'}/*")),
        request("s3:GetObject", TEAM_OBJECT, absent=["aws:PrincipalTag/team"]),
        ALLOWED,
    ),
    Case(
        "resource-escaped-star-is-literal",
        identity(allow("s3:GetObject", "arn:aws:s3:::team-data/${*}")),
        request("s3:GetObject", TEAM_OBJECT),
        IMPLICIT,
    ),
    Case(
        "resource-escaped-star-matches-star",
        identity(allow("s3:GetObject", "arn:aws:s3:::team-data/${*}${?}${$}")),
        request("s3:GetObject", "arn:aws:s3:::team-data/*?$"),
        ALLOWED,
    ),
    Case(
        "resource-substituted-value-is-literal",
        TEAM_BUCKET,
        request("s3:GetObject", TEAM_OBJECT, context={"aws:PrincipalTag/team": "*"}),
        IMPLICIT,
    ),
    Case(
        "principal-arn-filled-from-request",
        identity(allow(GET_SECRET, SECRET, condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/ecs-*"}})),
        request(GET_SECRET, SECRET),
        ALLOWED,
    ),
]


@run(CARLOS_CASES)
def test_doc_carlos_example(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(EXPLICIT_IMPLICIT_CASES)
def test_doc_explicit_versus_implicit_deny(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(NOT_ACTION_CASES)
def test_doc_not_action(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(MFA_CASES)
def test_doc_mfa_deny_with_not_action(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(NOT_RESOURCE_CASES)
def test_not_resource(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(WILDCARD_ONLY_CASES)
def test_wildcard_only_actions(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(ECS_CASES)
def test_ecs_execution_role_needs(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected


@run(CONDITION_CASES)
def test_conditions_and_variables(case: Case) -> None:
    assert evaluate_request(case.request, case.policies).decision is case.expected
