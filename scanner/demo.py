"""The demo inventory behind `vpce-scan --demo`: one account, three VPCs, four workloads, built here in
boto3's response shapes, so a newcomer sees real output without an AWS account.

- payments (vpc-0a11...): a compliant private design: three AZs, every endpoint, tight groups.
- orders (vpc-0b22...): a NAT default route left behind, no logs endpoint, ecr.dkr without private
  DNS, an endpoint group open to the VPC CIDR, S3 gateway on one of two route tables, a standalone
  nightly task family.
- analytics (vpc-0c33...): one AZ, a Docker Hub image, a network ACL that drops the return traffic,
  tasks with a public IP, a logs endpoint whose policy admits only another role.

The execution roles: payments-api's may read its secret (under a customer managed key) and parameter;
orders-api's has only the AWS managed execution policy, so it cannot read its database secret. The
account is in an organization whose SCPs allow everything but leaving it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from scanner.inventory.iam import (
    KmsKey,
    ManagedPolicy,
    RepositoryPolicy,
    Role,
    SecretMetadata,
    ServiceControlPolicies,
    SsmParameter,
)
from scanner.inventory.images import parse_image
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory

ACCOUNT = "111122223333"
ORGANIZATION = "o-a1b2c3d4e5"
REGION = "eu-west-1"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
S3_PREFIX_LIST = "pl-6da54004"
S3_CIDRS = ["52.218.0.0/17", "3.5.64.0/21", "3.5.72.0/23"]
Json = dict[str, Any]
_FULL_ACCESS: Json = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
ECS_EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
PAYMENTS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/3f0b2a4e-6c1d-4e8f-9a7b-2d5c8e1f4a60"


def _arn(service: str, resource: str) -> str:
    return f"arn:aws:{service}:{REGION}:{ACCOUNT}:{resource}"


def _tags(name: str) -> list[Json]:
    return [{"Key": "Name", "Value": name}]


class _Region:
    """Accumulates resources in boto3's shapes."""

    def __init__(self) -> None:
        self.data: dict[str, list[Json]] = {}

    def add(self, kind: str, item: Json) -> Json:
        self.data.setdefault(kind, []).append(item)
        return item

    def vpc(self, vpc_id: str, cidr: str, name: str) -> None:
        self.add(
            "vpcs",
            {
                "VpcId": vpc_id,
                "CidrBlock": cidr,
                "OwnerId": ACCOUNT,
                "Tags": _tags(name),
                "EnableDnsSupport": True,
                "EnableDnsHostnames": True,
            },
        )
        self.add(
            "network_acls",
            {
                "NetworkAclId": f"acl-{vpc_id[4:]}",
                "VpcId": vpc_id,
                "IsDefault": True,
                "Associations": [],
                "Entries": [
                    {
                        "RuleNumber": 100,
                        "Protocol": "-1",
                        "RuleAction": "allow",
                        "Egress": e,
                        "CidrBlock": "0.0.0.0/0",
                    }
                    for e in (True, False)
                ]
                + [
                    {
                        "RuleNumber": 32767,
                        "Protocol": "-1",
                        "RuleAction": "deny",
                        "Egress": e,
                        "CidrBlock": "0.0.0.0/0",
                    }
                    for e in (True, False)
                ],
            },
        )
        self.add(
            "route_tables",
            {
                "RouteTableId": f"rtb-{vpc_id[4:]}",
                "VpcId": vpc_id,
                "Tags": _tags(f"{name}-main"),
                "Routes": [{"DestinationCidrBlock": cidr, "GatewayId": "local"}],
                "Associations": [{"Main": True, "RouteTableAssociationId": f"rtbassoc-{vpc_id[4:]}"}],
            },
        )

    def subnet(self, subnet_id: str, vpc_id: str, cidr: str, az_letter: str, name: str) -> None:
        self.add(
            "subnets",
            {
                "SubnetId": subnet_id,
                "VpcId": vpc_id,
                "CidrBlock": cidr,
                "AvailabilityZone": f"{REGION}{az_letter}",
                "Tags": _tags(name),
                "SubnetArn": _arn("ec2", f"subnet/{subnet_id}"),
            },
        )
        acl = next(a for a in self.data["network_acls"] if a["VpcId"] == vpc_id and a["IsDefault"])
        acl["Associations"].append({"SubnetId": subnet_id, "NetworkAclId": acl["NetworkAclId"]})

    def route_table(self, table_id: str, vpc_id: str, subnets: list[str], routes: list[Json], name: str) -> None:
        vpc_cidr = next(v["CidrBlock"] for v in self.data["vpcs"] if v["VpcId"] == vpc_id)
        self.add(
            "route_tables",
            {
                "RouteTableId": table_id,
                "VpcId": vpc_id,
                "Tags": _tags(name),
                "Routes": [{"DestinationCidrBlock": vpc_cidr, "GatewayId": "local"}, *routes],
                "Associations": [
                    {"Main": False, "SubnetId": s, "RouteTableAssociationId": f"rtbassoc-{s[7:]}"} for s in subnets
                ],
            },
        )

    def group(self, group_id: str, vpc_id: str, name: str, ingress: list[Json], egress: list[Json]) -> None:
        self.add(
            "security_groups",
            {
                "GroupId": group_id,
                "GroupName": name,
                "VpcId": vpc_id,
                "OwnerId": ACCOUNT,
                "Description": name,
                "IpPermissions": ingress,
                "IpPermissionsEgress": egress,
            },
        )

    def endpoint(
        self,
        endpoint_id: str,
        vpc_id: str,
        service: str,
        *,
        subnets: list[str] | None = None,
        groups: list[str] | None = None,
        private_dns: bool = True,
        route_tables: list[str] | None = None,
        state: str = "available",
        policy: Json | None = None,
    ) -> None:
        gateway = route_tables is not None
        self.add(
            "vpc_endpoints",
            {
                "VpcEndpointId": endpoint_id,
                "VpcEndpointType": "Gateway" if gateway else "Interface",
                "VpcId": vpc_id,
                "ServiceName": f"com.amazonaws.{REGION}.{service}",
                "State": state,
                "SubnetIds": subnets or [],
                "RouteTableIds": route_tables or [],
                "Groups": [{"GroupId": g} for g in groups or []],
                "PrivateDnsEnabled": False if gateway else private_dns,
                "OwnerId": ACCOUNT,
                "PolicyDocument": json.dumps(policy or _FULL_ACCESS, separators=(",", ":")),
            },
        )
        if gateway:
            for table in self.data["route_tables"]:
                if table["RouteTableId"] in (route_tables or []):
                    table["Routes"].append({"DestinationPrefixListId": S3_PREFIX_LIST, "GatewayId": endpoint_id})

    def service(
        self,
        name: str,
        family: str,
        subnets: list[str],
        groups: list[str],
        *,
        public_ip: bool = False,
        exec_enabled: bool = False,
        cluster: str = "prod",
    ) -> None:
        self.add(
            "services",
            {
                "serviceArn": _arn("ecs", f"service/{cluster}/{name}"),
                "serviceName": name,
                "clusterArn": _arn("ecs", f"cluster/{cluster}"),
                "status": "ACTIVE",
                "launchType": "FARGATE",
                "platformVersion": "1.4.0",
                "taskDefinition": _arn("ecs", f"task-definition/{family}:7"),
                "enableExecuteCommand": exec_enabled,
                "networkConfiguration": {
                    "awsvpcConfiguration": {
                        "subnets": subnets,
                        "securityGroups": groups,
                        "assignPublicIp": "ENABLED" if public_ip else "DISABLED",
                    }
                },
            },
        )

    def task_definition(self, family: str, image: str, *, secrets: list[Json] | None = None, logs: bool = True) -> None:
        container: Json = {"name": family, "image": image, "secrets": secrets or []}
        if logs:
            container["logConfiguration"] = {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": f"/ecs/{family}",
                    "awslogs-region": REGION,
                    "awslogs-stream-prefix": family,
                },
            }
        self.add(
            "task_definitions",
            {
                "taskDefinitionArn": _arn("ecs", f"task-definition/{family}:7"),
                "family": family,
                "revision": 7,
                "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
                "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/{family}-execution",
                "containerDefinitions": [container],
            },
        )


