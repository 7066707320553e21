"""Which endpoint serves each need of a workload, and which endpoints are in use (and by whom).

Per service and VPC the Interface endpoint with private DNS is the one tasks reach (DESIGN.md, "Which
endpoint serves"); an endpoint that may not serve (a listing cut short, a workload whose VPC or needs are
unknown) is `undecided` rather than judged or dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial

from scanner.inventory.gaps import Gaps, MissingData
from scanner.inventory.needs import Need
from scanner.inventory.network import SecurityGroup, Subnet, Vpc, VpcEndpoint
from scanner.inventory.root import AccountInventory, RegionInventory
from scanner.inventory.workloads import Workload


@dataclass(frozen=True)
class WorkloadNeed:
    """A needed service of a workload, with the endpoint in its VPC that serves it, if any."""

    workload: Workload
    need: Need
    endpoint: VpcEndpoint | None
    # Every endpoint in the VPC with this service name, usable or not (for messages and evidence).
    candidates: tuple[VpcEndpoint, ...]
    # Security groups of all workloads whose traffic this endpoint serves.
    consumer_group_ids: frozenset[str] = frozenset()
    # Why the endpoint cannot be known (the VPC is unknown, the endpoint listing did not finish).
    unknown_endpoint: str | None = None

    @property
    def is_interface(self) -> bool:
        return self.endpoint is not None and self.endpoint.is_interface

    @property
    def is_gateway(self) -> bool:
        return self.endpoint is not None and self.endpoint.is_gateway

    @property
    def endpoint_subnets(self) -> list[Subnet]:
        return _endpoint_subnets(self.endpoint, self.workload.inventory, self.workload.gaps) if self.endpoint else []

    @property
    def endpoint_azs(self) -> list[str]:
        return sorted({s.availability_zone for s in self.endpoint_subnets})

    @property
    def endpoint_route_table_ids(self) -> list[str]:
        return list(self.endpoint.route_table_ids) if self.endpoint is not None else []

    @property
    def endpoint_security_groups(self) -> list[SecurityGroup]:
        ids = self.endpoint.security_group_ids if self.endpoint is not None else []
        found = [self.workload.inventory.security_group(g, self.workload.gaps) for g in ids]
        return [g for g in found if g is not None]


def _endpoint_subnets(endpoint: VpcEndpoint, region: RegionInventory, gaps: Gaps) -> list[Subnet]:
    found = [region.subnet(s, gaps) for s in endpoint.subnet_ids]
    return [s for s in found if s is not None]


@dataclass(frozen=True)
class EndpointInUse:
    """An endpoint that serves at least one workload need, with every need it serves; or an endpoint that
    workloads whose VPC or needs are unknown may use (`undecided`, no consumers): it cannot be judged, and
    is reported as such instead of vanishing."""

    endpoint: VpcEndpoint
    consumers: tuple[WorkloadNeed, ...]
    inventory: RegionInventory = field(repr=False)
    account_inventory: AccountInventory = field(repr=False)
    # Why other workloads may use this endpoint too: each a workload whose VPC or needs are unknown.
    undecided: tuple[str, ...] = ()

    @property
    def gaps(self) -> Gaps:
        return self.account_inventory.gaps(self.inventory.region)

    @property
    def vpc(self) -> Vpc | None:
        return self.inventory.vpc(self.endpoint.vpc_id, self.gaps)

    @property
    def workloads(self) -> list[Workload]:
        seen: dict[str, Workload] = {}
        for consumer in self.consumers:
            seen.setdefault(consumer.workload.arn, consumer.workload)
        return list(seen.values())

    def _all_consumers_known(self) -> None:
        if self.undecided:
            raise MissingData("; ".join(self.undecided))

    @property
    def consumer_subnets(self) -> list[Subnet]:
        """The subnets of every workload that uses the endpoint; MissingData when the set of workloads
        (or one's subnets) is unknown."""
        self._all_consumers_known()
        found: dict[str, Subnet] = {}
        for workload in self.workloads:
            for subnet in workload.subnets:
                found.setdefault(subnet.subnet_id, subnet)
        return list(found.values())

    @property
    def consumer_group_ids(self) -> list[str]:
        return sorted({g for w in self.workloads for g in w.security_group_ids})

    @property
    def consumer_route_table_ids(self) -> list[str] | None:
        self._all_consumers_known()
        tables: set[str] = set()
        for workload in self.workloads:
            ids = workload.route_table_ids
            if ids is None:
                return None
            tables.update(ids)
        return sorted(tables)

    @property
    def endpoint_azs(self) -> list[str]:
        return sorted({s.availability_zone for s in _endpoint_subnets(self.endpoint, self.inventory, self.gaps)})

    @property
    def endpoint_route_table_ids(self) -> list[str]:
        return list(self.endpoint.route_table_ids)

    @property
    def service_name(self) -> str:
        return self.endpoint.service_name


def endpoints_in_use(needs: list[WorkloadNeed], workloads: list[Workload]) -> list[EndpointInUse]:
    """Every endpoint that serves a need, and every endpoint that a workload with an unknown VPC or
    unknown needs might use, or that a task family read in part uses (those carry `undecided`)."""
    grouped: dict[str, list[WorkloadNeed]] = {}
    undecided: dict[str, list[str]] = {}
    places: dict[str, tuple[VpcEndpoint, Workload]] = {}
    for need in needs:
        endpoint, workload = need.endpoint, need.workload
        if endpoint is None:
            continue
        reason = _doubt(need)
        if reason is not None:
            if reason not in undecided.get(endpoint.vpc_endpoint_id, []):
                undecided.setdefault(endpoint.vpc_endpoint_id, []).append(reason)
            places.setdefault(endpoint.vpc_endpoint_id, (endpoint, workload))
            continue
        grouped.setdefault(endpoint.vpc_endpoint_id, []).append(need)
    for workload in workloads:
        for endpoint, reason in _maybe_used(workload):
            undecided.setdefault(endpoint.vpc_endpoint_id, []).append(reason)
            places.setdefault(endpoint.vpc_endpoint_id, (endpoint, workload))
    found = [
        EndpointInUse(
            group[0].endpoint,
            tuple(group),
            group[0].workload.inventory,
            group[0].workload.account_inventory,
            tuple(undecided.get(endpoint_id, ())),
        )
        for endpoint_id, group in grouped.items()
        if group[0].endpoint is not None
    ]
    for endpoint_id, reasons in undecided.items():
        if endpoint_id not in grouped:
            endpoint, workload = places[endpoint_id]
            found.append(EndpointInUse(endpoint, (), workload.inventory, workload.account_inventory, tuple(reasons)))
    return found


def _doubt(need: WorkloadNeed) -> str | None:
    """Why the need's endpoint cannot count it as a known consumer, if it cannot."""
    if need.unknown_endpoint is not None:
        # The endpoint read may not be the one that serves (the one with private DNS may be on a lost page
        # of the listing): whether this workload uses it at all is unknown.
        return f"whether {need.workload.name} uses it is unknown: {need.unknown_endpoint}"
    if need.workload.tasks_unread is not None:
        # A task family read in part uses the endpoint with more subnets and groups than seen: it is a
        # consumer whose data is unknown, which leaves undecided only what reads the consumers.
        return f"which subnets and groups of {need.workload.name} use it is unknown: {need.workload.tasks_unread}"
    return None


def _maybe_used(workload: Workload) -> Iterator[tuple[VpcEndpoint, str]]:
    """The endpoints a workload may use although its needs were not bound: its VPC is unknown (every
    endpoint of the region), or its needs are (every endpoint of its VPC). Only for data that a failed
    call left unknown or that is not in the inventory; a workload with no subnets at all uses none."""
    try:
        vpc_id = workload.vpc_id
    except MissingData as exc:
        for endpoint in workload.inventory.vpc_endpoints:
            yield endpoint, f"whether {workload.name} uses it is unknown: {exc}"
        return
    why = workload.definition_unknown
    if why is not None and vpc_id is not None:
        for endpoint in workload.inventory.endpoints_by_vpc.get(vpc_id, []):
            yield endpoint, f"whether {workload.name} uses it is unknown: {why}"


def _usable(endpoint: VpcEndpoint, need: Need) -> bool:
    if endpoint.vpc_endpoint_type not in need.endpoint_types:
        return False
    # An Interface endpoint serves a Gateway-first need (S3) only with private DNS.
    return not (need.preferred_type == "Gateway" and endpoint.is_interface and not endpoint.private_dns_enabled)


def _without_private_dns(endpoint: VpcEndpoint) -> bool:
    return endpoint.is_interface and not endpoint.private_dns_enabled


def _serves_surely(endpoint: VpcEndpoint) -> bool:
    """No endpoint on a page that was not read would serve before this one (`_serving_order`)."""
    return endpoint.state == "available" and not _without_private_dns(endpoint)


def _serving_order(need: Need, endpoint: VpcEndpoint) -> tuple[bool, bool, int]:
    """Which usable endpoint serves a need, first: an Interface endpoint with private DNS (the tasks'
    DNS resolves to it, DESIGN.md "Which endpoint serves"), then one that is available, then the need's
    preferred type (S3: the Gateway; an S3 Interface endpoint is usable only with private DNS anyway)."""
    return (
        _without_private_dns(endpoint),
        endpoint.state != "available",
        need.endpoint_types.index(endpoint.vpc_endpoint_type),
    )


def workload_needs(workloads: list[Workload]) -> list[WorkloadNeed]:
    """Bind every need of every workload to the endpoint in its VPC that serves it."""
    pairs: list[tuple[Workload, Need, VpcEndpoint | None, tuple[VpcEndpoint, ...], str | None]] = []
    consumers: dict[str, set[str]] = {}
    for workload in workloads:
        unknown: str | None = None
        try:
            vpc_id = workload.vpc_id
        except MissingData as exc:
            vpc_id, unknown = None, f"the VPC of {workload.name} is unknown: {exc}"
        in_vpc = workload.inventory.endpoints_by_vpc.get(vpc_id, []) if vpc_id else []
        listing = workload.gaps.listing("ec2:DescribeVpcEndpoints")
        for need in workload.needs:
            candidates = tuple(e for e in in_vpc if e.service_name == need.service_name)
            usable = sorted((e for e in candidates if _usable(e, need)), key=partial(_serving_order, need))
            endpoint = usable[0] if usable else None
            if endpoint is not None:
                consumers.setdefault(endpoint.vpc_endpoint_id, set()).update(workload.security_group_ids)
            why = unknown
            if why is None and listing is not None and (endpoint is None or not _serves_surely(endpoint)):
                # The endpoint (or an available one with private DNS, which would serve instead of one
                # without private DNS or one deleted) may be on a page that was never read: what was
                # read proves nothing.
                why = listing.describe()
            pairs.append((workload, need, endpoint, candidates, why))
    bound = [
        WorkloadNeed(
            workload=w,
            need=n,
            endpoint=e,
            candidates=c,
            consumer_group_ids=frozenset(consumers.get(e.vpc_endpoint_id, set())) if e else frozenset(),
            unknown_endpoint=why,
        )
        for w, n, e, c, why in pairs
    ]
    for workload in workloads:
        workload.bound = [b for b in bound if b.workload is workload]
    return bound
