"""VPCE001 endpoint-required: every endpoint a workload needs exists in its VPC, of the right type, available."""

from __future__ import annotations

import pytest

from scanner.results import Severity
from tests.builders import (
    CLUSTER_ARN,
    ECR,
    ENDPOINT,
    ENDPOINT_SG,
    IMAGE,
    NEEDED,
    SERVICE,
    SUBNET_A,
    SUBNET_B,
    TASK_DEFINITION_ARN,
    Scenario,
    container,
)
from tests.rules.ruletable import ERROR, FAIL, PASS, Case, by_key, check_case, run, table

REGION = "eu-west-1"
SM_SECRET = f"arn:aws:secretsmanager:{REGION}:111122223333:secret:prod/db-AbCdEf"
SSM_PARAMETER_ARN = f"arn:aws:ssm:{REGION}:111122223333:parameter/prod/api-key"


def all_pass(workload: str = "api", services: tuple[str, ...] = NEEDED) -> dict[str, object]:
    return {f"{workload}/{s}": PASS for s in services}


def create_interface(service: str, group: str = ENDPOINT_SG) -> str:
    return (
        f"aws ec2 create-vpc-endpoint --region {REGION} --vpc-id vpc-app --vpc-endpoint-type Interface "
        f"--service-name com.amazonaws.{REGION}.{service} --subnet-ids subnet-a subnet-b "
        f"--security-group-ids {group} --private-dns-enabled"
    )


def new_group_fix(service: str) -> list[str]:
    """The group is named per service, so the fixes of several results can run one after the other."""
    return [
        f"ENDPOINT_SG=$(aws ec2 create-security-group --region {REGION} --vpc-id vpc-app --group-name "
        f'vpce-{service}-vpc-app --description "Interface endpoints of vpc-app" --query GroupId --output text)',
        f'aws ec2 authorize-security-group-ingress --region {REGION} --group-id "$ENDPOINT_SG" --protocol tcp '
        f"--port 443 --source-group sg-tasks",
        create_interface(service, '"$ENDPOINT_SG"'),
    ]


CREATE_S3_GATEWAY = (
    f"aws ec2 create-vpc-endpoint --region {REGION} --vpc-id vpc-app --vpc-endpoint-type Gateway "
    f"--service-name com.amazonaws.{REGION}.s3 --route-table-ids rtb-private"
)
NOT_AVAILABLE_FIX = [
    f"aws ec2 describe-vpc-endpoints --region {REGION} --vpc-endpoint-ids vpce-logs "
    '--query "VpcEndpoints[0].[State,LastError]"',
    f"aws ec2 delete-vpc-endpoints --region {REGION} --vpc-endpoint-ids vpce-logs",
]


def missing(service: str) -> Scenario:
    s = Scenario.compliant()
    s.remove("vpc_endpoints", ENDPOINT[service])
    return s


def only_s3() -> Scenario:
    return Scenario.compliant(endpoints=("s3",))


def s3_interface(private_dns: bool) -> Scenario:
    s = missing("s3")
    s.endpoint("s3", endpoint_id="vpce-s3-interface", endpoint_type="Interface", private_dns=private_dns)
    return s


def logs_in_state(state: str) -> Scenario:
    s = Scenario.compliant()
    s.get("vpc_endpoints", ENDPOINT["logs"])["State"] = state
    return s


def logs_pending_and_available() -> Scenario:
    s = logs_in_state("pendingAcceptance")
    s.endpoint("logs", endpoint_id="vpce-logs-2")
    return s


def with_secret(value_from: str, endpoints: tuple[str, ...] = NEEDED) -> Scenario:
    return Scenario.compliant(endpoints=endpoints, containers=[container(secrets=[("SECRET", value_from)])])


def replace_service(**options: object) -> Scenario:
    s = Scenario.compliant()
    s.remove("services", SERVICE)
    s.service(**options)  # type: ignore[arg-type]
    return s


def cluster_default_spot() -> Scenario:
    s = replace_service(launch_type=None)
    s.remove("clusters", "prod")
    s.cluster(default_strategy=["FARGATE_SPOT"])
    return s


def standalone_family() -> Scenario:
    s = Scenario.compliant()
    s.remove("services", SERVICE)
    s.task_definition("nightly", [container("nightly", f"{ECR}/nightly:7")])
    s.task("task-1", family="nightly", subnet=SUBNET_A)
    s.task("task-2", family="nightly", subnet=SUBNET_B)
    return s


