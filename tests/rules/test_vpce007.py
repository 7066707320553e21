"""VPCE007 execution-role-permissions: the execution role may make every call its tasks make at start-up."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scanner.collect.calls import CallContext
from scanner.collect.organizations import collect_scps
from scanner.engine.spec import RoleAllowsCheck
from scanner.inventory.iam import ServiceControlPolicies, SimulationResult
from scanner.results import Result, Status
from tests.builders import (
    ACCOUNT,
    ECS_EXECUTION_POLICY,
    EXECUTION_ROLE,
    EXECUTION_ROLE_NAME,
    NEEDED,
    REGION,
    Json,
    Scenario,
    container,
)
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, by_key, check_case, rule, run, table

OTHER_ACCOUNT = "444455556666"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbCdEf"
OTHER_SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{OTHER_ACCOUNT}:secret:shared/api-Xy9Z8w"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
OTHER_KEY_ARN = f"arn:aws:kms:{REGION}:{OTHER_ACCOUNT}:key/{KEY_ID}"
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app"
LOG_GROUP = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app"
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/ecs-boundary"
CUSTOMER_POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/ecs-pull"


def document(*statements: Json) -> Json:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: object) -> Json:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: object) -> Json:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


SECRETS_PROD = allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/*")


MANAGEMENT_ACCOUNT = "or scan from the management account or a delegated administrator of AWS Organizations"


def workload(
    *,
    secrets: Sequence[tuple[str, str]] = (),
    attached: Sequence[str] = (ECS_EXECUTION_POLICY,),
    inline: dict[str, Json] | None = None,
    boundary: str | None = None,
    app: Json | None = None,
) -> Scenario:
    """The compliant service `api` (with Secrets Manager and SSM endpoints) and its execution role, in an
    account outside any organization (VPCE007 requires the SCPs: an inventory without them is ERROR)."""
    s = Scenario.compliant(endpoints=(*NEEDED, "secretsmanager", "ssm"), containers=[app or container(secrets=secrets)])
    s.role(attached=attached, inline=inline, boundary=boundary)
    s.account_data["service_control_policies"] = {"status": "not_in_organization"}
    return s


def with_secret(*, inline: dict[str, Json] | None = None, **secret: object) -> Scenario:
    s = workload(secrets=[("DB_PASSWORD", SECRET_ARN)], inline=inline)
    s.secret("prod/db", **secret)  # type: ignore[arg-type]
    return s


def put_role_policy(*statements: Json) -> str:
    body = json.dumps(document(*statements), separators=(",", ":"))
    return (
        f"aws iam put-role-policy --role-name {EXECUTION_ROLE_NAME} --policy-name vpce-scan-api "
        f"--policy-document '{body}'"
    )


def fix(action: str | list[str], resource: str | list[str]) -> Json:
    return {"Sid": "VpceScanExecutionRole", "Effect": "Allow", "Action": action, "Resource": resource}


def no_policies() -> Scenario:
    return workload(attached=())


def explicit_deny() -> Scenario:
    return with_secret(
        inline={"grants": document(SECRETS_PROD), "guard": document(deny("secretsmanager:*", Sid="NoSecrets"))}
    )


def undetermined() -> Scenario:
    grant = allow(
        "secretsmanager:GetSecretValue",
        SECRET_ARN,
        Condition={"DateGreaterThan": {"aws:CurrentTime": "2026-01-01T00:00:00Z"}},
        Sid="AfterLaunch",
    )
    return with_secret(inline={"timed": document(grant)})


def missing_role() -> Scenario:
    s = workload()
    s.account_data.pop("roles")
    s.missing("missing_roles", EXECUTION_ROLE)
    return s


def no_execution_role() -> Scenario:
    s = workload()
    s.get("task_definitions", "api").pop("executionRoleArn")
    return s


def role_not_collected() -> Scenario:
    s = workload()
    s.account_data.pop("roles")
    s.error("iam", "GetRole", resource_id=EXECUTION_ROLE_NAME, region="global")
    return s


def role_policy_denied() -> Scenario:
    s = with_secret(inline={"grants": document(SECRETS_PROD)})
    s.error("iam", "GetRolePolicy", resource_id=EXECUTION_ROLE_NAME, region="global")
    return s


def customer_policy_not_collected() -> Scenario:
    s = workload(attached=[CUSTOMER_POLICY_ARN])
    s.error("iam", "GetPolicyVersion", resource_id=CUSTOMER_POLICY_ARN, region="global")
    return s


def customer_policy_for_logs(log_resource: str) -> Scenario:
    """A customer managed policy granting ECR pulls and the awslogs actions on `log_resource`."""
    s = workload(attached=[CUSTOMER_POLICY_ARN])
    s.managed_policy(
        CUSTOMER_POLICY_ARN,
        document(
            allow("ecr:GetAuthorizationToken"),
            allow(["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"], REPOSITORY),
            allow(["logs:CreateLogStream", "logs:PutLogEvents"], log_resource),
        ),
    )
    return s


def customer_policy_collected() -> Scenario:
    return customer_policy_for_logs(f"{LOG_GROUP}:*")


def log_group_without_star() -> Scenario:
    return customer_policy_for_logs(LOG_GROUP)


def stream_restricted_to_a_task() -> Scenario:
    return customer_policy_for_logs(f"{LOG_GROUP}:log-stream:app/app/0*")


def boundary_caps() -> Scenario:
    s = with_secret(inline={"grants": document(SECRETS_PROD)})
    s.get_role()["PermissionsBoundary"] = {"PermissionsBoundaryArn": BOUNDARY_ARN}
    s.managed_policy(BOUNDARY_ARN, document(allow(["ecr:*", "logs:*"])))
    return s


def scp(*levels: Sequence[Json], **options: str) -> Scenario:
    s = with_secret(inline={"grants": document(SECRETS_PROD)})
    s.scps(*levels, **options)
    return s


FULL_ACCESS = document(allow("*"))
RCP_FULL_ACCESS = document(allow("*", Principal="*"))


def rcp(*rcp_levels: Sequence[Json], rcp_status: str = "collected", rcp_reason: str = "") -> Scenario:
    """The secret-reading workload under permissive SCPs and the given RCP levels."""
    s = with_secret(inline={"grants": document(SECRETS_PROD)})
    s.scps([FULL_ACCESS], [FULL_ACCESS], rcps=rcp_levels, rcp_status=rcp_status, rcp_reason=rcp_reason)
    return s


def rcp_denies_parameters() -> Scenario:
    """An RCP on SSM: SSM is not among the services RCPs govern, so it does not apply."""
    s = workload(
        secrets=[("API_KEY", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/api-key")],
        inline={"grants": document(allow("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/*"))},
    )
    s.parameter("/prod/api-key")
    no_ssm = document(deny("ssm:*", Principal="*", Sid="NoParameters"))
    s.scps([FULL_ACCESS], rcps=[[RCP_FULL_ACCESS, no_ssm]], rcp_status="collected")
    return s


def cmk(key_policy: Json, inline: dict[str, Json], *, state: str = "Enabled") -> Scenario:
    s = with_secret(inline=inline, kms_key_id="alias/app", kms_key_arn=KEY_ARN)
    s.kms_key(KEY_ID, policy=key_policy, state=state)
    return s


ROOT_DELEGATION = document(
    {
        "Sid": "EnableIAM",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
)
OTHER_PRINCIPAL_KEY = document(
    {
        "Sid": "OnlyAdmins",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
        "Action": "kms:*",
        "Resource": "*",
    }
)
DECRYPT = allow("kms:Decrypt", KEY_ARN)


def cross_account(*, policy: Json | None, key_policy: Json | None = None) -> Scenario:
    s = workload(
        secrets=[("API_KEY", OTHER_SECRET_ARN)],
        inline={"shared": document(allow(["secretsmanager:GetSecretValue", "kms:Decrypt"]))},
    )
    if key_policy is None:
        s.secret("shared/api", suffix="Xy9Z8w", account=OTHER_ACCOUNT, policy=policy)
    else:
        s.secret(
            "shared/api",
            suffix="Xy9Z8w",
            account=OTHER_ACCOUNT,
            policy=policy,
            kms_key_id=OTHER_KEY_ARN,
            kms_key_arn=OTHER_KEY_ARN,
        )
        s.kms_key(KEY_ID, policy=key_policy, account=OTHER_ACCOUNT)
    return s


ROLE_MAY_READ = document(
    {
        "Effect": "Allow",
        "Principal": {"AWS": EXECUTION_ROLE},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
)
ROLE_MAY_DECRYPT = document(
    {"Effect": "Allow", "Principal": {"AWS": EXECUTION_ROLE}, "Action": "kms:Decrypt", "Resource": "*"}
)


def cross_account_image(policy: Json | None) -> Scenario:
    image = f"{OTHER_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shared/base:1"
    s = workload(app=container(image=image))
    s.repository_policy(f"arn:aws:ecr:{REGION}:{OTHER_ACCOUNT}:repository/shared/base", policy)
    return s


def own_image_repository(policy: Json | None = None, *, unreadable: bool = False) -> Scenario:
    """The compliant workload, whose own-account repository has `policy` (or could not be read)."""
    s = workload()
    if unreadable:
        s.error("ecr", "GetRepositoryPolicy", resource_id=REPOSITORY)
    else:
        s.repository_policy(REPOSITORY, policy)
    return s


def trust(*statements: Json) -> Scenario:
    """The compliant workload whose execution role trusts as `statements` say."""
    s = workload()
    s.get_role()["AssumeRolePolicyDocument"] = document(*statements)
    return s


def ecs_tasks(effect: str = "Allow", **extra: object) -> Json:
    return {"Effect": effect, "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole", **extra}


ENV_FILE = "arn:aws:s3:::team-config/prod/app.env"


ENV_BUCKET = "arn:aws:s3:::team-config"
ENV_GRANT = {"env": document(allow(["s3:GetObject", "s3:GetBucketLocation"], ["arn:aws:s3:::team-config*"]))}


def environment_file(
    inline: dict[str, Json] | None = None,
    *,
    bucket_policy: Json | None = None,
    owned: bool = True,
    unreadable: bool = False,
) -> Scenario:
    app = container()
    app["environmentFiles"] = [{"value": ENV_FILE, "type": "s3"}]
    s = workload(app=app, inline=inline)
    if unreadable:
        s.error("s3", "ListAllMyBuckets", resource_id=ENV_BUCKET)
    else:
        s.bucket_policy(ENV_BUCKET, bucket_policy, owned=owned)
    return s


def encrypted_environment_file(
    key_policy: Json,
    inline: dict[str, Json],
    *,
    key_id: str = "alias/config",
    encryption_unreadable: bool = False,
) -> Scenario:
    """An environment file in an own bucket whose default encryption is SSE-KMS under `key_id`."""
    s = environment_file(inline)
    if encryption_unreadable:
        s.error("s3", "GetEncryptionConfiguration", resource_id=ENV_BUCKET)
        return s
    managed = key_id.startswith("alias/aws/")
    s.add_account(
        "bucket_encryptions",
        {
            "bucket_arn": ENV_BUCKET,
            "sse_algorithm": "aws:kms",
            "kms_key_id": key_id,
            "kms_key_arn": None if managed else KEY_ARN,
        },
    )
    if not managed:
        s.kms_key(KEY_ID, policy=key_policy)
    return s


ENV_AND_KEY_GRANT = {
    "env": document(
        allow(["s3:GetObject", "s3:GetBucketLocation"], ["arn:aws:s3:::team-config*"]),
        allow("kms:Decrypt", KEY_ARN),
    )
}
CACHED_REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/docker-hub/library/nginx"


def pull_through(
    *, exists: bool = True, inline: dict[str, Json] | None = None, rules_unreadable: bool = False
) -> Scenario:
    """The workload pulls docker-hub/library/nginx from its own registry, under a `docker-hub` rule."""
    s = workload(app=container(image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/docker-hub/library/nginx:1"))
    if inline:
        s.get_role()["InlinePolicies"] = [{"PolicyName": n, "PolicyDocument": d} for n, d in inline.items()]
    s.repository_policy(CACHED_REPOSITORY, None, exists=exists)
    if rules_unreadable:
        s.error("ecr", "DescribePullThroughCacheRules")
    else:
        s.pull_through_cache_rule("docker-hub")
    return s


def secret_missing() -> Scenario:
    s = workload(secrets=[("DB_PASSWORD", SECRET_ARN)])
    s.missing("missing_secrets", SECRET_ARN)
    return s


CASES = [
    Case("ECS managed policy (fallback document) covers ECR and logs", lambda: workload(), {"api": PASS}),
    Case("collected customer managed policy on exact ARNs", customer_policy_collected, {"api": PASS}),
    Case(
        "inline grant on secret:prod/* covers prod/db-AbCdEf",
        lambda: with_secret(inline={"grants": document(SECRETS_PROD)}),
        {"api": PASS},
    ),
    Case(
        "managed policy alone does not grant the secret: statement to add",
        lambda: with_secret(),
        {"api": FAIL},
        message={
            "api": ["not allowed secretsmanager:GetSecretValue on " + SECRET_ARN, "container app reads DB_PASSWORD"]
        },
        remediation={"api": [put_role_policy(fix("secretsmanager:GetSecretValue", SECRET_ARN))]},
    ),
    Case(
        "role with no policies: every call, one policy to add",
        no_policies,
        {"api": FAIL},
        message={"api": ["(and 5 more)"]},
        remediation={
            "api": [
                put_role_policy(
                    {
                        **fix(
                            ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                            REPOSITORY,
                        ),
                        "Sid": "VpceScanExecutionRole1",
                    },
                    {**fix("ecr:GetAuthorizationToken", "*"), "Sid": "VpceScanExecutionRole2"},
                    {
                        **fix(["logs:CreateLogStream", "logs:PutLogEvents"], f"{LOG_GROUP}:*"),
                        "Sid": "VpceScanExecutionRole3",
                    },
                )
            ]
        },
    ),
    Case(
        "log-group ARN without :* does not cover the stream",
        log_group_without_star,
        {"api": FAIL},
        message={"api": ["logs:CreateLogStream on " + LOG_GROUP + ":log-stream:app/app/"]},
    ),
    Case(
        "a stream pattern that depends on the task id is undetermined",
        stream_restricted_to_a_task,
        {"api": ERROR},
        message={"api": ["depends on the task id in the log stream name"]},
    ),
    Case(
        "a Deny on secretsmanager:* wins over the grant",
        explicit_deny,
        {"api": FAIL},
        message={"api": ["denied secretsmanager:GetSecretValue", "statement NoSecrets (Deny)"]},
    ),
    Case(
        "a condition on a key unknown offline is undetermined, naming the key",
        undetermined,
        {"api": ERROR},
        message={"api": ["condition key aws:CurrentTime unknown", "statement AfterLaunch"]},
    ),
    Case(
        "execution role does not exist",
        missing_role,
        {"api": FAIL},
        message={"api": [f"{EXECUTION_ROLE_NAME} of api does not exist"]},
        remediation={
            "api": [
                f"aws iam create-role --role-name {EXECUTION_ROLE_NAME} --assume-role-policy-document "
                '\'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":'
                '"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}\'',
                f"aws iam attach-role-policy --role-name {EXECUTION_ROLE_NAME} --policy-arn {ECS_EXECUTION_POLICY}",
            ]
        },
    ),
    Case(
        "no execution role while the task pulls from ECR",
        no_execution_role,
        {"api": FAIL},
        message={"api": ["has no execution role"]},
    ),
    Case(
        "execution role could not be read",
        role_not_collected,
        {"api": ERROR},
        message={"api": ["Incomplete data: global iam:GetRole on api-execution: AccessDenied; grant iam:GetRole."]},
    ),
    Case(
        "inline policies could not be read",
        role_policy_denied,
        {"api": ERROR},
        message={"api": ["Incomplete data: global iam:GetRolePolicy on api-execution: AccessDenied"]},
    ),
    Case(
        "customer managed policy document not collected",
        customer_policy_not_collected,
        {"api": ERROR},
        message={"api": [f"managed policy {CUSTOMER_POLICY_ARN} was not collected"]},
    ),
    Case(
        "permissions boundary caps the inline grant",
        boundary_caps,
        {"api": FAIL},
        message={"api": [f"permissions boundary {BOUNDARY_ARN} does not allow it"]},
        remediation={
            "api": [
                f"aws iam create-policy-version --policy-arn {BOUNDARY_ARN} --set-as-default --policy-document '"
                + json.dumps(
                    document(allow(["ecr:*", "logs:*"]), fix("secretsmanager:GetSecretValue", SECRET_ARN)),
                    separators=(",", ":"),
                )
                + "'"
            ]
        },
    ),
    Case(
        "an SCP denies Secrets Manager",
        lambda: scp([FULL_ACCESS], [FULL_ACCESS, document(deny("secretsmanager:*", Sid="NoSecretsHere"))]),
        {"api": FAIL},
        message={"api": ["SCPs level 1 SCP scp-1-1 (level-1) statement NoSecretsHere (Deny)"]},
    ),
    Case(
        "an SCP level without an allow",
        lambda: scp([FULL_ACCESS], [document(allow(["ecr:*", "logs:*"]))]),
        {"api": FAIL},
        message={"api": ["no SCP at level 1"]},
    ),
    Case("SCPs that allow", lambda: scp([FULL_ACCESS], [FULL_ACCESS]), {"api": PASS}),
    Case(
        "SCPs refused to the scanning account: ERROR naming the call and what to do",
        lambda: scp(status="unreadable", reason="organizations:ListParents: AccessDeniedException"),
        {"api": ERROR},
        message={
            "api": ["grant organizations:ListParents along with organizations:DescribeOrganization", MANAGEMENT_ACCOUNT]
        },
    ),
    Case(
        "an RCP denies reading the account's secrets",
        lambda: rcp([RCP_FULL_ACCESS], [RCP_FULL_ACCESS, document(deny("secretsmanager:*", Principal="*", Sid="No"))]),
        {"api": FAIL},
        message={"api": ["denied secretsmanager:GetSecretValue", "RCPs level 1 RCP rcp-1-1 (level-1) statement No"]},
    ),
    Case("RCPs that allow", lambda: rcp([RCP_FULL_ACCESS], [RCP_FULL_ACCESS]), {"api": PASS}),
    Case(
        "an RCP level without an allow",
        lambda: rcp([RCP_FULL_ACCESS], [document(allow("ecr:*", Principal="*"))]),
        {"api": FAIL},
        message={"api": ["no RCP at level 1 (below the root) allows it"]},
    ),
    Case("an RCP on SSM (not an RCP service) does not apply", rcp_denies_parameters, {"api": PASS}),
    Case(
        "RCPs refused to the scanning account: ERROR naming the call and what to do",
        lambda: rcp(rcp_status="unreadable", rcp_reason="organizations:ListPoliciesForTarget: AccessDeniedException"),
        {"api": ERROR},
        message={"api": ["grant organizations:ListPoliciesForTarget along with", MANAGEMENT_ACCOUNT]},
    ),
    Case(
        "CMK: root delegation and an identity grant",
        lambda: cmk(ROOT_DELEGATION, {"grants": document(SECRETS_PROD, DECRYPT)}),
        {"api": PASS},
    ),
    Case(
        "CMK disabled: cannot decrypt, whatever the policies say",
        lambda: cmk(ROOT_DELEGATION, {"grants": document(SECRETS_PROD, DECRYPT)}, state="Disabled"),
        {"api": FAIL},
        message={"api": [f"KMS key {KEY_ARN} is Disabled and cannot decrypt"]},
        remediation={"api": [f"aws kms enable-key --region {REGION} --key-id {KEY_ARN}"]},
    ),
    Case(
        "CMK pending deletion: cancel the deletion, then enable it",
        lambda: cmk(ROOT_DELEGATION, {"grants": document(SECRETS_PROD, DECRYPT)}, state="PendingDeletion"),
        {"api": FAIL},
        message={"api": [f"KMS key {KEY_ARN} is PendingDeletion and cannot decrypt"]},
        remediation={
            "api": [
                f"aws kms cancel-key-deletion --region {REGION} --key-id {KEY_ARN}",
                f"aws kms enable-key --region {REGION} --key-id {KEY_ARN}",
            ]
        },
    ),
    Case(
        "CMK in an unavailable custom key store",
        lambda: cmk(ROOT_DELEGATION, {"grants": document(SECRETS_PROD, DECRYPT)}, state="Unavailable"),
        {"api": FAIL},
        message={"api": [f"KMS key {KEY_ARN} is Unavailable and cannot decrypt"]},
    ),
    Case(
        "CMK: root delegation without an identity grant",
        lambda: cmk(ROOT_DELEGATION, {"grants": document(SECRETS_PROD)}),
        {"api": FAIL},
        message={"api": [f"kms:Decrypt on {KEY_ARN}", "no identity policy allows it"]},
    ),
    Case(
        "CMK: the key policy names someone else",
        lambda: cmk(OTHER_PRINCIPAL_KEY, {"grants": document(SECRETS_PROD, DECRYPT)}),
        {"api": FAIL},
        message={"api": [f"kms:Decrypt on {KEY_ARN}", "the key policy does not allow the role"]},
    ),
    Case(
        "cross-account secret without a resource policy",
        lambda: cross_account(policy=None, key_policy=ROLE_MAY_DECRYPT),
        {"api": FAIL},
        message={"api": [f"the secret is in account {OTHER_ACCOUNT}"]},
    ),
    Case(
        "cross-account secret whose policy and key policy name the role",
        lambda: cross_account(policy=ROLE_MAY_READ, key_policy=ROLE_MAY_DECRYPT),
        {"api": PASS},
    ),
    Case(
        "cross-account secret under the AWS managed key",
        lambda: cross_account(policy=ROLE_MAY_READ),
        {"api": FAIL},
        message={"api": ["cross-account access needs a customer managed key"]},
    ),
    Case(
        "cross-account image whose repository has no policy",
        lambda: cross_account_image(None),
        {"api": FAIL},
        message={"api": [f"the repository is in account {OTHER_ACCOUNT}"]},
    ),
    Case(
        "own-account repository policy with a Deny for the role denies the pull",
        lambda: own_image_repository(
            document({"Sid": "OnlyCi", "Effect": "Deny", "Principal": "*", "Action": "ecr:*", "Resource": "*"})
        ),
        {"api": FAIL},
        message={"api": [f"denied ecr:BatchCheckLayerAvailability on {REPOSITORY}", "statement OnlyCi (Deny)"]},
    ),
    Case(
        "own-account repository policy that allows others only: the role's own grant still pulls",
        lambda: own_image_repository(
            document({"Effect": "Allow", "Principal": {"AWS": OTHER_ACCOUNT}, "Action": "ecr:*", "Resource": "*"})
        ),
        {"api": PASS},
    ),
    Case(
        "own-account repository policy not readable",
        lambda: own_image_repository(unreadable=True),
        {"api": ERROR},
        message={"api": [f"the repository policy of {REPOSITORY} (account {ACCOUNT}) was not collected"]},
    ),
    Case(
        "trust policy for the account's own ECS tasks",
        lambda: trust(
            ecs_tasks(
                Condition={
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
                }
            )
        ),
        {"api": PASS},
    ),
    Case(
        "trust policy for another service only: ECS cannot assume the role",
        lambda: trust({**ecs_tasks(), "Principal": {"Service": "ec2.amazonaws.com"}}),
        {"api": FAIL},
        message={"api": ["cannot be assumed by ecs-tasks.amazonaws.com: no statement of its trust policy allows"]},
        remediation={
            "api": [
                f"aws iam update-assume-role-policy --role-name {EXECUTION_ROLE_NAME} --policy-document '"
                + json.dumps(
                    document(
                        {**ecs_tasks(), "Principal": {"Service": "ec2.amazonaws.com"}},
                        ecs_tasks(Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}}),
                    ),
                    separators=(",", ":"),
                )
                + "'"
            ]
        },
    ),
    Case(
        "trust policy for ECS tasks of another account only",
        lambda: trust(ecs_tasks(Condition={"StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT}})),
        {"api": FAIL},
        message={"api": ["cannot be assumed by ecs-tasks.amazonaws.com"]},
    ),
    Case(
        "trust policy with a Deny for ECS",
        lambda: trust(ecs_tasks(), ecs_tasks("Deny", Sid="NoEcs")),
        {"api": FAIL},
        message={"api": ["statement NoEcs (Deny) denies sts:AssumeRole"]},
    ),
    Case(
        "trust policy that depends on the task id",
        lambda: trust(
            ecs_tasks(Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/0123*"}})
        ),
        {"api": ERROR},
        message={"api": ["may assume api-execution is undetermined: aws:sourcearn unknown"]},
    ),
    Case(
        "trust policy conditioned on a key unknown offline",
        lambda: trust(ecs_tasks(Condition={"StringEquals": {"aws:RequestTag/team": "core"}})),
        {"api": ERROR},
        message={"api": ["may assume api-execution is undetermined: aws:RequestTag/team unknown"]},
    ),
    Case(
        "environment file in S3 without s3:GetObject and s3:GetBucketLocation",
        environment_file,
        {"api": FAIL},
        message={"api": [f"not allowed s3:GetObject on {ENV_FILE}", "reads environment file"]},
        remediation={
            "api": [
                put_role_policy(
                    {**fix("s3:GetObject", ENV_FILE), "Sid": "VpceScanExecutionRole1"},
                    {**fix("s3:GetBucketLocation", "arn:aws:s3:::team-config"), "Sid": "VpceScanExecutionRole2"},
                )
            ]
        },
    ),
    Case("environment file in S3 with both permissions", lambda: environment_file(ENV_GRANT), {"api": PASS}),
    Case(
        "environment file in an own bucket whose policy denies the role",
        lambda: environment_file(
            ENV_GRANT,
            bucket_policy=document(
                {"Sid": "OnlyCi", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
            ),
        ),
        {"api": FAIL},
        message={"api": [f"denied s3:GetObject on {ENV_FILE}", "statement OnlyCi (Deny)"]},
    ),
    Case(
        "environment file in another account's bucket: its policy cannot be read",
        lambda: environment_file(ENV_GRANT, owned=False),
        {"api": ERROR},
        message={"api": [f"bucket {ENV_BUCKET} is not the scanned account's"]},
    ),
    Case(
        "environment file bucket whose ownership could not be read",
        lambda: environment_file(ENV_GRANT, unreadable=True),
        {"api": ERROR},
        message={"api": [f"the owner or bucket policy of {ENV_BUCKET} was not read (s3:ListAllMyBuckets"]},
    ),
    Case(
        "environment file bucket encrypted by default under a customer managed key the role may not use",
        lambda: encrypted_environment_file(ROOT_DELEGATION, ENV_GRANT),
        {"api": FAIL},
        message={"api": [f"not allowed kms:Decrypt on {KEY_ARN}", "default encryption of bucket"]},
    ),
    Case(
        "environment file bucket under a customer managed key the role may use",
        lambda: encrypted_environment_file(ROOT_DELEGATION, ENV_AND_KEY_GRANT),
        {"api": PASS},
    ),
    Case(
        "environment file bucket under a customer managed key whose policy does not admit the account",
        lambda: encrypted_environment_file(OTHER_PRINCIPAL_KEY, ENV_AND_KEY_GRANT),
        {"api": FAIL},
        message={"api": [f"kms:Decrypt on {KEY_ARN}"]},
    ),
    Case(
        "environment file bucket under the AWS managed aws/s3 key: no kms:Decrypt to grant",
        lambda: encrypted_environment_file(ROOT_DELEGATION, ENV_GRANT, key_id="alias/aws/s3"),
        {"api": PASS},
    ),
    Case(
        "environment file bucket whose default encryption could not be read",
        lambda: encrypted_environment_file(ROOT_DELEGATION, ENV_GRANT, encryption_unreadable=True),
        {"api": ERROR},
        message={"api": [f"default encryption of {ENV_BUCKET} was not read (s3:GetEncryptionConfiguration"]},
    ),
    Case(
        "pull-through cache repository: the role must be allowed to import from upstream",
        pull_through,
        {"api": FAIL},
        message={"api": [f"not allowed ecr:BatchImportUpstreamImage on {CACHED_REPOSITORY}"]},
        remediation={"api": [put_role_policy(fix("ecr:BatchImportUpstreamImage", CACHED_REPOSITORY))]},
    ),
    Case(
        "pull-through cache repository not created yet: also ecr:CreateRepository",
        lambda: pull_through(exists=False),
        {"api": FAIL},
        remediation={
            "api": [put_role_policy(fix(["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], CACHED_REPOSITORY))]
        },
    ),
    Case(
        "pull-through cache repository with both permissions",
        lambda: pull_through(
            exists=False,
            inline={"cache": document(allow(["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"], "*"))},
        ),
        {"api": PASS},
    ),
    Case(
        "pull-through cache rules not readable",
        lambda: pull_through(rules_unreadable=True),
        {"api": ERROR},
        message={"api": [f"the pull-through cache rules of {REGION} were not read (ecr:DescribePullThroughCacheRules"]},
    ),
    Case(
        "referenced secret does not exist",
        secret_missing,
        {"api": FAIL},
        message={"api": [f"Secret {SECRET_ARN} does not exist"]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce007(case: Case) -> None:
    check_case("VPCE007", case)


def when_readable(s: Scenario) -> Result:
    """VPCE007 as a custom rule with `scps: when_readable`: refused SCPs and RCPs are only noted."""
    from scanner.engine.evaluate import evaluate

    shipped = rule("VPCE007")
    spec = shipped.spec.model_copy(update={"check": RoleAllowsCheck(kind="role_allows", scps="when_readable")})
    (result,) = evaluate([type(shipped)(spec, shipped.path)], s.build())
    return result


def test_refused_scps_are_an_error_that_says_what_to_do_and_a_note_when_readable() -> None:
    """The shipped VPCE007 requires the SCPs (an SCP that denies is a FAIL: without them a PASS may be
    false); `scps: when_readable` decides without them and says so in the evidence."""
    s = scp(status="unreadable", reason="organizations:ListParents: AccessDeniedException")
    (result,) = run("VPCE007", s)
    assert result.status is Status.ERROR
    assert "SCPs not evaluated" in result.message
    assert "grant organizations:ListParents along with organizations:DescribeOrganization" in result.message
    assert MANAGEMENT_ACCOUNT in result.message
    lenient = when_readable(s)
    assert lenient.status is Status.PASS
    assert lenient.evidence["notes"] == [
        "SCPs not evaluated: the organization's SCPs could not be read (organizations:ListParents: "
        "AccessDeniedException): grant organizations:ListParents along with organizations:DescribeOrganization, "
        f"organizations:ListPoliciesForTarget and organizations:DescribePolicy, {MANAGEMENT_ACCOUNT}"
    ]


def test_refused_rcps_are_an_error_and_a_note_when_readable() -> None:
    reason = "organizations:ListPoliciesForTarget: AccessDeniedException"
    s = rcp(rcp_status="unreadable", rcp_reason=reason)
    (result,) = run("VPCE007", s)
    assert result.status is Status.ERROR
    assert "RCPs not evaluated" in result.message
    assert "grant organizations:ListPoliciesForTarget" in result.message
    lenient = when_readable(s)
    assert lenient.status is Status.PASS
    assert lenient.evidence["notes"][0].startswith(
        f"RCPs not evaluated: the organization's RCPs could not be read ({reason})"
    )


def test_an_organization_read_refused_to_a_scan_of_no_organization_data_is_an_error() -> None:
    """An inventory without any organization data (written by hand, or by an older version) cannot show
    that no SCP denies: ERROR, never PASS."""
    s = workload()
    del s.account_data["service_control_policies"]
    (result,) = run("VPCE007", s)
    assert result.status is Status.ERROR
    assert "the organization's SCPs were not collected" in result.message


def test_evidence_lists_every_call_with_its_decision() -> None:
    (result,) = run("VPCE007", with_secret())
    assert f"implicit_deny secretsmanager:GetSecretValue {SECRET_ARN}" in result.evidence["calls"]
    assert "allowed ecr:GetAuthorizationToken *" in result.evidence["calls"]


def test_verify_live_disagreement_is_an_error_naming_both_answers() -> None:
    s = with_secret(inline={"grants": document(SECRETS_PROD)})
    s.account_data["simulations"] = [
        SimulationResult(
            role_arn=EXECUTION_ROLE,
            action="secretsmanager:GetSecretValue",
            resource=SECRET_ARN,
            decision="implicitDeny",
        ).model_dump(),
        SimulationResult(
            role_arn=EXECUTION_ROLE, action="ecr:GetAuthorizationToken", resource="*", decision="allowed"
        ).model_dump(),
    ]
    (result,) = by_key(run("VPCE007", s)).values()
    assert result.status is Status.ERROR
    assert "offline allowed" in result.message and "live simulation implicitDeny" in result.message
    assert result.evidence["verify_live"]["compared"] == 2


def test_verify_live_agreement_keeps_the_offline_answer() -> None:
    s = with_secret()
    s.account_data["simulations"] = [
        SimulationResult(
            role_arn=EXECUTION_ROLE,
            action="secretsmanager:GetSecretValue",
            resource=SECRET_ARN,
            decision="implicitDeny",
        ).model_dump()
    ]
    (result,) = run("VPCE007", s)
    assert result.status is Status.FAIL
    assert result.evidence["verify_live"] == {"compared": 1, "not_simulated": 6, "disagreements": []}


def test_rcps_of_another_account_are_said_not_evaluated() -> None:
    """The scan reads the RCPs of its own account only: a cross-account repository's are not known."""
    s = cross_account_image(document({"Effect": "Allow", "Principal": {"AWS": EXECUTION_ROLE}, "Action": "ecr:*"}))
    s.scps([FULL_ACCESS], rcps=[[RCP_FULL_ACCESS]], rcp_status="collected")
    (result,) = run("VPCE007", s)
    assert result.status is Status.PASS, result.message
    assert (
        f"RCPs of account {OTHER_ACCOUNT} (resources of another account) not collected: not evaluated"
        in (result.evidence["notes"])
    )


