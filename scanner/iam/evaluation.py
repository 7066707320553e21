"""The answer for one request: a decision, the statements that decided it, and what was unknown."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from scanner.iam.documents import Effect
from scanner.iam.truth import Truth


class Decision(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"
    UNDETERMINED = "undetermined"
    """A condition whose context keys are unknown decides the outcome. Never to be read as allowed."""


class Layer(StrEnum):
    IDENTITY = "identity"
    PERMISSIONS_BOUNDARY = "permissions_boundary"
    SCP = "scp"
    RCP = "rcp"
    RESOURCE_POLICY = "resource_policy"
    KEY_POLICY = "key_policy"
    VPC_ENDPOINT_POLICY = "vpc_endpoint_policy"

    @property
    def display_name(self) -> str:
        return _LAYER_NAMES[self]


_LAYER_NAMES = {
    Layer.IDENTITY: "identity policies",
    Layer.PERMISSIONS_BOUNDARY: "permissions boundary",
    Layer.SCP: "SCPs",
    Layer.RCP: "RCPs",
    Layer.RESOURCE_POLICY: "resource policy",
    Layer.KEY_POLICY: "key policy",
    Layer.VPC_ENDPOINT_POLICY: "VPC endpoint policy",
}


@dataclass(frozen=True, slots=True)
class StatementRef:
    """One statement that applies to the request, fully (`truth=TRUE`) or only under unknown conditions."""

    layer: Layer
    policy: str
    statement: str
    """The Sid, or `#<index>` when the statement has none."""
    effect: Effect
    truth: Truth
    level: int | None = None
    """For SCPs and RCPs: the level, 0 being the organization root."""
    unknown_keys: tuple[str, ...] = ()
    unsupported_operators: tuple[str, ...] = ()

    def __str__(self) -> str:
        level = f" level {self.level}" if self.level is not None else ""
        return f"{self.layer.display_name}{level} {self.policy} statement {self.statement} ({self.effect.value})"


@dataclass(frozen=True, slots=True)
class Gap:
    """A layer that gave no allow (implicit deny) or only a conditional one (undetermined).

    `layers` holds alternatives: in the same account, "identity policies or resource policy".
    """

    layers: tuple[Layer, ...]
    level: int | None = None

    def __str__(self) -> str:
        level = f" level {self.level}" if self.level is not None else ""
        return " or ".join(layer.display_name for layer in self.layers) + level


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: Decision
    statements: tuple[StatementRef, ...] = ()
    """Explicit deny: the denying statements. Allowed: the allowing statements. Undetermined: the
    conditional statements that leave it open. Implicit deny: none (see `gaps`)."""
    gaps: tuple[Gap, ...] = ()
    """Implicit deny: the layers with no allow. Undetermined: the layers whose allow is conditional."""
    unknown_keys: frozenset[str] = frozenset()
    """Undetermined only: the context keys whose values would settle the answer."""
    unsupported_operators: frozenset[str] = frozenset()
    """Undetermined only: condition operators the evaluator does not implement."""

    @property
    def is_allowed(self) -> bool:
        return self.decision is Decision.ALLOWED
