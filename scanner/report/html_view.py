"""What the HTML templates show, computed from a ScanResult: plain data, never markup.

The templates receive the ScanResult itself plus these small views (orderings, counts, groupings,
compact evidence), so that no loop over 10,000 results happens twice and no template does arithmetic.
Every string here is still attacker-controllable text; the templates escape it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from scanner.report.html_diagram import WorkloadView, workload_views
from scanner.results import Result, RuleInfo, ScanResult, Severity, Status

STATUS_ORDER = (Status.FAIL, Status.ERROR, Status.SKIPPED, Status.PASS)
SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
_STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}
MAX_EVIDENCE_CHARS = 2000
MAX_LISTED = 100
# Above this many results, PASS results show their message without evidence (the JSON report has it all),
# which keeps a 10,000-result report under 5 MB.
PASS_EVIDENCE_LIMIT = 2000


@dataclass(frozen=True)
class FindingView:
    """One result, with the anchor other sections link to (`f<index>`).

    `filters` is what the page's filters match: "<status> <severity> <rule index> <account index>", the
    indexes into ReportView.rules and ReportView.accounts (ids themselves may hold spaces).
    """

    index: int
    result: Result
    workload_name: str
    evidence: str
    filters: str


@dataclass(frozen=True)
class Tally:
    """Counts by status and, for unsuppressed FAILs, by severity."""

    by_status: dict[Status, int]
    by_severity: dict[Severity, int]
    failed_by_severity: dict[Severity, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class ScopeRow:
    account: str
    region: str
    tally: Tally


@dataclass(frozen=True)
class Reference:
    text: str
    is_link: bool


@dataclass(frozen=True)
class RuleView:
    index: int  # the rule filter's value
    info: RuleInfo
    tally: Tally
    # FAIL and ERROR results; the first MAX_LISTED are listed, the findings filter shows them all.
    failing: list[FindingView]
    references: list[Reference]

    @property
    def state(self) -> str:
        for status in STATUS_ORDER:
            if self.tally.by_status[status]:
                return status.value
        return "unknown"

    @property
    def listed(self) -> list[FindingView]:
        return self.failing[:MAX_LISTED]

    @property
    def unlisted(self) -> int:
        return max(len(self.failing) - MAX_LISTED, 0)


@dataclass(frozen=True)
class ReportView:
    findings: list[FindingView]
    tally: Tally
    scopes: list[ScopeRow]
    rules: list[RuleView]
    workloads: list[WorkloadView]
    accounts: list[str]
    error_results: int
    title: str
    pass_evidence_omitted: bool

    @property
    def rule_names(self) -> list[str]:
        """By filter index: the page's script names a finding's rule on hover (findings show only the id)."""
        return [visible(f"{r.info.id} {r.info.name}: {r.info.title}") for r in self.rules]


# C0/C1 controls (not tab or newline), zero-width and bidi formatting characters, line/paragraph separators.
_INVISIBLE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


def visible(text: str) -> str:
    """Characters that hide or reorder text shown as escapes, e.g. U+202E as `\\u202e`."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def tally(results: list[Result]) -> Tally:
    by_status = {s: 0 for s in STATUS_ORDER}
    by_severity = {s: 0 for s in SEVERITY_ORDER}
    failed = {s: 0 for s in SEVERITY_ORDER}
    for r in results:
        by_status[r.status] += 1
        by_severity[r.severity] += 1
        if r.status is Status.FAIL and not r.suppressed:
            failed[r.severity] += 1
    return Tally(by_status=by_status, by_severity=by_severity, failed_by_severity=failed)


def _flow(value: Any) -> str:
    """YAML-flow-like text without quotes: `{id: vpce-1, state: available}`, `[a, b]`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def compact(value: Any) -> str:
    """One evidence value as short text: scalars as they are, lists of scalars joined, the rest flow-style."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value) if value else "(none)"
    else:
        text = _flow(value)
    if len(text) > MAX_EVIDENCE_CHARS:
        text = f"{text[:MAX_EVIDENCE_CHARS]}… ({len(text) - MAX_EVIDENCE_CHARS} more characters)"
    return text


