"""Glob matching of actions, resource ARNs and string patterns (`*` any run, `?` one character).

* Actions are case-insensitive (`iam:ListAccessKeys` is `IAM:listaccesskeys`).
* ARNs are case-sensitive and matched one colon-separated segment at a time for partition, service,
  region and account; the resource part (after the fifth colon) is matched as a whole, where `*` spans
  `/` and `:`.
* In a Resource/NotResource entry, a `*` that is the last character of one of those first segments may
  match across colons too: "If the `*` wildcard is the last character of a resource ARN segment, it can
  expand to match beyond the colon boundaries" (IAM User Guide, "IAM JSON policy elements: Resource",
  Using wildcards in resource ARNs). So `arn:aws:s3:*` (fewer than six segments) covers every S3 ARN
  and `arn:aws:secretsmanager:*:secret:x` covers the secret `x` of any region and account. Any other
  `*` there (`us-*-1`) stays within its segment, and an entry with fewer than six segments and no such
  `*` matches nothing.
* The ARN condition operators (`ArnLike`, `ArnEquals`) keep every wildcard of the first five segments
  within its segment, and a value with fewer than six segments matches nothing: the doc example
  `arn:aws:someservice:*:111122223333:finance/*` matches under `StringLike` but not under `ArnLike`.
* The request resource `*` (wildcard-only actions such as `ecr:GetAuthorizationToken`) is covered only
  by a pattern made only of `*`.
* Every other regex metacharacter (`+`, `.`, `(`, `[`, `$` ...) is literal.

A scan re-uses a few thousand patterns across tens of thousands of requests, so each pattern becomes a
cached matcher once. Most patterns are exact ARNs, end in a single `*` or have only `*` in the resource
part: those get a string comparison, a prefix test or an in-order search of the literal pieces instead of
a regex, which also spares a cold scan most of the regex compilation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from scanner.iam.variables import Pattern

Matcher = Callable[[str], bool]

ARN_PREFIX_SEGMENTS = 5
"""`arn`, partition, service, region, account: the segments in which a wildcard stops at `:`."""


def is_match_all(text: str) -> bool:
    """True for `*`, `**`, ...: the only patterns that cover the request resource `*`."""
    return bool(text) and text.strip("*") == ""


@lru_cache(maxsize=65536)
def action_matches(pattern: str, action: str) -> bool:
    return _glob_matcher(pattern.lower(), arn=False)(action.lower())


@lru_cache(maxsize=65536)
def resource_matcher(pattern: str) -> Matcher:
    """A test of request resources against one Resource/NotResource entry without variables."""
    return _glob_matcher(pattern, arn=True, resource_element=True)


def resource_matches(pattern: str, resource: str) -> bool:
    return resource_matcher(pattern)(resource)


def resource_pattern_matches(pattern: Pattern, resource: str) -> bool:
    """A Resource/NotResource entry whose variables were substituted, against a request resource."""
    if len(pattern) == 1 and pattern[0][1]:
        return resource_matcher(pattern[0][0])(resource)
    regex = compile_glob(pattern, arn=True, resource_element=True)
    return regex is not None and regex.fullmatch(resource) is not None


@lru_cache(maxsize=16384)
def _arn_condition_matcher(pattern: str) -> Matcher:
    return _glob_matcher(pattern, arn=True, resource_element=False)


def arn_matches(pattern: Pattern, arn: str) -> bool:
    """Segment-wise ARN matching for the ArnLike/ArnEquals condition operators."""
    if len(pattern) == 1 and pattern[0][1]:
        return _arn_condition_matcher(pattern[0][0])(arn)
    regex = compile_glob(pattern, arn=True)
    return regex is not None and regex.fullmatch(arn) is not None


def string_like(pattern: Pattern, value: str) -> bool:
    """StringLike: a case-sensitive glob over the whole value, wildcards crossing any character."""
    if len(pattern) == 1 and pattern[0][1]:
        return _string_matcher(pattern[0][0])(value)
    regex = compile_glob(pattern, arn=False)
    return regex is not None and regex.fullmatch(value) is not None


@lru_cache(maxsize=16384)
def _string_matcher(pattern: str) -> Matcher:
    return _glob_matcher(pattern, arn=False)


def _glob_matcher(pattern: str, *, arn: bool, resource_element: bool = False) -> Matcher:
    if is_match_all(pattern):
        return _always
    if arn and not resource_element and pattern.count(":") < ARN_PREFIX_SEGMENTS:
        return _never
    if "*" not in pattern and "?" not in pattern:
        return pattern.__eq__
    head = pattern[:-1]
    is_lone_trailing_star = pattern[-1] == "*" and "*" not in head and "?" not in head
    # A lone trailing `*` is a prefix test where it may span colons: in the resource part of an ARN, and
    # anywhere in a Resource entry (it ends the pattern, hence its segment).
    if is_lone_trailing_star and (not arn or resource_element or head.count(":") >= ARN_PREFIX_SEGMENTS):
        return lambda value: value.startswith(head)
    if "*" not in pattern:
        # Only `?` (the Secrets Manager suffix `-??????`): same length, same characters elsewhere.
        literal_head = pattern[: pattern.index("?")]
        if not arn or literal_head.count(":") >= ARN_PREFIX_SEGMENTS:
            return lambda value: _question_marks_match(pattern, literal_head, value)
    if "?" not in pattern and (not arn or pattern[: pattern.index("*")].count(":") >= ARN_PREFIX_SEGMENTS):
        # Several `*` and no `?`, all where `*` spans anything (`prod/*-*`, `*:log-stream:*`): a fixed head
        # and tail with the pieces between found in order. Cheaper to build than a regex, which a cold
        # scan compiles for a good share of a role's patterns, and as cheap to run.
        pieces = tuple(pattern.split("*"))
        return lambda value: _stars_match(pieces, value)
    regex = compile_glob(((pattern, True),), arn=arn, resource_element=resource_element)
    if regex is None:
        return _never
    return lambda value: regex.fullmatch(value) is not None


def _question_marks_match(pattern: str, literal_head: str, value: str) -> bool:
    if len(value) != len(pattern) or not value.startswith(literal_head):
        return False
    start = len(literal_head)
    return all(wanted == "?" or wanted == got for wanted, got in zip(pattern[start:], value[start:], strict=True))


def _stars_match(pieces: tuple[str, ...], value: str) -> bool:
    """Whether `value` is `pieces` joined by runs of any characters (the regex `p0.*p1.*p2`, in full).
    Taking the leftmost place of each middle piece is enough: any later place leaves less room after."""
    head, tail = pieces[0], pieces[-1]
    if len(value) < len(head) + len(tail) or not value.startswith(head) or not value.endswith(tail):
        return False
    position, end = len(head), len(value) - len(tail)
    for piece in pieces[1:-1]:
        found = value.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _always(_: str) -> bool:
    return True


def _never(_: str) -> bool:
    return False


@lru_cache(maxsize=16384)
def compile_glob(pattern: Pattern, *, arn: bool, resource_element: bool = False) -> re.Pattern[str] | None:
    """A regex for `pattern`; None when an ARN condition pattern has fewer than six segments.

    `resource_element`: the pattern is a Resource/NotResource entry, where a `*` ending one of the first
    five segments (followed by `:` or by the end of the pattern) may match across colons."""
    chars = [(char, wildcards) for text, wildcards in pattern for char in text]
    pieces: list[str] = []
    segment = 0
    for position, (char, wildcards) in enumerate(chars):
        in_prefix = arn and segment < ARN_PREFIX_SEGMENTS
        if char == ":" and in_prefix:
            segment += 1
            pieces.append(":")
        elif wildcards and char == "*":
            ends_segment = position + 1 == len(chars) or chars[position + 1][0] == ":"
            pieces.append("[^:]*" if in_prefix and not (resource_element and ends_segment) else ".*")
        elif wildcards and char == "?":
            pieces.append("[^:]" if in_prefix else ".")
        else:
            pieces.append(re.escape(char))
    if arn and not resource_element and segment < ARN_PREFIX_SEGMENTS:
        return None
    return re.compile("".join(pieces), re.DOTALL)
