"""VPCE008 endpoint-policy-allows: each needed endpoint's policy allows the calls the workload makes
through it (the execution role's calls; ECR's layer downloads on the S3 endpoint)."""

from __future__ import annotations

import json

import pytest

from scanner.results import Status
from tests.builders import (
    ACCOUNT,
    ECS_EXECUTION_POLICY,
    ENDPOINT,
    EXECUTION_ROLE,
    NEEDED,
    REGION,
    Json,
    Scenario,
    container,
)
from tests.rules.ruletable import ERROR, FAIL, PASS, SKIPPED, Case, check_case, run, table

SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbCdEf"
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app"
LAYER_BUCKET = f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/someone-else"
SERVICES = ("ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager")
ALL_PASS = {f"api/{s}": PASS for s in SERVICES}


def policy(*statements: Json) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":"))


def workload(**policies: str) -> Scenario:
    """The compliant service reading one secret, with its execution role; `policies` per service."""
    s = Scenario.compliant(
        endpoints=(*NEEDED, "secretsmanager"), containers=[container(secrets=[("DB_PASSWORD", SECRET_ARN)])]
    )
    s.role(attached=[ECS_EXECUTION_POLICY])
    s.secret("prod/db")
    for service, document in policies.items():
        s.get("vpc_endpoints", ENDPOINT[service.replace("_", ".")])["PolicyDocument"] = document
    return s


def only(principal: str, action: str = "*", resource: str = "*") -> str:
    return policy({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, "Resource": resource})


def modify(endpoint: str, document: str) -> str:
    return f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id {endpoint} --policy-document '{document}'"


OTHER_ROLE_ONLY = only(OTHER_ROLE)
ADDED_SECRET_STATEMENT = {
    "Sid": "VpceScanWorkload",
    "Effect": "Allow",
    "Principal": {"AWS": EXECUTION_ROLE},
    "Action": "secretsmanager:GetSecretValue",
    "Resource": SECRET_ARN,
}
S3_BUCKETS_ONLY = policy(
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::my-company-*/*"}
)
S3_DATA_PERIMETER = policy(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    }
)
S3_WITH_LAYERS = policy(
    {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::my-company-*/*"},
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": LAYER_BUCKET},
)
LOGS_DENY = policy(
    {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
    {"Sid": "NoLogs", "Effect": "Deny", "Principal": "*", "Action": "logs:PutLogEvents", "Resource": "*"},
)
LOGS_CONDITIONAL = policy(
    {
        "Sid": "TaggedCallers",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:CalledViaFirst": "ecs.amazonaws.com"}},
    }
)
ECR_ROLE_ONLY = only(EXECUTION_ROLE, "ecr:*")
ECR_OWN_VPCE = policy(
    {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceVpce": ENDPOINT["ecr.api"]}},
    }
)


def missing_secrets_endpoint() -> Scenario:
    s = workload()
    s.remove("vpc_endpoints", ENDPOINT["secretsmanager"])
    return s


def missing_role() -> Scenario:
    s = workload(secretsmanager=only(EXECUTION_ROLE))
    s.account_data.pop("roles")
    s.missing("missing_roles", EXECUTION_ROLE)
    return s


def no_policy_document() -> Scenario:
    s = workload()
    del s.get("vpc_endpoints", ENDPOINT["logs"])["PolicyDocument"]
    return s


CASES = [
    Case("default endpoint policies allow everything", lambda: workload(), ALL_PASS),
    Case(
        "secretsmanager endpoint allows only another principal",
        lambda: workload(secretsmanager=OTHER_ROLE_ONLY),
        {**ALL_PASS, "api/secretsmanager": FAIL},
        message={
            "api/secretsmanager": [
                f"{ENDPOINT['secretsmanager']} (com.amazonaws.{REGION}.secretsmanager) does not allow "
                f"secretsmanager:GetSecretValue on {SECRET_ARN} for {EXECUTION_ROLE}"
            ]
        },
        remediation={
            "api/secretsmanager": [
                modify(
                    ENDPOINT["secretsmanager"],
                    json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [*json.loads(OTHER_ROLE_ONLY)["Statement"], ADDED_SECRET_STATEMENT],
                        },
                        separators=(",", ":"),
                    ),
                )
            ]
        },
    ),
    Case(
        "the policy naming the execution role allows",
        lambda: workload(secretsmanager=only(EXECUTION_ROLE), ecr_api=ECR_ROLE_ONLY, ecr_dkr=ECR_ROLE_ONLY),
        ALL_PASS,
    ),
    Case(
        "a policy on the endpoint's own aws:SourceVpce allows",
        lambda: workload(ecr_api=ECR_OWN_VPCE),
        ALL_PASS,
    ),
    Case(
        "ecr.dkr policy allowing only ecr:GetAuthorizationToken fails the layer actions",
        lambda: workload(ecr_dkr=only(EXECUTION_ROLE, "ecr:GetAuthorizationToken")),
        {**ALL_PASS, "api/ecr.dkr": FAIL},
        message={"api/ecr.dkr": [f"does not allow ecr:BatchCheckLayerAvailability on {REPOSITORY}", "(and 2 more)"]},
    ),
    Case(
        "S3 gateway policy without the ECR layer bucket",
        lambda: workload(s3=S3_BUCKETS_ONLY),
        {**ALL_PASS, "api/s3": FAIL},
        message={"api/s3": [f"s3:GetObject on arn:aws:s3:::prod-{REGION}-starport-layer-bucket/", "presigned"]},
        remediation={
            "api/s3": [
                modify(
                    ENDPOINT["s3"],
                    json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                *json.loads(S3_BUCKETS_ONLY)["Statement"],
                                {
                                    "Sid": "VpceScanEcrLayers",
                                    "Effect": "Allow",
                                    "Principal": "*",
                                    "Action": "s3:GetObject",
                                    "Resource": LAYER_BUCKET,
                                },
                            ],
                        },
                        separators=(",", ":"),
                    ),
                )
            ]
        },
    ),
    Case(
        "S3 data perimeter on aws:PrincipalAccount blocks the AWS-owned layer download",
        lambda: workload(s3=S3_DATA_PERIMETER),
        {**ALL_PASS, "api/s3": FAIL},
    ),
    Case("S3 policy with the layer bucket exception", lambda: workload(s3=S3_WITH_LAYERS), ALL_PASS),
    Case(
        "a Deny in the logs endpoint policy",
        lambda: workload(logs=LOGS_DENY),
        {**ALL_PASS, "api/logs": FAIL},
        message={"api/logs": ["denies logs:PutLogEvents", "statement NoLogs (Deny)"]},
    ),
    Case(
        "a condition on a key unknown offline is undetermined, naming the key",
        lambda: workload(logs=LOGS_CONDITIONAL),
        {**ALL_PASS, "api/logs": ERROR},
        message={"api/logs": ["condition key aws:CalledViaFirst unknown", "statement TaggedCallers"]},
    ),
    Case(
        "a missing endpoint is VPCE001's",
        missing_secrets_endpoint,
        {**ALL_PASS, "api/secretsmanager": SKIPPED},
    ),
    Case(
        "a missing execution role is still the principal the policy must name",
        missing_role,
        ALL_PASS,
    ),
    Case("an endpoint without a policy document allows (no endpoint policy)", no_policy_document, ALL_PASS),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce008(case: Case) -> None:
    check_case("VPCE008", case)


