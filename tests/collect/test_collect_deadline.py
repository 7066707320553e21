"""Bounded time (issue 7, item 5): explicit client timeouts, and the whole-scan deadline (`--timeout`). An
endpoint that never answers and a deadline that has passed both end as recorded errors, never a hang."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from scanner.collect import ec2
from scanner.collect.calls import CLIENT_CONFIG, CONNECT_TIMEOUT, READ_TIMEOUT, CallContext
from scanner.collect.deadline import Deadline
from scanner.collect.session import collect_region
from scanner.config import ScanConfig
from scanner.engine.loader import load_rules
from scanner.results import Status
from scanner.scan import evaluate_inventory

REGION = "eu-west-1"
ACCOUNT = "111122223333"
NETWORK_OPERATIONS = [
    "DescribeVpcs",
    "DescribeSubnets",
    "DescribeRouteTables",
    "DescribeNatGateways",
    "DescribeInternetGateways",
    "DescribeEgressOnlyInternetGateways",
    "DescribeVpcEndpoints",
    "DescribeSecurityGroups",
    "DescribeNetworkAcls",
    "DescribeManagedPrefixLists",
]


@pytest.fixture(autouse=True)
def _env(aws_env: None) -> None:
    """Fake credentials (no request leaves the process, or the machine)."""


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """http://127.0.0.1:<port>: accepts every connection and never answers a byte."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            held.append(connection)  # kept open, never read, never written

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        server.close()


def test_every_client_has_explicit_connect_and_read_timeouts_and_adaptive_retries() -> None:
    client: Any = boto3.Session(region_name=REGION).client("ec2", config=CLIENT_CONFIG)
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (CONNECT_TIMEOUT, READ_TIMEOUT)
    assert config.retries["mode"] == "adaptive"


def test_an_endpoint_that_never_answers_ends_as_errors_at_the_deadline(silent_endpoint: str) -> None:
    session = boto3.Session(region_name=REGION)
    Deadline.after(1.5).install(session)
    # The scan's own config with small per-request bounds: the retries are what the deadline cuts short.
    quick = CLIENT_CONFIG.merge(Config(connect_timeout=0.5, read_timeout=0.3))
    client: Any = session.client("ec2", endpoint_url=silent_endpoint, config=quick)
    ctx = CallContext(ACCOUNT, REGION)

    started = time.monotonic()
    network = ec2.collect_network(ctx, client)
    elapsed = time.monotonic() - started

    assert elapsed < 8, elapsed
    assert network.vpcs == [] and network.subnets == [] and network.prefix_lists == []
    # What it should have returned is each an error: a read timeout, then calls refused by the deadline.
    assert [e.operation for e in ctx.errors] == NETWORK_OPERATIONS
    codes = {e.error_code for e in ctx.errors}
    assert codes <= {"ReadTimeoutError", "DeadlineExceeded"} and "DeadlineExceeded" in codes
    assert all("retry" in e.describe() and "grant" not in e.describe() for e in ctx.errors)


def test_a_passed_deadline_makes_no_call_and_records_every_one_not_made() -> None:
    session = boto3.Session(region_name=REGION)
    Deadline(at=time.monotonic() - 1, seconds=60).install(session)
    requests: list[str] = []
    session.events.register("request-created", lambda request, **_: requests.append(request.url))
    ec2_client: Any = session.client("ec2", config=CLIENT_CONFIG)
    ecs_client: Any = session.client("ecs", config=CLIENT_CONFIG)
    ctx = CallContext(ACCOUNT, REGION)

    inventory = collect_region(ctx, ec2_client, ecs_client)

    assert requests == []
    assert inventory.vpcs == [] and inventory.clusters == []
    assert [e.operation for e in ctx.errors] == [*NETWORK_OPERATIONS, "ListClusters"]
    assert {e.error_code for e in ctx.errors} == {"DeadlineExceeded"}
    assert ctx.errors[0].describe() == (
        f"{REGION} ec2:DescribeVpcs: DeadlineExceeded; stopped by the scan's --timeout (transient); "
        "retry with a longer --timeout"
    )


def test_a_deadline_passing_mid_scan_leaves_errors_not_passes(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A moto account with a compliant service; the clock runs out after the first few requests."""
    from scanner.collect import collect
    from scanner.collect import deadline as deadline_module
    from tests.awsfixtures import build_account

    build_account(boto3.Session(), "us-east-1", ["compliant"])
    ticks = iter(range(10_000))
    monkeypatch.setattr(deadline_module.time, "monotonic", lambda: float(next(ticks)))
    # Each request is checked twice (before the call, before the attempt): identity and a few listings.
    session = boto3.Session(region_name="us-east-1")
    inventory = collect(session, deadline=Deadline(at=9, seconds=42))

    (account,) = inventory.accounts
    refused = [e for e in account.errors if e.error_code == "DeadlineExceeded"]
    assert refused and len(refused) == len(account.errors)
    assert refused[0].describe().endswith("retry with a longer --timeout")
    config = ScanConfig()
    result = evaluate_inventory(load_rules(config.all_rule_dirs), inventory, config)
    assert result.results and not any(r.status is Status.PASS for r in result.results)
    assert any(r.status is Status.ERROR and "DeadlineExceeded" in r.message for r in result.results)


def test_the_timeout_flag_reaches_the_scan_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner import cli
    from scanner import scan as scan_module

    seen: list[ScanConfig] = []

    def fake_scan(config: ScanConfig, progress: object = None) -> object:
        seen.append(config)
        raise KeyboardInterrupt  # stop here: the config is what this test is about

    monkeypatch.setattr(scan_module, "scan", fake_scan)
    cli.main(["--region", REGION, "--timeout", "12.5"])
    cli.main(["--region", REGION])
    assert [c.timeout for c in seen] == [12.5, 3600.0]


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "soon"])
def test_a_timeout_that_is_not_a_positive_number_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner import cli

    assert cli.main(["--region", REGION, f"--timeout={value}"]) == 2
    assert "--timeout" in capsys.readouterr().err


def test_the_collect_command_collects_under_its_timeout(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import scanner.collect
    from scanner import cli
    from scanner.inventory.root import Inventory

    given: list[Deadline] = []

    def fake_collect(*_: object, deadline: Deadline, **__: object) -> Inventory:
        given.append(deadline)
        return Inventory(collected_at="2026-01-01T00:00:00Z", accounts=[])

    monkeypatch.setattr(scanner.collect, "collect_account", fake_collect)
    before = time.monotonic()
    assert cli.main(["collect", "--region", REGION, "--timeout", "90", "-o", str(tmp_path / "inv.json")]) == 0
    (deadline,) = given
    assert deadline.seconds == 90 and before + 90 <= deadline.at <= time.monotonic() + 90
