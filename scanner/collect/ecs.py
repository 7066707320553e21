"""ECS: clusters, services, standalone tasks and the task definitions of Fargate workloads.

Requests are batched as far as the API allows: DescribeClusters and DescribeTasks take 100 ARNs,
DescribeServices 10. Every status is kept (the workload view filters ACTIVE services and Fargate tasks);
task definitions are fetched once each, only for what the view can use: ACTIVE Fargate services and
standalone Fargate tasks. ListTasks keeps its default (desired status RUNNING): stopped tasks are history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from scanner.collect.calls import CallContext, M, chunks, counted
from scanner.inventory.ecs import Cluster, Service, Task, TaskDefinition
from scanner.inventory.workloads import is_fargate_workload, is_standalone_fargate

if TYPE_CHECKING:
    from types_boto3_ecs import ECSClient
    from types_boto3_ecs.type_defs import FailureTypeDef

SERVICE = "ecs"

ACTIONS = [
    "ecs:DescribeClusters",
    "ecs:DescribeServices",
    "ecs:DescribeTaskDefinition",
    "ecs:DescribeTasks",
    "ecs:ListClusters",
    "ecs:ListServices",
    "ecs:ListTasks",
]

LIST_PAGE = 100  # ListClusters / ListServices / ListTasks maxResults
DESCRIBE_CLUSTERS_BATCH = 100
DESCRIBE_SERVICES_BATCH = 10
DESCRIBE_TASKS_BATCH = 100


@dataclass
class Ecs:
    clusters: list[Cluster] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    tasks: list[Task] = field(default_factory=list)
    task_definitions: list[TaskDefinition] = field(default_factory=list)

    def workload_subnet_ids(self) -> set[str]:
        """Subnets of ACTIVE Fargate services and standalone Fargate tasks."""
        by_arn = {c.cluster_arn: c for c in self.clusters}
        subnets: set[str] = set()
        for service in self.services:
            if is_fargate_workload(service, by_arn.get(service.cluster_arn)):
                awsvpc = service.network_configuration.awsvpc_configuration if service.network_configuration else None
                subnets.update(awsvpc.subnets if awsvpc else [])
        for task in self.tasks:
            subnet_id = task.eni_detail("subnetId")
            if is_standalone_fargate(task) and subnet_id:
                subnets.add(subnet_id)
        return subnets

    def standalone_eni_ids(self) -> list[str]:
        """ENIs of standalone Fargate tasks: their security groups are only on the ENI."""
        ids = (task.eni_detail("networkInterfaceId") for task in self.tasks if is_standalone_fargate(task))
        return sorted({eni for eni in ids if eni})


def collect_ecs(ctx: CallContext, ecs: ECSClient) -> Ecs:
    result = Ecs()
    ctx.stage(SERVICE, "ListClusters")
    pages = ctx.pages(
        SERVICE,
        "ListClusters",
        ecs.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": LIST_PAGE}),
    )
    cluster_arns = [arn for page in pages for arn in page.get("clusterArns", [])]
    if not cluster_arns:
        return result
    result.clusters = _describe_clusters(ctx, ecs, cluster_arns)
    inactive = {c.cluster_arn for c in result.clusters if c.status == "INACTIVE"}
    for cluster_arn in cluster_arns:
        if cluster_arn in inactive:
            continue
        result.services += _services(ctx, ecs, cluster_arn)
        result.tasks += _tasks(ctx, ecs, cluster_arn)
    result.task_definitions = _task_definitions(ctx, ecs, _workload_task_definitions(result))
    return result


def _describe_clusters(ctx: CallContext, ecs: ECSClient, cluster_arns: list[str]) -> list[Cluster]:
    ctx.stage(SERVICE, "DescribeClusters", counted(cluster_arns, "cluster"))
    clusters: list[Cluster] = []
    for batch in chunks(cluster_arns, DESCRIBE_CLUSTERS_BATCH):
        response = ctx.call(SERVICE, "DescribeClusters", partial(ecs.describe_clusters, clusters=batch))
        if response is None:
            continue
        _record_failures(ctx, "DescribeClusters", response.get("failures", []))
        clusters += ctx.parse(
            Cluster,
            response.get("clusters", []),
            service=SERVICE,
            operation="DescribeClusters",
            id_key="clusterArn",
        )
    return clusters


def _services(ctx: CallContext, ecs: ECSClient, cluster_arn: str) -> list[Service]:
    return _list_and_describe(
        ctx,
        cluster_arn,
        listing=("ListServices", ecs.get_paginator("list_services"), "serviceArns", "service"),
        describing=("DescribeServices", partial(ecs.describe_services, cluster=cluster_arn), "services"),
        batch_size=DESCRIBE_SERVICES_BATCH,
        model=Service,
        id_key="serviceArn",
    )


def _tasks(ctx: CallContext, ecs: ECSClient, cluster_arn: str) -> list[Task]:
    return _list_and_describe(
        ctx,
        cluster_arn,
        listing=("ListTasks", ecs.get_paginator("list_tasks"), "taskArns", "task"),
        describing=("DescribeTasks", partial(ecs.describe_tasks, cluster=cluster_arn), "tasks"),
        batch_size=DESCRIBE_TASKS_BATCH,
        model=Task,
        id_key="taskArn",
    )


def _list_and_describe(
    ctx: CallContext,
    cluster_arn: str,
    *,
    listing: tuple[str, Any, str, str],
    describing: tuple[str, Callable[..., Any], str],
    batch_size: int,
    model: type[M],
    id_key: str,
) -> list[M]:
    """List the ARNs of one cluster (paginated), then describe them in the largest batches the API takes.
    `listing` is (operation, paginator, ARN key, noun); `describing` is (operation, call, item key), where
    the item key (`services`, `tasks`) is also the name of the call's ARN-list argument."""
    list_operation, paginator, arns_key, noun = listing
    describe_operation, describe, items_key = describing
    name = cluster_arn.rsplit("/", 1)[-1]
    ctx.stage(SERVICE, list_operation, name)
    pages = ctx.pages(
        SERVICE,
        list_operation,
        paginator.paginate(cluster=cluster_arn, PaginationConfig={"PageSize": LIST_PAGE}),
        resource_id=cluster_arn,
    )
    arns = [arn for page in pages for arn in page.get(arns_key, [])]
    if arns:
        ctx.stage(SERVICE, describe_operation, f"{name}: {counted(arns, noun)}")
    described: list[M] = []
    for batch in chunks(arns, batch_size):
        response = ctx.call(
            SERVICE, describe_operation, partial(describe, **{items_key: batch}), resource_id=cluster_arn
        )
        if response is None:
            continue
        _record_failures(ctx, describe_operation, response.get("failures", []))
        described += ctx.parse(
            model, response.get(items_key, []), service=SERVICE, operation=describe_operation, id_key=id_key
        )
    return described


