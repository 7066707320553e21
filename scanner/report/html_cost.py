"""The NAT-versus-endpoints cost panel: monthly figures per VPC from a PriceTable.

Per VPC, two designs carry the same assumed traffic to AWS services (`gb` a month):

- endpoints: the Interface endpoints it has (each billed per AZ it sits in) plus the ones its workloads
  need but lack (one per workload AZ), data processed at the Interface rate; Gateway endpoints are free;
- NAT: the NAT gateways it has, or, when it has none, one NAT gateway per workload AZ (the usual
  highly available layout), data processed at the NAT rate.

Data transfer out, cross-AZ transfer and public IPv4 charges apply to both or neither and are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.report.prices import PriceTable
from scanner.results import VpcSummary

TIMES = "\u00d7"  # the multiplication sign in the formulas

# Services reached through a Gateway endpoint when missing (DESIGN.md: S3 as Gateway; DynamoDB likewise).
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})


@dataclass(frozen=True)
class CostLine:
    label: str
    formula: str
    monthly: float
    key: str = ""  # lines the page recomputes when the reader changes the traffic assumption


@dataclass(frozen=True)
class VpcCost:
    index: int
    vpc: VpcSummary
    endpoint_lines: list[CostLine]
    endpoint_fixed: float
    endpoints_total: float
    nat_lines: list[CostLine]
    nat_count: int
    nat_hypothetical: bool
    nat_fixed: float
    nat_total: float
    # Monthly GB above which endpoints cost less than NAT; 0 when always, None when never.
    break_even_gb: float | None
    break_even: str
    verdict: str
    uses_interface: bool
    region_mismatch: bool

    @property
    def key(self) -> str:
        """Names the VPC's panel for the page's script (compared as a string, never put in a selector)."""
        return f"{self.vpc.account}/{self.vpc.region}/{self.vpc.vpc_id}"


@dataclass(frozen=True)
class CostPanel:
    prices: PriceTable
    gb: float
    vpcs: list[VpcCost]

    def script_data(self) -> dict[str, object]:
        """Numbers for the page's own recalculation when the reader changes the GB a month."""
        return {
            "gb": self.gb,
            "ep_gb": self.prices.interface_endpoint_per_gb,
            "nat_gb": self.prices.nat_gateway_per_gb,
            "vpcs": [
                {"key": v.key, "ef": v.endpoint_fixed, "nf": v.nat_fixed, "iface": v.uses_interface} for v in self.vpcs
            ],
        }


def money(value: float) -> str:
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"


def rate(value: float) -> str:
    return "$" + (f"{value:.6f}".rstrip("0").rstrip(".") or "0")