# ---- organization policies that failed to be read: refused (decided, noted) or transient (ERROR) -------------

KIND = {"scps": "SCPs", "rcps": "RCPs"}
THROTTLED_RCPS = "organizations:ListPoliciesForTarget: ThrottlingException: Rate exceeded"


def _organization_answers(fault: str, code: str) -> ServiceControlPolicies:
    """collect_scps against a Stubber: the root and the account under one permissive SCP, no RCP; `fault`
    ("scps" or "rcps") is the policy type whose ListPoliciesForTarget answers `code`."""
    org: Any = boto3.client(
        "organizations", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    summary = {"Id": "p-full", "Arn": "arn:aws:organizations::999988887777:policy/p-full", "Name": "Full"}
    with Stubber(org) as stub:
        stub.add_response("describe_organization", {"Organization": {"Id": "o-1", "MasterAccountId": "999988887777"}})
        stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ACCOUNT})
        for policy_type in ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"):
            if fault == ("scps" if policy_type == "SERVICE_CONTROL_POLICY" else "rcps"):
                stub.add_client_error("list_policies_for_target", code, http_status_code=400)
                if policy_type == "SERVICE_CONTROL_POLICY":
                    break  # the path is known, but the SCPs are not: RCPs are not read either
                continue
            for target in ("r-ab12", ACCOUNT):
                policies = [summary] if policy_type == "SERVICE_CONTROL_POLICY" else []
                stub.add_response(
                    "list_policies_for_target",
                    {"Policies": policies},
                    {"TargetId": target, "Filter": policy_type},
                )
                if policies and target == "r-ab12":  # described once, used at both levels
                    content = json.dumps(FULL_ACCESS)
                    stub.add_response("describe_policy", {"Policy": {"Content": content}}, {"PolicyId": "p-full"})
        scps = collect_scps(CallContext(ACCOUNT, "global"), org, ACCOUNT)
        stub.assert_no_pending_responses()
    return scps


