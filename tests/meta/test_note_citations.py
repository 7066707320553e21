"""Meta-tests: every research note the code cites is in the repository, with the section it cites.

Code and tests justify themselves with citations such as `docs/notes/iam-evaluation.md §1.1 step 5` or
`docs/notes/iam-evaluation.md §6, cases 1, 2, 8-13`. A citation is only worth something if a reader of the
repository can follow it, so each one must name a file under docs/notes/ (not a path outside the
repository), that file must exist, and it must have a heading numbered like every cited section. A
`step N` must be item N of the section's numbered list, and `cases a, b-c` must be its subsections. A bare
`§N` (a comment such as `# §6.14 Boundaries`) refers to the one note its file cites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTES_DIR = ROOT / "docs" / "notes"
CITING_TREES = ("scanner", "tests", "benchmarks")
CITING_FILES = ("README.md",)
TEXT_SUFFIXES = frozenset({".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".html", ".j2", ".json"})

_NUMBER = r"\d+(?:\.\d+)*"
_RANGE_LIST = r"\d+(?:-\d+)?(?:\s*,\s*\d+(?:-\d+)?)*"
# One cited section, optionally narrowed to steps of its numbered list or to its numbered cases.
_SECTION = rf"§(?P<number>{_NUMBER})(?:,?\s+(?P<kind>steps?|cases?)\s+(?P<items>{_RANGE_LIST}))?"
_SECTION_RE = re.compile(_SECTION)
# The path as written (to catch paths outside the repository), then the sections that follow it, which
# may wrap onto the next line of a docstring.
_CITATION_RE = re.compile(
    rf"(?P<path>[\w./-]*notes/(?P<name>[\w.-]+\.md))"
    rf"(?P<sections>(?:[\s,;]*(?:and\s+)?§{_NUMBER}(?:,?\s+(?:steps?|cases?)\s+{_RANGE_LIST})?)*)"
)
_HEADING_RE = re.compile(rf"^#{{1,6}}\s+(?P<number>{_NUMBER})\.?\s", re.MULTILINE)
_LIST_ITEM_RE = re.compile(r"^\s*(?P<number>\d+)\.\s", re.MULTILINE)


@dataclass(frozen=True)
class SectionRef:
    number: str
    kind: str | None  # "step" or "case", or None for the whole section
    items: tuple[int, ...]


@dataclass(frozen=True)
class Citation:
    where: str  # file:line, for the failure message
    path: str  # as written, e.g. "docs/notes/iam-evaluation.md"
    name: str  # the note's file name
    sections: tuple[SectionRef, ...]


def _items(text: str) -> tuple[int, ...]:
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", text.strip()):
        low, _, high = part.partition("-")
        numbers.extend(range(int(low), int(high or low) + 1))
    return tuple(numbers)


def parse_sections(text: str) -> tuple[SectionRef, ...]:
    refs = []
    for match in _SECTION_RE.finditer(text):
        kind = match["kind"].rstrip("s") if match["kind"] else None
        refs.append(SectionRef(match["number"], kind, _items(match["items"]) if match["items"] else ()))
    return tuple(refs)


def find_citations(text: str, source: str) -> tuple[list[Citation], list[SectionRef]]:
    """The note citations in `text`, and the bare `§N` references outside them."""
    citations = []
    covered: list[tuple[int, int]] = []
    for match in _CITATION_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        sections = parse_sections(match["sections"])
        citations.append(Citation(f"{source}:{line}", match["path"], match["name"], sections))
        covered.append(match.span())
    bare = [
        ref
        for match in _SECTION_RE.finditer(text)
        if not any(start <= match.start() < end for start, end in covered)
        for ref in parse_sections(match.group(0))
    ]
    return citations, bare


@dataclass(frozen=True)
class Note:
    sections: frozenset[str]
    list_items: dict[str, frozenset[int]]  # numbered list items directly under each section heading


@cache
def read_note(name: str) -> Note | None:
    path = NOTES_DIR / name
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    headings = list(_HEADING_RE.finditer(text))
    items = {}
    for heading, following in zip(headings, [*headings[1:], None], strict=True):
        body = text[heading.end() : following.start() if following else len(text)]
        items[heading["number"]] = frozenset(int(m["number"]) for m in _LIST_ITEM_RE.finditer(body))
    return Note(frozenset(h["number"] for h in headings), items)


def section_problems(note_name: str, ref: SectionRef) -> list[str]:
    note = read_note(note_name)
    assert note is not None
    cited = f"{note_name} §{ref.number}"
    if ref.number not in note.sections:
        return [f"{cited}: no heading numbered {ref.number}"]
    if ref.kind == "step":
        return [f"{cited}: no step {n}" for n in ref.items if n not in note.list_items[ref.number]]
    if ref.kind == "case":
        return [f"{cited}: no case {n}" for n in ref.items if f"{ref.number}.{n}" not in note.sections]
    return []


def citing_files() -> list[Path]:
    files = [ROOT / name for name in CITING_FILES if (ROOT / name).is_file()]
    for tree in CITING_TREES:
        files += [p for p in sorted((ROOT / tree).rglob("*")) if p.is_file() and p.suffix in TEXT_SUFFIXES]
    # This file's examples are wrong on purpose.
    return [p for p in files if p != Path(__file__).resolve()]


def read_source(path: Path) -> tuple[str, str]:
    return path.read_text(encoding="utf-8", errors="replace"), str(path.relative_to(ROOT))


def citation_problems(text: str, source: str) -> list[str]:
    citations, bare = find_citations(text, source)
    problems = []
    for citation in citations:
        expected = f"docs/notes/{citation.name}"
        if citation.path != expected:
            problems.append(f"{citation.where}: cite {expected}, not {citation.path}")
        if read_note(citation.name) is None:
            problems.append(f"{citation.where}: {expected} does not exist")
            continue
        for ref in citation.sections:
            problems += [f"{citation.where}: {p}" for p in section_problems(citation.name, ref)]
    cited_notes = {c.name for c in citations if read_note(c.name) is not None}
    if bare:
        numbers = ", ".join(f"§{ref.number}" for ref in bare)
        if len(cited_notes) != 1:
            problems.append(f"{source}: {numbers} without a note, and the file cites {len(cited_notes)} notes")
        else:
            (only,) = cited_notes
            problems += [f"{source}: {p}" for ref in bare for p in section_problems(only, ref)]
    return problems


def test_every_note_citation_resolves_to_a_section_of_a_note_in_the_repository() -> None:
    problems = [problem for path in citing_files() for problem in citation_problems(*read_source(path))]
    assert not problems, "\n".join(problems)


def test_the_scan_finds_the_citations_the_code_is_known_to_make() -> None:
    # Guards the scan itself: a regex that matched nothing would make the test above pass vacuously.
    found = {
        (c.where.split(":")[0], c.name, ref.number)
        for path in citing_files()
        for c in find_citations(*read_source(path))[0]
        for ref in c.sections
    }
    assert ("scanner/iam/principals.py", "iam-evaluation.md", "1.1") in found
    assert ("scanner/iam/simulation.py", "iam-evaluation.md", "4") in found  # wrapped onto the next line
    assert ("tests/awsfixtures.py", "moto-fidelity.md", "4.1") in found
    assert ("tests/sarif_checks.py", "sarif-github.md", "5.3") in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "policies (docs/notes/iam-evaluation.md §1.1 step 5).",
            [("docs/notes/iam-evaluation.md", [("1.1", "step", (5,))])],
            id="step",
        ),
        pytest.param(
            '"""Decisions (docs/notes/iam-evaluation.md §6, cases 1, 2, 8-10)."""',
            [("docs/notes/iam-evaluation.md", [("6", "case", (1, 2, 8, 9, 10))])],
            id="cases-with-ranges",
        ),
        pytest.param(
            "(docs/notes/iam-evaluation.md §1.2, §1.3; §6 cases 3-4)",
            [("docs/notes/iam-evaluation.md", [("1.2", None, ()), ("1.3", None, ()), ("6", "case", (3, 4))])],
            id="several-sections",
        ),
        pytest.param(
            "policies (docs/notes/iam-evaluation.md\n§4). So each",
            [("docs/notes/iam-evaluation.md", [("4", None, ())])],
            id="wrapped-line",
        ),
        pytest.param(
            "needed (/work/shared/notes/sarif-github.md, §2 and §5.3)",
            [("/work/shared/notes/sarif-github.md", [("2", None, ()), ("5.3", None, ())])],
            id="path-outside-the-repository",
        ),
        pytest.param(
            "See docs/notes/iam-evaluation.md for the semantics.",
            [("docs/notes/iam-evaluation.md", [])],
            id="whole-note",
        ),
    ],
)
def test_citations_are_parsed_with_their_sections(
    text: str, expected: list[tuple[str, list[tuple[str, str | None, tuple[int, ...]]]]]
) -> None:
    citations, bare = find_citations(text, "x.py")
    assert [(c.path, [(r.number, r.kind, r.items) for r in c.sections]) for c in citations] == expected
    assert bare == []


def test_a_bare_section_is_checked_against_the_note_its_file_cites() -> None:
    text = "# see docs/notes/iam-evaluation.md §1.5\n# §6.14 boundaries\n# §6.99 no such case\n"
    assert citation_problems(text, "x.py") == ["x.py: iam-evaluation.md §6.99: no heading numbered 6.99"]
    assert citation_problems("# §6.14 boundaries\n", "y.py") == [
        "y.py: §6.14 without a note, and the file cites 0 notes"
    ]


def test_wrong_citations_are_reported() -> None:
    assert citation_problems("(/work/shared/notes/sarif-github.md §2)", "a.py") == [
        "a.py:1: cite docs/notes/sarif-github.md, not /work/shared/notes/sarif-github.md"
    ]
    assert citation_problems("(docs/notes/no-such-note.md §1)", "b.py") == [
        "b.py:1: docs/notes/no-such-note.md does not exist"
    ]
    assert citation_problems("\n(docs/notes/iam-evaluation.md §1.1 step 42; §6 cases 18, 77; §9.9)", "c.py") == [
        "c.py:2: iam-evaluation.md §1.1: no step 42",
        "c.py:2: iam-evaluation.md §6: no case 77",
        "c.py:2: iam-evaluation.md §9.9: no heading numbered 9.9",
    ]
