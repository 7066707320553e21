"""no_route_to: no route table of a workload subnet sends traffic to the listed kinds of target."""

from __future__ import annotations

from scanner.engine.checks.base import CheckContext, IncompleteData, Outcome, Problem, Verdict, register
from scanner.engine.commands import Arguments
from scanner.engine.spec import NoRouteToCheck, RouteTarget
from scanner.inventory.gaps import MissingData
from scanner.inventory.network import Route, RouteTable
from scanner.inventory.workloads import Workload

_DEFAULT_DESTINATIONS = {"0.0.0.0/0", "::/0"}


def route_target(route: Route) -> tuple[RouteTarget | None, str]:
    """The kind of target a route sends to, and its id; (None, ...) for local and gateway-endpoint routes."""
    if route.nat_gateway_id:
        return "nat_gateway", route.nat_gateway_id
    if route.instance_id:
        return "instance", route.instance_id
    if route.egress_only_internet_gateway_id:
        return "egress_only_internet_gateway", route.egress_only_internet_gateway_id
    if route.transit_gateway_id:
        return "transit_gateway", route.transit_gateway_id
    if route.core_network_arn:
        return "transit_gateway", route.core_network_arn
    if route.vpc_peering_connection_id:
        return "vpc_peering_connection", route.vpc_peering_connection_id
    gateway = route.gateway_id or ""
    if gateway.startswith("igw-"):
        return "internet_gateway", gateway
    if gateway.startswith("vpce-") and route.destination_prefix_list_id is None:
        # A CIDR routed to an endpoint is a Gateway Load Balancer (firewall) endpoint; S3/DynamoDB
        # gateway endpoints only ever receive prefix-list routes.
        return "gateway_load_balancer_endpoint", gateway
    if route.network_interface_id:
        return "network_interface", route.network_interface_id
    return None, gateway


def _destination_flag(route: Route) -> str:
    if route.destination_cidr_block is not None:
        return "destination-cidr-block"
    if route.destination_ipv6_cidr_block is not None:
        return "destination-ipv6-cidr-block"
    return "destination-prefix-list-id"


@register(
    "no_route_to",
    problems={
        "route": (
            "subnet_ids",
            "route_table_id",
            "destination",
            "destination_flag",
            "target_id",
            "target_kind",
        ),
    },
    requires=("ec2:DescribeRouteTables",),
)
def check_no_route_to(spec: NoRouteToCheck, subject: object, ctx: CheckContext) -> Outcome:
    """No route table of a workload subnet has an active route to one of the target kinds."""
    assert isinstance(subject, Workload)
    tables_of, unknown = _route_tables(subject)
    rules = {t.target: t for t in spec.targets}
    found: dict[tuple[str, str], Problem] = {}
    subnets_of: dict[tuple[str, str], list[str]] = {}
    tables: dict[str, str] = {}
    for subnet_id, table in tables_of:
        tables[subnet_id] = table.route_table_id
        for route in table.routes:
            kind, target_id = route_target(route)
            if kind is None or kind not in rules or route.state == "blackhole":
                continue
            rule = rules[kind]
            if rule.default_route_only and route.destination not in _DEFAULT_DESTINATIONS:
                continue
            key = (table.route_table_id, route.destination)
            subnets_of.setdefault(key, []).append(subnet_id)
            found[key] = Problem(
                "route",
                {
                    "route_table_id": table.route_table_id,
                    "destination": route.destination,
                    "destination_flag": _destination_flag(route),
                    "target_id": target_id,
                    "target_kind": kind.replace("_", " "),
                },
                rule.severity,
            )
    problems = [
        Problem(p.code, {**p.vars, "subnet_ids": Arguments(tuple(subnets_of[key]))}, p.severity)
        for key, p in found.items()
    ]
    evidence = {
        "route_tables": tables,
        "routes": [f"{p.vars['route_table_id']}: {p.vars['destination']} -> {p.vars['target_id']}" for p in problems],
    }
    if problems:
        # A route to the internet from a table that is known to serve a workload subnet is a finding
        # whatever the other subnets' tables hold.
        return Outcome(Verdict.FAIL, problems, unknown, evidence)
    if unknown:
        raise IncompleteData("; ".join(unknown))
    return Outcome.passed(**evidence)


def _route_tables(subject: Workload) -> tuple[list[tuple[str, RouteTable]], list[str]]:
    """(subnet id, the route table that applies to it) where known, and why the others are unknown.

    When the subnets could not be read, a table explicitly associated with one of the subnet ids the
    workload names still applies to it (an association names the subnet; a complete route table
    listing is needed to trust it); only the main-table fallback needs the subnet's VPC."""
    try:
        paths = subject.subnet_paths
    except MissingData as exc:
        if subject.gaps.listing("ec2:DescribeRouteTables") is not None:
            raise
        explicit = {
            a.subnet_id: table for table in subject.inventory.route_tables for a in table.associations if a.subnet_id
        }
        known = [(s, explicit[s]) for s in subject.subnet_ids if s in explicit]
        return known, [str(exc)] if len(known) < len(subject.subnet_ids) else []
    if not paths:
        raise IncompleteData(f"the subnets of {subject.name} are not in the inventory")
    known = [(p.subnet.subnet_id, p.route_table) for p in paths if p.route_table is not None]
    unknown = [
        f"no route table (explicit or main) known for {p.subnet.subnet_id}" for p in paths if p.route_table is None
    ]
    return known, unknown
