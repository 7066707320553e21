"""No crash, ever, without --debug (issue 7, item 6): a secret named without its ARN whose DescribeSecret
failed is ERROR for VPCE007 (it raised IndexError) and leaves --verify-live running; any unexpected
exception is one line naming the stage, exit 4."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scanner import cli
from scanner.collect import secrets, simulate
from scanner.collect.calls import CLIENT_CONFIG, CallContext
from scanner.config import ScanConfig
from scanner.engine.loader import load_rules
from scanner.errors import EXIT_INTERNAL, InternalError
from scanner.inventory.root import Inventory
from scanner.results import Status
from scanner.scan import evaluate_inventory, select_rules
from tests.builders import Scenario, container, with_execution_role
from tests.collect.helpers import fail_call

REGION = "eu-west-1"
ACCOUNT = "111122223333"
SECRET_NAME = "registry-login"


@pytest.fixture(autouse=True)
def _env(aws_env: None) -> None:
    """Fake credentials (no request leaves the process)."""


@pytest.mark.parametrize(
    ("code", "status"), [("AccessDeniedException", 400), ("ThrottlingException", 400), ("InternalServiceError", 500)]
)
def test_a_secret_named_without_arn_whose_describe_failed_is_recorded_by_its_name(code: str, status: int) -> None:
    client: Any = boto3.Session(region_name=REGION).client("secretsmanager", config=CLIENT_CONFIG)
    ctx = CallContext(ACCOUNT, REGION)
    with Stubber(client) as stub:
        stub.add_client_error(
            "describe_secret", code, http_status_code=status, expected_params={"SecretId": SECRET_NAME}
        )
        found = secrets.collect_secrets(ctx, client, [SECRET_NAME])
    assert (found.secrets, found.missing) == ([], [])
    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [("DescribeSecret", code, SECRET_NAME)]


def _undescribed_secret_inventory(reference: str) -> Inventory:
    """The compliant service whose container reads a secret by name; its DescribeSecret was throttled."""
    if reference == "repositoryCredentials":
        app = {**container(), "repositoryCredentials": {"credentialsParameter": SECRET_NAME}}
    else:
        app = container(secrets=[("TOKEN", f"/aws/reference/secretsmanager/{SECRET_NAME}")])
    s = with_execution_role(Scenario.compliant(containers=[app]))
    s.error("secretsmanager", "DescribeSecret", "ThrottlingException", resource_id=SECRET_NAME)
    return s.build()


@pytest.mark.parametrize("reference", ["repositoryCredentials", "ssm-reference"])
def test_vpce007_is_error_not_a_crash_for_a_secret_named_without_arn_and_not_described(reference: str) -> None:
    config = ScanConfig()
    rules = select_rules(load_rules(config.all_rule_dirs), ("VPCE007",), ())

    result = evaluate_inventory(rules, _undescribed_secret_inventory(reference), config)

    assert result.results
    assert not any("crashed" in r.message for r in result.results)
    assert not any(r.status is Status.PASS for r in result.results)
    if reference == "repositoryCredentials":
        (vpce007,) = result.results
        assert vpce007.status is Status.ERROR
        assert f"secret:{SECRET_NAME}-" in vpce007.message and "ThrottlingException" in vpce007.message


def test_verify_live_goes_on_past_a_secret_named_without_arn_and_not_described() -> None:
    session = boto3.Session(region_name=REGION)
    simulations = fail_call(session, "iam.SimulatePrincipalPolicy", "Throttling", 400)

    inventory = simulate.simulate_inventory(session, _undescribed_secret_inventory("repositoryCredentials"))

    # The role's other requests (ECR, logs) are still simulated; the secret's is left to the offline ERROR.
    assert simulations == ["SimulatePrincipalPolicy"]
    errors = inventory.accounts[0].errors
    assert [(e.operation, e.error_code) for e in errors][-1] == ("SimulatePrincipalPolicy", "Throttling")


# ---- the CLI: one line naming the stage, exit 4 ----------------------------------------------------------


def _crash(*_: object, **__: object) -> Inventory:
    raise KeyError("Type")


def test_an_unexpected_exception_while_collecting_is_one_line_naming_the_stage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner import scan as scan_module

    monkeypatch.setattr(scan_module, "obtain_inventory", _crash)

    code = cli.main(["--region", REGION])

    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL == 4
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("vpce-scan: error: internal error while collecting: KeyError: 'Type'")
    assert "--debug" in err


def test_an_unexpected_exception_while_rendering_names_that_stage(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_render(*_: object) -> str:
        raise ValueError("bad\x1b[31m value\u202e")

    monkeypatch.setattr("scanner.report.render", broken_render)

    code = cli.main(["--demo"])

    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL
    assert "internal error while rendering reports: ValueError: bad\\x1b[31m value\\u202e" in err
    assert "\x1b" not in err and "\u202e" not in err


def test_with_debug_the_original_exception_and_its_traceback_come_through(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner import scan as scan_module

    monkeypatch.setattr(scan_module, "obtain_inventory", _crash)

    with pytest.raises(InternalError) as raised:
        cli.main(["--debug", "--region", REGION])
    assert isinstance(raised.value.__cause__, KeyError)


def test_an_exception_outside_every_stage_is_still_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_run_permissions", lambda *_: _crash())

    code = cli.main(["permissions"])

    err = capsys.readouterr().err
    assert code == EXIT_INTERNAL and err.count("\n") == 1
    assert "internal error while running `permissions`: KeyError" in err


def test_a_simulation_answer_without_action_or_decision_is_recorded_not_raised() -> None:
    from botocore.awsrequest import AWSResponse
    from botocore.compat import HTTPHeaders

    from scanner.iam.request import Request, RequestContext

    role = f"arn:aws:iam::{ACCOUNT}:role/api-execution"
    client: Any = boto3.Session(region_name=REGION).client("iam", config=CLIENT_CONFIG)
    # The service model requires both fields, so Stubber cannot send this: answer before the call instead.
    answer = {"EvaluationResults": [{"EvalResourceName": "*", "EvalDecision": "allowed"}], "IsTruncated": False}

    def odd_answer(**_: object) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("https://iam.invalid", 200, HTTPHeaders(), None), answer

    client.meta.events.register("before-call.iam.SimulatePrincipalPolicy", odd_answer)
    ctx = CallContext(ACCOUNT, "global")
    request = Request("ecr:GetAuthorizationToken", "*", role, ACCOUNT, RequestContext({}, set()))

    results = simulate.simulate_roles(ctx, client, {role: [request]})

    assert results == []
    assert [(e.operation, e.error_code, e.resource_id) for e in ctx.errors] == [
        ("SimulatePrincipalPolicy", "InvalidResponse", role)
    ]
