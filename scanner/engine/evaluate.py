"""evaluate(rules, inventory) -> results: pure; one Result per (rule, subject)."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scanner.config import DEFAULT_PARAMS
from scanner.engine.checks import KINDS, CheckContext, Outcome, Verdict, run_check
from scanner.engine.checks.base import all_hold
from scanner.engine.commands import TemplateValue, render_command, render_text
from scanner.engine.loader import Rule, walk_checks
from scanner.engine.subjects import SUBJECT_TYPES, ScanContext, SubjectInfo, Vars
from scanner.inventory.endpoint_use import endpoints_in_use, workload_needs
from scanner.inventory.gaps import MissingData
from scanner.inventory.root import Inventory
from scanner.inventory.workloads import DEFAULT_BASELINE, derive_workloads
from scanner.results import CollectionErrorRecord, Result, Severity, Status


def build_context(
    inventory: Inventory,
    params: dict[str, object] | None = None,
    baseline: tuple[str, ...] = DEFAULT_BASELINE,
) -> ScanContext:
    workloads = derive_workloads(inventory, baseline)
    needs = workload_needs(workloads)
    merged = {**DEFAULT_PARAMS, **(params or {})}
    return ScanContext(inventory, workloads, needs, endpoints_in_use(needs, workloads), merged)


def evaluate(
    rules: Iterable[Rule],
    inventory: Inventory,
    params: dict[str, object] | None = None,
    baseline: tuple[str, ...] = DEFAULT_BASELINE,
) -> list[Result]:
    return evaluate_in(rules, build_context(inventory, params, baseline))


def evaluate_in(rules: Iterable[Rule], context: ScanContext) -> list[Result]:
    """Every rule over an already derived context (a scan keeps the context for its summaries)."""
    return [result for rule in rules for result in evaluate_rule(rule, context)]


def _required_actions(rule: Rule) -> set[str]:
    """The actions whose failure on one of a subject's own resources leaves that subject undecided.
    Listing actions are not among them: a failed listing is reported once (`_listing_errors`), and what
    it leaves unknown is found by the checks that read it (scanner/inventory/gaps.py)."""
    subject_type = SUBJECT_TYPES[rule.spec.resource]
    actions = set(subject_type.requires) | set(rule.spec.requires)
    for check, _ in walk_checks(rule.spec.check, ()):
        actions.update(KINDS[check.kind].requires)
    return actions - set(subject_type.enumeration_requires)


def _matching_errors(
    errors: list[CollectionErrorRecord], actions: set[str], info: SubjectInfo
) -> list[CollectionErrorRecord]:
    """Failed calls about one of the subject's own resources (its VPC's DNS attributes, its role)."""
    return [
        e
        for e in errors
        if e.resource_id is not None
        and e.resource_id in info.related_ids
        and e.account == info.account
        and e.region in (info.region, "global")
        and e.action in actions
    ]


def _with_errors(
    errors: list[CollectionErrorRecord], actions: set[str], info: SubjectInfo, reasons: list[str]
) -> list[str]:
    """The subject's own failed calls, then `reasons`; a failed call a reason already names is said once."""
    described = [e.describe() for e in _matching_errors(errors, actions, info)]
    return [d for d in described if not any(d in r for r in reasons)] + reasons


@dataclass(frozen=True)
class _Results:
    """Builds the Results of one rule."""

    rule: Rule

    def make(self, info: SubjectInfo, status: Status, message: str, severity: Severity, **extra: Any) -> Result:
        return Result(
            rule_id=self.rule.spec.id,
            rule_name=self.rule.spec.name,
            status=status,
            severity=severity,
            account=info.account,
            region=info.region,
            resource_arn=info.resource_arn,
            resource_id=info.resource_id,
            resource_type=info.resource_type,
            workload=info.workload,
            qualifier=info.qualifier,
            message=message,
            **extra,
        )

    def incomplete(self, info: SubjectInfo, severity: Severity, reasons: list[str]) -> Result:
        reasons = _unique(reasons)
        message = f"Incomplete data: {'; '.join(reasons)}."
        return self.make(info, Status.ERROR, message, severity, evidence={"incomplete": reasons})

    def from_outcome(self, info: SubjectInfo, outcome: Outcome, severity: Severity) -> Result:
        spec = self.rule.spec
        evidence = dict(outcome.evidence)
        if outcome.verdict is Verdict.PASS:
            return self.make(info, Status.PASS, render_text(spec.pass_message, info.vars), severity, evidence=evidence)
        reasons = _unique(outcome.reasons)
        if outcome.verdict is Verdict.ERROR:
            evidence["undetermined"] = reasons
            message = f"Could not decide: {'; '.join(reasons)}."
            return self.make(info, Status.ERROR, message, severity, evidence=evidence)
        messages: list[str] = []
        remediation: list[str] = []
        for problem in outcome.problems:
            values: ChainMap[str, TemplateValue] = ChainMap(problem.vars, info.vars)
            # Messages are sentences (each report escapes them); commands quote every value for the shell.
            messages.append(render_text(spec.messages[problem.code], values))
            for command in spec.fix.get(problem.code, []):
                rendered = render_command(command, values)
                if rendered not in remediation:
                    remediation.append(rendered)
        # A problem may carry its own severity (an egress-only route is low); the result takes the worst.
        worst = max((p.severity or severity for p in outcome.problems), key=lambda s: s.rank)
        message = messages[0] + (f" (and {len(messages) - 1} more)" if len(messages) > 1 else "")
        evidence["problems"] = messages
        if reasons:
            # What else could not be decided: the FAIL stands, other problems may hide behind these.
            evidence.setdefault("undetermined", reasons)
        return self.make(info, Status.FAIL, message, worst, evidence=evidence, remediation=remediation)


