"""A small inventory builder for rule and engine tests: resources in boto3's response shapes -> Inventory.

    s = Scenario.compliant()          # one fully compliant Fargate service, 2 AZs, every endpoint it needs
    s.get("vpc_endpoints", ENDPOINT["logs"])["PrivateDnsEnabled"] = False   # ... then break one thing
    inventory = s.build()

Every id is fixed and readable (`subnet-a`, `sg-tasks`, `vpce-logs`), so tests assert exact commands.
Run `python tests/builders.py` to rewrite the canonical inventories in tests/fixtures/inventory/.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python tests/builders.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scanner.inventory.images import parse_image
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory
from scanner.results import CollectionErrorRecord

Json = dict[str, Any]

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
IMAGE = f"{ECR}/app:1.0"

VPC = "vpc-app"
VPC_CIDR = "10.0.0.0/16"
SUBNET_A, SUBNET_B, SUBNET_C = "subnet-a", "subnet-b", "subnet-c"
CIDR = {SUBNET_A: "10.0.1.0/24", SUBNET_B: "10.0.2.0/24", SUBNET_C: "10.0.3.0/24"}
AZ = {SUBNET_A: f"{REGION}a", SUBNET_B: f"{REGION}b", SUBNET_C: f"{REGION}c"}
PRIVATE_RTB = "rtb-private"
MAIN_RTB = "rtb-main"
DEFAULT_ACL = "acl-default"
TASK_SG = "sg-tasks"
ENDPOINT_SG = "sg-endpoints"
S3_PREFIX_LIST = "pl-s3"
S3_CIDRS = ("52.218.0.0/17", "3.5.64.0/21")

CLUSTER = "prod"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
SERVICE = "api"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"
FAMILY = "api"
REVISION = 3
TASK_DEFINITION_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{FAMILY}:{REVISION}"
EXECUTION_ROLE_NAME = f"{FAMILY}-execution"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{EXECUTION_ROLE_NAME}"
ECS_EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
ECS_TASKS_TRUST: Json = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}

# What the compliant service needs: its ECR image (ecr.api, ecr.dkr, s3), awslogs (logs), baseline (sts).
NEEDED = ("ecr.api", "ecr.dkr", "logs", "s3", "sts")
INTERFACE_NEEDED = ("ecr.api", "ecr.dkr", "logs", "sts")
ALL_SERVICES = ("ecr.api", "ecr.dkr", "logs", "s3", "secretsmanager", "ssm", "ssmmessages", "sts")
ENDPOINT = {service: f"vpce-{service.replace('.', '-')}" for service in ALL_SERVICES}

ALLOW_ALL_ACL_ENTRIES: tuple[Json, ...] = tuple(
    {"RuleNumber": number, "Protocol": "-1", "RuleAction": action, "Egress": egress, "CidrBlock": "0.0.0.0/0"}
    for number, action in ((100, "allow"), (32767, "deny"))
    for egress in (True, False)
)
COLLECTED_AT = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)

_ID_KEYS = {
    "vpcs": "VpcId",
    "subnets": "SubnetId",
    "route_tables": "RouteTableId",
    "nat_gateways": "NatGatewayId",
    "internet_gateways": "InternetGatewayId",
    "egress_only_internet_gateways": "EgressOnlyInternetGatewayId",
    "vpc_endpoints": "VpcEndpointId",
    "security_groups": "GroupId",
    "network_acls": "NetworkAclId",
    "prefix_lists": "PrefixListId",
    "clusters": "clusterName",
    "services": "serviceName",
    "task_definitions": "family",
    "tasks": "taskArn",
    "network_interfaces": "NetworkInterfaceId",
}


def service_name(service: str, region: str = REGION) -> str:
    return f"com.amazonaws.{region}.{service}"


def https(*, groups: Sequence[str] = (), cidrs: Sequence[str] = (), prefix_lists: Sequence[str] = ()) -> Json:
    """A tcp/443 permission (ingress or egress) in boto3's IpPermissions shape."""
    return permission("tcp", 443, 443, groups=groups, cidrs=cidrs, prefix_lists=prefix_lists)


