"""SARIF 2.1.0 for GitHub code scanning: one run, one SARIF result per unsuppressed FAIL.

GitHub rejects a whole upload for things the schema allows (docs/notes/sarif-github.md §1.3): a result without a
physical location, an empty `artifactLocation.uri`, or one with a scheme other than `file`. An ARN
parses as a URI with scheme `arn`, so it can only be a logical location. Every result therefore has:

    locations[0].physicalLocation   aws/<account>/<region>/<type>/<id>[/<qualifier>], region.startLine 1
                                    (relative, scheme-less, each segment percent-encoded)
    locations[0].logicalLocations   [{name: resource id, fullyQualifiedName: ARN, kind: "resource"}]
    partialFingerprints             primaryLocationLineHash = sha256(rule id \\x1f ARN \\x1f qualifier)[:16] + ":1"
                                    (GitHub cannot hash a file that does not exist; never time or order)

Collection errors and ERROR results are `invocations[0].toolExecutionNotifications`, and
`executionSuccessful` is false when the scan is incomplete. Past GitHub's limits (25,000 results per run,
10 MB gzipped) the most severe results are kept, and a notification says how many were dropped.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, NamedTuple
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from scanner.errors import RenderError
from scanner.report.escape import markdown
from scanner.results import CollectionErrorRecord, Result, RuleInfo, ScanResult, Severity, Status

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
PATH_PREFIX = "aws"
# GitHub's hard limits per run and per (gzip-compressed) file; module constants so tests can shrink them.
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10_000_000
GZIP_LEVEL = 6  # zlib's default, what upload-sarif compresses with
MAX_TAGS = 10  # GitHub rejects more than 20 and shows 10
MAX_DESCRIPTION = 1024  # shortDescription / fullDescription
MAX_NAME = 255
FINGERPRINT = "primaryLocationLineHash"
FINDING_KEY = "vpceScanFindingKey/v1"

Level = Literal["error", "warning", "note"]


class SarifSeverity(NamedTuple):
    level: Level
    security_severity: str | None  # a string, as GitHub requires; None: not a security severity


# The one table from severity to SARIF `level` and `properties.security-severity`.
SEVERITY_TABLE: dict[Severity, SarifSeverity] = {
    Severity.CRITICAL: SarifSeverity("error", "9.5"),
    Severity.HIGH: SarifSeverity("error", "8.0"),
    Severity.MEDIUM: SarifSeverity("warning", "5.5"),
    Severity.LOW: SarifSeverity("note", "2.0"),
    Severity.INFO: SarifSeverity("note", None),
}


# --- the SARIF shape: only what vpce-scan writes ---------------------------------------------------------


class _Sarif(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, validate_by_name=True, serialize_by_alias=True
    )


class Message(_Sarif):
    text: str
    markdown: str | None = None


class ArtifactLocation(_Sarif):
    uri: str


class Region(_Sarif):
    start_line: int = 1


class PhysicalLocation(_Sarif):
    artifact_location: ArtifactLocation
    region: Region = Region()


class LogicalLocation(_Sarif):
    name: str | None = None
    fully_qualified_name: str | None = None
    kind: str = "resource"


class Location(_Sarif):
    physical_location: PhysicalLocation
    logical_locations: list[LogicalLocation] | None = None


class ReportingConfiguration(_Sarif):
    level: Level


class RuleProperties(_Sarif):
    tags: list[str]
    security_severity: str | None = Field(default=None, alias="security-severity")


class ReportingDescriptor(_Sarif):
    id: str
    name: str
    short_description: Message
    full_description: Message
    help: Message
    help_uri: str | None = None
    default_configuration: ReportingConfiguration
    properties: RuleProperties


class ToolComponent(_Sarif):
    name: str
    version: str
    semantic_version: str | None = None
    information_uri: str | None = None
    rules: list[ReportingDescriptor]


class Tool(_Sarif):
    driver: ToolComponent


class ReportingDescriptorReference(_Sarif):
    id: str
    index: int


class Notification(_Sarif):
    level: Level
    message: Message
    associated_rule: ReportingDescriptorReference | None = None
    locations: list[Location] | None = None
    properties: dict[str, str] | None = None


class Invocation(_Sarif):
    execution_successful: bool
    start_time_utc: str
    end_time_utc: str
    tool_execution_notifications: list[Notification]


class RunAutomationDetails(_Sarif):
    id: str


class AwsResource(_Sarif):
    arn: str
    account_id: str
    region: str
    resource_type: str
    resource_id: str
    workload: str | None = None
    qualifier: str | None = None


class ResultProperties(_Sarif):
    severity: Severity
    aws: AwsResource


class SarifResult(_Sarif):
    rule_id: str
    rule_index: int
    level: Level
    message: Message
    locations: list[Location]
    partial_fingerprints: dict[str, str]
    properties: ResultProperties


class ScanProperties(_Sarif):
    source: str
    accounts: list[str]
    regions: list[str]


class RunProperties(_Sarif):
    vpce_scan: ScanProperties = Field(alias="vpceScan")


class Run(_Sarif):
    tool: Tool
    automation_details: RunAutomationDetails
    invocations: list[Invocation]
    results: list[SarifResult]
    properties: RunProperties


class SarifLog(_Sarif):
    schema_uri: str = Field(default=SARIF_SCHEMA, alias="$schema")
    version: Literal["2.1.0"] = "2.1.0"
    runs: list[Run]


# --- identity: paths, fingerprints, category ---------------------------------------------------------------


_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+")


def _segment(value: str) -> str:
    encoded = value if _UNRESERVED.fullmatch(value) else quote(value, safe="")
    # "." and ".." would be removed as dot-segments when the path is normalised.
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def artifact_uri(result: Result) -> str:
    """The pseudo-path GitHub shows as the alert's file: relative, scheme-less, one segment per part."""
    parts = [
        PATH_PREFIX,
        result.account or "unknown",
        result.region or "global",
        result.resource_type or "unknown",
        result.resource_id or "unknown",
    ]
    if result.qualifier:
        parts.append(result.qualifier)
    return "/".join(_segment(part) for part in parts)


