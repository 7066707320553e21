"""Offline IAM policy evaluation: can this principal make this call, given every layer of policy?

Pure: no AWS calls, no boto3. Four outcomes; UNDETERMINED (a condition on an unknown context key decides)
is never to be read as allowed. See docs/notes/iam-evaluation.md for the semantics implemented.

    from scanner.iam import NamedPolicy, PolicySet, Request, evaluate_request

    role = "arn:aws:iam::111122223333:role/exec"
    policies = PolicySet(identity_policies=[NamedPolicy.parse("inline", document)])
    evaluate_request(Request("ecr:GetAuthorizationToken", "*", role, "111122223333"), policies).decision
"""

from scanner.iam.documents import (
    ConditionClause,
    Effect,
    PolicyDocument,
    PolicyDocumentError,
    Principals,
    Statement,
    parse_policy_document,
)
from scanner.iam.evaluation import Decision, Evaluation, Gap, Layer, StatementRef
from scanner.iam.evaluator import evaluate_request
from scanner.iam.managed import ECS_TASK_EXECUTION_ROLE_POLICY_ARN, aws_managed_policy
from scanner.iam.matching import action_matches, resource_matches
from scanner.iam.policy_set import (
    EndpointPolicy,
    EndpointType,
    NamedPolicy,
    PolicySet,
    ResourcePolicy,
    ResourcePolicyKind,
)
from scanner.iam.request import KeyState, Request, RequestContext
from scanner.iam.truth import Truth

__all__ = [
    "ECS_TASK_EXECUTION_ROLE_POLICY_ARN",
    "ConditionClause",
    "Decision",
    "Effect",
    "EndpointPolicy",
    "EndpointType",
    "Evaluation",
    "Gap",
    "KeyState",
    "Layer",
    "NamedPolicy",
    "PolicyDocument",
    "PolicyDocumentError",
    "PolicySet",
    "Principals",
    "Request",
    "RequestContext",
    "ResourcePolicy",
    "ResourcePolicyKind",
    "Statement",
    "StatementRef",
    "Truth",
    "action_matches",
    "aws_managed_policy",
    "evaluate_request",
    "parse_policy_document",
    "resource_matches",
]
