"""Partial data (issue 7, items 1-4): a failed call makes ERROR only the subjects that read its data; a FAIL
proven on complete data stays a FAIL; no result disappears; a listing that did not finish is unknown.

Each scenario plants what a failed call leaves behind (the data it would have returned is absent or cut
short, and a CollectionErrorRecord says why) into an account with planted FAILs.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from scanner.config import DEFAULT_PARAMS
from scanner.engine.evaluate import evaluate
from scanner.engine.loader import load_rules
from scanner.results import Result, Status
from tests.builders import (
    CLUSTER_ARN,
    ENDPOINT,
    EXECUTION_ROLE,
    MAIN_RTB,
    NEEDED,
    PRIVATE_RTB,
    S3_CIDRS,
    S3_PREFIX_LIST,
    SUBNET_A,
    SUBNET_B,
    SUBNET_C,
    TASK_SG,
    Scenario,
    container,
    https,
)
from tests.rules.ruletable import RULES_DIR, by_key, run

RULES = load_rules([RULES_DIR])
SERVICES = [f"svc{n}" for n in range(10)]


def planted_fails() -> Scenario:
    """Ten services, each with FAILs of several kinds: a public IP (VPCE006), a Docker Hub image
    (VPCE011), an execution role that does not exist (VPCE007)."""
    s = Scenario.compliant()
    s.remove("services", "api")
    s.remove("task_definitions", "api")
    for name in SERVICES:
        s.task_definition(name, [container(image="nginx:1.27")], execution_role=f"{EXECUTION_ROLE}-{name}")
        s.service(name, family=name, public_ip=True)
        s.missing("missing_roles", f"{EXECUTION_ROLE}-{name}")
    return s


def scan(s: Scenario) -> list[Result]:
    return evaluate(RULES, s.build(), dict(DEFAULT_PARAMS))


def tally(results: list[Result]) -> Counter[tuple[str, Status]]:
    return Counter((r.rule_id, r.status) for r in results)


def errors_naming(results: list[Result], action: str) -> list[Result]:
    return [r for r in results if r.status is Status.ERROR and action in r.message]


# ---- item 1: a failed call makes ERROR only the subjects that read its data ---------------------------------


def test_the_planted_fails() -> None:
    counts = tally(scan(planted_fails()))
    assert counts[("VPCE006", Status.FAIL)] == counts[("VPCE007", Status.FAIL)] == 10
    assert counts[("VPCE011", Status.FAIL)] == 10
    assert not [k for k in counts if k[1] is Status.ERROR]


@pytest.mark.parametrize(
    ("operation", "resource_id"),
    [
        pytest.param("ListTasks", CLUSTER_ARN, id="ListTasks of the cluster"),
        pytest.param("DescribeTasks", CLUSTER_ARN, id="DescribeTasks of the cluster"),
    ],
)
def test_unlisted_standalone_tasks_keep_every_service_fail(operation: str, resource_id: str) -> None:
    """Only standalone task families need the task listing: one ERROR per rule says that listing failed,
    and every service keeps its FAIL (before: all 10 service results of each rule were ERROR)."""
    s = planted_fails()
    s.error("ecs", operation, resource_id=resource_id)
    results = scan(s)
    counts = tally(results)
    for rule_id in ("VPCE006", "VPCE007", "VPCE011"):
        assert counts[(rule_id, Status.FAIL)] == 10
        listing = [r for r in results if r.rule_id == rule_id and r.status is Status.ERROR]
        assert [(r.resource_id, r.qualifier) for r in listing] == [(CLUSTER_ARN, f"ecs:{operation}")]
        assert f"ecs:{operation}" in listing[0].message


FAMILY_RESULTS = ("VPCE005", "VPCE006", "VPCE008", "VPCE009", "VPCE011")


def partly_read_task_family() -> Scenario:
    """Ten services with planted FAILs, and a standalone family `batch` whose one read task is compliant."""
    s = planted_fails()
    s.task_definition("batch")
    s.task("t1", family="batch")
    return s


@pytest.mark.parametrize(
    ("operation", "resource_id"),
    [
        pytest.param("ListTasks", CLUSTER_ARN, id="ListTasks page 2 of the cluster"),
        pytest.param("DescribeTasks", CLUSTER_ARN, id="DescribeTasks batch of the cluster"),
        pytest.param("DescribeTasks", None, id="DescribeTasks of the region"),
        pytest.param("DescribeTasks", f"{CLUSTER_ARN.replace(':cluster/', ':task/')}/t2", id="DescribeTasks of a task"),
        pytest.param("DescribeTasks", CLUSTER_ARN.replace("cluster/prod", "task/t2"), id="an old-format task ARN"),
    ],
)
def test_a_task_family_read_in_part_is_error_not_a_pass(operation: str, resource_id: str | None) -> None:
    """A family's subnets, groups, public IP and task definition come from all its tasks: with some tasks
    of its cluster unread, none of its verdicts can be trusted (before: PASS on VPCE005/006/008/009/011).
    The services keep their FAILs."""
    s = partly_read_task_family()
    s.error("ecs", operation, "ThrottlingException", resource_id=resource_id)
    results = scan(s)
    batch = [r for r in results if r.resource_id == "batch" or r.qualifier.startswith("batch/")]
    for rule_id in FAMILY_RESULTS:
        found = [r for r in batch if r.rule_id == rule_id]
        assert found and {r.status for r in found} == {Status.ERROR}, rule_id
        assert all(f"tasks of prod not all read: eu-west-1 ecs:{operation}" in r.message for r in found), rule_id
        assert all("ThrottlingException" in r.message for r in found), rule_id
    counts = tally(results)
    for rule_id in ("VPCE006", "VPCE007", "VPCE011"):
        assert counts[(rule_id, Status.FAIL)] == 10, rule_id


def test_endpoints_of_a_task_family_read_in_part_are_judged_on_what_they_do_not_share() -> None:
    """The endpoints batch shares with the services: their own attributes still decide (private DNS off is
    a FAIL), what reads the consumers' subnets and groups (VPCE003, VPCE004) is ERROR, and an endpoint only
    batch uses is ERROR, not gone."""
    s = planted_fails()
    s.task_definition("batch", [container(secrets=[("TOKEN", "arn:aws:ssm:eu-west-1:111122223333:parameter/t")])])
    s.task("t1", family="batch")
    s.get("vpc_endpoints", ENDPOINT["logs"])["PrivateDnsEnabled"] = False
    s.endpoint("ssm", subnets=[SUBNET_A])
    s.error("ecs", "ListTasks", "ThrottlingException", resource_id=CLUSTER_ARN)
    found = {(r.rule_id, r.resource_id): r for r in scan(s) if r.rule_id in ENDPOINT_RULES}
    assert found[("VPCE002", ENDPOINT["logs"])].status is Status.FAIL
    assert found[("VPCE002", ENDPOINT["sts"])].status is Status.PASS
    for key in [("VPCE003", ENDPOINT["logs"]), ("VPCE004", ENDPOINT["logs"]), ("VPCE003", ENDPOINT["ssm"])]:
        assert found[key].status is Status.ERROR, key
        assert "which subnets and groups of batch use it is unknown: tasks of prod not all read" in found[key].message


def test_a_task_failure_in_another_cluster_leaves_the_family_decidable() -> None:
    s = partly_read_task_family()
    s.error("ecs", "ListTasks", resource_id=CLUSTER_ARN.replace("/prod", "/other"))
    s.error("ecs", "DescribeTasks", resource_id=CLUSTER_ARN.replace("cluster/prod", "task/other/t9"))
    results = [r for r in scan(s) if r.rule_id in FAMILY_RESULTS]
    batch = [r for r in results if r.resource_id == "batch" or r.qualifier.startswith("batch/")]
    assert {r.rule_id for r in batch} == set(FAMILY_RESULTS)
    assert {r.status for r in batch} == {Status.PASS}


def test_undescribed_task_enis_concern_only_standalone_tasks() -> None:
    s = planted_fails()
    s.task("t1", family="batch", with_eni=False)
    s.task_definition("batch")
    s.error("ec2", "DescribeNetworkInterfaces")
    results = scan(s)
    counts = tally(results)
    assert counts[("VPCE006", Status.FAIL)] == 10
    batch = by_key([r for r in results if r.rule_id == "VPCE006" and r.resource_id == "batch"])["batch"]
    assert batch.status is Status.ERROR
    assert "network interface eni-t1 of task" in batch.message
    assert "could not be read: eu-west-1 ec2:DescribeNetworkInterfaces: AccessDenied" in batch.message
    assert "not in inventory" not in batch.message


def test_undescribed_security_groups_keep_route_iam_and_image_fails() -> None:
    s = planted_fails()
    s.data["security_groups"] = []
    s.error("ec2", "DescribeSecurityGroups")
    results = scan(s)
    counts = tally(results)
    for rule_id in ("VPCE006", "VPCE007", "VPCE011"):
        assert counts[(rule_id, Status.FAIL)] == 10, rule_id
    # The security group checks cannot decide, and say which call to grant.
    for rule_id in ("VPCE004", "VPCE005"):
        undecided = [r for r in results if r.rule_id == rule_id]
        assert undecided and {r.status for r in undecided} == {Status.ERROR}, rule_id
        assert all(
            "ec2:DescribeSecurityGroups: AccessDenied; grant ec2:DescribeSecurityGroups" in r.message for r in undecided
        )
        assert not any("not in the inventory" in r.message for r in undecided)


def test_undescribed_route_tables_make_only_route_readers_error() -> None:
    s = planted_fails()
    s.data["route_tables"] = []
    s.error("ec2", "DescribeRouteTables")
    results = scan(s)
    counts = tally(results)
    assert counts[("VPCE007", Status.FAIL)] == counts[("VPCE011", Status.FAIL)] == 10
    # The public IP alone is a FAIL proven without route tables.
    assert counts[("VPCE006", Status.FAIL)] == 10
    # Interface endpoints' AZ coverage does not read route tables (the S3 gateway's does: test_vpce003).
    vpce003 = {r.resource_id: r.status for r in results if r.rule_id == "VPCE003"}
    assert vpce003 == {ENDPOINT["logs"]: Status.PASS, ENDPOINT["sts"]: Status.PASS}


def test_a_partial_route_table_listing_never_falls_back_to_the_main_table() -> None:
    """The explicit table of the subnets was on a page that failed: the main table (here routed to an
    internet gateway) is not theirs to judge by. Before: FAIL for a route the subnets do not have."""
    s = Scenario.compliant()
    s.route(MAIN_RTB, "0.0.0.0/0", GatewayId="igw-1")
    s.remove("route_tables", PRIVATE_RTB)
    s.error("ec2", "DescribeRouteTables", "InternalError")
    [result] = run("VPCE006", s)
    assert result.status is Status.ERROR
    assert "the route table of subnet-a is unknown: eu-west-1 ec2:DescribeRouteTables: InternalError" in result.message


# ---- item 2: no result disappears ------------------------------------------------------------------------------


ENDPOINT_RULES = ("VPCE002", "VPCE003", "VPCE004")


def endpoint_results(s: Scenario) -> dict[tuple[str, str], Status]:
    return {(r.rule_id, r.resource_id): r.status for r in scan(s) if r.rule_id in ENDPOINT_RULES}


def test_undescribed_subnets_keep_every_endpoint_result() -> None:
    """Before: VPCE002/003/004 emitted nothing for the endpoints in use (13 results vanished here). The
    task's security groups tell its VPC, so its endpoints are known: only AZ/route coverage (VPCE003)
    reads the subnets."""
    complete = endpoint_results(Scenario.compliant())
    s = Scenario.compliant()
    s.data["subnets"] = []
    s.error("ec2", "DescribeSubnets")
    found = endpoint_results(s)
    assert found.keys() == complete.keys()
    assert found == {k: Status.ERROR if k[0] == "VPCE003" else Status.PASS for k in complete}
    vpce003 = [r for r in scan(s) if r.rule_id == "VPCE003"]
    assert all("ec2:DescribeSubnets: AccessDenied; grant ec2:DescribeSubnets" in r.message for r in vpce003)


def test_undescribed_subnets_and_groups_keep_every_endpoint_result_as_error() -> None:
    """Neither subnets nor groups tell the workload's VPC: every endpoint of the region may be in use."""
    complete = endpoint_results(Scenario.compliant())
    s = Scenario.compliant()
    s.data["subnets"] = []
    s.data["security_groups"] = []
    s.error("ec2", "DescribeSubnets")
    s.error("ec2", "DescribeSecurityGroups")
    found = endpoint_results(s)
    assert found.keys() == complete.keys()
    assert set(found.values()) == {Status.ERROR}
    vpce002 = [r for r in scan(s) if r.rule_id == "VPCE002"]
    assert all("whether api uses it is unknown" in r.message for r in vpce002)
    assert all("grant ec2:DescribeSubnets" in r.message for r in vpce002)


