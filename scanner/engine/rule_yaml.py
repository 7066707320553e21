"""Reading a rule file's YAML safely: bounded in size, depth and expansion, strict about what it accepts.

A rule file may come from anyone who can open a pull request, so reading it must take bounded time and
memory and fail with `file:line: what is wrong`:
- UTF-8 only (a UTF-16 byte-order mark or a Latin-1 byte is named with its line);
- at most MAX_BYTES, and nested at most MAX_DEPTH levels (the composer and pydantic recurse);
- no anchors, aliases or merge keys: a 1 KB "billion laughs" alias bomb would expand past 4 GB when the
  rule is validated, and a rule is short enough to write out in full;
- no duplicate keys (PyYAML silently keeps the last one, so a second `check:` would replace the first).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError

from scanner.errors import RuleFileError

MAX_BYTES = 1024 * 1024  # the bundled rules are a few KB each
MAX_DEPTH = 64  # the deepest bundled rule nests 8 levels

_UTF16_OR_32_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


class _Refused(yaml.MarkedYAMLError):
    """Valid YAML that a rule file may not use (anchors, aliases, merge keys, duplicate keys, depth)."""

    def __init__(self, mark: Any, problem: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class RuleFileLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases, merge keys or duplicate keys, and with a depth limit."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                event.start_mark, f"alias *{event.anchor}: aliases are not allowed in rule files; write the value out"
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(
                event.start_mark, f"anchor &{anchor}: anchors are not allowed in rule files; write the value out"
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:  # a scalar YAML resolves but Python cannot hold
            reason = str(exc).split(";")[0]
            raise _Refused(node.start_mark, f"invalid value: {reason}") from exc

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Refused(key_node.start_mark, "merge key <<: not allowed in rule files; write the keys out")
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise ConstructorError(
                    "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
                ) from None
            if duplicate:
                raise _Refused(key_node.start_mark, f"duplicate key '{key}': each key may appear once in a mapping")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def decode_rule_file(path: Path) -> str:
    """The text of a rule file, or a RuleFileError naming why it is not a readable UTF-8 rule file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RuleFileError(str(path), None, f"cannot read: {exc.strerror}") from exc
    if len(data) > MAX_BYTES:
        raise RuleFileError(str(path), None, f"larger than {MAX_BYTES // 1024} KiB; a rule file is one short rule")
    for bom, encoding in _UTF16_OR_32_BOMS.items():
        if data.startswith(bom):
            raise RuleFileError(str(path), 1, f"{encoding} text (byte-order mark); save the file as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RuleFileError(
            str(path), line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from exc
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise RuleFileError(str(path), line, "binary data (a NUL byte), not a YAML rule file")
    return text


def parse_rule_yaml(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The composed node tree (for error lines) and the data of one YAML document."""
    loader: RuleFileLoader | None = None
    try:
        loader = RuleFileLoader(text)  # checks every character first
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise RuleFileError(str(path), _line(exc), str(exc.problem)) from exc
    except yaml.MarkedYAMLError as exc:
        raise RuleFileError(str(path), _line(exc), f"invalid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:  # a ReaderError: a character YAML does not allow
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        raise RuleFileError(str(path), line, f"invalid YAML: {exc}".splitlines()[0]) from exc
    finally:
        if loader is not None:
            loader.dispose()
    return node, data


def _line(exc: yaml.MarkedYAMLError) -> int | None:
    mark = exc.problem_mark or exc.context_mark
    return mark.line + 1 if mark is not None else None