def _https_from(group: str) -> Json:
    return {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}


_EGRESS_ALL = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "sts")


def _payments(r: _Region) -> None:
    vpc = "vpc-0a11c0ffee0000001"
    r.vpc(vpc, "10.10.0.0/16", "payments")
    subnets = [f"subnet-0a1100000000000{i}" for i in (1, 2, 3)]
    for subnet, az, cidr in zip(subnets, "abc", ("10.10.1.0/24", "10.10.2.0/24", "10.10.3.0/24"), strict=True):
        r.subnet(subnet, vpc, cidr, az, f"payments-private-{az}")
    r.route_table("rtb-0a1100000000000a1", vpc, subnets, [], "payments-private")
    r.group(
        "sg-0a11000000000task",
        vpc,
        "payments-tasks",
        [],
        [
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "UserIdGroupPairs": [{"GroupId": "sg-0a11000000endpoint"}],
                "PrefixListIds": [{"PrefixListId": S3_PREFIX_LIST}],
            }
        ],
    )
    r.group("sg-0a11000000endpoint", vpc, "payments-endpoints", [_https_from("sg-0a11000000000task")], _EGRESS_ALL)
    for index, service in enumerate((*_ENDPOINTS, "ssmmessages")):
        r.endpoint(f"vpce-0a110000000000{index:03d}", vpc, service, subnets=subnets, groups=["sg-0a11000000endpoint"])
    r.endpoint("vpce-0a11000000000s3gw", vpc, "s3", route_tables=["rtb-0a1100000000000a1"])
    r.task_definition(
        "payments-api",
        f"{ECR}/payments/api:2026.11.3",
        secrets=[
            {"name": "DB_PASSWORD", "valueFrom": _arn("secretsmanager", "secret:prod/payments/db-AbCdEf")},
            {"name": "STRIPE_KEY", "valueFrom": "/prod/payments/stripe-key"},
        ],
    )
    r.service("payments-api", "payments-api", subnets, ["sg-0a11000000000task"], exec_enabled=True)


