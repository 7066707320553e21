"""Shared base of inventory models: they read boto3's output directly (PascalCase or camelCase keys)
and round-trip through our own JSON form (snake_case keys)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel, to_pascal


class SourceLocation(BaseModel):
    """Where a resource was declared, for inventories read from templates (file:line)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    file: str
    line: int


class AwsModel(BaseModel):
    """EC2, IAM and friends: boto3 returns PascalCase keys."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_pascal, validate_by_name=True, validate_by_alias=True
    )


class EcsModel(BaseModel):
    """ECS returns camelCase keys."""

    model_config = ConfigDict(
        frozen=True, extra="ignore", alias_generator=to_camel, validate_by_name=True, validate_by_alias=True
    )


class Tag(AwsModel):
    key: str
    value: str = ""


class Located(AwsModel):
    """A resource that may carry a source location and tags."""

    tags: list[Tag] = Field(default_factory=list)
    source: SourceLocation | None = None

    @property
    def name_tag(self) -> str | None:
        return next((t.value for t in self.tags if t.key == "Name"), None)
