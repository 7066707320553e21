"""Attacker-controlled text (tags, names, messages, evidence, rule files) renders as inert text."""

from __future__ import annotations

import json
import re

import pytest

from scanner.report.html import environment, render_html, visible
from tests.browser.builders import HOSTILE, PAYLOAD, hostile_result
from tests.unit.report.test_html_render import Page

EVENT_ATTRIBUTE = re.compile(r"^on[a-z]+$")


@pytest.fixture(scope="module")
def html() -> str:
    return render_html(hostile_result())


@pytest.fixture(scope="module")
def page(html: str) -> Page:
    return Page(html)


def test_no_element_or_attribute_comes_from_the_data(page: Page) -> None:
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"img", "iframe", "object", "embed", "textarea", "base", "link"}
    assert len(page.tags("script")) == 2 and len(page.tags("style")) == 1 and len(page.tags("svg")) == 1
    for tag, attrs in page.elements:
        for name, value in attrs.items():
            assert not EVENT_ATTRIBUTE.match(name), (tag, name, value)
            assert name not in ("src", "srcdoc", "formaction"), (tag, name)
            assert name != "x" or tag in ("rect", "text"), (tag, name)  # the '"onerror=alert(1) x="' payload
            if name == "href":
                assert value is not None and (value.startswith("#") or value.startswith("https://")), value
                assert "javascript:" not in value.lower()


def test_only_our_own_script_and_style(page: Page) -> None:
    _data, script = page.raw["script"]
    assert script == environment().loader.get_source(environment(), "report.js")[0]  # type: ignore[union-attr]
    assert page.raw["style"][0] == environment().loader.get_source(environment(), "report.css")[0]  # type: ignore[union-attr]
    assert "__xss" not in script


def test_hostile_strings_are_shown_as_text(page: Page) -> None:
    text = "".join(page.text)
    for hostile in HOSTILE:
        assert visible(hostile) in text, hostile
    # jinja syntax in data is data: never evaluated.
    assert "{{ 7*7 }}" in text and "49" not in text.replace("2026", "")


def test_bidi_and_control_characters_are_made_visible(html: str) -> None:
    for char in ("\u202e", "\u202c", "\u2066", "\u2069", "\x1b", "\u200b", "\ufeff"):
        assert char not in html
    assert "\\u202egpj.exe\\u202c" in html


def test_markup_looking_entities_are_escaped_again(html: str) -> None:
    assert "&amp;lt;b&amp;gt;not bold&amp;lt;/b&amp;gt; &amp;amp;" in html
    assert "<b>not bold</b>" not in html


def test_script_data_block_is_json_with_markup_characters_escaped(page: Page, html: str) -> None:
    start = html.index('<script type="application/json" id="report-data">') + len(
        '<script type="application/json" id="report-data">'
    )
    raw = html[start : html.index("</script>", start)]
    assert "<" not in raw and ">" not in raw and "&" not in raw and "'" not in raw
    assert "\\u003c/script\\u003e" in raw
    data = json.loads(raw)
    assert data["costs"]["vpcs"][0]["key"] == f"111122223333/eu-west-1/vpc-{PAYLOAD}"
    assert visible(f"VPCE001 endpoint-required {PAYLOAD}: title {PAYLOAD}") in data["rules"]


def test_tojson_escapes_a_script_breakout() -> None:
    env = environment()
    out = env.from_string('<script type="application/json">{{ v | tojson }}</script>').render(
        v={"a": "</script><script>alert(1)</script>", "b": "<!--", "c": "&amp;'\""}
    )
    assert out.count("</script>") == 1 and "<!--" not in out
    assert json.loads(out.split(">", 1)[1].rsplit("<", 1)[0])["a"] == "</script><script>alert(1)</script>"


def test_unsafe_references_are_text_not_links(page: Page) -> None:
    hrefs = [a.get("href") for a in page.tags("a")]
    assert "https://docs.aws.amazon.com/vpc/latest/privatelink/" in hrefs
    assert not any(h and ("javascript" in h or "onmouseover" in h) for h in hrefs)
    assert "javascript:window.__xss=&#39;ref&#39;" in "".join(page.text).replace("'", "&#39;")


def test_hostile_rule_id_stays_inside_its_attributes(html: str) -> None:
    assert "<script>window.__xss='ruleid'</script>" not in html
    assert 'id="rule-VPCE&#34;&gt;&lt;script&gt;window.__xss=&#39;ruleid&#39;&lt;/script&gt;"' in html
