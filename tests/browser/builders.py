"""ScanResults for the HTML report's tests and benchmark: the demo, a large one, and a hostile one.

- `demo_result()`: the demo inventory scanned in-process, with the volatile fields (version, times) fixed.
- `many_results(n)`: n results cycled from the demo's real messages, evidence and remediation, spread
  over three accounts, two regions, every status and severity.
- `hostile_result()`: attacker-controlled text in every field a report shows (tags, names, messages,
  evidence, commands, rule text, collection errors), including script, attribute and URL injections,
  jinja delimiters and Unicode bidi overrides.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from scanner.config import ScanConfig, bundled_path
from scanner.demo import demo_inventory
from scanner.engine.loader import load_rules
from scanner.results import (
    CollectionErrorRecord,
    EndpointSummary,
    NatGatewaySummary,
    NeedSummary,
    Result,
    RuleInfo,
    ScanInfo,
    ScanResult,
    Severity,
    Status,
    SubnetSummary,
    ToolInfo,
    VpcSummary,
    WorkloadSummary,
    summarise,
)
from scanner.scan import evaluate_inventory

FIXED_TIME = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# Each one, shown as text, must execute nothing: a script that runs sets window.__xss or opens a dialog.
HOSTILE = (
    "<script>window.__xss='script';alert(1)</script>",
    '"onerror=alert(1) x="',
    "'><img src=x onerror=\"window.__xss='img'\">",
    "</script><script>window.__xss='breakout'</script>",
    "javascript:window.__xss='url'",
    "{{ 7*7 }} {% if true %}jinja{% endif %} {# comment #}",
    "\u202egpj.exe\u202c bidi \u2066isolate\u2069",
    "<svg onload=\"window.__xss='svg'\"></svg>",
    "</style><style>body{display:none}</style>",
    "</title></textarea><iframe src=\"javascript:parent.__xss='iframe'\"></iframe>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp;",
    "\x1b[31mred\x1b[0m\u200b\ufeff",
)
PAYLOAD = " | ".join(HOSTILE)


def _fixed(result: ScanResult) -> ScanResult:
    return result.model_copy(
        update={
            "tool": ToolInfo(version="0.0.0-test"),
            "scan": result.scan.model_copy(update={"started_at": FIXED_TIME, "finished_at": FIXED_TIME}),
        }
    )


@lru_cache(maxsize=1)
def demo_result() -> ScanResult:
    rules = load_rules([bundled_path("rules")])
    return _fixed(evaluate_inventory(rules, demo_inventory(), ScanConfig(), FIXED_TIME))


ACCOUNTS = ("111122223333", "444455556666", "777788889999")
REGIONS = ("eu-west-1", "us-east-1")
_STATUS_CYCLE = (Status.PASS,) * 11 + (Status.FAIL,) * 5 + (Status.SKIPPED, Status.ERROR, Status.FAIL, Status.PASS)
_SEVERITY_CYCLE = (
    Severity.HIGH,
    Severity.MEDIUM,
    Severity.HIGH,
    Severity.LOW,
    Severity.CRITICAL,
    Severity.INFO,
    Severity.HIGH,
)


def many_results(count: int) -> ScanResult:
    """`count` results, the demo's cycled: each with its own resource id, account, status and severity."""
    demo = demo_result()
    base = demo.results
    results = []
    for i in range(count):
        r = base[i % len(base)]
        status = _STATUS_CYCLE[i % len(_STATUS_CYCLE)]
        results.append(
            r.model_copy(
                update={
                    "status": status,
                    "severity": _SEVERITY_CYCLE[i % len(_SEVERITY_CYCLE)],
                    "account": ACCOUNTS[i % len(ACCOUNTS)],
                    "region": REGIONS[(i // len(ACCOUNTS)) % len(REGIONS)],
                    "resource_id": f"{r.resource_id}-{i:05d}",
                    "resource_arn": f"{r.resource_arn}-{i:05d}",
                    "remediation": r.remediation if status is Status.FAIL else [],
                }
            )
        )
    errors = [
        CollectionErrorRecord(
            account=ACCOUNTS[1],
            region=REGIONS[1],
            service="iam",
            operation="GetRolePolicy",
            error_code="AccessDenied",
            message="User is not authorized to perform iam:GetRolePolicy",
            resource_id="orders-api-execution",
        )
    ]
    return demo.model_copy(
        update={
            "scan": demo.scan.model_copy(
                update={"accounts": list(ACCOUNTS), "regions": list(REGIONS), "errors": errors}
            ),
            "results": results,
            "summary": summarise(results, errors),
        }
    )


def hostile_result() -> ScanResult:
    """Every text field the report shows holds the hostile strings."""
    p = PAYLOAD
    rule = RuleInfo(
        id="VPCE001",
        name=f"endpoint-required {p}",
        title=f"title {p}",
        severity=Severity.HIGH,
        rationale=f"rationale {p}",
        remediation=f"remediation {p}",
        references=[
            "javascript:window.__xss='ref'",
            'https://example.com/"onmouseover=alert(1)',
            "https://docs.aws.amazon.com/vpc/latest/privatelink/",
        ],
        tags=[p],
        help_uri="javascript:window.__xss='help'",
    )
    odd_rule = "VPCE\"><script>window.__xss='ruleid'</script>"
    results = [
        Result(
            rule_id=rule.id,
            rule_name=rule.name,
            status=status,
            severity=Severity.HIGH,
            account="111122223333",
            region="eu-west-1",
            resource_arn=f"arn:aws:ec2:eu-west-1:111122223333:vpc/{p}",
            resource_id=f"vpc-{p}",
            resource_type="vpc",
            workload="arn:aws:ecs:eu-west-1:111122223333:service/prod/evil",
            message=f"message {p}",
            evidence={p: p, "list": [p, p], "nested": {"k": p}, "problems": [p]},
            remediation=[f"aws ec2 create-tags --tags Key=Name,Value='{p}'", p],
            qualifier=f"evil/{p}",
            suppressed=status is Status.SKIPPED,
            suppression_reason=f"reason {p}",
        )
        for status in Status
    ] + [
        Result(
            rule_id=odd_rule,
            rule_name=p,
            status=Status.FAIL,
            severity=Severity.LOW,
            account=f"acct {p}",
            region=f"region {p}",
            resource_arn=p,
            resource_id=p,
            resource_type=p,
            workload=p,
            message=p,
            evidence={"problems": [p]},
            remediation=[p],
        ),
    ]
    subnet = SubnetSummary(
        subnet_id=f"subnet-{p}",
        availability_zone=f"eu-west-1a {p}",
        cidr_block="10.0.0.0/24",
        route_table_id=f"rtb-{p}",
    )
    workload = WorkloadSummary(
        arn="arn:aws:ecs:eu-west-1:111122223333:service/prod/evil",
        name=f"evil {p}",
        kind="service",
        account="111122223333",
        region="eu-west-1",
        cluster_arn=p,
        vpc_id=f"vpc-{p}",
        subnets=[subnet],
        security_group_ids=[f"sg-{p}"],
        assign_public_ip=p,
        task_definition_arn=p,
        execution_role=p,
        needs=[
            NeedSummary(service=p, service_name=p, endpoint_id=f"vpc-{p}", endpoint_type="Interface", endpoint_azs=[p]),
            NeedSummary(service="logs", service_name="com.amazonaws.eu-west-1.logs"),
        ],
    )
    vpc = VpcSummary(
        account="111122223333",
        region="eu-west-1",
        vpc_id=f"vpc-{p}",
        name=f"name {p}",
        nat_gateways=[NatGatewaySummary(nat_gateway_id=f"nat-{p}", subnet_id=p, availability_zone=p)],
        endpoints=[
            EndpointSummary(
                vpc_endpoint_id=f"vpce-{p}", service_name=p, vpc_endpoint_type="Interface", availability_zones=[p]
            )
        ],
        workload_azs=[p],
        missing_services=[p, "com.amazonaws.eu-west-1.s3"],
    )
    errors = [
        CollectionErrorRecord(
            account="111122223333",
            region="eu-west-1",
            service=p,
            operation=p,
            error_code=f"AccessDenied {p}",
            message=p,
            resource_id=p,
        )
    ]
    return ScanResult(
        tool=ToolInfo(version=f"0.0.0 {p}"),
        scan=ScanInfo(
            accounts=["111122223333", p],
            regions=["eu-west-1"],
            started_at=FIXED_TIME,
            finished_at=FIXED_TIME,
            source=f"inventory {p}",
            errors=errors,
        ),
        rules=[rule],
        results=results,
        summary=summarise(results, errors),
        workloads=[workload],
        vpcs=[vpc],
    )
