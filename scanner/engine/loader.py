"""Load rule files: YAML -> RuleSpec, with every error as `file:line: key.path: what is wrong`."""

from __future__ import annotations

import string
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from scanner.engine.checks import KINDS
from scanner.engine.commands import command_template_problem
from scanner.engine.paths import PathError, validate_path
from scanner.engine.rule_yaml import decode_rule_file, parse_rule_yaml
from scanner.engine.spec import AttributeCheck, EachCheck, Predicate, RuleSpec, SetCoversCheck
from scanner.engine.subjects import SUBJECT_TYPES, SUBJECT_VARS
from scanner.errors import RuleFileError


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    path: Path

    @property
    def id(self) -> str:
        return self.spec.id


def _line_of(node: yaml.Node | None, loc: Iterable[int | str]) -> int | None:
    """The line of the YAML node at a pydantic error location (skipping union tags in the path)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if match is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                if key is not None:
                    return int(key.start_mark.line) + 1
                continue  # a discriminator tag or a model name in the location
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            continue
        line = node.start_mark.line + 1
    return line


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class that holds the last key of `loc`, for listing the keys it allows."""
    current: Any = RuleSpec
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        elif isinstance(part, str) and (part in KINDS or part in ("Predicate",)):
            current = _kind_model(part)
        else:
            continue
        current = _strip(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _strip(annotation: Any) -> Any:
    for _ in range(4):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        origin = typing.get_origin(annotation)
        if origin in (list, typing.Annotated) or (origin is not None and len(args) == 1):
            annotation = args[0]
        elif args and all(isinstance(a, type) and issubclass(a, BaseModel) for a in args):
            return None  # a union of check kinds: the next loc part is the tag
        else:
            break
    return annotation


def _kind_model(tag: str) -> type[BaseModel] | None:
    from scanner.engine import spec

    for name in dir(spec):
        model = getattr(spec, name)
        if (
            isinstance(model, type)
            and issubclass(model, BaseModel)
            and "kind" in model.model_fields
            and typing.get_args(model.model_fields["kind"].annotation) == (tag,)
        ):
            return model
    return Predicate if tag == "Predicate" else None


def _describe(error: Any) -> str:
    loc = tuple(error["loc"])
    shown = ".".join(str(p) for p in loc if not (isinstance(p, str) and p in KINDS)) or "(top level)"
    kind = error["type"]
    if kind == "union_tag_invalid":
        tag = error["ctx"]["tag"]
        return f"{shown}.kind: unknown kind '{tag}'; expected one of: {', '.join(sorted(KINDS))}"
    if kind == "union_tag_not_found":
        return f"{shown}: missing 'kind'; expected one of: {', '.join(sorted(KINDS))}"
    if kind == "extra_forbidden":
        model = _model_at(loc)
        allowed = ", ".join(sorted(f.alias or n for n, f in model.model_fields.items())) if model else ""
        return f"{shown}: unknown key" + (f"; expected one of: {allowed}" if allowed else "")
    if kind == "missing":
        return f"{shown}: required key missing"
    if kind in ("literal_error", "enum"):
        return f"{shown}: {error['input']!r} is not allowed; expected {error['ctx']['expected']}"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str | int | float | bool):
        return f"{shown}: {message} (got {value!r})"
    return f"{shown}: {message}"