def _with_collected(scps: ServiceControlPolicies) -> Scenario:
    s = with_secret(inline={"grants": document(SECRETS_PROD)})
    s.account_data["service_control_policies"] = scps.model_dump(mode="json")
    return s


@pytest.mark.parametrize("fault", ["scps", "rcps"])
@pytest.mark.parametrize("code", ["ThrottlingException", "ServiceException", "TooManyRequestsException"])
def test_a_transient_failure_to_read_organization_policies_is_error_naming_the_call_and_retry(
    fault: str, code: str
) -> None:
    """The reviewer's case: a throttled ListPoliciesForTarget passed VPCE007 with only a note."""
    scps = _organization_answers(fault, code)
    assert (scps.error_code if fault == "scps" else scps.rcp_error_code) == code
    (result,) = run("VPCE007", _with_collected(scps))
    assert result.status is Status.ERROR
    assert f"{KIND[fault]} unknown" in result.message
    assert f"organizations:ListPoliciesForTarget: {code}" in result.message
    assert "retry" in result.message and "grant" not in result.message


@pytest.mark.parametrize("fault", ["scps", "rcps"])
def test_access_denied_on_organization_policies_is_an_error_or_a_note_when_readable(fault: str) -> None:
    """A member account may not read its organization's policies: the shipped VPCE007 is ERROR saying to
    grant the reads or scan from the management account; `scps: when_readable` decides without them."""
    scps = _organization_answers(fault, "AccessDeniedException")
    (result,) = run("VPCE007", _with_collected(scps))
    assert result.status is Status.ERROR
    assert "grant organizations:ListPoliciesForTarget" in result.message
    assert "scan from the management account or a delegated administrator" in result.message
    lenient = when_readable(_with_collected(scps))
    assert lenient.status is Status.PASS
    kind = KIND[fault]
    assert any(
        n.startswith(f"{kind} not evaluated: the organization's {kind} could not be read")
        for n in lenient.evidence["notes"]
    )


