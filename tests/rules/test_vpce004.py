"""VPCE004 endpoint-sg-ingress: endpoint groups admit tcp/443 from their workloads' groups and nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.builders import ENDPOINT, ENDPOINT_SG, INTERFACE_NEEDED, TASK_SG, VPC_CIDR, Json, Scenario, https, permission
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, check_case, table

REGION = "eu-west-1"
ALL_PASS = {ENDPOINT[s]: PASS for s in INTERFACE_NEEDED}
ALL_FAIL = {ENDPOINT[s]: FAIL for s in INTERFACE_NEEDED}
# Incomplete data is decided before `where`: the S3 Gateway endpoint, outside `where`, is ERROR too.
# A missing group is unknown to this rule's check alone; the S3 Gateway endpoint is outside `where`.
ALL_ERROR = {ENDPOINT[s]: ERROR for s in INTERFACE_NEEDED}


def not_admitted(endpoint: str, workload: str = "api", group: str = TASK_SG) -> str:
    service = next(s for s in INTERFACE_NEEDED if ENDPOINT[s] == endpoint)
    return (
        f"{endpoint} (com.amazonaws.{REGION}.{service}) group sg-endpoints has no rule admitting exactly tcp/443 "
        f"from {workload}'s group {group}; expected one."
    )


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


def with_worker_by_cidr() -> Scenario:
    """api admitted by its group; worker only by the VPC CIDR."""
    s = with_worker(admitted=False)
    s.get("security_groups", ENDPOINT_SG)["IpPermissions"].append(https(cidrs=[VPC_CIDR]))
    return s


def endpoint_group_unknown() -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["Groups"] = [{"GroupId": "sg-gone"}]
    return s


def groups_denied() -> Scenario:
    s = Scenario.compliant()
    s.data["security_groups"] = []
    s.error("ec2", "DescribeSecurityGroups")
    return s


def groups_page_failed() -> Scenario:
    """A later page failed: the groups that arrived are whole (each comes with all its rules)."""
    s = Scenario.compliant()
    s.error("ec2", "DescribeSecurityGroups", "RequestLimitExceeded")
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
        message={"vpce-logs": [not_admitted("vpce-logs")]},
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
        message={"vpce-logs": [not_admitted("vpce-logs") + " (and 1 more)"]},
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
        message={"vpce-logs": [not_admitted("vpce-logs") + " (and 1 more)"]},
        remediation={
            "vpce-logs": [
                admit(TASK_SG),
                revoke(
                    '[{"IpProtocol":"udp","FromPort":443,"ToPort":443,"UserIdGroupPairs":[{"GroupId":"sg-tasks"}]}]'
                ),
            ]
        },
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
        message={"vpce-logs": [not_admitted("vpce-logs", "worker", "sg-worker")]},
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
        message={
            "vpce-logs": ["Could not decide: security group sg-tasks of api is not in the inventory."],
        },
    ),
    Case(
        "security groups could not be described (the S3 Gateway endpoint is outside `where`: silent)",
        groups_denied,
        {ENDPOINT[s]: ERROR for s in INTERFACE_NEEDED},
        message={
            "vpce-logs": [
                "security group sg-endpoints could not be read: eu-west-1 ec2:DescribeSecurityGroups: AccessDenied; "
                "grant ec2:DescribeSecurityGroups"
            ]
        },
    ),
    Case("groups listed before a later page failed decide", groups_page_failed, ALL_PASS),
]

# Only a rule the check keeps (exactly tcp/443 from a group of the workload) admits it: revoking the
# workload's only admitting rule without adding tcp/443 from its group would cut the tasks off their
# endpoints, so not_admitted (the authorize) comes first, then extra_ingress (the revoke).
ALL_TRAFFIC_FROM_TASKS = '[{"IpProtocol":"-1","UserIdGroupPairs":[{"GroupId":"sg-tasks"}]}]'
RANGE_FROM_TASKS = '[{"IpProtocol":"tcp","FromPort":0,"ToPort":65535,"UserIdGroupPairs":[{"GroupId":"sg-tasks"}]}]'
CASES += [
    Case(
        "only a CIDR admits the tasks: the fix admits the group before revoking",
        lambda: endpoint_ingress([https(cidrs=[VPC_CIDR])]),
        ALL_FAIL,
        message={"vpce-logs": [not_admitted("vpce-logs") + " (and 1 more)"]},
        remediation={k: [admit(TASK_SG), revoke(CIDR_RULE)] for k in ALL_FAIL},
    ),
    Case(
        "only all traffic from the task group: the fix admits tcp/443 before revoking",
        lambda: endpoint_ingress([permission("-1", groups=[TASK_SG])]),
        ALL_FAIL,
        message={"vpce-ecr-api": [not_admitted("vpce-ecr-api") + " (and 1 more)"]},
        remediation={k: [admit(TASK_SG), revoke(ALL_TRAFFIC_FROM_TASKS)] for k in ALL_FAIL},
    ),
    Case(
        "only a port range from the task group: the fix admits tcp/443 before revoking",
        lambda: endpoint_ingress([permission("tcp", 0, 65535, groups=[TASK_SG])]),
        ALL_FAIL,
        message={"vpce-sts": [not_admitted("vpce-sts") + " (and 1 more)"]},
        remediation={k: [admit(TASK_SG), revoke(RANGE_FROM_TASKS)] for k in ALL_FAIL},
    ),
    Case(
        "a port range beside exactly tcp/443 from the task group: only the revoke",
        lambda: endpoint_ingress([permission("tcp", 0, 65535, groups=[TASK_SG])], keep=True),
        ALL_FAIL,
        message={
            "vpce-logs": [
                "vpce-logs (com.amazonaws.eu-west-1.logs) group sg-endpoints admits tcp/0-65535 from sg-tasks; "
                "expected tcp/443 only from the groups of its workloads."
            ]
        },
        remediation={k: [revoke(RANGE_FROM_TASKS)] for k in ALL_FAIL},
    ),
    Case(
        "two workloads, the second admitted only by a CIDR: admit its group, then revoke",
        with_worker_by_cidr,
        ALL_FAIL,
        message={"vpce-logs": [not_admitted("vpce-logs", "worker", "sg-worker") + " (and 1 more)"]},
        remediation={k: [admit("sg-worker"), revoke(CIDR_RULE)] for k in ALL_FAIL},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce004(case: Case) -> None:
    check_case("VPCE004", case)