def permission(
    protocol: str,
    from_port: int | None = None,
    to_port: int | None = None,
    *,
    groups: Sequence[str] = (),
    cidrs: Sequence[str] = (),
    prefix_lists: Sequence[str] = (),
) -> Json:
    item: Json = {"IpProtocol": protocol}
    if from_port is not None:
        item["FromPort"] = from_port
        item["ToPort"] = to_port if to_port is not None else from_port
    if cidrs:
        item["IpRanges"] = [{"CidrIp": c} for c in cidrs]
    if groups:
        item["UserIdGroupPairs"] = [{"GroupId": g, "UserId": ACCOUNT} for g in groups]
    if prefix_lists:
        item["PrefixListIds"] = [{"PrefixListId": p} for p in prefix_lists]
    return item


def acl_entry(
    number: int,
    action: str,
    *,
    egress: bool,
    cidr: str = "0.0.0.0/0",
    protocol: str = "6",
    ports: tuple[int, int] | None = None,
) -> Json:
    """One NetworkAcl entry; protocol "6" is tcp, "-1" all traffic."""
    entry: Json = {
        "RuleNumber": number,
        "Protocol": protocol,
        "RuleAction": action,
        "Egress": egress,
        "CidrBlock": cidr,
    }
    if ports is not None:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def container(
    name: str = "app",
    image: str = IMAGE,
    *,
    secrets: Iterable[tuple[str, str]] = (),
    logs: bool = True,
) -> Json:
    """A container definition; `secrets` are (name, valueFrom) pairs."""
    item: Json = {"name": name, "image": image, "secrets": [{"name": n, "valueFrom": v} for n, v in secrets]}
    if logs:
        item["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": f"/ecs/{name}", "awslogs-region": REGION, "awslogs-stream-prefix": name},
        }
    return item


