"""The CLI's contract: exit codes, one-line errors for bad input, formats and outputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.demo import demo_inventory
from scanner.errors import EXIT_REPORT_NOT_WRITTEN
from scanner.inventory.root import AccountInventory, Inventory, RegionInventory
from scanner.results import CollectionErrorRecord


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_demo_scan_fails_with_exit_1_and_groups_by_workload(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--demo")
    assert code == 1
    assert "workload orders-api" in out
    assert "VPCE006 subnet-no-internet-route [high]" in out
    assert "aws ec2 delete-route --region eu-west-1 --route-table-id rtb-0b22000000000pa" in out
    assert "\x1b[" not in out  # no colour when stdout is not a terminal
    assert err == ""


def test_fail_on_critical_ignores_lower_failures(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, "--demo", "--fail-on", "critical")
    assert code == 0


def test_json_output_is_the_scan_result_contract(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--demo", "--format", "json")
    document = json.loads(out)
    assert code == 1
    assert document["schema_version"] == 1
    assert set(document["scan"]) >= {"accounts", "regions", "started_at", "finished_at", "errors"}
    first = document["results"][0]
    assert set(first) >= {
        "rule_id",
        "rule_name",
        "status",
        "severity",
        "account",
        "region",
        "resource_arn",
        "resource_id",
        "workload",
        "message",
        "evidence",
        "remediation",
    }
    assert document["summary"]["by_status"]["fail"] == sum(r["status"] == "fail" for r in document["results"])


def test_select_and_ignore(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--demo", "--format", "json", "--select", "VPCE006,VPCE011")
    assert {r["rule_id"] for r in json.loads(out)["results"]} == {"VPCE006", "VPCE011"}
    _, out, _ = run(capsys, "--demo", "--format", "json", "--ignore", "VPCE006")
    assert "VPCE006" not in {r["rule_id"] for r in json.loads(out)["results"]}
    code, _, err = run(capsys, "--demo", "--select", "VPCE999")
    assert code == 2 and err.count("\n") == 1 and "unknown rule id 'VPCE999'" in err


def test_several_formats_write_several_outputs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(
        capsys,
        "--demo",
        "--format",
        "json",
        "--output",
        str(tmp_path / "r.json"),
        "--format",
        "text",
        "--output",
        str(tmp_path / "r.txt"),
    )
    assert code == 1 and out == ""
    assert json.loads((tmp_path / "r.json").read_text())["schema_version"] == 1
    assert "Summary" in (tmp_path / "r.txt").read_text()
    code, _, err = run(capsys, "--demo", "--format", "json", "--format", "text")
    assert code == 2 and "one --output each" in err


def test_inventory_round_trip_gives_identical_results(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(demo_inventory().dump_json())
    _, from_file, _ = run(capsys, "--inventory", str(path), "--format", "json")
    _, from_demo, _ = run(capsys, "--demo", "--format", "json")

    def stable(text: str) -> list[dict[str, object]]:
        return json.loads(text)["results"]  # type: ignore[no-any-return]

    assert stable(from_file) == stable(from_demo)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "inventory.json:1: not valid JSON"),
        ('{"accounts": []}', "not a vpce-scan inventory (no schema_version)"),
        ('{"schema_version": 99, "accounts": []}', "inventory schema_version 99 is not supported"),
        (
            '{"schema_version": 1, "accounts": [{"regions": []}]}',
            "invalid inventory at accounts.0.account_id",
        ),
    ],
    ids=["bad-json", "no-version", "wrong-version", "missing-field"],
)
def test_bad_inventory_is_a_one_line_error_with_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(content)
    code, out, err = run(capsys, "--inventory", str(path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err, err


def test_missing_inventory_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "--inventory", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read inventory" in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: [unclosed\n", "X001.yaml:2: invalid YAML: expected ',' or ']'"),
        ("id: X001\nname: x\ncolour: red\n", "X001.yaml:3: colour: unknown key"),
        (
            "id: X001\nname: x\ntitle: t\nseverity: high\nrationale: r\nremediation: r\nreferences: [u]\n"
            "resource: workload\ncheck: {kind: atribute}\npass_message: ok\nmessages: {}\n",
            "X001.yaml:9: check.kind: unknown kind 'atribute'; expected one of: all_of, attribute",
        ),
        (
            "id: X001\nname: x\ntitle: t\nseverity: high\nrationale: r\nremediation: r\nreferences: [u]\n"
            "resource: workload\ncheck: {kind: attribute, path: assign_public_ipp, equals: DISABLED}\n"
            "pass_message: ok\nmessages: {mismatch: m}\nfix: {mismatch: [c]}\n",
            "X001.yaml:9: check.path: 'assign_public_ipp': Workload has no 'assign_public_ipp'",
        ),
    ],
    ids=["bad-yaml", "unknown-key", "wrong-kind", "unknown-path"],
)
def test_bad_rule_file_gives_file_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "X001.yaml").write_text(text)
    code, out, err = run(capsys, "--demo", "--rules", str(tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err, err


def test_incomplete_scan_without_failures_exits_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    error = CollectionErrorRecord(
        account="111122223333",
        region="eu-west-1",
        service="ecs",
        operation="ListServices",
        error_code="AccessDenied",
    )
    inventory = Inventory(
        accounts=[
            AccountInventory(account_id="111122223333", regions=[RegionInventory(region="eu-west-1")], errors=[error])
        ]
    )
    path = tmp_path / "inventory.json"
    path.write_text(inventory.dump_json())
    code, out, _ = run(capsys, "--inventory", str(path))
    assert code == 3
    assert "eu-west-1 ecs:ListServices: AccessDenied; grant ecs:ListServices" in out


def test_rules_list_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0 and out.splitlines()[0].startswith("VPCE001  endpoint-required")
    code, out, _ = run(capsys, "rules", "schema")
    assert code == 0 and json.loads(out)["title"] == "RuleSpec"


def test_usage_error_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--format", "yaml")
    assert code == 2 and "invalid choice" in err


def test_html_cost_options_reach_the_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("nat_gateway_per_gb: 0.5\n")
    report = tmp_path / "r.html"
    code, _, err = run(
        capsys,
        "--demo",
        "--format",
        "html",
        "--output",
        str(report),
        "--prices",
        str(prices),
        "--nat-gb-per-month",
        "1234",
    )
    assert code == 1, err
    html = report.read_text()
    assert "1234" in html and "0.5" in html


def test_bad_price_file_fails_before_scanning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text("nat_hourly: 1\n")
    code, out, err = run(
        capsys, "--demo", "--format", "html", "--output", str(tmp_path / "r.html"), "--prices", str(prices)
    )
    assert code == 2 and out == "" and not (tmp_path / "r.html").exists()
    assert err.count("\n") == 1 and "prices.yaml: nat_hourly: unknown key" in err


BILLION_LAUGHS = "check:\n" + "\n".join(
    [
        '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(f"  {chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)),
    ]
)


@dataclass(frozen=True)
class BadInput:
    """One bad input: the files it needs (name -> bytes), the argv (`{d}` is the directory) and what the
    single error line must say (`{d}` again)."""

    files: dict[str, bytes]
    argv: tuple[str, ...]
    expected: str


def _rule(content: bytes) -> dict[str, bytes]:
    return {"rules/X001.yaml": content}


_RULES = ("--demo", "--rules", "{d}/rules")
_DEEP_JSON = b'{"schema_version": 1, "accounts": ' + b"[" * 5000 + b"]" * 5000 + b"}"

BAD_INPUTS = {
    "rule-latin-1": BadInput(_rule(b"id: X001\nname: caf\xe9\n"), _RULES, "{d}/rules/X001.yaml:2: not UTF-8 text"),
    "rule-utf-16": BadInput(_rule("id: X001\n".encode("utf-16")), _RULES, "{d}/rules/X001.yaml:1: UTF-16 text"),
    "rule-binary": BadInput(_rule(bytes(range(256)) * 4), _RULES, "{d}/rules/X001.yaml:2: not UTF-8 text (byte 0x80)"),
    "rule-nul": BadInput(_rule(b"id: X001\x00\n"), _RULES, "{d}/rules/X001.yaml:1: binary data"),
    "rule-deep-yaml": BadInput(
        _rule(b"id: X001\ncheck: " + b"[" * 5000 + b"]" * 5000 + b"\n"),
        _RULES,
        "{d}/rules/X001.yaml:2: nested deeper than 64 levels",
    ),
    "rule-deep-json": BadInput(
        _rule(b'{"id": "X001", "check": ' + b"{" * 3000 + b"}" * 3000 + b"}"),
        _RULES,
        "{d}/rules/X001.yaml:1: nested deeper than 64 levels",
    ),
    "rule-duplicate-key": BadInput(
        _rule(b"id: X001\ncheck: {kind: attribute}\nname: x\ncheck: {kind: each}\n"),
        _RULES,
        "{d}/rules/X001.yaml:4: duplicate key 'check'",
    ),
    "rule-alias-bomb": BadInput(
        _rule(b"id: X001\n" + BILLION_LAUGHS.encode()), _RULES, "{d}/rules/X001.yaml:3: anchor &a: anchors are not"
    ),
    "rule-alias": BadInput(_rule(b"id: X001\nname: *n\n"), _RULES, "{d}/rules/X001.yaml:2: alias *n: aliases are not"),
    "rule-merge-key": BadInput(
        _rule(b"id: X001\ncheck:\n  <<: {kind: each}\n"), _RULES, "{d}/rules/X001.yaml:3: merge key <<: not allowed"
    ),
    "rule-too-large": BadInput(_rule(b"#" * (1024 * 1024 + 1)), _RULES, "{d}/rules/X001.yaml: larger than 1024 KiB"),
    "rule-impossible-date": BadInput(
        _rule(b"id: X001\nname: 2026-02-30\n"), _RULES, "{d}/rules/X001.yaml:2: invalid value: day is out of range"
    ),
    "prices-deep-yaml": BadInput(
        {"prices.yaml": b"nat_gateway_per_gb: " + b"[" * 5000 + b"]" * 5000},
        ("--demo", "--prices", "{d}/prices.yaml"),
        "{d}/prices.yaml: invalid YAML/JSON: nested too deeply",
    ),
    "inventory-deep-json": BadInput(
        {"inv.json": _DEEP_JSON}, ("--inventory", "{d}/inv.json"), "{d}/inv.json:1: not a vpce-scan inventory (JSON"
    ),
    "inventory-latin-1": BadInput(
        {"inv.json": b'{\n"x": "caf\xe9"}'},
        ("--inventory", "{d}/inv.json"),
        "{d}/inv.json:2: not a vpce-scan inventory",
    ),
    "inventory-lone-surrogate": BadInput(
        {"inv.json": b'{"schema_version": 1,\n"accounts": [{"account_id": "\\ud83d\\ude00 \\ud800", "regions": []}]}'},
        ("--inventory", "{d}/inv.json"),
        "{d}/inv.json:2: not a vpce-scan inventory (a string holds a lone UTF-16 surrogate \\ud800",
    ),
    "result-deep-json": BadInput(
        {"r.json": _DEEP_JSON}, ("report", "--from", "{d}/r.json"), "{d}/r.json:1: not a vpce-scan result (JSON nested"
    ),
    "result-utf-16": BadInput(
        {"r.json": '{"schema_version": 1}'.encode("utf-16")},
        ("report", "--from", "{d}/r.json"),
        "{d}/r.json:1: not a vpce-scan result (not UTF-8 text: byte 0xff)",
    ),
    "sarif-category-space": BadInput(
        {},
        ("--demo", "--format", "sarif", "--sarif-category", "team prod"),
        "--sarif-category 'team prod': character 5",
    ),
    "sarif-category-trailing-space": BadInput(
        {}, ("--demo", "--format", "sarif", "--sarif-category", "team/prod "), "--sarif-category 'team/prod ': char"
    ),
    "sarif-category-tab": BadInput({}, ("--demo", "--sarif-category", "a\tb"), "--sarif-category 'a\\tb': character 2"),
    "sarif-category-escape": BadInput(
        {}, ("report", "--from", "{d}/none.json", "--sarif-category", "a\x1b[2Jb"), "--sarif-category 'a\\x1b[2Jb'"
    ),
    "sarif-category-bidi": BadInput({}, ("--demo", "--sarif-category", "prod\u202e"), "(U+202E)"),
    "sarif-category-arabic-letter-mark": BadInput({}, ("--demo", "--sarif-category", "a\u061cb"), "(U+061C)"),
    "sarif-category-empty": BadInput({}, ("--demo", "--sarif-category", "//"), "--sarif-category '//': the SARIF"),
    "output-missing-directory": BadInput(
        {},
        ("--region", "eu-west-1", "--format", "json", "--output", "{d}/nowhere/r.json"),
        "--output {d}/nowhere/r.json: directory {d}/nowhere does not exist",
    ),
    "output-is-a-directory": BadInput(
        {"sub/keep": b""},
        ("--region", "eu-west-1", "--format", "json", "--output", "{d}/sub"),
        "--output {d}/sub: is a directory",
    ),
    "output-twice": BadInput(
        {},
        ("--region", "eu-west-1", "--format", "json", "--output", "{d}/r", "--format", "sarif", "--output", "{d}/r"),
        "--output {d}/r is given twice",
    ),
    "output-of-a-report-missing-directory": BadInput(
        {}, ("report", "--from", "{d}/none.json", "--output", "{d}/no/r.txt"), "--output {d}/no/r.txt: directory"
    ),
    # argparse's own errors: one line too, not its whole usage first
    "timeout-zero": BadInput({}, ("--demo", "--timeout", "0"), "argument --timeout: '0' is not a positive number"),
    "timeout-text": BadInput({}, ("--demo", "--timeout", "abc"), "argument --timeout: 'abc' is not a positive"),
    "fail-on-unknown": BadInput({}, ("--demo", "--fail-on", "bogus"), "argument --fail-on: invalid Severity value"),
    "format-unknown": BadInput({}, ("--demo", "--format", "pdf"), "argument --format: invalid choice: 'pdf'"),
    "nat-gb-negative": BadInput(
        {}, ("--demo", "--nat-gb-per-month", "-5"), "argument --nat-gb-per-month: '-5' is not a number of gigabytes"
    ),
    "demo-and-inventory": BadInput(
        {}, ("--demo", "--inventory", "{d}/inv.json"), "argument --inventory: not allowed with argument --demo"
    ),
    "rules-unknown-subcommand": BadInput({}, ("rules", "frobnicate"), "invalid choice: 'frobnicate'"),
    "collect-output-missing-directory": BadInput(
        {}, ("collect", "--region", "eu-west-1", "-o", "{d}/no/inv.json"), "--output {d}/no/inv.json: directory"
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_one_line_naming_it_and_exit_2_before_any_aws_call(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: BadInput
) -> None:
    def no_aws(*args: object, **kwargs: object) -> None:
        raise AssertionError("bad input must be refused before any AWS call")

    monkeypatch.setattr("scanner.collect.collect_account", no_aws)
    for name, content in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    before = sorted(tmp_path.rglob("*"))
    code, out, err = run(capsys, *(arg.replace("{d}", str(tmp_path)) for arg in case.argv))
    assert code == 2, err
    assert out == "" and err.count("\n") == 1 and err.startswith("vpce-scan: error: "), err
    assert "Traceback" not in err
    assert case.expected.replace("{d}", str(tmp_path)) in err, err
    assert sorted(tmp_path.rglob("*")) == before  # no report written, not even an empty one


def test_a_report_that_cannot_be_written_never_loses_the_others(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """/dev/full passes every check before the scan (it exists and is writable) and fails on write."""
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    argv = ["--format", "sarif", "--output", "/dev/full", "--format", "json", "--output", str(tmp_path / "r.json")]
    code, out, err = run(capsys, "--demo", *argv, "--format", "text", "--output", str(tmp_path / "r.txt"))
    assert code == EXIT_REPORT_NOT_WRITTEN == 5
    assert out == "" and err == "vpce-scan: error: /dev/full: cannot write the sarif report: No space left on device\n"
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["by_status"]["fail"] == 17
    assert "Summary" in (tmp_path / "r.txt").read_text()


def test_collect_reports_an_inventory_it_cannot_write(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    monkeypatch.setattr("scanner.collect.collect_account", lambda *args, **kwargs: demo_inventory())
    code, out, err = run(capsys, "collect", "--region", "eu-west-1", "-o", "/dev/full")
    assert code == EXIT_REPORT_NOT_WRITTEN and out == ""
    assert err == "vpce-scan: error: /dev/full: cannot write the inventory: No space left on device\n"


_PARTIAL_WRITE = """
import resource, signal, sys
from scanner.cli import main

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
sys.exit(main(sys.argv[1:]))
"""


def test_a_half_written_report_is_removed_and_the_others_kept(tmp_path: Path) -> None:
    """A report cut short (disk full, file size limit) must not pass for a whole one."""
    big, small = tmp_path / "r.json", tmp_path / "r.md"
    argv = ["--demo", "--format", "json", "--output", str(big), "--format", "markdown", "--output", str(small)]
    done = subprocess.run(
        [sys.executable, "-c", _PARTIAL_WRITE, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == EXIT_REPORT_NOT_WRITTEN, done.stderr
    assert done.stderr == f"vpce-scan: error: {big}: cannot write the json report: File too large\n"
    assert not big.exists()
    assert small.read_text().startswith("## vpce-scan report")


TERMINAL_HOSTILE = "eu\x1b]0;pwned\x07\x1b[2J\r\x9b31m\u202eeulav\u061c\u200e\u2066-1"
RAW_CONTROLS = set("\x1b\x07\r\x9b\u202e\u061c\u200e\u2066")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_collect_escapes_the_progress_line_and_its_error_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Region names and resource ids in the progress line and the collection errors come from AWS."""
    error = CollectionErrorRecord(
        account="111122223333",
        region=TERMINAL_HOSTILE,
        service="ecs",
        operation="DescribeServices",
        error_code="AccessDenied",
        resource_id=TERMINAL_HOSTILE,
    )
    inventory = Inventory(
        accounts=[AccountInventory(account_id="111122223333", regions=[RegionInventory(region="x")], errors=[error])]
    )

    def collect(*args: object, progress: Callable[[str], None] | None = None, **kwargs: object) -> Inventory:
        assert progress is not None, "stderr is a terminal: a progress line is shown"
        progress(f"{TERMINAL_HOSTILE}: ecs describe-services")
        return inventory

    terminal = _Terminal()
    monkeypatch.setattr("scanner.collect.collect_account", collect)
    monkeypatch.setattr(sys, "stderr", terminal)
    code = main(["collect", "-o", str(tmp_path / "inv.json")])
    shown = terminal.getvalue()
    assert code == 3
    # Our own control sequences only: \r\x1b[K clears the line before and after the progress message.
    assert shown.startswith("\r\x1b[Keu\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x9b31m\\u202eeulav\\u061c\\u200e\\u2066-1: ")
    lines = shown.split("\r\x1b[K")[-1].splitlines()
    assert len(lines) == 1 and not set(lines[0]) & RAW_CONTROLS, lines
    assert "on eu\\x1b]0;pwned" in lines[0]


