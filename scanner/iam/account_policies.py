"""The policies of one account inventory, parsed once and looked up by what a request needs.

`account_policies(account)` returns the view of an `AccountInventory`: role policy sets (inline,
attached and AWS managed policies, the boundary, the SCP levels), secrets, parameters, KMS keys and
repository policies, with the collection errors that concern each. Everything that cannot be decided
from the inventory comes back as a reason (text), never as a guess: a managed policy whose document
was not collected (and for which no shipped copy exists, see `managed.py`), a secret that was not
described, a key policy that could not be read.

The view is kept on the inventory object itself (in its instance dict, as `functools.cached_property`
does), so every rule and workload of a scan shares one parse of each document.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from scanner.causes import Cause, advice, cause_of
from scanner.iam.documents import PolicyDocumentError
from scanner.iam.managed import aws_managed_policy
from scanner.iam.policy_set import NamedPolicy, PolicySet, frozen_levels
from scanner.iam.request import RequestContext
from scanner.inventory.iam import KmsKey, Role, ScpLevel, SecretMetadata, SsmParameter
from scanner.inventory.references import SECRET_SUFFIX_LENGTH, SecretId
from scanner.inventory.root import AccountInventory
from scanner.results import CollectionErrorRecord

if TYPE_CHECKING:
    from scanner.iam.trust import TrustAnswer

_CACHE_KEY: Final = "_vpce_scan_account_policies"

ScpLevels = tuple[tuple[NamedPolicy, ...], ...]
"""SCP levels from the root down, frozen once per account: every role's PolicySet shares them."""

ROLE_OPERATIONS = frozenset({"GetRole", "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies"})


# What reading the SCP and RCP path of an account takes: scanner.collect.organizations.ACTIONS (a test
# keeps them equal; the evaluator does not import the collector).
ORGANIZATION_READS: Final = (
    "organizations:DescribeOrganization",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
)


@dataclass(frozen=True, slots=True)
class Unknown:
    """Why something cannot be decided from the inventory: one sentence fragment, for ERROR results."""

    reason: str
    tolerable: bool = False
    """True only for organization policies that this scan may not read or did not collect (a member
    account refused Organizations, an older inventory): a rule with `scps: when_readable` decides without
    them and notes it. A transient or partial failure leaves them unknown: never tolerable."""

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class RolePolicies:
    """The identity side of a role: its policies by layer. `scps_evaluated` False: SCPs were not read."""

    policies: PolicySet
    scps_evaluated: bool
    condition_keys: frozenset[str]
    """Lowercase condition keys the role's policies (and SCPs) test, to declare absent tag keys."""


def account_policies(account: AccountInventory) -> AccountPolicies:
    """The shared view of `account` (built on first use)."""
    cached = account.__dict__.get(_CACHE_KEY)
    if cached is None:
        cached = AccountPolicies(account)
        account.__dict__[_CACHE_KEY] = cached
    assert isinstance(cached, AccountPolicies)
    return cached


