"""The HTML report: one self-contained file (inline CSS and JS, no fetch of any kind).

Rendered with jinja2 from `reports/templates/` (bundled as `scanner/_bundled/templates` when installed),
with autoescape on and StrictUndefined. The templates get the ScanResult and plain views computed from it
(`html_view`, `html_diagram`, `html_cost`), never markup built in Python: tag values, names, messages and
evidence are attacker-controlled text. On top of escaping:

- every expression's text has its control and bidi-override characters made visible (`finalize`);
- a Content-Security-Policy meta tag allows only our own inline script and style, by hash;
- data for the script is a `<script type="application/json">` block written by jinja's `tojson`
  (`<`, `>`, `&`, `'` escaped as \\u003c and so on), read with JSON.parse, never evaluated.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape
from markupsafe import Markup

from scanner.config import bundled_path
from scanner.errors import RenderError, UsageError
from scanner.report.html_cost import cost_panel, money, quantity, rate
from scanner.report.html_view import SEVERITY_ORDER, STATUS_ORDER, build_view, visible
from scanner.report.prices import DEFAULT_PRICES, load_price_table
from scanner.results import ScanResult

TEMPLATE = "report.html"
SCRIPT = "report.js"
STYLE = "report.css"


def _finalize(value: object) -> object:
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def utc(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


@dataclass(frozen=True)
class Assets:
    """Our own static script and style, and the CSP that admits exactly them."""

    csp: str


@lru_cache(maxsize=4)
def environment(templates: Path | None = None) -> Environment:
    """The report's jinja2 environment: autoescape for .html (and strings), StrictUndefined."""
    env = Environment(
        loader=FileSystemLoader(str(templates or bundled_path("templates"))),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "svg"), default_for_string=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,  # so an {% include %}d script is byte-for-byte its file (CSP hash)
        auto_reload=False,
    )
    env.filters["money"] = money
    env.filters["rate"] = rate
    env.filters["gb"] = quantity
    env.filters["plain"] = lambda v: f"{v:.2f}".rstrip("0").rstrip(".")
    env.filters["utc"] = utc
    return env


@lru_cache(maxsize=4)
def _assets(env: Environment) -> Assets:
    assert env.loader is not None
    script, _, _ = env.loader.get_source(env, SCRIPT)
    style, _, _ = env.loader.get_source(env, STYLE)
    for name, text in ((SCRIPT, script), (STYLE, style)):
        if any(mark in text for mark in ("{{", "{%", "{#")):
            raise RenderError(f"{name}: contains a jinja delimiter; the CSP hash would not match")
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src {csp_hash(script)}",
            f"style-src {csp_hash(style)}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return Assets(csp=csp)


def render_html(result: ScanResult, *, prices_path: Path | None = None, nat_gb_per_month: float | None = None) -> str:
    if nat_gb_per_month is not None and not (math.isfinite(nat_gb_per_month) and nat_gb_per_month >= 0):
        raise UsageError(f"--nat-gb-per-month: {nat_gb_per_month}: expected a number of GB, 0 or more")
    prices = load_price_table(prices_path) if prices_path is not None else DEFAULT_PRICES
    env = environment()
    try:
        template = env.get_template(TEMPLATE)
        return template.render(
            result=result,
            view=build_view(result),
            costs=cost_panel(result.vpcs, prices, nat_gb_per_month),
            statuses=STATUS_ORDER,
            severities=SEVERITY_ORDER,
            assets=_assets(env),
        )
    except TemplateError as exc:
        raise RenderError(f"{TEMPLATE}: {exc.message or type(exc).__name__}") from exc