def _orders(r: _Region) -> None:
    vpc = "vpc-0b22c0ffee0000002"
    r.vpc(vpc, "10.20.0.0/16", "orders")
    private = ["subnet-0b2200000000001a", "subnet-0b2200000000001b"]
    r.subnet(private[0], vpc, "10.20.1.0/24", "a", "orders-private-a")
    r.subnet(private[1], vpc, "10.20.2.0/24", "b", "orders-private-b")
    r.subnet("subnet-0b2200000000pub", vpc, "10.20.100.0/24", "a", "orders-public-a")
    r.add(
        "internet_gateways",
        {"InternetGatewayId": "igw-0b22000000000001", "Attachments": [{"VpcId": vpc, "State": "available"}]},
    )
    r.add(
        "nat_gateways",
        {
            "NatGatewayId": "nat-0b220000000000001",
            "VpcId": vpc,
            "SubnetId": "subnet-0b2200000000pub",
            "State": "available",
        },
    )
    r.route_table(
        "rtb-0b2200000000pub",
        vpc,
        ["subnet-0b2200000000pub"],
        [{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-0b22000000000001"}],
        "orders-public",
    )
    # The migration to endpoints left the NAT default route on one private table.
    r.route_table(
        "rtb-0b22000000000pa",
        vpc,
        [private[0]],
        [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0b220000000000001"}],
        "orders-private-a",
    )
    r.route_table("rtb-0b22000000000pb", vpc, [private[1]], [], "orders-private-b")
    r.group("sg-0b22000000000task", vpc, "orders-tasks", [], _EGRESS_ALL)
    r.group(
        "sg-0b22000000endpoint",
        vpc,
        "orders-endpoints",
        [{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}],
        _EGRESS_ALL,
    )
    for index, service in enumerate(s for s in _ENDPOINTS if s != "logs"):
        r.endpoint(
            f"vpce-0b220000000000{index:03d}",
            vpc,
            service,
            subnets=private,
            groups=["sg-0b22000000endpoint"],
            private_dns=service != "ecr.dkr",
        )
    r.endpoint("vpce-0b22000000000s3gw", vpc, "s3", route_tables=["rtb-0b22000000000pb"])
    r.task_definition(
        "orders-api",
        f"{ECR}/orders/api:4.1.0",
        secrets=[{"name": "DB_URL", "valueFrom": _arn("secretsmanager", "secret:prod/orders/db-Q1w2E3:url::")}],
    )
    r.service("orders-api", "orders-api", private, ["sg-0b22000000000task"])
    # A nightly report started by a scheduler: a standalone task family.
    r.task_definition("nightly-report", f"{ECR}/orders/report:1.9.2")
    r.add(
        "tasks",
        {
            "taskArn": _arn("ecs", "task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
            "clusterArn": _arn("ecs", "cluster/prod"),
            "taskDefinitionArn": _arn("ecs", "task-definition/nightly-report:7"),
            "group": "family:nightly-report",
            "launchType": "FARGATE",
            "lastStatus": "RUNNING",
            "attachments": [
                {
                    "type": "ElasticNetworkInterface",
                    "details": [
                        {"name": "subnetId", "value": private[1]},
                        {"name": "networkInterfaceId", "value": "eni-0b2200000000rpt1"},
                    ],
                }
            ],
        },
    )
    r.add(
        "network_interfaces",
        {
            "NetworkInterfaceId": "eni-0b2200000000rpt1",
            "SubnetId": private[1],
            "VpcId": vpc,
            "Groups": [{"GroupId": "sg-0b22000000000task"}],
        },
    )


def _analytics(r: _Region) -> None:
    vpc = "vpc-0c33c0ffee0000003"
    r.vpc(vpc, "10.30.0.0/16", "analytics")
    subnet = "subnet-0c3300000000001a"
    r.subnet(subnet, vpc, "10.30.1.0/24", "a", "analytics-a")
    r.route_table("rtb-0c33000000000001", vpc, [subnet], [], "analytics")
    r.add(
        "network_acls",
        {
            "NetworkAclId": "acl-0c33000000strict",
            "VpcId": vpc,
            "IsDefault": False,
            "Associations": [{"SubnetId": subnet, "NetworkAclId": "acl-0c33000000strict"}],
            "Entries": [
                {
                    "RuleNumber": 100,
                    "Protocol": "6",
                    "RuleAction": "allow",
                    "Egress": True,
                    "CidrBlock": "0.0.0.0/0",
                    "PortRange": {"From": 443, "To": 443},
                },
                {
                    "RuleNumber": 100,
                    "Protocol": "6",
                    "RuleAction": "allow",
                    "Egress": False,
                    "CidrBlock": "10.30.0.0/16",
                    "PortRange": {"From": 443, "To": 443},
                },
                {
                    "RuleNumber": 32767,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "Egress": True,
                    "CidrBlock": "0.0.0.0/0",
                },
                {
                    "RuleNumber": 32767,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "Egress": False,
                    "CidrBlock": "0.0.0.0/0",
                },
            ],
        },
    )
    default_acl = next(a for a in r.data["network_acls"] if a["VpcId"] == vpc and a["IsDefault"])
    default_acl["Associations"] = []
    r.group(
        "sg-0c33000000000task",
        vpc,
        "analytics-tasks",
        [],
        [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}],
    )
    r.group(
        "sg-0c33000000endpoint",
        vpc,
        "analytics-endpoints",
        [_https_from("sg-0c33000000000task")],
        _EGRESS_ALL,
    )
    # The logs endpoint's policy was copied from another team's VPC: it admits only their role.
    other_team = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reporting-execution"},
                "Action": "logs:*",
                "Resource": "*",
            }
        ],
    }
    for index, service in enumerate(("ecr.api", "ecr.dkr", "logs", "sts")):
        r.endpoint(
            f"vpce-0c330000000000{index:03d}",
            vpc,
            service,
            subnets=[subnet],
            groups=["sg-0c33000000endpoint"],
            policy=other_team if service == "logs" else None,
        )
    r.endpoint("vpce-0c33000000000s3gw", vpc, "s3", route_tables=["rtb-0c33000000000001"])
    r.task_definition("analytics-worker", "docker.io/grafana/loki:3.2.1")
    r.data["task_definitions"][-1]["containerDefinitions"].append(
        {
            "name": "exporter",
            "image": f"{ECR}/analytics/exporter:0.4.0",
            "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/analytics"}},
        }
    )
    r.service(
        "analytics-worker",
        "analytics-worker",
        [subnet],
        ["sg-0c33000000000task"],
        public_ip=True,
        cluster="batch",
    )


