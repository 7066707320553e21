"""S3: the buckets that task definitions read environment files from, and their bucket policies.

An S3 ARN names no account, so ownership comes from ListBuckets (the scanned account's own buckets, all
pages). For an own bucket, GetBucketPolicy with ExpectedBucketOwner (NoSuchBucketPolicy is data: no
policy). A bucket of another account is recorded as such (`owned=False`): its policy cannot be read from
here. Failures are recorded with the bucket ARN as resource id, so only the workloads reading files from
that bucket are affected. Object contents are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scanner.collect.calls import CallContext, counted, error_code
from scanner.inventory.iam import BucketPolicy

# The S3 client is typed Any: types-boto3's `s3` stubs are not among the project's test extras.
S3Client = Any

SERVICE = "s3"

ACTIONS = ["s3:GetBucketPolicy", "s3:ListAllMyBuckets"]

NO_POLICY = "NoSuchBucketPolicy"


def bucket_arn(partition: str, bucket: str) -> str:
    return f"arn:{partition}:s3:::{bucket}"


def collect_bucket_policies(
    ctx: CallContext, s3: S3Client, partition: str, buckets: Sequence[str]
) -> list[BucketPolicy]:
    """`buckets` are bucket names; one BucketPolicy for each bucket whose ownership and policy are known."""
    wanted = list(dict.fromkeys(buckets))
    if not wanted:
        return []
    ctx.stage(SERVICE, "ListBuckets")
    try:
        owned = {
            bucket["Name"]
            for page in s3.get_paginator("list_buckets").paginate()
            for bucket in page.get("Buckets", [])
            if "Name" in bucket
        }
    except (ClientError, BotoCoreError) as exc:
        # Ownership unknown: an error for each bucket, so each reading workload names it.
        for name in wanted:
            ctx.record_exception(SERVICE, "ListAllMyBuckets", exc, bucket_arn(partition, name))
        return []
    found: list[BucketPolicy] = []
    own = [name for name in wanted if name in owned]
    found += [BucketPolicy(bucket_arn=bucket_arn(partition, name), owned=False) for name in wanted if name not in owned]
    if own:
        ctx.stage(SERVICE, "GetBucketPolicy", counted(own, "bucket"))
    for name in own:
        arn = bucket_arn(partition, name)
        try:
            response = s3.get_bucket_policy(Bucket=name, ExpectedBucketOwner=ctx.account)
        except ClientError as exc:
            if error_code(exc) == NO_POLICY:
                found.append(BucketPolicy(bucket_arn=arn, owned=True))
            else:
                ctx.record_exception(SERVICE, "GetBucketPolicy", exc, arn)
            continue
        except BotoCoreError as exc:
            ctx.record_exception(SERVICE, "GetBucketPolicy", exc, arn)
            continue
        found.append(BucketPolicy(bucket_arn=arn, owned=True, policy=response.get("Policy")))
    return found
