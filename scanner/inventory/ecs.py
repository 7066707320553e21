"""ECS resources as describe-* calls return them (camelCase keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from scanner.inventory.base import EcsModel, SourceLocation


class EcsTag(EcsModel):
    key: str
    value: str = ""


class CapacityProviderItem(EcsModel):
    capacity_provider: str
    weight: int = 0
    base: int = 0


class AwsVpcConfiguration(EcsModel):
    subnets: list[str] = Field(default_factory=list)
    security_groups: list[str] = Field(default_factory=list)
    # AWS returns DISABLED when it was omitted; moto leaves it out, so the default mirrors AWS.
    assign_public_ip: Literal["ENABLED", "DISABLED"] = "DISABLED"


class NetworkConfiguration(EcsModel):
    awsvpc_configuration: AwsVpcConfiguration | None = None


class Cluster(EcsModel):
    cluster_arn: str
    cluster_name: str
    status: str = "ACTIVE"
    capacity_providers: list[str] = Field(default_factory=list)
    default_capacity_provider_strategy: list[CapacityProviderItem] = Field(default_factory=list)


class Service(EcsModel):
    service_arn: str
    service_name: str
    cluster_arn: str
    status: str
    task_definition: str
    launch_type: str | None = None
    capacity_provider_strategy: list[CapacityProviderItem] = Field(default_factory=list)
    platform_version: str | None = None
    network_configuration: NetworkConfiguration | None = None
    enable_execute_command: bool = False
    tags: list[EcsTag] = Field(default_factory=list)
    source: SourceLocation | None = None


class Secret(EcsModel):
    name: str
    value_from: str


class LogConfiguration(EcsModel):
    log_driver: str
    options: dict[str, str] = Field(default_factory=dict)
    secret_options: list[Secret] = Field(default_factory=list)


class RepositoryCredentials(EcsModel):
    credentials_parameter: str


class EnvironmentFile(EcsModel):
    """`environmentFiles[]`: `type` is `s3` and `value` the object ARN (`arn:aws:s3:::bucket/key`)."""

    value: str
    type: str = "s3"


class ContainerDefinition(EcsModel):
    name: str
    image: str
    secrets: list[Secret] = Field(default_factory=list)
    log_configuration: LogConfiguration | None = None
    repository_credentials: RepositoryCredentials | None = None
    environment_files: list[EnvironmentFile] = Field(default_factory=list)


class TaskDefinition(EcsModel):
    task_definition_arn: str
    family: str
    revision: int = 0
    network_mode: str | None = None
    requires_compatibilities: list[str] = Field(default_factory=list)
    execution_role_arn: str | None = None
    task_role_arn: str | None = None
    container_definitions: list[ContainerDefinition] = Field(default_factory=list)
    source: SourceLocation | None = None


class AttachmentDetail(EcsModel):
    name: str
    value: str = ""


class TaskAttachment(EcsModel):
    type: str
    details: list[AttachmentDetail] = Field(default_factory=list)

    def detail(self, name: str) -> str | None:
        return next((d.value for d in self.details if d.name == name), None)


class Task(EcsModel):
    task_arn: str
    cluster_arn: str
    task_definition_arn: str
    group: str = ""
    launch_type: str | None = None
    capacity_provider_name: str | None = None
    last_status: str = ""
    enable_execute_command: bool = False
    attachments: list[TaskAttachment] = Field(default_factory=list)

    @property
    def service_name(self) -> str | None:
        """Tasks started by a service carry group `service:<name>` (the reliable link, also under moto)."""
        return self.group.removeprefix("service:") if self.group.startswith("service:") else None

    def eni_detail(self, name: str) -> str | None:
        for attachment in self.attachments:
            if attachment.type == "ElasticNetworkInterface":
                return attachment.detail(name)
        return None
