"""IAM: the execution roles that task definitions reference, one GetRole per distinct role.

A task definition's `executionRoleArn` may hold an ARN or a bare role name; both resolve to the role
name, which is what GetRole takes. A role that does not exist (NoSuchEntity) is data: the reference goes
to `AccountInventory.missing_roles`. Policies are collected later (they are not read here).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from scanner.collect.calls import CallContext, counted, error_code
from scanner.inventory.iam import Role

if TYPE_CHECKING:
    from types_boto3_iam import IAMClient

SERVICE = "iam"
OPERATION = "GetRole"

ACTIONS = ["iam:GetRole"]


@dataclass
class Roles:
    roles: list[Role] = field(default_factory=list)
    # The references (as written in the task definitions) of roles that do not exist.
    missing: list[str] = field(default_factory=list)


def role_name(reference: str) -> str:
    """`arn:aws:iam::123456789012:role/path/name`, `role/name` or `name` -> `name`."""
    resource = reference.split(":", 5)[5] if reference.startswith("arn:") else reference
    return resource.rsplit("/", 1)[-1]


def role_account(reference: str) -> str | None:
    parts = reference.split(":", 5)
    return parts[4] if reference.startswith("arn:") and len(parts) == 6 else None


def collect_roles(ctx: CallContext, iam: IAMClient, references: Iterable[str]) -> Roles:
    by_name: dict[str, list[str]] = {}
    for reference in references:
        account = role_account(reference)
        if account and account != ctx.account:
            # GetRole only reads the scanned account; a same-named local role would be the wrong one.
            ctx.record(
                SERVICE,
                OPERATION,
                "CrossAccountRole",
                f"execution role {reference} is in account {account}, outside the scanned account",
                reference,
            )
            continue
        refs = by_name.setdefault(role_name(reference), [])
        if reference not in refs:
            refs.append(reference)
    result = Roles()
    if not by_name:
        return result
    ctx.stage(SERVICE, OPERATION, counted(by_name, "execution role"))
    for name, refs in by_name.items():
        try:
            response = iam.get_role(RoleName=name)
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                result.missing += refs
            else:
                ctx.record_exception(SERVICE, OPERATION, exc, name)
            continue
        except BotoCoreError as exc:
            ctx.record_exception(SERVICE, OPERATION, exc, name)
            continue
        result.roles += ctx.parse(Role, [response["Role"]], service=SERVICE, operation=OPERATION, id_key="RoleName")
    return result
