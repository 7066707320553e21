"""The collectors of what VPCE007/VPCE008 need: role policies, managed policies (each once), secrets,
KMS keys, SSM parameters, SCPs and the live simulation. botocore Stubber where moto cannot answer
(SCPs of a member account, pagination, SimulatePrincipalPolicy), moto where it can."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from scanner.collect import ecr, iam, kms, organizations, s3, secrets, simulate, ssm
from scanner.collect.calls import CLIENT_CONFIG, CallContext
from scanner.config import ScanConfig, bundled_path
from scanner.engine.loader import load_rules
from scanner.iam.request import Request, RequestContext
from scanner.inventory.iam import AttachedPolicy, PermissionsBoundary, Role
from scanner.results import Status
from scanner.scan import evaluate_inventory
from tests.awsfixtures import build_account
from tests.collect.helpers import fail_call

REGION = "eu-west-1"
ACCOUNT = "111122223333"
MANAGEMENT = "999988887777"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/api-execution"
ECS_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/boundary"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbCdEf"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FULL_ACCESS = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
DENY_SECRETS = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:*","Resource":"*"}]}'


def client(service: str) -> Any:
    return boto3.Session(region_name=REGION).client(service, region_name=REGION, config=CLIENT_CONFIG)  # type: ignore[call-overload]


@pytest.fixture(autouse=True)
def _env(aws_env: None) -> None:
    """Fake credentials for the stubbed clients (no request leaves the process)."""


# ---- IAM -----------------------------------------------------------------------------------------------


def test_role_policies_follow_pages_and_read_each_inline_document() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    role = Role(role_name="api-execution", arn=ROLE)
    with Stubber(c) as stub:
        stub.add_response(
            "list_role_policies",
            {"PolicyNames": ["a"], "IsTruncated": True, "Marker": "m1"},
            {"RoleName": "api-execution", "MaxItems": 1000},
        )
        stub.add_response(
            "list_role_policies",
            {"PolicyNames": ["b"], "IsTruncated": False},
            {"RoleName": "api-execution", "MaxItems": 1000, "Marker": "m1"},
        )
        for name in ("a", "b"):
            stub.add_response(
                "get_role_policy",
                {"RoleName": "api-execution", "PolicyName": name, "PolicyDocument": FULL_ACCESS},
                {"RoleName": "api-execution", "PolicyName": name},
            )
        stub.add_response(
            "list_attached_role_policies",
            {"AttachedPolicies": [{"PolicyName": "AmazonECSTaskExecutionRolePolicy", "PolicyArn": ECS_POLICY}]},
            {"RoleName": "api-execution", "MaxItems": 1000},
        )
        (found,) = iam.collect_role_policies(ctx, c, [role])
        stub.assert_no_pending_responses()
    assert [p.policy_name for p in found.inline_policies] == ["a", "b"]
    assert [a.policy_arn for a in found.attached_policies] == [ECS_POLICY]
    assert ctx.errors == []


def test_a_failed_inline_read_is_recorded_with_the_role_name() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    with Stubber(c) as stub:
        stub.add_response("list_role_policies", {"PolicyNames": ["a"], "IsTruncated": False}, None)
        stub.add_client_error("get_role_policy", "AccessDenied", http_status_code=403)
        stub.add_response("list_attached_role_policies", {"AttachedPolicies": []}, None)
        iam.collect_role_policies(ctx, c, [Role(role_name="api-execution", arn=ROLE)])
    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("GetRolePolicy", "AccessDenied", "api-execution")
    ]


def test_each_managed_policy_is_fetched_once_per_account() -> None:
    roles = [
        Role(
            role_name=f"r{n}",
            arn=f"arn:aws:iam::{ACCOUNT}:role/r{n}",
            attached_policies=[AttachedPolicy(policy_arn=ECS_POLICY)],
            permissions_boundary=PermissionsBoundary(permissions_boundary_arn=BOUNDARY),
        )
        for n in range(3)
    ]
    arns = iam.managed_policy_arns(roles)
    assert arns == [ECS_POLICY, BOUNDARY]
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    with Stubber(c) as stub:
        for arn in arns:
            stub.add_response(
                "get_policy", {"Policy": {"Arn": arn, "PolicyName": "p", "DefaultVersionId": "v3"}}, {"PolicyArn": arn}
            )
            stub.add_response(
                "get_policy_version",
                {"PolicyVersion": {"Document": FULL_ACCESS, "VersionId": "v3", "IsDefaultVersion": True}},
                {"PolicyArn": arn, "VersionId": "v3"},
            )
        policies = iam.collect_managed_policies(ctx, c, [*arns, *arns])
        stub.assert_no_pending_responses()  # and no more: Stubber fails on any unexpected call
    assert [(p.arn, p.default_version_id) for p in policies] == [(ECS_POLICY, "v3"), (BOUNDARY, "v3")]


def test_a_failed_policy_version_keeps_the_policy_without_its_document() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    with Stubber(c) as stub:
        stub.add_response("get_policy", {"Policy": {"Arn": BOUNDARY, "DefaultVersionId": "v1"}}, None)
        stub.add_client_error("get_policy_version", "AccessDenied", http_status_code=403)
        (policy,) = iam.collect_managed_policies(ctx, c, [BOUNDARY])
    assert policy.document is None
    assert [(e.operation, e.resource_id) for e in ctx.errors] == [("GetPolicyVersion", BOUNDARY)]


# ---- ECR ------------------------------------------------------------------------------------------------


def test_repository_policies_are_read_in_the_account_too() -> None:
    """Own-account repositories are read as well: their Deny statements deny a pull. No policy and no
    repository are data; any other failure is an error about that repository only."""
    own = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app"
    missing = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/ghcr/org/tool"
    bare = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/bare"
    other = f"arn:aws:ecr:{REGION}:{MANAGEMENT}:repository/shared/base"
    ctx = CallContext(ACCOUNT, REGION)
    c = client("ecr")
    with Stubber(c) as stub:
        stub.add_response(
            "get_repository_policy",
            {"registryId": ACCOUNT, "repositoryName": "team/app", "policyText": DENY_SECRETS},
            {"registryId": ACCOUNT, "repositoryName": "team/app"},
        )
        stub.add_client_error("get_repository_policy", "RepositoryNotFoundException", http_status_code=400)
        stub.add_client_error("get_repository_policy", "RepositoryPolicyNotFoundException", http_status_code=400)
        stub.add_client_error("get_repository_policy", "AccessDeniedException", http_status_code=403)
        found = ecr.collect_repository_policies(ctx, c, [own, missing, bare, other, own])
        stub.assert_no_pending_responses()
    assert [(p.repository_arn, p.policy, p.exists) for p in found] == [
        (own, DENY_SECRETS, True),
        (missing, None, False),
        (bare, None, True),
    ]
    assert [(e.action, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("ecr:GetRepositoryPolicy", "AccessDeniedException", other)
    ]


def test_pull_through_cache_rules_follow_pages_and_a_failed_page_leaves_them_unknown() -> None:
    rule = {"ecrRepositoryPrefix": "docker-hub", "upstreamRegistryUrl": "registry-1.docker.io"}
    ctx = CallContext(ACCOUNT, REGION)
    c = client("ecr")
    with Stubber(c) as stub:
        stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": [rule], "nextToken": "t"}, {})
        stub.add_response(
            "describe_pull_through_cache_rules",
            {"pullThroughCacheRules": [{**rule, "ecrRepositoryPrefix": "quay"}]},
            {"nextToken": "t"},
        )
        found = ecr.collect_pull_through_cache_rules(ctx, c)
        stub.assert_no_pending_responses()
    assert found is not None and [r.ecr_repository_prefix for r in found] == ["docker-hub", "quay"]
    assert found[0].covers("docker-hub/library/nginx") and not found[0].covers("docker-hubx/nginx")
    with Stubber(c) as stub:
        stub.add_response("describe_pull_through_cache_rules", {"pullThroughCacheRules": [rule], "nextToken": "t"}, {})
        stub.add_client_error("describe_pull_through_cache_rules", "ThrottlingException", http_status_code=400)
        assert ecr.collect_pull_through_cache_rules(ctx, c) is None  # page 1 alone is not the whole list
    assert [(e.action, e.error_code) for e in ctx.errors] == [
        ("ecr:DescribePullThroughCacheRules", "ThrottlingException")
    ]


# ---- S3 (environment files) ------------------------------------------------------------------------------


def test_bucket_policies_of_own_buckets_and_ownership_of_the_others() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("s3")
    with Stubber(c) as stub:
        stub.add_response("list_buckets", {"Buckets": [{"Name": "config"}], "ContinuationToken": "t"}, {})
        stub.add_response(
            "list_buckets", {"Buckets": [{"Name": "plain"}, {"Name": "locked"}]}, {"ContinuationToken": "t"}
        )
        stub.add_response(
            "get_bucket_policy", {"Policy": DENY_SECRETS}, {"Bucket": "config", "ExpectedBucketOwner": ACCOUNT}
        )
        stub.add_client_error("get_bucket_policy", "NoSuchBucketPolicy", http_status_code=404)
        stub.add_client_error("get_bucket_policy", "AccessDenied", http_status_code=403)
        found = s3.collect_bucket_policies(ctx, c, "aws", ["config", "central", "plain", "locked", "config"])
        stub.assert_no_pending_responses()
    assert [(p.bucket_arn, p.owned, p.policy) for p in found] == [
        ("arn:aws:s3:::central", False, None),
        ("arn:aws:s3:::config", True, DENY_SECRETS),
        ("arn:aws:s3:::plain", True, None),
    ]
    assert [(e.action, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("s3:GetBucketPolicy", "AccessDenied", "arn:aws:s3:::locked")
    ]


def test_denied_list_buckets_is_an_error_about_each_wanted_bucket() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("s3")
    with Stubber(c) as stub:
        stub.add_client_error("list_buckets", "AccessDenied", http_status_code=403)
        assert s3.collect_bucket_policies(ctx, c, "aws", ["a", "b"]) == []
    assert [(e.action, e.resource_id) for e in ctx.errors] == [
        ("s3:ListAllMyBuckets", "arn:aws:s3:::a"),
        ("s3:ListAllMyBuckets", "arn:aws:s3:::b"),
    ]


def test_bucket_regions_read_legacy_location_constraints_and_record_a_failure_on_the_bucket() -> None:
    """None or "" is us-east-1 and "EU" is eu-west-1 (GetBucketLocation); each bucket is read once, any
    owner's, and a failure leaves only that bucket's region unknown."""
    ctx = CallContext(ACCOUNT, REGION)
    c = client("s3")
    with Stubber(c) as stub:
        stub.add_response("get_bucket_location", {}, {"Bucket": "virginia"})
        stub.add_response("get_bucket_location", {"LocationConstraint": "EU"}, {"Bucket": "legacy"})
        stub.add_response("get_bucket_location", {"LocationConstraint": "ap-south-1"}, {"Bucket": "mumbai"})
        stub.add_client_error("get_bucket_location", "AccessDenied", http_status_code=403)
        found = s3.collect_bucket_locations(ctx, c, "aws", ["virginia", "legacy", "mumbai", "virginia", "locked"])
        stub.assert_no_pending_responses()
    assert [(b.bucket_arn, b.region) for b in found] == [
        ("arn:aws:s3:::virginia", "us-east-1"),
        ("arn:aws:s3:::legacy", "eu-west-1"),
        ("arn:aws:s3:::mumbai", "ap-south-1"),
    ]
    assert [(e.action, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("s3:GetBucketLocation", "AccessDenied", "arn:aws:s3:::locked")
    ]


def test_bucket_default_encryption_names_its_key_and_a_bucket_without_one_is_data() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("s3")
    kms_default = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/config"},
                    "BucketKeyEnabled": True,
                }
            ]
        }
    }
    sse_s3 = {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
    }
    with Stubber(c) as stub:
        stub.add_response("get_bucket_encryption", kms_default, {"Bucket": "config"})
        stub.add_response("get_bucket_encryption", sse_s3, {"Bucket": "plain"})
        stub.add_client_error(
            "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError", http_status_code=404
        )
        stub.add_client_error("get_bucket_encryption", "AccessDenied", http_status_code=403)
        found = s3.collect_bucket_encryptions(ctx, c, "aws", ["config", "plain", "old", "locked"])
        stub.assert_no_pending_responses()
    assert [(b.bucket_arn, b.sse_algorithm, b.kms_key_id, b.bucket_key_enabled, b.uses_kms) for b in found] == [
        ("arn:aws:s3:::config", "aws:kms", "alias/config", True, True),
        ("arn:aws:s3:::plain", "AES256", None, False, False),
        ("arn:aws:s3:::old", None, None, False, False),
    ]
    # Recorded under the IAM action that authorizes GetBucketEncryption: the ERROR says what to grant.
    assert [(e.action, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("s3:GetEncryptionConfiguration", "AccessDenied", "arn:aws:s3:::locked")
    ]


def test_an_empty_location_constraint_is_us_east_1() -> None:
    assert [s3.bucket_region(c) for c in (None, "", "EU", "eu-central-1")] == [
        "us-east-1",
        "us-east-1",
        "eu-west-1",
        "eu-central-1",
    ]


def test_dependencies_want_the_policies_of_own_account_repositories() -> None:
    from scanner.collect.dependencies import wanted
    from tests.builders import Scenario, container

    s = Scenario(account=ACCOUNT, region=REGION)
    s.task_definition(
        containers=[
            container(name="app", image=f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/team/app:1"),
            container(name="base", image=f"{MANAGEMENT}.dkr.ecr.{REGION}.amazonaws.com/shared/base:1"),
            container(name="hub", image="public.ecr.aws/nginx/nginx:1"),
        ]
    )
    want = wanted(s.build().accounts[0].regions, ACCOUNT, "aws")
    assert want.own_registry_regions == {REGION}
    assert want.repositories == {
        REGION: [
            f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team/app",
            f"arn:aws:ecr:{REGION}:{MANAGEMENT}:repository/shared/base",
        ]
    }


# ---- Secrets Manager, KMS, SSM -------------------------------------------------------------------------


def test_secrets_resolve_partial_arns_and_names_to_one_entry() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("secretsmanager")
    partial = SECRET_ARN.removesuffix("-AbCdEf")
    described = {"ARN": SECRET_ARN, "Name": "prod/db", "KmsKeyId": "alias/app"}
    with Stubber(c) as stub:
        stub.add_response("describe_secret", described, {"SecretId": partial})
        stub.add_response("describe_secret", described, {"SecretId": "prod/db"})
        stub.add_client_error(
            "describe_secret", "ResourceNotFoundException", http_status_code=400, expected_params={"SecretId": "gone"}
        )
        stub.add_response(
            "get_resource_policy",
            {"ARN": SECRET_ARN, "Name": "prod/db", "ResourcePolicy": DENY_SECRETS},
            {"SecretId": SECRET_ARN},
        )
        found = secrets.collect_secrets(ctx, c, [partial, "prod/db", "gone", partial])
        stub.assert_no_pending_responses()
    (secret,) = found.secrets
    assert (secret.arn, secret.kms_key_id, secret.resource_policy) == (SECRET_ARN, "alias/app", DENY_SECRETS)
    assert found.missing == ["gone"]
    assert ctx.errors == []


def test_an_unreadable_secret_policy_keeps_the_secret_and_records_its_arn() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("secretsmanager")
    with Stubber(c) as stub:
        stub.add_response("describe_secret", {"ARN": SECRET_ARN, "Name": "prod/db"}, None)
        stub.add_client_error("get_resource_policy", "AccessDeniedException", http_status_code=400)
        found = secrets.collect_secrets(ctx, c, [SECRET_ARN])
    assert [s.arn for s in found.secrets] == [SECRET_ARN]
    assert [(e.operation, e.resource_id) for e in ctx.errors] == [("GetResourcePolicy", SECRET_ARN)]


def test_keys_skip_aws_managed_aliases_and_read_customer_key_policies_once() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("kms")
    metadata = {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Arn": KEY_ARN, "KeyManager": "CUSTOMER"}
    with Stubber(c) as stub:
        stub.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": "alias/app"})
        stub.add_response("get_key_policy", {"Policy": FULL_ACCESS}, {"KeyId": KEY_ARN, "PolicyName": "default"})
        stub.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": KEY_ARN})
        found = kms.collect_keys(ctx, c, ["alias/aws/secretsmanager", "alias/app", KEY_ARN])
        stub.assert_no_pending_responses()
    assert set(found) == {"alias/app", KEY_ARN}
    assert found["alias/app"].key_policy == FULL_ACCESS and found["alias/app"].is_customer_managed


def test_the_key_state_comes_from_describe_key() -> None:
    """A key pending deletion cannot decrypt: DescribeKey's KeyState is kept for VPCE007 to judge."""
    ctx = CallContext(ACCOUNT, REGION)
    c = client("kms")
    metadata = {
        "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "Arn": KEY_ARN,
        "KeyManager": "CUSTOMER",
        "KeyState": "PendingDeletion",
    }
    with Stubber(c) as stub:
        stub.add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": KEY_ARN})
        stub.add_response("get_key_policy", {"Policy": FULL_ACCESS}, {"KeyId": KEY_ARN, "PolicyName": "default"})
        found = kms.collect_keys(ctx, c, [KEY_ARN])
    assert found[KEY_ARN].key_state == "PendingDeletion"


