"""Rule file loading: every malformed file is a RuleFileError `file:line: key.path: what is wrong`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner.engine.loader import load_rule_file, load_rules
from scanner.errors import RuleFileError

VALID = """\
id: TEST001
name: test-rule
title: Interface endpoints resolve through private DNS
severity: high
rationale: Without private DNS tasks resolve the public name.
remediation: Enable private DNS.
references: [https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html]
resource: endpoint_in_use
where: [{path: endpoint.vpc_endpoint_type, equals: Interface}]
check:
  kind: attribute
  path: endpoint.private_dns_enabled
  equals: true
  problem: private_dns_off
pass_message: "$endpoint_id resolves privately."
messages:
  private_dns_off: "$endpoint_id has PrivateDnsEnabled=$observed; expected true."
fix:
  private_dns_off:
    - aws ec2 modify-vpc-endpoint --region $region --vpc-endpoint-id $endpoint_id --private-dns-enabled
"""

ALL_OF = """\
check:
  kind: all_of
  checks:
    - kind: attribute
      path: endpoint.private_dns_enabled
      equals: true
      problem: private_dns_off
    - kind: attribute
      path: vpc.enable_dns_supprt
      equals: true
      problem: private_dns_off
"""


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


def nested_check(text: str) -> str:
    start, end = text.index("check:\n"), text.index("pass_message:")
    return text[:start] + ALL_OF + text[end:]


@dataclass(frozen=True)
class Bad:
    name: str
    edit: Callable[[str], str]
    # The error names this line (the first line containing `at`) ...
    at: str
    # ... and its detail starts with this (the key path first).
    detail: str
    file_name: str = "TEST001.yaml"


BAD = [
    Bad(
        "unknown top-level key",
        replace("severity: high\n", "severity: high\nseverity_level: 3\n"),
        "severity_level:",
        "severity_level: unknown key; expected one of: check, compliance, description, fix, id, messages, ",
    ),
    Bad(
        "unknown key in a check",
        replace("  equals: true\n", "  equals: true\n  bogus: 1\n"),
        "bogus:",
        "check.bogus: unknown key; expected one of: equals, exists, in, kind, max_items, min_items, not_equals, ",
    ),
    Bad(
        "wrong kind",
        replace("kind: attribute", "kind: atribute"),
        "kind: atribute",
        "check.kind: unknown kind 'atribute'; expected one of: all_of, attribute, each, endpoint_policy_allows, "
        "endpoint_present, nacl_allows, no_route_to, role_allows, set_covers, sg_egress_allows, sg_ingress_only",
    ),
    Bad(
        "missing kind",
        replace("  kind: attribute\n", ""),
        "  path: endpoint.private_dns_enabled",
        "check: missing 'kind'; expected one of: all_of, ",
    ),
    Bad(
        "bad YAML",
        replace("  equals: true", "  equals: [true"),
        "  problem:",
        "invalid YAML: expected ',' or ']', but got ':'",
    ),
    Bad("not a mapping", lambda text: "- just\n- a list\n", "- just", "a rule file is a mapping with id, name, title"),
    Bad(
        "bad severity",
        replace("severity: high", "severity: urgent"),
        "severity: urgent",
        "severity: 'urgent' is not allowed; expected 'critical', 'high', 'medium', 'low' or 'info'",
    ),
    Bad(
        "unknown resource type",
        replace("resource: endpoint_in_use", "resource: lambda"),
        "resource: lambda",
        "resource: 'lambda' is not allowed; expected 'workload', ",
    ),
    Bad(
        "unknown path segment",
        replace("endpoint.private_dns_enabled", "endpoint.private_dns"),
        "  path: endpoint.private_dns",
        "check.path: 'endpoint.private_dns': VpcEndpoint has no 'private_dns'; expected one of: ",
    ),
    Bad(
        "unknown path segment in where",
        replace("endpoint.vpc_endpoint_type", "endpoint.type"),
        "where:",
        "where.0.path: 'endpoint.type': VpcEndpoint has no 'type'; expected one of: ",
    ),
    Bad(
        "unknown path segment in a nested check",
        nested_check,
        "vpc.enable_dns_supprt",
        "check.checks.1.path: 'vpc.enable_dns_supprt': Vpc has no 'enable_dns_supprt'; expected one of: "
        "cidr_block, enable_dns_hostnames, enable_dns_support, ",
    ),
    Bad(
        "path through a list",
        replace("endpoint.private_dns_enabled", "workloads.name"),
        "  path: workloads.name",
        "check.path: 'workloads.name': 'workloads' is a list; a path can only end at a list",
    ),
    Bad(
        "path segment not snake_case",
        replace("endpoint.private_dns_enabled", "endpoint.PrivateDnsEnabled"),
        "  path: endpoint.PrivateDnsEnabled",
        "check.path: 'endpoint.PrivateDnsEnabled': 'PrivateDnsEnabled' is not a snake_case attribute name",
    ),
    Bad(
        "unknown placeholder in a message",
        replace("=$observed;", "=$obsrved;"),
        '  private_dns_off: "',
        "messages.private_dns_off: unknown placeholder $obsrved; expected one of: account, endpoint_azs, ",
    ),
    Bad(
        "unknown placeholder in a fix",
        replace("--private-dns-enabled\n", "--private-dns-enabled $dry_run\n"),
        "    - aws ec2",
        "fix.private_dns_off.0: unknown placeholder $dry_run; expected one of: ",
    ),
    Bad(
        "invalid placeholder",
        replace("resolves privately.", "costs $5."),
        "pass_message:",
        "pass_message: invalid placeholder; write $name or ${name}, and $$ for a dollar sign",
    ),
    Bad(
        "missing message for a problem code",
        replace("messages:\n  private_dns_off:", "messages:\n  dns_off:"),
        "  dns_off:",
        "messages: no message for problem 'private_dns_off'; the check reports: private_dns_off",
    ),
    Bad(
        "a message for a problem never reported",
        replace("messages:\n", 'messages:\n  other: "never"\n'),
        "  other:",
        "messages.other: problem 'other' is never reported by this check; it reports: private_dns_off",
    ),
    Bad(
        "missing fix for a problem code",
        replace("fix:\n  private_dns_off:", "fix:\n  dns_off:"),
        "  dns_off:",
        "fix: no fix commands for problem 'private_dns_off'; every FAIL carries its remediation",
    ),
    Bad(
        "duplicate top-level key",
        replace("severity: high\n", "severity: high\nseverity: low\n"),
        "severity: low",
        "duplicate key 'severity': each key may appear once in a mapping",
    ),
    Bad(
        "duplicate key in a check",
        replace("  equals: true\n", "  equals: true\n  equals: false\n"),
        "  equals: false",
        "duplicate key 'equals'",
    ),
    Bad(
        "anchor",
        replace("resource: endpoint_in_use", "resource: &r endpoint_in_use"),
        "resource: &r",
        "anchor &r: anchors are not allowed in rule files; write the value out",
    ),
    Bad(
        "merge key",
        replace("  equals: true\n", "  equals: true\n  <<: {problem: x}\n"),
        "  <<:",
        "merge key <<: not allowed in rule files",
    ),
    Bad(
        "nested too deeply",
        replace("  equals: true\n", "  equals: " + "[" * 70 + "]" * 70 + "\n"),
        "  equals: [[",
        "nested deeper than 64 levels",
    ),
    Bad(
        "integer too long for Python",
        replace("  equals: true\n", "  equals: " + "9" * 5000 + "\n"),
        "  equals: 999",
        "invalid value: Exceeds the limit (4300 digits) for integer string conversion",
    ),
    Bad(
        "impossible date",
        replace("  equals: true\n", "  equals: 2026-13-45\n"),
        "  equals: 2026",
        "invalid value: month must be in 1..12",
    ),
    Bad(
        "id is not the file name",
        lambda text: text,
        "id: TEST001",
        "id: 'TEST001' must equal the file name 'TEST002'",
        file_name="TEST002.yaml",
    ),
]


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def test_the_valid_rule_loads(tmp_path: Path) -> None:
    rule = load_rule_file(write(tmp_path, "TEST001.yaml", VALID))
    assert (rule.id, rule.spec.check.kind, rule.path.name) == ("TEST001", "attribute", "TEST001.yaml")


@pytest.mark.parametrize("bad", BAD, ids=[b.name for b in BAD])
def test_malformed_rule_file(tmp_path: Path, bad: Bad) -> None:
    text = bad.edit(VALID)
    path = write(tmp_path, bad.file_name, text)
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    error = raised.value
    prefix = f"{path}:{line_of(text, bad.at)}: "
    assert error.message.startswith(prefix), error.message
    assert error.message[len(prefix) :].startswith(bad.detail), error.message
    assert (error.path, error.line, error.exit_code) == (str(path), line_of(text, bad.at), 2)
    assert "{'" not in error.message, "no dict reprs in error messages"


def test_duplicate_id_across_directories(tmp_path: Path) -> None:
    first = write(tmp_path / "bundled", "TEST001.yaml", VALID)
    second = write(tmp_path / "custom", "TEST001.yaml", VALID)
    with pytest.raises(RuleFileError) as raised:
        load_rules([tmp_path / "bundled", tmp_path / "custom"])
    assert raised.value.message == f"{second}:1: id: 'TEST001' is already defined in {first}"


def test_rules_load_sorted_by_id_from_several_directories(tmp_path: Path) -> None:
    write(tmp_path / "a", "TEST002.yaml", VALID.replace("TEST001", "TEST002"))
    write(tmp_path / "b", "TEST001.yaml", VALID)
    write(tmp_path / "b", "notes.txt", "not a rule")
    assert [r.id for r in load_rules([tmp_path / "a", tmp_path / "b"])] == ["TEST001", "TEST002"]


def test_missing_rules_directory(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match=r"rules directory does not exist$"):
        load_rules([tmp_path / "nowhere"])


OPERATORS = "equals, not_equals, in, not_in, exists, min_items, max_items"


@pytest.mark.parametrize(
    ("edit", "given"),
    [
        pytest.param(replace("  equals: true\n", "  equals: true\n  exists: true\n"), 2, id="two operators"),
        pytest.param(replace("  equals: true\n", ""), 0, id="no operator"),
        pytest.param(replace("  equals: true\n", "  min_items: 1\n  max_items: 2\n"), 2, id="two list operators"),
    ],
)
def test_attribute_check_needs_exactly_one_operator(tmp_path: Path, edit: Callable[[str], str], given: int) -> None:
    text = edit(VALID)
    path = write(tmp_path, "TEST001.yaml", text)
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    assert raised.value.message == (
        f"{path}:{line_of(text, 'kind: attribute')}: check: give exactly one operator of: {OPERATORS} (got {given})"
    )


def test_attribute_check_in_a_nested_check_needs_exactly_one_operator(tmp_path: Path) -> None:
    text = nested_check(VALID).replace("vpc.enable_dns_supprt\n      equals: true\n", "vpc.enable_dns_support\n")
    path = write(tmp_path, "TEST001.yaml", text)
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    line = text.splitlines().index("    - kind: attribute", line_of(text, "problem: private_dns_off")) + 1
    assert raised.value.message == (f"{path}:{line}: check.checks.1: give exactly one operator of: {OPERATORS} (got 0)")


@pytest.mark.parametrize("title", ["Ensure interface", "ensure interface", "ENSURE interface"])
def test_title_starting_with_ensure(tmp_path: Path, title: str) -> None:
    text = VALID.replace("title: Interface", f"title: {title}")
    path = write(tmp_path, "TEST001.yaml", text)
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    assert raised.value.message == (
        f"{path}:3: title: the title states the secure state; do not start it with 'Ensure' "
        f"(got '{title} endpoints resolve through private DNS')"
    )
    assert "{'" not in raised.value.message


def test_a_title_merely_containing_ensure_loads(tmp_path: Path) -> None:
    text = VALID.replace("title: Interface", "title: Ensured interface")
    assert load_rule_file(write(tmp_path, "TEST001.yaml", text)).spec.title.startswith("Ensured")


BILLION_LAUGHS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)),
    ]
)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    """1 KB of nested aliases in `check:` would expand to 9**9 strings (past 4 GB) when validated."""
    text = VALID.replace("check:\n", "check:\n  " + BILLION_LAUGHS.replace("\n", "\n  ") + "\n", 1)
    path = write(tmp_path, "TEST001.yaml", text)
    assert len(text.encode()) < 2048
    started = time.perf_counter()
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    assert time.perf_counter() - started < 1.0
    assert raised.value.message == (
        f"{path}:{line_of(text, '  a: &a')}: anchor &a: anchors are not allowed in rule files; write the value out"
    )


def test_an_alias_without_an_anchor_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "TEST001.yaml", VALID.replace("severity: high", "severity: *level"))
    with pytest.raises(RuleFileError, match=r"TEST001.yaml:4: (alias \*level: aliases are not allowed|invalid YAML)"):
        load_rule_file(path)


@pytest.mark.parametrize(
    ("content", "line", "detail"),
    [
        (VALID.replace("title: ", "title: Caf\xe9 ").encode("latin-1"), 3, "not UTF-8 text (byte 0xe9)"),
        (VALID.encode("utf-16"), 1, "UTF-16 text (byte-order mark); save the file as UTF-8"),
        (b"\xfe\xff" + VALID.encode("utf-16-be"), 1, "UTF-16 text (byte-order mark)"),
        (VALID.encode("utf-32"), 1, "UTF-32 text (byte-order mark)"),
        (b"id: TEST001\n" + bytes(range(256)), 3, "not UTF-8 text (byte 0x80)"),
        (b"id: TEST001\nname: \x00\x01\x02\n", 2, "binary data (a NUL byte), not a YAML rule file"),
        (b"id: TEST001\nname: ok\ntitle: \x1b[2J\n", 3, "invalid YAML: unacceptable character #x001b"),
    ],
    ids=["latin-1", "utf-16-le-bom", "utf-16-be-bom", "utf-32-bom", "binary", "nul", "escape-character"],
)
def test_a_rule_file_that_is_not_utf8_yaml_text_names_its_line(
    tmp_path: Path, content: bytes, line: int, detail: str
) -> None:
    path = tmp_path / "TEST001.yaml"
    path.write_bytes(content)
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    assert raised.value.message.startswith(f"{path}:{line}: {detail}"), raised.value.message


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "TEST001.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_rule_file(path).id == "TEST001"


def test_a_huge_rule_file_is_refused_without_parsing_it(tmp_path: Path) -> None:
    path = write(tmp_path, "TEST001.yaml", VALID + "#" * (1024 * 1024))
    with pytest.raises(RuleFileError, match=r"TEST001.yaml: larger than 1024 KiB; a rule file is one short rule$"):
        load_rule_file(path)
