"""collect(): regions, credentials, and failed calls as data (moto in-process, one fresh account per test)."""

from __future__ import annotations

import time

import boto3
import pytest

from scanner.collect import collect
from scanner.errors import CollectionError, CredentialsError, UsageError
from tests.awsfixtures import build_account
from tests.collect.helpers import fail_call, http_error_once


def test_all_regions_enumerates_enabled_regions_only(aws: None) -> None:
    listed = boto3.client("ec2").describe_regions()["Regions"]
    enabled = {r["RegionName"] for r in listed if r["OptInStatus"] in ("opt-in-not-required", "opted-in")}
    not_opted_in = {r["RegionName"] for r in listed if r["OptInStatus"] == "not-opted-in"}
    assert enabled and not_opted_in  # moto lists both kinds, so the filter is exercised

    inventory = collect(boto3.Session(region_name="eu-west-1"), all_regions=True)

    collected = [r.region for r in inventory.accounts[0].regions]
    assert collected == sorted(enabled)
    assert not set(collected) & not_opted_in
    assert inventory.errors == []
    # Each region was really read: every region has moto's default VPC, with that region's AZs.
    for region in inventory.accounts[0].regions:
        assert len(region.vpcs) == 1
        assert all(s.availability_zone.startswith(region.region) for s in region.subnets)


def test_explicit_regions_are_collected_in_order_and_kept_apart(aws: None) -> None:
    west = build_account(boto3.Session(), "us-west-2", ["compliant"])

    inventory = collect(boto3.Session(), ["us-west-2", "us-east-1", "us-west-2"])

    account = inventory.accounts[0]
    assert [r.region for r in account.regions] == ["us-west-2", "us-east-1"]
    us_west, us_east = account.regions
    assert west["compliant"].vpc_id in us_west.vpc_by_id
    assert west["compliant"].vpc_id not in us_east.vpc_by_id
    assert [s.service_name for s in us_west.services] == [west["compliant"].name]
    assert us_east.services == [] and us_east.clusters == []
    assert us_west.prefix_lists[0].prefix_list_name == "com.amazonaws.us-west-2.s3"
    assert [r.role_name for r in account.roles] == ["vpce-scan-fixture-execution"]


def test_default_region_is_the_sessions(aws: None) -> None:
    inventory = collect(boto3.Session(region_name="ap-southeast-2"))
    assert inventory.regions == ["ap-southeast-2"]


def test_no_credentials_is_one_line_error(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(CredentialsError) as raised:
        collect(boto3.Session(region_name="us-east-1"))
    message = raised.value.message
    assert "no AWS credentials found" in message and "AWS_PROFILE" in message and "aws configure" in message
    assert "\n" not in message


def test_no_region_names_the_flag_and_variable(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(CredentialsError, match=r"--region.*AWS_REGION"):
        collect(boto3.Session())


def test_regions_and_all_regions_exclude_each_other(aws_env: None) -> None:
    with pytest.raises(UsageError):
        collect(boto3.Session(), ["us-east-1"], all_regions=True)


def test_rejected_credentials_stop_the_scan(aws: None) -> None:
    session = boto3.Session()
    fail_call(session, "sts.GetCallerIdentity", "InvalidClientTokenId")
    with pytest.raises(CredentialsError, match="InvalidClientTokenId"):
        collect(session)


def test_unlistable_regions_stop_the_scan(aws: None) -> None:
    session = boto3.Session()
    fail_call(session, "ec2.DescribeRegions", "UnauthorizedOperation")
    with pytest.raises(CollectionError, match=r"ec2:DescribeRegions.*UnauthorizedOperation"):
        collect(session, all_regions=True)


def test_access_denied_is_one_record_and_the_scan_goes_on(aws: None) -> None:
    built = build_account(boto3.Session(), "us-east-1", ["compliant"])["compliant"]
    session = boto3.Session()
    failed = fail_call(session, "ec2.DescribeVpcEndpoints", "AccessDenied")

    inventory = collect(session)

    assert failed == ["DescribeVpcEndpoints"]  # not retried: AccessDenied is not transient
    (error,) = inventory.errors
    assert (error.account, error.region, error.service, error.operation, error.error_code) == (
        "123456789012",
        "us-east-1",
        "ec2",
        "DescribeVpcEndpoints",
        "AccessDenied",
    )
    assert error.describe() == "us-east-1 ec2:DescribeVpcEndpoints: AccessDenied; grant ec2:DescribeVpcEndpoints"
    region = inventory.accounts[0].regions[0]
    assert region.vpc_endpoints == []
    # Everything else still arrived.
    assert built.vpc_id in region.vpc_by_id
    assert set(built.subnet_ids) <= set(region.subnet_by_id)
    assert built.task_sg_id in region.sg_by_id
    assert [s.service_arn for s in region.services] == [built.service_arn]
    assert [t.task_definition_arn for t in region.task_definitions] == [built.task_definition_arn]
    assert region.vpc_by_id[built.vpc_id].enable_dns_hostnames is True
    assert len(inventory.accounts[0].roles) == 1


def test_failed_role_lookup_is_an_error_but_a_missing_role_is_data(aws: None) -> None:
    build_account(boto3.Session(), "us-east-1", ["compliant", "execution-role-missing"])
    session = boto3.Session()
    fail_call(session, "iam.GetRole", "AccessDenied")

    inventory = collect(session)

    account = inventory.accounts[0]
    assert account.roles == [] and account.missing_roles == []
    assert sorted((e.service, e.operation, e.error_code, e.region) for e in account.errors) == [
        ("iam", "GetRole", "AccessDenied", "global"),
        ("iam", "GetRole", "AccessDenied", "global"),
    ]
    assert {e.resource_id for e in account.errors} == {
        "vpce-scan-fixture-execution",
        "vpce-scan-fixture-no-such-role",
    }


@pytest.mark.parametrize(
    ("event", "headers", "body"),
    [
        (
            "ecs.ListServices",
            {"Content-Type": "application/x-amz-json-1.1"},
            b'{"__type": "ThrottlingException", "message": "Rate exceeded"}',
        ),
        (
            "ec2.DescribeVpcEndpoints",
            {"Content-Type": "text/xml"},
            b"<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
            b"</Message></Error></Errors><RequestID>1</RequestID></Response>",
        ),
    ],
    ids=["ecs-ThrottlingException", "ec2-RequestLimitExceeded"],
)
def test_throttling_is_retried_by_the_client(
    aws: None, monkeypatch: pytest.MonkeyPatch, event: str, headers: dict[str, str], body: bytes
) -> None:
    built = build_account(boto3.Session(), "us-east-1", ["compliant"])["compliant"]
    session = boto3.Session()
    sent = http_error_once(session, event, 400, headers, body)
    delays: list[float] = []
    monkeypatch.setattr(time, "sleep", delays.append)  # botocore's backoff; keep the test fast

    inventory = collect(session)

    assert len(sent) == 2  # throttled once, then retried by botocore
    assert delays, "the retry should have backed off"
    assert inventory.errors == []
    region = inventory.accounts[0].regions[0]
    assert [s.service_arn for s in region.services] == [built.service_arn]
    assert built.endpoint_ids["logs"] in {e.vpc_endpoint_id for e in region.vpc_endpoints}
