"""Reading our own versioned JSON files (an inventory, a scan result): every problem is one line that
says which file, where, what is wrong and how to get a good one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from scanner.errors import InventoryFileError

M = TypeVar("M", bound=BaseModel)

# Our files nest about a dozen levels (a condition inside a policy statement inside a role inside an
# account). Anything much deeper is not ours, and past ~1000 levels json, pydantic and every recursive
# walk of policy documents would raise RecursionError: refuse it here, with a line.
MAX_DEPTH = 100
_SURROGATE = re.compile("[\ud800-\udfff]")
# A \uD8xx-\uDBxx escape not followed by a \uDCxx-\uDFxx one, or the reverse: a cheap test on the text,
# confirmed on the parsed strings (an escaped backslash before "u" would be a false match).
_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]|[\]}]')


def _deeper_than(value: object, limit: int) -> bool:
    """True if `value` nests containers more than `limit` levels deep (iterative: no recursion limit)."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _has_lone_surrogate(value: object) -> bool:
    """True if a key or string anywhere in `value` holds a lone surrogate (JSON allows `\\ud800`; UTF-8,
    and so every report, does not)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _too_deep(text: str, where: str, what: str) -> InventoryFileError:
    line = _line_too_deep(text)
    at = f":{line}" if line is not None else ""
    return InventoryFileError(f"{where}{at}: not a vpce-scan {what} (JSON nested deeper than {MAX_DEPTH} levels)")


def _line_too_deep(text: str) -> int | None:
    """The line where the JSON text first opens more than MAX_DEPTH containers (strings skipped)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        kind = token.group()[0]
        if kind in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return text.count("\n", 0, token.start()) + 1
        elif kind in "]}":
            depth -= 1
    return None


def load_versioned(path: Path, model: type[M], *, what: str, version: int, remedy: str) -> M:
    """`what` names the file kind ("inventory"); `remedy` says how to write a good one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InventoryFileError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InventoryFileError(
            f"{path}:{line}: not a vpce-scan {what} (not UTF-8 text: byte 0x{data[exc.start]:02x}); {remedy}"
        ) from exc
    return parse_versioned(text, str(path), model, what=what, version=version, remedy=remedy)


def parse_versioned(text: str, where: str, model: type[M], *, what: str, version: int, remedy: str) -> M:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryFileError(f"{where}:{exc.lineno}: not valid JSON ({exc.msg}); {remedy}") from exc
    except RecursionError:  # deeper than the parser's stack
        raise _too_deep(text, where, what) from None
    if _deeper_than(raw, MAX_DEPTH):
        raise _too_deep(text, where, what)
    if (escape := _LONE_SURROGATE_ESCAPE.search(text)) and _has_lone_surrogate(raw):
        line = text.count("\n", 0, escape.start()) + 1
        raise InventoryFileError(
            f"{where}:{line}: not a vpce-scan {what} (a string holds a lone UTF-16 surrogate "
            f"{escape.group()}, which is not text and cannot be written back out); {remedy}"
        )
    if not isinstance(raw, dict) or "schema_version" not in raw:
        raise InventoryFileError(f"{where}: not a vpce-scan {what} (no schema_version)")
    found = raw["schema_version"]
    if type(found) is not int or found != version:
        raise InventoryFileError(
            f"{where}: {what} schema_version {found!r} is not supported (this vpce-scan reads {version}); {remedy}"
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = ".".join(str(p) for p in first["loc"])
        raise InventoryFileError(
            f"{where}: invalid {what} at {location}: {first['msg']} ({exc.error_count()} problem(s))"
        ) from exc
