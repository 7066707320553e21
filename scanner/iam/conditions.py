"""Condition blocks, evaluated in three-valued logic against what is known of the request context.

Operators in a block are ANDed, keys within an operator are ANDed, the values listed for one key are
ORed. A key that is missing makes a condition false, or true for negated operators (`StringNotEquals`,
`NotIpAddress`, ...) and for `...IfExists`; `ForAllValues` is true and `ForAnyValue` false on a missing
key. A key whose value is unknown makes the condition UNKNOWN, never "missing". So does any operator we do
not implement: an unfamiliar operator must not silently grant or deny.
"""

from __future__ import annotations

import ipaddress
import operator as compare
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from scanner.iam.documents import ConditionClause
from scanner.iam.matching import arn_matches, string_like
from scanner.iam.request import KeyState, RequestContext
from scanner.iam.truth import Truth, truth_of
from scanner.iam.variables import Pattern, Unresolved, has_variables, literal_pattern, resolve

Comparator = Callable[[str, Pattern], bool]
"""Whether one request value matches one (resolved) policy value."""


class SetQualifier(StrEnum):
    FOR_ALL_VALUES = "forallvalues"
    FOR_ANY_VALUE = "foranyvalue"


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed operator name such as `ForAnyValue:StringNotLikeIfExists`."""

    comparator: Comparator | None
    """None for `Null`, which tests presence rather than values."""
    is_negated: bool
    takes_variables: bool
    if_exists: bool
    qualifier: SetQualifier | None


@dataclass(frozen=True, slots=True)
class ConditionResult:
    truth: Truth
    unknown_keys: tuple[str, ...] = ()
    unsupported_operators: tuple[str, ...] = ()


SATISFIED = ConditionResult(Truth.TRUE)
NOT_SATISFIED = ConditionResult(Truth.FALSE)


def evaluate_conditions(
    clauses: Sequence[ConditionClause], context: RequestContext, *, resolve_variables: bool
) -> ConditionResult:
    """The truth of a whole Condition block; unknown keys and unsupported operators say why it is UNKNOWN."""
    if not clauses:
        return SATISFIED
    unknown_keys: list[str] = []
    unsupported: list[str] = []
    for clause in clauses:
        parsed = parse_operator(clause.operator)
        if parsed is None:
            unsupported.append(clause.operator)
            continue
        truth, unknown_key = _evaluate_clause(parsed, clause, context, resolve_variables)
        if truth is Truth.FALSE:
            return NOT_SATISFIED
        if unknown_key is not None:
            unknown_keys.append(unknown_key)
    if unknown_keys or unsupported:
        return ConditionResult(Truth.UNKNOWN, tuple(unknown_keys), tuple(unsupported))
    return SATISFIED


def _evaluate_clause(
    parsed: Operator, clause: ConditionClause, context: RequestContext, resolve_variables: bool
) -> tuple[Truth, str | None]:
    """The clause's truth, and the key to blame when it is UNKNOWN."""
    found = context.lookup(clause.key)
    if found is KeyState.UNKNOWN:
        return Truth.UNKNOWN, clause.key
    if parsed.comparator is None:
        wanted = {value.lower() for value in clause.values}
        is_absent = found is KeyState.ABSENT
        return truth_of(("true" in wanted and is_absent) or ("false" in wanted and not is_absent)), None
    if found is KeyState.ABSENT:
        return _when_absent(parsed), None
    literal = _literal_values(clause.values)
    comparator, is_negated = parsed.comparator, parsed.is_negated
    # Whether each request value satisfies the clause (matches a policy value, or none when negated).
    if literal.has_variables and resolve_variables and parsed.takes_variables:
        patterns: list[Pattern] = []
        for value in clause.values:
            resolved = resolve(value, context)
            if isinstance(resolved, Unresolved):
                if resolved.state is KeyState.UNKNOWN:
                    return Truth.UNKNOWN, resolved.key
                return Truth.FALSE, None
            patterns.append(resolved)
        satisfied = [any(comparator(value, p) for p in patterns) != is_negated for value in found]
    elif comparator is _string_equals:
        # Exact text against fixed values (a region lock, an organization id, a tag): a set lookup.
        satisfied = [(value in literal.texts) != is_negated for value in found]
    else:
        satisfied = [any(comparator(value, p) for p in literal.patterns) != is_negated for value in found]
    match parsed.qualifier:
        case SetQualifier.FOR_ALL_VALUES:
            return truth_of(all(satisfied)), None
        case SetQualifier.FOR_ANY_VALUE:
            return truth_of(any(satisfied)), None
        case None:
            # Negated operators require that no request value matches any policy value.
            return truth_of(all(satisfied) if is_negated else any(satisfied)), None


def _when_absent(parsed: Operator) -> Truth:
    if parsed.if_exists:
        return Truth.TRUE
    match parsed.qualifier:
        case SetQualifier.FOR_ALL_VALUES:
            return Truth.TRUE
        case SetQualifier.FOR_ANY_VALUE:
            return Truth.FALSE
        case None:
            return truth_of(parsed.is_negated)


