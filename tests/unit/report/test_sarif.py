"""SARIF for GitHub code scanning: shape, identity (paths, fingerprints, category), rules, limits."""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from datetime import timedelta
from typing import Any

import pytest

from scanner.errors import RenderError
from scanner.report import RenderOptions, render
from scanner.report import sarif as sarif_module
from scanner.report.sarif import SEVERITY_TABLE, artifact_uri, automation_id, render_sarif
from scanner.results import Severity, Status
from tests.sarif_checks import assert_valid_sarif
from tests.unit.report.factories import (
    ACCOUNT,
    REGION,
    STARTED,
    collection_error,
    result,
    rule,
    sarif,
    scan_result,
)


def _run(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["runs"]) == 1
    run: dict[str, Any] = doc["runs"][0]
    return run


def _fingerprints(doc: dict[str, Any]) -> dict[tuple[str, str, str], str]:
    """(rule id, ARN, qualifier) -> primaryLocationLineHash."""
    return {
        (
            r["ruleId"],
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
            r["properties"]["aws"].get("qualifier", ""),
        ): r["partialFingerprints"]["primaryLocationLineHash"]
        for r in _run(doc)["results"]
    }


def _mixed_scan() -> Any:
    return scan_result(
        [
            result("VPCE001", qualifier="orders-api/logs"),
            result("VPCE001", qualifier="orders-api/ecr.dkr"),
            result("VPCE002", severity=Severity.MEDIUM, resource_id="vpc-0456"),
            result("VPCE002", status=Status.PASS, resource_id="vpc-0789"),
            result("VPCE003", status=Status.SKIPPED, severity=Severity.LOW),
            result("VPCE004", severity=Severity.LOW, suppressed=True, suppression_reason="accepted risk"),
            result("VPCE005", severity=Severity.CRITICAL, resource_id="vpc-0abc"),
        ]
    )


# --- shape ------------------------------------------------------------------------------------------------


def test_only_unsuppressed_fails_become_results() -> None:
    doc = sarif(_mixed_scan())
    results = _run(doc)["results"]
    assert [(r["ruleId"], r["properties"]["aws"]["resourceId"]) for r in results] == [
        ("VPCE001", "vpc-0123"),
        ("VPCE001", "vpc-0123"),
        ("VPCE002", "vpc-0456"),
        ("VPCE005", "vpc-0abc"),
    ]


def test_every_result_has_a_relative_physical_location_and_the_arn_as_logical_location() -> None:
    doc = sarif(_mixed_scan())
    for r in _run(doc)["results"]:
        (location,) = r["locations"]
        physical = location["physicalLocation"]
        assert re.fullmatch(
            r"aws/111122223333/eu-west-1/vpc/vpc-[0-9a-f]+(/[^/]+)?", physical["artifactLocation"]["uri"]
        )
        assert physical["region"] == {"startLine": 1}
        (logical,) = location["logicalLocations"]
        assert logical["kind"] == "resource"
        assert logical["fullyQualifiedName"].startswith("arn:aws:ec2:eu-west-1:111122223333:vpc/")


def test_the_qualifier_is_one_extra_percent_encoded_segment() -> None:
    assert (
        artifact_uri(result(qualifier="orders-api/logs")) == "aws/111122223333/eu-west-1/vpc/vpc-0123/orders-api%2Flogs"
    )
    assert artifact_uri(result(qualifier="")) == "aws/111122223333/eu-west-1/vpc/vpc-0123"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"resource_id": "svc name:1"}, "aws/111122223333/eu-west-1/vpc/svc%20name%3A1"),
        ({"resource_id": "..", "qualifier": "."}, "aws/111122223333/eu-west-1/vpc/%2E%2E/%2E"),
        ({"resource_id": "café/β"}, "aws/111122223333/eu-west-1/vpc/caf%C3%A9%2F%CE%B2"),
        ({"region": ""}, "aws/111122223333/global/vpc/vpc-0123"),
        ({"account": "arn:aws:x"}, "aws/arn%3Aaws%3Ax/eu-west-1/vpc/vpc-0123"),
        ({"resource_id": "<script>?#[x]"}, "aws/111122223333/eu-west-1/vpc/%3Cscript%3E%3F%23%5Bx%5D"),
    ],
)
def test_uri_segments_are_encoded_so_the_path_stays_relative_and_valid(fields: dict[str, Any], expected: str) -> None:
    finding = result(**fields)
    assert artifact_uri(finding) == expected
    sarif(scan_result([finding]))  # and the schema's uri-reference check accepts it


