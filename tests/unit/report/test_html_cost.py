"""The cost panel's figures for known VPCs (the demo's three and hand-built ones)."""

from __future__ import annotations

import pytest

from scanner.report.html_cost import break_even, cost_panel, money, quantity, rate, verdict, vpc_cost
from scanner.report.prices import DEFAULT_PRICES
from scanner.results import EndpointSummary, NatGatewaySummary, VpcSummary
from tests.browser.builders import demo_result


def demo_vpc(name: str) -> VpcSummary:
    return next(v for v in demo_result().vpcs if v.name == name)


def test_payments_vpc_all_endpoints_no_nat() -> None:
    # 7 Interface endpoints in 3 AZs, the S3 Gateway endpoint, no NAT gateway, nothing missing.
    c = vpc_cost(0, demo_vpc("payments"), DEFAULT_PRICES, gb=100)
    assert [line.monthly for line in c.endpoint_lines] == pytest.approx([21 * 0.01 * 730, 0.0, 100 * 0.01])
    assert c.endpoint_fixed == pytest.approx(153.30)
    assert c.endpoints_total == pytest.approx(154.30)
    assert c.nat_hypothetical and c.nat_count == 3  # one per workload AZ
    assert c.nat_fixed == pytest.approx(98.55)
    assert c.nat_total == pytest.approx(103.05)
    assert c.break_even_gb == pytest.approx((153.30 - 98.55) / (0.045 - 0.01))  # 1,564.29 GB
    assert c.break_even == "The endpoints are cheaper above 1,564.29 GB a month."
    assert c.verdict == "At 100 GB a month NAT costs $51.25 a month less than the endpoints."
    assert c.region_mismatch  # eu-west-1 priced at us-east-1 rates, and the panel says so


def test_orders_vpc_with_a_nat_gateway_and_a_missing_endpoint() -> None:
    # 5 Interface endpoints in 2 AZs, S3 Gateway, 1 NAT gateway, logs missing in 2 workload AZs.
    c = vpc_cost(1, demo_vpc("orders"), DEFAULT_PRICES, gb=100)
    labels = [line.label for line in c.endpoint_lines]
    assert labels == [
        "5 Interface endpoints it has",
        "1 Gateway endpoint it has",
        "missing, needed: logs",
        "data processed by Interface endpoints",
    ]
    assert c.endpoint_lines[0].monthly == pytest.approx(73.00)
    assert c.endpoint_lines[2].monthly == pytest.approx(14.60)
    assert c.endpoint_lines[2].formula == "2 endpoint-AZs \u00d7 $0.01/h \u00d7 730 h"
    assert c.endpoints_total == pytest.approx(73.00 + 14.60 + 1.00)
    assert not c.nat_hypothetical and c.nat_count == 1
    assert c.nat_total == pytest.approx(32.85 + 4.50)
    assert c.break_even_gb == pytest.approx((87.60 - 32.85) / 0.035)


def test_analytics_vpc_one_az() -> None:
    c = vpc_cost(2, demo_vpc("analytics"), DEFAULT_PRICES, gb=0)
    assert c.endpoints_total == pytest.approx(4 * 0.01 * 730)  # 29.20
    assert c.nat_total == pytest.approx(32.85)
    assert c.break_even_gb == 0.0 and "cheaper at any traffic" in c.break_even


def test_gateway_only_vpc_and_missing_gateway_services_are_free() -> None:
    vpc = VpcSummary(
        account="1",
        region="us-east-1",
        vpc_id="vpc-1",
        name=None,
        nat_gateways=[
            NatGatewaySummary(nat_gateway_id="nat-1", subnet_id="subnet-1", availability_zone="us-east-1a"),
            NatGatewaySummary(nat_gateway_id="nat-2", subnet_id="subnet-2", availability_zone=None),
        ],
        endpoints=[
            EndpointSummary(
                vpc_endpoint_id="vpce-g",
                service_name="com.amazonaws.us-east-1.dynamodb",
                vpc_endpoint_type="Gateway",
                availability_zones=[],
            ),
            EndpointSummary(
                vpc_endpoint_id="vpce-l",
                service_name="com.amazonaws.vpce.us-east-1.vpce-svc-1",
                vpc_endpoint_type="GatewayLoadBalancer",
                availability_zones=["us-east-1a"],
            ),
        ],
        workload_azs=["us-east-1a", "us-east-1b"],
        missing_services=["com.amazonaws.us-east-1.s3"],
    )
    c = vpc_cost(0, vpc, DEFAULT_PRICES, gb=1000)
    assert c.endpoint_fixed == 0.0 and c.endpoints_total == 0.0 and not c.uses_interface
    assert [line.formula for line in c.endpoint_lines][-3:] == ["not priced", "no charge", "no Interface endpoint"]
    assert c.nat_count == 2 and c.nat_total == pytest.approx(2 * 0.045 * 730 + 1000 * 0.045)
    assert not c.region_mismatch


def test_interface_endpoint_without_subnets_is_billed_for_one_az() -> None:
    vpc = VpcSummary(
        account="1",
        region="us-east-1",
        vpc_id="vpc-1",
        name="x",
        nat_gateways=[],
        endpoints=[
            EndpointSummary(
                vpc_endpoint_id="vpce-1",
                service_name="com.amazonaws.us-east-1.sts",
                vpc_endpoint_type="Interface",
                availability_zones=[],
            )
        ],
        workload_azs=[],
        missing_services=["com.amazonaws.us-east-1.logs"],
    )
    c = vpc_cost(0, vpc, DEFAULT_PRICES, gb=0)
    assert c.endpoint_fixed == pytest.approx(2 * 7.30) and c.nat_count == 1


def test_panel_uses_the_table_traffic_unless_given() -> None:
    vpcs = demo_result().vpcs
    assert cost_panel(vpcs, DEFAULT_PRICES).gb == 100.0
    panel = cost_panel(vpcs, DEFAULT_PRICES, 0.5)
    assert panel.gb == 0.5 and [v.index for v in panel.vpcs] == [0, 1, 2]
    data = panel.script_data()
    assert data["ep_gb"] == 0.01 and data["nat_gb"] == 0.045
    assert data["vpcs"][0] == {
        "key": "111122223333/eu-west-1/vpc-0a11c0ffee0000001",
        "ef": pytest.approx(153.3),
        "nf": pytest.approx(98.55),
        "iface": True,
    }


@pytest.mark.parametrize(
    ("ef", "er", "nf", "nr", "expected"),
    [
        (10, 0.01, 20, 0.045, 0.0),
        (10, 0.05, 20, 0.045, None),
        (30, 0.045, 20, 0.045, None),
        (45, 0.01, 10, 0.045, 1000.0),
    ],
)
def test_break_even(ef: float, er: float, nf: float, nr: float, expected: float | None) -> None:
    assert break_even(ef, er, nf, nr) == (pytest.approx(expected) if expected is not None else None)


def test_formatting_matches_the_page_script() -> None:
    assert (money(1234.5), money(-2), money(0)) == ("$1,234.50", "-$2.00", "$0.00")
    assert (rate(0.045), rate(0.0), rate(0.01)) == ("$0.045", "$0", "$0.01")
    assert (quantity(1500), quantity(1500.5), quantity(0.25)) == ("1,500", "1,500.5", "0.25")
    assert verdict(10, 10, 5) == "At 5 GB a month both cost the same."
    assert verdict(10, 12.5, 5) == "At 5 GB a month the endpoints cost $2.50 a month less than NAT."
