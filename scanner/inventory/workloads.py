"""The derived workload view: each Fargate service (or standalone task family) with its network path.

A workload is an ACTIVE ECS service on Fargate with awsvpc networking, or a group of standalone Fargate
tasks of one task definition family. References that cannot be resolved in the inventory (a subnet, a
task definition) are kept in `unresolved`, so rules that need them report ERROR instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property, partial

from scanner.inventory.ecs import Cluster, Service, Task, TaskDefinition
from scanner.inventory.gaps import Gaps, MissingData
from scanner.inventory.images import ImageRef, parse_image
from scanner.inventory.needs import Need, derive_needs
from scanner.inventory.network import RouteTable, SecurityGroup, Subnet, Vpc, VpcEndpoint
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory
from scanner.results import CollectionErrorRecord

FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
DEFAULT_BASELINE = ("sts",)


@dataclass(frozen=True)
class ContainerImage:
    container: str
    ref: ImageRef


@dataclass(frozen=True)
class SubnetPath:
    """A workload subnet with the route table that applies to it (explicit association, else main)."""

    subnet: Subnet
    route_table: RouteTable | None


@dataclass(eq=False)
class Workload:
    arn: str
    name: str
    kind: str  # "service" or "task_family"
    account: str
    partition: str
    region: str
    cluster_arn: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    # ENABLED/DISABLED as configured (a service) or seen on the task ENIs (a task family); read it through
    # `assign_public_ip`, which raises when an ENI could not be read.
    public_ip_setting: str
    exec_enabled: bool
    task_definition_arn: str
    task_definition: TaskDefinition | None
    execution_role: str | None
    inventory: RegionInventory = field(repr=False)
    account_inventory: AccountInventory = field(repr=False)
    needs: list[Need] = field(default_factory=list)
    images: list[ContainerImage] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    # Why the task definition is unknown (a failed DescribeTaskDefinition, or it is gone): everything
    # derived from it (needs, images, the execution role's calls) is unknown, the network is not.
    definition_unknown: str | None = None
    # Task ENIs that could not be read (a task family): its security groups and public IP are unknown.
    interfaces_unknown: list[str] = field(default_factory=list)
    # Why some tasks of a task family's cluster were not read (also in `unresolved`): its subnets, groups
    # and task definition may be more than seen, so the endpoints it uses cannot be judged on them.
    tasks_unread: str | None = None
    # The needs bound to their endpoints; filled by `workload_needs`. Read `bound_needs` for verdicts.
    bound: list[WorkloadNeed] = field(default_factory=list, repr=False)

    @property
    def bound_needs(self) -> list[WorkloadNeed]:
        self.require_definition()
        return self.bound

    def require_definition(self) -> None:
        if self.definition_unknown is not None:
            raise MissingData(self.definition_unknown)

    def require_interfaces(self) -> None:
        if self.interfaces_unknown:
            raise MissingData("; ".join(self.interfaces_unknown))

    @property
    def assign_public_ip(self) -> str:
        self.require_interfaces()
        return self.public_ip_setting

    @cached_property
    def gaps(self) -> Gaps:
        return self.account_inventory.gaps(self.region)

    # A cached_property caches no exception: unknown data raises again on every read.
    @cached_property
    def subnets(self) -> list[Subnet]:
        """The workload's subnets; MissingData when one of them could not be read (a subnet that is gone
        is left out and noted in `unresolved`)."""
        found = [self.inventory.subnet(s, self.gaps) for s in self.subnet_ids]
        return [s for s in found if s is not None]

    @cached_property
    def vpc_id(self) -> str | None:
        try:
            subnets = self.subnets
        except MissingData:
            # Subnets unreadable: the task's security groups belong to the same VPC (AWS requires it
            # for an awsvpc ENI), so they tell the VPC when they were read.
            in_groups = {g.vpc_id for g in self.inventory.sg_by_id.values() if g.group_id in self.security_group_ids}
            if len(in_groups - {""}) == 1:
                return next(iter(in_groups - {""}))
            raise
        return subnets[0].vpc_id if subnets else None

    # Display views (HTML cards, the cost panel): what was collected, never raising. Verdicts use the
    # strict properties above, which tell "gone" from "could not be read".
    @property
    def listed_subnets(self) -> list[Subnet]:
        return [self.inventory.subnet_by_id[s] for s in self.subnet_ids if s in self.inventory.subnet_by_id]

    @property
    def listed_route_tables(self) -> dict[str, str | None]:
        """Subnet id -> its route table id, None where unknown."""
        try:
            return {
                p.subnet.subnet_id: p.route_table.route_table_id if p.route_table else None for p in self.subnet_paths
            }
        except MissingData:
            return {}

    def vpc_id_or_none(self) -> str | None:
        """The VPC id, or None when unknown for any reason (for names and hints, never for verdicts)."""
        try:
            return self.vpc_id
        except MissingData:
            return None

    @cached_property
    def vpc(self) -> Vpc | None:
        vpc_id = self.vpc_id
        return self.inventory.vpc(vpc_id, self.gaps) if vpc_id else None

    @cached_property
    def availability_zones(self) -> list[str]:
        return sorted({s.availability_zone for s in self.subnets})

    @cached_property
    def subnet_paths(self) -> list[SubnetPath]:
        return [
            SubnetPath(s, self.inventory.route_table_for_subnet(s.subnet_id, s.vpc_id, self.gaps)) for s in self.subnets
        ]

    @cached_property
    def security_groups(self) -> list[SecurityGroup]:
        found = [self.inventory.security_group(g, self.gaps) for g in self.security_group_ids]
        return [g for g in found if g is not None]

    @cached_property
    def route_table_ids(self) -> list[str] | None:
        """None when a subnet's route table is unknown: coverage cannot then be decided."""
        paths = self.subnet_paths
        if not paths or any(p.route_table is None for p in paths):
            return None
        return sorted({p.route_table.route_table_id for p in paths if p.route_table is not None})

    @cached_property
    def spare_subnet_ids(self) -> list[str]:
        """Subnets of the same VPC in AZs the workload does not use, routed like one of its own subnets;
        only those proven so (see `spare_subnets_unknown` for why others may exist unseen)."""
        return self._spare_subnet_search[0]

    @property
    def spare_subnets_unknown(self) -> str | None:
        """Why the spare subnets found may not be all there are (the subnet or route table listing did not
        finish), or None. It chooses the fix to show and never the verdict: a single-AZ workload is a FAIL
        on its own subnets alone."""
        return self._spare_subnet_search[1]

    @cached_property
    def _spare_subnet_search(self) -> tuple[list[str], str | None]:
        unknown: list[str] = []
        listing = self.gaps.listing("ec2:DescribeSubnets")
        if listing is not None:
            unknown.append(f"the other subnets of the VPC are unknown: {listing.describe()}")
        try:
            # The route table listing is one region-wide call: when it did not finish, no subnet's table
            # is known and no subnet can be shown to be routed like the workload's.
            own_tables = set(self.route_table_ids or [])
        except MissingData as exc:
            return [], "; ".join([*unknown, str(exc)])
        used = set(self.availability_zones)
        spare: dict[str, str] = {}
        for subnet in self.inventory.subnets:
            if subnet.vpc_id != self.vpc_id or subnet.availability_zone in used:
                continue
            table = self.inventory.route_table_for_subnet(subnet.subnet_id, subnet.vpc_id, self.gaps)
            if table is not None and table.route_table_id in own_tables:
                spare.setdefault(subnet.availability_zone, subnet.subnet_id)
        return [spare[az] for az in sorted(spare)], "; ".join(unknown) or None

    @cached_property
    def other_az(self) -> str | None:
        """An AZ of the region (seen on any subnet) that the workload does not use."""
        used = set(self.availability_zones)
        seen = sorted({s.availability_zone for s in self.inventory.subnets})
        return next((az for az in seen if az not in used), None)

    @cached_property
    def free_cidr(self) -> str | None:
        """A free block of the VPC, the size of the workload's first subnet, for a new subnet."""
        vpc, subnets = self.vpc, self.subnets
        # A block free among the subnets read may be taken by one that was not.
        if vpc is None or not subnets or self.gaps.listing("ec2:DescribeSubnets") is not None:
            return None
        taken = [s.cidr_block for s in self.inventory.subnets if s.vpc_id == vpc.vpc_id]
        for candidate in vpc.cidr_block.subnets(
            new_prefix=max(subnets[0].cidr_block.prefixlen, vpc.cidr_block.prefixlen)
        ):
            if not any(candidate.overlaps(t) for t in taken):
                return str(candidate)
        return None

    @property
    def cluster_name(self) -> str:
        return self.cluster_arn.rsplit("/", 1)[-1]

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1] if self.kind == "service" else self.name


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
        if need.unknown_endpoint is not None:
            # The endpoint read may not be the one that serves (the one with private DNS may be on a lost
            # page of the listing): whether this workload uses it at all is unknown.
            reason = f"whether {workload.name} uses it is unknown: {need.unknown_endpoint}"
            if reason not in undecided.get(endpoint.vpc_endpoint_id, []):
                undecided.setdefault(endpoint.vpc_endpoint_id, []).append(reason)
            places.setdefault(endpoint.vpc_endpoint_id, (endpoint, workload))
            continue
        if workload.tasks_unread is not None:
            # A task family read in part uses the endpoint with more subnets and groups than seen: it is
            # a consumer whose data is unknown, which leaves undecided only what reads the consumers.
            reason = f"which subnets and groups of {workload.name} use it is unknown: {workload.tasks_unread}"
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