def test_parameters_are_described_by_name_and_missing_ones_are_data() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("ssm")
    with Stubber(c) as stub:
        stub.add_response(
            "describe_parameters",
            {"Parameters": [{"Name": "/prod/db", "Type": "SecureString", "KeyId": "alias/app"}]},
            {
                "ParameterFilters": [{"Key": "Name", "Option": "Equals", "Values": ["/prod/db", "/gone"]}],
                "MaxResults": 50,
            },
        )
        found = ssm.collect_parameters(ctx, c, ["/prod/db", "/gone"])
    (parameter,) = found.parameters
    assert (parameter.arn, parameter.key_id) == (f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/db", "alias/app")
    assert found.missing == [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/gone"]


def test_a_failed_parameter_batch_records_each_parameter_and_misses_none() -> None:
    ctx = CallContext(ACCOUNT, REGION)
    c = client("ssm")
    with Stubber(c) as stub:
        stub.add_client_error("describe_parameters", "AccessDeniedException", http_status_code=400)
        found = ssm.collect_parameters(ctx, c, ["/a", "/b"])
    assert found.missing == [] and found.parameters == []
    assert [e.resource_id for e in ctx.errors] == [
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/a",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/b",
    ]


# ---- Organizations -------------------------------------------------------------------------------------


def organization(master: str = MANAGEMENT) -> dict[str, Any]:
    return {
        "Organization": {
            "Id": "o-exampleorgid",
            "Arn": f"arn:aws:organizations::{master}:organization/o-exampleorgid",
            "MasterAccountId": master,
        }
    }


def policy_summary(policy_id: str) -> dict[str, Any]:
    return {"Id": policy_id, "Arn": f"arn:aws:organizations::{MANAGEMENT}:policy/{policy_id}", "Name": policy_id}


def test_scps_of_a_member_account_are_read_level_by_level() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", organization(), {})
        stub.add_response(
            "list_parents",
            {"Parents": [{"Id": "ou-ab12-workloads", "Type": "ORGANIZATIONAL_UNIT"}]},
            {"ChildId": ACCOUNT},
        )
        stub.add_response(
            "list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": "ou-ab12-workloads"}
        )
        levels = [
            ("r-ab12", ["p-FullAWSAccess"]),
            ("ou-ab12-workloads", ["p-FullAWSAccess", "p-nosecrets"]),
            (ACCOUNT, ["p-FullAWSAccess"]),
        ]
        described: set[str] = set()
        for target, ids in levels:
            stub.add_response(
                "list_policies_for_target",
                {"Policies": [policy_summary(i) for i in ids]},
                {"TargetId": target, "Filter": "SERVICE_CONTROL_POLICY"},
            )
            for policy_id in ids:
                if policy_id not in described:
                    described.add(policy_id)
                    content = DENY_SECRETS if policy_id == "p-nosecrets" else FULL_ACCESS
                    stub.add_response(
                        "describe_policy",
                        {"Policy": {"PolicySummary": policy_summary(policy_id), "Content": content}},
                        {"PolicyId": policy_id},
                    )
        # Then the RCPs, along the same path.
        for target, ids in [
            ("r-ab12", ["p-RCPFullAWSAccess"]),
            ("ou-ab12-workloads", ["p-RCPFullAWSAccess", "p-rcpnosecrets"]),
            (ACCOUNT, ["p-RCPFullAWSAccess"]),
        ]:
            stub.add_response(
                "list_policies_for_target",
                {"Policies": [policy_summary(i) for i in ids]},
                {"TargetId": target, "Filter": "RESOURCE_CONTROL_POLICY"},
            )
            for policy_id in ids:
                if policy_id not in described:
                    described.add(policy_id)
                    content = DENY_SECRETS if policy_id == "p-rcpnosecrets" else FULL_ACCESS
                    stub.add_response(
                        "describe_policy",
                        {"Policy": {"PolicySummary": policy_summary(policy_id), "Content": content}},
                        {"PolicyId": policy_id},
                    )
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
        stub.assert_no_pending_responses()
    assert scps.status == "collected" and ctx.errors == []
    assert [(level.target_type, [p.id for p in level.policies]) for level in scps.levels] == [
        ("ROOT", ["p-FullAWSAccess"]),
        ("ORGANIZATIONAL_UNIT", ["p-FullAWSAccess", "p-nosecrets"]),
        ("ACCOUNT", ["p-FullAWSAccess"]),
    ]
    assert scps.rcp_status == "collected"
    assert [(level.target_id, [p.id for p in level.policies]) for level in scps.rcp_levels] == [
        ("r-ab12", ["p-RCPFullAWSAccess"]),
        ("ou-ab12-workloads", ["p-RCPFullAWSAccess", "p-rcpnosecrets"]),
        (ACCOUNT, ["p-RCPFullAWSAccess"]),
    ]


def test_unreadable_rcps_are_one_error_record_and_keep_the_scps() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", organization(), {})
        stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ACCOUNT})
        for target in ("r-ab12", ACCOUNT):
            stub.add_response(
                "list_policies_for_target",
                {"Policies": []},
                {"TargetId": target, "Filter": "SERVICE_CONTROL_POLICY"},
            )
        stub.add_client_error("list_policies_for_target", "AccessDeniedException", "no", 400)
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
        stub.assert_no_pending_responses()
    assert scps.status == "collected" and len(scps.levels) == 2
    assert scps.rcp_status == "unreadable" and scps.rcp_levels == []
    assert scps.rcp_reason.startswith("organizations:ListPoliciesForTarget: AccessDeniedException")
    assert [(e.operation, e.error_code) for e in ctx.errors] == [("ListPoliciesForTarget", "AccessDeniedException")]


