"""What a task definition's secret references point at, parsed from `valueFrom` alone (as images.py does
for image references). Used by the collector (which secrets and parameters to describe) and by the
request derivation of the execution-role rules (scanner/iam/requests.py).

ECS accepts, for `secrets[].valueFrom`, `logConfiguration.secretOptions[].valueFrom` and
`repositoryCredentials.credentialsParameter`:

* a Secrets Manager ARN, `arn:P:secretsmanager:R:A:secret:NAME-XXXXXX`, possibly partial (no random
  suffix) and possibly followed by `:json-key:version-stage:version-id`: the secret is the first seven
  colon-separated fields;
* an SSM parameter ARN, `arn:P:ssm:R:A:parameter/NAME`, or a bare parameter name (`/prod/db` or
  `prod/db`) in the task's own region and account;
* `/aws/reference/secretsmanager/NAME`: an SSM parameter that reads the Secrets Manager secret NAME.

`repositoryCredentials.credentialsParameter` is always a Secrets Manager secret (an ARN or a name).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from scanner.inventory.ecs import TaskDefinition

SECRET_REFERENCE_PREFIX = "/aws/reference/secretsmanager/"
SECRET_ARN_FIELDS = 7
"""`arn`, partition, `secretsmanager`, region, account, `secret`, name-with-suffix."""
SECRET_SUFFIX_LENGTH = 7
"""Secrets Manager appends a dash and six random characters to the name in the ARN."""


@dataclass(frozen=True)
class SecretId:
    """A Secrets Manager secret as a task refers to it: an ARN (full or partial) or a bare name."""

    value: str
    region: str
    account: str
    partition: str = "aws"

    @property
    def is_arn(self) -> bool:
        return self.value.startswith("arn:")

    @property
    def name_hint(self) -> str:
        """The secret name as far as the reference tells it (a partial ARN's last field, or the name)."""
        return self.value.split(":", SECRET_ARN_FIELDS - 1)[-1] if self.is_arn else self.value


@dataclass(frozen=True)
class SecretReference:
    """One reference of one container: what ECS fetches with the execution role at task start."""

    container: str
    name: str
    """The environment variable, log option or `repositoryCredentials` it fills."""
    value_from: str
    kind: Literal["secretsmanager", "ssm"]
    secret: SecretId | None
    """The secret read: directly (kind `secretsmanager`) or through `/aws/reference/secretsmanager/`."""
    parameter_arn: str | None
    """kind `ssm`: the parameter ARN that `ssm:GetParameters` is authorised against."""
    parameter_name: str | None = None
    """kind `ssm`: the name as SSM knows it (`/prod/db`, or `db` at the top level)."""
    json_key: str | None = None

    @property
    def is_secret_reference_parameter(self) -> bool:
        return self.kind == "ssm" and self.secret is not None


def parse_value_from(
    value_from: str, *, container: str, name: str, region: str, account: str, partition: str = "aws"
) -> SecretReference:
    """Classify one `valueFrom`. Bare names are SSM parameters of the task's region and account."""
    if value_from.startswith("arn:"):
        parts = value_from.split(":")
        if len(parts) >= SECRET_ARN_FIELDS and parts[2] == "secretsmanager":
            secret = SecretId(":".join(parts[:SECRET_ARN_FIELDS]), parts[3], parts[4], parts[1])
            json_key = parts[SECRET_ARN_FIELDS] if len(parts) > SECRET_ARN_FIELDS and parts[7] else None
            return SecretReference(container, name, value_from, "secretsmanager", secret, None, None, json_key)
        fields = value_from.split(":", 5)
        if len(fields) == 6 and fields[2] == "ssm" and fields[5].startswith("parameter/"):
            path = fields[5].removeprefix("parameter/")
            parameter = f"/{path}" if "/" in path else path
            return _parameter(container, name, value_from, parameter, fields[3], fields[4], fields[1])
    return _parameter(container, name, value_from, value_from, region, account, partition)


def parameter_arn(name: str, region: str, account: str, partition: str = "aws") -> str:
    """`/prod/db` -> `arn:aws:ssm:R:A:parameter/prod/db` (a single slash); `db` -> `...:parameter/db`."""
    return f"arn:{partition}:ssm:{region}:{account}:parameter/{name.lstrip('/')}"


def _parameter(
    container: str, name: str, value_from: str, parameter: str, region: str, account: str, partition: str
) -> SecretReference:
    secret = None
    if parameter.startswith(SECRET_REFERENCE_PREFIX):
        secret = SecretId(parameter.removeprefix(SECRET_REFERENCE_PREFIX), region, account, partition)
    arn = parameter_arn(parameter, region, account, partition)
    return SecretReference(container, name, value_from, "ssm", secret, arn, parameter)


def task_references(
    task_definition: TaskDefinition, region: str, account: str, partition: str = "aws"
) -> Iterator[SecretReference]:
    """Every secret and parameter reference of a task definition, container by container."""
    for container in task_definition.container_definitions:
        pairs = [(s.name, s.value_from) for s in container.secrets]
        if container.log_configuration is not None:
            pairs += [(s.name, s.value_from) for s in container.log_configuration.secret_options]
        for name, value_from in pairs:
            yield parse_value_from(
                value_from, container=container.name, name=name, region=region, account=account, partition=partition
            )
        if container.repository_credentials is not None:
            # Always a Secrets Manager secret: its ARN, or its name in the task's region and account.
            value = container.repository_credentials.credentials_parameter
            if value.startswith("arn:"):
                yield parse_value_from(
                    value,
                    container=container.name,
                    name="repositoryCredentials",
                    region=region,
                    account=account,
                    partition=partition,
                )
            else:
                secret = SecretId(value, region, account, partition)
                yield SecretReference(container.name, "repositoryCredentials", value, "secretsmanager", secret, None)
