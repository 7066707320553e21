"""What renderers show of the inventory beside the results: per workload (HTML cards and diagrams) and
per VPC (the NAT-versus-endpoints cost panel). Derived once, after evaluation, from the scan context."""

from __future__ import annotations

from scanner.engine.subjects import ScanContext
from scanner.results import (
    EndpointSummary,
    NatGatewaySummary,
    NeedSummary,
    SubnetSummary,
    VpcSummary,
    WorkloadSummary,
)


def workload_summaries(context: ScanContext) -> list[WorkloadSummary]:
    summaries = []
    for w in context.workloads:
        # What was collected: a summary shows data, it never decides (a failed call leaves gaps here).
        tables = w.listed_route_tables
        summaries.append(
            WorkloadSummary(
                arn=w.arn,
                name=w.name,
                kind=w.kind,
                account=w.account,
                region=w.region,
                cluster_arn=w.cluster_arn,
                vpc_id=w.vpc_id_or_none(),
                subnets=[
                    SubnetSummary(
                        subnet_id=s.subnet_id,
                        availability_zone=s.availability_zone,
                        cidr_block=str(s.cidr_block),
                        route_table_id=tables.get(s.subnet_id),
                    )
                    for s in w.listed_subnets
                ],
                security_group_ids=w.security_group_ids,
                assign_public_ip=w.public_ip_setting,
                task_definition_arn=w.task_definition_arn,
                execution_role=w.execution_role,
                needs=[
                    NeedSummary(
                        service=b.need.service,
                        service_name=b.need.service_name,
                        recommended=b.need.recommended,
                        endpoint_id=b.endpoint.vpc_endpoint_id if b.endpoint else None,
                        endpoint_type=b.endpoint.vpc_endpoint_type if b.endpoint else None,
                        endpoint_azs=sorted(
                            {
                                w.inventory.subnet_by_id[s].availability_zone
                                for s in (b.endpoint.subnet_ids if b.endpoint else [])
                                if s in w.inventory.subnet_by_id
                            }
                        ),
                    )
                    for b in w.bound
                ],
            )
        )
    return summaries


def vpc_summaries(context: ScanContext) -> list[VpcSummary]:
    summaries = []
    for account in context.inventory.accounts:
        for region in account.regions:
            in_region = [w for w in context.workloads if w.region == region.region and w.account == account.account_id]
            for vpc in region.vpcs:
                workloads = [w for w in in_region if w.vpc_id_or_none() == vpc.vpc_id]
                if not workloads:
                    continue
                missing = sorted({b.need.service_name for w in workloads for b in w.bound if b.endpoint is None})
                subnets = region.subnet_by_id
                summaries.append(
                    VpcSummary(
                        account=account.account_id,
                        region=region.region,
                        vpc_id=vpc.vpc_id,
                        name=vpc.name_tag,
                        nat_gateways=[
                            NatGatewaySummary(
                                nat_gateway_id=n.nat_gateway_id,
                                subnet_id=n.subnet_id,
                                availability_zone=subnets[n.subnet_id].availability_zone
                                if n.subnet_id in subnets
                                else None,
                            )
                            for n in region.nat_gateways
                            if n.vpc_id == vpc.vpc_id and n.state in ("available", "pending")
                        ],
                        endpoints=[
                            EndpointSummary(
                                vpc_endpoint_id=e.vpc_endpoint_id,
                                service_name=e.service_name,
                                vpc_endpoint_type=e.vpc_endpoint_type,
                                availability_zones=sorted(
                                    {subnets[s].availability_zone for s in e.subnet_ids if s in subnets}
                                ),
                            )
                            for e in region.endpoints_by_vpc.get(vpc.vpc_id, [])
                        ],
                        workload_azs=sorted({s.availability_zone for w in workloads for s in w.listed_subnets}),
                        missing_services=missing,
                    )
                )
    return summaries