def _listing_errors(rule: Rule, context: ScanContext, results: _Results) -> list[Result]:
    """Subjects that could not be listed (a region, or one cluster's services): one ERROR each, never silence."""
    spec = rule.spec
    listing = SUBJECT_TYPES[spec.resource].enumeration_requires
    found: list[Result] = []
    for account in context.inventory.accounts:
        regions = {r.region for r in account.regions}
        for error in account.errors:
            if error.action not in listing or (error.region not in regions and error.region != "global"):
                continue
            scope = error.resource_id or f"region/{error.region}"
            arn = error.resource_id if error.resource_id and error.resource_id.startswith("arn:") else ""
            info = SubjectInfo(
                account.account_id,
                error.region,
                arn,
                scope,
                "region" if not arn else "ecs_cluster",
                None,
                error.action,
                Vars(),
            )
            message = f"{spec.id} could not list its subjects in {scope}: {error.describe()}."
            found.append(
                results.make(
                    info, Status.ERROR, message, spec.severity, evidence={"collection_errors": [error.describe()]}
                )
            )
    return found


def _severity(rule: Rule, subject: object, ctx: CheckContext) -> Severity:
    severity = rule.spec.severity
    for override in rule.spec.severity_when:
        if all_hold(override.when, subject, ctx):
            severity = override.severity
    return severity


def _proven_fail(rule: Rule, subject: object, ctx: CheckContext, applies: bool | None) -> Outcome | None:
    """The rule's FAIL on a subject some of whose data is missing, when the data that was read proves it;
    None when the verdict needs the missing data (whether the rule applies, is skipped, or how severe)."""
    spec = rule.spec
    if applies is not True:
        return None
    if spec.skip_when and all_hold(spec.skip_when, subject, ctx) is not False:
        return None
    if any(all_hold(o.when, subject, ctx) is None for o in spec.severity_when):
        return None
    outcome = run_check(spec.check, subject, ctx)
    return outcome if outcome.verdict is Verdict.FAIL else None


def _unique(reasons: list[str]) -> list[str]:
    """Each reason once, in order: several failed calls (one per VPC attribute) may read the same."""
    return list(dict.fromkeys(reasons))


def evaluate_rule(rule: Rule, context: ScanContext) -> list[Result]:
    spec = rule.spec
    actions = _required_actions(rule)
    errors = context.inventory.errors
    factory = _Results(rule)
    results = _listing_errors(rule, context, factory)
    for subject, info in SUBJECT_TYPES[spec.resource].enumerate(context):
        ctx = CheckContext(context.params, info.vars)
        severity = spec.severity
        try:
            # Unresolved references first: such a subject (a workload whose subnet is gone, the needs of
            # a workload without its task definition) cannot even be asked the rule's questions.
            if info.unresolved:
                results.append(factory.incomplete(info, severity, _with_errors(errors, actions, info, info.unresolved)))
                continue
            # A rule that definitely does not apply stays silent, whatever else is missing.
            applies = all_hold(spec.where, subject, ctx)
            if applies is False:
                continue
            # Then collection errors: without that data neither a skip nor a PASS can be trusted. A FAIL
            # proven on what was read stays a FAIL (checks read unknown values as unknown, never as a
            # pass or a fail), provided the rule surely applies and its skips and severities are decided.
            missing = _with_errors(errors, actions, info, info.missing)
            if missing:
                # `info.missing` says the subject itself is in doubt (which endpoint serves, whether the
                # endpoint is in use at all): then no FAIL of it is proven, whatever its own data shows.
                proven = None if info.missing else _proven_fail(rule, subject, ctx, applies)
                if proven is None:
                    results.append(factory.incomplete(info, severity, missing))
                else:
                    severity = _severity(rule, subject, ctx)
                    proven.reasons = missing + proven.reasons
                    results.append(factory.from_outcome(info, proven, severity))
                continue
            severity = _severity(rule, subject, ctx)
            # Then skips: a missing endpoint is VPCE001's finding.
            if spec.skip_when and all_hold(spec.skip_when, subject, ctx):
                results.append(factory.make(info, Status.SKIPPED, render_text(spec.skip_reason, info.vars), severity))
                continue
            if applies is None:
                paths = ", ".join(p.path for p in spec.where)
                message = f"{spec.id} cannot tell whether it applies: {paths} unknown."
                results.append(factory.make(info, Status.ERROR, message, severity))
                continue
            outcome = run_check(spec.check, subject, ctx)
        except MissingData as exc:  # `where`, `severity_when` or `skip_when` read data a failed call left unknown
            results.append(factory.incomplete(info, severity, [str(exc)]))
            continue
        except Exception as exc:  # a crashing rule is ERROR for this subject; the scan goes on
            message = f"{spec.id} crashed: {type(exc).__name__}: {exc}"
            results.append(
                factory.make(info, Status.ERROR, message, severity, evidence={"exception": type(exc).__name__})
            )
            continue
        results.append(factory.from_outcome(info, outcome, severity))
    return results
