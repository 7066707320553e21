"""Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments.

Order: a verdict line, collection errors (the scan is incomplete) in a CAUTION alert, a summary table by
severity and status, rules that could not be evaluated, then every failing finding (most severe first)
with its remediation commands in a code block.

Every string from AWS (names, tags, ids, messages) is escaped with `escape.markdown`, so a tag value
cannot inject links, HTML or table cells. Remediation commands go inside a fence longer than any run of
backticks they contain, so they cannot close it. GitHub refuses step summaries over 1 MiB, so findings
past MAX_BYTES are counted rather than shown.
"""

from __future__ import annotations

import re

from scanner.report.escape import markdown, terminal
from scanner.results import Result, RuleInfo, ScanResult, Severity, Status

MAX_BYTES = 1_000_000  # GitHub's limit per step summary is 1 MiB
_BACKTICKS = re.compile(r"`+")
_STATUS_COLUMNS = (Status.FAIL, Status.ERROR, Status.SKIPPED, Status.PASS)


def code_block(lines: list[str], language: str = "sh") -> str:
    """A fenced block that no content can close: the fence is longer than any backtick run inside."""
    body = "\n".join(terminal(line) for line in lines)
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body}\n{fence}"


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _verdict(result: ScanResult, failures: list[Result]) -> str:
    checks = _plural(len(result.results), "check")
    if not failures:
        return f"**No failing findings** in {checks}."
    by_severity = ", ".join(f"{n} {s.value}" for s in Severity if (n := sum(1 for f in failures if f.severity is s)))
    return f"**{_plural(len(failures), 'failing finding')}** ({by_severity}) in {checks}."


def _incomplete(result: ScanResult, errors: list[Result]) -> list[str]:
    if result.is_complete:
        return []
    parts = []
    if result.scan.errors:
        parts.append(_plural(len(result.scan.errors), "collection error"))
    if errors:
        parts.append(f"{_plural(len(errors), 'result')} that could not be evaluated")
    lines = [
        "> [!CAUTION]",
        f"> **Scan incomplete:** {' and '.join(parts)}. Rules that needed the missing data report ERROR, "
        "never PASS; fix the access and scan again.",
    ]
    if result.scan.errors:
        lines.append(">")
        for error in result.scan.errors:
            detail = f" ({markdown(error.message)})" if error.message else ""
            lines.append(f"> - {markdown(error.account)} {markdown(error.describe())}{detail}")
    return lines


def _summary_table(result: ScanResult) -> list[str]:
    counts = {(s, st): 0 for s in Severity for st in (*_STATUS_COLUMNS, "suppressed")}
    for r in result.results:
        counts[(r.severity, "suppressed" if r.status is Status.FAIL and r.suppressed else r.status)] += 1
    columns: tuple[Status | str, ...] = (*_STATUS_COLUMNS, "suppressed")
    lines = [
        "| Severity | Fail | Error | Skipped | Pass | Suppressed | Total |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for severity in Severity:
        row = [counts[(severity, c)] for c in columns]
        lines.append(f"| {severity.value} | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    totals = [sum(counts[(s, c)] for s in Severity) for c in columns]
    lines.append("| **Total** | " + " | ".join(f"**{t}**" for t in totals) + f" | **{sum(totals)}** |")
    return lines


def _resource(r: Result) -> str:
    return f"{markdown(r.resource_type)} {markdown(r.resource_id)}"


def _finding(r: Result, rule: RuleInfo | None) -> str:
    lines = [
        f"#### {r.severity.value.upper()}: {markdown(r.rule_id)} {markdown(r.rule_name)} on {_resource(r)}",
        "",
        markdown(r.message),
        "",
        f"- **Resource:** {markdown(r.resource_arn)}",
        f"- **Account / region:** {markdown(r.account)} / {markdown(r.region)}",
    ]
    if r.workload:
        lines.append(f"- **Workload:** {markdown(r.workload)}")
    if r.qualifier:
        lines.append(f"- **Subject:** {markdown(r.qualifier)}")
    if rule is not None:
        lines.append(f"- **Rule:** {markdown(rule.title)}")
    lines.append("")
    if r.remediation:
        lines += ["**Remediation:**", "", code_block(r.remediation)]
    elif rule is not None:
        lines.append(f"**Remediation:** {markdown(rule.remediation)}")
    return "\n".join(lines)


def render_markdown(result: ScanResult) -> str:
    rules = {rule.id: rule for rule in result.rules}
    failures = sorted(result.failures(), key=lambda r: -r.severity.rank)  # stable: scan order among equals
    errors = [r for r in result.results if r.status is Status.ERROR]
    scan = result.scan

    head = [
        "## vpce-scan report",
        "",
        _verdict(result, failures),
        "",
        f"Accounts: {markdown(', '.join(scan.accounts) or '-')} · regions: {markdown(', '.join(scan.regions) or '-')}"
        f" · source: {markdown(scan.source)} · {markdown(result.tool.name)} {markdown(result.tool.version)}",
    ]
    if incomplete := _incomplete(result, errors):
        head += ["", *incomplete]
    head += ["", "### Summary", "", *_summary_table(result)]
    if suppressed := sum(1 for r in result.results if r.status is Status.FAIL and r.suppressed):
        head += ["", f"{_plural(suppressed, 'suppressed finding')} not listed below."]
    if errors:
        head += ["", f"### Could not evaluate ({len(errors)})", ""]
        head += [
            f"- {markdown(r.rule_id)} {markdown(r.rule_name)} on {_resource(r)}: {markdown(r.message)}" for r in errors
        ]

    sections = ["\n".join(head)]
    if failures:
        sections.append(f"### Failing findings ({len(failures)})")
    size = sum(len(s.encode("utf-8")) + 2 for s in sections)
    reserve = 200  # room for the "not shown" line
    for shown, finding in enumerate(failures):
        text = _finding(finding, rules.get(finding.rule_id))
        size += len(text.encode("utf-8")) + 2
        if size > MAX_BYTES - reserve:
            left = len(failures) - shown
            sections.append(
                f"_{_plural(left, 'more failing finding')} not shown: GitHub step summaries are limited to "
                "1 MiB. The JSON and SARIF reports have them all._"
            )
            break
        sections.append(text)
    return "\n\n".join(sections) + "\n"
