"""Policy documents for remediation commands: the statements that would grant what is missing, added to
the document that is there now (so a `put-*-policy` command does not drop what the policy already says).

Documents come out as compact JSON; a fix command quotes them for the shell (scanner.engine.commands).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

Statement = dict[str, Any]

VERSION = "2012-10-17"


def grant_statements(
    pairs: Iterable[tuple[str, str]], *, principal: object | None = None, sid: str | None = None
) -> list[Statement]:
    """Allow statements for `(action, resource)` pairs: actions that share the same resources share a
    statement. With `principal` (resource and endpoint policies) each statement names it."""
    resources_by_action: dict[str, list[str]] = {}
    for action, resource in pairs:
        found = resources_by_action.setdefault(action, [])
        if resource not in found:
            found.append(resource)
    grouped: dict[tuple[str, ...], list[str]] = {}
    for action, listed in resources_by_action.items():
        grouped.setdefault(tuple(listed), []).append(action)
    statements: list[Statement] = []
    for index, (resources, actions) in enumerate(grouped.items()):
        statement: Statement = {}
        if sid:
            statement["Sid"] = sid if len(grouped) == 1 else f"{sid}{index + 1}"
        statement["Effect"] = "Allow"
        if principal is not None:
            statement["Principal"] = principal
        statement["Action"] = actions[0] if len(actions) == 1 else actions
        statement["Resource"] = resources[0] if len(resources) == 1 else list(resources)
        statements.append(statement)
    return statements


def extend_document(existing: object | None, statements: Sequence[Statement]) -> str:
    """`existing` (a dict, a JSON string, or None for a new policy) with `statements` appended."""
    document = _as_dict(existing)
    current = document.get("Statement", [])
    if isinstance(current, Mapping):
        current = [current]
    merged = [*(current if isinstance(current, list) else []), *statements]
    ordered: dict[str, Any] = {"Version": document.get("Version", VERSION)}
    if "Id" in document:
        ordered["Id"] = document["Id"]
    ordered["Statement"] = merged
    return json.dumps(ordered, separators=(",", ":"))


def _as_dict(existing: object | None) -> dict[str, Any]:
    """The document as a dict. Raises ValueError for text that is not a policy: a fix must never replace
    a policy it could not read (callers only pass documents the evaluator has already parsed)."""
    if existing is None:
        return {"Version": VERSION, "Statement": []}
    if isinstance(existing, Mapping):
        return dict(existing)
    if isinstance(existing, str):
        text = existing.strip()
        if text[:3].upper() == "%7B":
            text = unquote(text)
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            loaded = ast.literal_eval(text)  # moto's CloudFormation repr; literals only, never code
        if isinstance(loaded, Mapping):
            return dict(loaded)
    raise ValueError(f"not a policy document: {existing!r:.80}")