def test_access_denied_on_scps_is_one_error_record_not_a_failure() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", organization(), {})
        stub.add_client_error("list_parents", "AccessDeniedException", "not the management account", 400)
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert scps.status == "unreadable" and scps.levels == []
    assert scps.reason.startswith("organizations:ListParents: AccessDeniedException")
    assert [(e.service, e.operation, e.error_code) for e in ctx.errors] == [
        ("organizations", "ListParents", "AccessDeniedException")
    ]


@pytest.mark.parametrize(
    ("answer", "status"),
    [("not-in-use", "not_in_organization"), ("management", "management_account")],
)
def test_no_scp_applies_outside_an_organization_or_to_its_management_account(answer: str, status: str) -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        if answer == "not-in-use":
            stub.add_client_error("describe_organization", "AWSOrganizationsNotInUseException", http_status_code=400)
        else:
            stub.add_response("describe_organization", organization(master=ACCOUNT), {})
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert scps.status == status and ctx.errors == []
    assert scps.rcp_status == "not_applicable"


def test_scps_not_enabled_are_no_levels() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("organizations")
    with Stubber(c) as stub:
        stub.add_response("describe_organization", organization(), {})
        stub.add_response("list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": ACCOUNT})
        stub.add_client_error("list_policies_for_target", "PolicyTypeNotEnabledException", http_status_code=400)
        stub.add_client_error("list_policies_for_target", "PolicyTypeNotEnabledException", http_status_code=400)
        scps = organizations.collect_scps(ctx, c, ACCOUNT)
    assert (scps.status, scps.levels, ctx.errors) == ("collected", [], [])
    assert (scps.rcp_status, scps.rcp_levels) == ("not_enabled", [])


