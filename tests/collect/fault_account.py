"""The account of the fault matrix: a moto account with at least one FAIL of every bundled rule, and every
read operation of the collector exercised at least once.

Built with plain boto3 calls on top of `tests.awsfixtures` (never CloudFormation). Four VPCs:

- `fault-compliant`: the compliant baseline (every rule PASSes there), plus more services in it:
  one whose execution role (attached customer managed policy and a permissions boundary) lacks
  secretsmanager:GetSecretValue (VPCE007 FAIL), one with a Docker Hub image (VPCE011 FAIL), and one that
  PASSes while reading a secret and a SecureString parameter under a customer managed KMS key and an
  image from another account's ECR repository (so Secrets Manager, SSM, KMS and ECR are all read).
  And one more, whose role may read its secret but the OU's SCP denies it (VPCE007 FAIL that only the
  SCPs prove: reading them partly, e.g. ListParents stopping at an empty first page, turns it PASS), and
  one whose secret the root's RCP denies to every principal (VPCE007 FAIL that only the RCPs prove).
  Three more VPCE007 FAILs read the execution role's other dependencies: an environment file in a bucket
  of the account (ListBuckets, GetBucketPolicy, GetBucketLocation: a bucket of this region, so the S3
  gateway endpoint serves it; GetBucketEncryption: SSE-S3, no key to decrypt with) that the role may not
  s3:GetObject; one more in a bucket encrypted by default under a customer managed key (GetBucketEncryption,
  then DescribeKey on its alias) that the role may not kms:Decrypt; an image under a
  pull-through cache rule (DescribePullThroughCacheRules) that the role may pull but not import from
  upstream; and an own repository whose policy denies the pull that the role allows (GetRepositoryPolicy).
- `fault-broken`: no logs endpoint (VPCE001), ecr.dkr without private DNS (VPCE002), the ecr.api
  endpoint in one AZ of two (VPCE003), an endpoint group open to 0.0.0.0/0 (VPCE004), task egress
  without the S3 prefix list (VPCE005), a NAT default route (VPCE006), a secretsmanager endpoint policy
  that admits another principal only (VPCE008), a network ACL denying tcp/443 out (VPCE009).
- `fault-tasks`: a standalone Fargate task (its groups only on its ENI) with an internet gateway
  default route (VPCE006 on the task family).
- `fault-single-az`: one AZ (VPCE010), enableDnsHostnames off (VPCE002 on a VPC attribute), and task
  egress and ACL that allow every CIDR of the S3 prefix list but the last (VPCE005 and VPCE009 FAILs that
  only the complete prefix list proves).

Endpoints replaced to plant a FAIL stay listed in state `deleted`, as AWS lists them for a while after
deletion: a rule must not take one of them for the live endpoint.

The account belongs to an organization with an OU between the root and the account, each level with
an SCP. moto answers Organizations only for the management account, and SCPs never apply to the
management account, so `AwsLayer` reports another management account in DescribeOrganization: the
collector then walks the OU path as a delegated administrator would.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal
from xml.sax.saxutils import escape

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ReadTimeoutError
from botocore.model import OperationModel

from tests.awsfixtures import (
    DOCKER_HUB_IMAGE,
    ECS_TASKS_TRUST,
    SCENARIOS,
    AccountFixture,
    ScenarioFixture,
    add_fargate_service,
    build_account,
    create_private_service,
    register_task_definition,
)

REGION = "us-east-1"
OTHER_ACCOUNT = "111122223333"  # owns the shared ECR repository
DELEGATED_MANAGEMENT_ACCOUNT = "999988887777"  # what DescribeOrganization reports (see module docstring)

_BASE = SCENARIOS["compliant"]
FAULT_SCENARIOS = {
    "fault-compliant": replace(_BASE, description="the compliant baseline and extra services"),
    "fault-broken": replace(
        _BASE,
        description="one broken thing per network rule",
        interface_services=tuple(s for s in _BASE.interface_services if s != "logs"),
        private_dns_off=frozenset({"ecr.dkr"}),
        endpoint_sg_open=True,
        default_route="nat",
    ),
    "fault-tasks": replace(
        SCENARIOS["standalone-task"], description="a standalone task behind an IGW route", default_route="igw"
    ),
    "fault-single-az": replace(
        SCENARIOS["single-az"], description="one AZ, VPC DNS hostnames off", dns_hostnames=False
    ),
}

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


@dataclass(frozen=True)
class FaultAccount:
    fixture: AccountFixture
    # The endpoints of the VPC that runs the standalone tasks, and the tasks' family names.
    task_vpc_endpoints: frozenset[str]
    task_family_ids: frozenset[str]


def build_fault_account() -> FaultAccount:
    """In the current moto account (under `mock_aws`, with ECS tasks pinned)."""
    session = boto3.Session()
    # build_account knows scenarios by name: these are known to it for the build only.
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, spec in FAULT_SCENARIOS.items():
            monkeypatch.setitem(SCENARIOS, name, spec)
        fixture = build_account(session, REGION, list(FAULT_SCENARIOS))
    clients = _Clients(session)
    compliant = fixture["fault-compliant"]
    _plant_role_without_secret(session, clients, fixture, compliant)
    _docker_hub_service(clients, fixture, compliant)
    _kms_ssm_cross_account_service(clients, fixture, compliant)
    broken = fixture["fault-broken"]
    _single_az_endpoint(clients, broken, "ecr.api")
    _no_s3_egress(clients, broken, fixture.shared.s3_prefix_list_id)
    _restrictive_endpoint_policy(clients, broken, "secretsmanager", fixture.shared.account_id)
    _nacl_denies_https_out(clients, broken)
    single_az = fixture["fault-single-az"]
    _s3_cidrs_but_the_last(clients, single_az, fixture.shared.s3_prefix_list_id)
    _environment_file_service(clients, fixture, compliant)
    _encrypted_environment_file_service(clients, fixture, compliant)
    _pull_through_cache_service(clients, fixture, compliant)
    _repository_policy_denied_service(clients, fixture, compliant)
    denied_secret = _scp_denied_service(clients, fixture, compliant)
    rcp_denied_secret = _rcp_denied_service(clients, fixture, compliant)
    _organization(clients, denied_secret, rcp_denied_secret)
    tasks = fixture["fault-tasks"]
    return FaultAccount(
        fixture=fixture,
        task_vpc_endpoints=frozenset(tasks.endpoint_ids.values()),
        task_family_ids=frozenset({tasks.name}),
    )


class _Clients:
    def __init__(self, session: boto3.Session) -> None:
        self.ec2: Any = session.client("ec2", region_name=REGION)
        self.ecs: Any = session.client("ecs", region_name=REGION)
        self.iam: Any = session.client("iam", region_name=REGION)
        self.kms: Any = session.client("kms", region_name=REGION)
        self.ssm: Any = session.client("ssm", region_name=REGION)
        self.ecr: Any = session.client("ecr", region_name=REGION)
        self.secrets: Any = session.client("secretsmanager", region_name=REGION)
        self.org: Any = session.client("organizations", region_name=REGION)
        self.s3: Any = session.client("s3", region_name=REGION)


def _role(clients: _Clients, name: str, inline: dict[str, Any] | None = None) -> str:
    arn = str(
        clients.iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST))["Role"]["Arn"]
    )
    if inline is not None:
        clients.iam.put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=json.dumps(inline))
    return arn


def _pull_and_log(fixture: AccountFixture) -> list[dict[str, Any]]:
    shared = fixture.shared
    return [
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Effect": "Allow",
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            "Resource": [
                f"arn:aws:ecr:{REGION}:{shared.account_id}:repository/app",
                f"arn:aws:ecr:{REGION}:{OTHER_ACCOUNT}:repository/shared",
            ],
        },
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"arn:aws:logs:{REGION}:{shared.account_id}:log-group:{shared.log_group}:*",
        },
    ]


def _plant_role_without_secret(
    session: boto3.Session, clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture
) -> None:
    """VPCE007 FAIL read through ListAttachedRolePolicies, GetPolicy, GetPolicyVersion and a boundary."""
    name = "fault-role-no-secret"
    arn = _role(clients, name)
    managed = clients.iam.create_policy(
        PolicyName="fault-pull-and-log",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": _pull_and_log(fixture)}),
    )["Policy"]["Arn"]
    boundary = clients.iam.create_policy(PolicyName="fault-boundary", PolicyDocument=json.dumps(ALLOW_ALL))["Policy"][
        "Arn"
    ]
    clients.iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    clients.iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=boundary)
    add_fargate_service(
        session, fixture.shared, vpc, "fault-no-secret", arn, secrets=[("DB_PASSWORD", fixture.shared.secret_arn)]
    )


def _docker_hub_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> None:
    """VPCE011 FAIL: an image from Docker Hub, in the compliant VPC."""
    shared = fixture.shared
    definition = register_task_definition(
        clients.ecs, shared, "fault-docker-hub", shared.execution_role_arn, DOCKER_HUB_IMAGE, []
    )
    _service(clients, fixture, vpc, "fault-docker-hub", definition)


def _service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture, name: str, definition: str) -> None:
    create_private_service(clients.ecs, fixture.shared, vpc, name, definition)


def _kms_ssm_cross_account_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> None:
    """A PASSing service that reads a secret and a SecureString parameter under a customer managed key, and
    pulls from another account's repository (whose policy admits this account)."""
    shared = fixture.shared
    key_arn = clients.kms.create_key(Description="fault matrix key")["KeyMetadata"]["Arn"]
    secret_arn = clients.secrets.create_secret(Name="fault/kms-secret", SecretString="x", KmsKeyId=key_arn)["ARN"]
    clients.ssm.put_parameter(Name="/fault/param", Value="x", Type="SecureString", KeyId=key_arn)
    parameter_arn = f"arn:aws:ssm:{REGION}:{shared.account_id}:parameter/fault/param"
    clients.ecr.create_repository(registryId=OTHER_ACCOUNT, repositoryName="shared")
    clients.ecr.set_repository_policy(
        registryId=OTHER_ACCOUNT,
        repositoryName="shared",
        policyText=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "pull",
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{shared.account_id}:root"},
                        "Action": [
                            "ecr:BatchCheckLayerAvailability",
                            "ecr:GetDownloadUrlForLayer",
                            "ecr:BatchGetImage",
                        ],
                    }
                ],
            }
        ),
    )
    name = "fault-kms-role"
    statements = [
        *_pull_and_log(fixture),
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": parameter_arn},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn},
    ]
    role_arn = _role(clients, name, {"Version": "2012-10-17", "Statement": statements})
    image = f"{OTHER_ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/shared:1"
    definition = register_task_definition(
        clients.ecs, shared, "fault-kms", role_arn, image, [("SECRET", secret_arn), ("PARAM", parameter_arn)]
    )
    _service(clients, fixture, vpc, "fault-kms", definition)


