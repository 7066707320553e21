"""What the Fargate task definitions depend on beyond the network, for the execution-role rules.

From the collected task definitions: the Secrets Manager secrets and SSM parameters they reference
(scanner.inventory.references), and the private ECR repositories their images come from (their
repository policies, in this account as in others).
Each is read in its own region, regions in parallel threads as `session._collect_regions` does; then
the KMS keys those secrets and SecureString parameters use, again per region (an alias or a key id only
means something in its own region).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from scanner.collect import ecr, kms, s3, secrets, ssm
from scanner.collect.calls import CLIENT_CONFIG, CallContext
from scanner.inventory.iam import (
    BucketEncryption,
    BucketLocation,
    BucketPolicy,
    KmsKey,
    PullThroughCacheRule,
    RepositoryPolicy,
    SecretMetadata,
    SsmParameter,
)
from scanner.inventory.images import parse_image
from scanner.inventory.references import task_references
from scanner.inventory.root import RegionInventory
from scanner.results import CollectionErrorRecord

if TYPE_CHECKING:
    import boto3
    from types_boto3_kms import KMSClient
    from types_boto3_secretsmanager import SecretsManagerClient
    from types_boto3_ssm import SSMClient

ACTIONS = [*secrets.ACTIONS, *ssm.ACTIONS, *kms.ACTIONS, *ecr.ACTIONS, *s3.ACTIONS]

MAX_THREADS = 8
SECURE_STRING = "SecureString"

J = TypeVar("J")
R = TypeVar("R")


@dataclass
class Wanted:
    """What to read, per region."""

    secret_ids: dict[str, list[str]] = field(default_factory=dict)
    parameter_names: dict[str, list[str]] = field(default_factory=dict)
    repositories: dict[str, list[str]] = field(default_factory=dict)
    # The regions where images come from the account's own registry (pull-through cache rules apply).
    own_registry_regions: set[str] = field(default_factory=set)
    # The buckets environment files are read from (S3 is global: read once, from the first region).
    buckets: list[str] = field(default_factory=list)

    @property
    def regions(self) -> list[str]:
        return sorted({*self.secret_ids, *self.parameter_names, *self.repositories})


@dataclass
class Dependencies:
    secrets: list[SecretMetadata] = field(default_factory=list)
    missing_secrets: list[str] = field(default_factory=list)
    parameters: list[SsmParameter] = field(default_factory=list)
    missing_parameters: list[str] = field(default_factory=list)
    kms_keys: list[KmsKey] = field(default_factory=list)
    repository_policies: list[RepositoryPolicy] = field(default_factory=list)
    bucket_policies: list[BucketPolicy] = field(default_factory=list)
    bucket_locations: list[BucketLocation] = field(default_factory=list)
    bucket_encryptions: list[BucketEncryption] = field(default_factory=list)
    pull_through_cache_rules: list[PullThroughCacheRule] = field(default_factory=list)
    pull_through_cache_regions: list[str] = field(default_factory=list)
    errors: list[CollectionErrorRecord] = field(default_factory=list)


def wanted(regions: Sequence[RegionInventory], account_id: str, partition: str) -> Wanted:
    found = Wanted()
    for region in regions:
        for task_definition in region.task_definitions:
            for reference in task_references(task_definition, region.region, account_id, partition):
                if reference.secret is not None:
                    found.secret_ids.setdefault(reference.secret.region, []).append(reference.secret.value)
                if reference.kind == "ssm" and reference.secret is None and reference.parameter_arn:
                    fields = reference.parameter_arn.split(":")
                    if fields[4] == account_id and reference.parameter_name:
                        found.parameter_names.setdefault(fields[3], []).append(reference.parameter_name)
            for container in task_definition.container_definitions:
                for environment_file in container.environment_files:
                    if environment_file.type == "s3" and environment_file.value.startswith("arn:"):
                        bucket = environment_file.value.split(":", 5)[-1].split("/", 1)[0]
                        if bucket and bucket not in found.buckets:
                            found.buckets.append(bucket)
                image = parse_image(container.image, region.region)
                arn = image.repository_arn
                if arn is not None and image.region is not None:
                    found.repositories.setdefault(image.region, []).append(arn)
                    if image.account == account_id:
                        found.own_registry_regions.add(image.region)
    return found


def collect_dependencies(
    session: boto3.session.Session,
    account_id: str,
    partition: str,
    regions: Sequence[RegionInventory],
    progress: Callable[[str], None] | None = None,
) -> Dependencies:
    want = wanted(regions, account_id, partition)
    result = Dependencies()
    # Clients are created here, in one thread (see session._collect_regions).
    jobs = [
        _RegionJob(
            CallContext(account_id, region, progress),
            session.client("secretsmanager", region_name=region, config=CLIENT_CONFIG),
            session.client("ssm", region_name=region, config=CLIENT_CONFIG),
            session.client("ecr", region_name=region, config=CLIENT_CONFIG),
        )
        for region in want.regions
    ]

    def first_pass(
        job: _RegionJob,
    ) -> tuple[secrets.Secrets, ssm.Parameters, list[RepositoryPolicy], list[PullThroughCacheRule] | None]:
        region = job.ctx.region
        rules = None
        if region in want.own_registry_regions:
            rules = ecr.collect_pull_through_cache_rules(job.ctx, job.ecr)
        return (
            secrets.collect_secrets(job.ctx, job.secretsmanager, want.secret_ids.get(region, [])),
            ssm.collect_parameters(job.ctx, job.ssm, want.parameter_names.get(region, []), partition),
            ecr.collect_repository_policies(job.ctx, job.ecr, want.repositories.get(region, [])),
            rules,
        )

    for job, answers in zip(jobs, _parallel(jobs, first_pass), strict=True):
        found_secrets, found_parameters, policies, rules = answers
        result.secrets += found_secrets.secrets
        result.missing_secrets += found_secrets.missing
        result.parameters += found_parameters.parameters
        result.missing_parameters += found_parameters.missing
        result.repository_policies += policies
        if rules is not None:
            result.pull_through_cache_rules += rules
            result.pull_through_cache_regions.append(job.ctx.region)
        result.errors += job.ctx.errors
    # The buckets first: their default encryption may name a KMS key, described with the others.
    if want.buckets:
        home = regions[0].region if regions else "us-east-1"
        ctx = CallContext(account_id, home, progress)
        client = session.client("s3", region_name=home, config=CLIENT_CONFIG)
        result.bucket_policies = s3.collect_bucket_policies(ctx, client, partition, want.buckets)
        result.bucket_locations = s3.collect_bucket_locations(ctx, client, partition, want.buckets)
        result.bucket_encryptions = s3.collect_bucket_encryptions(ctx, client, partition, want.buckets)
        result.errors += ctx.errors
    _collect_keys(session, account_id, result, progress)
    return result


@dataclass
class _RegionJob:
    ctx: CallContext
    secretsmanager: SecretsManagerClient
    ssm: SSMClient
    ecr: Any


def _key_region(key_id: str, owner_arn: str) -> str:
    """Where a key reference means something: its own ARN's region, else its owner's."""
    source = key_id if key_id.startswith("arn:") else owner_arn
    return source.split(":")[3]


def _collect_keys(
    session: boto3.session.Session, account_id: str, result: Dependencies, progress: Callable[[str], None] | None
) -> None:
    references: dict[str, list[str]] = {}
    for secret in result.secrets:
        if secret.kms_key_id:
            references.setdefault(_key_region(secret.kms_key_id, secret.arn), []).append(secret.kms_key_id)
    for parameter in result.parameters:
        if parameter.type == SECURE_STRING and parameter.key_id:
            references.setdefault(_key_region(parameter.key_id, parameter.arn), []).append(parameter.key_id)
    bucket_regions = {b.bucket_arn: b.region for b in result.bucket_locations}
    for encryption in result.bucket_encryptions:
        region = _bucket_key_region(encryption, bucket_regions)
        if encryption.uses_kms and encryption.kms_key_id and region is not None:
            references.setdefault(region, []).append(encryption.kms_key_id)
    jobs = [
        (
            CallContext(account_id, region, progress),
            session.client("kms", region_name=region, config=CLIENT_CONFIG),
            ids,
        )
        for region, ids in sorted(references.items())
    ]

    def describe(job: tuple[CallContext, KMSClient, list[str]]) -> dict[str, KmsKey]:
        ctx, client, ids = job
        return kms.collect_keys(ctx, client, ids)

    resolved: dict[tuple[str, str], KmsKey] = {}
    keys: dict[str, KmsKey] = {}
    for (ctx, _, _), found in zip(jobs, _parallel(jobs, describe), strict=True):
        result.errors += ctx.errors
        for key_id, key in found.items():
            resolved[(ctx.region, key_id)] = key
            keys.setdefault(key.arn, key)
    result.kms_keys = list(keys.values())

    def arn_of(key_id: str | None, owner_arn: str) -> str | None:
        if not key_id:
            return None
        key = resolved.get((_key_region(key_id, owner_arn), key_id))
        return key.arn if key is not None else None

    result.secrets = [
        s.model_copy(update={"kms_key_arn": arn_of(s.kms_key_id, s.arn)}) if s.kms_key_id else s for s in result.secrets
    ]
    result.parameters = [
        p.model_copy(update={"kms_key_arn": arn_of(p.key_id, p.arn)}) if p.type == SECURE_STRING else p
        for p in result.parameters
    ]

    def bucket_key_arn(encryption: BucketEncryption) -> str | None:
        region = _bucket_key_region(encryption, bucket_regions)
        if not encryption.kms_key_id or region is None:
            return None
        key = resolved.get((region, encryption.kms_key_id))
        return key.arn if key is not None else None

    result.bucket_encryptions = [
        e.model_copy(update={"kms_key_arn": bucket_key_arn(e)}) if e.uses_kms else e for e in result.bucket_encryptions
    ]


def _bucket_key_region(encryption: BucketEncryption, bucket_regions: dict[str, str]) -> str | None:
    """A bucket's key: its ARN's region, else the bucket's (an alias or key id means something only there);
    None when neither is known."""
    key_id = encryption.kms_key_id or ""
    if key_id.startswith("arn:"):
        return key_id.split(":")[3]
    return bucket_regions.get(encryption.bucket_arn)


def _parallel(jobs: Sequence[J], work: Callable[[J], R]) -> list[R]:
    if len(jobs) <= 1:
        return [work(job) for job in jobs]
    with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(jobs))) as pool:
        return list(pool.map(work, jobs))
