"""Build realistic private-Fargate accounts with plain boto3 calls, against moto or anything boto3 reaches.

Works in-process under `mock_aws` and against a `ThreadedMotoServer` alike: it only takes a
`boto3.Session` (and optionally an `endpoint_url`). It never uses CloudFormation, which loses exactly the
properties the scanner inspects (docs/notes/moto-fidelity.md §4.1).

    account = build_account(boto3.Session(), "us-east-1", ["compliant", "missing-logs-endpoint"])
    account["compliant"].vpc_id, account["missing-logs-endpoint"].endpoint_ids, account.shared.cluster_arn

Every scenario gets its own VPC (10.<n>.0.0/16) and, by default, one Fargate service; a scenario in
`TASK_SCENARIOS` runs a standalone task instead. Standalone tasks decay on every read under moto: pin
them first with `pin_ecs_tasks(endpoint_url)` (and `unpin_ecs_tasks` afterwards).

The compliant scenario: two private subnets in two AZs with their own route table (local route + the S3
gateway endpoint), VPC DNS support and hostnames on, Interface endpoints ecr.api, ecr.dkr, logs,
secretsmanager and sts with private DNS in both subnets, an endpoint security group admitting tcp/443
only from the task security group, task egress tcp/443 only to the endpoint security group and the S3
prefix list, the default NACL; an ECR image, awslogs, a Secrets Manager secret, assignPublicIp DISABLED
and an execution role that exists. Each other scenario breaks one thing (see `SCENARIOS`).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import boto3


def _teach_moto_pull_through_cache_rules() -> None:
    """moto does not implement ecr:CreatePullThroughCacheRule nor ecr:DescribePullThroughCacheRules
    (NotImplementedError): keep the rules a fixture creates on the region's ECR backend and answer them, all
    on one page (an account without rules gets none). The collector reads them for every region whose images
    come from the account's own registry."""
    from moto.core.responses import ActionResult
    from moto.ecr.responses import ECRResponse

    def rules(self: ECRResponse) -> list[dict[str, Any]]:
        backend: Any = self.ecr_backend
        if not hasattr(backend, "pull_through_cache_rules"):
            backend.pull_through_cache_rules = []  # cleared with the backend when a mock starts
        return list(backend.pull_through_cache_rules)

    def create_pull_through_cache_rule(self: ECRResponse) -> ActionResult:
        rule = {
            "ecrRepositoryPrefix": self._get_param("ecrRepositoryPrefix"),
            "upstreamRegistryUrl": self._get_param("upstreamRegistryUrl"),
            "registryId": self.current_account,
        }
        backend: Any = self.ecr_backend
        backend.pull_through_cache_rules = [*rules(self), rule]
        return ActionResult(rule)

    def describe_pull_through_cache_rules(self: ECRResponse) -> ActionResult:
        return ActionResult({"pullThroughCacheRules": rules(self)})

    for name, handler in (
        ("create_pull_through_cache_rule", create_pull_through_cache_rule),
        ("describe_pull_through_cache_rules", describe_pull_through_cache_rules),
    ):
        if name not in vars(ECRResponse):
            setattr(ECRResponse, name, handler)


_teach_moto_pull_through_cache_rules()

INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts")
CLUSTER_NAME = "vpce-scan-fixture"
EXECUTION_ROLE_NAME = "vpce-scan-fixture-execution"
MISSING_ROLE_NAME = "vpce-scan-fixture-no-such-role"
DOCKER_HUB_IMAGE = "docker.io/library/nginx:1.27"
ECS_TASKS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


@dataclass(frozen=True)
class Spec:
    """How a scenario differs from the compliant baseline."""

    description: str
    interface_services: tuple[str, ...] = INTERFACE_SERVICES
    private_dns_off: frozenset[str] = frozenset()
    s3_gateway: bool = True
    azs: int = 2
    dns_hostnames: bool = True
    default_route: Literal["nat", "igw"] | None = None
    endpoint_sg_open: bool = False
    image: Literal["ecr", "dockerhub"] = "ecr"
    assign_public_ip: Literal["ENABLED", "DISABLED"] = "DISABLED"
    execution_role: Literal["arn", "name", "missing"] = "arn"
    standalone_task: bool = False


