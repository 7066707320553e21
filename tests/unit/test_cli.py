"""The CLI's contract: exit codes, one-line errors for bad input, formats and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.demo import demo_inventory
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
