"""Compare the offline evaluator with live `iam:SimulatePrincipalPolicy` answers (`--verify-live`). Pure.

The simulator covers the role's identity policies, its permissions boundary and the SCPs; it does not
cover resource policies for roles, KMS key policies or VPC endpoint policies (docs/notes/iam-evaluation.md
§4). So each request is re-evaluated offline on those layers only, with exactly the context entries
the simulation was given (`simulation_context`: the keys whose values every request of the role
shares), and the two answers are compared:

* offline definite (allowed, explicit or implicit deny): the simulator must give the same decision.
  Whatever the simulator assumed for keys it lacked, a definite offline answer holds for every value of
  them, so any difference is a real disagreement;
* offline undetermined: it agrees when the simulator reports missing context values; a definite live
  answer without missing values is reported (for example an SCP condition the simulator decided on
  keys it does not list as missing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from scanner.iam.evaluation import Decision, Evaluation
from scanner.iam.evaluator import evaluate_request
from scanner.iam.policy_set import PolicySet
from scanner.iam.request import Request, RequestContext
from scanner.inventory.iam import SimulationResult

LIVE_DECISIONS: Mapping[str, Decision] = {
    "allowed": Decision.ALLOWED,
    "explicitDeny": Decision.EXPLICIT_DENY,
    "implicitDeny": Decision.IMPLICIT_DENY,
}


@dataclass(frozen=True, slots=True)
class Disagreement:
    action: str
    resource: str
    offline: Evaluation
    live: SimulationResult

    def __str__(self) -> str:
        missing = f" (missing context: {', '.join(self.live.missing_context)})" if self.live.missing_context else ""
        keys = f" (unknown: {', '.join(sorted(self.offline.unknown_keys))})" if self.offline.unknown_keys else ""
        return (
            f"{self.action} on {self.resource}: offline {self.offline.decision.value}{keys}, "
            f"live simulation {self.live.decision}{missing} (identity policies, boundary and SCPs only)"
        )


@dataclass(frozen=True, slots=True)
class Comparison:
    compared: int
    disagreements: tuple[Disagreement, ...]
    not_simulated: int


def identity_layers(policies: PolicySet) -> PolicySet:
    """The layers the simulator evaluates: identity policies, permissions boundary, SCPs."""
    return PolicySet(
        identity_policies=policies.identity_policies,
        permissions_boundary=policies.permissions_boundary,
        scp_levels=policies.scp_levels,
    )


def simulation_context(requests: Sequence[Request]) -> dict[str, list[str]]:
    """The context entries to send with one batched simulation: the keys all `requests` give the same
    values (their effective context, so `aws:PrincipalArn` is among them). Keys that differ between
    requests, or are only known to be absent, are left out: the offline side then treats them as unknown."""
    if not requests:
        return {}
    common = dict(requests[0].effective_context.values)
    for request in requests[1:]:
        values = request.effective_context.values
        for key in list(common):
            if values.get(key) != common[key]:
                del common[key]
    return {key: list(values) for key, values in sorted(common.items())}


def compare(
    role_arn: str, requests: Iterable[tuple[Request, PolicySet]], simulations: Sequence[SimulationResult]
) -> Comparison:
    index = {(s.action.lower(), s.resource): s for s in simulations if s.role_arn == role_arn}
    compared = 0
    missing = 0
    disagreements: list[Disagreement] = []
    for request, policies in requests:
        live = index.get((request.action.lower(), request.resource))
        if live is None:
            missing += 1
            continue
        compared += 1
        offline = evaluate_request(replace(request, context=RequestContext(live.context)), identity_layers(policies))
        if not agrees(offline, live):
            disagreements.append(Disagreement(request.action, request.resource, offline, live))
    return Comparison(compared, tuple(disagreements), missing)


def agrees(offline: Evaluation, live: SimulationResult) -> bool:
    if offline.decision is Decision.UNDETERMINED:
        return bool(live.missing_context)
    return offline.decision is LIVE_DECISIONS[live.decision]
