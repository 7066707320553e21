"""Organizations: the service control policies that govern the scanned account's roles, and the resource
control policies that govern its resources, level by level.

DescribeOrganization first (any member account may call it): not in an organization
(AWSOrganizationsNotInUseException) means no SCP applies, and so does being the management account.
Otherwise ListParents from the account up to the root, then, for the root, each OU on the path and the
account, ListPoliciesForTarget (SERVICE_CONTROL_POLICY) and DescribePolicy for each policy (once).

Only the management account or a delegated administrator may call ListParents, ListPoliciesForTarget
and DescribePolicy, so a scan from a member account usually gets AccessDeniedException. That is not a
collection failure of the scan: it is recorded as one error record (so the scan summary shows what
was not read) and the SCPs are `unreadable`, with the error code. The execution-role rule then evaluates
without SCPs and says so in its evidence, unless the rule asks for them (`scps: required`), in which case
it reports ERROR. Any other failure (throttling, a server error, a timeout, an answer that does not place
the account under its root) leaves the SCPs unknown, and the rule reports ERROR whatever it asks.
SCPs that are not enabled for the organization (PolicyTypeNotEnabledException) are collected as
"no levels".

RCPs are read along the same path (ListPoliciesForTarget with RESOURCE_CONTROL_POLICY, DescribePolicy):
not enabled means none apply, and so does the management account (RCPs never restrict its resources).
A failure there is recorded the same way and leaves the RCPs `unreadable` (`rcp_status`), without
touching the SCPs already read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Literal, cast, overload

from botocore.exceptions import BotoCoreError, ClientError

from scanner.causes import INVALID_RESPONSE
from scanner.collect.calls import CallContext, error_code, error_message
from scanner.inventory.iam import OrganizationPolicy, ScpLevel, ServiceControlPolicies

if TYPE_CHECKING:
    from types_boto3_organizations import OrganizationsClient

SERVICE = "organizations"

ACTIONS = [
    "organizations:DescribeOrganization",
    "organizations:DescribePolicy",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
]

NOT_IN_USE = "AWSOrganizationsNotInUseException"
NOT_ENABLED = "PolicyTypeNotEnabledException"
PolicyFilter = Literal["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
SCP_FILTER: PolicyFilter = "SERVICE_CONTROL_POLICY"
RCP_FILTER: PolicyFilter = "RESOURCE_CONTROL_POLICY"
# OUs nest at most five deep under the root; a longer walk means the answers are inconsistent.
MAX_DEPTH = 8

TargetType = Literal["ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"]
PARENT_TYPES = frozenset({"ROOT", "ORGANIZATIONAL_UNIT"})


class _Unreadable(Exception):
    def __init__(self, operation: str, exc: Exception) -> None:
        super().__init__(f"organizations:{operation}: {error_code(exc)}: {error_message(exc)}")
        self.operation = operation
        self.exc = exc
        # Kept with the status: a refused permission and a transient failure mean different verdicts.
        self.code = error_code(exc)


def collect_scps(ctx: CallContext, org: OrganizationsClient, account_id: str) -> ServiceControlPolicies:
    ctx.stage(SERVICE, "DescribeOrganization")
    try:
        organization = org.describe_organization().get("Organization") or {}
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == NOT_IN_USE:
            return ServiceControlPolicies(status="not_in_organization", rcp_status="not_applicable")
        return _unreadable(ctx, _Unreadable("DescribeOrganization", exc), None, None)
    org_id = organization.get("Id")
    management = organization.get("MasterAccountId")
    if management == account_id:
        # SCPs never restrict the management account, nor RCPs its resources.
        return ServiceControlPolicies(
            status="management_account",
            organization_id=org_id,
            management_account_id=management,
            rcp_status="not_applicable",
        )
    try:
        path = _path_to_root(ctx, org, account_id)
        levels = _levels(ctx, org, path)
    except _Unreadable as failure:
        return _unreadable(ctx, failure, org_id, management)
    scps = ServiceControlPolicies(
        status="collected", organization_id=org_id, management_account_id=management, levels=levels
    )
    return scps.model_copy(update=_rcps(ctx, org, path))


def _rcps(ctx: CallContext, org: OrganizationsClient, path: list[tuple[str, TargetType]]) -> dict[str, Any]:
    """The RCP fields of ServiceControlPolicies: `rcp_status`, `rcp_levels`, `rcp_reason`."""
    try:
        levels = _levels(ctx, org, path, RCP_FILTER)
    except _Unreadable as failure:
        ctx.record_exception(SERVICE, failure.operation, failure.exc)
        return {"rcp_status": "unreadable", "rcp_reason": str(failure), "rcp_error_code": failure.code}
    if levels is None:
        return {"rcp_status": "not_enabled"}
    return {"rcp_status": "collected", "rcp_levels": levels}


def _unreadable(
    ctx: CallContext, failure: _Unreadable, org_id: str | None, management: str | None
) -> ServiceControlPolicies:
    ctx.record_exception(SERVICE, failure.operation, failure.exc)
    return ServiceControlPolicies(
        status="unreadable",
        organization_id=org_id,
        management_account_id=management,
        reason=str(failure),
        error_code=failure.code,
    )


def _call(operation: str, request: Callable[[], Any]) -> Any:
    try:
        return request()
    except (ClientError, BotoCoreError) as exc:
        raise _Unreadable(operation, exc) from exc


def _path_to_root(ctx: CallContext, org: OrganizationsClient, account_id: str) -> list[tuple[str, TargetType]]:
    """(id, type) from the root down to the account; a path that does not end at a root is unreadable."""
    ctx.stage(SERVICE, "ListParents", account_id)
    path: list[tuple[str, TargetType]] = [(account_id, "ACCOUNT")]
    child = account_id
    paginator = org.get_paginator("list_parents")
    for _ in range(MAX_DEPTH):
        # Paginated: AWS may answer an empty page with a NextToken, and stopping there would cut the
        # path short and silently drop the SCPs of every level above.
        pages = _call("ListParents", partial(list, paginator.paginate(ChildId=child)))
        parents = [parent for page in pages for parent in page.get("Parents", [])]
        if not parents:
            # Every account and OU has exactly one parent: a complete answer without one cannot place
            # the account under its root, and the policies of the levels above would be lost unseen.
            problem = f"ListParents answered no parent for {child} before reaching the root"
            raise _Unreadable("ListParents", _invalid("ListParents", problem))
        parent_id, parent_type = _parent(parents[0], child)
        kind: TargetType = "ROOT" if parent_type == "ROOT" else "ORGANIZATIONAL_UNIT"
        path.append((parent_id, kind))
        if kind == "ROOT":
            return list(reversed(path))
        child = parent_id
    problem = f"no root within {MAX_DEPTH} levels above {account_id}: the answers do not form a tree"
    raise _Unreadable("ListParents", _invalid("ListParents", problem))


def _parent(parent: Mapping[str, Any], child: str) -> tuple[str, str]:
    """(Id, Type) of a ListParents answer; one without them cannot place the account in the tree."""
    parent_id, parent_type = parent.get("Id"), parent.get("Type")
    if not parent_id or parent_type not in PARENT_TYPES:
        problem = f"the parent of {child} has Id {parent_id!r}, Type {parent_type!r}"
        raise _Unreadable("ListParents", _invalid("ListParents", problem))
    return parent_id, parent_type


def _invalid(operation: str, message: str) -> ClientError:
    """An answer that does not fit the API's shape, recorded like a failed call (InvalidResponse)."""
    return ClientError({"Error": {"Code": INVALID_RESPONSE, "Message": message}}, operation)