def evidence_items(result: Result) -> list[tuple[str, str]]:
    items = []
    for key, value in result.evidence.items():
        if key == "problems" and isinstance(value, list):
            value = [p for p in value if not (isinstance(p, str) and p in result.message)]  # said already
            if not value:
                continue
        items.append((str(key), compact(value)))
    return items


def evidence_text(result: Result) -> str:
    """Evidence as `key: value` lines (plain text; the template escapes it)."""
    return "\n".join(f"{key}: {value}" for key, value in evidence_items(result))


def _sort_key(r: Result) -> tuple[int, int, str, str, str, str, str]:
    return (_STATUS_RANK[r.status], -r.severity.rank, r.rule_id, r.account, r.region, r.resource_id, r.qualifier)


def _workload_label(arn: str | None, names: dict[str, str]) -> str:
    if not arn:
        return ""
    return names.get(arn) or arn.rsplit("/", 1)[-1]


def _reference(url: str) -> Reference:
    # Rule files are data from outside: only plain https links become links.
    safe = url.startswith("https://") and not any(c.isspace() or c in "\"'<>`" for c in url)
    return Reference(text=url, is_link=safe)


def _rule_views(result: ScanResult, rule_ids: list[str], findings: list[FindingView]) -> list[RuleView]:
    by_rule: dict[str, list[FindingView]] = defaultdict(list)
    for f in findings:
        by_rule[f.result.rule_id].append(f)
    infos = {r.id: r for r in result.rules}
    for rule_id, items in by_rule.items():
        if rule_id not in infos:  # a result without its catalogue entry: show what the result knows
            first = items[0].result
            infos[rule_id] = RuleInfo(
                id=rule_id,
                name=first.rule_name,
                title=first.rule_name,
                severity=first.severity,
                rationale="",
                remediation="",
                references=[],
                help_uri="",
            )
    views = []
    for index, rule_id in enumerate(rule_ids):
        items = by_rule.get(rule_id, [])
        views.append(
            RuleView(
                index=index,
                info=infos[rule_id],
                tally=tally([f.result for f in items]),
                failing=[f for f in items if f.result.status in (Status.FAIL, Status.ERROR)],
                references=[_reference(u) for u in infos[rule_id].references],
            )
        )
    return views


def _scope_rows(result: ScanResult) -> list[ScopeRow]:
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for account in result.scan.accounts:
        for region in result.scan.regions:
            groups[(account, region)] = []
    for r in result.results:
        groups[(r.account, r.region)].append(r)
    return [ScopeRow(account=a, region=g, tally=tally(rs)) for (a, g), rs in sorted(groups.items()) if rs]


def build_view(result: ScanResult) -> ReportView:
    names = {w.arn: w.name for w in result.workloads}
    ordered = sorted(result.results, key=_sort_key)
    accounts = sorted(set(result.scan.accounts) | {r.account for r in result.results})
    rule_ids = sorted({r.id for r in result.rules} | {r.rule_id for r in result.results})
    rule_index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    account_index = {account: i for i, account in enumerate(accounts)}
    omit = len(ordered) > PASS_EVIDENCE_LIMIT
    findings = [
        FindingView(
            index=i,
            result=r,
            workload_name=_workload_label(r.workload, names),
            evidence="" if omit and r.status is Status.PASS else evidence_text(r),
            filters=f"{r.status.value} {r.severity.value} {rule_index[r.rule_id]} {account_index[r.account]}",
        )
        for i, r in enumerate(ordered)
    ]
    regions = sorted(set(result.scan.regions) | {r.region for r in result.results})
    counts = Counter(r.status for r in result.results)
    scope = f"{', '.join(accounts) or 'no account'} · {', '.join(regions) or 'no region'}"
    return ReportView(
        findings=findings,
        tally=tally(result.results),
        scopes=_scope_rows(result),
        rules=_rule_views(result, rule_ids, findings),
        workloads=workload_views(result, findings),
        accounts=accounts,
        error_results=counts[Status.ERROR],
        title=f"vpce-scan report: {scope}",
        pass_evidence_omitted=omit,
    )
