"""The check-kind registry: the rule vocabulary. Each kind is one function from (spec, subject, context)
to an Outcome; a kind declares the problem codes it reports, with the template variables each carries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from scanner.engine.commands import TemplateValue
from scanner.engine.paths import resolve
from scanner.engine.spec import ParamRef, Predicate
from scanner.inventory.gaps import MissingData
from scanner.results import Severity


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"


@dataclass(frozen=True)
class Problem:
    code: str
    vars: dict[str, TemplateValue] = field(default_factory=dict)
    severity: Severity | None = None


@dataclass
class Outcome:
    verdict: Verdict
    problems: list[Problem] = field(default_factory=list)
    # Why the check could not decide (ERROR): missing data, unknown values.
    reasons: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def passed(cls, **evidence: Any) -> Outcome:
        return cls(Verdict.PASS, evidence=evidence)

    @classmethod
    def failed(cls, problems: list[Problem], **evidence: Any) -> Outcome:
        return cls(Verdict.FAIL, problems=problems, evidence=evidence)

    @classmethod
    def error(cls, *reasons: str, **evidence: Any) -> Outcome:
        return cls(Verdict.ERROR, reasons=list(reasons), evidence=evidence)


def combine(outcomes: list[Outcome]) -> Outcome:
    """A definite FAIL wins; otherwise any ERROR makes the whole undecided; else PASS."""
    problems = [p for o in outcomes for p in o.problems]
    reasons = [r for o in outcomes for r in o.reasons]
    evidence: dict[str, Any] = {}
    for o in outcomes:
        evidence.update(o.evidence)
    if problems:
        return Outcome(Verdict.FAIL, problems, reasons, evidence)
    if reasons:
        return Outcome(Verdict.ERROR, [], reasons, evidence)
    return Outcome(Verdict.PASS, evidence=evidence)


class IncompleteData(MissingData):
    """Raised by a kind when data it needs is not in the inventory: the result is ERROR. Inventory
    lookups raise its base, MissingData, when a failed call left the data unknown; both are ERROR."""


@dataclass
class CheckContext:
    params: dict[str, object]
    # Template variables of the subject; kinds add their own per problem.
    vars: Mapping[str, TemplateValue]

    def operand(self, value: Any) -> Any:
        if isinstance(value, ParamRef):
            if value.param not in self.params:
                raise IncompleteData(f"parameter '{value.param}' is not set in the configuration")
            return self.params[value.param]
        return value


def holds(predicate: Predicate, subject: object, ctx: CheckContext) -> bool | None:
    """True/False, or None when the value is unknown (None) and the operator is not `exists`."""
    value = resolve(subject, predicate.path)
    operator = predicate.operator
    operand = ctx.operand(predicate.operand)
    if operator == "exists":
        present = value is not None and value != [] and value != ""
        return present is bool(operand)
    if value is None:
        return None
    match operator:
        case "equals":
            return bool(_normal(value) == operand)
        case "not_equals":
            return bool(_normal(value) != operand)
        case "in":
            return bool(_normal(value) in operand)
        case "not_in":
            return bool(_normal(value) not in operand)
        case "min_items":
            return bool(len(value) >= operand)
        case "max_items":
            return bool(len(value) <= operand)
    raise AssertionError(f"unhandled operator {operator}")


def _normal(value: Any) -> Any:
    """Enum members compare by value; everything else as is."""
    return getattr(value, "value", value)


def all_hold(predicates: list[Predicate], subject: object, ctx: CheckContext) -> bool | None:
    results = [holds(p, subject, ctx) for p in predicates]
    if any(r is False for r in results):
        return False
    if any(r is None for r in results):
        return None
    return True


def display(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(display(v) for v in value) or "none"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "unknown"
    return str(getattr(value, "value", value))


SpecT = TypeVar("SpecT")
KindFunction = Callable[[Any, object, CheckContext], Outcome]


@dataclass(frozen=True)
class Kind:
    name: str
    function: KindFunction
    # Problem code -> template variables the kind adds; `None` key means the code comes from the spec.
    problems: dict[str, tuple[str, ...]]
    requires: tuple[str, ...]
    doc: str


KINDS: dict[str, Kind] = {}


class DuplicateKindError(RuntimeError):
    pass


def register(
    name: str, *, problems: dict[str, tuple[str, ...]], requires: tuple[str, ...] = ()
) -> Callable[[KindFunction], KindFunction]:
    def decorate(function: KindFunction) -> KindFunction:
        if name in KINDS:
            raise DuplicateKindError(f"check kind '{name}' is registered twice")
        KINDS[name] = Kind(name, function, problems, requires, (function.__doc__ or "").strip())
        return function

    return decorate


def run_check(spec: Any, subject: object, ctx: CheckContext) -> Outcome:
    """Apply one check spec (honouring its `when`) to a subject."""
    try:
        applicable = all_hold(spec.when, subject, ctx)
        if applicable is False:
            return Outcome.passed()
        if applicable is None:
            paths = ", ".join(p.path for p in spec.when)
            return Outcome.error(f"cannot tell whether the check applies: {paths} unknown")
        return KINDS[spec.kind].function(spec, subject, ctx)
    except MissingData as exc:
        return Outcome.error(str(exc))
