"""VPCE003 endpoint-subnet-coverage: Interface endpoints in every workload AZ; the S3 gateway on every task
subnet's route table (explicit association, else the VPC's main table)."""

from __future__ import annotations

import pytest

from tests.builders import ENDPOINT, NEEDED, PRIVATE_RTB, SERVICE, SUBNET_A, SUBNET_B, SUBNET_C, Scenario
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, table

REGION = "eu-west-1"
ALL_PASS = {ENDPOINT[s]: PASS for s in NEEDED}


def add_subnets(endpoint: str, *subnets: str) -> str:
    return (
        f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id {endpoint} "
        f"--add-subnet-ids {' '.join(subnets)}"
    )


def add_route_tables(*tables: str) -> str:
    return (
        f"aws ec2 modify-vpc-endpoint --region {REGION} --vpc-endpoint-id vpce-s3 "
        f"--add-route-table-ids {' '.join(tables)}"
    )


def logs_only_in(*subnets: str) -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"] = list(subnets)
    return s


def three_azs_logs_in_one() -> Scenario:
    """The service runs in subnets a, b, c and d (c and d both in eu-west-1c); logs has only subnet-a."""
    s = logs_only_in(SUBNET_A)
    s.subnet(SUBNET_C)
    s.subnet("subnet-d", "10.0.4.0/24", f"{REGION}c")
    for endpoint in s.data["vpc_endpoints"]:
        if endpoint["VpcEndpointType"] == "Interface" and endpoint["VpcEndpointId"] != ENDPOINT["logs"]:
            endpoint["SubnetIds"].append(SUBNET_C)
    private = s.get("route_tables", PRIVATE_RTB)
    private["Associations"] += [{"SubnetId": SUBNET_C}, {"SubnetId": "subnet-d"}]
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [
        SUBNET_A,
        SUBNET_B,
        SUBNET_C,
        "subnet-d",
    ]
    return s


def subnet_b_on(table: str | None) -> Scenario:
    """subnet-b leaves rtb-private: to its own table `table`, or to the main table (None)."""
    s = Scenario.compliant()
    private = s.get("route_tables", PRIVATE_RTB)
    private["Associations"] = [a for a in private["Associations"] if a["SubnetId"] != SUBNET_B]
    if table is not None:
        s.route_table(table, [SUBNET_B])
    return s


def subnet_b_without_table() -> Scenario:
    s = subnet_b_on(None)
    s.remove("route_tables", "rtb-main")
    return s


def route_tables_denied() -> Scenario:
    s = Scenario.compliant()
    s.error("ec2", "DescribeRouteTables")
    return s


def shared_endpoint_second_workload_in_c() -> Scenario:
    s = Scenario.compliant()
    s.subnet(SUBNET_C)
    s.get("route_tables", PRIVATE_RTB)["Associations"].append({"SubnetId": SUBNET_C})
    s.task_definition("worker")
    s.service("worker", family="worker", subnets=[SUBNET_C])
    return s


def logs_in_a_and_other_b() -> Scenario:
    s = logs_only_in(SUBNET_A, "subnet-b-endpoints")
    s.subnet("subnet-b-endpoints", "10.0.20.0/24", f"{REGION}b")
    return s


CASES = [
    Case(
        "compliant",
        Scenario.compliant,
        ALL_PASS,
        message={"vpce-logs": ["vpce-logs (com.amazonaws.eu-west-1.logs) covers every AZ and route table of api."]},
    ),
    Case(
        "Interface endpoint missing an AZ",
        lambda: logs_only_in(SUBNET_A),
        {**ALL_PASS, "vpce-logs": FAIL},
        message={
            "vpce-logs": [
                "vpce-logs (com.amazonaws.eu-west-1.logs) has no network interface in eu-west-1b, where api run"
            ]
        },
        remediation={"vpce-logs": [add_subnets("vpce-logs", SUBNET_B)]},
    ),
    Case("endpoint in a non-workload subnet of the right AZ covers it", logs_in_a_and_other_b, ALL_PASS),
    Case(
        "two missing AZs: the fix adds one subnet per missing AZ",
        three_azs_logs_in_one,
        {**ALL_PASS, "vpce-logs": FAIL},
        message={"vpce-logs": ["has no network interface in eu-west-1b eu-west-1c"]},
        remediation={"vpce-logs": [add_subnets("vpce-logs", SUBNET_B, SUBNET_C)]},
    ),
    Case(
        "S3 gateway not on an explicitly associated route table",
        lambda: subnet_b_on("rtb-b"),
        {**ALL_PASS, "vpce-s3": FAIL},
        message={
            "vpce-s3": ["vpce-s3 (com.amazonaws.eu-west-1.s3) is not on route tables rtb-b of the subnets of api"]
        },
        remediation={"vpce-s3": [add_route_tables("rtb-b")]},
    ),
    Case(
        "S3 gateway not on the main table a subnet falls back to",
        lambda: subnet_b_on(None),
        {**ALL_PASS, "vpce-s3": FAIL},
        message={"vpce-s3": ["is not on route tables rtb-main"]},
        remediation={"vpce-s3": [add_route_tables("rtb-main")]},
    ),
    Case(
        "route table of a subnet unknown",
        subnet_b_without_table,
        {**ALL_PASS, "vpce-s3": ERROR},
        message={"vpce-s3": ["consumer_route_table_ids is unknown"]},
    ),
    Case(
        # Only the Gateway endpoint's coverage reads route tables; Interface endpoints cover AZs.
        "route tables could not be described",
        route_tables_denied,
        {k: PASS for k in ALL_PASS} | {"vpce-s3": ERROR},
        message={"vpce-s3": ["ec2:DescribeRouteTables: AccessDenied"]},
    ),
    Case(
        "a shared endpoint must cover the AZs of every workload using it",
        shared_endpoint_second_workload_in_c,
        {k: FAIL for k in ALL_PASS if k != "vpce-s3"} | {"vpce-s3": PASS},
        message={"vpce-logs": ["has no network interface in eu-west-1c, where api, worker run"]},
        remediation={"vpce-logs": [add_subnets("vpce-logs", SUBNET_C)]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce003(case: Case) -> None:
    check_case("VPCE003", case)