def test_scps_that_cannot_be_read_in_moto_leave_the_scan_going(aws: None) -> None:
    fixture = build_account(boto3.Session(), "us-east-1", ["compliant"])
    session = boto3.Session()
    fail_call(session, "organizations.DescribeOrganization", "AccessDeniedException", 400)

    from scanner.collect import collect

    inventory = collect(session)

    account = inventory.accounts[0]
    assert [(e.service, e.operation, e.error_code, e.region) for e in account.errors] == [
        ("organizations", "DescribeOrganization", "AccessDeniedException", "global")
    ]
    assert account.service_control_policies is not None
    assert account.service_control_policies.status == "unreadable"
    # The rest arrived; VPCE007 (which requires the SCPs: one may deny what the role allows) is ERROR
    # saying what to do, and every other rule still decides.
    results = evaluate_inventory(load_rules([bundled_path("rules")]), inventory, ScanConfig()).results
    (vpce007,) = [r for r in results if r.rule_id == "VPCE007" and r.workload == fixture["compliant"].service_arn]
    assert vpce007.status is Status.ERROR, vpce007.message
    assert "SCPs not evaluated: the organization's SCPs could not be read" in vpce007.message
    assert "grant organizations:DescribeOrganization along with" in vpce007.message
    assert "scan from the management account or a delegated administrator" in vpce007.message
    assert {r.status for r in results if r.rule_id != "VPCE007"} == {Status.PASS}