def test_a_failure_that_is_a_fail_anyway_stays_a_fail() -> None:
    """A proven FAIL on complete role data is not hidden behind the unknown RCPs."""
    s = rcp(rcp_status="unreadable", rcp_reason=THROTTLED_RCPS)
    s.get_role()["InlinePolicies"] = []  # the role no longer grants the secret
    s.account_data["service_control_policies"]["rcp_error_code"] = "ThrottlingException"
    (result,) = run("VPCE007", s)
    assert result.status is Status.FAIL
    assert any("RCPs unknown" in reason for reason in result.evidence["undetermined"])


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        (THROTTLED_RCPS, Status.ERROR),
        ("organizations:DescribePolicy: InternalServerError: x", Status.ERROR),
        ("organizations:ListParents: ReadTimeoutError: Read timeout on endpoint URL", Status.ERROR),
        ("organizations:ListParents: DeadlineExceeded: the scan's --timeout had passed", Status.ERROR),
        ("organizations:ListParents: InvalidResponse: ListParents answered no parent for 1", Status.ERROR),
        ("organizations:ListParents: AccessDeniedException: not allowed", Status.ERROR),
    ],
    ids=["throttled", "server", "timeout", "deadline", "invalid", "denied"],
)
def test_an_inventory_without_the_error_code_is_judged_by_the_code_in_its_reason(reason: str, status: Status) -> None:
    """Inventories written before the code was kept apart: the reason has always carried it."""
    s = scp([FULL_ACCESS], status="unreadable", reason=reason)
    assert "error_code" not in s.account_data["service_control_policies"]
    (result,) = run("VPCE007", s)
    assert result.status is status
    if "AccessDenied" in reason:
        assert "grant organizations:ListParents" in result.message
    else:
        assert f"SCPs unknown: the organization's SCPs could not be read ({reason})" in result.message
        assert "retry" in result.message and "grant" not in result.message


