"""Fix commands: a rule's `fix:` templates rendered into shell command lines that are safe to paste.

Every value substituted into a command came from AWS or a file, so each one is quoted for the shell
context its placeholder sits in, as the template parser sees it:

- a whole unquoted word (`--vpc-id $vpc_id`): `shlex.quote`; an `Arguments` value (several ids for one
  option) becomes one quoted word per item, and nothing at all (nor the space before it) when empty;
- part of an unquoted word (`arn:$partition:iam::...`): `shlex.quote`, the shell joins the pieces;
- inside double quotes: as is when no character is special there, else the quotes close around a
  `shlex.quote`d value (`"..."'x;$(id)'"..."`);
- inside single quotes (`'$policy_document'`): each `'` becomes `'\\''`;
- in a `#` comment: control characters are written as escapes, so no newline ends the comment.

`shlex.quote` leaves `[A-Za-z0-9@%+=:,./_-]` alone, so ordinary ids render exactly as written.
Template constructs that no quoting can make safe (a placeholder after a backslash or a `$`, inside
backquotes or `${...}`, as a command name or a redirection target, in an unquoted word with glob, brace or
leading tilde characters; a list anywhere but as a whole word; more than one line) are refused when the
rule file loads. Messages are sentences, not commands: `render_text` substitutes them plainly and each
report escapes them for its format.
"""

from __future__ import annotations

import re
import shlex
import string
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache


@dataclass(frozen=True)
class Arguments:
    """A template value that stands for several shell arguments (the ids one option takes)."""

    items: tuple[str, ...] = ()

    def __str__(self) -> str:  # messages show the ids separated by spaces
        return " ".join(self.items)


TemplateValue = str | Arguments

# Template variables whose value is `Arguments`: in a fix command each may only stand as a whole unquoted
# word. Subjects (scanner.engine.subjects) and checks (missing_ids, deny_port_args) produce them.
ARGUMENT_LISTS = frozenset(
    {
        "availability_zones",
        "deny_port_args",
        "endpoint_azs",
        "endpoint_security_group_ids",
        "missing_ids",
        "route_table_ids",
        "security_group_ids",
        "subnet_ids",
        "subnet_ids_one_per_az",
    }
)


class Context(StrEnum):
    WORD = "a whole unquoted word"
    UNQUOTED = "part of an unquoted word"
    DOUBLE = "inside double quotes"
    SINGLE = "inside single quotes"
    COMMENT = "in a comment"


@dataclass(frozen=True)
class Placeholder:
    name: str
    context: Context


@dataclass(frozen=True)
class CommandTemplate:
    """A fix template split into literal shell text and placeholders, each with its quoting context."""

    segments: tuple[str | Placeholder, ...]

    @property
    def placeholders(self) -> list[Placeholder]:
        return [s for s in self.segments if isinstance(s, Placeholder)]


class CommandTemplateError(ValueError):
    """A fix template whose values could not be quoted safely: the loader reports it with file:line."""


_PLACEHOLDER = re.compile(r"\$(?:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?P<braced>[_a-z][_a-z0-9]*)\})", re.I)
# Characters that end an unquoted word (blanks and the shell's control operators).
_BOUNDARY = frozenset(" \t;|&()<>")
# Unquoted characters that would expand a word holding a value (globs, braces, a leading tilde).
_EXPANDING = frozenset("*?[]{}")
_COMMAND_SEPARATORS = frozenset(";|&(")
_DOUBLE_QUOTE_SPECIAL = frozenset('$`"\\!')


@dataclass
class _Word:
    """The unquoted word being read: enough to judge the placeholders in it when it ends."""

    starts_command: bool
    placeholders: list[int] = field(default_factory=list)
    text: str = ""  # its literal characters
    expanding: str = ""  # unquoted glob, brace or leading tilde characters
    redirect: bool = False  # the target of a < or >: a value there would name a file to read or write


@dataclass
class _Frame:
    kind: str  # "unquoted" (the line, a $(...) or a (...)), "double", "single", "brace" (${...})
    outer: _Word | None = None  # the word a $(...) or (...) stands in, resumed at its ')'


