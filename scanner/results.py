"""The verdicts of a scan: one Result per (rule, subject), gathered in a ScanResult.

ScanResult is the public JSON contract of `--format json` (DESIGN.md, "Results") and the input of
every renderer; `vpce-scan report --from result.json` reads it back with `ScanResult.model_validate_json`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

from pydantic import BaseModel, ConfigDict, Field

from scanner.causes import Cause, advice, cause_of, shows_message

Arn = NewType("Arn", str)
RuleId = NewType("RuleId", str)

RESULT_SCHEMA_VERSION = 1
# How much of an unclassified error's message `CollectionErrorRecord.describe()` repeats.
MESSAGE_EXCERPT = 160


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe; used for --fail-on and for ordering."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Result(_Frozen):
    rule_id: str
    rule_name: str
    status: Status
    severity: Severity
    account: str
    region: str
    resource_arn: str
    resource_id: str
    resource_type: str
    workload: str | None = None
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)
    remediation: list[str] = Field(default_factory=list)
    # Distinguishes several results of one rule on one resource (the missing service, the image).
    qualifier: str = ""
    suppressed: bool = False
    suppression_reason: str | None = None


class CollectionErrorRecord(_Frozen):
    """A failed AWS call: the scan went on, and the rules that needed this data report ERROR."""

    account: str
    region: str
    service: str
    operation: str
    error_code: str
    message: str = ""
    resource_id: str | None = None

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def cause(self) -> Cause:
        return cause_of(self.error_code)

    def describe(self) -> str:
        """`us-east-1 ec2:DescribeSubnets: AccessDenied; grant ec2:DescribeSubnets`: the call, what it
        answered and what to do (a permission to grant, a transient fault to retry...)."""
        where = f" on {self.resource_id}" if self.resource_id else ""
        return f"{self.region} {self.action}{where}: {self._answer()}"

    def explain(self) -> str:
        """`iam:GetPolicy: Throttling; throttled by AWS (transient); retry...`: the call, what it answered
        and what to do, for a sentence that already names the resource (the IAM evaluator's reasons)."""
        return f"{self.action}: {self._answer()}"

    def _answer(self) -> str:
        detail = ""
        if self.message and shows_message(self.error_code):
            text = " ".join(self.message.split())
            detail = f" ({text[:MESSAGE_EXCERPT]}{'...' if len(text) > MESSAGE_EXCERPT else ''})"
        return f"{self.error_code}{detail}; {advice(self.error_code, self.action)}"


class ToolInfo(_Frozen):
    name: str = "vpce-scan"
    version: str
    information_uri: str = "https://github.com/vpce-scan/vpce-scan"


class RuleInfo(_Frozen):
    """The catalogue entry of a rule as renderers need it (SARIF driver.rules, HTML, Markdown)."""

    id: str
    name: str
    title: str
    severity: Severity
    rationale: str
    remediation: str
    references: list[str]
    tags: list[str] = Field(default_factory=list)
    help_uri: str


class ScanInfo(_Frozen):
    accounts: list[str]
    regions: list[str]
    started_at: datetime
    finished_at: datetime
    source: str = "aws"
    errors: list[CollectionErrorRecord] = Field(default_factory=list)


class Summary(_Frozen):
    total: int
    by_status: dict[Status, int]
    by_severity: dict[Severity, int]
    failed_by_severity: dict[Severity, int]
    suppressed: int
    collection_errors: int


class SubnetSummary(_Frozen):
    subnet_id: str
    availability_zone: str
    cidr_block: str
    route_table_id: str | None = None


class NeedSummary(_Frozen):
    service: str
    service_name: str
    recommended: bool = False
    endpoint_id: str | None = None
    endpoint_type: str | None = None
    endpoint_azs: list[str] = Field(default_factory=list)


class WorkloadSummary(_Frozen):
    """What renderers show of a workload (HTML cards and diagrams); derived from the inventory."""

    arn: str
    name: str
    kind: str
    account: str
    region: str
    cluster_arn: str
    vpc_id: str | None
    subnets: list[SubnetSummary]
    security_group_ids: list[str]
    assign_public_ip: str
    task_definition_arn: str
    execution_role: str | None
    needs: list[NeedSummary]


class NatGatewaySummary(_Frozen):
    nat_gateway_id: str
    subnet_id: str
    availability_zone: str | None


class EndpointSummary(_Frozen):
    vpc_endpoint_id: str
    service_name: str
    vpc_endpoint_type: str
    availability_zones: list[str]


class VpcSummary(_Frozen):
    """Per VPC: what the NAT-versus-endpoints cost panel needs."""

    account: str
    region: str
    vpc_id: str
    name: str | None
    nat_gateways: list[NatGatewaySummary]
    endpoints: list[EndpointSummary]
    workload_azs: list[str]
    # Needed by workloads in this VPC but absent: service names.
    missing_services: list[str]


class ScanResult(_Frozen):
    schema_version: int = RESULT_SCHEMA_VERSION
    tool: ToolInfo
    scan: ScanInfo
    rules: list[RuleInfo]
    results: list[Result]
    summary: Summary
    workloads: list[WorkloadSummary] = Field(default_factory=list)
    vpcs: list[VpcSummary] = Field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        return not self.scan.errors and not any(r.status is Status.ERROR for r in self.results)

    def failures(self, at_least: Severity = Severity.INFO) -> list[Result]:
        return [
            r for r in self.results if r.status is Status.FAIL and not r.suppressed and r.severity.rank >= at_least.rank
        ]


def summarise(results: list[Result], errors: list[CollectionErrorRecord]) -> Summary:
    by_status = {s: 0 for s in Status}
    by_severity = {s: 0 for s in Severity}
    failed = {s: 0 for s in Severity}
    for r in results:
        by_status[r.status] += 1
        by_severity[r.severity] += 1
        if r.status is Status.FAIL and not r.suppressed:
            failed[r.severity] += 1
    return Summary(
        total=len(results),
        by_status=by_status,
        by_severity=by_severity,
        failed_by_severity=failed,
        suppressed=sum(1 for r in results if r.suppressed),
        collection_errors=len(errors),
    )
