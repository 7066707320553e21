"""What a workload needs, derived from its task definition (DESIGN.md, "Workloads")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from scanner.inventory.ecs import TaskDefinition
from scanner.inventory.gaps import MissingData
from scanner.inventory.images import parse_image

INTERFACE = "Interface"
GATEWAY = "Gateway"


@dataclass(frozen=True)
class Need:
    """One AWS service the workload reaches through a VPC endpoint."""

    service: str  # short name: ecr.api, s3, logs, ...
    service_name: str  # com.amazonaws.<region>.<service>
    endpoint_types: tuple[str, ...]
    recommended: bool = False  # the configurable baseline: missing is a lower-severity finding
    reasons: tuple[str, ...] = ()
    # The region the calls go to: another region than the workload's can never be reached through an
    # endpoint of its VPC (awslogs-region, a secret or parameter ARN of another region).
    region: str = ""
    # Calls whose region could not be read (an environment file's bucket whose GetBucketLocation
    # failed), each with why: they may go to another region, so a present endpoint proves nothing for them.
    region_unknown: tuple[str, ...] = ()

    @property
    def preferred_type(self) -> str:
        return self.endpoint_types[0]


@dataclass
class _NeedBuilder:
    region: str
    reasons: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # (service, region): the reasons among `reasons` whose region is in doubt, each with why.
    unknown: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, service: str, reason: str, region: str | None = None) -> None:
        self.reasons.setdefault((service, region or self.region), []).append(reason)

    def add_region_unknown(self, service: str, reason: str, why: str) -> None:
        """A call that is filed under the workload's own region, though it may go to another one."""
        self.add(service, reason)
        self.unknown.setdefault((service, self.region), []).append(why)

    def services(self) -> set[str]:
        return {service for service, _ in self.reasons}


def _arn_region(value: str) -> str | None:
    parts = value.split(":")
    return parts[3] or None if value.startswith("arn:") and len(parts) > 3 else None


def bucket_arn_of(object_arn: str) -> str:
    """`arn:aws:s3:::bucket/key` -> `arn:aws:s3:::bucket`."""
    return object_arn.split("/", 1)[0]


# The region of a bucket, by bucket ARN: None when not known and not in doubt (an inventory written before
# bucket regions were read: the workload's own region, as before); MissingData when its read failed.
BucketRegion = Callable[[str], "str | None"]


def is_secrets_manager_reference(value_from: str) -> bool:
    return value_from.startswith("arn:") and value_from.split(":")[2] == "secretsmanager"


def derive_needs(
    task_definition: TaskDefinition,
    region: str,
    baseline: tuple[str, ...],
    exec_enabled: bool,
    bucket_region: BucketRegion | None = None,
) -> list[Need]:
    builder = _NeedBuilder(region)
    for container in task_definition.container_definitions:
        image = parse_image(container.image, region)
        if image.source == "ecr_same_region":
            for svc in ("ecr.api", "ecr.dkr", "s3"):
                builder.add(svc, f"container {container.name} pulls {container.image} from ECR")
        references = [(s.name, s.value_from) for s in container.secrets]
        if container.log_configuration is not None:
            if container.log_configuration.log_driver == "awslogs":
                log_region = container.log_configuration.options.get("awslogs-region")
                builder.add("logs", f"container {container.name} logs with awslogs", log_region)
            references += [(s.name, s.value_from) for s in container.log_configuration.secret_options]
        for environment_file in container.environment_files:
            if environment_file.type == "s3":
                # The agent reads the file from S3 with the execution role before the container starts, in
                # the bucket's region: a gateway endpoint serves only the buckets of its own region.
                reason = f"container {container.name} reads environment file {environment_file.value}"
                try:
                    location = bucket_region(bucket_arn_of(environment_file.value)) if bucket_region else None
                except MissingData as why:
                    builder.add_region_unknown("s3", reason, str(why))
                else:
                    builder.add("s3", reason, location)
        if container.repository_credentials is not None:
            # Private registry credentials are always a Secrets Manager secret, given by ARN or by name.
            builder.add("secretsmanager", f"container {container.name} reads its registry credentials")
        for name, value_from in references:
            if is_secrets_manager_reference(value_from):
                builder.add(
                    "secretsmanager", f"container {container.name} reads secret {name}", _arn_region(value_from)
                )
            else:
                # Also for /aws/reference/secretsmanager/...: Parameter Store fetches the secret on the
                # AWS side, so the task itself only calls SSM.
                builder.add("ssm", f"container {container.name} reads parameter {name}", _arn_region(value_from))
    if exec_enabled:
        builder.add("ssmmessages", "ECS Exec is enabled")
    needs = [
        Need(
            service=svc,
            service_name=f"com.amazonaws.{target}.{svc}",
            endpoint_types=(GATEWAY, INTERFACE) if svc == "s3" else (INTERFACE,),
            reasons=tuple(reasons),
            region=target,
            region_unknown=tuple(builder.unknown.get((svc, target), ())),
        )
        for (svc, target), reasons in builder.reasons.items()
    ]
    for svc in baseline:
        if svc not in builder.services():
            needs.append(
                Need(
                    service=svc,
                    service_name=f"com.amazonaws.{region}.{svc}",
                    endpoint_types=(INTERFACE,),
                    recommended=True,
                    reasons=("baseline (configurable: --baseline)",),
                    region=region,
                )
            )
    return sorted(needs, key=lambda n: (n.recommended, n.service, n.region))
