"""`vpce-scan report --from result.json`: re-rendering a saved ScanResult offline; `--sarif-category`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE
from scanner.report.text import render_text
from scanner.results import ScanResult, Severity, Status
from tests.sarif_checks import assert_valid_sarif
from tests.unit.report.factories import collection_error, result, scan_result


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("result") / "result.json"
    assert main(["--demo", "--format", "json", "--output", str(path)]) == EXIT_FINDINGS
    return path


def _one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("vpce-scan: error: ")
    return lines[0]


def test_report_renders_the_saved_result_as_text(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", str(saved)]) == EXIT_FINDINGS
    expected = render_text(ScanResult.model_validate_json(saved.read_text()))
    assert capsys.readouterr().out == expected


def test_report_json_round_trips_the_file(saved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--from", str(saved), "--format", "json"]) == EXIT_FINDINGS
    assert capsys.readouterr().out == saved.read_text()


def test_report_writes_several_format_output_pairs(saved: Path, tmp_path: Path) -> None:
    files = {fmt: tmp_path / f"out.{fmt}" for fmt in ("sarif", "markdown", "junit", "text")}
    argv = ["report", "--from", str(saved), "--sarif-category", "vpce-scan/aws/prod"]
    for fmt, path in files.items():
        argv += ["--format", fmt, "--output", str(path)]
    assert main(argv) == EXIT_FINDINGS
    doc = json.loads(files["sarif"].read_text())
    assert_valid_sarif(doc)
    assert doc["runs"][0]["automationDetails"]["id"] == "vpce-scan/aws/prod/"
    assert len(doc["runs"][0]["results"]) == 17
    assert files["markdown"].read_text().startswith("## vpce-scan report")
    assert files["junit"].read_text().startswith("<?xml")
    assert "Summary" in files["text"].read_text()


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("low", EXIT_FINDINGS), ("medium", EXIT_FINDINGS), ("high", EXIT_FINDINGS), ("critical", EXIT_OK)],
)
def test_report_exit_code_follows_fail_on(
    saved: Path, fail_on: str, expected: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--from", str(saved), "--fail-on", fail_on]) == expected


def test_report_of_an_incomplete_scan_without_failures_exits_3(tmp_path: Path) -> None:
    incomplete = scan_result(
        [result(status=Status.PASS), result("VPCE007", status=Status.ERROR, severity=Severity.HIGH)],
        errors=[collection_error()],
    )
    path = tmp_path / "incomplete.json"
    path.write_text(incomplete.model_dump_json())
    sarif_path = tmp_path / "incomplete.sarif"
    assert main(["report", "--from", str(path), "--format", "sarif", "--output", str(sarif_path)]) == EXIT_INCOMPLETE
    doc = json.loads(sarif_path.read_text())
    assert_valid_sarif(doc)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", r"bad.json:1: not valid JSON"),
        ("[1, 2]", "not a vpce-scan result (no schema_version)"),
        ('{"tool": {}}', "not a vpce-scan result (no schema_version)"),
        ('{"schema_version": 2}', "result schema_version 2 is not supported (this vpce-scan reads 1)"),
        ('{"schema_version": "1"}', "result schema_version '1' is not supported"),
        ('{"schema_version": true}', "result schema_version True is not supported"),
        ('{"schema_version": 1, "tool": {"version": "0.1.0"}}', "invalid result at scan: Field required"),
    ],
)
def test_a_bad_result_file_is_one_line_and_exit_2(
    tmp_path: Path, content: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["report", "--from", str(path)]) == EXIT_USAGE
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in _one_error_line(captured.err)


def test_a_missing_or_binary_result_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "--from", str(tmp_path / "missing.json")]) == EXIT_USAGE
    assert "cannot read result" in _one_error_line(capsys.readouterr().err)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["report", "--from", str(binary)]) == EXIT_USAGE
    assert "not UTF-8" in _one_error_line(capsys.readouterr().err)


def test_report_needs_from(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--format", "sarif"]) == EXIT_USAGE
    assert "--from" in capsys.readouterr().err


def test_report_checks_format_output_pairs_before_reading(
    saved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["report", "--from", str(saved), "--format", "sarif", "--format", "junit", "--output", str(tmp_path / "x")]
    assert main(argv) == EXIT_USAGE
    assert "give one --output per --format (2 formats, 1 outputs)" in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", [["report", "--from", "unused.json"], ["--demo"]])
def test_an_empty_sarif_category_is_a_usage_error(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*command, "--format", "sarif", "--sarif-category", " / "]) == EXIT_USAGE
    assert "SARIF category" in _one_error_line(capsys.readouterr().err)


def test_scan_accepts_sarif_category(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--format", "sarif", "--sarif-category", "vpce-scan/demo"]) == EXIT_FINDINGS
    doc = json.loads(capsys.readouterr().out)
    assert_valid_sarif(doc)
    assert doc["runs"][0]["automationDetails"]["id"] == "vpce-scan/demo/"


def test_scan_writes_several_format_output_pairs(tmp_path: Path) -> None:
    sarif_path, md_path = tmp_path / "scan.sarif", tmp_path / "scan.md"
    argv = [
        "--demo",
        "--format",
        "sarif",
        "--output",
        str(sarif_path),
        "--format",
        "markdown",
        "--output",
        str(md_path),
    ]
    assert main(argv) == EXIT_FINDINGS
    doc = json.loads(sarif_path.read_text())
    assert_valid_sarif(doc)
    assert doc["runs"][0]["automationDetails"]["id"] == "vpce-scan/demo/111122223333/eu-west-1/"
    assert "### Failing findings (17)" in md_path.read_text()


TERMINAL_HOSTILE = "evil\x1b]0;pwned\x07\x1b[2J\r\x9b31m\u202eeulav\u061c\u200e\u2066"


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_report_from_a_hostile_file_prints_no_control_character(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header (tool, accounts, regions, source) and every result field come from the file."""
    hostile = TERMINAL_HOSTILE
    findings = [result(rule_id=hostile, rule_name=hostile, account=hostile, region=hostile, resource_id=hostile)]
    saved = scan_result(findings, accounts=[hostile], regions=[hostile], source=hostile, errors=[collection_error()])
    saved = saved.model_copy(update={"tool": saved.tool.model_copy(update={"name": hostile, "version": hostile})})
    path = tmp_path / "hostile.json"
    path.write_text(saved.model_dump_json())
    assert main(["report", "--from", str(path), "--format", fmt]) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert not set(out) & set("\x1b\x07\r\x9b\u202e\u061c\u200e\u2066"), out
    header = next(line for line in out.splitlines() if "source" in line)
    assert header.count("pwned") == 5, header  # tool name and version, account, region, source
    assert "\\u061c" in header
