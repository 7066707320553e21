"""Kleene three-valued logic: the truth of a statement or condition when some request facts are unknown.

Offline, most condition keys have no known value. Treating "unknown" as "missing" would turn every
`StringNotEquals ... Deny` into a false deny; UNKNOWN keeps the answer honest ("undetermined").
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Truth(StrEnum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


def truth_of(value: bool) -> Truth:
    return Truth.TRUE if value else Truth.FALSE


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene AND: FALSE wins over UNKNOWN, which wins over TRUE; empty is TRUE."""
    result = Truth.TRUE
    for value in values:
        if value is Truth.FALSE:
            return Truth.FALSE
        if value is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene OR: TRUE wins over UNKNOWN, which wins over FALSE; empty is FALSE."""
    result = Truth.FALSE
    for value in values:
        if value is Truth.TRUE:
            return Truth.TRUE
        if value is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def either(left: Truth, right: Truth) -> Truth:
    """Two-valued any_of, without building a sequence (it runs once per matching statement)."""
    if left is Truth.TRUE or right is Truth.TRUE:
        return Truth.TRUE
    if left is Truth.UNKNOWN or right is Truth.UNKNOWN:
        return Truth.UNKNOWN
    return Truth.FALSE


def negate(value: Truth) -> Truth:
    if value is Truth.TRUE:
        return Truth.FALSE
    if value is Truth.FALSE:
        return Truth.TRUE
    return Truth.UNKNOWN
