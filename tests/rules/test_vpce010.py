"""VPCE010 endpoint-multi-az: workloads and the Interface endpoints they use span at least two AZs (low)."""

from __future__ import annotations

import pytest

from scanner.results import Severity
from tests.builders import ENDPOINT, PRIVATE_RTB, SERVICE, SUBNET_A, SUBNET_B, SUBNET_C, Scenario
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, run, statuses, table

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


def single_az_task_family_without_spare() -> Scenario:
    s = single_az(spare=False)
    s.remove("services", SERVICE)
    s.task_definition("nightly")
    s.task("task-1", family="nightly", subnet=SUBNET_A)
    return s


def every_endpoint_single_az() -> Scenario:
    """The service and every Interface endpoint in subnet-a only; subnet-b is not routed like subnet-a."""
    s = single_az(spare=False)
    for endpoint in s.data["vpc_endpoints"]:
        if endpoint["VpcEndpointType"] == "Interface":
            endpoint["SubnetIds"] = [SUBNET_A]
    return s


def only_az_of_the_region() -> Scenario:
    """As every_endpoint_single_az, and subnet-a is the only subnet (so the only AZ) the region shows."""
    s = every_endpoint_single_az()
    s.remove("subnets", SUBNET_B)
    s.remove("route_tables", "rtb-other")
    return s


def subnet_unknown() -> Scenario:
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A, "subnet-gone"]
    return s


def network_configuration(subnets: str) -> str:
    return f'"awsvpcConfiguration={{subnets=[{subnets}],securityGroups=[sg-tasks],assignPublicIp=DISABLED}}"'


UPDATE_SERVICE = (
    f"aws ecs update-service --region {REGION} --cluster prod --service api --network-configuration "
    + network_configuration("subnet-a,subnet-b")
)
NIGHTLY_ARN = f"arn:aws:ecs:{REGION}:111122223333:task-definition/nightly:3"
RUN_TASK = [
    "# start nightly tasks with this network configuration (here with run-task; update the scheduler that "
    "starts them the same way):",
    f"aws ecs run-task --region {REGION} --cluster prod --task-definition {NIGHTLY_ARN} --launch-type FARGATE "
    "--network-configuration " + network_configuration("subnet-a,subnet-b"),
]


def new_subnet(workload: str) -> list[str]:
    """A new subnet in eu-west-1b (the other AZ seen in the region), in the VPC's first free /24, routed like
    the workload's subnet."""
    return [
        f'NEW_SUBNET=$(aws ec2 create-subnet --region {REGION} --vpc-id vpc-app --cidr-block "10.0.0.0/24" '
        f'--availability-zone "{REGION}b" --query Subnet.SubnetId --output text)',
        f'aws ec2 associate-route-table --region {REGION} --route-table-id "rtb-private" --subnet-id "$NEW_SUBNET"',
        f"# then add $NEW_SUBNET to the subnets of {workload}: subnets=[subnet-a,$NEW_SUBNET]",
    ]


def add_endpoint_subnet(subnet: str, endpoint: str = "vpce-logs") -> str:
    return f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id {endpoint} --add-subnet-ids {subnet}"


NO_SUBNET_MESSAGE = (
    "api runs only in eu-west-1a and VPC vpc-app has no subnet routed like it in another AZ; expected at least two AZs."
)
ENDPOINT_MESSAGE = (
    "vpce-logs (com.amazonaws.eu-west-1.logs) has interfaces only in eu-west-1a; expected at least two AZs."
)

