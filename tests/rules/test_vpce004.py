"""VPCE004 endpoint-sg-ingress: endpoint groups admit tcp/443 from their workloads' groups and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.builders import ENDPOINT, ENDPOINT_SG, INTERFACE_NEEDED, TASK_SG, VPC_CIDR, Json, Scenario, https, permission
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, table

REGION = "eu-west-1"
ALL_PASS = {ENDPOINT[s]: PASS for s in INTERFACE_NEEDED}
ALL_FAIL = {ENDPOINT[s]: FAIL for s in INTERFACE_NEEDED}
ALL_ERROR = {ENDPOINT[s]: ERROR for s in INTERFACE_NEEDED}


def admit(source_group: str) -> str:
    return (
        f"aws ec2 authorize-security-group-ingress --region {REGION} --group-id sg-endpoints --protocol tcp "
        f"--port 443 --source-group {source_group}"
    )


def revoke(permissions: str) -> str:
    return (
        f"aws ec2 revoke-security-group-ingress --region {REGION} --group-id sg-endpoints "
        f"--ip-permissions '{permissions}'"
    )


def endpoint_ingress(rules: Sequence[Json], *, keep: bool = False) -> Scenario:
    s = Scenario.compliant()
    group = s.get("security_groups", ENDPOINT_SG)
    group["IpPermissions"] = [*group["IpPermissions"], *rules] if keep else list(rules)
    return s


def with_worker(admitted: bool) -> Scenario:
    s = Scenario.compliant()
    s.group("sg-worker", egress=[https(groups=[ENDPOINT_SG])])
    s.task_definition("worker")
    s.service("worker", family="worker", groups=["sg-worker"])
    if admitted:
        s.get("security_groups", ENDPOINT_SG)["IpPermissions"] = [https(groups=[TASK_SG, "sg-worker"])]
    return s


def endpoint_group_unknown() -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["Groups"] = [{"GroupId": "sg-gone"}]
    return s


def groups_denied() -> Scenario:
    s = Scenario.compliant()
    s.error("ec2", "DescribeSecurityGroups")
    return s


def task_group_unknown() -> Scenario:
    s = Scenario.compliant()
    s.remove("security_groups", TASK_SG)
    return s


CIDR_RULE = '[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"IpRanges":[{"CidrIp":"10.0.0.0/16"}]}]'
OTHER_GROUP_RULE = '[{"IpProtocol":"tcp","FromPort":443,"ToPort":443,"UserIdGroupPairs":[{"GroupId":"sg-other"}]}]'

CASES = [
    Case(
        "compliant",
        Scenario.compliant,
        ALL_PASS,
        message={
            "vpce-logs": ["vpce-logs (com.amazonaws.eu-west-1.logs) admits tcp/443 only from its workloads' groups."]
        },
    ),
    Case(
        "task group not admitted",
        lambda: endpoint_ingress([]),
        ALL_FAIL,
        message={
            "vpce-logs": [
                "vpce-logs (com.amazonaws.eu-west-1.logs) group sg-endpoints does not admit tcp/443 "
                "from api's group sg-tasks; expected an inbound rule for it."
            ]
        },
        remediation={k: [admit(TASK_SG)] for k in ALL_FAIL},
    ),
    Case(
        "a CIDR source, beside the task group",
        lambda: endpoint_ingress([https(cidrs=[VPC_CIDR])], keep=True),
        ALL_FAIL,
        message={
            "vpce-sts": [
                "vpce-sts (com.amazonaws.eu-west-1.sts) group sg-endpoints admits tcp/443 from "
                "10.0.0.0/16; expected tcp/443 only from the groups of its workloads."
            ]
        },
        remediation={"vpce-sts": [revoke(CIDR_RULE)]},
    ),
    Case(
        "another group, beside the task group",
        lambda: endpoint_ingress([https(groups=["sg-other"])], keep=True),
        ALL_FAIL,
        message={"vpce-logs": ["admits tcp/443 from sg-other"]},
        remediation={"vpce-logs": [revoke(OTHER_GROUP_RULE)]},
    ),
    Case(
        "all traffic from another group",
        lambda: endpoint_ingress([permission("-1", groups=["sg-other"])], keep=True),
        ALL_FAIL,
        message={"vpce-logs": ["admits all traffic from sg-other"]},
        remediation={"vpce-logs": [revoke('[{"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-other"}]}]')]},
    ),
    Case(
        "another port from the task group, beside tcp/443",
        lambda: endpoint_ingress([permission("tcp", 8443, groups=[TASK_SG])], keep=True),
        ALL_FAIL,
        message={"vpce-logs": ["admits tcp/8443 from sg-tasks"]},
        remediation={
            "vpce-logs": [
                revoke(
                    '[{"IpProtocol":"tcp","FromPort":8443,"ToPort":8443,"UserIdGroupPairs":[{"GroupId":"sg-tasks"}]}]'
                )
            ]
        },
    ),
    Case(
        "only another port from the task group: admit 443, revoke the other",
        lambda: endpoint_ingress([permission("tcp", 80, groups=[TASK_SG])]),
        ALL_FAIL,
        message={"vpce-logs": ["does not admit tcp/443 from api's group sg-tasks", "(and 1 more)"]},
        remediation={
            "vpce-logs": [
                admit(TASK_SG),
                revoke('[{"IpProtocol":"tcp","FromPort":80,"ToPort":80,"UserIdGroupPairs":[{"GroupId":"sg-tasks"}]}]'),
            ]
        },
    ),
    Case(
        "udp/443 from the task group does not admit it",
        lambda: endpoint_ingress([permission("udp", 443, groups=[TASK_SG])]),
        ALL_FAIL,
        message={"vpce-logs": ["does not admit tcp/443", "(and 1 more)"]},
    ),
    Case(
        "another group allowed by endpoint_allowed_sources",
        lambda: endpoint_ingress([https(groups=["sg-bastion"])], keep=True),
        ALL_PASS,
        params={"endpoint_allowed_sources": ["sg-bastion"]},
    ),
    Case(
        "endpoint_allowed_sources does not allow other ports",
        lambda: endpoint_ingress([permission("tcp", 22, groups=["sg-bastion"])], keep=True),
        ALL_FAIL,
        params={"endpoint_allowed_sources": ["sg-bastion"]},
        message={"vpce-logs": ["admits tcp/22 from sg-bastion"]},
    ),
    Case("two workloads share the endpoints, both groups admitted", lambda: with_worker(True), ALL_PASS),
    Case(
        "two workloads share the endpoints, the second not admitted",
        lambda: with_worker(False),
        ALL_FAIL,
        message={"vpce-logs": ["does not admit tcp/443 from worker's group sg-worker"]},
        remediation={k: [admit("sg-worker")] for k in ALL_FAIL},
    ),
    Case(
        "endpoint group not in the inventory",
        endpoint_group_unknown,
        {**ALL_PASS, "vpce-logs": ERROR},
        message={"vpce-logs": ["security group sg-gone of vpce-logs is not in the inventory"]},
    ),
    Case(
        "task group not in the inventory",
        task_group_unknown,
        ALL_ERROR,
        message={"vpce-logs": ["security group sg-tasks not in inventory"]},
    ),
    Case(
        "security groups could not be described",
        groups_denied,
        ALL_ERROR,
        message={"vpce-logs": ["ec2:DescribeSecurityGroups: AccessDenied; grant ec2:DescribeSecurityGroups"]},
    ),
]

# The fix must leave the workload admitted: revoking its only admitting rule without adding tcp/443 from its
# group would cut the tasks off their endpoints.
REVOKE_ONLY = (
    "sg_ingress_only (security_groups.py) counts a non-compliant rule (a CIDR, all traffic, a port range) "
    "as admitting the workload, so it reports only extra_ingress and the remediation revokes the task's only "
    "path to the endpoint; expected the authorize for tcp/443 from the task group first"
)
CASES += [
    Case(
        "only a CIDR admits the tasks: the fix admits the group before revoking",
        lambda: endpoint_ingress([https(cidrs=[VPC_CIDR])]),
        ALL_FAIL,
        remediation={"vpce-logs": [admit(TASK_SG), revoke(CIDR_RULE)]},
        bug=REVOKE_ONLY,
    ),
    Case(
        "only all traffic from the task group: the fix admits tcp/443 before revoking",
        lambda: endpoint_ingress([permission("-1", groups=[TASK_SG])]),
        ALL_FAIL,
        remediation={
            "vpce-logs": [admit(TASK_SG), revoke('[{"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-tasks"}]}]')]
        },
        bug=REVOKE_ONLY,
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce004(case: Case) -> None:
    check_case("VPCE004", case)