class _Parser:
    def __init__(self, template: str) -> None:
        self.template = template
        self.segments: list[str | Placeholder] = []
        self.stack = [_Frame("unquoted")]
        self.word: _Word | None = None
        self.command_start = True
        self.redirect = False
        self.comment = False

    def fail(self, at: int, detail: str) -> CommandTemplateError:
        return CommandTemplateError(f"column {at + 1}: {detail}")

    @property
    def frame(self) -> str:
        return self.stack[-1].kind

    def literal(self, text: str) -> None:
        if self.word is not None:
            self.word.text += text
        if self.segments and isinstance(self.segments[-1], str):
            self.segments[-1] += text
        else:
            self.segments.append(text)

    def begin_word(self) -> _Word:
        if self.word is None:
            self.word = _Word(starts_command=self.command_start, redirect=self.redirect)
            self.command_start = self.redirect = False
        return self.word

    def end_word(self, at: int) -> None:
        word, self.word = self.word, None
        if word is None or not word.placeholders:
            return
        if word.expanding:
            raise self.fail(at, f"unquoted {word.expanding[0]!r} in a word with a placeholder: quote that word")
        only = self.segments[word.placeholders[0]]
        assert isinstance(only, Placeholder)
        if len(word.placeholders) == 1 and only.context is Context.UNQUOTED and not word.text:
            self.segments[word.placeholders[0]] = Placeholder(only.name, Context.WORD)

    def parse(self) -> CommandTemplate:
        text, i = self.template, 0
        for at, char in enumerate(text):
            if unicodedata.category(char) == "Cc":
                raise self.fail(at, "a control character (newline, tab...) in a fix command: write one line")
        while i < len(text):
            if self.comment:
                i = self._comment(i)
            elif text[i] == "$":
                i = self._dollar(i)
            elif self.frame == "single":
                if text[i] == "'":
                    self.stack.pop()
                self.literal(text[i])
                i += 1
            elif self.frame == "double":
                i = self._double(i)
            elif self.frame == "brace":
                if text[i] == "}":
                    self.stack.pop()
                self.literal(text[i])
                i += 1
            else:
                i = self._unquoted(i)
        if len(self.stack) > 1:
            what = {"single": "single quote", "double": "double quote", "brace": "${"}.get(self.frame, "(")
            raise self.fail(len(text), f"unterminated {what}")
        self.end_word(len(text))
        return CommandTemplate(tuple(self.segments))

    def _comment(self, i: int) -> int:
        match = _PLACEHOLDER.match(self.template, i) if self.template[i] == "$" else None
        if match is None:
            self.literal(self.template[i])
            return i + 1
        if match["escaped"]:
            self.literal("$")
        else:
            self.segments.append(Placeholder(match["named"] or match["braced"], Context.COMMENT))
        return match.end()

    def _dollar(self, i: int) -> int:
        match = _PLACEHOLDER.match(self.template, i)
        if match is None:
            raise self.fail(i, "invalid placeholder; write $name or ${name}, and $$ for a dollar sign")
        end = match.end()
        if not match["escaped"]:
            return self._placeholder(i, match["named"] or match["braced"], end)
        following = _PLACEHOLDER.match(self.template, end)
        if following is not None and not following["escaped"]:
            raise self.fail(end, "a placeholder right after $$ would be expanded by the shell")
        nxt = self.template[end : end + 1]
        if self.frame == "unquoted":
            self.begin_word()
            if nxt == "'":
                raise self.fail(end, "$$'...' (ANSI-C quoting) is not supported in fix commands")
        if self.frame in ("unquoted", "double") and nxt in ("(", "{"):
            self.literal("$" + nxt)
            if nxt == "(":
                self.stack.append(_Frame("unquoted", outer=self.word))
                self.word, self.command_start = None, True
            else:
                self.stack.append(_Frame("brace"))
            return end + 1
        self.literal("$")
        return end

    def _placeholder(self, i: int, name: str, end: int) -> int:
        if self.frame == "brace":
            raise self.fail(i, f"${name} inside $${{...}}: the shell would expand its value")
        context = {"single": Context.SINGLE, "double": Context.DOUBLE}.get(self.frame, Context.UNQUOTED)
        if context is Context.UNQUOTED:
            self.begin_word()
        word = self.word
        if word is not None:
            if word.redirect:
                raise self.fail(i, f"${name} as the target of a redirection: the value would name a file")
            if word.starts_command and not re.match(r"[A-Za-z_][A-Za-z0-9_]*=", word.text):
                raise self.fail(i, f"${name} in a command name: the command must be literal")
            word.placeholders.append(len(self.segments))
        self.segments.append(Placeholder(name, context))
        return end

    def _escape(self, i: int) -> int:
        """A backslash and the character it escapes; never a placeholder (its value would lose a quote)."""
        match = _PLACEHOLDER.match(self.template, i + 1)
        if match is not None and not match["escaped"]:
            raise self.fail(i, "a backslash before a placeholder would unquote its value")
        end = match.end() if match is not None else i + 2
        self.literal("\\" + self.template[i + 1 : end].replace("$$", "$"))
        return end

    def _double(self, i: int) -> int:
        char = self.template[i]
        if char == "\\":
            return self._escape(i)
        if char == "`":
            raise self.fail(i, "backquotes are not supported in fix commands; write $$(...)")
        if char == '"':
            self.stack.pop()
        self.literal(char)
        return i + 1

    def _unquoted(self, i: int) -> int:
        char = self.template[i]
        if char in _BOUNDARY:
            self.end_word(i)
            self.literal(char)
            if char == ")":
                if len(self.stack) == 1:
                    raise self.fail(i, "unbalanced ')'")
                self.word = self.stack.pop().outer  # the word around $(...) goes on
                self.command_start = False
            elif char == "(":
                self.stack.append(_Frame("unquoted"))
            if char in _COMMAND_SEPARATORS:
                self.command_start = True
            if char not in " \t":  # blanks between `>` and its target keep it the target
                self.redirect = char in "<>"
            return i + 1
        if char == "`":
            raise self.fail(i, "backquotes are not supported in fix commands; write $$(...)")
        if char == "#" and self.word is None:
            self.comment = True
            self.literal(char)
            return i + 1
        word = self.begin_word()
        if char == "\\":
            return self._escape(i)
        if char in "'\"":
            self.stack.append(_Frame("single" if char == "'" else "double"))
        elif char in _EXPANDING or (char == "~" and not word.text and not word.placeholders):
            word.expanding += char
        self.literal(char)
        return i + 1