def test_message_is_the_result_sentence_then_the_remediation_commands() -> None:
    doc = sarif(scan_result([result(remediation=["aws ec2 one", "aws ec2 two"])]))
    text = _run(doc)["results"][0]["message"]["text"]
    assert (
        text == "vpc-0123 is not compliant with VPCE001; expected compliance.\n\nRemediation:\naws ec2 one\naws ec2 two"
    )


def test_result_level_comes_from_the_result_severity() -> None:
    findings = [result(f"VPCE00{i}", severity=s, resource_id=f"vpc-{i}") for i, s in enumerate(Severity)]
    doc = sarif(scan_result(findings))
    levels = {r["properties"]["severity"]: r["level"] for r in _run(doc)["results"]}
    assert levels == {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}


def test_every_severity_has_one_sarif_mapping() -> None:
    assert set(SEVERITY_TABLE) == set(Severity)
    assert {s: m.security_severity for s, m in SEVERITY_TABLE.items()} == {
        Severity.CRITICAL: "9.5",
        Severity.HIGH: "8.0",
        Severity.MEDIUM: "5.5",
        Severity.LOW: "2.0",
        Severity.INFO: None,
    }


def test_results_point_at_their_rule_by_index() -> None:
    doc = sarif(_mixed_scan())
    rules = _run(doc)["tool"]["driver"]["rules"]
    for r in _run(doc)["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]


def test_a_result_whose_rule_is_missing_is_a_render_error() -> None:
    scan = scan_result([result("VPCE001")], rules=[rule("VPCE002")])
    with pytest.raises(RenderError, match="VPCE001"):
        render_sarif(scan)


# --- rules ------------------------------------------------------------------------------------------------


def test_the_full_rule_catalogue_is_listed_even_without_findings() -> None:
    rules = [rule("VPCE001"), rule("VPCE002", Severity.MEDIUM), rule("VPCE010", Severity.INFO)]
    doc = sarif(scan_result([result("VPCE002", status=Status.PASS)], rules=rules))
    assert _run(doc)["results"] == []
    descriptors = _run(doc)["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == ["VPCE001", "VPCE002", "VPCE010"]
    first = descriptors[0]
    assert first["name"] == "rule-vpce001"
    assert first["shortDescription"] == {"text": "Title of VPCE001"}
    assert first["fullDescription"] == {"text": "Why VPCE001 matters."}
    assert "Why VPCE001 matters." in first["help"]["text"] and "How to fix VPCE001." in first["help"]["text"]
    assert "How to fix VPCE001\\." in first["help"]["markdown"]
    assert first["helpUri"] == "https://example.com/rules#vpce001"
    assert first["defaultConfiguration"] == {"level": "error"}
    assert first["properties"] == {"tags": ["security", "networking"], "security-severity": "8.0"}
    assert descriptors[1]["properties"]["security-severity"] == "5.5"
    assert "security-severity" not in descriptors[2]["properties"]  # info: no security severity
    assert descriptors[2]["defaultConfiguration"] == {"level": "note"}


def test_tags_include_security_once_and_are_capped_at_ten() -> None:
    many = rule(tags=["networking", "security", *(f"tag{i}" for i in range(15)), " ", "networking"])
    doc = sarif(scan_result([], rules=[many]))
    tags = _run(doc)["tool"]["driver"]["rules"][0]["properties"]["tags"]
    assert tags[:2] == ["security", "networking"] and len(tags) == 10 and len(set(tags)) == 10


def test_rule_help_markdown_is_escaped_and_references_are_autolinks() -> None:
    hostile = rule(
        rationale="Tag <script>alert(1)</script> | *x* `y` [a](javascript:alert(1))",
        remediation="Run ```rm``` now.",
        references=["https://docs.aws.amazon.com/vpc/", "javascript:alert(1)"],
    )
    doc = sarif(scan_result([result()], rules=[hostile]))
    md = _run(doc)["tool"]["driver"]["rules"][0]["help"]["markdown"]
    assert "<script>" not in md and "\\<script\\>" in md
    assert "](javascript:" not in md and "\\]\\(javascript:" in md
    assert "\\`\\`\\`rm\\`\\`\\`" in md
    assert "- <https://docs.aws.amazon.com/vpc/>" in md
    assert "<javascript:" not in md


def test_long_descriptions_are_clipped_to_githubs_limit() -> None:
    doc = sarif(scan_result([], rules=[rule(title="t" * 2000, rationale="r" * 2000, name="n" * 300)]))
    descriptor = _run(doc)["tool"]["driver"]["rules"][0]
    assert len(descriptor["shortDescription"]["text"]) == 1024
    assert len(descriptor["fullDescription"]["text"]) == 1024
    assert len(descriptor["name"]) == 255


# --- fingerprints -----------------------------------------------------------------------------------------


def test_fingerprint_is_sha256_of_rule_arn_and_qualifier() -> None:
    finding = result(qualifier="orders-api/logs")
    doc = sarif(scan_result([finding]))
    identity = f"VPCE001\x1f{finding.resource_arn}\x1forders-api/logs".encode()
    expected = hashlib.sha256(identity).hexdigest()
    fingerprints = _run(doc)["results"][0]["partialFingerprints"]
    assert fingerprints["primaryLocationLineHash"] == f"{expected[:16]}:1"
    assert fingerprints["vpceScanFindingKey/v1"] == expected


def test_fingerprints_survive_other_timestamps_order_and_neighbours() -> None:
    findings = [result(f"VPCE00{i % 5 + 1}", resource_id=f"vpc-{i:04d}", qualifier=f"q{i % 3}") for i in range(40)]
    first = sarif(scan_result(findings))
    shuffled = findings[:]
    random.Random(7).shuffle(shuffled)
    later = STARTED + timedelta(days=3, seconds=17)
    second = sarif(scan_result([*shuffled[:30], result("VPCE009", resource_id="vpc-new")], started=later))
    before, after = _fingerprints(first), _fingerprints(second)
    common = before.keys() & after.keys()
    assert len(common) == 30
    assert all(before[k] == after[k] for k in common)


def test_different_findings_never_share_a_fingerprint() -> None:
    base = result(qualifier="a")
    variants = [
        base,
        result("VPCE002", qualifier="a"),  # other rule
        result(qualifier="a", resource_arn=base.resource_arn + "x"),  # other ARN
        result(qualifier="b"),  # other qualifier
        result(qualifier=""),
        # the separator keeps (rule, ARN, qualifier) apart from concatenations of them
        result(qualifier="", resource_arn=base.resource_arn + "a"),
    ]
    doc = sarif(scan_result(variants))
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in _run(doc)["results"]]
    assert len(set(hashes)) == len(variants)


def _by_first_line(results: list[dict[str, Any]]) -> dict[str, str]:
    return {r["message"]["text"].split("\n")[0]: r["partialFingerprints"]["primaryLocationLineHash"] for r in results}


def test_duplicate_findings_are_numbered_independently_of_order() -> None:
    one = result(message="First sentence.")
    two = result(message="Second sentence.")
    forward = _run(sarif(scan_result([one, two])))["results"]
    backward = _run(sarif(scan_result([two, one])))["results"]
    by_message = _by_first_line(forward)
    assert _by_first_line(backward) == by_message
    assert sorted(h[-2:] for h in by_message.values()) == [":1", ":2"]
    assert len({h[:-2] for h in by_message.values()}) == 1


# --- category ---------------------------------------------------------------------------------------------


def test_default_category_comes_from_source_accounts_and_regions() -> None:
    doc = sarif(scan_result([result()]))
    assert _run(doc)["automationDetails"] == {"id": "vpce-scan/aws/111122223333/eu-west-1/"}
    several = scan_result([result()], accounts=["444455556666", ACCOUNT], regions=["us-east-1", REGION])
    assert automation_id(several) == "vpce-scan/aws/111122223333+444455556666/eu-west-1+us-east-1/"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("vpce-scan/aws/prod", "vpce-scan/aws/prod/"), ("vpce-scan/aws/prod/", "vpce-scan/aws/prod/"), ("x", "x/")],
)
def test_category_option_ends_with_a_slash(given: str, expected: str) -> None:
    doc = sarif(scan_result([result()]), category=given)
    assert _run(doc)["automationDetails"]["id"] == expected


