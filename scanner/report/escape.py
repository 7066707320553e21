"""Escaping of attacker-controlled text (tags, names, descriptions, file contents) for terminals and Markdown.

`terminal` is the one helper every string from AWS or a file goes through before it reaches a terminal
(reports, the progress line, error messages): it makes visible every character a terminal or a bidi
algorithm would act on instead of showing. `markdown` builds on it.
"""

from __future__ import annotations

import re

# Every code point of Unicode general category Cc (C0, DEL, C1: ANSI escapes, carriage return, bell), Cf
# (format: bidi embeddings/overrides/isolates, U+061C ARABIC LETTER MARK, U+200E/F marks, zero-width and
# invisible characters, tag characters), Zl/Zp (line and paragraph separators) and Cs (lone surrogates,
# which JSON can carry and a UTF-8 terminal cannot encode). Listed as ranges rather than computed with
# `unicodedata` at import, which would cost a CLI start-up ~0.2 s; a test checks the list is complete.
_C0 = "\x00-\x1f"
_INVISIBLE_PAST_C0 = (
    "\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_CONTROL = re.compile(f"[{_C0}{_INVISIBLE_PAST_C0}]")
# In JSON and XML text C0 characters never appear raw inside a value (the serialisers escape or drop them),
# and raw newlines outside values are the layout: only the rest needs escaping.
_JSON_UNSAFE = re.compile(f"[{_INVISIBLE_PAST_C0}]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal(text: str) -> str:
    """Control and format characters (ANSI escapes, carriage returns, bidi controls) shown as visible
    escapes. Newlines and tabs too: one value stays on one line, and a name with a newline in it reads
    `\x0a` rather than as another name (`svc\nprod` shown as `svc prod` would name a different service)."""
    return _CONTROL.sub(_visible, text)


def markdown(text: str) -> str:
    """Markdown and inline HTML rendered inert: every syntax character backslash-escaped."""
    return _MARKDOWN.sub(r"\\\1", terminal(text))


def _json_escape(match: re.Match[str]) -> str:
    encoded = match.group().encode("utf-16-be", "surrogatepass")
    return "".join(f"\\u{int.from_bytes(encoded[i : i + 2], 'big'):04x}" for i in range(0, len(encoded), 2))


def json_text(text: str) -> str:
    """JSON text (a whole document) with every invisible character written as a \\u escape: the same JSON
    value for any parser, but inert when the JSON or SARIF report is printed to a terminal."""
    return _JSON_UNSAFE.sub(_json_escape, text)


def xml_document(text: str) -> str:
    """An XML document (ElementTree output: no CDATA, comments or processing instructions) with every
    invisible character written as a character reference: the same text for any parser, inert on a terminal."""
    return _JSON_UNSAFE.sub(lambda m: f"&#x{ord(m.group()):x};", text)
