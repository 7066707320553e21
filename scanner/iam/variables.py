"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}` and the escapes `${*}`,
`${?}`, `${$}`.

Variables are substituted only in documents of Version 2012-10-17; elsewhere they are literal text (the
caller decides). In a Resource entry they are substituted only in the resource part of the ARN, after the
fifth colon (IAM User Guide, "IAM policy elements: Variables and tags", Where you can use policy
variables: "You can't use a variable to replace parts of the ARN before the fifth colon, such as the
service or account"); before it, `${...}` is literal text. In a Condition they are substituted only by
the string and ARN operators (`conditions.py` decides).

A substituted value is literal: a `*` inside a tag value never acts as a wildcard. A variable whose key is
unknown leaves the pattern unknown; one whose key is known to be absent (and has no default) makes the
statement invalid, which AWS treats as "does not apply".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from scanner.iam.request import KeyState, RequestContext

Fragment = tuple[str, bool]
"""A run of pattern text and whether `*` and `?` in it are wildcards (False for substituted values)."""

Pattern = tuple[Fragment, ...]


@dataclass(frozen=True, slots=True)
class Variable:
    key: str
    default: str | None = None


@dataclass(frozen=True, slots=True)
class Escaped:
    """`${*}`, `${?}` or `${$}`: the character itself, never a wildcard."""

    char: str


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A variable that could not be substituted, and why (its key is unknown, or known to be absent)."""

    key: str
    state: KeyState


TemplatePart = str | Variable | Escaped

_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_WITH_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_ESCAPES = frozenset("*?$")


def literal_pattern(text: str) -> Pattern:
    """A pattern with no substitution: `*` and `?` are wildcards everywhere."""
    return ((text, True),)


def has_variables(text: str) -> bool:
    return "${" in text


@lru_cache(maxsize=8192)
def parse_template(text: str) -> tuple[TemplatePart, ...]:
    parts: list[TemplatePart] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(text):
        if placeholder.start() > position:
            parts.append(text[position : placeholder.start()])
        parts.append(_placeholder(placeholder.group(1)))
        position = placeholder.end()
    if position < len(text):
        parts.append(text[position:])
    return tuple(parts)


def _placeholder(body: str) -> Variable | Escaped:
    if body in _ESCAPES:
        return Escaped(body)
    with_default = _WITH_DEFAULT.match(body)
    if with_default:
        return Variable(key=with_default.group(1), default=with_default.group(2))
    return Variable(key=body.strip())


def resolve_resource(text: str, context: RequestContext) -> Pattern | Unresolved:
    """Substitute the variables of a Resource/NotResource entry, in its resource part only."""
    split = _resource_part_start(text)
    if split is None:
        return literal_pattern(text)  # no resource part: nothing is substituted
    prefix, resource_part = text[:split], text[split:]
    if not has_variables(resource_part):
        return literal_pattern(text)
    resolved = resolve(resource_part, context)
    if isinstance(resolved, Unresolved):
        return resolved
    return ((prefix, True), *resolved) if prefix else resolved


def _resource_part_start(text: str) -> int | None:
    """The index just after the fifth colon of `text`, or None when it has fewer than five."""
    position = -1
    for _ in range(5):
        position = text.find(":", position + 1)
        if position < 0:
            return None
    return position + 1


def resolve(text: str, context: RequestContext) -> Pattern | Unresolved:
    """Substitute the variables of `text` from `context`."""
    if not has_variables(text):
        return literal_pattern(text)
    fragments: list[Fragment] = []
    for part in parse_template(text):
        if isinstance(part, str):
            fragments.append((part, True))
        elif isinstance(part, Escaped):
            fragments.append((part.char, False))
        else:
            found = context.lookup(part.key)
            if isinstance(found, tuple):
                if len(found) != 1:
                    # A multivalued key cannot be a policy variable; we do not guess how AWS reads it.
                    return Unresolved(part.key, KeyState.UNKNOWN)
                fragments.append((found[0], False))
            elif found is KeyState.ABSENT and part.default is not None:
                fragments.append((part.default, False))
            else:
                return Unresolved(part.key, found)
    return tuple(fragments)
