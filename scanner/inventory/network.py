"""Network resources of one region as describe-* calls return them."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Literal

from pydantic import Field

from scanner.inventory.base import AwsModel, Located


class Vpc(Located):
    vpc_id: str
    cidr_block: IPv4Network
    owner_id: str = ""
    is_default: bool = False
    # From DescribeVpcAttribute; None means the attribute could not be read.
    enable_dns_support: bool | None = None
    enable_dns_hostnames: bool | None = None


class Subnet(Located):
    subnet_id: str
    vpc_id: str
    cidr_block: IPv4Network
    availability_zone: str
    availability_zone_id: str = ""
    map_public_ip_on_launch: bool = False
    subnet_arn: str = ""


class Route(AwsModel):
    destination_cidr_block: IPv4Network | None = None
    destination_ipv6_cidr_block: IPv6Network | None = None
    destination_prefix_list_id: str | None = None
    gateway_id: str | None = None
    nat_gateway_id: str | None = None
    instance_id: str | None = None
    transit_gateway_id: str | None = None
    egress_only_internet_gateway_id: str | None = None
    network_interface_id: str | None = None
    vpc_peering_connection_id: str | None = None
    local_gateway_id: str | None = None
    carrier_gateway_id: str | None = None
    core_network_arn: str | None = None
    state: str = "active"

    @property
    def destination(self) -> str:
        for value in (self.destination_cidr_block, self.destination_ipv6_cidr_block):
            if value is not None:
                return str(value)
        return self.destination_prefix_list_id or "?"


class AssociationState(AwsModel):
    state: str = "associated"


class RouteTableAssociation(AwsModel):
    main: bool = False
    subnet_id: str | None = None
    route_table_association_id: str = ""
    association_state: AssociationState = Field(default_factory=AssociationState)


class RouteTable(Located):
    route_table_id: str
    vpc_id: str
    routes: list[Route] = Field(default_factory=list)
    associations: list[RouteTableAssociation] = Field(default_factory=list)

    @property
    def is_main(self) -> bool:
        return any(a.main for a in self.associations)


class NatGateway(Located):
    nat_gateway_id: str
    vpc_id: str = ""
    subnet_id: str = ""
    state: str = "available"
    connectivity_type: str = "public"


class Attachment(AwsModel):
    vpc_id: str
    state: str = "available"


class InternetGateway(Located):
    internet_gateway_id: str
    attachments: list[Attachment] = Field(default_factory=list)


class EgressOnlyInternetGateway(Located):
    egress_only_internet_gateway_id: str
    attachments: list[Attachment] = Field(default_factory=list)


class SecurityGroupRef(AwsModel):
    group_id: str
    group_name: str = ""


class VpcEndpoint(Located):
    vpc_endpoint_id: str
    vpc_endpoint_type: Literal["Interface", "Gateway", "GatewayLoadBalancer", "Resource", "ServiceNetwork"]
    vpc_id: str
    service_name: str
    state: str
    policy_document: str | None = None
    route_table_ids: list[str] = Field(default_factory=list)
    subnet_ids: list[str] = Field(default_factory=list)
    groups: list[SecurityGroupRef] = Field(default_factory=list)
    private_dns_enabled: bool | None = None
    network_interface_ids: list[str] = Field(default_factory=list)
    owner_id: str = ""

    @property
    def is_interface(self) -> bool:
        return self.vpc_endpoint_type == "Interface"

    @property
    def is_gateway(self) -> bool:
        return self.vpc_endpoint_type == "Gateway"

    @property
    def security_group_ids(self) -> list[str]:
        return [g.group_id for g in self.groups]


class IpRange(AwsModel):
    cidr_ip: IPv4Network
    description: str = ""


class Ipv6Range(AwsModel):
    cidr_ipv6: IPv6Network
    description: str = ""


class PrefixListRef(AwsModel):
    prefix_list_id: str
    description: str = ""


class GroupPair(AwsModel):
    group_id: str = ""
    user_id: str = ""
    vpc_id: str = ""
    description: str = ""


class IpPermission(AwsModel):
    ip_protocol: str
    from_port: int | None = None
    to_port: int | None = None
    ip_ranges: list[IpRange] = Field(default_factory=list)
    ipv6_ranges: list[Ipv6Range] = Field(default_factory=list)
    prefix_list_ids: list[PrefixListRef] = Field(default_factory=list)
    user_id_group_pairs: list[GroupPair] = Field(default_factory=list)

    @property
    def is_all_traffic(self) -> bool:
        return self.ip_protocol == "-1"

    def covers_tcp_port(self, port: int) -> bool:
        if self.is_all_traffic:
            return True
        if self.ip_protocol not in ("tcp", "6"):
            return False
        low = self.from_port if self.from_port is not None else 0
        high = self.to_port if self.to_port is not None else 65535
        return low <= port <= high

    def is_exactly_tcp_port(self, port: int) -> bool:
        return self.ip_protocol in ("tcp", "6") and self.from_port == port and self.to_port == port


class SecurityGroup(Located):
    group_id: str
    group_name: str = ""
    description: str = ""
    vpc_id: str = ""
    owner_id: str = ""
    ip_permissions: list[IpPermission] = Field(default_factory=list)
    ip_permissions_egress: list[IpPermission] = Field(default_factory=list)


class PortRange(AwsModel):
    from_: int = Field(alias="From")
    to: int = Field(alias="To")


class NetworkAclEntry(AwsModel):
    rule_number: int
    protocol: str
    rule_action: Literal["allow", "deny"]
    egress: bool
    cidr_block: IPv4Network | None = None
    ipv6_cidr_block: IPv6Network | None = None
    port_range: PortRange | None = None


class NetworkAclAssociation(AwsModel):
    network_acl_association_id: str = ""
    network_acl_id: str = ""
    subnet_id: str


class NetworkAcl(Located):
    network_acl_id: str
    vpc_id: str
    is_default: bool = False
    entries: list[NetworkAclEntry] = Field(default_factory=list)
    associations: list[NetworkAclAssociation] = Field(default_factory=list)


class PrefixList(AwsModel):
    prefix_list_id: str
    prefix_list_name: str
    cidrs: list[IPv4Network] = Field(default_factory=list)


class EniAssociation(AwsModel):
    public_ip: str | None = None


class NetworkInterface(Located):
    """Only the ENIs of standalone Fargate tasks are collected: their security groups, and whether they
    have a public IP (the task's assignPublicIp is not recorded anywhere else)."""

    network_interface_id: str
    subnet_id: str = ""
    vpc_id: str = ""
    groups: list[SecurityGroupRef] = Field(default_factory=list)
    association: EniAssociation | None = None

    @property
    def has_public_ip(self) -> bool:
        return self.association is not None and bool(self.association.public_ip)