def test_an_undescribed_task_definition_keeps_every_endpoint_result_as_error() -> None:
    complete = endpoint_results(Scenario.compliant())
    s = Scenario.compliant()
    s.remove("task_definitions", "api")
    s.error("ecs", "DescribeTaskDefinition", resource_id=s.arn("ecs", "task-definition/api:3"))
    found = endpoint_results(s)
    assert found.keys() == complete.keys()
    assert set(found.values()) == {Status.ERROR}
    vpce002 = [r for r in scan(s) if r.rule_id == "VPCE002"]
    assert all("whether api uses it is unknown" in r.message for r in vpce002)
    assert all("ecs:DescribeTaskDefinition" in r.message for r in vpce002)


def test_a_shared_endpoint_still_fails_for_a_known_workload_not_admitted() -> None:
    """worker's task definition is unknown, so it may use the endpoints too: an ingress rule is not
    provably extra, but api, known to use them and not admitted, is a FAIL all the same."""
    s = Scenario.compliant()
    s.group("sg-worker", egress=[https(groups=["sg-endpoints"], prefix_lists=[S3_PREFIX_LIST])])
    s.get("security_groups", "sg-endpoints")["IpPermissions"] = [https(groups=["sg-worker"])]
    s.service("worker", family="worker", groups=("sg-worker",))
    s.error("ecs", "DescribeTaskDefinition", resource_id=s.arn("ecs", "task-definition/worker:3"))
    results = {r.resource_id: r for r in run("VPCE004", s)}
    logs = results[ENDPOINT["logs"]]
    assert logs.status is Status.FAIL
    assert "api" in logs.message


