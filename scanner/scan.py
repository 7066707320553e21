"""scan(config) -> ScanResult: inventory (live, file or demo) -> rules -> results."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from scanner import __version__
from scanner.config import ScanConfig
from scanner.engine.evaluate import build_context, evaluate_in
from scanner.engine.loader import Rule, load_rules
from scanner.errors import UsageError, stage
from scanner.inventory.root import Inventory, load_inventory
from scanner.results import (
    RuleInfo,
    ScanInfo,
    ScanResult,
    ToolInfo,
    summarise,
)
from scanner.summaries import vpc_summaries, workload_summaries

if TYPE_CHECKING:
    from scanner.collect.deadline import Deadline

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


def obtain_inventory(
    config: ScanConfig, progress: Callable[[str], None] | None = None, deadline: Deadline | None = None
) -> Inventory:
    if config.demo:
        from scanner.demo import demo_inventory

        return demo_inventory()
    if config.inventory_path is not None:
        return load_inventory(config.inventory_path)
    from scanner.collect import collect_account
    from scanner.collect.deadline import Deadline

    return collect_account(
        config.profile,
        config.regions,
        all_regions=config.all_regions,
        progress=progress,
        deadline=deadline or Deadline.after(config.timeout),
    )


def scan(config: ScanConfig, progress: Callable[[str], None] | None = None) -> ScanResult:
    if config.verify_live and (config.demo or config.inventory_path is not None):
        raise UsageError("--verify-live needs a live scan (not --demo or --inventory)")
    with stage("loading rules"):
        rules = select_rules(load_rules(config.all_rule_dirs), config.select, config.ignore)
    started = datetime.now(UTC)
    deadline = _live_deadline(config)
    with stage("collecting"):
        inventory = obtain_inventory(config, progress, deadline)
    if config.verify_live:
        from scanner.collect.simulate import verify_live

        with stage("verifying live (--verify-live)"):
            inventory = verify_live(inventory, config.profile, progress, deadline)
    with stage("evaluating"):
        return evaluate_inventory(rules, inventory, config, started)


def _live_deadline(config: ScanConfig) -> Deadline | None:
    """One --timeout budget for a live scan's collection and its live simulations."""
    if config.demo or config.inventory_path is not None:
        return None
    from scanner.collect.deadline import Deadline

    return Deadline.after(config.timeout)


def evaluate_inventory(
    rules: list[Rule], inventory: Inventory, config: ScanConfig, started: datetime | None = None
) -> ScanResult:
    started = started or datetime.now(UTC)
    context = build_context(inventory, config.params, config.baseline)
    results = evaluate_in(rules, context)
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
        workloads=workload_summaries(context),
        vpcs=vpc_summaries(context),
    )