_COMPLIANT = Spec("private subnets in two AZs, every needed endpoint, tight security groups")
SCENARIOS: dict[str, Spec] = {
    "compliant": _COMPLIANT,
    "missing-logs-endpoint": replace(
        _COMPLIANT,
        description="no logs Interface endpoint although the task logs with awslogs",
        interface_services=tuple(s for s in INTERFACE_SERVICES if s != "logs"),
    ),
    "ecr-dkr-private-dns-off": replace(
        _COMPLIANT,
        description="the ecr.dkr endpoint has PrivateDnsEnabled=false",
        private_dns_off=frozenset({"ecr.dkr"}),
    ),
    "no-s3-gateway": replace(
        _COMPLIANT, description="no S3 gateway endpoint on the task route table", s3_gateway=False
    ),
    "nat-default-route": replace(
        _COMPLIANT, description="the task route table sends 0.0.0.0/0 to a NAT gateway", default_route="nat"
    ),
    "igw-default-route": replace(
        _COMPLIANT,
        description="the task route table sends 0.0.0.0/0 to an internet gateway",
        default_route="igw",
    ),
    "endpoint-sg-open": replace(
        _COMPLIANT,
        description="the endpoint security group admits tcp/443 from 0.0.0.0/0",
        endpoint_sg_open=True,
    ),
    "docker-hub-image": replace(_COMPLIANT, description="the container image comes from Docker Hub", image="dockerhub"),
    "single-az": replace(_COMPLIANT, description="one subnet in one AZ, endpoints in that AZ only", azs=1),
    "vpc-dns-hostnames-off": replace(_COMPLIANT, description="the VPC has enableDnsHostnames off", dns_hostnames=False),
    "public-ip-enabled": replace(
        _COMPLIANT, description="the service sets assignPublicIp ENABLED", assign_public_ip="ENABLED"
    ),
    "execution-role-by-name": replace(
        _COMPLIANT, description="executionRoleArn holds the bare role name", execution_role="name"
    ),
    "execution-role-missing": replace(
        _COMPLIANT, description="executionRoleArn names a role that does not exist", execution_role="missing"
    ),
    "standalone-task": replace(
        _COMPLIANT,
        description="a standalone Fargate task (no service) in a compliant VPC",
        standalone_task=True,
    ),
}
TASK_SCENARIOS = frozenset(name for name, spec in SCENARIOS.items() if spec.standalone_task)


@dataclass(frozen=True)
class SharedFixture:
    """What all scenarios of one account and region share."""

    account_id: str
    region: str
    availability_zones: tuple[str, ...]
    cluster_arn: str
    execution_role_arn: str
    secret_arn: str
    log_group: str
    repository_uri: str
    s3_prefix_list_id: str


@dataclass(frozen=True)
class ScenarioFixture:
    scenario: str
    name: str  # service name and task definition family
    vpc_id: str
    subnet_ids: tuple[str, ...]
    availability_zones: tuple[str, ...]
    route_table_id: str
    task_sg_id: str
    endpoint_sg_id: str
    # short service name (ecr.api, ..., s3) -> vpce id
    endpoint_ids: dict[str, str]
    task_definition_arn: str
    # exactly as written in the task definition (ARN or bare name)
    execution_role: str
    image: str
    service_arn: str | None = None
    task_arn: str | None = None
    task_eni_id: str | None = None
    nat_gateway_id: str | None = None
    internet_gateway_id: str | None = None


@dataclass(frozen=True)
class AccountFixture:
    shared: SharedFixture
    vpcs: tuple[ScenarioFixture, ...] = field(default_factory=tuple)

    def __getitem__(self, scenario: str) -> ScenarioFixture:
        """The first VPC built for `scenario`."""
        return next(v for v in self.vpcs if v.scenario == scenario)