def service_task_only() -> Scenario:
    s = Scenario.compliant()
    s.task("task-of-api", group="service:api")
    return s


def endpoints_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["vpc_endpoints"] = []
    s.error("ec2", "DescribeVpcEndpoints")
    return s


def services_not_listed() -> Scenario:
    s = Scenario.compliant()
    s.data["services"] = []
    s.error("ecs", "ListServices")
    return s


def unknown_subnet() -> Scenario:
    s = Scenario.compliant()
    s.get("services", SERVICE)["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = [SUBNET_A, "subnet-gone"]
    return s


def gateway_missing_and_route_table_unknown() -> Scenario:
    s = missing("s3")
    s.remove("route_tables", "rtb-main")
    s.get("route_tables", "rtb-private")["Associations"] = [{"SubnetId": SUBNET_A}]
    return s


NEED_ERRORS = {f"api/{s}": ERROR for s in NEEDED}

CASES = [
    Case(
        "compliant",
        Scenario.compliant,
        all_pass(),
        severity={"api/logs": Severity.HIGH, "api/sts": Severity.LOW},
        message={"api/logs": ["vpce-logs serves com.amazonaws.eu-west-1.logs for api in vpc-app."]},
    ),
    Case(
        "missing interface endpoint, endpoint group reused",
        lambda: missing("logs"),
        {**all_pass(), "api/logs": FAIL},
        message={
            "api/logs": [
                "VPC vpc-app has no com.amazonaws.eu-west-1.logs endpoint",
                "(container app logs with awslogs)",
                "expected an available Interface endpoint",
            ]
        },
        remediation={"api/logs": [create_interface("logs")]},
        severity={"api/logs": Severity.HIGH},
    ),
    Case(
        "missing interface endpoints, no endpoint group to reuse: the fix creates one",
        only_s3,
        {"api/ecr.api": FAIL, "api/ecr.dkr": FAIL, "api/logs": FAIL, "api/s3": PASS, "api/sts": FAIL},
        message={"api/ecr.dkr": [f"(container app pulls {IMAGE} from ECR)"]},
        remediation={
            "api/ecr.api": new_group_fix("ecr.api"),
            "api/logs": new_group_fix("logs"),
            "api/sts": new_group_fix("sts"),
        },
        severity={"api/ecr.api": Severity.HIGH, "api/sts": Severity.LOW},
    ),
    Case(
        "missing S3 gateway",
        lambda: missing("s3"),
        {**all_pass(), "api/s3": FAIL},
        message={
            "api/s3": [
                "VPC vpc-app has no com.amazonaws.eu-west-1.s3 endpoint",
                "expected a Gateway endpoint on route tables rtb-private",
            ]
        },
        remediation={"api/s3": [CREATE_S3_GATEWAY]},
    ),
    Case(
        "S3 gateway missing and a task subnet has no known route table",
        gateway_missing_and_route_table_unknown,
        {**all_pass(), "api/s3": ERROR},
        message={"api/s3": ["no route table known for the subnets of api"]},
    ),
    Case(
        "S3 only as an Interface endpoint without private DNS: wrong type",
        lambda: s3_interface(False),
        {**all_pass(), "api/s3": FAIL},
        message={
            "api/s3": [
                "VPC vpc-app has only vpce-s3-interface (Interface, private DNS off) for "
                "com.amazonaws.eu-west-1.s3; api needs a Gateway endpoint"
            ]
        },
        remediation={"api/s3": [CREATE_S3_GATEWAY]},
    ),
    Case(
        "S3 as an Interface endpoint with private DNS serves",
        lambda: s3_interface(True),
        all_pass(),
        message={"api/s3": ["vpce-s3-interface serves com.amazonaws.eu-west-1.s3"]},
    ),
    Case(
        "endpoint pendingAcceptance",
        lambda: logs_in_state("pendingAcceptance"),
        {**all_pass(), "api/logs": FAIL},
        message={
            "api/logs": [
                "Endpoint vpce-logs (Interface) for com.amazonaws.eu-west-1.logs is in state "
                "pendingAcceptance; expected available."
            ]
        },
        remediation={"api/logs": NOT_AVAILABLE_FIX},
    ),
    Case(
        "endpoint failed",
        lambda: logs_in_state("failed"),
        {**all_pass(), "api/logs": FAIL},
        message={"api/logs": ["is in state failed; expected available."]},
        remediation={"api/logs": NOT_AVAILABLE_FIX},
    ),
    Case(
        "a pending endpoint beside an available one",
        logs_pending_and_available,
        all_pass(),
        message={"api/logs": ["vpce-logs-2 serves"]},
    ),
    Case(
        "baseline sts missing: low severity",
        lambda: missing("sts"),
        {**all_pass(), "api/sts": FAIL},
        message={"api/sts": ["(baseline (configurable: --baseline))"]},
        remediation={"api/sts": [create_interface("sts")]},
        severity={"api/sts": Severity.LOW},
    ),
    Case(
        "empty baseline: sts is not needed",
        lambda: missing("sts"),
        all_pass(services=("ecr.api", "ecr.dkr", "logs", "s3")),
        baseline=(),
    ),
    Case(
        "ECS Exec needs ssmmessages",
        lambda: Scenario.compliant(exec_enabled=True),
        {**all_pass(), "api/ssmmessages": FAIL},
        message={"api/ssmmessages": ["(ECS Exec is enabled)"]},
        remediation={"api/ssmmessages": [create_interface("ssmmessages")]},
    ),
    Case(
        "ECS Exec with its ssmmessages endpoint",
        lambda: Scenario.compliant(exec_enabled=True, endpoints=(*NEEDED, "ssmmessages")),
        all_pass(services=(*NEEDED, "ssmmessages")),
    ),
    Case(
        "SSM bare-name parameter needs ssm",
        lambda: with_secret("/prod/api-key"),
        {**all_pass(), "api/ssm": FAIL},
        message={"api/ssm": ["(container app reads parameter SECRET)"]},
        remediation={"api/ssm": [create_interface("ssm")]},
    ),
    Case(
        "SSM parameter ARN needs ssm",
        lambda: with_secret(SSM_PARAMETER_ARN, (*NEEDED, "ssm")),
        all_pass(services=(*NEEDED, "ssm")),
    ),
    Case(
        "Secrets Manager ARN needs secretsmanager",
        lambda: with_secret(SM_SECRET),
        {**all_pass(), "api/secretsmanager": FAIL},
        message={"api/secretsmanager": ["(container app reads secret SECRET)"]},
        remediation={"api/secretsmanager": [create_interface("secretsmanager")]},
    ),
    # Parameter Store fetches the secret on the AWS side: the task itself only calls SSM.
    Case(
        "/aws/reference/secretsmanager/ needs ssm only",
        lambda: with_secret("/aws/reference/secretsmanager/prod/db"),
        {**all_pass(), "api/ssm": FAIL},
        message={"api/ssm": ["(container app reads parameter SECRET)"]},
        remediation={"api/ssm": [create_interface("ssm")]},
    ),
    Case(
        "/aws/reference/secretsmanager/ with its ssm endpoint",
        lambda: with_secret("/aws/reference/secretsmanager/prod/db", (*NEEDED, "ssm")),
        all_pass(services=(*NEEDED, "ssm")),
    ),
    Case(
        "capacity provider strategy FARGATE_SPOT is a workload",
        lambda: replace_service(launch_type=None, strategy=["FARGATE_SPOT", "FARGATE"]),
        all_pass(),
    ),
    Case("cluster default capacity provider strategy FARGATE_SPOT is a workload", cluster_default_spot, all_pass()),
    Case("EC2 launch type is not a workload", lambda: replace_service(launch_type="EC2"), {}),
    Case("INACTIVE service is ignored", lambda: replace_service(status="INACTIVE"), {}),
    Case("DRAINING service is ignored", lambda: replace_service(status="DRAINING"), {}),
    Case(
        "standalone task family, via its ENIs",
        standalone_family,
        all_pass("nightly"),
        message={"nightly/ecr.dkr": ["vpce-ecr-dkr serves com.amazonaws.eu-west-1.ecr.dkr for nightly in vpc-app."]},
    ),
    Case("tasks started by a service are not a task family", service_task_only, all_pass()),
    Case(
        "endpoints could not be listed (AccessDenied)",
        endpoints_not_listed,
        {"ec2:DescribeVpcEndpoints": ERROR, **NEED_ERRORS},
        message={
            "ec2:DescribeVpcEndpoints": [
                "VPCE001 could not list its subjects in region/eu-west-1: eu-west-1 ec2:DescribeVpcEndpoints: "
                "AccessDenied; grant ec2:DescribeVpcEndpoints."
            ],
            "api/logs": ["Incomplete data: eu-west-1 ec2:DescribeVpcEndpoints: AccessDenied"],
        },
        # Incomplete data comes before severity_when: the baseline need's ERROR keeps the rule's severity.
        severity={"api/sts": Severity.HIGH},
    ),
    Case(
        "services could not be listed in the region",
        services_not_listed,
        {"ecs:ListServices": ERROR},
        message={
            "ecs:ListServices": [
                "VPCE001 could not list its subjects in region/eu-west-1: eu-west-1 ecs:ListServices: "
                "AccessDenied; grant ecs:ListServices."
            ]
        },
    ),
    Case(
        "a task subnet is not in the inventory",
        unknown_subnet,
        NEED_ERRORS,
        message={"api/ecr.api": ["Incomplete data: subnet subnet-gone not in inventory."]},
    ),
]


@pytest.mark.parametrize("case", table(CASES))
def test_vpce001(case: Case) -> None:
    check_case("VPCE001", case)


def test_failed_need_points_at_the_vpc_and_a_present_one_at_its_endpoint() -> None:
    results = {r.qualifier: r for r in run("VPCE001", missing("logs"))}
    assert (results["api/logs"].resource_type, results["api/logs"].resource_id) == ("vpc", "vpc-app")
    assert results["api/logs"].resource_arn == "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-app"
    assert (results["api/s3"].resource_type, results["api/s3"].resource_id) == ("vpc_endpoint", "vpce-s3")
    assert results["api/s3"].workload == f"arn:aws:ecs:{REGION}:111122223333:service/prod/api"


def test_services_of_a_cluster_not_listed_is_an_error_not_silence() -> None:
    s = Scenario.compliant()
    s.data["services"] = []
    s.error("ecs", "ListServices", resource_id=CLUSTER_ARN)
    [result] = run("VPCE001", s)
    assert (result.status, result.severity) == (ERROR, Severity.HIGH)
    assert (result.resource_type, result.resource_id, result.resource_arn) == ("ecs_cluster", CLUSTER_ARN, CLUSTER_ARN)
    assert (result.qualifier, result.workload) == ("ecs:ListServices", None)
    assert result.message == (
        f"VPCE001 could not list its subjects in {CLUSTER_ARN}: eu-west-1 ecs:ListServices on {CLUSTER_ARN}: "
        "AccessDenied; grant ecs:ListServices."
    )
    assert result.evidence == {
        "collection_errors": [f"eu-west-1 ecs:ListServices on {CLUSTER_ARN}: AccessDenied; grant ecs:ListServices"]
    }
    assert result.remediation == []


def unreadable_task_definition(denied: bool) -> Scenario:
    """Service api's task definition is not in the inventory (DescribeTaskDefinition denied, or just gone);
    a second service, worker, has its own."""
    s = Scenario.compliant()
    s.remove("task_definitions", "api")
    if denied:
        s.error("ecs", "DescribeTaskDefinition", resource_id=TASK_DEFINITION_ARN)
    s.task_definition("worker")
    s.service("worker", family="worker")
    return s


@pytest.mark.parametrize("denied", [True, False], ids=["DescribeTaskDefinition denied", "not collected"])
def test_unreadable_task_definition_is_an_error_not_silence(denied: bool) -> None:
    results = by_key(run("VPCE001", unreadable_task_definition(denied)))
    assert {k: r.status for k, r in results.items()} == {"api/needs": ERROR, **all_pass("worker")}
    needs = results["api/needs"]
    assert (needs.resource_type, needs.resource_id, needs.workload) == (
        "ecs_service",
        "api",
        f"arn:aws:ecs:{REGION}:111122223333:service/prod/api",
    )
    assert needs.message.startswith("Incomplete data: ")
    # A denied call is named (with its remedy), and only once; a definition that is simply gone is said so.
    gone = f"task definition {TASK_DEFINITION_ARN} not in inventory"
    denied_text = f"ecs:DescribeTaskDefinition on {TASK_DEFINITION_ARN}: AccessDenied; grant ecs:DescribeTaskDefinition"
    assert (gone in needs.message) is not denied
    assert needs.message.count(denied_text) == (1 if denied else 0)


def test_calls_to_another_region_fail_once_and_cannot_be_fixed_with_an_endpoint() -> None:
    from tests.builders import container

    app = container()
    app["logConfiguration"]["options"]["awslogs-region"] = "us-east-1"
    app["secrets"] = [{"name": "DB", "valueFrom": "arn:aws:secretsmanager:us-west-2:111122223333:secret:db-AbCdEf"}]
    results = by_key(run("VPCE001", Scenario.compliant(containers=[app])))
    for service, region in (("logs", "us-east-1"), ("secretsmanager", "us-west-2")):
        [result] = [
            r for r in results.values() if r.evidence.get("service_name") == f"com.amazonaws.{region}.{service}"
        ]
        assert result.status is FAIL
        assert f"calls com.amazonaws.{region}.{service} in {region}" in result.message
        assert "no endpoint of VPC vpc-app in eu-west-1 can carry" in result.message
        assert not any(c.startswith("aws ec2 create-vpc-endpoint") for c in result.remediation)
    # The same services in the workload's region are still needed only if something calls them there.
    assert not any(r.evidence.get("service_name") == "com.amazonaws.eu-west-1.logs" for r in results.values())


ENV_FILE = "arn:aws:s3:::team-config/prod/app.env"
ENV_BUCKET = "arn:aws:s3:::team-config"


def _environment_file_scenario(*, bucket_region: str | None, unreadable: bool = False) -> Scenario:
    app = container()
    app["environmentFiles"] = [{"value": ENV_FILE, "type": "s3"}]
    s = Scenario.compliant(containers=[app])
    if unreadable:
        s.error("s3", "GetBucketLocation", resource_id=ENV_BUCKET)
    elif bucket_region is not None:
        s.add_account("bucket_locations", {"bucket_arn": ENV_BUCKET, "region": bucket_region})
    return s


def test_environment_file_in_a_bucket_of_another_region_fails_like_other_cross_region_calls() -> None:
    """A gateway endpoint serves only its own region's buckets: the file cannot be read through this VPC."""
    results = by_key(run("VPCE001", _environment_file_scenario(bucket_region="us-east-1")))
    [other] = [r for r in results.values() if r.evidence.get("service_name") == "com.amazonaws.us-east-1.s3"]
    assert other.status is FAIL
    assert "calls com.amazonaws.us-east-1.s3 in us-east-1" in other.message
    assert f"reads environment file {ENV_FILE}" in other.message
    assert not any(c.startswith("aws ec2 create-vpc-endpoint") for c in other.remediation)
    # The images still come from this region's ECR through its S3 endpoint, which is present.
    [home] = [r for r in results.values() if r.evidence.get("service_name") == f"com.amazonaws.{REGION}.s3"]
    assert home.status is PASS
    assert ENV_FILE not in home.message


def test_environment_file_in_a_bucket_of_the_workload_region_passes() -> None:
    results = by_key(run("VPCE001", _environment_file_scenario(bucket_region=REGION)))
    s3 = [r for r in results.values() if str(r.evidence.get("service_name", "")).endswith(".s3")]
    assert [r.status for r in s3] == [PASS]


def test_unreadable_bucket_region_is_an_error_for_the_s3_need_only() -> None:
    """The bucket may be in another region: a present S3 endpoint proves nothing for the file."""
    results = by_key(run("VPCE001", _environment_file_scenario(bucket_region=None, unreadable=True)))
    errors = [r for r in results.values() if r.status is ERROR]
    assert len(errors) == 1
    assert "s3:GetBucketLocation" in errors[0].message
    assert "grant s3:GetBucketLocation" in errors[0].message
    assert f"the region of bucket {ENV_BUCKET}" in errors[0].message
    assert all(r.status is PASS for r in results.values() if r not in errors)


def test_unreadable_bucket_region_keeps_a_missing_s3_endpoint_a_fail() -> None:
    """The ECR pulls need this region's S3 endpoint whatever the bucket's region: its absence stays FAIL."""
    scenario = _environment_file_scenario(bucket_region=None, unreadable=True)
    scenario.data["vpc_endpoints"] = [e for e in scenario.data["vpc_endpoints"] if not e["ServiceName"].endswith(".s3")]
    results = by_key(run("VPCE001", scenario))
    [s3] = [r for r in results.values() if str(r.evidence.get("service_name", "")).endswith(".s3")]
    assert s3.status is FAIL
