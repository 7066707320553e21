"""JUnit XML: one testcase per rule x subject, suites per account/region, correct counts, clean XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scanner.config import ScanConfig, bundled_path
from scanner.demo import demo_inventory
from scanner.engine.loader import load_rules
from scanner.report.junit import render_junit, xml_text
from scanner.results import Severity, Status
from tests.unit.report.factories import collection_error, result, rule, scan_result


def _parse(text: str) -> ET.Element:
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>\n<testsuites")
    return ET.fromstring(text)


def _counts(element: ET.Element) -> dict[str, int]:
    return {k: int(element.attrib[k]) for k in ("tests", "failures", "errors", "skipped")}


def _check_counts(root: ET.Element) -> None:
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root.iter("testsuite"):
        cases = suite.findall("testcase")
        expected = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        assert _counts(suite) == expected
        total = {k: total[k] + v for k, v in expected.items()}
    assert _counts(root) == total


def test_demo_counts_match_the_summary() -> None:
    from scanner.scan import evaluate_inventory

    scan = evaluate_inventory(load_rules([bundled_path("rules")]), demo_inventory(), ScanConfig(demo=True))
    root = _parse(render_junit(scan))
    _check_counts(root)
    summary = scan.summary
    assert _counts(root) == {
        "tests": summary.total,
        "failures": summary.by_status[Status.FAIL] - summary.suppressed,
        "errors": summary.by_status[Status.ERROR],
        "skipped": summary.by_status[Status.SKIPPED],
    }


def test_one_testcase_per_result_with_the_right_child() -> None:
    scan = scan_result(
        [
            result("VPCE001", qualifier="orders-api/logs"),
            result("VPCE002", status=Status.PASS),
            result("VPCE003", status=Status.ERROR, message="Undetermined."),
            result("VPCE004", status=Status.SKIPPED, message="VPCE001 reports it."),
            result("VPCE005", severity=Severity.MEDIUM, suppressed=True, suppression_reason="accepted risk"),
        ],
        rules=[rule("VPCE001", remediation="Create the endpoint."), *(rule(f"VPCE00{i}") for i in range(2, 6))],
    )
    root = _parse(render_junit(scan))
    _check_counts(root)
    (suite,) = root.findall("testsuite")
    assert suite.attrib["name"] == "111122223333/eu-west-1"
    cases = suite.findall("testcase")
    assert [(c.attrib["classname"], c.attrib["name"]) for c in cases] == [
        ("VPCE001.rule-vpce001", "vpc-0123 (orders-api/logs)"),
        ("VPCE002.rule-vpce002", "vpc-0123"),
        ("VPCE003.rule-vpce003", "vpc-0123"),
        ("VPCE004.rule-vpce004", "vpc-0123"),
        ("VPCE005.rule-vpce005", "vpc-0123"),
    ]
    failure = cases[0].find("failure")
    assert failure is not None and failure.attrib["type"] == "high"
    assert failure.attrib["message"] == "vpc-0123 is not compliant with VPCE001; expected compliance."
    assert failure.text is not None
    assert "Remediation:\n  aws ec2 fix --region eu-west-1 --vpc-id vpc-0123" in failure.text
    assert failure.text.endswith("Create the endpoint.")
    assert list(cases[1]) == []
    error = cases[2].find("error")
    assert error is not None and error.attrib["message"] == "Undetermined."
    skipped = cases[3].find("skipped")
    assert skipped is not None and skipped.attrib["message"] == "VPCE001 reports it."
    suppressed = cases[4].find("skipped")
    assert suppressed is not None and suppressed.attrib["message"].startswith("suppressed: accepted risk; ")


def test_suites_per_account_and_region_and_collection_errors_as_errors() -> None:
    scan = scan_result(
        [result(), result(account="444455556666", region="us-east-1"), result(region="")],
        errors=[collection_error(region="us-east-1", account="444455556666", resource_id="vpce-1")],
    )
    root = _parse(render_junit(scan))
    _check_counts(root)
    assert [s.attrib["name"] for s in root.iter("testsuite")] == [
        "111122223333/global",
        "111122223333/eu-west-1",
        "444455556666/us-east-1",
    ]
    last = root.findall("testsuite")[-1]
    collection = last.findall("testcase")[0]
    assert collection.attrib == {"classname": "vpce-scan.collection", "name": "ec2:DescribeVpcEndpoints vpce-1"}
    error = collection.find("error")
    assert error is not None and error.attrib["type"] == "AccessDenied"
    assert _counts(root) == {"tests": 4, "failures": 3, "errors": 1, "skipped": 0}
    assert root.attrib["time"] == "2.000"


def test_markup_is_escaped_and_illegal_characters_removed() -> None:
    nasty = 'a\x00b\x01c\x1b[31m <x>&"]]>\ud800 \ufffe é 😀'
    scan = scan_result([result(resource_id=nasty, message=nasty, remediation=[nasty])])
    text = render_junit(scan)
    root = _parse(text)  # well-formed despite all of it
    case = root.find("testsuite/testcase")
    assert case is not None
    cleaned = 'abc[31m <x>&"]]>  é 😀'  # NUL, SOH, ESC, the lone surrogate and U+FFFE removed
    assert case.attrib["name"] == cleaned
    failure = case.find("failure")
    assert failure is not None and failure.attrib["message"] == cleaned
    assert failure.text is not None and cleaned in failure.text


def test_xml_text_keeps_tabs_and_newlines() -> None:
    assert xml_text("a\tb\nc\rd\x0be\x7f") == "a\tb\nc\rde\x7f"
