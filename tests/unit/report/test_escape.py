"""The one escape helper for terminals and Markdown: nothing a terminal or the bidi algorithm acts on
passes through raw."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from xml.etree import ElementTree

import pytest

from scanner.report import Format, render
from scanner.report.escape import json_text, markdown, terminal
from tests.unit.report.factories import result, scan_result

# Categories a terminal executes (Cc), that reorder or hide text (Cf: bidi controls, U+061C, zero-width and
# tag characters), that break lines (Zl, Zp), or that a UTF-8 terminal cannot even encode (Cs).
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
_CONTROL_OR_FORMAT = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u202e\u2066\u2028\ufeff\U000e0041]")


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


def test_a_newline_in_a_name_is_shown_not_turned_into_another_name() -> None:
    """`svc\nFAKE PASS` shown as `svc FAKE PASS` would name a service that does not exist (and read like a
    verdict); shown escaped it stays one visible value."""
    assert terminal("svc\nFAKE PASS\tx") == "svc\\x0aFAKE PASS\\x09x"


INVISIBLE_SAMPLE = "a\x7f\x9b\u061c\u200e\u202e\u2066\u2028\ufeff\U000e0041b"


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_json_reports_carry_invisible_characters_only_as_escapes(fmt: Format) -> None:
    """The same JSON value for a parser, but nothing a terminal acts on when printed to one."""
    text = render(scan_result([result(message=INVISIBLE_SAMPLE)]), fmt)
    assert not _CONTROL_OR_FORMAT.findall(text.replace("\n", "")), "raw invisible characters in the report"
    assert "\\u061c" in text and "\\udb40\\udc41" in text  # a tag character: a surrogate pair escape
    document = json.loads(text)
    if fmt == "json":
        messages = [r["message"] for r in document["results"]]
    else:
        messages = [r["message"]["text"] for r in document["runs"][0]["results"]]
    assert any(INVISIBLE_SAMPLE in message for message in messages)


def test_json_text_keeps_the_value_and_the_layout() -> None:
    document = {"k\u202e": [INVISIBLE_SAMPLE, "plain é 日本 🙂"], "n": 1}
    text = json_text(json.dumps(document, ensure_ascii=False, indent=2))
    assert json.loads(text) == document
    assert text.count("\n") == json.dumps(document, indent=2).count("\n")


def test_junit_carries_invisible_characters_only_as_character_references() -> None:
    text = render(scan_result([result(message=INVISIBLE_SAMPLE, resource_id=INVISIBLE_SAMPLE)]), "junit")
    assert not _CONTROL_OR_FORMAT.findall(text.replace("\n", "")), "raw invisible characters in the report"
    assert "&#x61c;" in text and "&#xe0041;" in text
    parsed = ElementTree.fromstring(text.split("?>", 1)[1])
    assert any(INVISIBLE_SAMPLE in (element.text or "") for element in parsed.iter())
    assert any(INVISIBLE_SAMPLE in value for element in parsed.iter() for value in element.attrib.values())
