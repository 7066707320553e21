"""The rule file format as pydantic models: unknown keys are errors, check kinds a discriminated union.

`vpce-scan rules schema` prints the JSON Schema generated from `RuleSpec`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scanner.results import Severity


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class ParamRef(_Spec):
    """A scan-time input declared in configuration, referenced by name: `{param: endpoint_allowed_sources}`."""

    param: str


Scalar = str | int | bool | float
Operand = Scalar | list[Scalar] | ParamRef

_OPERATORS = ("equals", "not_equals", "in_", "not_in", "exists", "min_items", "max_items")


class _Operators(_Spec):
    """The closed set of operators: exactly one is given."""

    equals: Operand | None = None
    not_equals: Operand | None = None
    in_: list[Scalar] | ParamRef | None = Field(default=None, alias="in")
    not_in: list[Scalar] | ParamRef | None = None
    exists: bool | None = None
    min_items: int | None = None
    max_items: int | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> _Operators:
        given = [name for name in _OPERATORS if getattr(self, name) is not None]
        if len(given) != 1:
            names = ", ".join(n.rstrip("_") for n in _OPERATORS)
            raise ValueError(f"give exactly one operator of: {names} (got {len(given)})")
        return self

    @property
    def operator(self) -> str:
        return next(name for name in _OPERATORS if getattr(self, name) is not None).rstrip("_")

    @property
    def operand(self) -> Any:
        return getattr(self, self.operator if self.operator != "in" else "in_")


class Predicate(_Operators):
    """`{path: a.b, <one operator>: value}`."""

    path: str


_CODE = r"^[a-z][a-z0-9_]*$"


class _Check(_Spec):
    # Applicability: when these predicates do not all hold, the check holds vacuously.
    when: list[Predicate] = Field(default_factory=list)


class AttributeCheck(_Check, _Operators):
    """The value at `path` satisfies one operator."""

    kind: Literal["attribute"]
    path: str
    problem: str = Field(default="mismatch", pattern=_CODE)
    severity: Severity | None = None

    def predicate(self) -> Predicate:
        return Predicate.model_validate(
            self.model_dump(include={"path", *_OPERATORS}, by_alias=True, exclude_none=True)
        )


class SetCoversCheck(_Check):
    """Every item of `required` (keyed by `key`) appears in `provided`."""

    kind: Literal["set_covers"]
    required: str
    provided: str
    key: str | None = None
    item_id: str | None = None
    problem: str = Field(default="not_covered", pattern=_CODE)


class EndpointPresentCheck(_Check):
    """The needed endpoint exists in the workload's VPC, of an acceptable type, in an allowed state."""

    kind: Literal["endpoint_present"]
    states: list[str] = Field(default_factory=lambda: ["available"])


class SgIngressOnlyCheck(_Check):
    """The endpoint's security groups admit `protocol/port` from the workload and nothing else."""

    kind: Literal["sg_ingress_only"]
    protocol: Literal["tcp"] = "tcp"
    port: int = 443
    allowed_sources: list[str] | ParamRef = Field(default_factory=list)


class SgEgressAllowsCheck(_Check):
    """The workload's security groups allow `protocol/port` out to the endpoint (SG, addresses, prefix list)."""

    kind: Literal["sg_egress_allows"]
    protocol: Literal["tcp"] = "tcp"
    port: int = 443


RouteTarget = Literal[
    "nat_gateway",
    "internet_gateway",
    "instance",
    "egress_only_internet_gateway",
    "transit_gateway",
    "gateway_load_balancer_endpoint",
    "network_interface",
    "vpc_peering_connection",
]


class RouteTargetRule(_Spec):
    target: RouteTarget
    severity: Severity | None = None
    default_route_only: bool = False


class NoRouteToCheck(_Check):
    """No route table of a workload subnet routes to any of `targets`."""

    kind: Literal["no_route_to"]
    targets: list[RouteTargetRule]


class PortRangeSpec(_Spec):
    from_: int = Field(alias="from", ge=0, le=65535)
    to: int = Field(ge=0, le=65535)


