"""sg_ingress_only and sg_egress_allows: security groups between a workload and its endpoints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from ipaddress import IPv4Network

from scanner.engine.checks.base import CheckContext, IncompleteData, Outcome, Problem, register
from scanner.engine.spec import SgEgressAllowsCheck, SgIngressOnlyCheck
from scanner.inventory.endpoint_use import EndpointInUse, WorkloadNeed
from scanner.inventory.gaps import Gaps, MissingData
from scanner.inventory.network import IpPermission, SecurityGroup
from scanner.inventory.root import RegionInventory


def _groups(ids: Iterable[str], region: RegionInventory, gaps: Gaps, whose: str) -> list[SecurityGroup]:
    """The groups by id; MissingData naming the failed call when one could not be read."""
    groups = []
    for group_id in ids:
        group = region.security_group(group_id, gaps)
        if group is None:
            raise IncompleteData(f"security group {group_id} of {whose} is not in the inventory")
        groups.append(group)
    if not groups:
        raise IncompleteData(f"{whose} has no security groups in the inventory")
    return groups


def _ports(permission: IpPermission) -> str:
    if permission.is_all_traffic:
        return "all traffic"
    low, high = permission.from_port, permission.to_port
    port = str(low) if low == high else f"{low}-{high}"
    protocol = {"6": "tcp", "17": "udp", "1": "icmp"}.get(permission.ip_protocol, permission.ip_protocol)
    return f"{protocol}/{port}"


def _permission_json(permission: IpPermission, source: dict[str, list[dict[str, str]]]) -> str:
    body: dict[str, object] = {"IpProtocol": permission.ip_protocol}
    if not permission.is_all_traffic and permission.from_port is not None:
        body["FromPort"] = permission.from_port
        body["ToPort"] = permission.to_port
    body.update(source)
    return json.dumps([body], separators=(",", ":"))


def _sources(permission: IpPermission) -> Iterable[tuple[str, str, dict[str, list[dict[str, str]]]]]:
    """(kind, value, the --ip-permissions source part) for every source of a permission."""
    for r in permission.ip_ranges:
        yield "cidr", str(r.cidr_ip), {"IpRanges": [{"CidrIp": str(r.cidr_ip)}]}
    for r6 in permission.ipv6_ranges:
        yield "cidr", str(r6.cidr_ipv6), {"Ipv6Ranges": [{"CidrIpv6": str(r6.cidr_ipv6)}]}
    for p in permission.prefix_list_ids:
        yield "prefix_list", p.prefix_list_id, {"PrefixListIds": [{"PrefixListId": p.prefix_list_id}]}
    for g in permission.user_id_group_pairs:
        yield "group", g.group_id, {"UserIdGroupPairs": [{"GroupId": g.group_id}]}


def _covers_all(cidrs: Iterable[IPv4Network], targets: Iterable[IPv4Network]) -> bool:
    ranges = list(cidrs)
    return all(any(target.subnet_of(r) for r in ranges) for target in targets)


@register(
    "sg_ingress_only",
    problems={
        "not_admitted": ("endpoint_group_id", "source_group_id", "consumer_name", "port"),
        "extra_ingress": ("group_id", "rule", "revoke_permissions"),
    },
    requires=("ec2:DescribeSecurityGroups",),
)
def check_sg_ingress_only(spec: SgIngressOnlyCheck, subject: object, ctx: CheckContext) -> Outcome:
    """The endpoint's groups admit protocol/port from every workload that uses it, and nothing else."""
    assert isinstance(subject, EndpointInUse)
    endpoint = subject.endpoint
    region, gaps = subject.inventory, subject.gaps
    endpoint_groups = _groups(endpoint.security_group_ids, region, gaps, endpoint.vpc_endpoint_id)
    allowed_sources = set(ctx.operand(spec.allowed_sources)) | set(subject.consumer_group_ids)
    permissions = [(g, p) for g in endpoint_groups for p in g.ip_permissions]

    problems: list[Problem] = []
    for workload in subject.workloads:
        workload.require_interfaces()
        workload_ids = {g.group_id for g in _groups(workload.security_group_ids, region, gaps, workload.name)}
        # Only a rule this check would keep counts: admitting through a rule that the fix revokes
        # (a CIDR, all traffic, a port range) would leave the tasks cut off after the fix.
        admitted = any(
            permission.is_exactly_tcp_port(spec.port) and kind == "group" and value in workload_ids
            for _, permission in permissions
            for kind, value, _ in _sources(permission)
        )
        if not admitted:
            problems.append(
                Problem(
                    "not_admitted",
                    {
                        "endpoint_group_id": endpoint_groups[0].group_id,
                        "source_group_id": sorted(workload_ids)[0],
                        "consumer_name": workload.name,
                        "port": str(spec.port),
                    },
                )
            )
    if subject.undecided:
        # Workloads whose data is unknown may use this endpoint: a rule admitting them is not extra.
        # A workload of the known ones that is not admitted is a finding all the same.
        if problems:
            return Outcome.failed(problems, endpoint_security_groups=[g.group_id for g in endpoint_groups])
        raise MissingData("; ".join(subject.undecided))
    observed: list[str] = []
    for group, permission in permissions:
        for kind, value, source in _sources(permission):
            observed.append(f"{group.group_id}: {_ports(permission)} from {value}")
            if permission.is_exactly_tcp_port(spec.port) and kind == "group" and value in allowed_sources:
                continue
            problems.append(
                Problem(
                    "extra_ingress",
                    {
                        "group_id": group.group_id,
                        "rule": f"{_ports(permission)} from {value}",
                        "revoke_permissions": _permission_json(permission, source),
                    },
                )
            )
    evidence = {
        "endpoint_security_groups": [g.group_id for g in endpoint_groups],
        "workload_security_groups": subject.consumer_group_ids,
        "ingress_rules": observed,
        "allowed_sources": sorted(allowed_sources),
    }
    return Outcome.failed(problems, **evidence) if problems else Outcome.passed(**evidence)