def finding_key(result: Result) -> str:
    """sha256 of (rule id, ARN, qualifier): what makes a finding the same one in the next run."""
    identity = "\x1f".join((result.rule_id, result.resource_arn, result.qualifier))
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def _fingerprints(keys: list[str], findings: list[Result]) -> list[str]:
    """`<16 hex>:<n>` from each finding's key; n > 1 only where findings share the prefix (duplicates, or a
    hash collision), numbered in an order that does not depend on the order of the results."""
    groups: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key[:16], []).append(i)
    hashes = [""] * len(keys)
    for prefix, members in groups.items():
        if len(members) > 1:
            members.sort(key=lambda i: (keys[i], findings[i].message, artifact_uri(findings[i])))
        for occurrence, i in enumerate(members, start=1):
            hashes[i] = f"{prefix}:{occurrence}"
    return hashes


def sarif_category(category: str) -> str:
    """A `--sarif-category` as `runAutomationDetails.id`: GitHub's category is everything before the last
    '/', so the id ends in '/' (appended if missing); an empty category is refused."""
    category = category.strip()
    if not category.strip("/"):
        raise RenderError(f"SARIF category {category!r} is empty; give a name such as vpce-scan/aws/prod")
    return category if category.endswith("/") else f"{category}/"


def automation_id(result: ScanResult, category: str | None = None) -> str:
    """The given category, else one per source, accounts and regions: vpce-scan/aws/<accounts>/<regions>/."""
    if category is None:
        accounts = "+".join(sorted({_segment(a) for a in result.scan.accounts})) or "none"
        regions = "+".join(sorted({_segment(r) for r in result.scan.regions})) or "none"
        category = f"vpce-scan/{_segment(result.scan.source)}/{accounts}/{regions}"
    return sarif_category(category)


