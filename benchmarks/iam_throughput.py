"""Throughput of the offline IAM evaluator on a synthetic account.

2,000 execution roles with realistic policy mixes (the AWS managed ECS policy, inline secret grants with
suffix wildcards, permissions boundaries, explicit denies, conditions on unknown keys, SCP levels, secret
resource policies, KMS key policies and VPC endpoint policies) and 10,000 requests of the kinds a Fargate
task makes at start-up. Documents are parsed once, up front, as the scanner does; the timed pass is
`evaluate_request` alone, in a fresh process (cold regex and match caches).

    .venv/bin/python benchmarks/iam_throughput.py [--roles 2000] [--requests 10000] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.iam import (
    ECS_TASK_EXECUTION_ROLE_POLICY_ARN,
    EndpointPolicy,
    NamedPolicy,
    PolicySet,
    Request,
    RequestContext,
    ResourcePolicy,
    ResourcePolicyKind,
    aws_managed_policy,
    evaluate_request,
)

ACCOUNT = "111122223333"
PARTNER_ACCOUNT = "444455556666"
REGIONS = ("eu-west-1", "us-east-1")
ORG_ID = "o-abc123def4"
VPCE_ID = "vpce-0a1b2c3d4e5f"


@dataclass(frozen=True)
class Role:
    arn: str
    name: str
    region: str
    team: str
    secrets: tuple[str, ...]
    policies: PolicySet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    rng = random.Random(options.seed)

    started = time.perf_counter()
    roles = [_role(rng, index) for index in range(options.roles)]
    workload = [_request(rng, rng.choice(roles)) for _ in range(options.requests)]
    setup = time.perf_counter() - started

    started = time.perf_counter()
    decisions = Counter(evaluate_request(request, policies).decision.value for request, policies in workload)
    elapsed = time.perf_counter() - started

    started = time.perf_counter()
    for request, policies in workload:
        evaluate_request(request, policies)
    warm = time.perf_counter() - started

    statements = sum(len(policy.document.statements) for role in roles for policy in role.policies.identity_policies)
    print(f"roles: {len(roles)} ({statements} identity statements); requests: {len(workload)}")
    print(f"setup (generate + parse documents): {setup:.3f} s")
    print(f"evaluate, cold caches: {elapsed:.3f} s total, {len(workload) / elapsed:,.0f} requests/s")
    print(f"evaluate, warm caches: {warm:.3f} s total, {len(workload) / warm:,.0f} requests/s")
    print("decisions: " + ", ".join(f"{name} {count}" for name, count in sorted(decisions.items())))


def _role(rng: random.Random, index: int) -> Role:
    team = rng.choice(("payments", "risk", "search", "growth", "platform"))
    region = rng.choice(REGIONS)
    name = f"{team}-svc-{index:04d}-execution"
    arn = f"arn:aws:iam::{ACCOUNT}:role/ecs/{name}"
    secrets = tuple(
        f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{team}/svc-{index:04d}/{item}-{_suffix(rng)}"
        for item in rng.sample(("db", "api-key", "token", "tls"), k=rng.randint(1, 3))
    )
    identity: list[NamedPolicy] = []
    managed = aws_managed_policy(ECS_TASK_EXECUTION_ROLE_POLICY_ARN)
    if managed is not None and rng.random() < 0.8:
        identity.append(managed)
    else:
        identity.append(_ecr_and_logs_inline(name, region, team))
    identity.append(_secrets_inline(rng, name, region, team, index))
    if rng.random() < 0.3:
        identity.append(_guard_inline(rng, name))
    boundary = _boundary() if rng.random() < 0.3 else None
    policies = PolicySet(
        identity_policies=identity,
        permissions_boundary=boundary,
        scp_levels=_SCP_LEVELS,
        vpc_endpoint_policy=_ENDPOINT if rng.random() < 0.5 else None,
    )
    return Role(arn, name, region, team, secrets, policies)


def _request(rng: random.Random, role: Role) -> tuple[Request, PolicySet]:
    region = role.region
    context_values: dict[str, str | bool] = {"aws:RequestedRegion": region, "aws:SecureTransport": True}
    if rng.random() < 0.7:
        context_values["aws:PrincipalOrgID"] = ORG_ID
    absent: list[str] = []
    if rng.random() < 0.6:
        context_values["aws:SourceVpce"] = VPCE_ID
    else:
        absent.append("aws:SourceVpce")
    kind = rng.choice(("token", "image", "image", "logs", "logs", "secret", "secret", "ssm", "kms"))
    repository = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{role.team}/app"
    policies = role.policies
    match kind:
        case "token":
            action, resource = "ecr:GetAuthorizationToken", "*"
            absent, context_values = (
                ["aws:SourceVpce"],
                {k: v for k, v in context_values.items() if k != "aws:SourceVpce"},
            )
        case "image":
            action = rng.choice(("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"))
            resource = repository
        case "logs":
            action = rng.choice(("logs:CreateLogStream", "logs:PutLogEvents"))
            task_id = f"{rng.getrandbits(64):016x}"
            resource = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/ecs/{role.name}:log-stream:ecs/app/{task_id}"
        case "secret":
            action, resource = "secretsmanager:GetSecretValue", rng.choice(role.secrets)
            if rng.random() < 0.3:
                policies = replace(policies, resource_policy=_secret_policy(role.arn))
        case "ssm":
            action, resource = "ssm:GetParameters", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{role.team}/config"
        case _:
            action, resource = "kms:Decrypt", f"arn:aws:kms:{region}:{ACCOUNT}:key/{rng.getrandbits(128):032x}"
            context_values["kms:ViaService"] = f"secretsmanager.{region}.amazonaws.com"
            policies = replace(policies, resource_policy=_KEY_POLICY)
    context = RequestContext(context_values, absent)
    return Request(action, resource, role.arn, ACCOUNT, context), policies


def _suffix(rng: random.Random) -> str:
    return "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=6))


def _ecr_and_logs_inline(name: str, region: str, team: str) -> NamedPolicy:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Token", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Sid": "Pull",
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{team}/*",
            },
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/ecs/{name}:*",
            },
        ],
    }
    return NamedPolicy.parse(f"{name}/ecr-and-logs", json.dumps(document))


def _secrets_inline(rng: random.Random, name: str, region: str, team: str, index: int) -> NamedPolicy:
    style = rng.choice(("exact-suffix", "dash-star", "prefix", "conditional"))
    statement: dict[str, object] = {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue"}
    base = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{team}/svc-{index:04d}"
    match style:
        case "exact-suffix":
            statement["Resource"] = [f"{base}/{item}-??????" for item in ("db", "api-key", "token", "tls")]
        case "dash-star":
            statement["Resource"] = f"{base}/*-*"
        case "prefix":
            statement["Resource"] = f"arn:aws:secretsmanager:*:*:secret:{team}/*"
        case _:
            statement["Resource"] = f"{base}/*"
            statement["Condition"] = {"StringEquals": {"aws:SourceVpce": VPCE_ID}}
    parameters = {
        "Sid": "ReadParameters",
        "Effect": "Allow",
        "Action": ["ssm:GetParameters", "ssm:GetParameter"],
        "Resource": f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{team}/*",
    }
    decrypt = {
        "Sid": "Decrypt",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": f"arn:aws:kms:{region}:{ACCOUNT}:key/*",
    }
    return NamedPolicy.parse(
        f"{name}/secrets", {"Version": "2012-10-17", "Statement": [statement, parameters, decrypt]}
    )


# Explicit denies a platform team puts beside execution roles (shared with vpce007_pass.py).
GUARD_STATEMENTS: list[dict[str, Any]] = [
    {"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "arn:aws:secretsmanager:*:*:secret:staging/*"},
    {
        "Effect": "Deny",
        "NotAction": ["ecr:*", "logs:*", "secretsmanager:GetSecretValue", "ssm:GetParameters", "kms:Decrypt"],
        "Resource": "*",
    },
    {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}},
    },
]


def _guard_inline(rng: random.Random, name: str) -> NamedPolicy:
    return NamedPolicy.parse(f"{name}/guard", {"Version": "2012-10-17", "Statement": rng.sample(GUARD_STATEMENTS, k=2)})


def _boundary() -> NamedPolicy:
    return NamedPolicy.parse(
        "arn:aws:iam::111122223333:policy/ecs-execution-boundary",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ecr:*", "logs:*", "secretsmanager:GetSecretValue", "kms:Decrypt"],
                    "Resource": "*",
                },
                {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
            ],
        },
    )


def _secret_policy(role_arn: str) -> ResourcePolicy:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:*",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalAccount": [ACCOUNT, PARTNER_ACCOUNT]}},
            },
        ],
    }
    return ResourcePolicy(ACCOUNT, NamedPolicy.parse("secret-policy", json.dumps(document)))


_SCP_LEVELS = (
    (
        NamedPolicy.parse(
            "p-FullAWSAccess",
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
        ),
    ),
    (
        NamedPolicy.parse(
            "p-FullAWSAccess",
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}},
        ),
        NamedPolicy.parse(
            "p-region-lock",
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Deny",
                    "NotAction": ["iam:*", "organizations:*", "sts:*"],
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(REGIONS)}},
                },
            },
        ),
    ),
)

_KEY_POLICY = ResourcePolicy(
    ACCOUNT,
    NamedPolicy.parse(
        "key-policy",
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EnableIAM",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                },
            ],
        },
    ),
    ResourcePolicyKind.KEY_POLICY,
)

_ENDPOINT = EndpointPolicy(
    NamedPolicy.parse(
        "vpce-default",
        {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]},
    )
)


if __name__ == "__main__":
    main()