def is_fargate_workload(service: Service, cluster: Cluster | None) -> bool:
    """An ACTIVE service on Fargate: launch type FARGATE, or a Fargate-only capacity provider strategy
    (its own, else the cluster default)."""
    if service.status != "ACTIVE":
        return False
    if service.launch_type is not None:
        return service.launch_type == "FARGATE"
    strategy = service.capacity_provider_strategy or (cluster.default_capacity_provider_strategy if cluster else [])
    return bool(strategy) and all(item.capacity_provider in FARGATE_PROVIDERS for item in strategy)


def is_standalone_fargate(task: Task) -> bool:
    """A Fargate task that no service started (its group is not `service:<name>`)."""
    if task.service_name is not None:
        return False
    if task.launch_type is not None:
        return task.launch_type == "FARGATE"
    return task.capacity_provider_name in FARGATE_PROVIDERS


def derive_workloads(inventory: Inventory, baseline: tuple[str, ...] = DEFAULT_BASELINE) -> list[Workload]:
    workloads: list[Workload] = []
    for account in inventory.accounts:
        for region in account.regions:
            workloads.extend(_region_workloads(account, region, baseline))
    return workloads


def _region_workloads(
    account: AccountInventory, region: RegionInventory, baseline: tuple[str, ...]
) -> Iterator[Workload]:
    clusters = {c.cluster_arn: c for c in region.clusters}
    for service in region.services:
        if not is_fargate_workload(service, clusters.get(service.cluster_arn)):
            continue
        awsvpc = service.network_configuration.awsvpc_configuration if service.network_configuration else None
        workload = Workload(
            arn=service.service_arn,
            name=service.service_name,
            kind="service",
            account=account.account_id,
            partition=account.partition,
            region=region.region,
            cluster_arn=service.cluster_arn,
            subnet_ids=list(awsvpc.subnets) if awsvpc else [],
            security_group_ids=list(awsvpc.security_groups) if awsvpc else [],
            public_ip_setting=awsvpc.assign_public_ip if awsvpc else "DISABLED",
            exec_enabled=service.enable_execute_command,
            task_definition_arn=service.task_definition,
            task_definition=region.task_definition_by_arn.get(service.task_definition),
            execution_role=None,
            inventory=region,
            account_inventory=account,
        )
        if awsvpc is None:
            workload.unresolved.append(f"service {service.service_name} has no awsvpcConfiguration")
        yield _complete(workload, baseline)
    yield from _task_family_workloads(account, region, baseline)


