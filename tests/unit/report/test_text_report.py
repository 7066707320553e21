"""The terminal report: escapes attacker-controlled text, colours only when asked, groups by workload."""

from __future__ import annotations

from datetime import UTC, datetime

from scanner.report.text import render_text
from scanner.results import (
    CollectionErrorRecord,
    Result,
    ScanInfo,
    ScanResult,
    Severity,
    Status,
    ToolInfo,
    WorkloadSummary,
    summarise,
)

HOSTILE = "evil\x1b[2J\x1b]0;pwned\x07\r\u202eoverride"


def _result(results: list[Result], errors: list[CollectionErrorRecord] | None = None) -> ScanResult:
    errors = errors or []
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return ScanResult(
        tool=ToolInfo(version="0"),
        scan=ScanInfo(accounts=["1"], regions=["eu-west-1"], started_at=now, finished_at=now, errors=errors),
        rules=[],
        results=results,
        summary=summarise(results, errors),
        workloads=[
            WorkloadSummary(
                arn="arn:svc",
                name=HOSTILE,
                kind="service",
                account="1",
                region="eu-west-1",
                cluster_arn="c",
                vpc_id=None,
                subnets=[],
                security_group_ids=[],
                assign_public_ip="DISABLED",
                task_definition_arn="td",
                execution_role=None,
                needs=[],
            )
        ],
    )


def _fail(message: str) -> Result:
    return Result(
        rule_id="VPCE006",
        rule_name="subnet-no-internet-route",
        status=Status.FAIL,
        severity=Severity.HIGH,
        account="1",
        region="eu-west-1",
        resource_arn="arn:svc",
        resource_id="svc",
        resource_type="ecs_service",
        workload="arn:svc",
        message=message,
        remediation=[f"aws ec2 delete-route --route-table-id {HOSTILE}"],
    )


def test_control_characters_from_aws_are_shown_escaped() -> None:
    text = render_text(_result([_fail(f"Route table of {HOSTILE} sends traffic out.")]))
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text and "\u202e" not in text
    assert "evil\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\u202eoverride" in text
    assert "workload evil\\x1b" in text


def test_colour_only_when_asked() -> None:
    result = _result([_fail("m")])
    assert "\x1b[" not in render_text(result)
    assert "\x1b[31m" in render_text(result, colour=True)


def test_collection_errors_come_first() -> None:
    error = CollectionErrorRecord(
        account="1", region="eu-west-1", service="ec2", operation="DescribeVpcs", error_code="AccessDenied"
    )
    text = render_text(_result([_fail("m")], [error]))
    assert text.index("Collection errors (1)") < text.index("VPCE006")
    assert "eu-west-1 ec2:DescribeVpcs: AccessDenied; grant ec2:DescribeVpcs" in text


BIDI = "\u202eeulav\u202c\u061c\u200e\u200f\u2066x\u2069\u202a\u202b\u202d"


def test_the_header_and_rule_names_are_escaped() -> None:
    """`report --from` renders a file anyone could have written: tool, accounts, regions, source, rule id
    and name are attacker-controlled too."""
    hostile = HOSTILE + BIDI
    fail = _fail("m").model_copy(update={"rule_id": hostile, "rule_name": hostile, "account": hostile})
    result = _result([fail]).model_copy(
        update={
            "tool": ToolInfo(name=hostile, version=hostile),
            "scan": ScanInfo(
                accounts=[hostile],
                regions=[hostile],
                source=hostile,
                started_at=datetime(2026, 1, 1, tzinfo=UTC),
                finished_at=datetime(2026, 1, 1, tzinfo=UTC),
            ),
        }
    )
    text = render_text(result)
    for char in "\x1b\r\x07\u202e\u202c\u061c\u200e\u200f\u2066\u2069\u202a\u202b\u202d":
        assert char not in text, repr(char)
    header = text.splitlines()[0]
    assert header.count("evil\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\u202eoverride\\u202eeulav\\u202c\\u061c") == 5
    assert "\\u061c\\u200e\\u200f\\u2066x\\u2069" in text.split("\n", 1)[1]  # the rule id, name and account
