"""The derived workload view: each Fargate service (or standalone task family) with its network path.

A workload is an ACTIVE ECS service on Fargate with awsvpc networking, or a group of standalone Fargate
tasks of one task definition family. References that cannot be resolved in the inventory (a subnet, a
task definition) are kept in `unresolved`, so rules that need them report ERROR instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from scanner.inventory.ecs import Cluster, Service, Task, TaskDefinition
from scanner.inventory.gaps import Gaps, MissingData
from scanner.inventory.images import ImageRef, parse_image
from scanner.inventory.needs import Need, derive_needs
from scanner.inventory.network import RouteTable, SecurityGroup, Subnet, Vpc
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory
from scanner.results import CollectionErrorRecord

if TYPE_CHECKING:
    from scanner.inventory.endpoint_use import WorkloadNeed

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
