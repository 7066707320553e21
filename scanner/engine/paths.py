"""Dotted attribute paths in rule files: validated against the subject's type when rules load,
resolved by plain attribute access when they run. Nothing in a path can execute code."""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from typing import Any, get_args, get_origin

from pydantic import BaseModel

_SEGMENT = re.compile(r"^[a-z][a-z0-9_]*$")


class PathError(ValueError):
    pass


@functools.cache
def _attributes(cls: type) -> dict[str, Any]:
    """Public attribute names of a model, dataclass or plain class, with their annotated types."""
    found: dict[str, Any] = {}
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        try:
            hints.update(typing.get_type_hints(klass))
        except Exception:  # a class whose hints cannot be resolved still exposes its names
            hints.update(getattr(klass, "__annotations__", {}))
    if issubclass(cls, BaseModel):
        for name in cls.model_fields:
            found[name] = hints.get(name, Any)
    elif dataclasses.is_dataclass(cls):
        for f in dataclasses.fields(cls):
            found[f.name] = hints.get(f.name, Any)
    for klass in cls.__mro__:
        for name, member in vars(klass).items():
            if name.startswith(("_", "model_")) or name in found:
                continue
            getter = member.fget if isinstance(member, property) else getattr(member, "func", None)
            if getter is not None:
                try:
                    found[name] = typing.get_type_hints(getter).get("return", Any)
                except Exception:
                    found[name] = Any
    return found


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """Strip Optional; report whether the type is a list (paths may only end at a list)."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else (Any, False)
    if origin in (list, tuple, frozenset, set):
        return Any, True
    return annotation, False


def validate_path(root: type, path: str) -> None:
    """Raise PathError naming the bad segment and the allowed names."""
    current: Any = root
    segments = path.split(".")
    for index, segment in enumerate(segments):
        if not _SEGMENT.match(segment):
            raise PathError(f"'{path}': '{segment}' is not a snake_case attribute name")
        if current is Any or not isinstance(current, type):
            return
        attributes = _attributes(current)
        if segment not in attributes:
            allowed = ", ".join(sorted(attributes))
            raise PathError(f"'{path}': {current.__name__} has no '{segment}'; expected one of: {allowed}")
        current, is_list = _unwrap(attributes[segment])
        if is_list and index < len(segments) - 1:
            raise PathError(f"'{path}': '{segment}' is a list; a path can only end at a list")


def resolve(subject: object, path: str) -> Any:
    """The value at `path`, or None when any step is missing."""
    value: Any = subject
    for segment in path.split("."):
        if value is None:
            return None
        value = getattr(value, segment)
    return value
