"""Meta-tests: the rule catalogue is well-formed, every kind is used and documented, schema.json is current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scanner.config import bundled_path
from scanner.engine.checks import KINDS
from scanner.engine.loader import load_rules, walk_checks
from scanner.engine.spec import RuleSpec
from scanner.results import Severity

RULES_DIR = bundled_path("rules")
CATALOGUE = {
    "VPCE001": "endpoint-required",
    "VPCE002": "endpoint-private-dns",
    "VPCE003": "endpoint-subnet-coverage",
    "VPCE004": "endpoint-sg-ingress",
    "VPCE005": "task-sg-egress",
    "VPCE006": "subnet-no-internet-route",
    "VPCE007": "execution-role-permissions",
    "VPCE008": "endpoint-policy-allows",
    "VPCE009": "nacl-allows-endpoint-traffic",
    "VPCE010": "endpoint-multi-az",
    "VPCE011": "image-privately-pullable",
}


@pytest.fixture(scope="module")
def rules() -> list:  # type: ignore[type-arg]
    return load_rules([RULES_DIR])


def test_catalogue_ids_and_names_are_the_design_ones(rules: list) -> None:  # type: ignore[type-arg]
    found = {r.id: r.spec.name for r in rules}
    for rule_id, name in CATALOGUE.items():
        assert found.get(rule_id) == name


def test_ids_equal_file_names_and_are_unique(rules: list) -> None:  # type: ignore[type-arg]
    assert [r.id for r in rules] == sorted({r.path.stem for r in rules})
    for rule in rules:
        assert rule.path.name == f"{rule.id}.yaml"


def test_every_rule_has_the_required_metadata(rules: list) -> None:  # type: ignore[type-arg]
    for rule in rules:
        spec = rule.spec
        assert spec.title and len(spec.title) <= 100 and not spec.title.lower().startswith("ensure")
        assert spec.rationale.strip() and spec.remediation.strip()
        assert all(ref.startswith("https://docs.aws.amazon.com/") for ref in spec.references)
        assert 1 <= len(spec.tags) <= 10


def test_every_kind_is_used_by_a_rule_and_documented(rules: list) -> None:  # type: ignore[type-arg]
    used = {check.kind for r in rules for check, _ in walk_checks(r.spec.check, ())}
    assert used == set(KINDS)
    for kind in KINDS.values():
        assert kind.doc, f"kind {kind.name} has no docstring"


def test_schema_json_is_current() -> None:
    committed = json.loads((RULES_DIR / "schema.json").read_text())
    assert committed == RuleSpec.model_json_schema(by_alias=True), (
        "rules/schema.json is stale: run `vpce-scan rules schema > rules/schema.json`"
    )


def test_every_severity_has_a_rank() -> None:
    assert sorted(s.rank for s in Severity) == [0, 1, 2, 3, 4]


def test_rule_text_contains_no_executable_templating() -> None:
    for path in Path(RULES_DIR).glob("*.yaml"):
        text = path.read_text()
        assert not re.search(r"\{\{|\{%|__\w+__|\beval\b|\bexec\b", text), path


def test_rule_docs_are_current(rules: list) -> None:  # type: ignore[type-arg]
    from scanner.report.catalogue import render_rule_docs

    committed = (Path(__file__).resolve().parents[2] / "docs" / "rules.md").read_text()
    assert committed == render_rule_docs(rules), "docs/rules.md is stale: run `vpce-scan rules docs > docs/rules.md`"
    for rule in rules:
        assert f"## {rule.id} {rule.spec.name}" in committed  # the anchor each SARIF helpUri points at


def test_readme_lists_exactly_the_permissions_the_collector_needs() -> None:
    from scanner.collect import required_actions

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index('"Action": [')
    listed = json.loads("[" + readme[start + len('"Action": [') : readme.index("]", start)] + "]")
    assert listed == required_actions(), "README's IAM policy is stale: paste `vpce-scan permissions`"
    assert all(a.split(":")[1].startswith(("Describe", "Get", "List")) for a in listed), "read-only"
    assert "secretsmanager:GetSecretValue" not in listed  # never reads secret values
