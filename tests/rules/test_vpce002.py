"""VPCE002 endpoint-private-dns: needed Interface endpoints have private DNS, and their VPC DNS support."""

from __future__ import annotations

import pytest

from tests.builders import ENDPOINT, INTERFACE_NEEDED, SERVICE, VPC, Scenario
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, run, table

REGION = "eu-west-1"
ALL_PASS = {ENDPOINT[s]: PASS for s in INTERFACE_NEEDED}
ALL_ERROR = {ENDPOINT[s]: ERROR for s in INTERFACE_NEEDED}
ALL_FAIL = {ENDPOINT[s]: FAIL for s in INTERFACE_NEEDED}
DNS_SUPPORT_FIX = (
    f'aws ec2 modify-vpc-attribute --region {REGION} --vpc-id vpc-app --enable-dns-support "{{\\"Value\\":true}}"'
)
DNS_HOSTNAMES_FIX = (
    f'aws ec2 modify-vpc-attribute --region {REGION} --vpc-id vpc-app --enable-dns-hostnames "{{\\"Value\\":true}}"'
)


def logs_private_dns(value: bool | None) -> Scenario:
    s = Scenario.compliant()
    endpoint = s.get("vpc_endpoints", ENDPOINT["logs"])
    if value is None:
        del endpoint["PrivateDnsEnabled"]
    else:
        endpoint["PrivateDnsEnabled"] = value
    return s


def vpc_attribute(name: str, value: bool | None) -> Scenario:
    s = Scenario.compliant()
    vpc = s.get("vpcs", VPC)
    if value is None:
        del vpc[name]
    else:
        vpc[name] = value
    return s


def vpc_not_collected() -> Scenario:
    s = Scenario.compliant()
    s.remove("vpcs", VPC)
    return s


def vpc_attribute_denied() -> Scenario:
    s = vpc_attribute("EnableDnsSupport", None)
    del s.get("vpcs", VPC)["EnableDnsHostnames"]
    s.error("ec2", "DescribeVpcAttribute", resource_id=VPC)
    return s


def endpoints_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["vpc_endpoints"] = []
    s.error("ec2", "DescribeVpcEndpoints")
    return s


def missing_logs() -> Scenario:
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    return s


def s3_interface() -> Scenario:
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["s3"])
    s.endpoint("s3", endpoint_id="vpce-s3-interface", endpoint_type="Interface")
    return s


def shared_by_two_workloads() -> Scenario:
    s = vpc_attribute("EnableDnsHostnames", False)
    s.task_definition("worker")
    s.service("worker", family="worker")
    return s


def dns_off_and_vpc_unknown() -> Scenario:
    s = logs_private_dns(False)
    del s.get("vpcs", VPC)["EnableDnsSupport"]
    return s


def both_off() -> Scenario:
    s = vpc_attribute("EnableDnsSupport", False)
    s.get("vpcs", VPC)["EnableDnsHostnames"] = False
    return s


CASES = [
    Case(
        "compliant",
        Scenario.compliant,
        ALL_PASS,
        message={"vpce-logs": ["vpce-logs (com.amazonaws.eu-west-1.logs) resolves through private DNS in vpc-app."]},
    ),
    Case(
        "private DNS off on the endpoint",
        lambda: logs_private_dns(False),
        {**ALL_PASS, "vpce-logs": FAIL},
        message={"vpce-logs": ["vpce-logs (com.amazonaws.eu-west-1.logs) has PrivateDnsEnabled=false; expected true."]},
        remediation={
            "vpce-logs": [
                f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id vpce-logs --private-dns-enabled"
            ]
        },
    ),
    Case(
        "private DNS unknown on the endpoint",
        lambda: logs_private_dns(None),
        {**ALL_PASS, "vpce-logs": ERROR},
        message={"vpce-logs": ["endpoint.private_dns_enabled is unknown"]},
    ),
    Case(
        "VPC enableDnsSupport off",
        lambda: vpc_attribute("EnableDnsSupport", False),
        ALL_FAIL,
        message={
            "vpce-sts": [
                "VPC vpc-app has enableDnsSupport=false; expected true for private DNS of vpce-sts "
                "(com.amazonaws.eu-west-1.sts), used by api."
            ]
        },
        remediation={"vpce-sts": [DNS_SUPPORT_FIX]},
    ),
    Case(
        "VPC enableDnsHostnames off",
        lambda: vpc_attribute("EnableDnsHostnames", False),
        ALL_FAIL,
        message={"vpce-ecr-api": ["VPC vpc-app has enableDnsHostnames=false"]},
        remediation={"vpce-ecr-api": [DNS_HOSTNAMES_FIX]},
    ),
    Case(
        "both VPC attributes off",
        both_off,
        ALL_FAIL,
        message={"vpce-logs": ["(and 1 more)"]},
        remediation={"vpce-logs": [DNS_SUPPORT_FIX, DNS_HOSTNAMES_FIX]},
    ),
    Case(
        "VPC enableDnsSupport unknown (None)",
        lambda: vpc_attribute("EnableDnsSupport", None),
        ALL_ERROR,
        message={"vpce-logs": ["Could not decide: vpc.enable_dns_support is unknown."]},
    ),
    Case(
        "VPC enableDnsHostnames unknown (None)",
        lambda: vpc_attribute("EnableDnsHostnames", None),
        ALL_ERROR,
        message={"vpce-logs": ["vpc.enable_dns_hostnames is unknown"]},
    ),
    Case(
        "a definite failure wins over an unknown attribute", dns_off_and_vpc_unknown, {**ALL_ERROR, "vpce-logs": FAIL}
    ),
    Case("VPC not in the inventory", vpc_not_collected, ALL_ERROR),
    # `where` decides first: the S3 Gateway endpoint, which the rule never applies to, stays silent.
    Case(
        "DescribeVpcAttribute denied for the VPC",
        vpc_attribute_denied,
        ALL_ERROR,
        message={
            "vpce-logs": [
                "Incomplete data: eu-west-1 ec2:DescribeVpcAttribute on vpc-app: AccessDenied; "
                "grant ec2:DescribeVpcAttribute."
            ],
        },
    ),
    Case(
        "endpoints could not be listed",
        endpoints_not_listed,
        {"ec2:DescribeVpcEndpoints": ERROR},
        message={
            "ec2:DescribeVpcEndpoints": [
                "VPCE002 could not list its subjects in region/eu-west-1: eu-west-1 ec2:DescribeVpcEndpoints: "
                "AccessDenied; grant ec2:DescribeVpcEndpoints."
            ]
        },
    ),
    Case(
        "a missing endpoint is VPCE001's: no result",
        missing_logs,
        {ENDPOINT[s]: PASS for s in INTERFACE_NEEDED if s != "logs"},
    ),
    Case("an S3 Interface endpoint is checked too", s3_interface, {**ALL_PASS, "vpce-s3-interface": PASS}),
    Case(
        "an endpoint shared by two workloads: one result naming both",
        shared_by_two_workloads,
        ALL_FAIL,
        message={"vpce-logs": ["used by api, worker."]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce002(case: Case) -> None:
    results = check_case("VPCE002", case)
    assert all(r.resource_type in ("vpc_endpoint", "region") for r in results)


def test_shared_endpoint_names_no_single_workload() -> None:
    results = {r.resource_id: r for r in run("VPCE002", shared_by_two_workloads())}
    assert results["vpce-logs"].workload is None
    single = {r.resource_id: r for r in run("VPCE002", Scenario.compliant())}
    assert single["vpce-logs"].workload == f"arn:aws:ecs:{REGION}:111122223333:service/prod/{SERVICE}"