def test_a_shared_endpoint_with_an_unknown_consumer_does_not_pass() -> None:
    s = Scenario.compliant()
    s.service("worker", family="worker")
    s.error("ecs", "DescribeTaskDefinition", resource_id=s.arn("ecs", "task-definition/worker:3"))
    statuses = {r.resource_id: r.status for r in run("VPCE004", s)}
    assert set(statuses.values()) == {Status.ERROR}


# ---- item 3: a listing that did not finish is unknown ------------------------------------------------------


def s3_egress_by_cidr() -> Scenario:
    """sg-tasks reaches S3 by the CIDRs of page 1 of the prefix list only."""
    s = Scenario.compliant()
    s.get("security_groups", TASK_SG)["IpPermissionsEgress"] = [
        https(groups=["sg-endpoints"], cidrs=[S3_CIDRS[0]]),
    ]
    return s


def test_prefix_list_complete_and_not_covered_fails() -> None:
    assert by_key(run("VPCE005", s3_egress_by_cidr()))["api/s3"].status is Status.FAIL


def test_prefix_list_page_two_failed_is_error_not_a_false_pass() -> None:
    s = s3_egress_by_cidr()
    s.get("prefix_lists", S3_PREFIX_LIST)["Cidrs"] = [S3_CIDRS[0]]
    s.error("ec2", "GetManagedPrefixListEntries", "ThrottlingException", resource_id=S3_PREFIX_LIST)
    result = by_key(run("VPCE005", s))["api/s3"]
    assert result.status is Status.ERROR
    expected = "the address list of com.amazonaws.eu-west-1.s3 is unknown: eu-west-1 ec2:GetManagedPrefixListEntries"
    assert f"{expected} on pl-s3: ThrottlingException" in result.message


