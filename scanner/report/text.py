"""The terminal report: grouped by account, region and workload; colour only when asked (a TTY)."""

from __future__ import annotations

from collections import defaultdict

from scanner.report.escape import terminal
from scanner.results import Result, ScanResult, Severity, Status

_COLOURS = {
    Status.FAIL: "\x1b[31m",
    Status.ERROR: "\x1b[35m",
    Status.SKIPPED: "\x1b[90m",
    Status.PASS: "\x1b[32m",
}
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def render_text(result: ScanResult, *, colour: bool = False, show_passed: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    names = {w.arn: w.name for w in result.workloads}
    lines: list[str] = []
    scan = result.scan
    lines.append(
        paint(f"{terminal(result.tool.name)} {terminal(result.tool.version)}", _BOLD)
        + f"  accounts: {terminal(', '.join(scan.accounts)) or '-'}"
        + f"  regions: {terminal(', '.join(scan.regions)) or '-'}"
        + f"  source: {terminal(scan.source)}"
    )
    if scan.errors:
        lines.append("")
        lines.append(paint(f"Collection errors ({len(scan.errors)}): the scan is incomplete", _COLOURS[Status.ERROR]))
        lines.extend(f"  ! {terminal(e.describe())}" for e in scan.errors)

    groups: dict[tuple[str, str, str], list[Result]] = defaultdict(list)
    for r in result.results:
        label = names.get(r.workload or "", "") if r.workload else ""
        group = f"workload {label}" if label else f"{r.resource_type} {r.resource_id}"
        groups[(r.account, r.region, group)].append(r)

    for (account, region, group), results in sorted(groups.items()):
        shown = [r for r in results if show_passed or r.status in (Status.FAIL, Status.ERROR)]
        counts = {s: sum(1 for r in results if r.status is s) for s in Status}
        tally = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
        if not shown:
            continue
        lines.append("")
        lines.append(paint(terminal(f"{account} {region} {group}"), _BOLD) + f"  ({tally})")
        order = {Status.FAIL: 0, Status.ERROR: 1, Status.SKIPPED: 2, Status.PASS: 3}
        for r in sorted(shown, key=lambda r: (order[r.status], -r.severity.rank, r.rule_id)):
            tag = paint(f"{r.status.value.upper():7}", _COLOURS[r.status])
            lines.append(f"  {tag} {terminal(f'{r.rule_id} {r.rule_name}')} [{r.severity.value}] {terminal(r.message)}")
            for command in r.remediation:
                lines.append(f"          $ {terminal(command)}")

    summary = result.summary
    lines.append("")
    status_line = ", ".join(f"{summary.by_status[s]} {s.value}" for s in Status)
    failed = (
        ", ".join(f"{n} {s.value}" for s, n in summary.failed_by_severity.items() if n and s is not Severity.INFO)
        or "none"
    )
    lines.append(
        paint("Summary", _BOLD)
        + f": {summary.total} results ({status_line}); failures by severity: {failed}"
        + (f"; {summary.suppressed} suppressed" if summary.suppressed else "")
    )
    return "\n".join(lines) + "\n"
