"""Markdown for $GITHUB_STEP_SUMMARY: summary, collection errors first, findings, escaping, fences."""

from __future__ import annotations

import re
from typing import Any

import pytest

from scanner.report import markdown as markdown_module
from scanner.report.markdown import code_block, render_markdown
from scanner.results import Severity, Status
from tests.unit.report.factories import collection_error, result, rule, scan_result

HOSTILE = "<script>alert(1)</script> | *bold* _em_ `code` [x](javascript:alert(1)) ![i](http://e/x.png) # <b>"


def _mixed() -> str:
    return render_markdown(
        scan_result(
            [
                result("VPCE001", severity=Severity.LOW, resource_id="vpc-low"),
                result("VPCE002", severity=Severity.CRITICAL, resource_id="vpc-critical"),
                result("VPCE003", status=Status.PASS),
                result("VPCE003", status=Status.SKIPPED, severity=Severity.MEDIUM),
                result("VPCE004", severity=Severity.HIGH, suppressed=True, suppression_reason="accepted"),
            ]
        )
    )


def test_verdict_and_summary_table_by_severity_and_status() -> None:
    text = _mixed()
    assert text.startswith("## vpce-scan report\n\n**2 failing findings** (1 critical, 1 low) in 5 checks.\n")
    table = text[text.index("| Severity |") :].split("\n\n")[0].splitlines()
    assert table == [
        "| Severity | Fail | Error | Skipped | Pass | Suppressed | Total |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| critical | 1 | 0 | 0 | 0 | 0 | 1 |",
        "| high | 0 | 0 | 0 | 1 | 1 | 2 |",
        "| medium | 0 | 0 | 1 | 0 | 0 | 1 |",
        "| low | 1 | 0 | 0 | 0 | 0 | 1 |",
        "| info | 0 | 0 | 0 | 0 | 0 | 0 |",
        "| **Total** | **2** | **0** | **1** | **1** | **1** | **5** |",
    ]
    assert "1 suppressed finding not listed below." in text


def test_findings_are_listed_most_severe_first_with_remediation_in_a_code_block() -> None:
    text = _mixed()
    headings = re.findall(r"^#### (.*)$", text, flags=re.M)
    assert headings == [
        "CRITICAL: VPCE002 rule\\-vpce002 on vpc vpc\\-critical",
        "LOW: VPCE001 rule\\-vpce001 on vpc vpc\\-low",
    ]
    assert "```sh\naws ec2 fix --region eu-west-1 --vpc-id vpc-critical\n```" in text
    assert "vpc-0123" not in text.split("### Failing findings")[1]  # suppressed, passed, skipped: not listed


def test_rule_remediation_when_the_result_has_no_commands() -> None:
    text = render_markdown(scan_result([result(remediation=[])], rules=[rule(remediation="Turn it *on*.")]))
    assert "**Remediation:** Turn it \\*on\\*\\." in text


def test_no_failures() -> None:
    text = render_markdown(scan_result([result(status=Status.PASS)]))
    assert "**No failing findings** in 1 check." in text
    assert "### Failing findings" not in text


def test_collection_errors_come_first_in_a_caution_alert() -> None:
    scan = scan_result(
        [result(), result("VPCE007", status=Status.ERROR, message="Condition is undetermined.")],
        errors=[collection_error(message="<img src=x onerror=alert(1)>")],
    )
    text = render_markdown(scan)
    caution = text.index("> [!CAUTION]")
    assert caution < text.index("### Summary") < text.index("### Failing findings")
    assert "> **Scan incomplete:** 1 collection error and 1 result that could not be evaluated." in text
    assert (
        "> - 111122223333 eu\\-west\\-1 ec2:DescribeVpcEndpoints: AccessDenied; grant ec2:DescribeVpcEndpoints "
        "(\\<img src=x onerror=alert\\(1\\)\\>)" in text
    )
    assert (
        "### Could not evaluate (1)\n\n- VPCE007 rule\\-vpce007 on vpc vpc\\-0123: Condition is undetermined\\." in text
    )


def test_complete_scans_have_no_alert() -> None:
    assert "[!CAUTION]" not in _mixed()


