"""Account inventory: pydantic models that read boto3 output, and the derived workload view."""

from scanner.inventory.root import (
    INVENTORY_SCHEMA_VERSION,
    AccountInventory,
    Inventory,
    RegionInventory,
    load_inventory,
    parse_inventory,
)

__all__ = [
    "INVENTORY_SCHEMA_VERSION",
    "AccountInventory",
    "Inventory",
    "RegionInventory",
    "load_inventory",
    "parse_inventory",
]