def test_prefix_list_entries_denied_is_error_not_a_false_fail() -> None:
    s = s3_egress_by_cidr()
    s.get("prefix_lists", S3_PREFIX_LIST)["Cidrs"] = []
    s.error("ec2", "GetManagedPrefixListEntries", resource_id=S3_PREFIX_LIST)
    result = by_key(run("VPCE005", s))["api/s3"]
    assert result.status is Status.ERROR
    assert "grant ec2:GetManagedPrefixListEntries" in result.message


def test_prefix_list_not_described_names_the_call() -> None:
    s = s3_egress_by_cidr()
    s.data["prefix_lists"] = []
    s.error("ec2", "DescribeManagedPrefixLists")
    result = by_key(run("VPCE005", s))["api/s3"]
    assert result.status is Status.ERROR
    assert "prefix list com.amazonaws.eu-west-1.s3 could not be read: eu-west-1 ec2:DescribeManagedPrefixLists" in (
        result.message
    )
    assert "not in the inventory" not in result.message


def test_a_partial_endpoint_listing_is_error_not_a_missing_endpoint() -> None:
    """The logs endpoint was on a page that failed: VPCE001 cannot say it is missing, and the endpoints
    that arrived decide (before: every need of the region was ERROR)."""
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    s.error("ec2", "DescribeVpcEndpoints", "RequestLimitExceeded")
    results = by_key([r for r in run("VPCE001", s) if r.qualifier.startswith("api/")])
    assert results["api/logs"].status is Status.ERROR
    assert "ec2:DescribeVpcEndpoints: RequestLimitExceeded" in results["api/logs"].message
    # The endpoints that arrived are whole: their needs pass.
    assert {k: r.status for k, r in results.items() if k != "api/logs"} == {
        f"api/{s}": Status.PASS for s in ("ecr.api", "ecr.dkr", "s3", "sts")
    }


