"""The HTML report: self-contained, CSP-locked, complete, rendered with autoescape and StrictUndefined."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from scanner.config import bundled_path
from scanner.errors import RenderError, UsageError
from scanner.report import RenderOptions, render
from scanner.report.html import environment, render_html, visible
from scanner.report.html_view import PASS_EVIDENCE_LIMIT
from scanner.results import Status
from tests.browser.builders import demo_result, many_results

TEMPLATES = bundled_path("templates")


class Page(HTMLParser):
    """Every element with its attributes, the text of <script> and <style>, and the visible text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []
        self._in: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in][-1] += data
        else:
            self.text.append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.elements if tag == name]


@pytest.fixture(scope="module")
def demo_html() -> str:
    return render_html(demo_result())


@pytest.fixture(scope="module")
def page(demo_html: str) -> Page:
    return Page(demo_html)


def sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def test_dispatch_renders_html() -> None:
    assert render(demo_result(), "html", RenderOptions()).startswith("<!DOCTYPE html>")


def test_self_contained_nothing_fetched(page: Page, demo_html: str) -> None:
    for tag, attrs in page.elements:
        assert "src" not in attrs, f"<{tag}> loads {attrs['src']}"
        assert "srcset" not in attrs and "poster" not in attrs and "background" not in attrs
        assert tag not in {"link", "img", "iframe", "object", "embed", "base", "audio", "video", "source", "form"}
        href = attrs.get("href")
        if href is not None:
            assert tag == "a" and (href.startswith("#") or href.startswith("https://")), (tag, href)
    css = "".join(page.raw["style"])
    for fetching in ("url(", "@import", "@font-face", "image-set("):
        assert fetching not in css
    assert "http://" not in demo_html


def test_strict_content_security_policy(page: Page) -> None:
    (meta,) = [m for m in page.tags("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    csp = meta["content"] or ""
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "http" not in csp
    script, data = (page.raw["script"][-1], page.raw["script"][0])
    assert directives["script-src"] == f"'sha256-{sha256(script)}'"
    assert directives["style-src"] == f"'sha256-{sha256(page.raw['style'][0])}'"
    # The included files reach the page byte for byte, so the hashes are those of the shipped files.
    assert script == (TEMPLATES / "report.js").read_text(encoding="utf-8")
    assert page.raw["style"][0] == (TEMPLATES / "report.css").read_text(encoding="utf-8")
    scripts = page.tags("script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    assert json.loads(data)["costs"]["gb"] == 100.0


def test_script_uses_no_dynamic_code_or_network() -> None:
    js = (TEMPLATES / "report.js").read_text(encoding="utf-8")
    for banned in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "eval(",
        "Function(",
        "document.write",
        "fetch(",
        "XMLHttpRequest",
        "WebSocket",
        "import(",
        "http",
        'setTimeout("',
        'setAttribute("on',
    ):
        assert banned not in js, banned


def test_every_result_is_shown_once_with_its_anchor(page: Page) -> None:
    result = demo_result()
    findings = [a for a in page.tags("article") if "data-f" in a]
    assert len(findings) == len(result.results) == 156
    assert [a["id"] for a in findings] == [f"f{i}" for i in range(len(result.results))]
    statuses = [(a["data-f"] or "").split()[0] for a in findings]
    assert statuses[:17] == ["fail"] * 17 and statuses[-1] == "pass"  # failures first


def test_shows_totals_workloads_rules_costs_and_commands(demo_html: str, page: Page) -> None:
    text = " ".join(page.text)
    assert re.search(r"17\s+fail\b", text) and re.search(r"133\s+pass\b", text)
    for name in ("payments-api", "orders-api", "analytics-worker", "nightly-report"):
        assert name in text
    assert len([s for s in page.tags("svg") if "diagram" in (s.get("class") or "")]) == 4
    assert len(page.tags("article")) > 156
    for rule_id in [f"VPCE0{n:02d}" for n in (1, 2, 3, 4, 5, 6, 9, 10, 11)]:
        assert f'id="rule-{rule_id}"' in demo_html
    assert "aws ec2 create-vpc-endpoint --region eu-west-1 --vpc-id vpc-0b22c0ffee0000002" in text
    assert demo_html.count('<button class="copy">copy</button>') == sum(
        len(r.remediation) for r in demo_result().results
    )
    assert "NAT gateways versus VPC endpoints" in text and "$153.30" in text


def test_collection_errors_are_at_the_top_and_open() -> None:
    html = render_html(many_results(40))
    errors = html.index('id="collection-errors"')
    assert errors < html.index('id="summary"')
    section = html[errors : html.index("</section>", errors)]
    assert "iam:GetRolePolicy" in section and "AccessDenied" in section and "<details" not in section
    assert 'id="error-results"' in html


def test_no_error_banner_when_complete(demo_html: str) -> None:
    assert 'id="collection-errors"' not in demo_html and 'id="error-results"' not in demo_html


def test_large_reports_drop_only_passing_evidence() -> None:
    big = many_results(PASS_EVIDENCE_LIMIT + 1)
    page = Page(render_html(big))
    findings = [a for a in page.tags("article") if "data-f" in a]
    assert len(findings) == PASS_EVIDENCE_LIMIT + 1
    html = render_html(big)
    assert "passing results show their message only" in html
    fail_with_evidence = next(r for r in big.results if r.status is Status.FAIL and r.evidence)
    assert fail_with_evidence.message.replace("'", "&#39;") in html


def test_strict_undefined_raises_on_a_missing_variable() -> None:
    env = environment()
    with pytest.raises(UndefinedError):
        env.from_string("{{ nothing_here }}").render()
    with pytest.raises(UndefinedError):
        env.from_string("{{ result.no_such_field }}").render(result=demo_result())
    with pytest.raises(UndefinedError):
        env.get_template("report.html").render(result=demo_result())  # no view, costs, ...


def test_template_error_becomes_render_error(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("{{ missing }}", encoding="utf-8")
    (tmp_path / "report.js").write_text("", encoding="utf-8")
    (tmp_path / "report.css").write_text("", encoding="utf-8")
    env = environment(tmp_path)
    with pytest.raises(UndefinedError):
        env.get_template("report.html").render()
    from scanner.report import html as html_module

    original = html_module.environment
    html_module.environment = lambda templates=None: env  # type: ignore[assignment]
    try:
        with pytest.raises(RenderError, match=r"report\.html: 'missing' is undefined"):
            render_html(demo_result())
    finally:
        html_module.environment = original


def test_autoescape_is_on_for_html_templates() -> None:
    env = environment()
    assert env.autoescape("report.html") is True  # type: ignore[operator]
    assert env.from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_nat_gb_is_a_usage_error(bad: float) -> None:
    with pytest.raises(UsageError, match="--nat-gb-per-month"):
        render_html(demo_result(), nat_gb_per_month=bad)


def test_nat_gb_per_month_changes_the_figures() -> None:
    html = render_html(demo_result(), nat_gb_per_month=2000)
    assert 'value="2000"' in html and "2,000 GB \u00d7 $0.045/GB" in html and "$90.00" in html


def test_visible_shows_hidden_characters() -> None:
    assert visible("a\u202eb\u2066c\x1bd\u200be\tf\ng") == "a\\u202eb\\u2066c\\u001bd\\u200be\tf\ng"
