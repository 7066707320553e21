"""The whole VPCE007 pass (request derivation + offline evaluation + results) on a synthetic account.

2,000 Fargate services, each with its own execution role and task definition, deriving 10,000 requests
in all: ECR pulls (token + three layer actions), awslogs streams, Secrets Manager secrets (a third under a
customer managed key with a key policy), SSM parameters. Roles mix the AWS managed ECS policy (shipped
copy, as when a snapshot holds only the attachment), inline grants with `-??????`, `-*` and prefix
patterns (some forgetting a secret, some conditional on a key unknown offline, so FAIL and ERROR results
with their fixes are built too), permissions boundaries, guard policies with explicit denies, and two
SCP levels. Services sit in
20 VPCs with the endpoints they need (so `aws:SourceVpce` is known).

The inventory and the scan context (workloads, needs) are built up front; the timed part is
`evaluate_rule(VPCE007)` alone, in a fresh process, so parse and match caches start cold.

    .venv/bin/python benchmarks/vpce007_pass.py [--roles 2000] [--seed 7] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from iam_throughput import GUARD_STATEMENTS, ORG_ID

from scanner.config import bundled_path
from scanner.engine.evaluate import build_context, evaluate_rule
from scanner.engine.loader import load_rule_file
from scanner.engine.subjects import SUBJECT_TYPES
from scanner.iam.requests import execution_plan
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory
from scanner.inventory.workloads import Workload

ACCOUNT = "111122223333"
REGION = "eu-west-1"
VPCS = 20
ECS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/ecs-execution-boundary"
SERVICES = ("ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager", "ssm", "sts")
# (workloads per 2,000, private ECR image, awslogs, secrets, parameters): 6, 4, 6, 4 and 2 requests each,
# and every tenth secret under a customer managed key (one kms:Decrypt more): 10,000 requests in all.
SHAPES = (
    (660, True, True, 0, 0),
    (500, False, True, 1, 1),
    (400, True, False, 2, 0),
    (300, False, True, 1, 1),
    (140, False, True, 0, 0),
)
CMK_EVERY = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="warm passes after the cold one")
    options = parser.parse_args()

    started = time.perf_counter()
    inventory = synthetic_inventory(random.Random(options.seed), options.roles)
    rule = load_rule_file(bundled_path("rules") / "VPCE007.yaml")
    context = build_context(inventory)
    setup = time.perf_counter() - started

    with _CollectorTime() as collector:
        started = time.perf_counter()
        results = evaluate_rule(rule, context)
        cold = time.perf_counter() - started

    requests = sum(len(execution_plan(w).requests) for w in context.workloads)
    warm: list[float] = []
    for _ in range(options.repeat):
        _forget_plans(context.workloads)
        started = time.perf_counter()
        evaluate_rule(rule, context)
        warm.append(time.perf_counter() - started)

    # Where the time goes (documents already parsed): the engine's subject enumeration (template
    # variables of every workload), the request derivation, and the evaluation with the results.
    _forget_plans(context.workloads)
    started = time.perf_counter()
    list(SUBJECT_TYPES["workload"].enumerate(context))
    enumeration = time.perf_counter() - started
    started = time.perf_counter()
    for workload in context.workloads:
        execution_plan(workload)
    derivation = time.perf_counter() - started
    started = time.perf_counter()
    evaluate_rule(rule, context)
    judged = time.perf_counter() - started - enumeration

    print(f"roles: {len(inventory.accounts[0].roles)}; workloads: {len(context.workloads)}; requests: {requests}")
    print(f"setup (build inventory, derive workloads and needs): {setup:.3f} s")
    print(f"VPCE007 pass, cold: {cold:.3f} s ({requests / cold:,.0f} requests/s)")
    print(
        f"  of which garbage collection: {collector.seconds:.3f} s "
        f"({collector.full} full collections of the inventory's and the pass's objects)"
    )
    if warm:
        print(f"VPCE007 pass, warm (plans re-derived, documents already parsed): {min(warm):.3f}-{max(warm):.3f} s")
    print(
        f"  of which: subject enumeration {enumeration:.3f} s, request derivation {derivation:.3f} s, "
        f"evaluation and results {judged:.3f} s"
    )
    print("results: " + ", ".join(f"{k} {v}" for k, v in sorted(Counter(r.status.value for r in results).items())))


class _CollectorTime:
    """Time the garbage collector takes while active. A full collection walks every object the process
    holds (the inventory's ~200,000 and more): a good share of a cold pass that the rule's code only
    influences through the number of objects it keeps."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2

    def __enter__(self) -> _CollectorTime:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)


def _forget_plans(workloads: list[Workload]) -> None:
    for workload in workloads:
        workload.__dict__.pop("_vpce_scan_execution_plan", None)