CASES = [
    Case(
        "compliant: two AZs",
        Scenario.compliant,
        {"api": PASS},
        severity={"api": Severity.LOW},
        message={"api": ["api spans at least two AZs (eu-west-1a eu-west-1b)."]},
    ),
    Case(
        "single-AZ service with a spare subnet: service_single_az",
        lambda: single_az(spare=True),
        {"api": FAIL},
        message={"api": ["api runs only in eu-west-1a; expected at least two AZs."]},
        remediation={"api": [UPDATE_SERVICE]},
        severity={"api": Severity.LOW},
    ),
    Case(
        "single-AZ service without a spare subnet: single_az_no_subnet creates one",
        lambda: single_az(spare=False),
        {"api": FAIL},
        message={"api": [NO_SUBNET_MESSAGE]},
        remediation={"api": new_subnet("api")},
        severity={"api": Severity.LOW},
    ),
    Case(
        "single-AZ task family with a spare subnet: tasks_single_az starts them with run-task",
        single_az_task_family,
        {"nightly": FAIL},
        message={"nightly": ["Tasks of nightly run only in eu-west-1a; expected at least two AZs."]},
        remediation={"nightly": RUN_TASK},
    ),
    Case(
        "single-AZ task family without a spare subnet: single_az_no_subnet",
        single_az_task_family_without_spare,
        {"nightly": FAIL},
        message={"nightly": ["nightly runs only in eu-west-1a and VPC vpc-app has no subnet routed like it"]},
        remediation={"nightly": new_subnet("nightly")},
    ),
    Case(
        "single-AZ workload and endpoint, spare subnet: endpoint_single_az",
        lambda: single_az_endpoint(spare=True),
        {"api": FAIL},
        message={"api": ["api runs only in eu-west-1a; expected at least two AZs. (and 1 more)"]},
        remediation={"api": [UPDATE_SERVICE, add_endpoint_subnet(SUBNET_B)]},
    ),
    Case(
        "single-AZ workload and endpoint, no spare subnet: endpoint_single_az_no_subnet adds the new one",
        lambda: single_az_endpoint(spare=False),
        {"api": FAIL},
        message={"api": [NO_SUBNET_MESSAGE + " (and 1 more)"]},
        remediation={"api": [*new_subnet("api"), add_endpoint_subnet('"$NEW_SUBNET"')]},
    ),
    Case(
        "single-AZ workload, every endpoint in one AZ: one fix per Interface endpoint, the Gateway aside",
        every_endpoint_single_az,
        {"api": FAIL},
        message={"api": [NO_SUBNET_MESSAGE + " (and 4 more)"]},
        remediation={
            "api": [
                *new_subnet("api"),
                *(add_endpoint_subnet('"$NEW_SUBNET"', ENDPOINT[s]) for s in ("ecr.api", "ecr.dkr", "logs", "sts")),
            ]
        },
    ),
    # For a multi-AZ workload the endpoint part is VPCE003's (an interface in every workload AZ).
    Case(
        "endpoint in one AZ, workload in two, spare subnet in a third AZ: VPCE003's finding",
        lambda: endpoint_single_az_workload_two_azs(spare=True),
        {"api": PASS},
    ),
    Case(
        "endpoint in one AZ, workload in two without a spare subnet: VPCE003's finding",
        lambda: endpoint_single_az_workload_two_azs(spare=False),
        {"api": PASS},
    ),
    Case(
        "a workload subnet not in the inventory",
        subnet_unknown,
        {"api": ERROR},
        message={"api": ["subnet subnet-gone not in inventory"]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce010(case: Case) -> None:
    check_case("VPCE010", case)


def test_single_az_task_family_is_not_fixed_with_update_service() -> None:
    [result] = run("VPCE010", single_az_task_family())
    assert (result.resource_id, result.resource_type, result.status) == ("nightly", "ecs_task_family", FAIL)
    assert not any(c.startswith("aws ecs update-service") for c in result.remediation), result.remediation


def test_create_subnet_placeholder_for_an_unknown_az_is_quoted() -> None:
    [result] = run("VPCE010", only_az_of_the_region())
    assert result.status is FAIL
    create = result.remediation[0]
    assert create.startswith(f"NEW_SUBNET=$(aws ec2 create-subnet --region {REGION} --vpc-id vpc-app "), create
    assert f'--availability-zone "<an AZ of {REGION} other than {REGION}a>" ' in create, create


@pytest.mark.parametrize("spare", [True, False], ids=["spare subnet", "no spare subnet"])
def test_endpoint_in_one_az_of_a_multi_az_workload_is_vpce003s(spare: bool) -> None:
    scenario = endpoint_single_az_workload_two_azs(spare)
    assert statuses(run("VPCE010", scenario)) == {"api": PASS}
    assert statuses(run("VPCE003", scenario))["vpce-logs"] is FAIL


UNLISTED_MESSAGE = (
    "api runs only in eu-west-1a; expected at least two AZs (the subnets or route tables of VPC vpc-app could not "
    "all be read, so no subnet to add is named)."
)
LIST_THEM = [
    "# the subnets or route tables of VPC vpc-app could not all be read: list the subnets and their route tables",
    f'aws ec2 describe-subnets --region {REGION} --filters "Name=vpc-id,Values=vpc-app" '
    '--query "Subnets[].[SubnetId,AvailabilityZone,CidrBlock]" --output text',
    f'aws ec2 describe-route-tables --region {REGION} --filters "Name=vpc-id,Values=vpc-app" '
    '--query "RouteTables[].[RouteTableId,Associations[].SubnetId]" --output text',
    "# then set NEW_SUBNET to a subnet in another AZ routed like subnet-a (or create one there), and add it to the "
    "subnets of api: subnets=[subnet-a,$NEW_SUBNET]",
]


def other_subnets_on_a_lost_page(code: str = "ThrottlingException") -> Scenario:
    """The single-AZ service's own subnet was read; subnet-b (the spare one) was on page 2, which failed."""
    s = single_az(spare=True)
    s.remove("subnets", SUBNET_B)
    s.error("ec2", "DescribeSubnets", code)
    return s


def test_a_partial_subnet_listing_keeps_the_single_az_fail() -> None:
    """Before: ERROR ("the other subnets of the VPC is unknown"), hiding a FAIL proven on the service's own
    subnet. The fix names no subnet (nor a free block, which one unread subnet may hold)."""
    [result] = run("VPCE010", other_subnets_on_a_lost_page())
    assert result.status is FAIL
    assert result.message == UNLISTED_MESSAGE
    assert result.remediation == LIST_THEM


def test_a_partial_subnet_listing_still_names_a_spare_subnet_it_read() -> None:
    s = single_az(spare=True)
    s.error("ec2", "DescribeSubnets", "ThrottlingException")
    [result] = run("VPCE010", s)
    assert (result.status, result.remediation) == (FAIL, [UPDATE_SERVICE])


def test_a_partial_route_table_listing_keeps_the_single_az_fail() -> None:
    s = single_az(spare=True)
    s.error("ec2", "DescribeRouteTables", "InternalError")
    [result] = run("VPCE010", s)
    assert (result.status, result.message, result.remediation) == (FAIL, UNLISTED_MESSAGE, LIST_THEM)


def test_a_partial_subnet_listing_with_a_single_az_endpoint_adds_the_chosen_subnet() -> None:
    s = other_subnets_on_a_lost_page()
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"] = [SUBNET_A]
    [result] = run("VPCE010", s)
    assert result.status is FAIL
    assert result.remediation == [*LIST_THEM, add_endpoint_subnet('"$NEW_SUBNET"')]


def test_the_own_subnets_unread_is_still_error() -> None:
    s = other_subnets_on_a_lost_page("AccessDenied")
    s.remove("subnets", SUBNET_A)
    [result] = run("VPCE010", s)
    assert result.status is ERROR
    assert "ec2:DescribeSubnets: AccessDenied; grant ec2:DescribeSubnets" in result.message


def test_a_partial_endpoint_listing_fixes_no_endpoint_that_may_not_serve() -> None:
    """DescribeVpcEndpoints failed on a page: the logs endpoint read has private DNS off, so the one that serves
    may be on the lost page. The single-AZ FAIL stands; it proposes no modify-vpc-endpoint on the one read."""
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A]
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    s.endpoint("logs", endpoint_id="vpce-logs-nodns", private_dns=False, subnets=[SUBNET_A])
    s.error("ec2", "DescribeVpcEndpoints", "InternalError")
    [result] = [r for r in run("VPCE010", s) if r.resource_id == SERVICE]
    assert result.status is FAIL
    assert not any("vpce-logs-nodns" in line for line in [*result.evidence["problems"], *result.remediation])
