"""Small ScanResults for renderer tests, built directly (no inventory, no rules engine)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scanner.report.sarif import render_sarif
from scanner.results import (
    CollectionErrorRecord,
    Result,
    RuleInfo,
    ScanInfo,
    ScanResult,
    Severity,
    Status,
    ToolInfo,
    summarise,
)
from tests.sarif_checks import assert_valid_sarif

ACCOUNT = "111122223333"
REGION = "eu-west-1"
STARTED = datetime(2026, 11, 2, 6, 17, tzinfo=UTC)


def rule(rule_id: str = "VPCE001", severity: Severity = Severity.HIGH, **fields: Any) -> RuleInfo:
    values: dict[str, Any] = {
        "id": rule_id,
        "name": f"rule-{rule_id.lower()}",
        "title": f"Title of {rule_id}",
        "severity": severity,
        "rationale": f"Why {rule_id} matters.",
        "remediation": f"How to fix {rule_id}.",
        "references": ["https://docs.aws.amazon.com/vpc/latest/privatelink/interface-endpoints.html"],
        "tags": ["networking"],
        "help_uri": f"https://example.com/rules#{rule_id.lower()}",
    }
    values.update(fields)
    return RuleInfo(**values)


def result(
    rule_id: str = "VPCE001",
    status: Status = Status.FAIL,
    severity: Severity = Severity.HIGH,
    resource_id: str = "vpc-0123",
    **fields: Any,
) -> Result:
    values: dict[str, Any] = {
        "rule_id": rule_id,
        "rule_name": f"rule-{rule_id.lower()}",
        "status": status,
        "severity": severity,
        "account": ACCOUNT,
        "region": REGION,
        "resource_arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:vpc/{resource_id}",
        "resource_id": resource_id,
        "resource_type": "vpc",
        "message": f"{resource_id} is not compliant with {rule_id}; expected compliance.",
        "remediation": [f"aws ec2 fix --region {REGION} --vpc-id {resource_id}"],
    }
    values.update(fields)
    return Result(**values)


def scan_result(
    results: Sequence[Result],
    rules: Iterable[RuleInfo] | None = None,
    errors: Sequence[CollectionErrorRecord] = (),
    *,
    accounts: Sequence[str] = (ACCOUNT,),
    regions: Sequence[str] = (REGION,),
    started: datetime = STARTED,
    source: str = "aws",
) -> ScanResult:
    if rules is None:
        severities: dict[str, Severity] = {}
        for r in results:
            severities.setdefault(r.rule_id, r.severity)
        rules = [rule(rule_id, severity) for rule_id, severity in sorted(severities.items())]
    return ScanResult(
        tool=ToolInfo(version="0.1.0"),
        scan=ScanInfo(
            accounts=list(accounts),
            regions=list(regions),
            started_at=started,
            finished_at=started + timedelta(seconds=2),
            source=source,
            errors=list(errors),
        ),
        rules=list(rules),
        results=list(results),
        summary=summarise(list(results), list(errors)),
    )


def collection_error(**fields: Any) -> CollectionErrorRecord:
    values: dict[str, Any] = {
        "account": ACCOUNT,
        "region": REGION,
        "service": "ec2",
        "operation": "DescribeVpcEndpoints",
        "error_code": "AccessDenied",
        "message": "User is not authorized to perform ec2:DescribeVpcEndpoints",
    }
    values.update(fields)
    return CollectionErrorRecord(**values)


def sarif(scan: ScanResult, category: str | None = None) -> dict[str, Any]:
    """Render, parse and check: every SARIF document of the test suite goes through assert_valid_sarif."""
    doc: dict[str, Any] = json.loads(render_sarif(scan, category=category))
    assert_valid_sarif(doc)
    return doc
