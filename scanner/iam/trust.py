"""Whether ECS may assume a task execution role: its trust policy, for `ecs-tasks.amazonaws.com`.

A trust policy is a resource policy that must allow explicitly (an identity policy cannot stand in for
it): the role can be assumed when a statement allows `sts:AssumeRole` to the service principal and no
statement denies it. ECS assumes the role with `aws:SourceAccount` (the task's account) and
`aws:SourceArn` (the task's ARN, whose task id is unknown before the task runs: two ids are tried, and a
policy that tells them apart leaves the answer undetermined). Other keys stay unknown, so a condition on
them gives UNDETERMINED, never ALLOWED. The decision is three-valued like every other evaluation here.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.iam.documents import Effect, Principals, Statement
from scanner.iam.evaluation import Decision
from scanner.iam.plan import TASK_IDS
from scanner.iam.policy_set import NamedPolicy
from scanner.iam.request import Request, RequestContext
from scanner.iam.statements import match_covering_statement
from scanner.iam.truth import Truth, either

ECS_TASKS = "ecs-tasks.amazonaws.com"
ASSUME_ROLE = "sts:AssumeRole"


@dataclass(frozen=True, slots=True)
class TrustAnswer:
    decision: Decision
    statements: tuple[str, ...] = ()
    """Explicit deny: the denying statements; undetermined: the conditional ones."""
    unknown_keys: frozenset[str] = frozenset()


def evaluate_trust(policy: NamedPolicy, role_arn: str, account: str, region: str, cluster_arn: str) -> TrustAnswer:
    """Whether `ecs-tasks.amazonaws.com` may assume `role_arn` for a task of `cluster_arn`."""
    answers = [
        _evaluate(policy, role_arn, account, _task_arn(cluster_arn, account, region, task_id)) for task_id in TASK_IDS
    ]
    first = answers[0]
    if any(answer.decision is not first.decision for answer in answers[1:]):
        return TrustAnswer(Decision.UNDETERMINED, first.statements, frozenset({"aws:sourcearn"}))
    return first


def _task_arn(cluster_arn: str, account: str, region: str, task_id: str) -> str:
    fields = cluster_arn.split(":", 5)
    partition = fields[1] if len(fields) == 6 else "aws"
    cluster = cluster_arn.rsplit("/", 1)[-1]
    return f"arn:{partition}:ecs:{region}:{account}:task/{cluster}/{task_id}"


def _evaluate(policy: NamedPolicy, role_arn: str, account: str, task_arn: str) -> TrustAnswer:
    context = RequestContext(
        {
            "aws:SourceAccount": account,
            "aws:SourceArn": task_arn,
            "aws:PrincipalServiceName": ECS_TASKS,
            "aws:PrincipalIsAWSService": True,
        },
        absent=("aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "sts:ExternalId"),
    )
    request = Request(ASSUME_ROLE, role_arn, ECS_TASKS, account, context)
    document = policy.document
    allow, deny = Truth.FALSE, Truth.FALSE
    denying: list[str] = []
    conditional: list[str] = []
    unknown: set[str] = set()
    for statement in document.statements_for(ASSUME_ROLE):
        if not _names_ecs_tasks(statement):
            continue
        match = match_covering_statement(
            statement, request, context, resolve_variables=document.resolves_variables, names_principals=False
        )
        if match.truth is Truth.FALSE:
            continue
        label = f"{policy.name} statement {statement.label} ({statement.effect.value})"
        if match.truth is Truth.UNKNOWN:
            conditional.append(label)
            unknown.update(match.unknown_keys)
        if statement.effect is Effect.DENY:
            deny = either(deny, match.truth)
            if match.truth is Truth.TRUE:
                denying.append(label)
        else:
            allow = either(allow, match.truth)
    if deny is Truth.TRUE:
        return TrustAnswer(Decision.EXPLICIT_DENY, tuple(denying))
    if allow is Truth.FALSE:
        return TrustAnswer(Decision.IMPLICIT_DENY)
    if allow is Truth.TRUE and deny is Truth.FALSE:
        return TrustAnswer(Decision.ALLOWED)
    return TrustAnswer(Decision.UNDETERMINED, tuple(conditional), frozenset(unknown))


def _names_ecs_tasks(statement: Statement) -> bool:
    if statement.principals is not None:
        return _includes(statement.principals)
    if statement.not_principals is not None:
        return not _includes(statement.not_principals)
    return False


def _includes(principals: Principals) -> bool:
    return principals.is_anyone or ECS_TASKS in principals.service
