"""Escaping of attacker-controlled text (tags, names, descriptions) for terminals and Markdown."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def terminal(text: str) -> str:
    """Control characters (ANSI escapes, carriage returns, bidi overrides) shown as visible escapes."""
    return _CONTROL.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        text.replace("\n", " ").replace("\t", " "),
    )


def markdown(text: str) -> str:
    """Markdown and inline HTML rendered inert: every syntax character backslash-escaped."""
    return _MARKDOWN.sub(r"\\\1", terminal(text))