def test_a_partial_nacl_listing_is_error() -> None:
    s = Scenario.compliant()
    s.nacl("acl-deny", [SUBNET_A, SUBNET_B], [])
    s.remove("network_acls", "acl-deny")
    s.error("ec2", "DescribeNetworkAcls", "InternalError")
    statuses = {r.status for r in run("VPCE009", s)}
    assert statuses == {Status.ERROR}


def test_dns_attributes_never_asked_for_name_the_subnet_failure() -> None:
    """The collector asks for the DNS attributes of the VPCs its workloads' subnets are in: with the
    subnets unreadable they were never asked for, and VPCE002 says why instead of "unknown"."""
    s = Scenario.compliant()
    s.data["subnets"] = []
    for vpc in s.data["vpcs"]:
        del vpc["EnableDnsSupport"], vpc["EnableDnsHostnames"]
    s.error("ec2", "DescribeSubnets")
    results = [r for r in scan(s) if r.rule_id == "VPCE002"]
    assert results and {r.status for r in results} == {Status.ERROR}
    assert all("the DNS attributes of vpc-app is unknown: eu-west-1 ec2:DescribeSubnets" in r.message for r in results)


# ---- a FAIL proven on the data that was read stays a FAIL ------------------------------------------------------


def test_undescribed_subnets_keep_the_route_fail_of_their_explicit_route_table() -> None:
    """The route table explicitly associated with the subnet ids the service names applies to them, read
    or not: its NAT route is a FAIL (before: ERROR, the subnets could not be read)."""
    s = Scenario.compliant()
    s.route(PRIVATE_RTB, "0.0.0.0/0", NatGatewayId="nat-1")
    s.data["subnets"] = []
    s.error("ec2", "DescribeSubnets")
    [result] = run("VPCE006", s)
    assert result.status is Status.FAIL
    assert "sends 0.0.0.0/0 to nat gateway nat-1" in result.message


def test_undescribed_subnets_without_explicit_route_table_leave_no_route_to_judge() -> None:
    """A subnet without an explicit association takes its VPC's main table, which needs the subnet: with
    no internet route in the tables that are known, the verdict is ERROR, never PASS."""
    s = Scenario.compliant()
    table = s.get("route_tables", PRIVATE_RTB)
    table["Associations"] = [a for a in table["Associations"] if a["SubnetId"] != SUBNET_B]
    s.data["subnets"] = []
    s.error("ec2", "DescribeSubnets")
    [result] = run("VPCE006", s)
    assert result.status is Status.ERROR
    assert "ec2:DescribeSubnets: AccessDenied; grant ec2:DescribeSubnets" in result.message


def test_unread_vpc_attributes_keep_the_endpoint_private_dns_fail_and_say_each_reason_once() -> None:
    """PrivateDnsEnabled=false is the endpoint's own attribute: the VPC's unread DNS attributes cannot undo
    it (before: ERROR). Where the endpoint is fine, the ERROR names the failed call once, though both
    attribute calls failed (before: the same reason twice)."""
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["PrivateDnsEnabled"] = False
    for vpc in s.data["vpcs"]:
        del vpc["EnableDnsSupport"], vpc["EnableDnsHostnames"]
        for _ in ("enableDnsSupport", "enableDnsHostnames"):
            s.error("ec2", "DescribeVpcAttribute", "Throttling", resource_id=vpc["VpcId"])
    results = {r.resource_id: r for r in run("VPCE002", s)}
    logs = results[ENDPOINT["logs"]]
    assert logs.status is Status.FAIL
    assert "PrivateDnsEnabled=false" in logs.message
    assert any("ec2:DescribeVpcAttribute" in reason for reason in logs.evidence["undetermined"])
    sts = results[ENDPOINT["sts"]]
    assert sts.status is Status.ERROR
    assert sts.message.count("ec2:DescribeVpcAttribute") == 1
    assert "retry the scan" in sts.message


