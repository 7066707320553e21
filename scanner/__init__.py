"""vpce-scan: policy-as-code scanner for ECS Fargate workloads behind VPC endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scanner.config import ScanConfig
    from scanner.results import ScanResult
    from scanner.scan import scan

__all__ = ["ScanConfig", "ScanResult", "__version__", "scan"]


def __getattr__(name: str) -> Any:
    # Lazy, so that `import scanner` (and the CLI's start-up) stays cheap.
    if name == "scan":
        from scanner.scan import scan

        return scan
    if name == "ScanConfig":
        from scanner.config import ScanConfig

        return ScanConfig
    if name == "ScanResult":
        from scanner.results import ScanResult

        return ScanResult
    raise AttributeError(name)