# ---- SimulatePrincipalPolicy ----------------------------------------------------------------------------


def _request(action: str, resource: str, **values: str) -> Request:
    context = {"aws:SecureTransport": "true", "aws:RequestedRegion": REGION, **values}
    return Request(action, resource, ROLE, ACCOUNT, RequestContext(context))


def _evaluation(action: str, resource: str, decision: str, missing: list[str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision}
    if missing:
        item["MissingContextValues"] = missing
    return item


def test_simulation_is_batched_per_role_paged_and_filtered_to_the_pairs_asked() -> None:
    requests = [
        _request("ecr:GetAuthorizationToken", "*", **{"aws:SourceVpce": "vpce-1"}),
        _request("secretsmanager:GetSecretValue", SECRET_ARN, **{"aws:SourceVpce": "vpce-2"}),
    ]
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    expected = {
        "PolicySourceArn": ROLE,
        "ActionNames": ["ecr:GetAuthorizationToken", "secretsmanager:GetSecretValue"],
        "ResourceArns": ["*", SECRET_ARN],
        "ContextEntries": ANY,
        "MaxItems": 1000,
    }
    with Stubber(c) as stub:
        stub.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    _evaluation("ecr:GetAuthorizationToken", "*", "allowed"),
                    _evaluation("ecr:GetAuthorizationToken", SECRET_ARN, "implicitDeny"),
                ],
                "IsTruncated": True,
                "Marker": "page-2",
            },
            expected,
        )
        stub.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    _evaluation("secretsmanager:GetSecretValue", "*", "implicitDeny"),
                    _evaluation("secretsmanager:GetSecretValue", SECRET_ARN, "implicitDeny", ["aws:SourceVpce"]),
                ],
                "IsTruncated": False,
            },
            {**expected, "Marker": "page-2"},
        )
        results = simulate.simulate_roles(ctx, c, {ROLE: requests})
        stub.assert_no_pending_responses()
    assert [(r.action, r.resource, r.decision, r.missing_context) for r in results] == [
        ("ecr:GetAuthorizationToken", "*", "allowed", []),
        ("secretsmanager:GetSecretValue", SECRET_ARN, "implicitDeny", ["aws:SourceVpce"]),
    ]
    # Only the keys both requests share were sent: aws:SourceVpce differs between them.
    assert "aws:sourcevpce" not in results[0].context
    assert results[0].context["aws:securetransport"] == ["true"]


