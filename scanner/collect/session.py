"""`collect()`: one account, its regions, into an `Inventory`.

Order of work: check credentials and region locally (no request), `sts:GetCallerIdentity` for the
account and partition, the regions (explicit, enabled via `ec2:DescribeRegions`, or the session's),
then every region (in parallel threads when there are several: EC2 network, ECS, task ENIs, VPC DNS
attributes), then the execution roles once for the account (IAM is global) with their policies and
the managed policy documents, then what the task definitions reference (secrets, parameters, KMS keys,
ECR repository policies and pull-through cache rules, environment-file buckets; `dependencies`), then
the organization's SCPs and RCPs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from scanner.causes import CREDENTIAL_CODES
from scanner.collect import dependencies, ec2, ecs, iam, organizations
from scanner.collect.calls import CLIENT_CONFIG, CallContext, error_code, error_message
from scanner.collect.deadline import Deadline
from scanner.errors import CollectionError, CredentialsError, UsageError
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory
from scanner.results import CollectionErrorRecord

if TYPE_CHECKING:
    import boto3
    from types_boto3_ec2 import EC2Client
    from types_boto3_ecs import ECSClient

ACTIONS = ["sts:GetCallerIdentity"]

NO_CREDENTIALS = (
    "no AWS credentials found; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`"
)
NO_REGION = "no AWS region given; pass --region (or --all-regions), or set AWS_REGION"
# Where the account-wide calls go when no region is configured and all regions were asked for.
BOOTSTRAP_REGION = "us-east-1"
GLOBAL = "global"
MAX_REGION_THREADS = 8


def required_actions() -> list[str]:
    """The IAM actions `collect()` may call: the least-privilege policy of a scanning role."""
    return sorted({*ACTIONS, *ec2.ACTIONS, *ecs.ACTIONS, *iam.ACTIONS, *dependencies.ACTIONS, *organizations.ACTIONS})


def collect(
    session: boto3.session.Session,
    regions: Sequence[str] | None = None,
    *,
    all_regions: bool = False,
    progress: Callable[[str], None] | None = None,
    deadline: Deadline | None = None,
) -> Inventory:
    """Collect the inventory of the session's account.

    `regions` names the regions; `all_regions=True` takes every region enabled for the account instead
    (the two are exclusive); with neither, the session's region. Raises `CredentialsError` when there
    are no credentials or no region, `CollectionError` when the account or its regions cannot be read.
    Every later failed call becomes a `CollectionErrorRecord` in the account's `errors`.

    `progress` gets one line per stage (`us-east-1: ec2 describe-vpc-endpoints`); with several regions
    it is called from the worker threads that collect them.

    After `deadline` no request is sent: the calls not made are recorded as `DeadlineExceeded` errors
    (the account identity is needed to start, so a deadline passed before it is a `CollectionError`).
    """
    if regions and all_regions:
        raise UsageError("pass regions or all_regions, not both")
    _check_credentials(session)
    if deadline is not None:
        deadline.install(session)  # before any client is created: clients copy the session's handlers
    home = session.region_name
    if not regions and not all_regions and not home:
        raise CredentialsError(NO_REGION)
    bootstrap = regions[0] if regions else home or BOOTSTRAP_REGION
    started = datetime.now(UTC)
    account_id, partition = _identity(session, bootstrap, progress)
    if all_regions:
        scan_regions = _enabled_regions(session, bootstrap, account_id, progress)
    else:
        scan_regions = list(dict.fromkeys(regions)) if regions else [bootstrap]

    region_inventories, errors = _collect_regions(session, account_id, scan_regions, progress)
    references = [
        td.execution_role_arn
        for region in region_inventories
        for td in region.task_definitions
        if td.execution_role_arn
    ]
    iam_ctx = CallContext(account_id, GLOBAL, progress)
    iam_client = session.client("iam", region_name=bootstrap, config=CLIENT_CONFIG)
    roles = iam.collect_roles(iam_ctx, iam_client, references)
    role_list = iam.collect_role_policies(iam_ctx, iam_client, roles.roles)
    managed = iam.collect_managed_policies(iam_ctx, iam_client, iam.managed_policy_arns(role_list))
    needed = dependencies.collect_dependencies(session, account_id, partition, region_inventories, progress)
    org_client = session.client("organizations", region_name=bootstrap, config=CLIENT_CONFIG)
    scps = organizations.collect_scps(iam_ctx, org_client, account_id)
    return Inventory(
        collected_at=started,
        accounts=[
            AccountInventory(
                account_id=account_id,
                partition=partition,
                regions=region_inventories,
                roles=role_list,
                missing_roles=roles.missing,
                errors=errors + needed.errors + iam_ctx.errors,
                managed_policies=managed,
                secrets=needed.secrets,
                missing_secrets=needed.missing_secrets,
                ssm_parameters=needed.parameters,
                missing_parameters=needed.missing_parameters,
                kms_keys=needed.kms_keys,
                repository_policies=needed.repository_policies,
                bucket_policies=needed.bucket_policies,
                bucket_locations=needed.bucket_locations,
                bucket_encryptions=needed.bucket_encryptions,
                pull_through_cache_rules=needed.pull_through_cache_rules,
                pull_through_cache_regions=needed.pull_through_cache_regions,
                service_control_policies=scps,
            )
        ],
    )


def _check_credentials(session: boto3.session.Session) -> None:
    try:
        credentials = session.get_credentials()
    except BotoCoreError as exc:  # a credential_process or SSO cache that fails
        raise CredentialsError(f"cannot load AWS credentials: {exc}") from exc
    if credentials is None:
        raise CredentialsError(NO_CREDENTIALS)


def _identity(session: boto3.session.Session, region: str, progress: Callable[[str], None] | None) -> tuple[str, str]:
    if progress is not None:
        progress(f"{region}: sts get-caller-identity")
    try:
        sts = session.client("sts", region_name=region, config=CLIENT_CONFIG)
        identity = sts.get_caller_identity()
    except ValueError as exc:  # botocore's InvalidRegionError for a malformed region name
        raise UsageError(f"{region!r} is not a valid AWS region name") from exc
    except ClientError as exc:
        code = error_code(exc)
        detail = f"sts:GetCallerIdentity in {region}: {code}: {error_message(exc)}"
        if code in CREDENTIAL_CODES:
            raise CredentialsError(f"AWS rejected the credentials ({detail})") from exc
        raise CollectionError(f"cannot identify the AWS account ({detail})") from exc
    except BotoCoreError as exc:
        raise CollectionError(f"cannot identify the AWS account (sts:GetCallerIdentity in {region}: {exc})") from exc
    # arn:<partition>:sts::<account>:...
    return identity["Account"], identity["Arn"].split(":")[1]


def _enabled_regions(
    session: boto3.session.Session, region: str, account_id: str, progress: Callable[[str], None] | None
) -> list[str]:
    CallContext(account_id, region, progress).stage("ec2", "DescribeRegions")
    try:
        return ec2.enabled_regions(session.client("ec2", region_name=region, config=CLIENT_CONFIG))
    except (ClientError, BotoCoreError) as exc:
        raise CollectionError(
            f"cannot list the enabled regions (ec2:DescribeRegions in {region}: {error_code(exc)}); "
            "grant ec2:DescribeRegions or pass the regions explicitly"
        ) from exc


def _collect_regions(
    session: boto3.session.Session,
    account_id: str,
    regions: list[str],
    progress: Callable[[str], None] | None,
) -> tuple[list[RegionInventory], list[CollectionErrorRecord]]:
    # Clients are created here, in one thread: creating them from a shared Session is not thread-safe,
    # using them from several threads is.
    jobs = []
    for region in regions:
        try:
            ec2_client = session.client("ec2", region_name=region, config=CLIENT_CONFIG)
            ecs_client = session.client("ecs", region_name=region, config=CLIENT_CONFIG)
        except ValueError as exc:
            raise UsageError(f"{region!r} is not a valid AWS region name") from exc
        jobs.append((CallContext(account_id, region, progress), ec2_client, ecs_client))
    if len(jobs) == 1:
        inventories = [collect_region(*jobs[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(MAX_REGION_THREADS, len(jobs))) as pool:
            inventories = list(pool.map(lambda job: collect_region(*job), jobs))
    errors = [error for ctx, _, _ in jobs for error in ctx.errors]
    return inventories, errors


def collect_region(ctx: CallContext, ec2_client: EC2Client, ecs_client: ECSClient) -> RegionInventory:
    """Everything of one region; failures land in `ctx.errors`."""
    network = ec2.collect_network(ctx, ec2_client)
    workloads = ecs.collect_ecs(ctx, ecs_client)
    interfaces = ec2.collect_network_interfaces(ctx, ec2_client, workloads.standalone_eni_ids())
    workload_subnets = workloads.workload_subnet_ids()
    workload_vpcs = sorted({s.vpc_id for s in network.subnets if s.subnet_id in workload_subnets})
    dns = ec2.collect_dns_attributes(ctx, ec2_client, workload_vpcs)
    vpcs = [vpc.model_copy(update=dns[vpc.vpc_id]) if vpc.vpc_id in dns else vpc for vpc in network.vpcs]
    return RegionInventory(
        region=ctx.region,
        vpcs=vpcs,
        subnets=network.subnets,
        route_tables=network.route_tables,
        nat_gateways=network.nat_gateways,
        internet_gateways=network.internet_gateways,
        egress_only_internet_gateways=network.egress_only_internet_gateways,
        vpc_endpoints=network.vpc_endpoints,
        security_groups=network.security_groups,
        network_acls=network.network_acls,
        prefix_lists=network.prefix_lists,
        clusters=workloads.clusters,
        services=workloads.services,
        task_definitions=workloads.task_definitions,
        tasks=workloads.tasks,
        network_interfaces=interfaces,
    )