class Scenario:
    """Accumulates one account and region of resources in boto3's shapes; `build()` validates them."""

    def __init__(self, account: str = ACCOUNT, region: str = REGION) -> None:
        self.account = account
        self.region = region
        self.data: dict[str, list[Json]] = {}
        self.errors: list[CollectionErrorRecord] = []
        # AccountInventory fields beyond regions and errors (roles, secrets, SCPs, ...), by field name.
        self.account_data: dict[str, Any] = {}

    # ---- generic access -------------------------------------------------------------------------------

    def add(self, kind: str, item: Json) -> Json:
        self.data.setdefault(kind, []).append(item)
        return item

    def get(self, kind: str, item_id: str) -> Json:
        """The stored dict of one resource (mutate it to break the scenario)."""
        key = _ID_KEYS[kind]
        for item in self.data.get(kind, []):
            if item.get(key) == item_id:
                return item
        raise KeyError(f"no {kind} with {key}={item_id}")

    def remove(self, kind: str, item_id: str) -> None:
        key = _ID_KEYS[kind]
        before = len(self.data.get(kind, []))
        self.data[kind] = [i for i in self.data.get(kind, []) if i.get(key) != item_id]
        if len(self.data[kind]) == before:
            raise KeyError(f"no {kind} with {key}={item_id}")

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    # ---- network ----------------------------------------------------------------------------------------

    def vpc(
        self,
        vpc_id: str = VPC,
        cidr: str = VPC_CIDR,
        *,
        dns_support: bool | None = True,
        dns_hostnames: bool | None = True,
        main_route_table: str = MAIN_RTB,
        default_acl: str = DEFAULT_ACL,
    ) -> Json:
        """A VPC with its main route table (local route only) and its default, allow-all network ACL."""
        vpc: Json = {"VpcId": vpc_id, "CidrBlock": cidr, "OwnerId": self.account, "IsDefault": False}
        if dns_support is not None:
            vpc["EnableDnsSupport"] = dns_support
        if dns_hostnames is not None:
            vpc["EnableDnsHostnames"] = dns_hostnames
        self.add("vpcs", vpc)
        self.add(
            "route_tables",
            {
                "RouteTableId": main_route_table,
                "VpcId": vpc_id,
                "Routes": [{"DestinationCidrBlock": cidr, "GatewayId": "local", "State": "active"}],
                "Associations": [{"Main": True, "RouteTableAssociationId": f"rtbassoc-{main_route_table}"}],
            },
        )
        self.add(
            "network_acls",
            {
                "NetworkAclId": default_acl,
                "VpcId": vpc_id,
                "IsDefault": True,
                "Associations": [],
                "Entries": copy.deepcopy(list(ALLOW_ALL_ACL_ENTRIES)),
            },
        )
        return vpc

    def subnet(self, subnet_id: str, cidr: str | None = None, az: str | None = None, *, vpc_id: str = VPC) -> Json:
        """A subnet (cidr and AZ default from CIDR/AZ for subnet-a/b/c), associated with the default ACL."""
        subnet = {
            "SubnetId": subnet_id,
            "VpcId": vpc_id,
            "CidrBlock": cidr or CIDR[subnet_id],
            "AvailabilityZone": az or AZ[subnet_id],
            "MapPublicIpOnLaunch": False,
            "SubnetArn": self.arn("ec2", f"subnet/{subnet_id}"),
        }
        self.add("subnets", subnet)
        acl = next(a for a in self.data["network_acls"] if a["VpcId"] == vpc_id and a["IsDefault"])
        acl["Associations"].append(
            {
                "SubnetId": subnet_id,
                "NetworkAclId": acl["NetworkAclId"],
                "NetworkAclAssociationId": f"aclassoc-{subnet_id}",
            }
        )
        return subnet

    def route_table(
        self, table_id: str, subnets: Sequence[str], routes: Sequence[Json] = (), *, vpc_id: str = VPC
    ) -> Json:
        """A route table explicitly associated with `subnets`: the local route plus `routes`."""
        vpc_cidr = self.get("vpcs", vpc_id)["CidrBlock"]
        table = {
            "RouteTableId": table_id,
            "VpcId": vpc_id,
            "Routes": [{"DestinationCidrBlock": vpc_cidr, "GatewayId": "local", "State": "active"}, *routes],
            "Associations": [
                {
                    "Main": False,
                    "SubnetId": s,
                    "RouteTableAssociationId": f"rtbassoc-{s}",
                    "AssociationState": {"State": "associated"},
                }
                for s in subnets
            ],
        }
        return self.add("route_tables", table)

    def route(self, table_id: str, destination: str, **target: str) -> Json:
        """Add a route: `s.route("rtb-private", "0.0.0.0/0", NatGatewayId="nat-1")`."""
        key = "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"
        route = {key: destination, "State": "active", **target}
        self.get("route_tables", table_id)["Routes"].append(route)
        return route

    def group(
        self,
        group_id: str,
        *,
        ingress: Sequence[Json] = (),
        egress: Sequence[Json] = (),
        vpc_id: str = VPC,
    ) -> Json:
        return self.add(
            "security_groups",
            {
                "GroupId": group_id,
                "GroupName": group_id.removeprefix("sg-"),
                "Description": group_id,
                "VpcId": vpc_id,
                "OwnerId": self.account,
                "IpPermissions": list(ingress),
                "IpPermissionsEgress": list(egress),
            },
        )

    def endpoint(
        self,
        service: str,
        *,
        endpoint_id: str | None = None,
        endpoint_type: str | None = None,
        subnets: Sequence[str] = (SUBNET_A, SUBNET_B),
        groups: Sequence[str] = (ENDPOINT_SG,),
        route_tables: Sequence[str] = (PRIVATE_RTB,),
        private_dns: bool | None = True,
        state: str = "available",
        vpc_id: str = VPC,
    ) -> Json:
        """An endpoint for `service`. S3 defaults to a Gateway on `route_tables` (adding its prefix-list
        route to them); every other service to an Interface in `subnets` with `groups`."""
        kind = endpoint_type or ("Gateway" if service == "s3" else "Interface")
        gateway = kind == "Gateway"
        item: Json = {
            "VpcEndpointId": endpoint_id or ENDPOINT[service],
            "VpcEndpointType": kind,
            "VpcId": vpc_id,
            "ServiceName": service_name(service, self.region),
            "State": state,
            "OwnerId": self.account,
            "SubnetIds": [] if gateway else list(subnets),
            "RouteTableIds": list(route_tables) if gateway else [],
            "Groups": [] if gateway else [{"GroupId": g, "GroupName": g} for g in groups],
            "NetworkInterfaceIds": [] if gateway else [f"eni-{service.replace('.', '-')}-{s}" for s in subnets],
            "PolicyDocument": '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
            '"Action":"*","Resource":"*"}]}',
        }
        if private_dns is not None:
            item["PrivateDnsEnabled"] = False if gateway else private_dns
        if gateway:
            for table_id in route_tables:
                self.get("route_tables", table_id)["Routes"].append(
                    {"DestinationPrefixListId": S3_PREFIX_LIST, "GatewayId": item["VpcEndpointId"], "State": "active"}
                )
        return self.add("vpc_endpoints", item)

    def nacl(self, acl_id: str, subnets: Sequence[str], entries: Sequence[Json], *, vpc_id: str = VPC) -> Json:
        """A custom network ACL; `subnets` move to it from whatever ACL they were associated with."""
        for acl in self.data.get("network_acls", []):
            acl["Associations"] = [a for a in acl["Associations"] if a["SubnetId"] not in subnets]
        return self.add(
            "network_acls",
            {
                "NetworkAclId": acl_id,
                "VpcId": vpc_id,
                "IsDefault": False,
                "Entries": list(entries),
                "Associations": [
                    {"SubnetId": s, "NetworkAclId": acl_id, "NetworkAclAssociationId": f"aclassoc-{s}"} for s in subnets
                ],
            },
        )

    def prefix_list(
        self, prefix_list_id: str = S3_PREFIX_LIST, name: str | None = None, cidrs: Sequence[str] = S3_CIDRS
    ) -> Json:
        return self.add(
            "prefix_lists",
            {
                "PrefixListId": prefix_list_id,
                "PrefixListName": name or service_name("s3", self.region),
                "Cidrs": list(cidrs),
            },
        )

    # ---- ECS --------------------------------------------------------------------------------------------

    def cluster(self, name: str = CLUSTER, *, default_strategy: Sequence[str] = ()) -> Json:
        return self.add(
            "clusters",
            {
                "clusterArn": self.arn("ecs", f"cluster/{name}"),
                "clusterName": name,
                "status": "ACTIVE",
                "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
                "defaultCapacityProviderStrategy": [{"capacityProvider": p, "weight": 1} for p in default_strategy],
            },
        )

    def task_definition(
        self,
        family: str = FAMILY,
        containers: Sequence[Json] | None = None,
        *,
        revision: int = REVISION,
        execution_role: str | None = EXECUTION_ROLE,
    ) -> Json:
        item: Json = {
            "taskDefinitionArn": self.arn("ecs", f"task-definition/{family}:{revision}"),
            "family": family,
            "revision": revision,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": list(containers) if containers is not None else [container()],
        }
        if execution_role is not None:
            item["executionRoleArn"] = execution_role
        return self.add("task_definitions", item)

    def service(
        self,
        name: str = SERVICE,
        *,
        family: str = FAMILY,
        revision: int = REVISION,
        subnets: Sequence[str] = (SUBNET_A, SUBNET_B),
        groups: Sequence[str] = (TASK_SG,),
        public_ip: bool = False,
        exec_enabled: bool = False,
        launch_type: str | None = "FARGATE",
        strategy: Sequence[str] = (),
        status: str = "ACTIVE",
        cluster: str = CLUSTER,
    ) -> Json:
        """An ECS service; `strategy` (capacity provider names) applies when `launch_type` is None."""
        item: Json = {
            "serviceArn": self.arn("ecs", f"service/{cluster}/{name}"),
            "serviceName": name,
            "clusterArn": self.arn("ecs", f"cluster/{cluster}"),
            "status": status,
            "taskDefinition": self.arn("ecs", f"task-definition/{family}:{revision}"),
            "platformVersion": "1.4.0",
            "enableExecuteCommand": exec_enabled,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": list(subnets),
                    "securityGroups": list(groups),
                    "assignPublicIp": "ENABLED" if public_ip else "DISABLED",
                }
            },
        }
        if launch_type is not None:
            item["launchType"] = launch_type
        if strategy:
            item["capacityProviderStrategy"] = [{"capacityProvider": p, "weight": 1} for p in strategy]
        return self.add("services", item)

    def task(
        self,
        task_id: str,
        *,
        family: str = FAMILY,
        revision: int = REVISION,
        subnet: str = SUBNET_A,
        groups: Sequence[str] = (TASK_SG,),
        eni_id: str | None = None,
        group: str | None = None,
        launch_type: str | None = "FARGATE",
        cluster: str = CLUSTER,
        exec_enabled: bool = False,
        with_eni: bool = True,
    ) -> Json:
        """A running task with its ENI attachment (and the ENI itself unless `with_eni=False`)."""
        eni = eni_id or f"eni-{task_id}"
        item: Json = {
            "taskArn": self.arn("ecs", f"task/{cluster}/{task_id}"),
            "clusterArn": self.arn("ecs", f"cluster/{cluster}"),
            "taskDefinitionArn": self.arn("ecs", f"task-definition/{family}:{revision}"),
            "group": group or f"family:{family}",
            "lastStatus": "RUNNING",
            "enableExecuteCommand": exec_enabled,
            "attachments": [
                {
                    "type": "ElasticNetworkInterface",
                    "details": [{"name": "subnetId", "value": subnet}, {"name": "networkInterfaceId", "value": eni}],
                }
            ],
        }
        if launch_type is not None:
            item["launchType"] = launch_type
        self.add("tasks", item)
        if with_eni:
            self.add(
                "network_interfaces",
                {
                    "NetworkInterfaceId": eni,
                    "SubnetId": subnet,
                    "VpcId": VPC,
                    "Groups": [{"GroupId": g} for g in groups],
                },
            )
        return item

    # ---- IAM and what the execution role reads (account level) ------------------------------------------

    def add_account(self, field_name: str, item: Any) -> Any:
        self.account_data.setdefault(field_name, []).append(item)
        return item

    def role(
        self,
        name: str = EXECUTION_ROLE_NAME,
        *,
        inline: dict[str, Json] | None = None,
        attached: Sequence[str] = (),
        boundary: str | None = None,
        tags: dict[str, str] | None = None,
        path: str = "/",
    ) -> Json:
        """An IAM role as GetRole returns it, with its inline policy documents and attached policy ARNs."""
        item: Json = {
            "RoleName": name,
            "Arn": f"arn:aws:iam::{self.account}:role{path}{name}",
            "Path": path,
            "AssumeRolePolicyDocument": copy.deepcopy(ECS_TASKS_TRUST),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            "InlinePolicies": [{"PolicyName": n, "PolicyDocument": d} for n, d in (inline or {}).items()],
            "AttachedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in attached],
        }
        if boundary is not None:
            item["PermissionsBoundary"] = {"PermissionsBoundaryArn": boundary, "PermissionsBoundaryType": "Policy"}
        return self.add_account("roles", item)

    def get_role(self, name: str = EXECUTION_ROLE_NAME) -> Json:
        return next(r for r in self.account_data.get("roles", []) if r["RoleName"] == name)

    def managed_policy(self, arn: str, document: Json | None, version: str = "v1") -> Json:
        """A managed policy with its default version's document (None: GetPolicyVersion failed)."""
        item = {"Arn": arn, "PolicyName": arn.rsplit("/", 1)[-1], "DefaultVersionId": version, "Document": document}
        return self.add_account("managed_policies", item)

    def secret(
        self,
        name: str,
        *,
        suffix: str = "AbCdEf",
        kms_key_id: str | None = None,
        kms_key_arn: str | None = None,
        policy: Json | str | None = None,
        tags: dict[str, str] | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> str:
        """A described secret (DescribeSecret + GetResourcePolicy); returns its full ARN."""
        arn = f"arn:aws:secretsmanager:{region or self.region}:{account or self.account}:secret:{name}-{suffix}"
        item: Json = {"ARN": arn, "Name": name, "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
        if kms_key_id is not None:
            item["KmsKeyId"] = kms_key_id
            item["KmsKeyArn"] = kms_key_arn
        if policy is not None:
            item["ResourcePolicy"] = policy
        self.add_account("secrets", item)
        return arn

    def kms_key(
        self,
        key_id: str,
        *,
        policy: Json | str | None,
        manager: str = "CUSTOMER",
        account: str | None = None,
        region: str | None = None,
        state: str = "Enabled",
    ) -> str:
        """A described KMS key with its `default` key policy; returns its ARN."""
        arn = f"arn:aws:kms:{region or self.region}:{account or self.account}:key/{key_id}"
        self.add_account(
            "kms_keys",
            {"Arn": arn, "KeyId": key_id, "KeyManager": manager, "KeyState": state, "KeyPolicy": policy},
        )
        return arn

    def parameter(
        self, name: str, *, type_: str = "String", key_id: str | None = None, kms_key_arn: str | None = None
    ) -> str:
        """A described SSM parameter; returns its ARN."""
        arn = f"arn:aws:ssm:{self.region}:{self.account}:parameter/{name.lstrip('/')}"
        item: Json = {"ARN": arn, "Name": name, "Type": type_}
        if key_id is not None:
            item["KeyId"] = key_id
            item["KmsKeyArn"] = kms_key_arn
        self.add_account("ssm_parameters", item)
        return arn

    def repository_policy(self, repository_arn: str, policy: Json | str | None, *, exists: bool = True) -> None:
        self.add_account("repository_policies", {"repository_arn": repository_arn, "policy": policy, "exists": exists})

    def bucket_policy(self, bucket_arn: str, policy: Json | None, *, owned: bool = True) -> None:
        self.add_account("bucket_policies", {"bucket_arn": bucket_arn, "owned": owned, "policy": policy})

    def pull_through_cache_rule(self, prefix: str, upstream: str = "registry-1.docker.io") -> None:
        rule = {"region": self.region, "ecr_repository_prefix": prefix, "upstream_registry_url": upstream}
        self.add_account("pull_through_cache_rules", rule)

    def missing(self, field_name: str, reference: str) -> None:
        """`missing_roles`, `missing_secrets` or `missing_parameters`: looked up, and not there."""
        self.add_account(field_name, reference)

    def scps(
        self,
        *levels: Sequence[Json],
        status: str = "collected",
        reason: str = "",
        rcps: Sequence[Sequence[Json]] = (),
        rcp_status: str = "not_enabled",
        rcp_reason: str = "",
    ) -> None:
        """The SCP levels from the root down to the account, each a list of policy documents; likewise the
        RCP levels (`rcps`, with `rcp_status="collected"`)."""

        def described(kind: str, found: Sequence[Sequence[Json]]) -> list[Json]:
            types = ["ROOT", *["ORGANIZATIONAL_UNIT"] * max(len(found) - 2, 0), "ACCOUNT"][: len(found)]
            return [
                {
                    "target_id": f"level-{index}",
                    "target_type": target_type,
                    "policies": [
                        {"id": f"p-{kind}{index}{n}", "name": f"{kind}-{index}-{n}", "content": json.dumps(document)}
                        for n, document in enumerate(policies)
                    ],
                }
                for index, (target_type, policies) in enumerate(zip(types, found, strict=True))
            ]

        self.account_data["service_control_policies"] = {
            "status": status,
            "organization_id": "o-exampleorgid",
            "management_account_id": "999988887777",
            "reason": reason,
            "levels": described("scp", levels),
            "rcp_status": rcp_status,
            "rcp_levels": described("rcp", rcps),
            "rcp_reason": rcp_reason,
        }

    # ---- collection errors ------------------------------------------------------------------------------

    def error(
        self,
        service: str,
        operation: str,
        code: str = "AccessDenied",
        *,
        resource_id: str | None = None,
        region: str | None = None,
    ) -> CollectionErrorRecord:
        record = CollectionErrorRecord(
            account=self.account,
            region=region or self.region,
            service=service,
            operation=operation,
            error_code=code,
            message=f"User is not authorized to perform: {service}:{operation}",
            resource_id=resource_id,
        )
        self.errors.append(record)
        return record

    # ---- the result -------------------------------------------------------------------------------------

    def region_inventory(self) -> RegionInventory:
        return RegionInventory.model_validate({"region": self.region, **copy.deepcopy(self.data)})

    def build(self, *more: Scenario) -> Inventory:
        """The inventory of this scenario's account; `more` adds other regions of the same account."""
        scenarios = (self, *more)
        assert all(m.account == self.account for m in more), "one account per inventory"
        account_data: dict[str, Any] = {}
        for m in scenarios:
            for name, value in m.account_data.items():
                if isinstance(value, list):
                    account_data.setdefault(name, []).extend(copy.deepcopy(value))
                else:
                    account_data.setdefault(name, copy.deepcopy(value))
        # The collector reads the policy of every own-account repository an image comes from: unless a
        # scenario says otherwise (a policy, a collection error), each of them has none.
        recorded = {p["repository_arn"] for p in account_data.get("repository_policies", [])}
        failed = {e.resource_id for m in scenarios for e in m.errors}
        for m in scenarios:
            for definition in m.data.get("task_definitions", []):
                for item in definition.get("containerDefinitions", []):
                    # Buckets of environment files: the account's own, without a policy, unless said otherwise.
                    for environment_file in item.get("environmentFiles", []):
                        bucket = "arn:aws:s3:::" + environment_file["value"].split(":::", 1)[-1].split("/", 1)[0]
                        buckets = account_data.setdefault("bucket_policies", [])
                        if bucket not in {b["bucket_arn"] for b in buckets} | failed:
                            buckets.append({"bucket_arn": bucket, "owned": True})
                    image = parse_image(item.get("image", ""), m.region)
                    arn = image.repository_arn
                    if arn and image.account == self.account and arn not in recorded | failed:
                        recorded.add(arn)
                        account_data.setdefault("repository_policies", []).append({"repository_arn": arn})
                    # ... and the pull-through cache rules of the region (none, unless a scenario adds some).
                    read = account_data.setdefault("pull_through_cache_regions", [])
                    rules_failed = any(e.operation == "DescribePullThroughCacheRules" for e in m.errors)
                    if arn and image.account == self.account and m.region not in read and not rules_failed:
                        read.append(m.region)
        return Inventory(
            source="fixture",
            collected_at=COLLECTED_AT,
            accounts=[
                AccountInventory.model_validate(
                    {
                        "account_id": self.account,
                        "regions": [m.region_inventory() for m in scenarios],
                        "errors": [e for m in scenarios for e in m.errors],
                        **account_data,
                    }
                )
            ],
        )

    # ---- the compliant baseline -------------------------------------------------------------------------

    @classmethod
    def compliant(
        cls,
        *,
        endpoints: Sequence[str] = NEEDED,
        containers: Sequence[Json] | None = None,
        exec_enabled: bool = False,
    ) -> Scenario:
        """One compliant Fargate service `api` in `prod`: subnets a and b (two AZs) on rtb-private; the S3
        gateway on it; Interface endpoints in both subnets behind sg-endpoints, which admits tcp/443 from
        sg-tasks only; sg-tasks allows tcp/443 out to sg-endpoints and the S3 prefix list; the default
        allow-all network ACL; no route to the internet."""
        s = cls()
        s.vpc()
        s.subnet(SUBNET_A)
        s.subnet(SUBNET_B)
        s.route_table(PRIVATE_RTB, [SUBNET_A, SUBNET_B])
        s.prefix_list()
        s.group(TASK_SG, egress=[https(groups=[ENDPOINT_SG], prefix_lists=[S3_PREFIX_LIST])])
        s.group(ENDPOINT_SG, ingress=[https(groups=[TASK_SG])], egress=[permission("-1", cidrs=["0.0.0.0/0"])])
        for service in endpoints:
            s.endpoint(service)
        s.cluster()
        s.task_definition(containers=containers)
        s.service(exec_enabled=exec_enabled)
        return s


# ---- canonical serialised inventories (tests/fixtures/inventory/) -------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "inventory"


def broken_network() -> Inventory:
    """The compliant service with the usual network mistakes: a NAT default route, no logs endpoint,
    ecr.dkr without private DNS, an endpoint group open to the VPC CIDR, the S3 gateway missing from one of
    two route tables, a network ACL dropping the return traffic, a Docker Hub sidecar, and a public IP."""
    s = Scenario.compliant(containers=[container(), container("proxy", "nginx:1.27", logs=False)])
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    s.get("vpc_endpoints", ENDPOINT["ecr.dkr"])["PrivateDnsEnabled"] = False
    s.get("security_groups", ENDPOINT_SG)["IpPermissions"].append(permission("tcp", 0, 65535, cidrs=[VPC_CIDR]))
    # subnet-b moves to its own table, which the S3 gateway is not on and which routes to a NAT gateway.
    s.get("route_tables", PRIVATE_RTB)["Associations"] = [
        a for a in s.get("route_tables", PRIVATE_RTB)["Associations"] if a["SubnetId"] != SUBNET_B
    ]
    s.route_table(
        "rtb-private-b",
        [SUBNET_B],
        [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-public-a", "State": "active"}],
    )
    s.add("nat_gateways", {"NatGatewayId": "nat-public-a", "VpcId": VPC, "SubnetId": SUBNET_A, "State": "available"})
    s.nacl(
        "acl-strict",
        [SUBNET_A],
        [
            acl_entry(100, "allow", egress=True, ports=(443, 443)),
            acl_entry(100, "allow", egress=False, cidr=VPC_CIDR, ports=(443, 443)),
            acl_entry(32767, "deny", egress=True, protocol="-1"),
            acl_entry(32767, "deny", egress=False, protocol="-1"),
        ],
    )
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED"
    return with_execution_role(s).build()


def incomplete() -> Inventory:
    """The compliant service, collected with gaps: the VPC's DNS attributes could not be read (AccessDenied),
    the S3 prefix-list entries were throttled, and in us-east-1 the ECS clusters could not be listed."""
    s = with_execution_role(Scenario.compliant())
    vpc = s.get("vpcs", VPC)
    del vpc["EnableDnsSupport"], vpc["EnableDnsHostnames"]
    s.error("ec2", "DescribeVpcAttribute", resource_id=VPC)
    s.get("prefix_lists", S3_PREFIX_LIST)["Cidrs"] = []
    s.error("ec2", "GetManagedPrefixListEntries", "RequestLimitExceeded", resource_id=S3_PREFIX_LIST)
    us_east = Scenario(region="us-east-1")
    us_east.error("ecs", "ListClusters")
    return s.build(us_east)


def with_execution_role(s: Scenario) -> Scenario:
    """The execution role with the AWS managed execution policy, in an account outside any organization."""
    s.role(attached=[ECS_EXECUTION_POLICY])
    s.account_data["service_control_policies"] = {"status": "not_in_organization"}
    return s


def canonical_inventories() -> dict[str, Inventory]:
    return {
        "compliant": with_execution_role(Scenario.compliant()).build(),
        "broken-network": broken_network(),
        "incomplete": incomplete(),
    }


def write_fixtures(directory: Path = FIXTURES) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, inventory in canonical_inventories().items():
        path = directory / f"{name}.json"
        path.write_text(inventory.dump_json() + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_fixtures():
        print(written_path)
