"""Policy documents: parse what AWS APIs, snapshots and moto hand us into one normalised, immutable form.

boto3 returns IAM documents as dicts (botocore URL-decodes them); Secrets Manager, EC2, KMS and
Organizations return JSON strings; raw IAM API output is URL-encoded JSON; moto's CloudFormation path can
leave a Python repr. Every single-or-list element becomes a tuple here, so evaluation never branches on
shape.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import unquote

from scanner.iam.matching import action_matches, is_match_all

VARIABLES_VERSION = "2012-10-17"
"""The only policy language version in which `${...}` policy variables are substituted."""


class PolicyDocumentError(ValueError):
    """A policy document cannot be read; the message says where (`Statement[1].Effect`) and what."""


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Principals:
    """A Principal or NotPrincipal element. `Principal: "*"` and `{"AWS": "*"}` both mean anyone."""

    is_anyone: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One `operator: {key: values}` pair of a Condition block; values are text, as IAM compares them."""

    operator: str
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement. Exactly one of `actions`/`not_actions` and of `resources`/`not_resources` is set."""

    index: int
    effect: Effect
    sid: str | None
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: Principals | None
    not_principals: Principals | None
    conditions: tuple[ConditionClause, ...]
    is_unconditional: bool = field(init=False, repr=False, compare=False)
    """A `Resource` entry made only of `*` and no Condition: once its action (and, on the resource side,
    its principal) applies, the statement applies to every request, whatever the resource and context.
    Most statements the evaluator meets are of this kind (managed policies, boundaries, SCPs), so it
    skips the resource and condition tests for them; derived once here rather than per request."""

    def __post_init__(self) -> None:
        unconditional = not self.conditions and any(is_match_all(p) for p in self.resources or ())
        object.__setattr__(self, "is_unconditional", unconditional)

    @property
    def label(self) -> str:
        """The Sid, or the position (`#0`) for statements without one."""
        return self.sid if self.sid else f"#{self.index}"

    def covers_action(self, action: str) -> bool:
        """Whether Action names `action` (or NotAction does not)."""
        if self.actions is not None:
            return any(action_matches(pattern, action) for pattern in self.actions)
        assert self.not_actions is not None
        return not any(action_matches(pattern, action) for pattern in self.not_actions)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None
    _by_action: dict[str, tuple[Statement, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )
    """Memo of `statements_for`, by action as requested. Not part of the document's value."""

    @property
    def resolves_variables(self) -> bool:
        return self.version == VARIABLES_VERSION

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers `action`, in document order.

        Most statements of a policy name other actions than the one requested, and the action test
        depends on nothing but the document and the action. A document is immutable and shared: the AWS
        managed ECS policy, a boundary or an SCP serves thousands of requests of a handful of actions, so
        the answer is kept per action (a scan asks about a dozen actions) and every later request only
        looks at the statements that can apply to it. Concurrent first calls compute the same tuple.
        """
        found = self._by_action.get(action)
        if found is None:
            found = tuple(statement for statement in self.statements if statement.covers_action(action))
            self._by_action[action] = found
        return found


def parse_policy_document(raw: PolicyDocument | Mapping[str, object] | str) -> PolicyDocument:
    """Read a policy given as a dict, a JSON string, URL-encoded JSON or (fallback) a Python repr."""
    if isinstance(raw, PolicyDocument):
        return raw
    data = _decode(raw) if isinstance(raw, str) else raw
    if not isinstance(data, Mapping):
        raise PolicyDocumentError(f"a policy document must be a JSON object, got {type(data).__name__}")
    return _document(data)


def _decode(text: str) -> object:
    stripped = text.strip()
    if stripped[:3].upper() == "%7B":
        stripped = unquote(stripped)
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as json_error:
        # moto's CloudFormation backend can store str(dict); literal_eval parses literals only, never code.
        try:
            return ast.literal_eval(stripped)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            raise PolicyDocumentError(
                f"policy document is not valid JSON: {json_error.msg} at line {json_error.lineno} "
                f"column {json_error.colno}"
            ) from json_error


def _document(data: Mapping[str, object]) -> PolicyDocument:
    version = _optional_text(data, "Version", "Version")
    policy_id = _optional_text(data, "Id", "Id")
    if "Statement" not in data:
        raise PolicyDocumentError("policy document has no Statement")
    raw_statements = data["Statement"]
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        raise PolicyDocumentError(
            f"Statement: expected an object or a list of objects, got {type(raw_statements).__name__}"
        )
    statements = tuple(_statement(index, item) for index, item in enumerate(raw_statements))
    return PolicyDocument(statements=statements, version=version, id=policy_id)


_EFFECTS = {effect.value: effect for effect in Effect}


def _where(index: int) -> str:
    return f"Statement[{index}]"


def _statement(index: int, raw: object) -> Statement:
    # A scan parses thousands of statements: the path of an element (`Statement[3].Resource`) is spelled
    # out only when there is an error to report.
    if not isinstance(raw, Mapping):
        raise PolicyDocumentError(f"{_where(index)}: expected an object, got {type(raw).__name__}")
    effect_text = raw.get("Effect")
    effect = _EFFECTS.get(effect_text) if isinstance(effect_text, str) else None
    if effect is None:
        raise PolicyDocumentError(f"{_where(index)}.Effect: expected 'Allow' or 'Deny', got {effect_text!r}")
    actions, not_actions = _exclusive_pair(raw, index, "Action", "NotAction", required=True)
    # A missing Resource is legal only where AWS applies the policy to the resource it is attached to
    # (trust policies, some resource policies); that resource is "whatever was requested", i.e. "*".
    resources, not_resources = _exclusive_pair(raw, index, "Resource", "NotResource", required=False)
    if resources is None and not_resources is None:
        resources = ("*",)
    has_principal, has_not_principal = "Principal" in raw, "NotPrincipal" in raw
    if has_principal and has_not_principal:
        raise PolicyDocumentError(f"{_where(index)}: has both Principal and NotPrincipal")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyDocumentError(f"{_where(index)}.Sid: expected a string, got {sid!r}")
    condition = raw.get("Condition")
    return Statement(
        index,
        effect,
        sid,
        actions,
        not_actions,
        resources,
        not_resources,
        _principals(raw["Principal"], f"{_where(index)}.Principal") if has_principal else None,
        _principals(raw["NotPrincipal"], f"{_where(index)}.NotPrincipal") if has_not_principal else None,
        _conditions(condition, f"{_where(index)}.Condition") if condition is not None else (),
    )


def _exclusive_pair(
    raw: Mapping[str, object], index: int, name: str, negated: str, *, required: bool
) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    has_name, has_negated = name in raw, negated in raw
    if has_name and has_negated:
        raise PolicyDocumentError(f"{_where(index)}: has both {name} and {negated}")
    if has_name:
        return _element_strings(raw[name], index, name), None
    if has_negated:
        return None, _element_strings(raw[negated], index, negated)
    if required:
        raise PolicyDocumentError(f"{_where(index)}: needs {name} or {negated}")
    return None, None


def _element_strings(value: object, index: int, name: str) -> tuple[str, ...]:
    """`_strings` for an element of statement `index`, naming it only if it is not strings."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return _strings(value, f"{_where(index)}.{name}")


