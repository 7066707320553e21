"""role_allows and endpoint_policy_allows: the offline IAM evaluator (scanner.iam) applied to the calls a
workload's execution role makes at task start (scanner.iam.requests).

Decisions map to verdicts: allowed passes; an explicit or implicit deny fails, naming the call, the
statement that denies or the layer that gives no allow, and the statement to add; undetermined (a
condition on a key unknown offline, an operator the evaluator does not implement, data that was not
collected) is ERROR naming what is unknown, never PASS. A definite FAIL elsewhere still wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from scanner.engine.checks.base import CheckContext, IncompleteData, Outcome, Problem, register
from scanner.engine.commands import TemplateValue
from scanner.engine.spec import EndpointPolicyAllowsCheck, RoleAllowsCheck
from scanner.iam.account_policies import Unknown
from scanner.iam.documents import PolicyDocumentError
from scanner.iam.evaluation import Decision, Evaluation, Gap, Layer
from scanner.iam.evaluator import evaluate_request
from scanner.iam.fixes import extend_document, grant_statements
from scanner.iam.matching import resource_matcher
from scanner.iam.policy_set import EndpointPolicy, EndpointType, NamedPolicy, PolicySet
from scanner.iam.request import Request
from scanner.iam.requests import DerivedRequest, ExecutionPlan, execution_plan
from scanner.iam.simulation import compare
from scanner.iam.trust import ECS_TASKS
from scanner.iam.variables import has_variables
from scanner.inventory.endpoint_use import WorkloadNeed
from scanner.inventory.network import VpcEndpoint
from scanner.inventory.workloads import Workload

_CALL = ("action", "resource", "purpose")

IAM_REQUIRES = (
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
)
# Statements added by fixes carry this Sid, so a second scan's fix extends rather than duplicates them.
FIX_SID = "VpceScanExecutionRole"
ENDPOINT_FIX_SID = "VpceScanWorkload"
_EVERYTHING = NamedPolicy.parse(
    "(the role's own policies: VPCE007)", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@dataclass(frozen=True)
class _Answer:
    """The decision for one derived request, across its alternate resources."""

    evaluation: Evaluation
    varies: bool = False
    """The alternates (log streams of other task ids) decided differently: the task id decides."""


def _answer(derived: DerivedRequest, request: Request, policies: PolicySet) -> _Answer:
    first = evaluate_request(request, policies)
    for alternate in derived.alternates:
        if _resources_equivalent(policies, request.action, request.resource, alternate):
            continue  # every Resource pattern that could apply treats both alike: the answer cannot differ
        other = evaluate_request(replace(request, resource=alternate), policies)
        if other.decision is not first.decision:
            return _Answer(first, varies=True)
    return _Answer(first)


def _resources_equivalent(policies: PolicySet, action: str, resource: str, other: str) -> bool:
    """True when no Resource or NotResource entry of a statement of `policies` that covers `action`
    matches one resource and not the other (only the resource differs between the two requests, and a
    statement for other actions applies to neither). Entries with policy variables are not judged."""
    for policy in _all_policies(policies):
        for statement in policy.document.statements_for(action):
            for pattern in statement.resources or statement.not_resources or ():
                if has_variables(pattern):
                    return False
                matches = resource_matcher(pattern)
                if matches(resource) != matches(other):
                    return False
    return True


def _all_policies(policies: PolicySet) -> list[NamedPolicy]:
    found = [*policies.identity_policies]
    if policies.permissions_boundary is not None:
        found.append(policies.permissions_boundary)
    for levels in (policies.scp_levels, policies.rcp_levels):
        found += [p for level in levels or () for p in level]
    if policies.resource_policy is not None and policies.resource_policy.policy is not None:
        found.append(policies.resource_policy.policy)
    if policies.vpc_endpoint_policy is not None:
        found.append(policies.vpc_endpoint_policy.policy)
    return found


def _undetermined(derived: DerivedRequest, answer: _Answer) -> str:
    call = f"{derived.action} on {derived.resource} ({derived.purpose})"
    if answer.varies:
        return f"{call} depends on {derived.alternates_reason}"
    evaluation = answer.evaluation
    parts: list[str] = []
    if evaluation.unknown_keys:
        parts.append(f"condition key {', '.join(sorted(evaluation.unknown_keys))} unknown")
    if evaluation.unsupported_operators:
        parts.append(f"condition operator {', '.join(sorted(evaluation.unsupported_operators))} not evaluated")
    cited = "; ".join(str(ref) for ref in evaluation.statements[:3])
    where = f" in {cited}" if cited else ""
    return f"{call} is undetermined: {' and '.join(parts) or 'conditions could not be decided'}{where}"


def _call_vars(derived: DerivedRequest) -> dict[str, str]:
    return {"action": derived.action, "resource": derived.resource, "purpose": derived.purpose}


@dataclass
class _RoleFindings:
    plan: ExecutionPlan
    problems: list[Problem] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    # The requests per fix target, to build one document per policy to change.
    not_granted: list[DerivedRequest] = field(default_factory=list)
    boundary: list[DerivedRequest] = field(default_factory=list)
    resource_side: dict[str, list[DerivedRequest]] = field(default_factory=dict)
    pending: list[tuple[str, dict[str, TemplateValue]]] = field(default_factory=list)

    def add(self, code: str, derived: DerivedRequest, extra: dict[str, str] | None = None) -> None:
        self.pending.append((code, {**_call_vars(derived), **(extra or {})}))


@register(
    "role_allows",
    problems={
        "not_granted": (*_CALL, "role_name", "policy_name", "policy_document"),
        "boundary_blocks": (*_CALL, "role_name", "boundary_arn", "boundary_document"),
        "scp_blocks": (*_CALL, "role_name", "scp_level"),
        "rcp_blocks": (*_CALL, "role_name", "rcp_level"),
        "secret_policy_blocks": (*_CALL, "role_arn", "resource_owner", "secret_region", "secret_policy_document"),
        "key_policy_blocks": (*_CALL, "role_arn", "resource_owner", "key_region", "key_policy_document"),
        "repository_policy_blocks": (
            *_CALL,
            "role_arn",
            "resource_owner",
            "repository_region",
            "repository_name",
            "repository_policy_document",
        ),
        "explicit_deny": (*_CALL, "role_name", "denied_by"),
        "missing_role": ("role_name",),
        "no_execution_role": ("role_name",),
        "secret_missing": ("secret", "purpose"),
        "parameter_missing": ("parameter", "parameter_name", "parameter_region", "container"),
        "default_key_cross_account": ("secret", "secret_region", "purpose", "role_arn"),
        "trust_not_granted": ("role_name", "trust_document"),
        "trust_denies": ("role_name", "denied_by"),
        "key_disabled": ("key", "key_state", "key_region", "purpose"),
        "key_pending_deletion": ("key", "key_state", "key_region", "purpose"),
        "key_unusable": ("key", "key_state", "key_region", "purpose"),
    },
    requires=IAM_REQUIRES,
)
def check_role_allows(spec: RoleAllowsCheck, subject: object, ctx: CheckContext) -> Outcome:
    """The workload's execution role may make every call its task makes at start-up: the ECR token and
    image pulls, the awslogs stream writes, each secret and parameter with the KMS keys behind them."""
    assert isinstance(subject, Workload)
    # The calls the role must allow come from the task definition.
    subject.require_definition()
    plan = execution_plan(subject)
    evidence: dict[str, Any] = {"execution_role": plan.principal_arn or plan.reference or "none"}
    if not plan.needs_role:
        return Outcome.passed(**evidence, calls=[])
    findings = _RoleFindings(plan)
    for problem in plan.problems:
        findings.problems.append(Problem(problem.code, {**problem.vars, "role_arn": plan.principal_arn or ""}))
    if any(p.code in ("missing_role", "no_execution_role") for p in plan.problems):
        return Outcome.failed(findings.problems, **evidence)
    findings.reasons += [str(u) for u in plan.unknown]
    _judge_trust(findings, evidence)
    if spec.scps == "required" and plan.role_policies is not None:
        # The notes say which organization policies (SCPs, RCPs) could not be evaluated.
        # (Not the RCPs of another account's resources: no scan of this account can read those.)
        findings.reasons += [n for n in plan.notes if n.startswith(("SCPs not evaluated", "RCPs not evaluated"))]
    if plan.role_policies is not None:
        for derived in plan.requests:
            _judge(findings, derived)
        _fixes(findings)
    evidence["calls"] = findings.calls
    if plan.notes:
        evidence["notes"] = plan.notes
    verified = _verify_live(subject, plan, evidence)
    if verified:
        return Outcome.error(*verified, **evidence, offline_problems=[p.code for p in findings.problems])
    return _outcome(findings.problems, findings.reasons, evidence)


def _judge_trust(findings: _RoleFindings, evidence: dict[str, Any]) -> None:
    """ECS must be able to assume the role before any of its calls: the trust policy's answer."""
    plan, trust = findings.plan, findings.plan.trust
    if trust is None or plan.role is None:
        return
    role = plan.role
    if isinstance(trust, Unknown):
        findings.reasons.append(f"{ECS_TASKS} assuming {role.role_name}: {trust}")
        return
    evidence["trust"] = trust.decision.value
    match trust.decision:
        case Decision.ALLOWED:
            return
        case Decision.UNDETERMINED:
            keys = ", ".join(sorted(trust.unknown_keys)) or "conditions"
            cited = "; ".join(trust.statements[:3])
            findings.reasons.append(
                f"whether {ECS_TASKS} may assume {role.role_name} is undetermined: {keys} unknown"
                + (f" in {cited}" if cited else "")
            )
        case Decision.EXPLICIT_DENY:
            denied_by = "; ".join(trust.statements) or "a Deny statement"
            findings.problems.append(Problem("trust_denies", {"role_name": role.role_name, "denied_by": denied_by}))
        case Decision.IMPLICIT_DENY:
            statement = {
                "Effect": "Allow",
                "Principal": {"Service": ECS_TASKS},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": plan.workload.account}},
            }
            document = extend_document(role.assume_role_policy_document, [statement])
            findings.problems.append(
                Problem("trust_not_granted", {"role_name": role.role_name, "trust_document": document})
            )


