"""Paths moto cannot exercise (it ignores pagination), with botocore Stubber: every response is validated
against the service model, and every request's parameters (page size, token, batch) are checked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scanner.collect.calls import CLIENT_CONFIG, CallContext
from scanner.collect.session import collect_region
from scanner.inventory.root import RegionInventory

REGION = "eu-west-1"
ACCOUNT = "111122223333"
VPC = "vpc-0a"
SUBNETS = ["subnet-0a", "subnet-0b"]
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/prod"
OTHER_CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/batch"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/api"
PREFIX_LIST = "pl-6da54004"

# (method, result key, the MaxResults the collector must ask for: the API's largest)
NETWORK_LISTINGS = [
    ("describe_vpcs", "Vpcs", 1000),
    ("describe_subnets", "Subnets", 1000),
    ("describe_route_tables", "RouteTables", 100),
    ("describe_nat_gateways", "NatGateways", 1000),
    ("describe_internet_gateways", "InternetGateways", 1000),
    ("describe_egress_only_internet_gateways", "EgressOnlyInternetGateways", 255),
    ("describe_vpc_endpoints", "VpcEndpoints", 1000),
    ("describe_security_groups", "SecurityGroups", 1000),
    ("describe_network_acls", "NetworkAcls", 1000),
]
# A page is its items, or the error code that page fails with.
Pages = list[list[dict[str, Any]] | str]


def base_network() -> dict[str, Pages]:
    return {
        "describe_vpcs": [[{"VpcId": VPC, "CidrBlock": "10.0.0.0/16", "IsDefault": False}]],
        "describe_subnets": [
            [
                {
                    "SubnetId": s,
                    "VpcId": VPC,
                    "CidrBlock": f"10.0.{n}.0/24",
                    "AvailabilityZone": f"{REGION}{z}",
                }
                for n, (s, z) in enumerate(zip(SUBNETS, "ab", strict=True), 1)
            ]
        ],
        "describe_security_groups": [[{"GroupId": "sg-task", "VpcId": VPC, "GroupName": "task"}]],
    }


def endpoint(n: int) -> dict[str, Any]:
    return {
        "VpcEndpointId": f"vpce-{n:04d}",
        "VpcEndpointType": "Interface",
        "VpcId": VPC,
        "ServiceName": f"com.amazonaws.{REGION}.svc{n}",
        "State": "available",
        "PrivateDnsEnabled": True,
        "SubnetIds": SUBNETS,
        "Groups": [{"GroupId": "sg-endpoints", "GroupName": "endpoints"}],
    }


def service(n: int, cluster: str = CLUSTER, task_definition: str = f"{TD}:1") -> dict[str, Any]:
    return {
        "serviceArn": f"{cluster.replace(':cluster/', ':service/')}/svc-{n}",
        "serviceName": f"svc-{n}",
        "clusterArn": cluster,
        "status": "ACTIVE",
        "taskDefinition": task_definition,
        "launchType": "FARGATE",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": SUBNETS,
                "securityGroups": ["sg-task"],
                "assignPublicIp": "DISABLED",
            }
        },
    }


def task(n: int) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/t{n}",
        "clusterArn": CLUSTER,
        "taskDefinitionArn": f"{TD}:9",
        "group": "family:api",
        "launchType": "FARGATE",
        "lastStatus": "RUNNING",
        "attachments": [
            {
                "type": "ElasticNetworkInterface",
                "details": [
                    {"name": "subnetId", "value": SUBNETS[0]},
                    {"name": "networkInterfaceId", "value": f"eni-{n:04d}"},
                ],
            }
        ],
    }


@dataclass
class Stubbed:
    ec2: Any
    ecs: Any
    ec2_stub: Stubber
    ecs_stub: Stubber

    def run(self) -> tuple[RegionInventory, CallContext]:
        ctx = CallContext(ACCOUNT, REGION)
        with self.ec2_stub, self.ecs_stub:
            inventory = collect_region(ctx, self.ec2, self.ecs)
            self.ec2_stub.assert_no_pending_responses()
            self.ecs_stub.assert_no_pending_responses()
        return inventory, ctx

    def network(self, pages: dict[str, Pages] | None = None) -> None:
        """The EC2 listings in collector order, with `pages` per method (default: one empty page)."""
        pages = {**base_network(), **(pages or {})}
        for method, key, size in NETWORK_LISTINGS:
            self.paged(self.ec2_stub, method, key, pages.get(method, [[]]), {"MaxResults": size}, "NextToken")
        self.ec2_stub.add_response(
            "describe_managed_prefix_lists",
            {
                "PrefixLists": [
                    {
                        "PrefixListId": PREFIX_LIST,
                        "PrefixListName": f"com.amazonaws.{REGION}.s3",
                        "AddressFamily": "IPv4",
                    }
                ]
            },
            {
                "Filters": [{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{REGION}.s3"]}],
                "MaxResults": 100,
            },
        )
        self.ec2_stub.add_response(
            "get_managed_prefix_list_entries",
            {"Entries": [{"Cidr": "52.218.0.0/17"}, {"Cidr": "3.5.64.0/21"}]},
            {"PrefixListId": PREFIX_LIST, "MaxResults": 100},
        )

    def dns_attributes(self, vpc_id: str = VPC) -> None:
        self.ec2_stub.add_response(
            "describe_vpc_attribute",
            {"VpcId": vpc_id, "EnableDnsSupport": {"Value": True}},
            {"VpcId": vpc_id, "Attribute": "enableDnsSupport"},
        )
        self.ec2_stub.add_response(
            "describe_vpc_attribute",
            {"VpcId": vpc_id, "EnableDnsHostnames": {"Value": False}},
            {"VpcId": vpc_id, "Attribute": "enableDnsHostnames"},
        )

    def clusters(self, *arns: str) -> None:
        self.ecs_stub.add_response("list_clusters", {"clusterArns": list(arns)}, {"maxResults": 100})
        if arns:
            self.ecs_stub.add_response(
                "describe_clusters",
                {"clusters": [{"clusterArn": a, "clusterName": a.rsplit("/", 1)[1], "status": "ACTIVE"} for a in arns]},
                {"clusters": list(arns)},
            )

    def no_tasks(self, cluster: str = CLUSTER) -> None:
        self.ecs_stub.add_response("list_tasks", {"taskArns": []}, {"cluster": cluster, "maxResults": 100})

    def task_definition(self, arn: str) -> None:
        self.ecs_stub.add_response(
            "describe_task_definition",
            {
                "taskDefinition": {
                    "taskDefinitionArn": arn,
                    "family": "api",
                    "revision": int(arn.rsplit(":", 1)[1]),
                    "networkMode": "awsvpc",
                    "executionRoleArn": "api-execution",
                    "containerDefinitions": [{"name": "app", "image": "nginx"}],
                }
            },
            {"taskDefinition": arn},
        )

    @staticmethod
    def paged(
        stub: Stubber, method: str, key: str, pages: Pages, params: dict[str, Any], token: str = "nextToken"
    ) -> None:
        for index, items in enumerate(pages):
            expected = {**params, token: f"{method}-page-{index + 1}"} if index else params
            if isinstance(items, str):
                stub.add_client_error(method, items, http_status_code=400, expected_params=expected)
                continue
            response: dict[str, Any] = {key: items}
            if index + 1 < len(pages):
                response[token] = f"{method}-page-{index + 2}"
            stub.add_response(method, response, expected)


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[Stubbed]:
    session = boto3.Session(region_name=REGION)
    ec2 = session.client("ec2", region_name=REGION, config=CLIENT_CONFIG)
    ecs = session.client("ecs", region_name=REGION, config=CLIENT_CONFIG)
    yield Stubbed(ec2, ecs, Stubber(ec2), Stubber(ecs))


def test_vpc_endpoint_pages_are_followed_to_the_end(stubbed: Stubbed) -> None:
    stubbed.network({"describe_vpc_endpoints": [[endpoint(1), endpoint(2)], [endpoint(3)], [endpoint(4)]]})
    stubbed.clusters()

    inventory, ctx = stubbed.run()

    assert [e.vpc_endpoint_id for e in inventory.vpc_endpoints] == [
        "vpce-0001",
        "vpce-0002",
        "vpce-0003",
        "vpce-0004",
    ]
    assert ctx.errors == []
    assert [str(c) for c in inventory.prefix_lists[0].cidrs] == ["52.218.0.0/17", "3.5.64.0/21"]


def test_services_are_listed_across_pages_and_described_ten_at_a_time(stubbed: Stubbed) -> None:
    services = [service(n, task_definition=f"{TD}:{1 + n % 2}") for n in range(105)]
    tasks = [task(n) for n in range(150)]
    stubbed.network()
    stubbed.clusters(CLUSTER)
    Stubbed.paged(
        stubbed.ecs_stub,
        "list_services",
        "serviceArns",
        [[s["serviceArn"] for s in services[:100]], [s["serviceArn"] for s in services[100:]]],
        {"cluster": CLUSTER, "maxResults": 100},
    )
    for start in range(0, 105, 10):
        batch = services[start : start + 10]
        stubbed.ecs_stub.add_response(
            "describe_services",
            {"services": batch, "failures": []},
            {"cluster": CLUSTER, "services": [s["serviceArn"] for s in batch]},
        )
    stubbed.ecs_stub.add_response(
        "list_tasks", {"taskArns": [t["taskArn"] for t in tasks]}, {"cluster": CLUSTER, "maxResults": 100}
    )
    for start in (0, 100):
        batch = tasks[start : start + 100]
        stubbed.ecs_stub.add_response(
            "describe_tasks", {"tasks": batch}, {"cluster": CLUSTER, "tasks": [t["taskArn"] for t in batch]}
        )
    # Each distinct task definition once, in first-seen order: two for the services, one for the tasks.
    for arn in (f"{TD}:1", f"{TD}:2", f"{TD}:9"):
        stubbed.task_definition(arn)
    stubbed.ec2_stub.add_response(
        "describe_network_interfaces",
        {
            "NetworkInterfaces": [
                {
                    "NetworkInterfaceId": f"eni-{n:04d}",
                    "SubnetId": SUBNETS[0],
                    "VpcId": VPC,
                    "Groups": [{"GroupId": "sg-task"}],
                }
                for n in range(150)
            ]
        },
        {
            "Filters": [{"Name": "network-interface-id", "Values": [f"eni-{n:04d}" for n in range(150)]}],
            "MaxResults": 1000,
        },
    )
    stubbed.dns_attributes()

    inventory, ctx = stubbed.run()

    assert ctx.errors == []
    assert [s.service_name for s in inventory.services] == [f"svc-{n}" for n in range(105)]
    assert len(inventory.tasks) == 150
    assert sorted(t.task_definition_arn for t in inventory.task_definitions) == [
        f"{TD}:1",
        f"{TD}:2",
        f"{TD}:9",
    ]
    assert len(inventory.network_interfaces) == 150
    vpc = inventory.vpc_by_id[VPC]
    assert (vpc.enable_dns_support, vpc.enable_dns_hostnames) == (True, False)


def test_access_denied_on_one_listing_is_one_record(stubbed: Stubbed) -> None:
    stubbed.network({"describe_vpc_endpoints": ["AccessDenied"]})
    stubbed.clusters(CLUSTER)
    stubbed.paged(
        stubbed.ecs_stub,
        "list_services",
        "serviceArns",
        [[service(1)["serviceArn"]]],
        {"cluster": CLUSTER, "maxResults": 100},
    )
    stubbed.ecs_stub.add_response(
        "describe_services",
        {"services": [service(1)]},
        {"cluster": CLUSTER, "services": [service(1)["serviceArn"]]},
    )
    stubbed.no_tasks()
    stubbed.task_definition(f"{TD}:1")
    stubbed.dns_attributes()

    inventory, ctx = stubbed.run()

    (error,) = ctx.errors
    assert (error.account, error.region, error.service, error.operation, error.error_code) == (
        ACCOUNT,
        REGION,
        "ec2",
        "DescribeVpcEndpoints",
        "AccessDenied",
    )
    assert inventory.vpc_endpoints == []
    assert [v.vpc_id for v in inventory.vpcs] == [VPC]
    assert [s.subnet_id for s in inventory.subnets] == SUBNETS
    assert [g.group_id for g in inventory.security_groups] == ["sg-task"]
    assert [s.service_name for s in inventory.services] == ["svc-1"]
    assert inventory.prefix_lists[0].prefix_list_id == PREFIX_LIST


def test_a_failing_cluster_does_not_hide_the_others(stubbed: Stubbed) -> None:
    stubbed.network()
    stubbed.clusters(CLUSTER, OTHER_CLUSTER)
    stubbed.ecs_stub.add_client_error(
        "list_services",
        "AccessDeniedException",
        http_status_code=400,
        expected_params={"cluster": CLUSTER, "maxResults": 100},
    )
    stubbed.no_tasks(CLUSTER)
    other = service(7, cluster=OTHER_CLUSTER)
    stubbed.paged(
        stubbed.ecs_stub,
        "list_services",
        "serviceArns",
        [[other["serviceArn"]]],
        {"cluster": OTHER_CLUSTER, "maxResults": 100},
    )
    stubbed.ecs_stub.add_response(
        "describe_services",
        # MISSING (deleted since listed) is not an error; any other failure reason is.
        {
            "services": [other],
            "failures": [
                {"arn": "arn:gone", "reason": "MISSING"},
                {"arn": "arn:odd", "reason": "ACCESS_DENIED"},
            ],
        },
        {"cluster": OTHER_CLUSTER, "services": [other["serviceArn"]]},
    )
    stubbed.no_tasks(OTHER_CLUSTER)
    stubbed.task_definition(f"{TD}:1")
    stubbed.dns_attributes()

    inventory, ctx = stubbed.run()

    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("ListServices", "AccessDeniedException", CLUSTER),
        ("DescribeServices", "ACCESS_DENIED", "arn:odd"),
    ]
    assert [s.service_name for s in inventory.services] == ["svc-7"]


def test_a_failing_page_keeps_the_pages_before_it(stubbed: Stubbed) -> None:
    groups = [{"GroupId": f"sg-{n}", "VpcId": VPC} for n in range(3)]
    stubbed.network({"describe_security_groups": [groups, "RequestLimitExceeded"]})
    stubbed.clusters()

    inventory, ctx = stubbed.run()

    assert [g.group_id for g in inventory.security_groups] == ["sg-0", "sg-1", "sg-2"]
    assert [(e.operation, e.error_code) for e in ctx.errors] == [("DescribeSecurityGroups", "RequestLimitExceeded")]
    assert inventory.prefix_lists[0].prefix_list_id == PREFIX_LIST


def test_an_item_the_model_cannot_read_is_recorded_and_skipped(stubbed: Stubbed) -> None:
    ipv6_only = {"SubnetId": "subnet-v6", "VpcId": VPC, "AvailabilityZone": f"{REGION}a", "Ipv6Native": True}
    network = base_network()
    network["describe_subnets"] = [[*network["describe_subnets"][0], ipv6_only]]
    stubbed.network(network)
    stubbed.clusters()

    inventory, ctx = stubbed.run()

    assert [s.subnet_id for s in inventory.subnets] == SUBNETS
    (error,) = ctx.errors
    assert (error.operation, error.error_code, error.resource_id) == (
        "DescribeSubnets",
        "InvalidResponse",
        "subnet-v6",
    )
    assert "CidrBlock" in error.message
