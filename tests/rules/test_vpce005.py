"""VPCE005 task-sg-egress: the task groups allow tcp/443 out to each needed endpoint and the S3 prefix list."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.builders import (
    ENDPOINT,
    ENDPOINT_SG,
    NEEDED,
    S3_CIDRS,
    S3_PREFIX_LIST,
    SERVICE,
    TASK_SG,
    Json,
    Scenario,
    https,
    permission,
)
from tests.rules.ruletable import ERROR, FAIL, PASS, SKIPPED, Case, check_case, table

REGION = "eu-west-1"
ALL_PASS = {f"api/{s}": PASS for s in NEEDED}
INTERFACES = [f"api/{s}" for s in NEEDED if s != "s3"]


def grant(permissions: str) -> str:
    return (
        f"aws ec2 authorize-security-group-egress --region {REGION} --group-id sg-tasks "
        f"--ip-permissions '{permissions}'"
    )


GRANT_ENDPOINT_SG = grant(
    '[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"UserIdGroupPairs":[{"GroupId":"sg-endpoints"}]}]'
)
GRANT_PREFIX_LIST = grant(
    '[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"PrefixListIds":[{"PrefixListId":"pl-s3"}]}]'
)


def task_egress(rules: Sequence[Json]) -> Scenario:
    s = Scenario.compliant()
    s.get("security_groups", TASK_SG)["IpPermissionsEgress"] = list(rules)
    return s


def prefix_list_unknown(rules: Sequence[Json]) -> Scenario:
    s = task_egress(rules)
    s.remove("prefix_lists", S3_PREFIX_LIST)
    return s


def missing_logs() -> Scenario:
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    return s


def endpoint_without_groups() -> Scenario:
    s = task_egress([https(prefix_lists=[S3_PREFIX_LIST])])
    for service in ("ecr.api", "ecr.dkr", "logs", "sts"):
        s.get("vpc_endpoints", ENDPOINT[service])["Groups"] = []
    return s


def two_task_groups() -> Scenario:
    s = task_egress([https(groups=[ENDPOINT_SG])])
    s.group("sg-s3", egress=[https(prefix_lists=[S3_PREFIX_LIST])])
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] = [TASK_SG, "sg-s3"]
    return s


def task_group_unknown() -> Scenario:
    s = Scenario.compliant()
    s.remove("security_groups", TASK_SG)
    return s


def endpoint_subnet_unknown(rules: Sequence[Json] | None = None) -> Scenario:
    s = task_egress(rules or [https(cidrs=["10.0.1.0/24", "10.0.2.0/24"], prefix_lists=[S3_PREFIX_LIST])])
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"].append("subnet-gone")
    return s


def endpoint_subnet_unknown_egress_to_group() -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["SubnetIds"].append("subnet-gone")
    return s


def groups_denied() -> Scenario:
    s = Scenario.compliant()
    s.data["security_groups"] = []
    s.error("ec2", "DescribeSecurityGroups")
    return s


def missing_logs_groups_denied() -> Scenario:
    s = missing_logs()
    s.data["security_groups"] = []
    s.error("ec2", "DescribeSecurityGroups")
    return s


def endpoints_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["vpc_endpoints"] = []
    s.error("ec2", "DescribeVpcEndpoints")
    return s


CASES = [
    Case(
        "compliant: egress to the endpoint group and the S3 prefix list",
        Scenario.compliant,
        ALL_PASS,
        message={"api/logs": ["api's security groups allow tcp/443 out to vpce-logs (com.amazonaws.eu-west-1.logs)."]},
    ),
    Case(
        "egress to CIDRs covering every endpoint subnet",
        lambda: task_egress([https(cidrs=["10.0.1.0/24", "10.0.2.0/24"], prefix_lists=[S3_PREFIX_LIST])]),
        ALL_PASS,
    ),
    Case(
        "egress to the VPC CIDR",
        lambda: task_egress([https(cidrs=["10.0.0.0/16"], prefix_lists=[S3_PREFIX_LIST])]),
        ALL_PASS,
    ),
    Case(
        "egress to a CIDR covering only one endpoint subnet",
        lambda: task_egress([https(cidrs=["10.0.1.0/24"], prefix_lists=[S3_PREFIX_LIST])]),
        {**ALL_PASS, **{k: FAIL for k in INTERFACES}},
        message={
            "api/logs": [
                "api's security groups (sg-tasks) do not allow tcp/443 out to vpce-logs "
                "(com.amazonaws.eu-west-1.logs); expected a rule to its group or subnets."
            ]
        },
        remediation={k: [GRANT_ENDPOINT_SG] for k in INTERFACES},
    ),
    Case("egress to 0.0.0.0/0 (all traffic)", lambda: task_egress([permission("-1", cidrs=["0.0.0.0/0"])]), ALL_PASS),
    Case("egress to 0.0.0.0/0 tcp/443", lambda: task_egress([https(cidrs=["0.0.0.0/0"])]), ALL_PASS),
    Case(
        "egress to the endpoint group on another port",
        lambda: task_egress([permission("tcp", 80, groups=[ENDPOINT_SG], prefix_lists=[S3_PREFIX_LIST])]),
        {k: FAIL for k in ALL_PASS},
        remediation={"api/logs": [GRANT_ENDPOINT_SG], "api/s3": [GRANT_PREFIX_LIST]},
    ),
    Case(
        "a port range including 443 counts",
        lambda: task_egress([permission("tcp", 0, 65535, groups=[ENDPOINT_SG], prefix_lists=[S3_PREFIX_LIST])]),
        ALL_PASS,
    ),
    Case(
        "no rule to the S3 prefix list",
        lambda: task_egress([https(groups=[ENDPOINT_SG])]),
        {**ALL_PASS, "api/s3": FAIL},
        message={
            "api/s3": [
                "api's security groups (sg-tasks) do not allow tcp/443 out to prefix list pl-s3 "
                "(com.amazonaws.eu-west-1.s3); expected a rule to it."
            ]
        },
        remediation={"api/s3": [GRANT_PREFIX_LIST]},
    ),
    Case(
        "CIDRs covering the S3 prefix list",
        lambda: task_egress([https(groups=[ENDPOINT_SG], cidrs=list(S3_CIDRS))]),
        ALL_PASS,
    ),
    Case(
        "CIDRs covering part of the S3 prefix list",
        lambda: task_egress([https(groups=[ENDPOINT_SG], cidrs=[S3_CIDRS[0]])]),
        {**ALL_PASS, "api/s3": FAIL},
        remediation={"api/s3": [GRANT_PREFIX_LIST]},
    ),
    Case(
        "prefix list not in the inventory and no /0",
        lambda: prefix_list_unknown([https(groups=[ENDPOINT_SG])]),
        {**ALL_PASS, "api/s3": ERROR},
        message={"api/s3": ["prefix list com.amazonaws.eu-west-1.s3 is not in the inventory"]},
    ),
    Case(
        "prefix list not in the inventory but egress to 0.0.0.0/0",
        lambda: prefix_list_unknown([https(groups=[ENDPOINT_SG], cidrs=["0.0.0.0/0"])]),
        ALL_PASS,
    ),
    Case("two task groups together allow everything", two_task_groups, ALL_PASS),
    Case(
        "Interface endpoint without groups: the fix opens its subnets",
        endpoint_without_groups,
        {**ALL_PASS, **{k: FAIL for k in INTERFACES}},
        remediation={
            "api/sts": [
                grant(
                    '[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":'
                    '[{"CidrIp":"10.0.1.0/24"},{"CidrIp":"10.0.2.0/24"}]}]'
                )
            ]
        },
    ),
    Case(
        "missing endpoint: skipped, VPCE001 reports it",
        missing_logs,
        {**ALL_PASS, "api/logs": SKIPPED},
        message={"api/logs": ["No usable com.amazonaws.eu-west-1.logs endpoint in vpc-app; VPCE001 reports it."]},
    ),
    Case(
        "an endpoint subnet not in the inventory (egress by CIDR)",
        endpoint_subnet_unknown,
        {**ALL_PASS, "api/logs": ERROR},
        message={"api/logs": ["subnets of vpce-logs are not all in the inventory"]},
    ),
    Case(
        "an endpoint subnet not in the inventory, egress to 0.0.0.0/0 tcp/443",
        lambda: endpoint_subnet_unknown([https(cidrs=["0.0.0.0/0"])]),
        ALL_PASS,
    ),
    Case(
        "an endpoint subnet not in the inventory, all traffic to 0.0.0.0/0",
        lambda: endpoint_subnet_unknown([permission("-1", cidrs=["0.0.0.0/0"])]),
        ALL_PASS,
    ),
    Case(
        "an endpoint subnet not in the inventory, egress to the endpoint group",
        endpoint_subnet_unknown_egress_to_group,
        ALL_PASS,
    ),
    Case(
        "task group not in the inventory",
        task_group_unknown,
        {k: ERROR for k in ALL_PASS},
        message={"api/s3": ["Could not decide: security group sg-tasks of api is not in the inventory."]},
    ),
    Case(
        "security groups could not be described",
        groups_denied,
        {k: ERROR for k in ALL_PASS},
        message={
            "api/s3": [
                "security group sg-tasks could not be read: eu-west-1 ec2:DescribeSecurityGroups: AccessDenied; "
                "grant ec2:DescribeSecurityGroups"
            ]
        },
    ),
    # Incomplete data is decided before skip_when: without the endpoint list, "VPCE001 reports it" is a guess.
    Case(
        "endpoints could not be listed: ERROR, not skipped",
        endpoints_not_listed,
        {"ec2:DescribeVpcEndpoints": ERROR, **{k: ERROR for k in ALL_PASS}},
        message={
            "ec2:DescribeVpcEndpoints": [
                "VPCE005 could not list its subjects in region/eu-west-1: eu-west-1 ec2:DescribeVpcEndpoints: "
                "AccessDenied; grant ec2:DescribeVpcEndpoints."
            ],
            "api/logs": ["Incomplete data: eu-west-1 ec2:DescribeVpcEndpoints: AccessDenied"],
        },
    ),
    Case(
        # The endpoint list is complete, so the logs endpoint is surely missing (VPCE001's finding); the
        # groups matter only to the needs that have an endpoint.
        "a missing endpoint and security groups not described: the missing one skipped, the others ERROR",
        missing_logs_groups_denied,
        {k: ERROR for k in ALL_PASS} | {"api/logs": SKIPPED},
        message={"api/s3": ["eu-west-1 ec2:DescribeSecurityGroups: AccessDenied"]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce005(case: Case) -> None:
    check_case("VPCE005", case)