def _outcome(problems: list[Problem], reasons: list[str], evidence: dict[str, Any]) -> Outcome:
    """A definite FAIL wins, with what stayed undetermined in its evidence; else ERROR; else PASS."""
    if problems:
        if reasons:
            evidence["undetermined"] = reasons
        return Outcome.failed(problems, **evidence)
    if reasons:
        return Outcome.error(*reasons, **evidence)
    return Outcome.passed(**evidence)


def _judge(findings: _RoleFindings, derived: DerivedRequest) -> None:
    if derived.unknown is not None or derived.policies is None:
        reason = derived.unknown.reason if derived.unknown else "its policies are unknown"
        findings.reasons.append(f"{derived.action} on {derived.resource} ({derived.purpose}): {reason}")
        findings.calls.append(f"undetermined {derived.action} {derived.resource}")
        return
    answer = _answer(derived, derived.request, derived.policies)
    decision = Decision.UNDETERMINED if answer.varies else answer.evaluation.decision
    findings.calls.append(f"{decision.value} {derived.action} {derived.resource}")
    match decision:
        case Decision.ALLOWED:
            return
        case Decision.UNDETERMINED:
            findings.reasons.append(_undetermined(derived, answer))
        case Decision.EXPLICIT_DENY:
            denied_by = "; ".join(str(ref) for ref in answer.evaluation.statements) or "a Deny statement"
            findings.add("explicit_deny", derived, {"denied_by": denied_by})
        case Decision.IMPLICIT_DENY:
            for gap in answer.evaluation.gaps:
                _gap(findings, derived, gap)


