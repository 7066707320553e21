"""paths.validate_path (rule load time) and paths.resolve (run time)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.engine.evaluate import build_context
from scanner.engine.paths import PathError, resolve, validate_path
from scanner.inventory.endpoint_use import EndpointInUse, WorkloadNeed
from scanner.inventory.network import Vpc
from scanner.inventory.workloads import Workload
from tests.builders import Scenario

VALID = [
    (Workload, "assign_public_ip"),
    (Workload, "subnets"),  # a path may end at a list
    (Workload, "spare_subnet_ids"),  # a property
    (Workload, "vpc.enable_dns_support"),  # through an Optional property to a model field
    (Workload, "task_definition.family"),  # through an Optional dataclass field
    (Workload, "inventory.vpc_by_id"),  # a cached_property
    (WorkloadNeed, "need.recommended"),
    (WorkloadNeed, "endpoint.vpc_endpoint_type"),
    (EndpointInUse, "endpoint.private_dns_enabled"),
    (EndpointInUse, "consumer_route_table_ids"),
    (Workload, "route_table_ids"),
]

INVALID = [
    (
        Workload,
        "assign_public",
        "'assign_public': Workload has no 'assign_public'; expected one of: account, "
        "account_inventory, arn, assign_public_ip, ",
    ),
    (Workload, "vpc.dns", "'vpc.dns': Vpc has no 'dns'; expected one of: cidr_block, enable_dns_hostnames, "),
    (WorkloadNeed, "endpoint.state.value", "'endpoint.state.value': str has no 'value'; expected one of: "),
    (Workload, "subnets.cidr_block", "'subnets.cidr_block': 'subnets' is a list; a path can only end at a list"),
    (Workload, "Vpc", "'Vpc': 'Vpc' is not a snake_case attribute name"),
    (Workload, "vpc.", "'vpc.': '' is not a snake_case attribute name"),
    (Workload, "vpc.__class__", "'vpc.__class__': '__class__' is not a snake_case attribute name"),
    (Workload, "vpc-id", "'vpc-id': 'vpc-id' is not a snake_case attribute name"),
]


@pytest.mark.parametrize(("root", "path"), VALID, ids=[f"{r.__name__}.{p}" for r, p in VALID])
def test_valid_path(root: type, path: str) -> None:
    validate_path(root, path)


@pytest.mark.parametrize(("root", "path", "message"), INVALID, ids=[p for _, p, _ in INVALID])
def test_invalid_path(root: type, path: str, message: str) -> None:
    with pytest.raises(PathError) as raised:
        validate_path(root, path)
    assert str(raised.value).startswith(message), str(raised.value)


def test_allowed_names_are_sorted_and_complete() -> None:
    with pytest.raises(PathError) as raised:
        validate_path(Vpc, "nope")
    allowed = str(raised.value).split("expected one of: ")[1].split(", ")
    assert allowed == sorted(allowed)
    assert {"vpc_id", "cidr_block", "enable_dns_support", "enable_dns_hostnames", "name_tag", "tags"} <= set(allowed)


PYDANTIC_INTERNALS = ("model_extra", "model_fields_set", "model_fields", "model_computed_fields", "model_config")


@pytest.mark.parametrize("name", PYDANTIC_INTERNALS)
def test_pydantic_internals_are_not_paths(name: str) -> None:
    with pytest.raises(PathError) as raised:
        validate_path(Vpc, name)
    assert str(raised.value).startswith(f"'{name}': Vpc has no '{name}'; expected one of: "), str(raised.value)
    offered = set(str(raised.value).split("expected one of: ")[1].split(", "))
    assert not offered & set(PYDANTIC_INTERNALS), offered


@pytest.mark.parametrize("path", [f"vpc.{name}" for name in PYDANTIC_INTERNALS])
def test_pydantic_internals_are_not_paths_below_the_root(path: str) -> None:
    with pytest.raises(PathError, match=r"Vpc has no 'model_"):
        validate_path(Workload, path)


def workload(scenario: Scenario) -> Any:
    [found] = build_context(scenario.build()).workloads
    return found


def test_resolve() -> None:
    api = workload(Scenario.compliant())
    assert resolve(api, "assign_public_ip") == "DISABLED"
    assert resolve(api, "vpc.enable_dns_support") is True
    assert resolve(api, "availability_zones") == ["eu-west-1a", "eu-west-1b"]


def test_resolve_is_none_when_a_step_is_missing() -> None:
    scenario = Scenario.compliant()
    scenario.remove("vpcs", "vpc-app")
    api = workload(scenario)
    assert resolve(api, "vpc") is None
    assert resolve(api, "vpc.enable_dns_support") is None