def synthetic_inventory(rng: random.Random, roles: int) -> Inventory:
    region: dict[str, list[Any]] = {
        key: []
        for key in (
            "vpcs",
            "subnets",
            "route_tables",
            "security_groups",
            "vpc_endpoints",
            "clusters",
            "services",
            "task_definitions",
        )
    }
    region["clusters"].append({"clusterArn": _arn("ecs", "cluster/prod"), "clusterName": "prod"})
    for index in range(VPCS):
        _vpc(region, index)
    account: dict[str, list[Any]] = {
        "roles": [],
        "secrets": [],
        "kms_keys": [],
        "ssm_parameters": [],
        "managed_policies": [],
    }
    account["managed_policies"].append(
        {
            "Arn": BOUNDARY,
            "DefaultVersionId": "v2",
            "Document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [
                            "ecr:*",
                            "logs:*",
                            "secretsmanager:GetSecretValue",
                            "ssm:GetParameters",
                            "kms:Decrypt",
                        ],
                        "Resource": "*",
                    },
                    {"Effect": "Deny", "Action": "iam:*", "Resource": "*"},
                ],
            },
        }
    )
    shapes = [shape for count, *rest in SHAPES for shape in [tuple(rest)] * round(count * roles / 2000)]
    rng.shuffle(shapes)
    for index, (ecr, logs, secrets, parameters) in enumerate(shapes[:roles]):
        _workload(rng, region, account, index, ecr=bool(ecr), logs=bool(logs), secrets=secrets, parameters=parameters)
    scps = {
        "status": "collected",
        "organization_id": ORG_ID,
        "levels": [
            {
                "target_id": "r-root",
                "target_type": "ROOT",
                "policies": [
                    {"id": "p-full", "content": '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'}
                ],
            },
            {
                "target_id": ACCOUNT,
                "target_type": "ACCOUNT",
                "policies": [
                    {"id": "p-full", "content": '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'},
                    {
                        "id": "p-region",
                        "content": '{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],'
                        '"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}}]}',
                    },
                ],
            },
        ],
    }
    return Inventory(
        source="fixture",
        accounts=[
            AccountInventory.model_validate(
                {
                    "account_id": ACCOUNT,
                    "regions": [RegionInventory.model_validate({"region": REGION, **region})],
                    "service_control_policies": scps,
                    **account,
                }
            )
        ],
    )


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _vpc(region: dict[str, list[Any]], index: int) -> None:
    vpc = f"vpc-{index:04d}"
    region["vpcs"].append({"VpcId": vpc, "CidrBlock": f"10.{index}.0.0/16"})
    subnets = [f"subnet-{index:04d}{az}" for az in "ab"]
    for n, subnet in enumerate(subnets):
        region["subnets"].append(
            {
                "SubnetId": subnet,
                "VpcId": vpc,
                "CidrBlock": f"10.{index}.{n}.0/24",
                "AvailabilityZone": f"{REGION}{'ab'[n]}",
            }
        )
    region["route_tables"].append(
        {
            "RouteTableId": f"rtb-{index:04d}",
            "VpcId": vpc,
            "Routes": [],
            "Associations": [{"SubnetId": s} for s in subnets],
        }
    )
    region["security_groups"].append({"GroupId": f"sg-{index:04d}", "GroupName": "tasks", "VpcId": vpc})
    for service in SERVICES:
        gateway = service == "s3"
        region["vpc_endpoints"].append(
            {
                "VpcEndpointId": f"vpce-{index:04d}-{service.replace('.', '')}",
                "VpcEndpointType": "Gateway" if gateway else "Interface",
                "VpcId": vpc,
                "ServiceName": f"com.amazonaws.{REGION}.{service}",
                "State": "available",
                "PrivateDnsEnabled": not gateway,
                "SubnetIds": [] if gateway else subnets,
                "RouteTableIds": [f"rtb-{index:04d}"] if gateway else [],
                "PolicyDocument": '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
            }
        )