def build_account(
    session: boto3.Session,
    region: str,
    scenarios: Iterable[str] = ("compliant",),
    *,
    endpoint_url: str | None = None,
) -> AccountFixture:
    """One shared base (cluster, execution role, secret, log group, ECR repository) and a VPC per scenario.

    A scenario may repeat (the benchmark builds N compliant VPCs); VPC n gets 10.n.0.0/16.
    """
    builder = Builder(session, region, endpoint_url)
    shared = builder.build_shared()
    vpcs = tuple(builder.build_scenario(shared, scenario, index) for index, scenario in enumerate(scenarios, 1))
    return AccountFixture(shared, vpcs)


def pin_ecs_tasks(endpoint_url: str | None = None) -> None:
    """Stop moto advancing ECS task states on every read (in-process, or on the server at endpoint_url)."""
    transition = {"progression": "manual", "times": 10**6}
    if endpoint_url is None:
        from moto.moto_api import state_manager

        state_manager.set_transition(model_name="ecs::task", transition=transition)
    else:
        _moto_api(
            endpoint_url,
            "state-manager/set-transition",
            {"model_name": "ecs::task", "transition": transition},
        )


def unpin_ecs_tasks(endpoint_url: str | None = None) -> None:
    if endpoint_url is None:
        from moto.moto_api import state_manager

        state_manager.unset_transition("ecs::task")
    else:
        _moto_api(endpoint_url, "state-manager/unset-transition", {"model_name": "ecs::task"})


