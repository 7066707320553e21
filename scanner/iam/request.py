"""What is being asked: one API call by one principal on one resource, with what is known of its context.

A condition key is in one of three states for a request:
* present, with one or more values (`RequestContext(values=...)`);
* known to be absent (`RequestContext(absent=...)`), e.g. `aws:SourceVpce` when no endpoint is on the path;
* unknown: anything neither given nor declared absent. Offline this is the usual case, and it is never
  treated as absent (docs/notes/iam-evaluation.md §1.5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

ContextValue = str | bool | int | float | Sequence[str | bool | int | float]
"""What a caller may give for one key: a scalar, or a list for a multivalued key (`aws:CalledVia`)."""


class KeyState(StrEnum):
    ABSENT = "absent"
    UNKNOWN = "unknown"


def context_text(value: str | bool | int | float) -> str:
    """IAM compares everything as text; booleans are the lowercase words `true` and `false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _texts(value: ContextValue) -> tuple[str, ...]:
    if isinstance(value, str | bool | int | float):
        return (context_text(value),)
    return tuple(context_text(item) for item in value)


class RequestContext:
    """Condition context keys of one request. Key names are case-insensitive, values are not."""

    __slots__ = ("_absent", "_values")

    def __init__(self, values: Mapping[str, ContextValue] | None = None, absent: Iterable[str] = ()) -> None:
        normalised: dict[str, tuple[str, ...]] = {}
        for key, value in (values or {}).items():
            normalised[key.lower()] = _texts(value)
        absent_keys = frozenset(key.lower() for key in absent)
        both = absent_keys & normalised.keys()
        if both:
            raise ValueError(f"context keys both given and declared absent: {', '.join(sorted(both))}")
        self._values = normalised
        self._absent = absent_keys

    @classmethod
    def _normalised(cls, values: dict[str, tuple[str, ...]], absent: frozenset[str]) -> RequestContext:
        """A context from keys and values that are already normalised and consistent (no re-check)."""
        context = cls.__new__(cls)
        context._values = values
        context._absent = absent
        return context

    @property
    def values(self) -> Mapping[str, tuple[str, ...]]:
        """Known values, keyed by lowercase key name."""
        return MappingProxyType(self._values)

    @property
    def absent(self) -> frozenset[str]:
        """Lowercase names of the keys known to be missing from the request."""
        return self._absent

    def lookup(self, key: str) -> tuple[str, ...] | KeyState:
        """The values of `key`, or whether it is known absent or unknown. An empty list counts as absent."""
        lowered = key.lower()
        found = self._values.get(lowered)
        if found is not None:
            return found if found else KeyState.ABSENT
        return KeyState.ABSENT if lowered in self._absent else KeyState.UNKNOWN

    def with_defaults(self, defaults: Mapping[str, ContextValue]) -> RequestContext:
        """A copy where each default fills a key that is neither given nor declared absent."""
        merged = dict(self._values)
        for key, value in defaults.items():
            lowered = key.lower()
            if lowered not in merged and lowered not in self._absent:
                merged[lowered] = _texts(value)
        if len(merged) == len(self._values):
            return self
        # Evaluated once per request: skip re-normalising what __init__ already normalised.
        return RequestContext._normalised(merged, self._absent)

    def with_principal(self, principal_arn: str, principal_account: str) -> RequestContext:
        """`with_defaults({"aws:PrincipalArn": ..., "aws:PrincipalAccount": ...})`, without the generic
        normalisation: the evaluator asks for it once per request (`Request.effective_context`)."""
        values, absent = self._values, self._absent
        add_arn = "aws:principalarn" not in values and "aws:principalarn" not in absent
        add_account = "aws:principalaccount" not in values and "aws:principalaccount" not in absent
        if not (add_arn or add_account):
            return self
        merged = dict(values)
        if add_arn:
            merged["aws:principalarn"] = (principal_arn,)
        if add_account:
            merged["aws:principalaccount"] = (principal_account,)
        return RequestContext._normalised(merged, absent)

    def extended(self, values: Mapping[str, ContextValue], absent: Iterable[str] = ()) -> RequestContext:
        """This context with `values` added (replacing a value of the same key, in place) and `absent`
        declared missing. A key given a value, here or in this context, is never absent.

        The same as `RequestContext({**self.values, **values}, absent | self.absent minus the keys given)`,
        but only the new keys are normalised: request derivation builds every context of a workload from
        one base context (the principal, its tags, its organization) and extends it per call.
        """
        merged = dict(self._values)
        for key, value in values.items():
            merged[key.lower()] = _texts(value)
        absent_keys = self._absent.union(key.lower() for key in absent).difference(merged)
        return RequestContext._normalised(merged, absent_keys)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RequestContext):
            return NotImplemented
        return self._values == other._values and self._absent == other._absent

    def __hash__(self) -> int:
        return hash((frozenset(self._values.items()), self._absent))

    def __repr__(self) -> str:
        return f"RequestContext(values={self._values!r}, absent={sorted(self._absent)!r})"


@dataclass(frozen=True, slots=True)
class Request:
    """One call to authorise.

    `resource` is the full ARN the action is authorised against, or `"*"` for wildcard-only actions such as
    `ecr:GetAuthorizationToken` (no resource type in the Service Authorization Reference).
    `principal_arn` is the role ARN (not the assumed-role session ARN): resource and endpoint policies name
    the role. `aws:PrincipalArn` and `aws:PrincipalAccount` are filled from it unless the context says
    otherwise.
    """

    action: str
    resource: str
    principal_arn: str
    principal_account: str
    context: RequestContext = field(default_factory=RequestContext)

    @property
    def effective_context(self) -> RequestContext:
        return self.context.with_principal(self.principal_arn, self.principal_account)