def _task_family_workloads(
    account: AccountInventory, region: RegionInventory, baseline: tuple[str, ...]
) -> Iterator[Workload]:
    groups: dict[tuple[str, str], list[Task]] = {}
    for task in region.tasks:
        if not is_standalone_fargate(task):
            continue
        family = task.task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]
        groups.setdefault((task.cluster_arn, family), []).append(task)
    for (cluster_arn, family), tasks in sorted(groups.items()):
        latest = max(tasks, key=lambda t: int(t.task_definition_arn.rsplit(":", 1)[-1] or 0))
        subnet_ids: list[str] = []
        group_ids: list[str] = []
        unknown: list[str] = []
        public_ip = False
        for task in tasks:
            subnet_id = task.eni_detail("subnetId")
            eni_id = task.eni_detail("networkInterfaceId")
            if subnet_id and subnet_id not in subnet_ids:
                subnet_ids.append(subnet_id)
            eni = region.eni_by_id.get(eni_id or "")
            if eni is None:
                failed = account.gaps(region.region).for_id("ec2:DescribeNetworkInterfaces", eni_id or "")
                why = f"could not be read: {failed.describe()}" if failed else "not in inventory"
                # The task's subnet is known (its attachment); its groups and public IP are not. An ENI
                # that is simply gone (the task stopped since) is the same unknown to the checks.
                unknown.append(f"network interface {eni_id} of task {task.task_arn} {why}")
                continue
            group_ids.extend(g.group_id for g in eni.groups if g.group_id not in group_ids)
            public_ip = public_ip or eni.has_public_ip
        prefix = latest.task_definition_arn.split(":task-definition/")[0]
        workload = Workload(
            arn=f"{prefix}:task-definition/{family}",
            name=family,
            kind="task_family",
            account=account.account_id,
            partition=account.partition,
            region=region.region,
            cluster_arn=cluster_arn,
            subnet_ids=subnet_ids,
            security_group_ids=group_ids,
            public_ip_setting="ENABLED" if public_ip else "DISABLED",
            exec_enabled=any(t.enable_execute_command for t in tasks),
            task_definition_arn=latest.task_definition_arn,
            task_definition=region.task_definition_by_arn.get(latest.task_definition_arn),
            execution_role=None,
            inventory=region,
            account_inventory=account,
            interfaces_unknown=unknown,
        )
        # A family's subnets, groups and public IP are the union over its tasks, and its task definition
        # the highest revision seen: a task that was listed but not read (or never listed) could change
        # every one of them. Services are read by other calls and stay decidable.
        failed = _unread_tasks(account.gaps(region.region), cluster_arn)
        if failed is not None:
            workload.tasks_unread = f"tasks of {workload.cluster_name} not all read: {failed.describe()}"
            workload.unresolved.append(workload.tasks_unread)
        yield _complete(workload, baseline)