@overload
def _levels(ctx: CallContext, org: OrganizationsClient, path: list[tuple[str, TargetType]]) -> list[ScpLevel]: ...


@overload
def _levels(
    ctx: CallContext, org: OrganizationsClient, path: list[tuple[str, TargetType]], policy_type: PolicyFilter
) -> list[ScpLevel] | None: ...


def _levels(
    ctx: CallContext,
    org: OrganizationsClient,
    path: list[tuple[str, TargetType]],
    policy_type: PolicyFilter = SCP_FILTER,
) -> list[ScpLevel] | None:
    """The policies of `policy_type` at each level of `path`; for RCPs, None when they are not enabled."""
    ctx.stage(SERVICE, "ListPoliciesForTarget", f"{len(path)} levels")
    described: dict[str, OrganizationPolicy] = {}
    levels: list[ScpLevel] = []
    paginator = org.get_paginator("list_policies_for_target")
    for target_id, target_type in path:
        summaries: list[Any] = []
        try:
            for page in paginator.paginate(TargetId=target_id, Filter=policy_type):
                summaries += page.get("Policies", [])
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == NOT_ENABLED:
                # The policy type is not enabled in this organization: none applies.
                return [] if policy_type == SCP_FILTER else None
            raise _Unreadable("ListPoliciesForTarget", exc) from exc
        policies: list[OrganizationPolicy] = []
        for summary in summaries:
            policy_id = summary.get("Id")
            if not policy_id:
                problem = f"a policy attached to {target_id} has no Id"
                raise _Unreadable("ListPoliciesForTarget", _invalid("ListPoliciesForTarget", problem))
            if policy_id not in described:
                policy = _call("DescribePolicy", partial(org.describe_policy, PolicyId=policy_id))
                details = cast("dict[str, Any]", policy.get("Policy", {}))
                if "Content" not in details:
                    problem = f"policy {policy_id} came without its content"
                    raise _Unreadable("DescribePolicy", _invalid("DescribePolicy", problem))
                described[policy_id] = OrganizationPolicy(
                    id=policy_id,
                    arn=summary.get("Arn", ""),
                    name=summary.get("Name", ""),
                    content=details.get("Content", ""),
                )
            policies.append(described[policy_id])
        levels.append(ScpLevel(target_id=target_id, target_type=target_type, policies=policies))
    return levels
