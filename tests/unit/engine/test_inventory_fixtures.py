"""The canonical serialised inventories in tests/fixtures/inventory/: current, loadable, round-tripping.

They are the contract between stages and feed the report snapshots; regenerate them with
`python tests/builders.py` and review the diff like code."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scanner.inventory import Inventory, load_inventory, parse_inventory
from scanner.results import Status
from tests.builders import FIXTURES, canonical_inventories
from tests.rules.ruletable import run

RULE_IDS = ("VPCE001", "VPCE002", "VPCE003", "VPCE004", "VPCE005", "VPCE006", "VPCE009", "VPCE010", "VPCE011")
NAMES = ("compliant", "broken-network", "incomplete")


def path(name: str) -> Path:
    return FIXTURES / f"{name}.json"


def statuses(inventory: Inventory) -> dict[str, Counter[Status]]:
    return {rule_id: Counter(r.status for r in run(rule_id, inventory)) for rule_id in RULE_IDS}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_loads_and_round_trips(name: str) -> None:
    text = path(name).read_text(encoding="utf-8")
    inventory = load_inventory(path(name))
    assert inventory.schema_version == 1
    assert inventory.dump_json() + "\n" == text
    assert parse_inventory(inventory.dump_json(), name) == inventory


@pytest.mark.parametrize("name", NAMES)
def test_fixture_is_current(name: str) -> None:
    """A stale fixture (builder or model changed) fails here: run `python tests/builders.py`."""
    assert load_inventory(path(name)) == canonical_inventories()[name]


def test_compliant_passes_every_rule() -> None:
    found = statuses(load_inventory(path("compliant")))
    assert {rule_id: set(counts) for rule_id, counts in found.items()} == {r: {Status.PASS} for r in RULE_IDS}


def test_broken_network_fails_the_network_rules() -> None:
    found = statuses(load_inventory(path("broken-network")))
    failing = {rule_id for rule_id, counts in found.items() if counts[Status.FAIL]}
    assert failing == {"VPCE001", "VPCE002", "VPCE003", "VPCE004", "VPCE006", "VPCE009", "VPCE011"}
    assert not any(counts[Status.ERROR] for counts in found.values())


def test_incomplete_has_errors_and_no_failures() -> None:
    inventory = load_inventory(path("incomplete"))
    assert {(e.region, e.action, e.error_code) for e in inventory.errors} == {
        ("eu-west-1", "ec2:DescribeVpcAttribute", "AccessDenied"),
        ("eu-west-1", "ec2:GetManagedPrefixListEntries", "RequestLimitExceeded"),
        ("us-east-1", "ecs:ListClusters", "AccessDenied"),
    }
    found = statuses(inventory)
    assert not any(counts[Status.FAIL] for counts in found.values())
    assert all(counts[Status.ERROR] for counts in found.values()), "every rule is incomplete in us-east-1"
    # The 4 Interface endpoints (DescribeVpcAttribute denied; the S3 Gateway endpoint is outside `where`)
    # and the us-east-1 ecs:ListClusters listing error.
    assert found["VPCE002"] == Counter({Status.ERROR: 5})
    listing = [r for r in run("VPCE002", inventory) if r.qualifier == "ecs:ListClusters"]
    assert [(r.region, r.resource_id, r.resource_type) for r in listing] == [
        ("us-east-1", "region/us-east-1", "region")
    ]