def _single_az_endpoint(clients: _Clients, vpc: ScenarioFixture, service: str) -> None:
    """VPCE003: the endpoint again, with an interface in the first AZ only."""
    clients.ec2.delete_vpc_endpoints(VpcEndpointIds=[vpc.endpoint_ids[service]])
    vpc.endpoint_ids[service] = clients.ec2.create_vpc_endpoint(
        VpcId=vpc.vpc_id,
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{REGION}.{service}",
        SubnetIds=[vpc.subnet_ids[0]],
        SecurityGroupIds=[vpc.endpoint_sg_id],
        PrivateDnsEnabled=True,
    )["VpcEndpoint"]["VpcEndpointId"]


def _no_s3_egress(clients: _Clients, vpc: ScenarioFixture, prefix_list_id: str) -> None:
    """VPCE005: the task group no longer allows tcp/443 out to the S3 prefix list."""
    clients.ec2.revoke_security_group_egress(
        GroupId=vpc.task_sg_id,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "PrefixListIds": [{"PrefixListId": prefix_list_id}]}
        ],
    )


def _restrictive_endpoint_policy(clients: _Clients, vpc: ScenarioFixture, service: str, account_id: str) -> None:
    """VPCE008: the endpoint again, with a policy that admits another role only."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:role/someone-else"},
                "Action": "*",
                "Resource": "*",
            }
        ],
    }
    clients.ec2.delete_vpc_endpoints(VpcEndpointIds=[vpc.endpoint_ids[service]])
    vpc.endpoint_ids[service] = clients.ec2.create_vpc_endpoint(
        VpcId=vpc.vpc_id,
        VpcEndpointType="Interface",
        ServiceName=f"com.amazonaws.{REGION}.{service}",
        SubnetIds=list(vpc.subnet_ids),
        SecurityGroupIds=[vpc.endpoint_sg_id],
        PrivateDnsEnabled=True,
        PolicyDocument=json.dumps(policy),
    )["VpcEndpoint"]["VpcEndpointId"]


def _nacl_denies_https_out(clients: _Clients, vpc: ScenarioFixture) -> None:
    """VPCE009: the task subnets' ACL denies tcp/443 out before allowing everything."""
    ec2 = clients.ec2
    acl = ec2.create_network_acl(VpcId=vpc.vpc_id)["NetworkAcl"]["NetworkAclId"]
    entries = [
        (True, 50, "6", (443, 443), "deny"),
        (True, 100, "-1", None, "allow"),
        (False, 100, "-1", None, "allow"),
    ]
    for egress, number, protocol, ports, action in entries:
        extra = {"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol=protocol,
            RuleAction=action,
            Egress=egress,
            CidrBlock="0.0.0.0/0",
            **extra,
        )
    _associate_acl(clients, vpc, acl)


