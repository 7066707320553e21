"""IAM: the execution roles that task definitions reference, one GetRole per distinct role, then their
policies.

A task definition's `executionRoleArn` may hold an ARN or a bare role name; both resolve to the role
name, which is what GetRole takes. A role that does not exist (NoSuchEntity) is data: the reference goes
to `AccountInventory.missing_roles`.

Policies, for the roles that exist: the inline ones (ListRolePolicies, then GetRolePolicy each), the
attached managed ones (ListAttachedRolePolicies) and the permissions boundary (from GetRole). Every
managed policy ARN (attached or boundary, customer or AWS managed) is then fetched once per account:
GetPolicy for its default version, GetPolicyVersion for the document. Failures are recorded with the
role name or the policy ARN as resource id, so the rules can tell which roles they concern.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from scanner.causes import INVALID_RESPONSE
from scanner.collect.calls import Absent, CallContext, counted
from scanner.inventory.iam import AttachedPolicy, InlinePolicy, ManagedPolicy, Role

if TYPE_CHECKING:
    from types_boto3_iam import IAMClient

SERVICE = "iam"
OPERATION = "GetRole"

ACTIONS = [
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
]
# The largest MaxItems the IAM list APIs accept.
LIST_PAGE = 1000


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
        response = ctx.call_or_absent(SERVICE, OPERATION, partial(iam.get_role, RoleName=name), name, {"NoSuchEntity"})
        if isinstance(response, Absent):
            result.missing += refs
        if not isinstance(response, dict):
            continue
        role = response.get("Role")
        if not isinstance(role, dict):
            ctx.record(SERVICE, OPERATION, INVALID_RESPONSE, f"GetRole answered without the Role of {name}", name)
            continue
        result.roles += ctx.parse(Role, [role], service=SERVICE, operation=OPERATION, id_key="RoleName")
    return result


def collect_role_policies(ctx: CallContext, iam: IAMClient, roles: list[Role]) -> list[Role]:
    """The roles with their inline policy documents and attached policy ARNs filled in."""
    if not roles:
        return []
    ctx.stage(SERVICE, "ListRolePolicies", counted(roles, "execution role"))
    return [_with_policies(ctx, iam, role) for role in roles]


def _with_policies(ctx: CallContext, iam: IAMClient, role: Role) -> Role:
    name = role.role_name
    pages = ctx.pages(
        SERVICE,
        "ListRolePolicies",
        iam.get_paginator("list_role_policies").paginate(RoleName=name, PaginationConfig={"PageSize": LIST_PAGE}),
        resource_id=name,
    )
    inline: list[InlinePolicy] = []
    for policy_name in (n for page in pages for n in page.get("PolicyNames", [])):
        response = ctx.call(
            SERVICE,
            "GetRolePolicy",
            partial(iam.get_role_policy, RoleName=name, PolicyName=policy_name),
            resource_id=name,
        )
        if response is None:
            continue
        document = response.get("PolicyDocument")
        if document is None:
            # Recorded against the role: its policies are then incomplete, and the rules say so.
            problem = f"GetRolePolicy answered without the document of {policy_name}"
            ctx.record(SERVICE, "GetRolePolicy", INVALID_RESPONSE, problem, name)
            continue
        inline.append(InlinePolicy(policy_name=policy_name, policy_document=document))
    attached_pages = ctx.pages(
        SERVICE,
        "ListAttachedRolePolicies",
        iam.get_paginator("list_attached_role_policies").paginate(
            RoleName=name, PaginationConfig={"PageSize": LIST_PAGE}
        ),
        resource_id=name,
    )
    attached = [
        AttachedPolicy(policy_arn=item["PolicyArn"], policy_name=item.get("PolicyName", ""))
        for page in attached_pages
        for item in page.get("AttachedPolicies", [])
        if "PolicyArn" in item
    ]
    return role.model_copy(update={"inline_policies": inline, "attached_policies": attached})


def managed_policy_arns(roles: Iterable[Role]) -> list[str]:
    """Attached and boundary policy ARNs of `roles`, each once, in first-seen order."""
    arns: dict[str, None] = {}
    for role in roles:
        for attached in role.attached_policies:
            arns.setdefault(attached.policy_arn)
        if role.permissions_boundary is not None:
            arns.setdefault(role.permissions_boundary.permissions_boundary_arn)
    return list(arns)


def collect_managed_policies(ctx: CallContext, iam: IAMClient, arns: Sequence[str]) -> list[ManagedPolicy]:
    """Each policy once: GetPolicy (default version), then GetPolicyVersion (document)."""
    if not arns:
        return []
    ctx.stage(SERVICE, "GetPolicy", counted(arns, "managed policy"))
    policies: list[ManagedPolicy] = []
    for arn in dict.fromkeys(arns):
        response = ctx.call(SERVICE, "GetPolicy", partial(iam.get_policy, PolicyArn=arn), resource_id=arn)
        if response is None:
            continue
        summary = response.get("Policy")
        if not isinstance(summary, dict):
            ctx.record(SERVICE, "GetPolicy", INVALID_RESPONSE, f"GetPolicy answered without the Policy {arn}", arn)
            continue
        version_id = summary.get("DefaultVersionId", "")
        document = None
        if version_id:
            version = ctx.call(
                SERVICE,
                "GetPolicyVersion",
                partial(iam.get_policy_version, PolicyArn=arn, VersionId=version_id),
                resource_id=arn,
            )
            details = version.get("PolicyVersion") if version is not None else None
            if isinstance(details, dict):
                document = details.get("Document")
            elif version is not None:
                problem = f"GetPolicyVersion answered without the PolicyVersion {version_id} of {arn}"
                ctx.record(SERVICE, "GetPolicyVersion", INVALID_RESPONSE, problem, arn)
        policies.append(
            ManagedPolicy(
                arn=arn,
                policy_name=summary.get("PolicyName", ""),
                default_version_id=version_id,
                document=document,
            )
        )
    return policies