def load_rule_file(path: Path) -> Rule:
    node, data = parse_rule_yaml(decode_rule_file(path), path)
    if not isinstance(data, dict) or node is None:
        raise RuleFileError(
            str(path), 1, "a rule file is a mapping with id, name, title, ... (see `vpce-scan rules schema`)"
        )
    try:
        spec = RuleSpec.model_validate(data)
    except ValidationError as exc:
        # Unknown keys and kinds first: a typo explains the "missing" keys that follow from it.
        rank = {"extra_forbidden": 0, "union_tag_invalid": 1, "union_tag_not_found": 1}
        first = sorted(exc.errors(), key=lambda e: rank.get(e["type"], 2))[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise RuleFileError(str(path), _line_of(node, first["loc"]), _describe(first) + more) from exc
    if spec.id != path.stem:
        raise RuleFileError(
            str(path), _line_of(node, ("id",)), f"id: '{spec.id}' must equal the file name '{path.stem}'"
        )
    _check_semantics(spec, path, node)
    return Rule(spec, path)


def walk_checks(check: Any, loc: tuple[int | str, ...]) -> Iterable[tuple[Any, tuple[int | str, ...]]]:
    yield check, loc
    if check.kind == "all_of":
        for index, child in enumerate(check.checks):
            yield from walk_checks(child, (*loc, "checks", index))
    elif check.kind == "each":
        yield from walk_checks(check.check, (*loc, "check"))


def _check_semantics(spec: RuleSpec, path: Path, node: yaml.Node) -> None:
    """Paths exist on the subject type; every problem code has a message; templates use known names."""
    root = SUBJECT_TYPES[spec.resource].root

    def fail(loc: tuple[int | str, ...], detail: str) -> typing.NoReturn:
        shown = ".".join(str(p) for p in loc)
        raise RuleFileError(str(path), _line_of(node, loc), f"{shown}: {detail}")

    def check_path(value: str, loc: tuple[int | str, ...], inside_each: bool) -> None:
        if inside_each and value.split(".")[0] == "item":
            return  # items are typed by the list they come from; checked when the rule runs
        try:
            validate_path(root, value)
        except PathError as exc:
            fail(loc, str(exc))

    for field_name in ("where", "skip_when"):
        for index, predicate in enumerate(getattr(spec, field_name)):
            check_path(predicate.path, (field_name, index, "path"), False)
    for index, rule in enumerate(spec.severity_when):
        for j, predicate in enumerate(rule.when):
            check_path(predicate.path, ("severity_when", index, "when", j, "path"), False)

    codes: dict[str, tuple[str, ...]] = {}
    each_vars: set[str] = set()
    for check, loc in walk_checks(spec.check, ("check",)):
        inside_each = "check" in loc[1:] or check.kind == "each"
        for index, predicate in enumerate(check.when):
            check_path(predicate.path, (*loc, "when", index, "path"), inside_each)
        if isinstance(check, AttributeCheck):
            check_path(check.path, (*loc, "path"), inside_each)
            codes[check.problem] = KINDS["attribute"].problems["*"]
        elif isinstance(check, SetCoversCheck):
            check_path(check.required, (*loc, "required"), inside_each)
            check_path(check.provided, (*loc, "provided"), inside_each)
            codes[check.problem] = KINDS["set_covers"].problems["*"]
        elif isinstance(check, EachCheck):
            check_path(check.path, (*loc, "path"), False)
            each_vars.update(check.item_vars)
        else:
            codes.update(KINDS[check.kind].problems)

    known = set(SUBJECT_VARS[spec.resource])
    for code in codes:
        if code not in spec.messages:
            fail(
                ("messages",),
                f"no message for problem '{code}'; the check reports: {', '.join(sorted(codes))}",
            )
        if code not in spec.fix:
            fail(("fix",), f"no fix commands for problem '{code}'; every FAIL carries its remediation")
    for code in [*spec.messages, *spec.fix]:
        if code not in codes:
            section = "messages" if code in spec.messages else "fix"
            fail(
                (section, code),
                f"problem '{code}' is never reported by this check; it reports: {', '.join(sorted(codes))}",
            )
    templates: list[tuple[tuple[int | str, ...], str, set[str]]] = [(("pass_message",), spec.pass_message, known)]
    for code, template in spec.messages.items():
        templates.append((("messages", code), template, known | set(codes[code]) | each_vars))
    for code, commands in spec.fix.items():
        for index, command in enumerate(commands):
            templates.append((("fix", code, index), command, known | set(codes[code]) | each_vars))
    for loc, template, names in templates:
        parsed = string.Template(template)
        if not parsed.is_valid():
            fail(loc, "invalid placeholder; write $name or ${name}, and $$ for a dollar sign")
        unknown = sorted(set(parsed.get_identifiers()) - names)
        if unknown:
            fail(loc, f"unknown placeholder ${unknown[0]}; expected one of: {', '.join(sorted(names))}")
        # Fix commands are pasted into a shell: every placeholder must sit where its value can be quoted.
        problem = command_template_problem(template) if loc[0] == "fix" else None
        if problem:
            fail(loc, problem)


def load_rules(directories: Iterable[Path]) -> list[Rule]:
    rules: dict[str, Rule] = {}
    for directory in directories:
        if not directory.is_dir():
            raise RuleFileError(str(directory), None, "rules directory does not exist")
        for path in sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")):
            rule = load_rule_file(path)
            if rule.id in rules:
                raise RuleFileError(str(path), 1, f"id: '{rule.id}' is already defined in {rules[rule.id].path}")
            rules[rule.id] = rule
    return sorted(rules.values(), key=lambda r: r.id)
