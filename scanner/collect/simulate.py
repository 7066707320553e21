"""`--verify-live`: ask `iam:SimulatePrincipalPolicy` about the calls VPCE007 evaluates offline.

For each execution role, one batched simulation: every action the role's tasks need times every
resource they need it on, with the context entries all those requests share (the offline side is
re-evaluated with exactly those, see scanner/iam/simulation.py), resources in chunks of
`RESOURCES_PER_CALL` (IAM throttles large simulations) and each answer paginated with Marker. The
answers are stored on the inventory (`AccountInventory.simulations`), and VPCE007 compares them with
its offline decisions on the layers the simulator covers (identity policies, permissions boundary,
SCPs): a disagreement makes its result ERROR naming both answers. A failed simulation is a collection
error record; VPCE007 then reports only its offline answer.

moto does not implement SimulatePrincipalPolicy; the tests use botocore's Stubber.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from scanner.causes import INVALID_RESPONSE
from scanner.collect.calls import CLIENT_CONFIG, CallContext, chunks, counted
from scanner.collect.deadline import Deadline
from scanner.inventory.iam import SimulationResult
from scanner.inventory.root import Inventory

if TYPE_CHECKING:
    import boto3
    from types_boto3_iam import IAMClient
    from types_boto3_iam.type_defs import ContextEntryTypeDef

    from scanner.iam.request import Request
    from scanner.inventory.workloads import Workload

SERVICE = "iam"
OPERATION = "SimulatePrincipalPolicy"

ACTIONS = ["iam:SimulatePrincipalPolicy"]

RESOURCES_PER_CALL = 20
MAX_ITEMS = 1000
GLOBAL = "global"
_BOOLEAN_KEYS = frozenset({"aws:securetransport", "aws:principalisawsservice", "aws:viaawsservice"})


def verify_live(
    inventory: Inventory,
    profile: str | None = None,
    progress: Callable[[str], None] | None = None,
    deadline: Deadline | None = None,
) -> Inventory:
    """The inventory with live simulation answers for every execution role of every workload; no request
    after `deadline` (the simulations not made are recorded as errors)."""
    import boto3  # here, as in collect/account.py: the CLI's start-up stays fast

    session = boto3.session.Session(profile_name=profile)
    if deadline is not None:
        deadline.install(session)
    return simulate_inventory(session, inventory, progress)


def simulate_inventory(
    session: boto3.session.Session, inventory: Inventory, progress: Callable[[str], None] | None = None
) -> Inventory:
    from scanner.inventory.endpoint_use import workload_needs
    from scanner.inventory.workloads import derive_workloads

    all_workloads = derive_workloads(inventory)
    workload_needs(all_workloads)  # binds each need to its endpoint: the requests' aws:SourceVpce
    accounts = []
    for account in inventory.accounts:
        workloads = [w for w in all_workloads if w.account_inventory is account]
        region = next((r.region for r in account.regions), None) or session.region_name or "us-east-1"
        ctx = CallContext(account.account_id, GLOBAL, progress)
        client = session.client("iam", region_name=region, config=CLIENT_CONFIG)
        results = simulate_roles(ctx, client, _requests_by_role(workloads))
        accounts.append(account.model_copy(update={"simulations": results, "errors": [*account.errors, *ctx.errors]}))
    return inventory.model_copy(update={"accounts": accounts})


def _requests_by_role(workloads: Iterable[Workload]) -> dict[str, list[Request]]:
    from scanner.iam.requests import execution_plan

    by_role: dict[str, dict[tuple[str, str], Request]] = {}
    for workload in workloads:
        plan = execution_plan(workload)
        if plan.role is None or plan.role_policies is None:
            continue
        found = by_role.setdefault(plan.role.arn, {})
        for derived in plan.requests:
            if derived.policies is not None and derived.unknown is None:
                found.setdefault((derived.action, derived.resource), derived.request)
    return {arn: list(requests.values()) for arn, requests in by_role.items()}


def simulate_roles(ctx: CallContext, iam: IAMClient, requests: dict[str, list[Request]]) -> list[SimulationResult]:
    from scanner.iam.simulation import simulation_context

    if not requests:
        return []
    ctx.stage(SERVICE, OPERATION, counted(requests, "execution role"))
    results: list[SimulationResult] = []
    for role_arn, role_requests in requests.items():
        shared = simulation_context(role_requests)
        wanted = {(r.action.lower(), r.resource) for r in role_requests}
        actions = sorted({r.action for r in role_requests})
        resources = sorted({r.resource for r in role_requests})
        entries = _context_entries(shared)
        for batch in chunks(resources, RESOURCES_PER_CALL):
            pages = ctx.pages(
                SERVICE,
                OPERATION,
                _simulate(iam, role_arn, actions, batch, entries),
                resource_id=role_arn,
            )
            for page in pages:
                for item in page.get("EvaluationResults", []):
                    action, decision = item.get("EvalActionName"), item.get("EvalDecision")
                    if not action or not decision:
                        problem = f"an evaluation result without its action or decision: {action!r}, {decision!r}"
                        ctx.record(SERVICE, OPERATION, INVALID_RESPONSE, problem, role_arn)
                        continue
                    key = (action.lower(), item.get("EvalResourceName", "*"))
                    if key not in wanted:
                        continue  # the cross product holds pairs no task makes
                    results.append(
                        SimulationResult(
                            role_arn=role_arn,
                            action=action,
                            resource=key[1],
                            decision=decision,
                            context=shared,
                            missing_context=list(item.get("MissingContextValues", [])),
                            matched_statements=[s.get("SourcePolicyId", "") for s in item.get("MatchedStatements", [])],
                        )
                    )
    return results


def _simulate(
    iam: IAMClient, role_arn: str, actions: list[str], resources: list[str], entries: list[ContextEntryTypeDef]
) -> Iterable[dict[str, Any]]:
    """One simulation, page by page (the paginator would not let us pass MaxItems per page)."""
    marker: str | None = None
    while True:
        request = partial(
            iam.simulate_principal_policy,
            PolicySourceArn=role_arn,
            ActionNames=actions,
            ResourceArns=resources,
            ContextEntries=entries,
            MaxItems=MAX_ITEMS,
        )
        response: Any = request(Marker=marker) if marker else request()
        yield response
        if not response.get("IsTruncated"):
            return
        marker = response.get("Marker")
        if not marker:
            return


def _context_entries(shared: dict[str, list[str]]) -> list[ContextEntryTypeDef]:
    entries: list[ContextEntryTypeDef] = []
    for key, values in shared.items():
        if key in _BOOLEAN_KEYS:
            entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": "boolean"})
        elif len(values) == 1:
            entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": "string"})
        else:
            entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": "stringList"})
    return entries
