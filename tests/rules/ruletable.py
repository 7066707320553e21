"""Run one rule file over a Scenario and index its results, for the per-rule tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from scanner.config import DEFAULT_PARAMS
from scanner.engine.evaluate import evaluate
from scanner.engine.loader import Rule, load_rule_file
from scanner.inventory.root import Inventory
from scanner.results import Result, Severity, Status
from tests.builders import Scenario

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"

PASS, FAIL, ERROR, SKIPPED = Status.PASS, Status.FAIL, Status.ERROR, Status.SKIPPED


@cache
def rule(rule_id: str) -> Rule:
    """One rule file only: a broken neighbour file must not fail this rule's tests."""
    return load_rule_file(RULES_DIR / f"{rule_id}.yaml")


def run(
    rule_id: str,
    inventory: Inventory | Scenario,
    params: dict[str, object] | None = None,
    baseline: tuple[str, ...] = ("sts",),
) -> list[Result]:
    if isinstance(inventory, Scenario):
        inventory = inventory.build()
    return evaluate([rule(rule_id)], inventory, {**DEFAULT_PARAMS, **(params or {})}, baseline)


def key(result: Result) -> str:
    """How a table names a result: the qualifier (workload/service, workload/container) if any, else the id."""
    return result.qualifier or result.resource_id


def by_key(results: Sequence[Result]) -> dict[str, Result]:
    indexed: dict[str, Result] = {}
    for result in results:
        assert key(result) not in indexed, f"two results for {key(result)}"
        indexed[key(result)] = result
    return indexed


def statuses(results: Sequence[Result]) -> dict[str, Status]:
    return {k: r.status for k, r in by_key(results).items()}


@dataclass(frozen=True)
class Case:
    """One row of a rule's table: break the compliant scenario one way, expect these results."""

    name: str
    arrange: Callable[[], Scenario]
    expected: dict[str, Status]
    # Per result key: fragments its message must contain.
    message: dict[str, Sequence[str]] = field(default_factory=dict)
    # Per result key: the exact remediation commands, in order.
    remediation: dict[str, Sequence[str]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)
    params: dict[str, object] = field(default_factory=dict)
    baseline: tuple[str, ...] = ("sts",)
    # A known defect: the case is expected to fail until it is fixed (strict xfail).
    bug: str | None = None


def table(cases: Sequence[Case]) -> list[Any]:
    return [
        pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=True, reason=f"BUG: {c.bug}")] if c.bug else [])
        for c in cases
    ]


def check_case(rule_id: str, case: Case) -> list[Result]:
    results = run(rule_id, case.arrange(), case.params, case.baseline)
    found = by_key(results)
    assert statuses(results) == case.expected, "\n".join(f"{k}: {r.status} {r.message}" for k, r in found.items())
    for k, fragments in case.message.items():
        for fragment in fragments:
            assert fragment in found[k].message, f"{k}: {fragment!r} not in {found[k].message!r}"
    for k, commands in case.remediation.items():
        assert found[k].remediation == list(commands), f"{k}: {found[k].remediation}"
    for k, severity in case.severity.items():
        assert found[k].severity is severity, f"{k}: {found[k].severity}"
    for k, r in found.items():
        if r.status is FAIL and k not in case.remediation:
            assert r.remediation, f"{k}: a FAIL carries its remediation"
        if r.status is not FAIL:
            assert r.remediation == [], f"{k}: only a FAIL carries remediation"
    return results
