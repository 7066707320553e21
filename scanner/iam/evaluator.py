"""Decide one request against every layer of policy, as AWS does (docs/notes/iam-evaluation.md §1.1, §1.5).

    deny  = OR of every applicable Deny, in every layer
    allow = grant AND boundary AND every SCP level AND every RCP level AND endpoint policy
    grant = same account:  identity OR resource policy naming the role
            cross account: identity AND resource policy naming the role, the account or anyone
            KMS key (same account): key policy naming the role OR (key policy naming the account AND identity)

Everything is three-valued. EXPLICIT_DENY if deny is TRUE; else IMPLICIT_DENY if allow is FALSE (whatever
the unknown conditions say); else ALLOWED if allow is TRUE and deny FALSE; else UNDETERMINED.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from scanner.iam.documents import Effect
from scanner.iam.evaluation import Decision, Evaluation, Gap, Layer, StatementRef
from scanner.iam.policy_set import EndpointType, NamedPolicy, PolicySet, ResourcePolicy, ResourcePolicyKind
from scanner.iam.principals import PrincipalMatch
from scanner.iam.request import Request
from scanner.iam.statements import match_covering_statement
from scanner.iam.truth import Truth, all_of, any_of, either


def evaluate_request(request: Request, policies: PolicySet) -> Evaluation:
    """The decision for `request` under `policies`, with the statements and unknown keys behind it."""
    run = _Run(request, has_permissions_boundary=policies.permissions_boundary is not None)
    return run.decide(_gates(run, policies))


# A scan evaluates tens of thousands of requests, each through a handful of layers: the bookkeeping
# below is plain slotted classes, named tuples and shared constants rather than dataclasses, whose
# generated __init__ (default factories, frozen setattr) cost more than the matching itself.


class _Allows:
    """Allow statements of one kind within a layer, and whether they allow (three-valued)."""

    __slots__ = ("applied", "conditional", "truth")

    def __init__(self) -> None:
        self.truth = Truth.FALSE
        self.applied: list[StatementRef] = []
        self.conditional: list[StatementRef] = []

    def add(self, ref: StatementRef) -> None:
        if ref.truth is Truth.TRUE:
            self.applied.append(ref)
            self.truth = Truth.TRUE
        else:
            self.conditional.append(ref)
            self.truth = either(self.truth, ref.truth)


_NO_ALLOWS = _Allows()
"""Stands for "no allow of this kind" in every tally (most layers have none naming the account, many
none at all). Never added to: `_Tally.record_allow` replaces it with a fresh `_Allows` first."""


class _Tally:
    """The allows found in one layer (or one SCP/RCP level), split by how they name the caller."""

    __slots__ = ("direct", "via_account")

    def __init__(self) -> None:
        self.direct = _NO_ALLOWS
        """Allows that name the role or anyone, or that are attached to the role (identity-side layers)."""
        self.via_account = _NO_ALLOWS
        """Allows that name the caller's account: a delegation to the account's IAM policies."""

    @property
    def allow(self) -> Truth:
        return either(self.direct.truth, self.via_account.truth)

    def record_allow(self, ref: StatementRef, principal: PrincipalMatch) -> None:
        if principal is PrincipalMatch.ACCOUNT:
            if self.via_account is _NO_ALLOWS:
                self.via_account = _Allows()
            self.via_account.add(ref)
        else:
            if self.direct is _NO_ALLOWS:
                self.direct = _Allows()
            self.direct.add(ref)


class _Gate(NamedTuple):
    """One conjunct of `allow`, and the statements to cite if it turns out to decide. Read only."""

    gap: Gap
    truth: Truth
    applied: Sequence[StatementRef]
    conditional: Sequence[StatementRef]

    @classmethod
    def of(cls, gap: Gap, truth: Truth, *sources: _Allows) -> _Gate:
        applied = [ref for source in sources for ref in source.applied]
        conditional = [ref for source in sources for ref in source.conditional]
        return cls(gap, truth, applied, conditional)

    @classmethod
    def of_layer(cls, gap: Gap, tally: _Tally) -> _Gate:
        direct, via_account = tally.direct, tally.via_account
        if via_account is _NO_ALLOWS:
            # The usual case: the direct allows are the whole layer (the gate only reads their lists).
            return cls(gap, direct.truth, direct.applied, direct.conditional)
        return cls.of(gap, tally.allow, direct, via_account)


_IDENTITY_GAP = Gap((Layer.IDENTITY,))
_BOUNDARY_GAP = Gap((Layer.PERMISSIONS_BOUNDARY,))
_ENDPOINT_GAP = Gap((Layer.VPC_ENDPOINT_POLICY,))


@lru_cache(maxsize=256)
def _gap(layers: tuple[Layer, ...], level: int | None = None) -> Gap:
    """Gaps are immutable values: one object per layer (and level) instead of one per request."""
    return Gap(layers, level)


@lru_cache(maxsize=1 << 16)
def _statement_ref(
    layer: Layer,
    policy: str,
    statement: str,
    effect: Effect,
    truth: Truth,
    level: int | None,
    unknown_keys: tuple[str, ...],
    unsupported_operators: tuple[str, ...],
) -> StatementRef:
    """StatementRefs are immutable values, and the same statements (of a shared managed policy, the
    boundary, the SCPs, the role's own policies) apply to request after request: one object each."""
    return StatementRef(layer, policy, statement, effect, truth, level, unknown_keys, unsupported_operators)


class _Run:
    """State of one evaluation: Deny statements are gathered from every layer as they are met."""

    def __init__(self, request: Request, *, has_permissions_boundary: bool) -> None:
        self.request = request
        self.has_permissions_boundary = has_permissions_boundary
        self.context = request.effective_context
        self.deny = Truth.FALSE
        self.denying: list[StatementRef] = []
        self.conditional_denies: list[StatementRef] = []

    def tally(
        self,
        layer: Layer,
        policies: Sequence[NamedPolicy],
        *,
        names_principals: bool = False,
        level: int | None = None,
        gateway: bool = False,
    ) -> _Tally:
        tally = _Tally()
        request, context, action = self.request, self.context, self.request.action
        for policy in policies:
            document = policy.document
            # Only the statements whose Action covers the request's (memoised per document and action).
            covering = document.statements_for(action)
            if not covering:
                continue
            resolve_variables = document.resolves_variables
            for statement in covering:
                match = match_covering_statement(
                    statement,
                    request,
                    context,
                    resolve_variables=resolve_variables,
                    names_principals=names_principals,
                    has_permissions_boundary=self.has_permissions_boundary,
                )
                if match.truth is Truth.FALSE:
                    continue
                if gateway and match.principal is not PrincipalMatch.ANYONE:
                    continue
                ref = _statement_ref(
                    layer,
                    policy.name,
                    statement.label,
                    statement.effect,
                    match.truth,
                    level,
                    match.unknown_keys,
                    match.unsupported_operators,
                )
                if statement.effect is Effect.DENY:
                    self._record_deny(ref)
                else:
                    tally.record_allow(ref, match.principal)
        return tally

    def _record_deny(self, ref: StatementRef) -> None:
        (self.denying if ref.truth is Truth.TRUE else self.conditional_denies).append(ref)
        self.deny = either(self.deny, ref.truth)

    def decide(self, gates: Sequence[_Gate]) -> Evaluation:
        allow = all_of(gate.truth for gate in gates)
        if self.deny is Truth.TRUE:
            return Evaluation(Decision.EXPLICIT_DENY, statements=tuple(self.denying))
        if allow is Truth.FALSE:
            return Evaluation(
                Decision.IMPLICIT_DENY, gaps=tuple(gate.gap for gate in gates if gate.truth is Truth.FALSE)
            )
        if allow is Truth.TRUE and self.deny is Truth.FALSE:
            return Evaluation(Decision.ALLOWED, statements=tuple(ref for gate in gates for ref in gate.applied))
        open_gates = [gate for gate in gates if gate.truth is Truth.UNKNOWN]
        statements = [ref for gate in open_gates for ref in gate.conditional]
        if self.deny is Truth.UNKNOWN:
            statements.extend(self.conditional_denies)
        return Evaluation(
            Decision.UNDETERMINED,
            statements=tuple(statements),
            gaps=tuple(gate.gap for gate in open_gates),
            unknown_keys=frozenset(key for ref in statements for key in ref.unknown_keys),
            unsupported_operators=frozenset(op for ref in statements for op in ref.unsupported_operators),
        )


def _gates(run: _Run, policies: PolicySet) -> list[_Gate]:
    identity = run.tally(Layer.IDENTITY, policies.identity_policies)
    gates = _grant_gates(run, identity, policies.resource_policy)
    if policies.permissions_boundary is not None:
        boundary = run.tally(Layer.PERMISSIONS_BOUNDARY, (policies.permissions_boundary,))
        gates.append(_Gate.of_layer(_BOUNDARY_GAP, boundary))
    for index, level in enumerate(policies.scp_levels or ()):
        gates.append(_Gate.of_layer(_gap((Layer.SCP,), index), run.tally(Layer.SCP, level, level=index)))
    for index, level in enumerate(policies.rcp_levels or ()):
        gates.append(_Gate.of_layer(_gap((Layer.RCP,), index), run.tally(Layer.RCP, level, level=index)))
    endpoint = policies.vpc_endpoint_policy
    if endpoint is not None:
        gated = run.tally(
            Layer.VPC_ENDPOINT_POLICY,
            (endpoint.policy,),
            names_principals=True,
            gateway=endpoint.endpoint_type is EndpointType.GATEWAY,
        )
        gates.append(_Gate.of_layer(_ENDPOINT_GAP, gated))
    return gates


def _grant_gates(run: _Run, identity: _Tally, resource_policy: ResourcePolicy | None) -> list[_Gate]:
    """The gates that grant access in the first place: identity policies and the resource side."""
    if resource_policy is None:
        return [_Gate.of_layer(_IDENTITY_GAP, identity)]
    is_key_policy = resource_policy.kind is ResourcePolicyKind.KEY_POLICY
    layer = Layer.KEY_POLICY if is_key_policy else Layer.RESOURCE_POLICY
    attached = () if resource_policy.policy is None else (resource_policy.policy,)
    resource = run.tally(layer, attached, names_principals=True)
    if resource_policy.owner_account != run.request.principal_account:
        # Cross account: the caller's account and the resource's account must both allow.
        return [_Gate.of_layer(_IDENTITY_GAP, identity), _Gate.of_layer(_gap((layer,)), resource)]
    if is_key_policy:
        # A key policy must allow by itself; naming the account root hands the decision to IAM.
        truth = any_of((resource.direct.truth, all_of((resource.via_account.truth, identity.allow))))
        missing = Layer.IDENTITY if resource.via_account.truth is Truth.TRUE else Layer.KEY_POLICY
        return [_Gate.of(_gap((missing,)), truth, resource.direct, resource.via_account, identity.direct)]
    # Same account: a resource policy naming the role grants on its own, while one naming the account
    # adds nothing beyond IAM. The boundary gate still caps a grant to the role ARN.
    truth = either(identity.allow, resource.direct.truth)
    return [_Gate.of(_gap((Layer.IDENTITY, layer)), truth, identity.direct, resource.direct)]