TASK_READS = ("ecs:ListTasks", "ecs:DescribeTasks")


def _unread_tasks(gaps: Gaps, cluster_arn: str) -> CollectionErrorRecord | None:
    """The failed ListTasks/DescribeTasks call that may have left tasks of `cluster_arn` unread: one on the
    cluster, one of the whole region (no resource id), or one on a task of the cluster (DescribeTasks
    reports failures per task ARN; a task ARN of the old format, without the cluster, may be any one's)."""
    partition_account, _, cluster_name = cluster_arn.partition(":cluster/")
    task_prefix = f"{partition_account}:task/"
    for error in gaps.errors:
        if error.action not in TASK_READS:
            continue
        resource = error.resource_id
        if resource is None or resource == cluster_arn:
            return error
        if resource.startswith(task_prefix):
            path = resource.removeprefix(task_prefix).split("/")
            if len(path) == 1 or path[0] == cluster_name:
                return error
    return None


def _complete(workload: Workload, baseline: tuple[str, ...]) -> Workload:
    region, gaps = workload.inventory, workload.gaps
    for subnet_id in workload.subnet_ids:
        # A subnet that could not be read is unknown only to the checks that read subnets (they raise
        # MissingData); one that is simply gone leaves the whole workload undecidable.
        if subnet_id not in region.subnet_by_id and gaps.for_id("ec2:DescribeSubnets", subnet_id) is None:
            workload.unresolved.append(f"subnet {subnet_id} not in inventory")
    # Security groups are read by the security group checks alone, which report a missing one.
    task_definition = workload.task_definition
    if task_definition is None:
        failed = gaps.for_id("ecs:DescribeTaskDefinition", workload.task_definition_arn)
        if failed is not None:
            why = f"task definition {workload.task_definition_arn} could not be read: {failed.describe()}"
        else:
            why = f"task definition {workload.task_definition_arn} not in inventory"
        workload.definition_unknown = why
        return workload
    workload.execution_role = task_definition.execution_role_arn
    workload.needs = derive_needs(
        task_definition,
        workload.region,
        baseline,
        workload.exec_enabled,
        workload.account_inventory.bucket_region,
    )
    workload.images = [
        ContainerImage(c.name, parse_image(c.image, workload.region)) for c in task_definition.container_definitions
    ]
    return workload


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