def test_simulation_context_entries_are_typed() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    sent: dict[str, Any] = {}

    def capture(params: dict[str, Any], **_: object) -> None:
        sent.update(params)

    c.meta.events.register("provide-client-params.iam.SimulatePrincipalPolicy", capture)
    with Stubber(c) as stub:
        stub.add_response("simulate_principal_policy", {"EvaluationResults": [], "IsTruncated": False}, None)
        simulate.simulate_roles(ctx, c, {ROLE: [_request("logs:PutLogEvents", "arn:aws:logs:x:y:z:w:v")]})
    entries = {e["ContextKeyName"]: (e["ContextKeyType"], e["ContextKeyValues"]) for e in sent["ContextEntries"]}
    assert entries["aws:securetransport"] == ("boolean", ["true"])
    assert entries["aws:principalarn"] == ("string", [ROLE])


def test_a_failed_simulation_is_a_collection_error() -> None:
    ctx = CallContext(ACCOUNT, "global")
    c = client("iam")
    with Stubber(c) as stub:
        stub.add_client_error("simulate_principal_policy", "AccessDenied", http_status_code=403)
        results = simulate.simulate_roles(ctx, c, {ROLE: [_request("ecr:GetAuthorizationToken", "*")]})
    assert results == []
    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("SimulatePrincipalPolicy", "AccessDenied", ROLE)
    ]


