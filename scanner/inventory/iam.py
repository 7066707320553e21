"""IAM roles referenced by task definitions (the execution roles)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from scanner.inventory.base import AwsModel, SourceLocation, Tag


class AttachedPolicy(AwsModel):
    policy_arn: str
    policy_name: str = ""


class InlinePolicy(AwsModel):
    policy_name: str
    policy_document: dict[str, Any] | str


class PermissionsBoundary(AwsModel):
    permissions_boundary_arn: str
    permissions_boundary_type: str = "Policy"


class Role(AwsModel):
    role_name: str
    arn: str
    role_id: str = ""
    path: str = "/"
    assume_role_policy_document: dict[str, Any] | str | None = None
    permissions_boundary: PermissionsBoundary | None = None
    tags: list[Tag] = Field(default_factory=list)
    inline_policies: list[InlinePolicy] = Field(default_factory=list)
    attached_policies: list[AttachedPolicy] = Field(default_factory=list)
    source: SourceLocation | None = None
