"""JUnit XML for CI test reports (GitLab, Jenkins, Azure DevOps, test-summary actions).

    <testsuites name="vpce-scan" tests failures errors skipped time>
      <testsuite name="<account>/<region>" ...>     one suite per account and region
        <testcase classname="<rule id>.<rule name>" name="<resource id> (<qualifier>)">
          <failure>   FAIL (message, resource, remediation); type = severity
          <error>     ERROR (the rule could not be evaluated), and each collection error
          <skipped>   SKIPPED, and suppressed FAILs (with the reason)
          (nothing)   PASS

Built with ElementTree, which escapes markup; characters XML 1.0 cannot carry at all (most control
characters, lone surrogates) are removed first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import UTC, datetime

from scanner.results import CollectionErrorRecord, Result, RuleInfo, ScanResult, Status

_ILLEGAL_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What a testcase counts as -> the counting attribute of its suite.
_COUNT_ATTRIBUTES = {"tests": "tests", "failure": "failures", "error": "errors", "skipped": "skipped"}


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 forbids."""
    return _ILLEGAL_XML.sub("", text)


def _element(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: xml_text(v) for k, v in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _testcase_name(r: Result) -> str:
    return f"{r.resource_id} ({r.qualifier})" if r.qualifier else r.resource_id


def _details(r: Result) -> list[str]:
    lines = [r.message, "", f"Severity: {r.severity.value}", f"Resource: {r.resource_arn}"]
    if r.workload:
        lines.append(f"Workload: {r.workload}")
    return lines


def _failure_text(r: Result, rule: RuleInfo | None) -> str:
    lines = _details(r)
    if r.remediation:
        lines += ["", "Remediation:", *(f"  {command}" for command in r.remediation)]
    if rule is not None and rule.remediation:
        lines += ["", rule.remediation]
    return "\n".join(lines)


def _testcase(suite: ET.Element, r: Result, rule: RuleInfo | None) -> str | None:
    """Add the testcase of one result; returns what it counts as (failure, error, skipped or None)."""
    case = _element(suite, "testcase", classname=f"{r.rule_id}.{r.rule_name}", name=_testcase_name(r))
    match r.status:
        case Status.FAIL if r.suppressed:
            _element(case, "skipped", message=f"suppressed: {r.suppression_reason or 'no reason given'}; {r.message}")
            return "skipped"
        case Status.FAIL:
            _element(case, "failure", _failure_text(r, rule), message=r.message, type=r.severity.value)
            return "failure"
        case Status.ERROR:
            _element(case, "error", "\n".join(_details(r)), message=r.message, type="error")
            return "error"
        case Status.SKIPPED:
            _element(case, "skipped", message=r.message)
            return "skipped"
        case Status.PASS:
            return None


def _collection_testcase(suite: ET.Element, error: CollectionErrorRecord) -> str:
    name = error.action + (f" {error.resource_id}" if error.resource_id else "")
    case = _element(suite, "testcase", classname="vpce-scan.collection", name=name)
    text = error.describe() + (f"\n{error.message}" if error.message else "")
    _element(case, "error", text, message=error.describe(), type=error.error_code)
    return "error"


def _timestamp(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def render_junit(result: ScanResult) -> str:
    rules = {rule.id: rule for rule in result.rules}
    scan = result.scan
    groups: dict[tuple[str, str], tuple[list[CollectionErrorRecord], list[Result]]] = {}
    for error in scan.errors:
        groups.setdefault((error.account, error.region), ([], []))[0].append(error)
    for r in result.results:
        groups.setdefault((r.account, r.region), ([], []))[1].append(r)

    duration = max((scan.finished_at - scan.started_at).total_seconds(), 0.0)
    root = ET.Element("testsuites", name=result.tool.name)
    totals: Counter[str] = Counter()
    for (account, region), (errors, results) in sorted(groups.items()):
        suite = _element(root, "testsuite", name=f"{account}/{region or 'global'}")
        properties = _element(suite, "properties")
        for name, value in (
            ("account", account),
            ("region", region),
            ("source", scan.source),
            ("vpce-scan.version", result.tool.version),
        ):
            _element(properties, "property", name=name, value=value)
        counts: Counter[str] = Counter(tests=len(errors) + len(results))
        counts.update(_collection_testcase(suite, e) for e in errors)
        counts.update(kind for r in results if (kind := _testcase(suite, r, rules.get(r.rule_id))) is not None)
        suite.attrib.update(_counts(counts), timestamp=_timestamp(scan.started_at))
        totals.update(counts)
    root.attrib.update(_counts(totals), time=f"{duration:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _counts(counts: Counter[str]) -> dict[str, str]:
    return {attribute: str(counts[kind]) for kind, attribute in _COUNT_ATTRIBUTES.items()}