def test_a_partial_endpoint_listing_never_lets_a_deleted_endpoint_serve() -> None:
    """The live secretsmanager endpoint was on a page that failed; the one that arrived was deleted (AWS
    lists them a while). Its open policy proves nothing about the live one (before: VPCE008 PASS on the
    deleted endpoint, where the live one's policy denies)."""
    secret = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-AbCdEf"
    s = Scenario.compliant(endpoints=(*NEEDED, "secretsmanager"), containers=[container(secrets=[("DB", secret)])])
    s.get("vpc_endpoints", ENDPOINT["secretsmanager"])["State"] = "deleted"
    s.error("ec2", "DescribeVpcEndpoints", "InternalError")
    results = by_key(run("VPCE008", s))
    found = results["api/secretsmanager"]
    assert found.status is Status.ERROR
    assert "ec2:DescribeVpcEndpoints: InternalError" in found.message


_DENY_LOGS = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "logs:*", "Resource": "*"}]})


@pytest.mark.parametrize(("state", "private_dns"), [("available", False), ("deleted", True)])
def test_an_endpoint_read_from_a_partial_listing_that_may_not_serve_is_judged_by_no_rule(
    state: str, private_dns: bool
) -> None:
    """DescribeVpcEndpoints failed on a page; the logs endpoint that arrived cannot be shown to serve (private
    DNS off, or deleted), and the one that serves may be on the lost page. Every rule about that endpoint is
    ERROR: before, VPCE002-005/008 FAILed it and VPCE002/003 PASSed a deleted one."""
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT["logs"])
    s.subnet(SUBNET_C)
    s.group("sg-other", ingress=[https(cidrs=["0.0.0.0/0"])])
    endpoint = s.endpoint(
        "logs",
        endpoint_id="vpce-logs-read",
        state=state,
        private_dns=private_dns,
        groups=["sg-other"],
        subnets=[SUBNET_C],
    )
    endpoint["PolicyDocument"] = _DENY_LOGS
    s.error("ec2", "DescribeVpcEndpoints", "InternalError")
    about = [r for r in scan(s) if r.resource_id == "vpce-logs-read"]
    assert {r.rule_id for r in about} >= {"VPCE002", "VPCE003", "VPCE004", "VPCE005", "VPCE008"}
    assert {(r.rule_id, r.status) for r in about if r.status is not Status.ERROR} == set()
    assert all("ec2:DescribeVpcEndpoints: InternalError" in r.message for r in about)


def test_an_endpoint_nobody_may_use_gets_no_proven_fail_from_its_own_data() -> None:
    """The workload's VPC is unknown (its subnets and group unreadable), so any endpoint of the region may be
    its: those are ERROR ("whether api uses it is unknown"), never a FAIL of an endpoint that on complete data
    has no result at all (vpc-other has no workload; its endpoint has private DNS off)."""
    s = Scenario.compliant()
    s.vpc("vpc-other", "10.9.0.0/16", main_route_table="rtb-other", default_acl="acl-other")
    s.subnet("subnet-o", "10.9.1.0/24", "eu-west-1a", vpc_id="vpc-other")
    s.endpoint(
        "ssm", endpoint_id="vpce-other-ssm", subnets=["subnet-o"], groups=[], vpc_id="vpc-other", private_dns=False
    )
    assert [r for r in scan(s) if r.resource_id == "vpce-other-ssm"] == []
    for subnet in (SUBNET_A, SUBNET_B):
        s.remove("subnets", subnet)
    s.remove("security_groups", TASK_SG)
    s.error("ec2", "DescribeSubnets", "AccessDenied")
    s.error("ec2", "DescribeSecurityGroups", "AccessDenied")
    other = [r for r in scan(s) if r.resource_id == "vpce-other-ssm"]
    assert other and {r.status for r in other} == {Status.ERROR}
    assert all("whether api uses it is unknown" in r.message for r in other)
