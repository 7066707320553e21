"""The policies that govern one request, grouped by the layer of AWS's evaluation they belong to.

The collector or the snapshot loader builds one PolicySet per (role, resource, endpoint); the evaluator
never looks anything up. Layers that were not collected are None, not empty: an empty SCP level means
"nothing allows", while `scp_levels=None` means "no SCPs apply" (no organization, management account).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from scanner.iam.documents import PolicyDocument, PolicyDocumentError, parse_policy_document


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """A parsed document and the name that reports cite: a managed policy ARN, `role/inline-name`, ..."""

    name: str
    document: PolicyDocument

    @classmethod
    def parse(cls, name: str, raw: PolicyDocument | Mapping[str, object] | str) -> NamedPolicy:
        """Parse `raw` (dict, JSON, URL-encoded JSON); raises PolicyDocumentError naming the policy."""
        try:
            document = parse_policy_document(raw)
        except PolicyDocumentError as error:
            raise PolicyDocumentError(f"{name}: {error}") from error
        return cls(name=name, document=document)


class ResourcePolicyKind(StrEnum):
    STANDARD = "standard"
    """Secrets Manager, ECR, S3, ...: in the same account an identity allow is enough on its own."""
    KEY_POLICY = "key_policy"
    """KMS key policies (and role trust policies): they must allow explicitly, even in the same account;
    naming the account root delegates to IAM, so an identity allow is needed as well."""


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    """The resource side of the request: who owns the resource and the policy attached to it, if any.

    Pass one for every resource in another account (with `policy=None` when it has none: the request is
    then denied) and for every KMS key (`kind=KEY_POLICY`).
    """

    owner_account: str
    policy: NamedPolicy | None
    kind: ResourcePolicyKind = ResourcePolicyKind.STANDARD


class EndpointType(StrEnum):
    INTERFACE = "interface"
    GATEWAY = "gateway"
    """S3 and DynamoDB gateway endpoints only honour `Principal: "*"`; an account or role principal
    there means the account root user, so callers are scoped by `aws:PrincipalArn` conditions instead."""


@dataclass(frozen=True, slots=True)
class EndpointPolicy:
    """The policy of the VPC endpoint the request goes through: an extra gate, never a grant."""

    policy: NamedPolicy
    endpoint_type: EndpointType = EndpointType.INTERFACE


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that governs one request, by layer. Lists given here are frozen into tuples."""

    identity_policies: Sequence[NamedPolicy] = ()
    """Inline and attached managed policies of the role."""
    permissions_boundary: NamedPolicy | None = None
    scp_levels: Sequence[Sequence[NamedPolicy]] | None = None
    """SCPs from the root down to the account, one list per level; every level must allow."""
    rcp_levels: Sequence[Sequence[NamedPolicy]] | None = None
    """Resource control policies of the resource's account, one list per level; every level must allow."""
    resource_policy: ResourcePolicy | None = None
    """None: the resource is in the caller's account and has no resource policy that matters."""
    vpc_endpoint_policy: EndpointPolicy | None = None
    """None: the request does not go through a VPC endpoint, or the service has no endpoint policies."""

    def __post_init__(self) -> None:
        # Freeze caller-supplied lists so a PolicySet shared across requests cannot change under them.
        object.__setattr__(self, "identity_policies", tuple(self.identity_policies))
        if self.scp_levels is not None:
            object.__setattr__(self, "scp_levels", frozen_levels(self.scp_levels))
        if self.rcp_levels is not None:
            object.__setattr__(self, "rcp_levels", frozen_levels(self.rcp_levels))


def frozen_levels(levels: Sequence[Sequence[NamedPolicy]]) -> tuple[tuple[NamedPolicy, ...], ...]:
    """`levels` as a tuple of tuples: the same object when it already is one, so that the policy sets of
    an account's roles share its SCP levels rather than each holding a copy (thousands of roles)."""
    if isinstance(levels, tuple) and all(isinstance(level, tuple) for level in levels):
        return levels
    return tuple(tuple(level) for level in levels)