def _gap(findings: _RoleFindings, derived: DerivedRequest, gap: Gap) -> None:
    layers = set(gap.layers)
    if Layer.IDENTITY in layers:
        findings.not_granted.append(derived)
    elif Layer.PERMISSIONS_BOUNDARY in layers:
        findings.boundary.append(derived)
    elif Layer.SCP in layers or Layer.RCP in layers:
        level = f"level {gap.level}" if gap.level is not None else "some level"
        where = f"{level} ({'root' if gap.level == 0 else 'below the root'})"
        if Layer.SCP in layers:
            findings.add("scp_blocks", derived, {"scp_level": where})
        else:
            findings.add("rcp_blocks", derived, {"rcp_level": where})
    else:
        findings.resource_side.setdefault(derived.grant_resource, []).append(derived)


def _fixes(findings: _RoleFindings) -> None:
    """Turn the gaps into problems whose fix commands carry one document per policy to change."""
    plan = findings.plan
    role = plan.role
    assert role is not None
    role_name = role.role_name
    family = plan.workload.task_definition.family if plan.workload.task_definition else plan.workload.name
    if findings.not_granted:
        policy_name = f"vpce-scan-{family}"
        existing = next((p.policy_document for p in role.inline_policies if p.policy_name == policy_name), None)
        statements = grant_statements([(d.action, d.grant_resource) for d in findings.not_granted], sid=FIX_SID)
        document = extend_document(existing, statements)
        for derived in findings.not_granted:
            findings.add(
                "not_granted",
                derived,
                {"role_name": role_name, "policy_name": policy_name, "policy_document": document},
            )
    if findings.boundary and role.permissions_boundary is not None:
        arn = role.permissions_boundary.permissions_boundary_arn
        collected = plan.workload.account_inventory.managed_policy_by_arn.get(arn)
        current = collected.document if collected is not None else None
        statements = grant_statements([(d.action, d.grant_resource) for d in findings.boundary], sid=FIX_SID)
        document = extend_document(current, statements)
        for derived in findings.boundary:
            findings.add(
                "boundary_blocks", derived, {"role_name": role_name, "boundary_arn": arn, "boundary_document": document}
            )
    for derived_list in findings.resource_side.values():
        _resource_fix(findings, derived_list)
    for code, variables in findings.pending:
        variables.setdefault("role_name", role_name)
        findings.problems.append(Problem(code, variables))
    findings.pending.clear()