def test_baseline_and_exec_endpoints_carry_no_startup_calls() -> None:
    results = run("VPCE008", Scenario.compliant(exec_enabled=True, endpoints=(*NEEDED, "ssmmessages")))
    assert not {r.qualifier for r in results} & {"api/sts", "api/ssmmessages"}


def test_evidence_lists_the_calls_through_the_endpoint() -> None:
    results = {r.qualifier: r for r in run("VPCE008", workload(s3=S3_BUCKETS_ONLY))}
    assert results["api/s3"].evidence["calls"] == [
        f"implicit_deny s3:GetObject arn:aws:s3:::prod-{REGION}-starport-layer-bucket/layer"
    ]
    assert results["api/ecr.api"].evidence["calls"] == ["allowed ecr:GetAuthorizationToken *"]


def test_environment_files_go_through_the_s3_endpoint_policy() -> None:
    """An environment file is read by the execution role through the S3 gateway endpoint: a policy that
    lets through only the ECR layer bucket blocks it (and names both calls)."""
    s = workload(s3=policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": LAYER_BUCKET}))
    app = s.get("task_definitions", "api")["containerDefinitions"][0]
    app["environmentFiles"] = [{"value": "arn:aws:s3:::team-config/prod/app.env", "type": "s3"}]
    results = {r.qualifier: r for r in run("VPCE008", s)}
    found = results["api/s3"]
    assert found.status is Status.FAIL, found.message
    assert "implicit_deny s3:GetObject arn:aws:s3:::team-config/prod/app.env" in found.evidence["calls"]
    assert "implicit_deny s3:GetBucketLocation arn:aws:s3:::team-config" in found.evidence["calls"]
