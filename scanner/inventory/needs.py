"""What a workload needs, derived from its task definition (DESIGN.md, "Workloads")."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.inventory.ecs import TaskDefinition
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

    @property
    def preferred_type(self) -> str:
        return self.endpoint_types[0]


@dataclass
class _NeedBuilder:
    region: str
    reasons: dict[str, list[str]] = field(default_factory=dict)

    def add(self, service: str, reason: str) -> None:
        self.reasons.setdefault(service, []).append(reason)


def is_secrets_manager_reference(value_from: str) -> bool:
    return value_from.startswith("arn:") and value_from.split(":")[2] == "secretsmanager"


def derive_needs(
    task_definition: TaskDefinition,
    region: str,
    baseline: tuple[str, ...],
    exec_enabled: bool,
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
                builder.add("logs", f"container {container.name} logs with awslogs")
            references += [(s.name, s.value_from) for s in container.log_configuration.secret_options]
        if container.repository_credentials is not None:
            # Private registry credentials are always a Secrets Manager secret, given by ARN or by name.
            builder.add("secretsmanager", f"container {container.name} reads its registry credentials")
        for name, value_from in references:
            if is_secrets_manager_reference(value_from):
                builder.add("secretsmanager", f"container {container.name} reads secret {name}")
            else:
                # Also for /aws/reference/secretsmanager/...: Parameter Store fetches the secret on the
                # AWS side, so the task itself only calls SSM.
                builder.add("ssm", f"container {container.name} reads parameter {name}")
    if exec_enabled:
        builder.add("ssmmessages", "ECS Exec is enabled")
    needs = [
        Need(
            service=svc,
            service_name=f"com.amazonaws.{region}.{svc}",
            endpoint_types=(GATEWAY, INTERFACE) if svc == "s3" else (INTERFACE,),
            reasons=tuple(reasons),
        )
        for svc, reasons in builder.reasons.items()
    ]
    for svc in baseline:
        if svc not in builder.reasons:
            needs.append(
                Need(
                    service=svc,
                    service_name=f"com.amazonaws.{region}.{svc}",
                    endpoint_types=(INTERFACE,),
                    recommended=True,
                    reasons=("baseline (configurable: --baseline)",),
                )
            )
    return sorted(needs, key=lambda n: (n.recommended, n.service))