def demo_inventory() -> Inventory:
    region = _Region()
    _payments(region)
    _orders(region)
    _analytics(region)
    region.add(
        "prefix_lists",
        {"PrefixListId": S3_PREFIX_LIST, "PrefixListName": f"com.amazonaws.{REGION}.s3", "Cidrs": S3_CIDRS},
    )
    region.add("clusters", {"clusterArn": _arn("ecs", "cluster/prod"), "clusterName": "prod"})
    region.add("clusters", {"clusterArn": _arn("ecs", "cluster/batch"), "clusterName": "batch"})
    return Inventory(
        source="demo",
        collected_at=datetime(2026, 11, 2, 6, 17, tzinfo=UTC),
        accounts=[
            AccountInventory(
                account_id=ACCOUNT,
                regions=[RegionInventory.model_validate({"region": REGION, **region.data})],
                repository_policies=_repository_policies(region),
                pull_through_cache_regions=[REGION],
                **_identity_and_secrets(),
            )
        ],
    )


def _repository_policies(region: _Region) -> list[RepositoryPolicy]:
    """The account's image repositories, read as the collector reads them: none has a policy."""
    arns: dict[str, None] = {}
    for definition in region.data.get("task_definitions", []):
        for container in definition["containerDefinitions"]:
            arn = parse_image(container["image"], REGION).repository_arn
            if arn is not None:
                arns.setdefault(arn)
    return [RepositoryPolicy(repository_arn=arn) for arn in arns]


