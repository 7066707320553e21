"""Terse builders for IAM evaluator tests: statements as dicts, exactly as they appear in AWS JSON."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scanner.iam import NamedPolicy, PolicySet, Request, RequestContext
from scanner.iam.request import ContextValue

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecs-task-execution"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/someone-else"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"

SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-AbC123"
OTHER_ACCOUNT_SECRET = f"arn:aws:secretsmanager:{REGION}:{OTHER_ACCOUNT}:secret:shared/api-Xy9Z8w"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
REPOSITORY = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/app"
LOG_STREAM = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/ecs/app:log-stream:ecs/app/0123456789abcdef"
PARAMETER = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/db"


def statement(
    effect: str,
    action: str | Sequence[str] | None = None,
    resource: str | Sequence[str] | None = "*",
    *,
    not_action: str | Sequence[str] | None = None,
    not_resource: str | Sequence[str] | None = None,
    principal: object = None,
    not_principal: object = None,
    condition: Mapping[str, object] | None = None,
    sid: str | None = None,
) -> dict[str, object]:
    built: dict[str, object] = {"Effect": effect}
    optional = {
        "Sid": sid,
        "Action": action,
        "NotAction": not_action,
        "Principal": principal,
        "NotPrincipal": not_principal,
        "Condition": condition,
    }
    built.update({key: _json(value) for key, value in optional.items() if value is not None})
    if not_resource is not None:
        built["NotResource"] = _json(not_resource)
    elif resource is not None:
        built["Resource"] = _json(resource)
    return built


def allow(
    action: str | Sequence[str] | None = None, resource: str | Sequence[str] | None = "*", **extra: Any
) -> dict[str, object]:
    return statement("Allow", action, resource, **extra)


def deny(
    action: str | Sequence[str] | None = None, resource: str | Sequence[str] | None = "*", **extra: Any
) -> dict[str, object]:
    return statement("Deny", action, resource, **extra)


def policy(*statements: Mapping[str, object], name: str = "policy", version: str | None = "2012-10-17") -> NamedPolicy:
    document: dict[str, object] = {"Statement": list(statements)}
    if version is not None:
        document["Version"] = version
    return NamedPolicy.parse(name, document)


def identity(*statements: Mapping[str, object], version: str | None = "2012-10-17") -> PolicySet:
    """A PolicySet with one inline identity policy and nothing else."""
    return PolicySet(identity_policies=[policy(*statements, name="inline", version=version)])


def request(
    action: str,
    resource: str = "*",
    *,
    context: Mapping[str, ContextValue] | None = None,
    absent: Sequence[str] = (),
    principal: str = ROLE,
    account: str = ACCOUNT,
) -> Request:
    return Request(action, resource, principal, account, RequestContext(context, absent))


def _json(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value
