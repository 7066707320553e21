"""EC2: the network of a region (VPCs down to NACLs, endpoints, the S3 prefix list), VPC DNS attributes,
the network interfaces of standalone tasks, and the enabled regions.

Every listing is one paginator at the largest page size the API allows, so an ordinary account costs
one request per resource type; DNS attributes are read only for the VPCs that host a Fargate workload.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from botocore import xform_name

from scanner.collect.calls import CallContext, M, chunks, counted, try_pages
from scanner.inventory.network import (
    EgressOnlyInternetGateway,
    InternetGateway,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    PrefixList,
    RouteTable,
    SecurityGroup,
    Subnet,
    Vpc,
    VpcEndpoint,
)

if TYPE_CHECKING:
    from types_boto3_ec2 import EC2Client
    from types_boto3_ec2.literals import VpcAttributeNameType
    from types_boto3_ec2.type_defs import DescribeVpcAttributeResultTypeDef

SERVICE = "ec2"

ACTIONS = [
    "ec2:DescribeEgressOnlyInternetGateways",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNatGateways",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRegions",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
]

# The largest MaxResults each API accepts (botocore service model; DescribeVpcEndpoints documents 1000).
PAGE_1000 = 1000
ROUTE_TABLES_PAGE = 100
EGRESS_ONLY_PAGE = 255
PREFIX_LIST_PAGE = 100
# Values per filter in one EC2 request.
FILTER_VALUES = 200

ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})
# (DescribeVpcAttribute Attribute, Vpc model field)
DNS_ATTRIBUTES: tuple[tuple[VpcAttributeNameType, str], ...] = (
    ("enableDnsSupport", "enable_dns_support"),
    ("enableDnsHostnames", "enable_dns_hostnames"),
)

P = TypeVar("P")


@dataclass
class Network:
    vpcs: list[Vpc] = field(default_factory=list)
    subnets: list[Subnet] = field(default_factory=list)
    route_tables: list[RouteTable] = field(default_factory=list)
    nat_gateways: list[NatGateway] = field(default_factory=list)
    internet_gateways: list[InternetGateway] = field(default_factory=list)
    egress_only_internet_gateways: list[EgressOnlyInternetGateway] = field(default_factory=list)
    vpc_endpoints: list[VpcEndpoint] = field(default_factory=list)
    security_groups: list[SecurityGroup] = field(default_factory=list)
    network_acls: list[NetworkAcl] = field(default_factory=list)
    prefix_lists: list[PrefixList] = field(default_factory=list)


def enabled_regions(ec2: EC2Client) -> list[str]:
    """The regions enabled for the account. Errors propagate: without regions there is no scan."""
    regions = ec2.describe_regions()["Regions"]
    return sorted(r["RegionName"] for r in regions if r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN)


# Each listing of the network: (Network field, operation, response key, model, id key, page size).
_LISTINGS: tuple[tuple[str, str, str, type[Any], str, int], ...] = (
    ("vpcs", "DescribeVpcs", "Vpcs", Vpc, "VpcId", PAGE_1000),
    ("subnets", "DescribeSubnets", "Subnets", Subnet, "SubnetId", PAGE_1000),
    ("route_tables", "DescribeRouteTables", "RouteTables", RouteTable, "RouteTableId", ROUTE_TABLES_PAGE),
    ("nat_gateways", "DescribeNatGateways", "NatGateways", NatGateway, "NatGatewayId", PAGE_1000),
    (
        "internet_gateways",
        "DescribeInternetGateways",
        "InternetGateways",
        InternetGateway,
        "InternetGatewayId",
        PAGE_1000,
    ),
    (
        "egress_only_internet_gateways",
        "DescribeEgressOnlyInternetGateways",
        "EgressOnlyInternetGateways",
        EgressOnlyInternetGateway,
        "EgressOnlyInternetGatewayId",
        EGRESS_ONLY_PAGE,
    ),
    ("vpc_endpoints", "DescribeVpcEndpoints", "VpcEndpoints", VpcEndpoint, "VpcEndpointId", PAGE_1000),
    ("security_groups", "DescribeSecurityGroups", "SecurityGroups", SecurityGroup, "GroupId", PAGE_1000),
    ("network_acls", "DescribeNetworkAcls", "NetworkAcls", NetworkAcl, "NetworkAclId", PAGE_1000),
)


def collect_network(ctx: CallContext, ec2: EC2Client) -> Network:
    # The paginator names are computed, which the client stubs' per-name overloads cannot follow.
    client: Any = ec2
    listed: dict[str, list[Any]] = {}
    for name, operation, key, model, id_key, page_size in _LISTINGS:
        pages = client.get_paginator(xform_name(operation)).paginate(PaginationConfig={"PageSize": page_size})
        listed[name] = _listing(ctx, operation, pages, partial(_items, key), model, id_key)
    return Network(**listed, prefix_lists=collect_s3_prefix_list(ctx, ec2))


def _items(key: str, page: Mapping[str, Any]) -> Iterable[Mapping[str, Any]]:
    items: Iterable[Mapping[str, Any]] = page.get(key, [])
    return items


def collect_s3_prefix_list(ctx: CallContext, ec2: EC2Client) -> list[PrefixList]:
    """The AWS-managed S3 prefix list of the region, with its CIDRs (task SG egress targets it)."""
    name = f"com.amazonaws.{ctx.region}.s3"
    ctx.stage(SERVICE, "DescribeManagedPrefixLists", name)
    pages = ctx.pages(
        SERVICE,
        "DescribeManagedPrefixLists",
        ec2.get_paginator("describe_managed_prefix_lists").paginate(
            Filters=[{"Name": "prefix-list-name", "Values": [name]}],
            PaginationConfig={"PageSize": PREFIX_LIST_PAGE},
        ),
    )
    result: list[PrefixList] = []
    for listed in (p for page in pages for p in page.get("PrefixLists", [])):
        list_id = listed.get("PrefixListId", "")
        if listed.get("PrefixListName") != name or listed.get("AddressFamily", "IPv4") != "IPv4":
            continue
        ctx.stage(SERVICE, "GetManagedPrefixListEntries", list_id)
        entries, failure = try_pages(
            ec2.get_paginator("get_managed_prefix_list_entries").paginate(
                PrefixListId=list_id, PaginationConfig={"PageSize": PREFIX_LIST_PAGE}
            )
        )
        if failure is not None:
            # Some CIDRs are not all CIDRs: traffic the known ones do not cover would be judged on half
            # the list. The list is kept without entries (a reference to it by id still counts) and the
            # failure recorded with its id, so whatever reads its CIDRs is unknown.
            ctx.record_exception(SERVICE, "GetManagedPrefixListEntries", failure, list_id)
            entries = []
        item = {
            "PrefixListId": list_id,
            "PrefixListName": name,
            "Cidrs": [e["Cidr"] for page in entries for e in page.get("Entries", []) if "Cidr" in e],
        }
        result += ctx.parse(
            PrefixList,
            [item],
            service=SERVICE,
            operation="GetManagedPrefixListEntries",
            id_key="PrefixListId",
        )
    return result


def collect_dns_attributes(ctx: CallContext, ec2: EC2Client, vpc_ids: Sequence[str]) -> dict[str, dict[str, bool]]:
    """enable_dns_support / enable_dns_hostnames per VPC; an attribute that could not be read is absent."""
    if not vpc_ids:
        return {}
    ctx.stage(SERVICE, "DescribeVpcAttribute", counted(vpc_ids, "VPC"))
    attributes: dict[str, dict[str, bool]] = {}
    for vpc_id in vpc_ids:
        for attribute, field_name in DNS_ATTRIBUTES:
            response = ctx.call(
                SERVICE,
                "DescribeVpcAttribute",
                partial(ec2.describe_vpc_attribute, VpcId=vpc_id, Attribute=attribute),
                resource_id=vpc_id,
            )
            value = _attribute_value(response, attribute) if response is not None else None
            if value is not None:
                attributes.setdefault(vpc_id, {})[field_name] = value
    return attributes


def _attribute_value(response: DescribeVpcAttributeResultTypeDef, attribute: VpcAttributeNameType) -> bool | None:
    match attribute:
        case "enableDnsSupport":
            return response.get("EnableDnsSupport", {}).get("Value")
        case "enableDnsHostnames":
            return response.get("EnableDnsHostnames", {}).get("Value")
    return None


def collect_network_interfaces(ctx: CallContext, ec2: EC2Client, eni_ids: Sequence[str]) -> list[NetworkInterface]:
    """The ENIs of standalone tasks, by id. A filter (not NetworkInterfaceIds) so that an ENI deleted
    since the task was described drops out instead of failing the whole batch."""
    if not eni_ids:
        return []
    ctx.stage(SERVICE, "DescribeNetworkInterfaces", counted(eni_ids, "task ENI"))
    interfaces: list[NetworkInterface] = []
    for batch in chunks(eni_ids, FILTER_VALUES):
        pages, failure = try_pages(
            ec2.get_paginator("describe_network_interfaces").paginate(
                Filters=[{"Name": "network-interface-id", "Values": batch}],
                PaginationConfig={"PageSize": PAGE_1000},
            )
        )
        # DescribeNetworkInterfaces calls the tags TagSet; the model reads Tags like every other resource.
        items = [{**eni, "Tags": eni.get("TagSet", [])} for page in pages for eni in page.get("NetworkInterfaces", [])]
        found = ctx.parse(
            NetworkInterface,
            items,
            service=SERVICE,
            operation="DescribeNetworkInterfaces",
            id_key="NetworkInterfaceId",
        )
        interfaces += found
        if failure is not None:
            # One record per ENI left unknown (not "deleted"), so each task's result names its own.
            seen = {eni.network_interface_id for eni in found}
            for eni_id in (e for e in batch if e not in seen):
                ctx.record_exception(SERVICE, "DescribeNetworkInterfaces", failure, eni_id)
    return interfaces


def _listing(
    ctx: CallContext,
    operation: str,
    pages: Iterable[P],
    items: Callable[[P], Iterable[Mapping[str, Any]]],
    model: type[M],
    id_key: str,
) -> list[M]:
    ctx.stage(SERVICE, operation)
    collected = ctx.pages(SERVICE, operation, pages)
    return ctx.parse(
        model,
        (item for page in collected for item in items(page)),
        service=SERVICE,
        operation=operation,
        id_key=id_key,
    )
