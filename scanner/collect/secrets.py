"""Secrets Manager: the metadata and resource policy of each secret a task definition references.

DescribeSecret takes the reference as written (a full ARN, a partial ARN without the random suffix, or a
name) and answers with the full ARN, the KMS key and the tags; GetResourcePolicy then reads the policy
of each distinct secret once. GetSecretValue is never called: the scanner never reads a secret's value.
A secret that does not exist (ResourceNotFoundException) is data: the reference goes to `missing`. A
failed GetResourcePolicy keeps the secret (its policy unknown, the failure recorded with the secret ARN).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from scanner.collect.calls import Absent, CallContext, counted
from scanner.inventory.iam import SecretMetadata

if TYPE_CHECKING:
    from types_boto3_secretsmanager import SecretsManagerClient

SERVICE = "secretsmanager"

ACTIONS = ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"]

NOT_FOUND = "ResourceNotFoundException"


@dataclass
class Secrets:
    secrets: list[SecretMetadata] = field(default_factory=list)
    # References (secret ids as written) that Secrets Manager does not know.
    missing: list[str] = field(default_factory=list)


def collect_secrets(ctx: CallContext, client: SecretsManagerClient, secret_ids: Sequence[str]) -> Secrets:
    """Describe each referenced secret once; several references to one secret give one entry."""
    result = Secrets()
    if not secret_ids:
        return result
    ctx.stage(SERVICE, "DescribeSecret", counted(secret_ids, "secret"))
    by_arn: dict[str, SecretMetadata] = {}
    for secret_id in dict.fromkeys(secret_ids):
        request = partial(client.describe_secret, SecretId=secret_id)
        response = ctx.call_or_absent(SERVICE, "DescribeSecret", request, secret_id, {NOT_FOUND})
        if isinstance(response, Absent):
            result.missing.append(secret_id)
        if not isinstance(response, dict):
            continue
        for secret in ctx.parse(SecretMetadata, [response], service=SERVICE, operation="DescribeSecret", id_key="ARN"):
            by_arn.setdefault(secret.arn, secret)
    for arn, secret in by_arn.items():
        policy = ctx.call(SERVICE, "GetResourcePolicy", partial(client.get_resource_policy, SecretId=arn), arn)
        # On failure (recorded with the ARN) the secret is kept: its policy is unknown, not absent.
        document = policy.get("ResourcePolicy") if policy is not None else None
        result.secrets.append(secret.model_copy(update={"resource_policy": document}))
    return result