class AccountPolicies:
    def __init__(self, account: AccountInventory) -> None:
        self.account = account
        self._managed: dict[str, NamedPolicy | Unknown] = {}
        self._roles: dict[str, RolePolicies | Unknown] = {}
        self._scps: tuple[ScpLevels | None, Unknown | None] | None = None
        self._rcps: tuple[ScpLevels | None, Unknown | None] | None = None
        self._parsed: dict[str, NamedPolicy | Unknown] = {}
        self._key_sets: dict[frozenset[str], frozenset[str]] = {}
        self.errors_by_resource: dict[str, list[CollectionErrorRecord]] = {}
        for error in account.errors:
            if error.resource_id:
                self.errors_by_resource.setdefault(error.resource_id, []).append(error)
        self._secrets_by_name: dict[tuple[str, str, str], list[SecretMetadata]] = {}
        for secret in account.secrets:
            fields = secret.arn.split(":")
            self._secrets_by_name.setdefault((fields[3], fields[4], secret.name), []).append(secret)
        self._missing_secrets = frozenset(account.missing_secrets)
        self._missing_parameters = frozenset(account.missing_parameters)
        self._missing_roles = frozenset(account.missing_roles)
        self.request_contexts: dict[object, tuple[RequestContext, dict[tuple[object, ...], RequestContext]]] = {}
        """Request contexts shared by the workloads of the account whose roles carry the same keys (see
        `DeriverBase._share_contexts`)."""
        self.trust_answers: dict[tuple[str, str, str], TrustAnswer] = {}
        """Whether ECS may assume a role, by (role ARN, region, cluster ARN): see `_Deriver._trust`."""
        self.shared_contexts: dict[tuple[object, ...], RequestContext] = {}
        """Request contexts that do not depend on the role (ECR's layer downloads), by what they depend on."""

    # ---- errors -----------------------------------------------------------------------------------

    def errors_for(self, *resource_ids: str, service: str | None = None) -> list[CollectionErrorRecord]:
        found: list[CollectionErrorRecord] = []
        for resource_id in dict.fromkeys(resource_ids):
            found += [e for e in self.errors_by_resource.get(resource_id, []) if service in (None, e.service)]
        return found

    # ---- roles ------------------------------------------------------------------------------------

    def is_missing_role(self, reference: str) -> bool:
        return reference in self._missing_roles

    def find_role(self, reference: str) -> Role | None:
        """The role an `executionRoleArn` (ARN or bare name) names, if it was collected."""
        is_arn = reference.startswith("arn:")
        name = (reference.split(":", 5)[5] if is_arn else reference).rsplit("/", 1)[-1]
        role = self.account.role_by_name.get(name)
        if role is None or (is_arn and role.arn != reference):
            return None
        return role

    def role_policies(self, role: Role) -> RolePolicies | Unknown:
        found = self._roles.get(role.arn)
        if found is None:
            found = self._role_policies(role)
            self._roles[role.arn] = found
        return found

    def _role_policies(self, role: Role) -> RolePolicies | Unknown:
        failures = [
            e for e in self.errors_for(role.role_name, role.arn, service="iam") if e.operation in ROLE_OPERATIONS
        ]
        if failures:
            return Unknown(f"the policies of role {role.role_name} could not be read ({describe_errors(failures)})")
        identity: list[NamedPolicy] = []
        for inline in role.inline_policies:
            parsed = self._parse(f"{role.role_name}/{inline.policy_name}", inline.policy_document)
            if isinstance(parsed, Unknown):
                return parsed
            identity.append(parsed)
        for attached in role.attached_policies:
            managed = self.managed_policy(attached.policy_arn)
            if isinstance(managed, Unknown):
                return managed
            identity.append(managed)
        boundary = None
        if role.permissions_boundary is not None:
            resolved = self.managed_policy(role.permissions_boundary.permissions_boundary_arn)
            if isinstance(resolved, Unknown):
                return resolved
            boundary = resolved
        levels, _ = self.scp_levels()
        everything = [*identity, *([boundary] if boundary else []), *(p for level in levels or () for p in level)]
        return RolePolicies(
            policies=PolicySet(identity_policies=identity, permissions_boundary=boundary, scp_levels=levels),
            scps_evaluated=self.scps_evaluated,
            condition_keys=self._shared(condition_keys(everything)),
        )

    def _shared(self, keys: frozenset[str]) -> frozenset[str]:
        """One object for equal sets: most roles of an account test the same keys, and each RolePolicies
        lives as long as the scan."""
        return self._key_sets.setdefault(keys, keys)

    def managed_policy(self, arn: str) -> NamedPolicy | Unknown:
        """The collected default-version document; else the shipped copy of an AWS managed policy."""
        found = self._managed.get(arn)
        if found is None:
            found = self._managed_policy(arn)
            self._managed[arn] = found
        return found

    def _managed_policy(self, arn: str) -> NamedPolicy | Unknown:
        collected = self.account.managed_policy_by_arn.get(arn)
        if collected is not None and collected.document is not None:
            return self._parse(arn, collected.document)
        fallback = aws_managed_policy(arn)
        if fallback is not None:
            return fallback
        failures = self.errors_for(arn, service="iam")
        detail = f" ({describe_errors(failures)})" if failures else ""
        return Unknown(f"the document of managed policy {arn} was not collected{detail}")

    def _parse(self, name: str, raw: dict[str, Any] | str) -> NamedPolicy | Unknown:
        try:
            return NamedPolicy.parse(name, raw)
        except PolicyDocumentError as exc:
            return Unknown(f"policy {exc} cannot be read")

    def parsed(self, name: str, raw: dict[str, Any] | str) -> NamedPolicy | Unknown:
        """A resource-side document (secret, key, repository policy), parsed once per name."""
        found = self._parsed.get(name)
        if found is None:
            found = self._parse(name, raw)
            self._parsed[name] = found
        return found

    # ---- SCPs -------------------------------------------------------------------------------------

    @property
    def scps_evaluated(self) -> bool:
        """False when SCPs may apply but could not be read (or were not collected)."""
        scps = self.account.service_control_policies
        return scps is not None and scps.status != "unreadable"

    def scp_levels(self) -> tuple[ScpLevels | None, Unknown | None]:
        """The SCP levels (root first), None when none apply or they are unknown (then with the reason)."""
        if self._scps is None:
            self._scps = self._scp_levels()
        return self._scps

    def _scp_levels(self) -> tuple[ScpLevels | None, Unknown | None]:
        scps = self.account.service_control_policies
        if scps is None:
            return None, Unknown("the organization's SCPs were not collected", tolerable=True)
        if scps.status == "unreadable":
            return None, _unread("SCPs", scps.reason, scps.error_code)
        if scps.status != "collected":
            return None, None
        return self._parsed_levels("SCP", scps.levels)

    # ---- RCPs -------------------------------------------------------------------------------------

    def rcp_levels(self) -> tuple[ScpLevels | None, Unknown | None]:
        """The RCP levels of the account's resources (root first): None when none apply or when they are
        unknown (then with the reason). Without any organization data the SCP reason says it all."""
        if self._rcps is None:
            self._rcps = self._rcp_levels()
        return self._rcps

    def _rcp_levels(self) -> tuple[ScpLevels | None, Unknown | None]:
        scps = self.account.service_control_policies
        if scps is None:
            return None, None  # nothing of the organization was collected: the SCP note says so
        match scps.rcp_status:
            case None:
                if scps.status in ("not_in_organization", "management_account"):
                    return None, None
                return None, Unknown("the organization's RCPs were not collected", tolerable=True)
            case "unreadable":
                return None, _unread("RCPs", scps.rcp_reason, scps.rcp_error_code)
            case "not_applicable" | "not_enabled":
                return None, None
            case "collected":
                pass
        return self._parsed_levels("RCP", scps.rcp_levels)

    def _parsed_levels(self, kind: str, raw: list[ScpLevel]) -> tuple[ScpLevels | None, Unknown | None]:
        """Organization policies level by level (root first); the first unparseable one makes all unknown."""
        levels: list[list[NamedPolicy]] = []
        for level in raw:
            parsed: list[NamedPolicy] = []
            for policy in level.policies:
                named = self._parse(f"{kind} {policy.name or policy.id} ({level.target_id})", policy.content)
                if isinstance(named, Unknown):
                    return None, named
                parsed.append(named)
            levels.append(parsed)
        return frozen_levels(levels), None

    @property
    def organization_id(self) -> str | None:
        scps = self.account.service_control_policies
        return scps.organization_id if scps is not None else None

    @property
    def in_organization(self) -> bool | None:
        """True, False, or None when unknown."""
        scps = self.account.service_control_policies
        if scps is None:
            return None
        return scps.status != "not_in_organization"

    # ---- secrets, parameters, keys, repositories ------------------------------------------------

    def is_missing_secret(self, secret: SecretId) -> bool:
        return secret.value in self._missing_secrets

    def find_secret(self, secret: SecretId) -> SecretMetadata | None:
        """The secret a reference names: a full ARN, a partial ARN (no random suffix) or a name."""
        if secret.is_arn:
            exact = self.account.secret_by_arn.get(secret.value)
            if exact is not None:
                return exact
        candidates = self._secrets_by_name.get((secret.region, secret.account, secret.name_hint), [])
        if secret.is_arn:
            candidates = [
                s
                for s in candidates
                if s.arn.startswith(f"{secret.value}-") and len(s.arn) == len(secret.value) + SECRET_SUFFIX_LENGTH
            ]
        return candidates[0] if len(candidates) == 1 else None

    def is_missing_parameter(self, arn: str) -> bool:
        return arn in self._missing_parameters

    def find_parameter(self, arn: str) -> SsmParameter | None:
        return self.account.ssm_parameter_by_arn.get(arn)

    def find_key(self, arn: str | None) -> KmsKey | None:
        return self.account.kms_key_by_arn.get(arn) if arn else None


