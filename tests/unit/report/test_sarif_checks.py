"""The SARIF checker itself: it must catch what GitHub rejects, including what the schema lets through."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from scanner.report.sarif import render_sarif
from tests.sarif_checks import (
    SCHEMA_SHA256,
    assert_valid_sarif,
    github_problems,
    schema_path,
    schema_problems,
)
from tests.unit.report.factories import result, scan_result

Doc = dict[str, Any]


@pytest.fixture
def doc() -> Doc:
    scan = scan_result([result(qualifier="orders-api/logs"), result("VPCE002", resource_id="vpc-0456")])
    parsed: Doc = json.loads(render_sarif(scan))
    assert_valid_sarif(parsed)
    return parsed


def _first_result(d: Doc) -> Doc:
    first: Doc = d["runs"][0]["results"][0]
    return first


def _set_uri(value: str) -> Callable[[Doc], None]:
    def mutate(d: Doc) -> None:
        _first_result(d)["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = value

    return mutate


def _logical_only(d: Doc) -> None:
    del _first_result(d)["locations"][0]["physicalLocation"]


def _no_locations(d: Doc) -> None:
    del _first_result(d)["locations"]


def _empty_locations(d: Doc) -> None:
    _first_result(d)["locations"] = []


# The four shapes GitHub rejects whole uploads for, all valid per the schema (docs/notes/sarif-github.md §1.3, §5.3).
GITHUB_FATAL = {
    "uri is the ARN": (_set_uri("arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0123"), "not a relative, scheme-less"),
    "uri is empty": (_set_uri(""), "expected artifact location"),
    "logical-only location": (_logical_only, "expected a physical location"),
    "no locations": (_no_locations, "expected at least one location"),
    "empty locations": (_empty_locations, "expected at least one location"),
    "https uri": (_set_uri("https://console.aws.amazon.com/vpc"), "not a relative, scheme-less"),
    "file uri": (_set_uri("file:///etc/passwd"), "not a relative, scheme-less"),
}


@pytest.mark.parametrize("name", GITHUB_FATAL)
def test_github_fatal_shapes_pass_the_schema_but_fail_the_check(doc: Doc, name: str) -> None:
    mutate, expected = GITHUB_FATAL[name]
    mutate(doc)
    assert schema_problems(doc) == []  # the schema alone does not catch it
    assert any(expected in p for p in github_problems(doc)), github_problems(doc)
    with pytest.raises(AssertionError, match=expected):
        assert_valid_sarif(doc)


def _rule_properties(d: Doc) -> Doc:
    properties: Doc = d["runs"][0]["tool"]["driver"]["rules"][0]["properties"]
    return properties


MORE_MUTATIONS: dict[str, tuple[Callable[[Doc], None], str]] = {
    "no fingerprint": (lambda d: _first_result(d).pop("partialFingerprints"), "primaryLocationLineHash missing"),
    "no startLine": (
        lambda d: _first_result(d)["locations"][0]["physicalLocation"]["region"].clear(),
        "startLine",
    ),
    "startLine 0": (
        lambda d: _first_result(d)["locations"][0]["physicalLocation"]["region"].update(startLine=0),
        "startLine",
    ),
    "ruleIndex disagrees": (lambda d: _first_result(d).update(ruleIndex=1), "ruleIndex 1 is 'VPCE002'"),
    "ruleIndex out of range": (lambda d: _first_result(d).update(ruleIndex=9), "out of range"),
    "security-severity a number": (lambda d: _rule_properties(d).update({"security-severity": 8.0}), "not a string"),
    "security-severity zero": (lambda d: _rule_properties(d).update({"security-severity": "0.0"}), "(0, 10]"),
    "security-severity over 10": (lambda d: _rule_properties(d).update({"security-severity": "10.5"}), "(0, 10]"),
    "21 tags": (lambda d: _rule_properties(d).update(tags=[f"t{i}" for i in range(21)]), "21 tags"),
    "category without slash": (
        lambda d: d["runs"][0]["automationDetails"].update(id="vpce-scan"),
        "must be non-empty and end with '/'",
    ),
    "empty message": (lambda d: _first_result(d)["message"].update(text=""), "message.text missing or empty"),
    "empty help": (
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0]["help"].update(text=" "),
        "help.text missing or empty",
    ),
    "long shortDescription": (
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0]["shortDescription"].update(text="x" * 1025),
        "longer than 1024",
    ),
    "empty driver name": (lambda d: d["runs"][0]["tool"]["driver"].update(name=""), "driver.name"),
    "related location without message": (
        lambda d: _first_result(d).update(
            relatedLocations=[
                {"id": 1, "physicalLocation": {"artifactLocation": {"uri": "a/b"}, "region": {"startLine": 1}}}
            ]
        ),
        "relatedLocations[0]: no message",
    ),
    "two runs, same tool and category": (lambda d: d["runs"].append(copy.deepcopy(d["runs"][0])), "same tool"),
    "21 runs": (
        lambda d: d["runs"].extend(
            {**copy.deepcopy(d["runs"][0]), "automationDetails": {"id": f"c{i}/"}} for i in range(20)
        ),
        "21 runs",
    ),
    "25,001 results": (
        lambda d: d["runs"][0].update(results=[_first_result(d)] * 25_001),
        "25001 results",
    ),
}


@pytest.mark.parametrize("name", MORE_MUTATIONS)
def test_the_check_catches_other_github_rules(doc: Doc, name: str) -> None:
    mutate, expected = MORE_MUTATIONS[name]
    mutate(doc)
    problems = github_problems(doc)
    assert any(expected in p for p in problems), problems


def test_two_runs_with_distinct_categories_are_fine(doc: Doc) -> None:
    second = copy.deepcopy(doc["runs"][0])
    second["automationDetails"]["id"] = "vpce-scan/aws/444455556666/eu-west-1/"
    doc["runs"].append(second)
    assert_valid_sarif(doc)


def test_uri_format_is_really_checked(doc: Doc) -> None:
    # Without rfc3986-validator, FormatChecker skips this silently; OSSF Scorecard's sentinel has spaces.
    _set_uri("no file associated with this alert")(doc)
    assert any("uri-reference" in p for p in schema_problems(doc))


def test_the_schema_is_the_pinned_official_one() -> None:
    data = schema_path().read_bytes()
    assert hashlib.sha256(data).hexdigest() == SCHEMA_SHA256
    schema = json.loads(data)
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["id"].endswith("/errata01/os/schemas/sarif-schema-2.1.0.json")