def _s3_cidrs_but_the_last(clients: _Clients, vpc: ScenarioFixture, prefix_list_id: str) -> None:
    """VPCE005 and VPCE009 FAILs that only the whole S3 prefix list proves: the task group's egress and the
    subnet's ACL allow tcp/443 to every CIDR of the list but the last, by CIDR (not by prefix-list id).
    Taking page 1 of GetManagedPrefixListEntries for the whole list would turn both into PASS."""
    ec2 = clients.ec2
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=prefix_list_id)["Entries"]
    allowed = [e["Cidr"] for e in entries[:-1]]
    assert len(entries) >= 2, "the S3 prefix list needs two CIDRs for a partial page"
    _no_s3_egress(clients, vpc, prefix_list_id)
    ec2.authorize_security_group_egress(
        GroupId=vpc.task_sg_id,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": c} for c in allowed]}
        ],
    )
    acl = ec2.create_network_acl(VpcId=vpc.vpc_id)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0"
    )
    for number, cidr in enumerate(allowed, 100):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol="6",
            RuleAction="allow",
            Egress=True,
            CidrBlock=cidr,
            PortRange={"From": 443, "To": 443},
        )
    _associate_acl(clients, vpc, acl)


def _associate_acl(clients: _Clients, vpc: ScenarioFixture, acl: str) -> None:
    ec2 = clients.ec2
    for subnet_id in vpc.subnet_ids:
        current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        association = next(
            a["NetworkAclAssociationId"]
            for n in current["NetworkAcls"]
            for a in n["Associations"]
            if a["SubnetId"] == subnet_id
        )
        ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)


