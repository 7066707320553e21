"""VPCE010 endpoint-multi-az: workloads and the Interface endpoints they use span at least two AZs (low)."""

from __future__ import annotations

import pytest

from scanner.results import Severity
from tests.builders import ENDPOINT, PRIVATE_RTB, SERVICE, SUBNET_A, SUBNET_B, SUBNET_C, Scenario
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, run, table

REGION = "eu-west-1"


def single_az(spare: bool) -> Scenario:
    """The service runs in subnet-a only; subnet-b (eu-west-1b) stays on rtb-private when `spare`, else it
    moves to a table of its own (so it is not routed like the service's subnet)."""
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A]
    if not spare:
        private = s.get("route_tables", PRIVATE_RTB)
        private["Associations"] = [a for a in private["Associations"] if a["SubnetId"] != SUBNET_B]
        s.route_table("rtb-other", [SUBNET_B])
    return s


def single_az_endpoint(spare: bool) -> Scenario:
    s = single_az(spare)
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"] = [SUBNET_A]
    return s


def endpoint_single_az_workload_two_azs(spare: bool) -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"] = [SUBNET_A]
    if spare:
        s.subnet(SUBNET_C)
        s.get("route_tables", PRIVATE_RTB)["Associations"].append({"SubnetId": SUBNET_C})
    return s


def single_az_task_family() -> Scenario:
    s = single_az(spare=True)
    s.remove("services", SERVICE)
    s.task_definition("nightly")
    s.task("task-1", family="nightly", subnet=SUBNET_A)
    return s


def subnet_unknown() -> Scenario:
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A, "subnet-gone"]
    return s


UPDATE_SERVICE = (
    f"aws ecs update-service --region {REGION} --cluster prod --service api --network-configuration "
    '"awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-tasks],assignPublicIp=DISABLED}"'
)
CREATE_SUBNET = (
    f"aws ec2 create-subnet --region {REGION} --vpc-id vpc-app --cidr-block 10.0.0.0/24 "
    '--availability-zone-id "<a zone id other than those of eu-west-1a>"'
)

CASES = [
    Case(
        "compliant: two AZs",
        Scenario.compliant,
        {"api": PASS},
        severity={"api": Severity.LOW},
        message={"api": ["api and its Interface endpoints span at least two AZs (eu-west-1a eu-west-1b)."]},
    ),
    Case(
        "single AZ with a spare subnet: update the service",
        lambda: single_az(spare=True),
        {"api": FAIL},
        message={"api": ["api runs only in eu-west-1a; expected at least two AZs."]},
        remediation={"api": [UPDATE_SERVICE]},
        severity={"api": Severity.LOW},
    ),
    Case(
        "single AZ without a spare subnet: create one in a free CIDR",
        lambda: single_az(spare=False),
        {"api": FAIL},
        message={
            "api": [
                "api runs only in eu-west-1a and its VPC vpc-app has no subnet routed like it in another "
                "AZ; expected at least two AZs."
            ]
        },
        remediation={"api": [CREATE_SUBNET]},
    ),
    Case(
        "single-AZ workload and endpoint, spare subnet",
        lambda: single_az_endpoint(spare=True),
        {"api": FAIL},
        message={"api": ["api runs only in eu-west-1a", "(and 1 more)"]},
        remediation={
            "api": [
                UPDATE_SERVICE,
                f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id vpce-logs --add-subnet-ids subnet-b",
            ]
        },
    ),
    Case(
        "endpoint in one AZ, spare subnet in a third AZ",
        lambda: endpoint_single_az_workload_two_azs(spare=True),
        {"api": FAIL},
        message={
            "api": [
                "vpce-logs (com.amazonaws.eu-west-1.logs) has interfaces only in eu-west-1a; expected at least two AZs."
            ]
        },
        remediation={
            "api": [
                f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id vpce-logs --add-subnet-ids subnet-c"
            ]
        },
    ),
    Case(
        "a workload subnet not in the inventory",
        subnet_unknown,
        {"api": ERROR},
        message={"api": ["subnet subnet-gone not in inventory"]},
    ),
    Case(
        "endpoint in one AZ, workload in two without a spare subnet",
        lambda: endpoint_single_az_workload_two_azs(spare=False),
        {"api": FAIL},
        message={"api": ["vpce-logs (com.amazonaws.eu-west-1.logs) has interfaces only in eu-west-1a"]},
        bug="rules/VPCE010.yaml:32 runs the endpoint check only `when: spare_subnet_ids exists`, so an endpoint in "
        "one AZ PASSes (with a message claiming its endpoints span two AZs) whenever the workload has no spare "
        "subnet; expected FAIL endpoint_single_az (the fix can add a workload subnet of another AZ)",
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce010(case: Case) -> None:
    check_case("VPCE010", case)


@pytest.mark.xfail(
    strict=True,
    reason="BUG: rules/VPCE010.yaml:43 fixes a single-AZ standalone task family with "
    "`aws ecs update-service --service <family>`; a task family is not a service",
)
def test_single_az_task_family_is_not_fixed_with_update_service() -> None:
    [result] = run("VPCE010", single_az_task_family())
    assert (result.resource_id, result.status) == ("nightly", FAIL)
    assert not any(c.startswith("aws ecs update-service") for c in result.remediation), result.remediation
