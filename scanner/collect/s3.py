"""S3: the buckets that task definitions read environment files from, and their bucket policies.

An S3 ARN names no account, so ownership comes from ListBuckets (the scanned account's own buckets, all
pages). For an own bucket, GetBucketPolicy with ExpectedBucketOwner (NoSuchBucketPolicy is data: no
policy). A bucket of another account is recorded as such (`owned=False`): its policy cannot be read from
here. Failures are recorded with the bucket ARN as resource id, so only the workloads reading files from
that bucket are affected. Object contents are never read.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from scanner.collect.calls import Absent, CallContext, counted
from scanner.inventory.iam import BucketEncryption, BucketLocation, BucketPolicy

# The S3 client is typed Any: types-boto3's `s3` stubs are not among the project's test extras.
S3Client = Any

SERVICE = "s3"

# GetBucketEncryption is authorized as s3:GetEncryptionConfiguration (Service Authorization Reference).
ACTIONS = ["s3:GetBucketLocation", "s3:GetBucketPolicy", "s3:GetEncryptionConfiguration", "s3:ListAllMyBuckets"]

NO_POLICY = "NoSuchBucketPolicy"
NO_ENCRYPTION = "ServerSideEncryptionConfigurationNotFoundError"

# GetBucketLocation answers no LocationConstraint (None or "") for us-east-1 and the legacy "EU" for
# eu-west-1 (S3 API reference, GetBucketLocation).
LEGACY_LOCATIONS = {"": "us-east-1", "EU": "eu-west-1"}


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
        request = partial(s3.get_bucket_policy, Bucket=name, ExpectedBucketOwner=ctx.account)
        response = ctx.call_or_absent(SERVICE, "GetBucketPolicy", request, arn, {NO_POLICY})
        if isinstance(response, Absent):
            found.append(BucketPolicy(bucket_arn=arn, owned=True))
        elif response is not None:
            found.append(BucketPolicy(bucket_arn=arn, owned=True, policy=response.get("Policy")))
    return found


def bucket_region(location_constraint: str | None) -> str:
    constraint = location_constraint or ""
    return LEGACY_LOCATIONS.get(constraint, constraint)


def collect_bucket_locations(
    ctx: CallContext, s3: S3Client, partition: str, buckets: Sequence[str]
) -> list[BucketLocation]:
    """The region of each bucket (any owner's: GetBucketLocation is asked of the bucket itself); a failure
    is recorded on the bucket ARN, so only the workloads reading files from that bucket are in doubt."""
    wanted = list(dict.fromkeys(buckets))
    if wanted:
        ctx.stage(SERVICE, "GetBucketLocation", counted(wanted, "bucket"))
    found: list[BucketLocation] = []
    for name in wanted:
        arn = bucket_arn(partition, name)
        response = ctx.call(SERVICE, "GetBucketLocation", partial(s3.get_bucket_location, Bucket=name), arn)
        if response is not None:
            found.append(BucketLocation(bucket_arn=arn, region=bucket_region(response.get("LocationConstraint"))))
    return found


def collect_bucket_encryptions(
    ctx: CallContext, s3: S3Client, partition: str, buckets: Sequence[str]
) -> list[BucketEncryption]:
    """The default encryption of each bucket (ServerSideEncryptionConfigurationNotFoundError is data: none).
    It is the bucket's default only: an object may have been written with another key, which only the
    object's own metadata (never read here) tells."""
    wanted = list(dict.fromkeys(buckets))
    if wanted:
        ctx.stage(SERVICE, "GetBucketEncryption", counted(wanted, "bucket"))
    found: list[BucketEncryption] = []
    for name in wanted:
        arn = bucket_arn(partition, name)
        request = partial(s3.get_bucket_encryption, Bucket=name)
        response = ctx.call_or_absent(SERVICE, "GetEncryptionConfiguration", request, arn, {NO_ENCRYPTION})
        if isinstance(response, Absent):
            found.append(BucketEncryption(bucket_arn=arn))
        if not isinstance(response, dict):
            continue
        rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        rule = next((r for r in rules if "ApplyServerSideEncryptionByDefault" in r), None)
        if rule is None:
            found.append(BucketEncryption(bucket_arn=arn))
            continue
        default = rule["ApplyServerSideEncryptionByDefault"]
        found.append(
            BucketEncryption(
                bucket_arn=arn,
                sse_algorithm=default.get("SSEAlgorithm"),
                kms_key_id=default.get("KMSMasterKeyID") or None,
                bucket_key_enabled=bool(rule.get("BucketKeyEnabled", False)),
            )
        )
    return found