@pytest.mark.parametrize("given", ["", "  ", "/", "//"])
def test_an_empty_category_is_refused(given: str) -> None:
    with pytest.raises(RenderError, match="empty"):
        render_sarif(scan_result([result()]), category=given)


def test_render_dispatch_passes_the_category() -> None:
    text = render(scan_result([result()]), "sarif", RenderOptions(sarif_category="team/prod"))
    doc = json.loads(text)
    assert_valid_sarif(doc)
    assert _run(doc)["automationDetails"]["id"] == "team/prod/"


# --- invocation -------------------------------------------------------------------------------------------


def test_complete_scan_is_successful_without_notifications() -> None:
    (invocation,) = _run(sarif(_mixed_scan()))["invocations"]
    assert invocation == {
        "executionSuccessful": True,
        "startTimeUtc": "2026-11-02T06:17:00Z",
        "endTimeUtc": "2026-11-02T06:17:02Z",
        "toolExecutionNotifications": [],
    }


def test_collection_errors_and_error_results_are_notifications_of_an_unsuccessful_run() -> None:
    scan = scan_result(
        [result(), result("VPCE007", status=Status.ERROR, message="Condition aws:SourceVpce is undetermined.")],
        errors=[collection_error()],
    )
    doc = sarif(scan)
    run = _run(doc)
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    collection, rule_error = invocation["toolExecutionNotifications"]
    assert collection["level"] == "error"
    assert collection["message"]["text"] == (
        "Collection error: eu-west-1 ec2:DescribeVpcEndpoints: AccessDenied; grant ec2:DescribeVpcEndpoints "
        "(User is not authorized to perform ec2:DescribeVpcEndpoints)"
    )
    assert collection["properties"]["errorCode"] == "AccessDenied"
    assert rule_error["level"] == "error"
    assert rule_error["message"]["text"] == (
        "VPCE007 rule-vpce007 could not be evaluated for vpc-0123: Condition aws:SourceVpce is undetermined."
    )
    rules = run["tool"]["driver"]["rules"]
    assert rules[rule_error["associatedRule"]["index"]]["id"] == rule_error["associatedRule"]["id"] == "VPCE007"
    assert [r["ruleId"] for r in run["results"]] == ["VPCE001"]


