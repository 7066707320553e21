"""VPCE006 subnet-no-internet-route: no route from a workload subnet to a NAT, NAT instance or internet gateway,
and no public IP; egress-only IGW is low, a default route to a transit gateway or firewall endpoint medium."""

from __future__ import annotations

import pytest

from scanner.results import Severity
from tests.builders import FAMILY, MAIN_RTB, PRIVATE_RTB, SERVICE, SUBNET_A, SUBNET_B, Scenario
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, run, table

REGION = "eu-west-1"


def delete_route(destination: str, table_id: str = PRIVATE_RTB) -> str:
    flag = "destination-ipv6-cidr-block" if ":" in destination else "destination-cidr-block"
    return f"aws ec2 delete-route --region {REGION} --route-table-id {table_id} --{flag} {destination}"


def routed(destination: str, table_id: str = PRIVATE_RTB, **target: str) -> Scenario:
    s = Scenario.compliant()
    s.route(table_id, destination, **target)
    return s


def blackhole() -> Scenario:
    s = Scenario.compliant()
    s.route(PRIVATE_RTB, "0.0.0.0/0", NatGatewayId="nat-1")["State"] = "blackhole"
    return s


def nat_and_egress_only() -> Scenario:
    s = routed("0.0.0.0/0", NatGatewayId="nat-1")
    s.route(PRIVATE_RTB, "::/0", EgressOnlyInternetGatewayId="eigw-1")
    return s


def appliance_and_nat_instance() -> Scenario:
    s = routed("192.168.0.0/16", NetworkInterfaceId="eni-0vpn")
    s.route(PRIVATE_RTB, "0.0.0.0/0", InstanceId="i-0nat", NetworkInterfaceId="eni-0nat")
    return s


def public_ip() -> Scenario:
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED"
    return s


def main_table_fallback() -> Scenario:
    s = Scenario.compliant()
    s.get("route_tables", PRIVATE_RTB)["Associations"] = []
    s.route(MAIN_RTB, "0.0.0.0/0", NatGatewayId="nat-1")
    return s


def explicit_table_wins_over_main() -> Scenario:
    s = Scenario.compliant()
    s.route(MAIN_RTB, "0.0.0.0/0", GatewayId="igw-1")
    return s


def one_table_per_subnet() -> Scenario:
    s = Scenario.compliant()
    s.get("route_tables", PRIVATE_RTB)["Associations"] = [{"SubnetId": SUBNET_A}]
    s.route_table("rtb-b", [SUBNET_B])
    s.route(PRIVATE_RTB, "0.0.0.0/0", NatGatewayId="nat-a")
    s.route("rtb-b", "0.0.0.0/0", NatGatewayId="nat-b")
    return s


def route_table_unknown() -> Scenario:
    s = Scenario.compliant()
    s.remove("route_tables", MAIN_RTB)
    s.get("route_tables", PRIVATE_RTB)["Associations"] = [{"SubnetId": SUBNET_A}]
    return s


def route_tables_denied() -> Scenario:
    s = Scenario.compliant()
    s.error("ec2", "DescribeRouteTables")
    return s


def services_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["services"] = []
    s.error("ecs", "ListServices")
    return s


NAT_FAIL = (
    "Route table rtb-private of subnet-a subnet-b sends 0.0.0.0/0 to nat gateway nat-1; "
    "expected no path to the internet."
)