def quantity(value: float) -> str:
    """1500 -> "1,500", 1500.5 -> "1,500.5" (the page's script formats the same way)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def verdict(endpoints_total: float, nat_total: float, gb: float) -> str:
    """The sentence under each VPC's figures (the page's script writes the same when GB changes)."""
    diff = round(nat_total - endpoints_total, 2)
    if diff > 0:
        return f"At {quantity(gb)} GB a month the endpoints cost {money(diff)} a month less than NAT."
    if diff < 0:
        return f"At {quantity(gb)} GB a month NAT costs {money(-diff)} a month less than the endpoints."
    return f"At {quantity(gb)} GB a month both cost the same."


def break_even_text(gb: float | None) -> str:
    if gb is None:
        return "At these prices NAT stays cheaper at any traffic."
    if gb == 0:
        return "At these prices the endpoints are cheaper at any traffic."
    return f"The endpoints are cheaper above {quantity(gb)} GB a month."


def _service(service_name: str) -> str:
    return service_name.rsplit(".", 1)[-1] if service_name.count(".") >= 3 else service_name


def break_even(endpoint_fixed: float, endpoint_rate: float, nat_fixed: float, nat_rate: float) -> float | None:
    if endpoint_fixed <= nat_fixed:
        return 0.0 if endpoint_rate <= nat_rate else None  # cheaper at first; later only if the rate is too
    if nat_rate <= endpoint_rate:
        return None
    return (endpoint_fixed - nat_fixed) / (nat_rate - endpoint_rate)


def vpc_cost(index: int, vpc: VpcSummary, prices: PriceTable, gb: float) -> VpcCost:
    hours = prices.hours_per_month
    per_az = prices.interface_endpoint_per_az_hour
    lines: list[CostLine] = []

    interface = [e for e in vpc.endpoints if e.vpc_endpoint_type == "Interface"]
    gateway = [e for e in vpc.endpoints if e.vpc_endpoint_type == "Gateway"]
    other = [e for e in vpc.endpoints if e.vpc_endpoint_type not in ("Interface", "Gateway")]
    endpoint_azs = sum(max(len(e.availability_zones), 1) for e in interface)
    lines.append(
        CostLine(
            label=f"{len(interface)} Interface endpoint{'s' if len(interface) != 1 else ''} it has",
            formula=f"{endpoint_azs} endpoint-AZs {TIMES} {rate(per_az)}/h {TIMES} {quantity(hours)} h",
            monthly=endpoint_azs * per_az * hours,
        )
    )
    if gateway:
        lines.append(
            CostLine(
                label=f"{len(gateway)} Gateway endpoint{'s' if len(gateway) != 1 else ''} it has",
                formula=f"{rate(prices.gateway_endpoint_per_hour)}/h",
                monthly=len(gateway) * prices.gateway_endpoint_per_hour * hours,
            )
        )
    if other:
        kinds = ", ".join(sorted({e.vpc_endpoint_type for e in other}))
        lines.append(CostLine(label=f"{len(other)} other endpoint(s) ({kinds})", formula="not priced", monthly=0.0))

    missing_interface = [s for s in vpc.missing_services if _service(s) not in GATEWAY_SERVICES]
    missing_gateway = [s for s in vpc.missing_services if _service(s) in GATEWAY_SERVICES]
    az_count = max(len(vpc.workload_azs), 1)
    if missing_interface:
        names = ", ".join(_service(s) for s in missing_interface)
        count = len(missing_interface) * az_count
        lines.append(
            CostLine(
                label=f"missing, needed: {names}",
                formula=f"{count} endpoint-AZs {TIMES} {rate(per_az)}/h {TIMES} {quantity(hours)} h",
                monthly=count * per_az * hours,
            )
        )
    if missing_gateway:
        lines.append(
            CostLine(
                label=f"missing, needed: {', '.join(_service(s) for s in missing_gateway)} (Gateway)",
                formula="no charge",
                monthly=len(missing_gateway) * prices.gateway_endpoint_per_hour * hours,
            )
        )
    endpoint_fixed = sum(line.monthly for line in lines)
    uses_interface = bool(interface or missing_interface)
    endpoint_rate = prices.interface_endpoint_per_gb if uses_interface else 0.0
    lines.append(
        CostLine(
            label="data processed by Interface endpoints",
            formula=f"{quantity(gb)} GB {TIMES} {rate(endpoint_rate)}/GB"
            if uses_interface
            else "no Interface endpoint",
            monthly=gb * endpoint_rate,
            key="ep-data",
        )
    )

    nat_hypothetical = not vpc.nat_gateways
    nat_count = az_count if nat_hypothetical else len(vpc.nat_gateways)
    nat_fixed = nat_count * prices.nat_gateway_per_hour * hours
    label = (
        f"if it used NAT instead: one per workload AZ ({nat_count})"
        if nat_hypothetical
        else f"{nat_count} NAT gateway{'s' if nat_count != 1 else ''} it has"
    )
    nat_lines = [
        CostLine(
            label=label,
            formula=f"{nat_count} {TIMES} {rate(prices.nat_gateway_per_hour)}/h {TIMES} {quantity(hours)} h",
            monthly=nat_fixed,
        ),
        CostLine(
            label="data processed by NAT",
            formula=f"{quantity(gb)} GB {TIMES} {rate(prices.nat_gateway_per_gb)}/GB",
            monthly=gb * prices.nat_gateway_per_gb,
            key="nat-data",
        ),
    ]
    even = break_even(endpoint_fixed, endpoint_rate, nat_fixed, prices.nat_gateway_per_gb)
    return VpcCost(
        index=index,
        vpc=vpc,
        endpoint_lines=lines,
        endpoint_fixed=endpoint_fixed,
        endpoints_total=endpoint_fixed + gb * endpoint_rate,
        nat_lines=nat_lines,
        nat_count=nat_count,
        nat_hypothetical=nat_hypothetical,
        nat_fixed=nat_fixed,
        nat_total=nat_fixed + gb * prices.nat_gateway_per_gb,
        break_even_gb=even,
        break_even=break_even_text(even),
        verdict=verdict(endpoint_fixed + gb * endpoint_rate, nat_fixed + gb * prices.nat_gateway_per_gb, gb),
        uses_interface=uses_interface,
        region_mismatch=vpc.region != prices.region,
    )


def cost_panel(vpcs: list[VpcSummary], prices: PriceTable, gb: float | None = None) -> CostPanel:
    traffic = prices.nat_gb_per_month if gb is None else gb
    return CostPanel(prices=prices, gb=traffic, vpcs=[vpc_cost(i, v, prices, traffic) for i, v in enumerate(vpcs)])
