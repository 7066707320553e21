"""The Inventory root: accounts, their regions and what was collected there, plus collection errors.

The JSON form carries `schema_version`; `load_inventory` refuses any other version with a one-line error.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from scanner.inventory.ecs import Cluster, Service, Task, TaskDefinition
from scanner.inventory.gaps import Gaps, MissingData
from scanner.inventory.iam import (
    BucketEncryption,
    BucketLocation,
    BucketPolicy,
    KmsKey,
    ManagedPolicy,
    PullThroughCacheRule,
    RepositoryPolicy,
    Role,
    SecretMetadata,
    ServiceControlPolicies,
    SimulationResult,
    SsmParameter,
)
from scanner.inventory.network import (
    EgressOnlyInternetGateway,
    InternetGateway,
    NatGateway,
    NetworkAcl,
    NetworkInterface,
    PrefixList,
    RouteTable,
    SecurityGroup,
    Subnet,
    Vpc,
    VpcEndpoint,
)
from scanner.results import CollectionErrorRecord
from scanner.versioned import load_versioned, parse_versioned

INVENTORY_SCHEMA_VERSION = 1


class _Root(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RegionInventory(_Root):
    region: str
    vpcs: list[Vpc] = Field(default_factory=list)
    subnets: list[Subnet] = Field(default_factory=list)
    route_tables: list[RouteTable] = Field(default_factory=list)
    nat_gateways: list[NatGateway] = Field(default_factory=list)
    internet_gateways: list[InternetGateway] = Field(default_factory=list)
    egress_only_internet_gateways: list[EgressOnlyInternetGateway] = Field(default_factory=list)
    vpc_endpoints: list[VpcEndpoint] = Field(default_factory=list)
    security_groups: list[SecurityGroup] = Field(default_factory=list)
    network_acls: list[NetworkAcl] = Field(default_factory=list)
    prefix_lists: list[PrefixList] = Field(default_factory=list)
    clusters: list[Cluster] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    task_definitions: list[TaskDefinition] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    network_interfaces: list[NetworkInterface] = Field(default_factory=list)

    # Lookup indexes, built once on first use.
    @cached_property
    def vpc_by_id(self) -> dict[str, Vpc]:
        return {v.vpc_id: v for v in self.vpcs}

    @cached_property
    def subnet_by_id(self) -> dict[str, Subnet]:
        return {s.subnet_id: s for s in self.subnets}

    @cached_property
    def sg_by_id(self) -> dict[str, SecurityGroup]:
        return {g.group_id: g for g in self.security_groups}

    @cached_property
    def task_definition_by_arn(self) -> dict[str, TaskDefinition]:
        return {t.task_definition_arn: t for t in self.task_definitions}

    @cached_property
    def endpoints_by_vpc(self) -> dict[str, list[VpcEndpoint]]:
        index: dict[str, list[VpcEndpoint]] = {}
        for endpoint in self.vpc_endpoints:
            index.setdefault(endpoint.vpc_id, []).append(endpoint)
        return index

    @cached_property
    def eni_by_id(self) -> dict[str, NetworkInterface]:
        return {e.network_interface_id: e for e in self.network_interfaces}

    @cached_property
    def prefix_list_by_name(self) -> dict[str, PrefixList]:
        return {p.prefix_list_name: p for p in self.prefix_lists}

    # Lookups by id that tell "does not exist" (None) from "could not be read" (MissingData from `gaps`).
    def subnet(self, subnet_id: str, gaps: Gaps) -> Subnet | None:
        found = self.subnet_by_id.get(subnet_id)
        if found is None:
            _raise_missing(gaps, "ec2:DescribeSubnets", subnet_id, f"subnet {subnet_id}")
        return found

    def security_group(self, group_id: str, gaps: Gaps) -> SecurityGroup | None:
        found = self.sg_by_id.get(group_id)
        if found is None:
            _raise_missing(gaps, "ec2:DescribeSecurityGroups", group_id, f"security group {group_id}")
        return found

    def vpc(self, vpc_id: str, gaps: Gaps) -> Vpc | None:
        found = self.vpc_by_id.get(vpc_id)
        if found is None:
            _raise_missing(gaps, "ec2:DescribeVpcs", vpc_id, f"VPC {vpc_id}")
        elif found.enable_dns_support is None or found.enable_dns_hostnames is None:
            # The collector reads the DNS attributes of the VPCs that its workloads' subnets are in:
            # without the subnets they were never asked for.
            gaps.require_listing("ec2:DescribeSubnets", f"the DNS attributes of {vpc_id}")
        return found

    def complete_prefix_list(self, name: str, gaps: Gaps) -> PrefixList | None:
        """The managed prefix list `name` with all its entries; MissingData when the list or any page of
        its entries could not be read (a partial list of CIDRs would decide coverage wrongly)."""
        found = self.prefix_list_by_name.get(name)
        if found is None:
            _raise_missing(gaps, "ec2:DescribeManagedPrefixLists", name, f"prefix list {name}")
            return None
        gaps.require_id("ec2:GetManagedPrefixListEntries", found.prefix_list_id, f"the address list of {name}")
        return found

    def route_table_for_subnet(self, subnet_id: str, vpc_id: str, gaps: Gaps | None = None) -> RouteTable | None:
        """The explicitly associated table, else the VPC's main table (as AWS routes). With `gaps`, a
        route table listing that did not finish raises MissingData: the association may be on a lost page,
        and falling back to the main table would be a guess."""
        if gaps is not None:
            gaps.require_listing("ec2:DescribeRouteTables", f"the route table of {subnet_id}")
        main = None
        for table in self.route_tables:
            if table.vpc_id != vpc_id:
                continue
            for association in table.associations:
                if association.subnet_id == subnet_id:
                    return table
                if association.main:
                    main = table
        return main

    def network_acl_for_subnet(self, subnet_id: str, gaps: Gaps | None = None) -> NetworkAcl | None:
        if gaps is not None:
            gaps.require_listing("ec2:DescribeNetworkAcls", f"the network ACL of {subnet_id}")
        for acl in self.network_acls:
            if any(a.subnet_id == subnet_id for a in acl.associations):
                return acl
        return None


def _raise_missing(gaps: Gaps, action: str, resource_id: str, what: str) -> None:
    missing = gaps.missing(action, resource_id, what)
    if missing is not None:
        raise missing


class AccountInventory(_Root):
    account_id: str
    partition: str = "aws"
    regions: list[RegionInventory] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    # Execution roles that were looked up and do not exist (NoSuchEntity): data, not an error.
    missing_roles: list[str] = Field(default_factory=list)
    errors: list[CollectionErrorRecord] = Field(default_factory=list)
    # What the execution-role rules need beyond the roles (scanner/inventory/iam.py).
    managed_policies: list[ManagedPolicy] = Field(default_factory=list)
    secrets: list[SecretMetadata] = Field(default_factory=list)
    # Secret references (as written in task definitions) that Secrets Manager does not know.
    missing_secrets: list[str] = Field(default_factory=list)
    ssm_parameters: list[SsmParameter] = Field(default_factory=list)
    # Parameter ARNs that were looked up and do not exist.
    missing_parameters: list[str] = Field(default_factory=list)
    kms_keys: list[KmsKey] = Field(default_factory=list)
    repository_policies: list[RepositoryPolicy] = Field(default_factory=list)
    # The buckets environment files come from: owned by the account or not, and their policies.
    bucket_policies: list[BucketPolicy] = Field(default_factory=list)
    # Their regions (a bucket of another region cannot be reached through the VPC's S3 endpoint).
    bucket_locations: list[BucketLocation] = Field(default_factory=list)
    # Their default encryption (a customer managed KMS key needs kms:Decrypt too).
    bucket_encryptions: list[BucketEncryption] = Field(default_factory=list)
    # ECR pull-through cache rules, and the regions whose rules were read (all of them, when none failed).
    pull_through_cache_rules: list[PullThroughCacheRule] = Field(default_factory=list)
    pull_through_cache_regions: list[str] = Field(default_factory=list)
    # None: not collected (an older inventory, a template); see ServiceControlPolicies.status.
    service_control_policies: ServiceControlPolicies | None = None
    # Live iam:SimulatePrincipalPolicy answers, only with --verify-live.
    simulations: list[SimulationResult] = Field(default_factory=list)

    @cached_property
    def _gaps_by_region(self) -> dict[str, Gaps]:
        return {}

    def gaps(self, region: str) -> Gaps:
        """The failed calls of this account that leave data of `region` unknown."""
        if region not in self._gaps_by_region:
            self._gaps_by_region[region] = Gaps.of(self.errors, region)
        return self._gaps_by_region[region]

    @cached_property
    def role_by_name(self) -> dict[str, Role]:
        return {r.role_name: r for r in self.roles}

    @cached_property
    def managed_policy_by_arn(self) -> dict[str, ManagedPolicy]:
        return {p.arn: p for p in self.managed_policies}

    @cached_property
    def secret_by_arn(self) -> dict[str, SecretMetadata]:
        return {s.arn: s for s in self.secrets}

    @cached_property
    def ssm_parameter_by_arn(self) -> dict[str, SsmParameter]:
        return {p.arn: p for p in self.ssm_parameters}

    @cached_property
    def kms_key_by_arn(self) -> dict[str, KmsKey]:
        return {k.arn: k for k in self.kms_keys}

    @cached_property
    def bucket_policy_by_arn(self) -> dict[str, BucketPolicy]:
        return {p.bucket_arn: p for p in self.bucket_policies}

    @cached_property
    def bucket_region_by_arn(self) -> dict[str, str]:
        return {b.bucket_arn: b.region for b in self.bucket_locations}

    @cached_property
    def bucket_encryption_by_arn(self) -> dict[str, BucketEncryption]:
        return {b.bucket_arn: b for b in self.bucket_encryptions}

    def bucket_region(self, bucket_arn: str) -> str | None:
        """The region of `bucket_arn`; MissingData when GetBucketLocation (any region: S3 is global)
        failed for it; None when it was not collected (an inventory written before bucket regions were)."""
        region = self.bucket_region_by_arn.get(bucket_arn)
        if region is not None:
            return region
        failed = next(
            (e for e in self.errors if e.action == "s3:GetBucketLocation" and e.resource_id in (bucket_arn, None)),
            None,
        )
        if failed is not None:
            raise MissingData(f"the region of bucket {bucket_arn} could not be read: {failed.describe()}")
        return None

    @cached_property
    def repository_policy_by_arn(self) -> dict[str, RepositoryPolicy]:
        return {p.repository_arn: p for p in self.repository_policies}


class Inventory(_Root):
    schema_version: int = INVENTORY_SCHEMA_VERSION
    source: Literal["aws", "demo", "fixture", "cloudformation"] = "aws"
    collected_at: datetime | None = None
    accounts: list[AccountInventory] = Field(default_factory=list)

    @property
    def errors(self) -> list[CollectionErrorRecord]:
        return [e for account in self.accounts for e in account.errors]

    @property
    def regions(self) -> list[str]:
        return sorted({r.region for a in self.accounts for r in a.regions})

    def dump_json(self) -> str:
        import json

        # Defaults are left out to keep files small; the version never is.
        document = self.model_dump(mode="json", exclude_defaults=True)
        return json.dumps({"schema_version": self.schema_version, **document}, indent=1)


_REMEDY = "write one with `vpce-scan collect -o FILE` (this version)"


def load_inventory(path: Path) -> Inventory:
    return load_versioned(path, Inventory, what="inventory", version=INVENTORY_SCHEMA_VERSION, remedy=_REMEDY)


def parse_inventory(text: str, where: str) -> Inventory:
    return parse_versioned(text, where, Inventory, what="inventory", version=INVENTORY_SCHEMA_VERSION, remedy=_REMEDY)