def _workload(
    rng: random.Random,
    region: dict[str, list[Any]],
    account: dict[str, list[Any]],
    index: int,
    *,
    ecr: bool,
    logs: bool,
    secrets: int,
    parameters: int,
) -> None:
    team = rng.choice(("payments", "risk", "search", "growth", "platform"))
    name = f"{team}-svc-{index:04d}"
    vpc = index % VPCS
    role_name = f"{name}-execution"
    container: dict[str, Any] = {
        "name": "app",
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{team}/app:1" if ecr else "public.ecr.aws/nginx/nginx:1",
        "secrets": [],
    }
    if logs:
        container["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": f"/ecs/{name}", "awslogs-region": REGION, "awslogs-stream-prefix": "ecs"},
        }
    for item in ("db", "api-key")[:secrets]:
        suffix = "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEF0123456789", k=6))
        arn = _arn("secretsmanager", f"secret:{team}/svc-{index:04d}/{item}-{suffix}")
        secret: dict[str, Any] = {"ARN": arn, "Name": f"{team}/svc-{index:04d}/{item}"}
        if len(account["secrets"]) % CMK_EVERY == 0:
            key = _arn("kms", f"key/{rng.getrandbits(128):032x}")
            secret |= {"KmsKeyId": key, "KmsKeyArn": key}
            account["kms_keys"].append(
                {"Arn": key, "KeyId": key.rsplit("/", 1)[1], "KeyManager": "CUSTOMER", "KeyPolicy": _key_policy()}
            )
        account["secrets"].append(secret)
        value_from = arn if rng.random() < 0.7 else arn.rsplit("-", 1)[0]  # a partial ARN now and then
        container["secrets"].append({"name": item.upper(), "valueFrom": value_from})
    for item in ("config",)[:parameters]:
        parameter = f"/{team}/svc-{index:04d}/{item}"
        account["ssm_parameters"].append({"ARN": _arn("ssm", f"parameter{parameter}"), "Name": parameter})
        container["secrets"].append({"name": item.upper(), "valueFrom": parameter})
    role: dict[str, Any] = {
        "RoleName": role_name,
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{role_name}",
        "Tags": [{"Key": "team", "Value": team}],
        "AttachedPolicies": [{"PolicyArn": ECS_POLICY}] if rng.random() < 0.8 else [],
        "InlinePolicies": [{"PolicyName": "secrets", "PolicyDocument": _secrets_policy(rng, team, index)}],
    }
    if not role["AttachedPolicies"]:
        role["InlinePolicies"].append({"PolicyName": "pull-and-log", "PolicyDocument": _pull_policy(team, name)})
    if rng.random() < 0.3:
        role["PermissionsBoundary"] = {"PermissionsBoundaryArn": BOUNDARY}
    if rng.random() < 0.3:
        role["InlinePolicies"].append({"PolicyName": "guard", "PolicyDocument": _guard_policy(rng)})
    account["roles"].append(role)
    definition = _arn("ecs", f"task-definition/{name}:1")
    region["task_definitions"].append(
        {
            "taskDefinitionArn": definition,
            "family": name,
            "revision": 1,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "executionRoleArn": role["Arn"],
            "containerDefinitions": [container],
        }
    )
    region["services"].append(
        {
            "serviceArn": _arn("ecs", f"service/prod/{name}"),
            "serviceName": name,
            "clusterArn": _arn("ecs", "cluster/prod"),
            "status": "ACTIVE",
            "taskDefinition": definition,
            "launchType": "FARGATE",
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": [f"subnet-{vpc:04d}a", f"subnet-{vpc:04d}b"],
                    "securityGroups": [f"sg-{vpc:04d}"],
                }
            },
        }
    )


def _secrets_policy(rng: random.Random, team: str, index: int) -> dict[str, Any]:
    base = _arn("secretsmanager", f"secret:{team}/svc-{index:04d}")
    style = rng.choice(("exact-suffix", "dash-star", "prefix", "tagged", "timed"))
    statement: dict[str, Any] = {"Sid": "ReadSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue"}
    match style:
        case "exact-suffix":  # forgets the api-key secret: FAIL for the roles that read it
            statement["Resource"] = [f"{base}/db-??????"]
        case "dash-star":
            statement["Resource"] = f"{base}/*-*"
        case "prefix":
            statement["Resource"] = f"arn:aws:secretsmanager:*:*:secret:{team}/*"
        case "tagged":
            statement["Resource"] = f"{base}/*"
            statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": team}}
        case _:  # a condition on a key unknown offline: ERROR (undetermined)
            statement["Resource"] = f"{base}/*"
            statement["Condition"] = {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}
    return {
        "Version": "2012-10-17",
        "Statement": [
            statement,
            {
                "Sid": "ReadParameters",
                "Effect": "Allow",
                "Action": ["ssm:GetParameters"],
                "Resource": _arn("ssm", f"parameter/{team}/*"),
            },
            {"Sid": "Decrypt", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": _arn("kms", "key/*")},
        ],
    }


def _pull_policy(team: str, name: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": _arn("ecr", f"repository/{team}/*"),
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": _arn("logs", f"log-group:/ecs/{name}:*"),
            },
        ],
    }


def _guard_policy(rng: random.Random) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": rng.sample(GUARD_STATEMENTS, k=2)}


def _key_policy() -> str:
    return (
        '{"Version":"2012-10-17","Statement":[{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":'
        f'"arn:aws:iam::{ACCOUNT}:root"}},"Action":"kms:*","Resource":"*"}}]}}'
    )


if __name__ == "__main__":
    main()