def condition_keys(policies: Iterable[NamedPolicy]) -> frozenset[str]:
    return frozenset(
        clause.key.lower()
        for policy in policies
        for statement in policy.document.statements
        for clause in statement.conditions
    )


def _unread(kind: str, reason: str, code: str | None) -> Unknown:
    """Organization policies (`kind`: SCPs, RCPs) the collector failed to read. Refused permission is
    the usual answer to a member account and tolerable; any other cause (throttled, a server error, a
    timeout, the deadline, an answer not understood) is a failure to retry, and the policies unknown."""
    # The reason is `organizations:Operation: Code: message` (scanner.collect.organizations); an
    # inventory written before the code was kept apart still has it there.
    action, _, rest = reason.partition(": ")
    if code is None:
        code = rest.partition(": ")[0]
    cause = cause_of(code)
    text = f"the organization's {kind} could not be read ({reason})"
    if cause is Cause.PERMISSION:
        # Organizations answers these reads only to its management account and delegated administrators.
        others = [a for a in ORGANIZATION_READS if a != action]
        along = f"along with {', '.join(others[:-1])} and {others[-1]}"
        where = "or scan from the management account or a delegated administrator of AWS Organizations"
        return Unknown(f"{text}: {advice(code, action)} {along}, {where}", tolerable=True)
    # An odd or unclassified answer may not repeat (an organization being changed): say to retry too.
    retry = "" if cause.transient or cause is Cause.CREDENTIALS else "; retry the scan"
    return Unknown(f"{text}: {advice(code, action)}{retry}")


def describe_errors(errors: Iterable[CollectionErrorRecord]) -> str:
    """Each failed call once, with what it answered and what to do (grant the action, or retry)."""
    return "; ".join(dict.fromkeys(e.explain() for e in errors))


def error_detail(errors: list[CollectionErrorRecord]) -> str:
    """` (kms:DescribeKey: AccessDeniedException; grant kms:DescribeKey)` when collection failed, else nothing."""
    return f" ({describe_errors(errors)})" if errors else ""
