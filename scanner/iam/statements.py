"""Whether one statement applies to one request: action, principal, resource and conditions, in
three-valued logic. The cheapest test (the action) runs first, since most statements fail it."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.iam.conditions import evaluate_conditions
from scanner.iam.documents import Statement
from scanner.iam.matching import resource_matcher, resource_pattern_matches
from scanner.iam.principals import PrincipalMatch, match_statement_principal
from scanner.iam.request import KeyState, Request, RequestContext
from scanner.iam.truth import Truth
from scanner.iam.variables import Unresolved, has_variables, resolve_resource


@dataclass(frozen=True, slots=True)
class StatementMatch:
    truth: Truth
    principal: PrincipalMatch = PrincipalMatch.NONE
    unknown_keys: tuple[str, ...] = ()
    unsupported_operators: tuple[str, ...] = ()


DOES_NOT_APPLY = StatementMatch(Truth.FALSE)
_APPLIES = {principal: StatementMatch(Truth.TRUE, principal) for principal in PrincipalMatch}


def match_statement(
    statement: Statement,
    request: Request,
    context: RequestContext,
    *,
    resolve_variables: bool,
    names_principals: bool,
    has_permissions_boundary: bool = False,
) -> StatementMatch:
    """Whether `statement` applies. `names_principals` is True for resource, key and endpoint policies;
    `has_permissions_boundary` says whether the caller has one (a NotPrincipal Deny then always applies)."""
    if not action_applies(statement, request.action):
        return DOES_NOT_APPLY
    return match_covering_statement(
        statement,
        request,
        context,
        resolve_variables=resolve_variables,
        names_principals=names_principals,
        has_permissions_boundary=has_permissions_boundary,
    )


def match_covering_statement(
    statement: Statement,
    request: Request,
    context: RequestContext,
    *,
    resolve_variables: bool,
    names_principals: bool,
    has_permissions_boundary: bool = False,
) -> StatementMatch:
    """`match_statement` for a statement already known to cover the request's action (the evaluator
    takes its statements from `PolicyDocument.statements_for`, which tested the action once per document)."""
    principal, principal_truth = PrincipalMatch.ATTACHED, Truth.TRUE
    principal_keys: tuple[str, ...] = ()
    if names_principals:
        principal, principal_truth, principal_keys = match_statement_principal(
            statement,
            request.principal_arn,
            request.principal_account,
            context,
            has_permissions_boundary=has_permissions_boundary,
        )
        if principal is PrincipalMatch.NONE:
            return DOES_NOT_APPLY
    if statement.is_unconditional and principal_truth is Truth.TRUE:
        return _APPLIES[principal]  # `Resource: "*"` and no Condition: what _resource_applies would find
    resource_truth, resource_keys = _resource_applies(statement, request.resource, context, resolve_variables)
    if resource_truth is Truth.FALSE:
        return DOES_NOT_APPLY
    conditions = evaluate_conditions(statement.conditions, context, resolve_variables=resolve_variables)
    if conditions.truth is Truth.FALSE:
        return DOES_NOT_APPLY
    if principal_truth is Truth.TRUE and resource_truth is Truth.TRUE and conditions.truth is Truth.TRUE:
        return _APPLIES[principal]
    return StatementMatch(
        Truth.UNKNOWN,
        principal,
        unknown_keys=principal_keys + resource_keys + conditions.unknown_keys,
        unsupported_operators=conditions.unsupported_operators,
    )


def action_applies(statement: Statement, action: str) -> bool:
    return statement.covers_action(action)


def _resource_applies(
    statement: Statement, resource: str, context: RequestContext, resolve_variables: bool
) -> tuple[Truth, tuple[str, ...]]:
    """Resource: any entry matches. NotResource: no entry matches (so `NotResource: <ARN>` covers `*`).

    An entry whose variable has a key known to be absent matches nothing; under NotResource it makes the
    statement not apply at all, as AWS treats such a statement as invalid.
    """
    is_negated = statement.resources is None
    patterns = statement.not_resources if is_negated else statement.resources
    assert patterns is not None
    unknown_keys: list[str] = []
    for pattern in patterns:
        # The request resource `*` is covered only by `*`, whatever a pattern's variables resolve to.
        if resolve_variables and resource != "*" and has_variables(pattern):
            resolved = resolve_resource(pattern, context)
            if isinstance(resolved, Unresolved):
                if resolved.state is KeyState.UNKNOWN:
                    unknown_keys.append(resolved.key)
                    continue
                if is_negated:
                    return Truth.FALSE, ()
                continue
            matched = resource_pattern_matches(resolved, resource)
        else:
            matched = resource_matcher(pattern)(resource)
        if matched:
            return (Truth.FALSE if is_negated else Truth.TRUE), ()
    if unknown_keys:
        return Truth.UNKNOWN, tuple(unknown_keys)
    return (Truth.TRUE if is_negated else Truth.FALSE), ()