def _resource_fix(findings: _RoleFindings, derived_list: Sequence[DerivedRequest]) -> None:
    plan = findings.plan
    first = derived_list[0]
    role_arn = plan.principal_arn or ""
    principal = {"AWS": role_arn}
    fields = first.resource.split(":")
    region, owner = fields[3], first.resource_owner or fields[4]
    common = {"role_arn": role_arn, "resource_owner": owner}
    if first.kind == "key":
        via = str(first.request.context.values.get("kms:viaservice", ("",))[0])
        statement = {
            "Sid": FIX_SID,
            "Effect": "Allow",
            "Principal": principal,
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"StringEquals": {"kms:ViaService": via}},
        }
        document = extend_document(first.resource_policy_document, [statement])
        for derived in derived_list:
            findings.add(
                "key_policy_blocks", derived, {**common, "key_region": region, "key_policy_document": document}
            )
    elif first.kind == "repository":
        actions = sorted({d.action for d in derived_list})
        statement = {"Sid": FIX_SID, "Effect": "Allow", "Principal": principal, "Action": actions}
        document = extend_document(first.resource_policy_document, [statement])
        name = fields[5].removeprefix("repository/")
        for derived in derived_list:
            findings.add(
                "repository_policy_blocks",
                derived,
                {
                    **common,
                    "repository_region": region,
                    "repository_name": name,
                    "repository_policy_document": document,
                },
            )
    else:
        statement = {"Sid": FIX_SID, "Effect": "Allow", "Principal": principal, "Action": first.action, "Resource": "*"}
        document = extend_document(first.resource_policy_document, [statement])
        for derived in derived_list:
            findings.add(
                "secret_policy_blocks", derived, {**common, "secret_region": region, "secret_policy_document": document}
            )


def _verify_live(workload: Workload, plan: ExecutionPlan, evidence: dict[str, Any]) -> list[str]:
    """Disagreements with live SimulatePrincipalPolicy answers, when the scan collected them."""
    simulations = workload.account_inventory.simulations
    if not simulations or plan.principal_arn is None or plan.role_policies is None:
        return []
    pairs = [(d.request, d.policies) for d in plan.requests if d.policies is not None and d.unknown is None]
    comparison = compare(plan.principal_arn, pairs, simulations)
    evidence["verify_live"] = {
        "compared": comparison.compared,
        "not_simulated": comparison.not_simulated,
        "disagreements": [str(d) for d in comparison.disagreements],
    }
    return [f"the offline evaluator and iam:SimulatePrincipalPolicy disagree: {d}" for d in comparison.disagreements]


# ---- endpoint_policy_allows --------------------------------------------------------------------------


