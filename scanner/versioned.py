"""Reading our own versioned JSON files (an inventory, a scan result): every problem is one line that
says which file, where, what is wrong and how to get a good one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from scanner.errors import InventoryFileError

M = TypeVar("M", bound=BaseModel)


def load_versioned(path: Path, model: type[M], *, what: str, version: int, remedy: str) -> M:
    """`what` names the file kind ("inventory"); `remedy` says how to write a good one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InventoryFileError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InventoryFileError(f"{path}: not a vpce-scan {what} (not UTF-8 text)") from exc
    return parse_versioned(text, str(path), model, what=what, version=version, remedy=remedy)


def parse_versioned(text: str, where: str, model: type[M], *, what: str, version: int, remedy: str) -> M:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryFileError(f"{where}:{exc.lineno}: not valid JSON ({exc.msg}); {remedy}") from exc
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
