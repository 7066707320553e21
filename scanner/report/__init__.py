"""Renderers: pure functions from a ScanResult to the text of one report format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, assert_never

from scanner.report.escape import json_text, xml_document
from scanner.results import ScanResult

Format = Literal["text", "json", "sarif", "html", "markdown", "junit"]
FORMATS: tuple[Format, ...] = ("text", "json", "sarif", "html", "markdown", "junit")


@dataclass(frozen=True)
class RenderOptions:
    colour: bool = False
    show_passed: bool = False
    # SARIF runAutomationDetails.id; None derives it from the accounts and regions.
    sarif_category: str | None = None
    # HTML cost panel: a price table file overriding the bundled one, and the assumed NAT traffic.
    prices_path: Path | None = None
    nat_gb_per_month: float | None = None


def render(result: ScanResult, fmt: Format, options: RenderOptions | None = None) -> str:
    options = options or RenderOptions()
    match fmt:
        case "text":
            from scanner.report.text import render_text

            return render_text(result, colour=options.colour, show_passed=options.show_passed)
        case "json":
            return json_text(result.model_dump_json(indent=2)) + "\n"
        case "sarif":
            from scanner.report.sarif import render_sarif

            return json_text(render_sarif(result, category=options.sarif_category))
        case "html":
            from scanner.report.html import render_html

            return render_html(result, prices_path=options.prices_path, nat_gb_per_month=options.nat_gb_per_month)
        case "markdown":
            from scanner.report.markdown import render_markdown

            return render_markdown(result)
        case "junit":
            from scanner.report.junit import render_junit

            return xml_document(render_junit(result))
        case _:
            assert_never(fmt)