# --- rules ------------------------------------------------------------------------------------------------

_HTTPS_URL = re.compile(r"https://[^\s<>\\]+")
_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tags(rule: RuleInfo) -> list[str]:
    tags: list[str] = []
    for tag in ("security", *rule.tags):
        tag = tag.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _help(rule: RuleInfo) -> Message:
    text = f"{rule.rationale}\n\nRemediation: {rule.remediation}"
    md = f"{markdown(rule.rationale)}\n\n**Remediation**\n\n{markdown(rule.remediation)}"
    if rule.references:
        text += "\n\nReferences:\n" + "\n".join(f"- {ref}" for ref in rule.references)
        links = (f"<{ref}>" if _HTTPS_URL.fullmatch(ref) else markdown(ref) for ref in rule.references)
        md += "\n\n**References**\n\n" + "\n".join(f"- {link}" for link in links)
    return Message(text=text, markdown=md)


def _descriptor(rule: RuleInfo) -> ReportingDescriptor:
    level, security_severity = SEVERITY_TABLE[rule.severity]
    title = rule.title.strip() or rule.name or rule.id
    return ReportingDescriptor(
        id=rule.id,
        name=_clip(rule.name or rule.id, MAX_NAME),
        short_description=Message(text=_clip(title, MAX_DESCRIPTION)),
        full_description=Message(text=_clip(rule.rationale.strip() or title, MAX_DESCRIPTION)),
        help=_help(rule),
        help_uri=rule.help_uri or None,
        default_configuration=ReportingConfiguration(level=level),
        properties=RuleProperties(tags=_tags(rule), security_severity=security_severity),
    )


# --- results and notifications ----------------------------------------------------------------------------


def _location(result: Result) -> Location:
    logical = LogicalLocation(name=result.resource_id or None, fully_qualified_name=result.resource_arn or None)
    return Location(
        physical_location=PhysicalLocation(artifact_location=ArtifactLocation(uri=artifact_uri(result))),
        logical_locations=[logical] if result.resource_arn or result.resource_id else None,
    )


def _message(result: Result) -> str:
    text = result.message.strip() or f"{result.rule_id} {result.rule_name} failed for {result.resource_id}."
    if result.remediation:
        text += "\n\nRemediation:\n" + "\n".join(result.remediation)
    return text


def _sarif_result(result: Result, rule_index: int, key: str, fingerprint: str) -> SarifResult:
    return SarifResult(
        rule_id=result.rule_id,
        rule_index=rule_index,
        level=SEVERITY_TABLE[result.severity].level,
        message=Message(text=_message(result)),
        locations=[_location(result)],
        partial_fingerprints={FINGERPRINT: fingerprint, FINDING_KEY: key},
        properties=ResultProperties(
            severity=result.severity,
            aws=AwsResource(
                arn=result.resource_arn,
                account_id=result.account,
                region=result.region,
                resource_type=result.resource_type,
                resource_id=result.resource_id,
                workload=result.workload,
                qualifier=result.qualifier or None,
            ),
        ),
    )


def _collection_notification(error: CollectionErrorRecord) -> Notification:
    text = f"Collection error: {error.describe()}" + (f" ({error.message})" if error.message else "")
    properties = {
        "account": error.account,
        "region": error.region,
        "operation": error.action,
        "errorCode": error.error_code,
    }
    if error.resource_id:
        properties["resourceId"] = error.resource_id
    return Notification(level="error", message=Message(text=text), properties=properties)


def _error_notification(result: Result, rule_index: int) -> Notification:
    text = f"{result.rule_id} {result.rule_name} could not be evaluated for {result.resource_id}: {result.message}"
    return Notification(
        level="error",
        message=Message(text=text),
        associated_rule=ReportingDescriptorReference(id=result.rule_id, index=rule_index),
        locations=[_location(result)],
    )


