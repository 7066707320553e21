"""The rule engine: one Result per (rule, subject); crashes and missing data are ERROR for that rule only;
`where`, `skip_when`, `severity_when`; --select/--ignore."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.config import DEFAULT_PARAMS
from scanner.engine.checks import KINDS
from scanner.engine.evaluate import build_context, evaluate
from scanner.engine.loader import Rule, load_rule_file
from scanner.errors import UsageError
from scanner.results import Result, Severity, Status
from scanner.scan import select_rules
from tests.builders import CLUSTER_ARN, SERVICE, VPC, Scenario
from tests.rules.ruletable import by_key, rule, statuses

BASE: dict[str, Any] = {
    "id": "TEST001",
    "name": "test-rule",
    "title": "Tasks get no public IP",
    "severity": "high",
    "rationale": "A public IP is a path to the internet.",
    "remediation": "Disable it.",
    "references": ["https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html"],
    "resource": "workload",
    "check": {"kind": "attribute", "path": "assign_public_ip", "equals": "DISABLED", "problem": "public_ip"},
    "pass_message": "$workload_name has no public IP.",
    "messages": {"public_ip": "$workload_name has assignPublicIp=$observed; expected $expected."},
    "fix": {"public_ip": ["aws ecs update-service --region $region --cluster $cluster --service $workload_name"]},
}


OTHER_CLUSTER_ARN = "arn:aws:ecs:eu-west-1:111122223333:cluster/batch"


def make_rule(tmp_path: Path, **changes: Any) -> Rule:
    spec = {**BASE, **changes}
    path = tmp_path / f"{spec['id']}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return load_rule_file(path)


def public_ip() -> Scenario:
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] = "ENABLED"
    return s


def run_rules(rules: list[Rule], scenario: Scenario, **params: object) -> list[Result]:
    return evaluate(rules, scenario.build(), {**DEFAULT_PARAMS, **params})


def of(results: list[Result], rule_id: str) -> list[Result]:
    return [r for r in results if r.rule_id == rule_id]


# ---- a crashing rule is ERROR for that rule only ------------------------------------------------------------


def test_a_crashing_kind_is_error_for_that_rule_and_the_others_still_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(spec: object, subject: object, ctx: object) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(KINDS, "no_route_to", dataclasses.replace(KINDS["no_route_to"], function=boom))
    results = run_rules([rule("VPCE001"), rule("VPCE006"), rule("VPCE010")], Scenario.compliant())
    [crashed] = of(results, "VPCE006")
    assert (crashed.status, crashed.resource_id, crashed.severity) == (Status.ERROR, "api", Severity.HIGH)
    assert crashed.message == "VPCE006 crashed: RuntimeError: boom"
    assert crashed.evidence == {"exception": "RuntimeError"}
    assert {r.status for r in of(results, "VPCE001")} == {Status.PASS}
    assert len(of(results, "VPCE001")) == 5
    assert [r.status for r in of(results, "VPCE010")] == [Status.PASS]


def test_a_crash_on_one_subject_leaves_the_rules_other_subjects(monkeypatch: pytest.MonkeyPatch) -> None:
    original = KINDS["nacl_allows"].function

    def crash_on_logs(spec: Any, subject: Any, ctx: Any) -> Any:
        if subject.need.service == "logs":
            raise KeyError("network_acl")
        return original(spec, subject, ctx)

    monkeypatch.setitem(KINDS, "nacl_allows", dataclasses.replace(KINDS["nacl_allows"], function=crash_on_logs))
    found = statuses(run_rules([rule("VPCE009")], Scenario.compliant()))
    assert found == {
        "api/ecr.api": Status.PASS,
        "api/ecr.dkr": Status.PASS,
        "api/logs": Status.ERROR,
        "api/s3": Status.PASS,
        "api/sts": Status.PASS,
    }


# ---- where, skip_when, severity_when, check-level when ---------------------------------------------------------


@pytest.mark.parametrize(
    ("dns_support", "expected"),
    [
        pytest.param(True, {"api": Status.FAIL}, id="applies"),
        pytest.param(False, {}, id="does not apply: no result"),
        pytest.param(None, {"api": Status.ERROR}, id="unknown: ERROR"),
    ],
)
def test_where(tmp_path: Path, dns_support: bool | None, expected: dict[str, Status]) -> None:
    test_rule = make_rule(tmp_path, where=[{"path": "vpc.enable_dns_support", "equals": True}])
    scenario = public_ip()
    if dns_support is None:
        del scenario.get("vpcs", VPC)["EnableDnsSupport"]
    else:
        scenario.get("vpcs", VPC)["EnableDnsSupport"] = dns_support
    results = run_rules([test_rule], scenario)
    assert statuses(results) == expected
    if dns_support is None:
        assert results[0].message == "TEST001 cannot tell whether it applies: vpc.enable_dns_support unknown."


def test_where_decides_first_then_skip_when_reports_skipped_with_the_rendered_reason(tmp_path: Path) -> None:
    skip = {
        "skip_when": [{"path": "assign_public_ip", "equals": "ENABLED"}],
        "skip_reason": "$workload_name has a public IP; another rule reports it.",
    }
    applies = make_rule(tmp_path, where=[{"path": "vpc.enable_dns_support", "equals": True}], **skip)
    [result] = run_rules([applies], public_ip())
    assert (result.status, result.message) == (Status.SKIPPED, "api has a public IP; another rule reports it.")
    assert result.remediation == []
    excluded = make_rule(tmp_path, where=[{"path": "vpc.enable_dns_support", "equals": False}], **skip)
    assert run_rules([excluded], public_ip()) == []  # `where` excludes it before any skip


@pytest.mark.parametrize(
    ("exec_enabled", "severity"),
    [
        pytest.param(False, Severity.HIGH, id="no override"),
        pytest.param(True, Severity.LOW, id="override"),
    ],
)
def test_severity_when_applies_to_every_status(tmp_path: Path, exec_enabled: bool, severity: Severity) -> None:
    test_rule = make_rule(
        tmp_path, severity_when=[{"when": [{"path": "exec_enabled", "equals": True}], "severity": "low"}]
    )
    for scenario in (Scenario.compliant(exec_enabled=exec_enabled), public_ip()):
        scenario.get("services", SERVICE)["enableExecuteCommand"] = exec_enabled
        [result] = run_rules([test_rule], scenario)
        assert result.severity is severity


def test_a_problem_severity_makes_the_result_severity(tmp_path: Path) -> None:
    check = {**BASE["check"], "severity": "medium"}
    [result] = run_rules([make_rule(tmp_path, check=check)], public_ip())
    assert (result.status, result.severity) == (Status.FAIL, Severity.MEDIUM)


def test_check_level_when(tmp_path: Path) -> None:
    check = {**BASE["check"], "when": [{"path": "vpc.enable_dns_hostnames", "equals": True}]}
    test_rule = make_rule(tmp_path, check=check)
    off = public_ip()
    off.get("vpcs", VPC)["EnableDnsHostnames"] = False
    unknown = public_ip()
    del unknown.get("vpcs", VPC)["EnableDnsHostnames"]
    assert statuses(run_rules([test_rule], public_ip())) == {"api": Status.FAIL}
    assert statuses(run_rules([test_rule], off)) == {"api": Status.PASS}  # holds vacuously
    [result] = run_rules([test_rule], unknown)
    assert (result.status, result.message) == (
        Status.ERROR,
        "Could not decide: cannot tell whether the check applies: vpc.enable_dns_hostnames unknown.",
    )


def test_fail_renders_message_evidence_and_remediation(tmp_path: Path) -> None:
    [result] = run_rules([make_rule(tmp_path)], public_ip())
    assert result.message == "api has assignPublicIp=ENABLED; expected equals DISABLED."
    assert result.remediation == ["aws ecs update-service --region eu-west-1 --cluster prod --service api"]
    assert result.evidence["problems"] == [result.message]
    assert (result.resource_arn, result.workload) == (
        "arn:aws:ecs:eu-west-1:111122223333:service/prod/api",
        "arn:aws:ecs:eu-west-1:111122223333:service/prod/api",
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        pytest.param({"allowed": ["DISABLED"]}, Status.PASS, id="param set"),
        pytest.param({"allowed": ["ENABLED"]}, Status.FAIL, id="param excludes"),
        pytest.param({}, Status.ERROR, id="param not set"),
    ],
)
def test_param_operand(tmp_path: Path, params: dict[str, object], status: Status) -> None:
    check = {"kind": "attribute", "path": "assign_public_ip", "in": {"param": "allowed"}, "problem": "public_ip"}
    [result] = evaluate([make_rule(tmp_path, check=check)], Scenario.compliant().build(), params)
    assert result.status is status
    if status is Status.ERROR:
        assert result.message == "Could not decide: parameter 'allowed' is not set in the configuration."


# ---- collection errors: scoped by account, region, action and resource -------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            {"service": "ec2", "operation": "DescribeRouteTables"}, {"api": Status.ERROR}, id="required action fails"
        ),
        pytest.param(
            {"service": "ec2", "operation": "DescribeRouteTables", "region": "us-east-1"},
            {"api": Status.PASS},
            id="another region",
        ),
        pytest.param(
            {"service": "ec2", "operation": "DescribeVpcEndpoints"},
            {"api": Status.PASS},
            id="an action the rule does not need",
        ),
        pytest.param(
            {"service": "ecs", "operation": "DescribeTaskDefinition", "resource_id": "arn:other"},
            {"api": Status.PASS},
            id="another resource",
        ),
        pytest.param(
            {"service": "ec2", "operation": "DescribeSubnets", "resource_id": "subnet-a"},
            {"api": Status.ERROR},
            id="a resource of the workload",
        ),
        # A listing that failed is one ERROR; the subjects that were listed are whole and decide.
        pytest.param(
            {"service": "ecs", "operation": "ListServices"},
            {"ecs:ListServices": Status.ERROR, "api": Status.PASS},
            id="subjects not listed",
        ),
        pytest.param(
            {"service": "ecs", "operation": "ListServices", "resource_id": CLUSTER_ARN},
            {"ecs:ListServices": Status.ERROR, "api": Status.PASS},
            id="subjects of a cluster not listed",
        ),
        pytest.param(
            {"service": "ecs", "operation": "ListTasks", "resource_id": CLUSTER_ARN},
            {"ecs:ListTasks": Status.ERROR, "api": Status.PASS},
            id="standalone tasks of the cluster not listed",
        ),
        pytest.param(
            {"service": "ec2", "operation": "DescribeNetworkInterfaces"},
            {"api": Status.PASS},
            id="task ENIs not described (a service reads none)",
        ),
        pytest.param(
            {"service": "ecs", "operation": "ListServices", "resource_id": OTHER_CLUSTER_ARN},
            {"ecs:ListServices": Status.ERROR, "api": Status.PASS},
            id="subjects of another cluster not listed",
        ),
        pytest.param(
            {"service": "ecs", "operation": "ListServices", "region": "us-east-1"},
            {"api": Status.PASS},
            id="subjects not listed in a region not in the inventory",
        ),
    ],
)
def test_collection_errors_are_scoped(error: dict[str, str], expected: dict[str, Status]) -> None:
    scenario = Scenario.compliant()
    scenario.error(
        error["service"], error["operation"], resource_id=error.get("resource_id"), region=error.get("region")
    )
    results = run_rules([rule("VPCE006")], scenario)
    assert statuses(results) == expected
    for result in results:
        if result.status is Status.ERROR:
            assert f"{error['service']}:{error['operation']}" in result.message
            assert result.remediation == []


def test_region_error_names_the_region_and_carries_the_errors() -> None:
    scenario = Scenario.compliant()
    scenario.error("ecs", "ListClusters", "AccessDenied")
    region = by_key(run_rules([rule("VPCE006")], scenario))["ecs:ListClusters"]
    assert (region.status, region.severity) == (Status.ERROR, Severity.HIGH)
    assert (region.resource_type, region.resource_id, region.resource_arn, region.workload) == (
        "region",
        "region/eu-west-1",
        "",
        None,
    )
    assert region.message == (
        "VPCE006 could not list its subjects in region/eu-west-1: eu-west-1 ecs:ListClusters: AccessDenied; "
        "grant ecs:ListClusters."
    )
    assert region.evidence == {
        "collection_errors": ["eu-west-1 ecs:ListClusters: AccessDenied; grant ecs:ListClusters"]
    }
    assert region.remediation == []


def test_cluster_error_names_the_cluster() -> None:
    scenario = Scenario.compliant()
    scenario.data["services"] = []
    scenario.error("ecs", "ListServices", resource_id=CLUSTER_ARN)
    [cluster] = run_rules([rule("VPCE006")], scenario)
    assert (cluster.status, cluster.qualifier) == (Status.ERROR, "ecs:ListServices")
    assert (cluster.resource_type, cluster.resource_id, cluster.resource_arn, cluster.workload) == (
        "ecs_cluster",
        CLUSTER_ARN,
        CLUSTER_ARN,
        None,
    )
    assert cluster.message == (
        f"VPCE006 could not list its subjects in {CLUSTER_ARN}: eu-west-1 ecs:ListServices on {CLUSTER_ARN}: "
        "AccessDenied; grant ecs:ListServices."
    )


def test_every_listing_error_is_one_error_per_rule() -> None:
    """Two clusters and the endpoint list: one ERROR each, for every rule whose subjects they hide."""
    scenario = Scenario.compliant()
    scenario.data["services"] = []
    scenario.error("ecs", "ListServices", resource_id=CLUSTER_ARN)
    scenario.error("ecs", "ListServices", resource_id=OTHER_CLUSTER_ARN)
    scenario.error("ec2", "DescribeVpcEndpoints")
    results = run_rules([rule("VPCE001"), rule("VPCE006")], scenario)
    found = sorted((r.rule_id, r.resource_id, r.qualifier, r.status) for r in results)
    assert found == [
        ("VPCE001", OTHER_CLUSTER_ARN, "ecs:ListServices", Status.ERROR),
        ("VPCE001", CLUSTER_ARN, "ecs:ListServices", Status.ERROR),
        ("VPCE001", "region/eu-west-1", "ec2:DescribeVpcEndpoints", Status.ERROR),
        ("VPCE006", OTHER_CLUSTER_ARN, "ecs:ListServices", Status.ERROR),
        ("VPCE006", CLUSTER_ARN, "ecs:ListServices", Status.ERROR),
    ]


# ---- incomplete data comes before skip_when, where and severity_when ---------------------------------------------


def test_incomplete_data_comes_before_skip_when(tmp_path: Path) -> None:
    test_rule = make_rule(
        tmp_path,
        skip_when=[{"path": "assign_public_ip", "equals": "ENABLED"}],
        skip_reason="$workload_name has a public IP; another rule reports it.",
        requires=["ec2:DescribeVpcAttribute"],
    )
    scenario = public_ip()
    scenario.error("ec2", "DescribeVpcAttribute", resource_id=VPC)
    [result] = run_rules([test_rule], scenario)
    assert (result.status, result.message) == (
        Status.ERROR,
        "Incomplete data: eu-west-1 ec2:DescribeVpcAttribute on vpc-app: AccessDenied; grant ec2:DescribeVpcAttribute.",
    )


def test_a_rule_that_does_not_apply_stays_silent_despite_incomplete_data(tmp_path: Path) -> None:
    excluded = make_rule(tmp_path, where=[{"path": "vpc.enable_dns_support", "equals": False}])
    scenario = Scenario.compliant()
    scenario.error("ec2", "DescribeSubnets", resource_id="subnet-a")
    assert run_rules([excluded], scenario) == []
    applies = make_rule(tmp_path, where=[{"path": "vpc.enable_dns_support", "equals": True}])
    [result] = run_rules([applies], scenario)
    assert result.status is Status.ERROR
    assert result.message.startswith("Incomplete data: eu-west-1 ec2:DescribeSubnets on subnet-a: AccessDenied")


def test_unresolved_data_comes_before_where(tmp_path: Path) -> None:
    test_rule = make_rule(tmp_path, where=[{"path": "vpc.enable_dns_support", "equals": False}])
    scenario = Scenario.compliant()
    scenario.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"].append("subnet-gone")
    [result] = run_rules([test_rule], scenario)
    assert (result.status, result.message) == (Status.ERROR, "Incomplete data: subnet subnet-gone not in inventory.")


def test_incomplete_data_comes_before_severity_when(tmp_path: Path) -> None:
    test_rule = make_rule(
        tmp_path,
        severity_when=[{"when": [{"path": "exec_enabled", "equals": True}], "severity": "low"}],
        requires=["ec2:DescribeVpcAttribute"],
    )
    scenario = Scenario.compliant(exec_enabled=True)
    scenario.error("ec2", "DescribeVpcAttribute", resource_id=VPC)
    [result] = run_rules([test_rule], scenario)
    assert (result.status, result.severity) == (Status.ERROR, Severity.HIGH)


@pytest.mark.parametrize("rule_id", ["VPCE005", "VPCE009"])
def test_endpoints_not_listed_is_error_not_skipped(rule_id: str) -> None:
    scenario = Scenario.compliant()
    scenario.data["vpc_endpoints"] = []
    scenario.error("ec2", "DescribeVpcEndpoints")
    results = run_rules([rule(rule_id)], scenario)
    assert {r.status for r in results} == {Status.ERROR}
    assert len(results) == 6  # the listing error, and each of the five needs


# ---- a workload whose task definition is unknown: one ERROR per workload ------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "qualifier"),
    [("VPCE001", "api/needs"), ("VPCE005", "api/needs"), ("VPCE009", "api/needs"), ("VPCE011", "api/images")],
)
def test_unknown_task_definition_is_one_error_per_workload(rule_id: str, qualifier: str) -> None:
    scenario = Scenario.compliant()
    scenario.remove("task_definitions", "api")
    [result] = run_rules([rule(rule_id)], scenario)
    assert (result.status, result.qualifier, result.resource_id) == (Status.ERROR, qualifier, "api")
    assert result.message == (
        "Incomplete data: task definition arn:aws:ecs:eu-west-1:111122223333:task-definition/api:3 not in inventory."
    )


# ---- DEFAULT_PARAMS ------------------------------------------------------------------------------------------


def test_evaluate_merges_the_default_params() -> None:
    """VPCE004 reads endpoint_allowed_sources; evaluate() without params uses its default (none)."""
    results = evaluate([rule("VPCE004")], Scenario.compliant().build())
    assert {r.status for r in results} == {Status.PASS}
    assert len(results) == 4


def test_build_context_merges_the_default_params_under_the_given_ones() -> None:
    inventory = Scenario.compliant().build()
    assert build_context(inventory).params == DEFAULT_PARAMS
    given = build_context(inventory, {"endpoint_allowed_sources": ["sg-bastion"], "other": 1}).params
    assert given == {"endpoint_allowed_sources": ["sg-bastion"], "other": 1}


# ---- --select / --ignore --------------------------------------------------------------------------------------


RULES = [rule(rule_id) for rule_id in ("VPCE001", "VPCE002", "VPCE006")]


@pytest.mark.parametrize(
    ("select", "ignore", "expected"),
    [
        pytest.param((), (), ["VPCE001", "VPCE002", "VPCE006"], id="all"),
        pytest.param(("VPCE002",), (), ["VPCE002"], id="select"),
        pytest.param(("VPCE006", "VPCE001"), (), ["VPCE001", "VPCE006"], id="select keeps rule order"),
        pytest.param((), ("VPCE002",), ["VPCE001", "VPCE006"], id="ignore"),
        pytest.param(("VPCE001", "VPCE002"), ("VPCE002",), ["VPCE001"], id="ignore wins over select"),
    ],
)
def test_select_rules(select: tuple[str, ...], ignore: tuple[str, ...], expected: list[str]) -> None:
    assert [r.id for r in select_rules(RULES, select, ignore)] == expected


@pytest.mark.parametrize(("select", "ignore"), [(("VPCE999",), ()), ((), ("vpce001",))])
def test_select_rules_unknown_id(select: tuple[str, ...], ignore: tuple[str, ...]) -> None:
    unknown = (select or ignore)[0]
    with pytest.raises(UsageError) as raised:
        select_rules(RULES, select, ignore)
    assert raised.value.message == (
        f"unknown rule id '{unknown}' in --select/--ignore; known: VPCE001, VPCE002, VPCE006"
    )
    assert raised.value.exit_code == 2
