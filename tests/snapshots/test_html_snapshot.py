"""HTML report snapshots: the demo inventory (and the incomplete fixture, for the collection-error banner).

The scan runs in-process; the tool version and the start and finish times are normalised, so a snapshot
changes only when the report does (including its CSS and script, whose CSP hashes are in the file).
Regenerate after a deliberate change with `.venv/bin/pytest tests/snapshots --snapshot-update` and review
the .html diff like code (open the file in a browser to see it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from scanner.config import ScanConfig, bundled_path
from scanner.demo import demo_inventory
from scanner.engine.loader import load_rules
from scanner.inventory.root import Inventory, load_inventory
from scanner.report.html import render_html
from scanner.results import ToolInfo
from scanner.scan import evaluate_inventory

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"
FIXED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
VERSION = "0.0.0+snapshot"

INVENTORIES: dict[str, Callable[[], Inventory]] = {
    "demo": demo_inventory,
    "incomplete": lambda: load_inventory(FIXTURES / "incomplete.json"),
}


class HtmlFile(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "html"


@pytest.mark.parametrize("name", list(INVENTORIES))
def test_html_report(name: str, snapshot: SnapshotAssertion) -> None:
    result = evaluate_inventory(load_rules([bundled_path("rules")]), INVENTORIES[name](), ScanConfig(), FIXED)
    result = result.model_copy(
        update={
            "tool": ToolInfo(version=VERSION),
            "scan": result.scan.model_copy(update={"started_at": FIXED, "finished_at": FIXED}),
        }
    )
    html = render_html(result)
    assert "2026-01-01 12:00:00 UTC" in html and VERSION in html
    assert html == snapshot(extension_class=HtmlFile)
