"""The shared half of request derivation: request contexts (the keys the scanner can fill in), the VPC
endpoint a call travels through, and the role's policy set with a resource side added."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from scanner.iam.account_policies import AccountPolicies, Unknown
from scanner.iam.plan import AWS_OWNED, DerivedRequest, ExecutionPlan, ResourceKind
from scanner.iam.policy_set import PolicySet, ResourcePolicy
from scanner.iam.request import ContextValue, Request, RequestContext
from scanner.inventory.network import VpcEndpoint
from scanner.inventory.workloads import Workload


class DeriverBase:
    """What every part of the derivation shares: the workload, the account view, the request contexts."""

    def __init__(self, workload: Workload, view: AccountPolicies) -> None:
        self.workload = workload
        self.view = view
        self.partition = workload.partition
        self.account = workload.account
        self.region = workload.region
        self.base = RequestContext()
        self.contexts: dict[tuple[object, ...], RequestContext] = {}
        """The contexts built from `base`, by the keys `_request` adds (see `_share_contexts`)."""

    def _share_contexts(self, plan: ExecutionPlan) -> None:
        """Set `base` (the keys every call of the role carries) and `contexts` (those built from it).

        Both are shared with the account's other workloads whose roles carry the same keys (the same tags,
        tested by the same policies; the organization is the account's): a call in the same region,
        through the same endpoint, with the same extra keys gets the same immutable context. A scan of
        thousands of workloads then builds and keeps hundreds of contexts, not thousands."""
        tags: dict[str, str] = {}
        if plan.role is not None:
            tags = {f"aws:PrincipalTag/{t.key}".lower(): t.value for t in plan.role.tags}
        mentioned = plan.role_policies.condition_keys if plan.role_policies is not None else frozenset()
        key = (tuple(tags.items()), mentioned)
        shared = self.view.request_contexts.get(key)
        if shared is None:
            shared = self.view.request_contexts[key] = (self._base_context(tags, mentioned), {})
        self.base, self.contexts = shared

    def _base_context(self, tags: dict[str, str], mentioned: frozenset[str]) -> RequestContext:
        """Keys every call of the role carries: the principal, its tags (`aws:principaltag/...`, lowercase),
        its organization; the tags the role's policies test (`mentioned`) but it lacks are absent."""
        values: dict[str, ContextValue] = {
            "aws:PrincipalType": "AssumedRole",
            "aws:PrincipalIsAWSService": False,
            "aws:SecureTransport": True,
        }
        absent = {"aws:MultiFactorAuthPresent", "aws:username", "aws:PrincipalServiceName"}
        org_id = self.view.organization_id
        if org_id:
            values["aws:PrincipalOrgID"] = org_id
        elif self.view.in_organization is False:
            absent.add("aws:PrincipalOrgID")
        values.update(tags)
        absent.update(key for key in mentioned if key.startswith("aws:principaltag/") and key not in tags)
        given = {key.lower() for key in values}
        return RequestContext(values, {key for key in absent if key.lower() not in given})

    def _request(
        self,
        action: str,
        resource: str,
        principal: str,
        region: str,
        endpoint: VpcEndpoint | None,
        *,
        extra: dict[str, str] | None = None,
        extra_absent: Iterable[str] = (),
        network_absent: bool = False,
        owner_unknown: bool = False,
        owner: str | None = None,
    ) -> Request:
        resource_account = (resource.split(":")[4] or AWS_OWNED) if resource != "*" else None
        if owner is not None:
            resource_account = owner  # an S3 ARN names no account: the collector found whose it is
        elif owner_unknown:
            resource_account = None  # ... or could not: aws:ResourceAccount stays unknown
        through = endpoint.vpc_endpoint_id if endpoint is not None and not network_absent else None
        key = (
            region,
            resource_account,
            through,
            tuple(sorted((extra or {}).items())),
            tuple(sorted(extra_absent)),
        )
        context = self.contexts.get(key)
        if context is None:
            context = self._context(region, resource_account, endpoint if through else None, extra, extra_absent)
            self.contexts[key] = context
        return Request(action, resource, principal, self._principal_account(principal), context)

    def _undecidable(
        self,
        action: str,
        resource: str,
        principal: str,
        region: str,
        *,
        purpose: str,
        kind: ResourceKind,
        unknown: Unknown,
        extra: dict[str, str] | None = None,
    ) -> DerivedRequest:
        """A call the role makes whose governing policies cannot be known (`unknown` says why, and the
        result is ERROR): it carries no policies, and no endpoint, since it is never evaluated."""
        return DerivedRequest(
            request=self._request(action, resource, principal, region, None, extra=extra),
            policies=None,
            purpose=purpose,
            kind=kind,
            grant_resource=resource,
            endpoint_service=None,
            unknown=unknown,
        )

    def _context(
        self,
        region: str,
        resource_account: str | None,
        endpoint: VpcEndpoint | None,
        extra: dict[str, str] | None,
        extra_absent: Iterable[str],
    ) -> RequestContext:
        """One context, shared by the requests of the plan that carry the same keys (the three layer
        actions on one repository, the awslogs actions on one stream): the base context with the keys of
        the call added. A key given a value is never absent, whichever part declared it so."""
        values: dict[str, ContextValue] = {"aws:RequestedRegion": region}
        absent: list[str] = []
        if resource_account is not None:
            values["aws:ResourceAccount"] = resource_account
        if endpoint is not None:
            values["aws:SourceVpce"] = endpoint.vpc_endpoint_id
            values["aws:SourceVpc"] = endpoint.vpc_id
            absent.append("aws:SourceIp")
        else:
            absent += ("aws:SourceVpce", "aws:SourceVpc")
        values.update(extra or {})
        absent += extra_absent
        return self.base.extended(values, absent)

    def _principal_account(self, principal: str) -> str:
        fields = principal.split(":")
        return fields[4] if len(fields) > 4 and fields[4] else self.account

    def _service(self, service: str, region: str) -> str | None:
        """`service` when a call to it in `region` would use the task VPC's endpoint (same region)."""
        return service if region == self.region else None

    def _endpoint(self, service: str, region: str) -> VpcEndpoint | None:
        """The endpoint of `service` the task's traffic goes through: same region, available, and for
        an Interface endpoint with private DNS (else the public name resolves past it)."""
        if region != self.region:
            return None
        for bound in self.workload.bound_needs:
            endpoint = bound.endpoint
            if bound.need.service != service or endpoint is None or endpoint.state != "available":
                continue
            if endpoint.is_gateway or endpoint.private_dns_enabled:
                return endpoint
        return None

    def _policies(self, plan: ExecutionPlan, resource_policy: ResourcePolicy | None = None) -> PolicySet | None:
        """The role's policy set, with `resource_policy` as its resource side; None if the role's is unknown."""
        if plan.role_policies is None:
            return None
        base = plan.role_policies.policies
        return base if resource_policy is None else replace(base, resource_policy=resource_policy)


def is_aws_managed_alias(key_id: str) -> bool:
    return key_id.startswith("alias/aws/") or ":alias/aws/" in key_id
