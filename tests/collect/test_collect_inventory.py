"""collect() against an in-process moto account holding every fixture scenario, collected once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network

import boto3
import pytest
from botocore.model import OperationModel

from scanner.collect import collect, required_actions
from scanner.inventory import Inventory
from scanner.inventory.root import AccountInventory, RegionInventory
from scanner.inventory.workloads import derive_workloads
from tests.awsfixtures import (
    EXECUTION_ROLE_NAME,
    INTERFACE_SERVICES,
    SCENARIOS,
    AccountFixture,
    pin_ecs_tasks,
    unpin_ecs_tasks,
)
from tests.collect.helpers import fake_aws_env

REGION = "us-east-1"


@dataclass
class Collected:
    fixture: AccountFixture
    inventory: Inventory
    progress: list[str]
    actions_called: set[str]

    @property
    def account(self) -> AccountInventory:
        return self.inventory.accounts[0]

    @property
    def region(self) -> RegionInventory:
        return self.account.regions[0]


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collected]:
    from moto import mock_aws

    from tests.awsfixtures import build_account

    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_aws_env(monkeypatch, tmp_path_factory.mktemp("aws"))
        with mock_aws():
            pin_ecs_tasks()
            try:
                fixture = build_account(boto3.Session(), REGION, list(SCENARIOS))
                session = boto3.Session()
                actions: set[str] = set()

                def record(model: OperationModel, **_: object) -> None:
                    actions.add(f"{model.service_model.signing_name}:{model.name}")

                session.events.register("before-call.*.*", record)
                progress: list[str] = []
                inventory = collect(session, progress=progress.append)
                yield Collected(fixture, inventory, progress, actions)
            finally:
                unpin_ecs_tasks()


def test_one_account_one_region_no_errors(collected: Collected) -> None:
    assert [a.account_id for a in collected.inventory.accounts] == [collected.fixture.shared.account_id]
    assert collected.account.partition == "aws"
    assert [r.region for r in collected.account.regions] == [REGION]
    assert collected.account.errors == []
    assert collected.inventory.collected_at is not None


def test_vpcs_carry_dns_attributes_only_where_workloads_run(collected: Collected) -> None:
    vpcs = collected.region.vpc_by_id
    for built in collected.fixture.vpcs:
        vpc = vpcs[built.vpc_id]
        assert vpc.name_tag == built.name
        assert vpc.enable_dns_support is True
        assert vpc.enable_dns_hostnames is (built.scenario != "vpc-dns-hostnames-off")
    # moto's default VPC hosts no workload: its attributes are not read (no request spent on it).
    default = [v for v in collected.region.vpcs if v.is_default]
    assert len(default) == 1
    assert (default[0].enable_dns_support, default[0].enable_dns_hostnames) == (None, None)


def test_subnets_route_tables_and_nacls(collected: Collected) -> None:
    region = collected.region
    built = collected.fixture["compliant"]
    subnets = [region.subnet_by_id[s] for s in built.subnet_ids]
    assert {s.availability_zone for s in subnets} == set(built.availability_zones)
    assert len(built.availability_zones) == 2
    assert subnets[0].cidr_block == IPv4Network("10.1.1.0/24")
    for subnet in subnets:
        table = region.route_table_for_subnet(subnet.subnet_id, built.vpc_id)
        assert table is not None and table.route_table_id == built.route_table_id
        destinations = {r.destination: r for r in table.routes}
        assert destinations["10.1.0.0/16"].gateway_id == "local"
        s3_route = destinations[collected.fixture.shared.s3_prefix_list_id]
        assert s3_route.gateway_id == built.endpoint_ids["s3"]
        assert not any(r.nat_gateway_id for r in table.routes)
        acl = region.network_acl_for_subnet(subnet.subnet_id)
        assert acl is not None and acl.is_default and acl.vpc_id == built.vpc_id
    mains = [t for t in region.route_tables if t.vpc_id == built.vpc_id and t.is_main]
    assert len(mains) == 1


def test_nat_and_internet_gateway_routes(collected: Collected) -> None:
    region = collected.region
    nat_built = collected.fixture["nat-default-route"]
    nat = next(n for n in region.nat_gateways if n.nat_gateway_id == nat_built.nat_gateway_id)
    assert nat.vpc_id == nat_built.vpc_id
    table = region.route_table_for_subnet(nat_built.subnet_ids[0], nat_built.vpc_id)
    assert table is not None
    assert any(r.nat_gateway_id == nat.nat_gateway_id and r.destination == "0.0.0.0/0" for r in table.routes)
    igw_built = collected.fixture["igw-default-route"]
    igw = next(g for g in region.internet_gateways if g.internet_gateway_id == igw_built.internet_gateway_id)
    assert [a.vpc_id for a in igw.attachments] == [igw_built.vpc_id]
    table = region.route_table_for_subnet(igw_built.subnet_ids[0], igw_built.vpc_id)
    assert table is not None
    assert any(r.gateway_id == igw.internet_gateway_id for r in table.routes)


def test_vpc_endpoints(collected: Collected) -> None:
    region = collected.region
    built = collected.fixture["compliant"]
    endpoints = {e.service_name: e for e in region.endpoints_by_vpc[built.vpc_id]}
    assert set(endpoints) == {f"com.amazonaws.{REGION}.{s}" for s in (*INTERFACE_SERVICES, "s3")}
    for service in INTERFACE_SERVICES:
        endpoint = endpoints[f"com.amazonaws.{REGION}.{service}"]
        assert endpoint.vpc_endpoint_id == built.endpoint_ids[service]
        assert endpoint.is_interface and endpoint.private_dns_enabled is True
        assert endpoint.state == "available"
        assert sorted(endpoint.subnet_ids) == sorted(built.subnet_ids)
        assert endpoint.security_group_ids == [built.endpoint_sg_id]
    s3 = endpoints[f"com.amazonaws.{REGION}.s3"]
    assert s3.is_gateway and s3.route_table_ids == [built.route_table_id]

    dkr_off = collected.fixture["ecr-dkr-private-dns-off"]
    by_service = {e.service_name: e for e in region.endpoints_by_vpc[dkr_off.vpc_id]}
    assert by_service[f"com.amazonaws.{REGION}.ecr.dkr"].private_dns_enabled is False
    assert by_service[f"com.amazonaws.{REGION}.ecr.api"].private_dns_enabled is True
    no_logs = collected.fixture["missing-logs-endpoint"]
    assert f"com.amazonaws.{REGION}.logs" not in {e.service_name for e in region.endpoints_by_vpc[no_logs.vpc_id]}


def test_security_groups(collected: Collected) -> None:
    region = collected.region
    built = collected.fixture["compliant"]
    endpoint_sg = region.sg_by_id[built.endpoint_sg_id]
    assert len(endpoint_sg.ip_permissions) == 1
    ingress = endpoint_sg.ip_permissions[0]
    assert ingress.is_exactly_tcp_port(443)
    assert [p.group_id for p in ingress.user_id_group_pairs] == [built.task_sg_id]
    assert ingress.ip_ranges == []
    task_sg = region.sg_by_id[built.task_sg_id]
    assert all(p.is_exactly_tcp_port(443) for p in task_sg.ip_permissions_egress)
    assert {g.group_id for p in task_sg.ip_permissions_egress for g in p.user_id_group_pairs} == {built.endpoint_sg_id}
    assert {pl.prefix_list_id for p in task_sg.ip_permissions_egress for pl in p.prefix_list_ids} == {
        collected.fixture.shared.s3_prefix_list_id
    }
    open_sg = region.sg_by_id[collected.fixture["endpoint-sg-open"].endpoint_sg_id]
    assert IPv4Network("0.0.0.0/0") in {r.cidr_ip for p in open_sg.ip_permissions for r in p.ip_ranges}


def test_s3_prefix_list(collected: Collected) -> None:
    (prefix_list,) = collected.region.prefix_lists
    assert prefix_list.prefix_list_id == collected.fixture.shared.s3_prefix_list_id
    assert prefix_list.prefix_list_name == f"com.amazonaws.{REGION}.s3"
    assert prefix_list.cidrs and all(isinstance(c, IPv4Network) for c in prefix_list.cidrs)


def test_cluster_services_and_task_definitions(collected: Collected) -> None:
    region = collected.region
    shared = collected.fixture.shared
    assert [c.cluster_arn for c in region.clusters] == [shared.cluster_arn]
    services = {s.service_arn: s for s in region.services}
    built_services = [v for v in collected.fixture.vpcs if v.service_arn]
    assert set(services) == {v.service_arn for v in built_services}
    for built in built_services:
        service = services[built.service_arn]  # type: ignore[index]
        assert service.status == "ACTIVE" and service.launch_type == "FARGATE"
        assert service.cluster_arn == shared.cluster_arn
        assert service.task_definition == built.task_definition_arn
        awsvpc = service.network_configuration.awsvpc_configuration  # type: ignore[union-attr]
        assert awsvpc is not None
        assert awsvpc.subnets == list(built.subnet_ids)
        assert awsvpc.security_groups == [built.task_sg_id]
        expected_ip = "ENABLED" if built.scenario == "public-ip-enabled" else "DISABLED"
        assert awsvpc.assign_public_ip == expected_ip

    definitions = region.task_definition_by_arn
    assert set(definitions) == {v.task_definition_arn for v in collected.fixture.vpcs}
    compliant = definitions[collected.fixture["compliant"].task_definition_arn]
    assert compliant.network_mode == "awsvpc" and compliant.requires_compatibilities == ["FARGATE"]
    assert compliant.execution_role_arn == shared.execution_role_arn
    (container,) = compliant.container_definitions
    assert container.image == f"{shared.repository_uri}:1"
    assert container.log_configuration is not None and container.log_configuration.log_driver == "awslogs"
    assert [s.value_from for s in container.secrets] == [shared.secret_arn]
    docker = definitions[collected.fixture["docker-hub-image"].task_definition_arn]
    assert docker.container_definitions[0].image == "docker.io/library/nginx:1.27"


def test_execution_roles_resolved_once_by_arn_or_name(collected: Collected) -> None:
    account = collected.account
    assert [r.role_name for r in account.roles] == [EXECUTION_ROLE_NAME]
    role = account.role_by_name[EXECUTION_ROLE_NAME]
    assert role.arn == collected.fixture.shared.execution_role_arn
    assert isinstance(role.assume_role_policy_document, dict)
    by_name = collected.fixture["execution-role-by-name"]
    assert by_name.execution_role == EXECUTION_ROLE_NAME
    assert (
        collected.region.task_definition_by_arn[by_name.task_definition_arn].execution_role_arn == EXECUTION_ROLE_NAME
    )
    # Only the nonexistent role is missing; the one referenced by bare name resolved.
    assert account.missing_roles == [collected.fixture["execution-role-missing"].execution_role]
    assert collected.actions_called >= {"iam:GetRole"}


def test_standalone_task_and_its_eni(collected: Collected) -> None:
    region = collected.region
    built = collected.fixture["standalone-task"]
    (task,) = region.tasks
    assert task.task_arn == built.task_arn
    assert task.service_name is None and task.group == f"family:{built.name}"
    assert task.launch_type == "FARGATE"
    assert task.eni_detail("subnetId") == built.subnet_ids[0]
    eni_id = task.eni_detail("networkInterfaceId")
    assert eni_id == built.task_eni_id
    (eni,) = region.network_interfaces
    assert eni.network_interface_id == eni_id
    assert [g.group_id for g in eni.groups] == [built.task_sg_id]
    assert eni.vpc_id == built.vpc_id


def test_inventory_feeds_the_workload_view(collected: Collected) -> None:
    workloads = {w.name: w for w in derive_workloads(collected.inventory)}
    assert set(workloads) == {v.name for v in collected.fixture.vpcs}
    for built in collected.fixture.vpcs:
        workload = workloads[built.name]
        assert workload.unresolved == [], built.scenario
        assert workload.vpc_id == built.vpc_id
        assert workload.security_group_ids == [built.task_sg_id]
        assert workload.execution_role == built.execution_role
    assert workloads[collected.fixture["standalone-task"].name].kind == "task_family"


def test_json_round_trip(collected: Collected) -> None:
    inventory = collected.inventory
    assert Inventory.model_validate_json(inventory.dump_json()) == inventory


def test_progress_reports_each_stage(collected: Collected) -> None:
    progress = collected.progress
    assert f"{REGION}: ec2 describe-vpc-endpoints" in progress
    assert f"{REGION}: sts get-caller-identity" == progress[0]
    assert any(m.startswith(f"{REGION}: ecs describe-services") for m in progress)
    assert any(m.startswith("global: iam get-role") for m in progress)


def test_required_actions_cover_every_call(collected: Collected) -> None:
    actions = required_actions()
    assert actions == sorted(set(actions))
    assert collected.actions_called <= set(actions), collected.actions_called - set(actions)
    assert all(a.split(":")[1][:3] in ("Des", "Get", "Lis") for a in actions)  # read-only