def test_rules_list_and_errors_escape_what_came_from_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    rule = (Path(__file__).parents[2] / "rules" / "VPCE010.yaml").read_text()
    title = rule.split("\ntitle: ", 1)[1].split("\n", 1)[0]
    rule = rule.replace("id: VPCE010", "id: X010").replace(f"title: {title}", 'title: "Evil \\e]0;pwned\\a \\u202e"')
    (rules / "X010.yaml").write_text(rule)
    code, out, _ = run(capsys, "rules", "list", "--rules", str(rules))
    assert code == 0
    listed = next(line for line in out.splitlines() if line.startswith("X010"))
    assert listed.endswith("Evil \\x1b]0;pwned\\x07 \\u202e")

    hostile_dir = tmp_path / "evil\x1b[2J\u202e"
    hostile_dir.mkdir()
    (hostile_dir / "X001.yaml").write_text("id: [\n")
    code, out, err = run(capsys, "--demo", "--rules", str(hostile_dir))
    assert code == 2 and err.count("\n") == 1 and not set(err) & RAW_CONTROLS
    assert "evil\\x1b[2J\\u202e/X001.yaml:2: invalid YAML" in err


def test_an_inventory_with_escaped_astral_characters_loads(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A surrogate pair is one character (JSON writers escape emoji so): only a lone half is refused."""
    path = tmp_path / "inv.json"
    path.write_text('{"schema_version": 1, "accounts": [{"account_id": "\\ud83d\\ude00 \\\\ud800", "regions": []}]}')
    code, out, err = run(capsys, "--inventory", str(path), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["scan"]["accounts"] == ["\U0001f600 \\ud800"]


def test_permissions_list_what_the_collector_calls_and_verify_live_adds_the_simulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "permissions")
    (statement,) = json.loads(out)["Statement"]
    assert code == 0
    # The policies the IAM evaluation reads: own-account repositories, pull-through cache rules, RCPs.
    read = {"ecr:GetRepositoryPolicy", "ecr:DescribePullThroughCacheRules", "organizations:ListPoliciesForTarget"}
    assert read <= set(statement["Action"])
    assert "iam:SimulatePrincipalPolicy" not in statement["Action"]
    code, out, _ = run(capsys, "permissions", "--verify-live")
    (live,) = json.loads(out)["Statement"]
    assert code == 0 and set(live["Action"]) == {*statement["Action"], "iam:SimulatePrincipalPolicy"}
