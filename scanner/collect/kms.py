"""KMS: the keys that referenced secrets and SecureString parameters are encrypted with.

Keys are given as Secrets Manager and SSM report them: a key id, a key ARN, an alias name or an alias
ARN. AWS managed aliases (`alias/aws/secretsmanager`, `alias/aws/ssm`) need no call: a caller needs no
KMS permission for them. Every other key gets one DescribeKey (which resolves aliases and says who
manages the key) and, for customer managed keys, one GetKeyPolicy of the `default` policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from scanner.causes import INVALID_RESPONSE
from scanner.collect.calls import CallContext, counted
from scanner.inventory.iam import KmsKey

if TYPE_CHECKING:
    from types_boto3_kms import KMSClient

SERVICE = "kms"

ACTIONS = ["kms:DescribeKey", "kms:GetKeyPolicy"]


def is_aws_managed_alias(key_id: str) -> bool:
    """`alias/aws/...` or `arn:...:alias/aws/...`: an AWS managed key, by its reserved alias."""
    return key_id.startswith("alias/aws/") or ":alias/aws/" in key_id


def collect_keys(ctx: CallContext, kms: KMSClient, key_ids: Sequence[str]) -> dict[str, KmsKey]:
    """Each referenced key (as referenced) -> its metadata and key policy. AWS managed aliases are skipped;
    a key that could not be described is absent (the failure is recorded with the key as referenced)."""
    wanted = [k for k in dict.fromkeys(key_ids) if not is_aws_managed_alias(k)]
    if not wanted:
        return {}
    ctx.stage(SERVICE, "DescribeKey", counted(wanted, "key"))
    found: dict[str, KmsKey] = {}
    by_arn: dict[str, KmsKey] = {}
    for key_id in wanted:
        response = ctx.call(SERVICE, "DescribeKey", partial(kms.describe_key, KeyId=key_id), resource_id=key_id)
        if response is None:
            continue
        metadata = response.get("KeyMetadata")
        arn = metadata.get("Arn") if isinstance(metadata, dict) else None
        if not isinstance(metadata, dict) or not isinstance(arn, str) or not arn:
            # Without the key's ARN neither its policy nor its state can be placed: unknown, not fatal.
            problem = "DescribeKey answered without KeyMetadata" if metadata is None else "KeyMetadata without Arn"
            ctx.record(SERVICE, "DescribeKey", INVALID_RESPONSE, f"{problem} for {key_id}", key_id)
            continue
        if arn not in by_arn:
            policy = None
            if metadata.get("KeyManager") == "CUSTOMER":
                answer = ctx.call(
                    SERVICE,
                    "GetKeyPolicy",
                    partial(kms.get_key_policy, KeyId=arn, PolicyName="default"),
                    resource_id=arn,
                )
                policy = answer.get("Policy") if answer is not None else None
            parsed = ctx.parse(
                KmsKey,
                [{**metadata, "KeyPolicy": policy}],
                service=SERVICE,
                operation="DescribeKey",
                id_key="Arn",
            )
            if not parsed:
                continue
            by_arn[arn] = parsed[0]
        found[key_id] = by_arn[arn]
    return found
