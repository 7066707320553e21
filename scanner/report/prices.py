"""The price table behind the HTML report's NAT-versus-endpoints cost panel.

The bundled table holds AWS's public on-demand list prices for us-east-1 (USD), with the pages they
come from and the date they were read. Prices differ by region and change over time: a team overrides
any of them with a small YAML or JSON file (`load_price_table`), e.g. for eu-west-1:

    region: eu-west-1
    as_of: 2026-11-26
    sources: [https://aws.amazon.com/privatelink/pricing/, https://aws.amazon.com/vpc/pricing/]
    interface_endpoint_per_az_hour: 0.011
    nat_gateway_per_hour: 0.048
    nat_gateway_per_gb: 0.048

Keys left out keep their bundled values. Unknown keys and bad values are errors: `file: key: problem`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scanner.errors import UsageError

PRIVATELINK_PRICING = "https://aws.amazon.com/privatelink/pricing/"
VPC_PRICING = "https://aws.amazon.com/vpc/pricing/"
GATEWAY_ENDPOINTS_FREE = (
    "https://docs.aws.amazon.com/prescriptive-guidance/latest/aws-startup-security-baseline/wkld-12.html"
)


class PriceTable(BaseModel):
    """On-demand list prices in one currency for one region; every rate is per month-independent unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    currency: Literal["USD"] = "USD"
    region: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    as_of: date
    sources: list[str] = Field(min_length=1)
    note: str = ""
    # Interface endpoints (AWS PrivateLink): billed per endpoint per AZ-hour, plus per GB processed
    # (first-PB tier of the region's monthly total).
    interface_endpoint_per_az_hour: float = Field(ge=0)
    interface_endpoint_per_gb: float = Field(ge=0)
    # Gateway endpoints (S3, DynamoDB) carry no charge.
    gateway_endpoint_per_hour: float = Field(default=0.0, ge=0)
    nat_gateway_per_hour: float = Field(ge=0)
    nat_gateway_per_gb: float = Field(ge=0)
    hours_per_month: float = Field(default=730.0, gt=0, le=744)
    # Assumed traffic to AWS services per VPC and month when nothing better is known (--nat-gb-per-month).
    nat_gb_per_month: float = Field(default=100.0, ge=0)
    # Where the table came from: "bundled" or the override file's path (set by the loader, not the file).
    origin: str = "bundled"

    @field_validator("sources")
    @classmethod
    def _https_only(cls, sources: list[str]) -> list[str]:
        for source in sources:
            if not source.startswith("https://") or any(c.isspace() for c in source):
                raise ValueError(f"'{source}' is not an https:// URL")
        return sources


DEFAULT_PRICES = PriceTable(
    region="us-east-1",
    as_of=date(2026, 11, 26),
    sources=[PRIVATELINK_PRICING, VPC_PRICING, GATEWAY_ENDPOINTS_FREE],
    note=(
        "Interface endpoint: $0.01 per endpoint per AZ-hour and $0.01 per GB "
        "processed (first 1 PB a month in the region; $0.006 next 4 PB, $0.004 beyond). NAT gateway: $0.045 "
        "per hour and $0.045 per GB processed. Gateway endpoints (S3, DynamoDB): no charge. Excludes data "
        "transfer out, cross-AZ transfer and public IPv4 address charges."
    ),
    interface_endpoint_per_az_hour=0.01,
    interface_endpoint_per_gb=0.01,
    gateway_endpoint_per_hour=0.0,
    nat_gateway_per_hour=0.045,
    nat_gateway_per_gb=0.045,
    hours_per_month=730.0,
    nat_gb_per_month=100.0,
)

_LOCKED = frozenset({"origin"})
_PRICE_KEYS = frozenset(
    {
        "currency",
        "region",
        "interface_endpoint_per_az_hour",
        "interface_endpoint_per_gb",
        "gateway_endpoint_per_hour",
        "nat_gateway_per_hour",
        "nat_gateway_per_gb",
    }
)


def load_price_table(path: Path, base: PriceTable = DEFAULT_PRICES) -> PriceTable:
    """Read an override file (YAML or JSON) over `base`; raise UsageError as `file: key: problem`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"{path}: cannot read price file: {reason}") from None
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML or JSON"
        raise UsageError(f"{where}: invalid YAML/JSON: {problem}") from None
    except RecursionError:  # the YAML composer recurses once per level; a price file is flat
        raise UsageError(f"{path}: invalid YAML/JSON: nested too deeply; a price file is a flat mapping") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UsageError(f"{path}: (top level): expected a mapping of price keys, got {type(data).__name__}")
    fields = [name for name in PriceTable.model_fields if name not in _LOCKED]
    for key in data:
        if not isinstance(key, str) or key not in fields:
            raise UsageError(f"{path}: {key}: unknown key; expected one of: {', '.join(fields)}")
    merged = {**base.model_dump(), **data, "origin": str(path)}
    if "note" not in data and _PRICE_KEYS & data.keys():
        merged["note"] = ""  # the bundled note quotes the bundled figures, which no longer all apply
    try:
        return PriceTable.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise UsageError(f"{path}: {key}: {first['msg']}{more}") from None