def _strings(value: object, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str):
            raise PolicyDocumentError(f"{where}: expected a string or a list of strings, got {item!r}")
    return tuple(items)


def _principals(value: object, where: str) -> Principals:
    if value == "*":
        return Principals(is_anyone=True)
    if not isinstance(value, Mapping):
        raise PolicyDocumentError(f'{where}: expected "*" or an object such as {{"AWS": ...}}, got {value!r}')
    known = {"AWS", "Service", "Federated", "CanonicalUser"}
    unknown = sorted(set(value) - known)
    if unknown:
        raise PolicyDocumentError(f"{where}: unknown principal type {unknown[0]!r}; expected one of {sorted(known)}")
    aws = _strings(value["AWS"], f"{where}.AWS") if "AWS" in value else ()
    return Principals(
        is_anyone="*" in aws,
        aws=aws,
        service=_strings(value["Service"], f"{where}.Service") if "Service" in value else (),
        federated=_strings(value["Federated"], f"{where}.Federated") if "Federated" in value else (),
        canonical_user=(_strings(value["CanonicalUser"], f"{where}.CanonicalUser") if "CanonicalUser" in value else ()),
    )


def _conditions(value: object, where: str) -> tuple[ConditionClause, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise PolicyDocumentError(f"{where}: expected an object, got {type(value).__name__}")
    clauses: list[ConditionClause] = []
    for operator, keys in value.items():
        if not isinstance(keys, Mapping):
            raise PolicyDocumentError(f"{where}.{operator}: expected an object of key: values")
        for key, values in keys.items():
            clauses.append(
                ConditionClause(str(operator), str(key), _condition_values(values, f"{where}.{operator}.{key}"))
            )
    return tuple(clauses)


def _condition_values(value: object, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for item in items:
        if isinstance(item, bool):
            texts.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            texts.append(str(item))
        else:
            raise PolicyDocumentError(f"{where}: expected strings, numbers or booleans, got {item!r}")
    return tuple(texts)


def _optional_text(data: Mapping[str, object], name: str, where: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    raise PolicyDocumentError(f"{where}: expected a string, got {value!r}")
