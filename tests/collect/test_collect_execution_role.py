"""End to end with moto: collect() reads the execution roles' policies, the managed policy documents and
the referenced secrets, then VPCE007/VPCE008 decide on them (the AWS managed
AmazonECSTaskExecutionRolePolicy is loaded into moto with MOTO_IAM_LOAD_MANAGED_POLICIES)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.model import OperationModel

from scanner.collect import collect
from scanner.config import ScanConfig, bundled_path
from scanner.engine.loader import load_rules
from scanner.inventory import Inventory
from scanner.results import Result, Status
from scanner.scan import evaluate_inventory
from tests.awsfixtures import add_fargate_service, build_account, pin_ecs_tasks, unpin_ecs_tasks
from tests.collect.helpers import fake_aws_env

REGION = "us-east-1"
ECS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def grant_prod_secrets(account: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": f"arn:aws:secretsmanager:{REGION}:{account}:secret:prod/*",
                }
            ],
        }
    )


DENY_SECRETS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoSecrets", "Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}],
    }
)


@dataclass
class Collected:
    inventory: Inventory
    results: list[Result]
    calls: Counter[str]
    secret_arn: str
    other_principal_endpoint: str

    def result(self, rule_id: str, service: str, qualifier: str = "") -> Result:
        found = [
            r
            for r in self.results
            if r.rule_id == rule_id
            and r.workload
            and r.workload.endswith(f"/{service}")
            and r.qualifier.endswith(qualifier)
        ]
        assert len(found) == 1, [(r.qualifier, r.status) for r in found]
        return found[0]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collected]:
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_env(monkeypatch, tmp_path_factory.mktemp("aws"))
        # Must be set before moto creates its IAM backend (the first IAM call inside mock_aws).
        monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        with mock_aws():
            pin_ecs_tasks()
            try:
                yield _build_and_collect()
            finally:
                unpin_ecs_tasks()


def _role(iam: Any, name: str, *, managed: bool = True, inline: dict[str, str] | None = None) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=ECS_POLICY)
    for policy_name, document in (inline or {}).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=document)
    return str(arn)


def _build_and_collect() -> Collected:
    session = boto3.Session()
    fixture = build_account(session, REGION, ["compliant", "compliant"])
    shared, first, second = fixture.shared, fixture.vpcs[0], fixture.vpcs[1]
    account = shared.account_id
    iam = session.client("iam")
    secret_arn = session.client("secretsmanager", region_name=REGION).create_secret(
        Name="prod/db", SecretString="never read"
    )["ARN"]
    secrets = [("DB_PASSWORD", secret_arn)]
    roles = {
        "managed-only": _role(iam, "managed-only"),
        "prod-grant": _role(iam, "prod-grant", inline={"prod": grant_prod_secrets(account)}),
        "prod-grant-denied": _role(
            iam, "prod-grant-denied", inline={"prod": grant_prod_secrets(account), "guard": DENY_SECRETS}
        ),
        "no-policies": _role(iam, "no-policies", managed=False),
    }
    for name, role_arn in roles.items():
        add_fargate_service(session, shared, first, name, role_arn, secrets=secrets)
    # A partial ARN (no random suffix) and a JSON key, on the role that may read prod/*.
    partial = secret_arn.rsplit("-", 1)[0]
    add_fargate_service(
        session, shared, first, "partial-arn", roles["prod-grant"], secrets=[("DB", f"{partial}:password::")]
    )
    # The second VPC's Secrets Manager endpoint lets only another principal through.
    endpoint = second.endpoint_ids["secretsmanager"]
    other = f"arn:aws:iam::{account}:role/someone-else"
    session.client("ec2", region_name=REGION).modify_vpc_endpoint(
        VpcEndpointId=endpoint,
        PolicyDocument=json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": other}, "Action": "*", "Resource": "*"}]}
        ),
    )
    add_fargate_service(session, shared, second, "other-principal-endpoint", roles["prod-grant"], secrets=secrets)

    scanning = boto3.Session()
    calls: Counter[str] = Counter()

    def record(model: OperationModel, params: dict[str, object], **_: object) -> None:
        calls[f"{model.service_model.signing_name}:{model.name}"] += 1
        if model.name in ("GetPolicy", "GetPolicyVersion"):
            calls[f"{model.name} {params.get('PolicyArn')}"] += 1

    scanning.events.register("before-parameter-build.*.*", record)
    inventory = collect(scanning)
    results = evaluate_inventory(load_rules([bundled_path("rules")]), inventory, ScanConfig()).results
    return Collected(inventory, results, calls, secret_arn, endpoint)


def test_collection_has_no_errors_and_no_organization(collected: Collected) -> None:
    account = collected.inventory.accounts[0]
    assert account.errors == []
    assert account.service_control_policies is not None
    assert account.service_control_policies.status == "not_in_organization"


def test_role_policies_and_managed_documents_are_collected(collected: Collected) -> None:
    account = collected.inventory.accounts[0]
    roles = account.role_by_name
    assert [a.policy_arn for a in roles["managed-only"].attached_policies] == [ECS_POLICY]
    assert {p.policy_name for p in roles["prod-grant-denied"].inline_policies} == {"prod", "guard"}
    assert roles["no-policies"].inline_policies == [] and roles["no-policies"].attached_policies == []
    (managed,) = [p for p in account.managed_policies if p.arn == ECS_POLICY]
    assert managed.default_version_id == "v1"
    assert isinstance(managed.document, dict) and managed.document["Statement"]


def test_each_managed_policy_is_fetched_once(collected: Collected) -> None:
    assert collected.calls[f"GetPolicy {ECS_POLICY}"] == 1
    assert collected.calls[f"GetPolicyVersion {ECS_POLICY}"] == 1


def test_secret_metadata_is_read_never_its_value(collected: Collected) -> None:
    account = collected.inventory.accounts[0]
    (secret,) = [s for s in account.secrets if s.name == "prod/db"]
    assert secret.arn == collected.secret_arn and secret.kms_key_id is None
    assert collected.calls["secretsmanager:GetSecretValue"] == 0
    assert collected.calls["secretsmanager:DescribeSecret"] >= 1


def test_managed_policy_passes_ecr_and_logs_but_not_the_secret(collected: Collected) -> None:
    result = collected.result("VPCE007", "managed-only")
    assert result.status is Status.FAIL
    assert {c.split()[0] for c in result.evidence["calls"] if " ecr:" in c or " logs:" in c} == {"allowed"}
    assert f"not allowed secretsmanager:GetSecretValue on {collected.secret_arn}" in result.message
    assert result.remediation[0].startswith("aws iam put-role-policy --role-name managed-only ")


def test_inline_grant_on_prod_star_passes_the_suffixed_secret(collected: Collected) -> None:
    assert collected.result("VPCE007", "prod-grant").status is Status.PASS


def test_partial_arn_with_json_key_resolves_to_the_collected_secret(collected: Collected) -> None:
    result = collected.result("VPCE007", "partial-arn")
    assert result.status is Status.PASS
    assert f"allowed secretsmanager:GetSecretValue {collected.secret_arn}" in result.evidence["calls"]


def test_a_deny_on_secretsmanager_wins(collected: Collected) -> None:
    result = collected.result("VPCE007", "prod-grant-denied")
    assert result.status is Status.FAIL
    assert "statement NoSecrets (Deny)" in result.message


def test_a_role_with_no_policies_fails_every_call(collected: Collected) -> None:
    result = collected.result("VPCE007", "no-policies")
    assert result.status is Status.FAIL
    assert {c.split()[0] for c in result.evidence["calls"]} == {"implicit_deny"}


def test_an_endpoint_policy_for_another_principal_fails_vpce008(collected: Collected) -> None:
    result = collected.result("VPCE008", "other-principal-endpoint", "/secretsmanager")
    assert result.status is Status.FAIL
    assert result.resource_id == collected.other_principal_endpoint
    assert result.remediation[0].startswith(
        f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id {collected.other_principal_endpoint} "
    )
    # The same role through the default policy of the first VPC passes.
    assert collected.result("VPCE008", "prod-grant", "/secretsmanager").status is Status.PASS