@pytest.mark.parametrize(
    "field", ["resource_id", "message", "resource_arn", "workload", "qualifier", "account", "region"]
)
def test_every_aws_string_is_escaped(field: str) -> None:
    hostile: dict[str, Any] = {field: HOSTILE}
    text = render_markdown(scan_result([result(**hostile)], accounts=[HOSTILE], regions=[HOSTILE]))
    # Code blocks are literal (the remediation command holds the resource id): check everything else.
    prose = re.sub(r"^(`{3,})sh$.*?^\1$", "", text, flags=re.M | re.S)
    assert "<script>" not in prose and "<b>" not in prose
    assert "](javascript:" not in prose and "](http" not in prose
    assert "\\<script\\>alert\\(1\\)\\</script\\> \\| \\*bold\\* \\_em\\_ \\`code\\`" in prose
    # outside the summary table, no pipe is unescaped, so no table cell can be forged
    for line in prose.splitlines():
        if not line.startswith("| "):
            assert re.search(r"(?<!\\)\|", line) is None, line


def test_control_characters_are_made_visible() -> None:
    text = render_markdown(scan_result([result(message="red \x1b[31m text\u202e", remediation=["echo \x1b[2J"])]))
    assert "\x1b" not in text and "\u202e" not in text
    assert "\\\\x1b\\[31m" in text  # escaped by terminal(), then its backslash escaped for Markdown
    assert "echo \\x1b[2J" in text  # in the code block: visible, not interpreted


@pytest.mark.parametrize("command", ["```", "echo ``` done", "````", "x `````` y", "~~~"])
def test_a_command_cannot_close_its_code_fence(command: str) -> None:
    block = code_block(["aws ec2 one", command, "aws ec2 two"])
    lines = block.splitlines()
    fence = lines[0].removesuffix("sh")
    assert set(fence) == {"`"} and lines[-1] == fence
    assert len(fence) > max((len(run) for run in re.findall(r"`+", command)), default=0)
    body = lines[1:-1]
    assert body == ["aws ec2 one", command, "aws ec2 two"]
    # CommonMark: a closing fence is a line of at least as many backticks as the opening one
    assert not any(re.fullmatch(rf"\s*`{{{len(fence)},}}\s*", line) for line in body)


def test_hostile_remediation_stays_inside_the_fence() -> None:
    text = render_markdown(scan_result([result(remediation=["```", "# <script>x</script>", "````"])]))
    assert "`````sh\n```\n# <script>x</script>\n````\n`````" in text


def test_output_stays_under_the_step_summary_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(markdown_module, "MAX_BYTES", 6_000)
    findings = [result(resource_id=f"vpc-{i:04d}") for i in range(100)]
    text = render_markdown(scan_result(findings))
    assert len(text.encode()) <= 6_000
    shown = len(re.findall(r"^#### ", text, flags=re.M))
    assert 0 < shown < 100
    assert f"_{100 - shown} more failing findings not shown: GitHub step summaries are limited to 1 MiB." in text


def test_bidi_and_invisible_characters_are_made_visible_everywhere() -> None:
    """GitHub renders bidi controls: U+202E would show `exe.txt` for `txt.exe`, U+061C and the isolates
    reorder text too; none may reach the summary raw, in prose, the header or a code block."""
    hostile = "txt\u202eexe.\u061c\u200e\u200f\u2066\u2069\u202a\U000e0041"
    scan = scan_result(
        [result(message=hostile, resource_id=hostile, remediation=[f"aws ecs x --cluster {hostile}"])],
        accounts=[hostile],
        regions=[hostile],
        source=hostile,
        errors=[collection_error(message=hostile, resource_id=hostile)],
    )
    scan = scan.model_copy(update={"tool": scan.tool.model_copy(update={"name": hostile, "version": hostile})})
    text = render_markdown(scan)
    assert not set(text) & set(hostile) - set("txe."), [c for c in text if c in hostile and c not in "txe."]
    assert "txt\\\\u202eexe\\.\\\\u061c\\\\u200e" in text  # prose: the escape's backslash escaped too
    assert "--cluster txt\\u202eexe.\\u061c\\u200e" in text  # code block: literal