@lru_cache(maxsize=1024)
def parse_operator(name: str) -> Operator | None:
    """The operator named `name` (case-insensitive), or None when it is not implemented."""
    rest = name.lower()
    qualifier: SetQualifier | None = None
    for candidate in SetQualifier:
        if rest.startswith(f"{candidate.value}:"):
            qualifier = candidate
            rest = rest[len(candidate.value) + 1 :]
            break
    if_exists = rest.endswith("ifexists")
    if if_exists:
        rest = rest.removesuffix("ifexists")
    if rest == "null":
        # NullIfExists and set-qualified Null are not valid IAM; do not invent a meaning for them.
        if if_exists or qualifier is not None:
            return None
        return Operator(None, is_negated=False, takes_variables=False, if_exists=False, qualifier=None)
    entry = _OPERATORS.get(rest)
    if entry is None:
        return None
    comparator, is_negated, takes_variables = entry
    return Operator(comparator, is_negated, takes_variables, if_exists, qualifier)


class _Literal(NamedTuple):
    """The values of a condition clause, taken literally (no variable substituted)."""

    patterns: tuple[Pattern, ...]
    texts: frozenset[str]
    has_variables: bool
    """Only then does the clause need resolving against each request's context (Version 2012-10-17)."""


@lru_cache(maxsize=8192)
def _literal_values(values: tuple[str, ...]) -> _Literal:
    """Most clauses have no variables and are met by request after request (an SCP's region lock, an
    organization guard): their patterns are worked out once per set of values, not once per request."""
    return _Literal(
        tuple(literal_pattern(value) for value in values),
        frozenset(values),
        any(has_variables(value) for value in values),
    )


def _text(pattern: Pattern) -> str:
    if len(pattern) == 1:
        return pattern[0][0]  # a literal value, or a variable substituted whole
    return "".join(text for text, _ in pattern)


def _string_equals(value: str, pattern: Pattern) -> bool:
    return value == _text(pattern)


def _string_equals_ignore_case(value: str, pattern: Pattern) -> bool:
    return value.lower() == _text(pattern).lower()


def _bool_equals(value: str, pattern: Pattern) -> bool:
    return value.lower() == _text(pattern).lower()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _numeric(relation: Callable[[float, float], bool]) -> Comparator:
    def comparator(value: str, pattern: Pattern) -> bool:
        left, right = _number(value), _number(_text(pattern))
        return left is not None and right is not None and relation(left, right)

    return comparator


def _instant(text: str) -> float | None:
    """Seconds since the epoch, from epoch seconds or a W3C ISO 8601 date (UTC when no offset is given)."""
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _date(relation: Callable[[float, float], bool]) -> Comparator:
    def comparator(value: str, pattern: Pattern) -> bool:
        left, right = _instant(value), _instant(_text(pattern))
        return left is not None and right is not None and relation(left, right)

    return comparator


def _ip_in(value: str, pattern: Pattern) -> bool:
    try:
        address = ipaddress.ip_address(value.strip())
        network = ipaddress.ip_network(_text(pattern).strip(), strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


def _string_like(value: str, pattern: Pattern) -> bool:
    return string_like(pattern, value)


def _arn_like(value: str, pattern: Pattern) -> bool:
    return arn_matches(pattern, value)


_OPERATORS: dict[str, tuple[Comparator, bool, bool]] = {
    # name: (comparator, is_negated, takes_variables)
    "stringequals": (_string_equals, False, True),
    "stringnotequals": (_string_equals, True, True),
    "stringequalsignorecase": (_string_equals_ignore_case, False, True),
    "stringnotequalsignorecase": (_string_equals_ignore_case, True, True),
    "stringlike": (_string_like, False, True),
    "stringnotlike": (_string_like, True, True),
    "numericequals": (_numeric(compare.eq), False, False),
    "numericnotequals": (_numeric(compare.eq), True, False),
    "numericlessthan": (_numeric(compare.lt), False, False),
    "numericlessthanequals": (_numeric(compare.le), False, False),
    "numericgreaterthan": (_numeric(compare.gt), False, False),
    "numericgreaterthanequals": (_numeric(compare.ge), False, False),
    "dateequals": (_date(compare.eq), False, False),
    "datenotequals": (_date(compare.eq), True, False),
    "datelessthan": (_date(compare.lt), False, False),
    "datelessthanequals": (_date(compare.le), False, False),
    "dategreaterthan": (_date(compare.gt), False, False),
    "dategreaterthanequals": (_date(compare.ge), False, False),
    # Policy variables are substituted "in string comparisons in the Condition element" (IAM User Guide,
    # "IAM policy elements: Variables and tags") and by the ARN operators, never by Bool, Numeric, Date,
    # Binary or IP operators: there `${...}` is compared as literal text.
    "bool": (_bool_equals, False, False),
    "binaryequals": (_string_equals, False, False),
    "ipaddress": (_ip_in, False, False),
    "notipaddress": (_ip_in, True, False),
    "arnequals": (_arn_like, False, True),
    "arnlike": (_arn_like, False, True),
    "arnnotequals": (_arn_like, True, True),
    "arnnotlike": (_arn_like, True, True),
}