def test_simulated_answers_are_stored_on_the_inventory() -> None:
    from tests.builders import ECS_EXECUTION_POLICY, Scenario

    s = Scenario.compliant()
    s.role(attached=[ECS_EXECUTION_POLICY])
    inventory = s.build()

    session = boto3.Session(region_name=REGION)
    c = session.client("iam", region_name=REGION, config=CLIENT_CONFIG)
    stub = Stubber(c)
    stub.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": [_evaluation("ecr:GetAuthorizationToken", "*", "allowed")], "IsTruncated": False},
        None,
    )

    class _Session:
        region_name = REGION

        def client(self, *_: object, **__: object) -> Any:
            return c

    with stub:
        verified = simulate.simulate_inventory(_Session(), inventory)  # type: ignore[arg-type]
    account = verified.accounts[0]
    assert [(r.role_arn, r.action, r.decision) for r in account.simulations] == [
        (f"arn:aws:iam::{ACCOUNT}:role/api-execution", "ecr:GetAuthorizationToken", "allowed")
    ]
    assert json.loads(verified.dump_json())["accounts"][0]["simulations"][0]["decision"] == "allowed"


def test_verify_live_needs_a_live_scan() -> None:
    from scanner.errors import UsageError
    from scanner.scan import scan

    with pytest.raises(UsageError, match="--verify-live needs a live scan"):
        scan(ScanConfig(demo=True, verify_live=True))


