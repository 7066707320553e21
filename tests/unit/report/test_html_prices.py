"""The price table: bundled list prices with sources, and override files with one-line errors."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pydantic import ValidationError

from scanner.errors import UsageError
from scanner.report.html import render_html
from scanner.report.prices import DEFAULT_PRICES, PriceTable, load_price_table
from tests.browser.builders import demo_result


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_default_prices_are_us_east_1_list_prices_with_sources() -> None:
    p = DEFAULT_PRICES
    assert (p.currency, p.region, p.as_of) == ("USD", "us-east-1", date(2026, 11, 26))
    assert p.interface_endpoint_per_az_hour == 0.01
    assert p.interface_endpoint_per_gb == 0.01
    assert p.gateway_endpoint_per_hour == 0.0
    assert p.nat_gateway_per_hour == 0.045
    assert p.nat_gateway_per_gb == 0.045
    assert p.hours_per_month == 730
    assert "https://aws.amazon.com/privatelink/pricing/" in p.sources
    assert "https://aws.amazon.com/vpc/pricing/" in p.sources
    assert p.origin == "bundled"


def test_price_table_is_frozen_and_closed() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_PRICES.nat_gateway_per_hour = 1.0  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs"):
        PriceTable.model_validate({**DEFAULT_PRICES.model_dump(), "surprise": 1})


def test_yaml_override_merges_over_the_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "prices.yaml",
        """
region: eu-west-1
as_of: 2026-11-01
sources: [https://aws.amazon.com/privatelink/pricing/]
interface_endpoint_per_az_hour: 0.011
nat_gateway_per_hour: 0.048
nat_gateway_per_gb: 0.048
nat_gb_per_month: 250
""",
    )
    p = load_price_table(path)
    assert (p.region, p.as_of, p.interface_endpoint_per_az_hour, p.nat_gateway_per_hour) == (
        "eu-west-1",
        date(2026, 11, 1),
        0.011,
        0.048,
    )
    assert p.interface_endpoint_per_gb == 0.01  # kept from the bundled table
    assert p.nat_gb_per_month == 250
    assert p.origin == str(path)
    assert p.note == ""  # the bundled note quotes the bundled prices


def test_json_override_and_traffic_only_override_keep_the_note(tmp_path: Path) -> None:
    p = load_price_table(write(tmp_path, "prices.json", '{"nat_gb_per_month": 12.5}'))
    assert p.nat_gb_per_month == 12.5 and p.note == DEFAULT_PRICES.note
    assert load_price_table(write(tmp_path, "empty.yaml", "")) == DEFAULT_PRICES.model_copy(
        update={"origin": str(tmp_path / "empty.yaml")}
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nat_hourly: 0.05\n", "prices.yaml: nat_hourly: unknown key; expected one of: currency, region, as_of"),
        ("nat_gateway_per_hour: -1\n", "prices.yaml: nat_gateway_per_hour: Input should be greater than or equal to 0"),
        ("nat_gateway_per_gb: cheap\n", "prices.yaml: nat_gateway_per_gb: Input should be a valid number"),
        ("as_of: yesterday\n", "prices.yaml: as_of: Input should be a valid date"),
        ("currency: EUR\n", "prices.yaml: currency: Input should be 'USD'"),
        ("region: Ireland\n", "prices.yaml: region: String should match pattern"),
        ("sources: []\n", "prices.yaml: sources: List should have at least 1 item"),
        (
            "sources: ['javascript:alert(1)']\n",
            "prices.yaml: sources: Value error, 'javascript:alert(1)' is not an https:// URL",
        ),
        ("hours_per_month: 0\n", "prices.yaml: hours_per_month: Input should be greater than 0"),
        ("origin: elsewhere\n", "prices.yaml: origin: unknown key"),
        ("- 0.01\n", "prices.yaml: (top level): expected a mapping of price keys, got list"),
        ("nat_gateway_per_hour: [\n", "prices.yaml:2: invalid YAML/JSON:"),
        ("nat_gateway_per_hour: -1\nnat_gateway_per_gb: -1\n", "(and 1 more)"),
        ("nat_gateway_per_gb: " + "[" * 5000 + "]" * 5000 + "\n", "prices.yaml: invalid YAML/JSON: nested too deeply"),
    ],
)
def test_bad_override_is_a_one_line_usage_error(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "prices.yaml", text)
    with pytest.raises(UsageError) as caught:
        load_price_table(path)
    assert message.replace("prices.yaml", str(path)) in str(caught.value) or message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.yaml: cannot read price file: No such file"):
        load_price_table(tmp_path / "nope.yaml")


def test_report_uses_the_override_and_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, "eu.yaml", "region: eu-west-1\nnat_gateway_per_hour: 0.048\nnat_gb_per_month: 10\n")
    html = render_html(demo_result(), prices_path=path)
    assert f"from {path}" in html and "<b>eu-west-1</b>" in html
    assert "3 \u00d7 $0.048/h \u00d7 730 h" in html and 'value="10"' in html
    assert "rates differ" not in html  # the VPCs are in the priced region now
