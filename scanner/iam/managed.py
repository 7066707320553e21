"""AWS managed policies the scanner must know even when a snapshot holds only their ARN.

Prefer the document from the inventory (GetPolicyVersion of the default version) whenever there is one:
these copies are a fallback for offline snapshots and moto without `load_aws_managed_policies`.
"""

from __future__ import annotations

import json
from functools import cache
from types import MappingProxyType
from typing import Final

from scanner.iam.policy_set import NamedPolicy

ECS_TASK_EXECUTION_ROLE_POLICY_ARN: Final = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"

# Default version v1, created 2017-11-16 and unchanged since (docs/notes/iam-evaluation.md §2). It grants
# neither secretsmanager:GetSecretValue, ssm:GetParameters, kms:Decrypt nor logs:CreateLogGroup.
_ECS_TASK_EXECUTION_ROLE_POLICY: Final = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:GetAuthorizationToken",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            }
        ],
    }
)

_DOCUMENTS: Final = MappingProxyType(
    {"iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy": _ECS_TASK_EXECUTION_ROLE_POLICY}
)


@cache
def aws_managed_policy(arn: str) -> NamedPolicy | None:
    """The shipped copy of the AWS managed policy `arn` (any partition), or None if we have none."""
    parts = arn.split(":", 2)
    if len(parts) != 3 or parts[0] != "arn":
        return None
    document = _DOCUMENTS.get(parts[2])
    return None if document is None else NamedPolicy.parse(arn, document)