CASES = [
    Case(
        "compliant (the S3 gateway prefix-list route is fine)",
        Scenario.compliant,
        {"api": PASS},
        message={"api": ["The subnets of api (subnet-a subnet-b) have no route to the internet and no public IP."]},
    ),
    Case(
        "default route to a NAT gateway",
        lambda: routed("0.0.0.0/0", NatGatewayId="nat-1"),
        {"api": FAIL},
        message={"api": [NAT_FAIL]},
        remediation={"api": [delete_route("0.0.0.0/0")]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "a non-default route to a NAT gateway",
        lambda: routed("203.0.113.0/24", NatGatewayId="nat-1"),
        {"api": FAIL},
        remediation={"api": [delete_route("203.0.113.0/24")]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "default route to an internet gateway",
        lambda: routed("0.0.0.0/0", GatewayId="igw-1"),
        {"api": FAIL},
        message={"api": ["sends 0.0.0.0/0 to internet gateway igw-1"]},
        remediation={"api": [delete_route("0.0.0.0/0")]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "IPv6 default route to an internet gateway",
        lambda: routed("::/0", GatewayId="igw-1"),
        {"api": FAIL},
        remediation={"api": [delete_route("::/0")]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "NAT instance",
        lambda: routed("0.0.0.0/0", InstanceId="i-0nat", NetworkInterfaceId="eni-0nat"),
        {"api": FAIL},
        message={"api": ["sends 0.0.0.0/0 to instance i-0nat"]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "NAT instance by its network interface",
        lambda: routed("0.0.0.0/0", NetworkInterfaceId="eni-0nat"),
        {"api": FAIL},
        message={"api": ["to network interface eni-0nat"]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "IPv6 default route to a NAT instance's network interface",
        lambda: routed("::/0", NetworkInterfaceId="eni-0nat"),
        {"api": FAIL},
        message={"api": ["sends ::/0 to network interface eni-0nat"]},
        remediation={"api": [delete_route("::/0")]},
        severity={"api": Severity.HIGH},
    ),
    # Instance and network-interface targets count only for default routes: a narrower route to an
    # appliance (VPN, SD-WAN) is not an internet path.
    Case(
        "a narrower route to an appliance's network interface passes",
        lambda: routed("192.168.0.0/16", NetworkInterfaceId="eni-0vpn"),
        {"api": PASS},
    ),
    Case(
        "a narrower route to an appliance instance passes",
        lambda: routed("172.16.0.0/12", InstanceId="i-0vpn", NetworkInterfaceId="eni-0vpn"),
        {"api": PASS},
    ),
    Case(
        "a narrower route to an appliance beside a default route to a NAT instance",
        appliance_and_nat_instance,
        {"api": FAIL},
        message={
            "api": [
                "Route table rtb-private of subnet-a subnet-b sends 0.0.0.0/0 to instance i-0nat; "
                "expected no path to the internet."
            ]
        },
        remediation={"api": [delete_route("0.0.0.0/0")]},
    ),
    Case("blackhole route is ignored", blackhole, {"api": PASS}),
    Case(
        "egress-only internet gateway ::/0: low",
        lambda: routed("::/0", EgressOnlyInternetGatewayId="eigw-1"),
        {"api": FAIL},
        message={"api": ["sends ::/0 to egress only internet gateway eigw-1"]},
        remediation={"api": [delete_route("::/0")]},
        severity={"api": Severity.LOW},
    ),
    Case(
        "default route to a transit gateway: medium",
        lambda: routed("0.0.0.0/0", TransitGatewayId="tgw-1"),
        {"api": FAIL},
        message={"api": ["sends 0.0.0.0/0 to transit gateway tgw-1"]},
        remediation={"api": [delete_route("0.0.0.0/0")]},
        severity={"api": Severity.MEDIUM},
    ),
    Case(
        "non-default route to a transit gateway passes",
        lambda: routed("10.1.0.0/16", TransitGatewayId="tgw-1"),
        {"api": PASS},
    ),
    Case(
        "default route to a firewall (GWLB) endpoint: medium",
        lambda: routed("0.0.0.0/0", GatewayId="vpce-0fw"),
        {"api": FAIL},
        message={"api": ["to gateway load balancer endpoint vpce-0fw"]},
        severity={"api": Severity.MEDIUM},
    ),
    Case("peering route passes", lambda: routed("10.9.0.0/16", VpcPeeringConnectionId="pcx-1"), {"api": PASS}),
    Case(
        "NAT and egress-only routes: the worst severity wins",
        nat_and_egress_only,
        {"api": FAIL},
        message={"api": [NAT_FAIL[:-1], "(and 1 more)"]},
        remediation={"api": [delete_route("0.0.0.0/0"), delete_route("::/0")]},
        severity={"api": Severity.HIGH},
    ),
    Case(
        "assignPublicIp ENABLED",
        public_ip,
        {"api": FAIL},
        message={"api": ["api has assignPublicIp=ENABLED; expected DISABLED."]},
        remediation={
            "api": [
                f"aws ecs update-service --region {REGION} --cluster prod --service api --network-configuration "
                '"awsvpcConfiguration={subnets=[subnet-a,subnet-b],securityGroups=[sg-tasks],assignPublicIp=DISABLED}"'
            ]
        },
        severity={"api": Severity.HIGH},
    ),
    Case(
        "a subnet without explicit association uses the main table",
        main_table_fallback,
        {"api": FAIL},
        message={"api": ["Route table rtb-main of subnet-a subnet-b sends 0.0.0.0/0 to nat gateway nat-1"]},
        remediation={"api": [delete_route("0.0.0.0/0", MAIN_RTB)]},
    ),
    Case("an explicit association wins over the main table", explicit_table_wins_over_main, {"api": PASS}),
    Case(
        "one finding per route table",
        one_table_per_subnet,
        {"api": FAIL},
        message={"api": ["Route table rtb-private of subnet-a sends 0.0.0.0/0 to nat gateway nat-a", "(and 1 more)"]},
        remediation={"api": [delete_route("0.0.0.0/0"), delete_route("0.0.0.0/0", "rtb-b")]},
    ),
    Case(
        "route table of a subnet unknown",
        route_table_unknown,
        {"api": ERROR},
        message={"api": ["no route table (explicit or main) known for subnet-b"]},
    ),
    Case(
        "route tables could not be described",
        route_tables_denied,
        {"api": ERROR},
        message={"api": ["ec2:DescribeRouteTables: AccessDenied"]},
    ),
    Case(
        "services could not be listed in the region",
        services_not_listed,
        {"ecs:ListServices": ERROR},
        message={
            "ecs:ListServices": [
                "VPCE006 could not list its subjects in region/eu-west-1: eu-west-1 ecs:ListServices: "
                "AccessDenied; grant ecs:ListServices."
            ]
        },
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce006(case: Case) -> None:
    check_case("VPCE006", case)


def test_standalone_task_with_a_public_ip_fails_with_a_run_task_fix() -> None:
    s = Scenario.compliant()
    s.remove("services", SERVICE)
    s.task("t1", eni_id="eni-t1", subnet=SUBNET_A)
    s.get("network_interfaces", "eni-t1")["Association"] = {"PublicIp": "203.0.113.7"}
    [result] = run("VPCE006", s)
    assert (result.resource_type, result.resource_id, result.status) == ("ecs_task_family", FAMILY, FAIL)
    assert result.message == f"Tasks of {FAMILY} have a public IP (assignPublicIp=ENABLED); expected DISABLED."
    assert result.remediation[1].startswith("aws ecs run-task --region eu-west-1 --cluster prod --task-definition ")
    assert "assignPublicIp=DISABLED" in result.remediation[1]
    s.get("network_interfaces", "eni-t1").pop("Association")
    assert [r.status for r in run("VPCE006", s)] == [PASS]
