"""Invariants AWS's policy evaluation guarantees, checked over generated policy sets (issue 7, item 14).

* Adding a Deny statement anywhere never turns a decision into ALLOWED, and never lifts an explicit deny.
* Adding a statement whose condition reads a key the request does not know never turns IMPLICIT_DENY
  into ALLOWED.
* Guard layers (every PolicySet layer that is not a grant: boundary, SCP and RCP levels, endpoint policy,
  and any layer added later) only ever narrow: dropping one never makes a decision stricter.
* The case of action names never matters; the case of ARNs does.

Policy sets are generated as plain JSON-shaped specs (what AWS returns), so that a property can rewrite
them (add a statement, re-case the actions) before they are parsed. Runs are derandomized and bounded so
the file takes a few seconds and CI sees the same examples every time (VPCE_SCAN_IAM_PROPERTY_EXAMPLES
raises the count for a deeper local run).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iam_builders import ACCOUNT, KEY, LOG_STREAM, OTHER_ACCOUNT, PARAMETER, REGION, REPOSITORY, ROLE, ROOT

from scanner.iam import (
    Decision,
    EndpointPolicy,
    EndpointType,
    NamedPolicy,
    PolicySet,
    Request,
    RequestContext,
    ResourcePolicy,
    ResourcePolicyKind,
    evaluate_request,
)

EXAMPLES = int(os.environ.get("VPCE_SCAN_IAM_PROPERTY_EXAMPLES", "150"))
"""Examples per property; CI runs the default, a deeper local hunt sets the variable (e.g. 5000)."""

PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

Spec = dict[str, Any]
"""A policy set as JSON-shaped data: {"identity": [doc], "boundary": doc|None, "scp": [[doc]]|None,
"rcp": [[doc]]|None, "resource": {"owner", "doc", "kind"}|None, "endpoint": {"doc", "type"}|None}."""

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/Db-AbC123"
OTHER_SECRET = f"arn:aws:secretsmanager:{REGION}:{OTHER_ACCOUNT}:secret:Shared/Api-Xy9Z8w"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/ecs-task-execution/TaskId"
RESOURCES = [SECRET, OTHER_SECRET, KEY, REPOSITORY, LOG_STREAM, PARAMETER]
ACTIONS = [
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "ecr:BatchGetImage",
    "ecr:GetAuthorizationToken",
    "logs:PutLogEvents",
    "ssm:GetParameters",
]
ACTION_PATTERNS = [
    *ACTIONS,
    "*",
    "*",
    "secretsmanager:*",
    "ecr:Get*",
    "ecr:*Image",
    "logs:Put?ogEvents",
    "kms:*",
    "s3:GetObject",
]
RESOURCE_PATTERNS = [
    *RESOURCES,
    "*",
    "*",
    "*",
    "arn:aws:secretsmanager:*",
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/*",
    "arn:aws:secretsmanager:*:secret:Shared/*",
    "arn:aws:ecr:*:*:repository/*",
    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app:*",
    "arn:aws:kms:*:*:key/*",
    "arn:aws:ssm:*",
    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:${{aws:PrincipalTag/team}}/*",
    "arn:*",
]
PRINCIPALS: list[Any] = [
    "*",
    "*",
    {"AWS": ROLE},
    {"AWS": ROOT},
    {"AWS": ACCOUNT},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/someone-else"},
    {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
    {"AWS": SESSION},
    {"AWS": [ROLE, ROOT]},
    {"Service": "ecs-tasks.amazonaws.com"},
]
CONDITION_VALUES = {
    "aws:SourceVpce": ["vpce-1", "vpce-2"],
    "aws:PrincipalTag/team": ["prod", "dev"],
    "aws:SecureTransport": ["true", "false"],
    "aws:PrincipalOrgID": ["o-1", "o-2"],
    "aws:userid": ["AROAID:TaskId", "AROAID:Other"],
}
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "StringEqualsIgnoreCase",
    "Bool",
    "BoolIfExists",
    "Null",
    "ForAnyValue:StringEquals",
    "ForAllValues:StringEquals",
    "ArnLike",
    "NumericLessThan",
    "SomeFutureOperator",
]
UNKNOWN_KEY = "test:KeyNoRequestKnows"
"""Never given a value nor declared absent in a generated request: always unknown."""

RANKS = {Decision.EXPLICIT_DENY: 0, Decision.IMPLICIT_DENY: 1, Decision.UNDETERMINED: 2, Decision.ALLOWED: 3}
"""How much a decision lets through: a narrower policy set never ranks higher."""

GRANT_LAYERS = frozenset({"identity_policies", "resource_policy"})
GUARD_LAYERS = tuple(field.name for field in dataclasses.fields(PolicySet) if field.name not in GRANT_LAYERS)
"""Every other layer of PolicySet: read from the class, so a layer added later is covered by the
narrowing property (and test_every_guard_layer_is_generated asks for a generator for it)."""

SPEC_KEYS_BY_LAYER = {
    "permissions_boundary": "boundary",
    "scp_levels": "scp",
    "rcp_levels": "rcp",
    "vpc_endpoint_policy": "endpoint",
}


# --- Strategies ----------------------------------------------------------------------------------------


def one_or_many(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(values, st.lists(values, min_size=1, max_size=3))


# Strategies are built once, at import: building one (and validating it) inside a composite on every draw
# costs more than the draw itself.
_VERSIONS = st.sampled_from(["2012-10-17", "2012-10-17", "2008-10-17", None])
_EFFECTS = st.sampled_from(["Allow", "Allow", "Allow", "Allow", "Deny"])
_ACTION_ELEMENTS = st.sampled_from(["Action", "Action", "Action", "NotAction"])
_ACTION_VALUES = one_or_many(st.sampled_from(ACTION_PATTERNS))
_RESOURCE_ELEMENTS = st.sampled_from(["Resource", "Resource", "Resource", "NotResource"])
_RESOURCE_VALUES = one_or_many(st.sampled_from(RESOURCE_PATTERNS))
_PRINCIPAL_ELEMENTS = st.sampled_from(["Principal", "Principal", "Principal", "NotPrincipal"])
_PRINCIPALS = st.sampled_from(PRINCIPALS)
_GRANTEES = st.sampled_from(["*", "*", {"AWS": ROLE}, {"AWS": ROOT}])
_OPERATORS = st.sampled_from(OPERATORS)
_CLAUSES = st.lists(st.tuples(_OPERATORS, st.sampled_from(sorted(CONDITION_VALUES))), max_size=2)
_CONDITION_VALUES = {key: one_or_many(st.sampled_from(values)) for key, values in CONDITION_VALUES.items()}
_OTHER_VALUES = one_or_many(st.sampled_from(["x", "true"]))
_KEY_STATES = st.sampled_from(["known", "absent", "unknown", "unknown"])
_KNOWN_VALUES = {key: st.sampled_from(values) for key, values in CONDITION_VALUES.items()}
_ACTIONS = st.sampled_from(ACTIONS)
_RESOURCES = st.sampled_from(RESOURCES)


def one_in(n: int) -> st.SearchStrategy[bool]:
    return _ONE_IN[n]


_ONE_IN = {n: st.sampled_from([True] + [False] * (n - 1)) for n in (3, 4)}
_MOSTLY = st.sampled_from([True] * 6 + [False])


@st.composite
def conditions(draw: st.DrawFn, *, extra_key: str | None = None) -> dict[str, dict[str, Any]]:
    clauses = draw(_CLAUSES)
    if extra_key is not None:
        clauses.append((draw(_OPERATORS), extra_key))
    block: dict[str, dict[str, Any]] = {}
    for operator, key in clauses:
        value = "true" if operator == "Null" else draw(_CONDITION_VALUES.get(key, _OTHER_VALUES))
        block.setdefault(operator, {})[key] = value
    return block


_CONDITIONS = conditions()
_UNKNOWN_KEY_CONDITIONS = conditions(extra_key=UNKNOWN_KEY)


@st.composite
def statements(
    draw: st.DrawFn, *, resource_side: bool, effect: str | None = None, condition_key: str | None = None
) -> dict[str, Any]:
    built: dict[str, Any] = {"Effect": effect or draw(_EFFECTS)}
    built[draw(_ACTION_ELEMENTS)] = draw(_ACTION_VALUES)
    built[draw(_RESOURCE_ELEMENTS)] = draw(_RESOURCE_VALUES)
    if resource_side:
        built[draw(_PRINCIPAL_ELEMENTS)] = draw(_PRINCIPALS)
    if condition_key is not None:
        assert condition_key == UNKNOWN_KEY
        built["Condition"] = draw(_UNKNOWN_KEY_CONDITIONS)
    elif draw(one_in(3)):
        condition = draw(_CONDITIONS)
        if condition:
            built["Condition"] = condition
    return built


_STATEMENT_LISTS = {side: st.lists(statements(resource_side=side), min_size=1, max_size=2) for side in (False, True)}


@st.composite
def documents(draw: st.DrawFn, *, resource_side: bool = False, permissive: bool = False) -> dict[str, Any]:
    """A policy document; `permissive` ones mostly start with an Allow of everything (to anyone, on the
    resource side), so that a good share of generated requests get past every layer and can be ALLOWED."""
    version = draw(_VERSIONS)
    found = draw(_STATEMENT_LISTS[resource_side])
    if permissive and draw(_MOSTLY):
        everything: dict[str, Any] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
        if resource_side:
            everything["Principal"] = draw(_GRANTEES)
        condition = draw(_CONDITIONS) if draw(one_in(3)) else None
        if condition:
            everything["Condition"] = condition
        found = [everything, *found[: draw(st.integers(0, 1))]]
    document: dict[str, Any] = {"Statement": found}
    if version is not None:
        document["Version"] = version
    return document


_GUARD_DOCUMENTS = documents(permissive=True)
_RESOURCE_SIDE_DOCUMENTS = documents(resource_side=True, permissive=True)
_LEVELS = st.one_of(st.none(), st.lists(st.lists(_GUARD_DOCUMENTS, min_size=1, max_size=2), min_size=1, max_size=3))
_RESOURCE_POLICIES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "owner": st.sampled_from([ACCOUNT, OTHER_ACCOUNT]),
            "doc": st.one_of(st.none(), _RESOURCE_SIDE_DOCUMENTS),
            "kind": st.sampled_from(list(ResourcePolicyKind)),
        }
    ),
)
_ENDPOINT_POLICIES = st.one_of(
    st.none(), st.fixed_dictionaries({"doc": _RESOURCE_SIDE_DOCUMENTS, "type": st.sampled_from(list(EndpointType))})
)


def specs() -> st.SearchStrategy[Spec]:
    return st.fixed_dictionaries(
        {
            "identity": st.lists(_GUARD_DOCUMENTS, min_size=0, max_size=2),
            "boundary": st.one_of(st.none(), _GUARD_DOCUMENTS),
            "scp": _LEVELS,
            "rcp": _LEVELS,
            "resource": _RESOURCE_POLICIES,
            "endpoint": _ENDPOINT_POLICIES,
        }
    )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    values: dict[str, str] = {}
    absent: list[str] = []
    for key in CONDITION_VALUES:
        state = draw(_KEY_STATES)
        if state == "known":
            values[key] = draw(_KNOWN_VALUES[key])
        elif state == "absent":
            absent.append(key)
    action = draw(_ACTIONS)
    resource = "*" if action == "ecr:GetAuthorizationToken" else draw(_RESOURCES)
    return Request(action, resource, ROLE, ACCOUNT, RequestContext(values, absent))


_DENIES = {side: statements(resource_side=side, effect="Deny") for side in (False, True)}
_UNKNOWN_KEY_STATEMENTS = {side: statements(resource_side=side, condition_key=UNKNOWN_KEY) for side in (False, True)}


# --- Building and rewriting specs ----------------------------------------------------------------------


def build(spec: Spec) -> PolicySet:
    def named(name: str, document: dict[str, Any]) -> NamedPolicy:
        return NamedPolicy.parse(name, document)

    def built_levels(kind: str) -> list[list[NamedPolicy]] | None:
        found = spec[kind]
        if found is None:
            return None
        return [[named(f"{kind}-{i}-{j}", doc) for j, doc in enumerate(level)] for i, level in enumerate(found)]

    resource = spec["resource"]
    endpoint = spec["endpoint"]
    return PolicySet(
        identity_policies=[named(f"identity-{i}", doc) for i, doc in enumerate(spec["identity"])],
        permissions_boundary=None if spec["boundary"] is None else named("boundary", spec["boundary"]),
        scp_levels=built_levels("scp"),
        rcp_levels=built_levels("rcp"),
        resource_policy=None
        if resource is None
        else ResourcePolicy(
            owner_account=resource["owner"],
            policy=None if resource["doc"] is None else named("resource", resource["doc"]),
            kind=resource["kind"],
        ),
        vpc_endpoint_policy=None
        if endpoint is None
        else EndpointPolicy(named("endpoint", endpoint["doc"]), endpoint_type=endpoint["type"]),
    )


Target = tuple[Any, ...]


def targets(spec: Spec) -> list[Target]:
    """Every document a statement can be added to (plus a new identity policy)."""
    found: list[Target] = [("identity-new",)]
    found += [("identity", i) for i in range(len(spec["identity"]))]
    if spec["boundary"] is not None:
        found.append(("boundary",))
    for kind in ("scp", "rcp"):
        for i, level in enumerate(spec[kind] or ()):
            found += [(kind, i, j) for j in range(len(level))]
    if spec["resource"] is not None and spec["resource"]["doc"] is not None:
        found.append(("resource",))
    if spec["endpoint"] is not None:
        found.append(("endpoint",))
    return found


def is_resource_side(target: Target) -> bool:
    return target[0] in ("resource", "endpoint")


def with_statement(spec: Spec, target: Target, statement: dict[str, Any]) -> Spec:
    changed = copy.deepcopy(spec)
    match target:
        case ("identity-new",):
            changed["identity"].append({"Version": "2012-10-17", "Statement": [statement]})
        case ("identity", i):
            changed["identity"][i]["Statement"].append(statement)
        case ("boundary",):
            changed["boundary"]["Statement"].append(statement)
        case (kind, i, j):
            changed[kind][i][j]["Statement"].append(statement)
        case (side,):
            changed[side]["doc"]["Statement"].append(statement)
    return changed


def recase_actions(spec: Spec, recase: Callable[[str], str]) -> Spec:
    changed = copy.deepcopy(spec)
    for document in all_documents(changed):
        for statement in document["Statement"]:
            for element in ("Action", "NotAction"):
                if element in statement:
                    value = statement[element]
                    statement[element] = recase(value) if isinstance(value, str) else [recase(v) for v in value]
    return changed


def all_documents(spec: Spec) -> list[dict[str, Any]]:
    found = [*spec["identity"]]
    if spec["boundary"] is not None:
        found.append(spec["boundary"])
    for kind in ("scp", "rcp"):
        found += [doc for level in spec[kind] or () for doc in level]
    if spec["resource"] is not None and spec["resource"]["doc"] is not None:
        found.append(spec["resource"]["doc"])
    if spec["endpoint"] is not None:
        found.append(spec["endpoint"]["doc"])
    return found


def decide(spec: Spec, request: Request) -> Decision:
    return evaluate_request(request, build(spec)).decision


# --- Properties ----------------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(spec=specs(), request=requests(), data=st.data())
def test_adding_a_deny_never_allows_more(spec: Spec, request: Request, data: st.DataObject) -> None:
    target = data.draw(st.sampled_from(targets(spec)), label="target")
    denial = data.draw(_DENIES[is_resource_side(target)], label="deny")
    before = decide(spec, request)
    after = decide(with_statement(spec, target, denial), request)
    assert RANKS[after] <= RANKS[before], f"{before} -> {after}"


@PROPERTY_SETTINGS
@given(spec=specs(), request=requests(), data=st.data())
def test_a_statement_on_an_unknown_key_never_turns_implicit_deny_into_allowed(
    spec: Spec, request: Request, data: st.DataObject
) -> None:
    target = data.draw(st.sampled_from(targets(spec)), label="target")
    added = data.draw(_UNKNOWN_KEY_STATEMENTS[is_resource_side(target)], label="added")
    before = decide(spec, request)
    after = decide(with_statement(spec, target, added), request)
    if before is Decision.IMPLICIT_DENY:
        assert after is not Decision.ALLOWED
    # Whatever the decision was, a condition nobody can evaluate never settles it into ALLOWED.
    if after is Decision.ALLOWED:
        assert before is Decision.ALLOWED


@PROPERTY_SETTINGS
@given(spec=specs(), request=requests())
def test_guard_layers_only_narrow(spec: Spec, request: Request) -> None:
    policies = build(spec)
    with_layers = evaluate_request(request, policies).decision
    for layer in GUARD_LAYERS:
        without = evaluate_request(request, dataclasses.replace(policies, **{layer: None})).decision
        assert RANKS[with_layers] <= RANKS[without], f"{layer}: {with_layers} with it, {without} without"


def test_every_guard_layer_is_generated() -> None:
    """A layer added to PolicySet needs a generator here, or the narrowing property would not exercise it."""
    assert set(GUARD_LAYERS) == set(SPEC_KEYS_BY_LAYER)


@PROPERTY_SETTINGS
@given(spec=specs(), request=requests(), data=st.data())
def test_the_case_of_action_names_never_matters(spec: Spec, request: Request, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=64, max_size=64), label="flips")

    def recase(text: str) -> str:
        return "".join(c.swapcase() if flips[i % len(flips)] else c for i, c in enumerate(text))

    expected = decide(spec, request)
    recased_request = dataclasses.replace(request, action=recase(request.action))
    assert decide(spec, recased_request) is expected
    assert decide(recase_actions(spec, recase), request) is expected


@st.composite
def recased_arns(draw: st.DrawFn) -> tuple[str, str]:
    """An ARN and a variant of it differing only in the case of some letters of its resource part."""
    arn = draw(st.sampled_from(RESOURCES))
    prefix_length = len(":".join(arn.split(":", 5)[:5])) + 1
    head, resource_part = arn[:prefix_length], arn[prefix_length:]
    letters = [i for i, c in enumerate(resource_part) if c.isalpha()]
    flips = draw(st.lists(st.booleans(), min_size=len(letters), max_size=len(letters)))
    flips[draw(st.integers(0, len(letters) - 1))] = True  # at least one letter changes case
    flipped = {position for position, flip in zip(letters, flips, strict=True) if flip}
    variant = "".join(c.swapcase() if i in flipped else c for i, c in enumerate(resource_part))
    return arn, head + variant


@settings(PROPERTY_SETTINGS, max_examples=EXAMPLES * 4 // 3)
@given(pair=recased_arns(), action=st.sampled_from([a for a in ACTIONS if a != "ecr:GetAuthorizationToken"]))
def test_the_case_of_arns_matters(pair: tuple[str, str], action: str) -> None:
    arn, variant = pair
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": arn}]}
    spec: Spec = {
        "identity": [grant],
        "boundary": None,
        "scp": None,
        "rcp": None,
        "resource": None,
        "endpoint": None,
    }
    assert decide(spec, Request(action, arn, ROLE, ACCOUNT)) is Decision.ALLOWED
    assert decide(spec, Request(action, variant, ROLE, ACCOUNT)) is Decision.IMPLICIT_DENY
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    guarded = with_statement(spec, ("identity", 0), everything)
    guarded = with_statement(guarded, ("identity", 0), {"Effect": "Deny", "Action": action, "Resource": arn})
    assert decide(guarded, Request(action, arn, ROLE, ACCOUNT)) is Decision.EXPLICIT_DENY
    assert decide(guarded, Request(action, variant, ROLE, ACCOUNT)) is Decision.ALLOWED