def test_unknown_rcps_leave_a_workload_without_a_call_they_govern_decided() -> None:
    """RCPs do not govern SSM parameters (nor a public image without awslogs): nothing was missing."""
    parameter = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/api-key"
    app = container(image="public.ecr.aws/nginx/nginx:1.27", secrets=[("API_KEY", parameter)], logs=False)
    s = workload(app=app, inline={"grants": document(allow("ssm:GetParameters", parameter))})
    s.parameter("/prod/api-key")
    s.scps([FULL_ACCESS], rcp_status="unreadable", rcp_reason=THROTTLED_RCPS)
    (result,) = run("VPCE007", s)
    assert result.status is Status.PASS, result.message


@pytest.mark.parametrize(
    ("code", "advice", "not_said"),
    [
        ("AccessDenied", "grant iam:GetPolicyVersion", "retry"),
        ("Throttling", "retry the scan", "grant"),
        ("ServiceUnavailable", "retry the scan", "grant"),
        ("ReadTimeoutError", "retry the scan", "grant"),
        ("DeadlineExceeded", "retry with a longer --timeout", "grant"),
    ],
    ids=["denied", "throttled", "server", "timeout", "deadline"],
)
def test_an_unread_policy_says_what_to_do(code: str, advice: str, not_said: str) -> None:
    """The IAM evaluator's own reasons (a managed policy, a repository policy not collected) give the same
    advice as any other ERROR: grant the action when it was refused, retry when the failure was transient."""
    policy = workload(attached=[CUSTOMER_POLICY_ARN])
    policy.error("iam", "GetPolicyVersion", code, resource_id=CUSTOMER_POLICY_ARN, region="global")
    repository = workload()
    repository.error("ecr", "GetRepositoryPolicy", code, resource_id=REPOSITORY)
    for scenario, action in ((policy, "iam:GetPolicyVersion"), (repository, "ecr:GetRepositoryPolicy")):
        (result,) = run("VPCE007", scenario)
        assert result.status is Status.ERROR
        assert f"{action}: {code}; " in result.message
        assert advice.replace("iam:GetPolicyVersion", action) in result.message
        assert not_said not in result.message.lower()


def test_the_advice_names_every_organizations_read_of_the_collector() -> None:
    """The advice for refused SCPs lists what the collector calls (the evaluator does not import it)."""
    from scanner.collect.organizations import ACTIONS
    from scanner.iam.account_policies import ORGANIZATION_READS

    assert sorted(ORGANIZATION_READS) == sorted(ACTIONS)
