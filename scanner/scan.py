"""scan(config) -> ScanResult: inventory (live, file or demo) -> rules -> results."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from scanner import __version__
from scanner.config import ScanConfig
from scanner.engine.evaluate import build_context, evaluate_rule
from scanner.engine.loader import Rule, load_rules
from scanner.engine.subjects import ScanContext
from scanner.errors import UsageError
from scanner.inventory.root import Inventory, load_inventory
from scanner.results import (
    EndpointSummary,
    NatGatewaySummary,
    NeedSummary,
    Result,
    RuleInfo,
    ScanInfo,
    ScanResult,
    SubnetSummary,
    ToolInfo,
    VpcSummary,
    WorkloadSummary,
    summarise,
)

HELP_URI = "https://github.com/vpce-scan/vpce-scan/blob/main/docs/rules.md#{anchor}"


def select_rules(rules: list[Rule], select: tuple[str, ...], ignore: tuple[str, ...]) -> list[Rule]:
    known = {r.id for r in rules}
    for rule_id in (*select, *ignore):
        if rule_id not in known:
            raise UsageError(f"unknown rule id '{rule_id}' in --select/--ignore; known: {', '.join(sorted(known))}")
    chosen = [r for r in rules if (not select or r.id in select) and r.id not in ignore]
    return chosen


def rule_info(rule: Rule) -> RuleInfo:
    spec = rule.spec
    return RuleInfo(
        id=spec.id,
        name=spec.name,
        title=spec.title,
        severity=spec.severity,
        rationale=spec.rationale,
        remediation=spec.remediation,
        references=spec.references,
        tags=spec.tags,
        help_uri=HELP_URI.format(anchor=f"{spec.id.lower()}-{spec.name}"),
    )


def obtain_inventory(config: ScanConfig, progress: Callable[[str], None] | None = None) -> Inventory:
    if config.demo:
        from scanner.demo import demo_inventory

        return demo_inventory()
    if config.inventory_path is not None:
        return load_inventory(config.inventory_path)
    from scanner.collect import collect_account

    return collect_account(config.profile, config.regions, all_regions=config.all_regions, progress=progress)


def scan(config: ScanConfig, progress: Callable[[str], None] | None = None) -> ScanResult:
    if config.verify_live and (config.demo or config.inventory_path is not None):
        raise UsageError("--verify-live needs a live scan (not --demo or --inventory)")
    rules = select_rules(load_rules(config.all_rule_dirs), config.select, config.ignore)
    started = datetime.now(UTC)
    inventory = obtain_inventory(config, progress)
    if config.verify_live:
        from scanner.collect.simulate import verify_live

        inventory = verify_live(inventory, config.profile, progress)
    return evaluate_inventory(rules, inventory, config, started)


def evaluate_inventory(
    rules: list[Rule], inventory: Inventory, config: ScanConfig, started: datetime | None = None
) -> ScanResult:
    started = started or datetime.now(UTC)
    context = build_context(inventory, config.params, config.baseline)
    results: list[Result] = []
    for rule in rules:
        results.extend(evaluate_rule(rule, context))
    errors = inventory.errors
    return ScanResult(
        tool=ToolInfo(version=__version__),
        scan=ScanInfo(
            accounts=[a.account_id for a in inventory.accounts],
            regions=inventory.regions,
            started_at=started,
            finished_at=datetime.now(UTC),
            source=inventory.source,
            errors=errors,
        ),
        rules=[rule_info(r) for r in rules],
        results=results,
        summary=summarise(results, errors),
        workloads=_workload_summaries(context),
        vpcs=_vpc_summaries(context),
    )


def _workload_summaries(context: ScanContext) -> list[WorkloadSummary]:
    summaries = []
    for w in context.workloads:
        tables = {p.subnet.subnet_id: p.route_table.route_table_id if p.route_table else None for p in w.subnet_paths}
        summaries.append(
            WorkloadSummary(
                arn=w.arn,
                name=w.name,
                kind=w.kind,
                account=w.account,
                region=w.region,
                cluster_arn=w.cluster_arn,
                vpc_id=w.vpc_id,
                subnets=[
                    SubnetSummary(
                        subnet_id=s.subnet_id,
                        availability_zone=s.availability_zone,
                        cidr_block=str(s.cidr_block),
                        route_table_id=tables.get(s.subnet_id),
                    )
                    for s in w.subnets
                ],
                security_group_ids=w.security_group_ids,
                assign_public_ip=w.assign_public_ip,
                task_definition_arn=w.task_definition_arn,
                execution_role=w.execution_role,
                needs=[
                    NeedSummary(
                        service=b.need.service,
                        service_name=b.need.service_name,
                        recommended=b.need.recommended,
                        endpoint_id=b.endpoint.vpc_endpoint_id if b.endpoint else None,
                        endpoint_type=b.endpoint.vpc_endpoint_type if b.endpoint else None,
                        endpoint_azs=b.endpoint_azs,
                    )
                    for b in w.bound_needs
                ],
            )
        )
    return summaries


def _vpc_summaries(context: ScanContext) -> list[VpcSummary]:
    summaries = []
    for account in context.inventory.accounts:
        for region in account.regions:
            in_region = [w for w in context.workloads if w.region == region.region and w.account == account.account_id]
            for vpc in region.vpcs:
                workloads = [w for w in in_region if w.vpc_id == vpc.vpc_id]
                if not workloads:
                    continue
                missing = sorted({b.need.service_name for w in workloads for b in w.bound_needs if b.endpoint is None})
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
                        workload_azs=sorted({az for w in workloads for az in w.availability_zones}),
                        missing_services=missing,
                    )
                )
    return summaries
