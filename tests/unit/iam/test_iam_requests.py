"""Request derivation (scanner.iam.requests): what a workload's execution role is asked for at task
start, with ECS semantics (docs/notes/iam-evaluation.md §1.7). Table-driven; each case is named."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from scanner.iam import Decision, evaluate_request
from scanner.iam.policy_set import ResourcePolicyKind
from scanner.iam.requests import ExecutionPlan, execution_plan
from scanner.inventory.endpoint_use import workload_needs
from scanner.inventory.references import parse_value_from
from scanner.inventory.workloads import derive_workloads
from tests.builders import (
    ACCOUNT,
    ECS_EXECUTION_POLICY,
    ENDPOINT,
    EXECUTION_ROLE,
    EXECUTION_ROLE_NAME,
    IMAGE,
    NEEDED,
    REGION,
    TASK_DEFINITION_ARN,
    Json,
    Scenario,
    container,
)

OTHER_ACCOUNT = "444455556666"
SECRET_NAME = "prod/db"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}-AbCdEf"
PARTIAL_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{SECRET_NAME}"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
ROOT_DELEGATION: Json = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    ],
}
LOG_GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app"


def scenario(*containers: Json, execution_role: str | None = EXECUTION_ROLE) -> Scenario:
    s = Scenario.compliant(endpoints=(*NEEDED, "secretsmanager", "ssm"))
    s.data["task_definitions"] = []
    s.task_definition(containers=list(containers) or [container()], execution_role=execution_role)
    s.role(attached=[ECS_EXECUTION_POLICY])
    return s


def plan_of(s: Scenario) -> ExecutionPlan:
    workloads = derive_workloads(s.build())
    workload_needs(workloads)
    (workload,) = workloads
    return execution_plan(workload)


def calls(plan: ExecutionPlan) -> set[tuple[str, str]]:
    return {(r.action, r.resource) for r in plan.requests}


@dataclass(frozen=True)
class Case:
    name: str
    arrange: Callable[[], Scenario]
    # Requests that must be derived, (action, resource).
    includes: Sequence[tuple[str, str]] = ()
    excludes: Sequence[tuple[str, str]] = ()
    problems: Sequence[str] = ()
    unknown: Sequence[str] = ()
    check: Callable[[ExecutionPlan], None] | None = field(default=None)


def secret_scenario(value_from: str, **secret: object) -> Scenario:
    s = scenario(container(secrets=[("DB", value_from)]))
    s.secret(SECRET_NAME, **secret)  # type: ignore[arg-type]
    return s


def cmk_secret() -> Scenario:
    s = secret_scenario(SECRET_ARN, kms_key_id="alias/app", kms_key_arn=KEY_ARN)
    s.kms_key(KEY_ID, policy=ROOT_DELEGATION)
    return s


def check_cmk(plan: ExecutionPlan) -> None:
    (decrypt,) = [r for r in plan.requests if r.action == "kms:Decrypt"]
    assert decrypt.policies is not None and decrypt.policies.resource_policy is not None
    assert decrypt.policies.resource_policy.kind is ResourcePolicyKind.KEY_POLICY
    values = decrypt.request.context.values
    assert values["kms:viaservice"] == (f"secretsmanager.{REGION}.amazonaws.com",)
    assert values["kms:encryptioncontext:secretarn"] == (SECRET_ARN,)
    assert decrypt.endpoint_service is None  # made by Secrets Manager, not through the task's endpoints


def check_logs(plan: ExecutionPlan) -> None:
    (put,) = [r for r in plan.requests if r.action == "logs:PutLogEvents"]
    assert put.resource.startswith(f"{LOG_GROUP_ARN}:log-stream:app/app/")
    assert put.grant_resource == f"{LOG_GROUP_ARN}:*"
    assert put.alternates and put.alternates[0] != put.resource
    assert put.endpoint_service == "logs"
    assert put.request.context.values["aws:sourcevpce"] == (ENDPOINT["logs"],)


def check_token(plan: ExecutionPlan) -> None:
    (token,) = [r for r in plan.requests if r.action == "ecr:GetAuthorizationToken"]
    assert token.resource == "*" and token.endpoint_service == "ecr.api"
    # On Fargate the token call carries no aws:SourceVpce for the role's policies (ECS docs).
    assert "aws:sourcevpce" in token.request.context.absent


def check_cross_account_image(plan: ExecutionPlan) -> None:
    pulls = [r for r in plan.requests if r.kind == "repository"]
    assert {r.unknown is not None for r in pulls} == {True}
    assert "repository policy" in str(pulls[0].unknown)


def check_cross_account_image_with_policy(plan: ExecutionPlan) -> None:
    pull = next(r for r in plan.requests if r.kind == "repository")
    assert pull.policies is not None and pull.policies.resource_policy is not None
    assert pull.policies.resource_policy.owner_account == OTHER_ACCOUNT


def image_from(account: str, region: str) -> Scenario:
    return scenario(container(image=f"{account}.dkr.ecr.{region}.amazonaws.com/shared/base:1"))


def with_repository_policy() -> Scenario:
    s = image_from(OTHER_ACCOUNT, REGION)
    s.repository_policy(f"arn:aws:ecr:{REGION}:{OTHER_ACCOUNT}:repository/shared/base", None)
    return s


def create_group() -> Scenario:
    app = container()
    app["logConfiguration"]["options"]["awslogs-create-group"] = "true"
    return scenario(app)


def role_by_name() -> Scenario:
    return scenario(container(), execution_role=EXECUTION_ROLE_NAME)


def check_role_by_name(plan: ExecutionPlan) -> None:
    assert plan.role is not None and plan.principal_arn == EXECUTION_ROLE


def ssm_by_name(name: str, **parameter: object) -> Scenario:
    s = scenario(container(secrets=[("P", name)]))
    s.parameter("/prod/db" if "/" in name else name, **parameter)  # type: ignore[arg-type]
    return s


def secret_reference() -> Scenario:
    s = scenario(container(secrets=[("DB", "/aws/reference/secretsmanager/prod/db")]))
    s.secret(SECRET_NAME)
    return s


def check_secret_reference(plan: ExecutionPlan) -> None:
    secret = next(r for r in plan.requests if r.action == "secretsmanager:GetSecretValue")
    # SSM reads the secret on the role's behalf: not through the task's Secrets Manager endpoint.
    assert secret.endpoint_service is None


def docker_hub_with_credentials() -> Scenario:
    app = container(image="docker.io/library/nginx:1.27", logs=False)
    app["repositoryCredentials"] = {"credentialsParameter": SECRET_ARN}
    s = scenario(app)
    s.secret(SECRET_NAME)
    return s


def undescribed_partial() -> Scenario:
    return scenario(container(secrets=[("DB", PARTIAL_SECRET_ARN)]))


def check_undescribed(plan: ExecutionPlan) -> None:
    (secret,) = [r for r in plan.requests if r.kind == "secret"]
    assert not secret.resource_resolved and secret.alternates == (f"{PARTIAL_SECRET_ARN}-AbCdEf",)


def cross_account_secret(**secret: object) -> Scenario:
    arn = f"arn:aws:secretsmanager:{REGION}:{OTHER_ACCOUNT}:secret:shared/api-Xy9Z8w"
    s = scenario(container(secrets=[("API", arn)]))
    s.secret("shared/api", suffix="Xy9Z8w", account=OTHER_ACCOUNT, **secret)  # type: ignore[arg-type]
    return s


def check_cross_account_secret(plan: ExecutionPlan) -> None:
    secret = next(r for r in plan.requests if r.kind == "secret")
    assert secret.policies is not None and secret.policies.resource_policy is not None
    assert secret.policies.resource_policy.owner_account == OTHER_ACCOUNT
    assert secret.policies.resource_policy.policy is None  # no policy: the other account does not allow


def missing(field_name: str, reference: str, app: Json) -> Scenario:
    s = scenario(app)
    if field_name == "missing_roles":
        without_role(s)
    s.missing(field_name, reference)
    return s


def without_role(s: Scenario) -> Scenario:
    s.account_data.pop("roles")
    return s


def secure_string_cmk() -> Scenario:
    s = ssm_by_name("/prod/db", type_="SecureString", key_id=KEY_ID, kms_key_arn=KEY_ARN)
    s.kms_key(KEY_ID, policy=ROOT_DELEGATION)
    return s


def no_role_needed() -> Scenario:
    return scenario(container(image="public.ecr.aws/nginx/nginx:1", logs=False), execution_role=None)


def check_no_role_needed(plan: ExecutionPlan) -> None:
    assert not plan.needs_role and plan.requests == [] and plan.problems == []


SSM_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/db"
CASES = [
    Case(
        "ECR image: the token on * and the three layer actions on the repository",
        lambda: scenario(),
        includes=[
            ("ecr:GetAuthorizationToken", "*"),
            *(
                (a, f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app")
                for a in ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")
            ),
        ],
        check=check_token,
    ),
    Case("awslogs: the two stream actions on the log-stream ARN", lambda: scenario(), check=check_logs),
    Case(
        "awslogs-create-group adds logs:CreateLogGroup on the group",
        create_group,
        includes=[("logs:CreateLogGroup", LOG_GROUP_ARN)],
    ),
    Case(
        "no awslogs-create-group: no CreateLogGroup",
        lambda: scenario(),
        excludes=[("logs:CreateLogGroup", LOG_GROUP_ARN)],
    ),
    Case(
        "full secret ARN",
        lambda: secret_scenario(SECRET_ARN),
        includes=[("secretsmanager:GetSecretValue", SECRET_ARN)],
    ),
    Case(
        "partial secret ARN resolves to the full ARN with its suffix",
        lambda: secret_scenario(PARTIAL_SECRET_ARN),
        includes=[("secretsmanager:GetSecretValue", SECRET_ARN)],
    ),
    Case(
        "JSON-key suffix is not part of the secret ARN",
        lambda: secret_scenario(f"{SECRET_ARN}:password:AWSCURRENT:"),
        includes=[("secretsmanager:GetSecretValue", SECRET_ARN)],
    ),
    Case(
        "partial ARN with a JSON key",
        lambda: secret_scenario(f"{PARTIAL_SECRET_ARN}:password::"),
        includes=[("secretsmanager:GetSecretValue", SECRET_ARN)],
    ),
    Case(
        "secret not described: undetermined, tried with and without a suffix at the endpoint",
        undescribed_partial,
        unknown=["was not described"],
        check=check_undescribed,
    ),
    Case(
        "secret that does not exist",
        lambda: missing("missing_secrets", PARTIAL_SECRET_ARN, container(secrets=[("DB", PARTIAL_SECRET_ARN)])),
        problems=["secret_missing"],
    ),
    Case(
        "AWS managed key: no kms:Decrypt",
        lambda: secret_scenario(SECRET_ARN, kms_key_id="alias/aws/secretsmanager"),
        excludes=[("kms:Decrypt", KEY_ARN)],
    ),
    Case(
        "customer managed key: kms:Decrypt under the key policy, via Secrets Manager",
        cmk_secret,
        includes=[("kms:Decrypt", KEY_ARN)],
        check=check_cmk,
    ),
    Case(
        "key not described: kms:Decrypt undetermined",
        lambda: secret_scenario(SECRET_ARN, kms_key_id="alias/app", kms_key_arn=None),
        unknown=["KMS key alias/app"],
    ),
    Case(
        "bare SSM name with a leading slash",
        lambda: ssm_by_name("/prod/db"),
        includes=[("ssm:GetParameters", SSM_ARN)],
    ),
    Case(
        "SSM ARN",
        lambda: ssm_by_name(SSM_ARN),
        includes=[("ssm:GetParameters", SSM_ARN)],
    ),
    Case(
        "top-level SSM name without a slash",
        lambda: ssm_by_name("db"),
        includes=[("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db")],
    ),
    Case(
        "SecureString under a CMK adds kms:Decrypt via SSM",
        secure_string_cmk,
        includes=[("ssm:GetParameters", SSM_ARN), ("kms:Decrypt", KEY_ARN)],
    ),
    Case(
        "SecureString under alias/aws/ssm: no kms:Decrypt",
        lambda: ssm_by_name("/prod/db", type_="SecureString", key_id="alias/aws/ssm"),
        excludes=[("kms:Decrypt", KEY_ARN)],
    ),
    Case(
        "parameter not described: undetermined (its key is unknown)",
        lambda: scenario(container(secrets=[("P", "/prod/db")])),
        unknown=["was not described"],
    ),
    Case(
        "parameter that does not exist",
        lambda: missing("missing_parameters", SSM_ARN, container(secrets=[("P", "/prod/db")])),
        problems=["parameter_missing"],
    ),
    Case(
        "/aws/reference/secretsmanager/ reads the parameter and the secret",
        secret_reference,
        includes=[
            ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/aws/reference/secretsmanager/prod/db"),
            ("secretsmanager:GetSecretValue", SECRET_ARN),
        ],
        check=check_secret_reference,
    ),
    Case(
        "repositoryCredentials of a Docker Hub image read the secret",
        docker_hub_with_credentials,
        includes=[("secretsmanager:GetSecretValue", SECRET_ARN)],
        excludes=[("ecr:GetAuthorizationToken", "*")],
    ),
    Case("execution role given by name is resolved", role_by_name, check=check_role_by_name),
    Case(
        "execution role that does not exist",
        lambda: missing("missing_roles", EXECUTION_ROLE, container()),
        problems=["missing_role"],
    ),
    Case(
        "execution role not collected: undetermined",
        lambda: without_role(scenario()),
        unknown=["not in the inventory"],
    ),
    Case(
        "no execution role while the task needs one",
        lambda: scenario(execution_role=None),
        problems=["no_execution_role"],
    ),
    Case("public image, no logs, no secrets: no role needed", no_role_needed, check=check_no_role_needed),
    Case(
        "image in another region: its own repository ARN and token region, no endpoint",
        lambda: image_from(ACCOUNT, "us-west-2"),
        includes=[("ecr:BatchGetImage", f"arn:aws:ecr:us-west-2:{ACCOUNT}:repository/shared/base")],
        check=lambda plan: _assert(
            all(r.endpoint_service is None for r in plan.requests if r.kind in ("repository", "token"))
        ),
    ),
    Case(
        "image in another account: the repository policy is needed and was not collected",
        lambda: image_from(OTHER_ACCOUNT, REGION),
        unknown=["repository policy"],
        check=check_cross_account_image,
    ),
    Case(
        "image in another account with its collected repository policy",
        with_repository_policy,
        check=check_cross_account_image_with_policy,
    ),
    Case(
        "secret in another account: its (absent) policy decides",
        lambda: cross_account_secret(kms_key_id=KEY_ARN, kms_key_arn=KEY_ARN),
        unknown=["KMS key"],
        check=check_cross_account_secret,
    ),
    Case(
        "secret in another account under the AWS managed key",
        cross_account_secret,
        problems=["default_key_cross_account"],
    ),
]


def _assert(condition: bool) -> None:
    assert condition


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES])
def test_derivation(case: Case) -> None:
    plan = plan_of(case.arrange())
    found = calls(plan)
    for wanted in case.includes:
        assert wanted in found, sorted(found)
    for unwanted in case.excludes:
        assert unwanted not in found, sorted(found)
    assert [p.code for p in plan.problems] == list(case.problems)
    reasons = [str(u) for u in plan.unknown] + [str(r.unknown) for r in plan.requests if r.unknown]
    for fragment in case.unknown:
        assert any(fragment in reason for reason in reasons), reasons
    if not case.unknown:
        assert plan.unknown == [], plan.unknown
    if case.check is not None:
        case.check(plan)


def test_the_managed_policy_fallback_passes_ecr_and_logs_not_secrets() -> None:
    plan = plan_of(secret_scenario(SECRET_ARN))
    decisions = {
        r.action: evaluate_request(r.request, r.policies).decision for r in plan.requests if r.policies is not None
    }
    assert decisions["ecr:GetAuthorizationToken"] is Decision.ALLOWED
    assert decisions["ecr:BatchGetImage"] is Decision.ALLOWED
    assert decisions["logs:PutLogEvents"] is Decision.ALLOWED
    assert decisions["secretsmanager:GetSecretValue"] is Decision.IMPLICIT_DENY


def test_principal_and_resource_tags_fill_the_context() -> None:
    s = scenario(container(secrets=[("DB", SECRET_ARN)]))
    s.account_data["roles"] = []
    s.role(
        attached=[ECS_EXECUTION_POLICY],
        tags={"team": "payments"},
        inline={
            "tags": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                        "Condition": {
                            "StringEquals": {
                                "aws:ResourceTag/team": "${aws:PrincipalTag/team}",
                                "aws:PrincipalTag/cost-centre": "42",
                            }
                        },
                    }
                ],
            }
        },
    )
    s.secret(SECRET_NAME, tags={"team": "payments"})
    secret = next(r for r in plan_of(s).requests if r.kind == "secret")
    context = secret.request.context
    assert context.values["aws:principaltag/team"] == ("payments",)
    assert context.values["aws:resourcetag/team"] == ("payments",)
    # Tags are complete: a tag key a policy tests that the role does not carry is known absent.
    assert "aws:principaltag/cost-centre" in context.absent
    assert secret.policies is not None
    assert evaluate_request(secret.request, secret.policies).decision is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("value_from", "kind", "secret", "parameter"),
    [
        (SECRET_ARN, "secretsmanager", SECRET_ARN, None),
        (f"{SECRET_ARN}:username::", "secretsmanager", SECRET_ARN, None),
        (PARTIAL_SECRET_ARN, "secretsmanager", PARTIAL_SECRET_ARN, None),
        ("/prod/db", "ssm", None, "/prod/db"),
        ("db", "ssm", None, "db"),
        (SSM_ARN, "ssm", None, "/prod/db"),
        ("/aws/reference/secretsmanager/prod/db", "ssm", "prod/db", "/aws/reference/secretsmanager/prod/db"),
    ],
    ids=["full ARN", "json key", "partial ARN", "ssm name", "ssm top-level name", "ssm ARN", "ssm reference"],
)
def test_parse_value_from(value_from: str, kind: str, secret: str | None, parameter: str | None) -> None:
    ref = parse_value_from(value_from, container="app", name="X", region=REGION, account=ACCOUNT)
    assert ref.kind == kind
    assert (ref.secret.value if ref.secret else None) == secret
    assert ref.parameter_name == parameter


def test_plan_is_derived_once_per_workload() -> None:
    workloads = derive_workloads(scenario().build())
    workload_needs(workloads)
    assert execution_plan(workloads[0]) is execution_plan(workloads[0])
    assert workloads[0].task_definition_arn == TASK_DEFINITION_ARN
    assert workloads[0].images[0].ref.image == IMAGE


def test_containers_of_one_repository_share_its_requests() -> None:
    plan = plan_of(scenario(container("app"), container("sidecar", logs=False)))
    pulls = [r for r in plan.requests if r.kind == "repository"]
    assert len(pulls) == 3 and len(plan.layer_downloads) == 1
    assert [r.action for r in plan.requests].count("ecr:GetAuthorizationToken") == 1


def test_repository_credentials_by_name_are_a_secret_not_a_parameter() -> None:
    app = container(image="docker.io/library/nginx:1.27", logs=False)
    app["repositoryCredentials"] = {"credentialsParameter": "prod/db"}
    s = scenario(app)
    s.secret(SECRET_NAME)
    assert calls(plan_of(s)) == {("secretsmanager:GetSecretValue", SECRET_ARN)}


ENV_FILE = "arn:aws:s3:::team-config/prod/app.env"


def test_environment_files_in_s3_ask_for_the_object_and_its_bucket_through_the_s3_endpoint() -> None:
    app = container()
    app["environmentFiles"] = [{"value": ENV_FILE, "type": "s3"}]
    s = scenario(app)
    plan = plan_of(s)
    env = [r for r in plan.requests if r.kind in ("environment_file", "environment_bucket")]
    assert {(r.action, r.resource) for r in env} == {
        ("s3:GetObject", ENV_FILE),
        ("s3:GetBucketLocation", "arn:aws:s3:::team-config"),
    }
    for request in env:
        assert request.endpoint_service == "s3"
        assert request.request.context.values["aws:sourcevpce"] == (ENDPOINT["s3"],)
        # An S3 ARN names no account: the bucket's is the account's because ListBuckets listed it.
        assert request.request.context.values["aws:resourceaccount"] == (ACCOUNT,)
        assert request.resource_owner == ACCOUNT and request.unknown is None
    (workload,) = derive_workloads(s.build())
    workload_needs([workload])
    (s3,) = [n for n in workload.needs if n.service == "s3"]
    assert f"container app reads environment file {ENV_FILE}" in s3.reasons


def test_an_environment_file_alone_needs_the_role_and_the_s3_endpoint() -> None:
    app = container(image="public.ecr.aws/nginx/nginx:1", logs=False)
    app["environmentFiles"] = [{"value": ENV_FILE, "type": "s3"}]
    plan = plan_of(scenario(app))
    assert plan.needs_role
    assert {r.action for r in plan.requests} == {"s3:GetObject", "s3:GetBucketLocation"}
