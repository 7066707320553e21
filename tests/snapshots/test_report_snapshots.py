"""text, json, sarif, markdown and junit output over the demo and the canonical inventory fixtures.

Volatile fields (tool version, start and finish times, hence durations) are normalised on the ScanResult
before rendering, so the files change only when the output does. Regenerate after a deliberate change
with `.venv/bin/pytest tests/snapshots --snapshot-update` and review the diff like code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from scanner.config import ScanConfig, bundled_path
from scanner.demo import demo_inventory
from scanner.engine.loader import load_rules
from scanner.inventory.root import Inventory, load_inventory
from scanner.report import Format, render
from scanner.results import ScanResult
from scanner.scan import evaluate_inventory
from tests.sarif_checks import assert_valid_sarif

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "inventory"
STARTED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
VERSION = "0.0.0+snapshot"

# Pinned, not globbed: a new fixture gets snapshots when someone adds it here.
INVENTORIES: dict[str, Callable[[], Inventory]] = {
    "demo": demo_inventory,
    "compliant": lambda: load_inventory(FIXTURES / "compliant.json"),
    "broken-network": lambda: load_inventory(FIXTURES / "broken-network.json"),
    "incomplete": lambda: load_inventory(FIXTURES / "incomplete.json"),
}


def _extension(suffix: str) -> type[SingleFileSnapshotExtension]:
    class TextFile(SingleFileSnapshotExtension):
        _write_mode = WriteMode.TEXT
        file_extension = suffix

    return TextFile


EXTENSIONS: dict[Format, type[SingleFileSnapshotExtension]] = {
    "text": _extension("txt"),
    "json": _extension("json"),
    "sarif": _extension("sarif"),
    "markdown": _extension("md"),
    "junit": _extension("xml"),
}


def normalised(result: ScanResult) -> ScanResult:
    return result.model_copy(
        update={
            "tool": result.tool.model_copy(update={"version": VERSION}),
            "scan": result.scan.model_copy(
                update={"started_at": STARTED, "finished_at": STARTED + timedelta(seconds=1.5)}
            ),
        }
    )


@pytest.fixture(scope="module")
def scans() -> dict[str, ScanResult]:
    rules = load_rules([bundled_path("rules")])
    return {name: normalised(evaluate_inventory(rules, build(), ScanConfig())) for name, build in INVENTORIES.items()}


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
@pytest.mark.parametrize("inventory", list(INVENTORIES))
def test_report(inventory: str, fmt: Format, scans: dict[str, ScanResult], snapshot: SnapshotAssertion) -> None:
    text = render(scans[inventory], fmt)
    if fmt == "sarif":
        assert_valid_sarif(json.loads(text))
    assert text == snapshot(extension_class=EXTENSIONS[fmt])


def test_json_snapshot_reads_back(scans: dict[str, ScanResult]) -> None:
    # What `vpce-scan report --from` relies on: the JSON output is the ScanResult, losslessly.
    for result in scans.values():
        assert ScanResult.model_validate_json(render(result, "json")) == result