# --- GitHub's limits --------------------------------------------------------------------------------------


def test_more_than_25000_findings_keep_the_most_severe() -> None:
    findings = [
        result(severity=Severity.LOW, resource_id=f"vpc-{i:05d}", remediation=[], message="m.") for i in range(25_005)
    ]
    findings[7] = result(severity=Severity.CRITICAL, resource_id="vpc-critical", remediation=[])
    findings.append(result(severity=Severity.HIGH, resource_id="vpc-high", remediation=[]))
    doc = sarif(scan_result(findings))
    run = _run(doc)
    results = run["results"]
    assert len(results) == 25_000
    kept = [r["properties"]["aws"]["resourceId"] for r in results]
    assert kept[:2] == ["vpc-00000", "vpc-00001"] and "vpc-critical" in kept and "vpc-high" in kept
    # stable order among equals: the first 24,998 low findings (0-6, 8-24998) survive, the last ones are dropped
    assert "vpc-24998" in kept and "vpc-24999" not in kept and "vpc-00007" not in kept
    (notice,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notice["level"] == "warning"
    assert (
        "Kept the 25,000 most severe of 25,006 findings and dropped 6 (lowest severity kept: low)"
        in notice["message"]["text"]
    )
    assert run["invocations"][0]["executionSuccessful"] is True  # the scan itself was complete


def test_past_the_gzip_limit_the_most_severe_findings_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    severities = [Severity.LOW, Severity.CRITICAL, Severity.MEDIUM, Severity.HIGH] * 10
    findings = [
        result(severity=s, resource_id=f"vpc-{i:02d}", message=f"{random.Random(i).randbytes(300).hex()}.")
        for i, s in enumerate(severities)
    ]
    scan = scan_result(findings)
    full = render_sarif(scan)
    assert_valid_sarif(json.loads(full))
    limit = len(gzip.compress(full.encode(), 6)) // 2
    monkeypatch.setattr(sarif_module, "MAX_GZIP_BYTES", limit)
    text = render_sarif(scan)
    assert len(gzip.compress(text.encode(), 6)) <= limit
    doc = json.loads(text)
    assert_valid_sarif(doc)
    kept = _run(doc)["results"]
    assert 10 <= len(kept) < 40
    ranks = [Severity(r["properties"]["severity"]).rank for r in kept]
    kept_ids = {r["properties"]["aws"]["resourceId"] for r in kept}
    dropped_best = max(f.severity.rank for f in findings if f.resource_id not in kept_ids)
    assert min(ranks) >= dropped_best  # nothing dropped is more severe than anything kept
    (notice,) = _run(doc)["invocations"][0]["toolExecutionNotifications"]
    assert f"dropped {40 - len(kept)}" in notice["message"]["text"]


def test_when_nothing_fits_no_result_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif_module, "MAX_GZIP_BYTES", 10)
    doc = json.loads(render_sarif(scan_result([result(), result("VPCE002")])))
    assert_valid_sarif(doc)
    assert _run(doc)["results"] == []
    assert "dropped 2" in _run(doc)["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