def test_scan_with_verify_live_adds_the_simulations_before_evaluating(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner import scan as scan_module
    from scanner.inventory import Inventory
    from scanner.inventory.iam import SimulationResult
    from tests.builders import ECS_EXECUTION_POLICY, EXECUTION_ROLE, Scenario

    s = Scenario.compliant()
    s.role(attached=[ECS_EXECUTION_POLICY])
    inventory = s.build()
    calls: list[str | None] = []
    deadlines: list[object] = []

    def fake_verify_live(
        given: Inventory, profile: str | None, progress: object = None, deadline: object = None
    ) -> Inventory:
        calls.append(profile)
        deadlines.append(deadline)
        answer = SimulationResult(
            role_arn=EXECUTION_ROLE, action="ecr:GetAuthorizationToken", resource="*", decision="implicitDeny"
        )
        account = given.accounts[0].model_copy(update={"simulations": [answer]})
        return given.model_copy(update={"accounts": [account]})

    def fake_obtain(config: ScanConfig, progress: object = None, deadline: object = None) -> Inventory:
        deadlines.append(deadline)
        return inventory

    monkeypatch.setattr(scan_module, "obtain_inventory", fake_obtain)
    monkeypatch.setattr(simulate, "verify_live", fake_verify_live)
    result = scan_module.scan(ScanConfig(verify_live=True, profile="audit", select=("VPCE007",)))

    assert calls == ["audit"]
    # Collection and the live simulations share one --timeout budget.
    first, second = deadlines
    assert first is second and first is not None
    (vpce007,) = result.results
    assert vpce007.status is Status.ERROR
    assert "offline allowed" in vpce007.message and "live simulation implicitDeny" in vpce007.message


def test_an_own_repository_policy_that_denies_the_pull_is_collected_and_fails_vpce007(aws: None) -> None:
    """Against moto: collect() now reads the scanned account's own repository policies."""
    fixture = build_account(boto3.Session(), "us-east-1", ["compliant"])
    deny_pull = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "OnlyCi", "Effect": "Deny", "Principal": "*", "Action": "ecr:BatchGetImage"}],
    }
    ecr_client = boto3.Session().client("ecr", region_name="us-east-1")
    ecr_client.set_repository_policy(repositoryName="app", policyText=json.dumps(deny_pull))

    from scanner.collect import collect

    inventory = collect(boto3.Session())
    (policy,) = [p for p in inventory.accounts[0].repository_policies if p.repository_arn.endswith(":repository/app")]
    assert policy.policy is not None and policy.exists
    results = evaluate_inventory(load_rules([bundled_path("rules")]), inventory, ScanConfig()).results
    (vpce007,) = [r for r in results if r.rule_id == "VPCE007" and r.workload == fixture["compliant"].service_arn]
    assert vpce007.status is Status.FAIL, vpce007.message
    assert "ecr:BatchGetImage" in vpce007.message and "statement OnlyCi (Deny)" in vpce007.message