def _workload_task_definitions(ecs: Ecs) -> list[str]:
    clusters = {c.cluster_arn: c for c in ecs.clusters}
    arns = [s.task_definition for s in ecs.services if is_fargate_workload(s, clusters.get(s.cluster_arn))]
    arns += [t.task_definition_arn for t in ecs.tasks if is_standalone_fargate(t)]
    return list(dict.fromkeys(arns))


def _task_definitions(ctx: CallContext, ecs: ECSClient, arns: list[str]) -> list[TaskDefinition]:
    if not arns:
        return []
    ctx.stage(SERVICE, "DescribeTaskDefinition", counted(arns, "task definition"))
    definitions: list[TaskDefinition] = []
    for arn in arns:
        response = ctx.call(
            SERVICE,
            "DescribeTaskDefinition",
            partial(ecs.describe_task_definition, taskDefinition=arn),
            resource_id=arn,
        )
        if response is not None and "taskDefinition" in response:
            definitions += ctx.parse(
                TaskDefinition,
                [response["taskDefinition"]],
                service=SERVICE,
                operation="DescribeTaskDefinition",
                id_key="taskDefinitionArn",
            )
    return definitions


def _record_failures(ctx: CallContext, operation: str, failures: list[FailureTypeDef]) -> None:
    """Describe* report per-ARN failures in the body. MISSING means deleted since it was listed: the
    resource is simply gone. Anything else is a failure to read it."""
    for failure in failures:
        reason = failure.get("reason", "")
        if reason != "MISSING":
            ctx.record(SERVICE, operation, reason or "Failure", failure.get("detail", ""), failure.get("arn"))