@lru_cache(maxsize=512)
def parse_command(template: str) -> CommandTemplate:
    """The template's literal text and placeholders; CommandTemplateError when it cannot be made safe."""
    return _Parser(template).parse()


def command_template_problem(template: str, argument_lists: Iterable[str] = ARGUMENT_LISTS) -> str | None:
    """What makes `template` unsafe or wrong as a fix command, or None (for the rule loader)."""
    try:
        parsed = parse_command(template)
    except CommandTemplateError as exc:
        return str(exc)
    lists = set(argument_lists)
    for placeholder in parsed.placeholders:
        if placeholder.name in lists and placeholder.context not in (Context.WORD, Context.COMMENT):
            return (
                f"${placeholder.name} holds several arguments and must stand alone as an unquoted word, "
                f"not {placeholder.context.value}"
            )
    return None


def render_command(template: str, values: Mapping[str, TemplateValue]) -> str:
    """The command line, every value quoted for where it stands. A value the template names but
    `values` lacks renders as an empty value (never as a shell variable)."""
    out: list[str] = []
    for segment in parse_command(template).segments:
        if isinstance(segment, str):
            out.append(segment)
            continue
        value = values.get(segment.name, "")
        if segment.context is Context.WORD and isinstance(value, Arguments):
            if not value.items:
                if out and out[-1].endswith(" "):
                    out[-1] = out[-1][:-1]  # no argument, no gap
                continue
            out.append(" ".join(shlex.quote(item) for item in value.items))
            continue
        out.append(_quoted(str(value), segment.context))
    return "".join(out)


def render_text(template: str, values: Mapping[str, TemplateValue]) -> str:
    """A message: plain substitution (each report renderer escapes the text for its format)."""
    return string.Template(template).safe_substitute(values)


def _quoted(value: str, context: Context) -> str:
    match context:
        case Context.WORD | Context.UNQUOTED:
            return shlex.quote(value)
        case Context.DOUBLE:
            if any(c in _DOUBLE_QUOTE_SPECIAL or unicodedata.category(c) == "Cc" for c in value):
                return f'"{shlex.quote(value)}"'
            return value
        case Context.SINGLE:
            return value.replace("'", "'\\''")
        case Context.COMMENT:
            return "".join(_visible(c) for c in value)


def _visible(char: str) -> str:
    """A control or line-breaking character as an escape; it could end the comment it stands in."""
    if unicodedata.category(char) in ("Cc", "Zl", "Zp") or char == "\x85":
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char