ENVIRONMENT_BUCKET = "fault-environment-files"
PULL_THROUGH_PREFIX = "docker-hub"
DENYING_REPOSITORY = "fault-denied-pull"


def _role_for(clients: _Clients, fixture: AccountFixture, name: str, extra: list[dict[str, Any]]) -> str:
    """A role that may pull the matrix's images and write its logs, plus `extra` statements."""
    statements = [*_pull_and_log(fixture), *extra]
    return _role(clients, name, {"Version": "2012-10-17", "Statement": statements})


def _environment_file_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> None:
    """VPCE007 FAIL read through ListBuckets and GetBucketPolicy: the task definition reads an environment
    file from a bucket of the account, whose bucket policy grants nothing, and the role may only
    s3:GetBucketLocation, not s3:GetObject. An own bucket's policy could grant the read on its own, so
    without it (or without knowing the bucket is the account's) the FAIL is undecided, never PASS."""
    shared = fixture.shared
    clients.s3.create_bucket(Bucket=ENVIRONMENT_BUCKET)
    clients.s3.put_object(Bucket=ENVIRONMENT_BUCKET, Key="app.env", Body=b"MODE=fault\n")
    bucket_arn = f"arn:aws:s3:::{ENVIRONMENT_BUCKET}"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "tls-only",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    clients.s3.put_bucket_policy(Bucket=ENVIRONMENT_BUCKET, Policy=json.dumps(policy))
    role_arn = _role_for(
        clients,
        fixture,
        "fault-env-file-role",
        [{"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn}],
    )
    definition = register_task_definition(
        clients.ecs,
        shared,
        "fault-env-file",
        role_arn,
        f"{shared.repository_uri}:1",
        [],
        environment_files=[f"{bucket_arn}/app.env"],
    )
    _service(clients, fixture, vpc, "fault-env-file", definition)


ENCRYPTED_ENVIRONMENT_BUCKET = "fault-environment-files-kms"


def _encrypted_environment_file_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> None:
    """VPCE007 FAIL that only the bucket's default encryption proves (GetBucketEncryption, then DescribeKey
    on the alias it names, in the bucket's region from GetBucketLocation): the role may read the file and
    locate its bucket, but not kms:Decrypt with the customer managed key the bucket encrypts under."""
    shared = fixture.shared
    key_arn = clients.kms.create_key(Description="fault matrix environment files")["KeyMetadata"]["Arn"]
    clients.kms.create_alias(AliasName="alias/fault-environment-files", TargetKeyId=key_arn)
    clients.s3.create_bucket(Bucket=ENCRYPTED_ENVIRONMENT_BUCKET)
    clients.s3.put_bucket_encryption(
        Bucket=ENCRYPTED_ENVIRONMENT_BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "alias/fault-environment-files",
                    }
                }
            ]
        },
    )
    clients.s3.put_object(Bucket=ENCRYPTED_ENVIRONMENT_BUCKET, Key="app.env", Body=b"MODE=fault\n")
    bucket_arn = f"arn:aws:s3:::{ENCRYPTED_ENVIRONMENT_BUCKET}"
    role_arn = _role_for(
        clients,
        fixture,
        "fault-env-file-kms-role",
        [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{bucket_arn}/*"},
            {"Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn},
        ],
    )
    definition = register_task_definition(
        clients.ecs,
        shared,
        "fault-env-file-kms",
        role_arn,
        f"{shared.repository_uri}:1",
        [],
        environment_files=[f"{bucket_arn}/app.env"],
    )
    _service(clients, fixture, vpc, "fault-env-file-kms", definition)


def _pull_through_cache_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> None:
    """VPCE007 FAIL read through DescribePullThroughCacheRules: the image is in an own repository under a
    pull-through cache rule (not created yet: GetRepositoryPolicy answers RepositoryNotFoundException), and
    the role may pull it but not ecr:BatchImportUpstreamImage nor ecr:CreateRepository. Without the rules,
    whether the pull imports from upstream is unknown: ERROR, never PASS."""
    shared = fixture.shared
    clients.ecr.create_pull_through_cache_rule(
        ecrRepositoryPrefix=PULL_THROUGH_PREFIX, upstreamRegistryUrl="registry-1.docker.io"
    )
    repository = f"{PULL_THROUGH_PREFIX}/library/nginx"
    repository_arn = f"arn:aws:ecr:{REGION}:{shared.account_id}:repository/{repository}"
    pull = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    role_arn = _role_for(
        clients, fixture, "fault-ptc-role", [{"Effect": "Allow", "Action": pull, "Resource": repository_arn}]
    )
    image = f"{shared.account_id}.dkr.ecr.{REGION}.amazonaws.com/{repository}:1.27"
    definition = register_task_definition(clients.ecs, shared, "fault-pull-through", role_arn, image, [])
    _service(clients, fixture, vpc, "fault-pull-through", definition)


def _repository_policy_denied_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> None:
    """VPCE007 FAIL that only an own repository's policy proves: the role may pull, the repository policy
    denies ecr:BatchGetImage to every principal. Without that policy the pull must not PASS."""
    shared = fixture.shared
    clients.ecr.create_repository(repositoryName=DENYING_REPOSITORY)
    repository_arn = f"arn:aws:ecr:{REGION}:{shared.account_id}:repository/{DENYING_REPOSITORY}"
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "frozen", "Effect": "Deny", "Principal": "*", "Action": "ecr:BatchGetImage"}],
    }
    clients.ecr.set_repository_policy(repositoryName=DENYING_REPOSITORY, policyText=json.dumps(deny))
    pull = ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"]
    role_arn = _role_for(
        clients, fixture, "fault-repo-deny-role", [{"Effect": "Allow", "Action": pull, "Resource": repository_arn}]
    )
    image = f"{shared.account_id}.dkr.ecr.{REGION}.amazonaws.com/{DENYING_REPOSITORY}:1"
    definition = register_task_definition(clients.ecs, shared, "fault-repo-deny", role_arn, image, [])
    _service(clients, fixture, vpc, "fault-repo-deny", definition)


def _rcp_denied_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> str:
    """A service whose role may read its secret, but the root's RCP denies reading it (VPCE007 FAIL that
    only the RCPs prove). Returns the secret's ARN."""
    shared = fixture.shared
    secret_arn = str(clients.secrets.create_secret(Name="fault/rcp-denied", SecretString="x")["ARN"])
    role_arn = _role_for(
        clients,
        fixture,
        "fault-rcp-role",
        [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn}],
    )
    definition = register_task_definition(
        clients.ecs, shared, "fault-rcp-denied", role_arn, f"{shared.repository_uri}:1", [("SECRET", secret_arn)]
    )
    _service(clients, fixture, vpc, "fault-rcp-denied", definition)
    return secret_arn


def _scp_denied_service(clients: _Clients, fixture: AccountFixture, vpc: ScenarioFixture) -> str:
    """A service whose role may read its secret, but the OU's SCP denies it (VPCE007 FAIL that only the
    SCPs prove). Returns the secret's ARN."""
    shared = fixture.shared
    secret_arn = str(clients.secrets.create_secret(Name="fault/scp-denied", SecretString="x")["ARN"])
    statements = [
        *_pull_and_log(fixture),
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
    ]
    role_arn = _role(clients, "fault-scp-role", {"Version": "2012-10-17", "Statement": statements})
    definition = register_task_definition(
        clients.ecs, shared, "fault-scp-denied", role_arn, f"{shared.repository_uri}:1", [("SECRET", secret_arn)]
    )
    _service(clients, fixture, vpc, "fault-scp-denied", definition)
    return secret_arn


def _organization(clients: _Clients, denied_secret_arn: str, rcp_denied_secret_arn: str) -> None:
    """Root -> OU -> account; the OU's SCP allows everything but reading `denied_secret_arn`, the root's
    RCP denies reading `rcp_denied_secret_arn` to every principal."""
    org = clients.org
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    unit = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
    account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=unit)
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": denied_secret_arn},
        ],
    }
    policy = org.create_policy(
        Content=json.dumps(deny), Description="one secret off limits", Name="deny-secret", Type="SERVICE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=unit)
    org.enable_policy_type(RootId=root, PolicyType="RESOURCE_CONTROL_POLICY")
    rcp = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": rcp_denied_secret_arn,
            }
        ],
    }
    rcp_id = org.create_policy(
        Content=json.dumps(rcp), Description="one secret sealed", Name="seal-secret", Type="RESOURCE_CONTROL_POLICY"
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=rcp_id, TargetId=root)


class ReusedClients:
    """The session handed to `collect()`, making each (service, region) client once: creating botocore
    clients is most of the cost of a replayed collection. Everything else is the wrapped session's."""

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        self._clients: dict[tuple[str, str | None], Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def client(self, service_name: str, region_name: str | None = None, **kwargs: Any) -> Any:
        made = self._clients.get((service_name, region_name))
        if made is None:
            made = self._session.client(service_name, region_name=region_name, **kwargs)  # type: ignore[call-overload]
            self._clients[(service_name, region_name)] = made
        return made


# --- Faults -----------------------------------------------------------------------------------------

FaultKind = Literal["denied", "throttled", "timeout", "second_page"]
# A continuation token no AWS service would issue: the request that carries it is the injected page 2.
PAGE_TWO_TOKEN = "fault-matrix-page-2"
# What AWS answers a denied call with, by protocol family (EC2 has its own code).
DENIED_CODES = {"ec2": "UnauthorizedOperation", "iam": "AccessDenied", "sts": "AccessDenied"}
DENIED_DEFAULT = "AccessDeniedException"
SERVER_ERROR = ("InternalError", 500)
# What AWS answers a throttled call with, once the client's retries are spent.
THROTTLED_CODES = {"ec2": ("RequestLimitExceeded", 503), "iam": ("Throttling", 400), "sts": ("Throttling", 400)}
THROTTLED_DEFAULT = ("ThrottlingException", 400)


@dataclass(frozen=True)
class Fault:
    action: str  # IAM spelling, as the collector's ACTIONS: "ec2:DescribeSecurityGroups"
    kind: FaultKind

    @property
    def id(self) -> str:
        return f"{self.action}-{self.kind}"


class _RawBody:
    """Just enough of urllib3's response for botocore's AWSResponse."""

    def __init__(self, content: bytes = b"") -> None:
        self.content = content

    def stream(self, **_: object) -> Iterator[bytes]:
        yield self.content


def _response(status: int, content: bytes = b"") -> AWSResponse:
    return AWSResponse("https://fault-matrix.invalid", status, HTTPHeaders(), _RawBody(content))


def _error(code: str, status: int, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    # The body is the XML error document AWS sends: botocore's own after-call handler for
    # s3:GetBucketLocation parses the raw body even of an error answer.
    body = f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>".encode()
    return _response(status, body), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


# The API operations whose IAM action has another name (Service Authorization Reference).
IAM_ACTIONS = {"s3:ListBuckets": "s3:ListAllMyBuckets", "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration"}
API_OPERATIONS = {action: api for api, action in IAM_ACTIONS.items()}


def action_of(model: OperationModel) -> str:
    """The IAM action of the API operation, as the collector's ACTIONS spell it."""
    api = f"{model.service_model.signing_name}:{model.name}"
    return IAM_ACTIONS.get(api, api)


_PAGINATORS = botocore.session.get_session()


def paginator_config(action: str, service_name: str) -> dict[str, Any] | None:
    """botocore's paginator model of the operation (tokens, result keys), or None when not paginated."""
    operation = API_OPERATIONS.get(action, action).split(":", 1)[1]
    try:
        return dict(_PAGINATORS.get_paginator_model(service_name).get_paginator(operation))
    except ValueError:
        return None


@dataclass
class AwsLayer:
    """botocore before-call/after-call handlers for the session the collector is given.

    `record()`: calls go to moto and every answer is kept, keyed by the serialized request.
    `replay(fault)`: calls are answered from what was kept (moto only for a request never seen), so one
    collection costs the collector's own work and not moto's; `fault` is injected on top:
    - denied: every call of the operation answers AccessDenied (UnauthorizedOperation for EC2);
    - throttled: every call answers the service's throttling error, as once the client's retries are spent;
    - timeout: every call raises botocore's ReadTimeoutError (an endpoint that never answers);
    - second_page: every first page of the operation keeps half of its items and a continuation token,
      and the request for page 2 answers HTTP 500 InternalError.
    Injected errors never name the operation: naming it is the scanner's job.
    """

    # The answer to each request: status, parsed answer and raw body (botocore's after-call handler for
    # s3:GetBucketLocation reads the body, not the parsed answer).
    recorded: dict[tuple[str, ...], tuple[int, dict[str, Any], bytes]] = field(default_factory=dict)
    replaying: bool = False
    fault: Fault | None = None
    called: set[str] = field(default_factory=set)
    faults_injected: int = 0
    second_pages_requested: int = 0

    def install(self, session: boto3.Session) -> None:
        """Before any client is created from `session` (clients copy the session's handlers)."""
        session.events.register_first("before-call.*.*", self._before_call)  # type: ignore[arg-type]
        session.events.register_last("after-call.*.*", self._after_call)  # type: ignore[arg-type]

    def record(self) -> None:
        self.replaying, self.fault = False, None
        self._reset_counts()

    def replay(self, fault: Fault | None) -> None:
        self.replaying, self.fault = True, fault
        self._reset_counts()

    def _reset_counts(self) -> None:
        self.called = set()
        self.faults_injected = 0
        self.second_pages_requested = 0

    def _before_call(
        self, model: OperationModel, params: dict[str, Any], context: dict[str, Any], **_: object
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        action = action_of(model)
        self.called.add(action)
        # The URL names the bucket of an S3 request (virtual-hosted style); its path alone does not.
        key = (
            action,
            str(params.get("url_path")),
            repr(params.get("query_string")),
            repr(params.get("body")),
            str(params.get("url")),
        )
        context["fault_matrix_key"] = key
        fault = self.fault
        if fault is not None and fault.action == action:
            if fault.kind == "denied":
                self.faults_injected += 1
                code = DENIED_CODES.get(model.service_model.signing_name, DENIED_DEFAULT)
                return _error(code, 403, "You are not authorized to perform this operation.")
            if fault.kind == "timeout":
                self.faults_injected += 1
                raise ReadTimeoutError(
                    endpoint_url=f"https://{model.service_model.endpoint_prefix}.fault-matrix.invalid"
                )
            if fault.kind == "throttled":
                self.faults_injected += 1
                code, status = THROTTLED_CODES.get(model.service_model.signing_name, THROTTLED_DEFAULT)
                return _error(code, status, "Rate exceeded")
            if PAGE_TWO_TOKEN in key[2] or PAGE_TWO_TOKEN in key[3]:
                self.faults_injected += 1
                self.second_pages_requested += 1
                return _error(*SERVER_ERROR, "We encountered an internal error. Please try again.")
        if self.replaying and key in self.recorded:
            status, parsed, body = self.recorded[key]
            return _response(status, body), copy.deepcopy(parsed)
        return None

    def _after_call(
        self,
        http_response: AWSResponse,
        parsed: dict[str, Any],
        model: OperationModel,
        context: dict[str, Any],
        **_: object,
    ) -> None:
        key = context.get("fault_matrix_key")
        if key is None:
            return
        action = key[0]
        if not self.replaying and key not in self.recorded:
            self.recorded[key] = (http_response.status_code, copy.deepcopy(parsed), http_response.content)
        if action == "organizations:DescribeOrganization" and "Organization" in parsed:
            parsed["Organization"]["MasterAccountId"] = DELEGATED_MANAGEMENT_ACCOUNT
        fault = self.fault
        if (
            fault is not None
            and fault.kind == "second_page"
            and fault.action == action
            and http_response.status_code < 300
        ):
            self._truncate(model, parsed)

    def _truncate(self, model: OperationModel, parsed: dict[str, Any]) -> None:
        config = paginator_config(action_of(model), model.service_model.service_name)
        if config is None:
            return
        result_keys = config["result_key"] if isinstance(config["result_key"], list) else [config["result_key"]]
        for result_key in result_keys:
            items = parsed.get(result_key)
            if isinstance(items, list):
                parsed[result_key] = items[: len(items) // 2]
        output_token = config["output_token"]
        parsed[output_token if isinstance(output_token, str) else output_token[0]] = PAGE_TWO_TOKEN
        if "more_results" in config:
            parsed[config["more_results"]] = True
