"""The one escape helper for terminals and Markdown: nothing a terminal or the bidi algorithm acts on
passes through raw."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from scanner.report.escape import markdown, terminal

# Categories a terminal executes (Cc), that reorder or hide text (Cf: bidi controls, U+061C, zero-width and
# tag characters), that break lines (Zl, Zp), or that a UTF-8 terminal cannot even encode (Cs).
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def test_every_control_and_format_character_is_escaped() -> None:
    missed = [
        f"U+{code:04X}"
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in INVISIBLE_CATEGORIES
        and chr(code) not in "\n\t"
        and terminal(chr(code)) == chr(code)
    ]
    assert missed == [], f"add these to escape._INVISIBLE (Unicode {unicodedata.unidata_version})"


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x1b", "\\x1b"),
        ("\r", "\\x0d"),
        ("\x07", "\\x07"),
        ("\x9b", "\\x9b"),  # C1 CSI: an escape sequence in one character
        ("\u061c", "\\u061c"),  # ARABIC LETTER MARK
        ("\u200e", "\\u200e"),
        ("\u200f", "\\u200f"),
        *((chr(code), f"\\u{code:04x}") for code in range(0x202A, 0x202F)),
        *((chr(code), f"\\u{code:04x}") for code in range(0x2066, 0x206A)),
        ("\ufeff", "\\ufeff"),
        ("\U000e0041", "\\U000e0041"),  # a TAG character: invisible ASCII smuggling
        ("\ud800", "\\ud800"),  # a lone surrogate from JSON: would crash a UTF-8 write
    ],
)
def test_named_controls_are_shown_as_visible_escapes(char: str, shown: str) -> None:
    assert terminal(f"a{char}b") == f"a{shown}b"
    assert char not in markdown(f"a{char}b")


def test_printable_text_is_unchanged() -> None:
    text = "orders-api (prod) é 日本 🙂 arn:aws:ecs:eu-west-1:111122223333:service/c/s"
    assert terminal(text) == text
    assert terminal("one\ntwo\tthree") == "one two three"
