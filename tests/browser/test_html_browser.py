"""The HTML report in a real headless Chromium, opened from disk (file://).

It must load with no console or page error and no request but its own file, its filters and search must
change what is shown, its copy buttons must work (or fail over without throwing), and a report full of
hostile strings must run nothing and show them as text.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.report.html import render_html, visible
from scanner.results import ScanResult, Severity, Status
from tests.browser.builders import HOSTILE, PAYLOAD, demo_result, hostile_result, many_results
from tests.browser.conftest import Opened

pytestmark = pytest.mark.browser

OpenReport = Callable[..., Opened]


def count(
    result: ScanResult,
    statuses: set[Status],
    severities: set[Severity] | None = None,
    rule: str | None = None,
    account: str | None = None,
) -> int:
    return sum(
        1
        for r in result.results
        if r.status in statuses
        and (severities is None or r.severity in severities)
        and (rule is None or r.rule_id == rule)
        and (account is None or r.account == account)
    )


def test_demo_report_opens_clean_and_is_screenshotted(open_report: OpenReport, tmp_path: Path) -> None:
    result = demo_result()
    opened = open_report(render_html(result))
    page = opened.page
    assert page.title() == "vpce-scan report: 111122223333 · eu-west-1"
    assert page.locator("#filters").is_visible()  # the script ran under the CSP
    failing_or_error = sum(1 for r in result.results if r.status.value in ("fail", "error"))
    assert failing_or_error > 0
    assert page.inner_text("#shown") == f"Showing {failing_or_error} of {len(result.results)} results."
    assert opened.visible_findings() == count(result, {Status.FAIL, Status.ERROR}) == failing_or_error
    assert page.locator("svg.diagram").count() == 4
    heading = page.locator("#f0 > h3")
    heading.hover()
    assert heading.get_attribute("title") == "VPCE001 endpoint-required: " + result.rules[0].title
    assert page.locator("svg.diagram path.e-fail").count() > 0 and page.locator("svg.diagram .n-missing").count() == 2
    shot = tmp_path / "vpce-scan-demo-report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")
    opened.assert_clean()


def test_filters_and_search_change_what_is_shown(open_report: OpenReport) -> None:
    result = many_results(600)
    opened = open_report(render_html(result))
    page = opened.page
    failing = {Status.FAIL, Status.ERROR}
    shown = opened.visible_findings()
    assert shown == count(result, failing) and 0 < shown < 600

    page.check("#filters input[name=status][value=pass]")
    assert opened.visible_findings() == count(result, failing | {Status.PASS}) > shown
    page.check("#filters input[name=status][value=skipped]")
    assert opened.visible_findings() == 600

    page.uncheck("#filters input[name=severity][value=high]")
    without_high = set(Severity) - {Severity.HIGH}
    assert opened.visible_findings() == count(result, set(Status), without_high) < 600
    page.check("#filters input[name=severity][value=high]")

    page.select_option("#f-rule", label="VPCE004 endpoint-sg-ingress")
    assert opened.visible_findings() == count(result, set(Status), rule="VPCE004") > 0
    page.select_option("#f-account", label="444455556666")
    assert opened.visible_findings() == count(result, set(Status), rule="VPCE004", account="444455556666") > 0
    page.select_option("#f-rule", value="")
    page.select_option("#f-account", value="")

    target = result.results[123].resource_id  # unique: each result has its own id
    page.fill("#f-text", target.upper())  # case-insensitive
    page.wait_for_function("() => document.getElementById('shown').textContent.startsWith('Showing 1 of')")
    assert opened.visible_findings() == 1
    page.fill("#f-text", "payments-api secretsmanager")  # every word must match
    page.wait_for_timeout(200)
    expected = sum(1 for r in result.results if "payments-api" in r.message and "secretsmanager" in r.message)
    assert opened.visible_findings() >= expected > 0  # the message or the evidence may hold the words

    page.click("#f-reset")
    assert opened.visible_findings() == shown and page.input_value("#f-text") == ""
    opened.assert_clean()


def test_summary_tiles_and_rule_links_filter(open_report: OpenReport) -> None:
    result = many_results(300)
    opened = open_report(render_html(result))
    page = opened.page
    page.click("#summary a.tile.s-pass")
    assert opened.visible_findings() == count(result, {Status.PASS})
    page.click("#summary a.tile.v-critical")
    assert opened.visible_findings() == count(result, {Status.FAIL}, {Severity.CRITICAL})
    opened.assert_clean()


def test_link_to_a_hidden_finding_reveals_it(open_report: OpenReport) -> None:
    result = demo_result()
    last = f"f{len(result.results) - 1}"  # a PASS, hidden by the default filter
    opened = open_report(render_html(result), fragment=f"#{last}")
    assert opened.page.locator(f"#{last}").is_visible()
    opened.page.click("#workloads a.chip.c-pass >> nth=0")
    assert opened.page.evaluate("() => location.hash").startswith("#f")
    opened.assert_clean()


def test_copy_button_copies_or_falls_back_without_throwing(open_report: OpenReport) -> None:
    opened = open_report(render_html(demo_result()))
    page = opened.page
    button = page.locator("button.copy").first
    command = page.locator("#finding-list ol code").first.inner_text()
    button.click()
    page.wait_for_function("() => document.querySelector('button.copy').textContent !== 'copy'")
    assert button.inner_text() in ("copied", "press Ctrl+C")
    if button.inner_text() == "press Ctrl+C":  # no clipboard here: the command is selected for the reader
        assert page.evaluate("() => window.getSelection().toString()") == command
    opened.assert_clean()


def test_cost_panel_recomputes_for_the_traffic_typed_in(open_report: OpenReport) -> None:
    opened = open_report(render_html(demo_result()))
    page = opened.page
    payments = page.locator("article.cost").first
    assert payments.locator("[data-cost=nat-data]").inner_text() == "$4.50"
    page.fill("#gb", "2000")
    assert payments.locator("[data-cost=nat-data]").inner_text() == "$90.00"
    assert payments.locator("[data-cost=nat-data-f]").inner_text() == "2,000 GB \u00d7 $0.045/GB"
    assert payments.locator("[data-cost=ep-total]").inner_text() == "$173.30"
    assert payments.locator("[data-cost=verdict]").inner_text() == (
        "At 2,000 GB a month the endpoints cost $15.25 a month less than NAT."
    )
    opened.assert_clean()


def test_hostile_report_runs_nothing_and_shows_the_strings(open_report: OpenReport) -> None:
    opened = open_report(render_html(hostile_result()))
    page = opened.page
    page.check("#filters input[name=status][value=pass]")
    page.check("#filters input[name=status][value=skipped]")
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    page.hover("svg.diagram g.node")
    page.hover("#finding-list > article[data-f] > h3 >> nth=0")
    assert visible(PAYLOAD) in (page.get_attribute("#finding-list > article[data-f] > h3 >> nth=0", "title") or "")
    page.fill("#f-text", "<script>")
    page.wait_for_timeout(100)
    assert opened.visible_findings() == 5
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.evaluate("() => document.querySelectorAll('iframe, img, object, embed').length") == 0
    assert page.evaluate("() => document.scripts.length") == 2
    assert page.locator("body").is_visible()  # the </style> payload did not hide the page
    text = page.inner_text("body")
    for hostile in HOSTILE:
        for part in visible(hostile).split("\n"):
            assert part.strip() in text, hostile
    opened.assert_clean()