def _moto_api(endpoint_url: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{endpoint_url.rstrip('/')}/moto-api/{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


class Builder:
    def __init__(self, session: boto3.Session, region: str, endpoint_url: str | None = None) -> None:
        self.region = region

        def client(name: str) -> Any:
            return session.client(name, region_name=region, endpoint_url=endpoint_url)  # type: ignore[call-overload]

        self.ec2 = client("ec2")
        self.ecs = client("ecs")
        self.iam = client("iam")
        self.sts = client("sts")
        self.secrets = client("secretsmanager")
        self.logs = client("logs")
        self.ecr = client("ecr")

    def build_shared(self) -> SharedFixture:
        account_id = self.sts.get_caller_identity()["Account"]
        zones = self.ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])[
            "AvailabilityZones"
        ]
        cluster_arn = self.ecs.create_cluster(clusterName=CLUSTER_NAME)["cluster"]["clusterArn"]
        secret_arn = self.secrets.create_secret(Name="vpce-scan-fixture/db", SecretString="hunter2")["ARN"]
        log_group = "/ecs/vpce-scan-fixture"
        self.logs.create_log_group(logGroupName=log_group)
        repository_uri = self.ecr.create_repository(repositoryName="app")["repository"]["repositoryUri"]
        role_arn = self.iam.create_role(
            RoleName=EXECUTION_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(ECS_TASKS_TRUST)
        )["Role"]["Arn"]
        self.iam.put_role_policy(
            RoleName=EXECUTION_ROLE_NAME,
            PolicyName="pull-log-secrets",
            PolicyDocument=json.dumps(_execution_policy(account_id, self.region, secret_arn, log_group)),
        )
        prefix_list = self.ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [f"com.amazonaws.{self.region}.s3"]}]
        )["PrefixLists"][0]
        return SharedFixture(
            account_id=account_id,
            region=self.region,
            availability_zones=tuple(sorted(z["ZoneName"] for z in zones)),
            cluster_arn=cluster_arn,
            execution_role_arn=role_arn,
            secret_arn=secret_arn,
            log_group=log_group,
            repository_uri=repository_uri,
            s3_prefix_list_id=prefix_list["PrefixListId"],
        )

    def build_scenario(self, shared: SharedFixture, scenario: str, index: int) -> ScenarioFixture:
        spec = SCENARIOS[scenario]
        ec2 = self.ec2
        name = f"{scenario}-{index}"
        vpc_id = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16", TagSpecifications=_name_tag("vpc", name))["Vpc"][
            "VpcId"
        ]
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": spec.dns_hostnames})
        azs = shared.availability_zones[: spec.azs]
        subnet_ids = tuple(
            ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=f"10.{index}.{n}.0/24",
                AvailabilityZone=az,
                TagSpecifications=_name_tag("subnet", f"{name}-private-{az}"),
            )["Subnet"]["SubnetId"]
            for n, az in enumerate(azs, 1)
        )
        route_table_id = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=_name_tag("route-table", name))[
            "RouteTable"
        ]["RouteTableId"]
        for subnet_id in subnet_ids:
            ec2.associate_route_table(RouteTableId=route_table_id, SubnetId=subnet_id)

        task_sg = ec2.create_security_group(GroupName=f"{name}-task", Description="tasks", VpcId=vpc_id)["GroupId"]
        endpoint_sg = ec2.create_security_group(GroupName=f"{name}-endpoints", Description="endpoints", VpcId=vpc_id)[
            "GroupId"
        ]
        ec2.authorize_security_group_ingress(
            GroupId=endpoint_sg,
            IpPermissions=[_https(UserIdGroupPairs=[{"GroupId": task_sg, "Description": "from tasks"}])],
        )
        if spec.endpoint_sg_open:
            ec2.authorize_security_group_ingress(
                GroupId=endpoint_sg, IpPermissions=[_https(IpRanges=[{"CidrIp": "0.0.0.0/0"}])]
            )
        ec2.revoke_security_group_egress(
            GroupId=task_sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        ec2.authorize_security_group_egress(
            GroupId=task_sg,
            IpPermissions=[
                _https(
                    UserIdGroupPairs=[{"GroupId": endpoint_sg}],
                    PrefixListIds=[{"PrefixListId": shared.s3_prefix_list_id}],
                )
            ],
        )

        endpoint_ids: dict[str, str] = {}
        for service in spec.interface_services:
            endpoint_ids[service] = ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                VpcEndpointType="Interface",
                ServiceName=f"com.amazonaws.{self.region}.{service}",
                SubnetIds=list(subnet_ids),
                SecurityGroupIds=[endpoint_sg],
                PrivateDnsEnabled=service not in spec.private_dns_off,
            )["VpcEndpoint"]["VpcEndpointId"]
        if spec.s3_gateway:
            endpoint_ids["s3"] = ec2.create_vpc_endpoint(
                VpcId=vpc_id,
                VpcEndpointType="Gateway",
                ServiceName=f"com.amazonaws.{self.region}.s3",
                RouteTableIds=[route_table_id],
            )["VpcEndpoint"]["VpcEndpointId"]

        nat_gateway_id, internet_gateway_id = self._default_route(spec, vpc_id, index, route_table_id, azs[0])

        image = f"{shared.repository_uri}:1" if spec.image == "ecr" else DOCKER_HUB_IMAGE
        execution_role = {
            "arn": shared.execution_role_arn,
            "name": EXECUTION_ROLE_NAME,
            "missing": f"arn:aws:iam::{shared.account_id}:role/{MISSING_ROLE_NAME}",
        }[spec.execution_role]
        task_definition_arn = register_task_definition(
            self.ecs, shared, name, execution_role, image, [("DB_PASSWORD", shared.secret_arn)]
        )
        network = {
            "awsvpcConfiguration": {
                "subnets": list(subnet_ids),
                "securityGroups": [task_sg],
                "assignPublicIp": spec.assign_public_ip,
            }
        }
        service_arn = task_arn = task_eni_id = None
        if spec.standalone_task:
            task = self.ecs.run_task(
                cluster=shared.cluster_arn,
                taskDefinition=task_definition_arn,
                launchType="FARGATE",
                count=1,
                group=f"family:{name}",
                startedBy="awsfixtures",
                networkConfiguration=network,
            )["tasks"][0]
            task_arn = task["taskArn"]
            details = {d["name"]: d["value"] for a in task.get("attachments", []) for d in a.get("details", [])}
            task_eni_id = details.get("networkInterfaceId")
        else:
            service_arn = self.ecs.create_service(
                cluster=shared.cluster_arn,
                serviceName=name,
                taskDefinition=task_definition_arn,
                desiredCount=1,
                launchType="FARGATE",
                platformVersion="LATEST",
                networkConfiguration=network,
            )["service"]["serviceArn"]
        return ScenarioFixture(
            scenario=scenario,
            name=name,
            vpc_id=vpc_id,
            subnet_ids=subnet_ids,
            availability_zones=tuple(azs),
            route_table_id=route_table_id,
            task_sg_id=task_sg,
            endpoint_sg_id=endpoint_sg,
            endpoint_ids=endpoint_ids,
            task_definition_arn=task_definition_arn,
            execution_role=execution_role,
            image=image,
            service_arn=service_arn,
            task_arn=task_arn,
            task_eni_id=task_eni_id,
            nat_gateway_id=nat_gateway_id,
            internet_gateway_id=internet_gateway_id,
        )

    def _default_route(
        self, spec: Spec, vpc_id: str, index: int, route_table_id: str, az: str
    ) -> tuple[str | None, str | None]:
        """An internet path for the broken scenarios: 0.0.0.0/0 to an IGW, or to a NAT in a public subnet."""
        if spec.default_route is None:
            return None, None
        ec2 = self.ec2
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        if spec.default_route == "igw":
            ec2.create_route(RouteTableId=route_table_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            return None, igw
        public_subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{index}.100.0/24", AvailabilityZone=az)[
            "Subnet"
        ]["SubnetId"]
        public_rt = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public_subnet)
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public_subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        ec2.create_route(RouteTableId=route_table_id, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        return nat, igw


def _https(**peers: Any) -> dict[str, Any]:
    return {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, **peers}


def _name_tag(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def _execution_policy(account_id: str, region: str, secret_arn: str, log_group: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:BatchGetImage",
                ],
                "Resource": f"arn:aws:ecr:{region}:{account_id}:repository/app",
            },
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"arn:aws:logs:{region}:{account_id}:log-group:{log_group}:*",
            },
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn},
        ],
    }


