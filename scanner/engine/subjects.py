"""Subject types: what a rule's `resource:` names. Each type enumerates its subjects from the scan
context, gives their identity (for results) and the template variables their messages may use."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from functools import partial

from scanner.engine.commands import Arguments, TemplateValue
from scanner.inventory.endpoint_use import EndpointInUse, WorkloadNeed
from scanner.inventory.gaps import MissingData
from scanner.inventory.images import ImageRef
from scanner.inventory.network import SecurityGroup, Subnet, Vpc, VpcEndpoint
from scanner.inventory.root import Inventory
from scanner.inventory.workloads import Workload

WORKLOAD_ACTIONS = (
    "ecs:ListClusters",
    "ecs:DescribeClusters",
    "ecs:ListServices",
    "ecs:DescribeServices",
    "ecs:ListTasks",
    "ecs:DescribeTasks",
)
# Failures of these on one of a workload's own resources (a subnet id) leave it undecided. The task
# definition and the task ENIs are judged where they are read (Workload.require_definition, .require_interfaces).
WORKLOAD_DATA_ACTIONS = ("ec2:DescribeSubnets",)


@dataclass(frozen=True)
class WorkloadImage:
    workload: Workload
    container: str
    ref: ImageRef


class Vars(MutableMapping[str, TemplateValue]):
    """Template variables: plain values, plus values computed only when a template asks for them
    (a passing result renders one short sentence; most variables serve only the fixes of FAILs).
    A value is a string, or `Arguments` when it stands for several shell arguments (a fix command
    quotes each; scanner.engine.commands.ARGUMENT_LISTS names them)."""

    def __init__(
        self,
        values: Mapping[str, TemplateValue] | None = None,
        lazy: Mapping[str, Callable[[], TemplateValue]] | None = None,
    ):
        self._values = dict(values or {})
        self._lazy = dict(lazy or {})

    def __getitem__(self, key: str) -> TemplateValue:
        if key not in self._values:
            if key not in self._lazy:
                raise KeyError(key)
            try:
                self._values[key] = self._lazy.pop(key)()
            except MissingData:
                # Only FAIL and PASS render templates, and a verdict never rests on unknown data: this
                # value serves a hint (a spare subnet, a free CIDR) that a failed call left unknown.
                self._values[key] = f"<{key} unknown>"
        return self._values[key]

    def set_lazy(self, key: str, compute: Callable[[], TemplateValue]) -> None:
        self._values.pop(key, None)
        self._lazy[key] = compute

    def __setitem__(self, key: str, value: TemplateValue) -> None:
        self._values[key] = value
        self._lazy.pop(key, None)

    def __delitem__(self, key: str) -> None:
        if key in self._values:
            del self._values[key]
        else:
            del self._lazy[key]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._values, *self._lazy])

    def __len__(self) -> int:
        return len(self._values) + len(self._lazy)


@dataclass
class SubjectInfo:
    account: str
    region: str
    resource_arn: str
    resource_id: str
    resource_type: str
    workload: str | None
    qualifier: str
    vars: Vars
    # Ids whose resource-scoped collection errors concern this subject.
    related_ids: set[str] = field(default_factory=set)
    # Data the derivation could not resolve: the rule reports ERROR.
    unresolved: list[str] = field(default_factory=list)
    # Data a failed call left unknown for this subject (its endpoint, whether it is in use at all): the
    # rule reports ERROR unless its `where` excludes the subject.
    missing: list[str] = field(default_factory=list)


@dataclass
class ScanContext:
    inventory: Inventory
    workloads: list[Workload]
    needs: list[WorkloadNeed]
    endpoints: list[EndpointInUse]
    params: dict[str, object]


@dataclass(frozen=True)
class SubjectType:
    name: str
    root: type
    enumerate: Callable[[ScanContext], Iterator[tuple[object, SubjectInfo]]]
    # Failures of these actions leave the subject list itself incomplete in a region.
    enumeration_requires: tuple[str, ...]
    # Failures of these leave one subject's data incomplete.
    requires: tuple[str, ...] = ()


def _arn(partition: str, service: str, region: str, account: str, resource: str) -> str:
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


# The AWS CLI's shorthand syntax reads `,` `[` `]` `{` `}` `=` and quotes as structure, so an id holding
# one could add or change a setting (`subnet-1],assignPublicIp=ENABLED`): such ids are written as JSON.
_SHORTHAND_ID = re.compile(r"[A-Za-z0-9._:/@+-]+")


def _network_configuration(subnets: Sequence[str], groups: Sequence[str]) -> str:
    """`--network-configuration` for these subnets and groups without a public IP: shorthand, as the
    ECS documentation writes it, when every id allows; JSON otherwise."""
    if all(_SHORTHAND_ID.fullmatch(i) for i in (*subnets, *groups)):
        listed = f"subnets=[{','.join(subnets)}],securityGroups=[{','.join(groups)}]"
        return f"awsvpcConfiguration={{{listed},assignPublicIp=DISABLED}}"
    awsvpc = {"subnets": list(subnets), "securityGroups": list(groups), "assignPublicIp": "DISABLED"}
    return json.dumps({"awsvpcConfiguration": awsvpc}, separators=(",", ":"))


def _one_subnet_per_az(subnets: list[Subnet]) -> list[str]:
    chosen: dict[str, str] = {}
    for subnet in subnets:
        chosen.setdefault(subnet.availability_zone, subnet.subnet_id)
    return [chosen[az] for az in sorted(chosen)]


def workload_vars(w: Workload) -> Vars:
    groups = w.security_group_ids
    values: dict[str, TemplateValue] = {
        "account": w.account,
        "region": w.region,
        "partition": w.partition,
        "workload_name": w.name,
        "workload_arn": w.arn,
        "workload_kind": w.kind,
        "cluster": w.cluster_name,
        "cluster_arn": w.cluster_arn,
        "subnet_ids": Arguments(tuple(w.subnet_ids)),
        "security_group_ids": Arguments(tuple(groups)),
        "security_group_id": groups[0] if groups else "",
        "task_definition_arn": w.task_definition_arn,
        "execution_role": w.execution_role or "",
        "security_group_ids_csv": ",".join(groups),
        "subnet_ids_csv": ",".join(w.subnet_ids),
    }
    lazy: dict[str, Callable[[], TemplateValue]] = {
        "vpc_id": lambda: w.vpc_id or "",
        "assign_public_ip": lambda: w.assign_public_ip,
        "subnet_ids_one_per_az": lambda: Arguments(tuple(_one_subnet_per_az(w.subnets))),
        "availability_zones": lambda: Arguments(tuple(w.availability_zones)),
        "network_configuration": lambda: _network_configuration(w.subnet_ids, groups),
        "network_configuration_with_spare": lambda: _network_configuration(
            [*w.subnet_ids, *w.spare_subnet_ids[:1]], groups
        ),
        "route_table_ids": lambda: Arguments(tuple(w.route_table_ids or [])),
        "spare_subnet_id": lambda: next(iter(w.spare_subnet_ids), ""),
        "subnet_ids_with_spare": lambda: ",".join([*w.subnet_ids, *w.spare_subnet_ids[:1]]),
        "free_cidr": lambda: w.free_cidr or f"<a free CIDR block of {w.vpc_id or 'the VPC'}>",
        "other_az": lambda: w.other_az or f"<an AZ of {w.region} other than {' '.join(w.availability_zones)}>",
        "first_route_table_id": lambda: next(
            iter(w.route_table_ids or []), "<the route table of the workload's subnets>"
        ),
    }
    return Vars(values, lazy)


def _workload_related(w: Workload) -> set[str]:
    related = {w.arn, w.task_definition_arn, w.cluster_arn, *w.subnet_ids, *w.security_group_ids}
    if w.execution_role:
        # Errors are recorded against the role as written, its ARN or its bare name.
        related.update({w.execution_role, w.execution_role.rsplit("/", 1)[-1]})
    vpc_id = w.vpc_id_or_none()
    if vpc_id:
        related.add(vpc_id)
    return related


def _workload_info(w: Workload) -> SubjectInfo:
    return SubjectInfo(
        account=w.account,
        region=w.region,
        resource_arn=w.arn,
        resource_id=w.id,
        resource_type="ecs_service" if w.kind == "service" else "ecs_task_family",
        workload=w.arn,
        qualifier="",
        vars=workload_vars(w),
        related_ids=_workload_related(w),
        unresolved=list(w.unresolved),
    )


def _workloads(ctx: ScanContext) -> Iterator[tuple[object, SubjectInfo]]:
    for w in ctx.workloads:
        yield w, _workload_info(w)


def _undecidable(ctx: ScanContext, what: str) -> Iterator[tuple[object, SubjectInfo]]:
    """Workloads whose needs or images cannot be derived (task definition unknown): one ERROR each."""
    for w in ctx.workloads:
        if w.definition_unknown is not None:
            info = _workload_info(w)
            info.qualifier = f"{w.id}/{what}"
            info.unresolved.append(w.definition_unknown)
            yield w, info


def _workload_needs(ctx: ScanContext) -> Iterator[tuple[object, SubjectInfo]]:
    yield from _undecidable(ctx, "needs")
    for bound in ctx.needs:
        w, need, endpoint = bound.workload, bound.need, bound.endpoint
        info = _workload_info(w)
        info.qualifier = f"{w.id}/{need.service}"
        if need.region and need.region != w.region:
            # The same service may be needed in the workload's region and in another (an environment file
            # in a bucket of another region, next to the ECR pulls through this region's S3 endpoint).
            info.qualifier += f"@{need.region}"
        if endpoint is not None:
            info.resource_arn = _arn(
                w.partition, "ec2", w.region, w.account, f"vpc-endpoint/{endpoint.vpc_endpoint_id}"
            )
            info.resource_id = endpoint.vpc_endpoint_id
            info.resource_type = "vpc_endpoint"
            info.related_ids.add(endpoint.vpc_endpoint_id)
        elif vpc_id := w.vpc_id_or_none():
            info.resource_arn = _arn(w.partition, "ec2", w.region, w.account, f"vpc/{vpc_id}")
            info.resource_id = vpc_id
            info.resource_type = "vpc"
        if bound.unknown_endpoint is not None:
            info.missing.append(bound.unknown_endpoint)
        endpoint_groups = endpoint.security_group_ids if endpoint else []
        info.vars.set_lazy("endpoint_azs", partial(_need_azs, bound))
        info.vars.update(
            {
                "service": need.service,
                "service_name": need.service_name,
                "endpoint_type": need.preferred_type,
                "endpoint_id": endpoint.vpc_endpoint_id if endpoint else "",
                "endpoint_state": endpoint.state if endpoint else "",
                "endpoint_security_group_ids": Arguments(tuple(endpoint_groups)),
                "endpoint_security_group_id": endpoint_groups[0] if endpoint_groups else "",
                "candidates": " ".join(
                    f"{c.vpc_endpoint_id}({c.vpc_endpoint_type},{c.state})" for c in bound.candidates
                ),
                "need_reasons": "; ".join(need.reasons),
            }
        )
        yield bound, info


def _need_azs(bound: WorkloadNeed) -> Arguments:
    return Arguments(tuple(bound.endpoint_azs))


def _used_azs(used: EndpointInUse) -> Arguments:
    return Arguments(tuple(used.endpoint_azs))


def _endpoints_in_use(ctx: ScanContext) -> Iterator[tuple[object, SubjectInfo]]:
    for used in ctx.endpoints:
        endpoint, account = used.endpoint, used.account_inventory
        region = used.inventory.region
        workloads = used.workloads
        groups = endpoint.security_group_ids
        info = SubjectInfo(
            account=account.account_id,
            region=region,
            resource_arn=_arn(
                account.partition, "ec2", region, account.account_id, f"vpc-endpoint/{endpoint.vpc_endpoint_id}"
            ),
            resource_id=endpoint.vpc_endpoint_id,
            resource_type="vpc_endpoint",
            workload=workloads[0].arn if len(workloads) == 1 else None,
            qualifier="",
            vars=Vars(
                {
                    "account": account.account_id,
                    "region": region,
                    "partition": account.partition,
                    "vpc_id": endpoint.vpc_id,
                    "endpoint_id": endpoint.vpc_endpoint_id,
                    "service_name": endpoint.service_name,
                    "endpoint_type": endpoint.vpc_endpoint_type,
                    "endpoint_security_group_ids": Arguments(tuple(groups)),
                    "workload_names": ", ".join(w.name for w in workloads),
                },
                {"endpoint_azs": partial(_used_azs, used)},
            ),
            related_ids={
                endpoint.vpc_endpoint_id,
                endpoint.vpc_id,
                *groups,
                *(i for w in workloads for i in _workload_related(w)),
            },
            unresolved=[u for w in workloads for u in w.unresolved],
            # Only workloads with unknown data may use it: whether it is in use at all is unknown.
            missing=[] if workloads else list(used.undecided),
        )
        yield used, info


def _workload_images(ctx: ScanContext) -> Iterator[tuple[object, SubjectInfo]]:
    yield from _undecidable(ctx, "images")
    for w in ctx.workloads:
        for image in w.images:
            info = _workload_info(w)
            info.qualifier = f"{w.id}/{image.container}"
            ref = image.ref
            repository = ref.repository
            prefix = {"docker_hub": "docker-hub", "ecr_public": "ecr-public"}.get(ref.source, "mirror")
            if ref.source == "docker_hub" and "/" not in repository:
                repository = f"library/{repository}"
            private_repository = repository if ref.source == "ecr_other_region" else f"{prefix}/{repository}"
            info.vars.update(
                {
                    "container": image.container,
                    "image": ref.image,
                    "image_source": ref.source,
                    "image_registry": ref.registry,
                    "image_repository": repository,
                    "image_region": ref.region or "",
                    "image_account": ref.account or "",
                    "cache_prefix": prefix,
                    "private_image": (
                        f"{w.account}.dkr.ecr.{w.region}.amazonaws.com/{private_repository}{ref.reference}"
                    ),
                    "replication_configuration": _replication_configuration(w, repository),
                }
            )
            yield WorkloadImage(w, image.container, ref), info


def _replication_configuration(w: Workload, repository: str) -> str:
    """ECR replication of `repository` into the workload's region, as JSON built here (not in the
    template) so that any repository name stays a valid JSON string."""
    destination = {"region": w.region, "registryId": w.account}
    repository_filter = {"filter": repository, "filterType": "PREFIX_MATCH"}
    rules = [{"destinations": [destination], "repositoryFilters": [repository_filter]}]
    return json.dumps({"rules": rules}, separators=(",", ":"))


# Raw resource subjects: kind -> (RegionInventory list, id attribute).
_RAW_RESOURCES = {
    "vpc": ("vpcs", "vpc_id"),
    "vpc_endpoint": ("vpc_endpoints", "vpc_endpoint_id"),
    "security_group": ("security_groups", "group_id"),
    "subnet": ("subnets", "subnet_id"),
}


def _regional(ctx: ScanContext, kind: str) -> Iterator[tuple[object, SubjectInfo]]:
    listing, id_attribute = _RAW_RESOURCES[kind]
    arn_type = kind.replace("_", "-")
    for account in ctx.inventory.accounts:
        for region in account.regions:
            for item in getattr(region, listing):
                resource_id: str = getattr(item, id_attribute)
                arn = _arn(account.partition, "ec2", region.region, account.account_id, f"{arn_type}/{resource_id}")
                values: dict[str, TemplateValue] = {
                    "account": account.account_id,
                    "region": region.region,
                    "partition": account.partition,
                    "resource_id": resource_id,
                }
                info = SubjectInfo(
                    account.account_id, region.region, arn, resource_id, kind, None, "", Vars(values), {resource_id}
                )
                yield item, info


def _raw(kind: str) -> Callable[[ScanContext], Iterator[tuple[object, SubjectInfo]]]:
    def enumerate_kind(ctx: ScanContext) -> Iterator[tuple[object, SubjectInfo]]:
        return _regional(ctx, kind)

    return enumerate_kind


SUBJECT_TYPES: dict[str, SubjectType] = {
    t.name: t
    for t in (
        SubjectType("workload", Workload, _workloads, WORKLOAD_ACTIONS, WORKLOAD_DATA_ACTIONS),
        SubjectType(
            "workload_need",
            WorkloadNeed,
            _workload_needs,
            (*WORKLOAD_ACTIONS, "ec2:DescribeVpcEndpoints"),
            WORKLOAD_DATA_ACTIONS,
        ),
        SubjectType(
            "endpoint_in_use",
            EndpointInUse,
            _endpoints_in_use,
            (*WORKLOAD_ACTIONS, "ec2:DescribeVpcEndpoints"),
            WORKLOAD_DATA_ACTIONS,
        ),
        SubjectType("workload_image", WorkloadImage, _workload_images, WORKLOAD_ACTIONS, WORKLOAD_DATA_ACTIONS),
        SubjectType("vpc", Vpc, _raw("vpc"), ("ec2:DescribeVpcs",)),
        SubjectType("vpc_endpoint", VpcEndpoint, _raw("vpc_endpoint"), ("ec2:DescribeVpcEndpoints",)),
        SubjectType("security_group", SecurityGroup, _raw("security_group"), ("ec2:DescribeSecurityGroups",)),
        SubjectType("subnet", Subnet, _raw("subnet"), ("ec2:DescribeSubnets",)),
    )
}

_WORKLOAD_VARS = (
    "account",
    "region",
    "partition",
    "workload_name",
    "workload_arn",
    "workload_kind",
    "cluster",
    "cluster_arn",
    "vpc_id",
    "subnet_ids",
    "subnet_ids_one_per_az",
    "availability_zones",
    "security_group_ids",
    "security_group_id",
    "assign_public_ip",
    "network_configuration",
    "network_configuration_with_spare",
    "task_definition_arn",
    "execution_role",
    "route_table_ids",
    "spare_subnet_id",
    "subnet_ids_with_spare",
    "free_cidr",
    "other_az",
    "security_group_ids_csv",
    "subnet_ids_csv",
    "first_route_table_id",
)
_NEED_VARS = (
    "service",
    "service_name",
    "endpoint_type",
    "endpoint_id",
    "endpoint_state",
    "endpoint_security_group_ids",
    "endpoint_security_group_id",
    "endpoint_azs",
    "candidates",
    "need_reasons",
)
_IMAGE_VARS = (
    "container",
    "image",
    "image_source",
    "image_registry",
    "image_repository",
    "image_region",
    "image_account",
    "cache_prefix",
    "private_image",
    "replication_configuration",
)
_RAW_VARS = ("account", "region", "partition", "resource_id")
_ENDPOINT_VARS = (
    "account",
    "region",
    "partition",
    "vpc_id",
    "endpoint_id",
    "service_name",
    "endpoint_type",
    "endpoint_security_group_ids",
    "endpoint_azs",
    "workload_names",
)

# The template variables a rule's messages and fixes may use, per subject type.
SUBJECT_VARS: dict[str, tuple[str, ...]] = {
    "workload": _WORKLOAD_VARS,
    "workload_need": _WORKLOAD_VARS + _NEED_VARS,
    "workload_image": _WORKLOAD_VARS + _IMAGE_VARS,
    "endpoint_in_use": _ENDPOINT_VARS,
    "vpc": _RAW_VARS,
    "vpc_endpoint": _RAW_VARS,
    "security_group": _RAW_VARS,
    "subnet": _RAW_VARS,
}
