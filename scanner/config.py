"""ScanConfig: everything one scan needs, decided before it starts (frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from scanner.results import Severity

# Generous: a large account with many regions takes minutes; the deadline is against hangs.
DEFAULT_TIMEOUT = 3600.0

DEFAULT_PARAMS: dict[str, object] = {
    # Extra sources VPCE004 accepts on endpoint security groups (security group ids).
    "endpoint_allowed_sources": [],
}


def bundled_path(name: str) -> Path:
    """`rules` or `templates`: inside the installed package, else beside the source tree."""
    installed = Path(str(resources.files("scanner"))) / "_bundled" / name
    if installed.is_dir():
        return installed
    source_tree = Path(__file__).resolve().parent.parent
    return source_tree / ("rules" if name == "rules" else "reports/templates")


@dataclass(frozen=True)
class ScanConfig:
    regions: tuple[str, ...] = ()
    all_regions: bool = False
    profile: str | None = None
    inventory_path: Path | None = None
    demo: bool = False
    rule_dirs: tuple[Path, ...] = ()
    include_bundled_rules: bool = True
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity = Severity.LOW
    baseline: tuple[str, ...] = ("sts",)
    params: dict[str, object] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    # Cross-check VPCE007 with live iam:SimulatePrincipalPolicy (live scans only; see collect/simulate.py).
    verify_live: bool = False
    # Whole-scan deadline in seconds (--timeout): no AWS request after it; what was not read is ERROR.
    # A plain value so that a Lambda handler can set it from its remaining time.
    timeout: float = DEFAULT_TIMEOUT

    @property
    def all_rule_dirs(self) -> tuple[Path, ...]:
        bundled = (bundled_path("rules"),) if self.include_bundled_rules else ()
        return bundled + self.rule_dirs