def _utc(moment: datetime) -> str:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _fits(text: str) -> bool:
    data = text.encode("utf-8")
    # gzip never more than doubles JSON; only compress when it could matter.
    return len(data) <= MAX_GZIP_BYTES // 2 or len(gzip.compress(data, GZIP_LEVEL)) <= MAX_GZIP_BYTES


def _largest_fitting(count: int, render: Callable[[int], str]) -> str:
    """The rendering of the largest k <= count whose output fits MAX_GZIP_BYTES (k = 0 if none does)."""
    text = render(count)
    if _fits(text):
        return text
    low, high, best = 0, count - 1, render(0)
    while low <= high:
        middle = (low + high) // 2
        candidate = render(middle)
        if _fits(candidate):
            low, best = middle + 1, candidate
        else:
            high = middle - 1
    return best


def render_sarif(result: ScanResult, category: str | None = None) -> str:
    rules: list[ReportingDescriptor] = []
    rule_index: dict[str, int] = {}
    for rule in result.rules:
        if rule.id not in rule_index:
            rule_index[rule.id] = len(rules)
            rules.append(_descriptor(rule))
    for r in result.results:
        if r.rule_id not in rule_index:
            raise RenderError(f"result of rule {r.rule_id} on {r.resource_id}: the rule is not in the result's rules")

    notifications = [_collection_notification(e) for e in result.scan.errors]
    notifications += [_error_notification(r, rule_index[r.rule_id]) for r in result.results if r.status is Status.ERROR]

    findings = [r for r in result.results if r.status is Status.FAIL and not r.suppressed]
    keys = [finding_key(r) for r in findings]
    fingerprints = _fingerprints(keys, findings)
    # Most severe first, then the scan's own order: what survives GitHub's limits.
    ranked = sorted(range(len(findings)), key=lambda i: (-findings[i].severity.rank, i))[:MAX_RESULTS]
    built = {i: _sarif_result(findings[i], rule_index[findings[i].rule_id], keys[i], fingerprints[i]) for i in ranked}

    tool = Tool(
        driver=ToolComponent(
            name=result.tool.name,
            version=result.tool.version,
            semantic_version=result.tool.version if _SEMVER.fullmatch(result.tool.version) else None,
            information_uri=result.tool.information_uri or None,
            rules=rules,
        )
    )
    details = RunAutomationDetails(id=automation_id(result, category))
    properties = RunProperties(
        vpce_scan=ScanProperties(source=result.scan.source, accounts=result.scan.accounts, regions=result.scan.regions)
    )

    def render(kept: int) -> str:
        dropped = len(findings) - kept
        notes = list(notifications)
        if dropped:
            notes.append(_truncation_notification(findings, ranked[:kept], dropped))
        invocation = Invocation(
            execution_successful=result.is_complete,
            start_time_utc=_utc(result.scan.started_at),
            end_time_utc=_utc(result.scan.finished_at),
            tool_execution_notifications=notes,
        )
        run = Run(
            tool=tool,
            automation_details=details,
            invocations=[invocation],
            results=[built[i] for i in sorted(ranked[:kept])],
            properties=properties,
        )
        return SarifLog(runs=[run]).model_dump_json(indent=2, exclude_none=True) + "\n"

    return _largest_fitting(len(ranked), render)


def _truncation_notification(findings: list[Result], kept: list[int], dropped: int) -> Notification:
    lowest = findings[kept[-1]].severity.value if kept else "none"
    text = (
        f"Kept the {len(kept):,} most severe of {len(findings):,} findings and dropped {dropped:,} "
        f"(lowest severity kept: {lowest}) to stay within GitHub code scanning's limits of "
        f"{MAX_RESULTS:,} results per run and {MAX_GZIP_BYTES:,} bytes gzipped; "
        "the JSON report has them all."
    )
    return Notification(level="warning", message=Message(text=text))