@register(
    "endpoint_policy_allows",
    problems={
        "not_allowed": (*_CALL, "principal", "policy_document"),
        "explicit_deny": (*_CALL, "principal", "denied_by"),
    },
    requires=("ec2:DescribeVpcEndpoints",),
)
def check_endpoint_policy_allows(spec: EndpointPolicyAllowsCheck, subject: object, ctx: CheckContext) -> Outcome:
    """The needed endpoint's policy allows every call the workload's task makes through it, for the
    execution role (and, on the S3 endpoint, ECR's layer downloads with `Principal: "*"`)."""
    assert isinstance(subject, WorkloadNeed)
    endpoint = subject.endpoint
    if endpoint is None:
        raise IncompleteData(f"no {subject.need.service_name} endpoint in the workload's VPC")
    plan = execution_plan(subject.workload)
    derived_list = plan.through(subject.need.service)
    evidence: dict[str, Any] = {"endpoint_id": endpoint.vpc_endpoint_id, "principal": plan.principal_arn or "none"}
    if not derived_list:
        return Outcome.passed(**evidence, calls=[])
    try:
        policy = _endpoint_policy(endpoint)
    except PolicyDocumentError as exc:
        raise IncompleteData(f"the policy of {endpoint.vpc_endpoint_id} cannot be read: {exc}") from exc
    policies = PolicySet(identity_policies=(_EVERYTHING,), vpc_endpoint_policy=policy)
    problems: list[Problem] = []
    reasons: list[str] = []
    calls: list[str] = []
    missing: list[DerivedRequest] = []
    for derived in derived_list:
        if derived.kind != "layer_bucket" and not plan.principal_arn:
            reasons.append(
                f"{derived.action} on {derived.resource}: the task definition names no execution role "
                "(VPCE007 reports it), so the caller is unknown"
            )
            continue
        if not derived.resource_resolved and not derived.alternates:
            reasons.append(f"{derived.action} on {derived.resource} ({derived.purpose}): {derived.unknown}")
            continue
        answer = _answer(derived, derived.through(endpoint), policies)
        decision = Decision.UNDETERMINED if answer.varies else answer.evaluation.decision
        calls.append(f"{decision.value} {derived.action} {derived.resource}")
        match decision:
            case Decision.ALLOWED:
                continue
            case Decision.UNDETERMINED:
                reasons.append(_undetermined(derived, answer))
            case Decision.EXPLICIT_DENY:
                denied_by = "; ".join(str(r) for r in answer.evaluation.statements) or "a Deny statement"
                problems.append(
                    Problem(
                        "explicit_deny",
                        {**_call_vars(derived), "principal": _principal(derived), "denied_by": denied_by},
                    )
                )
            case Decision.IMPLICIT_DENY:
                missing.append(derived)
    if missing:
        document = extend_document(endpoint.policy_document, _endpoint_statements(missing, endpoint))
        for derived in missing:
            problems.append(
                Problem(
                    "not_allowed",
                    {**_call_vars(derived), "principal": _principal(derived), "policy_document": document},
                )
            )
    evidence["calls"] = calls
    return _outcome(problems, reasons, evidence)


def _endpoint_policy(endpoint: VpcEndpoint) -> EndpointPolicy:
    kind = EndpointType.GATEWAY if endpoint.is_gateway else EndpointType.INTERFACE
    # AWS omits the document only for services without endpoint policies, which allow full access.
    raw = endpoint.policy_document or '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}'
    return EndpointPolicy(NamedPolicy.parse(endpoint.vpc_endpoint_id, raw), kind)


def _principal(derived: DerivedRequest) -> str:
    return (
        "ECR's presigned layer download (any principal)"
        if derived.kind == "layer_bucket"
        else derived.request.principal_arn
    )


def _endpoint_statements(missing: Sequence[DerivedRequest], endpoint: VpcEndpoint) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    layers = [d for d in missing if d.kind == "layer_bucket"]
    calls = [d for d in missing if d.kind != "layer_bucket"]
    if calls:
        principal: object = {"AWS": calls[0].request.principal_arn}
        if endpoint.is_gateway:
            # Gateway endpoints only honour Principal "*": name the role in a condition instead.
            principal = "*"
        pairs = [(d.action, d.grant_resource) for d in calls]
        for statement in grant_statements(pairs, principal=principal, sid=ENDPOINT_FIX_SID):
            if endpoint.is_gateway:
                statement["Condition"] = {"ArnEquals": {"aws:PrincipalArn": calls[0].request.principal_arn}}
            statements.append(statement)
    if layers:
        statements += grant_statements(
            [(d.action, d.grant_resource) for d in layers], principal="*", sid="VpceScanEcrLayers"
        )
    return statements