@register(
    "sg_egress_allows",
    problems={
        "no_egress_to_endpoint": ("workload_group_id", "grant_permissions", "port"),
        "no_egress_to_prefix_list": ("workload_group_id", "prefix_list_id", "grant_permissions", "port"),
    },
    requires=(
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeManagedPrefixLists",
        "ec2:GetManagedPrefixListEntries",
    ),
)
def check_sg_egress_allows(spec: SgEgressAllowsCheck, subject: object, ctx: CheckContext) -> Outcome:
    """The workload's groups allow protocol/port out to the endpoint's groups or addresses, or the prefix list."""
    assert isinstance(subject, WorkloadNeed)
    endpoint = subject.endpoint
    if endpoint is None:
        raise IncompleteData("no endpoint to check")
    workload = subject.workload
    workload.require_interfaces()
    groups = _groups(workload.security_group_ids, workload.inventory, workload.gaps, workload.name)
    covering = [p for g in groups for p in g.ip_permissions_egress if p.covers_tcp_port(spec.port)]
    cidrs = [r.cidr_ip for p in covering for r in p.ip_ranges]
    evidence: dict[str, object] = {
        "workload_security_groups": [g.group_id for g in groups],
        "egress_rules": [
            f"{g.group_id}: {_ports(p)} to {v}"
            for g in groups
            for p in g.ip_permissions_egress
            for _, v, _ in _sources(p)
        ],
    }
    first = groups[0].group_id
    if endpoint.is_gateway:
        name = f"com.amazonaws.{workload.region}.s3" if subject.need.service == "s3" else subject.need.service_name
        listed = workload.inventory.prefix_list_by_name.get(name)
        if listed is not None and any(
            pl.prefix_list_id == listed.prefix_list_id for p in covering for pl in p.prefix_list_ids
        ):
            return Outcome.passed(**evidence)
        if any(c.prefixlen == 0 for c in cidrs):
            return Outcome.passed(**evidence)
        # From here the addresses decide: all of them, or none (a page that failed, a denied call).
        prefix_list = workload.inventory.complete_prefix_list(name, workload.gaps)
        if prefix_list is None:
            raise IncompleteData(f"prefix list {name} is not in the inventory")
        if prefix_list.cidrs and _covers_all(cidrs, prefix_list.cidrs):
            return Outcome.passed(**evidence)
        grant = json.dumps(
            [
                {
                    "IpProtocol": "tcp",
                    "FromPort": spec.port,
                    "ToPort": spec.port,
                    "PrefixListIds": [{"PrefixListId": prefix_list.prefix_list_id}],
                }
            ],
            separators=(",", ":"),
        )
        problem = Problem(
            "no_egress_to_prefix_list",
            {
                "workload_group_id": first,
                "prefix_list_id": prefix_list.prefix_list_id,
                "grant_permissions": grant,
                "port": str(spec.port),
            },
        )
        return Outcome.failed([problem], **evidence)

    endpoint_groups = set(endpoint.security_group_ids)
    if any(g.group_id in endpoint_groups for p in covering for g in p.user_id_group_pairs):
        return Outcome.passed(**evidence)
    if any(c.prefixlen == 0 for c in cidrs):
        return Outcome.passed(**evidence)
    endpoint_subnets = subject.endpoint_subnets
    if len(endpoint_subnets) != len(endpoint.subnet_ids):
        raise IncompleteData(f"subnets of {endpoint.vpc_endpoint_id} are not all in the inventory")
    if endpoint_subnets and _covers_all(cidrs, [s.cidr_block for s in endpoint_subnets]):
        return Outcome.passed(**evidence)
    target = sorted(endpoint_groups)[0] if endpoint_groups else None
    source: dict[str, list[dict[str, str]]] = (
        {"UserIdGroupPairs": [{"GroupId": target}]}
        if target
        else {"IpRanges": [{"CidrIp": str(s.cidr_block)} for s in endpoint_subnets]}
    )
    grant = json.dumps(
        [{"IpProtocol": "tcp", "FromPort": spec.port, "ToPort": spec.port, **source}], separators=(",", ":")
    )
    problem = Problem(
        "no_egress_to_endpoint",
        {"workload_group_id": first, "grant_permissions": grant, "port": str(spec.port)},
    )
    return Outcome.failed([problem], **evidence)
