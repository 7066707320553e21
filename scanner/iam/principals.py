"""Who a resource-side statement (resource, key or endpoint policy) applies to, for an IAM role caller.

How a statement names the caller changes the evaluation, not just whether it applies: naming the role
grants directly (capped by the role's permissions boundary), while naming the account delegates to the
account's own IAM policies (docs/notes/iam-evaluation.md §1.1 step 5).

A role's caller is one of its sessions, `arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/SESSION`, so a policy
may name the caller by its role ARN, its session ARN or its account. The session name is read from
`aws:userid` (`ROLE_ID:SESSION`); when it is unknown offline (an ECS task's session is named after the task
id), a statement that names a session of the role matches UNKNOWN: neither granted nor ruled out.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from scanner.iam.documents import Effect, Principals, Statement
from scanner.iam.request import KeyState, RequestContext
from scanner.iam.truth import Truth

SESSION_NAME_KEY = "aws:userid"
"""For a role session, `ROLE_ID:SESSION_NAME`: the only place a request context carries the session name."""


class PrincipalMatch(StrEnum):
    NONE = "none"
    """The statement does not apply to the caller."""
    ATTACHED = "attached"
    """Identity policies, boundaries, SCPs, RCPs: no Principal element; they apply to whom they govern."""
    ANYONE = "anyone"
    """`Principal: "*"`, or a NotPrincipal that does not exclude the caller."""
    ACCOUNT = "account"
    """The caller's account, as a bare id or `arn:PARTITION:iam::ACCOUNT:root`."""
    PRINCIPAL = "principal"
    """The caller's role ARN itself, or its session ARN."""


class PrincipalVerdict(NamedTuple):
    """How a statement names the caller, whether it surely does (`truth`), and the key that would settle it."""

    match: PrincipalMatch
    truth: Truth = Truth.TRUE
    unknown_keys: tuple[str, ...] = ()


NO_MATCH = PrincipalVerdict(PrincipalMatch.NONE, Truth.FALSE)
_SURE = {match: PrincipalVerdict(match) for match in PrincipalMatch}
_UNKNOWN_SESSION = (SESSION_NAME_KEY,)


class _Caller(NamedTuple):
    account_names: frozenset[str]
    """The bare account id and the account root ARN."""
    session_prefix: str | None
    """`arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/` for a role caller, None for other principals."""


@lru_cache(maxsize=4096)
def _caller(principal_arn: str, principal_account: str) -> _Caller:
    parts = principal_arn.split(":", 5)
    partition = parts[1] if len(parts) > 2 and parts[1] else "aws"
    account_names = frozenset((principal_account, f"arn:{partition}:iam::{principal_account}:root"))
    session_prefix = None
    if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
        # A session ARN carries the role's name without its path.
        role_name = parts[5].rsplit("/", 1)[-1]
        session_prefix = f"arn:{partition}:sts::{principal_account}:assumed-role/{role_name}/"
    return _Caller(account_names, session_prefix)


def _session_named(aws: tuple[str, ...], caller: _Caller, context: RequestContext) -> Truth:
    """Whether `aws` names the caller's own session: TRUE, FALSE, or UNKNOWN when a session of its role
    is named and the caller's session name is not known."""
    prefix = caller.session_prefix
    if prefix is None:
        return Truth.FALSE
    sessions = [name[len(prefix) :] for name in aws if name.startswith(prefix)]
    if not sessions:
        return Truth.FALSE
    found = context.lookup(SESSION_NAME_KEY)
    if found is KeyState.UNKNOWN:
        return Truth.UNKNOWN
    if found is KeyState.ABSENT:
        return Truth.FALSE
    own = {value.split(":", 1)[1] for value in found if ":" in value}
    return Truth.TRUE if own.intersection(sessions) else Truth.FALSE


def match_statement_principal(
    statement: Statement,
    principal_arn: str,
    principal_account: str,
    context: RequestContext,
    *,
    has_permissions_boundary: bool = False,
) -> PrincipalVerdict:
    """How a resource-side statement names the caller. A statement with no Principal names no one."""
    if statement.principals is not None:
        return match_principals(statement.principals, principal_arn, principal_account, context)
    if statement.not_principals is not None:
        if statement.effect is Effect.DENY and has_permissions_boundary:
            # IAM User Guide, "Permissions boundaries for IAM entities": "The NotPrincipal element with a
            # Deny effect will always deny any IAM principal that has a permissions boundary policy
            # attached, regardless of the values specified in the NotPrincipal element."
            return _SURE[PrincipalMatch.ANYONE]
        excluded, unknown_keys = _excluded(statement.not_principals, principal_arn, principal_account, context)
        if excluded is Truth.TRUE:
            return NO_MATCH
        if excluded is Truth.FALSE:
            return _SURE[PrincipalMatch.ANYONE]
        return PrincipalVerdict(PrincipalMatch.ANYONE, Truth.UNKNOWN, unknown_keys)
    return NO_MATCH


def _excluded(
    not_principals: Principals, principal_arn: str, principal_account: str, context: RequestContext
) -> tuple[Truth, tuple[str, ...]]:
    """Whether a NotPrincipal element leaves the caller out.

    IAM User Guide, "AWS JSON policy elements: NotPrincipal": AWS "might validate the account first, then
    the role, and then the assumed-role user", so a NotPrincipal that names the role without its account
    "might deny access to the entire account containing the principal", one that leaves out the role
    "might" deny the role; the guide recommends naming "both the ARN for a role and the ARN for the account
    containing that role". Only that pair surely spares the caller; naming only some of the caller's
    identities leaves the answer open (UNKNOWN, with no context key to blame but the session name when
    only a session of the role is named), naming none of them does not spare it.
    """
    if not_principals.is_anyone:
        return Truth.TRUE, ()
    aws = not_principals.aws
    caller = _caller(principal_arn, principal_account)
    account_named = not caller.account_names.isdisjoint(aws)
    role_named = principal_arn in aws
    if account_named and role_named:
        return Truth.TRUE, ()
    if account_named or role_named:
        return Truth.UNKNOWN, ()
    session = _session_named(aws, caller, context)
    if session is Truth.FALSE:
        return Truth.FALSE, ()
    return Truth.UNKNOWN, (_UNKNOWN_SESSION if session is Truth.UNKNOWN else ())


def match_principals(
    principals: Principals, principal_arn: str, principal_account: str, context: RequestContext
) -> PrincipalVerdict:
    """The strongest way `principals` names the caller: its role or session ARN, then anyone, then its
    account; a session of its role whose name is not known last, as an UNKNOWN match."""
    aws = principals.aws
    if principal_arn in aws:
        return _SURE[PrincipalMatch.PRINCIPAL]
    caller = _caller(principal_arn, principal_account)
    session = _session_named(aws, caller, context) if aws else Truth.FALSE
    if session is Truth.TRUE:
        return _SURE[PrincipalMatch.PRINCIPAL]
    if principals.is_anyone:
        return _SURE[PrincipalMatch.ANYONE]
    if not caller.account_names.isdisjoint(aws):
        return _SURE[PrincipalMatch.ACCOUNT]
    if session is Truth.UNKNOWN:
        return PrincipalVerdict(PrincipalMatch.PRINCIPAL, Truth.UNKNOWN, _UNKNOWN_SESSION)
    return NO_MATCH