class NaclAllowsCheck(_Check):
    """Network ACLs pass `port` from workload subnets to the endpoint and the ephemeral return traffic."""

    kind: Literal["nacl_allows"]
    port: int = 443
    ephemeral_ports: PortRangeSpec = Field(
        default_factory=lambda: PortRangeSpec.model_validate({"from": 32768, "to": 65535})
    )


class RoleAllowsCheck(_Check):
    """The workload's execution role may make every call its task makes at start-up (offline IAM evaluation).

    `scps`: `when_readable` evaluates the organization's SCPs (and the RCPs of the account's resources)
    when the scan could read them and says so in the evidence when it could not; `required` makes
    unreadable SCPs or RCPs an ERROR."""

    kind: Literal["role_allows"]
    scps: Literal["required", "when_readable"] = "when_readable"


class EndpointPolicyAllowsCheck(_Check):
    """The needed endpoint's policy allows every call the workload makes through it."""

    kind: Literal["endpoint_policy_allows"]


class AllOfCheck(_Check):
    """Every listed check holds."""

    kind: Literal["all_of"]
    checks: list[CheckSpec] = Field(min_length=1)


class EachCheck(_Check):
    """`check` holds for every item of the list at `path` that satisfies `where` (the item is `item`)."""

    kind: Literal["each"]
    path: str
    where: list[Predicate] = Field(default_factory=list)
    # Template variables taken from each failing item: name -> path (paths start at `item`).
    item_vars: dict[str, str] = Field(default_factory=dict)
    check: CheckSpec


CheckSpec = Annotated[
    AttributeCheck
    | SetCoversCheck
    | EndpointPresentCheck
    | SgIngressOnlyCheck
    | SgEgressAllowsCheck
    | NoRouteToCheck
    | NaclAllowsCheck
    | RoleAllowsCheck
    | EndpointPolicyAllowsCheck
    | AllOfCheck
    | EachCheck,
    Field(discriminator="kind"),
]

AllOfCheck.model_rebuild()
EachCheck.model_rebuild()


class SeverityWhen(_Spec):
    when: list[Predicate] = Field(min_length=1)
    severity: Severity


SubjectType = Literal[
    "workload",
    "workload_need",
    "workload_image",
    "endpoint_in_use",
    "vpc",
    "vpc_endpoint",
    "security_group",
    "subnet",
]


class RuleSpec(_Spec):
    """One rule file: `rules/<id>.yaml`."""

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{2,15}$")
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(max_length=100)
    severity: Severity
    rationale: str
    remediation: str
    references: list[str] = Field(min_length=1)
    tags: list[str] = Field(default_factory=list)
    compliance: list[str] = Field(default_factory=list)
    description: str = ""
    resource: SubjectType
    where: list[Predicate] = Field(default_factory=list)
    # Subjects matching these are reported SKIPPED (coverage stays visible), e.g. "reported by VPCE001".
    skip_when: list[Predicate] = Field(default_factory=list)
    skip_reason: str = Field(default="", validate_default=True)
    check: CheckSpec
    severity_when: list[SeverityWhen] = Field(default_factory=list)
    # Extra IAM actions whose failure makes this rule's results ERROR (beyond the subject's and kinds').
    requires: list[str] = Field(default_factory=list)
    # Message and remediation templates per problem code ($name placeholders, string.Template); fix
    # commands are rendered with every value shell-quoted for where it stands (scanner.engine.commands).
    pass_message: str
    messages: dict[str, str]
    fix: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("title")
    @classmethod
    def _title_is_a_state(cls, title: str) -> str:
        if re.match(r"(?i)^ensure\b", title):
            raise ValueError("the title states the secure state; do not start it with 'Ensure'")
        return title

    @field_validator("skip_reason")
    @classmethod
    def _skip_reason_given(cls, reason: str, info: ValidationInfo) -> str:
        if info.data.get("skip_when") and not reason:
            raise ValueError("skip_when needs a skip_reason")
        return reason
