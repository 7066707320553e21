"""Who a resource-side statement (resource, key or endpoint policy) applies to, for an IAM role caller.

How a statement names the caller changes the evaluation, not just whether it applies: naming the role
grants directly (capped by the role's permissions boundary), while naming the account delegates to the
account's own IAM policies (docs/notes/iam-evaluation.md §1.1 step 5).
"""

from __future__ import annotations

from enum import StrEnum

from scanner.iam.documents import Principals, Statement


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
    """The caller's role ARN itself."""


def match_statement_principal(statement: Statement, principal_arn: str, principal_account: str) -> PrincipalMatch:
    """How a resource-side statement names the caller. A statement with no Principal names no one."""
    if statement.principals is not None:
        return match_principals(statement.principals, principal_arn, principal_account)
    if statement.not_principals is not None:
        excluded = match_principals(statement.not_principals, principal_arn, principal_account)
        return PrincipalMatch.ANYONE if excluded is PrincipalMatch.NONE else PrincipalMatch.NONE
    return PrincipalMatch.NONE


def match_principals(principals: Principals, principal_arn: str, principal_account: str) -> PrincipalMatch:
    """The strongest way `principals` names the caller: its role ARN, then anyone, then its account."""
    if principal_arn in principals.aws:
        return PrincipalMatch.PRINCIPAL
    if principals.is_anyone:
        return PrincipalMatch.ANYONE
    partition = _partition(principal_arn)
    account_root = f"arn:{partition}:iam::{principal_account}:root"
    if principal_account in principals.aws or account_root in principals.aws:
        return PrincipalMatch.ACCOUNT
    return PrincipalMatch.NONE


def _partition(arn: str) -> str:
    parts = arn.split(":", 2)
    return parts[1] if len(parts) > 2 and parts[1] else "aws"