def _identity_and_secrets() -> dict[str, object]:
    """Execution roles, their policies, the referenced secrets, parameters and keys, and the SCPs."""
    managed = {"PolicyArn": ECS_EXECUTION_POLICY_ARN, "PolicyName": "AmazonECSTaskExecutionRolePolicy"}
    # ECS may assume every execution role, for tasks of this account only (the confused-deputy guard).
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
                },
            }
        ],
    }
    roles = [
        {
            "RoleName": f"{family}-execution",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/{family}-execution",
            "AssumeRolePolicyDocument": trust,
            "AttachedPolicies": [managed],
        }
        for family in ("orders-api", "nightly-report", "analytics-worker")
    ]
    payments_grant = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadOwnSecrets",
                "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": _arn("secretsmanager", "secret:prod/payments/*"),
            },
            {
                "Sid": "ReadOwnParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameters",
                "Resource": _arn("ssm", "parameter/prod/payments/*"),
            },
            {"Sid": "DecryptOwnKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": PAYMENTS_KEY},
        ],
    }
    roles.append(
        {
            "RoleName": "payments-api-execution",
            "Arn": f"arn:aws:iam::{ACCOUNT}:role/payments-api-execution",
            "AssumeRolePolicyDocument": trust,
            "AttachedPolicies": [managed],
            "InlinePolicies": [{"PolicyName": "payments-secrets", "PolicyDocument": payments_grant}],
        }
    )
    execution_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
            }
        ],
    }
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIAMPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    full_access = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    deny_leaving = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}],
    }
    rcp_full_access = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
    rcp_full = {"id": "p-RCPFullAWSAccess", "name": "RCPFullAWSAccess", "content": rcp_full_access}
    organization_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrganizationOnly",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["secretsmanager:*", "kms:*"],
                "Resource": "*",
                "Condition": {
                    "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORGANIZATION},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            }
        ],
    }
    perimeter = {"id": "p-perimeter1", "name": "DataPerimeter", "content": organization_only}
    return {
        "roles": [Role.model_validate(r) for r in roles],
        "managed_policies": [
            ManagedPolicy.model_validate(
                {
                    "Arn": ECS_EXECUTION_POLICY_ARN,
                    "PolicyName": "AmazonECSTaskExecutionRolePolicy",
                    "DefaultVersionId": "v1",
                    "Document": execution_policy,
                }
            )
        ],
        "secrets": [
            SecretMetadata.model_validate(
                {
                    "ARN": _arn("secretsmanager", "secret:prod/payments/db-AbCdEf"),
                    "Name": "prod/payments/db",
                    "KmsKeyId": PAYMENTS_KEY,
                    "KmsKeyArn": PAYMENTS_KEY,
                }
            ),
            SecretMetadata.model_validate(
                {"ARN": _arn("secretsmanager", "secret:prod/orders/db-Q1w2E3"), "Name": "prod/orders/db"}
            ),
        ],
        "ssm_parameters": [
            SsmParameter.model_validate(
                {
                    "ARN": _arn("ssm", "parameter/prod/payments/stripe-key"),
                    "Name": "/prod/payments/stripe-key",
                    "Type": "SecureString",
                    "KeyId": "alias/aws/ssm",
                }
            )
        ],
        "kms_keys": [
            KmsKey.model_validate(
                {
                    "Arn": PAYMENTS_KEY,
                    "KeyId": PAYMENTS_KEY.rsplit("/", 1)[1],
                    "KeyManager": "CUSTOMER",
                    "KeyState": "Enabled",
                    "KeyPolicy": key_policy,
                }
            )
        ],
        "service_control_policies": ServiceControlPolicies.model_validate(
            {
                "status": "collected",
                "organization_id": ORGANIZATION,
                "management_account_id": "999988887777",
                "levels": [
                    {
                        "target_id": "r-a1b2",
                        "target_type": "ROOT",
                        "policies": [{"id": "p-FullAWSAccess", "name": "FullAWSAccess", "content": full_access}],
                    },
                    {
                        "target_id": "ou-a1b2-workloads",
                        "target_type": "ORGANIZATIONAL_UNIT",
                        "policies": [
                            {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "content": full_access},
                            {"id": "p-denyleave1", "name": "DenyLeavingTheOrganization", "content": deny_leaving},
                        ],
                    },
                    {
                        "target_id": ACCOUNT,
                        "target_type": "ACCOUNT",
                        "policies": [{"id": "p-FullAWSAccess", "name": "FullAWSAccess", "content": full_access}],
                    },
                ],
                # A data perimeter on the root: secrets and keys only for the organization's principals.
                "rcp_status": "collected",
                "rcp_levels": [
                    {"target_id": "r-a1b2", "target_type": "ROOT", "policies": [rcp_full, perimeter]},
                    {"target_id": "ou-a1b2-workloads", "target_type": "ORGANIZATIONAL_UNIT", "policies": [rcp_full]},
                    {"target_id": ACCOUNT, "target_type": "ACCOUNT", "policies": [rcp_full]},
                ],
            }
        ),
    }