def add_fargate_service(
    session: boto3.Session,
    shared: SharedFixture,
    vpc: ScenarioFixture,
    name: str,
    execution_role: str,
    *,
    secrets: Iterable[tuple[str, str]] = (),
    endpoint_url: str | None = None,
) -> str:
    """Another Fargate service in `vpc` (its subnets and task group), with its own task definition and
    execution role (ARN or name), the shared ECR image and log group, and `secrets` (name, valueFrom)."""
    ecs = session.client("ecs", region_name=shared.region, endpoint_url=endpoint_url)  # type: ignore[call-overload]
    task_definition_arn = register_task_definition(
        ecs, shared, name, execution_role, f"{shared.repository_uri}:1", secrets
    )
    return create_private_service(ecs, shared, vpc, name, task_definition_arn)


def create_private_service(
    ecs: Any, shared: SharedFixture, vpc: ScenarioFixture, name: str, task_definition_arn: str
) -> str:
    """A Fargate service of `task_definition_arn` in `vpc`'s subnets and task group, without a public IP."""
    return str(
        ecs.create_service(
            cluster=shared.cluster_arn,
            serviceName=name,
            taskDefinition=task_definition_arn,
            desiredCount=1,
            launchType="FARGATE",
            platformVersion="LATEST",
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(vpc.subnet_ids),
                    "securityGroups": [vpc.task_sg_id],
                    "assignPublicIp": "DISABLED",
                }
            },
        )["service"]["serviceArn"]
    )


def register_task_definition(
    ecs: Any,
    shared: SharedFixture,
    name: str,
    execution_role: str,
    image: str,
    secrets: Iterable[tuple[str, str]],
    environment_files: Iterable[str] = (),
) -> str:
    """A Fargate task definition with one container `app`: the image, awslogs to the shared log group,
    `secrets` (name, valueFrom) and `environment_files` (S3 object ARNs)."""
    files = list(environment_files)
    return str(
        ecs.register_task_definition(
            family=name,
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            executionRoleArn=execution_role,
            containerDefinitions=[
                {
                    "name": "app",
                    "image": image,
                    "memory": 512,  # moto's run_task needs container-level memory
                    "essential": True,
                    "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {
                            "awslogs-group": shared.log_group,
                            "awslogs-region": shared.region,
                            "awslogs-stream-prefix": name,
                        },
                    },
                    "secrets": [{"name": n, "valueFrom": v} for n, v in secrets],
                    **({"environmentFiles": [{"type": "s3", "value": a} for a in files]} if files else {}),
                }
            ],
        )["taskDefinition"]["taskDefinitionArn"]
    )
